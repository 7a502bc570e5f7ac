//! Replays the probes of `testdata/am_golden.json` (rendered by
//! Alertmanager's own template package, see `testdata/am_golden.go.txt`)
//! against Tocsin's built-in templates, functions, data model and HTML
//! escaper, and compares output and error messages byte for byte.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

use super::data::{Kv, data_from_json};
use super::gotime::{DurationValue, GoTime, Loc, TimeValue};
use super::{AmTemplates, Data, ElemType, Value};
use crate::alert::{Alert, LabelSet};

#[derive(Deserialize)]
struct AlertSpec {
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    generator_url: String,
}

#[derive(Deserialize)]
struct DataSpec {
    receiver: String,
    external_url: String,
    group_labels: BTreeMap<String, String>,
    #[serde(default)]
    route_labels: BTreeMap<String, String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    alerts: Option<Vec<AlertSpec>>,
}

#[derive(Deserialize)]
struct Probe {
    name: String,
    #[serde(default)]
    mode: String,
    text: String,
    #[serde(default)]
    data: String,
    #[serde(default)]
    json: String,
    #[serde(default)]
    files: Vec<(String, String)>,
    output: String,
    #[serde(default)]
    error: String,
}

#[derive(Deserialize)]
struct Golden {
    go_version: String,
    datasets: HashMap<String, DataSpec>,
    probes: Vec<Probe>,
}

fn golden() -> Golden {
    match serde_json::from_str(include_str!("testdata/am_golden.json")) {
        Ok(g) => g,
        Err(e) => panic!("bad golden file: {e}"),
    }
}

fn time(s: &str) -> Option<DateTime<Utc>> {
    if s.is_empty() {
        return None;
    }
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(e) => panic!("bad time {s}: {e}"),
    }
}

/// The data set as Alertmanager's notification pipeline hands it over.
fn make_data(spec: &DataSpec) -> Data {
    let alerts: Vec<Alert> = spec
        .alerts
        .iter()
        .flatten()
        .map(|a| {
            let starts = time(&a.starts_at).unwrap_or_default();
            Alert {
                labels: LabelSet::from_pairs(
                    a.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                ),
                annotations: LabelSet::from_pairs(
                    a.annotations.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                ),
                starts_at: starts,
                ends_at: time(&a.ends_at),
                updated_at: starts,
                generator_url: a.generator_url.as_str().into(),
                timeout: false,
            }
        })
        .collect();
    let labels = |m: &BTreeMap<String, String>| {
        LabelSet::from_pairs(m.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    };
    Data::new(
        &spec.receiver,
        &labels(&spec.group_labels),
        &labels(&spec.route_labels),
        &spec.reason,
        &alerts,
        &spec.external_url,
        Utc::now(),
    )
}

/// Decodes probe JSON the way the probe program does.
fn decode(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Array(a) => Value::slice(a.iter().map(decode).collect()),
        serde_json::Value::Object(o) => {
            let Some(t) = o.get("$type").and_then(|t| t.as_str()) else {
                return Value::map(o.iter().map(|(k, v)| (k.clone(), decode(v))).collect());
            };
            let inner = &o["v"];
            let items = || inner.as_array().cloned().unwrap_or_default();
            match t {
                "time" => {
                    let mut g = GoTime::from_utc(
                        &time(inner.as_str().unwrap_or_default()).unwrap_or_default(),
                    );
                    if let Some(loc) = o.get("loc").and_then(|l| l.as_str()) {
                        g = g.in_loc(Loc::load(loc).unwrap_or(Loc::Utc));
                    }
                    TimeValue::value(g)
                }
                "duration" => DurationValue::value(inner.as_i64().unwrap_or(0)),
                "[]string" => Value::string_slice(
                    items()
                        .iter()
                        .map(|s| s.as_str().unwrap_or_default().to_string()),
                ),
                "[]float64" => Value::typed_slice(
                    ElemType::Float,
                    items()
                        .iter()
                        .map(|f| Value::Float(f.as_f64().unwrap_or(0.0)))
                        .collect(),
                ),
                "[]int" => Value::typed_slice(
                    ElemType::Int,
                    items()
                        .iter()
                        .map(|i| Value::Int(i.as_i64().unwrap_or(0)))
                        .collect(),
                ),
                "[]uint" => Value::typed_slice(
                    ElemType::Uint,
                    items()
                        .iter()
                        .map(|i| Value::Uint(i.as_u64().unwrap_or(0)))
                        .collect(),
                ),
                "KV" => Kv::from_pairs(
                    inner
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| {
                                    (k.clone(), v.as_str().unwrap_or_default().to_string())
                                })
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default(),
                )
                .value(),
                "data" => match data_from_json(&inner.to_string()) {
                    Ok(d) => d.struct_value(),
                    Err(e) => panic!("bad data: {e}"),
                },
                other => panic!("unknown probe type {other}"),
            }
        }
        other => Value::from_json(other),
    }
}

