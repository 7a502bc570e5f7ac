//! Deterministic fuzzing: random byte strings and random soups of template
//! tokens must never make the lexer, parser or executor panic or overflow.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::lex::{Kind, lex};
use super::{FuncMap, MissingKey, Signature, Template, Type, Value};

/// SplitMix64: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const CHARS: &[&str] = &[
    "{", "}", "{{", "}}", "-", " ", ".", "$", "(", ")", "|", "\"", "'", "`", "/", "*", "\\", "=",
    ":", ",", "\n", "\t", "a", "x", "Z", "_", "0", "1", "9", "e", "p", "i", "é", "€", "\u{0}",
];

const TOKENS: &[&str] = &[
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{/* c */}}",
    "/*",
    "*/",
    " ",
    "\n",
    "if ",
    "else",
    "else if ",
    "else with ",
    "end",
    "range ",
    "with ",
    "define \"a\"",
    "template \"a\"",
    "template \"a\" .",
    "block \"b\" .",
    "break",
    "continue",
    ".",
    ".x",
    ".x.y",
    ".l",
    ".m",
    ".m.k",
    ".n",
    ".o.Name",
    ".o.Greet \"z\"",
    "$",
    "$x",
    "$x := ",
    "$x = ",
    "$i, $e := ",
    "|",
    "(",
    ")",
    "printf",
    "\"%d\"",
    "\"%v %q\"",
    "\"s\"",
    "`raw`",
    "1",
    "-1",
    "1.5",
    "0x1F",
    "1e3",
    "'a'",
    "nil",
    "true",
    "false",
    "len",
    "index",
    "slice",
    "eq",
    "ne",
    "lt",
    "and",
    "or",
    "not",
    "print",
    "println",
    "html",
    "js",
    "urlquery",
    "call",
    "upper",
    ",",
    "=",
    ":=",
    "text",
    "99999999999999999999",
];

#[derive(Clone)]
struct Obj;

impl super::GoObject for Obj {
    fn type_name(&self) -> &str {
        "main.Obj"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn field(&self, name: &str) -> Option<Value> {
        (name == "Name").then(|| Value::from("obj"))
    }
    fn method(&self, name: &str) -> Option<Signature> {
        (name == "Greet").then(|| Signature::new(vec![Type::String]))
    }
    fn call_method(&self, _: &str, args: &[Value]) -> Result<Value, String> {
        Ok(Value::from(format!("hi {}", args[0])))
    }
}

fn data() -> Value {
    let j: serde_json::Value = serde_json::from_str(
        r#"{"x":"X","l":[1,"two",null,[3]],"m":{"k":"v","n":null},"n":7,"f":1.5}"#,
    )
    .unwrap_or_default();
    let mut v = match Value::from_json(&j) {
        Value::Map(m) => (*m).clone(),
        _ => unreachable!("the test data is a JSON object"),
    };
    v.entries.insert("o".into(), Value::object(Obj));
    v.entries
        .insert("kv".into(), Value::string_map([("a", "b")]));
    Value::Map(std::sync::Arc::new(v))
}

fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.add("upper", Signature::new(vec![Type::String]), |a| {
        Ok(Value::from(
            a[0].as_str().unwrap_or_default().to_uppercase(),
        ))
    });
    f
}

