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
    // Ready once start-up work is done, just after the listener is up.
    assert!(common::eventually(
        std::time::Duration::from_secs(10),
        || st(&s, "GET", "/-/ready") == (200, "OK".to_string())
    ));
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

/// `--web.systemd-socket`: Tocsin serves on the socket systemd passed
/// (file descriptor 3, `LISTEN_PID`/`LISTEN_FDS`) instead of binding
/// `--web.listen-address`; without one it fails as Alertmanager does.
#[test]
fn systemd_socket_activation() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let fd = listener.as_raw_fd();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new("sh");
    // `exec` keeps the shell's pid, which is what LISTEN_PID must name.
    cmd.arg("-c")
        .arg("LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_tocsin"))
        .arg("--web.systemd-socket")
        .arg("--web.listen-address=127.0.0.1:1")
        .arg("--cluster.listen-address=")
        .arg("--storage.in-memory")
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: dup2 is async-signal-safe; the child gets the socket as fd 3.
    unsafe {
        cmd.pre_exec(move || {
            // dup2 onto itself would keep close-on-exec: clear it instead.
            let r = if fd == 3 {
                libc::fcntl(3, libc::F_SETFD, 0)
            } else {
                libc::dup2(fd, 3)
            };
            if r < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    // Only the child holds the socket now: if it did not take it,
    // connections are refused at once rather than left waiting.
    drop(listener);
    let ok = common::eventually(std::time::Duration::from_secs(20), || {
        common::try_request(&addr, "GET", "/-/healthy", &[], b"").is_ok_and(|r| r.status == 200)
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok, "no answer on the activated socket {addr}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("--web.systemd-socket")
        .arg("--cluster.listen-address=")
        .arg("--storage.in-memory")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no socket activation file descriptors found")
    );
}

/// `--log.silences` (Alertmanager ≥ 0.27): every silence created, updated
/// or expired through the API is logged with its id, author, comment,
/// times and matchers.
#[test]
fn silence_changes_are_logged_with_log_silences() {
    let mut s = Server::with_config(
        "route:\n  receiver: a\nreceivers:\n- name: a\n",
        &["--log.silences"],
    );
    let now = chrono::Utc::now();
    let body = serde_json::json!({
        "matchers": [{ "name": "job", "value": "api", "isRegex": false }],
        "startsAt": now.to_rfc3339(),
        "endsAt": (now + chrono::Duration::hours(1)).to_rfc3339(),
        "createdBy": "oncall",
        "comment": "deploy",
    });
    let r = s.post_json("/api/v2/silences", &body.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.json()["silenceID"].as_str().unwrap().to_string();
    let line = s.wait_for_log("msg=\"create silence\"");
    for want in [
        format!("Id={id}"),
        "CreatedBy=oncall".into(),
        "Comment=deploy".into(),
        "Matchers=\"job=api\"".into(),
    ] {
        assert!(line.contains(&want), "{want} in {line}");
    }
    let r = s.request("DELETE", &format!("/api/v2/silence/{id}"));
    assert_eq!(r.status, 200);
    let line = s.wait_for_log("msg=\"expire silence\"");
    assert!(line.contains(&format!("Id={id}")), "{line}");
}

/// A flag that can never apply to Tocsin is accepted and logged with why.
#[test]
fn flags_that_never_apply_are_logged_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(
        dir.path(),
        &["--cluster.tcp-timeout=5s", "--web.ui-path=/usr/share/ui"],
    );
    let line = s.wait_for_log("flag=cluster.tcp-timeout");
    assert!(
        line.contains("it has no effect in Tocsin") && line.contains("UDP only"),
        "{line}"
    );
    let line = s.wait_for_log("flag=web.ui-path");
    assert!(
        line.contains("it has no effect in Tocsin") && line.contains("UI built in"),
        "{line}"
    );
    assert!(
        !s.seen.iter().any(|l| l.contains("not yet effective")),
        "every flag Tocsin accepts applies, or says why it cannot"
    );
}

/// Under systemd (`Type=notify`), Tocsin says READY=1 once it serves and
/// STOPPING=1 when it shuts down, through `$NOTIFY_SOCKET`.
#[test]
fn systemd_is_notified_when_ready_and_when_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("--web.listen-address=127.0.0.1:0")
        .arg("--cluster.listen-address=")
        .arg("--storage.in-memory")
        .env("NOTIFY_SOCKET", &path)
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 64];
    let n = socket.recv(&mut buf).expect("READY=1 within 20 s");
    assert_eq!(&buf[..n], b"READY=1");
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let n = socket.recv(&mut buf).expect("STOPPING=1");
    assert_eq!(&buf[..n], b"STOPPING=1");
    assert!(child.wait().unwrap().success());
}

/// Header limits no stricter than Go's `net/http` (which Alertmanager
/// uses): 200 headers and a 512 KiB header are read; a header block past
/// Go's 1 MiB is refused with 431 and a body saying why, and so is a
/// request with more than 256 header fields (a limit Go does not have).
#[test]
fn header_limits_are_gos() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let names: Vec<(String, String)> = (0..200)
        .map(|i| (format!("X-Header-{i}"), format!("value-{i}")))
        .collect();
    let headers: Vec<(&str, &str)> = names
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = common::request(&s.addr, "GET", "/api/v2/status", &headers, b"");
    assert_eq!(r.status, 200);
    let big = "x".repeat(512 * 1024);
    let r = common::request(&s.addr, "GET", "/api/v2/status", &[("X-Big", &big)], b"");
    assert_eq!(r.status, 200);
    let huge = "x".repeat(2 * 1024 * 1024);
    let r = common::request(&s.addr, "GET", "/api/v2/status", &[("X-Huge", &huge)], b"");
    assert_eq!(r.status, 431);
    assert_eq!(
        r.body,
        "431 Request Header Fields Too Large: the request line and headers exceed 1088 KiB\n"
    );
    let names: Vec<(String, String)> = (0..300)
        .map(|i| (format!("X-Header-{i}"), format!("value-{i}")))
        .collect();
    let headers: Vec<(&str, &str)> = names
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = common::request(&s.addr, "GET", "/api/v2/status", &headers, b"");
    assert_eq!(r.status, 431);
    assert_eq!(
        r.body,
        "431 Request Header Fields Too Large: the request has more than 256 header fields\n"
    );
    // The server goes on serving.
    assert_eq!(s.get("/api/v2/status").status, 200);
}

