//! Chat integrations (Telegram, Discord, Webex, WeChat) of the real
//! Alertmanager 0.25 and of Tocsin (in `classic-mode`), on the same
//! configuration and the same alerts, each sent to its own recording HTTP
//! server: per receiver, the requests must match in number, order,
//! method, path and query, `Content-Type`, `Authorization` and
//! `User-Agent` prefix, and their bodies byte for byte (Go's
//! `json.Encoder` output: `<>&` as `\u003c`…, a trailing newline).
//!
//! Bodies are not normalised: both servers get the same
//! `--web.external-url`, and every time in a body comes from the alerts as
//! posted. Where Alertmanager 0.34 (which Tocsin follows) deliberately
//! changed what is sent, the receiver is set up to show the change and
//! the test asserts it explicitly, naming the release:
//!
//! - Telegram, `parse_mode: HTML`, a message over 4096 runes: 0.25 cuts it
//!   (`…`), 0.34 sends a notice instead (cutting could break the HTML).
//! - Discord, an embed title over 256 runes: 0.25 sends it whole, 0.34
//!   (since 0.26) cuts it to 256 runes.
//! - Webex, a templated `room_id`: 0.25 sends the template text, 0.34
//!   renders it.
//!
//! The fakes answer each service the way it answers: Telegram JSON
//! `{"ok":true,…}` (0.25's telebot fails without it), WeChat a token on
//! `gettoken` and `{"errcode":0,…}` on `message/send`, the others an empty
//! 200.

#[path = "../tests/common/mod.rs"]
mod harness;

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harness::Server;
use harness::{Recorded, Reference, read_request};
use serde_json::{Value, json};

/// Given to both servers, so that links in messages agree.
const EXTERNAL_URL: &str = "http://am.example.test:9093";

/// What the fake Telegram answers to `sendMessage`.
const TELEGRAM_OK: &str =
    r#"{"ok":true,"result":{"message_id":1,"date":0,"chat":{"id":-100123,"type":"group"}}}"#;
/// What the fake WeChat answers.
const WECHAT_TOKEN: &str =
    r#"{"errcode":0,"errmsg":"ok","access_token":"wc-token-1","expires_in":7200}"#;
const WECHAT_SENT: &str = r#"{"errcode":0,"errmsg":"ok"}"#;

// ---------------------------------------------------------------------------
// The recording fake services.

/// The receiver a request is for: the first path segment, or for
/// Pushover (whose URL is fixed) the `user` parameter.
fn receiver_of(r: &Recorded) -> String {
    if let Some(query) = r.path.strip_prefix("/1/messages.json?") {
        return url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "user")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
    }
    r.path.split(['/', '?']).nth(1).unwrap_or("").to_string()
}

/// A loopback HTTP/1.1 server that records every request and answers as
/// the service its path names.
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
        let certs = tempfile::tempdir().unwrap();
        let tls = tls_config(certs.path());
        std::thread::spawn(move || {
            let _certs = certs;
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let (g, tls) = (g.clone(), tls.clone());
                std::thread::spawn(move || serve(stream, &g, &tls));
            }
        });
        Recorder { addr, got }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests for `receiver`, in arrival order.
    fn on(&self, receiver: &str) -> Vec<Recorded> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| receiver_of(r) == receiver)
            .cloned()
            .collect()
    }

    fn receivers(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for r in self.got.lock().unwrap().iter() {
            *out.entry(receiver_of(r)).or_default() += 1;
        }
        out
    }
}

