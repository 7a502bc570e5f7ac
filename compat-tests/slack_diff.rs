//! Slack notifications of the real Alertmanager 0.25 and of Tocsin (in
//! `classic-mode`), on the same configuration and the same alerts, each
//! sent to its own recording HTTP server: per receiver, the requests must
//! match in number, order, method, path, `Content-Type`, `Authorization`
//! and `User-Agent` prefix, and their bodies byte for byte (Go's
//! `json.Encoder` output: `<>&` as `\u003c`…, a trailing newline).
//!
//! Covered: a default config (`api_url` + `channel`, whose body is also
//! checked against a literal), a config with every 0.25 field templated
//! (fields, actions with a confirmation, a templated channel, a title
//! truncated to 1024 runes, `<b>&"é` and control characters in the text),
//! the Web API (`…/api/chat.postMessage` with a bearer token) and
//! `send_resolved` through firing, partly resolved and resolved messages.
//!
//! Bodies are not normalised at all: both servers get the same
//! `--web.external-url` (the harness's `Server::alertmanager` takes no
//! flags, so the reference is started here), and every time in a body
//! comes from the alerts as posted.
//!
//! The one deliberate difference is in the fake Slack's answers, not in
//! what is compared: Alertmanager 0.25 ignores the answer body while
//! Tocsin (following 0.34) wants an incoming webhook to answer `ok` in
//! plain text and the Web API to answer JSON `{"ok":true,…}`, so the fake
//! answers each path the way Slack does.

#[path = "../tests/common/mod.rs"]
mod harness;

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harness::Server;
use harness::{Recorded, Reference, byte_diff, read_request};
use serde_json::{Value, json};

/// Given to both servers, so that `title_link` and `fallback` agree.
const EXTERNAL_URL: &str = "http://am.example.test:9093";

/// What the fake Slack's Web API answers (Tocsin requires `ok: true`).
const API_ANSWER: &str = r#"{"ok":true,"channel":"C0DIFF0001","ts":"1.1"}"#;

// ---------------------------------------------------------------------------
// The recording fake Slack.

/// A loopback HTTP/1.1 server that records every request and answers as
/// Slack does: JSON `{"ok":true,…}` under `/api/` (the Web API), plain
/// text `ok` elsewhere (incoming webhooks).
struct Recorder {
    addr: String,
    got: Arc<Mutex<Vec<Recorded>>>,
}

impl Recorder {
    fn start() -> Recorder {
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
        Recorder { addr, got }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received on `path`, in arrival order.
    fn on(&self, path: &str) -> Vec<Recorded> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    fn paths(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for r in self.got.lock().unwrap().iter() {
            *out.entry(r.path.clone()).or_default() += 1;
        }
        out
    }
}

/// Serves one connection (keep-alive: any number of requests).
fn serve(stream: TcpStream, got: &Mutex<Vec<Recorded>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut out = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some((req, close)) = read_request(&mut reader) {
        let api = req.path.starts_with("/api/");
        got.lock().unwrap().push(req);
        let (ctype, body) = if api {
            ("application/json", API_ANSWER)
        } else {
            ("text/plain; charset=utf-8", "ok")
        };
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if out.write_all(resp.as_bytes()).is_err() || close {
            return;
        }
    }
}

// ---------------------------------------------------------------------------
// The reference, started with `--web.external-url`.

// ---------------------------------------------------------------------------
// The configuration and the alerts.

/// Receiver names; the full one has characters that `.Receiver`
/// (`regexp.QuoteMeta`) and `urlquery` escape.
const R_DEFAULT: &str = "slack-default";
const R_FULL: &str = "full (é) & co.";
const R_WEBAPI: &str = "webapi";
const R_RESOLVED: &str = "resolved";

/// The path each receiver's Slack URL has on the fake.
fn path_of(receiver: &str) -> &'static str {
    match receiver {
        R_DEFAULT => "/hooks/default",
        R_FULL => "/hooks/full",
        R_WEBAPI => "/api/chat.postMessage",
        R_RESOLVED => "/hooks/resolved",
        _ => unreachable!(),
    }
}

/// The repeated part of the full config's title: 3 runes (5 bytes), two
/// of them escaped by the JSON encoder.
const TITLE_UNIT: &str = "ж<&";
const TITLE_UNITS: usize = 400;

