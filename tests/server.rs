//! End-to-end: the `tocsin` binary started on a loopback port, driven over
//! HTTP and signals.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running server and the lines it has logged so far.
struct Server {
    child: Child,
    addr: String,
    logs: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    fn start(dir: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .current_dir(dir)
            .args([
                "--web.listen-address=127.0.0.1:0",
                "--cluster.listen-address=",
                "--storage.path",
            ])
            .arg(dir.join("data"))
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("tocsin starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut s = Server {
            child,
            addr: String::new(),
            logs: rx,
            seen: Vec::new(),
        };
        let line = s.wait_for_log("msg=\"Listening on\"");
        s.addr = line
            .split("address=")
            .nth(1)
            .and_then(|a| a.split_whitespace().next())
            .expect("address in the Listening on line")
            .to_string();
        s
    }

    /// Waits (up to 30 s) for a log line containing `needle`.
    fn wait_for_log(&mut self, needle: &str) -> String {
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match self.logs.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!(
            "no log line with {needle:?}; saw:\n{}",
            self.seen.join("\n")
        );
    }

    fn request(&self, method: &str, path: &str) -> (u16, String) {
        http(&self.addr, method, path)
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not exit");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 request; returns status and body.
fn http(addr: &str, method: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status: u16 = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

const GOOD: &str = "route:\n  receiver: a\nreceivers:\n  - name: a\n";

#[test]
fn health_ready_reload_and_graceful_exit() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("am.yml");
    std::fs::write(&cfg, GOOD).unwrap();
    let mut s = Server::start(dir.path(), &[&format!("--config.file={}", cfg.display())]);
    assert_eq!(s.request("GET", "/-/healthy"), (200, "OK".to_string()));
    assert_eq!(s.request("GET", "/-/ready"), (200, "OK".to_string()));
    assert_eq!(s.request("GET", "/-/reload").0, 405);
    assert_eq!(s.request("POST", "/-/reload"), (200, String::new()));

    // An invalid config is refused with the reason; the server keeps running.
    std::fs::write(&cfg, "route:\n  receiver: missing\n").unwrap();
    let (code, body) = s.request("POST", "/-/reload");
    assert_eq!(code, 500);
    assert_eq!(
        body,
        "failed to reload config: undefined receiver \"missing\" used in route\n"
    );
    assert_eq!(s.request("GET", "/-/healthy").0, 200);

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
    assert_eq!(s.request("GET", "/-/healthy").0, 200);
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
    assert_eq!(s.request("GET", "/am/-/healthy").0, 200);
    assert_eq!(s.request("GET", "/-/healthy").0, 404);
    assert_eq!(s.request("GET", "/").0, 302);
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
        .args(["--log.format=json", "--config.file=/nonexistent/am.yml"])
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
        .args(["--log.level=error", "--config.file=/nonexistent/am.yml"])
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
