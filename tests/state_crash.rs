//! Crash test of the durable state: under a steady load of alert posts and
//! silence changes, Tocsin is killed with SIGKILL at random moments and
//! restarted on the same `--storage.path`, 20 times. After every restart:
//!
//! - every acknowledged silence is there with all its fields (and every
//!   acknowledged expiry shows), before any new request arrives;
//! - every alert acknowledged more than the persistence window before the
//!   kill is back in its aggregation group;
//! - an alert that resolved while Tocsin was down gets its resolved
//!   notification;
//! - no group is notified again with exactly what the notification log had
//!   recorded for it at the kill (checked against the database file as the
//!   killed process left it, and counted at a webhook sink).
//!
//! `scripts/crash-soak` runs the same for hundreds of cycles
//! (`TOCSIN_CRASH_CYCLES`).

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use common::{Server, Sink, eventually};
use serde_json::{Value, json};
use tocsin::alert::LabelSet;
use tocsin::nflog::alert_hash;

/// Alerts and timers reach the database within a second; a margin for a
/// loaded debug build.
const PERSIST_WINDOW: Duration = Duration::from_millis(2500);

/// The end time of the alerts that resolve while Tocsin is down: past the
/// firing notification (group_wait 1s), the load, and the persistence
/// window before the kill.
const RESOLVE_AFTER: Duration = Duration::from_secs(9);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn ts(d: chrono::Duration) -> String {
    (Utc::now() + d).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A silence the server acknowledged.
#[derive(Clone, Debug)]
struct AckedSilence {
    id: String,
    /// The posted body (matchers, times, author, comment).
    posted: Value,
    expired: bool,
}

/// Alerts the server acknowledged: labels → first acknowledgement.
type AckedAlerts = HashMap<String, Instant>;

fn labels_key(labels: &Value) -> String {
    let mut pairs: Vec<(String, String)> = labels
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    pairs.sort();
    serde_json::to_string(&pairs).unwrap()
}

fn label_set(labels: &Value) -> LabelSet {
    labels
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
        .collect()
}

/// The notification log as the killed process left it on disk: group key
/// → (firing hashes, resolved hashes).
fn nflog_on_disk(dir: &std::path::Path) -> HashMap<String, (BTreeSet<u64>, BTreeSet<u64>)> {
    let conn = rusqlite::Connection::open(dir.join("data").join("tocsin.db")).unwrap();
    let mut st = conn
        .prepare("SELECT group_key, firing, resolved FROM nflog")
        .unwrap();
    let hashes = |b: Vec<u8>| -> BTreeSet<u64> {
        b.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    };
    st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })
    .unwrap()
    .map(|r| {
        let (k, f, res) = r.unwrap();
        (k, (hashes(f), hashes(res)))
    })
    .collect()
}

/// A webhook body as (group key, firing hashes, resolved hashes).
fn notification(body: &Value) -> (String, BTreeSet<u64>, BTreeSet<u64>) {
    let mut firing = BTreeSet::new();
    let mut resolved = BTreeSet::new();
    for a in body["alerts"].as_array().unwrap() {
        let h = alert_hash(&label_set(&a["labels"]));
        if a["status"] == "resolved" {
            resolved.insert(h);
        } else {
            firing.insert(h);
        }
    }
    (
        body["groupKey"].as_str().unwrap().to_string(),
        firing,
        resolved,
    )
}

fn post_alerts(s: &Server, alerts: &[Value]) -> bool {
    common::try_request(
        &s.addr,
        "POST",
        "/api/v2/alerts",
        &[("Content-Type", "application/json")],
        Value::Array(alerts.to_vec()).to_string().as_bytes(),
    )
    .is_ok_and(|r| r.status == 200)
}

