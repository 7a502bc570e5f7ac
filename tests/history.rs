//! The history of alerts and notifications, end to end: a scripted
//! incident (fire, a failing then succeeding receiver, silence, unsilence,
//! inhibit, uninhibit, resolve, a route muted by a time interval) returns
//! exactly the expected rows through the history API and through
//! `tocsin history`, and survives a restart without inventing events.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Server, Sink, eventually};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);
const BASE: &str = "/api/tocsin/v1/history";

fn config(sink: &Sink) -> String {
    format!(
        r#"
route:
  receiver: team
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
  - matchers: ['alertname="Maint"']
    receiver: team
    mute_time_intervals: [always]
inhibit_rules:
- source_matchers: ['alertname="Outage"']
  target_matchers: ['alertname="Disk"']
  equal: [env]
time_intervals:
- name: always
  time_intervals: [{{}}]
receivers:
- name: team
  webhook_configs:
  - url: {}
    send_resolved: true
"#,
        sink.url()
    )
}

fn post_alert(s: &Server, labels: Value, resolved: bool) {
    let mut a = json!({ "labels": labels });
    if resolved {
        a["endsAt"] = json!(chrono::Utc::now().to_rfc3339());
    }
    let r = s.post_json("/api/v2/alerts", &json!([a]).to_string());
    assert_eq!(r.status, 200, "{}", r.body);
}

fn fingerprint(s: &Server, alertname: &str) -> String {
    let alerts = s.get("/api/v2/alerts").json();
    alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["labels"]["alertname"] == alertname)
        .map(|a| a["fingerprint"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("{alertname} is not in /api/v2/alerts"))
}

/// The timeline of `fp`, oldest first, as (kind, details) with the
/// details that do not depend on the clock.
fn timeline(s: &Server, fp: &str) -> Vec<(String, Value)> {
    let r = s.get(&format!("{BASE}/alerts/{fp}"));
    if r.status != 200 {
        return Vec::new();
    }
    let mut events: Vec<(String, Value)> = r.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut d = e.clone();
            let o = d.as_object_mut().unwrap();
            o.remove("at");
            let kind = o.remove("kind").unwrap().as_str().unwrap().to_string();
            if let Some(n) = o.get_mut("notification") {
                let n = n.as_object_mut().unwrap();
                for k in ["id", "at", "durationSeconds", "groupKey", "error"] {
                    n.remove(k);
                }
            }
            (kind, d)
        })
        .collect();
    events.reverse();
    events
}

fn kinds(t: &[(String, Value)]) -> Vec<&str> {
    t.iter().map(|(k, _)| k.as_str()).collect()
}

fn wait_kinds(s: &Server, fp: &str, want: &[&str]) {
    let ok = eventually(WAIT, || kinds(&timeline(s, fp)) == want);
    assert!(
        ok,
        "timeline of {fp}: want {want:?}, have {:?}",
        kinds(&timeline(s, fp))
    );
}

