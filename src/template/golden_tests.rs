//! Replays the probes of `testdata/core_golden.json` (produced by Go's own
//! `text/template`, see `testdata/core_golden.go.txt`) and compares output and
//! error messages byte for byte.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use super::fmt::sprint;
use super::{ElemType, FuncMap, Function, GoObject, Signature, Template, Type, Value};

#[derive(Deserialize)]
struct Probe {
    name: String,
    text: String,
    #[serde(default)]
    more: Vec<(String, String)>,
    #[serde(default)]
    data: String,
    #[serde(default)]
    floats: bool,
    #[serde(default)]
    option: String,
    #[serde(default)]
    exec: String,
    #[serde(default)]
    error_prefix: bool,
    output: String,
    #[serde(default)]
    error: String,
}

/// The probe program's `main.Obj`: a struct with methods.
#[derive(Clone)]
struct Obj {
    name: String,
    count: i64,
    labels: Value,
    tags: Value,
    kids: Value,
}

impl GoObject for Obj {
    fn type_name(&self) -> &str {
        "main.Obj"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn field(&self, name: &str) -> Option<Value> {
        self.fields()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    fn fields(&self) -> Vec<(&str, Value)> {
        vec![
            ("Name", Value::from(self.name.as_str())),
            ("Count", Value::Int(self.count)),
            ("Labels", self.labels.clone()),
            ("Tags", self.tags.clone()),
            ("Kids", self.kids.clone()),
        ]
    }

    fn method(&self, name: &str) -> Option<Signature> {
        Some(match name {
            "Greet" => Signature::new(vec![Type::String]),
            "Upper" | "Fail" | "Self" => Signature::default(),
            "Pair" => Signature::new(vec![Type::String, Type::Int]),
            "Sum" => Signature::variadic(vec![], Type::Int),
            _ => return None,
        })
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        match name {
            "Greet" => Ok(Value::from(format!("hello {} from {}", args[0], self.name))),
            "Upper" => Ok(Value::from(self.name.to_uppercase())),
            "Fail" => Err("method failed".into()),
            "Self" => Ok(Value::object(self.clone())),
            "Pair" => Ok(Value::from(format!("{}={}", args[0], args[1]))),
            "Sum" => Ok(Value::Int(
                args.iter()
                    .map(|a| match a {
                        Value::Int(i) => *i,
                        _ => 0,
                    })
                    .sum(),
            )),
            _ => Err(format!("no method {name}")),
        }
    }
}

/// The probe program's `main.Tag`: a string type with a `String` method.
struct Tag(String);

impl GoObject for Tag {
    fn type_name(&self) -> &str {
        "main.Tag"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn underlying(&self) -> Option<Value> {
        Some(Value::from(self.0.as_str()))
    }

    fn string(&self) -> Option<String> {
        Some(format!("tag:{}", self.0))
    }
}

fn str_of(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn make_obj(m: &serde_json::Value) -> Value {
    let labels: Vec<(String, String)> = m["Labels"]
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), str_of(v))).collect())
        .unwrap_or_default();
    let tags: Vec<String> = m["Tags"]
        .as_array()
        .map(|a| a.iter().map(str_of).collect())
        .unwrap_or_default();
    let kids: Vec<Value> = m["Kids"]
        .as_array()
        .map(|a| a.iter().map(make_obj).collect())
        .unwrap_or_default();
    Value::object(Obj {
        name: str_of(&m["Name"]),
        count: m["Count"].as_i64().unwrap_or(0),
        labels: Value::string_map(labels),
        tags: Value::string_slice(tags),
        kids: Value::typed_slice(ElemType::Named(Arc::from("main.Obj")), kids),
    })
}

fn decode(v: &serde_json::Value, floats: bool) -> Value {
    match v {
        serde_json::Value::Number(n) if floats => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::Array(a) => Value::slice(a.iter().map(|e| decode(e, floats)).collect()),
        serde_json::Value::Object(o) => {
            if let Some(t) = o.get("$type").and_then(|t| t.as_str()) {
                let inner = &o["v"];
                return match t {
                    "map[string]string" => Value::string_map(
                        inner
                            .as_object()
                            .map(|m| {
                                m.iter()
                                    .map(|(k, v)| (k.clone(), str_of(v)))
                                    .collect::<Vec<_>>()
                            })
                            .unwrap_or_default(),
                    ),
                    "[]string" => Value::string_slice(
                        inner
                            .as_array()
                            .map(|a| a.iter().map(str_of).collect::<Vec<_>>())
                            .unwrap_or_default(),
                    ),
                    "uint" => Value::Uint(inner.as_u64().unwrap_or(0)),
                    "main.Tag" => Value::object(Tag(str_of(inner))),
                    "main.Obj" => make_obj(inner),
                    other => panic!("unknown probe type {other}"),
                };
            }
            Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), decode(v, floats)))
                    .collect::<BTreeMap<_, _>>(),
            )
        }
        other => Value::from_json(other),
    }
}

