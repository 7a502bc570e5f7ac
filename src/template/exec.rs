//! The executor: walks a parsed [`Tree`] against a [`Value`] with Go's
//! semantics (truth, field/method/map-key resolution, `missingkey`, variable
//! scoping, `range`/`break`/`continue`, template calls, argument checking)
//! and Go's error messages (`template: t:1:5: executing "t" at <.Foo>: ...`).

use std::collections::HashMap;
use std::sync::Arc;

use super::fmt as gofmt;
use super::funcs::{Builtin, FuncMap, Function, SigRef, Signature, Type};
use super::node::*;
use super::quote::quote;
use super::value::{GoObject, Value};

/// Go's `missingkey` option: what a missing map key evaluates to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingKey {
    /// `missingkey=default`/`invalid`: no value (prints `<no value>`).
    #[default]
    Invalid,
    /// `missingkey=zero`: the zero value of the map's element type.
    Zero,
    /// `missingkey=error`: execution stops with an error.
    Error,
}

/// Limit on the nesting of template calls plus the control structures
/// (`if`, `with`, `range` bodies) being executed, checked at each template
/// call. Go allows 100000 template calls on growable stacks; Rust stacks are
/// fixed, so deep recursion fails here with Go's error message instead.
pub const MAX_EXEC_DEPTH: usize = 300;

/// What the executor needs from the template set.
pub struct Env<'a> {
    /// Templates by name.
    pub trees: &'a HashMap<String, Arc<Tree>>,
    /// Application functions.
    pub funcs: &'a FuncMap,
    /// The `missingkey` option.
    pub missing_key: MissingKey,
}

/// A value together with whether its static Go type is `interface {}` (it
/// came out of a `[]interface {}` or `map[string]interface {}`), which Go's
/// error messages and nil handling depend on.
#[derive(Clone, Default)]
struct Val {
    v: Value,
    iface: bool,
}

impl Val {
    fn plain(v: Value) -> Val {
        Val { v, iface: false }
    }
}

/// Control flow out of a list: normal, `{{break}}` or `{{continue}}`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

