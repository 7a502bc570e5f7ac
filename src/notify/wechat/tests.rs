//! WeChat tests against a local sink: the token request and the message
//! (exact query strings and bodies) for default and fully set configs,
//! the token cache and its refresh on `errcode` 42001, the secret file,
//! and how answers are classified.

use serde_json::json;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Reply, Sink, ctx, firing, resolved, templater};

fn wechat(yaml: &str) -> Wechat {
    let mut c: WechatConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    Wechat::new(&c, Some(templater())).unwrap()
}

fn token(t: &str) -> Reply {
    Reply::status(200)
        .header("content-type", "application/json")
        .body(
            &json!({"errcode": 0, "errmsg": "ok", "access_token": t, "expires_in": 7200})
                .to_string(),
        )
}

fn sent(code: i64, msg: &str) -> Reply {
    Reply::status(200)
        .header("content-type", "application/json")
        .body(&json!({"errcode": code, "errmsg": msg}).to_string())
}

const DEFAULT_FIRING: &str = concat!(
    r#"{"text":{"content":"[FIRING:1] Disk (a)\n\nAlerts Firing:\nLabels:\n - alertname = Disk\n - instance = a\n"#,
    r#"Annotations:\nSource: \n\n\nAlertmanagerUrl:\nhttp://am.example.com:9093/#/alerts?receiver=team-X"},"#,
    r#""safe":"0","msgtype":"text","markdown":{"content":""}}"#,
    "\n"
);

#[tokio::test]
async fn default_config_fetches_a_token_then_sends() {
    let sink = Sink::start().await;
    sink.reply(token("tok-1"));
    sink.reply(sent(0, "ok"));
    sink.reply(sent(0, "ok"));
    let w = wechat(&format!(
        "api_url: {}\napi_secret: 's3cr3t &+'\ncorp_id: corp",
        sink.url("/cgi-bin/")
    ));
    w.notify(&ctx(), &firing()).await.unwrap();
    w.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 3, "the token is fetched once");
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].uri.path(), "/cgi-bin/gettoken");
    assert_eq!(
        reqs[0].uri.query(),
        Some("corpid=corp&corpsecret=s3cr3t+%26%2B")
    );
    assert!(reqs[0].body.is_empty());
    assert!(reqs[0].header("content-type").is_none());
    assert!(
        reqs[0]
            .header("user-agent")
            .unwrap()
            .starts_with("Alertmanager/")
    );
    let r = &reqs[1];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri.path(), "/cgi-bin/message/send");
    assert_eq!(r.uri.query(), Some("access_token=tok-1"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body_text(), DEFAULT_FIRING);
    assert_eq!(
        reqs[2].body_text(),
        concat!(
            r#"{"text":{"content":"[RESOLVED] Disk (a)\n\n\nAlerts Resolved:\nLabels:\n - alertname = Disk\n - instance = a\n"#,
            r#"Annotations:\nSource: \n\nAlertmanagerUrl:\nhttp://am.example.com:9093/#/alerts?receiver=team-X"},"#,
            r#""safe":"0","msgtype":"text","markdown":{"content":""}}"#,
            "\n"
        )
    );
}

#[tokio::test]
async fn every_field_is_templated() {
    let sink = Sink::start().await;
    sink.reply(token("tok"));
    sink.reply(sent(0, "ok"));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("secret");
    std::fs::write(&f, " sec-{{ .GroupLabels.alertname }}\n").unwrap();
    let w = wechat(&format!(
        "api_url: {}\napi_secret_file: {}\ncorp_id: 'corp-{{{{ .Status }}}}'\n\
         to_user: 'u-{{{{ .GroupLabels.alertname }}}}'\nto_party: 'p|q'\nto_tag: 't <1>'\n\
         agent_id: '1000002'\nmessage_type: markdown\nmessage: '**{{{{ .Status }}}}** & <é>'",
        sink.url("/api/?debug=1&access_token=old"),
        f.display()
    ));
    w.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs[0].uri.path(), "/api/gettoken");
    assert_eq!(
        reqs[0].uri.query(),
        Some("corpid=corp-firing&corpsecret=sec-Disk")
    );
    assert_eq!(reqs[1].uri.path(), "/api/message/send");
    assert_eq!(reqs[1].uri.query(), Some("access_token=tok&debug=1"));
    assert_eq!(
        reqs[1].body_text(),
        concat!(
            r#"{"text":{"content":""},"touser":"u-Disk","toparty":"p|q","totag":"t \u003c1\u003e","#,
            r#""agentid":"1000002","safe":"0","msgtype":"markdown","#,
            r#""markdown":{"content":"**firing** \u0026 \u003cé\u003e"}}"#,
            "\n"
        )
    );
}

