//! msteams tests against a local sink. The expected bodies are what
//! Alertmanager v0.34.0 sends: its `notify/msteams/msteams.go` structs and
//! `template/default.tmpl`, run through Go's `encoding/json` and
//! `text/template` (the byte strings below were produced that way).

use std::time::Duration;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Reply, Sink, alert, at};
use crate::template::AmTemplates;

pub(crate) fn templater() -> Arc<dyn Templater> {
    Arc::new(crate::notify::pipeline::AmTemplater::new(
        Arc::new(AmTemplates::builtin()),
        "http://am.example.com:9093".into(),
    ))
}

fn config(yaml: &str) -> MsTeamsConfig {
    let mut c: MsTeamsConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    c
}

fn teams(yaml: &str) -> MsTeams {
    MsTeams::new(&config(yaml), Some(templater())).unwrap()
}

pub(crate) fn ctx() -> NotifyContext {
    let mut c = NotifyContext::new("team-X", "{}:{alertname=\"Disk\"}", at(60));
    c.group_labels = [("alertname", "Disk")].into_iter().collect();
    c.external_url = "http://am.example.com:9093".into();
    c
}

pub(crate) fn firing() -> Vec<Arc<Alert>> {
    vec![Arc::new(alert(
        &[("alertname", "Disk"), ("instance", "a")],
        0,
        None,
    ))]
}

pub(crate) fn resolved() -> Vec<Arc<Alert>> {
    vec![Arc::new(alert(
        &[("alertname", "Disk"), ("instance", "a")],
        0,
        Some(30),
    ))]
}

const FIRING_BODY: &str = "{\"@context\":\"http://schema.org/extensions\",\"type\":\"MessageCard\",\"title\":\"[FIRING:1] Disk (a)\",\"summary\":\"[FIRING:1] Disk (a)\",\"text\":\"\\n\\n# Alerts Firing:\\n\\nLabels:\\n  - alertname = Disk\\n  - instance = a\\n\\nAnnotations:\\n\\nSource: \\n\\n\\n\\n\\n\",\"themeColor\":\"8C1A1A\"}\n";
const RESOLVED_BODY: &str = "{\"@context\":\"http://schema.org/extensions\",\"type\":\"MessageCard\",\"title\":\"[RESOLVED] Disk (a)\",\"summary\":\"[RESOLVED] Disk (a)\",\"text\":\"\\n\\n\\n# Alerts Resolved:\\n\\nLabels:\\n  - alertname = Disk\\n  - instance = a\\n\\nAnnotations:\\n\\nSource: \\n\\n\\n\\n\",\"themeColor\":\"2DC72D\"}\n";

#[tokio::test]
async fn default_message_card_is_alertmanagers() {
    let sink = Sink::start().await;
    let t = teams(&format!("webhook_url: {}", sink.url("/webhookb2/abc?x=1")));
    t.notify(&ctx(), &firing()).await.unwrap();
    t.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.uri.path(), "/webhookb2/abc");
        assert_eq!(r.uri.query(), Some("x=1"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("user-agent"), Some(crate::notify::USER_AGENT));
        assert!(r.header("authorization").is_none());
    }
    assert_eq!(reqs[0].body_text(), FIRING_BODY);
    assert_eq!(reqs[1].body_text(), RESOLVED_BODY);
}

#[tokio::test]
async fn every_field_is_templated() {
    let sink = Sink::start().await;
    let t = teams(&format!(
        "webhook_url: {}\ntitle: 'T {{{{ .Status }}}}'\nsummary: 'S {{{{ len .Alerts }}}}'\n\
         text: '<b>{{{{ .CommonLabels.instance }}}}</b> & {{{{ .GroupLabels.alertname }}}}'",
        sink.url("/h")
    ));
    t.notify(&ctx(), &firing()).await.unwrap();
    assert_eq!(
        sink.requests()[0].body_text(),
        "{\"@context\":\"http://schema.org/extensions\",\"type\":\"MessageCard\",\"title\":\"T firing\",\
         \"summary\":\"S 1\",\"text\":\"\\u003cb\\u003ea\\u003c/b\\u003e \\u0026 Disk\",\"themeColor\":\"8C1A1A\"}\n"
    );
}

