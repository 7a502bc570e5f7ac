//! Webex tests against a local sink: the exact request (bearer token from
//! `http_config`, JSON body) for default and fully set configs, the
//! 7439-byte cut, credentials files re-read, and classification.

use std::time::Duration;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Reply, Sink, ctx, firing, resolved, templater};

fn webex(yaml: &str) -> Webex {
    let mut c: WebexConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    Webex::new(&c, Some(templater())).unwrap()
}

#[tokio::test]
async fn default_config_sends_alertmanagers_message() {
    let sink = Sink::start().await;
    let w = webex(&format!(
        "api_url: {}\nroom_id: room-1\nhttp_config: {{authorization: {{credentials: s3cr3t}}}}",
        sink.url("/v1/messages")
    ));
    w.notify(&ctx(), &firing()).await.unwrap();
    w.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri.path(), "/v1/messages");
    assert_eq!(r.uri.query(), None);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("authorization"), Some("Bearer s3cr3t"));
    assert!(r.header("user-agent").unwrap().starts_with("Alertmanager/"));
    assert_eq!(
        r.body_text(),
        concat!(
            r#"{"markdown":"\n\nAlerts Firing:\nLabels:\n - alertname = Disk\n - instance = a\n"#,
            r#"Annotations:\nSource: \n\n\n\n","roomId":"room-1"}"#,
            "\n"
        )
    );
    assert_eq!(
        reqs[1].body_text(),
        concat!(
            r#"{"markdown":"\n\n\nAlerts Resolved:\nLabels:\n - alertname = Disk\n - instance = a\n"#,
            r#"Annotations:\nSource: \n\n\n","roomId":"room-1"}"#,
            "\n"
        )
    );
}

#[tokio::test]
async fn every_field_is_templated() {
    let sink = Sink::start().await;
    let w = webex(&format!(
        "api_url: {}\nroom_id: 'room-{{{{ .GroupLabels.alertname }}}}'\n\
         message: '**{{{{ .Status }}}}** <{{{{ len .Alerts }}}}> & é'\n\
         http_config: {{authorization: {{type: Token, credentials: abc}}}}",
        sink.url("/m")
    ));
    w.notify(&ctx(), &firing()).await.unwrap();
    let r = &sink.requests()[0];
    assert_eq!(r.header("authorization"), Some("Token abc"));
    assert_eq!(
        r.body_text(),
        "{\"markdown\":\"**firing** \\u003c1\\u003e \\u0026 é\",\"roomId\":\"room-Disk\"}\n"
    );
    // A room that renders empty is left out.
    let w = webex(&format!(
        "api_url: {}\nroom_id: '{{{{ .CommonLabels.nope }}}}'\nmessage: m\n\
         http_config: {{authorization: {{credentials: abc}}}}",
        sink.url("/m")
    ));
    w.notify(&ctx(), &firing()).await.unwrap();
    assert_eq!(sink.requests()[1].body_text(), "{\"markdown\":\"m\"}\n");
}

#[tokio::test]
async fn messages_are_cut_to_7439_bytes() {
    let sink = Sink::start().await;
    let w = webex(&format!(
        "api_url: {}\nroom_id: r\nmessage: '{}'\nhttp_config: {{authorization: {{credentials: c}}}}",
        sink.url("/m"),
        "é".repeat(4000)
    ));
    w.notify(&ctx(), &firing()).await.unwrap();
    let b: serde_json::Value = serde_json::from_slice(&sink.requests()[0].body).unwrap();
    let md = b["markdown"].as_str().unwrap();
    // 7436 bytes of text hold 3718 two-byte runes, then the marker. (With
    // fewer runes than 7436, Alertmanager's `TruncateInBytes` slices out of
    // range and panics; this cut must not.)
    assert_eq!(md, format!("{}…", "é".repeat(3718)));
    assert!(md.len() <= MAX_MESSAGE_BYTES);
}

#[tokio::test]
async fn the_credentials_file_is_read_on_every_request() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("token");
    std::fs::write(&f, "one\n").unwrap();
    let w = webex(&format!(
        "api_url: {}\nroom_id: r\nhttp_config: {{authorization: {{credentials_file: {}}}}}",
        sink.url("/m"),
        f.display()
    ));
    w.notify(&ctx(), &firing()).await.unwrap();
    std::fs::write(&f, "two").unwrap();
    w.notify(&ctx(), &firing()).await.unwrap();
    let auth: Vec<String> = sink
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap().to_string())
        .collect();
    assert_eq!(auth, ["Bearer one", "Bearer two"]);
}

#[tokio::test]
async fn answers_are_classified() {
    let sink = Sink::start().await;
    let w = webex(&format!(
        "api_url: {}\nroom_id: r\nhttp_config: {{authorization: {{credentials: s3cr3t}}}}",
        sink.url("/m")
    ));
    for (status, retryable, reason) in [
        (400, false, FailureReason::ClientError),
        (401, false, FailureReason::AuthError),
        (403, false, FailureReason::AuthError),
        (404, false, FailureReason::ClientError),
        // Webex asks to retry after `Retry-After` (0.34 gives up).
        (429, true, FailureReason::RateLimited),
        (500, true, FailureReason::ServerError),
        (502, true, FailureReason::ServerError),
    ] {
        sink.reply(
            Reply::status(status)
                .header("retry-after", "2")
                .body(r#"{"message":"no"}"#),
        );
        let e = w.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!((e.retryable, e.reason), (retryable, reason), "{status}");
        assert_eq!(
            e.message,
            format!("unexpected status code {status}: {{\"message\":\"no\"}}")
        );
        assert_eq!(e.retry_after, Some(Duration::from_secs(2)));
        assert!(!e.message.contains("s3cr3t"));
    }
}

#[tokio::test]
async fn template_errors_fail_for_good() {
    let sink = Sink::start().await;
    let bad = "'{{ template \"nope\" . }}'";
    for (field, message, room) in [("message", bad, "r"), ("room_id", "m", bad)] {
        let w = webex(&format!(
            "api_url: {}\nroom_id: {room}\nmessage: {message}\n\
             http_config: {{authorization: {{credentials: c}}}}",
            sink.url("/m")
        ));
        let e = w.notify(&ctx(), &firing()).await.unwrap_err();
        assert!(!e.retryable, "{field}");
        assert!(e.message.contains("nope"), "{field}: {}", e.message);
    }
    assert!(sink.requests().is_empty());
}