/// A filter of 100 KB (thousands of alternatives, as generated by
/// scripts) is answered as Alertmanager answers it, though the target is
/// longer than the URI type Tocsin's HTTP stack holds.
#[test]
fn a_100_kb_filter_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let r = s.post_json("/api/v2/alerts", r#"[{"labels":{"alertname":"Needle"}}]"#);
    assert_eq!(r.status, 200);
    let alternatives: Vec<String> = (0..14_000).map(|i| format!("hay{i:05}")).collect();
    let target = format!(
        "/api/v2/alerts?filter=alertname=~\"{}|Needle\"",
        alternatives.join("|")
    );
    assert!(target.len() > 100_000);
    let r = common::request(&s.addr, "GET", &target, &[], b"");
    assert_eq!(r.status, 200, "{}", &r.body[..r.body.len().min(300)]);
    assert!(r.body.contains("Needle"), "{}", r.body);
    let r = common::request(
        &s.addr,
        "GET",
        &target.replace("Needle", "Nothing"),
        &[],
        b"",
    );
    assert_eq!((r.status, r.body.trim()), (200, "[]"));
}

/// `--api.reported-version` sets the version `/api/v2/status` reports (for
/// teams whose amtool warns about another major.minor); a value that is not
/// a version is refused at start.
#[test]
fn the_reported_version_can_be_set() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let v = s.get("/api/v2/status").json();
    assert_eq!(v["versionInfo"]["version"], "0.34.0");
    drop(s);
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--api.reported-version=0.25.0"]);
    let v = s.get("/api/v2/status").json();
    assert_eq!(v["versionInfo"]["version"], "0.25.0");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("--api.reported-version=latest")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a version like 0.25.0"), "{err}");
}
