//! Mattermost tests against a local sink. The expected bodies are what
//! Alertmanager v0.34.0 sends: `createRequest` and `sanitizeRequest` of its
//! `notify/mattermost/mattermost.go` with its `template/default.tmpl`, run
//! through Go's `encoding/json` and `text/template` (the byte strings
//! below were produced that way).

use std::time::Duration;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::msteams::tests::{ctx, firing, resolved, templater};
use crate::notify::testing::{Reply, Sink};

fn mm(yaml: &str) -> Mattermost {
    let mut c: MattermostConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    Mattermost::new(&c, Some(templater())).unwrap()
}

const FIRING_BODY: &str = "{\"username\":\"Alertmanager\",\"attachments\":[{\"fallback\":\"[FIRING:1] Disk (a) | http://am.example.com:9093/#/alerts?receiver=team-X\",\"color\":\"danger\",\"text\":\"\\n\\n# Alerts Firing:\\n\\nLabels:\\n  - alertname = Disk\\n  - instance = a\\n\\nAnnotations:\\n\\nSource: \\n\\n\\n\\n\\n\",\"title\":\"[FIRING:1] Disk (a)\",\"title_link\":\"http://am.example.com:9093/#/alerts?receiver=team-X\"}]}\n";
const RESOLVED_BODY: &str = "{\"username\":\"Alertmanager\",\"attachments\":[{\"fallback\":\"[RESOLVED] Disk (a) | http://am.example.com:9093/#/alerts?receiver=team-X\",\"color\":\"good\",\"text\":\"\\n\\n\\n# Alerts Resolved:\\n\\nLabels:\\n  - alertname = Disk\\n  - instance = a\\n\\nAnnotations:\\n\\nSource: \\n\\n\\n\\n\",\"title\":\"[RESOLVED] Disk (a)\",\"title_link\":\"http://am.example.com:9093/#/alerts?receiver=team-X\"}]}\n";

#[tokio::test]
async fn default_message_is_alertmanagers() {
    let sink = Sink::start().await;
    let m = mm(&format!("webhook_url: {}", sink.url("/hooks/xyz")));
    m.notify(&ctx(), &firing()).await.unwrap();
    m.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.uri.path(), "/hooks/xyz");
        assert_eq!(r.uri.query(), None);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("user-agent"), Some(crate::notify::USER_AGENT));
    }
    assert_eq!(reqs[0].body_text(), FIRING_BODY);
    assert_eq!(reqs[1].body_text(), RESOLVED_BODY);
}

#[tokio::test]
async fn every_top_level_field_is_templated() {
    let sink = Sink::start().await;
    let m = mm(&format!(
        "webhook_url: {}\n\
         text: 'top {{{{ len .Alerts }}}} <b>'\nchannel: '{{{{ .GroupLabels.alertname }}}}-ch'\n\
         username: u\nicon_url: http://i/\nicon_emoji: ':fire:'\ntype: 'custom_{{{{ .Status }}}}'\n\
         fallback: fb\ncolor: '#ff0000'\npretext: p\nauthor_name: an\nauthor_link: http://al/\n\
         author_icon: http://ai/\ntitle: 't {{{{ .Status }}}}'\ntitle_link: http://tl/\n\
         thumb_url: http://th/\nfooter: fo\nfooter_icon: http://fi/\nimage_url: http://im/\n\
         fields: [{{title: 'ft {{{{ .Status }}}}', value: fv, short: false}}, {{title: a, value: b}}, \
         {{title: c, value: d, short: true}}]\n\
         props: {{card: 'card {{{{ .CommonLabels.instance }}}}'}}\n\
         priority: {{priority: Urgent, requested_ack: true, persistent_notifications: true}}",
        sink.url("/h")
    ));
    m.notify(&ctx(), &firing()).await.unwrap();
    assert_eq!(
        sink.requests()[0].body_text(),
        "{\"channel\":\"Disk-ch\",\"username\":\"u\",\"icon_url\":\"http://i/\",\"icon_emoji\":\":fire:\",\"attachments\":[{\"fallback\":\"fb\",\"color\":\"#ff0000\",\"pretext\":\"p\",\"text\":\"top 1 \\u003cb\\u003e\",\"author_name\":\"an\",\"author_link\":\"http://al/\",\"author_icon\":\"http://ai/\",\"title\":\"t firing\",\"title_link\":\"http://tl/\",\"fields\":[{\"title\":\"ft firing\",\"value\":\"fv\",\"short\":false},{\"title\":\"a\",\"value\":\"b\"},{\"title\":\"c\",\"value\":\"d\",\"short\":true}],\"thumb_url\":\"http://th/\",\"footer\":\"fo\",\"footer_icon\":\"http://fi/\",\"image_url\":\"http://im/\"}],\"type\":\"custom_firing\",\"props\":{\"card\":\"card a\"},\"priority\":{\"priority\":\"urgent\",\"requested_ack\":true,\"persistent_notifications\":true}}\n"
    );
}

