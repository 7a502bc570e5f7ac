//! The `http_config` block shared by the global section and by every HTTP
//! based integration: authentication, TLS, proxy and extra headers, with
//! prometheus/common's validation messages and relative-path resolution.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::types::{Secret, go_quote, null_default};

/// How an HTTP client authenticates, connects and which headers it adds.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpClientConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    /// Legacy; moved into `authorization` by [`HttpClientConfig::validate`].
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub bearer_token: Secret,
    /// Legacy; moved into `authorization` by [`HttpClientConfig::validate`].
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub bearer_token_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "TlsConfig::is_unset"
    )]
    pub tls_config: TlsConfig,
    #[serde(deserialize_with = "null_default")]
    pub follow_redirects: bool,
    #[serde(deserialize_with = "null_default")]
    pub enable_http2: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<ProxyUrl>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub no_proxy: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub proxy_from_environment: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub proxy_connect_header: BTreeMap<String, Vec<Secret>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_headers: Option<Headers>,
}

impl Default for HttpClientConfig {
    /// prometheus/common's `DefaultHTTPClientConfig`: redirects and HTTP/2 on.
    fn default() -> Self {
        HttpClientConfig {
            basic_auth: None,
            authorization: None,
            oauth2: None,
            bearer_token: Secret::default(),
            bearer_token_file: String::new(),
            tls_config: TlsConfig::default(),
            follow_redirects: true,
            enable_http2: true,
            proxy_url: None,
            no_proxy: String::new(),
            proxy_from_environment: false,
            proxy_connect_header: BTreeMap::new(),
            http_headers: None,
        }
    }
}

/// HTTP basic authentication.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BasicAuth {
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub username: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub username_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub username_ref: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub password: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub password_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub password_ref: String,
}

/// The `Authorization` header: a type (default `Bearer`) and credentials.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Authorization {
    #[serde(
        rename = "type",
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub kind: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub credentials: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub credentials_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub credentials_ref: String,
}

/// OAuth 2.0 client credentials (or JWT bearer) token fetching.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuth2 {
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub client_id: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub client_secret: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub client_secret_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub client_secret_ref: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub client_certificate_key_id: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub client_certificate_key: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub client_certificate_key_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub client_certificate_key_ref: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub grant_type: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub signature_algorithm: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub iss: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub audience: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub claims: BTreeMap<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub token_url: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoint_params: BTreeMap<String, String>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "TlsConfig::is_unset"
    )]
    pub tls_config: TlsConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<ProxyUrl>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub no_proxy: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub proxy_from_environment: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub proxy_connect_header: BTreeMap<String, Vec<Secret>>,
}

/// The grant type that switches OAuth2 to a signed JWT assertion.
pub const GRANT_TYPE_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// TLS settings for outgoing connections.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub ca: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub cert: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub key: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub ca_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub cert_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub key_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub ca_ref: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub cert_ref: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub key_ref: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub server_name: String,
    #[serde(deserialize_with = "null_default")]
    pub insecure_skip_verify: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_version: Option<TlsVersion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_version: Option<TlsVersion>,
}

/// A TLS protocol version as written in the configuration (`TLS10`..`TLS13`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl TlsVersion {
    const NAMES: [(&'static str, TlsVersion); 4] = [
        ("TLS10", TlsVersion::Tls10),
        ("TLS11", TlsVersion::Tls11),
        ("TLS12", TlsVersion::Tls12),
        ("TLS13", TlsVersion::Tls13),
    ];

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::NAMES
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("unknown TLS version: {s}"))
    }

    pub fn as_str(&self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, v)| v == self)
            .map(|(name, _)| *name)
            .expect("every version is named")
    }
}

impl<'de> Deserialize<'de> for TlsVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TlsVersion::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for TlsVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Extra request headers (`http_headers`), by header name.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Headers(pub BTreeMap<String, Header>);

impl Headers {
    /// Rejects the headers the HTTP client manages itself.
    pub fn validate(&self) -> Result<(), String> {
        for name in self.0.keys() {
            let canonical = canonical_header_key(name);
            if RESERVED_HEADERS.contains(&canonical.as_str()) {
                return Err(format!(
                    "setting header {} is not allowed",
                    go_quote(&canonical)
                ));
            }
        }
        Ok(())
    }

