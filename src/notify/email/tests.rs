//! Email tests against a recording SMTP server written here (plain, with
//! `STARTTLS`, or TLS-only; AUTH PLAIN, LOGIN and CRAM-MD5; scripted
//! refusals): the exact commands, the exact message (boundary,
//! `Message-Id` and `Date` normalised after their shape is checked), TLS,
//! each mechanism, secrets from files, threading and the classification
//! of every failure.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::*;
use crate::notify::testing::{ctx, firing, resolved, templater};
use crate::notify::{Backoff, Integration, retry_with_backoff};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A resolved config from YAML (global defaults: `hello: localhost`,
/// `require_tls: true`).
fn config(yaml: &str) -> EmailConfig {
    crate::config::notifiers::testing::resolved(yaml)
}

fn email(yaml: &str) -> Email {
    Email::new(&config(yaml), Some(templater())).unwrap()
}

// ---------------------------------------------------------------------------
// The recording SMTP server.

/// How the server behaves.
#[derive(Clone, Default)]
struct Script {
    /// Extensions after the greeting line of the EHLO reply
    /// (`STARTTLS` is added while a STARTTLS config is set and the
    /// session is not encrypted yet).
    ext: Vec<String>,
    /// Offer STARTTLS with this certificate.
    starttls: Option<Arc<rustls::ServerConfig>>,
    /// Speak TLS from the first byte.
    implicit: Option<Arc<rustls::ServerConfig>>,
    /// Replies replacing the normal one for a command verb (`EHLO`,
    /// `MAIL`, `RCPT`, `DATA`, `AUTH`, `.` for the end of data), used
    /// once each, in order.
    replies: HashMap<&'static str, VecDeque<String>>,
}

impl Script {
    fn ext(mut self, ext: &[&str]) -> Self {
        self.ext = ext.iter().map(|s| s.to_string()).collect();
        self
    }

    fn reply(mut self, verb: &'static str, reply: &str) -> Self {
        self.replies
            .entry(verb)
            .or_default()
            .push_back(reply.to_string());
        self
    }
}

/// One connection as the server saw it.
#[derive(Clone, Debug, Default)]
struct Session {
    /// Command lines in order (AUTH continuation lines included); a line
    /// received over TLS is prefixed with `tls: `.
    commands: Vec<String>,
    /// The message of each DATA, dot-unstuffed, CRLFs kept.
    messages: Vec<String>,
    /// The CRAM-MD5 challenge sent.
    challenge: Option<String>,
}

struct SmtpSink {
    addr: std::net::SocketAddr,
    sessions: Arc<Mutex<Vec<Arc<Mutex<Session>>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    async fn start(script: Script) -> SmtpSink {
        SmtpSink::start_on("127.0.0.1:0", script).await
    }

    async fn start_on(bind: &str, script: Script) -> SmtpSink {
        let listener = TcpListener::bind(bind).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sessions: Arc<Mutex<Vec<Arc<Mutex<Session>>>>> = Arc::default();
        let script = Arc::new(Mutex::new(script));
        let s = sessions.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let session = Arc::new(Mutex::new(Session::default()));
                s.lock().unwrap().push(session.clone());
                let script = script.clone();
                tokio::spawn(async move {
                    let implicit = script.lock().unwrap().implicit.clone();
                    match implicit {
                        Some(cfg) => {
                            let Ok(tls) = tokio_rustls::TlsAcceptor::from(cfg).accept(tcp).await
                            else {
                                return;
                            };
                            serve(Box::new(tls), true, &script, &session).await;
                        }
                        None => serve(Box::new(tcp), false, &script, &session).await,
                    }
                });
            }
        });
        SmtpSink {
            addr,
            sessions,
            task,
        }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    fn sessions(&self) -> Vec<Session> {
        self.sessions
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.lock().unwrap().clone())
            .collect()
    }

    /// Waits for the sessions to end (the client's `QUIT` is answered
    /// after it is recorded) and returns them.
    async fn settled(&self) -> Vec<Session> {
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.sessions()
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The server's side of one connection; after STARTTLS it calls itself on
/// the encrypted stream.
fn serve<'a>(
    io: Box<dyn Io>,
    tls: bool,
    script: &'a Mutex<Script>,
    session: &'a Mutex<Session>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
    Box::pin(async move {
        let mut io = BufReader::new(io);
        let greet = !tls || script.lock().unwrap().implicit.is_some() && session_is_new(session);
        if greet && io.write_all(b"220 sink ESMTP ready\r\n").await.is_err() {
            return;
        }
        let scripted = |verb: &str| {
            script
                .lock()
                .unwrap()
                .replies
                .get_mut(verb)
                .and_then(VecDeque::pop_front)
        };
        let record = |line: &str| {
            let line = if tls {
                format!("tls: {line}")
            } else {
                line.to_string()
            };
            session.lock().unwrap().commands.push(line);
        };
        loop {
            let mut line = String::new();
            match io.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end_matches(['\r', '\n']).to_string();
            record(&line);
            let verb = line
                .split([' ', ':'])
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let answer = match verb.as_str() {
                "EHLO" => scripted("EHLO").unwrap_or_else(|| {
                    let s = script.lock().unwrap();
                    let mut ext = s.ext.clone();
                    if s.starttls.is_some() && !tls {
                        ext.insert(0, "STARTTLS".into());
                    }
                    let mut lines = vec![format!("sink greets {}", &line[5.min(line.len())..])];
                    lines.extend(ext);
                    let n = lines.len();
                    lines
                        .iter()
                        .enumerate()
                        .map(|(i, l)| format!("250{}{l}", if i + 1 == n { ' ' } else { '-' }))
                        .collect::<Vec<_>>()
                        .join("\r\n")
                }),
                "HELO" => "250 sink".into(),
                "STARTTLS" => {
                    let cfg = script.lock().unwrap().starttls.clone();
                    let Some(cfg) = cfg else {
                        let _ = io.write_all(b"502 no\r\n").await;
                        continue;
                    };
                    if io.write_all(b"220 2.0.0 go ahead\r\n").await.is_err() {
                        return;
                    }
                    let inner = io.into_inner();
                    let Ok(tls) = tokio_rustls::TlsAcceptor::from(cfg).accept(inner).await else {
                        session
                            .lock()
                            .unwrap()
                            .commands
                            .push("(TLS handshake failed)".into());
                        return;
                    };
                    return serve(Box::new(tls), true, script, session).await;
                }
                "AUTH" => {
                    let mech = line.split(' ').nth(1).unwrap_or("").to_ascii_uppercase();
                    let mut exchange: Vec<String> = match mech.as_str() {
                        "LOGIN" => vec![
                            format!("334 {}", B64.encode("Username:")),
                            format!("334 {}", B64.encode("Password:")),
                        ],
                        "CRAM-MD5" => {
                            let challenge = "<1896.697170952@sink.example>".to_string();
                            session.lock().unwrap().challenge = Some(challenge.clone());
                            vec![format!("334 {}", B64.encode(&challenge))]
                        }
                        _ => vec![],
                    };
                    exchange.push(
                        scripted("AUTH")
                            .unwrap_or_else(|| "235 2.7.0 Authentication successful".into()),
                    );
                    let last = exchange.len() - 1;
                    for (i, reply) in exchange.into_iter().enumerate() {
                        if io
                            .write_all(format!("{reply}\r\n").as_bytes())
                            .await
                            .is_err()
                        {
                            return;
                        }
                        if i == last {
                            break;
                        }
                        let mut resp = String::new();
                        if io.read_line(&mut resp).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let resp = resp.trim_end_matches(['\r', '\n']).to_string();
                        record(&resp);
                        if resp == "*" {
                            let _ = io.write_all(b"501 5.7.0 aborted\r\n").await;
                            break;
                        }
                    }
                    continue;
                }
                "*" => "501 5.7.0 nothing to abort".into(),
                "MAIL" => scripted("MAIL").unwrap_or_else(|| "250 2.1.0 Ok".into()),
                "RCPT" => scripted("RCPT").unwrap_or_else(|| "250 2.1.5 Ok".into()),
                "DATA" => {
                    if let Some(r) = scripted("DATA") {
                        r
                    } else {
                        if io
                            .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                            .await
                            .is_err()
                        {
                            return;
                        }
                        let mut message = String::new();
                        loop {
                            let mut l = String::new();
                            if io.read_line(&mut l).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if l == ".\r\n" {
                                break;
                            }
                            message.push_str(l.strip_prefix('.').unwrap_or(&l));
                        }
                        session.lock().unwrap().messages.push(message);
                        scripted(".").unwrap_or_else(|| "250 2.0.0 Ok: queued".into())
                    }
                }
                "QUIT" => {
                    let _ = io.write_all(b"221 2.0.0 Bye\r\n").await;
                    return;
                }
                _ => "500 5.5.2 what?".into(),
            };
            if io
                .write_all(format!("{answer}\r\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    })
}

fn session_is_new(session: &Mutex<Session>) -> bool {
    session.lock().unwrap().commands.is_empty()
}

// ---------------------------------------------------------------------------
// Certificates (made with openssl, as the integration tests make theirs).

struct Certs {
    dir: tempfile::TempDir,
}

impl Certs {
    fn new() -> Certs {
        let dir = tempfile::tempdir().unwrap();
        let sh = |script: &str| {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(script)
                .current_dir(dir.path())
                .output()
                .expect("openssl runs");
            assert!(
                out.status.success(),
                "{script}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        sh(
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj /CN=test-ca -keyout ca.key -out ca.crt \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
        );
        for (name, ext) in [
            (
                "server",
                "subjectAltName=IP:127.0.0.1,DNS:mail.test\nextendedKeyUsage=serverAuth",
            ),
            ("client", "extendedKeyUsage=clientAuth"),
        ] {
            std::fs::write(dir.path().join(format!("{name}.ext")), format!("{ext}\n")).unwrap();
            sh(&format!(
                "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN={name} \
                 -keyout {name}.key -out {name}.csr && \
                 openssl x509 -req -in {name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
                 -days 2 -extfile {name}.ext -out {name}.crt"
            ));
        }
        Certs { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The server's TLS config; with `client_ca`, client certificates
    /// signed by the test CA are required.
    fn server(&self, client_ca: bool) -> Arc<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(self.path("server.crt"))
                .unwrap()
                .map(Result::unwrap)
                .collect();
        let key = PrivateKeyDer::from_pem_file(self.path("server.key")).unwrap();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if client_ca {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_file_iter(self.path("ca.crt")).unwrap() {
                roots.add(c.unwrap()).unwrap();
            }
            builder.with_client_cert_verifier(
                rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .unwrap(),
            )
        } else {
            builder.with_no_client_auth()
        };
        Arc::new(builder.with_single_cert(certs, key).unwrap())
    }
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

// ---------------------------------------------------------------------------
// Reading what was sent.

/// The message with the boundary, `Message-Id` and `Date` replaced by
/// `BOUNDARY`, `<MESSAGE-ID>` and `DATE`, after checking that each has
/// the shape Alertmanager gives it.
fn normalise(message: &str) -> String {
    let header = |name: &str| {
        message
            .split("\r\n")
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} header in\n{message}"))
            .to_string()
    };
    let ct = header("Content-Type");
    let boundary = ct
        .strip_prefix("multipart/alternative;  boundary=")
        .unwrap_or_else(|| panic!("Content-Type {ct:?}"));
    assert_eq!(boundary.len(), 60, "30 random bytes in hex: {boundary}");
    assert!(
        boundary
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    let id = header("Message-Id");
    let host = hostname();
    let inner = id
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix(&format!("@{host}>")))
        .unwrap_or_else(|| panic!("Message-Id {id:?}"));
    let (nanos, rand) = inner.split_once('.').unwrap();
    assert!(nanos.parse::<i64>().unwrap() > 1_700_000_000_000_000_000);
    rand.parse::<u64>().unwrap();
    let date = header("Date");
    chrono::DateTime::parse_from_rfc2822(&date).unwrap_or_else(|e| panic!("Date {date:?}: {e}"));
    assert_eq!(
        chrono::DateTime::parse_from_str(&date, "%a, %d %b %Y %H:%M:%S %z")
            .unwrap()
            .format("%a, %d %b %Y %H:%M:%S %z")
            .to_string(),
        date,
        "RFC 1123 with a numeric zone"
    );
    message
        .replace(boundary, "BOUNDARY")
        .replace(&id, "<MESSAGE-ID>")
        .replace(&date, "DATE")
}

/// Decodes quoted-printable (soft breaks and `=XX`).
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

/// The content of the part with `content_type` in a normalised message.
fn part(message: &str, content_type: &str) -> String {
    let head = format!(
        "--BOUNDARY\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: {content_type}\r\n\r\n"
    );
    let start = message.find(&head).unwrap() + head.len();
    let end = start + message[start..].find("\r\n--BOUNDARY").unwrap();
    let encoded = &message[start..end];
    for line in encoded.split("\r\n") {
        assert!(
            line.len() <= 76,
            "a quoted-printable line of {}: {line}",
            line.len()
        );
    }
    qp_decode(encoded)
}

fn default_html(alerts: &[Arc<Alert>]) -> String {
    templater()
        .execute_all_html(
            &[r#"{{ template "email.default.html" . }}"#],
            &ctx(),
            alerts,
        )
        .unwrap()
        .pop()
        .unwrap()
}

/// The plain config every test starts from: no TLS, no auth.
/// `extra` may replace `to` and `from`.
fn plain(sink: &SmtpSink, extra: &str) -> String {
    let mut out = String::new();
    for (key, value) in [("to", "team@example.org"), ("from", "am@example.org")] {
        let set = extra.starts_with(&format!("{key}:")) || extra.contains(&format!("\n{key}:"));
        if !set {
            out.push_str(&format!("{key}: {value}\n"));
        }
    }
    format!(
        "{out}smarthost: 127.0.0.1:{}\nrequire_tls: false\n{extra}",
        sink.port()
    )
}

// ---------------------------------------------------------------------------
// The message.

#[tokio::test]
async fn firing_and_resolved_messages_with_the_defaults() {
    let sink = SmtpSink::start(Script::default().ext(&["8BITMIME", "SIZE 1000"])).await;
    let e = email(&plain(&sink, ""));
    assert_eq!(e.kind(), "email");
    e.notify(&ctx(), &firing()).await.unwrap();
    e.notify(&ctx(), &resolved()).await.unwrap();
    let sessions = sink.settled().await;
    assert_eq!(sessions.len(), 2);
    for s in &sessions {
        assert_eq!(
            s.commands,
            [
                "EHLO localhost",
                "MAIL FROM:<am@example.org> BODY=8BITMIME",
                "RCPT TO:<team@example.org>",
                "DATA",
                "QUIT"
            ]
        );
        assert_eq!(s.messages.len(), 1);
    }
    for (s, alerts, subject) in [
        (&sessions[0], firing(), "[FIRING:1] Disk (a)"),
        (&sessions[1], resolved(), "[RESOLVED] Disk (a)"),
    ] {
        let m = normalise(&s.messages[0]);
        // Headers in name order (Alertmanager's map order is random),
        // then the ones it adds; only the HTML part by default.
        let want_head = format!(
            "From: am@example.org\r\nSubject: {subject}\r\nTo: team@example.org\r\n\
             Message-Id: <MESSAGE-ID>\r\nDate: DATE\r\n\
             Content-Type: multipart/alternative;  boundary=BOUNDARY\r\nMIME-Version: 1.0\r\n\r\n\
             --BOUNDARY\r\nContent-Transfer-Encoding: quoted-printable\r\n\
             Content-Type: text/html; charset=UTF-8\r\n\r\n"
        );
        assert!(m.starts_with(&want_head), "{m}");
        assert!(m.ends_with("\r\n--BOUNDARY--\r\n"), "{m}");
        assert_eq!(m.matches("--BOUNDARY").count(), 2, "one part: {m}");
        let html = part(&m, "text/html; charset=UTF-8");
        // Quoted-printable writes line breaks as CRLF.
        assert_eq!(html, default_html(&alerts).replace('\n', "\r\n"));
        assert!(
            html.contains("https://schema.org/EmailMessage"),
            "0.34's template"
        );
    }
    assert!(
        part(
            &normalise(&sessions[1].messages[0]),
            "text/html; charset=UTF-8"
        )
        .contains("[1] Resolved")
    );
}

#[tokio::test]
async fn every_templated_field_and_both_parts() {
    let sink = SmtpSink::start(Script::default().ext(&["8BITMIME", "SMTPUTF8"])).await;
    let e = email(&plain(
        &sink,
        "from: 'Alert Manager <am-{{ .GroupLabels.alertname | toLower }}@example.org>'\n\
         to: 'ops-{{ .Status }}@example.org, \"Team, B\" <b@example.org>,c@example.org (C)'\n\
         hello: mta.example.org\n\
         headers:\n  subject: 'Ärger: {{ .Status }} = {{ len .Alerts }}'\n  x-team: 'ops {{ .Receiver }}'\n  \
         to: 'visible@example.org'\n\
         text: \"{{ .Status }} = done.\\n.dot first\\ntrailing space \\n{{ range .Alerts }}{{ .Labels.instance }}{{ end }} é\\n\
         0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890\"\n\
         html: '<p>{{ .Status }} & {{ .CommonLabels.instance }} {{ \"<b>&\" }} é</p>'",
    ));
    e.notify(&ctx(), &firing()).await.unwrap();
    let s = &sink.settled().await[0];
    assert_eq!(
        s.commands,
        [
            "EHLO mta.example.org",
            "MAIL FROM:<am-disk@example.org> BODY=8BITMIME SMTPUTF8",
            "RCPT TO:<ops-firing@example.org>",
            "RCPT TO:<b@example.org>",
            "RCPT TO:<c@example.org>",
            "DATA",
            "QUIT"
        ]
    );
    let want = concat!(
        "From: Alert Manager <am-disk@example.org>\r\n",
        "Subject: =?utf-8?q?=C3=84rger:_firing_=3D_1?=\r\n",
        "To: visible@example.org\r\n",
        "X-Team: ops team-X\r\n",
        "Message-Id: <MESSAGE-ID>\r\n",
        "Date: DATE\r\n",
        "Content-Type: multipart/alternative;  boundary=BOUNDARY\r\n",
        "MIME-Version: 1.0\r\n",
        "\r\n",
        "--BOUNDARY\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n",
        "Content-Type: text/plain; charset=UTF-8\r\n",
        "\r\n",
        "firing =3D done.\r\n",
        ".dot first\r\n",
        "trailing space=20\r\n",
        "a =C3=A9\r\n",
        "012345678901234567890123456789012345678901234567890123456789012345678901234=\r\n",
        "5678901234567890\r\n",
        "--BOUNDARY\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n",
        "Content-Type: text/html; charset=UTF-8\r\n",
        "\r\n",
        "<p>firing & a &lt;b&gt;&amp; =C3=A9</p>\r\n",
        "--BOUNDARY--\r\n",
    );
    assert_eq!(normalise(&s.messages[0]), want);
}

#[tokio::test]
async fn message_id_header_and_threading() {
    let sink = SmtpSink::start(Script::default()).await;
    let e = email(&plain(
        &sink,
        "headers: {message-id: '<fixed@example.org>'}\ntext: t\nhtml: ''\n",
    ));
    e.notify(&ctx(), &firing()).await.unwrap();
    let m = sink.settled().await[0].messages[0].clone();
    assert_eq!(m.matches("Message-Id:").count(), 1, "{m}");
    assert!(m.contains("\r\nMessage-Id: <fixed@example.org>\r\n"), "{m}");
    assert!(!m.contains("text/html"), "no HTML part: {m}");

    // The thread root is the group key's SHA-256 (16 hex digits), with
    // today's date when threading daily.
    let hash = "849f8175e1fa4477";
    let digest = ring::digest::digest(&ring::digest::SHA256, ctx().group_key.as_bytes());
    assert!(
        digest
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .starts_with(hash)
    );
    for (by, suffix) in [
        ("none", String::new()),
        ("daily", chrono::Local::now().format("%Y-%m-%d").to_string()),
    ] {
        let sink = SmtpSink::start(Script::default()).await;
        let e = email(&plain(
            &sink,
            &format!("threading: {{enabled: true, thread_by_date: {by}}}"),
        ));
        e.notify(&ctx(), &firing()).await.unwrap();
        let m = normalise(&sink.settled().await[0].messages[0]);
        let root = format!("<alert-{hash}-{suffix}@alertmanager>");
        assert!(
            m.contains(&format!(
                "Message-Id: <MESSAGE-ID>\r\nReferences: {root}\r\nIn-Reply-To: {root}\r\nDate: DATE\r\n"
            )),
            "{m}"
        );
    }
}

// ---------------------------------------------------------------------------
// TLS.

#[tokio::test]
async fn starttls_is_required_by_default_and_verified() {
    let certs = Certs::new();
    let mut script = Script::default().ext(&["AUTH PLAIN"]);
    script.starttls = Some(certs.server(false));
    let sink = SmtpSink::start(script).await;
    let base = format!(
        "to: team@example.org\nfrom: am@example.org\nsmarthost: 127.0.0.1:{}\n\
         auth_username: user\nauth_password: pass\n",
        sink.port()
    );
    let e = email(&format!(
        "{base}tls_config: {{ca_file: {}}}",
        p(&certs.path("ca.crt"))
    ));
    e.notify(&ctx(), &firing()).await.unwrap();
    let s = &sink.settled().await[0];
    assert_eq!(
        s.commands,
        [
            "EHLO localhost".to_string(),
            "STARTTLS".into(),
            "tls: EHLO localhost".into(),
            format!("tls: AUTH PLAIN {}", B64.encode("\0user\0pass")),
            "tls: MAIL FROM:<am@example.org>".into(),
            "tls: RCPT TO:<team@example.org>".into(),
            "tls: DATA".into(),
            "tls: QUIT".into(),
        ]
    );

    // server_name is what the certificate is checked against.
    email(&format!(
        "{base}tls_config: {{ca_file: {}, server_name: mail.test}}",
        p(&certs.path("ca.crt"))
    ))
    .notify(&ctx(), &firing())
    .await
    .unwrap();
    let e = email(&format!(
        "{base}tls_config: {{ca_file: {}, server_name: other.test}}",
        p(&certs.path("ca.crt"))
    ))
    .notify(&ctx(), &firing())
    .await
    .unwrap_err();
    assert!(e.retryable, "{e:?}");
    assert!(
        e.message.starts_with("send STARTTLS command: tls: "),
        "{e:?}"
    );

    // An unknown CA fails, unless verification is skipped.
    let e = email(&base).notify(&ctx(), &firing()).await.unwrap_err();
    assert!(
        e.retryable && e.message.starts_with("send STARTTLS command: tls: "),
        "{e:?}"
    );
    email(&format!("{base}tls_config: {{insecure_skip_verify: true}}"))
        .notify(&ctx(), &firing())
        .await
        .unwrap();

    // A CA file that cannot be read is a permanent error.
    let e = email(&format!(
        "{base}tls_config: {{ca_file: /nonexistent/ca.crt}}"
    ))
    .notify(&ctx(), &firing())
    .await
    .unwrap_err();
    assert!(!e.retryable, "{e:?}");
    assert!(e.message.starts_with("parse TLS configuration: "), "{e:?}");
    assert!(e.message.contains("/nonexistent/ca.crt"), "{e:?}");

    // Without STARTTLS on offer, require_tls stops before anything else.
    let sink = SmtpSink::start(Script::default().ext(&["AUTH PLAIN"])).await;
    let e = email(&format!(
        "to: a@x\nfrom: b@x\nsmarthost: 127.0.0.1:{}",
        sink.port()
    ))
    .notify(&ctx(), &firing())
    .await
    .unwrap_err();
    assert_eq!(
        e,
        NotifyError::retryable(
            FailureReason::Other,
            format!(
                "'require_tls' is true (default) but \"127.0.0.1:{}\" does not advertise the STARTTLS extension",
                sink.port()
            )
        )
    );
    assert_eq!(sink.settled().await[0].commands, ["EHLO localhost", "QUIT"]);
}

#[tokio::test]
async fn implicit_tls_with_a_client_certificate() {
    let certs = Certs::new();
    let mut script = Script::default().ext(&["AUTH LOGIN"]);
    script.implicit = Some(certs.server(true));
    let sink = SmtpSink::start(script).await;
    let tls = format!(
        "tls_config: {{ca_file: {}, cert_file: {}, key_file: {}}}",
        p(&certs.path("ca.crt")),
        p(&certs.path("client.crt")),
        p(&certs.path("client.key"))
    );
    // Not port 465, so implicit TLS is forced; require_tls (true) does
    // not add STARTTLS on a TLS connection.
    let e = email(&format!(
        "to: team@example.org\nfrom: am@example.org\nsmarthost: 127.0.0.1:{}\n\
         force_implicit_tls: true\nauth_username: user\nauth_password: pass\n{tls}",
        sink.port()
    ));
    e.notify(&ctx(), &firing()).await.unwrap();
    let s = &sink.settled().await[0];
    assert_eq!(
        s.commands,
        [
            "tls: EHLO localhost".to_string(),
            "tls: AUTH LOGIN".into(),
            format!("tls: {}", B64.encode("user")),
            format!("tls: {}", B64.encode("pass")),
            "tls: MAIL FROM:<am@example.org>".into(),
            "tls: RCPT TO:<team@example.org>".into(),
            "tls: DATA".into(),
            "tls: QUIT".into(),
        ]
    );
    assert_eq!(s.messages.len(), 1);

    // Without the client certificate the handshake fails: retried.
    let e = email(&format!(
        "to: a@x\nfrom: b@x\nsmarthost: 127.0.0.1:{}\nforce_implicit_tls: true\n\
         tls_config: {{ca_file: {}}}",
        sink.port(),
        p(&certs.path("ca.crt"))
    ))
    .notify(&ctx(), &firing())
    .await
    .unwrap_err();
    assert!(e.retryable, "{e:?}");
    assert!(
        e.message
            .starts_with("establish TLS connection to server: ")
            || e.message.starts_with("create SMTP client: "),
        "{e:?}"
    );

    // A plain server on a forced-TLS connection.
    let plain_sink = SmtpSink::start(Script::default()).await;
    let e = email(&format!(
        "to: a@x\nfrom: b@x\nsmarthost: 127.0.0.1:{}\nforce_implicit_tls: true\n\
         tls_config: {{insecure_skip_verify: true}}",
        plain_sink.port()
    ))
    .notify(&ctx(), &firing())
    .await
    .unwrap_err();
    assert!(
        e.retryable
            && e.message
                .starts_with("establish TLS connection to server: "),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------
// Authentication.

async fn auth_commands(ext: &str, creds: &str) -> (Vec<String>, Option<String>) {
    let sink = SmtpSink::start(Script::default().ext(&[ext])).await;
    email(&plain(&sink, creds))
        .notify(&ctx(), &firing())
        .await
        .unwrap();
    let s = sink.settled().await.remove(0);
    (s.commands[1..s.commands.len() - 4].to_vec(), s.challenge)
}

#[tokio::test]
async fn each_mechanism_as_the_server_offers_them() {
    // PLAIN with an identity.
    let (cmds, _) = auth_commands(
        "AUTH PLAIN LOGIN",
        "auth_username: user\nauth_password: pass\nauth_identity: admin",
    )
    .await;
    assert_eq!(
        cmds,
        [format!("AUTH PLAIN {}", B64.encode("admin\0user\0pass"))]
    );
    // LOGIN when it comes first.
    let (cmds, _) = auth_commands(
        "AUTH LOGIN PLAIN",
        "auth_username: user\nauth_password: pass",
    )
    .await;
    assert_eq!(
        cmds,
        [
            "AUTH LOGIN".to_string(),
            B64.encode("user"),
            B64.encode("pass")
        ]
    );
    // CRAM-MD5 with a secret: the HMAC-MD5 of the challenge.
    let (cmds, challenge) = auth_commands(
        "AUTH CRAM-MD5 PLAIN",
        "auth_username: user\nauth_password: pass\nauth_secret: tanstaaf",
    )
    .await;
    let mac = smtp::hmac_md5(b"tanstaaf", challenge.unwrap().as_bytes());
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        cmds,
        [
            "AUTH CRAM-MD5".to_string(),
            B64.encode(format!("user {hex}"))
        ]
    );
    // CRAM-MD5 offered first but no secret: the next mechanism.
    let (cmds, _) = auth_commands(
        "AUTH CRAM-MD5 PLAIN",
        "auth_username: user\nauth_password: pass",
    )
    .await;
    assert_eq!(cmds, [format!("AUTH PLAIN {}", B64.encode("\0user\0pass"))]);
    // No username: no AUTH at all.
    let (cmds, _) = auth_commands("AUTH PLAIN", "auth_password: pass").await;
    assert!(cmds.is_empty(), "{cmds:?}");
}

#[tokio::test]
async fn secrets_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("password");
    std::fs::write(&pw, "  from-file\n").unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "cram-secret\n").unwrap();

    let (cmds, _) = auth_commands(
        "AUTH PLAIN",
        &format!("auth_username: user\nauth_password_file: {}", p(&pw)),
    )
    .await;
    assert_eq!(
        cmds,
        [format!("AUTH PLAIN {}", B64.encode("\0user\0from-file"))],
        "the password file is trimmed"
    );
    let (cmds, challenge) = auth_commands(
        "AUTH CRAM-MD5",
        &format!("auth_username: user\nauth_secret_file: {}", p(&secret)),
    )
    .await;
    // Alertmanager does not trim the secret file.
    let mac = smtp::hmac_md5(b"cram-secret\n", challenge.unwrap().as_bytes());
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(cmds[1], B64.encode(format!("user {hex}")));

    // Files are read at every notification.
    std::fs::write(&pw, "rotated").unwrap();
    let (cmds, _) = auth_commands(
        "AUTH PLAIN",
        &format!("auth_username: user\nauth_password_file: {}", p(&pw)),
    )
    .await;
    assert_eq!(
        cmds,
        [format!("AUTH PLAIN {}", B64.encode("\0user\0rotated"))]
    );

    // Unreadable files and missing credentials: retried, and nothing
    // secret in the message.
    let sink = SmtpSink::start(Script::default().ext(&["AUTH XOAUTH2 CRAM-MD5 PLAIN"])).await;
    let e = email(&plain(
        &sink,
        "auth_username: user\nauth_secret_file: /nonexistent/s\nauth_password: ''",
    ))
    .notify(&ctx(), &firing())
    .await
    .unwrap_err();
    assert_eq!(
        e,
        NotifyError::retryable(
            FailureReason::Other,
            "find auth mechanism: unknown auth mechanism: XOAUTH2\n\
             could not read /nonexistent/s: open /nonexistent/s: no such file or directory\n\
             missing password for PLAIN auth mechanism"
        )
    );
    assert_eq!(sink.settled().await[0].commands, ["EHLO localhost", "QUIT"]);
}

#[tokio::test]
async fn refused_authentication_is_aborted_and_retried() {
    let sink = SmtpSink::start(
        Script::default()
            .ext(&["AUTH PLAIN"])
            .reply("AUTH", "535 5.7.8 Authentication credentials invalid"),
    )
    .await;
    let e = email(&plain(&sink, "auth_username: user\nauth_password: hunter2"))
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert_eq!(
        e,
        NotifyError::retryable(
            FailureReason::Other,
            "*smtp.plainAuth auth: 535 5.7.8 Authentication credentials invalid"
        )
    );
    assert!(!e.message.contains("hunter2"));
    let s = &sink.settled().await[0];
    assert_eq!(
        s.commands,
        [
            "EHLO localhost".to_string(),
            format!("AUTH PLAIN {}", B64.encode("\0user\0hunter2")),
            "*".into(),
            "QUIT".into()
        ]
    );

    // PLAIN is not sent in clear to a host other than localhost.
    let sink = SmtpSink::start_on("127.0.0.2:0", Script::default().ext(&["AUTH PLAIN"])).await;
    let e = email(&format!(
        "to: a@x\nfrom: b@x\nsmarthost: 127.0.0.2:{}\nrequire_tls: false\n\
         auth_username: user\nauth_password: hunter2",
        sink.port()
    ))
    .notify(&ctx(), &firing())
    .await
    .unwrap_err();
    assert_eq!(e.message, "*smtp.plainAuth auth: unencrypted connection");
    assert!(e.retryable);
    assert_eq!(sink.settled().await[0].commands, ["EHLO localhost", "QUIT"]);
}

// ---------------------------------------------------------------------------
// Failures.

#[tokio::test]
async fn smtp_refusals_are_retried_as_alertmanager_does() {
    // Alertmanager 0.34 returns `retry = true` for every refusal after
    // connecting, 5xx included, with the default reason.
    for (script, want) in [
        (
            Script::default().reply("MAIL", "550 5.7.1 Sender rejected"),
            "send MAIL command: 550 5.7.1 Sender rejected",
        ),
        (
            Script::default().reply("RCPT", "450 4.2.0 Mailbox busy"),
            "send RCPT command: 450 4.2.0 Mailbox busy",
        ),
        (
            Script::default().reply("DATA", "554 5.5.1 No valid recipients"),
            "send DATA command: 554 5.5.1 No valid recipients",
        ),
        (
            Script::default().reply(".", "552 5.3.4 Message too big"),
            "delivery failure: 552 5.3.4 Message too big",
        ),
        (
            Script::default().reply(".", "451 4.3.0 Try again later"),
            "delivery failure: 451 4.3.0 Try again later",
        ),
    ] {
        let sink = SmtpSink::start(script).await;
        let e = email(&plain(&sink, ""))
            .notify(&ctx(), &firing())
            .await
            .unwrap_err();
        assert_eq!(e, NotifyError::retryable(FailureReason::Other, want));
        let cmds = &sink.settled().await[0].commands;
        assert_eq!(cmds.last().map(String::as_str), Some("QUIT"), "{cmds:?}");
    }

    // A multi-line refusal keeps every line.
    let sink =
        SmtpSink::start(Script::default().reply("MAIL", "550-5.7.1 first\r\n550 5.7.1 second"))
            .await;
    let e = email(&plain(&sink, ""))
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "send MAIL command: 550 5.7.1 first\n5.7.1 second"
    );

    // Nothing listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = email(&format!(
        "to: a@x\nfrom: b@x\nsmarthost: 127.0.0.1:{port}\nrequire_tls: false"
    ))
    .notify(&ctx(), &firing())
    .await
    .unwrap_err();
    assert_eq!(
        e,
        NotifyError::retryable(
            FailureReason::Other,
            format!(
                "establish connection to server: dial tcp 127.0.0.1:{port}: connect: connection refused"
            )
        )
    );
}

#[tokio::test]
async fn a_temporary_refusal_is_retried_until_accepted() {
    let sink = SmtpSink::start(Script::default().reply("RCPT", "421 4.7.0 Try again later")).await;
    let integration = Integration::new(Arc::new(email(&plain(&sink, ""))), 0, true);
    let mut c = ctx();
    c.deadline = Some(tokio::time::Instant::now() + Duration::from_secs(20));
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap();
    let sessions = sink.settled().await;
    assert_eq!(sessions.len(), 2);
    assert!(sessions[0].messages.is_empty());
    assert_eq!(sessions[1].messages.len(), 1);
}

#[tokio::test]
async fn helo_when_ehlo_is_refused() {
    let sink = SmtpSink::start(
        Script::default()
            .ext(&["8BITMIME"])
            .reply("EHLO", "502 5.5.2 Command not recognized"),
    )
    .await;
    email(&plain(&sink, ""))
        .notify(&ctx(), &firing())
        .await
        .unwrap();
    assert_eq!(
        sink.settled().await[0].commands,
        [
            "EHLO localhost",
            "HELO localhost",
            "MAIL FROM:<am@example.org>",
            "RCPT TO:<team@example.org>",
            "DATA",
            "QUIT"
        ]
    );
}

#[tokio::test]
async fn template_and_address_errors_are_permanent() {
    // In `from`: found after AUTH, before MAIL.
    let sink = SmtpSink::start(Script::default()).await;
    let e = email(&plain(&sink, "from: '{{ template \"nope\" . }}'"))
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert!(!e.retryable, "{e:?}");
    assert!(e.message.starts_with("execute 'from' template: "), "{e:?}");
    assert!(e.message.contains("nope"), "{e:?}");
    assert_eq!(sink.settled().await[0].commands, ["EHLO localhost", "QUIT"]);

    // Two senders.
    let sink = SmtpSink::start(Script::default()).await;
    let e = email(&plain(&sink, "from: 'a@x, b@x'"))
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert_eq!(
        e,
        NotifyError::permanent(
            FailureReason::Other,
            "must be exactly one 'from' address (got: 2)"
        )
    );

    // A bad recipient list is found after MAIL.
    let sink = SmtpSink::start(Script::default()).await;
    let e = email(&plain(&sink, "to: 'nobody'"))
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert_eq!(
        e,
        NotifyError::permanent(
            FailureReason::Other,
            "parse 'to' addresses: mail: missing '@' or angle-addr"
        )
    );
    assert_eq!(
        sink.settled().await[0].commands,
        ["EHLO localhost", "MAIL FROM:<am@example.org>", "QUIT"]
    );

    // A header template fails after DATA: Alertmanager still closes the
    // message, which is then empty.
    let sink = SmtpSink::start(Script::default()).await;
    let e = email(&plain(&sink, "headers: {x-bad: '{{ .Nope.Nope }}'}"))
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert!(!e.retryable, "{e:?}");
    assert!(
        e.message.starts_with("execute \"X-Bad\" header template: "),
        "{e:?}"
    );
    let s = &sink.settled().await[0];
    assert_eq!(s.commands.last().map(String::as_str), Some("QUIT"));
    assert_eq!(s.messages, ["\r\n"]);

    // A text template fails after the headers went out.
    let sink = SmtpSink::start(Script::default()).await;
    let e = email(&plain(&sink, "text: '{{ template \"nope\" . }}'"))
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert!(
        !e.retryable && e.message.starts_with("execute text template: "),
        "{e:?}"
    );
    let m = &sink.settled().await[0].messages[0];
    assert!(m.ends_with("MIME-Version: 1.0\r\n\r\n"), "{m}");

    // And the HTML one.
    let sink = SmtpSink::start(Script::default()).await;
    let e = email(&plain(&sink, "text: ok\nhtml: '{{ template \"nope\" . }}'"))
        .notify(&ctx(), &firing())
        .await
        .unwrap_err();
    assert!(
        !e.retryable && e.message.starts_with("execute html template: "),
        "{e:?}"
    );
}
