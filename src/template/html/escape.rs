//! Contextual autoescaping (Go's `html/template` escaper): walks a template
//! and every template it calls, tracks the HTML context through text and
//! control flow, and returns rewritten trees whose actions end in the right
//! escaper functions, whose text has comments stripped and stray `<`
//! escaped, and whose `{{template}}` calls name copies of the callee
//! specialised for the calling context (`name$htmltemplate_stateAttr...`).
//!
//! Actions in JavaScript and CSS contexts (`<script>`, `on*=`, `<style>`,
//! `style=` outside `url(...)`) are rejected with an explicit error rather
//! than escaped approximately.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::context::{Context, Delim, JsCtx, State, UrlPart};
use super::transition::context_after_text;
use crate::template::node::{Arg, Branch, Command, List, Node, Pipe, TextNode, Tree};
use crate::template::quote::quote;

/// An escaping error, before the `html/template:` prefix and the name of
/// the template being executed are added.
#[derive(Clone, Debug)]
pub struct EscError {
    /// `parse_name:line:col` of the offending node, if known.
    loc: Option<String>,
    /// The description.
    desc: String,
}

impl EscError {
    fn at(tree: &Tree, pos: usize, desc: String) -> EscError {
        EscError {
            loc: Some(tree.location(pos)),
            desc,
        }
    }

    /// Go's `Error.Error()` for an error met while escaping template `top`.
    pub fn message(&self, top: &str) -> String {
        match &self.loc {
            Some(loc) => format!("html/template:{loc}: {}", self.desc),
            None if !top.is_empty() => format!("html/template:{top}: {}", self.desc),
            None => format!("html/template: {}", self.desc),
        }
    }
}

type EResult<T> = Result<T, EscError>;

#[derive(Default)]
struct RangeCtx {
    breaks: Vec<(Context, usize)>,
    continues: Vec<(Context, usize)>,
}

struct Escaper<'t> {
    trees: &'t HashMap<String, Arc<Tree>>,
    output: HashMap<String, Context>,
    derived: HashMap<String, Tree>,
    called: HashSet<String>,
    ranges: Vec<RangeCtx>,
}

/// Escapes the template `name` of `trees` for execution in HTML text
/// context. Returns the rewritten trees (the entry, and every template it
/// reaches under the name it is called by) to use in place of the originals.
pub fn escape_template(
    trees: &HashMap<String, Arc<Tree>>,
    name: &str,
) -> Result<HashMap<String, Tree>, String> {
    let mut e = Escaper {
        trees,
        output: HashMap::new(),
        derived: HashMap::new(),
        called: HashSet::new(),
        ranges: Vec::new(),
    };
    let Some(tree) = trees.get(name) else {
        return Err(format!(
            "template: {} is an incomplete or empty template",
            crate::template::quote::quote(name, false)
        ));
    };
    let c = e
        .compute_out_ctx(Context::default(), tree, name)
        .map_err(|err| err.message(name))?;
    if let Some(msg) = &c.err {
        return Err(EscError {
            loc: None,
            desc: msg.clone(),
        }
        .message(name));
    }
    if c.state != State::Text {
        return Err(EscError {
            loc: None,
            desc: format!("ends in a non-text context: {c}"),
        }
        .message(name));
    }
    Ok(e.derived)
}

/// Escaper functions that a predefined escaper (`html`, `urlquery`) at the
/// end of a pipeline can stand in for.
fn normalize_esc(name: &str) -> &str {
    match name {
        "_html_template_attrescaper"
        | "_html_template_htmlescaper"
        | "_html_template_rcdataescaper" => "html",
        "_html_template_urlescaper" | "_html_template_urlnormalizer" => "urlquery",
        other => other,
    }
}

fn is_predefined(name: &str) -> bool {
    name == "html" || name == "urlquery"
}

/// Whether escaper `next` is redundant right after `last`.
fn redundant(last: &str, next: &str) -> bool {
    matches!(
        (last, next),
        (
            "_html_template_commentescaper",
            "_html_template_attrescaper"
                | "_html_template_nospaceescaper"
                | "_html_template_htmlescaper"
        ) | (
            "_html_template_cssescaper"
                | "_html_template_jsregexpescaper"
                | "_html_template_jsstrescaper",
            "_html_template_attrescaper"
        ) | ("_html_template_urlescaper", "_html_template_urlnormalizer")
    )
}