fn cli(s: &Server, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("history")
        .args(args)
        .arg(format!("--alertmanager.url=http://{}", s.addr))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tocsin history {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_scripted_incident_is_on_record() {
    let sink = Sink::start();
    // The first notification fails with a 500, its retry succeeds.
    sink.script(&[500]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("alertmanager.yml");
    std::fs::write(&cfg, config(&sink)).unwrap();
    let cfg_arg = format!("--config.file={}", cfg.display());
    let s = Server::start(dir.path(), &[&cfg_arg]);
    s.wait_ready();

    let disk = json!({"alertname": "Disk", "env": "prod", "instance": "a"});
    post_alert(&s, disk.clone(), false);
    let fp = fingerprint(&s, "Disk");
    // The alert's timeline so far, each step adding to it.
    let mut want = vec!["firing", "notification", "notification"];
    wait_kinds(&s, &fp, &want);
    assert!(sink.wait_for(2, WAIT));

    // Silence, then expire the silence.
    let silence = json!({
        "matchers": [{"name": "alertname", "value": "Disk", "isRegex": false, "isEqual": true}],
        "startsAt": chrono::Utc::now().to_rfc3339(),
        "endsAt": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
        "createdBy": "oncall",
        "comment": "disk swap",
    });
    let r = s.post_json("/api/v2/silences", &silence.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
    let sid = r.json()["silenceID"].as_str().unwrap().to_string();
    want.push("silenced");
    wait_kinds(&s, &fp, &want);
    let r = s.request("DELETE", &format!("/api/v2/silence/{sid}"));
    assert_eq!(r.status, 200, "{}", r.body);
    want.push("unsilenced");
    wait_kinds(&s, &fp, &want);

    // An outage inhibits it, then resolves.
    post_alert(&s, json!({"alertname": "Outage", "env": "prod"}), false);
    let outage = fingerprint(&s, "Outage");
    want.push("inhibited");
    wait_kinds(&s, &fp, &want);
    wait_kinds(&s, &outage, &["firing", "notification"]);
    post_alert(&s, json!({"alertname": "Outage", "env": "prod"}), true);
    want.push("uninhibited");
    wait_kinds(&s, &fp, &want);

    // It resolves and the resolve is sent.
    post_alert(&s, disk.clone(), true);
    want.extend(["resolved", "notification"]);
    wait_kinds(&s, &fp, &want);

    // A route muted by a time interval.
    post_alert(&s, json!({"alertname": "Maint"}), false);
    let maint = fingerprint(&s, "Maint");
    wait_kinds(&s, &maint, &["firing", "muted"]);

    // Exactly these rows, details included.
    let t = timeline(&s, &fp);
    let notification = |outcome: &str, attempt: u32, firing: bool, status: Option<u16>| {
        let mut n = json!({
            "receiver": "team", "integration": "webhook", "index": 0,
            "firing": if firing { json!([fp]) } else { json!([]) },
            "resolved": if firing { json!([]) } else { json!([fp]) },
            "outcome": outcome, "attempt": attempt,
        });
        if let Some(code) = status {
            n["statusCode"] = json!(code);
            n["reason"] = json!("serverError");
        }
        json!({ "notification": n })
    };
    let expected: Vec<(String, Value)> = vec![
        ("firing", json!({})),
        ("notification", notification("failure", 1, true, Some(500))),
        ("notification", notification("success", 2, true, None)),
        ("silenced", json!({"silenceIds": [sid]})),
        ("unsilenced", json!({"silenceIds": [sid]})),
        ("inhibited", json!({"inhibitedBy": outage})),
        ("uninhibited", json!({"inhibitedBy": outage})),
        ("resolved", json!({})),
        ("notification", notification("success", 1, false, None)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(t, expected);
    let maint_t = timeline(&s, &maint);
    assert_eq!(
        maint_t[1].1,
        json!({"timeInterval": "always", "receiver": "team", "groupKey": "{}/{alertname=\"Maint\"}:{alertname=\"Maint\"}"})
    );

    // Alerts by matcher and range.
    let r = s.get(&format!(
        "{BASE}/alerts?filter=env%3D%22prod%22&since={}",
        urlencode(&(chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339())
    ));
    assert_eq!(r.status, 200, "{}", r.body);
    let mut names: Vec<String> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{}:{}",
                a["labels"]["alertname"].as_str().unwrap(),
                a["state"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    assert_eq!(names, ["Disk:resolved", "Outage:resolved"]);
    let r = s.get(&format!(
        "{BASE}/alerts?filter=env%3D%22prod%22&until={}",
        urlencode(&(chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339())
    ));
    assert_eq!(r.json()["items"], json!([]), "nothing fired an hour ago");

    // Notifications by receiver and outcome.
    let r = s.get(&format!(
        "{BASE}/notifications?receiver=team&outcome=failure"
    ));
    let failures = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["statusCode"], 500);
    assert_eq!(failures[0]["firing"], json!([fp]));
    let all = s.get(&format!("{BASE}/notifications?receiver=team")).json();
    // Disk: 500, retry, resolve; Outage: firing, resolved.
    assert_eq!(all["items"].as_array().unwrap().len(), 5, "{all}");
    assert_eq!(
        s.get(&format!("{BASE}/notifications?outcome=maybe")).status,
        400
    );
    assert_eq!(s.get(&format!("{BASE}/alerts?filter=%3D%3D")).status, 400);
    assert_eq!(
        s.get(&format!("{BASE}/alerts/00000000000000ff")).status,
        404
    );

    // The receiver reports its last attempt.
    let recv = s.get("/api/v2/receivers").json();
    let team = recv
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "team")
        .unwrap();
    assert_eq!(team["integrations"][0]["name"], "webhook");
    assert_eq!(
        team["integrations"][0]["lastNotifyAttemptOutcome"],
        "success"
    );
    assert_eq!(team["integrations"][0]["lastNotifyAttemptError"], "");

    // The CLI shows the same rows.
    let api = s.get(&format!("{BASE}/alerts/{fp}")).json();
    let json_out: Value =
        serde_json::from_str(cli(&s, &["alert", &fp, "-o", "json"]).trim()).unwrap();
    assert_eq!(json_out["events"], api["events"]);
    let simple = cli(&s, &["alert", &fp]);
    let rows: Vec<&str> = simple
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    let mut newest_first = want.to_vec();
    newest_first.reverse();
    assert_eq!(rows, newest_first, "{simple}");
    assert!(
        simple.contains("failure team/webhook[0] attempt 1 status 500"),
        "{simple}"
    );
    let failed = cli(
        &s,
        &["notifications", "--receiver=team", "--outcome=failure"],
    );
    assert_eq!(failed.lines().count(), 2, "{failed}");
    assert!(
        failed.lines().nth(1).unwrap().contains("failure"),
        "{failed}"
    );
    let alerts = cli(&s, &["alerts", "env=prod", "--since=1h", "-o", "extended"]);
    assert_eq!(alerts.lines().count(), 3, "{alerts}");
    assert!(alerts.contains("instance=\"a\""), "{alerts}");

    // A restart keeps the history and invents nothing for alerts that
    // carry on.
    let mut s = s;
    s.signal("TERM");
    assert_eq!(s.wait_exit(), Some(0));
    let s = Server::start(dir.path(), &[&cfg_arg]);
    s.wait_ready();
    post_alert(&s, json!({"alertname": "Maint"}), false);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(kinds(&timeline(&s, &maint)), ["firing", "muted"]);
    assert_eq!(timeline(&s, &fp), expected);
    let recv = s.get("/api/v2/receivers").json();
    assert_eq!(
        recv[0]["integrations"][0]["lastNotifyAttemptOutcome"],
        "success"
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn in_memory_mode_has_no_history() {
    let s = Server::with_config(
        "route:\n  receiver: r\nreceivers:\n- name: r\n",
        &["--storage.in-memory"],
    );
    s.wait_ready();
    let r = s.get(&format!("{BASE}/notifications"));
    assert_eq!(r.status, 503, "{}", r.body);
    let data = s.dir().unwrap().join("data");
    assert!(!data.join("tocsin.db").exists() && !data.join("history.db").exists());
}
