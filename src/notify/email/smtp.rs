//! An SMTP client that holds the conversation Go's `net/smtp.Client`
//! holds (as Alertmanager 0.34 uses it): the greeting, `EHLO` falling back
//! to `HELO`, extensions, `STARTTLS`, `AUTH` with a mechanism's challenge
//! loop (aborted with `*`), `MAIL`/`RCPT`/`DATA` and `QUIT`; replies are
//! read as `net/textproto` reads them and failures read like Go's.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use md5::{Digest, Md5};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// The longest reply line read (Go has no limit; this keeps a broken
/// server from exhausting memory).
const MAX_LINE: usize = 1 << 20;

/// A connection, before or after TLS.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    async fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => {
                s.write_all(data).await?;
                s.flush().await
            }
            Stream::Tls(s) => {
                s.write_all(data).await?;
                s.flush().await
            }
        }
    }

    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf).await,
            Stream::Tls(s) => s.read(buf).await,
        }
    }

    async fn shutdown(&mut self) {
        let _ = match self {
            Stream::Plain(s) => s.shutdown().await,
            Stream::Tls(s) => s.shutdown().await,
        };
    }
}

/// A failure, displayed as Go displays it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmtpError {
    /// A reply with an unexpected code (`textproto.Error`): `550 5.1.1 No`.
    Reply { code: u16, message: String },
    /// Anything else: I/O, protocol and mechanism errors.
    Other(String),
}

impl std::fmt::Display for SmtpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmtpError::Reply { code, message } => write!(f, "{code:03} {message}"),
            SmtpError::Other(m) => f.write_str(m),
        }
    }
}

fn io_error(e: &std::io::Error) -> SmtpError {
    SmtpError::Other(go_io_text(e))
}

pub use crate::notify::http::go_io_text;

/// An authentication mechanism (Go's `smtp.Auth`).
#[derive(Clone)]
pub enum Auth {
    /// `smtp.PlainAuth(identity, username, password, host)`.
    Plain {
        identity: String,
        username: String,
        password: String,
        host: String,
    },
    /// `smtp.CRAMMD5Auth(username, secret)`.
    CramMd5 { username: String, secret: String },
    /// Alertmanager's own `LoginAuth(username, password)`.
    Login { username: String, password: String },
}

impl Auth {
    /// The Go type name Alertmanager prints (`%T`) in auth errors.
    pub fn type_name(&self) -> &'static str {
        match self {
            Auth::Plain { .. } => "*smtp.plainAuth",
            Auth::CramMd5 { .. } => "*smtp.cramMD5Auth",
            Auth::Login { .. } => "*email.loginAuth",
        }
    }

    /// `Start`: the mechanism name and the initial response.
    fn start(&self, server_name: &str, tls: bool) -> Result<(&'static str, Vec<u8>), SmtpError> {
        match self {
            Auth::Plain {
                identity,
                username,
                password,
                host,
            } => {
                if !tls && !matches!(server_name, "localhost" | "127.0.0.1" | "::1") {
                    return Err(SmtpError::Other("unencrypted connection".into()));
                }
                if server_name != host {
                    return Err(SmtpError::Other("wrong host name".into()));
                }
                Ok((
                    "PLAIN",
                    format!("{identity}\0{username}\0{password}").into_bytes(),
                ))
            }
            Auth::CramMd5 { .. } => Ok(("CRAM-MD5", Vec::new())),
            Auth::Login { .. } => Ok(("LOGIN", Vec::new())),
        }
    }

    /// `Next`: the answer to a challenge (`more`) or to the final reply
    /// (`None` ends the exchange).
    fn next(&self, from_server: &[u8], more: bool) -> Result<Option<Vec<u8>>, SmtpError> {
        if !more {
            return Ok(None);
        }
        match self {
            Auth::Plain { .. } => Err(SmtpError::Other("unexpected server challenge".into())),
            Auth::CramMd5 { username, secret } => {
                let mac = hmac_md5(secret.as_bytes(), from_server);
                let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
                Ok(Some(format!("{username} {hex}").into_bytes()))
            }
            Auth::Login { username, password } => {
                match String::from_utf8_lossy(from_server).to_lowercase().as_str() {
                    "username:" => Ok(Some(username.clone().into_bytes())),
                    "password:" => Ok(Some(password.clone().into_bytes())),
                    _ => Err(SmtpError::Other("unexpected server challenge".into())),
                }
            }
        }
    }
}