/// The answer to a request on `path`.
fn answer(path: &str) -> (&'static str, &'static str) {
    let path = path.split('?').next().unwrap_or("");
    if path.starts_with("/tg-") {
        ("application/json", TELEGRAM_OK)
    } else if path == "/1/messages.json" {
        ("application/json", r#"{"status":1,"request":"diff"}"#)
    } else if path.ends_with("/gettoken") {
        ("application/json", WECHAT_TOKEN)
    } else if path.ends_with("/message/send") {
        ("application/json", WECHAT_SENT)
    } else {
        ("text/plain; charset=utf-8", "")
    }
}

/// Serves one connection (keep-alive: any number of requests). A
/// `CONNECT` (a client using the fake as its proxy, as the Pushover
/// receivers do to reach the fixed `https://api.pushover.net`) is
/// accepted and the tunnel's TLS terminated here with a certificate the
/// clients are told not to verify, so that the requests inside are
/// recorded like the others.
fn serve(stream: TcpStream, got: &Mutex<Vec<Recorded>>, tls: &Arc<rustls::ServerConfig>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream);
    let Some((first, _)) = read_request(&mut reader) else {
        return;
    };
    if first.method == "CONNECT" {
        let mut tcp = reader.into_inner();
        if tcp
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_err()
        {
            return;
        }
        let conn = rustls::ServerConnection::new(tls.clone()).unwrap();
        let mut inner = BufReader::new(rustls::StreamOwned::new(conn, tcp));
        serve_requests(&mut inner, None, got);
    } else {
        serve_requests(&mut reader, Some(first), got);
    }
}

/// Answers `first` (if given), then every request read from `reader`.
fn serve_requests<S: std::io::Read + Write>(
    reader: &mut BufReader<S>,
    mut first: Option<Recorded>,
    got: &Mutex<Vec<Recorded>>,
) {
    loop {
        let (req, close) = match first.take() {
            Some(r) => {
                let close = r
                    .header("connection")
                    .is_some_and(|v| v.eq_ignore_ascii_case("close"));
                (r, close)
            }
            None => match read_request(reader) {
                Some(x) => x,
                None => return,
            },
        };
        let (ctype, body) = answer(&req.path);
        got.lock().unwrap().push(req);
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let out = reader.get_mut();
        if out.write_all(resp.as_bytes()).is_err() || out.flush().is_err() || close {
            return;
        }
    }
}

/// The TLS side of the fake: a certificate made with openssl in `dir`.
fn tls_config(dir: &Path) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    harness::tls_certificates(dir);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.crt"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    )
}

// ---------------------------------------------------------------------------
// The reference, started with `--web.external-url`.

// ---------------------------------------------------------------------------
// The configuration and the alerts.

/// Every receiver, named after the path its service URL has on the fake.
const TG_DEFAULT: &str = "tg-default";
const TG_FULL: &str = "tg-full";
const TG_HTML: &str = "tg-html";
const TG_LONG_HTML: &str = "tg-long-html";
const DC_DEFAULT: &str = "dc-default";
const DC_FULL: &str = "dc-full";
const DC_LONG_TITLE: &str = "dc-long-title";
const WX_DEFAULT: &str = "wx-default";
const WX_FULL: &str = "wx-full";
const WX_ROOM_TEMPLATE: &str = "wx-room-template";
const WC_DEFAULT: &str = "wc-default";
const WC_FULL: &str = "wc-full";
const PO_DEFAULT: &str = "po-default";
const PO_FULL: &str = "po-full";

const RECEIVERS: [&str; 14] = [
    TG_DEFAULT,
    TG_FULL,
    TG_HTML,
    TG_LONG_HTML,
    DC_DEFAULT,
    DC_FULL,
    DC_LONG_TITLE,
    WX_DEFAULT,
    WX_FULL,
    WX_ROOM_TEMPLATE,
    WC_DEFAULT,
    WC_FULL,
    PO_DEFAULT,
    PO_FULL,
];

/// Receivers whose alerts resolve after they fired.
const RESOLVING: [&str; 5] = [TG_DEFAULT, DC_DEFAULT, WX_DEFAULT, WC_DEFAULT, PO_DEFAULT];

/// The requests one notification makes: WeChat fetches a token first
/// (once: it is cached).
fn first_requests(receiver: &str) -> usize {
    if receiver.starts_with("wc-") { 2 } else { 1 }
}

/// A unit repeated to make long texts: 3 runes (5 bytes), two of them
/// escaped by the JSON encoder and by html/template.
const UNIT: &str = "ж<&";

/// `<b>&"é` and more: escaped by the JSON encoder, or not (é, 日本).
const NOTE: &str = "<b>&\"é";
/// Control characters Go escapes in its own ways (`\t`, `\n`, `\u0008`,
/// `\u0007`), a backslash, U+2028 and characters outside the BMP.
const WEIRD: &str = "tab\there\nnl \u{8}bs \u{7}bel \\ back \u{2028}ls 日本 😀 <b>&\"é";

