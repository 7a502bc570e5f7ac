//! End-to-end notification: alerts posted to `tocsin` reach a webhook sink
//! after `group_wait`, batched per group, deduplicated, resolved, retried.

mod common;

use std::time::Duration;

use common::{Server, Sink};

fn config(sink: &Sink, extra_route: &str) -> String {
    format!(
        "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 1h\n{extra_route}receivers:\n- name: hook\n  webhook_configs:\n  - url: {}\n    send_resolved: true\n",
        sink.url()
    )
}

fn post(s: &Server, body: &str) {
    let r = s.post_json("/api/v2/alerts", body);
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn firing_batching_dedup_and_resolution() {
    let sink = Sink::start();
    let s = Server::with_config(&config(&sink, ""), &[]);
    post(
        &s,
        r#"[{"labels":{"alertname":"A","instance":"1"}},{"labels":{"alertname":"A","instance":"2"}},{"labels":{"alertname":"B"}}]"#,
    );
    assert!(
        sink.wait_for(2, Duration::from_secs(30)),
        "two groups notified"
    );
    std::thread::sleep(Duration::from_millis(300));
    let bodies = sink.bodies();
    assert_eq!(bodies.len(), 2);
    let a = bodies
        .iter()
        .find(|b| b["groupLabels"]["alertname"] == "A")
        .unwrap();
    assert_eq!(a["version"], "4");
    assert_eq!(a["status"], "firing");
    assert_eq!(a["receiver"], "hook");
    assert_eq!(a["groupKey"], "{}:{alertname=\"A\"}");
    assert_eq!(a["alerts"].as_array().unwrap().len(), 2, "batched");
    assert_eq!(a["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(
        a["alerts"][0]["labels"]["instance"], "1",
        "sorted by instance"
    );
    assert_eq!(a["truncatedAlerts"], 0);
    // Group interval ticks send nothing new (dedup through the notification log).
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(sink.count(), 2, "no repeat within repeat_interval");
    // Resolve one alert of group A: a resolved notification follows.
    post(
        &s,
        r#"[{"labels":{"alertname":"A","instance":"1"},"endsAt":"2020-01-01T00:00:00Z"}]"#,
    );
    assert!(sink.wait_for(3, Duration::from_secs(30)));
    let last = sink.bodies().pop().unwrap();
    assert_eq!(last["groupLabels"]["alertname"], "A");
    let statuses: Vec<_> = last["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, vec!["resolved", "firing"]);
    let m = s.get("/metrics").body;
    assert!(
        m.contains("alertmanager_notifications_total{integration=\"webhook\"} 3"),
        "{m}"
    );
}

#[test]
fn failed_notifications_are_retried() {
    let sink = Sink::start();
    sink.script(&[500, 503]);
    let s = Server::with_config(&config(&sink, ""), &[]);
    post(&s, r#"[{"labels":{"alertname":"R"}}]"#);
    assert!(
        sink.wait_for(3, Duration::from_secs(30)),
        "two failures then success"
    );
    let times = sink.times();
    assert!(times[1] > times[0] && times[2] > times[1]);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(sink.count(), 3, "success recorded: no further sends");
    let m = s.get("/metrics").body;
    assert!(
        m.contains("alertmanager_notification_requests_failed_total{integration=\"webhook\"} 2"),
        "{m}"
    );
}

#[test]
fn client_errors_are_not_retried_within_a_flush() {
    let sink = Sink::start();
    sink.script(&[400]);
    let s = Server::with_config(&config(&sink, ""), &[]);
    post(&s, r#"[{"labels":{"alertname":"C"}}]"#);
    assert!(sink.wait_for(1, Duration::from_secs(30)));
    // Not logged as sent: the next group_interval tick tries again.
    assert!(sink.wait_for(2, Duration::from_secs(30)));
    let m = s.get("/metrics").body;
    assert!(m.contains("alertmanager_notifications_failed_total{integration=\"webhook\",reason=\"clientError\"} 1"), "{m}");
}

#[test]
fn silenced_and_inhibited_alerts_are_not_sent() {
    let sink = Sink::start();
    let inhibit = "";
    let cfg = format!(
        "{}inhibit_rules:\n- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n  equal: [cluster]\n{inhibit}",
        config(&sink, "")
    );
    let s = Server::with_config(&cfg, &[]);
    let sil = r#"{"matchers":[{"name":"alertname","value":"Quiet","isRegex":false}],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"t","comment":"c"}"#;
    assert_eq!(s.post_json("/api/v2/silences", sil).status, 200);
    post(
        &s,
        r#"[{"labels":{"alertname":"Quiet"}},
                 {"labels":{"alertname":"Down","severity":"critical","cluster":"x"}},
                 {"labels":{"alertname":"Slow","severity":"warning","cluster":"x"}},
                 {"labels":{"alertname":"Slow","severity":"warning","cluster":"y"}}]"#,
    );
    assert!(sink.wait_for(2, Duration::from_secs(30)));
    std::thread::sleep(Duration::from_secs(3));
    let bodies = sink.bodies();
    let names: Vec<String> = bodies
        .iter()
        .flat_map(|b| b["alerts"].as_array().unwrap().clone())
        .map(|a| {
            format!(
                "{}/{}",
                a["labels"]["alertname"].as_str().unwrap(),
                a["labels"]["cluster"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(names.contains(&"Down/x".to_string()), "{names:?}");
    assert!(names.contains(&"Slow/y".to_string()), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("Quiet")),
        "silenced: {names:?}"
    );
    assert!(
        !names.contains(&"Slow/x".to_string()),
        "inhibited: {names:?}"
    );
}

#[test]
fn burst_of_ten_thousand_groups_without_loss_or_duplicates() {
    let sink = Sink::start();
    let s = Server::with_config(&config(&sink, ""), &[]);
    const N: usize = 10_000;
    for start in (0..N).step_by(1000) {
        let batch: Vec<String> = (start..start + 1000)
            .map(|i| format!(r#"{{"labels":{{"alertname":"Burst{i}","severity":"page"}}}}"#))
            .collect();
        post(&s, &format!("[{}]", batch.join(",")));
    }
    assert!(
        sink.wait_for(N, Duration::from_secs(120)),
        "got {} of {N}",
        sink.count()
    );
    std::thread::sleep(Duration::from_secs(3));
    let mut keys: Vec<String> = sink
        .bodies()
        .iter()
        .map(|b| b["groupKey"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), N, "no extra notifications");
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), N, "no duplicates");
    let m = s.get("/metrics").body;
    assert!(
        m.contains(&format!("alertmanager_dispatcher_aggregation_groups {N}")),
        "{m}"
    );
}

#[test]
fn a_hanging_receiver_times_out_and_blocks_no_other_group() {
    let slow = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let slow_url = format!("http://{}/hang", slow.local_addr().unwrap());
    // Accept connections and never answer.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in slow.incoming() {
            held.push(c);
        }
    });
    let sink = Sink::start();
    let cfg = format!(
        "route:\n  receiver: fast\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 10s\n  routes:\n  - matchers: [alertname=\"Slow\"]\n    receiver: slow\nreceivers:\n- name: fast\n  webhook_configs:\n  - url: {}\n- name: slow\n  webhook_configs:\n  - url: {slow_url}\n    timeout: 1s\n- name: wrong\n  webhook_configs:\n  - url: http://127.0.0.1:1/nothing-listens-here\n",
        sink.url()
    );
    let mut s = Server::with_config(&cfg, &[]);
    post(
        &s,
        r#"[{"labels":{"alertname":"Slow"}},{"labels":{"alertname":"Fast"}}]"#,
    );
    assert!(
        sink.wait_for(1, Duration::from_secs(10)),
        "the fast group is not held up"
    );
    assert_eq!(sink.bodies()[0]["groupLabels"]["alertname"], "Fast");
    // The hanging receiver fails with the configured timeout, visibly.
    let line = s.wait_for_log("Notify for alerts failed");
    assert!(line.contains("receiver=slow"), "{line}");
    assert!(
        line.contains("configured webhook timeout reached (1s)"),
        "{line}"
    );
    let m = s.get("/metrics").body;
    assert!(
        m.contains("alertmanager_notification_requests_failed_total{integration=\"webhook\"}"),
        "{m}"
    );
}

#[test]
fn a_wrong_url_fails_clearly() {
    let cfg = "route:\n  receiver: wrong\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 5s\nreceivers:\n- name: wrong\n  webhook_configs:\n  - url: http://127.0.0.1:1/nothing-listens-here\n";
    let mut s = Server::with_config(cfg, &[]);
    post(&s, r#"[{"labels":{"alertname":"W"}}]"#);
    let line = s.wait_for_log("Notify for alerts failed");
    assert!(line.contains("receiver=wrong"), "{line}");
    assert!(line.contains("connection refused"), "{line}");
    assert!(line.contains("notify retry canceled after"), "{line}");
    let m = s.get("/metrics").body;
    assert!(
        m.contains("alertmanager_notifications_failed_total{integration=\"webhook\",reason=\"contextDeadlineExceeded\"} 1")
            || m.contains("alertmanager_notifications_failed_total{integration=\"webhook\",reason=\"other\"} 1"),
        "{m}"
    );
}

/// `--dispatch.start-delay`: nothing is sent before the delay has passed
/// since the start; alerts received meanwhile are kept and grouped, and
/// their group is notified once, with all of them, when it ends.
#[test]
fn nothing_is_sent_before_the_dispatch_start_delay() {
    let sink = Sink::start();
    let started = std::time::Instant::now();
    let s = Server::with_config(&config(&sink, ""), &["--dispatch.start-delay=4s"]);
    post(&s, r#"[{"labels":{"alertname":"Early","instance":"1"}}]"#);
    std::thread::sleep(Duration::from_millis(1500));
    post(&s, r#"[{"labels":{"alertname":"Early","instance":"2"}}]"#);
    // group_wait (1 s) is long over, but the delay is not.
    while started.elapsed() < Duration::from_millis(3500) {
        assert_eq!(sink.count(), 0, "sent before the start delay");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(sink.wait_for(1, Duration::from_secs(10)));
    let times = sink.times();
    assert!(times[0].duration_since(started) >= Duration::from_secs(4));
    std::thread::sleep(Duration::from_millis(500));
    let bodies = sink.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(bodies[0]["alerts"].as_array().unwrap().len(), 2);
}
