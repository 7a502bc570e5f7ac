//! VictorOps tests against a local sink: the exact URL (API key and
//! templated routing key in the path) and body, message types, truncation,
//! custom fields, key files and the classification of answers.

use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Reply, Sink, alert, ctx, resolved, templater};

/// sha256 of `{}:{alertname="Disk"}` (computed with `sha256sum`).
const ENTITY: &str = "849f8175e1fa447711c42b6e6cfb199b37d2ba91e3e51a900048a82f9cf0abaa";

fn vo(yaml: &str) -> VictorOps {
    let mut c: VictorOpsConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    VictorOps::new(&c, Some(templater())).unwrap()
}

fn firing() -> Vec<Arc<Alert>> {
    let mut a = alert(&[("alertname", "Disk"), ("instance", "a")], 0, None);
    a.annotations = [("summary", "disk <full>")].into_iter().collect();
    vec![Arc::new(a)]
}

#[tokio::test]
async fn default_trigger_and_recovery() {
    let sink = Sink::start().await;
    let v = vo(&format!(
        "api_key: vo-key\nrouting_key: team-a\napi_url: {}",
        sink.url("/integrations/alert")
    ));
    v.notify(&ctx(), &firing()).await.unwrap();
    v.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri.path(), "/integrations/alert/vo-key/team-a");
    assert_eq!(r.uri.query(), None);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("authorization").is_none());
    assert!(r.header("user-agent").unwrap().starts_with("Alertmanager/"));
    let text = r.body_text();
    let b: Value = serde_json::from_str(&text).unwrap();
    let state = b["state_message"].as_str().unwrap();
    assert!(
        state.starts_with("disk <full>\nAlerts Firing:\nLabels:\n - alertname = Disk\n"),
        "{state:?}"
    );
    let want_prefix = format!(
        r#"{{"entity_display_name":"[FIRING:1] Disk (a)","entity_id":"{ENTITY}","message_type":"CRITICAL","monitoring_tool":"Alertmanager","state_message":"disk \u003cfull\u003e\n"#
    );
    assert!(text.starts_with(&want_prefix), "{text}");
    assert!(text.ends_with("\"}\n"));

    let b: Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(b["message_type"], "RECOVERY");
    assert_eq!(b["entity_display_name"], "[RESOLVED] Disk (a)");
    assert_eq!(b["entity_id"], ENTITY);
    assert_eq!(v.kind(), "victorops");
}

#[tokio::test]
async fn every_field_is_templated() {
    let sink = Sink::start().await;
    let v = vo(&format!(
        "api_key: k\nrouting_key: 'rk {{{{ .GroupLabels.alertname }}}}/x?'\napi_url: {}\n\
         message_type: '{{{{ .CommonLabels.mt }}}}'\nstate_message: 's {{{{ len .Alerts }}}}'\n\
         entity_display_name: 'e &{{{{ .Status }}}}'\nmonitoring_tool: mt\n\
         custom_fields: {{zz: 'last {{{{ .Status }}}}', aa: first, my_field: '{{{{ .CommonLabels.instance }}}}'}}",
        sink.url("/vo")
    ));
    let mt = |t: &str| {
        let mut a = alert(
            &[("alertname", "Disk"), ("instance", "a"), ("mt", t)],
            0,
            None,
        );
        a.annotations = Default::default();
        vec![Arc::new(a)]
    };
    v.notify(&ctx(), &mt("WARNING")).await.unwrap();
    let r = &sink.requests()[0];
    assert_eq!(r.uri.path(), "/vo/k/rk%20Disk/x%3F");
    assert_eq!(
        r.body_text(),
        format!(
            concat!(
                r#"{{"aa":"first","entity_display_name":"e \u0026firing","entity_id":"{}","#,
                r#""message_type":"WARNING","monitoring_tool":"mt","my_field":"a","state_message":"s 1","zz":"last firing"}}"#,
                "\n"
            ),
            ENTITY
        )
    );
    // Only INFO, WARNING and CRITICAL are sent as they are.
    for (given, sent) in [
        ("INFO", "INFO"),
        ("CRITICAL", "CRITICAL"),
        ("warning", "CRITICAL"),
        ("ACK", "CRITICAL"),
    ] {
        v.notify(&ctx(), &mt(given)).await.unwrap();
        let last = sink.requests().pop().unwrap();
        let b: Value = serde_json::from_slice(&last.body).unwrap();
        assert_eq!(b["message_type"], sent, "{given}");
    }
}

