//! Template values: Go's dynamic data model as `text/template` sees it.
//!
//! Go templates work on reflected Go values. Rust has no reflection, so data
//! handed to a template is a [`Value`]: the basic kinds (bool, int, uint,
//! float64, string), slices and maps (whose element type is kept, because Go's
//! typed zero values and type names in error messages depend on it), functions,
//! and [`GoObject`]s: typed values with a Go type name, struct fields, methods
//! and an optional underlying map/slice/basic representation. Alertmanager's
//! `Data`, `Alert`, `KV`, `Pairs` and `time.Time` are objects.

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::funcs::{Function, Signature};

/// The Go type of the elements of a slice or of the values of a map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElemType {
    /// `interface {}`: elements are dynamically typed; missing map keys give nil.
    Any,
    /// `bool`.
    Bool,
    /// `int`.
    Int,
    /// `uint`.
    Uint,
    /// `float64`.
    Float,
    /// `string`: missing map keys give `""` under `missingkey=zero`.
    String,
    /// Any other (named) Go type, e.g. `template.Alert`; its zero value is nil here.
    Named(Arc<str>),
}

impl ElemType {
    /// The Go spelling of the type, as `reflect.Type.String()` prints it.
    pub fn name(&self) -> &str {
        match self {
            ElemType::Any => "interface {}",
            ElemType::Bool => "bool",
            ElemType::Int => "int",
            ElemType::Uint => "uint",
            ElemType::Float => "float64",
            ElemType::String => "string",
            ElemType::Named(n) => n,
        }
    }

    /// The zero value of the type.
    pub fn zero(&self) -> Value {
        match self {
            ElemType::Bool => Value::Bool(false),
            ElemType::Int => Value::Int(0),
            ElemType::Uint => Value::Uint(0),
            ElemType::Float => Value::Float(0.0),
            ElemType::String => Value::String(Arc::from("")),
            ElemType::Any | ElemType::Named(_) => Value::Nil,
        }
    }

    /// Whether values of this type are held in an interface (Go's static type
    /// of an element is then `interface {}`).
    pub fn is_interface(&self) -> bool {
        matches!(self, ElemType::Any)
    }
}

/// A Go slice.
#[derive(Clone, Debug)]
pub struct Slice {
    /// Element type.
    pub elem: ElemType,
    /// The elements.
    pub items: Vec<Value>,
}

/// A Go map with string keys (iteration and printing are in sorted key order,
/// as Go's `text/template` and `fmt` do).
#[derive(Clone, Debug)]
pub struct Map {
    /// Value type.
    pub elem: ElemType,
    /// The entries, sorted by key.
    pub entries: BTreeMap<String, Value>,
}

/// The reflect kind of a value, which decides truth, comparison, `len`,
/// `index` and `range`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No value (Go's untyped nil / invalid `reflect.Value`).
    Invalid,
    /// bool.
    Bool,
    /// Signed integers.
    Int,
    /// Unsigned integers.
    Uint,
    /// Floats.
    Float,
    /// Strings.
    String,
    /// Slices.
    Slice,
    /// Maps.
    Map,
    /// Structs (objects without an underlying value).
    Struct,
    /// Functions.
    Func,
}

/// A typed Go value supplied by the application (a struct, or a named
/// map/slice/basic type with methods).
///
/// Lookup of `.Name` on an object follows Go: a method of that name first,
/// then a struct field, then (for map-like objects) a map key.
pub trait GoObject: Send + Sync + 'static {
    /// The Go type as `reflect.Type.String()` prints it, e.g. `*template.Data`
    /// or `template.KV`.
    fn type_name(&self) -> &str;

    /// Downcasting support (used by [`GoObject::equal`] implementations).
    fn as_any(&self) -> &dyn Any;

    /// For named non-struct types: the underlying value (a `template.KV` is a
    /// `map[string]string`, `template.Alerts` a `[]template.Alert`). Length,
    /// indexing, ranging, truth, comparison and default printing use it.
    fn underlying(&self) -> Option<Value> {
        None
    }

    /// An exported struct field, or `None` if the type has no such field.
    fn field(&self, name: &str) -> Option<Value> {
        let _ = name;
        None
    }

    /// All fields in declaration order, for `%v` printing of structs.
    fn fields(&self) -> Vec<(&str, Value)> {
        Vec::new()
    }

    /// The signature of the method `name`, or `None` if there is no such method.
    fn method(&self, name: &str) -> Option<Signature> {
        let _ = name;
        None
    }

    /// Calls the method `name` with arguments already checked against its
    /// signature. An `Err` becomes Go's `error calling NAME: ...`.
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let _ = args;
        Err(format!("no method {name}"))
    }

    /// The result of the type's `String()` (or `Error()`) method, if it has
    /// one; `fmt` uses it for `%v %s %q %x %X`.
    fn string(&self) -> Option<String> {
        None
    }

    /// Go's `==` for two values of this (comparable) type; `None` if the type
    /// is not comparable.
    fn equal(&self, other: &dyn GoObject) -> Option<bool> {
        let _ = other;
        None
    }
}

