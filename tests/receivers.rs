//! Receiver testing, end to end: `tocsin receivers test` sends one test
//! notification through each integration of the receivers of a
//! configuration file and exits 1 when any fails, and `POST
//! /api/tocsin/v1/receivers/test` does the same for UIs against the running
//! configuration.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Server, Sink};

fn config(ok: &Sink, refusing: &Sink) -> String {
    format!(
        "route:\n  receiver: ok\nreceivers:\n- name: ok\n  webhook_configs: [{{url: '{}'}}]\n- name: refusing\n  webhook_configs: [{{url: '{}'}}, {{url: '{}'}}]\n",
        ok.url(),
        ok.url(),
        refusing.url()
    )
}

fn cli(config_file: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["receivers", "test"])
        .arg(format!("--config.file={}", config_file.display()))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_reports_each_integration_and_fails_on_any_failure() {
    let (ok, refusing) = (Sink::start(), Sink::start());
    refusing.script(&[403]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alertmanager.yml");
    std::fs::write(&file, config(&ok, &refusing)).unwrap();

    let (code, out, err) = cli(&file, &["ok", "--alert", "severity=page"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ok/webhook[0]: ok ("), "{out}");
    assert_eq!(ok.count(), 1);
    let body = &ok.bodies()[0];
    assert_eq!(body["receiver"], "ok");
    assert_eq!(body["alerts"][0]["labels"]["alertname"], "TestAlert");
    assert_eq!(body["alerts"][0]["labels"]["severity"], "page");
    assert!(
        body["alerts"][0]["annotations"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("Test notification from Tocsin")
    );

    // All receivers: one refuses, with its error, and the exit code is 1.
    let (code, out, _) = cli(&file, &[]);
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("ok/webhook[0]: ok"), "{out}");
    assert!(lines[1].starts_with("refusing/webhook[0]: ok"), "{out}");
    assert_eq!(
        lines[2],
        "refusing/webhook[1]: failed: unexpected status code 403"
    );
    assert_eq!(refusing.count(), 1, "one attempt, not retried");

    let (code, _, err) = cli(&file, &["nobody"]);
    assert_eq!(code, 1);
    assert!(err.contains("no receiver named \"nobody\""), "{err}");
    let (code, _, err) = cli(&file, &["--alert", "no-equals-sign"]);
    assert_eq!(code, 1);
    assert!(err.contains("is not name=value"), "{err}");
}

#[test]
fn the_api_tests_receivers_of_the_running_configuration() {
    let (ok, refusing) = (Sink::start(), Sink::start());
    refusing.script(&[500]);
    let s = Server::with_config(&config(&ok, &refusing), &[]);
    s.wait_ready();
    let r = s.post_json(
        "/api/tocsin/v1/receivers/test",
        r#"{"receivers": ["refusing"], "labels": {"team": "db"}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{v}");
    assert_eq!(results[0]["receiver"], "refusing");
    assert_eq!(results[0]["integration"], "webhook");
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[1]["index"], 1);
    assert_eq!(results[1]["ok"], false);
    assert_eq!(results[1]["error"], "unexpected status code 500");
    assert!(ok.wait_for(1, Duration::from_secs(10)));
    assert_eq!(ok.bodies()[0]["alerts"][0]["labels"]["team"], "db");

    // An empty body tests every receiver.
    let r = s.post_json("/api/tocsin/v1/receivers/test", "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["results"].as_array().unwrap().len(), 3);

    for (body, want) in [
        (r#"{"receivers": ["nobody"]}"#, "no receiver named"),
        ("{not json", "invalid body"),
        (r#"{"receiver": "ok"}"#, "invalid body"),
        (r#"{"labels": {"": "x"}}"#, "invalid labels"),
    ] {
        let r = s.post_json("/api/tocsin/v1/receivers/test", body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(r.body.contains(want), "{body}: {}", r.body);
    }
}