    /// Joins relative `files` with `dir`.
    pub fn resolve_paths(&mut self, dir: &Path) {
        for f in self.0.values_mut().flat_map(|h| &mut h.files) {
            join_in_place(dir, f);
        }
    }
}

/// One entry of `http_headers`: literal values, secret values and files whose
/// trimmed content is sent.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Header {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

/// Headers that `http_headers` may not set (prometheus/common's list).
pub const RESERVED_HEADERS: [&str; 18] = [
    "Authorization",
    "Host",
    "Content-Encoding",
    "Content-Length",
    "Content-Type",
    "User-Agent",
    "Connection",
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Www-Authenticate",
    "Accept-Encoding",
    "X-Prometheus-Remote-Write-Version",
    "X-Prometheus-Remote-Read-Version",
    "X-Prometheus-Scrape-Timeout-Seconds",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
];

/// A proxy URL. Like Go's `url.Parse` it also accepts relative references, so
/// the original text is kept; a password is shown as `xxxxx` when printed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProxyUrl(String);

impl ProxyUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        match url::Url::parse(s) {
            Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) => Ok(ProxyUrl(s.to_string())),
            Err(e) => Err(format!("parse {}: {e}", go_quote(s))),
        }
    }

    /// The URL as written, password included, for the code that connects.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text used when printing the configuration.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("xxxxx"));
                u.to_string()
            }
            _ => self.0.clone(),
        }
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for ProxyUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ProxyUrl::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for ProxyUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

/// Counts the set flags, for the "at most one of" checks.
fn count(flags: &[bool]) -> usize {
    flags.iter().filter(|f| **f).count()
}

fn validate_proxy(
    proxy_url: Option<&ProxyUrl>,
    no_proxy: &str,
    from_environment: bool,
    connect_header: &BTreeMap<String, Vec<Secret>>,
) -> Result<(), String> {
    let has_url = proxy_url.is_some_and(|u| !u.0.is_empty());
    if !connect_header.is_empty() && !from_environment && !has_url {
        return Err("if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured".into());
    }
    if from_environment && has_url {
        return Err(
            "if proxy_from_environment is configured, proxy_url must not be configured".into(),
        );
    }
    if from_environment && !no_proxy.is_empty() {
        return Err(
            "if proxy_from_environment is configured, no_proxy must not be configured".into(),
        );
    }
    if proxy_url.is_none() && !no_proxy.is_empty() {
        return Err("if no_proxy is configured, proxy_url must also be configured".into());
    }
    Ok(())
}

