//! OAuth 2.0 client credentials for `http_config.oauth2`, as
//! prometheus/common does it with golang.org/x/oauth2's `clientcredentials`:
//! a token is fetched from `token_url` (grant `client_credentials`, the
//! `scopes` space-separated, `endpoint_params` added; the client id and
//! secret in a basic `Authorization` header, or in the form when the server
//! refuses that), kept until 10 s before it expires, fetched again when the
//! client secret (file) changes, and sent as `Authorization: <type>
//! <token>`. The token request uses the block's own `tls_config` and proxy.
//! The JWT-bearer grant (`client_certificate_key`) is refused when the
//! client is built.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::{HttpClient, SecretSource};
use crate::config::http::{HttpClientConfig, OAuth2};

/// x/oauth2's `expiryDelta`: a token is renewed this long before it ends.
const EXPIRY_DELTA: Duration = Duration::from_secs(10);

/// A fetched token.
#[derive(Clone, Debug)]
struct Token {
    kind: String,
    value: String,
    /// `None`: no `expires_in`, valid until the secret changes.
    renew_at: Option<Instant>,
    /// The secret it was fetched with.
    secret: String,
}

/// Where the client credentials' tokens come from.
pub(crate) struct TokenSource {
    client_id: String,
    secret: Option<SecretSource>,
    token_url: String,
    scopes: Vec<String>,
    params: Vec<(String, String)>,
    client: HttpClient,
    token: tokio::sync::Mutex<Option<Token>>,
    /// The server refused the basic header once: send the credentials in
    /// the form from then on (x/oauth2's auto-detected style).
    in_params: std::sync::atomic::AtomicBool,
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    token_type: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl TokenSource {
    pub(crate) fn new(cfg: &OAuth2) -> Result<TokenSource, String> {
        let grant = cfg.grant_type.trim();
        if !(grant.is_empty() || grant == "client_credentials")
            || !cfg.client_certificate_key.is_empty()
            || !cfg.client_certificate_key_file.is_empty()
        {
            return Err(format!(
                "oauth2 grant type {:?} is not supported (only client_credentials)",
                if grant.is_empty() {
                    "urn:ietf:params:oauth:grant-type:jwt-bearer"
                } else {
                    grant
                }
            ));
        }
        if cfg.token_url.is_empty() {
            return Err("oauth2 needs a token_url".into());
        }
        let secret = SecretSource::pick(
            cfg.client_secret.expose(),
            &cfg.client_secret_file,
            &cfg.client_secret_ref,
        )
        .map_err(|e| format!("unable to use oauth2 client secret: {e}"))?;
        // The token request: the block's TLS and proxy, no credentials.
        let client = HttpClient::new(&HttpClientConfig {
            tls_config: cfg.tls_config.clone(),
            proxy_url: cfg.proxy_url.clone(),
            no_proxy: cfg.no_proxy.clone(),
            proxy_from_environment: cfg.proxy_from_environment,
            proxy_connect_header: cfg.proxy_connect_header.clone(),
            ..HttpClientConfig::default()
        })?;
        Ok(TokenSource {
            client_id: cfg.client_id.clone(),
            secret,
            token_url: cfg.token_url.clone(),
            scopes: cfg.scopes.clone(),
            params: cfg
                .endpoint_params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            client,
            token: tokio::sync::Mutex::new(None),
            in_params: Default::default(),
        })
    }

    /// `(type, token)` for the next request: the kept one, or a new one.
    pub(crate) async fn token(&self) -> Result<(String, String), String> {
        let secret = match &self.secret {
            Some(s) => s
                .fetch()
                .map_err(|e| format!("unable to read oauth2 client secret: {e}"))?,
            None => String::new(),
        };
        let mut kept = self.token.lock().await;
        if let Some(t) = kept.as_ref()
            && t.secret == secret
            && t.renew_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok((t.kind.clone(), t.value.clone()));
        }
        let t = self.fetch(&secret).await?;
        let out = (t.kind.clone(), t.value.clone());
        *kept = Some(t);
        Ok(out)
    }

    async fn fetch(&self, secret: &str) -> Result<Token, String> {
        use std::sync::atomic::Ordering;
        let first = self.in_params.load(Ordering::Relaxed);
        match self.request(secret, first).await {
            Err((status, e)) if !first && matches!(status, Some(400 | 401)) => {
                // x/oauth2 tries the header, then the form.
                let t = self
                    .request(secret, true)
                    .await
                    .map_err(|(_, e2)| format!("{e2} (with the credentials in a header: {e})"))?;
                self.in_params.store(true, Ordering::Relaxed);
                Ok(t)
            }
            other => other.map_err(|(_, e)| e),
        }
    }

