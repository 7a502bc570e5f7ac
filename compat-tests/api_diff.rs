//! The same sequence of alerts and silences posted to the real Alertmanager
//! 0.25 and to Tocsin (in `classic-mode`, 0.25's matcher and label rules):
//! every API response must be the same, up to ids and timestamps that must
//! differ, and the differences Tocsin inherits from newer Alertmanager
//! (listed in `normalize`).

#[path = "../tests/common/mod.rs"]
mod harness;

use std::time::Duration;

use harness::Server;
use serde_json::Value;

const CONFIG: &str = r#"
route:
  receiver: default
  group_by: [alertname]
  routes:
  - matchers: [team="db"]
    receiver: db
    group_by: [alertname, cluster]
  - matchers: [severity=~"page|critical"]
    receiver: pager
    continue: true
  - matchers: [severity="critical"]
    receiver: critical-audit
receivers:
- name: default
- name: db
- name: pager
- name: critical-audit
inhibit_rules:
- source_matchers: [severity="critical"]
  target_matchers: [severity="warning"]
  equal: [cluster]
"#;

struct Pair {
    am: Server,
    tocsin: Server,
    /// Silence ids seen, in order, per side: both are replaced by `<id-N>`.
    ids: (Vec<String>, Vec<String>),
}

fn now_rfc3339(offset_secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(offset_secs))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Replaces what must differ between two servers: recent timestamps,
/// silence ids, and fields only newer Alertmanager has.
fn normalize(v: &mut Value, ids: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            // Alertmanager ≥ 0.32 adds mutedBy to alert status, routeLabels to
            // groups and labels to receivers; 0.25 has none of them.
            m.remove("mutedBy");
            if m.get("routeLabels")
                .is_some_and(|l| l.as_object().is_some_and(|o| o.is_empty()))
            {
                m.remove("routeLabels");
            }
            // Tocsin's receivers report each integration's last attempt.
            if m.contains_key("name") && m.contains_key("integrations") {
                m.remove("integrations");
            }
            if m.len() == 2 && m.contains_key("labels") && m.contains_key("name") {
                m.remove("labels");
            }
            for (k, val) in m.iter_mut() {
                if (k == "id" || k == "silenceID")
                    && let Value::String(s) = val
                {
                    *s = id_placeholder(s, ids);
                    continue;
                }
                normalize(val, ids);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| normalize(x, ids)),
        Value::String(s) => {
            // Go lists allowed methods in map order: compare them as a set.
            if let Some((head, rest)) = s.split_once("is not allowed, but [")
                && let Some((list, tail)) = rest.split_once(']')
            {
                let mut methods: Vec<&str> = list.split(',').collect();
                methods.sort_unstable();
                *s = format!("{head}is not allowed, but [{}]{tail}", methods.join(","));
            }
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                let age = (chrono::Utc::now() - t.with_timezone(&chrono::Utc))
                    .num_seconds()
                    .abs();
                if age < 3600 {
                    *s = "<recent>".to_string();
                }
            }
            // inhibitedBy / silencedBy entries that are silence ids.
            if uuid::Uuid::try_parse(s).is_ok() {
                *s = id_placeholder(s, ids);
            }
        }
        _ => {}
    }
}

/// Error texts that changed wording after 0.25, mapped back to 0.25's so the
/// rest of the message is still compared: v0.34 joins alert validation
/// errors with a newline (0.25: `; `).
fn newer_wording(msg: &str) -> String {
    msg.replace('\n', "; ")
}

fn id_placeholder(id: &str, ids: &mut Vec<String>) -> String {
    let n = match ids.iter().position(|x| x == id) {
        Some(n) => n,
        None => {
            ids.push(id.to_string());
            ids.len() - 1
        }
    };
    format!("<id-{n}>")
}

impl Pair {
    fn start() -> Pair {
        Pair {
            am: Server::alertmanager(CONFIG),
            tocsin: Server::with_config(CONFIG, &["--enable-feature=classic-mode"]),
            ids: (Vec::new(), Vec::new()),
        }
    }