#[tokio::test]
async fn a_mixed_group_is_firing_and_an_empty_one_resolved() {
    let sink = Sink::start().await;
    let t = teams(&format!("webhook_url: {}\ntext: x", sink.url("/h")));
    let mut alerts = resolved();
    alerts.push(Arc::new(alert(
        &[("alertname", "Disk"), ("instance", "b")],
        0,
        None,
    )));
    t.notify(&ctx(), &alerts).await.unwrap();
    t.notify(&ctx(), &[]).await.unwrap();
    let reqs = sink.requests();
    assert!(
        reqs[0]
            .body_text()
            .ends_with("\"themeColor\":\"8C1A1A\"}\n")
    );
    assert!(
        reqs[1]
            .body_text()
            .ends_with("\"themeColor\":\"2DC72D\"}\n")
    );
}

#[tokio::test]
async fn the_url_file_is_read_on_every_notification() {
    let sink = Sink::start().await;
    let dir = std::env::temp_dir().join(format!("tocsin-msteams-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("url");
    std::fs::write(&file, format!("  {}\n", sink.url("/one"))).unwrap();
    let t = teams(&format!("webhook_url_file: {}", file.display()));
    t.notify(&ctx(), &firing()).await.unwrap();
    std::fs::write(&file, sink.url("/two")).unwrap();
    t.notify(&ctx(), &firing()).await.unwrap();
    let paths: Vec<String> = sink
        .requests()
        .iter()
        .map(|r| r.uri.path().to_string())
        .collect();
    assert_eq!(paths, ["/one", "/two"]);
    std::fs::remove_file(&file).unwrap();
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "read webhook_url_file: open {}: no such file or directory",
            file.display()
        )
    );
    assert!(!e.retryable);
    assert_eq!(sink.requests().len(), 2);
}

#[tokio::test]
async fn answers_are_classified_as_alertmanager_does() {
    let sink = Sink::start().await;
    let t = teams(&format!("webhook_url: {}", sink.url("/h")));
    // 0.34 looks at the status only: a 2xx is a success whatever it says.
    for body in ["1", "0", "Microsoft Teams endpoint returned HTTP error 413"] {
        sink.reply(Reply::status(200).body(body));
        t.notify(&ctx(), &firing()).await.unwrap();
    }
    sink.reply(Reply::status(202));
    t.notify(&ctx(), &firing()).await.unwrap();
    for (status, retryable, reason) in [
        (401, false, FailureReason::AuthError),
        (403, false, FailureReason::AuthError),
        (400, false, FailureReason::ClientError),
        (404, false, FailureReason::ClientError),
        (429, false, FailureReason::RateLimited),
        (500, true, FailureReason::ServerError),
        (503, true, FailureReason::ServerError),
    ] {
        sink.reply(Reply::status(status).body("nope"));
        let e = t.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!((e.retryable, e.reason), (retryable, reason), "{status}");
        assert_eq!(e.message, format!("unexpected status code {status}: nope"));
        assert_eq!(e.status, Some(status));
    }
    // The service says when to come back: retried after that.
    sink.reply(Reply::status(429).header("retry-after", "3"));
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
    assert_eq!(e.message, "unexpected status code 429");
}

#[tokio::test]
async fn template_errors_fail_for_good_and_send_nothing() {
    let sink = Sink::start().await;
    let t = teams(&format!(
        "webhook_url: {}\nsummary: '{{{{ template \"nope\" . }}}}'",
        sink.url("/h")
    ));
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable && e.message.contains("nope"), "{e:?}");
    assert_eq!(e.reason, FailureReason::Other);
    assert!(sink.requests().is_empty());
}

#[tokio::test]
async fn the_secret_url_never_shows_in_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let t = teams(&format!(
        "webhook_url: http://127.0.0.1:{port}/webhookb2/s3cr3t"
    ));
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable, "{e:?}");
    assert!(!e.message.contains("s3cr3t"), "{}", e.message);
    assert!(
        e.message.starts_with("Post \"<redacted>\": "),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn retries_follow_retry_after_and_stop_on_client_errors() {
    use crate::notify::{Backoff, Integration, retry_with_backoff};
    let sink = Sink::start().await;
    let t = Arc::new(teams(&format!("webhook_url: {}", sink.url("/h"))));
    let integration = Integration::new(t, 0, true);
    let mut c = ctx();
    c.deadline = Some(tokio::time::Instant::now() + Duration::from_secs(20));
    sink.reply(Reply::status(400));
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap_err();
    assert_eq!(sink.requests().len(), 1, "400 is final");
    sink.reply(Reply::status(429).header("retry-after", "1"));
    sink.reply(Reply::status(502));
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 4);
    assert!(reqs[2].at - reqs[1].at >= Duration::from_millis(950));
    assert_eq!(reqs[3].body_text(), FIRING_BODY);
}
