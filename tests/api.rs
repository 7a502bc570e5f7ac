//! End-to-end API behaviour of the `tocsin` binary that the differential
//! tests cannot cover: Tocsin-only guarantees (no lag after silence changes,
//! reload applying inhibition rules), limits, metrics and cluster status.

mod common;

use std::time::Duration;

use common::Server;

const CONFIG: &str = "route:\n  receiver: a\n  group_by: [alertname]\nreceivers:\n- name: a\n";

fn alert(labels: &str) -> String {
    format!(r#"[{{"labels":{labels}}}]"#)
}

#[test]
fn silence_changes_are_visible_immediately() {
    let s = Server::with_config(CONFIG, &[]);
    assert_eq!(
        s.post_json("/api/v2/alerts", &alert(r#"{"alertname":"A","team":"x"}"#))
            .status,
        200
    );
    let body = r#"{"matchers":[{"name":"team","value":"x","isRegex":false}],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"t","comment":"c"}"#;
    let r = s.post_json("/api/v2/silences", body);
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.json()["silenceID"].as_str().unwrap().to_string();
    // The very next request sees the silence...
    let a = s.get("/api/v2/alerts").json();
    assert_eq!(a[0]["status"]["state"], "suppressed");
    assert_eq!(a[0]["status"]["silencedBy"][0], id.as_str());
    // ...and its expiry.
    assert_eq!(
        s.request("DELETE", &format!("/api/v2/silence/{id}")).status,
        200
    );
    let a = s.get("/api/v2/alerts").json();
    assert_eq!(a[0]["status"]["state"], "active");
    assert_eq!(a[0]["status"]["silencedBy"].as_array().unwrap().len(), 0);
}

#[test]
fn reload_applies_new_inhibition_rules_to_stored_alerts() {
    let mut s = Server::with_config(CONFIG, &[]);
    let batch = r#"[{"labels":{"alertname":"Down","severity":"critical","cluster":"c1"}},
                    {"labels":{"alertname":"Slow","severity":"warning","cluster":"c1"}},
                    {"labels":{"alertname":"Slow","severity":"warning","cluster":"c2"}}]"#;
    assert_eq!(s.post_json("/api/v2/alerts", batch).status, 200);
    let inhibited = |s: &Server| {
        s.get("/api/v2/alerts?inhibited=false")
            .json()
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(inhibited(&s), 3);
    let cfg = s.dir().unwrap().join("alertmanager.yml");
    std::fs::write(
        &cfg,
        format!("{CONFIG}inhibit_rules:\n- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n  equal: [cluster]\n"),
    )
    .unwrap();
    assert_eq!(s.request("POST", "/-/reload").status, 200);
    assert_eq!(
        inhibited(&s),
        2,
        "the c1 warning is inhibited by the c1 critical"
    );
    // An invalid config changes nothing.
    std::fs::write(&cfg, "route: {receiver: nope}\n").unwrap();
    assert_eq!(s.request("POST", "/-/reload").status, 500);
    assert_eq!(inhibited(&s), 2);
    assert_eq!(s.get("/api/v2/alerts").json().as_array().unwrap().len(), 3);
    s.signal("TERM");
    assert_eq!(s.wait_exit(), Some(0));
}

#[test]
fn bad_input_is_rejected_and_changes_nothing() {
    let s = Server::with_config(CONFIG, &["--enable-feature=classic-mode"]);
    let r = s.post_json("/api/v2/alerts", &alert(r#"{"0bad":"x"}"#));
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "\"invalid label set: invalid name \\\"0bad\\\"\"")
    );
    let r = s.post_json(
        "/api/v2/alerts",
        r#"[{"labels":{"a":"b"},"startsAt":"2030-01-01T00:00:00Z","endsAt":"2020-01-01T00:00:00Z"}]"#,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "\"start time must be before end time\"")
    );
    assert_eq!(s.get("/api/v2/alerts").body, "[]", "nothing stored");
    for q in [
        "filter=a%3D~%22(%22",
        "filter=%7Ba%3D%22b%22%7D",
        "filter=nooperator",
    ] {
        assert_eq!(s.get(&format!("/api/v2/alerts?{q}")).status, 400, "{q}");
        assert_eq!(
            s.get(&format!("/api/v2/alerts/groups?{q}")).status,
            400,
            "{q}"
        );
        assert_eq!(s.get(&format!("/api/v2/silences?{q}")).status, 400, "{q}");
    }
    assert_eq!(
        s.get("/api/v2/silence/0b0b0b0b-0000-4000-8000-000000000000")
            .status,
        404
    );
    assert_eq!(
        s.request(
            "DELETE",
            "/api/v2/silence/0b0b0b0b-0000-4000-8000-000000000000"
        )
        .status,
        404
    );
    assert_eq!(s.get("/api/v2/silence/xyz").status, 422);
    // Malformed JSON and wrong shapes.
    for body in [
        "[",
        "{}",
        "[{\"labels\":[1]}]",
        "[{\"labels\":{\"a\":1}}]",
        "\u{0}",
    ] {
        let r = s.post_json("/api/v2/alerts", body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(
            r.json()["message"]
                .as_str()
                .unwrap()
                .starts_with("parsing alerts body")
        );
    }
    // A body over the limit is refused without being read whole.
    let huge = format!("[{}]", vec![r#"{"labels":{"a":"b"}}"#; 4_000_000].join(","));
    assert!(huge.len() > 64 << 20);
    let r = common::try_request(
        &s.addr,
        "POST",
        "/api/v2/alerts",
        &[("Content-Type", "application/json")],
        huge.as_bytes(),
    );
    match r {
        Ok(r) => assert_eq!(r.status, 413),
        // The server may close the connection before the client has sent it all.
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "{e}"
        ),
    }
    assert_eq!(s.get("/api/v2/alerts").body, "[]");
    assert_eq!(s.get("/-/healthy").status, 200);
}

#[test]
fn api_v1_is_gone() {
    let s = Server::with_config(CONFIG, &[]);
    let r = s.get("/api/v1/alerts");
    assert_eq!(r.status, 410);
    assert_eq!(r.json()["status"], "deprecated");
}

#[test]
fn metrics_use_alertmanager_names() {
    let s = Server::with_config(CONFIG, &[]);
    s.post_json("/api/v2/alerts", &alert(r#"{"alertname":"A"}"#));
    s.post_json("/api/v2/alerts", &alert(r#"{"0bad":"x","":"y"}"#));
    let r = s.request("GET", "/metrics");
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{:?}",
        r.headers
    );
    for needle in [
        "alertmanager_alerts_received_total{status=\"firing\",version=\"v2\"} 2",
        "alertmanager_alerts{state=\"active\"} 1",
        "alertmanager_config_last_reload_successful 1",
        "alertmanager_receivers 1",
        "alertmanager_integrations 0",
        "# TYPE alertmanager_build_info gauge",
        "alertmanager_silences{state=\"active\"} 0",
        "process_resident_memory_bytes",
        "alertmanager_http_request_duration_seconds_bucket",
    ] {
        assert!(r.body.contains(needle), "missing {needle:?} in\n{}", r.body);
    }
}

#[test]
fn status_reports_cluster_peer_when_listening() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alertmanager.yml"), CONFIG).unwrap();
    let s = Server::start(
        dir.path(),
        &[
            "--cluster.listen-address=127.0.0.1:0",
            "--cluster.peer-name=tocsin-a",
        ],
    );
    let st = s.get("/api/v2/status").json();
    assert_eq!(st["cluster"]["status"], "ready");
    assert_eq!(st["cluster"]["name"], "tocsin-a");
    assert_eq!(st["cluster"]["peers"][0]["name"], "tocsin-a");
    assert!(
        st["cluster"]["peers"][0]["address"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    let s2 = Server::with_config(CONFIG, &[]);
    assert_eq!(
        s2.get("/api/v2/status").json()["cluster"],
        serde_json::json!({"peers": [], "status": "disabled"})
    );
    // The config is shown re-marshalled, with secrets masked.
    let secret = "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - url: http://127.0.0.1:1/hook\n    http_config:\n      basic_auth: {username: u, password: hunter2}\n";
    let s3 = Server::with_config(secret, &[]);
    let orig = s3.get("/api/v2/status").json()["config"]["original"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !orig.contains("hunter2") && orig.contains("<secret>"),
        "{orig}"
    );
    assert!(orig.contains("resolve_timeout: 5m"), "{orig}");
}

#[test]
fn concurrent_posts_and_reads() {
    let s = Server::with_config(CONFIG, &[]);
    let addr = s.addr.clone();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let body = format!(r#"[{{"labels":{{"alertname":"W{w}","n":"{i}"}}}}]"#);
                    let r = common::request(
                        &addr,
                        "POST",
                        "/api/v2/alerts",
                        &[("Content-Type", "application/json")],
                        body.as_bytes(),
                    );
                    assert_eq!(r.status, 200);
                }
            })
        })
        .collect();
    let reader = std::thread::spawn(move || {
        for _ in 0..50 {
            assert_eq!(
                common::request(&addr, "GET", "/api/v2/alerts/groups", &[], b"").status,
                200
            );
        }
    });
    for w in writers {
        w.join().unwrap();
    }
    reader.join().unwrap();
    assert!(common::eventually(Duration::from_secs(5), || {
        s.get("/api/v2/alerts").json().as_array().unwrap().len() == 200
    }));
    assert_eq!(
        s.get("/api/v2/alerts/groups")
            .json()
            .as_array()
            .unwrap()
            .len(),
        4
    );
}