    /// Sends the same request to both and asserts the same status and body.
    fn same(&mut self, method: &str, path: &str, body: Option<&str>) -> Value {
        let send = |s: &Server| match body {
            Some(b) => harness::request(
                &s.addr,
                method,
                path,
                &[("Content-Type", "application/json")],
                b.as_bytes(),
            ),
            None => s.request(method, path),
        };
        let (a, t) = (send(&self.am), send(&self.tocsin));
        assert_eq!(
            t.status, a.status,
            "{method} {path}: status; alertmanager said {}, tocsin said {}",
            a.body, t.body
        );
        let parse = |r: &harness::Response| -> Value {
            if r.body.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&r.body).unwrap_or(Value::String(r.body.clone()))
            }
        };
        let (mut av, mut tv) = (parse(&a), parse(&t));
        if let Value::String(msg) = &mut tv {
            *msg = newer_wording(msg);
        }
        normalize(&mut av, &mut self.ids.0);
        normalize(&mut tv, &mut self.ids.1);
        assert_eq!(
            tv,
            av,
            "{method} {path}\n--- alertmanager\n{}\n--- tocsin\n{}",
            serde_json::to_string_pretty(&av).unwrap(),
            serde_json::to_string_pretty(&tv).unwrap()
        );
        tv
    }

    /// Waits until Alertmanager has processed every alert (0.25 shows
    /// `unprocessed` until its dispatcher has seen an alert).
    fn settle(&self) {
        let ok = harness::eventually(Duration::from_secs(10), || {
            !self
                .am
                .get("/api/v2/alerts")
                .body
                .contains("\"unprocessed\"")
        });
        assert!(ok, "alertmanager did not process the alerts");
    }
}

