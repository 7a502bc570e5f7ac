//! The OpsGenie integration: Alertmanager 0.34's `opsgenie_configs`
//! requests. A firing group creates an alert (`POST <api_url>v2/alerts`,
//! plus, with `update_alerts`, `PUT …/alerts/<alias>/message` and
//! `…/description`); a resolved one closes it (`POST
//! …/alerts/<alias>/close?identifierType=alias`). The alias is the sha256
//! hex of the group key; every field is a template; the message is cut to
//! 130 runes; `teams` responders become one `team` responder per name; the
//! group's common labels are the base of `details`.
//!
//! Requests carry `Authorization: GenieKey <key>`, the key from `api_key`
//! or `api_key_file` (read on every notification; both templated, as in
//! Alertmanager). 429 and 5xx answers are retried.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::http::{HttpClient, SecretSource, go_open_error};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::http::{Authorization, HttpClientConfig};
use crate::config::notifiers::opsgenie::OpsGenieConfig;
use crate::config::types::Secret;

/// OpsGenie's limit on the alert message, in runes.
pub const MAX_MESSAGE_RUNES: usize = 130;

/// One `opsgenie_configs` entry, ready to send.
pub struct OpsGenie {
    conf: OpsGenieConfig,
    api_url: url::Url,
    key: SecretSource,
    http: HttpClientConfig,
    /// The client for the last API key used (the key is an
    /// `Authorization` credential, and may change with its file).
    client: Mutex<Option<(String, HttpClient)>>,
    templater: Option<Arc<dyn Templater>>,
}

/// Alertmanager's `opsGenieCreateMessage`.
#[derive(Serialize)]
struct CreateMessage {
    alias: String,
    message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    details: BTreeMap<String, String>,
    source: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    responders: Vec<Responder>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    note: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    priority: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    entity: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    actions: Vec<String>,
}

#[derive(Serialize, PartialEq, Default)]
struct Responder {
    #[serde(skip_serializing_if = "String::is_empty")]
    id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    username: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Serialize)]
struct CloseMessage {
    source: String,
}

#[derive(Serialize)]
struct UpdateMessage {
    #[serde(skip_serializing_if = "String::is_empty")]
    message: String,
}

#[derive(Serialize)]
struct UpdateDescription {
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
}

/// One request to make.
struct Request {
    method: reqwest::Method,
    url: String,
    body: Vec<u8>,
}

/// Go's `strings.Split(strings.TrimSpace(s), sep)` without the empty
/// parts (Alertmanager's `safeSplit`; the parts are not trimmed).
fn safe_split(s: &str, sep: char) -> Vec<String> {
    s.trim()
        .split(sep)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// Go's `url.PathEscape`-like escaping of a whole path (`encodePath`).
fn go_escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_'
                    | b'.'
                    | b'~'
                    | b'$'
                    | b'&'
                    | b'+'
                    | b','
                    | b'/'
                    | b':'
                    | b';'
                    | b'='
                    | b'@'
            )
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Go's `url.QueryEscape`.
fn go_query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(b[i + 1]) << 4 | hex(b[i + 2]));
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What Go's `u := base.Copy(); u.Path += suffix; u.String()` gives, with
/// `identifierType` set in the query (re-encoded, sorted, as Go's
/// `Query().Set` + `Encode` do) when `set` is given.
pub(crate) fn go_url_with_path(base: &url::Url, suffix: &str, set: Option<(&str, &str)>) -> String {
    let mut out = base[..url::Position::BeforePath].to_string();
    let path = format!("{}{suffix}", percent_decode(base.path()));
    let escaped = go_escape_path(&path);
    if !escaped.is_empty() && !escaped.starts_with('/') {
        out.push('/');
    }
    out.push_str(&escaped);
    match set {
        Some((key, value)) => {
            let mut q: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (k, v) in url::form_urlencoded::parse(base.query().unwrap_or("").as_bytes()) {
                q.entry(k.into_owned()).or_default().push(v.into_owned());
            }
            q.insert(key.to_string(), vec![value.to_string()]);
            let encoded: Vec<String> = q
                .iter()
                .flat_map(|(k, vs)| {
                    vs.iter()
                        .map(move |v| format!("{}={}", go_query_escape(k), go_query_escape(v)))
                })
                .collect();
            out.push('?');
            out.push_str(&encoded.join("&"));
        }
        None => {
            if let Some(q) = base.query() {
                out.push('?');
                out.push_str(q);
            }
        }
    }
    if let Some(f) = base.fragment() {
        out.push('#');
        out.push_str(f);
    }
    out
}

