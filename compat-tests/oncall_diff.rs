//! PagerDuty (Events API v2), OpsGenie and VictorOps notifications of the
//! real Alertmanager 0.25 and of Tocsin (in `classic-mode`), on the same
//! configuration and the same alerts, each sent to its own recording HTTP
//! server: per receiver, the requests must match in number, order, method,
//! path and query, `Content-Type`, `Authorization` and `User-Agent` prefix,
//! and their bodies byte for byte (Go's `json.Encoder` output).
//!
//! Covered: a default config of each (PagerDuty's `url`, OpsGenie's and
//! VictorOps' `api_url` point at the fake), a config of each with every
//! field templated (PagerDuty images and links with empty ones dropped, a
//! summary cut to 1024 runes; OpsGenie responders with a templated type, a
//! `teams` responder split into teams, an empty responder dropped, tags,
//! actions, `update_alerts`, a message cut to 130 runes; VictorOps with a
//! templated routing key escaped into the path, a templated message type,
//! custom fields and a state message cut to 20480 runes), all through
//! firing and resolved.
//!
//! PagerDuty v1 (`service_key`) is not covered: Alertmanager sends it to a
//! fixed `https://events.pagerduty.com/…` URL that cannot be pointed at a
//! fake (its requests are checked by the unit tests).
//!
//! The deliberate differences, where Tocsin follows Alertmanager 0.34 and
//! the test asserts each side's form explicitly instead of comparing:
//! - PagerDuty's default `details` (0.30.0, #3944 and #4773): 0.25 renders
//!   `firing`/`resolved` as text lists and every value as a string; 0.34
//!   renders `{{ .Alerts.Firing | toJson }}` and decodes a rendered value
//!   that reads as YAML structure (`num_firing` is the number `2`, the
//!   alert lists are JSON arrays). Only `payload.custom_details` of the
//!   default receiver is set aside for the byte comparison.
//! - OpsGenie's `api_key_file` (0.28.0, #4195 "Trim whitespace from
//!   OpsGenie API Key"): 0.25 sends the file's trailing newline in the
//!   `Authorization` header, which Go's HTTP client refuses, so it sends
//!   nothing; Tocsin sends `GenieKey <key>`.

#[path = "../tests/common/mod.rs"]
mod harness;

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harness::Server;
use harness::{Recorded, Reference, byte_diff, read_request};
use serde_json::{Value, json};

/// Given to both servers, so that client URLs and sources agree.
const EXTERNAL_URL: &str = "http://am.example.test:9093";

/// What the fake answers every request.
const ANSWER: &str = r#"{"status":"success","message":"Event processed"}"#;

// ---------------------------------------------------------------------------
// The recording fake on-call service.

/// A loopback HTTP/1.1 server that records every request and answers
/// `202 Accepted` with a JSON body, as PagerDuty, OpsGenie and VictorOps
/// do (neither side reads the body of a 2xx answer).
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
        got.lock().unwrap().push(req);
        let body = ANSWER;
        let resp = format!(
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
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

const R_PD_DEFAULT: &str = "pd-default";
/// Characters `.Receiver` (`regexp.QuoteMeta`) and `urlquery` escape.
const R_PD_FULL: &str = "pd full (é) & co.";
const R_OG_DEFAULT: &str = "og-default";
const R_OG_FULL: &str = "og-full";
const R_OG_KEYFILE: &str = "og-keyfile";
const R_VO_DEFAULT: &str = "vo-default";
const R_VO_FULL: &str = "vo-full";

const RECEIVERS: [&str; 7] = [
    R_PD_DEFAULT,
    R_PD_FULL,
    R_OG_DEFAULT,
    R_OG_FULL,
    R_OG_KEYFILE,
    R_VO_DEFAULT,
    R_VO_FULL,
];

/// The path prefix of each receiver's requests on the fake.
fn prefix_of(receiver: &str) -> &'static str {
    match receiver {
        R_PD_DEFAULT => "/pd/default",
        R_PD_FULL => "/pd/full",
        R_OG_DEFAULT => "/og/",
        R_OG_FULL => "/ogfull/",
        R_OG_KEYFILE => "/ogkey/",
        R_VO_DEFAULT => "/vo/",
        R_VO_FULL => "/vofull/",
        _ => unreachable!(),
    }
}

