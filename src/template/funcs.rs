//! Template functions: the registry of application functions ([`FuncMap`]),
//! Go-style parameter types used to check and convert arguments, and the
//! builtins (`and or not len index slice print printf println html js
//! urlquery eq ne lt le gt ge call`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use super::escape;
use super::fmt as gofmt;
use super::value::{Kind, Value};

/// A Go parameter type, as far as argument checking needs it.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    /// `interface {}`: anything.
    Any,
    /// `reflect.Value` (the builtins' parameters): anything.
    Reflect,
    /// `bool`.
    Bool,
    /// `int`.
    Int,
    /// `uint`.
    Uint,
    /// `float64`.
    Float,
    /// `string`.
    String,
    /// Another type, by its Go name (`[]string`, `time.Time`, ...). Values
    /// whose [`Value::type_name`] matches are accepted; objects whose
    /// underlying value has that (unnamed) type are passed as that value.
    Named {
        /// The Go type name.
        name: Cow<'static, str>,
        /// Whether `nil` may be passed (slices, maps, pointers, interfaces).
        nillable: bool,
    },
}

impl Type {
    /// A named type.
    pub fn named(name: impl Into<Cow<'static, str>>, nillable: bool) -> Type {
        Type::Named {
            name: name.into(),
            nillable,
        }
    }

    /// The Go spelling of the type.
    pub fn name(&self) -> &str {
        match self {
            Type::Any => "interface {}",
            Type::Reflect => "reflect.Value",
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Uint => "uint",
            Type::Float => "float64",
            Type::String => "string",
            Type::Named { name, .. } => name,
        }
    }

    /// Whether an untyped nil can be assigned to the type.
    pub fn nillable(&self) -> bool {
        match self {
            Type::Any | Type::Reflect => true,
            Type::Named { nillable, .. } => *nillable,
            _ => false,
        }
    }

    /// Go assignability of a (non-nil) value to this type: the value to pass,
    /// or `None`.
    pub fn assign(&self, v: &Value) -> Option<Value> {
        let ok = match self {
            Type::Any | Type::Reflect => true,
            Type::Bool => matches!(v, Value::Bool(_)),
            Type::Int => matches!(v, Value::Int(_)),
            Type::Uint => matches!(v, Value::Uint(_)),
            Type::Float => matches!(v, Value::Float(_)),
            Type::String => matches!(v, Value::String(_)),
            Type::Named { name, .. } => {
                if v.type_name() == name.as_ref() {
                    true
                } else if let Value::Object(o) = v
                    && (name.starts_with('[') || name.starts_with("map["))
                    && let Some(u) = o.underlying()
                    && u.type_name() == name.as_ref()
                {
                    return Some(u);
                } else {
                    false
                }
            }
        };
        ok.then(|| v.clone())
    }
}

/// A function or method signature: fixed parameters and an optional
/// variadic element type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Signature {
    /// Fixed parameters.
    pub params: Vec<Type>,
    /// The element type of a final `...T` parameter.
    pub variadic: Option<Type>,
}

impl Signature {
    /// A signature with fixed parameters.
    pub fn new(params: Vec<Type>) -> Signature {
        Signature {
            params,
            variadic: None,
        }
    }

    /// A signature with fixed parameters and a variadic tail.
    pub fn variadic(params: Vec<Type>, rest: Type) -> Signature {
        Signature {
            params,
            variadic: Some(rest),
        }
    }

    /// The borrowed view the executor works with.
    pub fn as_ref(&self) -> SigRef<'_> {
        SigRef {
            params: &self.params,
            variadic: self.variadic.as_ref(),
        }
    }
}

/// A borrowed signature.
#[derive(Clone, Copy, Debug)]
pub struct SigRef<'a> {
    /// Fixed parameters.
    pub params: &'a [Type],
    /// Variadic element type.
    pub variadic: Option<&'a Type>,
}

/// The implementation of a template function: arguments already checked
/// against the signature; an `Err` becomes `error calling NAME: ...`.
pub type FuncImpl = dyn Fn(&[Value]) -> Result<Value, String> + Send + Sync;

