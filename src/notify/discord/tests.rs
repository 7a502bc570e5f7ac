//! Discord tests against a local sink: the exact webhook body for default
//! and fully set configs, truncation of title, description and content,
//! the URL file read at notify time, avatar URLs Go would not parse, and
//! `Retrier.Check` classification.

use std::time::Duration;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Reply, Sink, ctx, firing, resolved, templater};

fn discord(yaml: &str) -> Discord {
    let mut c: DiscordConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    Discord::new(&c, Some(templater())).unwrap()
}

#[tokio::test]
async fn default_config_sends_alertmanagers_message() {
    let sink = Sink::start().await;
    let d = discord(&format!("webhook_url: {}", sink.url("/api/webhooks/1/tok")));
    d.notify(&ctx(), &firing()).await.unwrap();
    d.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri.path(), "/api/webhooks/1/tok");
    assert_eq!(r.uri.query(), None);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("user-agent").unwrap().starts_with("Alertmanager/"));
    assert_eq!(
        r.body_text(),
        concat!(
            r#"{"content":"","embeds":[{"title":"[FIRING:1] Disk (a)","#,
            r#""description":"\n\nAlerts Firing:\nLabels:\n - alertname = Disk\n - instance = a\n"#,
            r#"Annotations:\nSource: \n\n\n\n","color":10038562}]}"#,
            "\n"
        )
    );
    assert_eq!(
        reqs[1].body_text(),
        concat!(
            r#"{"content":"","embeds":[{"title":"[RESOLVED] Disk (a)","#,
            r#""description":"\n\n\nAlerts Resolved:\nLabels:\n - alertname = Disk\n - instance = a\n"#,
            r#"Annotations:\nSource: \n\n\n","color":3066993}]}"#,
            "\n"
        )
    );
}

#[tokio::test]
async fn every_field_set() {
    let sink = Sink::start().await;
    let d = discord(&format!(
        "webhook_url: {}\ncontent: 'c <{{{{ .Status }}}}> &'\ntitle: 't {{{{ .GroupLabels.alertname }}}}'\n\
         message: 'm {{{{ len .Alerts }}}}'\nusername: 'bot {{{{ .Status }}}}'\n\
         avatar_url: 'https://img.example/a.png?x=1&y=<2>'",
        sink.url("/h")
    ));
    d.notify(&ctx(), &firing()).await.unwrap();
    assert_eq!(
        sink.requests()[0].body_text(),
        concat!(
            r#"{"content":"c \u003cfiring\u003e \u0026","embeds":[{"title":"t Disk","description":"m 1","#,
            r#""color":10038562}],"username":"bot {{ .Status }}","#,
            r#""avatar_url":"https://img.example/a.png?x=1\u0026y=\u003c2\u003e"}"#,
            "\n"
        )
    );
}

#[tokio::test]
async fn long_fields_are_cut_in_runes() {
    let sink = Sink::start().await;
    let d = discord(&format!(
        "webhook_url: {}\ntitle: '{}'\nmessage: '{}'\ncontent: '{}'",
        sink.url("/h"),
        "é".repeat(300),
        "ж".repeat(5000),
        "ü".repeat(2001)
    ));
    d.notify(&ctx(), &firing()).await.unwrap();
    let b: serde_json::Value = serde_json::from_slice(&sink.requests()[0].body).unwrap();
    assert_eq!(b["embeds"][0]["title"], format!("{}…", "é".repeat(255)));
    assert_eq!(
        b["embeds"][0]["description"],
        format!("{}…", "ж".repeat(4095))
    );
    assert_eq!(b["content"], format!("{}…", "ü".repeat(1999)));
}

#[tokio::test]
async fn bad_avatar_urls_are_left_out() {
    assert!(go_url_parses("https://x.example/a.png"));
    assert!(go_url_parses("/relative/path"));
    assert!(go_url_parses("not a url but fine"));
    assert!(!go_url_parses("https://x.example/%zz"));
    assert!(!go_url_parses("://x"));
    assert!(!go_url_parses("a b:c"));
    assert!(!go_url_parses("http://exa mple/"));
    assert!(!go_url_parses("http://x:port/"));
    assert!(!go_url_parses("http://[::1/"));
    let sink = Sink::start().await;
    let d = discord(&format!(
        "webhook_url: {}\navatar_url: 'http://x/%zz'",
        sink.url("/h")
    ));
    d.notify(&ctx(), &firing()).await.unwrap();
    assert!(!sink.requests()[0].body_text().contains("avatar_url"));
}

#[tokio::test]
async fn the_url_file_is_read_at_notify_time() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("url");
    std::fs::write(&f, format!("{}\n", sink.url("/one"))).unwrap();
    let d = discord(&format!("webhook_url_file: {}", f.display()));
    d.notify(&ctx(), &firing()).await.unwrap();
    std::fs::write(&f, sink.url("/two")).unwrap();
    d.notify(&ctx(), &firing()).await.unwrap();
    let paths: Vec<String> = sink
        .requests()
        .iter()
        .map(|r| r.uri.path().to_string())
        .collect();
    assert_eq!(paths, ["/one", "/two"]);
    std::fs::remove_file(&f).unwrap();
    let e = d.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(
        e.message,
        format!(
            "read webhook_url_file: open {}: no such file or directory",
            f.display()
        )
    );
}

#[tokio::test]
async fn answers_are_classified_as_retrier_check_does() {
    let sink = Sink::start().await;
    let d = discord(&format!(
        "webhook_url: {}",
        sink.url("/api/webhooks/1/s3cr3t")
    ));
    for (status, retryable, reason) in [
        (401, false, FailureReason::AuthError),
        (403, false, FailureReason::AuthError),
        (404, false, FailureReason::ClientError),
        // Discord asks to retry after `Retry-After` (0.34 gives up).
        (429, true, FailureReason::RateLimited),
        (500, true, FailureReason::ServerError),
        (503, true, FailureReason::ServerError),
    ] {
        sink.reply(
            Reply::status(status)
                .header("retry-after", "4")
                .body("nope"),
        );
        let e = d.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!((e.retryable, e.reason), (retryable, reason), "{status}");
        assert_eq!(e.message, format!("unexpected status code {status}: nope"));
        assert_eq!(e.retry_after, Some(Duration::from_secs(4)));
    }
    sink.reply(Reply::status(204));
    d.notify(&ctx(), &firing()).await.unwrap();
    // The URL (a secret) never shows in an error.
    let d = discord("webhook_url: http://127.0.0.1:9/api/webhooks/1/s3cr3t");
    let e = d.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert!(!e.message.contains("s3cr3t"), "{}", e.message);
}

#[tokio::test]
async fn template_errors_fail_for_good() {
    let sink = Sink::start().await;
    let d = discord(&format!(
        "webhook_url: {}\ncontent: '{{{{ template \"nope\" . }}}}'",
        sink.url("/h")
    ));
    let e = d.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert!(e.message.contains("nope"), "{}", e.message);
    assert!(sink.requests().is_empty());
}
