//! The email integration: sends the alert group by SMTP to `smarthost`
//! exactly as Alertmanager 0.34 does — implicit TLS on port 465 (or as
//! `force_implicit_tls` says), otherwise `STARTTLS` when `require_tls`
//! demands it, authentication chosen from the mechanisms the server
//! advertises (CRAM-MD5, PLAIN, LOGIN), templated `from`, `to` and
//! `headers`, and a `multipart/alternative` body with quoted-printable
//! `text` and `html` parts; `threading` adds `References`/`In-Reply-To`.
//!
//! Like Alertmanager, every failure of the SMTP conversation is retried
//! (reason `other`) and only template, address and TLS-configuration
//! errors are permanent. A template error after `DATA` still ends the
//! message (Alertmanager closes the DATA writer on its way out).

mod mime;
mod smtp;

use std::collections::BTreeMap;
use std::sync::Arc;

use rustls::pki_types::ServerName;

use self::mime::{QuotedPrintable, parse_address_list, q_encode};
use self::smtp::{Auth, Client, Stream};
use super::http::{go_open_error, install_crypto_provider};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::http::TlsVersion;
use crate::config::notifiers::email::{DEFAULT_EMAIL_SUBJECT, EmailConfig};
use crate::config::types::go_quote;

/// One `email_configs` entry, ready to send.
pub struct Email {
    conf: EmailConfig,
    /// `headers` with Alertmanager's defaults for `Subject`, `To` and
    /// `From`, in the order they are written.
    headers: BTreeMap<String, String>,
    hostname: String,
    templater: Option<Arc<dyn Templater>>,
}

fn retryable(message: String) -> NotifyError {
    NotifyError::retryable(FailureReason::Other, message)
}

fn permanent(message: String) -> NotifyError {
    NotifyError::permanent(FailureReason::Other, message)
}

impl Email {
    /// Builds the notifier from a resolved config; `templater` renders
    /// every templated field (nothing can be sent without it). TLS
    /// material is read when sending, as Alertmanager does.
    pub fn new(conf: &EmailConfig, templater: Option<Arc<dyn Templater>>) -> Result<Self, String> {
        let mut headers = conf.headers.clone();
        headers
            .entry("Subject".into())
            .or_insert_with(|| DEFAULT_EMAIL_SUBJECT.into());
        headers
            .entry("To".into())
            .or_insert_with(|| conf.to.clone());
        headers
            .entry("From".into())
            .or_insert_with(|| conf.from.clone());
        Ok(Email {
            conf: conf.clone(),
            headers,
            hostname: hostname(),
            templater,
        })
    }

    fn implicit_tls(&self) -> bool {
        self.conf
            .force_implicit_tls
            .unwrap_or(self.conf.smarthost.port == "465")
    }

    /// `commoncfg.NewTLSConfig(tls_config)` with the server name defaulting
    /// to the smarthost's host.
    fn tls_config(&self) -> Result<(Arc<rustls::ClientConfig>, ServerName<'static>), String> {
        install_crypto_provider();
        let mut tls = self.conf.tls_config.clone().unwrap_or_default();
        if tls.is_unset() {
            // An unset block still needs a configuration of our own (the
            // system roots); TLS 1.2 is Go's minimum anyway.
            tls.min_version = Some(TlsVersion::Tls12);
        }
        let mut config = super::tls::client_config(&tls, false)?
            .ok_or_else(|| "no TLS configuration".to_string())?;
        config.alpn_protocols.clear();
        let name = if tls.server_name.is_empty() {
            self.conf.smarthost.host.clone()
        } else {
            tls.server_name.clone()
        };
        let name = ServerName::try_from(name).map_err(|_| {
            "tls: either ServerName or InsecureSkipVerify must be specified in the tls.Config"
                .to_string()
        })?;
        Ok((Arc::new(config), name))
    }