/// The node execution is at, for error messages.
#[derive(Clone, Copy)]
enum At<'a> {
    None,
    Node(&'a Node),
    Pipe(&'a Pipe),
    Cmd(&'a Command),
    Arg(&'a Arg),
}

enum Callee<'a> {
    Builtin(Builtin),
    User(&'a Function),
    Method(Arc<dyn GoObject>, Signature),
}

impl Callee<'_> {
    fn sig(&self) -> SigRef<'_> {
        match self {
            Callee::Builtin(b) => b.signature(),
            Callee::User(f) => f.sig.as_ref(),
            Callee::Method(_, s) => s.as_ref(),
        }
    }
}

type EResult<T> = Result<T, String>;

struct State<'a, 'o> {
    env: &'a Env<'a>,
    name: &'a str,
    tree: &'a Tree,
    out: &'o mut String,
    at: At<'a>,
    vars: Vec<(&'a str, Val)>,
    depth: usize,
}

/// Executes `tree` (registered as `name`) with `data` as dot, appending the
/// output to `out`. The error is Go's full message.
pub fn execute(
    env: &Env<'_>,
    name: &str,
    tree: &Tree,
    data: &Value,
    out: &mut String,
) -> Result<(), String> {
    let dot = Val::plain(data.clone());
    let mut s = State {
        env,
        name,
        tree,
        out,
        at: At::None,
        vars: vec![("$", dot.clone())],
        depth: 0,
    };
    s.walk_list(&dot, &tree.root).map(|_| ())
}

const NO_VALUE: &str = "<no value>";

impl<'a> State<'a, '_> {
    /// Go's `state.errorf`: prefixes the location and context of the current node.
    fn errorf<T>(&self, msg: impl std::fmt::Display) -> EResult<T> {
        let (pos, context) = match self.at {
            At::None => return Err(format!("template: {}: {}", self.name, msg)),
            At::Node(n) => (n.pos(), n.to_string()),
            At::Pipe(p) => (p.pos, p.to_string()),
            At::Cmd(c) => (c.pos, c.to_string()),
            At::Arg(a) => (a.pos(), a.to_string()),
        };
        Err(format!(
            "template: {}: executing {} at <{}>: {}",
            self.tree.location(pos),
            quote(self.name, false),
            context,
            msg
        ))
    }

    fn walk_list(&mut self, dot: &Val, list: &'a List) -> EResult<Flow> {
        self.depth += 1;
        for node in &list.nodes {
            let flow = self.walk(dot, node);
            if !matches!(flow, Ok(Flow::Normal)) {
                self.depth -= 1;
                return flow;
            }
        }
        self.depth -= 1;
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Val, node: &'a Node) -> EResult<Flow> {
        self.at = At::Node(node);
        match node {
            Node::Text(t) => self.out.push_str(&t.text),
            Node::Action(a) => {
                let val = self.eval_pipeline(dot, &a.pipe)?;
                if a.pipe.decl.is_empty() {
                    self.print_value(node, &val)?;
                }
            }
            Node::If(b) => return self.walk_if_with(false, dot, b),
            Node::With(b) => return self.walk_if_with(true, dot, b),
            Node::Range(b) => return self.walk_range(dot, node, b),
            Node::Template(t) => self.walk_template(dot, node, t)?,
            Node::Break(_) => return Ok(Flow::Break),
            Node::Continue(_) => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_if_with(&mut self, is_with: bool, dot: &Val, b: &'a Branch) -> EResult<Flow> {
        let mark = self.vars.len();
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let flow = if val.truth() {
            if is_with {
                self.walk_list(&Val::plain(val), &b.list)?
            } else {
                self.walk_list(dot, &b.list)?
            }
        } else if let Some(e) = &b.else_list {
            self.walk_list(dot, e)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn walk_range(&mut self, dot: &Val, node: &'a Node, r: &'a Branch) -> EResult<Flow> {
        self.at = At::Node(node);
        let outer = self.vars.len();
        let val = self.eval_pipeline(dot, &r.pipe)?;
        let mark = self.vars.len();
        let mut ran = false;
        match &*val.base() {
            Value::Slice(l) => {
                let iface = l.elem.is_interface();
                for (i, item) in l.items.iter().enumerate() {
                    ran = true;
                    let elem = Val {
                        v: item.clone(),
                        iface,
                    };
                    if self.one_iteration(r, mark, Value::from(i), elem)? == Flow::Break {
                        break;
                    }
                }
            }
            Value::Map(m) => {
                let iface = m.elem.is_interface();
                for (k, item) in &m.entries {
                    ran = true;
                    let elem = Val {
                        v: item.clone(),
                        iface,
                    };
                    if self.one_iteration(r, mark, Value::from(k.as_str()), elem)? == Flow::Break {
                        break;
                    }
                }
            }
            Value::Int(_) | Value::Uint(_) => {
                if r.pipe.decl.len() > 1 {
                    return self.errorf(format!(
                        "can't use {val} to iterate over more than one variable"
                    ));
                }
                let n = match &*val.base() {
                    Value::Int(i) => u64::try_from(*i).unwrap_or(0),
                    Value::Uint(u) => *u,
                    _ => 0,
                };
                let int = matches!(&*val.base(), Value::Int(_));
                for i in 0..n {
                    ran = true;
                    let v = if int {
                        Value::Int(i as i64)
                    } else {
                        Value::Uint(i)
                    };
                    if self.one_iteration(r, mark, Value::Nil, Val::plain(v))? == Flow::Break {
                        break;
                    }
                }
            }
            Value::Nil => {}
            _ => return self.errorf(format!("range can't iterate over {val}")),
        }
        let mut flow = Flow::Normal;
        if !ran && let Some(e) = &r.else_list {
            // A {{break}} in the else list only ends this range; {{continue}}
            // reaches the enclosing one.
            if self.walk_list(dot, e)? == Flow::Continue {
                flow = Flow::Continue;
            }
        }
        self.vars.truncate(outer);
        Ok(flow)
    }

    fn one_iteration(
        &mut self,
        r: &'a Branch,
        mark: usize,
        index: Value,
        elem: Val,
    ) -> EResult<Flow> {
        let decl = &r.pipe.decl;
        if r.pipe.is_assign {
            if let Some(v) = decl.last() {
                self.set_var(&v.idents[0], elem.clone())?;
            }
            if decl.len() > 1 {
                self.set_var(&decl[0].idents[0], Val::plain(index))?;
            }
        } else {
            if !decl.is_empty() {
                self.vars[mark - 1].1 = elem.clone();
            }
            if decl.len() > 1 {
                self.vars[mark - 2].1 = Val::plain(index);
            }
        }
        let flow = self.walk_list(&elem, &r.list)?;
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn walk_template(&mut self, dot: &Val, node: &'a Node, t: &'a TemplateNode) -> EResult<()> {
        self.at = At::Node(node);
        let Some(tree) = self.env.trees.get(&t.name) else {
            return self.errorf(format!("template {} not defined", quote(&t.name, false)));
        };
        if self.depth >= MAX_EXEC_DEPTH {
            return self.errorf(format!(
                "exceeded maximum template depth ({MAX_EXEC_DEPTH})"
            ));
        }
        let new_dot = match &t.pipe {
            Some(p) => Val::plain(self.eval_pipeline(dot, p)?),
            None => Val::default(),
        };
        let tree: &'a Tree = tree;
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$", new_dot.clone())]);
        let saved_name = std::mem::replace(&mut self.name, &tree.name);
        let saved_tree = std::mem::replace(&mut self.tree, tree);
        let r = self.walk_list(&new_dot, &tree.root);
        self.tree = saved_tree;
        self.name = saved_name;
        self.vars = saved_vars;
        r.map(|_| ())
    }

    fn print_value(&mut self, node: &'a Node, v: &Value) -> EResult<()> {
        self.at = At::Node(node);
        match v {
            Value::Nil => self.out.push_str(NO_VALUE),
            Value::String(s) => self.out.push_str(s),
            Value::Func(_) => {
                return self.errorf(format!("can't print {node} of type {}", v.type_name()));
            }
            _ => gofmt::write_value(self.out, v),
        }
        Ok(())
    }

    fn set_var(&mut self, name: &str, v: Val) -> EResult<()> {
        for (n, val) in self.vars.iter_mut().rev() {
            if *n == name {
                *val = v;
                return Ok(());
            }
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    fn var_value(&self, name: &str) -> EResult<Val> {
        for (n, val) in self.vars.iter().rev() {
            if *n == name {
                return Ok(val.clone());
            }
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    fn eval_pipeline(&mut self, dot: &Val, pipe: &'a Pipe) -> EResult<Value> {
        self.at = At::Pipe(pipe);
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?.v);
        }
        let value = value.unwrap_or_default();
        for var in &pipe.decl {
            let name: &'a str = &var.idents[0];
            if pipe.is_assign {
                self.set_var(name, Val::plain(value.clone()))?;
            } else {
                self.vars.push((name, Val::plain(value.clone())));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, first: &Arg, args: &[Arg], fin: &Option<Value>) -> EResult<()> {
        if !args.is_empty() || fin.is_some() {
            return self.errorf(format!("can't give argument to non-function {first}"));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Val, cmd: &'a Command, fin: Option<Value>) -> EResult<Val> {
        let first = &cmd.args[0];
        let args = &cmd.args[1..];
        match first {
            Arg::Field(f) => return self.eval_field_node(dot, first, f, args, fin),
            Arg::Chain(c) => return self.eval_chain_node(dot, first, c, args, fin),
            Arg::Identifier(_, name) => {
                return self
                    .eval_function(dot, first, name, At::Cmd(cmd), args, fin)
                    .map(Val::plain);
            }
            Arg::Pipe(p) => {
                self.not_a_function(first, args, &fin)?;
                return self.eval_pipeline(dot, p).map(Val::plain);
            }
            Arg::Variable(v) => return self.eval_variable_node(dot, first, v, args, fin),
            _ => {}
        }
        self.at = At::Arg(first);
        self.not_a_function(first, args, &fin)?;
        Ok(Val::plain(match first {
            Arg::Bool(_, b) => Value::Bool(*b),
            Arg::Dot(_) => return Ok(dot.clone()),
            Arg::Nil(_) => return self.errorf("nil is not a command"),
            Arg::Number(n) => self.ideal_constant(n)?,
            Arg::String(s) => Value::from(s.text.as_str()),
            _ => {
                return self.errorf(format!(
                    "can't evaluate command {}",
                    quote(&first.to_string(), false)
                ));
            }
        }))
    }

    /// Go's `idealConstant`: a number whose type only its syntax tells.
    fn ideal_constant(&self, n: &Number) -> EResult<Value> {
        let t = n.text.as_str();
        let hex_int = t.len() > 2
            && t.starts_with('0')
            && matches!(t.as_bytes()[1], b'x' | b'X')
            && !t.contains(['p', 'P']);
        let rune = t.starts_with('\'');
        if n.is_float && !hex_int && !rune && t.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float(n.float));
        }
        if n.is_int {
            return Ok(Value::Int(n.int));
        }
        if n.is_uint {
            return self.errorf(format!("{t} overflows int"));
        }
        Ok(Value::Nil)
    }

    fn eval_field_node(
        &mut self,
        dot: &Val,
        node: &'a Arg,
        f: &'a Field,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> EResult<Val> {
        self.at = At::Arg(node);
        self.eval_field_chain(dot, dot.clone(), node, &f.idents, args, fin)
    }

    fn eval_chain_node(
        &mut self,
        dot: &Val,
        node: &'a Arg,
        c: &'a Chain,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> EResult<Val> {
        self.at = At::Arg(node);
        if c.fields.is_empty() {
            return self.errorf("internal error: no fields in evalChainNode");
        }
        if let Arg::Nil(_) = c.node {
            return self.errorf(format!("indirection through explicit nil in {node}"));
        }
        let pipe = self.eval_arg(dot, None, &c.node)?;
        self.eval_field_chain(dot, Val::plain(pipe), node, &c.fields, args, fin)
    }

    fn eval_variable_node(
        &mut self,
        dot: &Val,
        node: &'a Arg,
        v: &'a Variable,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> EResult<Val> {
        self.at = At::Arg(node);
        let value = self.var_value(&v.idents[0])?;
        if v.idents.len() == 1 {
            self.not_a_function(node, args, &fin)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, node, &v.idents[1..], args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Val,
        receiver: Val,
        node: &'a Arg,
        idents: &'a [String],
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> EResult<Val> {
        let n = idents.len();
        let mut r = receiver;
        for id in &idents[..n - 1] {
            r = self.eval_field(dot, id, node, &[], None, r)?;
        }
        self.eval_field(dot, &idents[n - 1], node, args, fin, r)
    }

    fn eval_field(
        &mut self,
        dot: &Val,
        name: &str,
        node: &'a Arg,
        args: &'a [Arg],
        fin: Option<Value>,
        receiver: Val,
    ) -> EResult<Val> {
        let Val { v: recv, iface } = receiver;
        if recv.is_nil() {
            if iface {
                return self.errorf(format!("nil pointer evaluating interface {{}}.{name}"));
            }
            if self.env.missing_key == MissingKey::Error {
                return self.errorf(format!("nil data; no entry for key {}", quote(name, false)));
            }
            return Ok(Val::default());
        }
        if let Value::Object(o) = &recv
            && let Some(sig) = o.method(name)
        {
            let callee = Callee::Method(o.clone(), sig);
            return self
                .eval_call(dot, callee, At::Arg(node), name, args, fin)
                .map(Val::plain);
        }
        let has_args = !args.is_empty() || fin.is_some();
        if let Value::Object(o) = &recv
            && o.underlying().is_none()
            && let Some(field) = o.field(name)
        {
            if has_args {
                return self.errorf(format!(
                    "{name} has arguments but cannot be invoked as function"
                ));
            }
            return Ok(Val::plain(field));
        }
        if let Value::Map(m) = &*recv.base() {
            if has_args {
                return self.errorf(format!("{name} is not a method but has arguments"));
            }
            let iface = m.elem.is_interface();
            return match m.entries.get(name) {
                Some(v) => Ok(Val {
                    v: v.clone(),
                    iface,
                }),
                None => match self.env.missing_key {
                    MissingKey::Invalid => Ok(Val::default()),
                    MissingKey::Zero => Ok(Val {
                        v: m.elem.zero(),
                        iface,
                    }),
                    MissingKey::Error => {
                        self.errorf(format!("map has no entry for key {}", quote(name, false)))
                    }
                },
            };
        }
        let type_name = if iface {
            "interface {}".to_string()
        } else {
            recv.type_name().into_owned()
        };
        self.errorf(format!("can't evaluate field {name} in type {type_name}"))
    }

    fn eval_function(
        &mut self,
        dot: &Val,
        node: &'a Arg,
        name: &str,
        call_node: At<'a>,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> EResult<Value> {
        self.at = At::Arg(node);
        let callee = if let Some(f) = self.env.funcs.get(name) {
            Callee::User(f)
        } else if let Some(b) = Builtin::lookup(name) {
            Callee::Builtin(b)
        } else {
            return self.errorf(format!("{} is not a defined function", quote(name, false)));
        };
        self.eval_call(dot, callee, call_node, name, args, fin)
    }

    fn eval_call(
        &mut self,
        dot: &Val,
        callee: Callee<'a>,
        node: At<'a>,
        name: &str,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> EResult<Value> {
        let sig = callee.sig();
        let num_in = args.len() + usize::from(fin.is_some());
        let num_fixed;
        if sig.variadic.is_some() {
            num_fixed = sig.params.len();
            if num_in < num_fixed {
                return self.errorf(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    sig.params.len(),
                    args.len()
                ));
            }
        } else {
            num_fixed = args.len();
            if num_in != sig.params.len() {
                return self.errorf(format!(
                    "wrong number of args for {name}: want {} got {num_in}",
                    sig.params.len()
                ));
            }
        }
        if let Callee::Builtin(b @ (Builtin::And | Builtin::Or)) = callee {
            let is_or = b == Builtin::Or;
            let mut v = Value::Nil;
            for arg in args {
                v = self.eval_arg(dot, Some(&Type::Reflect), arg)?;
                if v.truth() == is_or {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }
        let mut argv: Vec<Value> = Vec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            let v = self.eval_arg(dot, Some(&sig.params[i]), &args[i])?;
            argv.push(v);
            i += 1;
        }
        if let Some(vt) = sig.variadic {
            while i < args.len() {
                let v = self.eval_arg(dot, Some(vt), &args[i])?;
                argv.push(v);
                i += 1;
            }
        }
        if let Some(f) = fin {
            let t = match sig.variadic {
                Some(vt) => {
                    if num_in - 1 < num_fixed {
                        &sig.params[num_in - 1]
                    } else {
                        vt
                    }
                }
                None => &sig.params[sig.params.len() - 1],
            };
            let v = self.validate_type(Val::plain(f), Some(t))?;
            argv.push(v);
        }
        let result = match &callee {
            Callee::Builtin(b) => b.call(&argv),
            Callee::User(f) => (f.imp)(&argv),
            Callee::Method(o, _) => o.call_method(name, &argv),
        };
        match result {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at = node;
                self.errorf(format!("error calling {name}: {e}"))
            }
        }
    }

    fn validate_type(&self, val: Val, typ: Option<&Type>) -> EResult<Value> {
        let Some(t) = typ else {
            return Ok(val.v);
        };
        if val.v.is_nil() {
            if val.iface {
                return match t {
                    Type::Any | Type::Reflect => Ok(Value::Nil),
                    _ => self.errorf(format!(
                        "wrong type for value; expected {}; got interface {{}}",
                        t.name()
                    )),
                };
            }
            if t.nillable() {
                return Ok(Value::Nil);
            }
            return self.errorf(format!("invalid value; expected {}", t.name()));
        }
        match t.assign(&val.v) {
            Some(v) => Ok(v),
            None => self.errorf(format!(
                "wrong type for value; expected {}; got {}",
                t.name(),
                val.v.type_name()
            )),
        }
    }

    fn eval_arg(&mut self, dot: &Val, typ: Option<&Type>, n: &'a Arg) -> EResult<Value> {
        self.at = At::Arg(n);
        let v = match n {
            Arg::Dot(_) => dot.clone(),
            Arg::Nil(_) => {
                return match typ {
                    Some(t) if !t.nillable() => {
                        self.errorf(format!("cannot assign nil to {}", t.name()))
                    }
                    _ => Ok(Value::Nil),
                };
            }
            Arg::Field(f) => self.eval_field_node(dot, n, f, &[], None)?,
            Arg::Variable(v) => self.eval_variable_node(dot, n, v, &[], None)?,
            Arg::Pipe(p) => Val::plain(self.eval_pipeline(dot, p)?),
            Arg::Identifier(_, name) => {
                Val::plain(self.eval_function(dot, n, name, At::Arg(n), &[], None)?)
            }
            Arg::Chain(c) => self.eval_chain_node(dot, n, c, &[], None)?,
            Arg::Bool(..) | Arg::Number(_) | Arg::String(_) => return self.eval_literal(typ, n),
        };
        self.validate_type(v, typ)
    }

    /// A literal argument converted to the parameter type (Go's `evalBool`,
    /// `evalInteger`, ..., `evalEmptyInterface`).
    fn eval_literal(&self, typ: Option<&Type>, n: &'a Arg) -> EResult<Value> {
        match (typ, n) {
            (None | Some(Type::Any | Type::Reflect), _) => match n {
                Arg::Bool(_, b) => Ok(Value::Bool(*b)),
                Arg::Number(num) => self.ideal_constant(num),
                Arg::String(s) => Ok(Value::from(s.text.as_str())),
                _ => self.errorf(format!(
                    "can't handle assignment of {n} to empty interface argument"
                )),
            },
            (Some(Type::Bool), Arg::Bool(_, b)) => Ok(Value::Bool(*b)),
            (Some(Type::Bool), _) => self.errorf(format!("expected bool; found {n}")),
            (Some(Type::Int), Arg::Number(num)) if num.is_int => Ok(Value::Int(num.int)),
            (Some(Type::Int), _) => self.errorf(format!("expected integer; found {n}")),
            (Some(Type::Uint), Arg::Number(num)) if num.is_uint => Ok(Value::Uint(num.uint)),
            (Some(Type::Uint), _) => self.errorf(format!("expected unsigned integer; found {n}")),
            (Some(Type::Float), Arg::Number(num)) if num.is_float => Ok(Value::Float(num.float)),
            (Some(Type::Float), _) => self.errorf(format!("expected float; found {n}")),
            (Some(Type::String), Arg::String(s)) => Ok(Value::from(s.text.as_str())),
            (Some(Type::String), _) => self.errorf(format!("expected string; found {n}")),
            (Some(t @ Type::Named { .. }), _) => {
                self.errorf(format!("can't handle {n} for arg of type {}", t.name()))
            }
        }
    }
}
