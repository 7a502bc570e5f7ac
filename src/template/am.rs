//! Alertmanager's template set ([`AmTemplates`]): the built-in templates
//! plus the user's template files, Alertmanager's functions, and execution
//! of the template strings of a configuration in text mode
//! (`ExecuteTextString`) or HTML mode (`ExecuteHTMLString`, with
//! html/template escaping), with the `routeLabels` function of Alertmanager
//! 0.34.
//!
//! Files are parsed once per configuration load; each configuration string
//! is parsed (and, in HTML mode, escaped) once and cached, so rendering is
//! just execution.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;
use std::sync::{Arc, RwLock};

use super::data::Data;
use super::exec::{self, Env, MissingKey};
use super::node::{Tree, is_empty_list};
use super::{Builtin, Error, FuncMap, Template, Value, amfuncs, defaults, html, parse};

/// A parsed configuration string, ready to execute.
struct Compiled {
    /// The templates it can call, by name.
    trees: Arc<HashMap<String, Arc<Tree>>>,
    /// The string's own template.
    entry: Arc<Tree>,
}

type Cache = RwLock<HashMap<String, Arc<Compiled>>>;

/// Most configuration strings a set caches per mode before starting over.
const CACHE_LIMIT: usize = 4096;

struct Inner {
    trees: Arc<HashMap<String, Arc<Tree>>>,
    text_funcs: FuncMap,
    html_funcs: FuncMap,
    text_cache: Cache,
    html_cache: Cache,
}

/// Alertmanager's templates: built-ins first, then user files (later
/// definitions replace earlier ones, as in Go). Cheap to clone and share
/// between threads.
#[derive(Clone)]
pub struct AmTemplates {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AmTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmTemplates")
            .field("templates", &self.inner.trees.len())
            .finish()
    }
}

fn load_error(msg: String) -> Error {
    Error::Parse(msg)
}

/// A base name as Go's `filepath.Base` gives it.
fn base_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned())
}

impl AmTemplates {
    /// The built-in templates only.
    pub fn builtin() -> AmTemplates {
        match AmTemplates::with_files(&[]) {
            Ok(t) => t,
            Err(e) => panic!("built-in templates do not parse: {e}"),
        }
    }

    /// The built-in templates plus the files matched by each glob, in order
    /// (Alertmanager's `template.FromGlobs`): a glob matching nothing is
    /// fine, a malformed one or an unreadable file is an error, and each
    /// file's top level is a template named after the file's base name.
    pub fn from_globs(globs: &[String]) -> Result<AmTemplates, Error> {
        let mut files = Vec::new();
        for g in globs {
            let paths = glob::glob(g).map_err(|_| load_error("syntax error in pattern".into()))?;
            for p in paths {
                let p = p.map_err(|e| load_error(e.to_string()))?;
                let text = std::fs::read_to_string(&p).map_err(|e| {
                    load_error(format!(
                        "open {}: {}",
                        p.display(),
                        crate::config::io_error_text(&e)
                    ))
                })?;
                files.push((base_name(&p), text));
            }
        }
        AmTemplates::with_files(&files)
    }

    /// The built-in templates plus the given files (name, text), parsed in
    /// order.
    pub fn with_files(files: &[(String, String)]) -> Result<AmTemplates, Error> {
        let funcs = amfuncs::default_funcs();
        let mut set = Template::new("");
        set.funcs(&funcs);
        set.parse_named("", defaults::ROOT_TEXT)?;
        set.parse_named("", defaults::DEFAULT_TMPL)?;
        set.parse_named("", defaults::EMAIL_TMPL)?;
        for (name, text) in files {
            set.parse_named(name, text)?;
        }
        let trees: HashMap<String, Arc<Tree>> = set
            .template_names()
            .into_iter()
            .filter_map(|n| set.lookup(n).map(|t| (n.to_string(), t.clone())))
            .collect();
        let mut html_funcs = funcs.clone();
        html_funcs.extend(&html::escaper_funcs());
        Ok(AmTemplates {
            inner: Arc::new(Inner {
                trees: Arc::new(trees),
                text_funcs: funcs,
                html_funcs,
                text_cache: RwLock::new(HashMap::new()),
                html_cache: RwLock::new(HashMap::new()),
            }),
        })
    }

    /// The names of all templates, sorted.
    pub fn template_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.inner.trees.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Alertmanager's `ExecuteTextString(text, data)`: executes a
    /// configuration string in text mode with `*template.Data` as dot. An
    /// empty string renders as empty without being parsed.
    pub fn execute_text(&self, text: &str, data: &Data) -> Result<String, Error> {
        self.execute(text, &data.value(), Some(data), false)
    }

