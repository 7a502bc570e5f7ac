//! Telegram tests against a local sink: the exact `sendMessage` request
//! (URL with the token, sorted string parameters, Go's JSON escaping) for
//! default and fully set configs, HTML escaping and length rules, files
//! read at notify time, and how answers are classified.

use std::time::Duration;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Reply, Sink, alert, ctx, firing, resolved, templater};

fn config(yaml: &str) -> TelegramConfig {
    let mut c: TelegramConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    c
}

fn telegram(yaml: &str) -> Telegram {
    Telegram::new(&config(yaml), Some(templater())).unwrap()
}

const OK: &str = r#"{"ok":true,"result":{"message_id":7,"chat":{"id":-100123}}}"#;

fn ok() -> Reply {
    Reply::status(200)
        .header("content-type", "application/json")
        .body(OK)
}

#[tokio::test]
async fn default_config_sends_alertmanagers_request() {
    let sink = Sink::start().await;
    sink.reply(ok());
    let t = telegram(&format!(
        "api_url: {}\nbot_token: 123:abc\nchat_id: -100123",
        sink.base
    ));
    sink.reply(ok());
    t.notify(&ctx(), &firing()).await.unwrap();
    let r = &sink.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri.path(), "/bot123:abc/sendMessage");
    assert_eq!(r.uri.query(), None);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("authorization").is_none());
    assert!(r.header("user-agent").unwrap().starts_with("Alertmanager/"));
    assert_eq!(
        r.body_text(),
        concat!(
            r#"{"chat_id":"-100123","disable_web_page_preview":"true","parse_mode":"HTML","#,
            r#""text":"\n\nAlerts Firing:\nLabels:\n - alertname = Disk\n - instance = a\n"#,
            r#"Annotations:\nSource: \n\n\n\n"}"#,
            "\n"
        )
    );

    sink.reply(ok());
    t.notify(&ctx(), &resolved()).await.unwrap();
    assert_eq!(
        sink.requests()[1].body_text(),
        concat!(
            r#"{"chat_id":"-100123","disable_web_page_preview":"true","parse_mode":"HTML","#,
            r#""text":"\n\n\nAlerts Resolved:\nLabels:\n - alertname = Disk\n - instance = a\n"#,
            r#"Annotations:\nSource: \n\n\n"}"#,
            "\n"
        )
    );
}

#[tokio::test]
async fn every_field_set() {
    let sink = Sink::start().await;
    let t = telegram(&format!(
        "api_url: {}\nbot_token: t0k\nchat_id: 42\nmessage_thread_id: 9\n\
         disable_notifications: true\nparse_mode: MarkdownV2\n\
         message: '*{{{{ .Status }}}}* <{{{{ .GroupLabels.alertname }}}}> & {{{{ len .Alerts }}}}'",
        sink.base
    ));
    sink.reply(ok());
    t.notify(&ctx(), &firing()).await.unwrap();
    sink.reply(ok());
    t.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs[0].uri.path(), "/bott0k/sendMessage");
    assert_eq!(
        reqs[0].body_text(),
        concat!(
            r#"{"chat_id":"42","disable_notification":"true","disable_web_page_preview":"true","#,
            r#""message_thread_id":"9","parse_mode":"MarkdownV2","#,
            r#""text":"*firing* \u003cDisk\u003e \u0026 1"}"#,
            "\n"
        )
    );
    assert!(
        reqs[1]
            .body_text()
            .contains(r#""text":"*resolved* \u003cDisk\u003e \u0026 1""#)
    );
}

#[tokio::test]
async fn empty_parse_mode_is_left_out() {
    let sink = Sink::start().await;
    let t = telegram(&format!(
        "api_url: {}\nbot_token: t\nchat_id: 1\nparse_mode: ''\nmessage: hi",
        sink.base
    ));
    sink.reply(ok());
    t.notify(&ctx(), &firing()).await.unwrap();
    assert_eq!(
        sink.requests()[0].body_text(),
        "{\"chat_id\":\"1\",\"disable_web_page_preview\":\"true\",\"text\":\"hi\"}\n"
    );
}

#[tokio::test]
async fn html_mode_escapes_data_and_replaces_long_messages() {
    let sink = Sink::start().await;
    let mut a = alert(&[("alertname", "Disk"), ("note", "<b>&\"x\"")], 0, None);
    a.annotations = [("s", "it's")].into_iter().collect();
    let alerts = vec![Arc::new(a)];
    let t = telegram(&format!(
        "api_url: {}\nbot_token: t\nchat_id: 1\n\
         message: '<b>{{{{ .CommonLabels.note }}}}</b> {{{{ .CommonAnnotations.s }}}}'",
        sink.base
    ));
    sink.reply(ok());
    t.notify(&ctx(), &alerts).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&sink.requests()[0].body).unwrap();
    assert_eq!(body["text"], "<b>&lt;b&gt;&amp;&#34;x&#34;</b> it&#39;s");

    // Over 4096 runes in HTML mode: 0.34's notice instead of a cut.
    let t = telegram(&format!(
        "api_url: {}\nbot_token: t\nchat_id: 1\nmessage: '{}'",
        sink.base,
        "é".repeat(4097)
    ));
    sink.reply(ok());
    t.notify(&ctx(), &alerts).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&sink.requests()[1].body).unwrap();
    assert_eq!(body["text"], TOO_LONG_HTML);
    // Exactly 4096 runes pass unchanged.
    let t = telegram(&format!(
        "api_url: {}\nbot_token: t\nchat_id: 1\nmessage: '{}'",
        sink.base,
        "é".repeat(4096)
    ));
    sink.reply(ok());
    t.notify(&ctx(), &alerts).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&sink.requests()[2].body).unwrap();
    assert_eq!(body["text"], "é".repeat(4096));
}