fn config(slack: &str) -> String {
    let long_title = format!(
        "{{{{ .Status | toUpper }}}} {{{{ .GroupLabels.alertname }}}} {}",
        TITLE_UNIT.repeat(TITLE_UNITS)
    );
    format!(
        r##"
route:
  receiver: '{R_DEFAULT}'
  group_by: [alertname]
  group_wait: 2s
  group_interval: 2s
  repeat_interval: 1h
  routes:
  - matchers: [case="default"]
    receiver: '{R_DEFAULT}'
  - matchers: [case="full"]
    receiver: '{R_FULL}'
  - matchers: [case="webapi"]
    receiver: '{R_WEBAPI}'
  - matchers: [case="resolved"]
    receiver: '{R_RESOLVED}'
receivers:
- name: '{R_DEFAULT}'
  slack_configs:
  - api_url: '{slack}{p_default}'
    channel: '#alerts'
- name: '{R_FULL}'
  slack_configs:
  - api_url: '{slack}{p_full}'
    channel: '#{{{{ .CommonLabels.team }}}}'
    username: 'bot {{{{ .CommonLabels.team | toUpper }}}} <&>'
    color: '{{{{ if eq .Status "firing" }}}}#d00000{{{{ else }}}}#00d000{{{{ end }}}}'
    title: '{long_title}'
    title_link: '{{{{ .ExternalURL }}}}/#/alerts?receiver={{{{ .Receiver | urlquery }}}}&x=<y>'
    pretext: 'pre {{{{ .CommonAnnotations.summary }}}} {{{{ .Alerts.Firing | len }}}}/{{{{ len .Alerts }}}}'
    text: |-
      {{{{ range .Alerts }}}}* {{{{ .Labels.instance }}}}: {{{{ .Annotations.description }}}} since {{{{ .StartsAt.Format "2006-01-02 15:04:05 MST" }}}} ({{{{ .StartsAt }}}})
      {{{{ end }}}}<b>&"é {{{{ .CommonLabels.SortedPairs.Names | join "," }}}}
    fallback: '{{{{ .GroupLabels.SortedPairs.Values | join "," }}}} {{{{ len .Alerts }}}} alerts {{{{ .CommonLabels.note }}}}'
    callback_id: 'cb-{{{{ .GroupLabels.alertname }}}}-{{{{ .Status }}}}'
    footer: 'footer {{{{ .Receiver }}}} ü'
    icon_emoji: ':fire:'
    icon_url: 'https://example.com/icon.png?a=1&b=<2>'
    image_url: 'https://example.com/img/{{{{ .CommonLabels.team }}}}.png'
    thumb_url: 'https://example.com/thumb/{{{{ .GroupLabels.alertname | toLower }}}}.png'
    link_names: true
    short_fields: true
    mrkdwn_in: [text, title]
    fields:
    - title: 'Severity'
      value: '{{{{ .CommonLabels.severity }}}}'
    - title: 'Note &'
      value: '{{{{ .CommonAnnotations.note }}}}'
      short: false
    - title: 'Count'
      value: '{{{{ .Alerts.Firing | len }}}}'
      short: true
    actions:
    - type: button
      text: 'Runbook {{{{ .CommonLabels.team }}}}'
      url: '{{{{ .CommonAnnotations.runbook }}}}'
      style: primary
      name: dropped-for-a-link
      value: dropped-too
    - type: button
      text: 'Ack <{{{{ .GroupLabels.alertname }}}}>'
      name: ack
      value: '{{{{ .GroupLabels.alertname }}}}&{{{{ .CommonLabels.team }}}}'
      style: danger
      confirm:
        title: 'Sure?'
        text: 'Ack {{{{ len .Alerts }}}} alerts <now> & é?'
        ok_text: 'Yes & go'
        dismiss_text: 'No'
- name: '{R_WEBAPI}'
  slack_configs:
  - api_url: '{slack}{p_webapi}'
    http_config:
      authorization:
        credentials: xoxb-diff
    channel: '#webapi'
    send_resolved: true
    text: '{{{{ range .Alerts }}}}{{{{ .Labels.instance }}}} {{{{ .Status }}}};{{{{ end }}}}'
- name: '{R_RESOLVED}'
  slack_configs:
  - api_url: '{slack}{p_resolved}'
    channel: '@oncall'
    send_resolved: true
"##,
        p_default = path_of(R_DEFAULT),
        p_full = path_of(R_FULL),
        p_webapi = path_of(R_WEBAPI),
        p_resolved = path_of(R_RESOLVED),
    )
}

