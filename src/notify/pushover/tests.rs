//! Pushover tests against a local sink: the exact query string of the
//! body-less POST for default and fully set configs, truncation and the
//! empty-message rule, HTML escaping, key files (not trimmed, as in 0.34)
//! and classification.

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Reply, Sink, alert, ctx, firing, resolved, templater};

fn pushover(yaml: &str, sink: &Sink) -> Pushover {
    let mut c: PushoverConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    Pushover::new(&c, Some(templater()))
        .unwrap()
        .with_api_url(&sink.url("/1/messages.json"))
}

/// The decoded query parameters of a request, in order.
fn params(r: &crate::notify::testing::Recorded) -> Vec<(String, String)> {
    url::form_urlencoded::parse(r.uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(r: &crate::notify::testing::Recorded, key: &str) -> String {
    params(r)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {key}"))
}

#[test]
fn the_api_url_is_pushovers() {
    let mut c: PushoverConfig = serde_saphyr::from_str("user_key: u\ntoken: t").unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    let p = Pushover::new(&c, None).unwrap();
    assert_eq!(p.api_url, "https://api.pushover.net/1/messages.json");
    assert_eq!(p.kind(), "pushover");
}

#[tokio::test]
async fn default_config_sends_alertmanagers_request() {
    let sink = Sink::start().await;
    let p = pushover("user_key: us3r\ntoken: t0k", &sink);
    p.notify(&ctx(), &firing()).await.unwrap();
    p.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri.path(), "/1/messages.json");
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert!(r.header("user-agent").unwrap().starts_with("Alertmanager/"));
    assert!(r.body.is_empty());
    assert_eq!(
        r.uri.query().unwrap(),
        concat!(
            "device=&expire=3600&message=Alerts+Firing%3A%0ALabels%3A%0A+-+alertname+%3D+Disk%0A",
            "+-+instance+%3D+a%0AAnnotations%3A%0ASource%3A&priority=2&retry=60&sound=",
            "&title=%5BFIRING%3A1%5D+Disk+%28a%29&token=t0k",
            "&url=http%3A%2F%2Fam.example.com%3A9093%2F%23%2Falerts%3Freceiver%3Dteam-X",
            "&url_title=&user=us3r"
        )
    );
    assert_eq!(
        reqs[1].uri.query().unwrap(),
        concat!(
            "device=&expire=3600&message=Alerts+Resolved%3A%0ALabels%3A%0A+-+alertname+%3D+Disk%0A",
            "+-+instance+%3D+a%0AAnnotations%3A%0ASource%3A&priority=0&retry=60&sound=",
            "&title=%5BRESOLVED%5D+Disk+%28a%29&token=t0k",
            "&url=http%3A%2F%2Fam.example.com%3A9093%2F%23%2Falerts%3Freceiver%3Dteam-X",
            "&url_title=&user=us3r"
        )
    );
}

#[tokio::test]
async fn every_field_set() {
    let sink = Sink::start().await;
    let p = pushover(
        "user_key: 'u-{{ .GroupLabels.alertname }}'\ntoken: 'a b&c'\n\
         title: 't {{ .Status }}'\nmessage: '  m <{{ len .Alerts }}> & é  '\n\
         url: 'https://x.example/?a=1&b=2'\nurl_title: 'go {{ .Status }}'\n\
         device: 'phone'\nsound: 'siren'\npriority: '{{ if eq .Status \"firing\" }}1{{ end }}'\n\
         retry: 1m30s\nexpire: 2h\nttl: 90m\nmonospace: true",
        &sink,
    );
    p.notify(&ctx(), &firing()).await.unwrap();
    assert_eq!(
        sink.requests()[0].uri.query().unwrap(),
        concat!(
            "device=phone&expire=7200&message=m+%3C1%3E+%26+%C3%A9&monospace=1&priority=1",
            "&retry=90&sound=siren&title=t+firing&token=a+b%26c&ttl=5400",
            "&url=https%3A%2F%2Fx.example%2F%3Fa%3D1%26b%3D2&url_title=go+firing&user=u-Disk"
        )
    );
}

#[tokio::test]
async fn html_messages_are_escaped_and_flagged() {
    let sink = Sink::start().await;
    let mut a = alert(&[("alertname", "Disk"), ("note", "<b>&")], 0, None);
    a.annotations = [("s", "x")].into_iter().collect();
    let p = pushover(
        "user_key: u\ntoken: t\nhtml: true\nmessage: '<b>{{ .CommonLabels.note }}</b>'",
        &sink,
    );
    p.notify(&ctx(), &[Arc::new(a)]).await.unwrap();
    let r = &sink.requests()[0];
    assert_eq!(param(r, "html"), "1");
    assert_eq!(param(r, "message"), "<b>&lt;b&gt;&amp;</b>");
    assert!(!params(r).iter().any(|(k, _)| k == "monospace"));
}

#[tokio::test]
async fn limits_and_empty_messages() {
    let sink = Sink::start().await;
    let p = pushover(
        &format!(
            "user_key: u\ntoken: t\ntitle: '{}'\nmessage: '{}'\nurl: '{}'",
            "é".repeat(251),
            "ж".repeat(1025),
            "u".repeat(513)
        ),
        &sink,
    );
    p.notify(&ctx(), &firing()).await.unwrap();
    let r = &sink.requests()[0];
    assert_eq!(param(r, "title"), format!("{}…", "é".repeat(249)));
    assert_eq!(param(r, "message"), format!("{}…", "ж".repeat(1023)));
    assert_eq!(param(r, "url"), format!("{}…", "u".repeat(511)));
    // Blank after trimming: Pushover refuses empty messages.
    let p = pushover(
        "user_key: u\ntoken: t\nmessage: '  {{ .CommonLabels.nope }} '",
        &sink,
    );
    p.notify(&ctx(), &firing()).await.unwrap();
    assert_eq!(param(&sink.requests()[1], "message"), "(no details)");
}

#[tokio::test]
async fn key_files_are_read_at_notify_time_untrimmed() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (tf, uf) = (dir.path().join("token"), dir.path().join("user"));
    std::fs::write(&tf, "tok\n").unwrap();
    std::fs::write(&uf, "usr").unwrap();
    let p = pushover(
        &format!(
            "token_file: {}\nuser_key_file: {}",
            tf.display(),
            uf.display()
        ),
        &sink,
    );
    p.notify(&ctx(), &firing()).await.unwrap();
    std::fs::write(&tf, "tok2").unwrap();
    p.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    // 0.34 sends the file's content as it is, newline included.
    assert_eq!(param(&reqs[0], "token"), "tok\n");
    assert_eq!(param(&reqs[0], "user"), "usr");
    assert_eq!(param(&reqs[1], "token"), "tok2");
    std::fs::remove_file(&uf).unwrap();
    let e = p.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(
        e.message,
        format!(
            "read user_key_file: open {}: no such file or directory",
            uf.display()
        )
    );
    assert_eq!(sink.requests().len(), 2);
}