#[tokio::test]
async fn configured_attachments_replace_the_default_one() {
    let sink = Sink::start().await;
    let m = mm(&format!(
        "webhook_url: {}\ntext: top\nchannel: c\nusername: u\ncolor: ignored\ntitle: ignored\n\
         attachments:\n\
         - {{text: 'one {{{{ .Status }}}}', color: good, fields: [{{title: x, value: '{{{{ len .Alerts }}}}', short: true}}]}}\n\
         - {{title: two, title_link: 'http://two/', footer: f2}}\n\
         priority: {{priority: whatever, requested_ack: true, persistent_notifications: true}}",
        sink.url("/h")
    ));
    m.notify(&ctx(), &firing()).await.unwrap();
    assert_eq!(
        sink.requests()[0].body_text(),
        "{\"text\":\"top\",\"channel\":\"c\",\"username\":\"u\",\"attachments\":[{\"color\":\"good\",\"text\":\"one firing\",\"fields\":[{\"title\":\"x\",\"value\":\"1\",\"short\":true}]},{\"title\":\"two\",\"title_link\":\"http://two/\",\"footer\":\"f2\"}],\"priority\":{\"priority\":\"standard\"}}\n"
    );
}

#[tokio::test]
async fn priority_flags_mattermost_would_refuse_are_dropped() {
    let sink = Sink::start().await;
    let m = mm(&format!(
        "webhook_url: {}\ntext: x\nusername: ''\nfallback: ''\ncolor: ''\ntitle: ''\ntitle_link: ''\n\
         priority: {{priority: '{{{{ if true }}}}important{{{{ end }}}}', requested_ack: true, persistent_notifications: true}}",
        sink.url("/h")
    ));
    m.notify(&ctx(), &firing()).await.unwrap();
    assert_eq!(
        sink.requests()[0].body_text(),
        "{\"attachments\":[{\"text\":\"x\"}],\"priority\":{\"priority\":\"important\",\"requested_ack\":true}}\n"
    );
}

#[tokio::test]
async fn only_the_top_level_text_is_cut() {
    let sink = Sink::start().await;
    let long = "é".repeat(MAX_TEXT_RUNES + 10);
    // With attachments configured the text is the message's own: cut.
    let m = mm(&format!(
        "webhook_url: {}\ntext: '{long}'\nattachments: [{{text: a}}]",
        sink.url("/h")
    ));
    m.notify(&ctx(), &firing()).await.unwrap();
    let b: serde_json::Value = serde_json::from_slice(&sink.requests()[0].body).unwrap();
    let text = b["text"].as_str().unwrap();
    assert_eq!(text.chars().count(), MAX_TEXT_RUNES);
    assert!(text.ends_with("é…"));
    // In the default attachment it is sent whole, as 0.34 does.
    let m = mm(&format!("webhook_url: {}\ntext: '{long}'", sink.url("/h")));
    m.notify(&ctx(), &firing()).await.unwrap();
    let b: serde_json::Value = serde_json::from_slice(&sink.requests()[1].body).unwrap();
    assert_eq!(b["attachments"][0]["text"].as_str().unwrap(), long);
    assert!(b.get("text").is_none());
}

#[tokio::test]
async fn the_url_file_is_read_on_every_notification() {
    let sink = Sink::start().await;
    let dir = std::env::temp_dir().join(format!("tocsin-mattermost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("url");
    std::fs::write(&file, format!("{}\n", sink.url("/one"))).unwrap();
    let m = mm(&format!("webhook_url_file: {}", file.display()));
    m.notify(&ctx(), &firing()).await.unwrap();
    std::fs::write(&file, sink.url("/two")).unwrap();
    m.notify(&ctx(), &firing()).await.unwrap();
    let paths: Vec<String> = sink
        .requests()
        .iter()
        .map(|r| r.uri.path().to_string())
        .collect();
    assert_eq!(paths, ["/one", "/two"]);
    std::fs::write(&file, "  \n").unwrap();
    let e = m.notify(&ctx(), &firing()).await.unwrap_err();
    assert_eq!(e.message, "webhook url missing");
    assert!(!e.retryable);
    std::fs::remove_file(&file).unwrap();
    let e = m.notify(&ctx(), &firing()).await.unwrap_err();
    assert_eq!(
        e.message,
        format!("open {}: no such file or directory", file.display())
    );
    assert!(!e.retryable);
    assert_eq!(sink.requests().len(), 2);
}

#[tokio::test]
async fn answers_are_classified_with_the_channel() {
    let sink = Sink::start().await;
    let m = mm(&format!(
        "webhook_url: {}\nchannel: 'town-square'",
        sink.url("/h")
    ));
    sink.reply(Reply::status(200).body("ok"));
    m.notify(&ctx(), &firing()).await.unwrap();
    for (status, retryable, reason) in [
        (401, false, FailureReason::AuthError),
        (403, false, FailureReason::AuthError),
        (400, false, FailureReason::ClientError),
        (429, false, FailureReason::RateLimited),
        (500, true, FailureReason::ServerError),
    ] {
        sink.reply(Reply::status(status).body("{\"id\":\"web.incoming_webhook\"}"));
        let e = m.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!((e.retryable, e.reason), (retryable, reason), "{status}");
        assert_eq!(
            e.message,
            format!(
                "channel \"town-square\": unexpected status code {status}: {{\"id\":\"web.incoming_webhook\"}}"
            )
        );
    }
    sink.reply(Reply::status(429).header("retry-after", "2"));
    let e = m.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.retry_after, Some(Duration::from_secs(2)));
}

#[tokio::test]
async fn template_errors_fail_for_good_and_send_nothing() {
    let sink = Sink::start().await;
    let m = mm(&format!(
        "webhook_url: {}\nattachments: [{{footer: '{{{{ template \"nope\" . }}}}'}}]",
        sink.url("/h")
    ));
    let e = m.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable && e.message.contains("nope"), "{e:?}");
    assert!(sink.requests().is_empty());
}