    async fn request(&self, secret: &str, in_params: bool) -> Result<Token, (Option<u16>, String)> {
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials");
            if !self.scopes.is_empty() {
                form.append_pair("scope", &self.scopes.join(" "));
            }
            for (k, v) in &self.params {
                form.append_pair(k, v);
            }
            if in_params {
                form.append_pair("client_id", &self.client_id);
                form.append_pair("client_secret", secret);
            }
            form.finish()
        };
        let mut req = self
            .client
            .client
            .post(&self.token_url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        if !in_params {
            let esc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let basic = STANDARD.encode(format!("{}:{}", esc(&self.client_id), esc(secret)));
            req = req.header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"));
        }
        let resp = req.send().await.map_err(|e| {
            let e = e.without_url();
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                let part = s.to_string();
                if !text.contains(&part) {
                    text = format!("{text}: {part}");
                }
                source = s.source();
            }
            (None, format!("oauth2: cannot fetch token: {text}"))
        })?;
        let status = resp.status().as_u16();
        let form_answer = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.starts_with("application/x-www-form-urlencoded") || v.starts_with("text/plain")
            });
        let body = resp.bytes().await.map_err(|e| {
            (
                Some(status),
                format!("oauth2: cannot fetch token: {}", e.without_url()),
            )
        })?;
        if !(200..300).contains(&status) {
            let (text, _) =
                crate::notify::text::truncate_in_bytes(&String::from_utf8_lossy(&body), 1024);
            return Err((
                Some(status),
                format!("oauth2: cannot fetch token: {status}\nResponse: {text}"),
            ));
        }
        let answer: TokenAnswer = if form_answer {
            let pairs: std::collections::HashMap<String, String> =
                url::form_urlencoded::parse(&body).into_owned().collect();
            TokenAnswer {
                access_token: pairs.get("access_token").cloned().unwrap_or_default(),
                token_type: pairs.get("token_type").cloned().unwrap_or_default(),
                expires_in: pairs
                    .get("expires_in")
                    .map(|v| serde_json::Value::String(v.clone())),
            }
        } else {
            serde_json::from_slice(&body)
                .map_err(|e| (Some(status), format!("oauth2: cannot parse json: {e}")))?
        };
        if answer.access_token.is_empty() {
            return Err((
                Some(status),
                "oauth2: server response missing access_token".to_string(),
            ));
        }
        let expires_in = match &answer.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(s)) => s.parse::<f64>().ok(),
            _ => None,
        }
        .filter(|s| *s > 0.0);
        Ok(Token {
            // x/oauth2's Token.Type: "Bearer" unless the server says
            // otherwise (with "bearer" spelled as the RFC does).
            kind: match answer.token_type.as_str() {
                "" => "Bearer".to_string(),
                t if t.eq_ignore_ascii_case("bearer") => "Bearer".to_string(),
                t if t.eq_ignore_ascii_case("mac") => "MAC".to_string(),
                t if t.eq_ignore_ascii_case("basic") => "Basic".to_string(),
                t => t.to_string(),
            },
            value: answer.access_token,
            renew_at: expires_in
                .map(|s| Instant::now() + Duration::from_secs_f64(s).saturating_sub(EXPIRY_DELTA)),
            secret: secret.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::testing::{Reply, Sink};

    fn json(body: &str) -> Reply {
        Reply::status(200)
            .header("content-type", "application/json")
            .body(body)
    }

    fn client(token_url: &str, extra: &str) -> HttpClient {
        let cfg: HttpClientConfig = serde_saphyr::from_str(&format!(
            "oauth2: {{client_id: 'my id', client_secret: 's3cr&t', token_url: '{token_url}', scopes: [a, b], endpoint_params: {{audience: x}}{extra}}}"
        ))
        .unwrap();
        HttpClient::new(&cfg).unwrap()
    }

    #[tokio::test]
    async fn a_token_is_fetched_kept_and_sent() {
        let idp = Sink::start().await;
        let svc = Sink::start().await;
        idp.reply(json(
            r#"{"access_token":"tok-1","token_type":"bearer","expires_in":3600}"#,
        ));
        let c = client(&idp.url("/token"), "");
        for _ in 0..2 {
            c.post(&svc.url("/x"), "application/json", b"{}".to_vec())
                .await
                .unwrap()
                .check(&[])
                .await
                .unwrap();
        }
        let reqs = idp.requests();
        assert_eq!(reqs.len(), 1, "the token is kept");
        assert_eq!(
            reqs[0].header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            reqs[0].body_text(),
            "grant_type=client_credentials&scope=a+b&audience=x"
        );
        // QueryEscape'd id and secret, as x/oauth2 sends them.
        assert_eq!(
            reqs[0].header("authorization"),
            Some(format!("Basic {}", STANDARD.encode("my+id:s3cr%26t")).as_str())
        );
        for r in svc.requests() {
            assert_eq!(r.header("authorization"), Some("Bearer tok-1"));
        }
    }

    #[tokio::test]
    async fn expiry_refusal_and_errors() {
        let idp = Sink::start().await;
        let svc = Sink::start().await;
        // Expires in 10 s: renewed at once (10 s before the end).
        idp.reply(json(r#"{"access_token":"tok-1","expires_in":"10"}"#));
        idp.reply(json(r#"{"access_token":"tok-2"}"#));
        let c = client(&idp.url("/token"), "");
        for want in ["Bearer tok-1", "Bearer tok-2"] {
            c.post(&svc.url("/x"), "text/plain", Vec::new())
                .await
                .unwrap();
            assert_eq!(
                svc.requests().last().unwrap().header("authorization"),
                Some(want)
            );
        }
        // A server that refuses the header gets the credentials in the form.
        let idp = Sink::start().await;
        idp.reply(Reply::status(401).body(r#"{"error":"invalid_client"}"#));
        idp.reply(json(r#"{"access_token":"tok-3","token_type":"Bearer"}"#));
        let c = client(&idp.url("/token"), "");
        c.post(&svc.url("/x"), "text/plain", Vec::new())
            .await
            .unwrap();
        let reqs = idp.requests();
        assert_eq!(reqs.len(), 2);
        assert!(reqs[1].header("authorization").is_none());
        assert!(
            reqs[1]
                .body_text()
                .ends_with("&client_id=my+id&client_secret=s3cr%26t")
        );
        assert_eq!(
            svc.requests().last().unwrap().header("authorization"),
            Some("Bearer tok-3")
        );
        // A failing token endpoint fails the request, with its answer and
        // never the secret.
        let idp = Sink::start().await;
        idp.reply(Reply::status(500).body("down"));
        let c = client(&idp.url("/token"), "");
        let e = c
            .post(&svc.url("/x"), "text/plain", Vec::new())
            .await
            .unwrap_err();
        assert!(e.retryable);
        assert!(
            e.message
                .contains("oauth2: cannot fetch token: 500\nResponse: down"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("s3cr"));
        // The JWT grant is refused when the client is built.
        let cfg: HttpClientConfig = serde_saphyr::from_str(
            "oauth2: {client_id: a, token_url: 'http://x/', grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer'}",
        )
        .unwrap();
        let Err(e) = HttpClient::new(&cfg) else {
            panic!("the JWT grant was accepted")
        };
        assert!(e.contains("is not supported"), "{e}");
    }

    #[tokio::test]
    async fn a_changed_secret_file_fetches_a_new_token() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "one\n").unwrap();
        let idp = Sink::start().await;
        let svc = Sink::start().await;
        idp.reply(json(r#"{"access_token":"tok-1"}"#));
        idp.reply(json(r#"{"access_token":"tok-2"}"#));
        let cfg: HttpClientConfig = serde_saphyr::from_str(&format!(
            "oauth2: {{client_id: id, client_secret_file: '{}', token_url: '{}'}}",
            file.display(),
            idp.url("/token")
        ))
        .unwrap();
        let c = HttpClient::new(&cfg).unwrap();
        c.post(&svc.url("/x"), "text/plain", Vec::new())
            .await
            .unwrap();
        c.post(&svc.url("/x"), "text/plain", Vec::new())
            .await
            .unwrap();
        assert_eq!(idp.requests().len(), 1);
        std::fs::write(&file, "two\n").unwrap();
        c.post(&svc.url("/x"), "text/plain", Vec::new())
            .await
            .unwrap();
        assert_eq!(idp.requests().len(), 2);
        assert_eq!(
            idp.requests()[1].header("authorization"),
            Some(format!("Basic {}", STANDARD.encode("id:two")).as_str())
        );
        assert_eq!(
            svc.requests().last().unwrap().header("authorization"),
            Some("Bearer tok-2")
        );
    }
}
