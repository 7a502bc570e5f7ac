//! The HTTP client integrations send with, built from an `http_config`
//! block the way prometheus/common builds Go's: basic auth and
//! `Authorization` credentials (files re-read on every request), extra
//! `http_headers`, TLS (see [`super::tls`]), proxies, redirects and HTTP/2.
//! Also Alertmanager's response classification (`Retrier.Check`),
//! `Retry-After` and Go-like transport error texts with the URL redacted.

use std::fmt;
use std::sync::Once;
use std::time::Duration;

use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT,
};

use super::text::truncate_in_bytes;
use super::{FailureReason, NotifyError};
use crate::config::http::HttpClientConfig;

/// How much of an error response's body goes into the error message.
pub const MAX_ERROR_BODY: usize = 4096;

/// Installs rustls' ring crypto provider as the process default (once; a
/// provider installed earlier is kept). [`HttpClient::new`] calls it.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A secret given inline or read from a file on every use.
#[derive(Clone)]
pub(crate) enum SecretSource {
    Inline(String),
    File(String),
}

impl SecretSource {
    /// prometheus/common's `toSecret`: inline text wins over a file; a
    /// `*_ref` needs a secret manager, which Alertmanager has not.
    pub(crate) fn pick(inline: &str, file: &str, reference: &str) -> Result<Option<Self>, String> {
        if !inline.is_empty() {
            Ok(Some(SecretSource::Inline(inline.to_string())))
        } else if !file.is_empty() {
            Ok(Some(SecretSource::File(file.to_string())))
        } else if !reference.is_empty() {
            Err("cannot use secret ref without manager".to_string())
        } else {
            Ok(None)
        }
    }

    /// The value; file contents are whitespace-trimmed.
    pub(crate) fn fetch(&self) -> Result<String, String> {
        match self {
            SecretSource::Inline(s) => Ok(s.clone()),
            SecretSource::File(path) => read_trimmed(path),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            SecretSource::Inline(_) => "inline".to_string(),
            SecretSource::File(path) => format!("file {path}"),
        }
    }
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Where a webhook URL comes from: the configuration, or a file read (and
/// trimmed) on every notification.
#[derive(Clone, Debug)]
pub(crate) enum UrlSource {
    Inline(String),
    File(String),
}

impl UrlSource {
    /// `url` when configured, else `file`.
    pub(crate) fn new(url: Option<&crate::config::types::SecretUrl>, file: &str) -> UrlSource {
        match url {
            Some(u) => UrlSource::Inline(u.expose().as_str().to_string()),
            None => UrlSource::File(file.to_string()),
        }
    }

    /// The URL now. A file that cannot be read fails the notification for
    /// good, with Go's `*PathError` text after `prefix` (0.34 writes
    /// `read webhook_url_file: open /x: no such file or directory`).
    pub(crate) fn get(&self, prefix: &str) -> Result<String, NotifyError> {
        match self {
            UrlSource::Inline(u) => Ok(u.clone()),
            UrlSource::File(path) => std::fs::read_to_string(path)
                .map(|s| s.trim().to_string())
                .map_err(|e| {
                    NotifyError::permanent(
                        FailureReason::Other,
                        format!("{prefix}{}", go_open_error(path, &e)),
                    )
                }),
        }
    }
}

/// Reads a file and trims surrounding whitespace; errors read like
/// prometheus/common's (`unable to read file /x: open /x: no such file or
/// directory`).
pub fn read_trimmed(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("unable to read file {path}: {}", go_open_error(path, &e)))
}

/// Go's `*PathError` text for a failed open.
pub fn go_open_error(path: &str, e: &std::io::Error) -> String {
    format!("open {path}: {}", go_io_text(e))
}

/// The text Go prints for an I/O error (its errno texts, `EOF`, and the
/// closed-connection error).
pub fn go_io_text(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file or directory".to_string(),
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::ConnectionRefused => "connection refused".to_string(),
        ErrorKind::ConnectionReset => "connection reset by peer".to_string(),
        ErrorKind::TimedOut => "i/o timeout".to_string(),
        ErrorKind::IsADirectory => "is a directory".to_string(),
        ErrorKind::UnexpectedEof => "EOF".to_string(),
        ErrorKind::BrokenPipe => "broken pipe".to_string(),
        ErrorKind::NotConnected => "use of closed network connection".to_string(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_lowercase(),
                None => text,
            }
        }
    }
}

