//! HTML mode (Go's `html/template`) for Alertmanager's HTML templates (the
//! email `html` body, Pushover HTML messages): contextual autoescaping of
//! actions in HTML text, RCDATA (`<title>`), attribute values (quoted or
//! not), URL attributes (`href`, `src`, ...; unsafe schemes become
//! `#ZgotmplZ`), `srcset`, attribute names and comments, plus the trusted
//! content types `template.HTML` (`safeHtml`) and `template.URL` (`safeUrl`).
//!
//! Escaping works on parsed trees (see [`escape`]); the escaper functions
//! that rewritten actions call are registered by [`escaper_funcs`]. Actions
//! in JavaScript or CSS contexts are an error (Go would escape them as JS or
//! CSS values; Tocsin does not implement those escapers).

pub mod context;
pub mod escape;
pub mod transition;

use std::any::Any;
use std::sync::Arc;

use self::context::{Context, Delim, State};
use self::transition::transition_with;
use super::fmt::sprint;
use super::{FuncMap, GoObject, Signature, Type, Value};

/// A kind of trusted content (Go's `template.HTML`, `template.URL`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    /// Ordinary, untrusted text.
    Plain,
    /// `template.CSS`.
    Css,
    /// `template.HTML`: a safe HTML fragment.
    Html,
    /// `template.HTMLAttr`.
    HtmlAttr,
    /// `template.JS`.
    Js,
    /// `template.JSStr`.
    JsStr,
    /// `template.URL`: a safe URL.
    Url,
    /// `template.Srcset`.
    Srcset,
}

/// A trusted string of some content type (its type name is that of the Go
/// type, e.g. `template.HTML`; its underlying value is the string).
pub struct Content {
    kind: ContentType,
    text: Arc<str>,
}

impl Content {
    /// A template value of the given content type.
    pub fn value(kind: ContentType, text: impl Into<Arc<str>>) -> Value {
        Value::object(Content {
            kind,
            text: text.into(),
        })
    }
}