/// A template function.
#[derive(Clone)]
pub struct Function {
    /// Its signature.
    pub sig: Signature,
    /// Its Go type name (for `%T` and error messages), e.g. `func(string) string`.
    pub type_name: String,
    /// The implementation.
    pub imp: Arc<FuncImpl>,
}

impl Function {
    /// A function with the given signature.
    pub fn new(
        sig: Signature,
        imp: impl Fn(&[Value]) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Function {
        let mut params: Vec<String> = sig.params.iter().map(|t| t.name().to_string()).collect();
        if let Some(v) = &sig.variadic {
            params.push(format!("...{}", v.name()));
        }
        Function {
            type_name: format!("func({})", params.join(", ")),
            sig,
            imp: Arc::new(imp),
        }
    }
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.type_name)
    }
}

/// Application functions by name (Go's `template.FuncMap`).
#[derive(Clone, Debug, Default)]
pub struct FuncMap {
    funcs: HashMap<String, Function>,
}

impl FuncMap {
    /// An empty map.
    pub fn new() -> FuncMap {
        FuncMap::default()
    }

    /// Adds (or replaces) a function.
    pub fn insert(&mut self, name: impl Into<String>, f: Function) -> &mut Self {
        self.funcs.insert(name.into(), f);
        self
    }

    /// Adds a function from a signature and a closure.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        sig: Signature,
        imp: impl Fn(&[Value]) -> Result<Value, String> + Send + Sync + 'static,
    ) -> &mut Self {
        self.insert(name, Function::new(sig, imp))
    }

    /// Looks a function up.
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.funcs.get(name)
    }

    /// Whether a function exists.
    pub fn contains(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }

    /// Adds every function of `other`, replacing same-named ones.
    pub fn extend(&mut self, other: &FuncMap) {
        for (k, v) in &other.funcs {
            self.funcs.insert(k.clone(), v.clone());
        }
    }
}

/// The builtin functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `and`.
    And,
    /// `or`.
    Or,
    /// `not`.
    Not,
    /// `len`.
    Len,
    /// `index`.
    Index,
    /// `slice`.
    Slice,
    /// `print`.
    Print,
    /// `printf`.
    Printf,
    /// `println`.
    Println,
    /// `html`.
    Html,
    /// `js`.
    Js,
    /// `urlquery`.
    Urlquery,
    /// `eq`.
    Eq,
    /// `ne`.
    Ne,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `call`.
    Call,
}

const ONE_VALUE: &[Type] = &[Type::Reflect];
const TWO_VALUES: &[Type] = &[Type::Reflect, Type::Reflect];
const FORMAT: &[Type] = &[Type::String];

impl Builtin {
    /// Looks a builtin up by name.
    pub fn lookup(name: &str) -> Option<Builtin> {
        Some(match name {
            "and" => Builtin::And,
            "or" => Builtin::Or,
            "not" => Builtin::Not,
            "len" => Builtin::Len,
            "index" => Builtin::Index,
            "slice" => Builtin::Slice,
            "print" => Builtin::Print,
            "printf" => Builtin::Printf,
            "println" => Builtin::Println,
            "html" => Builtin::Html,
            "js" => Builtin::Js,
            "urlquery" => Builtin::Urlquery,
            "eq" => Builtin::Eq,
            "ne" => Builtin::Ne,
            "lt" => Builtin::Lt,
            "le" => Builtin::Le,
            "gt" => Builtin::Gt,
            "ge" => Builtin::Ge,
            "call" => Builtin::Call,
            _ => return None,
        })
    }