/// The label value routing an alert to `receiver`, and its alerts' name.
fn case_of(receiver: &str) -> (&'static str, &'static str) {
    match receiver {
        R_PD_DEFAULT => ("pd-default", "DiffPdDefault"),
        R_PD_FULL => ("pd-full", "DiffPdFull"),
        R_OG_DEFAULT => ("og-default", "DiffOgDefault"),
        R_OG_FULL => ("og-full", "DiffOgFull"),
        R_OG_KEYFILE => ("og-keyfile", "DiffOgKeyfile"),
        R_VO_DEFAULT => ("vo-default", "DiffVoDefault"),
        R_VO_FULL => ("vo-full", "DiffVoFull"),
        _ => unreachable!(),
    }
}

/// 3 runes (5 bytes), two of them escaped by the JSON encoder.
const UNIT: &str = "ж<&";

fn config(fake: &str, key_file: &Path) -> String {
    let routes: String = RECEIVERS
        .iter()
        .map(|r| {
            format!(
                "  - matchers: [case=\"{}\"]\n    receiver: '{r}'\n",
                case_of(r).0
            )
        })
        .collect();
    format!(
        r##"
route:
  receiver: '{R_PD_DEFAULT}'
  group_by: [alertname]
  group_wait: 2s
  group_interval: 2s
  repeat_interval: 1h
  routes:
{routes}
receivers:
- name: '{R_PD_DEFAULT}'
  pagerduty_configs:
  - routing_key: rk-default
    url: '{fake}/pd/default'
- name: '{R_PD_FULL}'
  pagerduty_configs:
  - routing_key: 'rk-{{{{ .GroupLabels.alertname }}}}'
    url: '{fake}/pd/full?x=1'
    client: 'client {{{{ .CommonLabels.team }}}} <&>'
    client_url: '{{{{ .ExternalURL }}}}/x?r={{{{ .Receiver | urlquery }}}}'
    description: '{{{{ .Status | toUpper }}}} {{{{ .GroupLabels.alertname }}}} {pd_long}'
    severity: '{{{{ if eq .Status "firing" }}}}critical{{{{ else }}}}info{{{{ end }}}}'
    class: 'cls {{{{ .CommonLabels.severity }}}}'
    component: comp
    group: 'grp {{{{ len .Alerts }}}}'
    source: 'src {{{{ .Receiver }}}}'
    details:
      firing: '{{{{ range .Alerts.Firing }}}}{{{{ .Labels.instance }}}} {{{{ end }}}}firing'
      resolved: '{{{{ .Alerts.Resolved | len }}}} resolved'
      num_firing: 'n={{{{ .Alerts.Firing | len }}}}'
      num_resolved: 'r={{{{ .Alerts.Resolved | len }}}}'
      note: 'note {{{{ .CommonAnnotations.note }}}}'
    images:
    - src: 'https://img.example/{{{{ .GroupLabels.alertname }}}}.png'
      alt: 'alt <&>'
      href: 'https://img.example/?a=1&b=2'
    - src: '{{{{ .CommonLabels.nothing }}}}'
      alt: dropped
    links:
    - href: 'https://runbooks.example/{{{{ .GroupLabels.alertname | toLower }}}}'
      text: 'Runbook & more'
    - href: ''
      text: dropped
- name: '{R_OG_DEFAULT}'
  opsgenie_configs:
  - api_key: og-key
    api_url: '{fake}/og/'
- name: '{R_OG_FULL}'
  opsgenie_configs:
  - api_key: 'og-{{{{ .GroupLabels.alertname }}}}'
    api_url: '{fake}/ogfull'
    message: '{{{{ .Status }}}} {og_long}'
    description: 'desc {{{{ .CommonAnnotations.note }}}}'
    source: 'src {{{{ .Receiver }}}}'
    details:
      team: 'T {{{{ .CommonLabels.team }}}}'
      extra: '<b>&'
    entity: 'ent-{{{{ .GroupLabels.alertname }}}}'
    actions: 'restart, page,,'
    tags: 'a,b c,{{{{ .CommonLabels.team }}}}'
    note: 'note {{{{ len .Alerts }}}}'
    priority: P2
    update_alerts: true
    responders:
    - id: 'id-{{{{ .CommonLabels.team }}}}'
      type: team
    - name: 'ops,{{{{ .CommonLabels.team }}}}, x'
      type: teams
    - username: 'u@example.com'
      type: User
    - name: '{{{{ .CommonLabels.nothing }}}}'
      type: '{{{{ .CommonLabels.nothing }}}}'
    - name: esc
      type: '{{{{ if true }}}}escalation{{{{ end }}}}'
- name: '{R_OG_KEYFILE}'
  opsgenie_configs:
  - api_key_file: '{key_file}'
    api_url: '{fake}/ogkey/'
- name: '{R_VO_DEFAULT}'
  victorops_configs:
  - api_key: vo-key
    routing_key: team-a
    api_url: '{fake}/vo/'
- name: '{R_VO_FULL}'
  victorops_configs:
  - api_key: vo-key2
    api_url: '{fake}/vofull/'
    routing_key: 'rk {{{{ .GroupLabels.alertname }}}}'
    message_type: '{{{{ .CommonLabels.severity | toUpper }}}}'
    state_message: '{{{{ .Status }}}} {vo_long}'
    entity_display_name: 'ent {{{{ .CommonAnnotations.note }}}}'
    monitoring_tool: 'mt <&>'
    custom_fields:
      zeta: '{{{{ .Status }}}}'
      alpha: 'x & y'
      team: '{{{{ .CommonLabels.team }}}}'
"##,
        key_file = key_file.display(),
        pd_long = UNIT.repeat(400),
        og_long = UNIT.repeat(50),
        vo_long = UNIT.repeat(7000),
    )
}