impl HttpClientConfig {
    /// The checks prometheus/common runs when it reads an `http_config`
    /// (nested TLS and OAuth2 blocks first), including its normalisation:
    /// the authorization type defaults to `Bearer` and `bearer_token(_file)`
    /// become an `authorization` block.
    pub fn validate(&mut self) -> Result<(), String> {
        if let Some(o) = &self.oauth2 {
            o.tls_config.validate()?;
            validate_proxy(
                o.proxy_url.as_ref(),
                &o.no_proxy,
                o.proxy_from_environment,
                &o.proxy_connect_header,
            )?;
        }
        self.tls_config.validate()?;

        let has_bearer = !self.bearer_token.is_empty() || !self.bearer_token_file.is_empty();
        if !self.bearer_token.is_empty() && !self.bearer_token_file.is_empty() {
            return Err(
                "at most one of bearer_token & bearer_token_file must be configured".into(),
            );
        }
        if (self.basic_auth.is_some() || self.oauth2.is_some()) && has_bearer {
            return Err("at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured".into());
        }
        if let Some(b) = &self.basic_auth {
            if count(&[
                !b.username.is_empty(),
                !b.username_file.is_empty(),
                !b.username_ref.is_empty(),
            ]) > 1
            {
                return Err("at most one of basic_auth username, username_file & username_ref must be configured".into());
            }
            if count(&[
                !b.password.is_empty(),
                !b.password_file.is_empty(),
                !b.password_ref.is_empty(),
            ]) > 1
            {
                return Err("at most one of basic_auth password, password_file & password_ref must be configured".into());
            }
        }
        if let Some(a) = &mut self.authorization {
            if has_bearer {
                return Err(
                    "authorization is not compatible with bearer_token & bearer_token_file".into(),
                );
            }
            if count(&[
                !a.credentials.is_empty(),
                !a.credentials_file.is_empty(),
                !a.credentials_ref.is_empty(),
            ]) > 1
            {
                return Err(
                    "at most one of authorization credentials & credentials_file must be configured"
                        .into(),
                );
            }
            a.kind = a.kind.trim().to_string();
            if a.kind.is_empty() {
                a.kind = "Bearer".into();
            }
            if a.kind.eq_ignore_ascii_case("basic") {
                return Err(
                    r#"authorization type cannot be set to "basic", use "basic_auth" instead"#
                        .into(),
                );
            }
            if self.basic_auth.is_some() || self.oauth2.is_some() {
                return Err(
                    "at most one of basic_auth, oauth2 & authorization must be configured".into(),
                );
            }
        } else {
            if !self.bearer_token.is_empty() {
                self.authorization = Some(Authorization {
                    kind: "Bearer".into(),
                    credentials: std::mem::take(&mut self.bearer_token),
                    ..Authorization::default()
                });
            }
            if !self.bearer_token_file.is_empty() {
                self.authorization = Some(Authorization {
                    kind: "Bearer".into(),
                    credentials_file: std::mem::take(&mut self.bearer_token_file),
                    ..Authorization::default()
                });
            }
        }
        if let Some(o) = &self.oauth2 {
            if self.basic_auth.is_some() {
                return Err(
                    "at most one of basic_auth, oauth2 & authorization must be configured".into(),
                );
            }
            if o.client_id.is_empty() {
                return Err("oauth2 client_id must be configured".into());
            }
            if o.token_url.is_empty() {
                return Err("oauth2 token_url must be configured".into());
            }
            if o.grant_type == GRANT_TYPE_JWT_BEARER {
                if count(&[
                    !o.client_certificate_key.is_empty(),
                    !o.client_certificate_key_file.is_empty(),
                    !o.client_certificate_key_ref.is_empty(),
                ]) > 1
                {
                    return Err("at most one of oauth2 client_certificate_key, client_certificate_key_file & client_certificate_key_ref must be configured using grant-type=urn:ietf:params:oauth:grant-type:jwt-bearer".into());
                }
                if !o.signature_algorithm.is_empty()
                    && !["RS256", "RS384", "RS512"].contains(&o.signature_algorithm.as_str())
                {
                    return Err("valid signature algorithms are RS256, RS384 and RS512".into());
                }
            } else if count(&[
                !o.client_secret.is_empty(),
                !o.client_secret_file.is_empty(),
                !o.client_secret_ref.is_empty(),
            ]) > 1
            {
                return Err("at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured using grant-type=client_credentials".into());
            }
        }
        validate_proxy(
            self.proxy_url.as_ref(),
            &self.no_proxy,
            self.proxy_from_environment,
            &self.proxy_connect_header,
        )?;
        self.http_headers.as_ref().map_or(Ok(()), Headers::validate)
    }

    /// Joins relative file paths with the configuration file's directory,
    /// like prometheus/common's `SetDirectory`.
    pub fn resolve_paths(&mut self, dir: &Path) {
        self.tls_config.resolve_paths(dir);
        if let Some(b) = &mut self.basic_auth {
            join_in_place(dir, &mut b.password_file);
            join_in_place(dir, &mut b.username_file);
        }
        if let Some(a) = &mut self.authorization {
            join_in_place(dir, &mut a.credentials_file);
        }
        if let Some(o) = &mut self.oauth2 {
            // prometheus/common joins only these two in the oauth2 block.
            join_in_place(dir, &mut o.client_secret_file);
            o.tls_config.resolve_paths(dir);
        }
        if let Some(h) = &mut self.http_headers {
            h.resolve_paths(dir);
        }
        join_in_place(dir, &mut self.bearer_token_file);
    }
}

impl TlsConfig {
    /// True when Go's `omitempty` would leave the block out (all fields zero).
    pub fn is_unset(&self) -> bool {
        *self == TlsConfig::default()
    }

    /// prometheus/common's `TLSConfig.Validate` (inline vs file vs ref).
    pub fn validate(&self) -> Result<(), String> {
        if count(&[
            !self.ca.is_empty(),
            !self.ca_file.is_empty(),
            !self.ca_ref.is_empty(),
        ]) > 1
        {
            return Err("at most one of ca, ca_file & ca_ref must be configured".into());
        }
        if count(&[
            !self.cert.is_empty(),
            !self.cert_file.is_empty(),
            !self.cert_ref.is_empty(),
        ]) > 1
        {
            return Err("at most one of cert, cert_file & cert_ref must be configured".into());
        }
        if count(&[
            !self.key.is_empty(),
            !self.key_file.is_empty(),
            !self.key_ref.is_empty(),
        ]) > 1
        {
            return Err("at most one of key and key_file must be configured".into());
        }
        let client_cert =
            !self.cert.is_empty() || !self.cert_file.is_empty() || !self.cert_ref.is_empty();
        let client_key =
            !self.key.is_empty() || !self.key_file.is_empty() || !self.key_ref.is_empty();
        if client_cert && !client_key {
            return Err("exactly one of key or key_file must be configured when a client certificate is configured".into());
        }
        if client_key && !client_cert {
            return Err("exactly one of cert or cert_file must be configured when a client key is configured".into());
        }
        Ok(())
    }