/// HMAC-MD5 (RFC 2104), for CRAM-MD5.
pub fn hmac_md5(key: &[u8], message: &[u8]) -> [u8; 16] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..16].copy_from_slice(&Md5::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Md5::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Md5::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// One SMTP session (Go's `smtp.Client` over a `textproto.Conn`).
pub struct Client {
    stream: Option<Stream>,
    buf: Vec<u8>,
    tls: bool,
    server_name: String,
    ext: Option<HashMap<String, String>>,
    local_name: String,
    did_hello: bool,
    hello_error: Option<SmtpError>,
}

impl Client {
    /// `smtp.NewClient`: reads the `220` greeting.
    pub async fn new(stream: Stream, host: &str) -> Result<Client, SmtpError> {
        let tls = matches!(stream, Stream::Tls(_));
        let mut c = Client {
            stream: Some(stream),
            buf: Vec::new(),
            tls,
            server_name: host.to_string(),
            ext: None,
            local_name: "localhost".into(),
            did_hello: false,
            hello_error: None,
        };
        if let Err(e) = c.read_response(220).await {
            c.close().await;
            return Err(e);
        }
        Ok(c)
    }

    async fn close(&mut self) {
        if let Some(mut s) = self.stream.take() {
            s.shutdown().await;
        }
    }

    /// Sends one command line.
    async fn send(&mut self, line: &str) -> Result<(), SmtpError> {
        let Some(s) = self.stream.as_mut() else {
            return Err(SmtpError::Other("use of closed network connection".into()));
        };
        let mut data = Vec::with_capacity(line.len() + 2);
        data.extend_from_slice(line.as_bytes());
        data.extend_from_slice(b"\r\n");
        s.write_all(&data).await.map_err(|e| io_error(&e))
    }

    /// Sends raw bytes (the DATA payload).
    async fn send_raw(&mut self, data: &[u8]) -> Result<(), SmtpError> {
        let Some(s) = self.stream.as_mut() else {
            return Err(SmtpError::Other("use of closed network connection".into()));
        };
        s.write_all(data).await.map_err(|e| io_error(&e))
    }

    /// A reply line without its line ending.
    async fn read_line(&mut self) -> Result<String, SmtpError> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=i).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() > MAX_LINE {
                return Err(SmtpError::Other("reply line too long".into()));
            }
            let Some(s) = self.stream.as_mut() else {
                return Err(SmtpError::Other("use of closed network connection".into()));
            };
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk).await {
                Ok(0) => {
                    // Go's bufio returns a last unterminated line, then EOF.
                    if self.buf.is_empty() {
                        return Err(SmtpError::Other("EOF".into()));
                    }
                    let line = std::mem::take(&mut self.buf);
                    return Ok(String::from_utf8_lossy(&line).into_owned());
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(io_error(&e)),
            }
        }
    }

    /// `textproto.Reader.ReadResponse`: a reply, possibly multi-line, its
    /// code checked against `expect` (3 digits: exact; 2: the first two;
    /// 1: the first; 0: any).
    pub async fn read_response(&mut self, expect: u16) -> Result<(u16, String), SmtpError> {
        let line = self.read_line().await?;
        let (code, mut continued, mut message, mut err) = parse_code_line(&line, expect);
        let multi = continued;
        while continued {
            let line = self.read_line().await?;
            match parse_code_line(&line, 0) {
                (code2, more, text, None) if code2 == code => {
                    message.push('\n');
                    message.push_str(&text);
                    continued = more;
                }
                _ => {
                    message.push('\n');
                    message.push_str(line.trim_end_matches(['\r', '\n']));
                    continued = true;
                }
            }
        }
        if err.is_some() && multi && !message.is_empty() {
            err = Some(SmtpError::Reply {
                code,
                message: message.clone(),
            });
        }
        match err {
            Some(e) => Err(e),
            None => Ok((code, message)),
        }
    }

    /// Sends a command and reads its reply.
    async fn cmd(&mut self, expect: u16, line: &str) -> Result<(u16, String), SmtpError> {
        self.send(line).await?;
        self.read_response(expect).await
    }

    async fn hello(&mut self) -> Result<(), SmtpError> {
        if !self.did_hello {
            self.did_hello = true;
            if self.ehlo().await.is_err() {
                self.hello_error = self.helo().await.err();
            }
        }
        match &self.hello_error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// `Client.Hello`: introduces the client as `local_name`.
    pub async fn hello_as(&mut self, local_name: &str) -> Result<(), SmtpError> {
        validate_line(local_name)?;
        if self.did_hello {
            return Err(SmtpError::Other(
                "smtp: Hello called after other methods".into(),
            ));
        }
        self.local_name = local_name.to_string();
        self.hello().await
    }

    async fn helo(&mut self) -> Result<(), SmtpError> {
        self.ext = None;
        let line = format!("HELO {}", self.local_name);
        self.cmd(250, &line).await.map(|_| ())
    }

    async fn ehlo(&mut self) -> Result<(), SmtpError> {
        let line = format!("EHLO {}", self.local_name);
        let (_, msg) = self.cmd(250, &line).await?;
        let mut ext = HashMap::new();
        for line in msg.split('\n').skip(1) {
            let (k, v) = line.split_once(' ').unwrap_or((line, ""));
            ext.insert(k.to_uppercase(), v.to_string());
        }
        self.ext = Some(ext);
        Ok(())
    }

    /// `Client.Extension`: the parameters of an advertised extension.
    pub async fn extension(&mut self, name: &str) -> Option<String> {
        if self.hello().await.is_err() {
            return None;
        }
        self.ext.as_ref()?.get(&name.to_uppercase()).cloned()
    }

    /// `Client.StartTLS`: upgrades the connection and greets again.
    pub async fn start_tls(
        &mut self,
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
    ) -> Result<(), SmtpError> {
        self.hello().await?;
        self.cmd(220, "STARTTLS").await?;
        let Some(Stream::Plain(tcp)) = self.stream.take() else {
            return Err(SmtpError::Other("tls: already using TLS".into()));
        };
        // Go starts a new textproto.Conn: anything buffered is dropped.
        self.buf.clear();
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| SmtpError::Other(tls_error_text(&e)))?;
        self.stream = Some(Stream::Tls(Box::new(tls)));
        self.tls = true;
        self.ehlo().await
    }

    /// `Client.Auth`: runs `auth`'s exchange; a failure aborts it with
    /// `*` and quits.
    pub async fn auth(&mut self, auth: &Auth) -> Result<(), SmtpError> {
        self.hello().await?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let (mech, resp) = match auth.start(&self.server_name, self.tls) {
            Ok(r) => r,
            Err(e) => {
                let _ = self.quit().await;
                return Err(e);
            }
        };
        let line = format!("AUTH {mech} {}", b64.encode(&resp));
        let mut reply = self.cmd(0, line.trim()).await;
        loop {
            let (code, msg64) = match reply {
                Ok(r) => r,
                Err(e) => return Err(e),
            };
            let step = match code {
                334 => b64
                    .decode(msg64.as_bytes())
                    .map_err(|e| SmtpError::Other(go_base64_error(&e)))
                    .and_then(|msg| auth.next(&msg, true)),
                235 => auth.next(msg64.as_bytes(), false),
                _ => Err(SmtpError::Reply {
                    code,
                    message: msg64,
                }),
            };
            match step {
                Err(e) => {
                    let _ = self.cmd(501, "*").await;
                    let _ = self.quit().await;
                    return Err(e);
                }
                Ok(None) => return Ok(()),
                Ok(Some(resp)) => reply = self.cmd(0, &b64.encode(&resp)).await,
            }
        }
    }

    /// `Client.Mail`, with `BODY=8BITMIME` and `SMTPUTF8` when offered.
    pub async fn mail(&mut self, from: &str) -> Result<(), SmtpError> {
        validate_line(from)?;
        self.hello().await?;
        let mut line = format!("MAIL FROM:<{from}>");
        if let Some(ext) = &self.ext {
            if ext.contains_key("8BITMIME") {
                line.push_str(" BODY=8BITMIME");
            }
            if ext.contains_key("SMTPUTF8") {
                line.push_str(" SMTPUTF8");
            }
        }
        self.cmd(250, &line).await.map(|_| ())
    }

    /// `Client.Rcpt` (any `25x` reply accepts).
    pub async fn rcpt(&mut self, to: &str) -> Result<(), SmtpError> {
        validate_line(to)?;
        self.cmd(25, &format!("RCPT TO:<{to}>")).await.map(|_| ())
    }

    /// `Client.Data`: the `DATA` command.
    pub async fn data(&mut self) -> Result<(), SmtpError> {
        self.cmd(354, "DATA").await.map(|_| ())
    }

    /// Closing the DATA writer: `payload` dot-stuffed and terminated, then
    /// the `250` that accepts the message.
    pub async fn finish_data(&mut self, payload: &[u8]) -> Result<(), SmtpError> {
        let stuffed = super::mime::dot_stuff(payload);
        // Go ignores a failed write here and reports the reply instead.
        let _ = self.send_raw(&stuffed).await;
        self.read_response(250).await.map(|_| ())
    }

    /// `Client.Quit` (Go 1.21+: sent even after a failed greeting).
    pub async fn quit(&mut self) -> Result<(), SmtpError> {
        let _ = self.hello().await;
        self.cmd(221, "QUIT").await?;
        self.close().await;
        Ok(())
    }
}

