//! Rocket.Chat tests against a local sink. The expected bodies are what
//! Alertmanager v0.34.0 sends: the `Notify` of its
//! `notify/rocketchat/rocketchat.go` with its `template/default.tmpl`, run
//! through Go's `encoding/json` and `text/template` (the byte strings
//! below were produced that way, as were the joined API URLs, by Go's
//! `url.URL.JoinPath`).

use std::time::Duration;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::msteams::tests::{ctx, firing, resolved, templater};
use crate::notify::testing::{Reply, Sink};

fn rc(yaml: &str) -> Rocketchat {
    let mut c: RocketchatConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    Rocketchat::new(&c, Some(templater())).unwrap()
}

fn ok() -> Reply {
    Reply::status(200)
        .header("content-type", "application/json")
        .body("{\"ts\":1700000000000,\"channel\":\"general\",\"message\":{},\"success\":true}")
}

const FIRING_BODY: &str = "{\"attachments\":[{\"title\":\"[FIRING:1] Disk (a)\",\"title_link\":\"http://am.example.com:9093/#/alerts?receiver=team-X\",\"color\":\"red\"}]}\n";
const RESOLVED_BODY: &str = "{\"attachments\":[{\"title\":\"[RESOLVED] Disk (a)\",\"title_link\":\"http://am.example.com:9093/#/alerts?receiver=team-X\",\"color\":\"green\"}]}\n";

#[tokio::test]
async fn default_message_is_alertmanagers_with_the_token_headers() {
    let sink = Sink::start().await;
    sink.reply(ok());
    sink.reply(ok());
    let r = rc(&format!(
        "api_url: {}\ntoken: s3cr3t-token\ntoken_id: user-id-1",
        sink.url("/")
    ));
    r.notify(&ctx(), &firing()).await.unwrap();
    r.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    for q in &reqs {
        assert_eq!(q.method, "POST");
        assert_eq!(q.uri.path(), "/api/v1/chat.postMessage");
        assert_eq!(q.uri.query(), None);
        assert_eq!(q.header("content-type"), Some("application/json"));
        assert_eq!(q.header("user-agent"), Some(crate::notify::USER_AGENT));
        assert_eq!(q.header("x-auth-token"), Some("s3cr3t-token"));
        assert_eq!(q.header("x-user-id"), Some("user-id-1"));
        assert!(q.header("authorization").is_none());
    }
    assert_eq!(reqs[0].body_text(), FIRING_BODY);
    assert_eq!(reqs[1].body_text(), RESOLVED_BODY);
}

#[tokio::test]
async fn every_field_is_templated() {
    let sink = Sink::start().await;
    sink.reply(ok());
    let r = rc(&format!(
        "api_url: {}\ntoken: t\ntoken_id: i\n\
         title: 't {{{{ .Status }}}}'\ntitle_link: http://tl/\ntext: '<b>{{{{ .CommonLabels.instance }}}}</b>'\n\
         image_url: http://im/\nthumb_url: http://th/\ncolor: '#123456'\n\
         channel: '#{{{{ .GroupLabels.alertname }}}}'\nemoji: ':fire:'\nicon_url: http://avatar/\n\
         short_fields: true\nlink_names: true\n\
         fields: [{{title: 'ft {{{{ .Status }}}}', value: fv}}, {{title: a, value: b, short: false}}]\n\
         actions:\n\
         - {{type: button, text: 'go {{{{ .Status }}}}', url: 'http://x/', imageurl: 'http://ignored/', iswebview: true, \
         webviewheightratio: full, msg: m, msginchatwindow: true, msgprocessingtype: sendMessage}}\n\
         - {{text: only text}}",
        sink.url("/rc")
    ));
    r.notify(&ctx(), &firing()).await.unwrap();
    let q = &sink.requests()[0];
    assert_eq!(q.uri.path(), "/rc/api/v1/chat.postMessage");
    // No alias, link_names or top-level text: 0.34 sends none of them.
    assert_eq!(
        q.body_text(),
        "{\"channel\":\"#Disk\",\"emoji\":\":fire:\",\"avatar\":\"http://avatar/\",\"attachments\":[{\"title\":\"t firing\",\"title_link\":\"http://tl/\",\"text\":\"\\u003cb\\u003ea\\u003c/b\\u003e\",\"image_url\":\"http://im/\",\"thumb_url\":\"http://th/\",\"color\":\"#123456\",\"fields\":[{\"short\":true,\"title\":\"ft firing\",\"value\":\"fv\"},{\"short\":false,\"title\":\"a\",\"value\":\"b\"}],\"actions\":[{\"type\":\"button\",\"text\":\"go firing\",\"url\":\"http://x/\",\"is_webview\":false,\"msg\":\"m\",\"msg_in_chat_window\":false},{\"type\":\"button\",\"text\":\"only text\",\"is_webview\":false,\"msg_in_chat_window\":false}]}]}\n"
    );
}

#[tokio::test]
async fn titles_are_cut_at_1024_runes() {
    let sink = Sink::start().await;
    sink.reply(ok());
    let r = rc(&format!(
        "api_url: {}\ntoken: t\ntoken_id: i\ntitle: '{}'",
        sink.url("/"),
        "ü".repeat(1100)
    ));
    r.notify(&ctx(), &firing()).await.unwrap();
    let b: serde_json::Value = serde_json::from_slice(&sink.requests()[0].body).unwrap();
    let title = b["attachments"][0]["title"].as_str().unwrap();
    assert_eq!(title.chars().count(), 1024);
    assert_eq!(title, format!("{}…", "ü".repeat(1023)));
}