    /// Joins relative `ca_file`, `cert_file` and `key_file` with `dir`.
    pub fn resolve_paths(&mut self, dir: &Path) {
        join_in_place(dir, &mut self.ca_file);
        join_in_place(dir, &mut self.cert_file);
        join_in_place(dir, &mut self.key_file);
    }
}

/// Canonical form of an HTTP/MIME header name, as Go's
/// `textproto.CanonicalMIMEHeaderKey`: `x-custom-header` → `X-Custom-Header`.
/// Names with characters outside the token set are returned unchanged.
pub fn canonical_header_key(name: &str) -> String {
    let is_token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    if !name.bytes().all(is_token) {
        return name.to_string();
    }
    let mut upper = true;
    name.bytes()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == b'-';
            out as char
        })
        .collect()
}

/// Joins `path` to `dir` unless it is empty or absolute, cleaning the result
/// lexically like Go's `filepath.Join`.
pub fn join_dir(dir: &Path, path: &str) -> String {
    if path.is_empty() || Path::new(path).is_absolute() {
        return path.to_string();
    }
    let dir = dir.to_string_lossy();
    if dir.is_empty() {
        return clean_path(path);
    }
    clean_path(&format!("{dir}/{path}"))
}

fn join_in_place(dir: &Path, path: &mut String) {
    *path = join_dir(dir, path);
}

