//! The web configuration applied to every request, before any route (the
//! API, `/metrics`, `/-/reload`, `/-/healthy` and `/-/ready` alike, as in
//! Alertmanager): the configured response headers, then HTTP basic
//! authentication against `basic_auth_users`.
//!
//! A bcrypt check costs tens of milliseconds, so outcomes are cached by
//! user, stored hash and password (exporter-toolkit's cache of 100,
//! evicting a tenth at random when full), and only one check runs at a
//! time. An unknown user is checked against a fixed hash, so that timing
//! does not tell which users exist.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use super::config::LiveWebConfig;

/// The bcrypt hash of "fakepassword", checked for unknown users.
const FAKE_HASH: &str = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
const CACHE_SIZE: usize = 100;

/// Checked (user, stored hash, password) → whether they matched.
type Outcomes = HashMap<(String, String, String), bool>;

/// What the middleware shares.
#[derive(Clone)]
pub struct WebGate {
    config: Arc<LiveWebConfig>,
    cache: Arc<Mutex<Outcomes>>,
    bcrypt: Arc<tokio::sync::Mutex<()>>,
    /// Path prefixes served without basic authentication.
    open: Arc<Vec<String>>,
}

impl WebGate {
    pub fn new(config: Arc<LiveWebConfig>) -> WebGate {
        WebGate {
            config,
            cache: Arc::default(),
            bcrypt: Arc::default(),
            open: Arc::default(),
        }
    }

    /// Serves paths under `prefix` without basic authentication (the
    /// public chart links, which Slack fetches without credentials and
    /// which are signed instead); headers and TLS still apply.
    pub fn with_open_prefix(mut self, prefix: String) -> WebGate {
        Arc::make_mut(&mut self.open).push(prefix);
        self
    }

    /// Whether `user`:`pass` is allowed by `hash` (`None`: unknown user).
    async fn check(&self, user: &str, hash: Option<&str>, pass: &str) -> bool {
        let stored = hash.unwrap_or(FAKE_HASH).to_string();
        let key = (user.to_string(), stored.clone(), pass.to_string());
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .copied();
        let ok = match cached {
            Some(ok) => ok,
            None => {
                let _one = self.bcrypt.lock().await;
                let pass = pass.to_string();
                let matched = tokio::task::spawn_blocking(move || {
                    bcrypt::verify(pass, &stored).unwrap_or(false)
                })
                .await
                .unwrap_or(false);
                let ok = hash.is_some() && matched;
                let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
                if cache.len() >= CACHE_SIZE {
                    let drop: Vec<_> = cache.keys().take(CACHE_SIZE / 10 + 1).cloned().collect();
                    for k in drop {
                        cache.remove(&k);
                    }
                }
                cache.insert(key, ok);
                ok
            }
        };
        ok && hash.is_some()
    }
}

/// The user and password of a `Basic` authorization header.
fn basic_credentials(req: &Request) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

fn text(status: StatusCode) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{}\n", status.canonical_reason().unwrap_or("")),
    )
        .into_response()
}

/// The middleware (outermost layer of the router).
pub async fn gate(State(gate): State<WebGate>, req: Request, next: Next) -> Response {
    let config = match gate.config.current() {
        Ok(c) => c,
        Err(_) => return text(StatusCode::INTERNAL_SERVER_ERROR),
    };
    let headers: Vec<(HeaderName, HeaderValue)> = config
        .http_server_config
        .headers
        .iter()
        .filter_map(|(k, v)| {
            Some((
                HeaderName::from_bytes(k.as_bytes()).ok()?,
                HeaderValue::from_str(v).ok()?,
            ))
        })
        .collect();
    let open = gate
        .open
        .iter()
        .any(|p| req.uri().path().starts_with(p.as_str()));
    let mut resp = if config.basic_auth_users.is_empty() || open {
        next.run(req).await
    } else {
        let allowed = match basic_credentials(&req) {
            Some((user, pass)) => {
                let hash = config.basic_auth_users.get(&user).map(String::as_str);
                gate.check(&user, hash, &pass).await
            }
            None => false,
        };
        if allowed {
            next.run(req).await
        } else {
            let mut r = text(StatusCode::UNAUTHORIZED);
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
            r
        }
    };
    for (k, v) in headers {
        resp.headers_mut().insert(k, v);
    }
    resp
}