/// Escaped by the JSON encoder or not, control characters included.
const NOTE: &str = "<b>&\"é tab\there \\ back \u{2028}ls 日本 😀";

fn alert(receiver: &str, instance: &str, ends: Option<&str>) -> Value {
    let (case, name) = case_of(receiver);
    let mut a = json!({
        "labels": {"alertname": name, "case": case, "instance": instance,
                   "team": "platform", "severity": "warning"},
        "annotations": {"note": NOTE, "summary": format!("sum {NOTE}")},
        "startsAt": harness::diff_starts(),
    });
    if let Some(e) = ends {
        a["endsAt"] = json!(e);
    }
    a
}

fn all_alerts(ends: Option<&str>) -> Vec<Value> {
    RECEIVERS
        .iter()
        .flat_map(|r| [alert(r, "db-2", ends), alert(r, "db-1", ends)])
        .collect()
}

// ---------------------------------------------------------------------------
// The two sides.

struct Pair {
    am: Reference,
    tocsin: Server,
    /// The fake of each side: Alertmanager's, Tocsin's.
    fake: [Recorder; 2],
    _keys: tempfile::TempDir,
}

const SIDES: [&str; 2] = ["alertmanager", "tocsin"];

impl Pair {
    fn start() -> Pair {
        let keys = tempfile::tempdir().unwrap();
        let key_file = keys.path().join("opsgenie.key");
        std::fs::write(&key_file, "og-file-key\n").unwrap();
        let fake = [Recorder::start(), Recorder::start()];
        let am = Reference::start(&config(&fake[0].url(), &key_file), EXTERNAL_URL);
        let ext = format!("--web.external-url={EXTERNAL_URL}");
        let tocsin = Server::with_config(
            &config(&fake[1].url(), &key_file),
            &["--enable-feature=classic-mode", &ext],
        );
        tocsin.wait_ready();
        Pair {
            am,
            tocsin,
            fake,
            _keys: keys,
        }
    }