    /// The password for PLAIN and LOGIN: the file (trimmed) wins.
    fn password(&self) -> Result<String, String> {
        let file = &self.conf.auth_password_file;
        if !file.is_empty() {
            return std::fs::read_to_string(file)
                .map(|s| s.trim().to_string())
                .map_err(|e| format!("could not read {file}: {}", go_open_error(file, &e)));
        }
        Ok(self.conf.auth_password.expose().to_string())
    }

    /// The CRAM-MD5 secret: the file (not trimmed, as in Alertmanager)
    /// wins.
    fn secret(&self) -> Result<String, String> {
        let file = &self.conf.auth_secret_file;
        if !file.is_empty() {
            return std::fs::read(file)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .map_err(|e| format!("could not read {file}: {}", go_open_error(file, &e)));
        }
        Ok(self.conf.auth_secret.expose().to_string())
    }

    /// Alertmanager's `auth`: the first advertised mechanism it has
    /// credentials for, in the server's order; the reasons for skipping
    /// each otherwise.
    fn auth(&self, mechs: &str) -> Result<Option<Auth>, String> {
        let username = &self.conf.auth_username;
        if username.is_empty() {
            tracing::debug!(
                "smtp_auth_username is not configured. Attempting to send email without authenticating"
            );
            return Ok(None);
        }
        let mut errs = Vec::new();
        for mech in mechs.split(' ') {
            match mech {
                "CRAM-MD5" => match self.secret() {
                    Err(e) => errs.push(e),
                    Ok(s) if s.is_empty() => {
                        errs.push("missing secret for CRAM-MD5 auth mechanism".into())
                    }
                    Ok(secret) => {
                        return Ok(Some(Auth::CramMd5 {
                            username: username.clone(),
                            secret,
                        }));
                    }
                },
                "PLAIN" | "LOGIN" => match self.password() {
                    Err(e) => errs.push(e),
                    Ok(p) if p.is_empty() => {
                        errs.push(format!("missing password for {mech} auth mechanism"))
                    }
                    Ok(password) if mech == "PLAIN" => {
                        return Ok(Some(Auth::Plain {
                            identity: self.conf.auth_identity.clone(),
                            username: username.clone(),
                            password,
                            host: self.conf.smarthost.host.clone(),
                        }));
                    }
                    Ok(password) => {
                        return Ok(Some(Auth::Login {
                            username: username.clone(),
                            password,
                        }));
                    }
                },
                other => errs.push(format!("unknown auth mechanism: {other}")),
            }
        }
        Err(errs.join("\n"))
    }

    /// Renders `texts` against one data object; when that fails, each on
    /// its own so that the failing one is known.
    fn render(
        &self,
        texts: &[&str],
        html: bool,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Vec<Result<String, String>> {
        let Some(t) = &self.templater else {
            return texts
                .iter()
                .map(|_| Err("no template engine configured".to_string()))
                .collect();
        };
        let run = |texts: &[&str]| {
            if html {
                t.execute_all_html(texts, ctx, alerts)
            } else {
                t.execute_all(texts, ctx, alerts)
            }
        };
        match run(texts) {
            Ok(all) => all.into_iter().map(Ok).collect(),
            Err(_) => texts
                .iter()
                .map(|text| run(&[text]).map(|mut v| v.pop().unwrap_or_default()))
                .collect(),
        }
    }

    /// Connects to the smarthost, in TLS from the start when implicit.
    async fn connect(&self, implicit: bool) -> Result<Stream, NotifyError> {
        let addr = self.conf.smarthost.to_string();
        if !implicit {
            return dial(&addr)
                .await
                .map(Stream::Plain)
                .map_err(|e| retryable(format!("establish connection to server: {e}")));
        }
        let (config, name) = self
            .tls_config()
            .map_err(|e| permanent(format!("parse TLS configuration: {e}")))?;
        let tcp = dial(&addr)
            .await
            .map_err(|e| retryable(format!("establish TLS connection to server: {e}")))?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| {
                retryable(format!(
                    "establish TLS connection to server: {}",
                    smtp::tls_error_text(&e)
                ))
            })?;
        Ok(Stream::Tls(Box::new(tls)))
    }

