//! Email notifications of the real Alertmanager 0.25 and of Tocsin (in
//! `classic-mode`), on the same configuration and the same alerts, each
//! sent to its own recording SMTP server (no TLS, AUTH PLAIN on
//! 127.0.0.1, which Go allows without TLS): per recipient, the SMTP
//! commands must match line for line (EHLO with `hello`, AUTH PLAIN with
//! the same credentials, MAIL with `BODY=8BITMIME`, RCPT per address,
//! DATA, QUIT) and the messages byte for byte after normalising what must
//! differ:
//!
//! - the multipart boundary (30 random bytes), the `Message-Id` (time,
//!   a random number and the host name) and the `Date` (the time of
//!   sending) are replaced by placeholders, after checking their shape on
//!   both sides;
//! - the configured headers are sorted: Alertmanager writes them in Go's
//!   random map order (Tocsin in name order), before `Message-Id`.
//!
//! The one difference Alertmanager 0.34 introduced in what is sent is in
//! its default HTML template: `itemtype="https://schema.org/EmailMessage"`
//! where 0.25 has `http://`. Tocsin follows 0.34; the test asserts that
//! exact difference in the decoded HTML part (the extra character also
//! moves the quoted-printable soft line breaks of that line, so the
//! default HTML parts are compared decoded, everything else encoded).
//!
//! Covered: the default config (HTML part only, default `Subject`, `To`
//! and `From`), a config with every 0.25 field templated (a display-name
//! `from`, several `to` addresses, Q-encoded non-ASCII headers, a text
//! part with `=`, trailing spaces, a leading dot, long lines and
//! non-ASCII, an HTML part with escaped data) and `send_resolved`
//! through a firing and a resolved message.

#[path = "../tests/common/mod.rs"]
mod harness;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harness::Reference;
use harness::Server;
use serde_json::{Value, json};

/// Given to both servers, so that links in the messages agree.
const EXTERNAL_URL: &str = "http://am.example.test:9093";

// ---------------------------------------------------------------------------
// The recording SMTP server.

/// One SMTP session as received.
#[derive(Clone, Debug, Default)]
struct Session {
    commands: Vec<String>,
    /// The DATA content, dot-unstuffed, CRLFs kept.
    message: String,
}

impl Session {
    /// The first `RCPT TO` address.
    fn recipient(&self) -> String {
        self.commands
            .iter()
            .find_map(|c| c.strip_prefix("RCPT TO:<"))
            .map(|r| r.trim_end_matches('>').to_string())
            .unwrap_or_default()
    }
}

struct Recorder {
    port: u16,
    got: Arc<Mutex<Vec<Session>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let g = g.clone();
                std::thread::spawn(move || {
                    if let Some(s) = serve(stream) {
                        g.lock().unwrap().push(s);
                    }
                });
            }
        });
        Recorder { port, got }
    }

    /// The finished sessions addressed to `rcpt`, in arrival order.
    fn to(&self, rcpt: &str) -> Vec<Session> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.recipient() == rcpt)
            .cloned()
            .collect()
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }
}

/// Serves one connection to its `QUIT`: EHLO offers AUTH PLAIN and LOGIN
/// and 8BITMIME; everything is accepted.
fn serve(stream: TcpStream) -> Option<Session> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut out = stream.try_clone().ok()?;
    let mut r = BufReader::new(stream);
    let mut s = Session::default();
    out.write_all(b"220 sink ESMTP\r\n").ok()?;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return Some(s);
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        s.commands.push(line.clone());
        let verb = line.split([' ', ':']).next().unwrap_or("").to_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
            "HELO" => b"250 sink\r\n",
            "AUTH" => b"235 2.7.0 Authentication successful\r\n",
            "MAIL" | "RCPT" => b"250 2.1.0 Ok\r\n",
            "DATA" => {
                out.write_all(b"354 go ahead\r\n").ok()?;
                loop {
                    let mut l = String::new();
                    if r.read_line(&mut l).ok()? == 0 {
                        return Some(s);
                    }
                    if l == ".\r\n" {
                        break;
                    }
                    s.message.push_str(l.strip_prefix('.').unwrap_or(&l));
                }
                b"250 2.0.0 queued\r\n"
            }
            "QUIT" => {
                let _ = out.write_all(b"221 2.0.0 bye\r\n");
                return Some(s);
            }
            _ => b"500 5.5.2 what?\r\n",
        };
        out.write_all(answer).ok()?;
    }
}

