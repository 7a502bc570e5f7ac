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
            "failed to load X509KeyPair",
        ),
        (
            "tls_server_config:\n  key_file: a.key\n",
            "missing cert_file",
        ),
        (
            "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: Sometimes\n",
            "failed to load X509KeyPair",
        ),
    ];
    for (config, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("web.yml"), config).unwrap();
        let err = refused_start(dir.path(), &dir.path().join("web.yml"));
        assert!(err.contains(want), "{config}: want {want:?} in {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let err = refused_start(dir.path(), std::path::Path::new("/nonexistent/web.yml"));
    assert!(err.contains("/nonexistent/web.yml"), "{err}");
}

/// Starts Tocsin in `dir` on the web configuration `web`, insists that it
/// exits with 1, and gives back what it wrote on standard error.
fn refused_start(dir: &std::path::Path, web: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .current_dir(dir)
        .arg("--web.listen-address=127.0.0.1:0")
        .arg("--cluster.listen-address=")
        .arg("--storage.in-memory")
        .arg(format!("--web.config.file={}", web.display()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}: {err}", web.display());
    err
}

/// `curl` against `url` with extra arguments: (exit code, HTTP status).
fn curl(dir: &std::path::Path, url: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new("curl")
        .current_dir(dir)
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
        ])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn start_in(dir: &std::path::Path, web_config: &str) -> Server {
    std::fs::write(dir.join("web.yml"), web_config).unwrap();
    Server::start(
        dir,
        &[&format!(
            "--web.config.file={}",
            dir.join("web.yml").display()
        )],
    )
}

#[test]
fn tls_with_basic_auth() {
    let dir = tempfile::tempdir().unwrap();
    common::tls_certificates(dir.path());
    let s = start_in(
        dir.path(),
        &format!(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: {}\n",
            hash("secret")
        ),
    );
    let https = s.url().replace("http://", "https://");
    let url = format!("{https}/-/healthy");
    assert_eq!(
        curl(dir.path(), &url, &["--cacert", "ca.crt"]),
        (0, "401".into())
    );
    assert_eq!(
        curl(
            dir.path(),
            &url,
            &["--cacert", "ca.crt", "-u", "alice:wrong"]
        ),
        (0, "401".into())
    );
    assert_eq!(
        curl(
            dir.path(),
            &url,
            &["--cacert", "ca.crt", "-u", "alice:secret"]
        ),
        (0, "200".into())
    );
    // HTTP/2 is offered by default, as in exporter-toolkit.
    let out = Command::new("curl")
        .current_dir(dir.path())
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_version}",
            "--http2",
            "--cacert",
            "ca.crt",
            "-u",
            "alice:secret",
            &url,
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2");
    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = common::try_request(
        s.url().trim_start_matches("http://"),
        "GET",
        "/-/healthy",
        &[],
        b"",
    );
    assert!(plain.map(|r| r.status).unwrap_or(0) != 200);
    // A client that does not trust the certificate refuses it.
    assert_ne!(curl(dir.path(), &url, &["-u", "alice:secret"]).0, 0);

    // amtool over TLS with basic auth (`--http.config.file`).
    let http = dir.path().join("http.yml");
    std::fs::write(
        &http,
        format!(
            "basic_auth:\n  username: alice\n  password: secret\ntls_config:\n  ca_file: {}\n",
            dir.path().join("ca.crt").display()
        ),
    )
    .unwrap();
    for args in [
        &["alert", "add", "alertname=OverTls"][..],
        &["alert", "query", "-o", "extended"][..],
    ] {
        let out = Command::new("amtool")
            .arg(format!("--alertmanager.url={https}"))
            .arg(format!("--http.config.file={}", http.display()))
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {text}");
        if args[1] == "query" {
            assert!(text.contains("OverTls"), "{text}");
        }
    }
}

#[test]
fn mutual_tls_requires_a_verified_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    common::tls_certificates(dir.path());
    let s = start_in(
        dir.path(),
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n",
    );
    let url = format!("{}/-/ready", s.url().replace("http://", "https://"));
    let (code, status) = curl(dir.path(), &url, &["--cacert", "ca.crt"]);
    assert!(
        code != 0 || status == "000",
        "no client certificate: {code} {status}"
    );
    assert_eq!(
        curl(
            dir.path(),
            &url,
            &[
                "--cacert",
                "ca.crt",
                "--cert",
                "client.crt",
                "--key",
                "client.key"
            ]
        ),
        (0, "200".into())
    );
    // The server's own certificate is not a client certificate.
    let (code, _) = curl(
        dir.path(),
        &url,
        &[
            "--cacert",
            "ca.crt",
            "--cert",
            "server.crt",
            "--key",
            "server.key",
        ],
    );
    assert_ne!(code, 0);
}

/// A certificate rotated on disk is served to the next connection.
#[test]
fn a_rotated_certificate_is_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    common::tls_certificates(dir.path());
    let s = start_in(
        dir.path(),
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n",
    );
    let url = format!("{}/-/healthy", s.url().replace("http://", "https://"));
    assert_eq!(
        curl(dir.path(), &url, &["--cacert", "ca.crt"]),
        (0, "200".into())
    );
    // A new CA and certificates replace the old ones.
    for f in [
        "ca.crt",
        "ca.key",
        "server.crt",
        "server.key",
        "client.crt",
        "client.key",
    ] {
        std::fs::remove_file(dir.path().join(f)).unwrap();
    }
    common::tls_certificates(dir.path());
    assert!(eventually(Duration::from_secs(5), || curl(
        dir.path(),
        &url,
        &["--cacert", "ca.crt"]
    ) == (
        0,
        "200".into()
    )));
}

/// TLS settings exporter-toolkit refuses, or rustls cannot honour, stop
/// the start with the reason.
#[test]
fn bad_tls_settings_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    common::tls_certificates(dir.path());
    let base = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
    for (extra, want) in [
        (
            "  client_auth_type: Sometimes\n",
            "Invalid ClientAuth: Sometimes",
        ),
        (
            "  client_ca_file: ca.crt\n",
            "Client CA's have been configured without a Client Auth Policy",
        ),
        ("  cipher_suites: [TLS_FAKE]\n", "unknown cipher: TLS_FAKE"),
        (
            "  cipher_suites: [TLS_RSA_WITH_AES_128_CBC_SHA]\n",
            "not supported by Tocsin's TLS",
        ),
        (
            "  curve_preferences: [CurveP999]\n",
            "unknown curve: CurveP999",
        ),
        ("  min_version: TLS10\n", "TLS10 is not supported"),
        ("  min_version: TLS99\n", "unknown TLS version: TLS99"),
        (
            "  client_auth_type: RequireAndVerifyClientCert\n",
            "needs client_ca_file",
        ),
    ] {
        std::fs::write(dir.path().join("web.yml"), format!("{base}{extra}")).unwrap();
        let err = refused_start(dir.path(), &dir.path().join("web.yml"));
        assert!(err.contains(want), "{extra}: want {want:?} in {err}");
    }
}