/// `textproto`'s `parseCodeLine`: code, continued, message, error.
fn parse_code_line(line: &str, expect: u16) -> (u16, bool, String, Option<SmtpError>) {
    let b = line.as_bytes();
    if b.len() < 4 || b[3] != b' ' && b[3] != b'-' {
        return (
            0,
            false,
            String::new(),
            Some(SmtpError::Other(format!("short response: {line}"))),
        );
    }
    let continued = b[3] == b'-';
    let code = match line[..3].parse::<u16>() {
        Ok(c) if c >= 100 && line[..3].bytes().all(|d| d.is_ascii_digit()) => c,
        _ => {
            return (
                0,
                continued,
                String::new(),
                Some(SmtpError::Other(format!("invalid response code: {line}"))),
            );
        }
    };
    let message = line[4..].to_string();
    let mismatch = (1..10).contains(&expect) && code / 100 != expect
        || (10..100).contains(&expect) && code / 10 != expect
        || (100..1000).contains(&expect) && code != expect;
    let err = mismatch.then(|| SmtpError::Reply {
        code,
        message: message.clone(),
    });
    (code, continued, message, err)
}

fn validate_line(line: &str) -> Result<(), SmtpError> {
    if line.contains(['\n', '\r']) {
        return Err(SmtpError::Other(
            "smtp: A line must not contain CR or LF".into(),
        ));
    }
    Ok(())
}