// ---------------------------------------------------------------------------
// The reference, started with `--web.external-url`.

// ---------------------------------------------------------------------------
// The configuration and the alerts.

/// The first recipient of each receiver, which tells sessions apart.
const R_DEFAULT: &str = "default@example.org";
const R_FULL: &str = "full-firing@example.org";
const R_RESOLVED: &str = "resolved@example.org";

fn config(port: u16) -> String {
    format!(
        r##"
global:
  smtp_smarthost: '127.0.0.1:{port}'
  smtp_from: 'alertmanager@example.org'
  smtp_hello: 'am.example.test'
  smtp_require_tls: false
  smtp_auth_username: 'user'
  smtp_auth_password: 'secret pass'
  smtp_auth_identity: 'ident'
route:
  receiver: default
  group_by: [alertname]
  group_wait: 2s
  group_interval: 2s
  repeat_interval: 1h
  routes:
  - matchers: [case="default"]
    receiver: default
  - matchers: [case="full"]
    receiver: full
  - matchers: [case="resolved"]
    receiver: resolved
receivers:
- name: default
  email_configs:
  - to: '{R_DEFAULT}'
- name: full
  email_configs:
  - to: 'full-{{{{ .Status }}}}@example.org, "Ops, Team" <ops@example.org>,team@example.org (Team)'
    from: 'Alert Manager <am-{{{{ .GroupLabels.alertname | toLower }}}}@example.org>'
    headers:
      subject: 'Ärger: {{{{ .Status | toUpper }}}} {{{{ .CommonAnnotations.summary }}}} = {{{{ len .Alerts }}}} {{{{ .CommonLabels.long }}}}'
      x-receiver: '{{{{ .Receiver }}}} <&> é'
      reply-to: 'noreply@example.org'
    text: |-
      {{{{ .Status }}}} = {{{{ len .Alerts }}}}.
      .leading dot
      trailing space 
      {{{{ range .Alerts }}}}* {{{{ .Labels.instance }}}}: {{{{ .Annotations.description }}}} since {{{{ .StartsAt.Format "2006-01-02 15:04:05 MST" }}}}
      {{{{ end }}}}{{{{ .CommonLabels.long }}}}{{{{ .CommonLabels.long }}}} ü
    html: '<h1>{{{{ .Status }}}} &amp; {{{{ .CommonAnnotations.summary }}}}</h1>{{{{ range .Alerts }}}}<p>{{{{ .Labels.instance }}}} = {{{{ .Annotations.description }}}}</p>{{{{ end }}}}'
- name: resolved
  email_configs:
  - to: '{R_RESOLVED}'
    send_resolved: true
"##
    )
}

/// A label long enough for soft line breaks and header word splitting.
const LONG: &str = "lorem-ipsum-dolor-sit-amet=consectetur adipiscing elit sed do eiusmod tempor";

fn alert(labels: Value, annotations: Value, ends: Option<&str>) -> Value {
    let mut a = json!({"labels": labels, "annotations": annotations, "startsAt": harness::diff_starts(),
                       "generatorURL": "http://prom.example.test/graph?g0.expr=up&x=<1>"});
    if let Some(e) = ends {
        a["endsAt"] = json!(e);
    }
    a
}

fn default_alert(instance: &str) -> Value {
    alert(
        json!({"alertname": "MailDefault", "case": "default", "instance": instance,
               "severity": "warning"}),
        json!({"summary": "sum <b>&\"é", "description": "line one\nline two"}),
        None,
    )
}

