//! Webhook tests: payload bytes against Alertmanager 0.25 fixtures, URL
//! sources, truncation, timeouts and the retry stage against a local sink.

use std::time::Instant as StdInstant;

use chrono::TimeZone;

use super::*;
use crate::config::notifiers::GoDuration;
use crate::config::notifiers::webhook::WebhookConfig;
use crate::notify::testing::{Reply, Sink};
use crate::notify::{Backoff, Integration, retry_with_backoff};

const FIXTURE_FULL: &[u8] = include_bytes!("../testdata/webhook-0.25-firing-resolved.json");
const FIXTURE_TRUNCATED: &[u8] = include_bytes!("../testdata/webhook-0.25-truncated.json");

fn t(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn ls(pairs: &[(&str, &str)]) -> LabelSet {
    pairs.iter().copied().collect()
}

/// The moment the fixtures were captured at (all their alerts' end times
/// lie before it).
fn capture_now() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 21, 8, 30, 0)
        .unwrap()
}

/// The alerts behind `webhook-0.25-firing-resolved.json`.
fn disk_alerts() -> Vec<Arc<Alert>> {
    vec![
        Arc::new(Alert {
            labels: ls(&[
                ("alertname", "Disk"),
                ("team", "ops"),
                ("instance", "db-1:9100"),
                ("severity", "crit\"ical"),
            ]),
            annotations: ls(&[
                ("summary", "Disk <full> & failing"),
                ("description", "é\u{2028}line\nnext"),
            ]),
            starts_at: t("2026-01-02T03:04:05.123456789Z"),
            // Set by resolve_timeout; a firing alert is sent without it.
            ends_at: Some(capture_now() + chrono::Duration::minutes(5)),
            updated_at: capture_now(),
            generator_url: "http://prom.example/graph?g0.expr=up&g0.tab=1".into(),
            timeout: true,
        }),
        Arc::new(Alert {
            labels: ls(&[
                ("alertname", "Disk"),
                ("team", "ops"),
                ("instance", "db-2:9100"),
                ("severity", "warning"),
            ]),
            annotations: ls(&[
                ("summary", "Disk <full> & failing"),
                ("description", "other"),
            ]),
            starts_at: t("2026-01-02T03:00:00Z"),
            ends_at: Some(t("2026-01-02T03:10:00.5Z")),
            updated_at: capture_now(),
            generator_url: "http://prom.example/graph?g0.expr=up".into(),
            timeout: false,
        }),
    ]
}

fn disk_ctx() -> NotifyContext {
    let mut ctx = NotifyContext::new(
        "team.web",
        "{}:{alertname=\"Disk\", team=\"ops\"}",
        capture_now(),
    );
    ctx.group_labels = ls(&[("alertname", "Disk"), ("team", "ops")]);
    ctx.external_url = "http://am.example:9093/prefix".into();
    ctx
}

/// The alerts behind `webhook-0.25-truncated.json`.
fn load_alerts() -> Vec<Arc<Alert>> {
    let alert = |instance: &str, summary: &str, starts: &str, ends: Option<&str>| {
        Arc::new(Alert {
            labels: ls(&[("alertname", "Load"), ("instance", instance)]),
            annotations: ls(&[("summary", summary)]),
            starts_at: t(starts),
            ends_at: ends.map(t),
            updated_at: capture_now(),
            generator_url: "".into(),
            timeout: false,
        })
    };
    vec![
        alert(
            "a",
            "s",
            "2026-01-02T03:00:00Z",
            Some("2026-01-02T03:10:00Z"),
        ),
        alert("b", "s", "2026-01-02T03:04:05.1Z", None),
        alert("c", "t", "2026-01-02T03:04:05.1Z", None),
    ]
}

fn load_ctx() -> NotifyContext {
    let mut ctx = NotifyContext::new("trunc", "{}:{alertname=\"Load\"}", capture_now());
    ctx.group_labels = ls(&[("alertname", "Load")]);
    ctx.external_url = "http://am.example:9093/prefix".into();
    ctx
}

fn config(url: &str) -> WebhookConfig {
    WebhookConfig {
        url: crate::config::notifiers::SecretTemplateUrl::new(url),
        ..WebhookConfig::default()
    }
}

