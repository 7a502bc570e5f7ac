//! msteamsv2 tests against a local sink. The expected bodies are what
//! Alertmanager v0.34.0 sends: its `notify/msteamsv2/msteamsv2.go` structs
//! and `template/default.tmpl`, run through Go's `encoding/json` and
//! `text/template` (the byte strings below were produced that way).

use std::time::Duration;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::msteams::tests::{ctx, firing, resolved, templater};
use crate::notify::testing::{Reply, Sink};

fn v2(yaml: &str) -> MsTeamsV2 {
    let mut c: MsTeamsV2Config = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    MsTeamsV2::new(&c, Some(templater())).unwrap()
}

const FIRING_BODY: &str = "{\"type\":\"message\",\"attachments\":[{\"contentType\":\"application/vnd.microsoft.card.adaptive\",\"contentUrl\":null,\"content\":{\"$schema\":\"http://adaptivecards.io/schemas/adaptive-card.json\",\"type\":\"AdaptiveCard\",\"version\":\"1.2\",\"body\":[{\"type\":\"TextBlock\",\"text\":\"[FIRING:1] Disk (a)\",\"weight\":\"Bolder\",\"size\":\"Medium\",\"wrap\":true,\"style\":\"heading\",\"color\":\"Attention\"},{\"type\":\"TextBlock\",\"text\":\"\\n\\n# Alerts Firing:\\n\\nLabels:\\n  - alertname = Disk\\n  - instance = a\\n\\nAnnotations:\\n\\nSource: \\n\\n\\n\\n\\n\",\"wrap\":true}],\"msteams\":{\"width\":\"full\"}}}]}\n";
const RESOLVED_BODY: &str = "{\"type\":\"message\",\"attachments\":[{\"contentType\":\"application/vnd.microsoft.card.adaptive\",\"contentUrl\":null,\"content\":{\"$schema\":\"http://adaptivecards.io/schemas/adaptive-card.json\",\"type\":\"AdaptiveCard\",\"version\":\"1.2\",\"body\":[{\"type\":\"TextBlock\",\"text\":\"[RESOLVED] Disk (a)\",\"weight\":\"Bolder\",\"size\":\"Medium\",\"wrap\":true,\"style\":\"heading\",\"color\":\"Good\"},{\"type\":\"TextBlock\",\"text\":\"\\n\\n\\n# Alerts Resolved:\\n\\nLabels:\\n  - alertname = Disk\\n  - instance = a\\n\\nAnnotations:\\n\\nSource: \\n\\n\\n\\n\",\"wrap\":true}],\"msteams\":{\"width\":\"full\"}}}]}\n";

#[tokio::test]
async fn default_adaptive_card_is_alertmanagers() {
    let sink = Sink::start().await;
    let t = v2(&format!(
        "webhook_url: {}",
        sink.url("/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=s3")
    ));
    t.notify(&ctx(), &firing()).await.unwrap();
    t.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.uri.path(), "/workflows/abc/triggers/manual/paths/invoke");
        assert_eq!(r.uri.query(), Some("api-version=1&sig=s3"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("user-agent"), Some(crate::notify::USER_AGENT));
    }
    assert_eq!(reqs[0].body_text(), FIRING_BODY);
    assert_eq!(reqs[1].body_text(), RESOLVED_BODY);
}

#[tokio::test]
async fn title_and_text_are_templated() {
    let sink = Sink::start().await;
    let t = v2(&format!(
        "webhook_url: {}\ntitle: '{{{{ .Status }}}} <{{{{ .GroupLabels.alertname }}}}>'\ntext: ''",
        sink.url("/h")
    ));
    t.notify(&ctx(), &resolved()).await.unwrap();
    // An empty text is still sent: 0.34's `text` has no omitempty.
    assert_eq!(
        sink.requests()[0].body_text(),
        "{\"type\":\"message\",\"attachments\":[{\"contentType\":\"application/vnd.microsoft.card.adaptive\",\
         \"contentUrl\":null,\"content\":{\"$schema\":\"http://adaptivecards.io/schemas/adaptive-card.json\",\
         \"type\":\"AdaptiveCard\",\"version\":\"1.2\",\"body\":[{\"type\":\"TextBlock\",\
         \"text\":\"resolved \\u003cDisk\\u003e\",\"weight\":\"Bolder\",\"size\":\"Medium\",\"wrap\":true,\
         \"style\":\"heading\",\"color\":\"Good\"},{\"type\":\"TextBlock\",\"text\":\"\",\"wrap\":true}],\
         \"msteams\":{\"width\":\"full\"}}}]}\n"
    );
}

#[tokio::test]
async fn the_url_file_is_read_on_every_notification() {
    let sink = Sink::start().await;
    let dir = std::env::temp_dir().join(format!("tocsin-msteamsv2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("url");
    std::fs::write(&file, format!("{}\n", sink.url("/one"))).unwrap();
    let t = v2(&format!("webhook_url_file: {}", file.display()));
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
}

#[tokio::test]
async fn answers_are_classified_as_alertmanager_does() {
    let sink = Sink::start().await;
    let t = v2(&format!("webhook_url: {}", sink.url("/h")));
    sink.reply(Reply::status(202).body("{\"error\":\"ignored\"}"));
    t.notify(&ctx(), &firing()).await.unwrap();
    for (status, retryable, reason) in [
        (401, false, FailureReason::AuthError),
        (403, false, FailureReason::AuthError),
        (400, false, FailureReason::ClientError),
        (429, false, FailureReason::RateLimited),
        (500, true, FailureReason::ServerError),
        (504, true, FailureReason::ServerError),
    ] {
        sink.reply(Reply::status(status).body("no"));
        let e = t.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!((e.retryable, e.reason), (retryable, reason), "{status}");
        assert_eq!(e.message, format!("unexpected status code {status}: no"));
    }
    sink.reply(Reply::status(429).header("retry-after", "5"));
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.retry_after, Some(Duration::from_secs(5)));
}

#[tokio::test]
async fn template_errors_fail_for_good_and_send_nothing() {
    let sink = Sink::start().await;
    let t = v2(&format!(
        "webhook_url: {}\ntext: '{{{{ .Nope.Deeper }}}}'",
        sink.url("/h")
    ));
    let e = t.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable, "{e:?}");
    assert!(sink.requests().is_empty());
}
