//! `--web.config.file`: the web configuration of Prometheus'
//! exporter-toolkit, which Alertmanager uses: `tls_server_config`,
//! `http_server_config` and `basic_auth_users`, with its defaults, its
//! strict decoding and its error messages.
//!
//! Like exporter-toolkit, the file is read again while the server runs: a
//! change to users or headers applies to the next request, without a
//! restart (here when the file's size or modification time changes, rather
//! than on every request).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use serde::Deserialize;

/// The file's contents.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    #[serde(default)]
    pub tls_server_config: TlsServerConfig,
    #[serde(default)]
    pub http_server_config: HttpServerConfig,
    /// User name → bcrypt hash of the password.
    #[serde(default)]
    pub basic_auth_users: BTreeMap<String, String>,
}

/// `tls_server_config`; paths are relative to the file's directory.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsServerConfig {
    #[serde(default)]
    pub cert_file: String,
    #[serde(default)]
    pub key_file: String,
    #[serde(default)]
    pub client_auth_type: String,
    #[serde(default)]
    pub client_ca_file: String,
    #[serde(default)]
    pub cipher_suites: Vec<String>,
    #[serde(default)]
    pub curve_preferences: Vec<String>,
    #[serde(default)]
    pub min_version: Option<String>,
    #[serde(default)]
    pub max_version: Option<String>,
    #[serde(default)]
    pub prefer_server_cipher_suites: Option<bool>,
}

impl TlsServerConfig {
    /// Whether any TLS setting is present (exporter-toolkit's test for
    /// "TLS config is not present").
    pub fn is_present(&self) -> bool {
        !(self.cert_file.is_empty()
            && self.key_file.is_empty()
            && self.client_auth_type.is_empty()
            && self.client_ca_file.is_empty())
    }
}

/// `http_server_config`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpServerConfig {
    #[serde(default = "yes")]
    pub http2: bool,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

impl Default for HttpServerConfig {
    fn default() -> Self {
        HttpServerConfig {
            http2: true,
            headers: BTreeMap::new(),
        }
    }
}

/// The headers that may be set, and their allowed values (none: any).
const EXTRA_HEADERS: &[(&str, &[&str])] = &[
    ("Strict-Transport-Security", &[]),
    ("X-Content-Type-Options", &["nosniff"]),
    ("X-Frame-Options", &["deny", "sameorigin"]),
    ("X-XSS-Protection", &[]),
    ("Content-Security-Policy", &[]),
];

/// Go's `%q` of a string list, as exporter-toolkit's messages print one.
fn go_quoted_list(values: &[&str]) -> String {
    let inner: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("[{}]", inner.join(" "))
}

impl WebConfig {
    /// Parses and checks the text of a web configuration file; `dir` is
    /// the file's directory, against which TLS paths are resolved.
    pub fn parse(text: &str, dir: &Path) -> Result<WebConfig, String> {
        let mut c: WebConfig = if text.trim().is_empty() {
            WebConfig::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| format!("yaml: {e}"))?
        };
        for (name, value) in &c.http_server_config.headers {
            let Some((_, allowed)) = EXTRA_HEADERS.iter().find(|(h, _)| h == name) else {
                return Err(format!("HTTP header {name:?} can not be configured"));
            };
            if !allowed.is_empty() && !allowed.contains(&value.as_str()) {
                return Err(format!(
                    "invalid value for {name}. Expected one of: {}, but got: {value:?}",
                    go_quoted_list(allowed)
                ));
            }
        }
        for hash in c.basic_auth_users.values() {
            check_bcrypt(hash)?;
        }
        let t = &mut c.tls_server_config;
        for p in [&mut t.cert_file, &mut t.key_file, &mut t.client_ca_file] {
            if !p.is_empty() && Path::new(p.as_str()).is_relative() {
                *p = dir.join(p.as_str()).display().to_string();
            }
        }
        Ok(c)
    }

    /// Reads and checks a web configuration file.
    pub fn read(path: &Path) -> Result<WebConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "open {}: {}",
                path.display(),
                crate::config::io_error_text(&e)
            )
        })?;
        WebConfig::parse(&text, path.parent().unwrap_or(Path::new(".")))
    }
}