fn ident_of(cmd: &Command) -> Option<&str> {
    match cmd.args.first() {
        Some(Arg::Identifier(_, name)) => Some(name),
        _ => None,
    }
}

fn ident_cmd(name: &str, pos: usize) -> Command {
    Command {
        pos,
        args: vec![Arg::Identifier(pos, name.to_string())],
    }
}

fn append_cmd(cmds: &mut Vec<Command>, cmd: Command) {
    if let (Some(last), Some(next)) = (cmds.last().and_then(ident_of), ident_of(&cmd))
        && redundant(last, next)
    {
        return;
    }
    cmds.push(cmd);
}

/// Go's `ensurePipelineContains`: appends the escapers `s` to the pipeline,
/// merging them with a predefined escaper that ends it.
fn ensure_pipeline_contains(p: &mut Pipe, s: &[&str]) {
    if s.is_empty() {
        return;
    }
    let mut s: Vec<String> = s.iter().map(|x| (*x).to_string()).collect();
    let mut pipeline_len = p.cmds.len();
    let n = p.cmds.len();
    if let Some(last) = p.cmds.last()
        && let Some(Arg::Identifier(pos, esc)) = last.args.first().cloned()
        && is_predefined(&esc)
    {
        if n == 1 && last.args.len() > 1 {
            p.cmds[0].args[0] = Arg::Identifier(pos, "_eval_args_".to_string());
            let cmd = ident_cmd(&esc, p.pos);
            append_cmd(&mut p.cmds, cmd);
            pipeline_len += 1;
        }
        let mut dup = false;
        for x in s.iter_mut() {
            if normalize_esc(&esc) == normalize_esc(x) {
                *x = esc.clone();
                dup = true;
            }
        }
        if dup {
            pipeline_len -= 1;
        }
    }
    let mut new_cmds: Vec<Command> = p.cmds[..pipeline_len].to_vec();
    let mut inserted: HashSet<String> = new_cmds
        .iter()
        .filter_map(ident_of)
        .map(|n| normalize_esc(n).to_string())
        .collect();
    for name in &s {
        let norm = normalize_esc(name).to_string();
        if !inserted.contains(&norm) {
            append_cmd(&mut new_cmds, ident_cmd(name, p.pos));
            inserted.insert(norm);
        }
    }
    p.cmds = new_cmds;
}

/// Go's `join`: the context after a branch whose arms end in `a` and `b`.
fn join(a: Context, b: Context, tree: &Tree, pos: usize, node_name: &str) -> EResult<Context> {
    if a.state == State::Error {
        return Ok(a);
    }
    if b.state == State::Error {
        return Ok(b);
    }
    if a.state == State::Dead {
        return Ok(b);
    }
    if b.state == State::Dead {
        return Ok(a);
    }
    if a == b {
        return Ok(a);
    }
    let mut c = a.clone();
    c.url_part = b.url_part;
    if c == b {
        c.url_part = UrlPart::Unknown;
        return Ok(c);
    }
    let mut c = a.clone();
    c.js_ctx = b.js_ctx;
    if c == b {
        c.js_ctx = JsCtx::Unknown;
        return Ok(c);
    }
    let (na, nb) = (a.nudge(), b.nudge());
    if !(na == a && nb == b)
        && let Ok(e) = join(na, nb, tree, pos, node_name)
        && e.state != State::Error
    {
        return Ok(e);
    }
    Err(EscError::at(
        tree,
        pos,
        format!("{{{{{node_name}}}}} branches end in different contexts: {a}, {b}"),
    ))
}

/// Turns an error context into an error.
fn check(c: Context) -> EResult<Context> {
    match c.err {
        Some(desc) => Err(EscError { loc: None, desc }),
        None => Ok(c),
    }
}