/// `<b>&"é` and more: escaped by the JSON encoder, or not (é, 日本).
const NOTE: &str = "<b>&\"é";
/// Control characters Go escapes in its own ways (`\t`, `\n`, `\u0008`,
/// `\u0007`), a backslash, U+2028 and characters outside the BMP.
const WEIRD: &str = "tab\there\nnl \u{8}bs \u{7}bel \\ back \u{2028}ls 日本 😀 <b>&\"é";

/// `since <StartsAt.Format> (<StartsAt>)` as the full receiver's template
/// writes the start time.
fn go_since() -> String {
    let t = harness::diff_times().0;
    format!(
        "since {} UTC ({}.123 +0000 UTC)",
        t.format("%Y-%m-%d %H:%M:%S"),
        t.format("%Y-%m-%d %H:%M:%S")
    )
}

fn alert(labels: Value, annotations: Value, ends: Option<&str>) -> Value {
    let mut a =
        json!({"labels": labels, "annotations": annotations, "startsAt": harness::diff_starts()});
    if let Some(e) = ends {
        a["endsAt"] = json!(e);
    }
    a
}

fn default_alert(instance: &str) -> Value {
    alert(
        json!({"alertname": "DiffDefault", "case": "default", "instance": instance,
               "note": NOTE, "severity": "warning"}),
        json!({"summary": format!("sum {NOTE}")}),
        None,
    )
}

fn full_alert(instance: &str, description: &str) -> Value {
    alert(
        json!({"alertname": "DiffFull", "case": "full", "instance": instance,
               "team": "platform", "severity": "critical", "note": NOTE}),
        json!({
            "summary": "Disk <full> & \"hot\" é",
            "description": description,
            "note": format!("note {NOTE} ü 日本"),
            "runbook": "https://runbooks.example/disk?a=1&b=<2>",
        }),
        None,
    )
}

fn webapi_alert(ends: Option<&str>) -> Value {
    alert(
        json!({"alertname": "DiffWebApi", "case": "webapi", "instance": "x<&>"}),
        json!({"summary": NOTE}),
        ends,
    )
}

fn resolved_alert(instance: &str, ends: Option<&str>) -> Value {
    alert(
        json!({"alertname": "DiffResolved", "case": "resolved", "instance": instance,
               "severity": "critical"}),
        json!({"summary": WEIRD}),
        ends,
    )
}

/// The exact body of the default config's message, written out by hand
/// from Alertmanager 0.25's templates (`__subject`, `__alertmanagerURL`,
/// `color` danger, `username` Alertmanager) and Go's JSON encoding.
const DEFAULT_BODY: &str = concat!(
    r##"{"channel":"#alerts","username":"Alertmanager","attachments":[{"##,
    r#""title":"[FIRING:2] DiffDefault (default \u003cb\u003e\u0026\"é warning)","#,
    r#""title_link":"http://am.example.test:9093/#/alerts?receiver=slack-default","#,
    r#""text":"","#,
    r#""fallback":"[FIRING:2] DiffDefault (default \u003cb\u003e\u0026\"é warning) | "#,
    r#"http://am.example.test:9093/#/alerts?receiver=slack-default","#,
    r#""callback_id":"","footer":"","color":"danger","mrkdwn_in":["fallback","pretext","text"]}]}"#,
    "\n"
);

// ---------------------------------------------------------------------------
// The two sides.

struct Pair {
    am: Reference,
    tocsin: Server,
    /// The fake Slack of each side: Alertmanager's, Tocsin's.
    slack: [Recorder; 2],
}

const SIDES: [&str; 2] = ["alertmanager", "tocsin"];

impl Pair {
    fn start() -> Pair {
        let slack = [Recorder::start(), Recorder::start()];
        let am = Reference::start(&config(&slack[0].url()), EXTERNAL_URL);
        let ext = format!("--web.external-url={EXTERNAL_URL}");
        let tocsin = Server::with_config(
            &config(&slack[1].url()),
            &["--enable-feature=classic-mode", &ext],
        );
        tocsin.wait_ready();
        Pair { am, tocsin, slack }
    }

