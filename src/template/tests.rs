//! Tests of the public `Template` API: template sets and redefinition,
//! options, functions, typed objects, features newer than Go 1.19
//! (`else with`, `range` over an integer) and resource limits.

use std::any::Any;
use std::sync::Arc;

use super::*;

fn render(text: &str, data: &Value) -> Result<String, Error> {
    let mut t = Template::new("t");
    t.parse(text)?;
    t.execute_to_string("t", data)
}

fn json(s: &str) -> Value {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(j) => Value::from_json(&j),
        Err(e) => panic!("bad test json: {e}"),
    }
}

#[test]
fn parse_into_set_and_redefine() {
    let mut t = Template::new("root");
    t.parse(r#"{{define "a"}}A1{{end}}root:{{template "a"}}"#)
        .unwrap();
    assert_eq!(t.template_names(), ["a", "root"]);
    assert_eq!(t.execute_to_string("root", &Value::Nil).unwrap(), "root:A1");
    // A later non-empty definition replaces the template.
    t.parse_named("more", r#"{{define "a"}}A2{{end}}"#).unwrap();
    assert_eq!(t.execute_to_string("root", &Value::Nil).unwrap(), "root:A2");
    // An empty one does not.
    t.parse_named("more", "{{define \"a\"}} \n {{end}}")
        .unwrap();
    assert_eq!(t.execute_to_string("root", &Value::Nil).unwrap(), "root:A2");
    // A failed parse adds nothing.
    assert!(
        t.parse_named("bad", r#"{{define "a"}}A3{{end}}{{"#)
            .is_err()
    );
    assert_eq!(t.execute_to_string("a", &Value::Nil).unwrap(), "A2");
    assert_eq!(
        t.defined_templates(),
        r#"; defined templates are: "a", "more", "root""#
    );
    assert_eq!(
        t.execute_to_string("zz", &Value::Nil),
        Err(Error::Exec(
            r#"template: no template "zz" associated with template "root""#.into()
        ))
    );
}

#[test]
fn anonymous_template_like_alertmanager() {
    let mut t = Template::new("");
    t.option("missingkey=zero").unwrap();
    t.parse(r#"{{define "__subject"}}[{{.Status | printf "%s"}}]{{end}}"#)
        .unwrap();
    t.parse_named("", r#"{{template "__subject" .}} {{.Missing}}"#)
        .unwrap();
    let data = json(r#"{"Status":"firing"}"#);
    assert_eq!(
        t.execute_to_string("", &data).unwrap(),
        "[firing] <no value>"
    );
}

#[test]
fn options() {
    let mut t = Template::new("t");
    assert_eq!(
        t.option("missingkey=bogus").err(),
        Some(Error::Option("missingkey=bogus".into()))
    );
    t.option("missingkey=error").unwrap();
    t.parse("{{.a}}").unwrap();
    assert_eq!(
        t.execute_to_string("t", &json("{}"))
            .unwrap_err()
            .to_string(),
        r#"template: t:1:2: executing "t" at <.a>: map has no entry for key "a""#
    );
    t.missing_key(MissingKey::Zero);
    let data = Value::map([("m".to_string(), Value::string_map([("k", "v")]))].into());
    t.parse("[{{.m.k}}][{{.m.x}}]").unwrap();
    assert_eq!(t.execute_to_string("t", &data).unwrap(), "[v][]");
}

#[test]
fn custom_delimiters() {
    let mut t = Template::new("t");
    t.delims("[[", "]]");
    t.parse("{{x}} [[- .a -]] [[/* c */]]!").unwrap();
    assert_eq!(
        t.execute_to_string("t", &json(r#"{"a":1}"#)).unwrap(),
        "{{x}}1!"
    );
}

#[test]
fn functions_are_checked_at_parse_time() {
    let mut t = Template::new("t");
    assert_eq!(
        t.parse("{{shout .}}").err(),
        Some(Error::Parse(
            r#"template: t:1: function "shout" not defined"#.into()
        ))
    );
    let mut f = FuncMap::new();
    f.add("shout", Signature::new(vec![Type::String]), |a| {
        Ok(Value::from(format!("{}!", a[0])))
    });
    t.funcs(&f);
    t.parse(r#"{{shout .}} {{"x" | shout}}"#).unwrap();
    assert_eq!(
        t.execute_to_string("t", &Value::from("hi")).unwrap(),
        "hi! x!"
    );
    // A user function may shadow a builtin (and then loses and/or laziness).
    let mut f = FuncMap::new();
    f.add("len", Signature::new(vec![Type::Any]), |_| {
        Ok(Value::Int(42))
    });
    t.funcs(&f);
    t.parse("{{len .}}").unwrap();
    assert_eq!(t.execute_to_string("t", &Value::from("hi")).unwrap(), "42");
}

#[test]
fn else_with_and_range_over_int() {
    // Newer Go (1.23 `else with`, 1.22 range over integers).
    let text = "{{with .a}}a={{.}}{{else with .b}}b={{.}}{{else}}none{{end}}";
    assert_eq!(render(text, &json(r#"{"b":2}"#)).unwrap(), "b=2");
    assert_eq!(render(text, &json(r#"{"a":1,"b":2}"#)).unwrap(), "a=1");
    assert_eq!(render(text, &json("{}")).unwrap(), "none");
    assert_eq!(
        render("{{range 3}}{{.}}{{end}}|{{range $i := 2}}{{$i}}{{end}}|{{range 0}}x{{else}}empty{{end}}", &Value::Nil)
            .unwrap(),
        "012|01|empty"
    );
    assert_eq!(
        render("{{range $i, $e := 3}}{{end}}", &Value::Nil)
            .unwrap_err()
            .to_string(),
        r#"template: t:1:18: executing "t" at <3>: can't use 3 to iterate over more than one variable"#
    );
}

#[test]
fn range_with_assignment_sets_named_variables() {
    let out = render(
        "{{$i := 0}}{{$e := 0}}{{range $i, $e = .}}{{end}}{{$i}}{{$e}}",
        &json(r#"["a","b"]"#),
    );
    assert_eq!(out.unwrap(), "1b");
}

/// A struct whose fields are a string and a time-like value with a String method.
struct Event {
    at: Value,
}

struct Instant(i64);

impl GoObject for Instant {
    fn type_name(&self) -> &str {
        "time.Time"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn string(&self) -> Option<String> {
        Some(format!("T+{}s", self.0))
    }
    fn method(&self, name: &str) -> Option<Signature> {
        (name == "Unix").then(Signature::default)
    }
    fn call_method(&self, _: &str, _: &[Value]) -> Result<Value, String> {
        Ok(Value::Int(self.0))
    }
    fn equal(&self, other: &dyn GoObject) -> Option<bool> {
        other
            .as_any()
            .downcast_ref::<Instant>()
            .map(|o| o.0 == self.0)
    }
}

impl GoObject for Event {
    fn type_name(&self) -> &str {
        "*main.Event"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn field(&self, name: &str) -> Option<Value> {
        (name == "At").then(|| self.at.clone())
    }
    fn fields(&self) -> Vec<(&str, Value)> {
        vec![("At", self.at.clone())]
    }
}

#[test]
fn objects_with_methods_and_stringers() {
    let ev = Value::object(Event {
        at: Value::object(Instant(90)),
    });
    assert_eq!(
        render(
            "{{.At}} {{.At.Unix}} {{.}} {{printf \"%+v\" .}} {{eq .At .At}}",
            &ev
        )
        .unwrap(),
        "T+90s 90 {T+90s} {At:T+90s} true"
    );
    assert_eq!(
        render("{{.At.Nope}}", &ev).unwrap_err().to_string(),
        r#"template: t:1:5: executing "t" at <.At.Nope>: can't evaluate field Nope in type time.Time"#
    );
    assert_eq!(
        render("{{.Nope}}", &ev).unwrap_err().to_string(),
        r#"template: t:1:2: executing "t" at <.Nope>: can't evaluate field Nope in type *main.Event"#
    );
    assert_eq!(
        render("{{eq .At 3}}", &ev).unwrap_err().to_string(),
        r#"template: t:1:2: executing "t" at <eq .At 3>: error calling eq: incompatible types for comparison"#
    );
}

#[test]
fn template_recursion_is_bounded() {
    // Runs on a thread with a 2 MiB stack, like tokio's workers.
    let h = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            render(
                r#"{{define "r"}}{{if true}}{{template "r" .}}{{end}}{{end}}{{template "r" .}}"#,
                &Value::Nil,
            )
        })
        .unwrap();
    let err = h.join().unwrap().unwrap_err().to_string();
    assert!(
        err.ends_with(&format!(
            "exceeded maximum template depth ({})",
            exec::MAX_EXEC_DEPTH
        )),
        "{err}"
    );
}

#[test]
fn deep_nesting_fits_the_stack() {
    let h = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let n = parse::MAX_DEPTH - 2;
            let ifs = format!("{}x{}", "{{if 1}}".repeat(n), "{{end}}".repeat(n));
            let parens = format!("{{{{{}1{}}}}}", "(".repeat(n), ")".repeat(n));
            let too_deep = format!("{{{{{}1{}}}}}", "(".repeat(n + 5), ")".repeat(n + 5));
            // Deep recursion through deeply nested bodies.
            let recursive = format!(
                r#"{{{{define "r"}}}}{}{{{{template "r" .}}}}{}{{{{end}}}}{{{{template "r" .}}}}"#,
                "{{if 1}}".repeat(n - 1),
                "{{end}}".repeat(n - 1)
            );
            let data = Value::slice(vec![Value::Int(1)]);
            (
                render(&ifs, &Value::Nil),
                render(&parens, &Value::Nil),
                render(&too_deep, &Value::Nil),
                render(&recursive, &data),
            )
        })
        .unwrap();
    let (ifs, parens, too_deep, recursive) = h.join().unwrap();
    assert!(
        recursive
            .unwrap_err()
            .to_string()
            .ends_with("exceeded maximum template depth (300)")
    );
    assert_eq!(ifs.unwrap(), "x");
    assert_eq!(parens.unwrap(), "1");
    assert_eq!(
        too_deep.unwrap_err().to_string(),
        "template: t:1: max expression depth exceeded"
    );
}

#[test]
fn compiled_once_executed_concurrently() {
    let mut t = Template::new("t");
    t.parse("{{range .}}{{.}}{{end}}").unwrap();
    let t = Arc::new(t);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let t = t.clone();
            std::thread::spawn(move || {
                t.execute_to_string("t", &Value::slice(vec![Value::Int(i), Value::Int(i)]))
            })
        })
        .collect();
    let outs: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert_eq!(outs, ["00", "11", "22", "33"]);
}

#[test]
fn output_before_an_error_is_kept() {
    let t = {
        let mut t = Template::new("t");
        t.parse("a{{.x.y}}b").unwrap();
        t
    };
    let mut out = String::from(">");
    let err = t.execute("t", &json(r#"{"x":1}"#), &mut out);
    assert!(err.is_err());
    assert_eq!(out, ">a");
}