fn probe_funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.add("upper", Signature::new(vec![Type::String]), |a| {
        Ok(Value::from(
            a[0].as_str().unwrap_or_default().to_uppercase(),
        ))
    });
    f.add("fail", Signature::new(vec![Type::String]), |a| {
        Err(a[0].as_str().unwrap_or_default().to_string())
    });
    f.add(
        "add",
        Signature::new(vec![Type::Int, Type::Int]),
        |a| match (&a[0], &a[1]) {
            (Value::Int(x), Value::Int(y)) => Ok(Value::Int(x + y)),
            _ => Err("bad args".into()),
        },
    );
    f.add(
        "variadic",
        Signature::variadic(vec![Type::String], Type::Any),
        |a| {
            Ok(Value::from(format!(
                "{}{}:{}",
                a[0],
                a.len() - 1,
                sprint(&a[1..])
            )))
        },
    );
    f.add("adder", Signature::default(), |_| {
        let mut add = Function::new(Signature::new(vec![Type::Int, Type::Int]), |a| {
            match (&a[0], &a[1]) {
                (Value::Int(x), Value::Int(y)) => Ok(Value::Int(x + y)),
                _ => Err("bad args".into()),
            }
        });
        add.type_name = "func(int, int) int".into();
        Ok(Value::Func(Arc::new(add)))
    });
    f.add("strs", Signature::variadic(vec![], Type::String), |a| {
        Ok(Value::string_slice(
            a.iter().map(|s| s.as_str().unwrap_or_default().to_string()),
        ))
    });
    f.add(
        "joinStrs",
        Signature::new(vec![Type::String, Type::named("[]string", true)]),
        |a| {
            let items: Vec<String> = match &a[1] {
                Value::Slice(s) => s.items.iter().map(|v| v.to_string()).collect(),
                _ => Vec::new(),
            };
            Ok(Value::from(items.join(a[0].as_str().unwrap_or_default())))
        },
    );
    f
}

/// Runs one probe: (output, error message).
fn run(p: &Probe, funcs: &FuncMap) -> (String, String) {
    let mut t = Template::new("t");
    t.funcs(funcs);
    if !p.option.is_empty()
        && let Err(e) = t.option(&p.option)
    {
        return (String::new(), e.to_string());
    }
    if let Err(e) = t.parse(&p.text) {
        return (String::new(), e.to_string());
    }
    for (name, text) in &p.more {
        if let Err(e) = t.parse_named(name, text) {
            return (String::new(), e.to_string());
        }
    }
    let data = if p.data.is_empty() {
        Value::Nil
    } else {
        match serde_json::from_str::<serde_json::Value>(&p.data) {
            Ok(j) => decode(&j, p.floats),
            Err(e) => return (String::new(), format!("bad probe data: {e}")),
        }
    };
    let name = if p.exec.is_empty() { "t" } else { &p.exec };
    let mut out = String::new();
    let err = match t.execute(name, &data, &mut out) {
        Ok(()) => String::new(),
        Err(e) => e.to_string(),
    };
    (out, err)
}

#[test]
fn go_golden_probes() {
    let probes: Vec<Probe> = match serde_json::from_str(include_str!("testdata/core_golden.json")) {
        Ok(p) => p,
        Err(e) => panic!("bad golden file: {e}"),
    };
    assert!(probes.len() >= 120, "only {} probes", probes.len());
    let funcs = probe_funcs();
    let mut failures = Vec::new();
    for p in &probes {
        let (out, err) = run(p, &funcs);
        let err_ok = if p.error_prefix {
            let cut = |s: &str| {
                s.split(": executing")
                    .next()
                    .unwrap_or_default()
                    .to_string()
            };
            cut(&err) == cut(&p.error) && err.is_empty() == p.error.is_empty()
        } else {
            err == p.error
        };
        if out != p.output || !err_ok {
            failures.push(format!(
                "probe {}\n  text:       {:?}\n  want out:   {:?}\n  got out:    {:?}\n  want error: {:?}\n  got error:  {:?}",
                p.name, p.text, p.output, out, p.error, err
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} probes differ from Go:\n{}",
        failures.len(),
        probes.len(),
        failures.join("\n")
    );
}