/// How requests authenticate.
#[derive(Clone)]
enum Auth {
    Basic {
        username: Option<SecretSource>,
        password: Option<SecretSource>,
    },
    Credentials {
        kind: String,
        credentials: Option<SecretSource>,
    },
    /// OAuth 2.0 client credentials (a token fetched and kept).
    OAuth2(std::sync::Arc<oauth2::TokenSource>),
}

/// The most requests one integration's client has in flight. A burst of
/// thousands of new groups then reuses a few hundred keep-alive connections
/// instead of opening one per notification (which costs both ends far more
/// than the request); groups beyond it wait for a free slot, within their
/// own deadline. A slot is held until the [`HttpResponse`] is dropped, so a
/// notifier must drop (or read) one answer before it sends its next request
/// on the same client.
pub const MAX_IN_FLIGHT: usize = 256;

/// An HTTP client for one integration.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// The last URL parsed: an integration posts to the same URL every
    /// time, and parsing it (IDNA included) costs more than cloning it.
    last_url: std::sync::Arc<std::sync::Mutex<Option<(String, reqwest::Url)>>>,
    auth: Option<Auth>,
    headers: Vec<(HeaderName, HeaderSource)>,
}

#[derive(Clone)]
enum HeaderSource {
    Value(String),
    File(String),
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient").finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Builds a client as prometheus/common's `NewClientFromConfig` does;
    /// fails with its messages for unreadable or unusable TLS material and
    /// secret references.
    pub fn new(cfg: &HttpClientConfig) -> Result<HttpClient, String> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .redirect(if cfg.follow_redirects {
                reqwest::redirect::Policy::limited(10)
            } else {
                reqwest::redirect::Policy::none()
            })
            .pool_max_idle_per_host(1000)
            .connect_timeout(Duration::from_secs(30));
        if !cfg.enable_http2 {
            builder = builder.http1_only();
        }
        builder = configure_proxy(builder, cfg)?;
        if let Some(tls) = super::tls::client_config(&cfg.tls_config, cfg.enable_http2)? {
            builder = builder.tls_backend_preconfigured(tls);
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok(HttpClient {
            client,
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            last_url: Default::default(),
            auth: auth(cfg)?,
            headers: extra_headers(cfg)?,
        })
    }

