//! SNS tests against local sinks: AWS's SigV4 test-suite vectors, the exact
//! Publish form and its signature at a fixed time, every credential source
//! (static, environment, shared file, web identity, assumed role with its
//! cache), FIFO ids, truncation, templates and the classification of
//! error answers.

use std::collections::HashMap;

use chrono::TimeZone;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Recorded, Reply, Sink, alert, at};
use crate::template::AmTemplates;

const AK: &str = "AKIDEXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn templater() -> Arc<dyn Templater> {
    Arc::new(crate::notify::pipeline::AmTemplater::new(
        Arc::new(AmTemplates::builtin()),
        "http://am.example.com:9093".into(),
    ))
}

fn config(yaml: &str) -> SnsConfig {
    let mut c: SnsConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    c
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
}

fn sns_env(yaml: &str, env: &[(&str, &str)]) -> Sns {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Sns::with_parts(
        &config(yaml),
        Some(templater()),
        Arc::new(move |k| env.get(k).cloned()),
        Arc::new(now),
    )
    .unwrap()
}

fn sns(yaml: &str) -> Sns {
    sns_env(yaml, &[])
}

fn ctx() -> NotifyContext {
    let mut c = NotifyContext::new("team-X", "{}:{alertname=\"Disk\"}", at(60));
    c.group_labels = [("alertname", "Disk")].into_iter().collect();
    c.external_url = "http://am.example.com:9093".into();
    c
}

fn firing() -> Vec<Arc<Alert>> {
    vec![Arc::new(alert(
        &[("alertname", "Disk"), ("instance", "a")],
        0,
        None,
    ))]
}

fn resolved() -> Vec<Arc<Alert>> {
    vec![Arc::new(alert(
        &[("alertname", "Disk"), ("instance", "a")],
        0,
        Some(30),
    ))]
}

const PUBLISH_OK: &str = "<PublishResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>";

fn ok() -> Reply {
    Reply::status(200)
        .header("content-type", "text/xml")
        .body(PUBLISH_OK)
}

fn aws_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::status(status).header("content-type", "text/xml").body(&format!(
        "<ErrorResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    ))
}

/// Decodes a form body into its pairs, in order.
fn form(r: &Recorded) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&r.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Checks the request's SigV4 signature as AWS would, and returns the
/// access key it names.
fn verify_signature(r: &Recorded, secret: &str, region: &str, service: &str) -> String {
    let auth = r.header("authorization").expect("Authorization");
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 Credential=")
        .expect(auth);
    let (cred, rest) = rest.split_once(", SignedHeaders=").unwrap();
    let (signed_headers, signature) = rest.split_once(", Signature=").unwrap();
    let mut parts = cred.split('/');
    let access_key = parts.next().unwrap().to_string();
    let date = parts.next().unwrap();
    assert_eq!(parts.next(), Some(region));
    assert_eq!(parts.next(), Some(service));
    assert_eq!(parts.next(), Some("aws4_request"));
    let amz_date = r.header("x-amz-date").unwrap();
    assert!(amz_date.starts_with(date), "{amz_date} {date}");
    let when = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc();
    let headers: Vec<(String, String)> = signed_headers
        .split(';')
        .map(|h| (h.to_string(), r.header(h).expect(h).to_string()))
        .collect();
    let s = sigv4::sign(
        &Credentials {
            access_key: access_key.clone(),
            secret_key: secret.into(),
            session_token: None,
        },
        region,
        service,
        &sigv4::Request {
            method: r.method.as_str(),
            path: r.uri.path(),
            query: &[],
            headers: &headers,
            body: &r.body,
        },
        when,
    );
    assert_eq!(s.signature, signature, "signature of {auth}");
    access_key
}

// --- SigV4 against AWS's published test suite (aws-sig-v4-test-suite).

fn suite(
    method: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    body: &str,
) -> sigv4::Signed {
    let when = Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0).unwrap();
    let mut h: Vec<(String, String)> = vec![
        ("Host".into(), "example.amazonaws.com".into()),
        ("X-Amz-Date".into(), "20150830T123600Z".into()),
    ];
    h.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let q: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    sigv4::sign(
        &Credentials {
            access_key: AK.into(),
            secret_key: SK.into(),
            session_token: None,
        },
        "us-east-1",
        "service",
        &sigv4::Request {
            method,
            path: "/",
            query: &q,
            headers: &h,
            body: body.as_bytes(),
        },
        when,
    )
}