    /// The Go signature.
    pub fn signature(self) -> SigRef<'static> {
        use Builtin::*;
        let (params, variadic): (&'static [Type], Option<&'static Type>) = match self {
            And | Or | Index | Slice | Eq | Call => (ONE_VALUE, Some(&Type::Reflect)),
            Not | Len => (ONE_VALUE, None),
            Ne | Lt | Le | Gt | Ge => (TWO_VALUES, None),
            Print | Println | Html | Js | Urlquery => (&[], Some(&Type::Any)),
            Printf => (FORMAT, Some(&Type::Any)),
        };
        SigRef { params, variadic }
    }

    /// Runs the builtin on arguments already checked against its signature
    /// (`and`/`or` are evaluated lazily by the executor).
    pub fn call(self, args: &[Value]) -> Result<Value, String> {
        use Builtin::*;
        let sig = self.signature();
        if args.len() < sig.params.len()
            || (sig.variadic.is_none() && args.len() > sig.params.len())
        {
            return Err(format!("wrong number of args: got {}", args.len()));
        }
        match self {
            And | Or => Ok(args.last().cloned().unwrap_or_default()),
            Not => Ok(Value::Bool(!args[0].truth())),
            Len => length(&args[0]),
            Index => index(&args[0], &args[1..]),
            Slice => slice(&args[0], &args[1..]),
            Print => Ok(Value::from(gofmt::sprint(args))),
            Printf => {
                let format = args[0].as_str().unwrap_or_default();
                Ok(Value::from(gofmt::sprintf(format, &args[1..])))
            }
            Println => Ok(Value::from(gofmt::sprintln(args))),
            Html => Ok(Value::from(escape::html_escape(&eval_args(args)))),
            Js => Ok(Value::from(escape::js_escape(&eval_args(args)))),
            Urlquery => Ok(Value::from(escape::url_query_escape(&eval_args(args)))),
            Eq => eq(&args[0], &args[1..]).map(Value::Bool),
            Ne => eq(&args[0], &args[1..2]).map(|b| Value::Bool(!b)),
            Lt => lt(&args[0], &args[1]).map(Value::Bool),
            Le => le(&args[0], &args[1]).map(Value::Bool),
            Gt => le(&args[0], &args[1]).map(|b| Value::Bool(!b)),
            Ge => lt(&args[0], &args[1]).map(|b| Value::Bool(!b)),
            Call => call(&args[0], &args[1..]),
        }
    }
}

/// Go's `evalArgs`: the `fmt.Sprint` of the arguments (a single string is
/// used as is).
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    gofmt::sprint(args)
}

const ZERO_VALUE_TYPE: &str = "reflect: call of reflect.Value.Type on zero Value";

fn length(v: &Value) -> Result<Value, String> {
    if v.is_nil() {
        return Err(ZERO_VALUE_TYPE.into());
    }
    match v.len() {
        Some(n) => Ok(Value::from(n)),
        None => Err(format!("len of type {}", v.type_name())),
    }
}