#[tokio::test]
async fn answers_are_classified_as_retrier_check_does() {
    let sink = Sink::start().await;
    let p = pushover("user_key: us3r\ntoken: s3cr3t", &sink);
    for (status, retryable, reason) in [
        (400, false, FailureReason::ClientError),
        (401, false, FailureReason::AuthError),
        (403, false, FailureReason::AuthError),
        (429, false, FailureReason::RateLimited),
        (500, true, FailureReason::ServerError),
        (503, true, FailureReason::ServerError),
    ] {
        sink.reply(
            Reply::status(status).body(r#"{"status":0,"errors":["application token is invalid"]}"#),
        );
        let e = p.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!((e.retryable, e.reason), (retryable, reason), "{status}");
        assert_eq!(
            e.message,
            format!(
                "unexpected status code {status}: {{\"status\":0,\"errors\":[\"application token is invalid\"]}}"
            )
        );
    }
    // The URL holds the keys: a transport error never shows them.
    let mut c: PushoverConfig = serde_saphyr::from_str("user_key: us3r\ntoken: s3cr3t").unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    let p = Pushover::new(&c, Some(templater()))
        .unwrap()
        .with_api_url("http://127.0.0.1:9/1/messages.json");
    let e = p.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert!(
        !e.message.contains("s3cr3t") && !e.message.contains("us3r"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn template_errors_fail_for_good() {
    let sink = Sink::start().await;
    for yaml in [
        "user_key: u\ntoken: t\nmessage: '{{ template \"nope\" . }}'",
        "user_key: u\ntoken: t\nsound: '{{ template \"nope\" . }}'",
        "user_key: u\ntoken: t\nhtml: true\nmessage: '{{ template \"nope\" . }}'",
    ] {
        let e = pushover(yaml, &sink)
            .notify(&ctx(), &firing())
            .await
            .unwrap_err();
        assert!(!e.retryable, "{yaml}");
        assert!(e.message.contains("nope"), "{yaml}: {}", e.message);
    }
    // A key that is a broken template is not quoted.
    let e = pushover("user_key: u\ntoken: '{{ s3cr3t }}'", &sink)
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert!(!e.retryable);
    assert!(!e.message.contains("s3cr3t"), "{}", e.message);
    assert!(sink.requests().is_empty());
}
