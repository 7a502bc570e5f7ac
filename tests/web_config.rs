//! `--web.config.file` (exporter-toolkit's format): basic authentication
//! and response headers on every endpoint, the file read again when it
//! changes, amtool through `--http.config.file`, and a malformed file
//! refused at start.

mod common;

use std::process::Command;
use std::time::Duration;

use base64::Engine;
use common::{Server, eventually, request};

fn auth(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

fn hash(pass: &str) -> String {
    // The lowest cost bcrypt allows keeps the test fast.
    bcrypt::hash(pass, 4).unwrap()
}

fn start(web_config: &str) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web.yml");
    std::fs::write(&web, web_config).unwrap();
    let server = Server::start(
        dir.path(),
        &[&format!("--web.config.file={}", web.display())],
    );
    (server, dir)
}

#[test]
fn basic_auth_and_headers_guard_every_endpoint() {
    let config = format!(
        "basic_auth_users:\n  alice: {}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n",
        hash("secret")
    );
    let (s, dir) = start(&config);
    let addr = s.url().trim_start_matches("http://").to_string();
    for path in [
        "/-/healthy",
        "/-/ready",
        "/metrics",
        "/api/v2/status",
        "/api/v2/alerts",
    ] {
        let none = request(&addr, "GET", path, &[], b"");
        assert_eq!(none.status, 401, "{path}");
        assert_eq!(none.header("www-authenticate"), Some("Basic"), "{path}");
        assert_eq!(none.header("x-frame-options"), Some("deny"), "{path}");
        let wrong = request(
            &addr,
            "GET",
            path,
            &[("Authorization", &auth("alice", "nope"))],
            b"",
        );
        assert_eq!(wrong.status, 401, "{path}");
        let unknown = request(
            &addr,
            "GET",
            path,
            &[("Authorization", &auth("mallory", "secret"))],
            b"",
        );
        assert_eq!(unknown.status, 401, "{path}");
        let ok = request(
            &addr,
            "GET",
            path,
            &[("Authorization", &auth("alice", "secret"))],
            b"",
        );
        assert_eq!(ok.status, 200, "{path}: {}", ok.body);
        assert_eq!(ok.header("x-frame-options"), Some("deny"), "{path}");
    }
    let post = request(
        &addr,
        "POST",
        "/-/reload",
        &[("Authorization", &auth("alice", "wrong"))],
        b"",
    );
    assert_eq!(post.status, 401);

    // A user added to the file is let in without a restart.
    let with_bob = format!(
        "basic_auth_users:\n  alice: {}\n  bob: {}\n",
        hash("secret"),
        hash("hunter2")
    );
    std::fs::write(dir.path().join("web.yml"), with_bob).unwrap();
    assert!(eventually(Duration::from_secs(5), || request(
        &addr,
        "GET",
        "/-/healthy",
        &[("Authorization", &auth("bob", "hunter2"))],
        b""
    )
    .status
        == 200));
}

#[test]
fn amtool_with_an_http_config_file() {
    let (s, dir) = start(&format!("basic_auth_users:\n  alice: {}\n", hash("secret")));
    let http = dir.path().join("http.yml");
    std::fs::write(
        &http,
        "basic_auth:\n  username: alice\n  password: secret\n",
    )
    .unwrap();
    let amtool = |args: &[&str]| {
        let out = Command::new("amtool")
            .arg(format!("--alertmanager.url={}", s.url()))
            .arg(format!("--http.config.file={}", http.display()))
            .args(args)
            .output()
            .expect("amtool runs (scripts/test installs prometheus-alertmanager)");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = amtool(&["alert", "add", "alertname=Guarded", "severity=page"]);
    assert!(ok, "{out}");
    let (ok, out) = amtool(&["alert", "query", "-o", "extended"]);
    assert!(ok && out.contains("Guarded"), "{out}");
    // Without the credentials amtool is refused.
    let out = Command::new("amtool")
        .arg(format!("--alertmanager.url={}", s.url()))
        .args(["alert", "query"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// A malformed web configuration is refused at start with the reason.
#[test]
fn malformed_web_configs_are_refused_at_start() {
    let cases: &[(&str, &str)] = &[
        (
            "basic_auth_users:\n  bob: plain\n",
            "hashedSecret too short",
        ),
        ("tls_config: {}\n", "tls_config"),
        (
            "http_server_config:\n  headers:\n    Foo: bar\n",
            "HTTP header \\\"Foo\\\" can not be configured",
        ),
        (
            "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n",
            "tls_server_config",
        ),
    ];
    for (config, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        let web = dir.path().join("web.yml");
        std::fs::write(&web, config).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .current_dir(dir.path())
            .arg("--web.listen-address=127.0.0.1:0")
            .arg("--cluster.listen-address=")
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.config.file={}", web.display()))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{config}: {err}");
        assert!(err.contains(want), "{config}: want {want:?} in {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .current_dir(dir.path())
        .arg("--web.listen-address=127.0.0.1:0")
        .arg("--cluster.listen-address=")
        .arg("--storage.in-memory")
        .arg("--web.config.file=/nonexistent/web.yml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/web.yml"));
}