fn full_alert(instance: &str, description: &str) -> Value {
    alert(
        json!({"alertname": "MailFull", "case": "full", "instance": instance, "long": LONG}),
        json!({"summary": "Disk <full> & \"hot\" é", "description": description}),
        None,
    )
}

fn resolved_alert(ends: Option<&str>) -> Value {
    alert(
        json!({"alertname": "MailResolved", "case": "resolved", "instance": "r1"}),
        json!({"summary": "resolving"}),
        ends,
    )
}

// ---------------------------------------------------------------------------
// The two sides.

struct Pair {
    am: Reference,
    tocsin: Server,
    /// The SMTP server of each side: Alertmanager's, Tocsin's.
    smtp: [Recorder; 2],
}

const SIDES: [&str; 2] = ["alertmanager", "tocsin"];

impl Pair {
    fn start() -> Pair {
        let smtp = [Recorder::start(), Recorder::start()];
        let am = Reference::start(&config(smtp[0].port), EXTERNAL_URL);
        let ext = format!("--web.external-url={EXTERNAL_URL}");
        let tocsin = Server::with_config(
            &config(smtp[1].port),
            &["--enable-feature=classic-mode", &ext],
        );
        tocsin.wait_ready();
        Pair { am, tocsin, smtp }
    }

    fn post_alerts(&self, alerts: &[Value]) {
        harness::post_to_both(&self.am, &self.tocsin, alerts);
    }

    /// Waits (at most `limit`) until both servers received at least `n`
    /// messages for each recipient.
    fn wait_counts(&self, want: &[(&str, usize)], limit: Duration) {
        let ok = harness::eventually(limit, || {
            self.smtp
                .iter()
                .all(|s| want.iter().all(|(r, n)| s.to(r).len() >= *n))
        });
        assert!(
            ok,
            "waited {limit:?} for {want:?}; alertmanager got {}, tocsin got {}\n\
             --- alertmanager log\n{}\n--- tocsin log\n{}",
            self.smtp[0].count(),
            self.smtp[1].count(),
            self.am.log(),
            self.tocsin.seen.join("\n"),
        );
    }
}

// ---------------------------------------------------------------------------
// Normalisation and comparison.

/// A message with its random and time-dependent values replaced and its
/// configured headers sorted (see the module comment).
fn normalise(side: &str, m: &str) -> String {
    let header = |name: &str| {
        m.split("\r\n")
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("{side}: no {name} header in\n{m}"))
            .to_string()
    };
    let ct = header("Content-Type");
    let boundary = ct
        .strip_prefix("multipart/alternative;  boundary=")
        .unwrap_or_else(|| panic!("{side}: Content-Type {ct:?}"));
    assert!(
        boundary.len() == 60 && boundary.bytes().all(|b| b.is_ascii_hexdigit()),
        "{side}: boundary {boundary:?}"
    );
    // <UnixNano.randomUint64@hostname>
    let id = header("Message-Id");
    let shape = id
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .and_then(|s| s.split_once('@'))
        .and_then(|(n, host)| n.split_once('.').map(|(a, b)| (a, b, host)));
    let Some((nanos, rand, host)) = shape else {
        panic!("{side}: Message-Id {id:?}")
    };
    assert!(
        nanos.parse::<i64>().is_ok() && rand.parse::<u64>().is_ok() && !host.is_empty(),
        "{side}: Message-Id {id:?}"
    );
    // time.RFC1123Z
    let date = header("Date");
    let parsed = chrono::DateTime::parse_from_str(&date, "%a, %d %b %Y %H:%M:%S %z")
        .unwrap_or_else(|e| panic!("{side}: Date {date:?}: {e}"));
    assert_eq!(
        parsed.format("%a, %d %b %Y %H:%M:%S %z").to_string(),
        date,
        "{side}"
    );
    assert!((chrono::Utc::now() - parsed.to_utc()).num_seconds().abs() < 120);

    let m = m
        .replace(boundary, "BOUNDARY")
        .replace(&id, "<MESSAGE-ID>")
        .replace(&date, "DATE");
    let (configured, rest) = m
        .split_once("Message-Id: ")
        .unwrap_or_else(|| panic!("{side}: {m}"));
    let mut lines: Vec<&str> = configured.split_terminator("\r\n").collect();
    lines.sort();
    format!("{}\r\nMessage-Id: {rest}", lines.join("\r\n"))
}

