//! The template parser: turns tokens into [`Tree`]s following Go's grammar
//! (actions, pipelines, `if`/`else if`/`range`/`with`/`else with`,
//! `define`/`template`/`block`, `break`/`continue`, variables), with Go's
//! parse-time checks (undefined functions and variables) and error messages
//! (`template: NAME:LINE: message`).

use std::collections::HashMap;
use std::sync::Arc;

use super::lex::{Kind, Token, lex};
use super::node::*;
use super::quote;

/// Nesting limit for parentheses and control structures together. Go limits
/// only parentheses (to 10000) and lets goroutine stacks grow; Rust stacks
/// are fixed (2 MiB on tokio workers), so the limit here is far lower, yet
/// far above what templates use.
pub const MAX_DEPTH: usize = 100;

/// The result of parsing one text: every tree it defines, by name.
pub type TreeSet = HashMap<String, Tree>;

/// What `item_list` stops at.
enum Item {
    Node(Node),
    End,
    Else(usize),
}

impl Item {
    fn describe(&self) -> String {
        match self {
            Item::Node(n) => n.to_string(),
            Item::End => "{{end}}".into(),
            Item::Else(_) => "{{else}}".into(),
        }
    }
}

/// Per-tree parsing state (Go keeps these in each `parse.Tree`).
struct TreeState {
    vars: Vec<String>,
    range_depth: usize,
    action_line: usize,
}

impl TreeState {
    fn new() -> Self {
        TreeState {
            vars: vec!["$".to_string()],
            range_depth: 0,
            action_line: 0,
        }
    }
}

struct Parser<'s, 'f> {
    tokens: Vec<Token<'s>>,
    idx: usize,
    furthest: usize,
    parse_name: &'s str,
    text: Arc<str>,
    st: TreeState,
    trees: TreeSet,
    has_func: &'f dyn Fn(&str) -> bool,
    depth: usize,
}

type PResult<T> = Result<T, String>;

/// Parses `text` as the template `name`, returning every tree it holds
/// (the top level under `name`, plus each `define` and `block`).
/// `has_func` tells which function names exist.
pub fn parse(
    name: &str,
    text: &str,
    left: &str,
    right: &str,
    has_func: &dyn Fn(&str) -> bool,
) -> Result<TreeSet, String> {
    let mut p = Parser {
        tokens: lex(text, left, right),
        idx: 0,
        furthest: 0,
        parse_name: name,
        text: Arc::from(text),
        st: TreeState::new(),
        trees: HashMap::new(),
        has_func,
        depth: 0,
    };
    let root = p.parse_top()?;
    let tree = Tree {
        name: name.to_string(),
        parse_name: name.to_string(),
        text: p.text.clone(),
        root,
    };
    p.add(tree)?;
    Ok(p.trees)
}