#[test]
fn sigv4_get_vanilla() {
    let s = suite("GET", &[], &[], "");
    assert_eq!(
        s.canonical_request,
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        s.string_to_sign,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    );
    assert_eq!(
        s.authorization,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn sigv4_get_vanilla_query_order_key_case() {
    let s = suite(
        "GET",
        &[("Param2", "value2"), ("Param1", "value1")],
        &[],
        "",
    );
    assert_eq!(
        s.signature,
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
    );
}

#[test]
fn sigv4_post_vanilla() {
    let s = suite("POST", &[], &[], "");
    assert_eq!(
        s.signature,
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
    );
}

#[test]
fn sigv4_post_x_www_form_urlencoded() {
    let s = suite(
        "POST",
        &[],
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "Param1=value1",
    );
    assert_eq!(s.signed_headers, "content-type;host;x-amz-date");
    assert_eq!(
        s.signature,
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
    );
}

// --- The Publish request.

#[tokio::test]
async fn static_keys_exact_form_and_signed_headers() {
    let sink = Sink::start().await;
    sink.reply(ok());
    let s = sns(&format!(
        "api_url: {}\ntopic_arn: 'arn:aws:sns:us-east-2:123:{{{{ .CommonLabels.alertname }}}}'\n\
         subject: '[{{{{ .Status }}}}] {{{{ .GroupLabels.alertname }}}}'\n\
         message: 'a b&c=d/é {{{{ .Status }}}}'\n\
         attributes: {{severity: '{{{{ .Status }}}}', '{{{{ .CommonLabels.instance }}}}-key': v}}\n\
         sigv4: {{region: us-east-2, access_key: {AK}, secret_key: '{SK}'}}",
        sink.base
    ));
    s.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri.to_string(), "/");
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.header("x-amz-date"), Some("20260102T030405Z"));
    assert_eq!(r.header("x-amz-security-token"), None);
    assert_eq!(
        r.body_text(),
        "Action=Publish\
         &Message=a+b%26c%3Dd%2F%C3%A9+firing\
         &MessageAttributes.entry.1.Name=a-key\
         &MessageAttributes.entry.1.Value.DataType=String\
         &MessageAttributes.entry.1.Value.StringValue=v\
         &MessageAttributes.entry.2.Name=severity\
         &MessageAttributes.entry.2.Value.DataType=String\
         &MessageAttributes.entry.2.Value.StringValue=firing\
         &Subject=%5Bfiring%5D+Disk\
         &TopicArn=arn%3Aaws%3Asns%3Aus-east-2%3A123%3ADisk\
         &Version=2010-03-31"
    );
    let auth = r.header("authorization").unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/us-east-2/sns/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date, Signature="),
        "{auth}"
    );
    assert_eq!(verify_signature(r, SK, "us-east-2", "sns"), AK);
    // A wrong secret does not verify: the check can fail.
    let bad = std::panic::catch_unwind(|| verify_signature(r, "wrong", "us-east-2", "sns"));
    assert!(bad.is_err());
}

/// Default subject and message (0.34's `sns.default.*` templates), firing
/// and resolved; no attributes.
#[tokio::test]
async fn default_templates_firing_and_resolved() {
    let sink = Sink::start().await;
    let s = sns(&format!(
        "api_url: {}/base/\ntarget_arn: arn:aws:sns:eu-west-1:1:endpoint/APNS/app/x\n\
         sigv4: {{region: eu-west-1, access_key: {AK}, secret_key: '{SK}'}}",
        sink.base
    ));
    let t = templater();
    for alerts in [firing(), resolved()] {
        s.notify(&ctx(), &alerts).await.unwrap();
        let want = t
            .execute_all(
                &[
                    r#"{{ template "sns.default.message" . }}"#,
                    r#"{{ template "sns.default.subject" . }}"#,
                ],
                &ctx(),
                &alerts,
            )
            .unwrap();
        let r = sink.requests().pop().unwrap();
        assert_eq!(r.uri.path(), "/base/");
        assert_eq!(
            form(&r),
            vec![
                ("Action".to_string(), "Publish".to_string()),
                ("Message".to_string(), want[0].clone()),
                ("Subject".to_string(), want[1].clone()),
                (
                    "TargetArn".to_string(),
                    "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/x".to_string()
                ),
                ("Version".to_string(), "2010-03-31".to_string()),
            ]
        );
        verify_signature(&r, SK, "eu-west-1", "sns");
    }
    assert!(sink.requests()[0].body_text().contains("FIRING"));
    assert!(sink.requests()[1].body_text().contains("RESOLVED"));
}