    fn post_alerts(&self, alerts: &[Value]) {
        harness::post_to_both(&self.am, &self.tocsin, alerts);
    }

    /// Waits (at most `limit`) until both fakes received at least `want`
    /// requests per receiver.
    fn wait_counts(&self, want: &[(&str, usize)], limit: Duration) {
        let ok = harness::eventually(limit, || {
            self.slack
                .iter()
                .all(|s| want.iter().all(|(r, n)| s.on(path_of(r)).len() >= *n))
        });
        assert!(
            ok,
            "waited {limit:?} for {want:?}; alertmanager got {:?}, tocsin got {:?}\n\
             --- alertmanager log\n{}\n--- tocsin log\n{}",
            self.slack[0].paths(),
            self.slack[1].paths(),
            self.am.log(),
            self.tocsin.seen.join("\n"),
        );
    }
}

// ---------------------------------------------------------------------------
// Comparison.

/// The differences between the two sides' requests for `receiver`, one
/// message each; empty when they match.
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
        for h in ["content-type", "authorization"] {
            if a.header(h) != b.header(h) {
                out.push(format!(
                    "{what}: {h}: alertmanager {:?}, tocsin {:?}",
                    a.header(h),
                    b.header(h)
                ));
            }
        }
        for (side, r) in SIDES.iter().zip([a, b]) {
            let ua = r.header("user-agent").unwrap_or("");
            if !ua.starts_with("Alertmanager/") {
                out.push(format!("{what}: {side}: User-Agent {ua:?}"));
            }
        }
        if a.body != b.body {
            out.push(format!("{what}: body: {}", byte_diff(&a.body, &b.body)));
        }
    }
    out
}

fn parse(r: &Recorded) -> Value {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&r.body)))
}

fn attachment(r: &Recorded) -> Value {
    parse(r)["attachments"][0].clone()
}

