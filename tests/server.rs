//! End-to-end: the `tocsin` binary started on a loopback port, driven over
//! HTTP and signals.

mod common;

use std::process::Command;

use common::Server;

const GOOD: &str = "route:\n  receiver: a\nreceivers:\n  - name: a\n";

/// Status and body of a request.
fn st(s: &Server, method: &str, path: &str) -> (u16, String) {
    let r = s.request(method, path);
    (r.status, r.body)
}

#[test]
fn health_ready_reload_and_graceful_exit() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("am.yml");
    std::fs::write(&cfg, GOOD).unwrap();
    let mut s = Server::start(dir.path(), &[&format!("--config.file={}", cfg.display())]);
    assert_eq!(st(&s, "GET", "/-/healthy"), (200, "OK".to_string()));
    assert_eq!(st(&s, "GET", "/-/ready"), (200, "OK".to_string()));
    assert_eq!(st(&s, "GET", "/-/reload").0, 405);
    assert_eq!(st(&s, "POST", "/-/reload"), (200, String::new()));

    // An invalid config is refused with the reason; the server keeps running.
    std::fs::write(&cfg, "route:\n  receiver: missing\n").unwrap();
    let (code, body) = st(&s, "POST", "/-/reload");
    assert_eq!(code, 500);
    assert_eq!(
        body,
        "failed to reload config: undefined receiver \"missing\" used in route\n"
    );
    assert_eq!(st(&s, "GET", "/-/healthy").0, 200);

    // SIGHUP reloads too, and logs the outcome.
    std::fs::write(&cfg, GOOD).unwrap();
    s.signal("HUP");
    s.wait_for_log("Completed loading of configuration file");
    s.signal("TERM");
    assert_eq!(s.wait_exit(), Some(0));
}

#[test]
fn embedded_default_when_no_config() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path(), &[]);
    s.wait_for_log("using the embedded default configuration");
    assert_eq!(st(&s, "GET", "/-/healthy").0, 200);
    s.signal("INT");
    assert_eq!(s.wait_exit(), Some(0));
}

#[test]
fn alertmanager_yml_in_working_directory_is_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alertmanager.yml"), GOOD).unwrap();
    let mut s = Server::start(dir.path(), &[]);
    let line = s.wait_for_log("Completed loading of configuration file");
    assert!(line.contains("file=alertmanager.yml"), "{line}");
}

#[test]
fn route_prefix_from_external_url() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        dir.path(),
        &["--web.external-url=http://example.com:9093/am/"],
    );
    assert_eq!(st(&s, "GET", "/am/-/healthy").0, 200);
    assert_eq!(st(&s, "GET", "/-/healthy").0, 404);
    assert_eq!(st(&s, "GET", "/").0, 302);
}

#[test]
fn invalid_config_at_startup_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.yml");
    std::fs::write(
        &cfg,
        "route:\n  receiver: a\n  bogus: 1\nreceivers:\n  - name: a\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .current_dir(dir.path())
        .arg(format!("--config.file={}", cfg.display()))
        .arg("--web.listen-address=127.0.0.1:0")
        .arg("--cluster.listen-address=")
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("level=error"), "{err}");
    assert!(err.contains("Loading configuration file failed"), "{err}");
    assert!(err.contains("bogus"), "{err}");
}

#[test]
fn json_logs_and_level_filter() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .current_dir(dir.path())
        .args([
            "--log.format=json",
            "--config.file=/nonexistent/am.yml",
            "--cluster.listen-address=",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.contains("Loading configuration file failed"))
        .unwrap_or_else(|| panic!("{err}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["level"], "error");
    assert!(
        v["err"]
            .as_str()
            .unwrap()
            .contains("no such file or directory")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .current_dir(dir.path())
        .args([
            "--log.level=error",
            "--config.file=/nonexistent/am.yml",
            "--cluster.listen-address=",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("level=info"), "{err}");
    assert!(err.contains("level=error"), "{err}");
}

#[test]
fn unknown_flag_and_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("--web.listen-adress=:1")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--web.listen-adress"));
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(
        v.starts_with(&format!("tocsin, version {}", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    assert!(v.contains("api: v2"), "{v}");
}
