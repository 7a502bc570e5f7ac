//! OpsGenie tests against a local sink: the exact create, close and
//! update requests (URL with alias and query, `GenieKey` header, body),
//! templated fields and responders, truncation, key files and the
//! classification of answers.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Recorded, Reply, Sink, alert, ctx, resolved, templater};

/// sha256 of `{}:{alertname="Disk"}` (computed with `sha256sum`).
const ALIAS: &str = "849f8175e1fa447711c42b6e6cfb199b37d2ba91e3e51a900048a82f9cf0abaa";
const SOURCE: &str = "http://am.example.com:9093/#/alerts?receiver=team-X";

fn og(yaml: &str) -> OpsGenie {
    let mut c: OpsGenieConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    OpsGenie::new(&c, Some(templater())).unwrap()
}

fn firing() -> Vec<Arc<Alert>> {
    vec![
        Arc::new(alert(
            &[("alertname", "Disk"), ("instance", "a"), ("team", "ops")],
            0,
            None,
        )),
        Arc::new(alert(
            &[("alertname", "Disk"), ("instance", "b"), ("team", "ops")],
            0,
            None,
        )),
    ]
}

fn target(r: &Recorded) -> String {
    r.uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn default_create_and_close() {
    let sink = Sink::start().await;
    let o = og(&format!("api_key: og-key\napi_url: {}", sink.url("/og")));
    o.notify(&ctx(), &firing()).await.unwrap();
    o.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(target(r), "/og/v2/alerts");
    assert_eq!(r.header("authorization"), Some("GenieKey og-key"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("user-agent").unwrap().starts_with("Alertmanager/"));
    let b: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(b["alias"], ALIAS);
    assert_eq!(b["message"], "[FIRING:2] Disk (ops)");
    assert_eq!(b["source"], SOURCE);
    assert_eq!(b["details"], json!({"alertname": "Disk", "team": "ops"}));
    let description = b["description"].as_str().unwrap();
    assert!(
        description
            .starts_with("\nAlerts Firing:\nLabels:\n - alertname = Disk\n - instance = a\n"),
        "{description:?}"
    );
    // Nothing else, in Alertmanager's field order.
    let text = r.body_text();
    assert!(
        text.starts_with(&format!(
            r#"{{"alias":"{ALIAS}","message":"[FIRING:2] Disk (ops)","description":"#
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            r#","details":{{"alertname":"Disk","team":"ops"}},"source":"{SOURCE}"}}{}"#,
            "\n"
        )),
        "{text}"
    );

    let r = &reqs[1];
    assert_eq!(r.method, "POST");
    assert_eq!(
        target(r),
        format!("/og/v2/alerts/{ALIAS}/close?identifierType=alias")
    );
    assert_eq!(r.header("authorization"), Some("GenieKey og-key"));
    assert_eq!(r.body_text(), format!("{{\"source\":\"{SOURCE}\"}}\n"));
    assert_eq!(o.kind(), "opsgenie");
}

#[tokio::test]
async fn every_field_is_templated_and_alerts_are_updated() {
    let sink = Sink::start().await;
    let o = og(&format!(
        "api_key: 'key-{{{{ .GroupLabels.alertname }}}}'\napi_url: {}\n\
         message: 'm <{{{{ .Status }}}}> {}'\ndescription: 'd {{{{ len .Alerts }}}}'\n\
         source: 's'\ndetails: {{team: 'T-{{{{ .CommonLabels.team }}}}', extra: '&x'}}\n\
         entity: 'e-{{{{ .GroupLabels.alertname }}}}'\nactions: ' a1,a2,, '\ntags: 't1, t2,{{{{ .CommonLabels.team }}}}'\n\
         note: n\npriority: '{{{{ if eq .Status \"firing\" }}}}P1{{{{ end }}}}'\nupdate_alerts: true\n\
         responders:\n- {{id: 'id-{{{{ .CommonLabels.team }}}}', type: team}}\n\
         - {{name: '{{{{ .CommonLabels.nothing }}}}', type: '{{{{ .CommonLabels.nothing }}}}'}}\n\
         - {{name: 'x,{{{{ .CommonLabels.team }}}}, y', type: teams}}\n\
         - {{username: u@example.com, type: scheDule}}",
        sink.url("/api/"),
        "é".repeat(200)
    ));
    o.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 3);
    let message: String = format!("m <firing> {}", "é".repeat(200))
        .chars()
        .take(129)
        .chain(['…'])
        .collect();
    let want = format!(
        concat!(
            r#"{{"alias":"{alias}","message":"{message}","description":"d 2","#,
            r#""details":{{"alertname":"Disk","extra":"\u0026x","team":"T-ops"}},"source":"s","#,
            r#""responders":[{{"id":"id-ops","type":"team"}},{{"name":"x","type":"team"}},"#,
            r#"{{"name":"ops","type":"team"}},{{"name":" y","type":"team"}},"#,
            r#"{{"username":"u@example.com","type":"scheDule"}}],"#,
            r#""tags":["t1"," t2","ops"],"note":"n","priority":"P1","entity":"e-Disk","actions":["a1","a2"]}}"#,
            "\n"
        ),
        alias = ALIAS,
        message = message.replace('<', "\\u003c").replace('>', "\\u003e"),
    );
    assert_eq!(reqs[0].body_text(), want);
    assert_eq!(target(&reqs[0]), "/api/v2/alerts");
    for r in &reqs {
        assert_eq!(r.header("authorization"), Some("GenieKey key-Disk"));
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    assert_eq!(reqs[1].method, "PUT");
    assert_eq!(
        target(&reqs[1]),
        format!("/api/v2/alerts/{ALIAS}/message?identifierType=alias")
    );
    assert_eq!(
        reqs[1].body_text(),
        format!(
            "{{\"message\":\"{}\"}}\n",
            message.replace('<', "\\u003c").replace('>', "\\u003e")
        )
    );
    assert_eq!(reqs[2].method, "PUT");
    assert_eq!(
        target(&reqs[2]),
        format!("/api/v2/alerts/{ALIAS}/description?identifierType=alias")
    );
    assert_eq!(reqs[2].body_text(), "{\"description\":\"d 2\"}\n");
}

#[tokio::test]
async fn the_api_url_query_is_kept() {
    let sink = Sink::start().await;
    let o = og(&format!(
        "api_key: k\napi_url: '{}'\nupdate_alerts: true\ndescription: ''",
        sink.url("/og/?b=2&a=x+y")
    ));
    o.notify(&ctx(), &firing()).await.unwrap();
    o.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(target(&reqs[0]), "/og/v2/alerts?b=2&a=x+y");
    assert_eq!(
        target(&reqs[1]),
        format!("/og/v2/alerts/{ALIAS}/message?a=x+y&b=2&identifierType=alias")
    );
    // An empty description is left out, also from its update.
    assert!(!reqs[0].body_text().contains("\"description\""));
    assert_eq!(reqs[2].body_text(), "{}\n");
    assert_eq!(
        target(&reqs[3]),
        format!("/og/v2/alerts/{ALIAS}/close?a=x+y&b=2&identifierType=alias")
    );
}

#[tokio::test]
async fn the_key_file_is_read_templated_and_trimmed_each_time() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    let o = og(&format!(
        "api_key_file: {}\napi_url: {}",
        file.display(),
        sink.url("/")
    ));
    let e = o.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(
        e.message,
        format!(
            "read key_file error: open {}: no such file or directory",
            file.display()
        )
    );
    std::fs::write(&file, " k1-{{ .GroupLabels.alertname }}\n").unwrap();
    o.notify(&ctx(), &firing()).await.unwrap();
    std::fs::write(&file, "k2").unwrap();
    o.notify(&ctx(), &resolved()).await.unwrap();
    let auth: Vec<String> = sink
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap().to_string())
        .collect();
    assert_eq!(auth, ["GenieKey k1-Disk", "GenieKey k2"]);
}