    /// POSTs `body` with `Content-Type: content_type`.
    pub async fn post(
        &self,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<HttpResponse, NotifyError> {
        self.request(reqwest::Method::POST, url, Some((content_type, body)))
            .await
    }

    fn parse_url(&self, url: &str) -> Result<reqwest::Url, url::ParseError> {
        let mut last = self
            .last_url
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((text, parsed)) = &*last
            && text == url
        {
            return Ok(parsed.clone());
        }
        let parsed = reqwest::Url::parse(url)?;
        *last = Some((url.to_string(), parsed.clone()));
        Ok(parsed)
    }

    /// GETs `url`.
    pub async fn get(&self, url: &str) -> Result<HttpResponse, NotifyError> {
        self.request(reqwest::Method::GET, url, None).await
    }

    /// Sends one request with Alertmanager's `User-Agent`, the configured
    /// authentication and headers. Transport failures are retryable, with
    /// Go-like messages such as `Post "<redacted>": dial tcp
    /// 127.0.0.1:9: connect: connection refused`.
    pub async fn request(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<HttpResponse, NotifyError> {
        self.request_with(method, url, body, &[]).await
    }

    /// [`HttpClient::request`] with headers of this request only (a
    /// signature), set after the configured ones.
    pub async fn request_with(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<(&str, Vec<u8>)>,
        extra: &[(&str, String)],
    ) -> Result<HttpResponse, NotifyError> {
        let op = go_op(&method);
        let parsed = self.parse_url(url).map_err(|e| {
            NotifyError::retryable(FailureReason::Other, format!("parse \"<redacted>\": {e}"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(NotifyError::retryable(
                FailureReason::Other,
                format!(
                    "{op} \"<redacted>\": unsupported protocol scheme \"{}\"",
                    parsed.scheme()
                ),
            ));
        }
        let mut headers = self.request_headers().map_err(|e| {
            NotifyError::retryable(FailureReason::Other, format!("{op} \"<redacted>\": {e}"))
        })?;
        for (name, value) in extra {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                NotifyError::permanent(
                    FailureReason::Other,
                    format!("invalid header name {name:?}"),
                )
            })?;
            let value = header_value(value).map_err(|e| {
                NotifyError::permanent(FailureReason::Other, format!("{op} \"<redacted>\": {e}"))
            })?;
            headers.insert(name, value);
        }
        if let Some(Auth::OAuth2(source)) = &self.auth {
            let (kind, token) = source.token().await.map_err(|e| {
                NotifyError::retryable(FailureReason::Other, format!("{op} \"<redacted>\": {e}"))
            })?;
            let value = header_value(&format!("{kind} {token}")).map_err(|e| {
                NotifyError::retryable(FailureReason::Other, format!("{op} \"<redacted>\": {e}"))
            })?;
            headers.insert(AUTHORIZATION, value);
        }
        let mut req = self.client.request(method, parsed.clone()).headers(headers);
        if let Some((content_type, body)) = body {
            req = req.header(CONTENT_TYPE, content_type).body(body);
        }
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        match req.send().await {
            Ok(resp) => Ok(HttpResponse {
                inner: resp,
                _slot: slot,
            }),
            Err(e) => Err(NotifyError::retryable(
                FailureReason::Other,
                format!(
                    "{op} \"<redacted>\": {}",
                    describe_transport_error(&e, &parsed)
                ),
            )),
        }
    }

    /// The per-request headers: User-Agent, credentials read now, extras.
    fn request_headers(&self) -> Result<HeaderMap, String> {
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static(super::USER_AGENT));
        for (name, source) in &self.headers {
            let value = match source {
                HeaderSource::Value(v) => v.clone(),
                HeaderSource::File(path) => std::fs::read_to_string(path)
                    .map_err(|e| {
                        format!(
                            "unable to read headers file {path}: {}",
                            go_open_error(path, &e)
                        )
                    })?
                    .trim()
                    .to_string(),
            };
            headers.append(name.clone(), header_value(&value)?);
        }
        match &self.auth {
            None => {}
            Some(Auth::OAuth2(_)) => {}
            Some(Auth::Credentials { kind, credentials }) => {
                let creds = match credentials {
                    Some(c) => c
                        .fetch()
                        .map_err(|e| format!("unable to read authorization credentials: {e}"))?,
                    None => String::new(),
                };
                headers.insert(AUTHORIZATION, header_value(&format!("{kind} {creds}"))?);
            }
            Some(Auth::Basic { username, password }) => {
                let user = match username {
                    Some(u) => u
                        .fetch()
                        .map_err(|e| format!("unable to read basic auth username: {e}"))?,
                    None => String::new(),
                };
                let pass = match password {
                    Some(p) => p
                        .fetch()
                        .map_err(|e| format!("unable to read basic auth password: {e}"))?,
                    None => String::new(),
                };
                let token = base64_encode(format!("{user}:{pass}").as_bytes());
                headers.insert(AUTHORIZATION, header_value(&format!("Basic {token}"))?);
            }
        }
        Ok(headers)
    }
}

fn header_value(v: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(v).map_err(|_| "invalid header field value".to_string())
}

/// Go's `url.Error` operation name: `Post`, `Get`, …
fn go_op(method: &reqwest::Method) -> String {
    let m = method.as_str();
    let mut out = m[..1].to_string();
    out.push_str(&m[1..].to_lowercase());
    out
}

/// Standard base64 with padding.
fn base64_encode(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Reads the `Authorization` settings of `cfg`.
fn auth(cfg: &HttpClientConfig) -> Result<Option<Auth>, String> {
    if let Some(a) = &cfg.authorization {
        let credentials = SecretSource::pick(
            a.credentials.expose(),
            &a.credentials_file,
            &a.credentials_ref,
        )
        .map_err(|e| format!("unable to use credentials: {e}"))?;
        let kind = if a.kind.trim().is_empty() {
            "Bearer".to_string()
        } else {
            a.kind.trim().to_string()
        };
        return Ok(Some(Auth::Credentials { kind, credentials }));
    }
    if !cfg.bearer_token.is_empty() || !cfg.bearer_token_file.is_empty() {
        let credentials = SecretSource::pick(cfg.bearer_token.expose(), &cfg.bearer_token_file, "")
            .map_err(|e| format!("unable to use bearer token: {e}"))?;
        return Ok(Some(Auth::Credentials {
            kind: "Bearer".to_string(),
            credentials,
        }));
    }
    if let Some(b) = &cfg.basic_auth {
        let username = SecretSource::pick(&b.username, &b.username_file, &b.username_ref)
            .map_err(|e| format!("unable to use username: {e}"))?;
        let password = SecretSource::pick(b.password.expose(), &b.password_file, &b.password_ref)
            .map_err(|e| format!("unable to use password: {e}"))?;
        return Ok(Some(Auth::Basic { username, password }));
    }
    if let Some(o) = &cfg.oauth2 {
        return Ok(Some(Auth::OAuth2(std::sync::Arc::new(
            oauth2::TokenSource::new(o)?,
        ))));
    }
    Ok(None)
}

/// The `http_headers` of `cfg`, in name order.
fn extra_headers(cfg: &HttpClientConfig) -> Result<Vec<(HeaderName, HeaderSource)>, String> {
    let mut out = Vec::new();
    let Some(headers) = &cfg.http_headers else {
        return Ok(out);
    };
    for (name, h) in &headers.0 {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name {name:?}"))?;
        for v in &h.values {
            out.push((header.clone(), HeaderSource::Value(v.clone())));
        }
        for s in &h.secrets {
            out.push((header.clone(), HeaderSource::Value(s.expose().to_string())));
        }
        for f in &h.files {
            out.push((header.clone(), HeaderSource::File(f.clone())));
        }
    }
    Ok(out)
}

/// Go uses no proxy unless one is configured: `proxy_url` (with
/// `no_proxy`), or the environment with `proxy_from_environment`.
fn configure_proxy(
    builder: reqwest::ClientBuilder,
    cfg: &HttpClientConfig,
) -> Result<reqwest::ClientBuilder, String> {
    if cfg.proxy_from_environment {
        // reqwest reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY itself.
        return Ok(builder);
    }
    let builder = builder.no_proxy();
    let Some(url) = cfg.proxy_url.as_ref().filter(|u| !u.as_str().is_empty()) else {
        return Ok(builder);
    };
    let mut proxy = reqwest::Proxy::all(url.as_str()).map_err(|e| e.to_string())?;
    if !cfg.no_proxy.is_empty() {
        proxy = proxy.no_proxy(reqwest::NoProxy::from_string(&cfg.no_proxy));
    }
    if !cfg.proxy_connect_header.is_empty() {
        let mut headers = HeaderMap::new();
        for (name, values) in &cfg.proxy_connect_header {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name {name:?}"))?;
            for v in values {
                headers.append(header.clone(), header_value(v.expose())?);
            }
        }
        proxy = proxy.headers(headers);
    }
    Ok(builder.proxy(proxy))
}

/// A Go-like description of a failed request, without the URL.
fn describe_transport_error(err: &reqwest::Error, url: &reqwest::Url) -> String {
    if err.is_redirect() {
        return "stopped after 10 redirects".to_string();
    }
    if err.is_timeout() {
        return "context deadline exceeded".to_string();
    }
    let addr = format!(
        "{}:{}",
        url.host_str().unwrap_or_default().trim_matches(['[', ']']),
        url.port_or_known_default().unwrap_or(0)
    );
    let chain = error_chain(err);
    let io = chain_io_error(err);
    if let Some(tls) = chain_tls_error(err) {
        return match tls {
            rustls::Error::InvalidCertificate(_) => {
                format!("tls: failed to verify certificate: {tls}")
            }
            _ => format!("tls: {tls}"),
        };
    }
    if err.is_connect() {
        if chain.iter().any(|m| m.contains("dns error")) {
            return format!(
                "dial tcp: lookup {}: no such host",
                url.host_str().unwrap_or_default()
            );
        }
        if let Some(io) = io {
            return format!("dial tcp {addr}: connect: {}", go_io_text(io));
        }
    }
    if let Some(io) = io {
        return go_io_text(io);
    }
    // The innermost cause is the most specific; reqwest's outer message
    // would name the URL.
    chain
        .last()
        .cloned()
        .unwrap_or_else(|| "request failed".to_string())
}

/// The messages of `err`'s causes, outermost first.
fn error_chain(err: &reqwest::Error) -> Vec<String> {
    let mut out = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        out.push(e.to_string());
        source = e.source();
    }
    out
}

/// The TLS failure behind `err`, also where an I/O error wraps it (an
/// I/O error's `source` skips the error it wraps).
fn chain_tls_error(err: &reqwest::Error) -> Option<&rustls::Error> {
    let mut source = std::error::Error::source(err);
    while let Some(mut e) = source {
        loop {
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
            match e
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => e = inner,
                None => break,
            }
        }
        source = e.source();
    }
    None
}

fn chain_io_error(err: &reqwest::Error) -> Option<&std::io::Error> {
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = e.source();
    }
    None
}

