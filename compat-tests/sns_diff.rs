//! Amazon SNS of the real Alertmanager 0.25 (AWS SDK for Go v1) and of
//! Tocsin (in `classic-mode`, following 0.34's AWS SDK for Go v2), on the
//! same configuration (static SigV4 keys, `api_url` pointed at a recording
//! fake that answers a Publish success document) and the same alerts: per
//! receiver, the requests must match in number, order, method and path,
//! and their form bodies byte for byte. Both SDKs write the form with Go's
//! `url.Values.Encode`, parameters sorted by name, so no reordering is
//! needed.
//!
//! Normalised, because it must differ: the signature and `X-Amz-Date`
//! (each side signs at its own time): instead of comparing them, each
//! side's `Authorization` is checked to be a valid SigV4 signature of the
//! request as received, for its own date, with the configured keys. The
//! `User-Agent` (each SDK's own) is not compared.
//!
//! Differences 0.34 made on purpose (the SDK v2 migration), asserted
//! explicitly:
//!
//! - `Content-Type`: 0.25 sends `application/x-www-form-urlencoded;
//!   charset=utf-8`, 0.34 `application/x-www-form-urlencoded`.
//! - No message attributes: 0.25 sends an empty `MessageAttributes=`
//!   parameter (SDK v1 writes an empty map), 0.34 leaves it out.

#[path = "../tests/common/mod.rs"]
mod harness;

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harness::{Recorded, Reference, Server, byte_diff, read_request};
use serde_json::{Value, json};

const EXTERNAL_URL: &str = "http://am.example.test:9093";
const AK: &str = "AKIDEXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const REGION: &str = "eu-west-1";

const PUBLISH_OK: &str = "<PublishResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\">\
<PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult>\
<ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata>\
</PublishResponse>";

const RECEIVERS: [&str; 4] = ["sns-topic", "sns-fifo", "sns-sms", "sns-target"];

/// A loopback HTTP/1.1 server recording every request, answering each
/// with the Publish success document.
struct Fake {
    addr: String,
    got: Arc<Mutex<Vec<Recorded>>>,
}

impl Fake {
    fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let g = g.clone();
                std::thread::spawn(move || serve(stream, &g));
            }
        });
        Fake { addr, got }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn on(&self, receiver: &str) -> Vec<Recorded> {
        let prefix = format!("/{receiver}/");
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path.starts_with(&prefix))
            .cloned()
            .collect()
    }
}

fn serve(stream: TcpStream, got: &Mutex<Vec<Recorded>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some((req, close)) = read_request(&mut reader) {
        got.lock().unwrap().push(req);
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{PUBLISH_OK}",
            PUBLISH_OK.len()
        );
        if writer.write_all(answer.as_bytes()).is_err() || close {
            return;
        }
    }
}

fn config(fake: &str) -> String {
    let mut routes = String::new();
    for r in RECEIVERS {
        routes.push_str(&format!(
            "  - matchers: [case=\"{r}\"]\n    receiver: '{r}'\n"
        ));
    }
    let sigv4 = format!("sigv4: {{region: {REGION}, access_key: {AK}, secret_key: '{SK}'}}");
    // Over the SMS limit of 1600 bytes, a multi-byte rune across it.
    let long = format!("{}é{}", "x".repeat(1599), "y".repeat(300));
    format!(
        r##"
route:
  receiver: 'sns-topic'
  group_by: [alertname]
  group_wait: 2s
  group_interval: 2s
  repeat_interval: 1h
  routes:
{routes}
receivers:
- name: 'sns-topic'
  sns_configs:
  - api_url: '{fake}/sns-topic/'
    topic_arn: 'arn:aws:sns:{REGION}:123456789012:alerts'
    attributes:
      severity: '{{{{ .CommonLabels.severity }}}}'
      team: 'ops & on-call'
    {sigv4}
- name: 'sns-fifo'
  sns_configs:
  - api_url: '{fake}/sns-fifo/'
    topic_arn: 'arn:aws:sns:{REGION}:123456789012:alerts.fifo'
    subject: '[{{{{ .Status | toUpper }}}}] {{{{ .GroupLabels.alertname }}}}'
    message: "{{{{ range .Alerts }}}}{{{{ .Labels.instance }}}}: {{{{ .Annotations.summary }}}} +/=?\\n{{{{ end }}}}"
    {sigv4}
- name: 'sns-sms'
  sns_configs:
  - api_url: '{fake}/sns-sms/'
    phone_number: '+15555550100'
    message: '{long} {{{{ .Status }}}}'
    {sigv4}
- name: 'sns-target'
  sns_configs:
  - api_url: '{fake}/sns-target/'
    target_arn: 'arn:aws:sns:{REGION}:123456789012:endpoint/GCM/app/1'
    subject: ''
    {sigv4}
"##
    )
}

fn alerts(case: &str, ends: Option<&str>) -> Vec<Value> {
    ["b", "a"]
        .iter()
        .map(|instance| {
            let mut a = json!({
                "labels": {"alertname": format!("Diff-{case}"), "case": case,
                           "instance": instance, "severity": "critical"},
                "annotations": {"summary": format!("sum <{instance}> & \"q\"")},
                "startsAt": harness::diff_starts(),
                "generatorURL": "http://prom.example.test/graph?g0.expr=up&x=<1>",
            });
            if let Some(e) = ends {
                a["endsAt"] = json!(e);
            }
            a
        })
        .collect()
}