impl GoObject for Content {
    fn type_name(&self) -> &str {
        match self.kind {
            ContentType::Plain => "string",
            ContentType::Css => "template.CSS",
            ContentType::Html => "template.HTML",
            ContentType::HtmlAttr => "template.HTMLAttr",
            ContentType::Js => "template.JS",
            ContentType::JsStr => "template.JSStr",
            ContentType::Url => "template.URL",
            ContentType::Srcset => "template.Srcset",
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn underlying(&self) -> Option<Value> {
        Some(Value::String(self.text.clone()))
    }

    fn equal(&self, other: &dyn GoObject) -> Option<bool> {
        let o = other.as_any().downcast_ref::<Content>()?;
        Some(self.kind == o.kind && self.text == o.text)
    }
}

/// Go's `stringify`: the text of the arguments and its content type (one
/// trusted value keeps its type; nil arguments are skipped).
fn stringify(args: &[Value]) -> (String, ContentType) {
    if let [one] = args {
        match one {
            Value::String(s) => return (s.to_string(), ContentType::Plain),
            Value::Object(o) => {
                if let Some(c) = o.as_any().downcast_ref::<Content>() {
                    return (c.text.to_string(), c.kind);
                }
            }
            _ => {}
        }
    }
    let kept: Vec<Value> = args.iter().filter(|a| !a.is_nil()).cloned().collect();
    (sprint(&kept), ContentType::Plain)
}

/// Go's `htmlReplacer` with its replacement tables.
fn html_replace(s: &str, nospace: bool, norm: bool, bad_runes: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        let repl: Option<&str> = match c {
            '\0' if nospace => Some("&#xfffd;"),
            '\0' => Some("\u{FFFD}"),
            '"' => Some("&#34;"),
            '&' if !norm => Some("&amp;"),
            '\'' => Some("&#39;"),
            '+' => Some("&#43;"),
            '<' => Some("&lt;"),
            '>' => Some("&gt;"),
            '\t' if nospace => Some("&#9;"),
            '\n' if nospace => Some("&#10;"),
            '\u{0b}' if nospace => Some("&#11;"),
            '\u{0c}' if nospace => Some("&#12;"),
            '\r' if nospace => Some("&#13;"),
            ' ' if nospace => Some("&#32;"),
            '=' if nospace => Some("&#61;"),
            '`' if nospace => Some("&#96;"),
            _ => None,
        };
        match repl {
            Some(r) => out.push_str(r),
            None => {
                let u = c as u32;
                if !bad_runes && ((0xfdd0..=0xfdef).contains(&u) || (0xfff0..=0xffff).contains(&u))
                {
                    out.push_str(&format!("&#x{u:x};"));
                } else {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// Go's `stripTags`: the text content of an HTML fragment.
fn strip_tags(html: &str) -> String {
    let s = html.as_bytes();
    let mut b: Vec<u8> = Vec::new();
    let mut c = Context::default();
    let mut i = 0;
    let mut all_text = true;
    while i != s.len() {
        if c.delim == Delim::None {
            let mut st = c.state;
            if c.element != context::Element::None && !st.is_in_tag() {
                st = State::Rcdata;
            }
            let (d, nread) = transition_with(st, &c, &s[i..]);
            let i1 = i + nread;
            if c.state == State::Text || c.state == State::Rcdata {
                let mut j = i1;
                if d.state != c.state {
                    for j1 in (i..j).rev() {
                        if s[j1] == b'<' {
                            j = j1;
                            break;
                        }
                    }
                }
                b.extend_from_slice(&s[i..j]);
            } else {
                all_text = false;
            }
            c = d;
            i = i1;
            continue;
        }
        let ends = c.delim.ends();
        let Some(p) = s[i..].iter().position(|x| ends.contains(x)) else {
            break;
        };
        let mut i1 = i + p;
        if c.delim != Delim::SpaceOrTagEnd {
            i1 += 1;
        }
        c = Context {
            state: State::Tag,
            element: c.element,
            ..Context::default()
        };
        i = i1;
    }
    if all_text {
        return html.to_string();
    }
    if c.state == State::Text || c.state == State::Rcdata {
        b.extend_from_slice(&s[i..]);
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Go's `isSafeURL`: no scheme, or `http`, `https` or `mailto`.
fn is_safe_url(s: &str) -> bool {
    if let Some((protocol, _)) = s.split_once(':')
        && !protocol.contains('/')
    {
        return protocol.eq_ignore_ascii_case("http")
            || protocol.eq_ignore_ascii_case("https")
            || protocol.eq_ignore_ascii_case("mailto");
    }
    true
}

/// Go's `processURLOnto`: percent-encodes what a URL (or, unless `norm`, a
/// query component) cannot hold; `None` if nothing changed.
fn process_url(s: &str, norm: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let mut written = 0;
    for i in 0..b.len() {
        let c = b[i];
        let keep = match c {
            b'!' | b'#' | b'$' | b'&' | b'*' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?'
            | b'@' | b'[' | b']' => norm,
            b'-' | b'.' | b'_' | b'~' => true,
            b'%' => {
                norm && i + 2 < b.len()
                    && b[i + 1].is_ascii_hexdigit()
                    && b[i + 2].is_ascii_hexdigit()
            }
            c => c.is_ascii_alphanumeric(),
        };
        if !keep {
            out.extend_from_slice(&b[written..i]);
            out.extend_from_slice(format!("%{c:02x}").as_bytes());
            written = i + 1;
        }
    }
    if written == 0 {
        return None;
    }
    out.extend_from_slice(&b[written..]);
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn url_process(norm: bool, args: &[Value]) -> String {
    let (s, t) = stringify(args);
    let norm = norm || t == ContentType::Url;
    process_url(&s, norm).unwrap_or(s)
}

fn is_html_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Go's `filterSrcsetElement`.
fn filter_srcset_element(s: &str, left: usize, right: usize, out: &mut String) {
    let b = s.as_bytes();
    let mut start = left;
    while start < right && is_html_space(b[start]) {
        start += 1;
    }
    let end = b[start..right]
        .iter()
        .position(|&c| is_html_space(c))
        .map_or(right, |p| start + p);
    let url = &s[start..end];
    if is_safe_url(url) {
        let metadata_ok = b[end..right]
            .iter()
            .all(|&c| is_html_space(c) || c.is_ascii_alphanumeric());
        if metadata_ok {
            out.push_str(&s[left..start]);
            out.push_str(&process_url(url, true).unwrap_or_else(|| url.to_string()));
            out.push_str(&s[end..right]);
            return;
        }
    }
    out.push_str("#ZgotmplZ");
}

fn srcset_escaper(args: &[Value]) -> String {
    let (s, t) = stringify(args);
    match t {
        ContentType::Srcset => return s,
        ContentType::Url => {
            let s = process_url(&s, true).unwrap_or(s);
            return s.replace(',', "%2c");
        }
        _ => {}
    }
    let mut out = String::new();
    let mut written = 0;
    for (i, c) in s.bytes().enumerate() {
        if c == b',' {
            filter_srcset_element(&s, written, i, &mut out);
            out.push(',');
            written = i + 1;
        }
    }
    filter_srcset_element(&s, written, s.len(), &mut out);
    out
}

/// Go's `htmlNameFilter`: an attribute name from data must be plain
/// letters and digits and not name a special attribute.
fn html_name_filter(args: &[Value]) -> String {
    let (s, t) = stringify(args);
    if t == ContentType::HtmlAttr {
        return s;
    }
    if s.is_empty() {
        return "ZgotmplZ".into();
    }
    let s = s.to_lowercase();
    if transition::attr_type(&s) != transition::AttrType::Plain {
        return "ZgotmplZ".into();
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return "ZgotmplZ".into();
    }
    s
}

/// Go's `evalArgs` (the `_eval_args_` helper).
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    sprint(args)
}

/// The escaper functions that escaped templates call.
pub fn escaper_funcs() -> FuncMap {
    let mut f = FuncMap::new();
    let sig = || Signature::variadic(vec![], Type::Any);
    let mut add = |name: &str, imp: fn(&[Value]) -> String| {
        f.add(name, sig(), move |a| Ok(Value::from(imp(a))));
    };
    add("_html_template_attrescaper", |a| {
        let (s, t) = stringify(a);
        if t == ContentType::Html {
            html_replace(&strip_tags(&s), false, true, true)
        } else {
            html_replace(&s, false, false, true)
        }
    });
    add("_html_template_commentescaper", |_| String::new());
    add("_html_template_htmlnamefilter", html_name_filter);
    add("_html_template_htmlescaper", |a| {
        let (s, t) = stringify(a);
        if t == ContentType::Html {
            s
        } else {
            html_replace(&s, false, false, true)
        }
    });
    add("_html_template_nospaceescaper", |a| {
        let (s, t) = stringify(a);
        if t == ContentType::Html {
            html_replace(&strip_tags(&s), true, true, false)
        } else {
            html_replace(&s, true, false, false)
        }
    });
    add("_html_template_rcdataescaper", |a| {
        let (s, t) = stringify(a);
        html_replace(&s, false, t == ContentType::Html, true)
    });
    add("_html_template_srcsetescaper", srcset_escaper);
    add("_html_template_urlescaper", |a| url_process(false, a));
    add("_html_template_urlfilter", |a| {
        let (s, t) = stringify(a);
        if t != ContentType::Url && !is_safe_url(&s) {
            return "#ZgotmplZ".into();
        }
        s
    });
    add("_html_template_urlnormalizer", |a| url_process(true, a));
    add("_eval_args_", eval_args);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::from(x)
    }

    fn call(name: &str, args: &[Value]) -> String {
        let f = escaper_funcs();
        let func = f.get(name).unwrap();
        (func.imp)(args).unwrap().to_string()
    }

    #[test]
    fn escapers() {
        assert_eq!(
            call(
                "_html_template_htmlescaper",
                &[s("<a href=\"x\">'&+'</a>\0")]
            ),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#43;&#39;&lt;/a&gt;\u{FFFD}"
        );
        assert_eq!(
            call(
                "_html_template_htmlescaper",
                &[Content::value(ContentType::Html, "<b>x</b>")]
            ),
            "<b>x</b>"
        );
        assert_eq!(
            call(
                "_html_template_attrescaper",
                &[Content::value(ContentType::Html, "<b>a&amp;\"b</b>")]
            ),
            "a&amp;&#34;b"
        );
        assert_eq!(
            call("_html_template_nospaceescaper", &[s("a b=c")]),
            "a&#32;b&#61;c"
        );
        assert_eq!(
            call("_html_template_urlfilter", &[s("javascript:alert(1)")]),
            "#ZgotmplZ"
        );
        assert_eq!(
            call("_html_template_urlfilter", &[s("HTTPS://x")]),
            "HTTPS://x"
        );
        assert_eq!(
            call("_html_template_urlnormalizer", &[s("http://x/a b?c=d%20é")]),
            "http://x/a%20b?c=d%20%c3%a9"
        );
        assert_eq!(
            call("_html_template_urlescaper", &[s("q=test%20foo")]),
            "q%3dtest%2520foo"
        );
        assert_eq!(
            call(
                "_html_template_urlescaper",
                &[Content::value(ContentType::Url, "q=a b")]
            ),
            "q=a%20b"
        );
        assert_eq!(
            call("_html_template_htmlnamefilter", &[s("onclick")]),
            "ZgotmplZ"
        );
        assert_eq!(
            call("_html_template_htmlnamefilter", &[s("Title")]),
            "title"
        );
        assert_eq!(
            call(
                "_html_template_srcsetescaper",
                &[s("a.png 1x, javascript:x 2x")]
            ),
            "a.png 1x,#ZgotmplZ"
        );
        assert_eq!(call("_html_template_htmlescaper", &[Value::Nil]), "");
        assert_eq!(call("_eval_args_", &[Value::Nil, Value::Int(1)]), "<nil> 1");
    }

    #[test]
    fn strips_tags() {
        assert_eq!(strip_tags("plain"), "plain");
        assert_eq!(strip_tags("<b>bold</b> <i title=\"x>y\">it</i>"), "bold it");
        assert_eq!(strip_tags("a<script>x<y</script>b"), "ab");
    }
}