impl OpsGenie {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(
        conf: &OpsGenieConfig,
        templater: Option<Arc<dyn Templater>>,
    ) -> Result<Self, String> {
        let http = conf.http_config.clone().unwrap_or_default();
        // Fail now on an unusable http_config (TLS files, …).
        HttpClient::new(&http)?;
        let api_url = conf
            .api_url
            .as_ref()
            .map(|u| u.url().clone())
            .ok_or("no OpsGenie API URL")?;
        let key = if conf.api_key.is_empty() {
            SecretSource::File(conf.api_key_file.clone())
        } else {
            SecretSource::Inline(conf.api_key.expose().to_string())
        };
        Ok(OpsGenie {
            conf: conf.clone(),
            api_url,
            key,
            http,
            client: Mutex::new(None),
            templater,
        })
    }

    /// The client sending `Authorization: GenieKey <key>` (an explicit
    /// `Authorization` header wins over `http_config` credentials in Go).
    fn client_for(&self, key: &str) -> Result<HttpClient, NotifyError> {
        let mut slot = self
            .client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((k, c)) = &*slot
            && k == key
        {
            return Ok(c.clone());
        }
        let client = HttpClient::new(&HttpClientConfig {
            authorization: Some(Authorization {
                kind: "GenieKey".into(),
                credentials: Secret::new(key),
                ..Default::default()
            }),
            ..self.http.clone()
        })
        .map_err(|e| NotifyError::permanent(FailureReason::Other, e))?;
        *slot = Some((key.to_string(), client.clone()));
        Ok(client)
    }

