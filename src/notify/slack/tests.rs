//! Slack tests against a local sink: the exact JSON, both modes, the
//! classification of every kind of answer, message updates kept in the
//! notification-log store, pacing, and charts that fail without holding
//! the message back.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Reply, Sink, at, ctx, firing, resolved, templater};
use crate::notify::{NflogStore, NotifyContext};

/// A resolved config from YAML (global defaults).
fn config(yaml: &str) -> SlackConfig {
    let mut c: SlackConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit_with(&GlobalConfig::default(), &Default::default())
        .unwrap();
    c
}

fn slack(yaml: &str) -> Slack {
    Slack::new(&config(yaml), Some(templater()), None).unwrap()
}

fn api_ok(channel: &str, ts: &str) -> Reply {
    Reply::status(200)
        .header("content-type", "application/json; charset=utf-8")
        .body(&json!({"ok": true, "channel": channel, "ts": ts}).to_string())
}

fn api_err(error: &str) -> Reply {
    Reply::status(200)
        .header("content-type", "application/json; charset=utf-8")
        .body(&json!({"ok": false, "error": error}).to_string())
}

fn body(r: &crate::notify::testing::Recorded) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test]
async fn incoming_webhook_gets_alertmanagers_message() {
    let sink = Sink::start().await;
    sink.reply(Reply::status(200).body("ok"));
    let s = slack(&format!(
        "api_url: {}\nchannel: '#ops'",
        sink.url("/services/T/B/X")
    ));
    s.notify(&ctx(), &firing()).await.unwrap();
    let r = &sink.requests()[0];
    assert_eq!(r.uri.path(), "/services/T/B/X");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("authorization").is_none());
    assert!(r.body.ends_with(b"}\n"), "Go's encoder ends with a newline");
    assert_eq!(
        body(r),
        json!({
            "channel": "#ops",
            "username": "Alertmanager",
            "attachments": [{
                "title": "[FIRING:1] Disk (a)",
                "title_link": "http://am.example.com:9093/#/alerts?receiver=team-X",
                "text": "",
                "fallback": "[FIRING:1] Disk (a) | http://am.example.com:9093/#/alerts?receiver=team-X",
                "callback_id": "",
                "footer": "",
                "color": "danger",
                "mrkdwn_in": ["fallback", "pretext", "text"]
            }]
        })
    );
    // Field order is Alertmanager's.
    let text = r.body_text();
    let order = ["\"channel\"", "\"username\"", "\"attachments\""];
    let pos: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[tokio::test]
async fn every_field_is_templated() {
    let sink = Sink::start().await;
    sink.reply(Reply::status(200).body("ok"));
    let s = slack(&format!(
        "api_url: {}\n\
         channel: '{{{{ .GroupLabels.alertname }}}}-ch'\nusername: u\nicon_emoji: ':fire:'\n\
         icon_url: http://i/\nlink_names: true\nmessage_text: 'top {{{{ len .Alerts }}}}'\n\
         title: t\ntitle_link: http://t/\npretext: p\ntext: x\nfallback: fb\ncallback_id: cb\n\
         image_url: http://img/\nthumb_url: http://th/\nfooter: f\ncolor: '#00ff00'\n\
         mrkdwn_in: [text]\nshort_fields: true\n\
         fields: [{{title: 'ft {{{{ .Status }}}}', value: fv}}, {{title: a, value: b, short: false}}]\n\
         actions:\n- {{type: button, text: 'go {{{{ .Status }}}}', url: 'http://x/'}}\n\
         - {{type: button, text: b, name: n, value: v, style: danger, confirm: {{text: sure?, title: T, ok_text: y, dismiss_text: n}}}}",
        sink.url("/hook")
    ));
    s.notify(&ctx(), &firing()).await.unwrap();
    let b = body(&sink.requests()[0]);
    assert_eq!(b["channel"], "Disk-ch");
    assert_eq!(b["text"], "top 1");
    assert_eq!(b["link_names"], true);
    assert_eq!(b["icon_emoji"], ":fire:");
    let a = &b["attachments"][0];
    assert_eq!(
        a["fields"],
        json!([{"title": "ft firing", "value": "fv", "short": true}, {"title": "a", "value": "b", "short": false}])
    );
    assert_eq!(
        a["actions"][0],
        json!({"type": "button", "text": "go firing", "url": "http://x/"})
    );
    assert_eq!(
        a["actions"][1],
        json!({"type": "button", "text": "b", "style": "danger", "name": "n", "value": "v",
               "confirm": {"text": "sure?", "title": "T", "ok_text": "y", "dismiss_text": "n"}})
    );
    for (k, v) in [
        ("image_url", "http://img/"),
        ("thumb_url", "http://th/"),
        ("footer", "f"),
        ("color", "#00ff00"),
        ("pretext", "p"),
    ] {
        assert_eq!(a[k], v, "{k}");
    }
    assert_eq!(a["mrkdwn_in"], json!(["text"]));
}

