//! Loading whole configuration files: cross-section checks, YAML handling and
//! the errors a user sees.

use super::*;

fn load(y: &str) -> Result<Config, String> {
    Config::load(y, LoadOptions::default()).map_err(|e| e.0)
}

fn err(y: &str) -> String {
    match load(y) {
        Ok(_) => panic!("expected an error for:\n{y}"),
        Err(e) => e,
    }
}

const MINIMAL: &str = "route:\n  receiver: a\nreceivers:\n- name: a\n";

#[test]
fn minimal_config_gets_defaults() {
    let c = load(MINIMAL).unwrap();
    let g = c.global();
    assert_eq!(g.resolve_timeout.to_string(), "5m");
    assert_eq!(c.root_route().receiver, "a");
    assert_eq!(c.original, MINIMAL);
    assert!(c.templates.is_empty());
}

#[test]
fn embedded_default_loads() {
    let c = Config::load(EMBEDDED_DEFAULT, LoadOptions::default()).unwrap();
    assert_eq!(c.root_route().receiver, "default");
}

#[test]
fn empty_and_missing_route() {
    assert_eq!(err(""), "no route provided in config");
    assert_eq!(err("# only a comment\n"), "no route provided in config");
    assert_eq!(
        err("receivers:\n- name: a\n"),
        "no route provided in config"
    );
}

#[test]
fn root_route_rules() {
    assert_eq!(
        err("route:\n  group_by: [a]\nreceivers:\n- name: a\n"),
        "root route must specify a default receiver"
    );
    assert_eq!(
        err("route:\n  receiver: a\n  matchers: ['x=\"y\"']\nreceivers:\n- name: a\n"),
        "root route must not have any matchers"
    );
    assert_eq!(
        err("route:\n  receiver: a\n  match: {x: y}\nreceivers:\n- name: a\n"),
        "root route must not have any matchers"
    );
    assert_eq!(
        err("route:\n  receiver: a\n  continue: true\nreceivers:\n- name: a\n"),
        "cannot have continue in root route"
    );
    assert_eq!(
        err(
            "route:\n  receiver: a\n  mute_time_intervals: [x]\nreceivers:\n- name: a\ntime_intervals:\n- name: x\n  time_intervals: []\n"
        ),
        "root route must not have any mute time intervals"
    );
    assert_eq!(
        err(
            "route:\n  receiver: a\n  active_time_intervals: [x]\nreceivers:\n- name: a\ntime_intervals:\n- name: x\n  time_intervals: []\n"
        ),
        "root route must not have any active time intervals"
    );
}

#[test]
fn receivers_must_exist_and_be_unique() {
    assert_eq!(
        err("route:\n  receiver: b\nreceivers:\n- name: a\n"),
        "undefined receiver \"b\" used in route"
    );
    assert_eq!(
        err("route:\n  receiver: a\n  routes:\n  - receiver: nope\nreceivers:\n- name: a\n"),
        "undefined receiver \"nope\" used in route"
    );
    assert_eq!(
        err("route:\n  receiver: a\nreceivers:\n- name: a\n- name: a\n"),
        "notification config name \"a\" is not unique"
    );
    assert_eq!(
        err("route:\n  receiver: a\nreceivers:\n- name: a\n- webhook_configs: []\n"),
        "missing name in receiver"
    );
}

#[test]
fn time_interval_names() {
    let base = "route:\n  receiver: a\n  routes:\n  - receiver: a\n    mute_time_intervals: [night]\nreceivers:\n- name: a\n";
    assert_eq!(err(base), "undefined time interval \"night\" used in route");
    let ok = format!(
        "{base}time_intervals:\n- name: night\n  time_intervals:\n  - times:\n    - start_time: '00:00'\n      end_time: '06:00'\n"
    );
    assert!(load(&ok).is_ok());
    let deprecated = format!("{base}mute_time_intervals:\n- name: night\n  time_intervals: []\n");
    assert!(load(&deprecated).is_ok());
    let dup = format!(
        "{base}mute_time_intervals:\n- name: night\n  time_intervals: []\ntime_intervals:\n- name: night\n  time_intervals: []\n"
    );
    assert_eq!(err(&dup), "time interval \"night\" is not unique");
    let dup_mute = format!(
        "{base}mute_time_intervals:\n- name: night\n  time_intervals: []\n- name: night\n  time_intervals: []\n"
    );
    assert_eq!(err(&dup_mute), "mute time interval \"night\" is not unique");
    let unnamed = format!("{base}time_intervals:\n- time_intervals: []\n");
    assert_eq!(err(&unnamed), "missing name in time interval");
}

