//! The same configuration and the same timed sequence of alerts, silences and
//! reloads given to the real Alertmanager 0.25 and to Tocsin (in
//! `classic-mode`), each notifying its own webhook sinks: every sink must
//! receive the same notifications per aggregation group (count, order and
//! body), within loose timing windows.
//!
//! Bodies are compared whole after dropping `externalURL` (each server
//! derives it from its own listen port). Every time in a body comes from the
//! alerts as posted (`startsAt`, and `endsAt` for resolved alerts; firing
//! alerts carry Go's zero time), so nothing else is normalised: `groupKey`,
//! `truncatedAlerts`, fingerprints and the order of alerts must match. The
//! exceptions, each explained where it is handled: the end time a server
//! sets from `resolve_timeout` (checked against a window, then set aside),
//! the order of labels in a group key whose label names continue one another
//! with a digit (Tocsin follows Alertmanager ≥ 0.28), when notifications go
//! out after a reload (Tocsin keeps the timers of unchanged routes), and
//! `group_by: []` on a child route (not used: Tocsin follows ≥ 0.31).
//!
//! The scenarios run in parallel threads of one test so that the whole file
//! takes about as long as its longest scenario; set `NOTIFY_DIFF_ONLY` to a
//! comma-separated list of scenario names to run only those.

#[path = "../tests/common/mod.rs"]
mod harness;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use harness::{Server, Sink};
use serde_json::Value;

/// The route options every scenario starts from (`group_wait` 1 s).
const TIMERS: &str = "group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 1h";

const GROUP_WAIT: Duration = Duration::from_secs(1);

/// One server with its sinks, by receiver name.
struct Side {
    name: &'static str,
    server: Server,
    sinks: HashMap<String, Sink>,
}

/// Alertmanager (`sides[0]`) and Tocsin (`sides[1]`) on the same
/// configuration.
struct Pair {
    sides: [Side; 2],
    /// Group keys that differ on purpose: Alertmanager's key, Tocsin's key.
    key_renames: Vec<(String, String)>,
}

/// The configuration text for one side: `@name@` becomes the URL of that
/// side's sink `name`.
fn render(config: &str, sinks: &HashMap<String, Sink>) -> String {
    let mut out = config.replace("@TIMERS@", TIMERS);
    for (name, sink) in sinks {
        out = out.replace(&format!("@{name}@"), &sink.url());
    }
    assert!(!out.contains('@'), "a sink placeholder is left:\n{out}");
    out
}

/// Held while a pair starts: `Server::alertmanager` picks a free port and
/// only later has Alertmanager bind it, so no other scenario may bind a
/// port (sinks, Tocsin) in between.
static STARTING: Mutex<()> = Mutex::new(());

impl Pair {
    fn start(config: &str, sinks: &[&str], scripts: &[(&str, &[u16])]) -> Pair {
        let _starting = STARTING.lock().unwrap_or_else(|e| e.into_inner());
        let make_sinks = || -> HashMap<String, Sink> {
            sinks
                .iter()
                .map(|n| {
                    let s = Sink::start();
                    if let Some((_, codes)) = scripts.iter().find(|(m, _)| m == n) {
                        s.script(codes);
                    }
                    (n.to_string(), s)
                })
                .collect()
        };
        let (am_sinks, t_sinks) = (make_sinks(), make_sinks());
        let am = Server::alertmanager(&render(config, &am_sinks));
        let tocsin = Server::with_config(
            &render(config, &t_sinks),
            &["--enable-feature=classic-mode"],
        );
        tocsin.wait_ready();
        let version = am.get("/api/v2/status").json()["versionInfo"]["version"].clone();
        assert_eq!(version, "0.25.0", "the reference answers on its port");
        Pair {
            sides: [
                Side {
                    name: "alertmanager",
                    server: am,
                    sinks: am_sinks,
                },
                Side {
                    name: "tocsin",
                    server: tocsin,
                    sinks: t_sinks,
                },
            ],
            key_renames: Vec::new(),
        }
    }

    /// Posts the same alerts to both; returns when each side accepted them.
    fn post_alerts(&self, alerts: &[String]) -> [Instant; 2] {
        let body = format!("[{}]", alerts.join(","));
        self.sides.each(|s| {
            let r = s.server.post_json("/api/v2/alerts", &body);
            assert_eq!(r.status, 200, "{}: {}", s.name, r.body);
            Instant::now()
        })
    }