    fn post_alerts(&self, alerts: &[Value]) {
        harness::post_to_both(&self.am, &self.tocsin, alerts);
    }

    /// Waits (at most `limit`) until each side's fake received at least
    /// the wanted number of requests per receiver.
    fn wait_counts(&self, want: &[[usize; 2]], limit: Duration) {
        let ok = harness::eventually(limit, || {
            self.fake.iter().enumerate().all(|(side, f)| {
                RECEIVERS
                    .iter()
                    .zip(want)
                    .all(|(r, n)| f.under(prefix_of(r)).len() >= n[side])
            })
        });
        assert!(
            ok,
            "waited {limit:?} for {want:?}; alertmanager got {:?}, tocsin got {:?}\n\
             --- alertmanager log\n{}\n--- tocsin log\n{}",
            self.fake[0].paths(),
            self.fake[1].paths(),
            self.am.log(),
            self.tocsin.seen.join("\n"),
        );
    }
}

impl Recorder {
    /// The requests whose path starts with `prefix`, in arrival order.
    fn under(&self, prefix: &str) -> Vec<Recorded> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .cloned()
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Comparison.

/// PagerDuty's `payload.custom_details` cut out of a body (where 0.25 and
/// 0.34 differ by design), and the details themselves.
fn without_custom_details(body: &[u8]) -> (Vec<u8>, Value) {
    let needle = br#","custom_details":"#;
    let Some(at) = body.windows(needle.len()).position(|w| w == needle) else {
        return (body.to_vec(), Value::Null);
    };
    let from = at + needle.len();
    let mut values = serde_json::Deserializer::from_slice(&body[from..]).into_iter::<Value>();
    let details = values.next().unwrap().unwrap();
    let to = from + values.byte_offset();
    let mut out = body[..at].to_vec();
    out.extend_from_slice(&body[to..]);
    (out, details)
}

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
        // The default PagerDuty details differ by design (see the top).
        let (ab, bb) = if receiver == R_PD_DEFAULT {
            (
                without_custom_details(&a.body).0,
                without_custom_details(&b.body).0,
            )
        } else {
            (a.body.clone(), b.body.clone())
        };
        if ab != bb {
            out.push(format!("{what}: body: {}", byte_diff(&ab, &bb)));
        }
    }
    out
}

fn parse(r: &Recorded) -> Value {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&r.body)))
}

/// sha256 hex of the group key of `receiver`'s alerts (`sha256sum` of
/// `{}/{case="<case>"}:{alertname="<name>"}`, computed independently).
fn group_key_hash(receiver: &str) -> String {
    let (case, name) = case_of(receiver);
    let key = format!("{{}}/{{case=\"{case}\"}}:{{alertname=\"{name}\"}}");
    let out = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(key.as_bytes())?;
            c.wait_with_output()
        })
        .expect("sha256sum runs");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// What each side must have sent, checked on its own (so that both being