    /// Alertmanager's `ExecuteHTMLString(text, data)`: like
    /// [`AmTemplates::execute_text`] with html/template escaping.
    pub fn execute_html(&self, text: &str, data: &Data) -> Result<String, Error> {
        self.execute(text, &data.value(), Some(data), true)
    }

    /// Executes a configuration string with any value as dot (amtool passes
    /// a `template.Data` by value; see [`Data::struct_value`]).
    pub fn execute_text_with(&self, text: &str, dot: &Value) -> Result<String, Error> {
        self.execute(text, dot, Data::from_value(dot), false)
    }

    /// [`AmTemplates::execute_text_with`] in HTML mode.
    pub fn execute_html_with(&self, text: &str, dot: &Value) -> Result<String, Error> {
        self.execute(text, dot, Data::from_value(dot), true)
    }

    /// Alertmanager's `RouteLabelRenderer`: renders route labels of `data`
    /// by name, each at most once, sharing one resolver (so labels that
    /// reference each other are rendered once and cycles are reported).
    pub fn route_label_renderer(&self, data: &Data) -> RouteLabelRenderer {
        RouteLabelRenderer {
            resolver: new_resolver(self.inner.clone(), data.clone(), false),
        }
    }

    fn execute(
        &self,
        text: &str,
        dot: &Value,
        data: Option<&Data>,
        html: bool,
    ) -> Result<String, Error> {
        if text.is_empty() {
            return Ok(String::new());
        }
        match data {
            Some(d) if !d.route_labels.is_empty() => {
                let r = new_resolver(self.inner.clone(), d.clone(), html);
                let f: amfuncs::RouteLabelFn = Rc::new(move |name| r.resolve(name));
                amfuncs::with_route_labels(f, || self.inner.run(text, dot, html))
            }
            _ => self.inner.run(text, dot, html),
        }
    }
}

impl Inner {
    fn run(&self, text: &str, dot: &Value, html: bool) -> Result<String, Error> {
        let compiled = self.compiled(text, html)?;
        let env = Env {
            trees: &compiled.trees,
            funcs: if html {
                &self.html_funcs
            } else {
                &self.text_funcs
            },
            missing_key: MissingKey::Zero,
        };
        let mut out = String::new();
        exec::execute(&env, "", &compiled.entry, dot, &mut out).map_err(Error::Exec)?;
        Ok(out)
    }

    fn compiled(&self, text: &str, html: bool) -> Result<Arc<Compiled>, Error> {
        let cache = if html {
            &self.html_cache
        } else {
            &self.text_cache
        };
        if let Ok(c) = cache.read()
            && let Some(hit) = c.get(text)
        {
            return Ok(hit.clone());
        }
        let compiled = Arc::new(self.compile(text, html)?);
        if let Ok(mut c) = cache.write() {
            if c.len() >= CACHE_LIMIT {
                c.clear();
            }
            c.insert(text.to_string(), compiled.clone());
        }
        Ok(compiled)
    }

    /// Parses a configuration string as Go's `tmpl.New("").Parse(text)` on a
    /// clone of the set does, and in HTML mode escapes it.
    fn compile(&self, text: &str, html: bool) -> Result<Compiled, Error> {
        let funcs = &self.text_funcs;
        let has_func = |f: &str| funcs.contains(f) || Builtin::lookup(f).is_some();
        let mut set = parse::parse("", text, "", "", &has_func).map_err(Error::Parse)?;
        let entry = set.remove("").map(Arc::new);
        let needs_own_set = html || !set.is_empty();
        if !needs_own_set && let Some(entry) = entry {
            return Ok(Compiled {
                trees: self.trees.clone(),
                entry,
            });
        }
        let mut trees: HashMap<String, Arc<Tree>> = (*self.trees).clone();
        // Go's rule: a definition replaces an existing one unless it is empty.
        let add = |trees: &mut HashMap<String, Arc<Tree>>, tree: Arc<Tree>| {
            if trees.contains_key(&tree.name) && is_empty_list(&tree.root) {
                return;
            }
            trees.insert(tree.name.clone(), tree);
        };
        for (_, tree) in set {
            add(&mut trees, Arc::new(tree));
        }
        if let Some(e) = &entry {
            add(&mut trees, e.clone());
        }
        let root = |trees: &HashMap<String, Arc<Tree>>| {
            trees.get("").cloned().ok_or_else(|| {
                Error::Exec("template: \"\" is an incomplete or empty template".into())
            })
        };
        if !html {
            // Text mode runs the string's own template even when it is blank.
            let entry = match entry {
                Some(e) => e,
                None => root(&trees)?,
            };
            return Ok(Compiled {
                trees: Arc::new(trees),
                entry,
            });
        }
        // HTML mode runs the set's root, which a blank string did not replace.
        let escaped = html::escape::escape_template(&trees, "").map_err(Error::Exec)?;
        for (name, tree) in escaped {
            trees.insert(name, Arc::new(tree));
        }
        let entry = root(&trees)?;
        Ok(Compiled {
            trees: Arc::new(trees),
            entry,
        })
    }
}