#[tokio::test]
async fn fifo_topic_gets_group_key_hash_and_empty_subject_is_sent() {
    let sink = Sink::start().await;
    let s = sns(&format!(
        "api_url: {}\ntopic_arn: arn:aws:sns:us-east-1:1:alerts.fifo\nsubject: '{{{{ \"\" }}}}'\nmessage: m\n\
         sigv4: {{region: us-east-1, access_key: {AK}, secret_key: '{SK}'}}",
        sink.base
    ));
    s.notify(&ctx(), &firing()).await.unwrap();
    let hash = crate::notify::group_key_hash("{}:{alertname=\"Disk\"}");
    assert_eq!(hash.len(), 64);
    assert_eq!(
        sink.requests()[0].body_text(),
        format!(
            "Action=Publish&Message=m&MessageDeduplicationId={hash}&MessageGroupId={hash}\
             &Subject=&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3Aalerts.fifo&Version=2010-03-31"
        )
    );
}

#[tokio::test]
async fn truncation_sms_and_topic() {
    let sink = Sink::start().await;
    // 1599 ASCII bytes then "é" (2 bytes): cut at 1600 bytes, mid-rune, as
    // 0.34 cuts.
    let long = format!("{}é", "x".repeat(1599));
    let s = sns(&format!(
        "api_url: {}\nphone_number: '+15555550100'\nsubject: ''\nmessage: '{long}'\n\
         sigv4: {{region: us-east-1, access_key: {AK}, secret_key: '{SK}'}}",
        sink.base
    ));
    s.notify(&ctx(), &firing()).await.unwrap();
    let body = sink.requests()[0].body_text();
    assert_eq!(
        body,
        format!(
            "Action=Publish&Message={}%C3\
             &MessageAttributes.entry.1.Name=truncated\
             &MessageAttributes.entry.1.Value.DataType=String\
             &MessageAttributes.entry.1.Value.StringValue=true\
             &PhoneNumber=%2B15555550100&Version=2010-03-31",
            "x".repeat(1599)
        )
    );
    // Exactly at the SMS limit: not truncated.
    let s = sns(&format!(
        "api_url: {}\nphone_number: p\nsubject: ''\nmessage: '{}'\n\
         sigv4: {{region: us-east-1, access_key: {AK}, secret_key: '{SK}'}}",
        sink.base,
        "y".repeat(MAX_SMS_BYTES)
    ));
    s.notify(&ctx(), &firing()).await.unwrap();
    let r = sink.requests().pop().unwrap();
    assert!(!r.body_text().contains("truncated"));
    assert!(r.body_text().contains(&"y".repeat(MAX_SMS_BYTES)));
    // A topic's limit is 256 KiB: 1601 bytes go whole.
    let s = sns(&format!(
        "api_url: {}\ntopic_arn: t\nsubject: ''\nmessage: '{}'\n\
         sigv4: {{region: us-east-1, access_key: {AK}, secret_key: '{SK}'}}",
        sink.base,
        "w".repeat(MAX_SMS_BYTES + 1)
    ));
    s.notify(&ctx(), &firing()).await.unwrap();
    let r = sink.requests().pop().unwrap();
    assert!(!r.body_text().contains("truncated"));
    assert!(r.body_text().contains(&"w".repeat(MAX_SMS_BYTES + 1)));
    let big = "z".repeat(MAX_MESSAGE_BYTES + 10);
    let s = sns(&format!(
        "api_url: {}\ntopic_arn: t\nsubject: ''\nmessage: '{big}'\nattributes: {{truncated: 'no'}}\n\
         sigv4: {{region: us-east-1, access_key: {AK}, secret_key: '{SK}'}}",
        sink.base
    ));
    s.notify(&ctx(), &firing()).await.unwrap();
    let r = sink.requests().pop().unwrap();
    let f = form(&r);
    let message = &f.iter().find(|(k, _)| k == "Message").unwrap().1;
    assert_eq!(message.len(), MAX_MESSAGE_BYTES);
    // The `truncated` attribute replaces a configured one of that name.
    let attrs: Vec<_> = f
        .iter()
        .filter(|(k, _)| k.starts_with("MessageAttributes"))
        .cloned()
        .collect();
    assert_eq!(
        attrs,
        vec![
            (
                "MessageAttributes.entry.1.Name".to_string(),
                "truncated".to_string()
            ),
            (
                "MessageAttributes.entry.1.Value.DataType".to_string(),
                "String".to_string()
            ),
            (
                "MessageAttributes.entry.1.Value.StringValue".to_string(),
                "true".to_string()
            ),
        ]
    );
}