#[tokio::test]
async fn answers_are_classified() {
    let sink = Sink::start().await;
    let o = og(&format!("api_key: s3cret-key\napi_url: {}", sink.url("/")));
    for (reply, retryable, reason, message) in [
        (
            Reply::status(422).body(r#"{"message":"Request body is not processable"}"#),
            false,
            FailureReason::ClientError,
            r#"unexpected status code 422: {"message":"Request body is not processable"}"#,
        ),
        (
            Reply::status(401),
            false,
            FailureReason::AuthError,
            "unexpected status code 401",
        ),
        (
            Reply::status(403),
            false,
            FailureReason::AuthError,
            "unexpected status code 403",
        ),
        (
            Reply::status(500).body("boom"),
            true,
            FailureReason::ServerError,
            "unexpected status code 500: boom",
        ),
    ] {
        sink.reply(reply);
        let e = o.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!(
            (e.retryable, e.reason, e.message.as_str()),
            (retryable, reason, message)
        );
    }
    sink.reply(Reply::status(429).header("retry-after", "3"));
    let e = o.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(3)));

    // With update_alerts, a failed create stops the sequence.
    let o = og(&format!(
        "api_key: k\napi_url: {}\nupdate_alerts: true",
        sink.url("/u/")
    ));
    sink.reply(Reply::status(503));
    let before = sink.requests().len();
    o.notify(&ctx(), &firing()).await.unwrap_err();
    assert_eq!(sink.requests().len(), before + 1);

    // A template error sends nothing and is final.
    let o = og(&format!(
        "api_key: k\napi_url: {}\nnote: '{{{{ template \"nope\" . }}}}'",
        sink.url("/")
    ));
    let before = sink.requests().len();
    let e = o.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert!(e.message.starts_with("templating error: "), "{e:?}");
    assert_eq!(sink.requests().len(), before);

    // Transport errors are retried and never show the key.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let o = og(&format!(
        "api_key: s3cret-key\napi_url: http://127.0.0.1:{port}/"
    ));
    let e = o.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert!(!e.message.contains("s3cret"), "{e:?}");
}

#[test]
fn urls_are_built_as_go_builds_them() {
    let u = |s: &str| url::Url::parse(s).unwrap();
    assert_eq!(
        go_url_with_path(&u("https://api.opsgenie.com/"), "v2/alerts", None),
        "https://api.opsgenie.com/v2/alerts"
    );
    assert_eq!(
        go_url_with_path(&u("https://x/a%20b/"), "k/r o?u#t!", None),
        "https://x/a%20b/k/r%20o%3Fu%23t%21"
    );
    assert_eq!(
        go_url_with_path(
            &u("https://x/p/?z=1&a=%2F"),
            "v2/alerts/h/close",
            Some(("identifierType", "alias"))
        ),
        "https://x/p/v2/alerts/h/close?a=%2F&identifierType=alias&z=1"
    );
    assert_eq!(safe_split(" a, b,,c ", ','), ["a", " b", "c"]);
    assert!(safe_split("  ", ',').is_empty());
}