    fn render(
        &self,
        texts: &[&str],
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<Vec<String>, NotifyError> {
        match &self.templater {
            Some(t) => t.execute_all(texts, ctx, alerts),
            None => Err("no template engine configured".to_string()),
        }
        .map_err(|e| NotifyError::permanent(FailureReason::Other, format!("templating error: {e}")))
    }

    /// The requests for this notification and the API key (Alertmanager's
    /// `createRequests`).
    fn requests(
        &self,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<(Vec<Request>, String), NotifyError> {
        let c = &self.conf;
        // An unreadable key file is reported before any template error.
        let key_text = match &self.key {
            SecretSource::Inline(k) => k.clone(),
            SecretSource::File(path) => std::fs::read_to_string(path).map_err(|e| {
                NotifyError::permanent(
                    FailureReason::Other,
                    format!("read key_file error: {}", go_open_error(path, &e)),
                )
            })?,
        };
        let alias = super::group_key_hash(&ctx.group_key);
        let resolved = alerts.iter().all(|a| a.resolved_at(ctx.now));

        let mut texts: Vec<&str> = c.details.values().map(String::as_str).collect();
        texts.push(&c.source);
        if !resolved {
            texts.push(&c.message);
            for r in &c.responders {
                texts.extend([r.id.as_str(), &r.name, &r.username, &r.kind]);
            }
            texts.extend([
                c.description.as_str(),
                &c.tags,
                &c.note,
                &c.priority,
                &c.entity,
                &c.actions,
            ]);
        }
        texts.push(&key_text);
        let rendered = self.render(&texts, ctx, alerts)?;
        let mut it = rendered.into_iter();
        let mut next = || it.next().unwrap_or_default();

        // The common labels, overridden by the configured details.
        let mut details: BTreeMap<String, String> = common_labels(alerts);
        for k in c.details.keys() {
            details.insert(k.clone(), next());
        }
        let source = next();
        let mut requests = Vec::new();
        if resolved {
            requests.push(Request {
                method: reqwest::Method::POST,
                url: go_url_with_path(
                    &self.api_url,
                    &format!("v2/alerts/{alias}/close"),
                    Some(("identifierType", "alias")),
                ),
                body: json(&CloseMessage { source })?,
            });
        } else {
            let (message, truncated) = super::text::truncate_in_runes(&next(), MAX_MESSAGE_RUNES);
            if truncated {
                tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, alert = %ctx.group_key, max_runes = MAX_MESSAGE_RUNES, "Truncated message");
            }
            let configured: Vec<Responder> = c
                .responders
                .iter()
                .map(|_| Responder {
                    id: next(),
                    name: next(),
                    username: next(),
                    kind: next(),
                })
                .collect();
            let description = next();
            let tags = safe_split(&next(), ',');
            let note = next();
            let priority = next();
            let entity = next();
            let actions = safe_split(&next(), ',');
            let mut responders = Vec::new();
            for r in configured {
                if r == Responder::default() {
                    // Responders that render empty are left out.
                    continue;
                }
                if r.kind == "teams" {
                    // Each team name is rendered once more, as in Go.
                    let teams = safe_split(&r.name, ',');
                    let refs: Vec<&str> = teams.iter().map(String::as_str).collect();
                    let names = if refs.iter().any(|t| t.contains("{{")) {
                        self.render(&refs, ctx, alerts)?
                    } else {
                        teams.clone()
                    };
                    responders.extend(names.into_iter().map(|name| Responder {
                        name,
                        kind: "team".into(),
                        ..Responder::default()
                    }));
                    continue;
                }
                responders.push(r);
            }
            let msg = CreateMessage {
                alias: alias.clone(),
                message,
                description,
                details,
                source,
                responders,
                tags,
                note,
                priority,
                entity,
                actions,
            };
            requests.push(Request {
                method: reqwest::Method::POST,
                url: go_url_with_path(&self.api_url, "v2/alerts", None),
                body: json(&msg)?,
            });
            if c.update_alerts {
                requests.push(Request {
                    method: reqwest::Method::PUT,
                    url: go_url_with_path(
                        &self.api_url,
                        &format!("v2/alerts/{alias}/message"),
                        Some(("identifierType", "alias")),
                    ),
                    body: json(&UpdateMessage {
                        message: msg.message.clone(),
                    })?,
                });
                requests.push(Request {
                    method: reqwest::Method::PUT,
                    url: go_url_with_path(
                        &self.api_url,
                        &format!("v2/alerts/{alias}/description"),
                        Some(("identifierType", "alias")),
                    ),
                    body: json(&UpdateDescription {
                        description: msg.description.clone(),
                    })?,
                });
            }
        }
        let mut key = next();
        if matches!(self.key, SecretSource::File(_)) {
            key = key.trim().to_string();
        }
        Ok((requests, key))
    }

    async fn run(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<(), NotifyError> {
        let (requests, key) = self.requests(ctx, alerts)?;
        let client = self.client_for(&key)?;
        for req in requests {
            let resp = client
                .request(req.method, &req.url, Some(("application/json", req.body)))
                .await?;
            resp.check(&[429]).await?;
        }
        Ok(())
    }
}

/// The label pairs every alert has with the same value (`.CommonLabels`).
fn common_labels(alerts: &[Arc<Alert>]) -> BTreeMap<String, String> {
    let Some((first, rest)) = alerts.split_first() else {
        return BTreeMap::new();
    };
    first
        .labels
        .iter()
        .filter(|(name, value)| {
            rest.iter()
                .all(|a| a.labels.get(name).unwrap_or("") == *value)
        })
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// A request body as Go's `json.Encoder` writes it.
fn json<T: Serialize>(v: &T) -> Result<Vec<u8>, NotifyError> {
    super::json::encode(v).map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))
}

impl Notifier for OpsGenie {
    fn kind(&self) -> &'static str {
        "opsgenie"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(self.run(ctx, alerts))
    }
}

#[cfg(test)]
mod tests;
