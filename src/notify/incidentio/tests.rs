//! incident.io tests against a local sink. The expected bodies are what
//! Alertmanager v0.34.0 sends: the `Message` and `encodeMessage` of its
//! `notify/incidentio/incidentio.go` over its `template.Data`, encoded by
//! Go's `encoding/json` (the byte strings and digests below were produced
//! that way).

use std::time::Duration;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::msteams::tests::{ctx, firing, resolved};
use crate::notify::testing::{Reply, Sink, alert};

fn inc(yaml: &str) -> Incidentio {
    let mut c: IncidentioConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    Incidentio::new(&c).unwrap()
}

fn with_reason() -> NotifyContext {
    let mut c = ctx();
    c.notification_reason = Some("first notification".into());
    c.route_labels = Some(LabelSet::empty());
    c
}

const FIRING_BODY: &str = "{\"receiver\":\"team-X\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"Disk\",\"instance\":\"a\"},\"annotations\":{},\"startsAt\":\"2026-01-02T03:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"\",\"fingerprint\":\"816b723725b54059\"}],\"notification_reason\":\"first notification\",\"groupLabels\":{\"alertname\":\"Disk\"},\"commonLabels\":{\"alertname\":\"Disk\",\"instance\":\"a\"},\"commonAnnotations\":{},\"routeLabels\":{},\"externalURL\":\"http://am.example.com:9093\",\"version\":\"1\",\"groupKey\":\"{}:{alertname=\\\"Disk\\\"}\",\"truncatedAlerts\":0}\n";
const RESOLVED_BODY: &str = "{\"receiver\":\"team-X\",\"status\":\"resolved\",\"alerts\":[{\"status\":\"resolved\",\"labels\":{\"alertname\":\"Disk\",\"instance\":\"a\"},\"annotations\":{},\"startsAt\":\"2026-01-02T03:00:00Z\",\"endsAt\":\"2026-01-02T03:00:30Z\",\"generatorURL\":\"\",\"fingerprint\":\"816b723725b54059\"}],\"notification_reason\":\"first notification\",\"groupLabels\":{\"alertname\":\"Disk\"},\"commonLabels\":{\"alertname\":\"Disk\",\"instance\":\"a\"},\"commonAnnotations\":{},\"routeLabels\":{},\"externalURL\":\"http://am.example.com:9093\",\"version\":\"1\",\"groupKey\":\"{}:{alertname=\\\"Disk\\\"}\",\"truncatedAlerts\":0}\n";