impl<'s> Parser<'s, '_> {
    fn token_at(&mut self, i: usize) -> Token<'s> {
        let i = i.min(self.tokens.len() - 1);
        self.furthest = self.furthest.max(i);
        self.tokens[i].clone()
    }

    fn next(&mut self) -> Token<'s> {
        let t = self.token_at(self.idx);
        if self.idx < self.tokens.len() {
            self.idx += 1;
        }
        t
    }

    fn backup(&mut self) {
        self.idx = self.idx.saturating_sub(1);
    }

    fn peek(&mut self) -> Token<'s> {
        self.token_at(self.idx)
    }

    fn next_non_space(&mut self) -> Token<'s> {
        loop {
            let t = self.next();
            if t.kind != Kind::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Token<'s> {
        let t = self.next_non_space();
        self.backup();
        t
    }

    /// The line of the most recently lexed token, which Go reports.
    fn line(&self) -> usize {
        self.tokens[self.furthest.min(self.tokens.len() - 1)].line
    }

    fn err<T>(&self, msg: impl std::fmt::Display) -> PResult<T> {
        self.err_at(self.line(), msg)
    }

    fn err_at<T>(&self, line: usize, msg: impl std::fmt::Display) -> PResult<T> {
        Err(format!("template: {}:{}: {}", self.parse_name, line, msg))
    }

    fn unexpected<T>(&self, token: &Token<'_>, context: &str) -> PResult<T> {
        if token.kind == Kind::Error {
            let mut extra = String::new();
            if self.st.action_line != 0 && self.st.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.st.action_line
                );
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.err(format!("{token}{extra}"));
        }
        self.err(format!("unexpected {token} in {context}"))
    }

    fn expect(&mut self, kind: Kind, context: &str) -> PResult<Token<'s>> {
        let t = self.next_non_space();
        if t.kind != kind {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    /// Go's `Tree.add`: records a finished tree, refusing a second non-empty
    /// definition within the same text.
    fn add(&mut self, tree: Tree) -> PResult<()> {
        match self.trees.get(&tree.name) {
            Some(old) if !is_empty_list(&old.root) => {
                if !is_empty_list(&tree.root) {
                    return self.err(format!(
                        "template: multiple definition of template {}",
                        quote::quote(&tree.name, false)
                    ));
                }
                Ok(())
            }
            _ => {
                self.trees.insert(tree.name.clone(), tree);
                Ok(())
            }
        }
    }

    fn new_tree(&self, name: String, root: List) -> Tree {
        Tree {
            name,
            parse_name: self.parse_name.to_string(),
            text: self.text.clone(),
            root,
        }
    }

    fn parse_top(&mut self) -> PResult<List> {
        let mut root = List {
            pos: self.peek().pos,
            nodes: Vec::new(),
        };
        while self.peek().kind != Kind::Eof {
            if self.peek().kind == Kind::LeftDelim {
                let delim_idx = self.idx;
                self.next();
                if self.next_non_space().kind == Kind::Define {
                    let saved = std::mem::replace(&mut self.st, TreeState::new());
                    self.parse_definition()?;
                    self.st = saved;
                    continue;
                }
                self.idx = delim_idx;
            }
            match self.text_or_action()? {
                Item::Node(n) => root.nodes.push(n),
                other => return self.err(format!("unexpected {}", other.describe())),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let t = self.next_non_space();
        if t.kind != Kind::String && t.kind != Kind::RawString {
            return self.unexpected(&t, CONTEXT);
        }
        let name = match quote::unquote(&t.val) {
            Ok(name) => name,
            Err(e) => return self.err(e),
        };
        self.expect(Kind::RightDelim, CONTEXT)?;
        let (list, end) = self.item_list()?;
        if !matches!(end, Item::End) {
            return self.err(format!("unexpected {} in {CONTEXT}", end.describe()));
        }
        let tree = self.new_tree(name, list);
        self.add(tree)
    }

    fn item_list(&mut self) -> PResult<(List, Item)> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("max expression depth exceeded");
        }
        let mut list = List {
            pos: self.peek_non_space().pos,
            nodes: Vec::new(),
        };
        while self.peek_non_space().kind != Kind::Eof {
            match self.text_or_action()? {
                Item::Node(n) => list.nodes.push(n),
                other => {
                    self.depth -= 1;
                    return Ok((list, other));
                }
            }
        }
        self.err("unexpected EOF")
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Text => Ok(Item::Node(Node::Text(TextNode {
                pos: t.pos,
                text: t.val.into_owned(),
            }))),
            Kind::LeftDelim => {
                self.st.action_line = t.line;
                let r = self.action();
                self.st.action_line = 0;
                r
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Block => return self.block_control().map(Item::Node),
            Kind::Break | Kind::Continue => return self.break_control(&t).map(Item::Node),
            Kind::Else => return self.else_control(),
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                return Ok(Item::End);
            }
            Kind::If => return self.if_control().map(Item::Node),
            Kind::Range => {
                let b = self.parse_control(false, "range")?;
                return Ok(Item::Node(Node::Range(b)));
            }
            Kind::Template => return self.template_control().map(Item::Node),
            Kind::With => return self.with_control().map(Item::Node),
            _ => {}
        }
        self.backup();
        let pos = self.peek().pos;
        let pipe = self.pipeline("command", Kind::RightDelim)?;
        Ok(Item::Node(Node::Action(Box::new(ActionNode { pos, pipe }))))
    }

    fn break_control(&mut self, kw: &Token<'_>) -> PResult<Node> {
        let name = if kw.kind == Kind::Break {
            "{{break}}"
        } else {
            "{{continue}}"
        };
        let t = self.next_non_space();
        if t.kind != Kind::RightDelim {
            return self.unexpected(&t, name);
        }
        if self.st.range_depth == 0 {
            return self.err(format!("{name} outside {{{{range}}}}"));
        }
        Ok(if kw.kind == Kind::Break {
            Node::Break(kw.pos)
        } else {
            Node::Continue(kw.pos)
        })
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> PResult<Pipe> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("max expression depth exceeded");
        }
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Declarations or assignments.
        loop {
            let v = self.peek_non_space();
            if v.kind != Kind::Variable {
                break;
            }
            let v_idx = self.idx;
            self.next();
            let next = self.peek_non_space();
            let var = Variable {
                pos: v.pos,
                idents: v.val.split('.').map(str::to_string).collect(),
            };
            if next.kind == Kind::Assign || next.kind == Kind::Declare {
                pipe.is_assign = next.kind == Kind::Assign;
                self.next_non_space();
                pipe.decl.push(var);
                self.st.vars.push(v.val.into_owned());
                break;
            } else if next.kind == Kind::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(var);
                self.st.vars.push(v.val.into_owned());
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().kind {
                        Kind::Variable | Kind::RightDelim | Kind::RightParen => continue,
                        _ => return self.err("range can only initialize variables"),
                    }
                }
                return self.err(format!("too many declarations in {context}"));
            } else {
                self.idx = v_idx;
                break;
            }
        }
        loop {
            let t = self.next_non_space();
            if t.kind == end {
                self.check_pipeline(&pipe, context)?;
                self.depth -= 1;
                return Ok(pipe);
            }
            match t.kind {
                Kind::Bool
                | Kind::CharConstant
                | Kind::Complex
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawString
                | Kind::String
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.err(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(_) | Arg::String(_))
            ) {
                return self.err(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn parse_control(&mut self, allow_else_if: bool, context: &str) -> PResult<Box<Branch>> {
        let mark = self.st.vars.len();
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.st.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.st.range_depth -= 1;
        }
        let mut else_list = None;
        if let Item::Else(else_pos) = next {
            let peek = self.peek().kind;
            if allow_else_if && peek == Kind::If {
                self.next();
                let node = self.if_control()?;
                else_list = Some(List {
                    pos: else_pos,
                    nodes: vec![node],
                });
            } else if context == "with" && peek == Kind::With {
                self.next();
                let node = self.with_control()?;
                else_list = Some(List {
                    pos: else_pos,
                    nodes: vec![node],
                });
            } else {
                let (l, next) = self.item_list()?;
                if !matches!(next, Item::End) {
                    return self.err(format!("expected end; found {}", next.describe()));
                }
                else_list = Some(l);
            }
        }
        self.st.vars.truncate(mark);
        Ok(Box::new(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        }))
    }

    fn if_control(&mut self) -> PResult<Node> {
        Ok(Node::If(self.parse_control(true, "if")?))
    }

    fn with_control(&mut self) -> PResult<Node> {
        Ok(Node::With(self.parse_control(false, "with")?))
    }

    fn else_control(&mut self) -> PResult<Item> {
        let peek = self.peek_non_space();
        if peek.kind == Kind::If || peek.kind == Kind::With {
            return Ok(Item::Else(peek.pos));
        }
        let t = self.expect(Kind::RightDelim, "else")?;
        Ok(Item::Else(t.pos))
    }

    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, Kind::RightDelim)?;
        let line = self.line();
        let saved = std::mem::replace(&mut self.st, TreeState::new());
        let (list, end) = self.item_list()?;
        self.st = saved;
        if !matches!(end, Item::End) {
            return self.err_at(line, format!("unexpected {} in {CONTEXT}", end.describe()));
        }
        let tree = self.new_tree(name.clone(), list);
        self.add(tree)?;
        Ok(Node::Template(Box::new(TemplateNode {
            pos: t.pos,
            name,
            pipe: Some(pipe),
        })))
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().kind != Kind::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, Kind::RightDelim)?);
        }
        Ok(Node::Template(Box::new(TemplateNode {
            pos: t.pos,
            name,
            pipe,
        })))
    }

    fn template_name(&self, t: &Token<'_>, context: &str) -> PResult<String> {
        match t.kind {
            Kind::String | Kind::RawString => match quote::unquote(&t.val) {
                Ok(s) => Ok(s),
                Err(e) => self.err(e),
            },
            _ => self.unexpected(t, context),
        }
    }

    fn command(&mut self) -> PResult<Command> {
        let mut cmd = Command {
            pos: self.peek_non_space().pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.next();
            match t.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup(),
                Kind::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.err("empty command");
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some(node));
        }
        let pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().kind == Kind::Field {
            let t = self.next();
            fields.push(t.val[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field(mut f) => {
                f.idents.extend(fields);
                f.pos = pos;
                Arg::Field(f)
            }
            Arg::Variable(mut v) => {
                v.idents.extend(fields);
                v.pos = pos;
                Arg::Variable(v)
            }
            Arg::Bool(..) | Arg::String(_) | Arg::Number(_) | Arg::Nil(_) | Arg::Dot(_) => {
                return self.err(format!(
                    "unexpected . after term {}",
                    quote::quote(&node.to_string(), false)
                ));
            }
            other => Arg::Chain(Box::new(Chain {
                pos,
                node: other,
                fields,
            })),
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        Ok(Some(match t.kind {
            Kind::Identifier => {
                if !(self.has_func)(&t.val) {
                    return self.err(format!(
                        "function {} not defined",
                        quote::quote(&t.val, false)
                    ));
                }
                Arg::Identifier(t.pos, t.val.into_owned())
            }
            Kind::Dot => Arg::Dot(t.pos),
            Kind::Nil => Arg::Nil(t.pos),
            Kind::Variable => {
                let idents: Vec<String> = t.val.split('.').map(str::to_string).collect();
                if !self.st.vars.iter().any(|v| *v == idents[0]) {
                    return self.err(format!(
                        "undefined variable {}",
                        quote::quote(&idents[0], false)
                    ));
                }
                Arg::Variable(Variable { pos: t.pos, idents })
            }
            Kind::Field => Arg::Field(Field {
                pos: t.pos,
                idents: t.val[1..].split('.').map(str::to_string).collect(),
            }),
            Kind::Bool => Arg::Bool(t.pos, t.val == "true"),
            Kind::CharConstant | Kind::Complex | Kind::Number => {
                match new_number(t.pos, &t.val, t.kind) {
                    Ok(n) => Arg::Number(Box::new(n)),
                    Err(e) => return self.err(e),
                }
            }
            Kind::LeftParen => {
                let p = self.pipeline("parenthesized pipeline", Kind::RightParen)?;
                Arg::Pipe(Box::new(p))
            }
            Kind::String | Kind::RawString => match quote::unquote(&t.val) {
                Ok(s) => Arg::String(Box::new(StringLit {
                    pos: t.pos,
                    quoted: t.val.into_owned(),
                    text: s,
                })),
                Err(e) => return self.err(e),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

/// Go's `Tree.newNumber`: parses a number or character constant into every
/// representation it fits.
fn new_number(pos: usize, text: &str, kind: Kind) -> Result<Number, String> {
    let mut n = Number {
        pos,
        text: text.to_string(),
        ..Number::default()
    };
    if kind == Kind::CharConstant {
        let mut chars = text.chars();
        let q = chars.next().unwrap_or('\'');
        let (u, tail) = quote::unquote_char(chars.as_str(), q).map_err(|e| e.to_string())?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        let v = u.value();
        n.int = i64::from(v);
        n.uint = u64::from(v);
        n.float = f64::from(v);
        n.is_int = true;
        n.is_uint = true;
        n.is_float = true;
        return Ok(n);
    }
    if kind == Kind::Complex {
        return Err(format!("complex constants are not supported: {text}"));
    }
    if let Some(imag) = text.strip_suffix('i')
        && let Some(f) = quote::parse_float(imag)
    {
        if f != 0.0 {
            return Err(format!("complex constants are not supported: {text}"));
        }
        n.is_float = true;
        n.is_int = true;
        n.is_uint = true;
        return Ok(n);
    }
    let u = quote::parse_uint(text);
    if let Some(u) = u {
        n.is_uint = true;
        n.uint = u;
    }
    if let Some(i) = quote::parse_int(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
            n.uint = u.unwrap_or(0);
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float = n.uint as f64;
    } else if let Some(f) = quote::parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", quote::quote(text, false)));
        }
        n.is_float = true;
        n.float = f;
        const TWO63: f64 = 9_223_372_036_854_775_808.0;
        if (-TWO63..TWO63).contains(&f) && (f as i64) as f64 == f {
            n.is_int = true;
            n.int = f as i64;
        }
        if (0.0..2.0 * TWO63).contains(&f) && (f as u64) as f64 == f {
            n.is_uint = true;
            n.uint = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            quote::quote(text, false)
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<TreeSet, String> {
        parse("t", text, "", "", &|name| {
            matches!(name, "printf" | "len" | "f")
        })
    }

    fn root(text: &str) -> String {
        match p(text) {
            Ok(set) => set.get("t").map(|t| t.root.to_string()).unwrap_or_default(),
            Err(e) => e,
        }
    }

    #[test]
    fn round_trips() {
        assert_eq!(root("a{{.X.Y}}b"), "a{{.X.Y}}b");
        assert_eq!(
            root("{{if .A}}x{{else if .B}}y{{else}}z{{end}}"),
            "{{if .A}}x{{else}}{{if .B}}y{{else}}z{{end}}{{end}}"
        );
        assert_eq!(
            root("{{range $i, $e := .L}}{{$i}}{{break}}{{end}}"),
            "{{range $i, $e := .L}}{{$i}}{{break}}{{end}}"
        );
        assert_eq!(
            root("{{$x := 1}}{{$x = 2}}{{$x}}"),
            "{{$x := 1}}{{$x := 2}}{{$x}}"
        );
        assert_eq!(
            root("{{(printf \"%d\" 1).X | len}}"),
            "{{(printf \"%d\" 1).X | len}}"
        );
        assert_eq!(root("{{template \"a\" .}}"), "{{template \"a\" .}}");
        assert_eq!(
            root("{{with .A}}a{{else with .B}}b{{end}}"),
            "{{with .A}}a{{else}}{{with .B}}b{{end}}{{end}}"
        );
    }

    #[test]
    fn definitions() {
        let set = p("{{define \"a\"}}A{{end}}{{block \"b\" .}}B{{end}}").unwrap_or_default();
        let mut names: Vec<&String> = set.keys().collect();
        names.sort();
        assert_eq!(names, ["a", "b", "t"]);
        assert_eq!(set["t"].root.to_string(), "{{template \"b\" .}}");
        assert_eq!(
            p("{{define \"a\"}}A{{end}}{{define \"a\"}}B{{end}}").err(),
            Some("template: t:1: template: multiple definition of template \"a\"".into())
        );
        assert!(p("{{define \"a\"}}A{{end}}{{define \"a\"}} {{end}}").is_ok());
    }

    #[test]
    fn errors() {
        assert_eq!(root("{{end}}"), "template: t:1: unexpected {{end}}");
        assert_eq!(root("{{if .X}}"), "template: t:1: unexpected EOF");
        assert_eq!(
            root("{{nope}}"),
            "template: t:1: function \"nope\" not defined"
        );
        assert_eq!(root("\n{{$x}}"), "template: t:2: undefined variable \"$x\"");
        assert_eq!(
            root("{{break}}"),
            "template: t:1: {{break}} outside {{range}}"
        );
        assert_eq!(
            root("{{.X | 3}}"),
            "template: t:1: non executable command in pipeline stage 2"
        );
        assert_eq!(root("{{if}}{{end}}"), "template: t:1: missing value for if");
        assert_eq!(
            root("{{\"s\".X}}"),
            r#"template: t:1: unexpected . after term "\"s\"""#
        );
        assert_eq!(root("{{\"x}}"), "template: t:1: unterminated quoted string");
        assert_eq!(
            root("{{\n.X"),
            "template: t:2: unclosed action started at t:1"
        );
        assert_eq!(
            root("{{range $a, $b, $c := .}}{{end}}"),
            "template: t:1: too many declarations in range"
        );
        assert_eq!(
            root("{{with $a, $b := .}}{{end}}"),
            "template: t:1: too many declarations in with"
        );
        assert_eq!(
            root("{{99999999999999999999}}"),
            "template: t:1: integer overflow: \"99999999999999999999\""
        );
        assert_eq!(
            root("{{'ab'}}"),
            "template: t:1: malformed character constant: 'ab'"
        );
    }

    #[test]
    fn numbers() {
        let n = new_number(0, "0x1F", Kind::Number).unwrap_or_default();
        assert!(n.is_int && n.is_uint && n.is_float);
        assert_eq!((n.int, n.uint, n.float), (31, 31, 31.0));
        let n = new_number(0, "1.5", Kind::Number).unwrap_or_default();
        assert!(!n.is_int && n.is_float);
        let n = new_number(0, "1e3", Kind::Number).unwrap_or_default();
        assert!(n.is_int && n.int == 1000);
        let n = new_number(0, "-1", Kind::Number).unwrap_or_default();
        assert!(n.is_int && !n.is_uint);
        let n = new_number(0, "'\\n'", Kind::CharConstant).unwrap_or_default();
        assert_eq!(n.int, 10);
        assert!(new_number(0, "1i", Kind::Number).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = format!("{{{{{}1{}}}}}", "(".repeat(500), ")".repeat(500));
        assert_eq!(root(&text), "template: t:1: max expression depth exceeded");
    }
}