/// Go's `filepath.Clean` for Unix paths.
fn clean_path(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> HttpClientConfig {
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
    }

    fn validate(yaml: &str) -> Result<HttpClientConfig, String> {
        let mut c = parse(yaml);
        c.validate().map(|()| c)
    }

    #[test]
    fn defaults_follow_redirects_and_http2() {
        let c = parse("{}");
        assert!(c.follow_redirects);
        assert!(c.enable_http2);
        assert_eq!(c, HttpClientConfig::default());
        let c = parse("follow_redirects: false\nenable_http2: false");
        assert!(!c.follow_redirects);
        assert!(!c.enable_http2);
    }

    #[test]
    fn every_field_parses() {
        let c = validate(
            r#"
oauth2:
  client_id: id
  client_secret_file: s
  client_secret_ref: ""
  client_certificate_key_id: kid
  grant_type: client_credentials
  iss: me
  audience: you
  claims: {a: 1}
  scopes: [x, y]
  token_url: https://auth.example.com/token
  endpoint_params: {p: q}
  tls_config: {insecure_skip_verify: true}
  proxy_url: http://proxy:3128
  no_proxy: localhost
tls_config:
  ca_file: ca.pem
  cert_file: c.pem
  key_file: k.pem
  server_name: example.com
  insecure_skip_verify: true
  min_version: TLS12
  max_version: TLS13
follow_redirects: false
enable_http2: false
proxy_url: http://user:pass@proxy:3128
no_proxy: 10.0.0.0/8
proxy_connect_header:
  X-Proxy: [a, b]
http_headers:
  X-Custom:
    values: [v]
    secrets: [s]
    files: [f]
"#,
        )
        .unwrap();
        let o = c.oauth2.as_ref().unwrap();
        assert_eq!(o.scopes, ["x", "y"]);
        assert_eq!(o.claims["a"], serde_json::json!(1));
        assert!(o.tls_config.insecure_skip_verify);
        assert_eq!(c.tls_config.min_version, Some(TlsVersion::Tls12));
        assert_eq!(c.tls_config.max_version, Some(TlsVersion::Tls13));
        assert_eq!(
            c.proxy_url.as_ref().unwrap().as_str(),
            "http://user:pass@proxy:3128"
        );
        assert_eq!(c.http_headers.as_ref().unwrap().0["X-Custom"].files, ["f"]);
        assert_eq!(c.proxy_connect_header["X-Proxy"].len(), 2);
    }

    #[test]
    fn unknown_fields_and_tls_versions_are_rejected() {
        let e = serde_saphyr::from_str::<HttpClientConfig>("bogus: 1").unwrap_err();
        assert!(e.to_string().contains("unknown field `bogus`"), "{e}");
        let e = serde_saphyr::from_str::<HttpClientConfig>("tls_config: {foo: 1}").unwrap_err();
        assert!(e.to_string().contains("unknown field `foo`"), "{e}");
        let e = serde_saphyr::from_str::<HttpClientConfig>("tls_config: {min_version: TLS14}")
            .unwrap_err();
        assert!(e.to_string().contains("unknown TLS version: TLS14"), "{e}");
        let e = serde_saphyr::from_str::<HttpClientConfig>("http_headers: {X: {value: [a]}}")
            .unwrap_err();
        assert!(e.to_string().contains("unknown field `value`"), "{e}");
    }

    #[test]
    fn validation_messages() {
        let cases = [
            (
                "bearer_token: a\nbearer_token_file: b",
                "at most one of bearer_token & bearer_token_file must be configured",
            ),
            (
                "basic_auth: {username: u}\nbearer_token: a",
                "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
            ),
            (
                "basic_auth: {username: u, username_file: f}",
                "at most one of basic_auth username, username_file & username_ref must be configured",
            ),
            (
                "basic_auth: {username: u, password: p, password_file: f}",
                "at most one of basic_auth password, password_file & password_ref must be configured",
            ),
            (
                "authorization: {credentials: c}\nbearer_token_file: b",
                "authorization is not compatible with bearer_token & bearer_token_file",
            ),
            (
                "authorization: {credentials: c, credentials_file: f}",
                "at most one of authorization credentials & credentials_file must be configured",
            ),
            (
                "authorization: {type: ' Basic ', credentials: c}",
                r#"authorization type cannot be set to "basic", use "basic_auth" instead"#,
            ),
            (
                "authorization: {credentials: c}\nbasic_auth: {username: u}",
                "at most one of basic_auth, oauth2 & authorization must be configured",
            ),
            (
                "oauth2: {client_id: i, token_url: t}\nbasic_auth: {username: u}",
                "at most one of basic_auth, oauth2 & authorization must be configured",
            ),
            (
                "oauth2: {token_url: t}",
                "oauth2 client_id must be configured",
            ),
            (
                "oauth2: {client_id: i}",
                "oauth2 token_url must be configured",
            ),
            (
                "oauth2: {client_id: i, token_url: t, client_secret: s, client_secret_file: f}",
                "at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured using grant-type=client_credentials",
            ),
            (
                "oauth2: {client_id: i, token_url: t, grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', client_certificate_key: k, client_certificate_key_ref: r}",
                "at most one of oauth2 client_certificate_key, client_certificate_key_file & client_certificate_key_ref must be configured using grant-type=urn:ietf:params:oauth:grant-type:jwt-bearer",
            ),
            (
                "oauth2: {client_id: i, token_url: t, grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', signature_algorithm: HS256}",
                "valid signature algorithms are RS256, RS384 and RS512",
            ),
            (
                "oauth2: {client_id: i, token_url: t, no_proxy: x}",
                "if no_proxy is configured, proxy_url must also be configured",
            ),
            (
                "proxy_connect_header: {X: [a]}",
                "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
            ),
            (
                "proxy_from_environment: true\nproxy_url: http://p",
                "if proxy_from_environment is configured, proxy_url must not be configured",
            ),
            (
                "proxy_from_environment: true\nno_proxy: x",
                "if proxy_from_environment is configured, no_proxy must not be configured",
            ),
            (
                "no_proxy: x",
                "if no_proxy is configured, proxy_url must also be configured",
            ),
            (
                "http_headers: {user-agent: {values: [x]}}",
                r#"setting header "User-Agent" is not allowed"#,
            ),
            (
                "tls_config: {ca: x, ca_file: y}",
                "at most one of ca, ca_file & ca_ref must be configured",
            ),
            (
                "tls_config: {cert: x, cert_ref: y, key: k}",
                "at most one of cert, cert_file & cert_ref must be configured",
            ),
            (
                "tls_config: {cert: x, key: k, key_file: f}",
                "at most one of key and key_file must be configured",
            ),
            (
                "tls_config: {cert_file: x}",
                "exactly one of key or key_file must be configured when a client certificate is configured",
            ),
            (
                "tls_config: {key_file: x}",
                "exactly one of cert or cert_file must be configured when a client key is configured",
            ),
            (
                "oauth2: {client_id: i, token_url: t, tls_config: {key: k}}",
                "exactly one of cert or cert_file must be configured when a client key is configured",
            ),
        ];
        for (yaml, want) in cases {
            assert_eq!(validate(yaml).unwrap_err(), want, "{yaml}");
        }
    }

    #[test]
    fn bearer_token_becomes_authorization() {
        let c = validate("bearer_token: tok").unwrap();
        let a = c.authorization.unwrap();
        assert_eq!(a.kind, "Bearer");
        assert_eq!(a.credentials.expose(), "tok");
        assert!(c.bearer_token.is_empty());

        let c = validate("bearer_token_file: /tok").unwrap();
        assert_eq!(c.authorization.unwrap().credentials_file, "/tok");
        assert!(c.bearer_token_file.is_empty());

        let c = validate("authorization: {type: '  Token ', credentials: x}").unwrap();
        assert_eq!(c.authorization.unwrap().kind, "Token");
        let c = validate("authorization: {credentials: x}").unwrap();
        assert_eq!(c.authorization.unwrap().kind, "Bearer");
    }

    #[test]
    fn relative_paths_are_joined() {
        let mut c = validate(
            "tls_config: {ca_file: ca.pem, cert_file: /abs/c.pem, key_file: ./k.pem}\n\
             basic_auth: {username_file: u, password_file: ../p}\n\
             http_headers: {X: {files: [h]}}",
        )
        .unwrap();
        c.resolve_paths(Path::new("/etc/am"));
        assert_eq!(c.tls_config.ca_file, "/etc/am/ca.pem");
        assert_eq!(c.tls_config.cert_file, "/abs/c.pem");
        assert_eq!(c.tls_config.key_file, "/etc/am/k.pem");
        let b = c.basic_auth.as_ref().unwrap();
        assert_eq!(b.username_file, "/etc/am/u");
        assert_eq!(b.password_file, "/etc/p");
        assert_eq!(c.http_headers.as_ref().unwrap().0["X"].files, ["/etc/am/h"]);

        let mut c = validate("authorization: {credentials_file: c}\n").unwrap();
        c.resolve_paths(Path::new("conf"));
        assert_eq!(c.authorization.unwrap().credentials_file, "conf/c");
        let mut c = validate(
            "oauth2: {client_id: i, token_url: t, client_secret_file: s, tls_config: {ca_file: ca}}",
        )
        .unwrap();
        c.resolve_paths(Path::new("/d"));
        let o = c.oauth2.unwrap();
        assert_eq!(o.client_secret_file, "/d/s");
        assert_eq!(o.tls_config.ca_file, "/d/ca");
        assert_eq!(join_dir(Path::new(""), "./a//b/"), "a/b");
        assert_eq!(join_dir(Path::new("."), "x"), "x");
        assert_eq!(join_dir(Path::new("a"), "../../x"), "../x");
        assert_eq!(join_dir(Path::new("/"), "../x"), "/x");
        assert_eq!(join_dir(Path::new("/d"), ""), "");
    }

    #[test]
    fn canonical_header_keys() {
        assert_eq!(canonical_header_key("x-custom-HEADER"), "X-Custom-Header");
        assert_eq!(canonical_header_key("subject"), "Subject");
        assert_eq!(canonical_header_key("www-authenticate"), "Www-Authenticate");
        assert_eq!(canonical_header_key("bad header"), "bad header");
    }

    #[test]
    fn serialises_like_go() {
        let c = validate(
            "basic_auth: {username: u, password: hunter2}\nproxy_url: http://a:pw@proxy:3128/",
        )
        .unwrap();
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(!y.contains("hunter2") && !y.contains(":pw@"), "{y}");
        assert!(y.contains("password: <secret>"), "{y}");
        assert!(y.contains("proxy_url: http://a:xxxxx@proxy:3128/"), "{y}");
        let v = serde_json::to_value(HttpClientConfig::default()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"follow_redirects": true, "enable_http2": true})
        );
        let c = validate("tls_config: {server_name: x}").unwrap();
        let v = serde_json::to_value(&c.tls_config).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"server_name": "x", "insecure_skip_verify": false})
        );
    }

    #[test]
    fn nulls_read_as_zero_values() {
        let c = parse("bearer_token:\nfollow_redirects: ~\ntls_config:\noauth2:");
        assert!(!c.follow_redirects);
        assert!(c.oauth2.is_none());
        assert!(c.tls_config.is_unset());
    }
}