/// wrong the same way fails too).
fn check_expectations(side: &str, got: &BTreeMap<&str, Vec<Recorded>>) {
    // PagerDuty: dedup key, trigger then resolve, truncated summary,
    // empty images and links dropped.
    for r in [R_PD_DEFAULT, R_PD_FULL] {
        let reqs = &got[r];
        assert_eq!(reqs.len(), 2, "{side}: {r}");
        let actions: Vec<Value> = reqs
            .iter()
            .map(|q| parse(q)["event_action"].clone())
            .collect();
        assert_eq!(actions, [json!("trigger"), json!("resolve")], "{side}: {r}");
        for q in reqs {
            assert_eq!(
                parse(q)["dedup_key"],
                group_key_hash(r).as_str(),
                "{side}: {r}"
            );
            assert_eq!(q.header("content-type"), Some("application/json"), "{side}");
            assert!(q.body.ends_with(b"}\n"), "{side}: {r}: a trailing newline");
        }
    }
    let full = parse(&got[R_PD_FULL][0]);
    let untruncated = format!("FIRING DiffPdFull {}", UNIT.repeat(400));
    let want: String = untruncated.chars().take(1023).chain(['…']).collect();
    assert_eq!(full["payload"]["summary"], want.as_str(), "{side}");
    assert_eq!(full["images"].as_array().unwrap().len(), 1, "{side}");
    assert_eq!(full["links"].as_array().unwrap().len(), 1, "{side}");
    assert_eq!(got[R_PD_FULL][0].path, "/pd/full?x=1", "{side}");

    // OpsGenie: create (+ updates) then close, by alias.
    let alias = group_key_hash(R_OG_FULL);
    let lines: Vec<String> = got[R_OG_FULL]
        .iter()
        .map(|q| format!("{} {}", q.method, q.path))
        .collect();
    assert_eq!(
        lines,
        [
            "POST /ogfull/v2/alerts".to_string(),
            format!("PUT /ogfull/v2/alerts/{alias}/message?identifierType=alias"),
            format!("PUT /ogfull/v2/alerts/{alias}/description?identifierType=alias"),
            format!("POST /ogfull/v2/alerts/{alias}/close?identifierType=alias"),
        ],
        "{side}"
    );
    let create = parse(&got[R_OG_FULL][0]);
    assert_eq!(
        create["message"].as_str().unwrap().chars().count(),
        130,
        "{side}"
    );
    assert_eq!(
        create["responders"],
        json!([
            {"id": "id-platform", "type": "team"},
            {"name": "ops", "type": "team"},
            {"name": "platform", "type": "team"},
            {"name": " x", "type": "team"},
            {"username": "u@example.com", "type": "User"},
            {"name": "esc", "type": "escalation"},
        ]),
        "{side}"
    );
    assert_eq!(create["tags"], json!(["a", "b c", "platform"]), "{side}");
    assert_eq!(create["actions"], json!(["restart", " page"]), "{side}");
    for q in &got[R_OG_FULL] {
        assert_eq!(
            q.header("authorization"),
            Some("GenieKey og-DiffOgFull"),
            "{side}"
        );
    }
    let og = &got[R_OG_DEFAULT];
    assert_eq!(og.len(), 2, "{side}");
    assert_eq!(
        og[0].header("authorization"),
        Some("GenieKey og-key"),
        "{side}"
    );
    assert_eq!(
        parse(&og[0])["details"]["team"],
        "platform",
        "{side}: common labels"
    );

    // VictorOps: key and escaped routing key in the path.
    let vo = &got[R_VO_FULL];
    assert_eq!(vo.len(), 2, "{side}");
    assert_eq!(vo[0].path, "/vofull/vo-key2/rk%20DiffVoFull", "{side}");
    let types: Vec<Value> = vo
        .iter()
        .map(|q| parse(q)["message_type"].clone())
        .collect();
    assert_eq!(types, [json!("WARNING"), json!("RECOVERY")], "{side}");
    assert_eq!(
        parse(&vo[0])["state_message"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        20480,
        "{side}"
    );
    assert_eq!(
        parse(&vo[0])["entity_id"],
        group_key_hash(R_VO_FULL).as_str(),
        "{side}"
    );
    assert_eq!(got[R_VO_DEFAULT][0].path, "/vo/vo-key/team-a", "{side}");
}

/// The deliberate differences, each side's form asserted.
fn check_differences(am: &BTreeMap<&str, Vec<Recorded>>, t: &BTreeMap<&str, Vec<Recorded>>) {
    // PagerDuty default details (Alertmanager 0.30.0: `toJson` defaults
    // and details decoded as YAML): text and strings in 0.25, structure in
    // 0.34.
    let (_, am_details) = without_custom_details(&am[R_PD_DEFAULT][0].body);
    let (_, t_details) = without_custom_details(&t[R_PD_DEFAULT][0].body);
    assert_eq!(am_details["num_firing"], "2");
    assert_eq!(am_details["num_resolved"], "0");
    let text = am_details["firing"].as_str().unwrap();
    assert!(
        text.starts_with("Labels:\n - alertname = DiffPdDefault\n"),
        "{text}"
    );
    assert_eq!(t_details["num_firing"], 2);
    assert_eq!(t_details["num_resolved"], 0);
    assert_eq!(t_details["resolved"], json!([]));
    let firing = t_details["firing"].as_array().unwrap();
    assert_eq!(firing.len(), 2);
    assert_eq!(
        firing[0]["labels"]["instance"], "db-1",
        "alerts in label order"
    );
    assert_eq!(firing[0]["status"], "firing");
    assert_eq!(firing[0]["startsAt"], harness::diff_starts());
    assert_eq!(firing[0]["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(firing[0]["annotations"]["note"], NOTE);
    let (_, t_resolved) = without_custom_details(&t[R_PD_DEFAULT][1].body);
    assert_eq!(t_resolved["num_resolved"], 2);
    assert_eq!(t_resolved["resolved"][1]["endsAt"], harness::diff_ends());

    // OpsGenie's key file (Alertmanager 0.28.0, #4195): 0.25 keeps the
    // newline and cannot send; 0.34 trims it.
    assert!(
        am[R_OG_KEYFILE].is_empty(),
        "alertmanager 0.25 sent {:?}",
        am[R_OG_KEYFILE]
    );
    let tk = &t[R_OG_KEYFILE];
    assert_eq!(tk.len(), 2, "tocsin: {R_OG_KEYFILE}");
    for q in tk {
        assert_eq!(q.header("authorization"), Some("GenieKey og-file-key"));
    }
    assert_eq!(tk[0].path, "/ogkey/v2/alerts");
}

#[test]
fn oncall_messages_match_alertmanager() {
    let started = Instant::now();
    let p = Pair::start();
    let am_version = harness::request(&p.am.addr, "GET", "/api/v2/status", &[], b"").json()
        ["versionInfo"]["version"]
        .clone();
    assert_eq!(am_version, "0.25.0");

    // Everything fires: one request per receiver, three for the OpsGenie
    // receiver with `update_alerts` (none for 0.25's key file).
    p.post_alerts(&all_alerts(None));
    let limit = Duration::from_secs(15);
    let firing = [[1, 1], [1, 1], [1, 1], [3, 3], [0, 1], [1, 1], [1, 1]];
    p.wait_counts(&firing, limit);
    // Everything resolves (send_resolved is on by default for all three).
    p.post_alerts(&all_alerts(Some(harness::diff_ends().as_str())));
    let resolved = [[2, 2], [2, 2], [2, 2], [4, 4], [0, 2], [2, 2], [2, 2]];
    p.wait_counts(&resolved, limit);
    // Longer than a `group_interval`: nothing more may come.
    std::thread::sleep(Duration::from_millis(2500));

    let mut got: [BTreeMap<&str, Vec<Recorded>>; 2] = Default::default();
    for (side, fake) in got.iter_mut().zip(&p.fake) {
        for r in RECEIVERS {
            side.insert(r, fake.under(prefix_of(r)));
        }
        let expected: usize = side.values().map(Vec::len).sum();
        let all: usize = fake.paths().values().sum();
        assert_eq!(all, expected, "requests on other paths: {:?}", fake.paths());
    }

    let mut differences = Vec::new();
    for r in RECEIVERS.iter().filter(|r| **r != R_OG_KEYFILE) {
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
    check_differences(&got[0], &got[1]);
    let counts: Vec<(&str, usize)> = RECEIVERS.iter().map(|r| (*r, got[1][r].len())).collect();
    eprintln!("{counts:?} requests matched in {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(90));
}