#[tokio::test]
async fn titles_are_cut_at_1024_runes_and_template_errors_fail() {
    let sink = Sink::start().await;
    sink.reply(Reply::status(200).body("ok"));
    let s = slack(&format!(
        "api_url: {}\ntitle: '{}'",
        sink.url("/h"),
        "é".repeat(1100)
    ));
    s.notify(&ctx(), &firing()).await.unwrap();
    let title = body(&sink.requests()[0])["attachments"][0]["title"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(title.chars().count(), 1024);
    let s = slack(&format!(
        "api_url: {}\ntext: '{{{{ template \"nope\" . }}}}'",
        sink.url("/h")
    ));
    let e = s.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable && e.message.contains("nope"), "{e:?}");
    assert_eq!(
        sink.requests().len(),
        1,
        "nothing sent after a template error"
    );
}

#[tokio::test]
async fn webhook_answers_other_than_ok_are_errors() {
    let sink = Sink::start().await;
    sink.reply(Reply::status(200).body("invalid_payload"));
    let s = slack(&format!("api_url: {}\nchannel: c", sink.url("/h")));
    let e = s.notify(&ctx(), &firing()).await.unwrap_err();
    assert_eq!(
        e.message,
        "channel \"c\": received an error response from Slack: invalid_payload"
    );
    assert!(!e.retryable);
    sink.reply(Reply::status(500).body("oops"));
    let e = s.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(
        e.retryable && e.reason == FailureReason::ServerError,
        "{e:?}"
    );
    sink.reply(Reply::status(404).body("no_service"));
    let e = s.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(
        !e.retryable && e.reason == FailureReason::ClientError,
        "{e:?}"
    );
}

#[tokio::test]
async fn web_api_posts_with_the_token_and_keeps_the_message() {
    let sink = Sink::start().await;
    sink.reply(api_ok("C0123ABCD", "1700000000.000100"));
    let s = slack(&format!(
        "app_token: xoxb-secret\napp_url: {}\nchannel: '#ops'",
        sink.url("/api/chat.postMessage")
    ));
    let c = ctx();
    s.notify(&c, &firing()).await.unwrap();
    let r = &sink.requests()[0];
    assert_eq!(r.uri.path(), "/api/chat.postMessage");
    assert_eq!(r.header("authorization"), Some("Bearer xoxb-secret"));
    assert_eq!(c.store.get(TS_KEY).as_deref(), Some("1700000000.000100"));
    assert_eq!(c.store.get(CHANNEL_KEY).as_deref(), Some("C0123ABCD"));
}

/// A context whose group's last notification kept `ts` in channel `ch`.
fn ctx_with_message(ch: &str, ts: &str, last_resolved_all: bool) -> NotifyContext {
    let mut c = ctx();
    let entry = crate::nflog::Entry {
        group_key: c.group_key.clone(),
        receiver: crate::nflog::Receiver::new("team-X", "slack", 0),
        timestamp: at(0),
        firing_alerts: if last_resolved_all { vec![] } else { vec![1] },
        resolved_alerts: vec![],
        expires_at: at(3600),
        receiver_data: [
            (TS_KEY.to_string(), ts.to_string()),
            (CHANNEL_KEY.to_string(), ch.to_string()),
        ]
        .into_iter()
        .collect(),
    };
    c.store = NflogStore::from_entry(Some(&entry));
    c
}