#[test]
fn alerts_silences_and_status_match_alertmanager() {
    let mut p = Pair::start();
    let start = "2020-01-01T00:00:00.000Z";
    let future = now_rfc3339(7200);
    let alerts = format!(
        r#"[
        {{"labels":{{"alertname":"DiskFull","team":"db","cluster":"eu1","severity":"warning","instance":"db1"}},"annotations":{{"summary":"disk"}},"startsAt":"{start}","endsAt":"{future}","generatorURL":"http://prom/graph"}},
        {{"labels":{{"alertname":"DiskFull","team":"db","cluster":"eu1","severity":"warning","instance":"db2"}},"startsAt":"{start}","endsAt":"{future}"}},
        {{"labels":{{"alertname":"NodeDown","cluster":"eu1","severity":"critical","job":"node"}},"startsAt":"{start}","endsAt":"{future}"}},
        {{"labels":{{"alertname":"HighLatency","cluster":"us1","severity":"warning","empty":""}},"startsAt":"{start}","endsAt":"{future}"}},
        {{"labels":{{"alertname":"Pager","severity":"page"}},"startsAt":"{start}"}},
        {{"labels":{{"alertname":"Old","severity":"info"}},"startsAt":"{start}","endsAt":"2020-01-02T00:00:00Z"}}
    ]"#
    );
    p.same("POST", "/api/v2/alerts", Some(&alerts));
    // A batch with invalid alerts: the valid one is stored, the answer is 400.
    p.same(
        "POST",
        "/api/v2/alerts",
        Some(&format!(
            r#"[{{"labels":{{"alertname":"Valid","cluster":"x"}},"startsAt":"{start}","endsAt":"{future}"}},
                {{"labels":{{"0bad":"x"}}}},
                {{"labels":{{"alertname":"Backwards"}},"startsAt":"{future}","endsAt":"{start}"}}]"#
        )),
    );
    p.settle();

    for q in [
        "",
        "?active=false",
        "?inhibited=false",
        "?silenced=false&inhibited=false",
        "?filter=severity%3D%22warning%22",
        "?filter=alertname%3D~%22Disk.*%22&filter=instance!%3D%22db2%22",
        "?filter=team%3D%22%22",
        "?filter=team!~%22d.*%22",
        "?receiver=db",
        "?receiver=pag.*",
        "?active=nonsense",
    ] {
        p.same("GET", &format!("/api/v2/alerts{q}"), None);
        p.same("GET", &format!("/api/v2/alerts/groups{q}"), None);
    }
    p.same("GET", "/api/v2/alerts?filter=%7Ba%3D%22b%22%7D", None);
    p.same("GET", "/api/v2/alerts?filter=a%3D~%22(%22", None);
    p.same("GET", "/api/v2/alerts?receiver=(", None);
    p.same("GET", "/api/v2/receivers", None);

    // Silences: create, list, silence effect, update in place, replace, expire.
    let sil = |id: &str, matchers: &str, ends: &str| {
        format!(
            r#"{{{id}"matchers":{matchers},"startsAt":"{}","endsAt":"{ends}","createdBy":"tester","comment":"maintenance"}}"#,
            now_rfc3339(-60)
        )
    };
    let m1 = r#"[{"name":"alertname","value":"DiskFull","isRegex":false},{"name":"instance","value":"db.*","isRegex":true}]"#;
    let created = p.same("POST", "/api/v2/silences", Some(&sil("", m1, &future)));
    assert_eq!(created["silenceID"], "<id-0>");
    let am_id = p.ids.0[0].clone();
    let t_id = p.ids.1[0].clone();
    p.same("GET", "/api/v2/silences", None);
    p.same("GET", "/api/v2/alerts", None);
    p.same("GET", "/api/v2/alerts?silenced=false", None);
    p.same("GET", "/api/v2/alerts/groups?silenced=false", None);
    p.same(
        "GET",
        "/api/v2/silences?filter=alertname%3D%22DiskFull%22",
        None,
    );
    p.same(
        "GET",
        "/api/v2/silences?filter=instance%3D~%22db.*%22",
        None,
    );
    p.same("GET", "/api/v2/silences?filter=instance%3D%22db.*%22", None);

    // Each side updates its own silence in place: same matchers, same start
    // (as the server stored it), later end.
    let later = now_rfc3339(10800);
    let update = |s: &Server, id: &str| {
        let cur = s.get(&format!("/api/v2/silence/{id}")).json();
        format!(
            r#"{{"id":"{id}","matchers":{m1},"startsAt":{},"endsAt":"{later}","createdBy":"tester","comment":"extended"}}"#,
            cur["startsAt"]
        )
    };
    let (upd_am, upd_t) = (update(&p.am, &am_id), update(&p.tocsin, &t_id));
    let ra = harness::request(
        &p.am.addr,
        "POST",
        "/api/v2/silences",
        &[("Content-Type", "application/json")],
        upd_am.as_bytes(),
    );
    let rt = harness::request(
        &p.tocsin.addr,
        "POST",
        "/api/v2/silences",
        &[("Content-Type", "application/json")],
        upd_t.as_bytes(),
    );
    assert_eq!(
        (ra.status, rt.status),
        (200, 200),
        "{} / {}",
        ra.body,
        rt.body
    );
    assert_eq!(
        ra.json()["silenceID"],
        am_id.as_str(),
        "alertmanager updated in place"
    );
    assert_eq!(
        rt.json()["silenceID"],
        t_id.as_str(),
        "tocsin updated in place"
    );
    // Different matchers: a new silence replaces (and expires) the old one.
    let m2 = r#"[{"name":"alertname","value":"DiskFull","isRegex":false}]"#;
    let ra = harness::request(
        &p.am.addr,
        "POST",
        "/api/v2/silences",
        &[("Content-Type", "application/json")],
        sil(&format!(r#""id":"{am_id}","#), m2, &later).as_bytes(),
    );
    let rt = harness::request(
        &p.tocsin.addr,
        "POST",
        "/api/v2/silences",
        &[("Content-Type", "application/json")],
        sil(&format!(r#""id":"{t_id}","#), m2, &later).as_bytes(),
    );
    assert_eq!((ra.status, rt.status), (200, 200));
    assert_ne!(ra.json()["silenceID"], am_id.as_str());
    assert_ne!(rt.json()["silenceID"], t_id.as_str());
    p.same("GET", "/api/v2/silences", None);
    p.same("GET", "/api/v2/alerts", None);

    // Expire each side's newest silence.
    let newest = |s: &Server| -> String {
        let v = s.get("/api/v2/silences").json();
        v.as_array()
            .unwrap()
            .iter()
            .find(|x| x["status"]["state"] == "active")
            .map(|x| x["id"].as_str().unwrap().to_string())
            .expect("an active silence")
    };
    let (na, nt) = (newest(&p.am), newest(&p.tocsin));
    assert_eq!(
        p.am.request("DELETE", &format!("/api/v2/silence/{na}"))
            .status,
        200
    );
    assert_eq!(
        p.tocsin
            .request("DELETE", &format!("/api/v2/silence/{nt}"))
            .status,
        200
    );
    p.same("GET", "/api/v2/silences", None);
    p.same("GET", "/api/v2/alerts", None);
    let ga = p.am.get(&format!("/api/v2/silence/{na}"));
    let gt = p.tocsin.get(&format!("/api/v2/silence/{nt}"));
    assert_eq!(gt.status, ga.status);
    assert_eq!(gt.json()["status"], ga.json()["status"]);

    // Invalid silences and ids.
    for body in [
        r#"{"matchers":[],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2030-01-01T00:00:00Z","createdBy":"a","comment":"c"}"#.to_string(),
        sil("", m1, "2021-01-01T00:00:00Z"),
        r#"{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2030-01-01T00:00:00Z","endsAt":"2020-01-01T00:00:00Z","createdBy":"me","comment":"c"}"#.to_string(),
        sil(r#""id":"8a5d9b1c-0000-4000-8000-000000000000","#, m1, &future),
        r#"{"matchers":[{"name":"a","value":"b","isRegex":false}],"endsAt":"2030-01-01T00:00:00Z","createdBy":"me","comment":"c"}"#.to_string(),
    ] {
        p.same("POST", "/api/v2/silences", Some(&body));
    }
    p.same("GET", "/api/v2/silence/not-a-uuid", None);
    p.same(
        "GET",
        "/api/v2/silence/8a5d9b1c-0000-4000-8000-000000000000",
        None,
    );

    // Framework errors.
    p.same("PUT", "/api/v2/alerts", None);
    p.same("GET", "/api/v2/nope", None);
    p.same("POST", "/api/v2/alerts", Some("[{\"annotations\":{}}]"));
    let ta = harness::request(
        &p.am.addr,
        "POST",
        "/api/v2/alerts",
        &[("Content-Type", "text/plain")],
        b"[]",
    );
    let tt = harness::request(
        &p.tocsin.addr,
        "POST",
        "/api/v2/alerts",
        &[("Content-Type", "text/plain")],
        b"[]",
    );
    assert_eq!((tt.status, tt.body), (ta.status, ta.body));

    // Status: same shape; cluster disabled on both.
    let sa = p.am.get("/api/v2/status").json();
    let st = p.tocsin.get("/api/v2/status").json();
    assert_eq!(st["cluster"], sa["cluster"]);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&st), keys(&sa));
    assert_eq!(keys(&st["versionInfo"]), keys(&sa["versionInfo"]));
    assert!(
        st["config"]["original"]
            .as_str()
            .unwrap()
            .contains("receiver: default")
    );
}

/// Request targets with bytes Go accepts raw (`"`, `<`, `>`, a backtick,
/// braces), as runbooks and scripts send them with curl: Tocsin answers
/// with Alertmanager's status, and with its body when the query is
/// answered (in classic mode, as Alertmanager 0.25 parses).
#[test]
fn raw_characters_in_the_query_are_answered_as_alertmanager_does() {
    let pair = Pair::start();
    let post = r#"[{"labels":{"alertname":"X","job":"a\"b"}}]"#;
    for s in [&pair.am, &pair.tocsin] {
        let r = harness::request(
            &s.addr,
            "POST",
            "/api/v2/alerts",
            &[("Content-Type", "application/json")],
            post.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    pair.settle();
    for target in [
        r#"/api/v2/alerts?filter=alertname="X""#,
        r#"/api/v2/alerts?filter=alertname="X"&filter=job=~"a.*""#,
        "/api/v2/alerts?filter=alertname=`X`",
        "/api/v2/alerts?filter=alertname=<X>",
        r#"/api/v2/alerts/groups?filter=alertname="X""#,
        r#"/api/v2/silences?filter=alertname="X""#,
        "/api/v2/alerts?filter=a<b>",
        r#"/api/v2/alerts?filter={alertname="X"}"#,
    ] {
        let am = harness::request(&pair.am.addr, "GET", target, &[], b"");
        let t = harness::request(&pair.tocsin.addr, "GET", target, &[], b"");
        assert_eq!(t.status, am.status, "{target}: {} vs {}", t.body, am.body);
        if am.status == 200 {
            let (mut a, mut b): (Value, Value) = (am.json(), t.json());
            let mut ids = (Vec::new(), Vec::new());
            normalize(&mut a, &mut ids.0);
            normalize(&mut b, &mut ids.1);
            assert_eq!(b, a, "{target}");
        }
    }
}
