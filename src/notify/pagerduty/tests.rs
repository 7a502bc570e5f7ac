//! PagerDuty tests against a local sink: the exact v2 and v1 events
//! (default and fully templated configs, firing and resolved), details
//! rendered as structure, truncation, key files and the classification
//! of PagerDuty's answers.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Reply, Sink, ctx, firing, resolved, templater};

/// sha256 of `{}:{alertname="Disk"}` (computed with `sha256sum`).
const DEDUP: &str = "849f8175e1fa447711c42b6e6cfb199b37d2ba91e3e51a900048a82f9cf0abaa";

fn config(yaml: &str) -> PagerdutyConfig {
    let mut c: PagerdutyConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    c
}

fn pd(yaml: &str) -> Pagerduty {
    Pagerduty::new(&config(yaml), Some(templater())).unwrap()
}

/// Go's JSON of the alert as `toJson` then yaml.v2 leave it: keys sorted.
fn alert_json(a: &Alert, status: &str, ends: &str) -> String {
    format!(
        r#"{{"annotations":{{}},"endsAt":"{ends}","fingerprint":"{}","generatorURL":"","labels":{{"alertname":"Disk","instance":"a"}},"startsAt":"2026-01-02T03:00:00Z","status":"{status}"}}"#,
        a.fingerprint()
    )
}