// --- Credential sources.

#[tokio::test]
async fn environment_credentials_with_session_token_and_region() {
    let sink = Sink::start().await;
    let s = sns_env(
        &format!("api_url: {}\ntopic_arn: t\nmessage: m", sink.base),
        &[
            ("AWS_REGION", "ap-south-1"),
            ("AWS_ACCESS_KEY_ID", "AKENV"),
            ("AWS_SECRET_ACCESS_KEY", "envsecret"),
            ("AWS_SESSION_TOKEN", "tok/en+"),
        ],
    );
    s.notify(&ctx(), &firing()).await.unwrap();
    let r = &sink.requests()[0];
    assert_eq!(r.header("x-amz-security-token"), Some("tok/en+"));
    assert!(r.header("authorization").unwrap().contains(
        "Credential=AKENV/20260102/ap-south-1/sns/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-security-token,"
    ));
    assert_eq!(
        verify_signature(r, "envsecret", "ap-south-1", "sns"),
        "AKENV"
    );
}

#[tokio::test]
async fn static_keys_win_over_environment() {
    let sink = Sink::start().await;
    let s = sns_env(
        &format!(
            "api_url: {}\ntopic_arn: t\nsigv4: {{region: us-east-1, access_key: {AK}, secret_key: '{SK}'}}",
            sink.base
        ),
        &[
            ("AWS_ACCESS_KEY_ID", "AKENV"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ],
    );
    s.notify(&ctx(), &firing()).await.unwrap();
    assert_eq!(
        verify_signature(&sink.requests()[0], SK, "us-east-1", "sns"),
        AK
    );
}

#[tokio::test]
async fn shared_credentials_file_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(
        &file,
        "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = sdefault\n\n\
         # a comment\n[ops]\naws_access_key_id=AKOPS\naws_secret_access_key=sops\naws_session_token = tops\n",
    )
    .unwrap();
    let sink = Sink::start().await;
    let path = file.to_str().unwrap();
    let yaml = format!(
        "api_url: {}\ntopic_arn: t\nsigv4: {{region: us-east-1}}",
        sink.base
    );
    // No keys in the environment: the default profile.
    sns_env(&yaml, &[("AWS_SHARED_CREDENTIALS_FILE", path)])
        .notify(&ctx(), &firing())
        .await
        .unwrap();
    // AWS_PROFILE names a profile.
    sns_env(
        &yaml,
        &[
            ("AWS_SHARED_CREDENTIALS_FILE", path),
            ("AWS_PROFILE", "ops"),
        ],
    )
    .notify(&ctx(), &firing())
    .await
    .unwrap();
    // sigv4.profile names one, and a named profile wins over the
    // environment's keys (the SDK's order).
    sns_env(
        &format!(
            "api_url: {}\ntopic_arn: t\nsigv4: {{region: us-east-1, profile: ops}}",
            sink.base
        ),
        &[
            ("AWS_SHARED_CREDENTIALS_FILE", path),
            ("AWS_ACCESS_KEY_ID", "AKENV"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ],
    )
    .notify(&ctx(), &firing())
    .await
    .unwrap();
    // ~/.aws/credentials when no file is named.
    std::fs::create_dir(dir.path().join(".aws")).unwrap();
    std::fs::copy(&file, dir.path().join(".aws/credentials")).unwrap();
    sns_env(&yaml, &[("HOME", dir.path().to_str().unwrap())])
        .notify(&ctx(), &firing())
        .await
        .unwrap();
    let reqs = sink.requests();
    assert_eq!(
        verify_signature(&reqs[0], "sdefault", "us-east-1", "sns"),
        "AKDEFAULT"
    );
    assert_eq!(reqs[0].header("x-amz-security-token"), None);
    assert_eq!(
        verify_signature(&reqs[1], "sops", "us-east-1", "sns"),
        "AKOPS"
    );
    assert_eq!(reqs[1].header("x-amz-security-token"), Some("tops"));
    assert_eq!(
        verify_signature(&reqs[2], "sops", "us-east-1", "sns"),
        "AKOPS"
    );
    assert_eq!(
        verify_signature(&reqs[3], "sdefault", "us-east-1", "sns"),
        "AKDEFAULT"
    );
    // A missing profile fails, retryably, without sending.
    let err = sns_env(
        &format!(
            "api_url: {}\ntopic_arn: t\nsigv4: {{region: us-east-1, profile: nope}}",
            sink.base
        ),
        &[("AWS_SHARED_CREDENTIALS_FILE", path)],
    )
    .notify(&ctx(), &firing())
    .await
    .unwrap_err();
    assert!(err.retryable);
    assert_eq!(err.message, "failed to get shared config profile, nope");
    assert_eq!(sink.requests().len(), 4);
}

fn sts_ok(action: &str, ak: &str, sk: &str, token: &str, expires: &str) -> Reply {
    Reply::status(200).header("content-type", "text/xml").body(&format!(
        "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result><Credentials>\
         <AccessKeyId>{ak}</AccessKeyId><SecretAccessKey>{sk}</SecretAccessKey>\
         <SessionToken>{token}</SessionToken><Expiration>{expires}</Expiration></Credentials>\
         </{action}Result></{action}Response>"
    ))
}

#[tokio::test]
async fn role_arn_assumes_the_role_with_base_credentials_and_caches_it() {
    let sts = Sink::start().await;
    let sink = Sink::start().await;
    // Expires 10 minutes after the fixed clock: cached.
    sts.reply(sts_ok(
        "AssumeRole",
        "ASIAROLE",
        "rolesecret",
        "roletoken",
        "2026-01-02T03:14:05Z",
    ));
    let s = sns_env(
        &format!(
            "api_url: {}\ntopic_arn: t\nsigv4: {{region: us-west-2, access_key: {AK}, secret_key: '{SK}', \
             role_arn: 'arn:aws:iam::123:role/alerts', external_id: ext-1}}",
            sink.base
        ),
        &[("AWS_ENDPOINT_URL_STS", &sts.url("/"))],
    );
    s.notify(&ctx(), &firing()).await.unwrap();
    s.notify(&ctx(), &firing()).await.unwrap();
    let calls = sts.requests();
    assert_eq!(calls.len(), 1, "the role's credentials are cached");
    let c = &calls[0];
    assert_eq!(c.method, "POST");
    let nanos = now().timestamp_nanos_opt().unwrap();
    assert_eq!(
        c.body_text(),
        format!(
            "Action=AssumeRole&ExternalId=ext-1&RoleArn=arn%3Aaws%3Aiam%3A%3A123%3Arole%2Falerts\
             &RoleSessionName=aws-go-sdk-{nanos}&Version=2011-06-15"
        )
    );
    assert_eq!(verify_signature(c, SK, "us-west-2", "sts"), AK);
    for r in sink.requests() {
        assert_eq!(r.header("x-amz-security-token"), Some("roletoken"));
        assert_eq!(
            verify_signature(&r, "rolesecret", "us-west-2", "sns"),
            "ASIAROLE"
        );
    }
    assert_eq!(sink.requests().len(), 2);
}

#[tokio::test]
async fn role_credentials_near_expiry_are_renewed_and_sts_errors_classified() {
    let sts = Sink::start().await;
    let sink = Sink::start().await;
    // Expires 30 s after the clock: inside the one-minute margin.
    sts.reply(sts_ok(
        "AssumeRole",
        "ASIA1",
        "s1",
        "t1",
        "2026-01-02T03:04:35Z",
    ));
    sts.reply(aws_error(403, "AccessDenied", "not authorized to assume"));
    let s = sns_env(
        &format!(
            "api_url: {}\ntopic_arn: t\nsigv4: {{region: us-west-2, role_arn: 'arn:aws:iam::1:role/r'}}",
            sink.base
        ),
        &[
            ("AWS_ENDPOINT_URL_STS", &sts.url("/")),
            ("AWS_ACCESS_KEY_ID", "AKENV"),
            ("AWS_SECRET_ACCESS_KEY", "envsecret"),
        ],
    );
    s.notify(&ctx(), &firing()).await.unwrap();
    let err = s.notify(&ctx(), &firing()).await.unwrap_err();
    assert_eq!(sts.requests().len(), 2);
    assert_eq!(
        verify_signature(&sts.requests()[0], "envsecret", "us-west-2", "sts"),
        "AKENV"
    );
    assert!(!sts.requests()[0].body_text().contains("ExternalId"));
    assert_eq!(
        err.message,
        "unexpected status code 403: not authorized to assume"
    );
    assert_eq!(err.reason, FailureReason::AuthError);
    assert!(!err.retryable);
    assert_eq!(sink.requests().len(), 1);
}

#[tokio::test]
async fn web_identity_assumes_the_role_unsigned() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "eyJ.web.token\n").unwrap();
    let sts = Sink::start().await;
    let sink = Sink::start().await;
    sts.reply(sts_ok(
        "AssumeRoleWithWebIdentity",
        "ASIAWEB",
        "websecret",
        "webtoken",
        "2026-01-02T04:04:05Z",
    ));
    let s = sns_env(
        &format!(
            "api_url: {}\ntopic_arn: t\nsigv4: {{region: us-east-1}}",
            sink.base
        ),
        &[
            ("AWS_ENDPOINT_URL_STS", &sts.url("/")),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token.to_str().unwrap()),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/eks"),
            ("AWS_ROLE_SESSION_NAME", "pod-1"),
        ],
    );
    s.notify(&ctx(), &firing()).await.unwrap();
    let c = &sts.requests()[0];
    assert_eq!(c.header("authorization"), None);
    assert_eq!(
        c.body_text(),
        "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Feks\
         &RoleSessionName=pod-1&Version=2011-06-15&WebIdentityToken=eyJ.web.token"
    );
    let r = &sink.requests()[0];
    assert_eq!(r.header("x-amz-security-token"), Some("webtoken"));
    assert_eq!(
        verify_signature(r, "websecret", "us-east-1", "sns"),
        "ASIAWEB"
    );
}