/// Decodes a quoted-printable part (soft breaks and `=XX`).
fn qp_decode(s: &str) -> String {
    let s = s.replace("=\r\n", "");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The head of a normalised message (to the HTML part's headers) and the
/// HTML part decoded.
fn split_html(m: &str) -> (String, String, String) {
    let head = "--BOUNDARY\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n";
    let start = m.find(head).expect("an HTML part") + head.len();
    let end = start + m[start..].find("\r\n--BOUNDARY--\r\n").expect("the end");
    for line in m[start..end].split("\r\n") {
        assert!(
            line.len() <= 76,
            "a quoted-printable line of {}",
            line.len()
        );
    }
    (
        m[..start].to_string(),
        qp_decode(&m[start..end]),
        m[end..].to_string(),
    )
}

/// The 0.34 template change, in the decoded default HTML.
const ITEMTYPE_025: &str = r#"itemtype="http://schema.org/EmailMessage""#;
const ITEMTYPE_034: &str = r#"itemtype="https://schema.org/EmailMessage""#;

/// The differences between the two sides' sessions for `rcpt`.
fn compare(rcpt: &str, am: &[Session], t: &[Session], default_html: bool) -> Vec<String> {
    let mut out = Vec::new();
    if am.len() != t.len() {
        out.push(format!(
            "{rcpt}: alertmanager sent {} messages, tocsin {}",
            am.len(),
            t.len()
        ));
    }
    for (i, (a, b)) in am.iter().zip(t).enumerate() {
        let what = format!("{rcpt} #{i}");
        if a.commands != b.commands {
            out.push(format!(
                "{what}: commands:\n  alertmanager {:?}\n  tocsin       {:?}",
                a.commands, b.commands
            ));
        }
        let ma = normalise("alertmanager", &a.message);
        let mb = normalise("tocsin", &b.message);
        if default_html {
            // Alertmanager 0.34 changed the default template's
            // schema.org URL to https; Tocsin follows 0.34.
            let (ha, html_a, ta) = split_html(&ma);
            let (hb, html_b, tb) = split_html(&mb);
            assert!(html_a.contains(ITEMTYPE_025), "{what}: 0.25's template");
            assert!(html_b.contains(ITEMTYPE_034), "{what}: 0.34's template");
            if ha != hb || ta != tb {
                out.push(format!(
                    "{what}: message outside the HTML:\n{ha}{ta}\n---\n{hb}{tb}"
                ));
            }
            let html_a = html_a.replace(ITEMTYPE_025, ITEMTYPE_034);
            if html_a != html_b {
                out.push(format!(
                    "{what}: HTML part:\n--- alertmanager\n{html_a}\n--- tocsin\n{html_b}"
                ));
            }
        } else if ma != mb {
            out.push(format!(
                "{what}: message:\n--- alertmanager\n{ma}\n--- tocsin\n{mb}"
            ));
        }
    }
    out
}

/// What both sides must have sent, checked on each side on its own.
fn check_expectations(side: &str, full: &Session, default: &Session) {
    let plain = format!("AUTH PLAIN {}", base64_std("ident\0user\0secret pass"));
    assert_eq!(
        full.commands,
        [
            "EHLO am.example.test",
            plain.as_str(),
            "MAIL FROM:<am-mailfull@example.org> BODY=8BITMIME",
            "RCPT TO:<full-firing@example.org>",
            "RCPT TO:<ops@example.org>",
            "RCPT TO:<team@example.org>",
            "DATA",
            "QUIT"
        ],
        "{side}"
    );
    let m = normalise(side, &full.message);
    for want in [
        "From: Alert Manager <am-mailfull@example.org>\r\n",
        "Reply-To: noreply@example.org\r\n",
        "X-Receiver: =?utf-8?q?full_<&>_=C3=A9?=\r\n",
        // The default To is the `to` template, rendered.
        "To: full-firing@example.org, \"Ops, Team\" <ops@example.org>,team@example.org (Team)\r\n",
        "\r\nMessage-Id: <MESSAGE-ID>\r\nDate: DATE\r\n\
         Content-Type: multipart/alternative;  boundary=BOUNDARY\r\nMIME-Version: 1.0\r\n\r\n\
         --BOUNDARY\r\nContent-Transfer-Encoding: quoted-printable\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\r\nfiring =3D 2.\r\n.leading dot\r\ntrailing space=20\r\n",
        "\r\n--BOUNDARY\r\nContent-Transfer-Encoding: quoted-printable\r\n\
         Content-Type: text/html; charset=UTF-8\r\n\r\n<h1>firing &amp; Disk &lt;full&gt; &amp; &#34;hot&#34; =C3=A9</h1>",
    ] {
        assert!(m.contains(want), "{side}: {want:?} in\n{m}");
    }
    assert!(m.ends_with("\r\n--BOUNDARY--\r\n"), "{side}");
    let subject = m
        .split("\r\n")
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap();
    assert!(
        subject.starts_with("=?utf-8?q?=C3=84rger:_FIRING_Disk_<full>_&_\"hot\"_=C3=A9_=3D_2")
            && subject.contains("?= =?utf-8?q?"),
        "{side}: a Q-encoded subject in several words: {subject}"
    );
    let d = normalise(side, &default.message);
    assert!(
        d.starts_with(
            "From: alertmanager@example.org\r\nSubject: [FIRING:2] MailDefault (default warning)\r\n\
             To: default@example.org\r\nMessage-Id: "
        ),
        "{side}: {d}"
    );
}

fn base64_std(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn emails_match_alertmanager() {
    let started = Instant::now();
    let p = Pair::start();

    p.post_alerts(&[
        default_alert("b"),
        default_alert("a"),
        full_alert("db-2", "tab\there = 1\nnl ü 日本 😀 <b>&\"é"),
        full_alert("db-1", "plain & simple"),
        resolved_alert(None),
    ]);
    let limit = Duration::from_secs(10);
    p.wait_counts(&[(R_DEFAULT, 1), (R_FULL, 1), (R_RESOLVED, 1)], limit);
    p.post_alerts(&[resolved_alert(Some(harness::diff_ends().as_str()))]);
    p.wait_counts(&[(R_RESOLVED, 2)], limit);
    // Longer than a `group_interval`: nothing more may come.
    std::thread::sleep(Duration::from_millis(2500));

    let mut differences = Vec::new();
    for (rcpt, default_html) in [(R_DEFAULT, true), (R_FULL, false), (R_RESOLVED, true)] {
        differences.extend(compare(
            rcpt,
            &p.smtp[0].to(rcpt),
            &p.smtp[1].to(rcpt),
            default_html,
        ));
    }
    for (side, smtp) in SIDES.iter().zip(&p.smtp) {
        assert_eq!(smtp.count(), 4, "{side}: sessions");
    }
    for d in &differences {
        eprintln!("DIFFERENCE {d}\n");
    }
    assert!(
        differences.is_empty(),
        "{} differences from Alertmanager (details above)",
        differences.len()
    );
    for (side, smtp) in SIDES.iter().zip(&p.smtp) {
        check_expectations(side, &smtp.to(R_FULL)[0], &smtp.to(R_DEFAULT)[0]);
        let resolved = smtp.to(R_RESOLVED);
        let subjects: Vec<String> = resolved
            .iter()
            .map(|s| {
                normalise(side, &s.message)
                    .split("\r\n")
                    .find_map(|l| l.strip_prefix("Subject: ").map(str::to_string))
                    .unwrap()
            })
            .collect();
        assert_eq!(
            subjects,
            [
                "[FIRING:1] MailResolved (resolved r1)",
                "[RESOLVED] MailResolved (resolved r1)"
            ],
            "{side}"
        );
    }
    eprintln!("4 sessions per side matched in {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(60));
}