/// Go's `indexArg`.
fn index_arg(index: &Value, cap: usize) -> Result<usize, String> {
    let x: i128 = match &*index.base() {
        Value::Int(i) => i128::from(*i),
        Value::Uint(u) => i128::from(*u as i64),
        Value::Nil => return Err("cannot index slice/array with nil".into()),
        _ => {
            return Err(format!(
                "cannot index slice/array with type {}",
                index.type_name()
            ));
        }
    };
    if x < 0 || x > cap as i128 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

/// The `index` builtin: `index x 1 2` is `x[1][2]`.
pub fn index(item: &Value, indexes: &[Value]) -> Result<Value, String> {
    if item.is_nil() {
        return Err("index of untyped nil".into());
    }
    let mut item = item.clone();
    for ix in indexes {
        let base = item.base().into_owned();
        item = match &base {
            Value::String(s) => {
                let x = index_arg(ix, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => Value::Uint(u64::from(*b)),
                    None => return Err("reflect: string index out of range".into()),
                }
            }
            Value::Slice(l) => {
                let x = index_arg(ix, l.items.len())?;
                match l.items.get(x) {
                    Some(v) => v.clone(),
                    None => return Err("reflect: slice index out of range".into()),
                }
            }
            Value::Map(m) => {
                let key = match ix {
                    Value::String(k) => k.clone(),
                    Value::Nil => {
                        return Err("value is nil; should be of type string".into());
                    }
                    other => match &*other.base() {
                        Value::String(k) => k.clone(),
                        _ => {
                            return Err(format!(
                                "value has type {}; should be string",
                                other.type_name()
                            ));
                        }
                    },
                };
                match m.entries.get(key.as_ref()) {
                    Some(v) => v.clone(),
                    None => m.elem.zero(),
                }
            }
            Value::Nil => return Err("index of nil pointer".into()),
            _ => {
                return Err(format!("can't index item of type {}", item.type_name()));
            }
        };
    }
    Ok(item)
}

/// The `slice` builtin: `slice x 1 2` is `x[1:2]`.
pub fn slice(item: &Value, indexes: &[Value]) -> Result<Value, String> {
    if item.is_nil() {
        return Err("slice of untyped nil".into());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let base = item.base().into_owned();
    let len = match &base {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::Slice(l) => l.items.len(),
        _ => return Err(format!("can't slice item of type {}", item.type_name())),
    };
    let mut idx = [0, len, len];
    for (i, ix) in indexes.iter().enumerate() {
        idx[i] = index_arg(ix, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(match &base {
        Value::String(s) => {
            let bytes = &s.as_bytes()[idx[0]..idx[1]];
            Value::from(String::from_utf8_lossy(bytes).into_owned())
        }
        Value::Slice(l) => Value::typed_slice(l.elem.clone(), l.items[idx[0]..idx[1]].to_vec()),
        _ => Value::Nil,
    })
}

/// Go's `basicKind` classes for comparison.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BasicKind {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    String,
}

const BAD_COMPARISON_TYPE: &str = "invalid type for comparison";
const BAD_COMPARISON: &str = "incompatible types for comparison";
const NO_COMPARISON: &str = "missing argument for comparison";

fn basic_kind(v: &Value) -> BasicKind {
    match &*v.base() {
        Value::Bool(_) => BasicKind::Bool,
        Value::Int(_) => BasicKind::Int,
        Value::Uint(_) => BasicKind::Uint,
        Value::Float(_) => BasicKind::Float,
        Value::String(_) => BasicKind::String,
        _ => BasicKind::Invalid,
    }
}

fn as_int(v: &Value) -> i64 {
    match &*v.base() {
        Value::Int(i) => *i,
        _ => 0,
    }
}

fn as_uint(v: &Value) -> u64 {
    match &*v.base() {
        Value::Uint(u) => *u,
        _ => 0,
    }
}

fn as_float(v: &Value) -> f64 {
    match &*v.base() {
        Value::Float(f) => *f,
        _ => 0.0,
    }
}

fn as_bool(v: &Value) -> bool {
    matches!(&*v.base(), Value::Bool(true))
}

fn as_string(v: &Value) -> Arc<str> {
    match &*v.base() {
        Value::String(s) => s.clone(),
        _ => Arc::from(""),
    }
}

/// The `eq` builtin: `arg1 == arg2 || arg1 == arg3 || ...`.
pub fn eq(arg1: &Value, rest: &[Value]) -> Result<bool, String> {
    if rest.is_empty() {
        return Err(NO_COMPARISON.into());
    }
    let k1 = basic_kind(arg1);
    for arg in rest {
        let k2 = basic_kind(arg);
        let truth = if k1 != k2 {
            match (k1, k2) {
                (BasicKind::Int, BasicKind::Uint) => {
                    as_int(arg1) >= 0 && as_int(arg1) as u64 == as_uint(arg)
                }
                (BasicKind::Uint, BasicKind::Int) => {
                    as_int(arg) >= 0 && as_uint(arg1) == as_int(arg) as u64
                }
                _ => {
                    if !arg1.is_nil() && !arg.is_nil() {
                        return Err(BAD_COMPARISON.into());
                    }
                    false
                }
            }
        } else {
            match k1 {
                BasicKind::Bool => as_bool(arg1) == as_bool(arg),
                BasicKind::Float => as_float(arg1) == as_float(arg),
                BasicKind::Int => as_int(arg1) == as_int(arg),
                BasicKind::Uint => as_uint(arg1) == as_uint(arg),
                BasicKind::String => as_string(arg1) == as_string(arg),
                BasicKind::Invalid => eq_composite(arg1, arg)?,
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `eq` on non-basic values: nil compares with nil; slices, maps and
/// functions are not comparable; objects decide themselves.
fn eq_composite(a: &Value, b: &Value) -> Result<bool, String> {
    let (ka, kb) = (a.kind(), b.kind());
    if ka != kb && ka != Kind::Invalid && kb != Kind::Invalid {
        return Err(format!(
            "non-comparable types {}: {}, {}: {}",
            gofmt::sprintf("%s", std::slice::from_ref(a)),
            a.type_name(),
            b.type_name(),
            b
        ));
    }
    if a.is_nil() || b.is_nil() {
        return Ok(a.is_nil() == b.is_nil());
    }
    let not_comparable = || {
        format!(
            "non-comparable type {}: {}",
            gofmt::sprintf("%s", std::slice::from_ref(b)),
            b.type_name()
        )
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.type_name() != y.type_name() {
                return Ok(false);
            }
            x.equal(y.as_ref()).ok_or_else(not_comparable)
        }
        _ => Err(not_comparable()),
    }
}

/// The `lt` builtin.
pub fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    let k1 = basic_kind(a);
    if k1 == BasicKind::Invalid {
        return Err(BAD_COMPARISON_TYPE.into());
    }
    let k2 = basic_kind(b);
    if k2 == BasicKind::Invalid {
        return Err(BAD_COMPARISON_TYPE.into());
    }
    if k1 != k2 {
        return match (k1, k2) {
            (BasicKind::Int, BasicKind::Uint) => {
                Ok(as_int(a) < 0 || (as_int(a) as u64) < as_uint(b))
            }
            (BasicKind::Uint, BasicKind::Int) => {
                Ok(as_int(b) >= 0 && as_uint(a) < as_int(b) as u64)
            }
            _ => Err(BAD_COMPARISON.into()),
        };
    }
    match k1 {
        BasicKind::Bool | BasicKind::Invalid => Err(BAD_COMPARISON_TYPE.into()),
        BasicKind::Float => Ok(as_float(a) < as_float(b)),
        BasicKind::Int => Ok(as_int(a) < as_int(b)),
        BasicKind::Uint => Ok(as_uint(a) < as_uint(b)),
        BasicKind::String => Ok(as_string(a) < as_string(b)),
    }
}

/// The `le` builtin.
pub fn le(a: &Value, b: &Value) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(a, std::slice::from_ref(b))
}

/// The `call` builtin.
fn call(f: &Value, args: &[Value]) -> Result<Value, String> {
    let func = match f {
        Value::Nil => return Err("call of nil".into()),
        Value::Func(func) => func,
        other => return Err(format!("non-function of type {}", other.type_name())),
    };
    let sig = &func.sig;
    let n = sig.params.len();
    match &sig.variadic {
        Some(_) if args.len() < n => {
            return Err(format!(
                "wrong number of args: got {} want at least {}",
                args.len(),
                n
            ));
        }
        None if args.len() != n => {
            return Err(format!(
                "wrong number of args: got {} want {}",
                args.len(),
                n
            ));
        }
        _ => {}
    }
    let mut argv = Vec::with_capacity(args.len());
    for (i, arg) in args.iter().enumerate() {
        let ty = sig
            .params
            .get(i)
            .or(sig.variadic.as_ref())
            .unwrap_or(&Type::Any);
        if arg.is_nil() {
            if !ty.nillable() {
                return Err(format!(
                    "arg {i}: value is nil; should be of type {}",
                    ty.name()
                ));
            }
            argv.push(Value::Nil);
            continue;
        }
        match ty.assign(arg) {
            Some(v) => argv.push(v),
            None => {
                // Integer kinds convert to each other.
                let converted = match (ty, &*arg.base()) {
                    (Type::Int, Value::Uint(u)) => Some(Value::Int(*u as i64)),
                    (Type::Uint, Value::Int(i)) => Some(Value::Uint(*i as u64)),
                    _ => None,
                };
                match converted {
                    Some(v) => argv.push(v),
                    None => {
                        return Err(format!(
                            "arg {i}: value has type {}; should be {}",
                            arg.type_name(),
                            ty.name()
                        ));
                    }
                }
            }
        }
    }
    (func.imp)(&argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::from(x)
    }

    #[test]
    fn comparisons() {
        assert_eq!(
            eq(&Value::Int(1), &[Value::Int(2), Value::Int(1)]),
            Ok(true)
        );
        assert_eq!(eq(&Value::Int(1), &[s("1")]), Err(BAD_COMPARISON.into()));
        assert_eq!(eq(&Value::Nil, &[s("1")]), Ok(false));
        assert_eq!(eq(&Value::Nil, &[Value::Nil]), Ok(true));
        assert_eq!(eq(&Value::Int(1), &[Value::Uint(1)]), Ok(true));
        assert_eq!(eq(&Value::Int(1), &[]), Err(NO_COMPARISON.into()));
        assert_eq!(lt(&s("a"), &s("b")), Ok(true));
        assert_eq!(lt(&Value::Int(-1), &Value::Uint(0)), Ok(true));
        assert_eq!(
            lt(&Value::Bool(true), &Value::Bool(false)),
            Err(BAD_COMPARISON_TYPE.into())
        );
        assert_eq!(
            lt(&Value::Nil, &Value::Int(1)),
            Err(BAD_COMPARISON_TYPE.into())
        );
        assert_eq!(le(&Value::Int(2), &Value::Int(2)), Ok(true));
        let l = Value::slice(vec![Value::Int(1)]);
        assert_eq!(
            eq(&l, std::slice::from_ref(&l)),
            Err("non-comparable type [%!s(int=1)]: []interface {}".into())
        );
    }

    #[test]
    fn indexing_and_slicing() {
        let l = Value::slice(vec![s("a"), s("b"), s("c")]);
        assert_eq!(
            index(&l, &[Value::Int(1)]).map(|v| v.to_string()),
            Ok("b".into())
        );
        assert_eq!(
            index(&l, &[Value::Int(3)]).map(|v| v.to_string()),
            Err("reflect: slice index out of range".into())
        );
        assert_eq!(
            index(&l, &[Value::Int(4)]).map(|v| v.to_string()),
            Err("index out of range: 4".into())
        );
        assert_eq!(
            index(&s("abc"), &[Value::Int(1)]).map(|v| v.to_string()),
            Ok("98".into())
        );
        let m = Value::string_map([("a", "x")]);
        assert_eq!(index(&m, &[s("zz")]).map(|v| v.to_string()), Ok("".into()));
        assert_eq!(
            index(&m, &[Value::Int(1)]).map(|v| v.to_string()),
            Err("value has type int; should be string".into())
        );
        assert_eq!(
            slice(&l, &[Value::Int(1)]).map(|v| v.to_string()),
            Ok("[b c]".into())
        );
        assert_eq!(
            slice(&s("hello"), &[Value::Int(1), Value::Int(3)]).map(|v| v.to_string()),
            Ok("el".into())
        );
        assert_eq!(
            slice(&l, &[Value::Int(2), Value::Int(1)]).map(|v| v.to_string()),
            Err("invalid slice index: 2 > 1".into())
        );
    }

    #[test]
    fn call_checks_arguments() {
        let f = Value::Func(Arc::new(Function::new(
            Signature::new(vec![Type::String]),
            |a| Ok(Value::from(format!("<{}>", a[0]))),
        )));
        assert_eq!(call(&f, &[s("x")]).map(|v| v.to_string()), Ok("<x>".into()));
        assert_eq!(
            call(&f, &[]).map(|v| v.to_string()),
            Err("wrong number of args: got 0 want 1".into())
        );
        assert_eq!(
            call(&f, &[Value::Int(1)]).map(|v| v.to_string()),
            Err("arg 0: value has type int; should be string".into())
        );
        assert_eq!(
            call(&Value::Int(1), &[]).map(|v| v.to_string()),
            Err("non-function of type int".into())
        );
    }
}