impl Escaper<'_> {
    fn escape_list(&mut self, c: Context, list: &List, tree: &Tree) -> EResult<(Context, List)> {
        let mut c = c;
        let mut nodes = Vec::with_capacity(list.nodes.len());
        let mut iter = list.nodes.iter();
        for node in iter.by_ref() {
            let (c1, n) = self.escape_node(c, node, tree)?;
            c = c1;
            nodes.push(n);
            if c.state == State::Dead {
                break;
            }
        }
        nodes.extend(iter.cloned());
        Ok((
            c,
            List {
                pos: list.pos,
                nodes,
            },
        ))
    }

    fn escape_node(&mut self, c: Context, node: &Node, tree: &Tree) -> EResult<(Context, Node)> {
        match node {
            Node::Text(t) => {
                let (c, text) = escape_text(c, &t.text)?;
                let node = match text {
                    Some(text) => Node::Text(TextNode { pos: t.pos, text }),
                    None => node.clone(),
                };
                Ok((c, node))
            }
            Node::Action(a) => {
                let (c, pipe) = self.escape_action(c, node, &a.pipe, tree)?;
                let mut a = a.clone();
                if let Some(p) = pipe {
                    a.pipe = p;
                }
                Ok((c, Node::Action(a)))
            }
            Node::If(b) => {
                let (c, b) = self.escape_branch(c, b, "if", tree)?;
                Ok((c, Node::If(Box::new(b))))
            }
            Node::With(b) => {
                let (c, b) = self.escape_branch(c, b, "with", tree)?;
                Ok((c, Node::With(Box::new(b))))
            }
            Node::Range(b) => {
                let (c, b) = self.escape_branch(c, b, "range", tree)?;
                Ok((c, Node::Range(Box::new(b))))
            }
            Node::Template(t) => {
                let (c, dname) = self.escape_tree(c, &t.name, t.pos, tree)?;
                let mut t = t.clone();
                t.name = dname;
                Ok((c, Node::Template(t)))
            }
            Node::Break(pos) => {
                if let Some(r) = self.ranges.last_mut() {
                    r.breaks.push((c, *pos));
                }
                Ok((Context::dead(), node.clone()))
            }
            Node::Continue(pos) => {
                if let Some(r) = self.ranges.last_mut() {
                    // Go records a continue together with the breaks seen so far.
                    let mut all = r.breaks.clone();
                    all.push((c, *pos));
                    r.continues = all;
                }
                Ok((Context::dead(), node.clone()))
            }
        }
    }

    fn escape_action(
        &mut self,
        c: Context,
        node: &Node,
        pipe: &Pipe,
        tree: &Tree,
    ) -> EResult<(Context, Option<Pipe>)> {
        if !pipe.decl.is_empty() {
            return Ok((c, None));
        }
        let mut c = c.nudge();
        let pos = node.pos();
        let n = pipe.cmds.len();
        for (i, cmd) in pipe.cmds.iter().enumerate() {
            if let Some(ident) = ident_of(cmd)
                && is_predefined(ident)
                && (i < n - 1
                    || (c.state == State::Attr
                        && c.delim == Delim::SpaceOrTagEnd
                        && ident == "html"))
            {
                return Err(EscError::at(
                    tree,
                    pos,
                    format!(
                        "predefined escaper {} disallowed in template",
                        quote(ident, false)
                    ),
                ));
            }
        }
        let mut s: Vec<&str> = Vec::with_capacity(3);
        let unsupported = |what: &str, c: &Context| {
            Err(EscError::at(
                tree,
                pos,
                format!(
                    "{node} appears in a {what} context ({}), which Tocsin's HTML escaper does not support",
                    c.state.name()
                ),
            ))
        };
        match c.state {
            State::Error => return Ok((c, None)),
            State::Url | State::CssDqUrl | State::CssSqUrl | State::CssUrl => match c.url_part {
                UrlPart::None => {
                    s.push("_html_template_urlfilter");
                    s.push("_html_template_urlnormalizer");
                }
                UrlPart::PreQuery => s.push("_html_template_urlnormalizer"),
                UrlPart::QueryOrFrag => s.push("_html_template_urlescaper"),
                UrlPart::Unknown => {
                    return Err(EscError::at(
                        tree,
                        pos,
                        format!("{node} appears in an ambiguous context within a URL"),
                    ));
                }
            },
            State::CssDqStr | State::CssSqStr | State::Css => return unsupported("CSS", &c),
            State::JsBqStr => {
                return Err(EscError::at(
                    tree,
                    pos,
                    format!("{node} appears in a JS template literal"),
                ));
            }
            State::Js | State::JsDqStr | State::JsSqStr | State::JsRegexp => {
                return unsupported("JavaScript", &c);
            }
            State::Text => s.push("_html_template_htmlescaper"),
            State::Rcdata => s.push("_html_template_rcdataescaper"),
            State::Attr => {}
            State::AttrName | State::Tag => {
                c.state = State::AttrName;
                s.push("_html_template_htmlnamefilter");
            }
            State::Srcset => s.push("_html_template_srcsetescaper"),
            st if st.is_comment() => s.push("_html_template_commentescaper"),
            _ => return unsupported("HTML", &c),
        }
        match c.delim {
            Delim::None => {}
            Delim::SpaceOrTagEnd => s.push("_html_template_nospaceescaper"),
            _ => s.push("_html_template_attrescaper"),
        }
        let mut p = pipe.clone();
        ensure_pipeline_contains(&mut p, &s);
        Ok((c, Some(p)))
    }

    fn join_range(&self, c0: Context, rc: &RangeCtx, tree: &Tree) -> EResult<Context> {
        let mut c0 = c0;
        for (c, pos) in &rc.breaks {
            c0 = join(c0, c.clone(), tree, *pos, "range").map_err(|mut e| {
                e.desc = format!("at range loop break: {}", e.desc);
                e
            })?;
        }
        for (c, pos) in &rc.continues {
            c0 = join(c0, c.clone(), tree, *pos, "range").map_err(|mut e| {
                e.desc = format!("at range loop continue: {}", e.desc);
                e
            })?;
        }
        Ok(c0)
    }

    fn escape_branch(
        &mut self,
        c: Context,
        b: &Branch,
        node_name: &str,
        tree: &Tree,
    ) -> EResult<(Context, Branch)> {
        let is_range = node_name == "range";
        if is_range {
            self.ranges.push(RangeCtx::default());
        }
        let first = self.escape_list(c.clone(), &b.list, tree);
        let (mut c0, list) = match first {
            Ok(r) => r,
            Err(e) => {
                if is_range {
                    self.ranges.pop();
                }
                return Err(e);
            }
        };
        if is_range {
            let rc = self.ranges.pop().unwrap_or_default();
            c0 = check(c0)?;
            c0 = self.join_range(c0, &rc, tree)?;
            // Re-entering the loop body must end in the same context.
            self.ranges.push(RangeCtx::default());
            let c1 = self.escape_list_discarded(c0.clone(), &b.list, tree);
            let joined = c1.and_then(|c1| join(c0.clone(), c1, tree, b.pos, node_name));
            let rc = self.ranges.pop().unwrap_or_default();
            c0 = joined.map_err(|mut e| {
                e.desc = format!("on range loop re-entry: {}", e.desc);
                e
            })?;
            c0 = check(c0)?;
            c0 = self.join_range(c0, &rc, tree)?;
        }
        let (c1, else_list) = match &b.else_list {
            Some(l) => {
                let (c1, l) = self.escape_list(c, l, tree)?;
                (c1, Some(l))
            }
            None => (c, None),
        };
        let c = check(join(c0, c1, tree, b.pos, node_name)?)?;
        Ok((
            c,
            Branch {
                pos: b.pos,
                pipe: b.pipe.clone(),
                list,
                else_list,
            },
        ))
    }

    /// Escapes a list only to learn the context after it, keeping none of
    /// the edits or newly escaped templates.
    fn escape_list_discarded(&mut self, c: Context, list: &List, tree: &Tree) -> EResult<Context> {
        let saved = (
            self.output.clone(),
            self.derived.clone(),
            std::mem::take(&mut self.called),
        );
        let r = self.escape_list(c, list, tree).map(|(c, _)| c);
        self.output = saved.0;
        self.derived = saved.1;
        self.called = saved.2;
        r
    }

    fn escape_tree(
        &mut self,
        c: Context,
        name: &str,
        pos: usize,
        tree: &Tree,
    ) -> EResult<(Context, String)> {
        let dname = c.mangle(name);
        self.called.insert(dname.clone());
        if let Some(out) = self.output.get(&dname) {
            return Ok((out.clone(), dname));
        }
        let Some(t) = self.trees.get(name) else {
            return Err(EscError::at(
                tree,
                pos,
                format!("no such template {}", quote(name, false)),
            ));
        };
        let t = t.clone();
        let out = self.compute_out_ctx(c, &t, &dname)?;
        Ok((out, dname))
    }

    fn compute_out_ctx(&mut self, c: Context, t: &Tree, dname: &str) -> EResult<Context> {
        let (c1, ok) = self.escape_template_body(c, t, dname)?;
        if ok {
            return Ok(c1);
        }
        let (c2, ok2) = self.escape_template_body(c1.clone(), t, dname)?;
        if ok2 {
            return Ok(c2);
        }
        if c1.state == State::Error {
            return check(c1);
        }
        Err(EscError::at(
            t,
            t.root.pos,
            format!("cannot compute output context for template {dname}"),
        ))
    }

    fn escape_template_body(
        &mut self,
        c: Context,
        t: &Tree,
        dname: &str,
    ) -> EResult<(Context, bool)> {
        self.output.insert(dname.to_string(), c.clone());
        let saved = (
            self.output.clone(),
            self.derived.clone(),
            std::mem::take(&mut self.called),
        );
        let r = self.escape_list(c.clone(), &t.root, t);
        let (c1, root) = match r {
            Ok(x) => x,
            Err(e) => {
                self.output = saved.0;
                self.derived = saved.1;
                self.called = saved.2;
                return Err(e);
            }
        };
        let ok = c1.state != State::Error && (!self.called.contains(dname) || c == c1);
        if ok {
            self.derived.insert(
                dname.to_string(),
                Tree {
                    name: dname.to_string(),
                    parse_name: t.parse_name.clone(),
                    text: t.text.clone(),
                    root,
                },
            );
            let called = std::mem::replace(&mut self.called, saved.2);
            self.called.extend(called);
        } else {
            self.output = saved.0;
            self.derived = saved.1;
            self.called = saved.2;
        }
        Ok((c1, ok))
    }
}