fn templates_for(p: &Probe, builtin: &AmTemplates) -> Result<AmTemplates, String> {
    if p.files.is_empty() {
        return Ok(builtin.clone());
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    for (name, text) in &p.files {
        if let Err(e) = std::fs::write(dir.path().join(name), text) {
            panic!("write: {e}");
        }
    }
    AmTemplates::from_globs(&[format!("{}/*.tmpl", dir.path().display())])
        .map_err(|e| e.to_string())
}

/// Runs one probe: (output, error message).
fn run(p: &Probe, g: &Golden, builtin: &AmTemplates) -> (String, String) {
    let tmpl = match templates_for(p, builtin) {
        Ok(t) => t,
        Err(e) => return (String::new(), e),
    };
    let dot = if p.data == "amtool" {
        let now = GoTime::from_utc(&Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap());
        Data::amtool_sample(&now).struct_value()
    } else if !p.data.is_empty() {
        make_data(&g.datasets[&p.data]).value()
    } else if !p.json.is_empty() {
        match serde_json::from_str::<serde_json::Value>(&p.json) {
            Ok(j) => decode(&j),
            Err(e) => panic!("bad probe json: {e}"),
        }
    } else {
        Value::Nil
    };
    let r = if p.mode == "html" {
        tmpl.execute_html_with(&p.text, &dot)
    } else {
        tmpl.execute_text_with(&p.text, &dot)
    };
    match r {
        Ok(out) => (out, String::new()),
        Err(e) => (String::new(), e.to_string()),
    }
}

/// Go keeps what was written before an execution error; Tocsin's API
/// returns only the error, so a failed probe's output is not compared.
fn check(p: &Probe, got: &(String, String)) -> Option<String> {
    let (out, err) = got;
    let out_ok = if p.error.is_empty() {
        *out == p.output
    } else {
        true
    };
    if out_ok && *err == p.error {
        return None;
    }
    let at = p
        .output
        .bytes()
        .zip(out.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(p.output.len().min(out.len()));
    let around = |s: &str| {
        let from = at.saturating_sub(60);
        let to = (at + 60).min(s.len());
        String::from_utf8_lossy(&s.as_bytes()[from..to]).into_owned()
    };
    Some(format!(
        "probe {}\n  text:       {:?}\n  first difference at byte {at}:\n  want:       {:?}\n  got:        {:?}\n  want error: {:?}\n  got error:  {:?}",
        p.name,
        p.text,
        around(&p.output),
        around(out),
        p.error,
        err
    ))
}

#[test]
fn alertmanager_golden_probes() {
    let g = golden();
    assert!(g.go_version.starts_with("go1."));
    assert!(g.probes.len() >= 150, "only {} probes", g.probes.len());
    let builtin = AmTemplates::builtin();
    let mut failures = Vec::new();
    for p in &g.probes {
        if let Some(f) = check(p, &run(p, &g, &builtin)) {
            failures.push(f);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} probes differ from Alertmanager:\n{}",
        failures.len(),
        g.probes.len(),
        failures.join("\n")
    );
}

/// Every built-in template name renders for every data set (text mode), and
/// in HTML mode for two, as in Alertmanager.
#[test]
fn every_default_template_is_covered() {
    let g = golden();
    for name in super::defaults::NAMES {
        let text_sets = g
            .probes
            .iter()
            .filter(|p| p.name.starts_with(&format!("default/{name}/")))
            .count();
        let html_sets = g
            .probes
            .iter()
            .filter(|p| p.name.starts_with(&format!("default-html/{name}/")))
            .count();
        assert!(text_sets >= 6, "{name}: {text_sets} text probes");
        assert!(html_sets >= 1, "{name}: {html_sets} html probes");
    }
    let t = AmTemplates::builtin();
    for name in super::defaults::NAMES {
        assert!(t.template_names().contains(name), "{name} not defined");
    }
}