#[tokio::test]
async fn no_region_and_no_credentials_fail_retryably() {
    let sink = Sink::start().await;
    let err = sns(&format!("api_url: {}\ntopic_arn: t", sink.base))
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert!(err.retryable);
    assert_eq!(
        err.message,
        "region not configured in sns.sigv4.region or in default credentials chain"
    );
    let dir = tempfile::tempdir().unwrap();
    let err = sns_env(
        &format!(
            "api_url: {}\ntopic_arn: t\nsigv4: {{region: us-east-1}}",
            sink.base
        ),
        &[("HOME", dir.path().to_str().unwrap())],
    )
    .notify(&ctx(), &firing())
    .await
    .unwrap_err();
    assert!(err.retryable);
    assert!(
        err.message
            .starts_with("failed to get shared config profile, default: open "),
        "{}",
        err.message
    );
    assert!(sink.requests().is_empty());
}

// --- Answers and templates.

#[tokio::test]
async fn error_answers_are_classified_by_status() {
    let sink = Sink::start().await;
    let s = sns(&format!(
        "api_url: {}\ntopic_arn: t\nsigv4: {{region: us-east-1, access_key: {AK}, secret_key: '{SK}'}}",
        sink.base
    ));
    for (reply, retryable, reason, message) in [
        (
            aws_error(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            false,
            FailureReason::AuthError,
            "unexpected status code 403: The security token included in the request is invalid.",
        ),
        (
            aws_error(
                400,
                "InvalidParameter",
                "Invalid parameter: TopicArn &amp; more",
            ),
            false,
            FailureReason::ClientError,
            "unexpected status code 400: Invalid parameter: TopicArn & more",
        ),
        (
            aws_error(429, "Throttling", "Rate exceeded").header("retry-after", "7"),
            false,
            FailureReason::RateLimited,
            "unexpected status code 429: Rate exceeded",
        ),
        (
            aws_error(500, "InternalError", "oops"),
            true,
            FailureReason::ServerError,
            "unexpected status code 500: oops",
        ),
        (
            aws_error(503, "ServiceUnavailable", ""),
            true,
            FailureReason::ServerError,
            "unexpected status code 503: ServiceUnavailable",
        ),
    ] {
        sink.reply(reply);
        let err = s.notify(&ctx(), &firing()).await.unwrap_err();
        assert_eq!(
            (
                err.retryable,
                err.reason,
                err.message.as_str(),
                err.retry_after
            ),
            (retryable, reason, message, None)
        );
    }
    // Not an AWS error document: retried, as 0.34's deserialization error.
    sink.reply(Reply::status(404).body("<html>nope</html>"));
    let err = s.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(err.retryable);
    assert_eq!(err.reason, FailureReason::Other);
}

#[tokio::test]
async fn template_errors_name_the_field_and_are_retried_as_client_errors() {
    let sink = Sink::start().await;
    for (field, yaml) in [
        ("api_url", "api_url: '{{ .Nope.Bad }}'\ntopic_arn: t"),
        ("topic_arn", "topic_arn: '{{ .Nope.Bad }}'"),
        (
            "message",
            "topic_arn: t\nmessage: '{{ template \"missing\" . }}'",
        ),
        ("subject", "topic_arn: t\nsubject: '{{ .Nope.Bad }}'"),
        (
            "attributes",
            "topic_arn: t\nattributes: {k: '{{ .Nope.Bad }}'}",
        ),
    ] {
        let err = sns(&format!(
            "{yaml}\nsigv4: {{region: us-east-1, access_key: {AK}, secret_key: '{SK}'}}"
        ))
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
        assert!(err.retryable, "{field}");
        assert_eq!(err.reason, FailureReason::ClientError);
        assert!(
            err.message
                .starts_with(&format!("execute '{field}' template: ")),
            "{field}: {}",
            err.message
        );
    }
    // Without a region, 0.34 fails on the region before rendering the
    // message (but after `api_url`).
    let err = sns("topic_arn: t\nmessage: '{{ .Nope.Bad }}'")
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "region not configured in sns.sigv4.region or in default credentials chain"
    );
    let err = sns("api_url: '{{ .Nope.Bad }}'\ntopic_arn: t")
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert!(
        err.message.starts_with("execute 'api_url' template: "),
        "{}",
        err.message
    );
    assert!(sink.requests().is_empty());
}

