//! The parse tree of a template (Go's `text/template/parse` node types).
//!
//! Every node keeps its byte position so execution errors can name the line
//! and column, and prints itself the way Go's `Node.String()` does (error
//! messages quote the failing node as `<.Foo>`).

use std::fmt;
use std::sync::Arc;

/// One parsed template: `{{define "name"}}...{{end}}` or the top level of a
/// parsed text.
#[derive(Clone, Debug)]
pub struct Tree {
    /// The template's name.
    pub name: String,
    /// The name of the top-level template whose text held this one (used in
    /// error locations).
    pub parse_name: String,
    /// The full text that was parsed (for line:column computation).
    pub text: Arc<str>,
    /// The body.
    pub root: List,
}

impl Tree {
    /// Go's `Tree.ErrorContext` location part: `NAME:LINE:COL` for a byte
    /// offset (the column counts bytes from 0, except on the first line where
    /// it is the offset itself).
    pub fn location(&self, pos: usize) -> String {
        let pos = pos.min(self.text.len());
        let before = &self.text.as_bytes()[..pos];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let col = match before.iter().rposition(|&b| b == b'\n') {
            Some(nl) => pos - (nl + 1),
            None => pos,
        };
        format!("{}:{}:{}", self.parse_name, line, col)
    }
}

/// Whether a tree body holds nothing but whitespace text (Go's `IsEmptyTree`).
pub fn is_empty_list(list: &List) -> bool {
    list.nodes.iter().all(|n| match n {
        Node::Text(t) => t.text.trim().is_empty(),
        _ => false,
    })
}

/// A sequence of nodes.
#[derive(Clone, Debug, Default)]
pub struct List {
    /// Position of the first token.
    pub pos: usize,
    /// The nodes.
    pub nodes: Vec<Node>,
}

/// A node of a list.
#[derive(Clone, Debug)]
pub enum Node {
    /// Plain text.
    Text(TextNode),
    /// `{{pipeline}}`.
    Action(Box<ActionNode>),
    /// `{{if}}`.
    If(Box<Branch>),
    /// `{{range}}`.
    Range(Box<Branch>),
    /// `{{with}}`.
    With(Box<Branch>),
    /// `{{template "name" pipeline}}` (and the call part of `{{block}}`).
    Template(Box<TemplateNode>),
    /// `{{break}}`.
    Break(usize),
    /// `{{continue}}`.
    Continue(usize),
}

impl Node {
    /// Byte position of the node.
    pub fn pos(&self) -> usize {
        match self {
            Node::Text(t) => t.pos,
            Node::Action(a) => a.pos,
            Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
            Node::Template(t) => t.pos,
            Node::Break(p) | Node::Continue(p) => *p,
        }
    }
}

/// Plain text.
#[derive(Clone, Debug)]
pub struct TextNode {
    /// Position.
    pub pos: usize,
    /// The text.
    pub text: String,
}

/// An action that evaluates a pipeline and prints it (unless it declares
/// variables).
#[derive(Clone, Debug)]
pub struct ActionNode {
    /// Position of the pipeline's first token.
    pub pos: usize,
    /// The pipeline.
    pub pipe: Pipe,
}

/// `if`, `range` or `with`.
#[derive(Clone, Debug)]
pub struct Branch {
    /// Position of the pipeline.
    pub pos: usize,
    /// The condition / value.
    pub pipe: Pipe,
    /// Executed when the value is non-empty.
    pub list: List,
    /// Executed otherwise (if present).
    pub else_list: Option<List>,
}

/// `{{template "name" pipeline}}`.
#[derive(Clone, Debug)]
pub struct TemplateNode {
    /// Position of the name.
    pub pos: usize,
    /// The template name (unquoted).
    pub name: String,
    /// The value for dot, if any.
    pub pipe: Option<Pipe>,
}

/// A pipeline with optional variable declarations: `$x := a | b`.
#[derive(Clone, Debug)]
pub struct Pipe {
    /// Position.
    pub pos: usize,
    /// `=` rather than `:=`.
    pub is_assign: bool,
    /// Declared or assigned variables.
    pub decl: Vec<Variable>,
    /// The commands.
    pub cmds: Vec<Command>,
}

/// A command: operands separated by spaces.
#[derive(Clone, Debug)]
pub struct Command {
    /// Position.
    pub pos: usize,
    /// The operands; the first is the function, field or value.
    pub args: Vec<Arg>,
}

/// An operand.
#[derive(Clone, Debug)]
pub enum Arg {
    /// `true` / `false`.
    Bool(usize, bool),
    /// `.`.
    Dot(usize),
    /// `nil`.
    Nil(usize),
    /// A number or character constant.
    Number(Box<Number>),
    /// A string literal.
    String(Box<StringLit>),
    /// `.A.B`.
    Field(Field),
    /// `$x.A.B`.
    Variable(Variable),
    /// A function name.
    Identifier(usize, String),
    /// A parenthesized pipeline.
    Pipe(Box<Pipe>),
    /// `(pipeline).A.B` or `func.A`.
    Chain(Box<Chain>),
}