/// Renders route labels by name (see [`AmTemplates::route_label_renderer`]).
pub struct RouteLabelRenderer {
    resolver: Rc<ResolverState>,
}

impl RouteLabelRenderer {
    /// The rendered value of route label `name` (`""` if there is none).
    pub fn render(&self, name: &str) -> Result<String, Error> {
        self.resolver.resolve(name).map_err(Error::Exec)
    }
}

/// The per-render state of `routeLabels`: memoized values and the labels
/// being rendered, for cycle detection.
struct ResolverState {
    inner: Arc<Inner>,
    data: Data,
    html: bool,
    state: std::cell::RefCell<ResolverMemo>,
}

#[derive(Default)]
struct ResolverMemo {
    memo: HashMap<String, String>,
    in_progress: HashSet<String>,
    stack: Vec<String>,
}

fn new_resolver(inner: Arc<Inner>, data: Data, html: bool) -> Rc<ResolverState> {
    Rc::new(ResolverState {
        inner,
        data,
        html,
        state: std::cell::RefCell::new(ResolverMemo::default()),
    })
}

impl ResolverState {
    /// Alertmanager's `routeLabelResolver.resolve`.
    fn resolve(self: &Rc<Self>, name: &str) -> Result<String, String> {
        let Some(raw) = self.data.route_labels.get(name).map(str::to_string) else {
            return Ok(String::new());
        };
        if self.data.route_labels_rendered {
            return Ok(raw);
        }
        {
            let st = self.state.borrow();
            if let Some(v) = st.memo.get(name) {
                return Ok(v.clone());
            }
            if st.in_progress.contains(name) {
                let mut chain = st.stack.clone();
                chain.push(name.to_string());
                return Err(format!(
                    "route label cycle detected: {}",
                    chain.join(" -> ")
                ));
            }
        }
        {
            let mut st = self.state.borrow_mut();
            st.in_progress.insert(name.to_string());
            st.stack.push(name.to_string());
        }
        let me = self.clone();
        let f: amfuncs::RouteLabelFn = Rc::new(move |n| me.resolve(n));
        let dot = self.data.value();
        let result = if raw.is_empty() {
            Ok(String::new())
        } else {
            amfuncs::with_route_labels(f, || self.inner.run(&raw, &dot, self.html))
        };
        {
            let mut st = self.state.borrow_mut();
            st.stack.pop();
            st.in_progress.remove(name);
        }
        let v = result.map_err(|e| e.to_string())?;
        self.state
            .borrow_mut()
            .memo
            .insert(name.to_string(), v.clone());
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Alert, LabelSet};
    use chrono::TimeZone;

    fn data() -> Data {
        let t = chrono::Utc.timestamp_opt(1_710_498_030, 0).unwrap();
        let alert = Alert {
            labels: LabelSet::from_pairs([("alertname", "Disk<Full>"), ("severity", "critical")]),
            annotations: LabelSet::from_pairs([("summary", "a & b")]),
            starts_at: t,
            ends_at: None,
            updated_at: t,
            generator_url: "http://prom/graph?g0.expr=up".into(),
            timeout: false,
        };
        Data::new(
            "team (x)",
            &LabelSet::from_pairs([("alertname", "Disk<Full>")]),
            &LabelSet::from_pairs([
                (
                    "team",
                    "{{ .CommonLabels.severity }}-{{ routeLabels \"x\" }}",
                ),
                ("x", "X"),
            ]),
            "first notification",
            &[alert],
            "http://am:9093",
            t,
        )
    }

