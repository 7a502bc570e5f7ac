//! The prometheus-operator path: Tocsin started with exactly the argument
//! list the operator gives Alertmanager's StatefulSet (its paths under a
//! temporary directory, its address forms: `:9093`, `[$(POD_IP)]:9094`,
//! peers by DNS name), then reloaded the way its config-reloader does
//! (`POST /-/reload` after rewriting the file), with a second replica
//! joining through `--cluster.peer`.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Sink, eventually, free_port, free_udp_port, try_request};

struct Replica {
    child: Child,
    web: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a replica as prometheus-operator would, with `root` standing for
/// the pod's file system.
fn replica(root: &Path, name: &str, cluster_port: u16, peers: &[u16]) -> Replica {
    let web_port = free_port();
    let mut args = vec![
        format!(
            "--config.file={}",
            root.join("etc/alertmanager/config_out/alertmanager.env.yaml")
                .display()
        ),
        format!(
            "--storage.path={}",
            root.join(name).join("alertmanager").display()
        ),
        "--data.retention=120h".to_string(),
        format!("--cluster.listen-address=[127.0.0.1]:{cluster_port}"),
        format!("--web.listen-address=:{web_port}"),
        format!("--web.external-url=http://{name}.example.com/"),
        "--web.route-prefix=/".to_string(),
        "--cluster.label=monitoring/main".to_string(),
        "--cluster.reconnect-timeout=5m".to_string(),
        format!(
            "--web.config.file={}",
            root.join("etc/alertmanager/web_config/web-config.yaml")
                .display()
        ),
    ];
    for p in peers {
        // The operator names peers by their pod's DNS name.
        args.push(format!("--cluster.peer=localhost:{p}"));
    }
    let child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(&args)
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tocsin starts");
    Replica {
        child,
        web: format!("127.0.0.1:{web_port}"),
    }
}

fn get(r: &Replica, path: &str) -> Option<(u16, String)> {
    try_request(&r.web, "GET", path, &[], b"")
        .ok()
        .map(|x| (x.status, x.body))
}

fn config(sink: &Sink, group_wait: &str) -> String {
    format!(
        "route:\n  receiver: default\n  group_by: [alertname]\n  group_wait: {group_wait}\nreceivers:\n- name: default\n  webhook_configs:\n  - url: {}\n",
        sink.url()
    )
}

#[test]
fn the_operators_arguments_reload_and_a_second_replica() {
    let sink = Sink::start();
    let root = tempfile::tempdir().unwrap();
    let cfg = root
        .path()
        .join("etc/alertmanager/config_out/alertmanager.env.yaml");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, config(&sink, "30s")).unwrap();
    let web = root
        .path()
        .join("etc/alertmanager/web_config/web-config.yaml");
    std::fs::create_dir_all(web.parent().unwrap()).unwrap();
    // What the operator writes when no web TLS or auth is configured.
    std::fs::write(&web, "{}\n").unwrap();

    let (pa, pb) = (free_udp_port(), free_udp_port());
    let a = replica(root.path(), "alertmanager-main-0", pa, &[pa, pb]);
    let b = replica(root.path(), "alertmanager-main-1", pb, &[pa, pb]);
    for r in [&a, &b] {
        assert!(
            eventually(Duration::from_secs(40), || get(r, "/-/ready")
                .is_some_and(|(s, _)| s == 200)),
            "replica on {} not ready",
            r.web
        );
        assert_eq!(get(r, "/-/healthy").map(|x| x.0), Some(200));
    }
    assert!(eventually(Duration::from_secs(20), || {
        get(&a, "/api/v2/status").is_some_and(|(_, body)| {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            v["cluster"]["peers"].as_array().map(Vec::len) == Some(2)
                && v["cluster"]["status"] == "ready"
        })
    }));

    // The config-reloader rewrites the file and posts to /-/reload.
    std::fs::write(&cfg, config(&sink, "1s")).unwrap();
    for r in [&a, &b] {
        let resp = try_request(&r.web, "POST", "/-/reload", &[], b"").unwrap();
        assert_eq!(resp.status, 200, "{}", resp.body);
        let (_, status) = get(r, "/api/v2/status").unwrap();
        assert!(status.contains("group_wait: 1s"), "{status}");
    }
    // A bad file is refused by the reload and the old one stays.
    std::fs::write(&cfg, "route: [\n").unwrap();
    let resp = try_request(&a.web, "POST", "/-/reload", &[], b"").unwrap();
    assert_eq!(resp.status, 500);
    assert!(
        get(&a, "/api/v2/status")
            .unwrap()
            .1
            .contains("group_wait: 1s")
    );

    // Both replicas receive the alert; the cluster notifies once.
    for r in [&a, &b] {
        let body = r#"[{"labels":{"alertname":"OperatorPath"}}]"#;
        let resp = try_request(
            &r.web,
            "POST",
            "/api/v2/alerts",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(resp.status, 200);
    }
    assert!(sink.wait_for(1, Duration::from_secs(20)));
    // The second replica waits 15 s (the default peer timeout) and then
    // finds the first one's log entry.
    std::thread::sleep(Duration::from_secs(17));
    assert_eq!(sink.count(), 1, "{:?}", sink.bodies());
}