#[tokio::test]
async fn an_expired_token_is_fetched_again() {
    use crate::notify::{Backoff, Integration, retry_with_backoff};
    let sink = Sink::start().await;
    sink.reply(token("tok-1"));
    sink.reply(sent(0, "ok"));
    sink.reply(sent(42001, "access_token expired"));
    sink.reply(token("tok-2"));
    sink.reply(sent(0, "ok"));
    let w = Arc::new(wechat(&format!(
        "api_url: {}\napi_secret: s\ncorp_id: c",
        sink.url("/")
    )));
    w.notify(&ctx(), &firing()).await.unwrap();
    let integration = Integration::new(w, 0, true);
    let mut c = ctx();
    c.deadline = Some(tokio::time::Instant::now() + std::time::Duration::from_secs(20));
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap();
    let targets: Vec<String> = sink.requests().iter().map(|r| r.uri.to_string()).collect();
    assert_eq!(
        targets,
        [
            "/gettoken?corpid=c&corpsecret=s",
            "/message/send?access_token=tok-1",
            "/message/send?access_token=tok-1",
            "/gettoken?corpid=c&corpsecret=s",
            "/message/send?access_token=tok-2",
        ]
    );
}

#[tokio::test]
async fn answers_are_classified() {
    let sink = Sink::start().await;
    let w = wechat(&format!(
        "api_url: {}\napi_secret: s3cr3t\ncorp_id: c",
        sink.url("/")
    ));
    // No token: the secret is wrong, nothing is sent.
    sink.reply(sent(40001, "invalid credential"));
    let e = w.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(e.reason, FailureReason::AuthError);
    assert_eq!(e.message, "invalid APISecret for CorpID: c");
    // The token endpoint fails: its status decides.
    sink.reply(Reply::status(503).body("busy"));
    let e = w.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::ServerError);
    assert!(!e.message.contains("s3cr3t"), "{}", e.message);
    // WeChat is busy: retried.
    sink.reply(sent(-1, "system busy"));
    let e = w.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    // Now with a token: an error code fails for good with WeChat's text.
    sink.reply(token("t"));
    sink.reply(sent(60020, "not allow to access from your ip"));
    let e = w.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(e.message, "not allow to access from your ip");
    // A status other than 200 is retried, the reason from the status.
    for (status, reason) in [
        (401, FailureReason::AuthError),
        (429, FailureReason::RateLimited),
        (500, FailureReason::ServerError),
        (400, FailureReason::ClientError),
    ] {
        sink.reply(Reply::status(status));
        let e = w.notify(&ctx(), &firing()).await.unwrap_err();
        assert!(e.retryable, "{status}");
        assert_eq!(e.reason, reason, "{status}");
        assert_eq!(e.message, format!("unexpected status code {status}"));
    }
    // An answer that is not JSON is retried.
    sink.reply(Reply::status(200).body("<html>"));
    let e = w.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    // The token is still cached: one token request in all.
    let gettoken = sink
        .requests()
        .iter()
        .filter(|r| r.uri.path() == "/gettoken")
        .count();
    assert_eq!(gettoken, 4);
    assert!(
        sink.requests()
            .iter()
            .skip(4)
            .all(|r| r.uri.path() == "/message/send")
    );
}

#[tokio::test]
async fn the_secret_file_is_read_when_a_token_is_needed() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("secret");
    let w = wechat(&format!(
        "api_url: {}\napi_secret_file: {}\ncorp_id: c",
        sink.url("/"),
        f.display()
    ));
    let e = w.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert!(
        e.message.contains("no such file or directory"),
        "{}",
        e.message
    );
    assert!(sink.requests().is_empty());
    std::fs::write(&f, "one\n").unwrap();
    sink.reply(token("t"));
    w.notify(&ctx(), &firing()).await.unwrap_err(); // an empty answer: not JSON
    assert_eq!(
        sink.requests()[0].uri.query(),
        Some("corpid=c&corpsecret=one")
    );
}

#[tokio::test]
async fn template_errors_fail_for_good_without_the_secret() {
    let sink = Sink::start().await;
    let w = wechat(&format!(
        "api_url: {}\napi_secret: '{{{{ s3cr3t }}}}'\ncorp_id: c",
        sink.url("/")
    ));
    let e = w.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert!(e.message.starts_with("templating error: "), "{}", e.message);
    assert!(!e.message.contains("s3cr3t"), "{}", e.message);
    assert!(sink.requests().is_empty());
    // As in 0.34, the token comes first, then the message is rendered.
    let w = wechat(&format!(
        "api_url: {}\napi_secret: s\ncorp_id: c\nmessage: '{{{{ template \"nope\" . }}}}'",
        sink.url("/")
    ));
    sink.reply(token("t"));
    let e = w.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert!(e.message.contains("nope"), "{}", e.message);
    let paths: Vec<String> = sink
        .requests()
        .iter()
        .map(|r| r.uri.path().to_string())
        .collect();
    assert_eq!(paths, ["/gettoken"]);
    // A corp id that fails to render is reported as such.
    let w = wechat(&format!(
        "api_url: {}\napi_secret: s\ncorp_id: '{{{{ template \"corp\" . }}}}'",
        sink.url("/")
    ));
    let e = w.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.message.contains("corp"), "{}", e.message);
    assert_eq!(sink.requests().len(), 1);
}

#[test]
fn query_strings_are_encoded_as_go_does() {
    assert_eq!(go_query_escape("a b*~é/+&="), "a+b%2A~%C3%A9%2F%2B%26%3D");
    assert_eq!(
        go_query(&[("z", "1"), ("a", "x y"), ("m", "")]),
        "a=x+y&m=&z=1"
    );
}