fn check_silences(s: &Server, acked: &[AckedSilence], cycle: usize) {
    let got = s.get("/api/v2/silences").json();
    let by_id: HashMap<&str, &Value> = got
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["id"].as_str().unwrap(), v))
        .collect();
    for a in acked {
        let g = by_id
            .get(a.id.as_str())
            .unwrap_or_else(|| panic!("cycle {cycle}: acknowledged silence {} lost", a.id));
        for field in ["createdBy", "comment", "matchers"] {
            assert_eq!(g[field], a.posted[field], "cycle {cycle}: {} {field}", a.id);
        }
        let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        if a.expired {
            // Expiring a pending silence moves both its times to then.
            assert_eq!(
                g["status"]["state"], "expired",
                "cycle {cycle}: acknowledged expiry of {} lost",
                a.id
            );
        } else {
            assert_eq!(
                time(&g["startsAt"]),
                time(&a.posted["startsAt"]),
                "cycle {cycle}: {} startsAt",
                a.id
            );
            assert_eq!(
                time(&g["endsAt"]),
                time(&a.posted["endsAt"]),
                "cycle {cycle}: {} endsAt",
                a.id
            );
            assert_eq!(g["status"]["state"], "pending", "cycle {cycle}: {}", a.id);
        }
    }
}

fn check_alerts(s: &Server, acked: &AckedAlerts, killed_at: Instant, cycle: usize) {
    let groups = s.get("/api/v2/alerts/groups").json();
    let mut present = BTreeSet::new();
    for g in groups.as_array().unwrap() {
        for a in g["alerts"].as_array().unwrap() {
            present.insert(labels_key(&a["labels"]));
        }
    }
    for (key, first) in acked {
        if *first + PERSIST_WINDOW < killed_at {
            assert!(
                present.contains(key),
                "cycle {cycle}: alert {key} acknowledged {:?} before the kill is not in any group",
                killed_at - *first
            );
        }
    }
}

/// No notification in `bodies` repeats, for its group, the firing and
/// resolved alerts the log had recorded at the last kill. (The load never
/// brings a group back to an earlier state, so a repeat is a duplicate.)
fn check_notifications(
    bodies: &[Value],
    recorded: &HashMap<String, (BTreeSet<u64>, BTreeSet<u64>)>,
    cycle: usize,
    checked: &mut usize,
) {
    for body in bodies {
        let (key, firing, resolved) = notification(body);
        if let Some((rf, rr)) = recorded.get(&key) {
            assert!(
                !(rf == &firing && rr == &resolved),
                "cycle {cycle}: group {key} notified again with what the log had recorded: {body}"
            );
            *checked += 1;
        }
    }
}