/// bcrypt's own check of a stored hash (Go's `bcrypt.Cost`), with its
/// messages.
fn check_bcrypt(hash: &str) -> Result<(), String> {
    const MIN_LEN: usize = 59;
    let b = hash.as_bytes();
    if b.len() < MIN_LEN {
        return Err("crypto/bcrypt: hashedSecret too short to be a bcrypted password".into());
    }
    if b[0] != b'$' {
        return Err(format!(
            "crypto/bcrypt: bcrypt hashes must start with '$', but hashedSecret started with '{}'",
            b[0] as char
        ));
    }
    if b[1] > b'2' {
        return Err(format!(
            "crypto/bcrypt: bcrypt algorithm version '{}' requested is newer than current version '2'",
            b[1] as char
        ));
    }
    let cost_at = if b[2] == b'$' { 3 } else { 4 };
    let cost: u32 = std::str::from_utf8(&b[cost_at..cost_at + 2])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "crypto/bcrypt: bcrypt cost is not a number".to_string())?;
    if !(4..=31).contains(&cost) {
        return Err(format!(
            "crypto/bcrypt: cost {cost} is outside allowed range (4,31)"
        ));
    }
    Ok(())
}

/// The web configuration as the server uses it: read at start, read again
/// when the file changes. A file that cannot be read or parsed any more
/// keeps nothing: requests are answered 500 and the error is logged, as
/// exporter-toolkit does.
pub struct LiveWebConfig {
    path: PathBuf,
    state: Mutex<(Option<Stamp>, Loaded)>,
}

/// The configuration last read, or why it could not be.
type Loaded = Result<Arc<WebConfig>, String>;

/// A file's modification time and size.
type Stamp = (SystemTime, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl LiveWebConfig {
    /// Reads `path`, failing as Alertmanager fails at start.
    pub fn open(path: &Path) -> Result<LiveWebConfig, String> {
        let stamp = stamp(path);
        let config = WebConfig::read(path)?;
        Ok(LiveWebConfig {
            path: path.to_path_buf(),
            state: Mutex::new((stamp, Ok(Arc::new(config)))),
        })
    }

    /// The current configuration (read again if the file changed).
    pub fn current(&self) -> Result<Arc<WebConfig>, String> {
        let now = stamp(&self.path);
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if now != st.0 || now.is_none() {
            let read = WebConfig::read(&self.path).map(Arc::new);
            if let Err(e) = &read {
                tracing::error!(file = %self.path.display(), err = %e, "Unable to parse configuration");
            }
            *st = (now, read);
        }
        st.1.clone()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

    fn parse(y: &str) -> Result<WebConfig, String> {
        WebConfig::parse(y, Path::new("/etc/am"))
    }

    #[test]
    fn defaults_and_relative_paths() {
        let c = parse("").unwrap();
        assert!(c.http_server_config.http2);
        assert!(!c.tls_server_config.is_present());
        let c = parse("tls_server_config:\n  cert_file: a.crt\n  key_file: /abs/a.key\n").unwrap();
        assert_eq!(c.tls_server_config.cert_file, "/etc/am/a.crt");
        assert_eq!(c.tls_server_config.key_file, "/abs/a.key");
        assert!(c.tls_server_config.is_present());
        let c = parse(&format!("basic_auth_users:\n  alice: {HASH}\n")).unwrap();
        assert_eq!(c.basic_auth_users["alice"], HASH);
    }

    #[test]
    fn exporter_toolkit_errors() {
        assert!(
            parse("tls_config: {}\n")
                .unwrap_err()
                .contains("tls_config")
        );
        assert_eq!(
            parse("http_server_config:\n  headers:\n    Foo: bar\n").unwrap_err(),
            "HTTP header \"Foo\" can not be configured"
        );
        assert_eq!(
            parse("http_server_config:\n  headers:\n    X-Frame-Options: allow\n").unwrap_err(),
            "invalid value for X-Frame-Options. Expected one of: [\"deny\" \"sameorigin\"], but got: \"allow\""
        );
        assert_eq!(
            parse("basic_auth_users:\n  bob: plain\n").unwrap_err(),
            "crypto/bcrypt: hashedSecret too short to be a bcrypted password"
        );
        let bad = format!("basic_auth_users:\n  bob: \"x{}\"\n", &HASH[1..]);
        assert!(parse(&bad).unwrap_err().contains("must start with '$'"));
    }

    #[test]
    fn the_file_is_read_again_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("web.yml");
        std::fs::write(&p, "").unwrap();
        let live = LiveWebConfig::open(&p).unwrap();
        assert!(live.current().unwrap().basic_auth_users.is_empty());
        std::fs::write(&p, format!("basic_auth_users:\n  alice: {HASH}\n")).unwrap();
        assert_eq!(live.current().unwrap().basic_auth_users.len(), 1);
        std::fs::write(&p, "nonsense: [").unwrap();
        assert!(live.current().is_err());
        assert!(LiveWebConfig::open(&dir.path().join("missing.yml")).is_err());
    }
}
