//! A real Prometheus (Debian's `prometheus`) with a firing rule sends its
//! alerts to Tocsin through `alerting.alertmanagers` (API v2), and they show
//! up in `GET /api/v2/alerts` with Prometheus' labels, annotations and
//! generator URL.

#[path = "../tests/common/mod.rs"]
mod harness;

use std::process::{Command, Stdio};
use std::time::Duration;

use harness::Server;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Prometheus on `dir/prometheus.yml`, evaluating and re-sending
/// every second; stopped when dropped.
fn prometheus(bin: &std::path::Path, dir: &std::path::Path) -> Child {
    let port = harness::free_port();
    Child(
        Command::new(bin)
            .current_dir(dir)
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--rules.alert.resend-delay=1s")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts"),
    )
}

#[test]
fn prometheus_alerts_reach_tocsin() {
    let bin = std::path::Path::new("/usr/bin/prometheus");
    assert!(
        bin.exists(),
        "prometheus is missing: install Debian's prometheus (see scripts/test)"
    );
    let tocsin = Server::with_config(
        "route:\n  receiver: a\n  group_by: [alertname]\nreceivers:\n- name: a\n",
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.yml"),
        r#"groups:
- name: compat
  interval: 1s
  rules:
  - alert: TocsinCompat
    expr: vector(1)
    labels:
      severity: page
      team: sre
    annotations:
      summary: "Compat alert with value {{ $value }}"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!(
            r#"global:
  evaluation_interval: 1s
  external_labels:
    cluster: compat
rule_files: [rules.yml]
alerting:
  alertmanagers:
  - api_version: v2
    static_configs:
    - targets: ['{}']
"#,
            tocsin.addr
        ),
    )
    .unwrap();
    let _prom = prometheus(bin, dir.path());
    let mut found = serde_json::Value::Null;
    let ok = harness::eventually(Duration::from_secs(90), || {
        let v = tocsin
            .get("/api/v2/alerts?filter=alertname%3D%22TocsinCompat%22")
            .json();
        match v.as_array().and_then(|a| a.first()) {
            Some(a) => {
                found = a.clone();
                true
            }
            None => false,
        }
    });
    assert!(ok, "no alert from Prometheus within 90s");
    assert_eq!(found["labels"]["alertname"], "TocsinCompat");
    assert_eq!(found["labels"]["severity"], "page");
    assert_eq!(found["labels"]["team"], "sre");
    assert_eq!(
        found["labels"]["cluster"], "compat",
        "external labels are attached"
    );
    assert_eq!(found["annotations"]["summary"], "Compat alert with value 1");
    let gen_url = found["generatorURL"].as_str().unwrap();
    assert!(
        gen_url.contains("/graph?g0.expr=vector%281%29"),
        "{gen_url}"
    );
    assert_eq!(found["status"]["state"], "active");
    assert_eq!(found["receivers"][0]["name"], "a");
    // Prometheus sends an end time in the future: the alert is firing.
    let ends: chrono::DateTime<chrono::Utc> = found["endsAt"].as_str().unwrap().parse().unwrap();
    assert!(ends > chrono::Utc::now());
}

/// The same through `--web.config.file` with TLS and basic auth: Prometheus
/// reaches Tocsin with `scheme: https`, `tls_config` and `basic_auth`.
#[test]
fn prometheus_alerts_reach_tocsin_over_tls_with_basic_auth() {
    let bin = std::path::Path::new("/usr/bin/prometheus");
    assert!(bin.exists(), "prometheus is missing (see scripts/test)");
    let dir = tempfile::tempdir().unwrap();
    harness::tls_certificates(dir.path());
    std::fs::write(
        dir.path().join("alertmanager.yml"),
        "route:\n  receiver: a\nreceivers:\n- name: a\n",
    )
    .unwrap();
    let hash = bcrypt::hash("prom-secret", 4).unwrap();
    std::fs::write(
        dir.path().join("web.yml"),
        format!(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: {hash}\n"
        ),
    )
    .unwrap();
    let tocsin = Server::start(
        dir.path(),
        &[
            &format!(
                "--config.file={}",
                dir.path().join("alertmanager.yml").display()
            ),
            &format!("--web.config.file={}", dir.path().join("web.yml").display()),
        ],
    );
    std::fs::write(
        dir.path().join("rules.yml"),
        "groups:\n- name: tls\n  interval: 1s\n  rules:\n  - alert: TocsinOverTls\n    expr: vector(1)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!(
            r#"global:
  evaluation_interval: 1s
rule_files: [rules.yml]
alerting:
  alertmanagers:
  - api_version: v2
    scheme: https
    basic_auth:
      username: prometheus
      password: prom-secret
    tls_config:
      ca_file: {}
    static_configs:
    - targets: ['{}']
"#,
            dir.path().join("ca.crt").display(),
            tocsin.addr
        ),
    )
    .unwrap();
    let _prom = prometheus(bin, dir.path());
    // Read back over TLS with the same credentials (curl).
    let seen = harness::eventually(Duration::from_secs(90), || {
        let out = Command::new("curl")
            .current_dir(dir.path())
            .args(["-s", "--cacert", "ca.crt", "-u", "prometheus:prom-secret"])
            .arg(format!("https://{}/api/v2/alerts", tocsin.addr))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains("TocsinOverTls")
    });
    assert!(seen, "no alert from Prometheus over TLS within 90s");
}