#[test]
fn hash_is_sha256_hex() {
    assert_eq!(
        crate::notify::group_key_hash("{}:{alertname=\"Disk\"}"),
        DEDUP
    );
    assert_eq!(
        crate::notify::group_key_hash(""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[tokio::test]
async fn v2_default_trigger_and_resolve_are_alertmanagers_events() {
    let sink = Sink::start().await;
    let p = pd(&format!(
        "routing_key: rk-1\nurl: {}",
        sink.url("/v2/enqueue")
    ));
    let alerts = firing();
    p.notify(&ctx(), &alerts).await.unwrap();
    let r = &sink.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri.path(), "/v2/enqueue");
    assert_eq!(r.uri.query(), None);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("user-agent").unwrap().starts_with("Alertmanager/"));
    assert!(r.header("authorization").is_none());
    let want = format!(
        concat!(
            r#"{{"routing_key":"rk-1","dedup_key":"{dedup}","event_action":"trigger","payload":{{"#,
            r#""summary":"[FIRING:1] Disk (a)","source":"Alertmanager","severity":"error","#,
            r#""custom_details":{{"firing":[{firing}],"num_firing":1,"num_resolved":0,"resolved":[]}}}},"#,
            r##""client":"Alertmanager","client_url":"http://am.example.com:9093/#/alerts?receiver=team-X"}}"##,
            "\n"
        ),
        dedup = DEDUP,
        firing = alert_json(&alerts[0], "firing", "0001-01-01T00:00:00Z"),
    );
    assert_eq!(r.body_text(), want);

    let alerts = resolved();
    p.notify(&ctx(), &alerts).await.unwrap();
    let want = format!(
        concat!(
            r#"{{"routing_key":"rk-1","dedup_key":"{dedup}","event_action":"resolve","payload":{{"#,
            r#""summary":"[RESOLVED] Disk (a)","source":"Alertmanager","severity":"error","#,
            r#""custom_details":{{"firing":[],"num_firing":0,"num_resolved":1,"resolved":[{resolved}]}}}},"#,
            r##""client":"Alertmanager","client_url":"http://am.example.com:9093/#/alerts?receiver=team-X"}}"##,
            "\n"
        ),
        dedup = DEDUP,
        resolved = alert_json(&alerts[0], "resolved", "2026-01-02T03:00:30Z"),
    );
    assert_eq!(sink.requests()[1].body_text(), want);
}

#[tokio::test]
async fn v2_every_field_is_templated() {
    let sink = Sink::start().await;
    let p = pd(&format!(
        "routing_key: 'rk-{{{{ .GroupLabels.alertname }}}}'\nurl: {}\n\
         client: 'cl <{{{{ .Status }}}}>'\nclient_url: 'http://c/{{{{ .Receiver }}}}'\n\
         description: 'd {{{{ len .Alerts }}}}'\nsource: 'src-{{{{ .CommonLabels.instance }}}}'\n\
         severity: '{{{{ if eq .Status \"firing\" }}}}critical{{{{ end }}}}'\nclass: cls\n\
         component: 'comp {{{{ .Status }}}}'\ngroup: grp\n\
         details:\n  firing: mine\n  text: 'x &y'\n  flag: 'yes'\n  empty: ''\n  n: 2.50\n\
         \x20 nested: {{a: ['{{{{ .Status }}}}', 3], '{{{{ .Status }}}}-key': v}}\n  structured: 'k: v'\n\
         images: [{{src: 'http://img/{{{{ .Status }}}}', alt: a, href: h}}, {{src: '', alt: dropped}}]\n\
         links: [{{href: 'http://l/{{{{ .Status }}}}', text: t}}, {{href: '', text: dropped}}]",
        sink.url("/x")
    ));
    p.notify(&ctx(), &firing()).await.unwrap();
    let r = &sink.requests()[0];
    let want = format!(
        concat!(
            r#"{{"routing_key":"rk-Disk","dedup_key":"{dedup}","event_action":"trigger","payload":{{"#,
            r#""summary":"d 1","source":"src-a","severity":"critical","class":"cls","component":"comp firing","group":"grp","#,
            r#""custom_details":{{"empty":null,"firing":"mine","flag":true,"n":2.5,"#,
            r#""nested":{{"a":["firing",3],"firing-key":"v"}},"num_firing":1,"num_resolved":0,"resolved":[],"#,
            r#""structured":{{"k":"v"}},"text":"x \u0026y"}}}},"#,
            r#""client":"cl \u003cfiring\u003e","client_url":"http://c/team-X","#,
            r#""images":[{{"src":"http://img/firing","alt":"a","href":"h"}}],"#,
            r#""links":[{{"href":"http://l/firing","text":"t"}}]}}"#,
            "\n"
        ),
        dedup = DEDUP
    );
    assert_eq!(r.body_text(), want);
}

#[tokio::test]
async fn v1_events_use_the_service_key() {
    let sink = Sink::start().await;
    let p = pd("service_key: sk-1\ndetails: {a: b}").with_api_v1_url(&sink.url("/v1/create"));
    p.notify(&ctx(), &firing()).await.unwrap();
    p.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs[0].uri.path(), "/v1/create");
    let alerts = firing();
    let want = format!(
        concat!(
            r#"{{"service_key":"sk-1","incident_key":"{dedup}","event_type":"trigger","#,
            r#""description":"[FIRING:1] Disk (a)","event_action":"","payload":null,"#,
            r##""client":"Alertmanager","client_url":"http://am.example.com:9093/#/alerts?receiver=team-X","##,
            r#""details":{{"a":"b","firing":[{firing}],"num_firing":1,"num_resolved":0,"resolved":[]}}}}"#,
            "\n"
        ),
        dedup = DEDUP,
        firing = alert_json(&alerts[0], "firing", "0001-01-01T00:00:00Z"),
    );
    assert_eq!(reqs[0].body_text(), want);
    // A resolve has no client fields.
    let b: Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(b["event_type"], "resolve");
    assert_eq!(b["description"], "[RESOLVED] Disk (a)");
    assert!(b.get("client").is_none() && b.get("client_url").is_none());
    assert_eq!(b["payload"], Value::Null);
    assert_eq!(p.kind(), "pagerduty");
}

#[tokio::test]
async fn summary_and_description_are_cut_at_1024_runes() {
    let sink = Sink::start().await;
    let long = "é".repeat(1100);
    let p = pd(&format!(
        "routing_key: k\nurl: {}\ndescription: '{long}'",
        sink.url("/")
    ));
    p.notify(&ctx(), &firing()).await.unwrap();
    let p1 =
        pd(&format!("service_key: k\ndescription: '{long}'")).with_api_v1_url(&sink.url("/v1"));
    p1.notify(&ctx(), &firing()).await.unwrap();
    let want: String = "é".repeat(1023) + "…";
    let reqs = sink.requests();
    let b0: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    let b1: Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(b0["payload"]["summary"], want.as_str());
    assert_eq!(b1["description"], want.as_str());
}

