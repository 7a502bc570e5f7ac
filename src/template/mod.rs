//! Tocsin's own implementation of Go's `text/template`, the language of
//! Alertmanager's notification templates.
//!
//! A [`Template`] is a set of named templates sharing functions and options,
//! like Go's `*template.Template`: texts are parsed once into it (each
//! `{{define}}` adds a template; later definitions replace earlier ones, except
//! that an empty redefinition is ignored) and any template of the set can then
//! be executed many times against a [`Value`]. Output and error messages match
//! Go's byte for byte; see `testdata/core_golden.json`.
//!
//! On top of the engine sits Alertmanager's template layer: [`AmTemplates`]
//! (built-in and user templates, text and HTML mode), the typed [`Data`]
//! model, Go's `time` values ([`gotime`]), Alertmanager's functions
//! ([`amfuncs`]) and html/template escaping ([`html`]); see
//! `testdata/am_golden.json`.
//!
//! ```
//! use tocsin::template::{Template, Value};
//! let mut t = Template::new("t");
//! t.parse(r#"{{range $i, $e := .}}{{if $i}}, {{end}}{{$e | printf "%q"}}{{end}}"#).unwrap();
//! let data = Value::slice(vec!["a".into(), "b".into()]);
//! assert_eq!(t.execute_to_string("t", &data).unwrap(), r#""a", "b""#);
//! ```

pub mod am;
pub mod amfuncs;
pub mod data;
pub mod defaults;
pub mod escape;
pub mod exec;
pub mod fmt;
pub mod funcs;
pub mod gotime;
pub mod html;
pub mod lex;
pub mod node;
pub mod parse;
pub mod quote;
pub mod value;

#[cfg(test)]
mod am_golden_tests;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

pub use am::{AmTemplates, RouteLabelRenderer};
pub use data::Data;
pub use exec::MissingKey;
pub use funcs::{Builtin, FuncMap, Function, Signature, Type};
pub use node::Tree;
pub use value::{ElemType, GoObject, Kind, Value};

/// A template error: the message is Go's, e.g.
/// `template: t:1: function "x" not defined` or
/// `template: t:1:2: executing "t" at <.X>: ...`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The text could not be parsed.
    #[error("{0}")]
    Parse(String),
    /// Execution failed.
    #[error("{0}")]
    Exec(String),
    /// An invalid option string.
    #[error("unrecognized option: {0}")]
    Option(String),
}

/// A set of named templates with shared functions and options.
#[derive(Clone, Debug)]
pub struct Template {
    name: String,
    trees: HashMap<String, Arc<Tree>>,
    funcs: Arc<FuncMap>,
    missing_key: MissingKey,
    left_delim: String,
    right_delim: String,
}

impl Template {
    /// An empty set whose own (root) name is `name`.
    pub fn new(name: impl Into<String>) -> Template {
        Template {
            name: name.into(),
            trees: HashMap::new(),
            funcs: Arc::new(FuncMap::new()),
            missing_key: MissingKey::Invalid,
            left_delim: String::new(),
            right_delim: String::new(),
        }
    }

    /// The root name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds functions (Go's `Funcs`); they must be added before parsing
    /// texts that use them.
    pub fn funcs(&mut self, funcs: &FuncMap) -> &mut Self {
        Arc::make_mut(&mut self.funcs).extend(funcs);
        self
    }

    /// Sets an option the way Go's `Option` does: `missingkey=default`,
    /// `missingkey=invalid`, `missingkey=zero` or `missingkey=error`.
    pub fn option(&mut self, opt: &str) -> Result<&mut Self, Error> {
        self.missing_key = match opt {
            "missingkey=default" | "missingkey=invalid" => MissingKey::Invalid,
            "missingkey=zero" => MissingKey::Zero,
            "missingkey=error" => MissingKey::Error,
            other => return Err(Error::Option(other.to_string())),
        };
        Ok(self)
    }

    /// Sets the `missingkey` behaviour.
    pub fn missing_key(&mut self, mk: MissingKey) -> &mut Self {
        self.missing_key = mk;
        self
    }

    /// Sets the action delimiters for later parses (empty means `{{`/`}}`).
    pub fn delims(&mut self, left: &str, right: &str) -> &mut Self {
        self.left_delim = left.to_string();
        self.right_delim = right.to_string();
        self
    }

    /// Parses `text` as the root template (Go's `t.Parse(text)`).
    pub fn parse(&mut self, text: &str) -> Result<&mut Self, Error> {
        let name = self.name.clone();
        self.parse_named(&name, text)
    }

    /// Parses `text` as the template `name` of this set (Go's
    /// `t.New(name).Parse(text)`). Nothing is added if parsing fails.
    pub fn parse_named(&mut self, name: &str, text: &str) -> Result<&mut Self, Error> {
        let funcs = self.funcs.clone();
        let has_func = |f: &str| funcs.contains(f) || Builtin::lookup(f).is_some();
        let set = parse::parse(name, text, &self.left_delim, &self.right_delim, &has_func)
            .map_err(Error::Parse)?;
        for (_, tree) in set {
            self.add_tree(tree);
        }
        Ok(self)
    }

    /// Adds a parsed tree under its name (Go's `AddParseTree`): it replaces
    /// an existing template of that name unless it is empty.
    pub fn add_tree(&mut self, tree: Tree) {
        if self.trees.contains_key(&tree.name) && node::is_empty_list(&tree.root) {
            return;
        }
        self.trees.insert(tree.name.clone(), Arc::new(tree));
    }

    /// The template `name`, if defined.
    pub fn lookup(&self, name: &str) -> Option<&Arc<Tree>> {
        self.trees.get(name)
    }

    /// The names of all templates of the set, sorted.
    pub fn template_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.trees.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Go's `DefinedTemplates`: `; defined templates are: "a", "b"` (sorted
    /// here; Go's order is random), or empty.
    pub fn defined_templates(&self) -> String {
        let names = self.template_names();
        if names.is_empty() {
            return String::new();
        }
        let quoted: Vec<String> = names.iter().map(|n| quote::quote(n, false)).collect();
        format!("; defined templates are: {}", quoted.join(", "))
    }

    /// Executes the template `name` with `data` as dot, appending the output
    /// to `out` (Go's `ExecuteTemplate`). On error, `out` holds the output
    /// produced before the error.
    pub fn execute(&self, name: &str, data: &Value, out: &mut String) -> Result<(), Error> {
        let Some(tree) = self.trees.get(name) else {
            return Err(Error::Exec(format!(
                "template: no template {} associated with template {}",
                quote::quote(name, false),
                quote::quote(&self.name, false)
            )));
        };
        let env = exec::Env {
            trees: &self.trees,
            funcs: &self.funcs,
            missing_key: self.missing_key,
        };
        exec::execute(&env, name, tree, data, out).map_err(Error::Exec)
    }

    /// [`Template::execute`] into a new string.
    pub fn execute_to_string(&self, name: &str, data: &Value) -> Result<String, Error> {
        let mut out = String::new();
        self.execute(name, data, &mut out)?;
        Ok(out)
    }
}