    /// Creates the same silence on both; returns each side's id.
    fn silence(&self, matchers: &[(&str, &str)]) -> [String; 2] {
        let matchers: Vec<String> = matchers
            .iter()
            .map(|(n, v)| format!(r#"{{"name":"{n}","value":"{v}","isRegex":false}}"#))
            .collect();
        let body = format!(
            r#"{{"matchers":[{}],"startsAt":"{}","endsAt":"{}","createdBy":"diff","comment":"test"}}"#,
            matchers.join(","),
            ts(-60),
            ts(3600)
        );
        self.sides.each(|s| {
            let r = s.server.post_json("/api/v2/silences", &body);
            assert_eq!(r.status, 200, "{}: {}", s.name, r.body);
            r.json()["silenceID"].as_str().unwrap().to_string()
        })
    }

    fn expire(&self, ids: &[String; 2]) {
        for (s, id) in self.sides.iter().zip(ids) {
            let r = s.server.request("DELETE", &format!("/api/v2/silence/{id}"));
            assert_eq!(r.status, 200, "{}: {}", s.name, r.body);
        }
    }

    /// Rewrites each side's configuration file and reloads it; returns
    /// when each side finished reloading.
    fn reload(&self, config: &str) -> [Instant; 2] {
        self.sides.each(|s| {
            let file = s.server.dir().unwrap().join("alertmanager.yml");
            std::fs::write(file, render(config, &s.sinks)).unwrap();
            let r = s.server.request("POST", "/-/reload");
            assert_eq!(r.status, 200, "{} reload: {}", s.name, r.body);
            Instant::now()
        })
    }

    fn sink(&self, side: usize, name: &str) -> &Sink {
        &self.sides[side].sinks[name]
    }

    /// Waits (at most `limit`) until, on both sides, each named sink has
    /// received at least its count of notifications.
    fn wait_counts(&self, want: &[(&str, usize)], limit: Duration) {
        let ok = harness::eventually(limit, || {
            self.sides
                .iter()
                .all(|s| want.iter().all(|(n, c)| s.sinks[*n].count() >= *c))
        });
        assert!(ok, "waited {limit:?} for {want:?}; got {}", self.counts());
    }

    fn counts(&self) -> String {
        let mut out = String::new();
        for s in &self.sides {
            let mut names: Vec<&String> = s.sinks.keys().collect();
            names.sort();
            let counts: Vec<String> = names
                .iter()
                .map(|n| format!("{n}={}", s.sinks[*n].count()))
                .collect();
            out.push_str(&format!("{}: {}; ", s.name, counts.join(" ")));
        }
        out
    }

    /// Asserts that every sink received the same notifications on both
    /// sides, and that the count per group is `want` (`(group key,
    /// count)` per sink; a sink not listed must have received nothing).
    fn assert_same(&self, want: &[(&str, &[(&str, usize)])]) {
        let mut names: Vec<&String> = self.sides[0].sinks.keys().collect();
        names.sort();
        for name in names {
            let [mut am, t] = self.sides.each(|s| by_group(&s.sinks[name]));
            for (from, to) in &self.key_renames {
                if let Some(mut bodies) = am.remove(from) {
                    for b in &mut bodies {
                        b["groupKey"] = Value::String(to.clone());
                    }
                    am.insert(to.clone(), bodies);
                }
            }
            assert_eq!(
                t,
                am,
                "sink {name}\n--- alertmanager\n{}\n--- tocsin\n{}",
                pretty(&am),
                pretty(&t)
            );
            let expected: BTreeMap<String, usize> = want
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, g)| g.iter().map(|(k, c)| (k.to_string(), *c)).collect())
                .unwrap_or_default();
            let got: BTreeMap<String, usize> =
                am.iter().map(|(k, v)| (k.clone(), v.len())).collect();
            assert_eq!(got, expected, "sink {name}: notifications per group");
        }
    }

    /// The bodies sink `name` received for `group_key` (the same on both
    /// sides once [`Pair::assert_same`] passed).
    fn bodies(&self, name: &str, group_key: &str) -> Vec<Value> {
        by_group(self.sink(1, name))
            .remove(group_key)
            .unwrap_or_default()
    }

    /// Asserts, on both sides, that the `n`-th notification of `group_key`
    /// at sink `name` arrived within `window` after `since[side]`.
    fn assert_timing(
        &self,
        name: &str,
        group_key: &str,
        n: usize,
        since: [Instant; 2],
        window: (Duration, Duration),
    ) {
        for (i, s) in self.sides.iter().enumerate() {
            let key = match self.key_renames.iter().find(|(_, to)| to == group_key) {
                Some((from, _)) if i == 0 => from.as_str(),
                _ => group_key,
            };
            let at = arrivals(&s.sinks[name], key);
            let t = *at
                .get(n)
                .unwrap_or_else(|| panic!("{}: {name} {group_key}: no notification #{n}", s.name));
            let d = t.saturating_duration_since(since[i]);
            assert!(
                d >= window.0 && d <= window.1,
                "{}: {name} {group_key} notification #{n} after {d:?}, want {window:?}",
                s.name
            );
        }
    }
}

/// `[T; 2]::map` over the two sides.
trait Each {
    fn each<T>(&self, f: impl FnMut(&Side) -> T) -> [T; 2];
}

impl Each for [Side; 2] {
    fn each<T>(&self, mut f: impl FnMut(&Side) -> T) -> [T; 2] {
        [f(&self[0]), f(&self[1])]
    }
}

/// What a sink received, per group key in arrival order, without the
/// fields that must differ.
fn by_group(sink: &Sink) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for mut b in sink.bodies() {
        let key = b["groupKey"]
            .as_str()
            .unwrap_or("<no groupKey>")
            .to_string();
        if let Some(m) = b.as_object_mut() {
            // Each server derives it from its own hostname and port.
            m.remove("externalURL");
        }
        out.entry(key).or_default().push(b);
    }
    out
}

/// When each notification of `group_key` arrived at `sink`.
fn arrivals(sink: &Sink, group_key: &str) -> Vec<Instant> {
    sink.bodies()
        .iter()
        .zip(sink.times())
        .filter(|(b, _)| b["groupKey"] == group_key)
        .map(|(_, t)| t)
        .collect()
}

fn pretty(v: &BTreeMap<String, Vec<Value>>) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