#[tokio::test]
async fn oversized_events_lose_their_details() {
    let sink = Sink::start().await;
    let big = "x".repeat(600_000);
    let p = pd(&format!(
        "routing_key: k\nurl: {}\ndetails: {{big: '{big}'}}",
        sink.url("/")
    ));
    p.notify(&ctx(), &firing()).await.unwrap();
    let b: Value = serde_json::from_slice(&sink.requests()[0].body).unwrap();
    assert_eq!(
        b["payload"]["custom_details"],
        json!({"error": "Custom details have been removed because the original event exceeds the maximum size of 512KB"})
    );
    assert_eq!(metric_bytes(600_123), "600KB123B");
    assert_eq!(metric_bytes(0), "0B");
}

#[tokio::test]
async fn keys_come_from_files_read_at_notify_time() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rk");
    let p = pd(&format!(
        "routing_key_file: {}\nurl: {}",
        file.display(),
        sink.url("/")
    ));
    let e = p.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(
        e.message,
        format!(
            "failed to read routing key from file: open {}: no such file or directory",
            file.display()
        )
    );
    std::fs::write(&file, "  from-file\n").unwrap();
    p.notify(&ctx(), &firing()).await.unwrap();
    std::fs::write(&file, "changed").unwrap();
    p.notify(&ctx(), &firing()).await.unwrap();
    let keys: Vec<Value> = sink
        .requests()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["routing_key"].clone())
        .collect();
    assert_eq!(keys, [json!("from-file"), json!("changed")]);
    // An empty key after templating is refused.
    std::fs::write(&file, "{{ .CommonLabels.nothing }}").unwrap();
    let e = p.notify(&ctx(), &firing()).await.unwrap_err();
    assert_eq!(e.message, "routing key cannot be empty");
    assert_eq!(sink.requests().len(), 2);
}

#[tokio::test]
async fn answers_are_classified_as_alertmanager_does() {
    let sink = Sink::start().await;
    let p = pd(&format!("routing_key: secret-rk\nurl: {}", sink.url("/")));
    for (reply, retryable, reason, message) in [
        (
            Reply::status(400).body(r#"{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect","x"]}"#),
            false,
            FailureReason::ClientError,
            "unexpected status code 400: Event object is invalid: Length of 'routing_key' is incorrect,x",
        ),
        (Reply::status(400).body("not json"), false, FailureReason::ClientError, "unexpected status code 400"),
        (Reply::status(401).body("nope"), false, FailureReason::AuthError, "unexpected status code 401"),
        (Reply::status(403), false, FailureReason::AuthError, "unexpected status code 403"),
        (Reply::status(404), false, FailureReason::ClientError, "unexpected status code 404"),
        (Reply::status(500).body("oops"), true, FailureReason::ServerError, "unexpected status code 500"),
        (Reply::status(503), true, FailureReason::ServerError, "unexpected status code 503"),
    ] {
        sink.reply(reply);
        let e = p.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!((e.retryable, e.reason, e.message.as_str()), (retryable, reason, message));
        assert!(!e.message.contains("secret-rk"));
    }
    sink.reply(Reply::status(429).header("retry-after", "7"));
    let e = p.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(7)));

    // v1: 403 is PagerDuty's rate limit, retried; 0.34 gives v1 failures
    // no reason.
    let v1 = pd("service_key: k").with_api_v1_url(&sink.url("/v1"));
    sink.reply(Reply::status(403));
    let e = v1.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::Other);
    sink.reply(Reply::status(429));
    let e = v1.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
}