/// Lexes, parses and (if parsing succeeds) executes `text` under every
/// `missingkey` mode; panics propagate with the offending input.
fn exercise(text: &str, funcs: &FuncMap, data: &Value) {
    let r = catch_unwind(AssertUnwindSafe(|| {
        let tokens = lex(text, "", "");
        let last = tokens.last().map(|t| t.kind);
        assert!(
            matches!(last, Some(Kind::Eof | Kind::Error)),
            "lexer end {last:?}"
        );
        let mut prev = 0;
        for t in &tokens {
            assert!(
                t.pos >= prev && t.pos <= text.len(),
                "token position {}",
                t.pos
            );
            prev = t.pos;
        }
        for mk in [MissingKey::Invalid, MissingKey::Zero, MissingKey::Error] {
            let mut t = Template::new("t");
            t.funcs(funcs).missing_key(mk);
            if t.parse(text).is_ok() {
                for name in t.template_names() {
                    let _ = t.execute_to_string(name, data);
                }
            }
        }
    }));
    if r.is_err() {
        panic!("panic on input {text:?}");
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x5EED);
    let (funcs, data) = (funcs(), data());
    for _ in 0..3000 {
        let len = rng.below(40);
        let mut bytes = Vec::with_capacity(len * 2);
        for _ in 0..len {
            if rng.below(8) == 0 {
                bytes.push(rng.next() as u8);
            } else {
                bytes.extend_from_slice(rng.pick(CHARS).as_bytes());
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        exercise(&text, &funcs, &data);
    }
}

#[test]
fn token_soups_never_panic() {
    let mut rng = Rng(0xC0FFEE);
    let (funcs, data) = (funcs(), data());
    for _ in 0..6000 {
        let mut text = String::new();
        // Mostly well-formed actions, with random tokens inside.
        for _ in 0..rng.below(12) {
            if rng.below(3) == 0 {
                text.push_str(rng.pick(TOKENS));
                continue;
            }
            text.push_str(if rng.below(4) == 0 { "{{- " } else { "{{" });
            for _ in 0..1 + rng.below(5) {
                text.push_str(rng.pick(TOKENS));
                text.push(' ');
            }
            text.push_str(if rng.below(4) == 0 { " -}}" } else { "}}" });
        }
        exercise(&text, &funcs, &data);
    }
}

#[test]
fn structured_templates_never_panic() {
    // Balanced control structures with random pipelines inside.
    let mut rng = Rng(42);
    let (funcs, data) = (funcs(), data());
    const PIPES: &[&str] = &[
        ".x",
        ".l",
        ".m",
        ".n",
        ".o",
        ".kv.a",
        ".kv.zz",
        "$",
        "$.l",
        "(index .l 3)",
        "(len .l)",
        "(eq .n 7)",
        "(slice .l 1)",
        "(.o.Greet .x)",
        "(printf \"%v\" .m)",
        ".f",
        "(not .x)",
        "(and .x .n)",
        "(or .zz .x)",
        "(index .m \"n\")",
        "3",
        "\"s\"",
    ];
    for _ in 0..3000 {
        let mut text = String::new();
        let mut open = 0;
        for _ in 0..rng.below(16) {
            match rng.below(9) {
                0 => {
                    text.push_str(&format!("{{{{if {}}}}}", rng.pick(PIPES)));
                    open += 1;
                }
                1 => {
                    text.push_str(&format!("{{{{range $i, $e := {}}}}}", rng.pick(PIPES)));
                    open += 1;
                }
                2 => {
                    text.push_str(&format!("{{{{with {}}}}}", rng.pick(PIPES)));
                    open += 1;
                }
                3 if open > 0 => {
                    text.push_str("{{end}}");
                    open -= 1;
                }
                4 if open > 0 => text.push_str("{{else}}"),
                5 => text.push_str(&format!("{{{{{} | printf \"%v\"}}}}", rng.pick(PIPES))),
                6 => text.push_str("{{break}}"),
                7 => text.push_str(&format!("{{{{$v := {}}}}}{{{{$v}}}}", rng.pick(PIPES))),
                _ => text.push_str(&format!("{{{{{}}}}}", rng.pick(PIPES))),
            }
        }
        for _ in 0..open {
            text.push_str("{{end}}");
        }
        exercise(&text, &funcs, &data);
    }
}

#[test]
fn printf_and_quoting_never_panic() {
    const FORMAT: &[&str] = &[
        "%", "%", "[", "]", "*", ".", "0", "1", "2", "9", "-", "+", "#", " ", "v", "d", "s", "q",
        "x", "X", "f", "e", "g", "G", "t", "c", "T", "U", "b", "o", "O", "p", "!", "é", "a",
    ];
    const QUOTED: &[&str] = &[
        "\"", "`", "'", "\\", "x", "u", "U", "0", "7", "f", "é", "\n", "a",
    ];
    let mut rng = Rng(7);
    let args = [
        Value::Int(-3),
        Value::Uint(7),
        Value::Float(-2.5),
        Value::Float(f64::NAN),
        Value::Float(f64::INFINITY),
        Value::from("héllo"),
        Value::Bool(true),
        Value::Nil,
        data(),
        Value::slice(vec![Value::Int(1), Value::Nil]),
        Value::object(Obj),
    ];
    for _ in 0..5000 {
        let mut f = String::new();
        for _ in 0..rng.below(12) {
            f.push_str(rng.pick(FORMAT));
        }
        let n = rng.below(4);
        let a: Vec<Value> = (0..n)
            .map(|_| args[rng.below(args.len())].clone())
            .collect();
        let r = catch_unwind(AssertUnwindSafe(|| super::fmt::sprintf(&f, &a)));
        assert!(r.is_ok(), "printf panicked on {f:?}");
        let mut q = String::new();
        for _ in 0..rng.below(8) {
            q.push_str(rng.pick(QUOTED));
        }
        let r = catch_unwind(AssertUnwindSafe(|| {
            let _ = super::quote::unquote(&q);
            let _ = super::quote::unquote(&format!("\"{q}\""));
            let _ = super::quote::unquote_char(&q, '\'');
            let _ = super::quote::parse_float(&q);
            let _ = super::quote::parse_int(&q);
            super::quote::quote(&q, true)
        }));
        assert!(r.is_ok(), "quoting panicked on {q:?}");
    }
}
