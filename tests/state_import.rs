//! Migration from Alertmanager with snapshot files written, in the test
//! itself, by the real Alertmanager 0.25: silences (active, pending and
//! expired ones) and the notification log of a group it notified are
//! imported once on Tocsin's first start on the same `--storage.path`, so
//! that the silences keep their ids and contents and the group is not paged
//! again; a second start imports nothing.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::SecondsFormat;
use common::{Server, Sink, eventually};
use serde_json::{Value, json};

const IMPORT_LOG: &str = "Imported Alertmanager state files";

fn config(sink: &Sink) -> String {
    format!(
        "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n- name: hook\n  webhook_configs:\n  - url: {}\n",
        sink.url()
    )
}

fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Creates a silence and returns its id.
fn create_silence(s: &Server, body: &Value) -> String {
    let r = s.post_json("/api/v2/silences", &body.to_string());
    assert_eq!(r.status, 200, "POST /api/v2/silences {body}: {}", r.body);
    r.json()["silenceID"]
        .as_str()
        .unwrap_or_else(|| panic!("no silenceID in {}", r.body))
        .to_string()
}

/// `GET /api/v2/silences`, by id.
fn silences_by_id(s: &Server) -> BTreeMap<String, Value> {
    let r = s.get("/api/v2/silences");
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", r.body))
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

/// The value of `key=` in a logfmt line.
fn logfmt_field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|t| t.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// The value of an unlabelled sample in a Prometheus text exposition.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .len()
}