#[test]
fn route_node_checks() {
    let wrap = |route: &str| {
        format!("route:\n  receiver: a\n  routes:\n  - {route}\nreceivers:\n- name: a\n")
    };
    assert_eq!(
        err(&wrap("group_interval: 0s")),
        "group_interval cannot be zero"
    );
    assert_eq!(
        err(&wrap("repeat_interval: 0s")),
        "repeat_interval cannot be zero"
    );
    assert_eq!(
        err(&wrap("group_by: [a, a]")),
        "duplicated label \"a\" in group_by"
    );
    assert_eq!(
        err(&wrap("group_by: ['...', a]")),
        "cannot have wildcard group_by (`...`) and other labels at the same time"
    );
    assert_eq!(
        err(&wrap("match: {'0bad': x}")),
        "invalid label name \"0bad\""
    );
    assert_eq!(
        err(&wrap("match_re: {foo: }")),
        "invalid regexp value for \"foo\""
    );
    assert!(err(&wrap("match_re: {foo: '(x'}")).contains("missing closing )"));
    assert!(err(&wrap("matchers: ['foo=~\"(\"']")).contains("missing closing )"));
    assert!(err(&wrap("group_wait: 5x")).contains("not a valid duration string: \"5x\""));
}

#[test]
fn matchers_are_canonicalised_and_sorted() {
    let c = load("route:\n  receiver: a\n  routes:\n  - matchers: ['{b=\"2\", a=~\"x.*\"}', 'c!=3']\n    match: {z: '1'}\n    match_re: {y: 'a|b'}\nreceivers:\n- name: a\n").unwrap();
    let r = &c.root_route().routes[0];
    assert_eq!(r.matchers, vec!["a=~\"x.*\"", "b=\"2\"", "c!=\"3\""]);
    assert_eq!(
        r.parsed_matchers.to_string(),
        "{a=~\"x.*\",b=\"2\",c!=\"3\",y=~\"^(?:a|b)$\",z=\"1\"}"
    );
}

#[test]
fn yaml_errors_name_the_place() {
    let e = err("route:\n  receiver: a\n  recevier: b\nreceivers:\n- name: a\n");
    assert!(e.starts_with("yaml:"), "{e}");
    assert!(e.contains("recevier"), "{e}");
    assert!(e.contains('3'), "line number in {e}");

    let e = err("route:\n  receiver: a\n  group_wait: [1]\nreceivers:\n- name: a\n");
    assert!(e.starts_with("yaml:"), "{e}");

    // Truncated document.
    let e = err("route:\n  receiver: a\nreceivers:\n- name: \"a\n");
    assert!(e.starts_with("yaml:"), "{e}");

    // Duplicate keys are an error, as in Go's strict decoder.
    let e = err("route:\n  receiver: a\n  receiver: b\nreceivers:\n- name: a\n");
    assert!(e.starts_with("yaml:"), "{e}");

    // A wrong top-level type.
    let e = err("- just\n- a list\n");
    assert!(e.starts_with("yaml:"), "{e}");
}

#[test]
fn merge_keys_and_yaml11_booleans() {
    let y = "defaults: &d\n  group_wait: 10s\n";
    // Unknown top-level keys are rejected even when used only as anchors...
    assert!(
        err(&format!(
            "{y}route:\n  receiver: a\nreceivers:\n- name: a\n"
        ))
        .contains("defaults")
    );
    // ...but anchors and merge keys inside known sections work.
    let c = load(
        "route:\n  receiver: a\n  routes:\n  - &r\n    receiver: a\n    group_wait: 10s\n  - <<: *r\n    continue: yes\nreceivers:\n- name: a\n",
    )
    .unwrap();
    let second = &c.root_route().routes[1];
    assert_eq!(second.group_wait.unwrap().to_string(), "10s");
    assert!(second.continue_matching, "yaml.v2 reads `yes` as true");
}

#[test]
fn relative_paths_resolve_against_the_config_dir() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("am.yml");
    std::fs::write(
        &p,
        "templates: ['tmpl/*.tmpl', '/abs/x.tmpl']\nroute:\n  receiver: a\nreceivers:\n- name: a\n",
    )
    .unwrap();
    let c = Config::load_file(&p, LoadOptions::default()).unwrap();
    assert_eq!(
        c.templates,
        vec![
            dir.path()
                .join("tmpl/*.tmpl")
                .to_string_lossy()
                .into_owned(),
            "/abs/x.tmpl".to_string()
        ]
    );
    let missing =
        Config::load_file(&dir.path().join("nope.yml"), LoadOptions::default()).unwrap_err();
    assert!(
        missing.0.ends_with("no such file or directory"),
        "{}",
        missing.0
    );
}