#[tokio::test]
async fn rate_limits_are_retried_after_retry_after_and_template_errors_are_not() {
    use crate::notify::{Backoff, Integration, retry_with_backoff};
    let sink = Sink::start().await;
    let p = Arc::new(pd(&format!("routing_key: k\nurl: {}", sink.url("/"))));
    let integration = Integration::new(p, 0, true);
    sink.reply(Reply::status(429).header("retry-after", "1"));
    sink.reply(Reply::status(502));
    let mut c = ctx();
    c.deadline = Some(tokio::time::Instant::now() + Duration::from_secs(20));
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(950));

    let bad = Arc::new(pd(&format!(
        "routing_key: k\nurl: {}\nclass: '{{{{ template \"nope\" . }}}}'",
        sink.url("/")
    )));
    let e = retry_with_backoff(
        &Integration::new(bad.clone(), 0, true),
        &c,
        &firing(),
        Backoff::with_random(|| 0.0),
    )
    .await
    .unwrap_err();
    assert_eq!(
        sink.requests().len(),
        3,
        "nothing sent after a template error"
    );
    let e1 = bad.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e1.retryable);
    assert!(
        e1.message
            .starts_with("failed to template PagerDuty v2 message: "),
        "{e1:?}"
    );
    assert!(e1.message.contains("nope"), "{e:?}");
    let bad_details = pd(&format!(
        "routing_key: k\nurl: {}\ndetails: {{x: '{{{{ .Nope.Nope }}}}'}}",
        sink.url("/")
    ));
    let e = bad_details.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert!(e.message.starts_with("failed to render details: "), "{e:?}");
}

#[test]
fn rendered_details_decode_like_yaml_v2() {
    let d = |s: &str| yaml_v2_decode(s);
    assert_eq!(d("1"), Some(GoValue::Int(1)));
    assert_eq!(d(" 42 \n"), Some(GoValue::Int(42)));
    assert_eq!(d("-7"), Some(GoValue::Int(-7)));
    assert_eq!(d("0x1f"), Some(GoValue::Int(31)));
    assert_eq!(d("017"), Some(GoValue::Int(15)));
    assert_eq!(d("1_000"), Some(GoValue::Int(1000)));
    assert_eq!(d("18446744073709551615"), Some(GoValue::Uint(u64::MAX)));
    assert_eq!(d("2.5"), Some(GoValue::Float(2.5)));
    assert_eq!(d("1e3"), Some(GoValue::Float(1000.0)));
    assert_eq!(d(".5"), Some(GoValue::Float(0.5)));
    for t in ["yes", "Y", "on", "TRUE", "true"] {
        assert_eq!(d(t), Some(GoValue::Bool(true)), "{t}");
    }
    for t in ["no", "n", "OFF", "false"] {
        assert_eq!(d(t), Some(GoValue::Bool(false)), "{t}");
    }
    for t in ["", "~", "null", "# only a comment", "  "] {
        assert_eq!(d(t), Some(GoValue::Null), "{t:?}");
    }
    assert_eq!(d("3 # three"), Some(GoValue::Int(3)));
    for t in [
        "text",
        "x &y",
        "2026-01-02",
        "2026-01-02T03:04:05Z",
        "1.2.3",
        "a:b",
        "http://x/y",
        "\"1\"",
        "'yes'",
        "[unclosed",
        "two\nlines",
        "10.0.0.1",
        "+",
    ] {
        assert_eq!(d(t), None, "{t:?} stays text");
    }
    assert_eq!(
        d("k: v"),
        Some(GoValue::Map(
            [("k".into(), GoValue::Str("v".into()))].into()
        ))
    );
    assert_eq!(
        d("[1, \"a\", null]"),
        Some(GoValue::List(vec![
            GoValue::Int(1),
            GoValue::Str("a".into()),
            GoValue::Null
        ]))
    );
    assert_eq!(
        d("- a\n- b"),
        Some(GoValue::List(vec![
            GoValue::Str("a".into()),
            GoValue::Str("b".into())
        ]))
    );
    let enc = |v: &GoValue| String::from_utf8(crate::notify::json::encode(v).unwrap()).unwrap();
    assert_eq!(enc(&GoValue::Float(1000.0)), "1000\n");
    assert_eq!(enc(&GoValue::Float(2.5)), "2.5\n");
    assert!(crate::notify::json::encode(&GoValue::Float(f64::INFINITY)).is_err());
}

#[tokio::test]
async fn timeout_fails_the_attempt_retryably() {
    let sink = Sink::start().await;
    sink.reply(Reply::status(200).delay(Duration::from_millis(1500)));
    let p = pd(&format!(
        "routing_key: k\nurl: {}\ntimeout: 200ms",
        sink.url("/")
    ));
    let e = p.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(
        e.message,
        "failed to post message to PagerDuty: Post \"<redacted>\": context deadline exceeded: configured pagerduty timeout reached (200ms)"
    );
}