fn webhook(conf: &WebhookConfig) -> Webhook {
    Webhook::new(conf, None).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn message_matches_alertmanager_0_25_byte_for_byte() {
    let body = message_body(&disk_ctx(), &disk_alerts(), 0).unwrap();
    assert_eq!(text(&body), text(FIXTURE_FULL));
}

#[test]
fn truncated_message_matches_alertmanager_0_25() {
    let alerts = load_alerts();
    let (kept, dropped) = truncate_alerts(1, &alerts);
    assert_eq!((kept.len(), dropped), (1, 2));
    let body = message_body(&load_ctx(), kept, dropped).unwrap();
    assert_eq!(text(&body), text(FIXTURE_TRUNCATED));
}

#[test]
fn truncation_limits() {
    let alerts = load_alerts();
    assert_eq!(truncate_alerts(0, &alerts).1, 0);
    assert_eq!(truncate_alerts(0, &alerts).0.len(), 3);
    assert_eq!(truncate_alerts(3, &alerts).1, 0);
    assert_eq!(truncate_alerts(100, &alerts).0.len(), 3);
    assert_eq!(truncate_alerts(2, &alerts).1, 1);
    assert_eq!(truncate_alerts(u64::MAX, &alerts).1, 0);
}

#[test]
fn v0_34_fields_appear_when_the_context_has_them() {
    let mut ctx = load_ctx();
    ctx.notification_reason = Some("first notification".into());
    ctx.route_labels = Some(LabelSet::empty());
    let alerts = load_alerts();
    let body = text(&message_body(&ctx, &alerts[1..2], 0).unwrap());
    assert_eq!(
        body,
        "{\"receiver\":\"trunc\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\
         \"labels\":{\"alertname\":\"Load\",\"instance\":\"b\"},\"annotations\":{\"summary\":\"s\"},\
         \"startsAt\":\"2026-01-02T03:04:05.1Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\
         \"generatorURL\":\"\",\"fingerprint\":\"2482083fe9b2b55f\"}],\
         \"notification_reason\":\"first notification\",\"groupLabels\":{\"alertname\":\"Load\"},\
         \"commonLabels\":{\"alertname\":\"Load\",\"instance\":\"b\"},\
         \"commonAnnotations\":{\"summary\":\"s\"},\"routeLabels\":{},\
         \"externalURL\":\"http://am.example:9093/prefix\",\"version\":\"4\",\
         \"groupKey\":\"{}:{alertname=\\\"Load\\\"}\",\"truncatedAlerts\":0}\n"
    );
}

#[test]
fn common_labels_treat_missing_as_empty() {
    let a = ls(&[("a", "1"), ("b", ""), ("c", "x")]);
    let b = ls(&[("a", "1"), ("c", "y")]);
    assert_eq!(common([&a, &b].into_iter()), ls(&[("a", "1"), ("b", "")]));
    assert_eq!(common(std::iter::empty()), LabelSet::empty());
}

#[test]
fn times_outside_go_range_fail_like_go() {
    let mut alerts = load_alerts();
    let mut far = (*alerts[1]).clone();
    far.starts_at = chrono::Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
    alerts[1] = Arc::new(far);
    assert_eq!(
        message_body(&load_ctx(), &alerts, 0).unwrap_err(),
        "json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: year outside of range [0,9999]"
    );
}

#[tokio::test]
async fn posts_the_message_with_alertmanagers_headers() {
    let sink = Sink::start().await;
    let hook = webhook(&config(&sink.url("/hook")));
    assert_eq!(hook.kind(), "webhook");
    hook.notify(&disk_ctx(), &disk_alerts()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri.path(), "/hook");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("user-agent"), Some(crate::notify::USER_AGENT));
    assert_eq!(r.body_text(), text(FIXTURE_FULL));
}

#[tokio::test]
async fn max_alerts_truncates_the_sent_alerts() {
    let sink = Sink::start().await;
    let mut conf = config(&sink.url("/"));
    conf.max_alerts = 1;
    webhook(&conf)
        .notify(&load_ctx(), &load_alerts())
        .await
        .unwrap();
    assert_eq!(sink.requests()[0].body_text(), text(FIXTURE_TRUNCATED));
}

#[tokio::test]
async fn url_file_is_read_and_trimmed_on_every_notification() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("url");
    std::fs::write(&file, format!("  {}\n", sink.url("/first"))).unwrap();
    let conf = WebhookConfig {
        url_file: file.to_string_lossy().into_owned(),
        ..WebhookConfig::default()
    };
    let hook = webhook(&conf);
    hook.notify(&load_ctx(), &load_alerts()).await.unwrap();
    std::fs::write(&file, sink.url("/second")).unwrap();
    hook.notify(&load_ctx(), &load_alerts()).await.unwrap();
    let paths: Vec<_> = sink.requests().iter().map(|r| r.uri.to_string()).collect();
    assert_eq!(paths, ["/first", "/second"]);

    std::fs::remove_file(&file).unwrap();
    let e = hook.notify(&load_ctx(), &load_alerts()).await.unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "read url_file: open {p}: no such file or directory",
            p = file.display()
        )
    );
    assert!(!e.retryable);
}