#[tokio::test]
async fn firing_and_resolved_messages_are_alertmanagers() {
    let sink = Sink::start().await;
    let i = inc(&format!(
        "url: {}\nalert_source_token: inc_s3cr3t",
        sink.url("/v2/alert_events/http/01ABC?x=y")
    ));
    i.notify(&with_reason(), &firing()).await.unwrap();
    i.notify(&with_reason(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.uri.path(), "/v2/alert_events/http/01ABC");
        assert_eq!(r.uri.query(), Some("x=y"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("user-agent"), Some(crate::notify::USER_AGENT));
        assert_eq!(r.header("authorization"), Some("Bearer inc_s3cr3t"));
    }
    assert_eq!(reqs[0].body_text(), FIRING_BODY);
    assert_eq!(reqs[1].body_text(), RESOLVED_BODY);
}

#[tokio::test]
async fn max_alerts_keeps_the_first_and_counts_the_rest() {
    let sink = Sink::start().await;
    let i = inc(&format!(
        "url: {}\nalert_source_token: t\nmax_alerts: 2",
        sink.url("/h")
    ));
    let mut a = alert(&[("alertname", "Disk"), ("instance", "a")], 0, None);
    a.annotations = [("summary", "<full> & \"quoted\""), ("runbook", "r")]
        .into_iter()
        .collect();
    a.generator_url = "http://prom:9090/graph?g0.expr=up".into();
    let mut b = alert(&[("alertname", "Disk"), ("instance", "b")], 5, Some(30));
    b.annotations = [("summary", "other"), ("runbook", "r")]
        .into_iter()
        .collect();
    let c = alert(&[("alertname", "Disk"), ("instance", "c")], 10, None);
    let mut cx = ctx();
    // Without a reason, 0.34 says "unknown".
    cx.route_labels = Some([("team", "db")].into_iter().collect());
    i.notify(&cx, &[Arc::new(a), Arc::new(b), Arc::new(c)])
        .await
        .unwrap();
    assert_eq!(
        sink.requests()[0].body_text(),
        "{\"receiver\":\"team-X\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"Disk\",\"instance\":\"a\"},\"annotations\":{\"runbook\":\"r\",\"summary\":\"\\u003cfull\\u003e \\u0026 \\\"quoted\\\"\"},\"startsAt\":\"2026-01-02T03:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://prom:9090/graph?g0.expr=up\",\"fingerprint\":\"816b723725b54059\"},{\"status\":\"resolved\",\"labels\":{\"alertname\":\"Disk\",\"instance\":\"b\"},\"annotations\":{\"runbook\":\"r\",\"summary\":\"other\"},\"startsAt\":\"2026-01-02T03:00:05Z\",\"endsAt\":\"2026-01-02T03:00:30Z\",\"generatorURL\":\"\",\"fingerprint\":\"8175723725bd94de\"}],\"notification_reason\":\"unknown\",\"groupLabels\":{\"alertname\":\"Disk\"},\"commonLabels\":{\"alertname\":\"Disk\"},\"commonAnnotations\":{\"runbook\":\"r\"},\"routeLabels\":{\"team\":\"db\"},\"externalURL\":\"http://am.example.com:9093\",\"version\":\"1\",\"groupKey\":\"{}:{alertname=\\\"Disk\\\"}\",\"truncatedAlerts\":1}\n"
    );
}

fn big(inst: &str, c: &str, n: usize, ends: Option<i64>) -> Arc<Alert> {
    let mut a = alert(&[("alertname", "Disk"), ("instance", inst)], 0, ends);
    let desc = format!("{}<&>", c.repeat(n));
    a.annotations = [("desc", desc.as_str()), ("same", "s")]
        .into_iter()
        .collect();
    Arc::new(a)
}

fn sha256_hex(b: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, b)
        .as_ref()
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[tokio::test]
async fn payloads_over_512_kib_keep_only_the_first_alert() {
    let sink = Sink::start().await;
    let i = inc(&format!("url: {}\nalert_source_token: t", sink.url("/h")));
    // The first alert is resolved, the others fire: the status stays
    // "firing" as 0.34 does not recompute the data.
    let alerts = [
        big("a", "x", 200_000, Some(30)),
        big("b", "y", 200_000, None),
        big("c", "z", 200_000, None),
    ];
    i.notify(&with_reason(), &alerts).await.unwrap();
    let body = &sink.requests()[0].body;
    assert_eq!(body.len(), 200_568);
    assert_eq!(
        sha256_hex(body),
        "7d687c85599f94c448ec8f46fe5a2567d3fa29bc22b94f410b02371180cfb2af"
    );
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(v["status"], "firing");
    assert_eq!(v["truncatedAlerts"], 0);
    // Still too big: sent anyway.
    let alerts = [big("a", "x", 600_000, None), big("b", "y", 10, None)];
    i.notify(&with_reason(), &alerts).await.unwrap();
    let body = &sink.requests()[1].body;
    assert_eq!(body.len(), 600_566);
    assert_eq!(
        sha256_hex(body),
        "cd083ba135e678dc09a4e5f45c606210b5222c950782af135802c6bfefd8d2cb"
    );
}

#[tokio::test]
async fn token_and_url_files_are_read_at_notify_time() {
    let sink = Sink::start().await;
    let dir = std::env::temp_dir().join(format!("tocsin-incidentio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, token) = (dir.join("url"), dir.join("token"));
    std::fs::write(&url, format!("{}\n", sink.url("/one"))).unwrap();
    std::fs::write(&token, "tok-1\n").unwrap();
    let i = inc(&format!(
        "url_file: {}\nalert_source_token_file: {}",
        url.display(),
        token.display()
    ));
    i.notify(&with_reason(), &firing()).await.unwrap();
    std::fs::write(&url, sink.url("/two")).unwrap();
    std::fs::write(&token, "tok-2").unwrap();
    i.notify(&with_reason(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs[0].uri.path(), "/one");
    assert_eq!(reqs[0].header("authorization"), Some("Bearer tok-1"));
    assert_eq!(reqs[1].uri.path(), "/two");
    assert_eq!(reqs[1].header("authorization"), Some("Bearer tok-2"));
    std::fs::remove_file(&url).unwrap();
    let e = i.notify(&with_reason(), &firing()).await.unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "read url_file: open {}: no such file or directory",
            url.display()
        )
    );
    assert!(!e.retryable);
    std::fs::write(&url, sink.url("/three")).unwrap();
    std::fs::remove_file(&token).unwrap();
    let e = i.notify(&with_reason(), &firing()).await.unwrap_err();
    assert!(e.message.contains("no such file or directory"), "{e:?}");
    assert!(!e.message.contains("tok-"));
    assert_eq!(sink.requests().len(), 2);
}

#[tokio::test]
async fn the_token_replaces_http_config_authorization_and_without_it_that_is_used() {
    let sink = Sink::start().await;
    let i = inc(&format!(
        "url: {}\nhttp_config: {{authorization: {{credentials: from-http-config}}}}",
        sink.url("/h")
    ));
    i.notify(&with_reason(), &firing()).await.unwrap();
    assert_eq!(
        sink.requests()[0].header("authorization"),
        Some("Bearer from-http-config")
    );
    let i = inc(&format!(
        "url: {}\nalert_source_token: from-token\nhttp_config: {{basic_auth: {{username: u, password: p}}}}",
        sink.url("/h")
    ));
    i.notify(&with_reason(), &firing()).await.unwrap();
    assert_eq!(
        sink.requests()[1].header("authorization"),
        Some("Bearer from-token")
    );
}

#[tokio::test]
async fn answers_are_classified_with_incident_io_details() {
    let sink = Sink::start().await;
    let i = inc(&format!(
        "url: {}\nalert_source_token: s3cr3t",
        sink.url("/h")
    ));
    sink.reply(Reply::status(202).body("{\"status\":\"success\"}"));
    i.notify(&with_reason(), &firing()).await.unwrap();
    for (status, body, retryable, reason, message) in [
        (
            400,
            "{\"type\":\"validation_error\",\"message\":\"Invalid payload\",\"errors\":[\"a is required\",\"b\"]}",
            false,
            FailureReason::ClientError,
            "unexpected status code 400: Invalid payload: a is required, b",
        ),
        (
            401,
            "{\"error\":\"unauthorized\"}",
            false,
            FailureReason::AuthError,
            "unexpected status code 401: unauthorized",
        ),
        (
            403,
            "{\"message\":\"m\",\"error\":\"e\"}",
            false,
            FailureReason::AuthError,
            "unexpected status code 403: m: e",
        ),
        (
            404,
            "not json",
            false,
            FailureReason::ClientError,
            "unexpected status code 404",
        ),
        (
            422,
            "{\"message\":1}",
            false,
            FailureReason::ClientError,
            "unexpected status code 422",
        ),
        (
            429,
            "{\"Message\":\"slow down\"} trailing",
            true,
            FailureReason::RateLimited,
            "unexpected status code 429: slow down",
        ),
        (
            500,
            "",
            true,
            FailureReason::ServerError,
            "unexpected status code 500",
        ),
        (
            503,
            "{\"errors\":[]}",
            true,
            FailureReason::ServerError,
            "unexpected status code 503",
        ),
    ] {
        sink.reply(Reply::status(status).body(body));
        let e = i.notify(&with_reason(), &firing()).await.unwrap_err();
        assert_eq!(
            (e.retryable, e.reason, e.message.as_str()),
            (retryable, reason, message),
            "{status}"
        );
        assert_eq!(e.status, Some(status));
    }
    sink.reply(Reply::status(429).header("retry-after", "6"));
    let e = i.notify(&with_reason(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.retry_after, Some(Duration::from_secs(6)));
}

#[tokio::test]
async fn the_timeout_bounds_the_request() {
    let sink = Sink::start().await;
    let i = inc(&format!(
        "url: {}\nalert_source_token: t\ntimeout: 200ms",
        sink.url("/h")
    ));
    sink.reply(Reply::status(200).delay(Duration::from_secs(3)));
    let start = std::time::Instant::now();
    let e = i.notify(&with_reason(), &firing()).await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(e.retryable);
    assert_eq!(e.message, "Post \"<redacted>\": context deadline exceeded");
}

#[tokio::test]
async fn retries_wait_for_retry_after_on_429() {
    use crate::notify::{Backoff, Integration, retry_with_backoff};
    let sink = Sink::start().await;
    let i = Arc::new(inc(&format!(
        "url: {}\nalert_source_token: t",
        sink.url("/h")
    )));
    let integration = Integration::new(i, 0, true);
    let mut c = with_reason();
    c.deadline = Some(tokio::time::Instant::now() + Duration::from_secs(20));
    sink.reply(Reply::status(429).header("retry-after", "1"));
    sink.reply(Reply::status(500));
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(950));
    assert_eq!(reqs[2].body_text(), FIRING_BODY);
}