/// Go's `escapeText`: the context after a text node and, if it needs
/// changes (HTML comments removed, `<` that opens no tag escaped, JS/CSS
/// comments removed), its new text.
fn escape_text(c: Context, text: &str) -> EResult<(Context, Option<String>)> {
    let s = text.as_bytes();
    let mut c = c;
    let (mut written, mut i) = (0, 0);
    let mut b: Vec<u8> = Vec::new();
    while i != s.len() {
        let (c1, nread) = context_after_text(&c, &s[i..]);
        let i1 = i + nread;
        if c.state == State::Text || c.state == State::Rcdata {
            let mut end = i1;
            if c1.state != c.state {
                for j in (i..end).rev() {
                    if s[j] == b'<' {
                        end = j;
                        break;
                    }
                }
            }
            for j in i..end {
                if s[j] == b'<' && !s[j..].to_ascii_uppercase().starts_with(b"<!DOCTYPE") {
                    b.extend_from_slice(&s[written..j]);
                    b.extend_from_slice(b"&lt;");
                    written = j + 1;
                }
            }
        } else if c.state.is_comment() && c.delim == Delim::None {
            match c.state {
                State::JsBlockCmt => {
                    let t = String::from_utf8_lossy(&s[written..i1]);
                    b.push(if t.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
                        b'\n'
                    } else {
                        b' '
                    });
                }
                State::CssBlockCmt => b.push(b' '),
                _ => {}
            }
            written = i1;
        }
        if c.state != c1.state && c1.state.is_comment() && c1.delim == Delim::None {
            let mut cs = i1 - 2;
            if c1.state == State::HtmlCmt {
                cs -= 2;
            }
            b.extend_from_slice(&s[written..cs]);
            written = i1;
        }
        if i == i1 && c.state == c1.state {
            return Err(EscError {
                loc: None,
                desc: format!("infinite loop from {c} to {c1} on {}", quote(text, false)),
            });
        }
        c = c1;
        i = i1;
        if c.state == State::Error {
            break;
        }
    }
    if c.state == State::Error {
        return Ok((check(c)?, None));
    }
    if written != 0 {
        if !c.state.is_comment() || c.delim != Delim::None {
            b.extend_from_slice(&s[written..]);
        }
        return Ok((c, Some(String::from_utf8_lossy(&b).into_owned())));
    }
    Ok((c, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::parse::parse;

    fn escaped(text: &str) -> Result<String, String> {
        let set = parse("t", text, "", "", &|_| true).map_err(|e| e.to_string())?;
        let trees: HashMap<String, Arc<Tree>> =
            set.into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
        let out = escape_template(&trees, "t")?;
        let mut names: Vec<&String> = out.keys().collect();
        names.sort();
        Ok(names
            .iter()
            .map(|n| format!("{n}={}", out[*n].root))
            .collect::<Vec<_>>()
            .join("\n"))
    }

    #[test]
    fn rewrites_actions_by_context() {
        assert_eq!(
            escaped(r#"<a href="{{.U}}?q={{.Q}}" title={{.T}}>{{.X}}</a>"#).unwrap(),
            "t=<a href=\"{{.U | _html_template_urlfilter | _html_template_urlnormalizer | _html_template_attrescaper}}?q={{.Q | _html_template_urlescaper | _html_template_attrescaper}}\" title={{.T | _html_template_nospaceescaper}}>{{.X | _html_template_htmlescaper}}</a>"
        );
        assert_eq!(
            escaped(r#"<a href="/x?r={{.R | urlquery}}">{{html .A .B}}</a>"#).unwrap(),
            "t=<a href=\"/x?r={{.R | urlquery | _html_template_attrescaper}}\">{{_eval_args_ .A .B | html}}</a>"
        );
    }

    #[test]
    fn strips_comments_and_escapes_stray_lt() {
        assert_eq!(
            escaped("<!-- c -->a < b<style>/* x */p{}</style>").unwrap(),
            "t=a &lt; b<style> p{}</style>"
        );
    }

    #[test]
    fn derives_templates_per_context() {
        assert_eq!(
            escaped(
                r#"{{define "u"}}{{.}}{{end}}<a href="{{template "u" .}}">{{template "u" .}}</a>"#
            )
            .unwrap(),
            "t=<a href=\"{{template \"u$htmltemplate_stateURL_delimDoubleQuote_attrURL\" .}}\">{{template \"u\" .}}</a>\nu={{. | _html_template_htmlescaper}}\nu$htmltemplate_stateURL_delimDoubleQuote_attrURL={{. | _html_template_urlfilter | _html_template_urlnormalizer | _html_template_attrescaper}}"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            escaped("{{if .}}<a href=\"{{end}}x").unwrap_err(),
            "html/template:t:1:5: {{if}} branches end in different contexts: {stateURL delimDoubleQuote urlPartNone jsCtxRegexp attrURL elementNone <nil>}, {stateText delimNone urlPartNone jsCtxRegexp attrNone elementNone <nil>}"
        );
        assert_eq!(
            escaped("<script>var x = {{.}};</script>").unwrap_err(),
            "html/template:t:1:18: {{.}} appears in a JavaScript context (stateJS), which Tocsin's HTML escaper does not support"
        );
        assert_eq!(
            escaped("<a href=\"").unwrap_err(),
            "html/template:t: ends in a non-text context: {stateURL delimDoubleQuote urlPartNone jsCtxRegexp attrURL elementNone <nil>}"
        );
        assert_eq!(
            escaped("{{template \"nope\"}}").unwrap_err(),
            "html/template:t:1:11: no such template \"nope\""
        );
        assert_eq!(
            escaped("{{.X | html | printf \"%s\"}}").unwrap_err(),
            "html/template:t:1:2: predefined escaper \"html\" disallowed in template"
        );
    }
}

#[cfg(test)]
mod fuzz {
    use crate::template::{AmTemplates, Value};

    /// Random soups of HTML, CSS and JS fragments and actions never make the
    /// escaper or the escaper functions panic.
    #[test]
    fn token_soups_never_panic() {
        const TOKENS: &[&str] = &[
            "<",
            ">",
            "\"",
            "'",
            "=",
            " ",
            "a",
            "p",
            "href",
            "style",
            "src",
            "srcset",
            "onclick",
            "title",
            "script",
            "textarea",
            "type",
            "</",
            "<!--",
            "-->",
            "/*",
            "*/",
            "//",
            "\n",
            "&",
            "&amp;",
            "&#34;",
            "#",
            "?",
            "\\",
            "url(",
            ")",
            "é",
            "`",
            "/",
            "{{ . }}",
            "{{ .x }}",
            "{{ if . }}",
            "{{ else }}",
            "{{ end }}",
            "{{ range . }}",
            "{{ break }}",
            "{{ html . }}",
            "{{ . | urlquery }}",
            "{{ template \"t\" . }}",
            "{{ safeHtml \"<b>\" }}",
        ];
        let t = AmTemplates::with_files(&[(
            "t.tmpl".into(),
            r#"{{ define "t" }}<i>{{ . }}</i>{{ end }}"#.into(),
        )])
        .unwrap();
        let dot = Value::from("<x \"y\" & 'z'>");
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(seed % 24) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(TOKENS[(seed % TOKENS.len() as u64) as usize]);
            }
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let _ = t.execute_html_with(&text, &dot);
        }
    }
}