/// Go's `base64.CorruptInputError` text.
fn go_base64_error(e: &base64::DecodeError) -> String {
    let at = match e {
        base64::DecodeError::InvalidByte(i, _)
        | base64::DecodeError::InvalidLastSymbol { offset: i, .. }
        | base64::DecodeError::InvalidLength(i) => *i,
        _ => 0,
    };
    format!("illegal base64 data at input byte {at}")
}

/// A TLS failure (`tls: …`), from rustls' error.
pub fn tls_error_text(e: &std::io::Error) -> String {
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(c)) => {
            format!("tls: failed to verify certificate: {c:?}")
        }
        Some(other) => format!("tls: {other}"),
        None => go_io_text(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_md5_matches_rfc_2195() {
        // RFC 2195's example exchange.
        let mac = hmac_md5(
            b"tanstaaftanstaaf",
            b"<1896.697170952@postoffice.reston.mci.net>",
        );
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "b913a602c7eda7a495b4e6e7334d3890");
        let auth = Auth::CramMd5 {
            username: "tim".into(),
            secret: "tanstaaftanstaaf".into(),
        };
        let resp = auth
            .next(b"<1896.697170952@postoffice.reston.mci.net>", true)
            .unwrap()
            .unwrap();
        assert_eq!(resp, b"tim b913a602c7eda7a495b4e6e7334d3890");
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(&resp),
            "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
        );
        // RFC 2202's test cases 2 and 6 (a key longer than a block).
        let hex = |m: [u8; 16]| m.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(hmac_md5(b"Jefe", b"what do ya want for nothing?")),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        assert_eq!(
            hex(hmac_md5(
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"
        );
    }

    #[test]
    fn reply_lines_parse_as_textproto_does() {
        assert_eq!(parse_code_line("250 ok", 250).0, 250);
        assert!(parse_code_line("251 ok", 25).3.is_none());
        assert_eq!(
            parse_code_line("550 5.1.1 no", 25).3,
            Some(SmtpError::Reply {
                code: 550,
                message: "5.1.1 no".into()
            })
        );
        assert_eq!(
            parse_code_line("250", 250).3.unwrap().to_string(),
            "short response: 250"
        );
        assert_eq!(
            parse_code_line("abc ok", 0).3.unwrap().to_string(),
            "invalid response code: abc ok"
        );
        assert_eq!(
            parse_code_line("099 x", 0).3.unwrap().to_string(),
            "invalid response code: 099 x"
        );
        assert!(parse_code_line("250-first", 250).1);
    }

    #[test]
    fn mechanisms_answer_as_go_does() {
        let plain = Auth::Plain {
            identity: "id".into(),
            username: "u".into(),
            password: "p".into(),
            host: "mail.example.org".into(),
        };
        assert_eq!(
            plain
                .start("mail.example.org", false)
                .unwrap_err()
                .to_string(),
            "unencrypted connection"
        );
        assert_eq!(
            plain.start("mail.example.org", true).unwrap(),
            ("PLAIN", b"id\0u\0p".to_vec())
        );
        assert!(plain.next(b"", true).is_err());
        assert_eq!(plain.next(b"ok", false).unwrap(), None);
        let login = Auth::Login {
            username: "u".into(),
            password: "p".into(),
        };
        assert_eq!(login.next(b"Username:", true).unwrap(), Some(b"u".to_vec()));
        assert_eq!(login.next(b"PASSWORD:", true).unwrap(), Some(b"p".to_vec()));
        assert_eq!(
            login.next(b"Who?", true).unwrap_err().to_string(),
            "unexpected server challenge"
        );
    }
}