fn alert_names(bodies: &[Value]) -> Vec<String> {
    bodies
        .iter()
        .map(|b| {
            b["groupLabels"]["alertname"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

#[test]
fn imports_alertmanager_snapshot_files_once() {
    // --- Alertmanager 0.25 writes the snapshot files. ---
    let am_sink = Sink::start();
    let mut am = Server::alertmanager(&config(&am_sink));
    let dir = am
        .dir()
        .expect("alertmanager runs in a temporary directory");
    let data = dir.join("data");
    let now = chrono::Utc::now();

    let id_eq = create_silence(
        &am,
        &json!({
            "matchers": [
                {"name": "env", "value": "prod", "isRegex": false, "isEqual": true},
                {"name": "team", "value": "db", "isRegex": false, "isEqual": false},
            ],
            "startsAt": ts(now),
            "endsAt": ts(now + chrono::Duration::hours(2)),
            "createdBy": "alice",
            "comment": "Maintenance of the prod cluster (not the db team's)",
        }),
    );
    let id_re = create_silence(
        &am,
        &json!({
            "matchers": [
                {"name": "service", "value": "api|web", "isRegex": true, "isEqual": true},
                {"name": "instance", "value": "test-.*", "isRegex": true, "isEqual": false},
            ],
            "startsAt": ts(now),
            "endsAt": ts(now + chrono::Duration::hours(3)),
            "createdBy": "bob",
            "comment": "Deploying api and web, ünïcödé and \"quotes\"",
        }),
    );
    let id_pending = create_silence(
        &am,
        &json!({
            "matchers": [{"name": "alertname", "value": "Later", "isRegex": false, "isEqual": true}],
            "startsAt": ts(now + chrono::Duration::hours(1)),
            "endsAt": ts(now + chrono::Duration::hours(2)),
            "createdBy": "dave",
            "comment": "Tomorrow's window",
        }),
    );
    let id_expired = create_silence(
        &am,
        &json!({
            "matchers": [{"name": "alertname", "value": "Expired", "isRegex": false, "isEqual": true}],
            "startsAt": ts(now),
            "endsAt": ts(now + chrono::Duration::hours(1)),
            "createdBy": "carol",
            "comment": "Expired before the switch",
        }),
    );
    let r = am.request("DELETE", &format!("/api/v2/silence/{id_expired}"));
    assert_eq!(r.status, 200, "expire {id_expired}: {}", r.body);

    // One alert, matched by none of the silences, notified once.
    let starts_at = ts(now - chrono::Duration::minutes(5));
    let imported_alert = |ends_at: &str| {
        json!({
            "labels": {"alertname": "Imported", "env": "staging", "instance": "host-1:9100", "severity": "page"},
            "annotations": {"summary": "notified by Alertmanager before the switch"},
            "startsAt": starts_at,
            "endsAt": ends_at,
            "generatorURL": "http://prometheus.example/graph?g0.expr=up",
        })
    };
    let r = am.post_json(
        "/api/v2/alerts",
        &json!([imported_alert(&ts(now + chrono::Duration::hours(1)))]).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        am_sink.wait_for(1, Duration::from_secs(30)),
        "alertmanager did not notify the webhook"
    );
    // The notification log entry is written after the send; the group's
    // next flush (group_interval 1s) queries the log again only once the
    // first flush, logging included, is over.
    assert!(
        eventually(Duration::from_secs(30), || {
            metric(&am.get("/metrics").body, "alertmanager_nflog_queries_total")
                .is_some_and(|n| n >= 2.0)
        }),
        "alertmanager's group did not flush a second time:\n{}",
        am.get("/metrics").body
    );
    assert_eq!(
        am_sink.count(),
        1,
        "alertmanager notified more than once: {:?}",
        am_sink.bodies()
    );
    assert_eq!(alert_names(&am_sink.bodies()), ["Imported"]);

    let before = silences_by_id(&am);
    assert_eq!(
        before.keys().cloned().collect::<Vec<_>>(),
        {
            let mut ids = vec![
                id_eq.clone(),
                id_re.clone(),
                id_pending.clone(),
                id_expired.clone(),
            ];
            ids.sort();
            ids
        },
        "alertmanager's silences: {before:#?}"
    );
    assert_eq!(before[&id_eq]["status"]["state"], "active");
    assert_eq!(before[&id_re]["status"]["state"], "active");
    assert_eq!(before[&id_pending]["status"]["state"], "pending");
    assert_eq!(before[&id_expired]["status"]["state"], "expired");

    // A clean shutdown writes the snapshots.
    am.signal("TERM");
    assert_eq!(am.wait_exit(), Some(0), "alertmanager's exit status");
    for f in ["silences", "nflog"] {
        let p = data.join(f);
        assert!(
            p.is_file(),
            "alertmanager wrote no {}; {} holds {:?}",
            p.display(),
            data.display(),
            std::fs::read_dir(&data)
                .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        );
        assert!(file_len(&p) > 0, "{} is empty", p.display());
    }

    // --- Tocsin on the same storage path, notifying a new sink. ---
    let sink = Sink::start();
    let cfg = dir.join("tocsin.yml");
    std::fs::write(&cfg, config(&sink)).unwrap();
    let cfg_arg = format!("--config.file={}", cfg.display());
    let mut s = Server::start(&dir, &[&cfg_arg]);
    let line = s.wait_for_log(IMPORT_LOG);
    assert_eq!(
        logfmt_field(&line, "silences"),
        Some("4"),
        "import log line: {line}"
    );
    assert_eq!(
        logfmt_field(&line, "nflog_entries"),
        Some("1"),
        "import log line: {line}"
    );
    s.wait_ready();

    // The same silences, field for field (updatedAt included: an import is
    // not an update).
    let after = silences_by_id(&s);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "silence ids after the import: {after:#?}"
    );
    for (id, want) in &before {
        assert_eq!(
            &after[id], want,
            "silence {id}: Tocsin (left) differs from Alertmanager (right)"
        );
    }

    // Prometheus keeps sending the firing alert after the switch: its group
    // was notified by Alertmanager and repeat_interval is 1h, so nothing
    // goes out. A new alert in another group posted with it is notified, and
    // one matched by an imported silence is muted.
    let posted = Instant::now();
    let r = s.post_json(
        "/api/v2/alerts",
        &json!([
            imported_alert(&ts(chrono::Utc::now() + chrono::Duration::hours(1))),
            {"labels": {"alertname": "Fresh", "env": "staging"}},
            {"labels": {"alertname": "Muted", "env": "prod", "team": "web"}},
        ])
        .to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        sink.wait_for(1, Duration::from_secs(30)),
        "tocsin notified nothing, not even the new group"
    );
    // Every group was posted at once: once the new one is notified the
    // others have had their first flush; give them a few more.
    std::thread::sleep(Duration::from_secs(5));
    assert!(posted.elapsed() >= Duration::from_secs(5));
    let names = alert_names(&sink.bodies());
    assert_eq!(
        names,
        ["Fresh"],
        "notifications after the switch (the Imported group must not be re-notified, the Muted one is silenced): {:#?}",
        sink.bodies()
    );

    let alerts = s.get("/api/v2/alerts");
    assert_eq!(alerts.status, 200, "{}", alerts.body);
    let alerts = alerts.json();
    let status_of = |name: &str| {
        alerts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["labels"]["alertname"] == name)
            .unwrap_or_else(|| panic!("no alert {name} in {alerts:#}"))["status"]
            .clone()
    };
    let muted = status_of("Muted");
    assert_eq!(muted["state"], "suppressed", "{muted}");
    assert_eq!(muted["silencedBy"], json!([id_eq]), "{muted}");
    for name in ["Imported", "Fresh"] {
        let st = status_of(name);
        assert_eq!(st["state"], "active", "{name}: {st}");
    }

    // --- A second start imports nothing again. ---
    s.signal("TERM");
    assert_eq!(s.wait_exit(), Some(0), "tocsin's exit status");
    drop(s);
    let mut s = Server::start(&dir, &[&cfg_arg]);
    s.wait_for_log("State restored");
    s.wait_ready();
    assert!(
        !s.seen.iter().any(|l| l.contains(IMPORT_LOG)),
        "imported again on the second start:\n{}",
        s.seen.join("\n")
    );
    let again = silences_by_id(&s);
    assert_eq!(
        again, after,
        "silences after the second start differ from those after the import"
    );
}