/// What the reference and Tocsin each must have sent, checked on each side
/// on its own (so that both being wrong the same way fails too).
fn check_expectations(side: &str, got: &BTreeMap<&str, Vec<Recorded>>) {
    // (a) The default config, as a literal.
    let d = &got[R_DEFAULT];
    assert_eq!(d.len(), 1, "{side}: {R_DEFAULT}");
    assert_eq!(
        String::from_utf8_lossy(&d[0].body),
        DEFAULT_BODY,
        "{side}: the default config's body"
    );
    for (r, reqs) in got {
        for req in reqs {
            assert_eq!(req.method, "POST", "{side}: {r}");
            assert_eq!(
                req.header("content-type"),
                Some("application/json"),
                "{side}: {r}"
            );
            assert!(
                req.body.ends_with(b"}\n"),
                "{side}: {r}: a trailing newline"
            );
            let auth = (*r == R_WEBAPI).then_some("Bearer xoxb-diff");
            assert_eq!(req.header("authorization"), auth, "{side}: {r}");
        }
    }

    // (b) The title is cut to 1024 runes, the last one an ellipsis.
    let full = &got[R_FULL];
    assert_eq!(full.len(), 1, "{side}: {R_FULL}");
    let att = attachment(&full[0]);
    let untruncated = format!("FIRING DiffFull {}", TITLE_UNIT.repeat(TITLE_UNITS));
    let want: String = untruncated.chars().take(1023).chain(['…']).collect();
    assert_eq!(att["title"], want.as_str(), "{side}: the truncated title");
    let body = String::from_utf8_lossy(&full[0].body).into_owned();
    for escaped in [
        // Go's encoder escapes these, and `.Receiver` is QuoteMeta'd.
        r##""channel":"#platform""##,
        r#""link_names":true"#,
        r#""footer":"footer full \\(é\\) \u0026 co\\. ü""#,
        r#"receiver=full+%5C%28%C3%A9%5C%29+%26+co%5C.\u0026x=\u003cy\u003e""#,
        r#""pretext":"pre Disk \u003cfull\u003e \u0026 \"hot\" é 2/2""#,
        // Go's time.Format and time.Time.String.
        &go_since(),
        r#"tab\there\nnl \u0008bs \u0007bel \\ back \u2028ls 日本 😀 \u003cb\u003e\u0026\"é"#,
    ] {
        assert!(body.contains(escaped), "{side}: {escaped} in\n{body}");
    }
    let actions = att["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 2, "{side}");
    // A link button keeps neither name, value nor confirm.
    assert_eq!(
        actions[0],
        json!({"type": "button", "text": "Runbook platform",
               "url": "https://runbooks.example/disk?a=1&b=<2>", "style": "primary"}),
        "{side}"
    );
    assert_eq!(
        actions[1]["confirm"],
        json!({"text": "Ack 2 alerts <now> & é?", "title": "Sure?",
               "ok_text": "Yes & go", "dismiss_text": "No"}),
        "{side}"
    );
    let shorts: Vec<&Value> = att["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["short"])
        .collect();
    assert_eq!(shorts, [true, false, true], "{side}: short per field");

    // (c), (d) Firing, then resolved: color and title follow the status.
    let statuses = |r: &str| -> Vec<(String, String)> {
        got[r]
            .iter()
            .map(|q| {
                let a = attachment(q);
                let title = a["title"].as_str().unwrap_or("");
                (
                    title.split(']').next().unwrap_or("").to_string() + "]",
                    a["color"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let s = |t: &str, c: &str| (t.to_string(), c.to_string());
    assert_eq!(
        statuses(R_WEBAPI),
        [s("[FIRING:1]", "danger"), s("[RESOLVED]", "good")],
        "{side}: {R_WEBAPI}"
    );
    assert_eq!(
        statuses(R_RESOLVED),
        [
            s("[FIRING:2]", "danger"),
            s("[FIRING:1]", "danger"),
            s("[RESOLVED]", "good")
        ],
        "{side}: {R_RESOLVED}"
    );
}

#[test]
fn slack_messages_match_alertmanager() {
    let started = Instant::now();
    let p = Pair::start();
    let am_version = harness::request(&p.am.addr, "GET", "/api/v2/status", &[], b"").json()
        ["versionInfo"]["version"]
        .clone();
    assert_eq!(am_version, "0.25.0");

    // Everything fires.
    p.post_alerts(&[
        default_alert("b"),
        default_alert("a"),
        full_alert("db-2", WEIRD),
        full_alert("db-1", "plain & simple"),
        webapi_alert(None),
        resolved_alert("a", None),
        resolved_alert("b", None),
    ]);
    let limit = Duration::from_secs(10);
    p.wait_counts(
        &[(R_DEFAULT, 1), (R_FULL, 1), (R_WEBAPI, 1), (R_RESOLVED, 1)],
        limit,
    );
    // One alert of `resolved` and the Web API's resolve: the next
    // `group_interval` tick sends them.
    p.post_alerts(&[
        webapi_alert(Some(harness::diff_ends().as_str())),
        resolved_alert("a", Some(harness::diff_ends().as_str())),
    ]);
    p.wait_counts(&[(R_WEBAPI, 2), (R_RESOLVED, 2)], limit);
    // The rest of `resolved` resolves.
    p.post_alerts(&[resolved_alert("b", Some(harness::diff_ends().as_str()))]);
    p.wait_counts(&[(R_RESOLVED, 3)], limit);
    // Longer than a `group_interval`: nothing more may come.
    std::thread::sleep(Duration::from_millis(2500));

    let receivers = [R_DEFAULT, R_FULL, R_WEBAPI, R_RESOLVED];
    let mut got: [BTreeMap<&str, Vec<Recorded>>; 2] = Default::default();
    for (side, slack) in got.iter_mut().zip(&p.slack) {
        for r in receivers {
            side.insert(r, slack.on(path_of(r)));
        }
        let expected: usize = side.values().map(Vec::len).sum();
        let all: usize = slack.paths().values().sum();
        assert_eq!(
            all,
            expected,
            "requests on other paths: {:?}",
            slack.paths()
        );
    }

    let mut differences = Vec::new();
    for r in receivers {
        differences.extend(compare(r, &got[0][r], &got[1][r]));
    }
    for d in &differences {
        eprintln!("DIFFERENCE {d}\n");
    }
    assert!(
        differences.is_empty(),
        "{} differences from Alertmanager (details above)",
        differences.len()
    );
    for (side, g) in SIDES.iter().zip(&got) {
        check_expectations(side, g);
    }
    let counts: Vec<(&str, usize)> = receivers.iter().map(|r| (*r, got[0][r].len())).collect();
    eprintln!(
        "{counts:?} requests matched byte for byte in {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}