    #[test]
    fn text_and_html_modes() {
        let t = AmTemplates::builtin();
        let d = data();
        assert_eq!(t.execute_text("", &d).unwrap(), "");
        assert_eq!(
            t.execute_text(r#"{{ template "slack.default.title" . }}"#, &d)
                .unwrap(),
            "[FIRING:1] Disk<Full> (critical)"
        );
        assert_eq!(
            t.execute_html(r#"<a href="{{ .ExternalURL }}?r={{ .Receiver }}">{{ .CommonAnnotations.summary }}</a>"#, &d)
                .unwrap(),
            r#"<a href="http://am:9093?r=team%20%5c%28x%5c%29">a &amp; b</a>"#
        );
        assert_eq!(t.execute_html(" ", &d).unwrap(), defaults::ROOT_TEXT);
        assert_eq!(t.execute_text(" ", &d).unwrap(), " ");
        assert_eq!(
            t.execute_text(r#"{{ define "x" }}X{{ end }}{{ template "x" }}"#, &d)
                .unwrap(),
            "X"
        );
        assert_eq!(
            t.execute_text("{{ .Nope }}", &d).unwrap_err().to_string(),
            "template: :1:3: executing \"\" at <.Nope>: can't evaluate field Nope in type *template.Data"
        );
    }

    #[test]
    fn route_labels() {
        let t = AmTemplates::builtin();
        let d = data();
        assert_eq!(
            t.execute_text(r#"{{ routeLabels "team" }}|{{ routeLabels "nope" }}"#, &d)
                .unwrap(),
            "critical-X|"
        );
        let r = t.route_label_renderer(&d);
        assert_eq!(r.render("team").unwrap(), "critical-X");
        let mut cyclic = d.clone();
        cyclic.route_labels = super::super::data::Kv::from_pairs([
            ("a", "{{ routeLabels \"b\" }}"),
            ("b", "{{ routeLabels \"a\" }}"),
        ]);
        let e = t
            .execute_text(r#"{{ routeLabels "a" }}"#, &cyclic)
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("error calling routeLabels: route label cycle detected: a -> b -> a"),
            "{e}"
        );
    }

    #[test]
    fn strings_are_compiled_once_and_shared() {
        fn shareable<T: Send + Sync>(_: &T) {}
        let t = AmTemplates::builtin();
        shareable(&t);
        let text = r#"{{ template "slack.default.title" . }}"#;
        let a = t.inner.compiled(text, false).unwrap();
        let b = t.inner.compiled(text, false).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&a.trees, &t.inner.trees), "no copy of the set");
        let h1 = t.inner.compiled(text, true).unwrap();
        let h2 = t.inner.compiled(text, true).unwrap();
        assert!(Arc::ptr_eq(&h1, &h2));
        let d = data();
        let start = std::time::Instant::now();
        for _ in 0..1000 {
            t.execute_text(text, &d).unwrap();
        }
        // Microseconds per render even in a debug build; a re-parse per call
        // would take far longer.
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn unsupported_html_contexts_are_errors() {
        let t = AmTemplates::builtin();
        let d = data();
        for (text, what) in [
            (
                "<script>var s = {{ .Status }};</script>",
                "JavaScript context (stateJS)",
            ),
            (
                r#"<a onclick="f('{{ .Status }}')">"#,
                "JavaScript context (stateJSSqStr)",
            ),
            (
                "<style>p { color: {{ .Status }} }</style>",
                "CSS context (stateCSS)",
            ),
            (
                r#"<p style="color: {{ .Status }}">"#,
                "CSS context (stateCSS)",
            ),
        ] {
            let e = t.execute_html(text, &d).unwrap_err().to_string();
            assert!(e.starts_with("html/template::1:"), "{e}");
            assert!(
                e.ends_with(&format!(
                    "{what}, which Tocsin's HTML escaper does not support"
                )),
                "{e}"
            );
        }
        // Text mode has no such restriction.
        assert_eq!(
            t.execute_text("<script>var s = {{ .Status }};</script>", &d)
                .unwrap(),
            "<script>var s = firing;</script>"
        );
    }

    #[test]
    fn user_files_override_builtins() {
        let t = AmTemplates::with_files(&[(
            "mine.tmpl".into(),
            r#"{{ define "__subject" }}custom {{ .Status }}{{ end }}"#.into(),
        )])
        .unwrap();
        assert_eq!(
            t.execute_text(r#"{{ template "slack.default.fallback" . }}"#, &data())
                .unwrap(),
            "custom firing | http://am:9093/#/alerts?receiver=team+%5C%28x%5C%29"
        );
        let e = AmTemplates::with_files(&[("bad.tmpl".into(), "{{ nope }}".into())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "template: bad.tmpl:1: function \"nope\" not defined"
        );
    }
}