#[test]
fn the_api_path_is_joined_as_go_does() {
    for (base, want) in [
        (
            "https://open.rocket.chat/",
            "https://open.rocket.chat/api/v1/chat.postMessage",
        ),
        ("http://h:1", "http://h:1/api/v1/chat.postMessage"),
        ("http://h:1/rc", "http://h:1/rc/api/v1/chat.postMessage"),
        ("http://h:1/rc/", "http://h:1/rc/api/v1/chat.postMessage"),
        (
            "http://h:1/a//b/../c/?q=1#f",
            "http://h:1/a/c/api/v1/chat.postMessage?q=1#f",
        ),
        (
            "http://u:p@h/x%20y/",
            "http://u:p@h/x%20y/api/v1/chat.postMessage",
        ),
    ] {
        let u = url::Url::parse(base).unwrap();
        assert_eq!(
            crate::notify::http::go_join_path(&u, "api/v1/chat.postMessage"),
            want,
            "{base}"
        );
    }
}

#[tokio::test]
async fn token_files_win_and_are_read_on_every_request() {
    let sink = Sink::start().await;
    sink.reply(ok());
    sink.reply(ok());
    let dir = std::env::temp_dir().join(format!("tocsin-rocketchat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (token, id) = (dir.join("token"), dir.join("id"));
    std::fs::write(&token, "from-file-1\n").unwrap();
    std::fs::write(&id, "  uid-file\n").unwrap();
    let r = rc(&format!(
        "api_url: {}\ntoken_file: {}\ntoken_id_file: {}",
        sink.url("/"),
        token.display(),
        id.display()
    ));
    r.notify(&ctx(), &firing()).await.unwrap();
    std::fs::write(&token, "from-file-2").unwrap();
    r.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs[0].header("x-auth-token"), Some("from-file-1"));
    assert_eq!(reqs[0].header("x-user-id"), Some("uid-file"));
    assert_eq!(reqs[1].header("x-auth-token"), Some("from-file-2"));
    std::fs::remove_file(&token).unwrap();
    let e = r.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.message.contains("no such file or directory"), "{e:?}");
    assert!(!e.message.contains("from-file"));
    assert_eq!(sink.requests().len(), 2);
}

#[tokio::test]
async fn answers_are_classified_as_alertmanager_does() {
    let sink = Sink::start().await;
    let r = rc(&format!(
        "api_url: {}\ntoken: s3cr3t\ntoken_id: i\nchannel: '#ops'",
        sink.url("/")
    ));
    for (status, retryable, reason) in [
        (401, false, FailureReason::AuthError),
        (403, false, FailureReason::AuthError),
        (400, false, FailureReason::ClientError),
        (429, false, FailureReason::RateLimited),
        (500, true, FailureReason::ServerError),
    ] {
        sink.reply(Reply::status(status).body("{\"success\":false}"));
        let e = r.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!((e.retryable, e.reason), (retryable, reason), "{status}");
        assert_eq!(
            e.message,
            format!("channel \"#ops\": unexpected status code {status}: {{\"success\":false}}")
        );
    }
    sink.reply(Reply::status(429).header("retry-after", "4"));
    let e = r.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.retry_after, Some(Duration::from_secs(4)));
    // A 200 is read: Rocket.Chat reports some errors with one.
    for (body, retryable, message) in [
        (
            "{\"success\":false,\"error\":\"error-not-allowed\"}",
            false,
            "channel \"#ops\": error response from Rocketchat: error-not-allowed",
        ),
        (
            "null",
            false,
            "channel \"#ops\": error response from Rocketchat: ",
        ),
        (
            "",
            true,
            "channel \"#ops\": could not unmarshal JSON response \"\": unexpected end of JSON input",
        ),
        (
            "[1]",
            true,
            "channel \"#ops\": could not unmarshal JSON response \"[1]\": json: cannot unmarshal array into Go value of type rocketchat.response",
        ),
        (
            "{\"success\":\"yes\"}",
            true,
            "channel \"#ops\": could not unmarshal JSON response \"{\\\"success\\\":\\\"yes\\\"}\": json: cannot unmarshal string into Go struct field response.success of type bool",
        ),
        (
            "<html>502</html>",
            true,
            "channel \"#ops\": could not unmarshal JSON response \"<html>502</html>\": invalid character '<' looking for beginning of value",
        ),
        (
            "{\"success\":true,\"error\":3}",
            true,
            "channel \"#ops\": could not unmarshal JSON response \"{\\\"success\\\":true,\\\"error\\\":3}\": json: cannot unmarshal number into Go struct field response.error of type string",
        ),
    ] {
        sink.reply(Reply::status(200).body(body));
        let e = r.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!(e.message, message, "{body}");
        assert_eq!(
            (e.retryable, e.reason),
            (retryable, FailureReason::ClientError)
        );
        assert!(!e.message.contains("s3cr3t"));
    }
    // Go's decoder matches member names case-insensitively.
    sink.reply(Reply::status(200).body("{\"Success\":true}"));
    r.notify(&ctx(), &firing()).await.unwrap();
}

#[tokio::test]
async fn template_errors_fail_for_good_and_send_nothing() {
    let sink = Sink::start().await;
    let r = rc(&format!(
        "api_url: {}\ntoken: t\ntoken_id: i\nemoji: '{{{{ template \"nope\" . }}}}'",
        sink.url("/")
    ));
    let e = r.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable && e.message.contains("nope"), "{e:?}");
    assert!(sink.requests().is_empty());
}