/// A template value.
#[derive(Clone, Default)]
pub enum Value {
    /// No value: Go's nil interface / invalid `reflect.Value`.
    #[default]
    Nil,
    /// A `bool`.
    Bool(bool),
    /// An `int`.
    Int(i64),
    /// A `uint` (also the byte that `index` returns for strings).
    Uint(u64),
    /// A `float64`.
    Float(f64),
    /// A `string`.
    String(Arc<str>),
    /// A slice.
    Slice(Arc<Slice>),
    /// A map with string keys.
    Map(Arc<Map>),
    /// A typed application value.
    Object(Arc<dyn GoObject>),
    /// A function value (for the `call` builtin).
    Func(Arc<Function>),
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }

    /// A `[]interface {}`.
    pub fn slice(items: Vec<Value>) -> Value {
        Value::typed_slice(ElemType::Any, items)
    }

    /// A slice with the given element type.
    pub fn typed_slice(elem: ElemType, items: Vec<Value>) -> Value {
        Value::Slice(Arc::new(Slice { elem, items }))
    }

    /// A `[]string`.
    pub fn string_slice<S: Into<Arc<str>>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::typed_slice(
            ElemType::String,
            items.into_iter().map(|s| Value::String(s.into())).collect(),
        )
    }

    /// A `map[string]interface {}`.
    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::typed_map(ElemType::Any, entries)
    }

    /// A map with string keys and the given value type.
    pub fn typed_map(elem: ElemType, entries: BTreeMap<String, Value>) -> Value {
        Value::Map(Arc::new(Map { elem, entries }))
    }

    /// A `map[string]string`.
    pub fn string_map<K: Into<String>, V: Into<Arc<str>>>(
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Value {
        Value::typed_map(
            ElemType::String,
            entries
                .into_iter()
                .map(|(k, v)| (k.into(), Value::String(v.into())))
                .collect(),
        )
    }

    /// An application object.
    pub fn object(obj: impl GoObject) -> Value {
        Value::Object(Arc::new(obj))
    }

    /// Converts decoded JSON: objects become `map[string]interface {}`, arrays
    /// `[]interface {}`, integral numbers that fit `int` become ints and other
    /// numbers `float64`.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => Value::string(s.as_str()),
            serde_json::Value::Array(a) => Value::slice(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Whether this is the nil value.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The string, if this is a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The Go type name as `reflect.Type.String()` prints it (`<nil>` for nil).
    pub fn type_name(&self) -> Cow<'_, str> {
        match self {
            Value::Nil => Cow::Borrowed("<nil>"),
            Value::Bool(_) => Cow::Borrowed("bool"),
            Value::Int(_) => Cow::Borrowed("int"),
            Value::Uint(_) => Cow::Borrowed("uint"),
            Value::Float(_) => Cow::Borrowed("float64"),
            Value::String(_) => Cow::Borrowed("string"),
            Value::Slice(s) => Cow::Owned(format!("[]{}", s.elem.name())),
            Value::Map(m) => Cow::Owned(format!("map[string]{}", m.elem.name())),
            Value::Object(o) => Cow::Borrowed(o.type_name()),
            Value::Func(f) => Cow::Borrowed(&f.type_name),
        }
    }

    /// The value itself, or for an object with an underlying representation,
    /// that representation (repeatedly).
    pub fn base(&self) -> Cow<'_, Value> {
        let mut cur = Cow::Borrowed(self);
        for _ in 0..8 {
            let next = match &*cur {
                Value::Object(o) => match o.underlying() {
                    Some(u) => u,
                    None => return cur,
                },
                _ => return cur,
            };
            cur = Cow::Owned(next);
        }
        cur
    }

    /// The reflect kind (objects report the kind of their underlying value,
    /// or `Struct`).
    pub fn kind(&self) -> Kind {
        match self {
            Value::Nil => Kind::Invalid,
            Value::Bool(_) => Kind::Bool,
            Value::Int(_) => Kind::Int,
            Value::Uint(_) => Kind::Uint,
            Value::Float(_) => Kind::Float,
            Value::String(_) => Kind::String,
            Value::Slice(_) => Kind::Slice,
            Value::Map(_) => Kind::Map,
            Value::Func(_) => Kind::Func,
            Value::Object(o) => match o.underlying() {
                Some(u) => u.kind(),
                None => Kind::Struct,
            },
        }
    }

    /// Go template truth: not the zero value of its type (structs are always
    /// true, nil is false).
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Uint(u) => *u != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Slice(s) => !s.items.is_empty(),
            Value::Map(m) => !m.entries.is_empty(),
            Value::Func(_) => true,
            Value::Object(o) => match o.underlying() {
                Some(u) => u.truth(),
                None => true,
            },
        }
    }

    /// The length for strings (in bytes), slices and maps.
    pub fn len(&self) -> Option<usize> {
        match &*self.base() {
            Value::String(s) => Some(s.len()),
            Value::Slice(s) => Some(s.items.len()),
            Value::Map(m) => Some(m.entries.len()),
            _ => None,
        }
    }

    /// Whether [`Value::len`] is `Some(0)`.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i64::from(i))
    }
}