#[tokio::test]
async fn other_modes_cut_the_message_to_4096_runes() {
    let sink = Sink::start().await;
    let t = telegram(&format!(
        "api_url: {}\nbot_token: t\nchat_id: 1\nparse_mode: Markdown\nmessage: '{}'",
        sink.base,
        "ж".repeat(5000)
    ));
    sink.reply(ok());
    t.notify(&ctx(), &firing()).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&sink.requests()[0].body).unwrap();
    let text = body["text"].as_str().unwrap();
    assert_eq!(text.chars().count(), 4096);
    assert_eq!(text, format!("{}…", "ж".repeat(4095)));
}

#[tokio::test]
async fn token_and_chat_id_files_are_read_at_notify_time() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    let chat = dir.path().join("chat");
    std::fs::write(&token, "  first:tok\n").unwrap();
    std::fs::write(&chat, "-1001\n").unwrap();
    let t = telegram(&format!(
        "api_url: {}\nbot_token_file: {}\nchat_id_file: {}\nmessage: m",
        sink.base,
        token.display(),
        chat.display()
    ));
    sink.reply(ok());
    t.notify(&ctx(), &firing()).await.unwrap();
    std::fs::write(&token, "second:tok").unwrap();
    std::fs::write(&chat, "77").unwrap();
    sink.reply(ok());
    t.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs[0].uri.path(), "/botfirst:tok/sendMessage");
    assert!(reqs[0].body_text().starts_with(r#"{"chat_id":"-1001","#));
    assert_eq!(reqs[1].uri.path(), "/botsecond:tok/sendMessage");
    assert!(reqs[1].body_text().starts_with(r#"{"chat_id":"77","#));

    // A chat id that is not a number, a missing token file: retried
    // failures (0.34), nothing sent.
    std::fs::write(&chat, "abc").unwrap();
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(
        e.message,
        format!(
            "could not parse chat_id from {}: strconv.ParseInt: parsing \"abc\": invalid syntax",
            chat.display()
        )
    );
    std::fs::remove_file(&token).unwrap();
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert!(
        e.message.ends_with("no such file or directory"),
        "{}",
        e.message
    );
    assert_eq!(sink.requests().len(), 2);
}

#[tokio::test]
async fn answers_are_classified_as_telebot_reads_them() {
    let sink = Sink::start().await;
    let t = telegram(&format!(
        "api_url: {}\nbot_token: s3cr3t\nchat_id: 1\nmessage: m",
        sink.base
    ));
    let json = |status: u16, body: &str| {
        Reply::status(status)
            .header("content-type", "application/json")
            .body(body)
    };
    // Unauthorized: an auth error, retried as 0.34 retries every failure.
    sink.reply(json(
        401,
        r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
    ));
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::AuthError);
    assert_eq!(e.message, "telegram: Unauthorized (401)");
    // A flood answer: rate limited, wait as told.
    sink.reply(json(
        429,
        r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#,
    ));
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
    // A client error.
    sink.reply(json(
        400,
        r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
    ));
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::ClientError);
    assert_eq!(e.message, "telegram: Bad Request: chat not found (400)");
    // A proxy's HTML error page: not JSON, a server error.
    sink.reply(Reply::status(502).body("<html>bad gateway</html>"));
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::ServerError);
    assert!(e.message.starts_with("telebot: "), "{}", e.message);
    // `ok: false` in a 200 answer fails too.
    sink.reply(json(
        200,
        r#"{"ok":false,"error_code":400,"description":"Bad Request: message text is empty"}"#,
    ));
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert_eq!(e.reason, FailureReason::ClientError);
    // The status does not matter when the body says ok.
    sink.reply(json(202, OK));
    t.notify(&ctx(), &firing()).await.unwrap();
    // The token in the URL never shows in an error.
    let t = telegram("api_url: http://127.0.0.1:9\nbot_token: s3cr3t\nchat_id: 1\nmessage: m");
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert!(!e.message.contains("s3cr3t"), "{}", e.message);
    assert!(
        e.message.starts_with("telebot: Post \"<redacted>\""),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn template_errors_fail_for_good() {
    let sink = Sink::start().await;
    let t = telegram(&format!(
        "api_url: {}\nbot_token: t\nchat_id: 1\nmessage: '{{{{ template \"nope\" . }}}}'",
        sink.base
    ));
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert!(e.message.contains("nope"), "{}", e.message);
    assert!(sink.requests().is_empty());
}

#[tokio::test]
async fn flood_waits_are_respected_by_the_retry_stage() {
    use crate::notify::{Backoff, Integration, retry_with_backoff};
    let sink = Sink::start().await;
    let t = Arc::new(telegram(&format!(
        "api_url: {}\nbot_token: t\nchat_id: 1\nmessage: m",
        sink.base
    )));
    let integration = Integration::new(t, 0, true);
    sink.reply(
        Reply::status(429)
            .header("content-type", "application/json")
            .body(r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}"#),
    );
    sink.reply(ok());
    let mut c = ctx();
    c.deadline = Some(tokio::time::Instant::now() + Duration::from_secs(20));
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(950));
}