/// Checks `r`'s SigV4 signature for its own `X-Amz-Date`, with the
/// configured keys, scope `<date>/eu-west-1/sns/aws4_request`.
fn check_signature(side: &str, r: &Recorded) {
    use tocsin::notify::sns::sigv4;
    let auth = r
        .header("authorization")
        .unwrap_or_else(|| panic!("{side}: no Authorization"));
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 Credential=")
        .unwrap_or_else(|| panic!("{side}: {auth}"));
    let (cred, rest) = rest.split_once(", SignedHeaders=").unwrap();
    let (signed, signature) = rest.split_once(", Signature=").unwrap();
    let amz_date = r.header("x-amz-date").expect("X-Amz-Date");
    let when = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc();
    assert_eq!(
        cred,
        format!("{AK}/{}/{REGION}/sns/aws4_request", &amz_date[..8]),
        "{side}"
    );
    for h in ["content-type", "host", "x-amz-date"] {
        assert!(
            signed.split(';').any(|s| s == h),
            "{side} signs {h}: {signed}"
        );
    }
    let headers: Vec<(String, String)> = signed
        .split(';')
        .map(|h| {
            let v = r
                .header(h)
                .unwrap_or_else(|| panic!("{side}: signed {h} missing"));
            (h.to_string(), v.to_string())
        })
        .collect();
    let (path, query) = r.path.split_once('?').unwrap_or((&r.path, ""));
    assert_eq!(query, "", "{side}");
    let s = sigv4::sign(
        &sigv4::Credentials {
            access_key: AK.into(),
            secret_key: SK.into(),
            session_token: None,
        },
        REGION,
        "sns",
        &sigv4::Request {
            method: &r.method,
            path,
            query: &[],
            headers: &headers,
            body: &r.body,
        },
        when,
    );
    assert_eq!(s.signature, signature, "{side}: signature of {auth}");
}

/// Compares one receiver's requests; returns the differences.
fn compare(receiver: &str, am: &[Recorded], t: &[Recorded]) -> Vec<String> {
    let mut out = Vec::new();
    if am.len() != t.len() {
        out.push(format!(
            "{receiver}: alertmanager sent {} requests, tocsin {}",
            am.len(),
            t.len()
        ));
    }
    for (i, (a, b)) in am.iter().zip(t).enumerate() {
        let what = format!("{receiver} #{i}");
        if a.method != b.method || a.path != b.path {
            out.push(format!(
                "{what}: request line: alertmanager {} {}, tocsin {} {}",
                a.method, a.path, b.method, b.path
            ));
        }
        // Alertmanager 0.34 (SDK v2) drops the `; charset=utf-8` that 0.25
        // (SDK v1) sends.
        assert_eq!(
            a.header("content-type"),
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            "{what}: 0.25's content type"
        );
        if b.header("content-type") != Some("application/x-www-form-urlencoded") {
            out.push(format!(
                "{what}: tocsin content type {:?}",
                b.header("content-type")
            ));
        }
        check_signature("alertmanager", a);
        check_signature("tocsin", b);
        let mut am_body = a.body.clone();
        let empty_map = b"&MessageAttributes=&";
        if let Some(at) = am_body
            .windows(empty_map.len())
            .position(|w| w == empty_map)
        {
            // Alertmanager 0.34 (SDK v2) leaves an empty attribute map out;
            // 0.25 (SDK v1) sends `MessageAttributes=`.
            assert!(
                !b.body.windows(empty_map.len()).any(|w| w == empty_map),
                "{what}: tocsin sends an empty MessageAttributes"
            );
            am_body.drain(at..at + empty_map.len() - 1);
        }
        if am_body != b.body {
            out.push(format!("{what}: body: {}", byte_diff(&am_body, &b.body)));
        }
    }
    out
}

#[test]
fn sns_publish_matches_alertmanager() {
    let fake = [Fake::start(), Fake::start()];
    let am = Reference::start(&config(&fake[0].url()), EXTERNAL_URL);
    let ext = format!("--web.external-url={EXTERNAL_URL}");
    let tocsin = Server::with_config(
        &config(&fake[1].url()),
        &["--enable-feature=classic-mode", &ext],
    );
    tocsin.wait_ready();
    let wait = |n: usize| {
        let ok = harness::eventually(Duration::from_secs(60), || {
            fake.iter()
                .all(|f| RECEIVERS.iter().all(|r| f.on(r).len() >= n))
        });
        assert!(
            ok,
            "waited for {n} requests per receiver; alertmanager log:\n{}\n--- tocsin log\n{}",
            am.log(),
            tocsin.seen.join("\n")
        );
    };
    let firing: Vec<Value> = RECEIVERS.iter().flat_map(|r| alerts(r, None)).collect();
    harness::post_to_both(&am, &tocsin, &firing);
    wait(1);
    let resolved: Vec<Value> = RECEIVERS
        .iter()
        .flat_map(|r| alerts(r, Some(harness::diff_ends().as_str())))
        .collect();
    harness::post_to_both(&am, &tocsin, &resolved);
    wait(2);
    // Let anything extra arrive before counting.
    std::thread::sleep(Duration::from_secs(3));
    let mut diffs = Vec::new();
    for r in RECEIVERS {
        diffs.extend(compare(r, &fake[0].on(r), &fake[1].on(r)));
    }
    // The cases the receivers are set up for did happen.
    let sms = fake[1].on("sns-sms")[0].body_text();
    assert!(
        sms.contains("MessageAttributes.entry.1.Name=truncated"),
        "{sms}"
    );
    let fifo = fake[1].on("sns-fifo")[0].body_text();
    assert!(fifo.contains("&MessageDeduplicationId="), "{fifo}");
    let target = fake[0].on("sns-target")[0].body_text();
    assert!(
        target.contains("&MessageAttributes=&"),
        "0.25 sends an empty map: {target}"
    );
    assert!(diffs.is_empty(), "{}", diffs.join("\n\n"));
}