impl From<usize> for Value {
    fn from(i: usize) -> Value {
        Value::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}

impl From<u64> for Value {
    fn from(u: u64) -> Value {
        Value::Uint(u)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Arc::from(s))
    }
}

impl From<Arc<str>> for Value {
    fn from(s: Arc<str>) -> Value {
        Value::String(s)
    }
}

/// Formats like Go's `fmt.Sprint(v)` (the `%v` verb).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        super::fmt::write_value(&mut s, self);
        f.write_str(&s)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({})",
            self.type_name(),
            super::fmt::sprintf("%#v", std::slice::from_ref(self))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Labels(Value);

    impl GoObject for Labels {
        fn type_name(&self) -> &str {
            "template.KV"
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
        fn underlying(&self) -> Option<Value> {
            Some(self.0.clone())
        }
    }

    #[test]
    fn type_names() {
        assert_eq!(Value::Nil.type_name(), "<nil>");
        assert_eq!(Value::from(1i64).type_name(), "int");
        assert_eq!(Value::from(1.5).type_name(), "float64");
        assert_eq!(Value::slice(vec![]).type_name(), "[]interface {}");
        assert_eq!(Value::string_slice(["a"]).type_name(), "[]string");
        assert_eq!(
            Value::map(BTreeMap::new()).type_name(),
            "map[string]interface {}"
        );
        assert_eq!(
            Value::string_map([("a", "b")]).type_name(),
            "map[string]string"
        );
    }

    #[test]
    fn truth_and_len() {
        assert!(!Value::Nil.truth());
        assert!(!Value::from("").truth());
        assert!(Value::from("x").truth());
        assert!(!Value::from(0i64).truth());
        assert!(!Value::from(0.0).truth());
        assert!(Value::from(-1i64).truth());
        assert!(!Value::slice(vec![]).truth());
        assert_eq!(Value::from("héllo").len(), Some(6));
        assert_eq!(Value::from(3i64).len(), None);
        let kv = Value::object(Labels(Value::string_map([("a", "b")])));
        assert!(kv.truth());
        assert_eq!(kv.len(), Some(1));
        assert_eq!(kv.kind(), Kind::Map);
        assert_eq!(kv.type_name(), "template.KV");
        let empty = Value::object(Labels(Value::string_map(Vec::<(String, String)>::new())));
        assert!(!empty.truth());
    }

    #[test]
    fn json_conversion() {
        let j: serde_json::Value =
            serde_json::from_str(r#"{"a":[1,2.5,"x",null,true],"b":{"c":null}}"#)
                .unwrap_or_default();
        let v = Value::from_json(&j);
        assert_eq!(v.to_string(), "map[a:[1 2.5 x <nil> true] b:map[c:<nil>]]");
    }

    #[test]
    fn elem_zero_values() {
        assert_eq!(ElemType::String.zero().as_str(), Some(""));
        assert!(ElemType::Any.zero().is_nil());
        assert!(ElemType::Any.is_interface());
        assert!(!ElemType::String.is_interface());
    }
}