#[tokio::test]
async fn state_message_is_cut_at_20480_runes() {
    let sink = Sink::start().await;
    let v = vo(&format!(
        "api_key: k\nrouting_key: r\napi_url: {}\nstate_message: '{}'",
        sink.url("/"),
        "ü".repeat(21000)
    ));
    v.notify(&ctx(), &firing()).await.unwrap();
    let b: Value = serde_json::from_slice(&sink.requests()[0].body).unwrap();
    let s = b["state_message"].as_str().unwrap();
    assert_eq!(s.chars().count(), 20480);
    assert!(s.ends_with("ü…"));
}

#[tokio::test]
async fn the_key_file_is_read_each_time_and_never_shown() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    let v = vo(&format!(
        "api_key_file: {}\nrouting_key: r\napi_url: {}",
        file.display(),
        sink.url("/vo/")
    ));
    let e = v.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(
        e.message,
        format!(
            "failed to read API key from file: open {}: no such file or directory",
            file.display()
        )
    );
    std::fs::write(&file, "  s3cret-1\n").unwrap();
    v.notify(&ctx(), &firing()).await.unwrap();
    std::fs::write(&file, "s3cret-2").unwrap();
    sink.reply(Reply::status(404).body("no such route"));
    let e = v.notify(&ctx(), &firing()).await.unwrap_err();
    assert_eq!(e.message, "unexpected status code 404: no such route");
    let paths: Vec<String> = sink
        .requests()
        .iter()
        .map(|r| r.uri.path().to_string())
        .collect();
    assert_eq!(paths, ["/vo/s3cret-1/r", "/vo/s3cret-2/r"]);

    // A transport error does not show the URL, which holds the key.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let v = vo(&format!(
        "api_key: s3cret-3\nrouting_key: r\napi_url: http://127.0.0.1:{port}/"
    ));
    let e = v.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert!(!e.message.contains("s3cret"), "{e:?}");
}

#[tokio::test]
async fn only_server_errors_are_retried() {
    let sink = Sink::start().await;
    let v = vo(&format!(
        "api_key: k\nrouting_key: r\napi_url: {}",
        sink.url("/")
    ));
    for (reply, retryable, reason) in [
        (Reply::status(400), false, FailureReason::ClientError),
        (Reply::status(401), false, FailureReason::AuthError),
        (Reply::status(403), false, FailureReason::AuthError),
        (
            Reply::status(429).header("retry-after", "2"),
            false,
            FailureReason::RateLimited,
        ),
        (Reply::status(500), true, FailureReason::ServerError),
        (Reply::status(503), true, FailureReason::ServerError),
    ] {
        sink.reply(reply);
        let e = v.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!((e.retryable, e.reason), (retryable, reason), "{e:?}");
    }
    // A template error is final and sends nothing.
    let bad = vo(&format!(
        "api_key: k\nrouting_key: r\napi_url: {}\nmonitoring_tool: '{{{{ template \"nope\" . }}}}'",
        sink.url("/")
    ));
    let before = sink.requests().len();
    let e = bad.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert!(e.message.starts_with("templating error: "), "{e:?}");
    assert_eq!(sink.requests().len(), before);

    use crate::notify::{Backoff, Integration, retry_with_backoff};
    let integration = Integration::new(Arc::new(v), 0, true);
    sink.reply(Reply::status(502));
    let mut c = ctx();
    c.deadline = Some(tokio::time::Instant::now() + Duration::from_secs(20));
    let before = sink.requests().len();
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap();
    assert_eq!(sink.requests().len(), before + 2);
}