    /// Everything between the greeting and `QUIT`.
    async fn converse(
        &self,
        c: &mut Client,
        implicit: bool,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<(), NotifyError> {
        if !self.conf.hello.is_empty() {
            c.hello_as(&self.conf.hello)
                .await
                .map_err(|e| retryable(format!("send EHLO command: {e}")))?;
        }

        if self.conf.require_tls.unwrap_or(true) && !implicit {
            if c.extension("STARTTLS").await.is_none() {
                return Err(retryable(format!(
                    "'require_tls' is true (default) but {} does not advertise the STARTTLS extension",
                    go_quote(&self.conf.smarthost.to_string())
                )));
            }
            let (config, name) = self
                .tls_config()
                .map_err(|e| permanent(format!("parse TLS configuration: {e}")))?;
            c.start_tls(config, name)
                .await
                .map_err(|e| retryable(format!("send STARTTLS command: {e}")))?;
        }

        if let Some(mechs) = c.extension("AUTH").await {
            let auth = self
                .auth(&mechs)
                .map_err(|e| retryable(format!("find auth mechanism: {e}")))?;
            if let Some(auth) = auth {
                c.auth(&auth)
                    .await
                    .map_err(|e| retryable(format!("{} auth: {e}", auth.type_name())))?;
            }
        }

        // Every template is rendered now (they have no side effects); the
        // failures are reported where Alertmanager meets them.
        let mut texts: Vec<&str> = vec![&self.conf.from, &self.conf.to];
        texts.extend(self.headers.values().map(String::as_str));
        let with_text = !self.conf.text.is_empty();
        if with_text {
            texts.push(&self.conf.text);
        }
        let mut rendered = self.render(&texts, false, ctx, alerts).into_iter();
        let with_html = !self.conf.html.is_empty();
        let html = if with_html {
            self.render(&[&self.conf.html], true, ctx, alerts).pop()
        } else {
            None
        };
        let mut next = || rendered.next().unwrap_or_else(|| Ok(String::new()));

        let from = next().map_err(|e| permanent(format!("execute 'from' template: {e}")))?;
        let to = next().map_err(|e| permanent(format!("execute 'to' template: {e}")))?;
        let senders = parse_address_list(&from)
            .map_err(|e| permanent(format!("parse 'from' addresses: {e}")))?;
        if senders.len() != 1 {
            return Err(permanent(format!(
                "must be exactly one 'from' address (got: {})",
                senders.len()
            )));
        }
        c.mail(&senders[0])
            .await
            .map_err(|e| retryable(format!("send MAIL command: {e}")))?;
        let recipients =
            parse_address_list(&to).map_err(|e| permanent(format!("parse 'to' addresses: {e}")))?;
        for r in &recipients {
            c.rcpt(r)
                .await
                .map_err(|e| retryable(format!("send RCPT command: {e}")))?;
        }
        c.data()
            .await
            .map_err(|e| retryable(format!("send DATA command: {e}")))?;

        // What is written to the DATA writer; it is closed (and the
        // server's verdict read) however this ends.
        let mut payload = Vec::new();
        let built = self.message(&mut payload, &mut next, with_text, html, ctx);
        let delivered = c.finish_data(&payload).await;
        built?;
        delivered.map_err(|e| retryable(format!("delivery failure: {e}")))
    }

    /// Writes the headers and the multipart body to `payload`, stopping
    /// where Alertmanager stops at a template error.
    fn message(
        &self,
        payload: &mut Vec<u8>,
        next: &mut dyn FnMut() -> Result<String, String>,
        with_text: bool,
        html: Option<Result<String, String>>,
        ctx: &NotifyContext,
    ) -> Result<(), NotifyError> {
        let mut head = String::new();
        for name in self.headers.keys() {
            let value = next().map_err(|e| {
                permanent(format!("execute {} header template: {e}", go_quote(name)))
            })?;
            head.push_str(&format!("{name}: {}\r\n", q_encode(&value)));
        }
        if !self.headers.contains_key("Message-Id") {
            let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
            let n = u64::from_be_bytes(random_bytes::<8>());
            head.push_str(&format!("Message-Id: <{nanos}.{n}@{}>\r\n", self.hostname));
        }
        if self.conf.threading.enabled {
            let thread_by = if self.conf.threading.thread_by_date == "none" {
                String::new()
            } else {
                chrono::Local::now().format("%Y-%m-%d").to_string()
            };
            let hash = super::group_key_hash(&ctx.group_key)[..16].to_string();
            let root = format!("<alert-{hash}-{thread_by}@alertmanager>");
            head.push_str(&format!("References: {root}\r\nIn-Reply-To: {root}\r\n"));
        }
        let boundary: String = random_bytes::<30>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let date = chrono::Local::now().format("%a, %d %b %Y %H:%M:%S %z");
        head.push_str(&format!(
            "Date: {date}\r\nContent-Type: multipart/alternative;  boundary={boundary}\r\nMIME-Version: 1.0\r\n\r\n"
        ));
        payload.extend_from_slice(head.as_bytes());

        let mut body = Vec::new();
        let mut parts = 0;
        let mut part = |body: &mut Vec<u8>, content_type: &str| {
            let sep = if parts == 0 { "" } else { "\r\n" };
            parts += 1;
            body.extend_from_slice(
                format!(
                    "{sep}--{boundary}\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
        };
        if with_text {
            part(&mut body, "text/plain; charset=UTF-8");
            let text = next().map_err(|e| permanent(format!("execute text template: {e}")))?;
            body.extend(QuotedPrintable::encode(text.as_bytes()));
        }
        if let Some(html) = html {
            part(&mut body, "text/html; charset=UTF-8");
            let html = html.map_err(|e| permanent(format!("execute html template: {e}")))?;
            body.extend(QuotedPrintable::encode(html.as_bytes()));
        }
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        payload.extend(body);
        Ok(())
    }
}

impl Notifier for Email {
    fn kind(&self) -> &'static str {
        "email"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(async move {
            let implicit = self.implicit_tls();
            let stream = self.connect(implicit).await?;
            let mut c = Client::new(stream, &self.conf.smarthost.host)
                .await
                .map_err(|e| retryable(format!("create SMTP client: {e}")))?;
            let result = self.converse(&mut c, implicit, ctx, alerts).await;
            // Alertmanager quits however the conversation ended.
            let quit = c.quit().await;
            if result.is_ok()
                && let Err(e) = quit
            {
                tracing::warn!(err = %e, "failed to close SMTP connection");
            }
            result
        })
    }
}

/// Go's `net.Dial("tcp", addr)`, with its error texts.
async fn dial(addr: &str) -> Result<tokio::net::TcpStream, String> {
    let resolved: Vec<std::net::SocketAddr> = match tokio::net::lookup_host(addr).await {
        Ok(a) => a.collect(),
        Err(e) => {
            let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            return Err(format!("dial tcp: lookup {host}: {}", go_lookup_text(&e)));
        }
    };
    let mut last = format!("dial tcp {addr}: no suitable address found");
    for a in resolved {
        match tokio::net::TcpStream::connect(a).await {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("dial tcp {a}: connect: {}", smtp::go_io_text(&e)),
        }
    }
    Err(last)
}

fn go_lookup_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    if text.contains("not known") || text.contains("No address associated") {
        "no such host".into()
    } else {
        smtp::go_io_text(e)
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut out = [0u8; N];
    if ring::rand::SystemRandom::new().fill(&mut out).is_err() {
        // No system randomness: a time-derived value still differs per
        // message.
        let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
        for (i, b) in out.iter_mut().enumerate() {
            *b = (nanos >> ((i % 8) * 8)) as u8;
        }
    }
    out
}

/// `os.Hostname()`, or `localhost.localdomain` when it cannot be read.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost.localdomain".to_string())
}

#[cfg(test)]
mod tests;