/// A response whose status and headers have arrived.
#[derive(Debug)]
pub struct HttpResponse {
    inner: reqwest::Response,
    /// The client's in-flight slot, given back when the answer is dropped
    /// (read or not).
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl HttpResponse {
    pub fn status(&self) -> u16 {
        self.inner.status().as_u16()
    }

    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The whole body.
    pub async fn bytes(self) -> Result<Vec<u8>, NotifyError> {
        self.inner.bytes().await.map(|b| b.to_vec()).map_err(|e| {
            NotifyError::retryable(
                FailureReason::Other,
                format!("reading response body: {}", e.without_url()),
            )
        })
    }

    /// At most `limit` bytes of the body (empty if reading fails).
    pub async fn body_prefix(mut self, limit: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() <= limit {
            match self.inner.chunk().await {
                Ok(Some(chunk)) => out.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(_) => return Vec::new(),
            }
        }
        out
    }

    /// Alertmanager's `Retrier.Check`: 2xx succeeds; 5xx and
    /// `retry_codes` fail retryably, anything else for good, with
    /// `unexpected status code <code>: <body>` (the body cut to
    /// [`MAX_ERROR_BODY`] bytes), the reason from the status, and the
    /// `Retry-After` delay if the server sent one.
    pub async fn check(self, retry_codes: &[u16]) -> Result<(), NotifyError> {
        let status = self.status();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let retryable = (500..600).contains(&status) || retry_codes.contains(&status);
        let retry_after = self
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
        let body = self.body_prefix(MAX_ERROR_BODY).await;
        let details = String::from_utf8_lossy(&body);
        let (details, _) = truncate_in_bytes(&details, MAX_ERROR_BODY);
        let mut message = format!("unexpected status code {status}");
        if !details.is_empty() {
            message.push_str(": ");
            message.push_str(&details);
        }
        Err(NotifyError {
            retryable,
            reason: FailureReason::from_status(status),
            message,
            retry_after,
            status: Some(status),
        })
    }
}

/// A `Retry-After` value: delay seconds or an HTTP date (a date in the past
/// means no wait).
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (when.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// Go's `path.Clean` for a rooted path.
fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Go's `u.JoinPath(elem).String()`: the joined path cleaned (a trailing
/// slash of `elem` kept), the query and fragment kept.
pub fn go_join_path(base: &url::Url, elem: &str) -> String {
    let mut path = clean_path(&format!("{}/{elem}", base.path()));
    if elem.ends_with('/') && !path.ends_with('/') {
        path.push('/');
    }
    let mut out = base[..url::Position::BeforePath].to_string();
    out.push_str(&path);
    if let Some(q) = base.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = base.fragment() {
        out.push('#');
        out.push_str(f);
    }
    out
}

mod oauth2;

#[cfg(test)]
mod tests;