/// Replaces `{{ .GroupLabels.team }}` and `{{ .Status }}`; fails on
/// `{{ fail }}`.
struct FakeTemplater;

impl Templater for FakeTemplater {
    fn execute_text(
        &self,
        text: &str,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<String, String> {
        if text.contains("{{ fail }}") {
            return Err("template: :1: function \"fail\" not defined".into());
        }
        let status = if alerts.iter().any(|a| !a.resolved_at(ctx.now)) {
            "firing"
        } else {
            "resolved"
        };
        Ok(text
            .replace(
                "{{ .GroupLabels.team }}",
                ctx.group_labels.get("team").unwrap_or_default(),
            )
            .replace("{{ .Status }}", status)
            .replace("{{ len .Alerts }}", &alerts.len().to_string()))
    }
}

#[tokio::test]
async fn templated_urls_are_rendered() {
    let sink = Sink::start().await;
    let conf = config(&format!("{}/{{{{ .GroupLabels.team }}}}", sink.base));
    let hook = Webhook::new(&conf, Some(Arc::new(FakeTemplater))).unwrap();
    hook.notify(&disk_ctx(), &disk_alerts()).await.unwrap();
    assert_eq!(sink.requests()[0].uri.path(), "/ops");

    let e = webhook(&conf)
        .notify(&disk_ctx(), &disk_alerts())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "failed to template webhook URL: no template engine configured"
    );
    assert!(!e.retryable);

    let failing = Webhook::new(
        &config("http://x/{{ fail }}"),
        Some(Arc::new(FakeTemplater)),
    )
    .unwrap();
    let e = failing
        .notify(&disk_ctx(), &disk_alerts())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "failed to template webhook URL: template: :1: function \"fail\" not defined"
    );

    let empty = Webhook::new(
        &config("{{ .GroupLabels.team }}"),
        Some(Arc::new(FakeTemplater)),
    )
    .unwrap();
    let e = empty.notify(&load_ctx(), &load_alerts()).await.unwrap_err();
    assert_eq!(e.message, "webhook URL is empty after templating");
    assert_eq!(sink.requests().len(), 1);
}

#[tokio::test]
async fn custom_payload_is_rendered_and_typed() {
    let sink = Sink::start().await;
    let mut conf = config(&sink.url("/"));
    conf.payload = Some(serde_json::json!({
        "status": "{{ .Status }}",
        "count": "{{ len .Alerts }}",
        "{{ .GroupLabels.team }}": ["<b>", "true", 5],
        "empty": "",
    }));
    let hook = Webhook::new(&conf, Some(Arc::new(FakeTemplater))).unwrap();
    hook.notify(&disk_ctx(), &disk_alerts()).await.unwrap();
    assert_eq!(
        sink.requests()[0].body_text(),
        "{\"count\":2,\"empty\":null,\"ops\":[\"\\u003cb\\u003e\",true,5],\"status\":\"firing\"}\n"
    );

    let e = webhook(&conf)
        .notify(&disk_ctx(), &disk_alerts())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "failed to render custom payload: no template engine configured"
    );
}

#[tokio::test]
async fn the_configured_timeout_ends_a_hanging_request() {
    let sink = Sink::start().await;
    sink.reply(Reply::status(200).delay(Duration::from_secs(30)));
    let mut conf = config(&sink.url("/"));
    conf.timeout = GoDuration(Duration::from_millis(200));
    let start = StdInstant::now();
    let e = webhook(&conf)
        .notify(&load_ctx(), &load_alerts())
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert_eq!(
        e.message,
        "Post \"<redacted>\": context deadline exceeded: configured webhook timeout reached (200ms)"
    );
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::Other);
}

// The retry stage driving the webhook against a live sink (real time, so
// the schedules are kept short).

fn integration(conf: &WebhookConfig, send_resolved: bool) -> Integration {
    Integration::new(Arc::new(webhook(conf)), 0, send_resolved)
}

fn with_deadline(mut ctx: NotifyContext, after: Duration) -> NotifyContext {
    ctx.deadline = Some(tokio::time::Instant::now() + after);
    ctx
}

fn steady() -> Backoff {
    Backoff::with_random(|| 0.5)
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let sink = Sink::start().await;
    sink.reply(Reply::status(500).body("down"));
    let i = integration(&config(&sink.url("/")), true);
    let ctx = with_deadline(load_ctx(), Duration::from_secs(10));
    retry_with_backoff(&i, &ctx, &load_alerts(), steady())
        .await
        .unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_millis(450), "{gap:?}");
    assert_eq!(reqs[0].body, reqs[1].body);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let sink = Sink::start().await;
    sink.reply(Reply::status(400).body("bad"));
    let i = integration(&config(&sink.url("/")), true);
    let ctx = with_deadline(load_ctx(), Duration::from_secs(10));
    let e = retry_with_backoff(&i, &ctx, &load_alerts(), steady())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "trunc/webhook[0]: notify retry canceled due to unrecoverable error after 1 attempts: unexpected status code 400: bad"
    );
    assert_eq!(e.reason, FailureReason::ClientError);
    assert_eq!(sink.requests().len(), 1);
}