impl Arg {
    /// Byte position of the operand.
    pub fn pos(&self) -> usize {
        match self {
            Arg::Bool(p, _) | Arg::Dot(p) | Arg::Nil(p) | Arg::Identifier(p, _) => *p,
            Arg::Number(n) => n.pos,
            Arg::String(s) => s.pos,
            Arg::Field(f) => f.pos,
            Arg::Variable(v) => v.pos,
            Arg::Pipe(p) => p.pos,
            Arg::Chain(c) => c.pos,
        }
    }
}

/// `.A.B`: field names without dots.
#[derive(Clone, Debug)]
pub struct Field {
    /// Position.
    pub pos: usize,
    /// The names.
    pub idents: Vec<String>,
}

/// `$x.A.B`: the variable name (with `$`) followed by field names.
#[derive(Clone, Debug)]
pub struct Variable {
    /// Position.
    pub pos: usize,
    /// The names.
    pub idents: Vec<String>,
}

/// A term followed by field accesses.
#[derive(Clone, Debug)]
pub struct Chain {
    /// Position of the first field.
    pub pos: usize,
    /// The term.
    pub node: Arg,
    /// The field names.
    pub fields: Vec<String>,
}

/// A string literal.
#[derive(Clone, Debug)]
pub struct StringLit {
    /// Position.
    pub pos: usize,
    /// The literal as written, with quotes.
    pub quoted: String,
    /// The unquoted value.
    pub text: String,
}

/// A numeric constant, stored under every Go type that can represent it.
#[derive(Clone, Debug, Default)]
pub struct Number {
    /// Position.
    pub pos: usize,
    /// The literal as written.
    pub text: String,
    /// Representable as int64.
    pub is_int: bool,
    /// Representable as uint64.
    pub is_uint: bool,
    /// Representable as float64.
    pub is_float: bool,
    /// The int value.
    pub int: i64,
    /// The uint value.
    pub uint: u64,
    /// The float value.
    pub float: f64,
}

impl fmt::Display for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.nodes {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text(t) => f.write_str(&t.text),
            Node::Action(a) => write!(f, "{{{{{}}}}}", a.pipe),
            Node::If(b) => write_branch(f, "if", b),
            Node::Range(b) => write_branch(f, "range", b),
            Node::With(b) => write_branch(f, "with", b),
            Node::Template(t) => {
                write!(f, "{{{{template {}", super::quote::quote(&t.name, false))?;
                if let Some(p) = &t.pipe {
                    write!(f, " {p}")?;
                }
                f.write_str("}}")
            }
            Node::Break(_) => f.write_str("{{break}}"),
            Node::Continue(_) => f.write_str("{{continue}}"),
        }
    }
}

fn write_branch(f: &mut fmt::Formatter<'_>, name: &str, b: &Branch) -> fmt::Result {
    write!(f, "{{{{{name} {}}}}}{}", b.pipe, b.list)?;
    if let Some(e) = &b.else_list {
        write!(f, "{{{{else}}}}{e}")?;
    }
    f.write_str("{{end}}")
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{v}")?;
            }
            f.write_str(" := ")?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Arg::Pipe(p) = a {
                write!(f, "({p})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::String(s) => f.write_str(&s.quoted),
            Arg::Field(x) => write!(f, "{x}"),
            Arg::Variable(v) => write!(f, "{v}"),
            Arg::Identifier(_, name) => f.write_str(name),
            Arg::Pipe(p) => write!(f, "{p}"),
            Arg::Chain(c) => {
                if let Arg::Pipe(p) = &c.node {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{}", c.node)?;
                }
                for field in &c.fields {
                    write!(f, ".{field}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for id in &self.idents {
            write!(f, ".{id}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.idents.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_bytes() {
        let t = Tree {
            name: "t".into(),
            parse_name: "p".into(),
            text: Arc::from("ab\ncdé{{x}}"),
            root: List::default(),
        };
        assert_eq!(t.location(1), "p:1:1");
        assert_eq!(t.location(3), "p:2:0");
        assert_eq!(t.location(7), "p:2:4");
    }

    #[test]
    fn empty_trees() {
        let list = List {
            pos: 0,
            nodes: vec![Node::Text(TextNode {
                pos: 0,
                text: " \n\t".into(),
            })],
        };
        assert!(is_empty_list(&list));
        let list = List {
            pos: 0,
            nodes: vec![Node::Break(0)],
        };
        assert!(!is_empty_list(&list));
    }
}