#[test]
fn every_shipped_config_loads() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for dir in ["configs", "examples"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".yml") || name.starts_with("prometheus") || name == "rules.yml" {
                continue;
            }
            Config::load_file(&p, LoadOptions::default())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 2, "found {n} configs");
}

#[test]
fn truncated_and_mangled_configs_never_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("examples/alertmanager.yml")).unwrap();
    let boundaries: Vec<usize> = (0..=text.len())
        .filter(|i| text.is_char_boundary(*i))
        .collect();
    for &end in boundaries.iter().step_by(7) {
        let _ = Config::load(&text[..end], LoadOptions::default());
    }
    // Drop single lines, swap indentation, and replace scalars with other types.
    let lines: Vec<&str> = text.lines().collect();
    for skip in 0..lines.len() {
        let mangled: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, l)| *l)
            .collect();
        let _ = Config::load(&mangled.join("\n"), LoadOptions::default());
        let retyped = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if i == skip {
                    match l.split_once(": ") {
                        Some((k, _)) => format!("{k}: [1, {{a: b}}]"),
                        None => format!("  {l}"),
                    }
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let _ = Config::load(&retyped, LoadOptions::default());
    }
}

#[test]
fn matcher_modes_apply_to_config() {
    let y =
        "route:\n  receiver: a\n  routes:\n  - matchers: ['foo=bar baz']\nreceivers:\n- name: a\n";
    // Fallback: the classic parser accepts it, with a warning.
    let c = Config::load(y, LoadOptions::default()).unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert_eq!(c.root_route().routes[0].matchers, vec!["foo=\"bar baz\""]);
    let strict = LoadOptions {
        matcher_mode: ParseMode::Utf8Strict,
    };
    assert!(Config::load(y, strict).is_err());
    let classic = LoadOptions {
        matcher_mode: ParseMode::Classic,
    };
    let c = Config::load(y, classic).unwrap();
    assert!(c.warnings.is_empty());
    // UTF-8 label names only outside classic mode.
    let utf8 = "route:\n  receiver: a\n  group_by: ['service.name']\nreceivers:\n- name: a\n";
    assert!(Config::load(utf8, LoadOptions::default()).is_ok());
    assert_eq!(
        Config::load(utf8, classic).unwrap_err().0,
        "invalid label name \"service.name\" in group_by list"
    );
}

#[test]
fn template_errors_fail_the_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.tmpl"),
        "{{ define \"x\" }}{{ if }}{{ end }}",
    )
    .unwrap();
    let p = dir.path().join("am.yml");
    std::fs::write(&p, format!("{MINIMAL}templates: ['*.tmpl']\n")).unwrap();
    let mut c = Config::load_file(&p, LoadOptions::default()).unwrap();
    assert_eq!(
        c.load_templates().unwrap_err().0,
        "failed to parse templates: template: bad.tmpl:1: missing value for if"
    );
    std::fs::write(dir.path().join("bad.tmpl"), "{{ define \"x\" }}ok{{ end }}").unwrap();
    c.load_templates().unwrap();
    let t = c.templates();
    assert!(t.template_names().contains(&"x"));
}

/// prometheus-operator generates configurations of several megabytes with
/// tens of thousands of routes: they load, and a file past Tocsin's bounds
/// is refused naming them.
#[test]
fn large_operator_configurations_load_and_limits_are_named() {
    let mut y = String::from("route:\n  receiver: r\n  routes:\n");
    for i in 0..40_000 {
        y.push_str(&format!(
            "  - receiver: r\n    matchers: ['namespace=\"ns{i}\"', 'env=~\"prod|staging\"']\n    group_by: [alertname, cluster]\n    continue: true\n"
        ));
    }
    y.push_str("receivers:\n- name: r\n");
    assert!(y.len() > 5_000_000);
    let c = load(&y).unwrap();
    assert_eq!(c.route.as_ref().unwrap().routes.len(), 40_000);

    let mut deep = String::from("route:\n  receiver: r\n");
    let mut indent = String::from("  ");
    for _ in 0..40 {
        deep.push_str(&format!("{indent}routes:\n{indent}- receiver: r\n"));
        indent.push_str("  ");
    }
    deep.push_str("receivers:\n- name: r\n");
    let e = err(&deep);
    assert!(e.contains("limits on a configuration file"), "{e}");
}