#[tokio::test]
async fn too_many_requests_is_not_retried_by_the_webhook() {
    // Alertmanager's webhook retries only 5xx; 429 fails the stage at once.
    let sink = Sink::start().await;
    sink.reply(Reply::status(429).header("retry-after", "1"));
    let i = integration(&config(&sink.url("/")), true);
    let ctx = with_deadline(load_ctx(), Duration::from_secs(10));
    let e = retry_with_backoff(&i, &ctx, &load_alerts(), steady())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "trunc/webhook[0]: notify retry canceled due to unrecoverable error after 1 attempts: unexpected status code 429"
    );
    assert_eq!(e.reason, FailureReason::RateLimited);
    assert_eq!(sink.requests().len(), 1);
}

#[tokio::test]
async fn retry_after_is_respected() {
    let sink = Sink::start().await;
    sink.reply(Reply::status(503).header("retry-after", "1"));
    let i = integration(&config(&sink.url("/")), true);
    let ctx = with_deadline(load_ctx(), Duration::from_secs(10));
    // Without the hint the next attempt would come after 250 ms.
    retry_with_backoff(&i, &ctx, &load_alerts(), Backoff::with_random(|| 0.0))
        .await
        .unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(
        gap >= Duration::from_millis(990) && gap < Duration::from_secs(3),
        "{gap:?}"
    );
}

#[tokio::test]
async fn the_deadline_reports_the_last_error() {
    let sink = Sink::start().await;
    for _ in 0..5 {
        sink.reply(Reply::status(500).body("down"));
    }
    let i = integration(&config(&sink.url("/")), true);
    // Attempts at 0 s and 0.5 s; the next would be at 1.25 s.
    let ctx = with_deadline(load_ctx(), Duration::from_secs(1));
    let e = retry_with_backoff(&i, &ctx, &load_alerts(), steady())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "trunc/webhook[0]: notify retry canceled after 2 attempts: unexpected status code 500: down"
    );
    assert_eq!(e.reason, FailureReason::ServerError);
    assert!(e.retryable);
}

#[tokio::test]
async fn a_refused_connection_is_retried_with_a_clear_message() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let i = integration(&config(&format!("http://127.0.0.1:{port}/hook")), true);
    let ctx = with_deadline(load_ctx(), Duration::from_millis(700));
    let e = retry_with_backoff(&i, &ctx, &load_alerts(), steady())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "trunc/webhook[0]: notify retry canceled after 2 attempts: Post \"<redacted>\": dial tcp 127.0.0.1:{port}: connect: connection refused"
        )
    );
    assert_eq!(e.reason, FailureReason::Other);
}

#[tokio::test]
async fn a_hanging_receiver_is_abandoned_at_the_deadline() {
    let sink = Sink::start().await;
    sink.reply(Reply::status(200).delay(Duration::from_secs(30)));
    let i = integration(&config(&sink.url("/")), true);
    let ctx = with_deadline(load_ctx(), Duration::from_millis(300));
    let start = StdInstant::now();
    let e = retry_with_backoff(&i, &ctx, &load_alerts(), steady())
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(
        e.message,
        "trunc/webhook[0]: notify retry canceled after 1 attempts: context deadline exceeded"
    );
    assert_eq!(e.reason, FailureReason::ContextDeadlineExceeded);
}

#[tokio::test]
async fn send_resolved_decides_whether_resolved_alerts_are_sent() {
    let sink = Sink::start().await;
    let conf = config(&sink.url("/"));
    let alerts = load_alerts(); // a resolved, b and c firing
    let ctx = with_deadline(load_ctx(), Duration::from_secs(10));

    retry_with_backoff(&integration(&conf, true), &ctx, &alerts, steady())
        .await
        .unwrap();
    retry_with_backoff(&integration(&conf, false), &ctx, &alerts, steady())
        .await
        .unwrap();
    // Only resolved alerts and no send_resolved: nothing is sent.
    retry_with_backoff(&integration(&conf, false), &ctx, &alerts[..1], steady())
        .await
        .unwrap();

    let instances: Vec<Vec<String>> = sink
        .requests()
        .iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            v["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["labels"]["instance"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    assert_eq!(instances, [vec!["a", "b", "c"], vec!["b", "c"]]);
}