#[test]
fn kill_9_loses_nothing_acknowledged() {
    let cycles: usize = std::env::var("TOCSIN_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let seed = std::env::var("TOCSIN_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_nanos_opt().unwrap() as u64 | 1);
    eprintln!("crash test: {cycles} cycles, seed {seed} (TOCSIN_CRASH_SEED to repeat)");
    let mut rng = Rng(seed);

    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("alertmanager.yml");
    std::fs::write(
        &cfg,
        format!(
            "route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
- name: hook
  webhook_configs:
  - url: {}
    send_resolved: true
",
            sink.url()
        ),
    )
    .unwrap();
    let cfg_arg = format!("--config.file={}", cfg.display());

    let mut silences: Vec<AckedSilence> = Vec::new();
    let mut alerts: AckedAlerts = HashMap::new();
    let mut killed_at: Option<Instant> = None;
    let mut recorded: HashMap<String, (BTreeSet<u64>, BTreeSet<u64>)> = HashMap::new();
    let mut pending_resolve: Option<String> = None;
    let (mut resolves_checked, mut duplicates_checked) = (0, 0);

    // One more start than kills: the last one only checks.
    for cycle in 0..=cycles {
        // Notifications from here on are this process's (the restored
        // groups flush as soon as it starts).
        let started_count = sink.count();
        let mut s = Server::start(dir.path(), &[&cfg_arg]);
        s.wait_ready();
        // Before any new request: what the last process acknowledged.
        if let Some(k) = killed_at {
            check_silences(&s, &silences, cycle);
            check_alerts(&s, &alerts, k, cycle);
        }
        if let Some(name) = pending_resolve.take() {
            assert!(
                eventually(Duration::from_secs(20), || {
                    sink.bodies()[started_count..].iter().any(|b| {
                        b["groupLabels"]["alertname"] == name.as_str() && b["status"] == "resolved"
                    })
                }),
                "cycle {cycle}: the resolve of {name}, which happened while Tocsin was down, was not sent"
            );
            resolves_checked += 1;
        }
        if cycle == cycles {
            check_notifications(
                &sink.bodies()[started_count..],
                &recorded,
                cycle,
                &mut duplicates_checked,
            );
            break;
        }

        // Every few cycles: an alert that is notified as firing and whose
        // end time (set by its client, as Prometheus does) passes while
        // Tocsin is down.
        let resolving = (cycle % 4 == 1).then(|| {
            let name = format!("Resolving{cycle}");
            let ends = Instant::now() + RESOLVE_AFTER;
            let a = json!({"labels": {"alertname": name, "instance": "r"},
                           "endsAt": ts(chrono::Duration::from_std(RESOLVE_AFTER).unwrap())});
            assert!(post_alerts(&s, &[a]));
            assert!(
                eventually(Duration::from_secs(5), || {
                    sink.bodies()[started_count..]
                        .iter()
                        .any(|b| b["groupLabels"]["alertname"] == name.as_str())
                }),
                "cycle {cycle}: firing notification of {name}"
            );
            (name, ends)
        });

        // Steady load for a random time, then the kill.
        let run_for = Duration::from_millis(500 + rng.below(2000));
        let run_for = if resolving.is_some() {
            run_for.min(Duration::from_secs(1))
        } else {
            run_for
        };
        let started = Instant::now();
        let mut n = 0u64;
        while started.elapsed() < run_for {
            n += 1;
            let batch: Vec<Value> = (0..5)
                .map(|i| {
                    let name = format!("Load{}", rng.below(12));
                    json!({"labels": {"alertname": name, "instance": format!("i{}", (n + i) % 7)},
                           "annotations": {"summary": "load"},
                           "endsAt": ts(chrono::Duration::hours(1))})
                })
                .collect();
            if post_alerts(&s, &batch) {
                for a in &batch {
                    alerts
                        .entry(labels_key(&a["labels"]))
                        .or_insert_with(Instant::now);
                }
            }
            if rng.below(3) == 0 {
                let body = json!({
                    "matchers": [{"name": "sil", "value": format!("c{cycle}n{n}"), "isRegex": false, "isEqual": true},
                                 {"name": "env", "value": "p.*", "isRegex": true, "isEqual": false}],
                    "startsAt": ts(chrono::Duration::hours(1)),
                    "endsAt": ts(chrono::Duration::hours(2)),
                    "createdBy": format!("cycle{cycle}"),
                    "comment": format!("load silence {n} \u{2603}"),
                });
                let r = s.post_json("/api/v2/silences", &body.to_string());
                if r.status == 200 {
                    silences.push(AckedSilence {
                        id: r.json()["silenceID"].as_str().unwrap().to_string(),
                        posted: body,
                        expired: false,
                    });
                }
            }
            if rng.below(5) == 0 && !silences.is_empty() {
                let i = rng.below(silences.len() as u64) as usize;
                let id = silences[i].id.clone();
                if s.request("DELETE", &format!("/api/v2/silence/{id}")).status == 200 {
                    silences[i].expired = true;
                }
            }
        }
        if resolving.is_some() {
            // The lowered end time must have been written.
            std::thread::sleep(PERSIST_WINDOW);
        }
        s.signal("KILL");
        s.wait_exit();
        killed_at = Some(Instant::now());
        // Everything this process sent; none may repeat what the log had
        // recorded when the previous process was killed.
        check_notifications(
            &sink.bodies()[started_count..],
            &recorded,
            cycle,
            &mut duplicates_checked,
        );
        recorded = nflog_on_disk(dir.path());
        if let Some((name, ends)) = resolving {
            assert!(
                Instant::now() < ends,
                "cycle {cycle}: {name} ended before the kill (machine too slow for this check)"
            );
            // Stay down past the alert's end time.
            std::thread::sleep(ends - Instant::now() + Duration::from_millis(500));
            pending_resolve = Some(name);
        }
    }
    eprintln!(
        "crash test: {cycles} kill cycles, {} silences and {} alerts acknowledged, {resolves_checked} resolves while down, {duplicates_checked} notifications checked against the log, {} notifications in all",
        silences.len(),
        alerts.len(),
        sink.count()
    );
    assert!(resolves_checked >= cycles / 4);
    assert!(
        duplicates_checked > 0,
        "no notification was checked against the log"
    );
    assert!(!silences.is_empty() && !alerts.is_empty());
}