#[tokio::test]
async fn update_message_edits_the_stored_message() {
    let sink = Sink::start().await;
    sink.reply(api_ok("C0123ABCD", "1.5"));
    let s = slack(&format!(
        "app_token: xoxb-1\napp_url: {}\nchannel: '#ops'\nupdate_message: true\nsend_resolved: true",
        sink.url("/api/chat.postMessage")
    ));
    let c = ctx_with_message("C0123ABCD", "1.5", false);
    s.notify(&c, &resolved()).await.unwrap();
    let r = &sink.requests()[0];
    assert_eq!(r.uri.path(), "/api/chat.update");
    let b = body(r);
    assert_eq!(
        (b["channel"].as_str(), b["ts"].as_str()),
        (Some("C0123ABCD"), Some("1.5"))
    );
    assert_eq!(b["attachments"][0]["color"], "good");
    // The message is gone: a new one is posted and kept.
    sink.reply(api_err("message_not_found"));
    sink.reply(api_ok("C0123ABCD", "2.5"));
    let c = ctx_with_message("C0123ABCD", "1.5", false);
    s.notify(&c, &firing()).await.unwrap();
    let paths: Vec<String> = sink.requests()[1..]
        .iter()
        .map(|r| r.uri.path().to_string())
        .collect();
    assert_eq!(paths, ["/api/chat.update", "/api/chat.postMessage"]);
    assert_eq!(body(&sink.requests()[2])["channel"], "#ops");
    assert_eq!(c.store.get(TS_KEY).as_deref(), Some("2.5"));
    // A new incident (the last notification resolved everything) gets a
    // new message.
    sink.reply(api_ok("C0123ABCD", "3.5"));
    let c = ctx_with_message("C0123ABCD", "2.5", true);
    s.notify(&c, &firing()).await.unwrap();
    assert_eq!(sink.requests()[3].uri.path(), "/api/chat.postMessage");
    // Without update_message, every notification is a new message.
    let plain = slack(&format!(
        "app_token: xoxb-1\napp_url: {}\nchannel: '#ops'",
        sink.url("/api/chat.postMessage")
    ));
    sink.reply(api_ok("C0123ABCD", "4.5"));
    plain
        .notify(&ctx_with_message("C0123ABCD", "3.5", false), &firing())
        .await
        .unwrap();
    assert_eq!(sink.requests()[4].uri.path(), "/api/chat.postMessage");
}

#[tokio::test]
async fn ok_false_answers_are_classified() {
    let sink = Sink::start().await;
    let s = slack(&format!(
        "app_token: xoxb-1\napp_url: {}\nchannel: c",
        sink.url("/api/chat.postMessage")
    ));
    for (error, retryable, reason) in [
        ("invalid_auth", false, FailureReason::AuthError),
        ("token_revoked", false, FailureReason::AuthError),
        ("missing_scope", false, FailureReason::AuthError),
        ("channel_not_found", false, FailureReason::ClientError),
        ("not_in_channel", false, FailureReason::ClientError),
        ("is_archived", false, FailureReason::ClientError),
        ("ratelimited", true, FailureReason::RateLimited),
        ("internal_error", true, FailureReason::ServerError),
    ] {
        sink.reply(api_err(error));
        let e = s.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!(
            (e.retryable, e.reason),
            (retryable, reason),
            "{error}: {e:?}"
        );
        assert_eq!(
            e.message,
            format!("channel \"c\": error response from Slack: {error}")
        );
        assert!(!e.message.contains("xoxb"));
    }
    sink.reply(
        Reply::status(429)
            .header("retry-after", "7")
            .body("slow down"),
    );
    let e = s.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn invalid_auth_is_not_retried_and_429_waits_for_retry_after() {
    use crate::notify::{Backoff, Integration, retry_with_backoff};
    let sink = Sink::start().await;
    let s = Arc::new(slack(&format!(
        "app_token: xoxb-1\napp_url: {}\nchannel: c",
        sink.url("/api/chat.postMessage")
    )));
    let integration = Integration::new(s, 0, true);
    sink.reply(api_err("invalid_auth"));
    let mut c = ctx();
    c.deadline = Some(tokio::time::Instant::now() + Duration::from_secs(20));
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap_err();
    assert_eq!(sink.requests().len(), 1, "invalid_auth is final");
    // 429 twice, then accepted: attempts respect Retry-After.
    sink.reply(Reply::status(429).header("retry-after", "1"));
    sink.reply(Reply::status(429).header("retry-after", "1"));
    sink.reply(api_ok("C1", "1.1"));
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 4);
    for w in reqs[1..].windows(2) {
        assert!(
            w[1].at - w[0].at >= Duration::from_millis(950),
            "{:?}",
            w[1].at - w[0].at
        );
    }
}

