//! Load: 100,000 active alerts with realistic labels and annotations are
//! held, queried, grouped and silenced without errors. (Figures are taken by
//! the benchmark tool, not asserted here.)

mod common;

use common::Server;

const CONFIG: &str = "route:\n  receiver: default\n  group_by: [alertname, cluster]\n  routes:\n  - matchers: [team=\"db\"]\n    receiver: db\nreceivers:\n- name: default\n- name: db\ninhibit_rules:\n- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n  equal: [cluster, service]\n";

const TOTAL: usize = 100_000;
const BATCH: usize = 1_000;

fn batch(start: usize) -> String {
    let mut out = String::with_capacity(BATCH * 400);
    out.push('[');
    for i in start..start + BATCH {
        if i > start {
            out.push(',');
        }
        let team = ["db", "web", "infra", "payments"][i % 4];
        // Criticals for half of the services: their warnings are inhibited.
        let severity = if (i / 200) % 10 == 0 && i % 200 < 100 {
            "critical"
        } else {
            "warning"
        };
        out.push_str(&format!(
            r#"{{"labels":{{"alertname":"Alert{a}","cluster":"c{c}","service":"svc{s}","instance":"10.0.{x}.{y}:9100","job":"node","team":"{team}","severity":"{severity}","env":"prod"}},"annotations":{{"summary":"Something is wrong with svc{s} on 10.0.{x}.{y}","runbook_url":"https://runbooks.example.com/Alert{a}"}},"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=up"}}"#,
            a = i % 50,
            c = i % 20,
            s = i % 200,
            x = (i / 250) % 250,
            y = i % 250,
        ));
    }
    out.push(']');
    out
}

fn count(s: &Server, path: &str) -> usize {
    let r = s.get(path);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.json().as_array().unwrap().len()
}

#[test]
fn hundred_thousand_alerts() {
    let s = Server::with_config(CONFIG, &[]);
    for start in (0..TOTAL).step_by(BATCH) {
        let r = s.post_json("/api/v2/alerts", &batch(start));
        assert_eq!(r.status, 200, "batch at {start}: {}", r.body);
    }
    assert_eq!(count(&s, "/api/v2/alerts"), TOTAL);
    // Filtered queries.
    assert_eq!(
        count(&s, "/api/v2/alerts?filter=team%3D%22db%22"),
        TOTAL / 4
    );
    assert_eq!(
        count(
            &s,
            "/api/v2/alerts?filter=alertname%3D%22Alert7%22&filter=cluster%3D%22c7%22"
        ),
        TOTAL / 100
    );
    assert_eq!(count(&s, "/api/v2/alerts?receiver=db"), TOTAL / 4);
    // The inhibition rule mutes warnings sharing cluster+service with a critical.
    let not_inhibited = count(&s, "/api/v2/alerts?inhibited=false");
    // Criticals (1 in 20) plus the warnings of services without a critical (half).
    assert_eq!(not_inhibited, TOTAL / 20 + TOTAL / 2);
    // Groups: 50 alertnames × 20 clusters, split by route.
    let groups = s.get("/api/v2/alerts/groups").json();
    let total_in_groups: usize = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["alerts"].as_array().unwrap().len())
        .sum();
    assert_eq!(total_in_groups, TOTAL);
    // A silence for one team takes effect on the next query.
    let sil = r#"{"matchers":[{"name":"team","value":"payments","isRegex":false}],"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"load","comment":"load test"}"#;
    assert_eq!(s.post_json("/api/v2/silences", sil).status, 200);
    let visible = count(&s, "/api/v2/alerts?silenced=false&inhibited=true");
    assert_eq!(visible, TOTAL - TOTAL / 4);
    // Re-posting every alert merges instead of duplicating.
    for start in (0..TOTAL).step_by(BATCH * 10) {
        assert_eq!(s.post_json("/api/v2/alerts", &batch(start)).status, 200);
    }
    assert_eq!(count(&s, "/api/v2/alerts"), TOTAL);
    let metrics = s.get("/metrics").body;
    let suppressed = metrics
        .lines()
        .find(|l| l.starts_with("alertmanager_alerts{state=\"suppressed\"}"))
        .unwrap();
    let active = metrics
        .lines()
        .find(|l| l.starts_with("alertmanager_alerts{state=\"active\"}"))
        .unwrap();
    let n = |l: &str| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as usize;
    assert_eq!(n(suppressed) + n(active), TOTAL);
}