/// RFC 3339 time `offset_secs` from now, in milliseconds.
fn ts(offset_secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(offset_secs))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// An alert with explicit `startsAt` (and `endsAt` when resolved), so that no
/// time in a notification is set by the server.
fn alert(labels: &[(&str, &str)], starts: &str, ends: Option<&str>) -> String {
    let labels: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!(r#""{k}":"{v}""#))
        .collect();
    let ends = ends
        .map(|e| format!(r#","endsAt":"{e}""#))
        .unwrap_or_default();
    format!(
        r#"{{"labels":{{{}}},"annotations":{{"summary":"s"}},"startsAt":"{starts}"{ends}}}"#,
        labels.join(",")
    )
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// The window for a first notification after posting: `group_wait` give or
/// take scheduling.
fn first_window() -> (Duration, Duration) {
    (GROUP_WAIT - secs(0.5), GROUP_WAIT + secs(2.0))
}

/// Labels and status of each alert of a notification, for readable checks.
fn summary(body: &Value) -> Vec<String> {
    body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let mut labels: Vec<String> = a["labels"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "alertname")
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
                .collect();
            labels.sort();
            format!(
                "{}{{{}}}:{}",
                a["labels"]["alertname"].as_str().unwrap(),
                labels.join(","),
                a["status"].as_str().unwrap()
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Scenarios.

/// Several alerts in several groups, `group_by` by name, by every label
/// (`...`) and by nothing; truncation by `max_alerts`; a late alert joins its
/// group at the next `group_interval` while an annotation change alone is no
/// news; alerts that started more than `group_wait` ago are sent at once,
/// unless their group has flushed already.
///
/// "By nothing" is the root's default, inherited: an explicit `group_by: []`
/// on a child route differs on purpose (0.25 inherits the parent's grouping,
/// Tocsin follows Alertmanager ≥ 0.31 where it means one group; see the
/// README).
fn grouping() {
    let p = Pair::start(
        r#"
route:
  receiver: hook
  @TIMERS@
  routes:
  - matchers: [team="all"]
    receiver: all
    group_by: ['...']
  - matchers: [team="none"]
    receiver: none
  - matchers: [age="old"]
    receiver: hook
    group_by: [alertname]
    group_wait: 3s
  - receiver: hook
    group_by: [alertname]
receivers:
- name: hook
  webhook_configs: [{url: "@hook@"}]
- name: all
  webhook_configs: [{url: "@all@"}]
- name: none
  webhook_configs: [{url: "@none@", max_alerts: 2}]
"#,
        &["hook", "all", "none"],
        &[],
    );
    let t0 = ts(0);
    let at = p.post_alerts(&[
        alert(&[("alertname", "A"), ("instance", "2")], &t0, None),
        alert(&[("alertname", "A"), ("instance", "1")], &t0, None),
        alert(
            &[("alertname", "A"), ("instance", "9"), ("job", "j")],
            &t0,
            None,
        ),
        // A firing alert's own end time is not sent (Go's zero time is).
        alert(
            &[("alertname", "B"), ("severity", "page")],
            &t0,
            Some(&ts(3600)),
        ),
        alert(&[("alertname", "Old"), ("age", "old")], &ts(-3600), None),
        alert(
            &[("alertname", "X"), ("team", "all"), ("instance", "1")],
            &t0,
            None,
        ),
        alert(
            &[("alertname", "X"), ("team", "all"), ("instance", "2")],
            &t0,
            None,
        ),
        alert(&[("alertname", "Y"), ("team", "none")], &t0, None),
        alert(&[("alertname", "Z"), ("team", "none")], &t0, None),
        alert(
            &[("alertname", "W"), ("team", "none"), ("instance", "0")],
            &t0,
            None,
        ),
    ]);
    p.wait_counts(&[("hook", 3), ("all", 2), ("none", 1)], secs(6.0));
    // A late alert of group A: sent with the others at the next interval.
    // B's summary changes: not a reason to notify. A second old alert
    // waits for its group's interval.
    let t1 = ts(0);
    p.post_alerts(&[
        alert(&[("alertname", "A"), ("instance", "3")], &t1, None),
        alert(
            &[("alertname", "B"), ("severity", "page")],
            &t0,
            Some(&ts(3600)),
        )
        .replace(r#""summary":"s""#, r#""summary":"changed""#),
        alert(
            &[("alertname", "Old"), ("age", "old"), ("instance", "2")],
            &ts(-3600),
            None,
        ),
    ]);
    p.wait_counts(&[("hook", 5)], secs(6.0));
    std::thread::sleep(secs(2.5));

    let (ga, gb) = (r#"{}/{}:{alertname="A"}"#, r#"{}/{}:{alertname="B"}"#);
    let x1 = r#"{}/{team="all"}:{alertname="X", instance="1", team="all"}"#;
    let x2 = r#"{}/{team="all"}:{alertname="X", instance="2", team="all"}"#;
    let none = r#"{}/{team="none"}:{}"#;
    let old = r#"{}/{age="old"}:{alertname="Old"}"#;
    p.assert_same(&[
        ("hook", &[(ga, 2), (gb, 1), (old, 2)]),
        ("all", &[(x1, 1), (x2, 1)]),
        ("none", &[(none, 1)]),
    ]);
    for (sink, key) in [("hook", ga), ("hook", gb), ("all", x1), ("none", none)] {
        p.assert_timing(sink, key, 0, at, first_window());
    }
    // Started long ago: no group_wait (3 s on that route).
    p.assert_timing("hook", old, 0, at, (Duration::ZERO, secs(1.5)));
    let a = p.bodies("hook", ga);
    assert_eq!(
        summary(&a[0]),
        [
            "A{instance=9,job=j}:firing",
            "A{instance=1}:firing",
            "A{instance=2}:firing"
        ]
    );
    assert_eq!(a[1]["alerts"].as_array().unwrap().len(), 4);
    let n = &p.bodies("none", none)[0];
    assert_eq!(n["truncatedAlerts"], 1);
    assert_eq!(n["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(
        p.bodies("hook", gb)[0]["alerts"][0]["endsAt"],
        "0001-01-01T00:00:00Z"
    );
    // The late alerts waited for their group's interval.
    for (i, s) in p.sides.iter().enumerate() {
        for key in [ga, old] {
            let t = arrivals(&s.sinks["hook"], key);
            let gap = t[1] - t[0];
            assert!(
                gap >= secs(1.5) && gap <= secs(3.0),
                "{}: second notification of {key} {gap:?} after the first",
                p.sides[i].name
            );
        }
    }
}

/// Names and values that need quoting or escaping: the receiver name is
/// sent regex-quoted, group keys quote label values as Go's `%q` does.
///
/// Group keys list the labels in name order, as Alertmanager ≥ 0.28 does
/// (prometheus/common ≥ 0.49); 0.25 sorted the `name="value"` strings
/// instead, which differs only where a label name continues another with a
/// digit (`x1="2", x="1"`). That difference is checked here and then set
/// aside.
fn encoding() {
    let mut p = Pair::start(
        r#"
route:
  receiver: "ops.team+(x)"
  group_by: ['...']
  @TIMERS@
receivers:
- name: "ops.team+(x)"
  webhook_configs: [{url: "@hook@"}]
"#,
        &["hook"],
        &[],
    );
    let t0 = ts(0);
    let weird = "q\"uote\\back é ☃ \u{a0}nbsp \u{ad}shy \u{7f}del\ttab\nnl \u{1F600}";
    let alerts = [
        serde_json::json!({
            "labels": {"alertname": "Enc", "v": weird},
            "annotations": {"summary": weird, "html": "<a> & b"},
            "generatorURL": "http://prom/graph?g0.expr=up%3D%3D0&x=<y>",
            "startsAt": t0,
        }),
        serde_json::json!({
            "labels": {"alertname": "Order", "x": "1", "x1": "2", "x_y": "3"},
            "startsAt": t0,
        }),
    ];
    let alerts: Vec<String> = alerts.iter().map(|a| a.to_string()).collect();
    let at = p.post_alerts(&alerts);
    p.wait_counts(&[("hook", 2)], secs(6.0));
    std::thread::sleep(secs(1.0));

    let enc =
        r#"{}:{alertname="Enc", v="q\"uote\\back é ☃ \u00a0nbsp \u00adshy \x7fdel\ttab\nnl 😀"}"#;
    let order_025 = r#"{}:{alertname="Order", x1="2", x="1", x_y="3"}"#;
    let order = r#"{}:{alertname="Order", x="1", x1="2", x_y="3"}"#;
    let keys = p
        .sides
        .each(|s| by_group(&s.sinks["hook"]).into_keys().collect::<Vec<_>>());
    assert_eq!(keys[0], [enc, order_025], "alertmanager");
    assert_eq!(keys[1], [enc, order], "tocsin");
    p.key_renames
        .push((order_025.to_string(), order.to_string()));
    p.assert_same(&[("hook", &[(enc, 1), (order, 1)])]);
    for k in [enc, order] {
        p.assert_timing("hook", k, 0, at, first_window());
        assert_eq!(p.bodies("hook", k)[0]["receiver"], r"ops\.team\+\(x\)");
    }
}

/// An unchanged group is notified again once `repeat_interval` has passed,
/// at the next `group_interval` tick.
fn repeat() {
    let p = Pair::start(
        r#"
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 3s
receivers:
- name: hook
  webhook_configs: [{url: "@hook@"}]
"#,
        &["hook"],
        &[],
    );
    let t0 = ts(0);
    let at = p.post_alerts(&[alert(&[("alertname", "R")], &t0, None)]);
    // Ticks at 1, 3, 5, 7, 9 s: notified at 1, 5 and 9 s.
    p.wait_counts(&[("hook", 3)], secs(14.0));
    let key = r#"{}:{alertname="R"}"#;
    p.assert_timing("hook", key, 0, at, first_window());
    for (i, s) in p.sides.iter().enumerate() {
        let t = arrivals(&s.sinks["hook"], key);
        for w in t[..3].windows(2) {
            let gap = w[1] - w[0];
            assert!(
                gap >= secs(3.0) && gap <= secs(5.5),
                "{}: repeat after {gap:?}",
                p.sides[i].name
            );
        }
        let bodies = by_group(&s.sinks["hook"]).remove(key).unwrap();
        assert!(bodies[..3].iter().all(|b| *b == bodies[0]), "{bodies:?}");
    }
    let [am, t] = p
        .sides
        .each(|s| by_group(&s.sinks["hook"]).remove(key).unwrap()[0].clone());
    assert_eq!(t, am);
}

/// Resolution with `send_resolved` true and false (`continue` feeds both
/// receivers the same group): resolution at a posted end time and at an
/// end time that passes, partial resolution (resolved alerts left out of
/// the `send_resolved: false` body), all resolved, then an alert fires again (which the `send_resolved: false` receiver must see,
/// because the all-resolved flush cleared its notification log entry).
fn resolve() {
    let p = Pair::start(
        r#"
route:
  receiver: loud
  group_by: [alertname]
  @TIMERS@
  routes:
  - receiver: loud
    continue: true
  - receiver: quiet
receivers:
- name: loud
  webhook_configs: [{url: "@loud@", send_resolved: true}]
- name: quiet
  webhook_configs: [{url: "@quiet@", send_resolved: false}]
"#,
        &["loud", "quiet"],
        &[],
    );
    let t0 = ts(0);
    let p1 = [("alertname", "P"), ("instance", "1")];
    let p2 = [("alertname", "P"), ("instance", "2")];
    let p3 = [("alertname", "P"), ("instance", "3")];
    // Exp resolves by itself, at its end time, between the first two ticks.
    let exp_end = ts(2);
    let at = p.post_alerts(&[
        alert(&p1, &t0, None),
        alert(&p2, &t0, None),
        alert(&[("alertname", "Exp")], &t0, Some(&exp_end)),
    ]);
    p.wait_counts(&[("loud", 2), ("quiet", 2)], secs(6.0));
    // One resolves as another starts firing.
    p.post_alerts(&[alert(&p1, &t0, Some(&ts(0))), alert(&p3, &ts(0), None)]);
    p.wait_counts(&[("loud", 4), ("quiet", 3)], secs(6.0));
    // All resolved.
    p.post_alerts(&[alert(&p2, &t0, Some(&ts(0))), alert(&p3, &t0, Some(&ts(0)))]);
    p.wait_counts(&[("loud", 5)], secs(6.0));
    // The `quiet` receiver gets nothing for the resolutions, but the
    // all-resolved flush is logged: a new firing is news again.
    std::thread::sleep(secs(1.0));
    let t1 = ts(0);
    p.post_alerts(&[alert(&p2, &t1, None)]);
    p.wait_counts(&[("loud", 6), ("quiet", 4)], secs(6.0));
    std::thread::sleep(secs(2.5));

    let key = r#"{}/{}:{alertname="P"}"#;
    let exp = r#"{}/{}:{alertname="Exp"}"#;
    p.assert_same(&[
        ("loud", &[(key, 4), (exp, 2)]),
        ("quiet", &[(key, 3), (exp, 1)]),
    ]);
    for sink in ["loud", "quiet"] {
        p.assert_timing(sink, key, 0, at, first_window());
        p.assert_timing(sink, exp, 0, at, first_window());
    }
    p.assert_timing("loud", exp, 1, at, (secs(2.5), secs(5.0)));
    let loud: Vec<_> = p.bodies("loud", key).iter().map(summary).collect();
    assert_eq!(
        loud,
        [
            vec!["P{instance=1}:firing", "P{instance=2}:firing"],
            vec![
                "P{instance=1}:resolved",
                "P{instance=2}:firing",
                "P{instance=3}:firing"
            ],
            vec!["P{instance=2}:resolved", "P{instance=3}:resolved"],
            vec!["P{instance=2}:firing"],
        ]
    );
    let statuses: Vec<_> = p
        .bodies("loud", key)
        .iter()
        .map(|b| b["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["firing", "firing", "resolved", "firing"]);
    let quiet: Vec<_> = p.bodies("quiet", key).iter().map(summary).collect();
    assert_eq!(
        quiet,
        [
            vec!["P{instance=1}:firing", "P{instance=2}:firing"],
            vec!["P{instance=2}:firing", "P{instance=3}:firing"],
            vec!["P{instance=2}:firing"],
        ]
    );
    let e = p.bodies("loud", exp);
    assert_eq!(summary(&e[1]), ["Exp{}:resolved"]);
    let sent_end = e[1]["alerts"][0]["endsAt"].as_str().unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(sent_end).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&exp_end).unwrap()
    );
}

/// Alerts without an end time resolve `resolve_timeout` after they were
/// received; an alert that resolves and fires again between two ticks is
/// no news; a group whose alerts were all resolved before its first flush
/// sends nothing.
fn resolve_timeout() {
    let p = Pair::start(
        r#"
global:
  resolve_timeout: 2s
route:
  receiver: hook
  group_by: [alertname]
  @TIMERS@
receivers:
- name: hook
  webhook_configs: [{url: "@hook@"}]
"#,
        &["hook"],
        &[],
    );
    let t0 = ts(0);
    let at = p.post_alerts(&[
        alert(&[("alertname", "T")], &t0, None),
        alert(&[("alertname", "Flap")], &t0, Some(&ts(3600))),
        alert(&[("alertname", "Gone")], &ts(-10), Some(&ts(-5))),
    ]);
    p.wait_counts(&[("hook", 2)], secs(6.0));
    p.post_alerts(&[alert(&[("alertname", "Flap")], &t0, Some(&ts(0)))]);
    std::thread::sleep(secs(0.3));
    p.post_alerts(&[alert(&[("alertname", "Flap")], &ts(0), Some(&ts(3600)))]);
    p.wait_counts(&[("hook", 3)], secs(6.0));
    std::thread::sleep(secs(2.5));

    let (kt, kf) = (r#"{}:{alertname="T"}"#, r#"{}:{alertname="Flap"}"#);
    // The end time the servers set: received + 2 s. Checked, then set aside.
    let start = chrono::DateTime::parse_from_rfc3339(&t0).unwrap();
    for s in &p.sides {
        let b = &by_group(&s.sinks["hook"])[kt];
        let end = b.last().unwrap()["alerts"][0]["endsAt"]
            .as_str()
            .unwrap()
            .to_string();
        let after = chrono::DateTime::parse_from_rfc3339(&end).unwrap() - start;
        assert!(
            after >= chrono::Duration::milliseconds(2000)
                && after <= chrono::Duration::milliseconds(3000),
            "{}: resolve_timeout end time {end} is {after} after the start",
            s.name
        );
    }
    let mut sides = p.sides.each(|s| by_group(&s.sinks["hook"]));
    for side in &mut sides {
        if let Some(b) = side.get_mut(kt).and_then(|b| b.last_mut()) {
            b["alerts"][0]["endsAt"] = Value::from("<received + resolve_timeout>");
        }
    }
    assert_eq!(
        sides[1],
        sides[0],
        "{}\n{}",
        pretty(&sides[0]),
        pretty(&sides[1])
    );
    let counts: BTreeMap<&str, usize> = sides[0]
        .iter()
        .map(|(k, v)| (k.as_str(), v.len()))
        .collect();
    assert_eq!(counts, BTreeMap::from([(kt, 2), (kf, 1)]));
    p.assert_timing("hook", kt, 0, at, first_window());
    p.assert_timing("hook", kt, 1, at, (secs(2.5), secs(5.0)));
    let t: Vec<_> = sides[0][kt].iter().map(summary).collect();
    assert_eq!(t, [["T{}:firing"], ["T{}:resolved"]]);
}

/// Silenced alerts are left out; once the silence expires they are sent at
/// the group's next tick.
fn silencing() {
    let p = Pair::start(
        r#"
route:
  receiver: hook
  group_by: [alertname]
  @TIMERS@
receivers:
- name: hook
  webhook_configs: [{url: "@hook@"}]
"#,
        &["hook"],
        &[],
    );
    let s1 = p.silence(&[("alertname", "S"), ("instance", "1")]);
    let s2 = p.silence(&[("alertname", "Q")]);
    let t0 = ts(0);
    let at = p.post_alerts(&[
        alert(&[("alertname", "S"), ("instance", "1")], &t0, None),
        alert(&[("alertname", "S"), ("instance", "2")], &t0, None),
        alert(&[("alertname", "Q")], &t0, None),
    ]);
    p.wait_counts(&[("hook", 1)], secs(6.0));
    // Past Q's first flush (silenced: nothing sent).
    std::thread::sleep(secs(0.5));
    p.expire(&s1);
    p.expire(&s2);
    p.wait_counts(&[("hook", 3)], secs(6.0));
    std::thread::sleep(secs(2.5));

    let (s, q) = (r#"{}:{alertname="S"}"#, r#"{}:{alertname="Q"}"#);
    p.assert_same(&[("hook", &[(s, 2), (q, 1)])]);
    p.assert_timing("hook", s, 0, at, first_window());
    let bodies: Vec<_> = p.bodies("hook", s).iter().map(summary).collect();
    assert_eq!(
        bodies,
        [
            vec!["S{instance=2}:firing"],
            vec!["S{instance=1}:firing", "S{instance=2}:firing"],
        ]
    );
}

/// Inhibition: by `equal` labels, by an `equal` label missing on both
/// sides, never by an alert that matches both the source and the target of
/// the rule; and the target is released when its source resolves.
fn inhibition() {
    let p = Pair::start(
        r#"
route:
  receiver: hook
  group_by: [alertname]
  @TIMERS@
receivers:
- name: hook
  webhook_configs: [{url: "@hook@"}]
inhibit_rules:
- source_matchers: [severity="critical"]
  target_matchers: [severity="warning"]
  equal: [cluster]
- source_matchers: [role="src"]
  target_matchers: [tier="tgt"]
  equal: [zone]
"#,
        &["hook"],
        &[],
    );
    let t0 = ts(0);
    let down = [
        ("alertname", "Down"),
        ("severity", "critical"),
        ("cluster", "x"),
    ];
    let at = p.post_alerts(&[
        alert(&down, &t0, None),
        alert(
            &[
                ("alertname", "Slow"),
                ("severity", "warning"),
                ("cluster", "x"),
            ],
            &t0,
            None,
        ),
        alert(
            &[
                ("alertname", "Slow"),
                ("severity", "warning"),
                ("cluster", "y"),
            ],
            &t0,
            None,
        ),
        alert(
            &[("alertname", "Bare"), ("severity", "critical")],
            &t0,
            None,
        ),
        alert(
            &[("alertname", "BareWarn"), ("severity", "warning")],
            &t0,
            None,
        ),
        alert(
            &[
                ("alertname", "Both"),
                ("role", "src"),
                ("tier", "tgt"),
                ("zone", "1"),
                ("instance", "a"),
            ],
            &t0,
            None,
        ),
        alert(
            &[
                ("alertname", "Both"),
                ("role", "src"),
                ("tier", "tgt"),
                ("zone", "1"),
                ("instance", "b"),
            ],
            &t0,
            None,
        ),
        alert(
            &[("alertname", "Target"), ("tier", "tgt"), ("zone", "1")],
            &t0,
            None,
        ),
    ]);
    p.wait_counts(&[("hook", 4)], secs(6.0));
    // The source resolves: Down's resolution and the released Slow/x follow.
    p.post_alerts(&[alert(&down, &t0, Some(&ts(0)))]);
    p.wait_counts(&[("hook", 6)], secs(6.0));
    std::thread::sleep(secs(2.5));

    let g = |n: &str| format!(r#"{{}}:{{alertname="{n}"}}"#);
    let (gd, gs, gbare, gboth) = (g("Down"), g("Slow"), g("Bare"), g("Both"));
    p.assert_same(&[("hook", &[(&gd, 2), (&gs, 2), (&gbare, 1), (&gboth, 1)])]);
    for k in [&gd, &gs, &gbare, &gboth] {
        p.assert_timing("hook", k, 0, at, first_window());
    }
    let slow: Vec<_> = p.bodies("hook", &gs).iter().map(summary).collect();
    assert_eq!(
        slow,
        [
            vec!["Slow{cluster=y,severity=warning}:firing"],
            vec![
                "Slow{cluster=x,severity=warning}:firing",
                "Slow{cluster=y,severity=warning}:firing"
            ],
        ]
    );
    assert_eq!(
        p.bodies("hook", &gboth)[0]["alerts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// Routes muted all the time, and routes active only at times that never
/// come, send nothing; their counterparts send. (Weeks start on Sunday:
/// both reject `monday:sunday` as a range that ends before it starts.)
fn time_intervals() {
    let p = Pair::start(
        r#"
time_intervals:
- name: always
  time_intervals:
  - weekdays: ['sunday:saturday']
- name: never
  time_intervals:
  - years: ['2000']
route:
  receiver: hook
  group_by: [alertname]
  @TIMERS@
  routes:
  - matchers: [mode="muted"]
    receiver: muted
    mute_time_intervals: [always]
  - matchers: [mode="inactive"]
    receiver: inactive
    active_time_intervals: [never]
  - matchers: [mode="active"]
    receiver: active
    active_time_intervals: [always]
  - matchers: [mode="unmuted"]
    receiver: unmuted
    mute_time_intervals: [never]
receivers:
- name: hook
  webhook_configs: [{url: "@hook@"}]
- name: muted
  webhook_configs: [{url: "@muted@"}]
- name: inactive
  webhook_configs: [{url: "@inactive@"}]
- name: active
  webhook_configs: [{url: "@active@"}]
- name: unmuted
  webhook_configs: [{url: "@unmuted@"}]
"#,
        &["hook", "muted", "inactive", "active", "unmuted"],
        &[],
    );
    let t0 = ts(0);
    let modes = ["muted", "inactive", "active", "unmuted"];
    let alerts: Vec<String> = modes
        .iter()
        .map(|m| alert(&[("alertname", "T"), ("mode", m)], &t0, None))
        .collect();
    let at = p.post_alerts(&alerts);
    p.wait_counts(&[("active", 1), ("unmuted", 1)], secs(6.0));
    // Long enough for a second tick of the muted groups.
    std::thread::sleep(secs(2.5));
    let key = |m: &str| format!(r#"{{}}/{{mode="{m}"}}:{{alertname="T"}}"#);
    let (ka, ku) = (key("active"), key("unmuted"));
    p.assert_same(&[("active", &[(&ka, 1)]), ("unmuted", &[(&ku, 1)])]);
    p.assert_timing("active", &ka, 0, at, first_window());
    p.assert_timing("unmuted", &ku, 0, at, first_window());
}

/// `continue: true` sends to the next matching route too; the route after
/// one without `continue` is not reached.
fn continue_routes() {
    let p = Pair::start(
        r#"
route:
  receiver: hook
  group_by: [alertname]
  @TIMERS@
  routes:
  - matchers: [team="a"]
    receiver: first
    continue: true
  - matchers: [team="a"]
    receiver: second
    group_by: [team]
  - matchers: [team="a"]
    receiver: third
receivers:
- name: hook
  webhook_configs: [{url: "@hook@"}]
- name: first
  webhook_configs: [{url: "@first@"}]
- name: second
  webhook_configs: [{url: "@second@"}]
- name: third
  webhook_configs: [{url: "@third@"}]
"#,
        &["hook", "first", "second", "third"],
        &[],
    );
    let t0 = ts(0);
    let at = p.post_alerts(&[
        alert(&[("alertname", "C"), ("team", "a")], &t0, None),
        alert(&[("alertname", "D"), ("team", "b")], &t0, None),
    ]);
    p.wait_counts(&[("hook", 1), ("first", 1), ("second", 1)], secs(6.0));
    std::thread::sleep(secs(2.5));
    let kf = r#"{}/{team="a"}:{alertname="C"}"#;
    let ks = r#"{}/{team="a"}:{team="a"}"#;
    let kh = r#"{}:{alertname="D"}"#;
    p.assert_same(&[
        ("hook", &[(kh, 1)]),
        ("first", &[(kf, 1)]),
        ("second", &[(ks, 1)]),
    ]);
    p.assert_timing("first", kf, 0, at, first_window());
    p.assert_timing("second", ks, 0, at, first_window());
}

/// A sink answering 500 twice gets the notification retried within the
/// flush; one answering 400 or 429 is not retried until the next tick. Of a
/// receiver with two webhooks of which one fails, only the failed one is
/// tried again.
fn retries() {
    let p = Pair::start(
        r#"
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
  routes:
  - matchers: [alertname="E"]
    receiver: flaky
  - matchers: [alertname="F"]
    receiver: picky
  - matchers: [alertname="G"]
    receiver: limited
  - matchers: [alertname="H"]
    receiver: pair
receivers:
- name: hook
  webhook_configs: [{url: "@hook@"}]
- name: flaky
  webhook_configs: [{url: "@flaky@"}]
- name: picky
  webhook_configs: [{url: "@picky@"}]
- name: limited
  webhook_configs: [{url: "@limited@"}]
- name: pair
  webhook_configs: [{url: "@pair_ok@"}, {url: "@pair_bad@"}]
"#,
        &["hook", "flaky", "picky", "limited", "pair_ok", "pair_bad"],
        &[
            ("flaky", &[500, 500]),
            ("picky", &[400]),
            ("limited", &[429]),
            ("pair_bad", &[400]),
        ],
    );
    let t0 = ts(0);
    let at = p.post_alerts(&[
        alert(&[("alertname", "E")], &t0, None),
        alert(&[("alertname", "F")], &t0, None),
        alert(&[("alertname", "G")], &t0, None),
        alert(&[("alertname", "H")], &t0, None),
    ]);
    p.wait_counts(
        &[
            ("flaky", 3),
            ("picky", 2),
            ("limited", 2),
            ("pair_ok", 1),
            ("pair_bad", 2),
        ],
        secs(8.0),
    );
    std::thread::sleep(secs(2.0));
    let key = |n: &str| format!(r#"{{}}/{{alertname="{n}"}}:{{alertname="{n}"}}"#);
    let (ke, kf, kg, kh) = (key("E"), key("F"), key("G"), key("H"));
    p.assert_same(&[
        ("flaky", &[(&ke, 3)]),
        ("picky", &[(&kf, 2)]),
        ("limited", &[(&kg, 2)]),
        ("pair_ok", &[(&kh, 1)]),
        ("pair_bad", &[(&kh, 2)]),
    ]);
    let once_per_tick = [("picky", &kf), ("limited", &kg), ("pair_bad", &kh)];
    for (sink, k) in [("flaky", &ke), ("pair_ok", &kh)]
        .iter()
        .chain(&once_per_tick)
    {
        p.assert_timing(sink, k, 0, at, first_window());
        let b = p.bodies(sink, k);
        assert!(b.iter().all(|x| *x == b[0]), "{sink}: {b:?}");
    }
    for s in &p.sides {
        let name = s.name;
        // Retries: well within one group_interval of the first attempt.
        let t = arrivals(&s.sinks["flaky"], &ke);
        let spread = t[2] - t[0];
        assert!(spread <= secs(2.5), "{name}: retries took {spread:?}");
        // No retry after a 4xx: the next attempt is the next tick.
        for (sink, k) in once_per_tick {
            let t = arrivals(&s.sinks[sink], k);
            let gap = t[1] - t[0];
            assert!(
                gap >= secs(2.5) && gap <= secs(4.5),
                "{name}: {sink}: after a 4xx the next attempt came {gap:?} later"
            );
        }
    }
}

const RELOAD_V1: &str = r#"
route:
  receiver: hook
  group_by: [alertname]
  @TIMERS@
  routes:
  - matchers: [team="b"]
    receiver: b
  - matchers: [team="d"]
    receiver: d
receivers:
- name: hook
  webhook_configs: [{url: "@hook@"}]
- name: b
  webhook_configs: [{url: "@b@"}]
- name: c
  webhook_configs: [{url: "@c@"}]
- name: d
  webhook_configs: [{url: "@d@"}]
"#;

/// A reload in the middle of the sequence adds a route, changes one and
/// removes one. Tocsin keeps the groups (and timers) of unchanged routes
/// while Alertmanager 0.25 rebuilds every group and restarts its timers
/// (documented in `src/dispatch/dispatcher.rs`), so only what both
/// guarantee is compared: nothing already sent is sent again, an alert
/// joining an existing group is sent once with the group, the new route
/// applies, and alerts of the removed route start afresh where they land.
fn reload() {
    let p = Pair::start(RELOAD_V1, &["hook", "b", "c", "d"], &[]);
    let t0 = ts(0);
    let at = p.post_alerts(&[
        alert(&[("alertname", "A"), ("team", "a")], &t0, None),
        alert(&[("alertname", "B"), ("team", "b")], &t0, None),
        alert(&[("alertname", "D"), ("team", "d")], &t0, None),
    ]);
    p.wait_counts(&[("hook", 1), ("b", 1), ("d", 1)], secs(6.0));
    let v2 = RELOAD_V1
        .replace(
            "  - matchers: [team=\"b\"]\n    receiver: b\n",
            "  - matchers: [team=\"c\"]\n    receiver: c\n  \
             - matchers: [team=\"b\"]\n    receiver: b\n    group_interval: 3s\n",
        )
        .replace("  - matchers: [team=\"d\"]\n    receiver: d\n", "");
    assert_ne!(v2, RELOAD_V1);
    let reloaded = p.reload(&v2);
    let t1 = ts(0);
    let at1 = p.post_alerts(&[
        alert(&[("alertname", "C"), ("team", "c")], &t1, None),
        alert(
            &[("alertname", "A"), ("team", "a"), ("instance", "2")],
            &t1,
            None,
        ),
        alert(
            &[("alertname", "B"), ("team", "b"), ("instance", "2")],
            &t1,
            None,
        ),
    ]);
    p.wait_counts(&[("hook", 3), ("b", 2), ("c", 1)], secs(8.0));
    std::thread::sleep(secs(3.0));

    let (ka, kb, kc, kd) = (
        r#"{}:{alertname="A"}"#,
        r#"{}/{team="b"}:{alertname="B"}"#,
        r#"{}/{team="c"}:{alertname="C"}"#,
        r#"{}/{team="d"}:{alertname="D"}"#,
    );
    let kd_root = r#"{}:{alertname="D"}"#;
    p.assert_same(&[
        ("hook", &[(ka, 2), (kd_root, 1)]),
        ("b", &[(kb, 2)]),
        ("c", &[(kc, 1)]),
        ("d", &[(kd, 1)]),
    ]);
    p.assert_timing("hook", ka, 0, at, first_window());
    p.assert_timing("c", kc, 0, at1, first_window());
    // D started long ago: its new group at the root flushes at once.
    p.assert_timing("hook", kd_root, 0, reloaded, (Duration::ZERO, secs(1.5)));
    // When the second notifications of A and B go out depends on the timer
    // policy: anywhere up to a group_wait plus a group_interval after the
    // post.
    p.assert_timing("hook", ka, 1, at1, (Duration::ZERO, secs(5.0)));
    p.assert_timing("b", kb, 1, at1, (Duration::ZERO, secs(6.0)));
    let a: Vec<_> = p.bodies("hook", ka).iter().map(summary).collect();
    assert_eq!(
        a,
        [
            vec!["A{team=a}:firing"],
            vec!["A{instance=2,team=a}:firing", "A{team=a}:firing"],
        ]
    );
    let b: Vec<_> = p.bodies("b", kb).iter().map(summary).collect();
    assert_eq!(b[1], ["B{instance=2,team=b}:firing", "B{team=b}:firing"]);
}

#[test]
fn notifications_match_alertmanager() {
    let scenarios: [(&str, fn()); 11] = [
        ("grouping", grouping),
        ("encoding", encoding),
        ("repeat", repeat),
        ("resolve", resolve),
        ("resolve_timeout", resolve_timeout),
        ("silencing", silencing),
        ("inhibition", inhibition),
        ("time_intervals", time_intervals),
        ("continue", continue_routes),
        ("retries", retries),
        ("reload", reload),
    ];
    let only = std::env::var("NOTIFY_DIFF_ONLY").unwrap_or_default();
    let selected: Vec<_> = scenarios
        .iter()
        .filter(|(n, _)| only.is_empty() || only.split(',').any(|o| o == *n))
        .collect();
    assert!(!selected.is_empty(), "no scenario named in {only:?}");
    let started = Instant::now();
    let handles: Vec<_> = selected
        .iter()
        .map(|(name, f)| {
            let f = *f;
            let h = std::thread::Builder::new()
                .name(name.to_string())
                .spawn(f)
                .unwrap();
            (*name, h)
        })
        .collect();
    let failed: Vec<&str> = handles
        .into_iter()
        .filter_map(|(name, h)| h.join().is_err().then_some(name))
        .collect();
    assert!(
        failed.is_empty(),
        "scenarios differing from Alertmanager (details above): {failed:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "took {:?}",
        started.elapsed()
    );
}