#[tokio::test]
async fn messages_to_one_channel_are_paced() {
    let sink = Sink::start().await;
    let s = slack(&format!(
        "app_token: xoxb-1\napp_url: {}\nchannel: paced",
        sink.url("/api/chat.postMessage")
    ));
    for i in 0..3 {
        sink.reply(api_ok("C1", &format!("1.{i}")));
    }
    let start = Instant::now();
    let c = ctx();
    let alerts = firing();
    let (a, b, d) = tokio::join!(
        s.notify(&c, &alerts),
        s.notify(&c, &alerts),
        s.notify(&c, &alerts)
    );
    a.unwrap();
    b.unwrap();
    d.unwrap();
    let mut times: Vec<Instant> = sink.requests().iter().map(|r| r.at).collect();
    times.sort();
    assert_eq!(times.len(), 3);
    for w in times.windows(2) {
        assert!(
            w[1] - w[0] >= Duration::from_millis(950),
            "{:?}",
            w[1] - w[0]
        );
    }
    assert!(start.elapsed() >= Duration::from_millis(1900));
}

#[test]
fn web_api_methods_are_derived_from_the_configured_url() {
    assert_eq!(
        method_url("https://slack.com/api/chat.postMessage", "chat.update"),
        "https://slack.com/api/chat.update"
    );
    assert_eq!(
        method_url(
            "http://127.0.0.1:9/api/chat.postMessage?x=1",
            "files.getUploadURLExternal"
        ),
        "http://127.0.0.1:9/api/files.getUploadURLExternal"
    );
    assert_eq!(
        method_url("http://api.fakeslack.example/", "chat.update"),
        "http://api.fakeslack.example/chat.update"
    );
    assert_eq!(
        method_url("http://fake", "chat.update"),
        "http://fake/chat.update"
    );
}

fn dead_grapher() -> Arc<Grapher> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    Arc::new(
        Grapher::new(
            crate::graph::GraphSettings {
                prometheus_url: format!("http://127.0.0.1:{port}"),
                timeout: Duration::from_secs(2),
                ..Default::default()
            },
            None,
        )
        .unwrap(),
    )
}

fn graphed(alerts: &[Arc<Alert>]) -> Vec<Arc<Alert>> {
    alerts
        .iter()
        .map(|a| {
            let mut a = (**a).clone();
            a.generator_url = "http://prom:9090/graph?g0.expr=node_load1+%3E+1&g0.tab=1".into();
            Arc::new(a)
        })
        .collect()
}

#[tokio::test]
async fn without_prometheus_the_message_goes_out_and_says_why() {
    let sink = Sink::start().await;
    sink.reply(api_ok("C1", "1.1"));
    let c = config(&format!(
        "app_token: xoxb-1\napp_url: {}\nchannel: c",
        sink.url("/api/chat.postMessage")
    ));
    let s = Slack::new(&c, Some(templater()), Some(dead_grapher())).unwrap();
    s.notify(&ctx(), &graphed(&firing())).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 1, "no upload without a chart");
    let footer = body(&reqs[0])["attachments"][0]["footer"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        footer.starts_with("no chart: Prometheus is unreachable"),
        "{footer}"
    );
    // Alerts without an expression: the message says so too.
    sink.reply(api_ok("C1", "1.2"));
    s.notify(&ctx(), &firing()).await.unwrap();
    let footer = body(&sink.requests()[1])["attachments"][0]["footer"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        footer.starts_with("no chart: the alert has no graph_query annotation"),
        "{footer}"
    );
}