#[tokio::test]
async fn transport_errors_are_retried_and_redact_the_url() {
    let s = sns(&format!(
        "api_url: http://127.0.0.1:9/?secret=x\ntopic_arn: t\nsigv4: {{region: us-east-1, access_key: {AK}, secret_key: '{SK}'}}"
    ));
    let err = s.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(err.retryable);
    assert!(
        !err.message.contains("secret") && !err.message.contains(SK),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn default_endpoint_is_regional() {
    // Only the URL is checked: nothing is sent.
    let s = sns(&format!(
        "topic_arn: t\nsigv4: {{region: xx-test-1, access_key: {AK}, secret_key: '{SK}'}}"
    ));
    let r = s.render(&ctx(), &firing()).ok().unwrap();
    assert_eq!(r.api_url, "");
    assert_eq!(
        s.endpoint(&r, "xx-test-1"),
        "https://sns.xx-test-1.amazonaws.com/"
    );
    // The SDK's endpoint variable, used when `api_url` is empty.
    let s = sns_env(
        &format!(
            "topic_arn: t\nsigv4: {{region: xx-test-1, access_key: {AK}, secret_key: '{SK}'}}"
        ),
        &[("AWS_ENDPOINT_URL_SNS", "http://sns.local:4566/")],
    );
    let r = s.render(&ctx(), &firing()).ok().unwrap();
    assert_eq!(s.endpoint(&r, "xx-test-1"), "http://sns.local:4566/");
}

#[tokio::test]
async fn region_from_the_shared_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config");
    std::fs::write(
        &file,
        "[default]\nregion = eu-north-1\n[profile ops]\nregion = ca-central-1\n",
    )
    .unwrap();
    let sink = Sink::start().await;
    let yaml = format!(
        "api_url: {}\ntopic_arn: t\nsigv4: {{access_key: {AK}, secret_key: '{SK}'}}",
        sink.base
    );
    let path = file.to_str().unwrap();
    sns_env(&yaml, &[("AWS_CONFIG_FILE", path)])
        .notify(&ctx(), &firing())
        .await
        .unwrap();
    sns_env(&yaml, &[("AWS_CONFIG_FILE", path), ("AWS_PROFILE", "ops")])
        .notify(&ctx(), &firing())
        .await
        .unwrap();
    // AWS_REGION wins over the file.
    sns_env(
        &yaml,
        &[("AWS_CONFIG_FILE", path), ("AWS_REGION", "sa-east-1")],
    )
    .notify(&ctx(), &firing())
    .await
    .unwrap();
    let reqs = sink.requests();
    verify_signature(&reqs[0], SK, "eu-north-1", "sns");
    verify_signature(&reqs[1], SK, "ca-central-1", "sns");
    verify_signature(&reqs[2], SK, "sa-east-1", "sns");
}