/// The rich message several receivers use.
const RICH: &str = r#"{{ .Status | toUpper }} {{ .GroupLabels.alertname }} for {{ .Receiver }}
{{ range .Alerts }}* {{ .Labels.instance }}: {{ .Annotations.description }} since {{ .StartsAt.Format "2006-01-02 15:04:05 MST" }} ({{ .StartsAt }})
{{ end }}{{ .CommonAnnotations.summary }} {{ .CommonLabels.SortedPairs.Names | join "," }}
{{ template "__alertmanagerURL" . }}"#;

/// `text` indented for a YAML block scalar at `indent` spaces.
fn block(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn config(fake: &str) -> String {
    let mut routes = String::new();
    for r in RECEIVERS {
        routes.push_str(&format!(
            "  - matchers: [case=\"{r}\"]\n    receiver: '{r}'\n"
        ));
    }
    let rich = block(RICH, 6);
    let rich_html = block(&format!("{RICH}\n<b>bold</b> 1 < 2 & 3 > 2"), 6);
    let long_tg = format!("{{{{ .Status }}}} {}", UNIT.repeat(1500));
    let long_title = format!(
        "{{{{ .Status | toUpper }}}} {{{{ .GroupLabels.alertname }}}} {}",
        UNIT.repeat(100)
    );
    let tg_full = format!("{RICH}\n{}", UNIT.repeat(1400));
    let tg_full = block(&tg_full, 6);
    // Over Pushover's 250 runes: cut by both.
    let long_po_title = UNIT.repeat(90);
    // Over Webex's 7439 bytes: cut by both. ASCII only: Alertmanager's
    // `TruncateInBytes` (0.25 and 0.34 alike) slices the runes at the byte
    // limit and panics — killing the process — when the text has fewer
    // runes than that; Tocsin cuts such text without crashing (see the
    // unit tests).
    let wx_full = block(&format!("{RICH}\n{}", "a<&".repeat(3000)), 6);
    format!(
        r##"
route:
  receiver: '{TG_DEFAULT}'
  group_by: [alertname]
  group_wait: 2s
  group_interval: 2s
  repeat_interval: 1h
  routes:
{routes}
receivers:
- name: '{TG_DEFAULT}'
  telegram_configs:
  - api_url: '{fake}/{TG_DEFAULT}'
    bot_token: '111:default'
    chat_id: -100123
- name: '{TG_FULL}'
  telegram_configs:
  - api_url: '{fake}/{TG_FULL}'
    bot_token: '222:full'
    chat_id: 42
    parse_mode: MarkdownV2
    disable_notifications: true
    message: |-
{tg_full}
- name: '{TG_HTML}'
  telegram_configs:
  - api_url: '{fake}/{TG_HTML}'
    bot_token: '333:html'
    chat_id: 7
    parse_mode: HTML
    message: |-
{rich_html}
- name: '{TG_LONG_HTML}'
  telegram_configs:
  - api_url: '{fake}/{TG_LONG_HTML}'
    bot_token: '444:long'
    chat_id: 8
    message: '{long_tg}'
- name: '{DC_DEFAULT}'
  discord_configs:
  - webhook_url: '{fake}/{DC_DEFAULT}/api/webhooks/1/tok'
- name: '{DC_FULL}'
  discord_configs:
  - webhook_url: '{fake}/{DC_FULL}/api/webhooks/2/tok'
    title: '{{{{ .Status | toUpper }}}} <{{{{ .GroupLabels.alertname }}}}> & {{{{ .CommonLabels.note }}}}'
    message: |-
{rich}
- name: '{DC_LONG_TITLE}'
  discord_configs:
  - webhook_url: '{fake}/{DC_LONG_TITLE}/api/webhooks/3/tok'
    title: '{long_title}'
- name: '{WX_DEFAULT}'
  webex_configs:
  - api_url: '{fake}/{WX_DEFAULT}/v1/messages'
    room_id: 'room-1'
    http_config:
      authorization:
        credentials: wx-token
- name: '{WX_FULL}'
  webex_configs:
  - api_url: '{fake}/{WX_FULL}/v1/messages'
    room_id: 'Y2lzY29zcGFyazovL3VzL1JPT00v'
    send_resolved: false
    http_config:
      authorization:
        type: Token
        credentials: wx-full-token
    message: |-
{wx_full}
- name: '{WX_ROOM_TEMPLATE}'
  webex_configs:
  - api_url: '{fake}/{WX_ROOM_TEMPLATE}/v1/messages'
    room_id: '{{{{ .GroupLabels.alertname }}}}-room'
    http_config:
      authorization:
        credentials: wx-token
    message: 'short'
- name: '{WC_DEFAULT}'
  wechat_configs:
  - api_url: '{fake}/{WC_DEFAULT}/cgi-bin/'
    api_secret: 'sec ret&+/é'
    corp_id: 'corp-1'
    send_resolved: true
- name: '{WC_FULL}'
  wechat_configs:
  - api_url: '{fake}/{WC_FULL}/cgi-bin/?debug=1'
    api_secret: 's2'
    corp_id: 'corp-{{{{ .CommonLabels.severity }}}}'
    to_user: '@all|{{{{ .CommonLabels.severity }}}}'
    to_party: '2|3'
    to_tag: 'tag <{{{{ .GroupLabels.alertname }}}}>'
    agent_id: '1000002'
    message_type: markdown
    message: |-
{rich}
- name: '{PO_DEFAULT}'
  pushover_configs:
  - user_key: '{PO_DEFAULT}'
    token: 'tok en&+/é'
    http_config:
      proxy_url: '{fake}'
      tls_config:
        insecure_skip_verify: true
- name: '{PO_FULL}'
  pushover_configs:
  - user_key: '{PO_FULL}'
    token: 'tok-full'
    title: '{{{{ .Status | toUpper }}}} <{{{{ .GroupLabels.alertname }}}}> & é {long_po_title}'
    message: |-
{rich_html}
    html: true
    url: '{{{{ .ExternalURL }}}}/#/alerts?x=<1>&{{{{ .Receiver | urlquery }}}}'
    url_title: 'open {{{{ .Status }}}}'
    sound: 'siren'
    priority: '{{{{ if eq .Status "firing" }}}}1{{{{ else }}}}-1{{{{ end }}}}'
    retry: 1m30s
    expire: 2h
    http_config:
      proxy_url: '{fake}'
      tls_config:
        insecure_skip_verify: true
"##
    )
}

fn alert(case: &str, instance: &str, description: &str, ends: Option<&str>) -> Value {
    let mut a = json!({
        "labels": {"alertname": format!("Diff-{case}"), "case": case, "instance": instance,
                   "note": NOTE, "severity": "critical"},
        "annotations": {"summary": format!("sum {NOTE}"), "description": description},
        "startsAt": harness::diff_starts(),
        "generatorURL": "http://prom.example.test/graph?g0.expr=up&x=<1>",
    });
    if let Some(e) = ends {
        a["endsAt"] = json!(e);
    }
    a
}

/// The alerts of `case`: two, one with control characters.
fn alerts_of(case: &str, ends: Option<&str>) -> Vec<Value> {
    vec![
        alert(case, "b", WEIRD, ends),
        alert(case, "a", "plain & simple", ends),
    ]
}

// ---------------------------------------------------------------------------
// The two sides.

struct Pair {
    am: Reference,
    tocsin: Server,
    /// The fake services of each side: Alertmanager's, Tocsin's.
    fake: [Recorder; 2],
}

const SIDES: [&str; 2] = ["alertmanager", "tocsin"];

impl Pair {
    fn start() -> Pair {
        let fake = [Recorder::start(), Recorder::start()];
        let am = Reference::start(&config(&fake[0].url()), EXTERNAL_URL);
        let ext = format!("--web.external-url={EXTERNAL_URL}");
        let tocsin = Server::with_config(
            &config(&fake[1].url()),
            &["--enable-feature=classic-mode", &ext],
        );
        tocsin.wait_ready();
        Pair { am, tocsin, fake }
    }

    fn post_alerts(&self, alerts: &[Value]) {
        harness::post_to_both(&self.am, &self.tocsin, alerts);
    }

    /// Waits (at most `limit`) until both fakes received at least `want`
    /// requests per receiver.
    fn wait_counts(&self, want: &[(&str, usize)], limit: Duration) {
        let ok = harness::eventually(limit, || {
            self.fake
                .iter()
                .all(|s| want.iter().all(|(r, n)| s.on(r).len() >= *n))
        });
        assert!(
            ok,
            "waited {limit:?} for {want:?}; alertmanager got {:?}, tocsin got {:?}\n\
             --- alertmanager log\n{}\n--- tocsin log\n{}",
            self.fake[0].receivers(),
            self.fake[1].receivers(),
            self.am.log(),
            self.tocsin.seen.join("\n"),
        );
    }
}

// ---------------------------------------------------------------------------
// Comparison.

/// Where two bodies first differ, with some context from each.
fn byte_diff(am: &[u8], t: &[u8]) -> String {
    let at = am
        .iter()
        .zip(t)
        .position(|(a, b)| a != b)
        .unwrap_or(am.len().min(t.len()));
    let around = |b: &[u8]| {
        let from = at.saturating_sub(60);
        let to = (at + 60).min(b.len());
        String::from_utf8_lossy(&b[from..to]).into_owned()
    };
    format!(
        "first difference at byte {at} (lengths {} and {}):\n  alertmanager: …{}…\n  tocsin:       …{}…\n\
         --- alertmanager body\n{}\n--- tocsin body\n{}",
        am.len(),
        t.len(),
        around(am),
        around(t),
        String::from_utf8_lossy(am),
        String::from_utf8_lossy(t),
    )
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
            // Alertmanager's Telegram client (telebot) builds its requests
            // itself and sends Go's default User-Agent (0.34 too); Tocsin
            // names itself on every request. The one header normalised.
            let want = if receiver.starts_with("tg-") && *side == "alertmanager" {
                "Go-http-client/"
            } else {
                "Alertmanager/"
            };
            if !ua.starts_with(want) {
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

/// Go's JSON encoding of a string (the JSON encoder's escapes).
fn go_json(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Replaces the JSON-encoded `from` in `body` by the JSON-encoded `to`
/// (exactly once).
fn swap(body: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(body).into_owned();
    let (from, to) = (go_json(from), go_json(to));
    assert_eq!(text.matches(&from).count(), 1, "{from} once in {text}");
    text.replacen(&from, &to, 1).into_bytes()
}

/// The deliberate 0.25 → 0.34 changes: checks each side's request on its
/// own, then rewrites the reference's request into what 0.34 sends, so
/// that everything else is still compared byte for byte.
fn apply_known_changes(am: &mut BTreeMap<&str, Vec<Recorded>>, t: &BTreeMap<&str, Vec<Recorded>>) {
    // Telegram, HTML mode, over 4096 runes: 0.25 cuts the message; 0.34
    // (alertmanager#4152, v0.28) sends a notice instead, since a cut can
    // break the markup.
    // html/template escapes a `<` that starts no tag, even in the
    // template's own text.
    let full = format!("firing {}", UNIT.repeat(1500)).replace('<', "&lt;");
    let cut: String = full.chars().take(4095).chain(['…']).collect();
    let notice = "Alertmanager notification could not be sent: message length exceeds Telegram limits.\n\t\t\tPlease check the template used for producing the message content.";
    for (i, r) in am.get_mut(TG_LONG_HTML).unwrap().iter_mut().enumerate() {
        let text = parse(r)["text"].as_str().unwrap_or("").to_string();
        assert!(
            text == cut,
            "alertmanager 0.25 cuts the HTML message: {}…",
            text.chars().take(80).collect::<String>()
        );
        assert_eq!(
            parse(&t[TG_LONG_HTML][i])["text"],
            notice,
            "tocsin sends 0.34's notice"
        );
        r.body = swap(&r.body, &cut, notice);
    }
    // Discord, a title over 256 runes: 0.25 sends it whole; 0.34 (since
    // v0.26) cuts it to 256 runes.
    let title = format!("FIRING Diff-{DC_LONG_TITLE} {}", UNIT.repeat(100));
    let cut: String = title.chars().take(255).chain(['…']).collect();
    for (i, r) in am.get_mut(DC_LONG_TITLE).unwrap().iter_mut().enumerate() {
        assert_eq!(parse(r)["embeds"][0]["title"], title.as_str());
        assert_eq!(
            parse(&t[DC_LONG_TITLE][i])["embeds"][0]["title"],
            cut.as_str()
        );
        r.body = swap(&r.body, &title, &cut);
    }
}

/// Pushover's `device`: 0.25 never sends it; 0.34 (since v0.26, which
/// added the setting) always does, empty when unset. Encoded parameters
/// are sorted, so it comes first.
fn apply_pushover_device_change(
    am: &mut BTreeMap<&str, Vec<Recorded>>,
    t: &BTreeMap<&str, Vec<Recorded>>,
) {
    for receiver in [PO_DEFAULT, PO_FULL] {
        for (i, r) in am.get_mut(receiver).unwrap().iter_mut().enumerate() {
            assert!(!r.path.contains("device="), "alertmanager 0.25: {}", r.path);
            assert!(
                t[receiver][i]
                    .path
                    .starts_with("/1/messages.json?device=&expire="),
                "tocsin: {}",
                t[receiver][i].path
            );
            r.path = r
                .path
                .replacen("/1/messages.json?", "/1/messages.json?device=&", 1);
        }
    }
}

/// Webex's templated `room_id`: 0.25 sends the template text; 0.34
/// (alertmanager#4051, v0.28) renders it.
fn apply_webex_room_change(
    am: &mut BTreeMap<&str, Vec<Recorded>>,
    t: &BTreeMap<&str, Vec<Recorded>>,
) {
    let template = "{{ .GroupLabels.alertname }}-room";
    let rendered = format!("Diff-{WX_ROOM_TEMPLATE}-room");
    for (i, r) in am.get_mut(WX_ROOM_TEMPLATE).unwrap().iter_mut().enumerate() {
        assert_eq!(parse(r)["roomId"], template, "alertmanager 0.25");
        assert_eq!(
            parse(&t[WX_ROOM_TEMPLATE][i])["roomId"],
            rendered.as_str(),
            "tocsin renders the room as 0.34 does"
        );
        r.body = swap(&r.body, template, &rendered);
    }
}

/// What each side must have sent, checked on its own (so that both being
/// wrong the same way fails too).
fn check_expectations(side: &str, got: &BTreeMap<&str, Vec<Recorded>>) {
    for (r, reqs) in got {
        for req in reqs {
            if req.path.contains("/gettoken?") {
                assert_eq!(req.method, "GET", "{side}: {r}");
                assert!(req.body.is_empty(), "{side}: {r}");
                assert_eq!(req.header("content-type"), None, "{side}: {r}");
                continue;
            }
            assert_eq!(req.method, "POST", "{side}: {r}");
            if r.starts_with("po-") {
                assert_eq!(
                    req.header("content-type"),
                    Some("text/plain"),
                    "{side}: {r}"
                );
                assert!(req.body.is_empty(), "{side}: {r}: no body");
                continue;
            }
            assert_eq!(
                req.header("content-type"),
                Some("application/json"),
                "{side}: {r}"
            );
            assert!(
                req.body.ends_with(b"}\n"),
                "{side}: {r}: a trailing newline"
            );
        }
    }
    // Telegram: the token in the path, sorted string parameters.
    let d = &got[TG_DEFAULT];
    assert_eq!(d.len(), 2, "{side}: firing, then resolved");
    assert_eq!(d[0].path, "/tg-default/bot111:default/sendMessage");
    let body = d[0].body_text();
    assert!(
        body.starts_with(
            r#"{"chat_id":"-100123","disable_web_page_preview":"true","parse_mode":"HTML","text":"\n\nAlerts Firing:\nLabels:\n - alertname = Diff-tg-default\n"#
        ),
        "{side}: {body}"
    );
    assert!(
        d[1].body_text()
            .contains(r#""text":"\n\n\nAlerts Resolved:"#),
        "{side}"
    );
    let full = parse(&got[TG_FULL][0]);
    assert_eq!(full["disable_notification"], "true", "{side}");
    assert_eq!(full["parse_mode"], "MarkdownV2", "{side}");
    let text = full["text"].as_str().unwrap();
    assert_eq!(text.chars().count(), 4096, "{side}: cut to 4096 runes");
    assert!(text.ends_with('…'), "{side}");
    assert!(
        text.starts_with("FIRING Diff-tg-full for tg-full\n* ") && text.contains("* b: tab\there"),
        "{side}: {text}"
    );
    // HTML mode: html/template escapes the data, not the template.
    let html = parse(&got[TG_HTML][0])["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        html.contains("sum &lt;b&gt;&amp;&#34;é alertname,case,note,severity"),
        "{side}: {html}"
    );
    assert!(
        html.contains(&{
            let t = harness::diff_times().0.format("%Y-%m-%d %H:%M:%S");
            format!("* a: plain &amp; simple since {t} UTC ({t}.123 &#43;0000 UTC)")
        }),
        "{side}: {html}"
    );
    assert!(
        html.ends_with("\n<b>bold</b> 1 &lt; 2 & 3 > 2"),
        "{side}: {html}"
    );
    // Discord: red while firing, green once resolved, content always set.
    let colors: Vec<Value> = got[DC_DEFAULT]
        .iter()
        .map(|r| parse(r)["embeds"][0]["color"].clone())
        .collect();
    assert_eq!(colors, [json!(0x992D22), json!(0x2ECC71)], "{side}");
    let dc = parse(&got[DC_DEFAULT][0]);
    assert_eq!(dc["content"], "", "{side}");
    assert_eq!(
        dc["embeds"][0]["title"], "[FIRING:2] Diff-dc-default (dc-default <b>&\"é critical)",
        "{side}"
    );
    assert!(
        got[DC_FULL][0]
            .body_text()
            .starts_with(r#"{"content":"","embeds":[{"title":"FIRING \u003cDiff-dc-full\u003e \u0026 \u003cb\u003e\u0026\"é","#),
        "{side}"
    );
    // Webex: the bearer token, `markdown` and `roomId`, cut to 7439 bytes.
    let wx = &got[WX_DEFAULT];
    assert_eq!(wx.len(), 2, "{side}: firing, then resolved");
    assert_eq!(wx[0].header("authorization"), Some("Bearer wx-token"));
    assert_eq!(wx[0].path, "/wx-default/v1/messages");
    assert!(
        wx[0].body_text().starts_with(
            r#"{"markdown":"sum \u003cb\u003e\u0026\"é\n\nAlerts Firing:\nLabels:\n - alertname = Diff-wx-default\n"#
        ),
        "{side}: {}",
        wx[0].body_text()
    );
    assert!(
        wx[0].body_text().ends_with("\",\"roomId\":\"room-1\"}\n"),
        "{side}"
    );
    let full = &got[WX_FULL];
    assert_eq!(full.len(), 1, "{side}: send_resolved is off");
    assert_eq!(full[0].header("authorization"), Some("Token wx-full-token"));
    let md = parse(&full[0])["markdown"].as_str().unwrap().to_string();
    assert!(
        md.len() <= 7439 && md.len() > 7430 && md.ends_with('…'),
        "{side}: {}",
        md.len()
    );
    // WeChat: the token once, then each message with it.
    let wc = &got[WC_DEFAULT];
    let targets: Vec<&str> = wc.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/wc-default/cgi-bin/gettoken?corpid=corp-1&corpsecret=sec+ret%26%2B%2F%C3%A9",
            "/wc-default/cgi-bin/message/send?access_token=wc-token-1",
            "/wc-default/cgi-bin/message/send?access_token=wc-token-1",
        ],
        "{side}"
    );
    let m = parse(&wc[1]);
    assert_eq!(m["msgtype"], "text", "{side}");
    assert_eq!(m["safe"], "0", "{side}");
    assert_eq!(m["markdown"], json!({"content": ""}), "{side}");
    assert!(
        m.get("touser").is_none(),
        "{side}: empty fields are left out"
    );
    let wc = &got[WC_FULL];
    let targets: Vec<&str> = wc.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/wc-full/cgi-bin/gettoken?corpid=corp-critical&corpsecret=s2",
            "/wc-full/cgi-bin/message/send?access_token=wc-token-1&debug=1",
        ],
        "{side}"
    );
    assert!(
        wc[1].body_text().starts_with(
            r#"{"text":{"content":""},"touser":"@all|critical","toparty":"2|3","totag":"tag \u003cDiff-wc-full\u003e","agentid":"1000002","safe":"0","msgtype":"markdown","markdown":{"content":"FIRING Diff-wc-full for wc-full\n"#
        ),
        "{side}: {}",
        wc[1].body_text()
    );
    // Pushover: everything in the query of a body-less POST.
    let po = &got[PO_DEFAULT];
    assert_eq!(po.len(), 2, "{side}: firing, then resolved");
    let q = |r: &Recorded| -> BTreeMap<String, String> {
        let query = r.path.split_once('?').map_or("", |(_, q)| q);
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    };
    let p = q(&po[0]);
    assert_eq!(p["token"], "tok en&+/é", "{side}");
    assert_eq!(p["priority"], "2", "{side}");
    assert_eq!(
        (p["retry"].as_str(), p["expire"].as_str()),
        ("60", "3600"),
        "{side}"
    );
    assert_eq!(
        p["title"], "[FIRING:2] Diff-po-default (po-default <b>&\"é critical)",
        "{side}"
    );
    assert!(
        p["message"].starts_with("sum <b>&\"é\n\nAlerts Firing:"),
        "{side}: {}",
        p["message"]
    );
    assert_eq!(q(&po[1])["priority"], "0", "{side}");
    let p = q(&got[PO_FULL][0]);
    assert_eq!(p["html"], "1", "{side}");
    assert_eq!(p["priority"], "1", "{side}");
    assert_eq!(
        (p["retry"].as_str(), p["expire"].as_str()),
        ("90", "7200"),
        "{side}"
    );
    assert_eq!(p["title"].chars().count(), 250, "{side}");
    assert!(
        p["title"].starts_with("FIRING <Diff-po-full> & é ж<&"),
        "{side}: {}",
        p["title"]
    );
    assert!(
        p["message"].ends_with("\n<b>bold</b> 1 &lt; 2 & 3 > 2"),
        "{side}: {}",
        p["message"]
    );
}

#[test]
fn chat_messages_match_alertmanager() {
    let started = Instant::now();
    let p = Pair::start();

    // Everything fires.
    let firing: Vec<Value> = RECEIVERS.iter().flat_map(|r| alerts_of(r, None)).collect();
    p.post_alerts(&firing);
    let limit = Duration::from_secs(10);
    let ones: Vec<(&str, usize)> = RECEIVERS.iter().map(|r| (*r, first_requests(r))).collect();
    p.wait_counts(&ones, limit);
    // Some groups resolve: the next `group_interval` tick sends them.
    let resolving: Vec<Value> = RESOLVING
        .iter()
        .flat_map(|r| alerts_of(r, Some(harness::diff_ends().as_str())))
        .collect();
    p.post_alerts(&resolving);
    let twos: Vec<(&str, usize)> = RESOLVING
        .iter()
        .map(|r| (*r, first_requests(r) + 1))
        .collect();
    p.wait_counts(&twos, limit);
    // Longer than a `group_interval`: nothing more may come.
    std::thread::sleep(Duration::from_millis(2500));

    let mut got: [BTreeMap<&str, Vec<Recorded>>; 2] = Default::default();
    for (side, fake) in got.iter_mut().zip(&p.fake) {
        for r in RECEIVERS {
            side.insert(r, fake.on(r));
        }
        let expected: usize = side.values().map(Vec::len).sum();
        let all: usize = fake.receivers().values().sum();
        assert_eq!(all, expected, "requests elsewhere: {:?}", fake.receivers());
    }
    for (side, g) in SIDES.iter().zip(&got) {
        check_expectations(side, g);
    }
    let [mut am, tocsin] = got;
    apply_known_changes(&mut am, &tocsin);
    apply_webex_room_change(&mut am, &tocsin);
    apply_pushover_device_change(&mut am, &tocsin);

    let mut differences = Vec::new();
    for r in RECEIVERS {
        differences.extend(compare(r, &am[r], &tocsin[r]));
    }
    for d in &differences {
        eprintln!("DIFFERENCE {d}\n");
    }
    assert!(
        differences.is_empty(),
        "{} differences from Alertmanager (details above)",
        differences.len()
    );
    let counts: Vec<(&str, usize)> = RECEIVERS.iter().map(|r| (*r, am[r].len())).collect();
    eprintln!(
        "{counts:?} requests matched byte for byte in {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}
