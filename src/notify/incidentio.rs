//! The incident.io integration (`incidentio_configs`): Alertmanager 0.34's
//! alert-source message — the webhook's JSON (template data, `groupKey`,
//! `truncatedAlerts`) with `version` `"1"` — POSTed to the alert source
//! `url` (or the URL in `url_file`, read on every notification) with the
//! alert source token as a bearer token (`alert_source_token`, or
//! `alert_source_token_file` read on every request; without either, the
//! `http_config` authorization).
//!
//! Followed: `notify/incidentio/incidentio.go` of Alertmanager v0.34.0:
//! `max_alerts` keeps the first alerts and counts the others; a body over
//! incident.io's 512 KiB keeps only the first alert (the rest of the data
//! as computed before); `timeout` bounds the request; 429 and 5xx are
//! retried, and an error answer's JSON `message`, `error` and `errors`
//! make up the error text.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::http::{HttpClient, HttpResponse, MAX_ERROR_BODY, parse_retry_after};
use super::json::{self, serialize_opt_time, serialize_time};
use super::msteams::UrlSource;
use super::rocketchat::go_field;
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture};
use crate::alert::{Alert, LabelSet, Timestamp};
use crate::config::http::Authorization;
use crate::config::notifiers::incidentio::IncidentioConfig;
use crate::config::types::Secret;
use crate::matcher::quote_meta;

/// The largest body incident.io accepts.
pub const MAX_PAYLOAD_SIZE: usize = 512 * 1024;

/// One `incidentio_configs` entry, ready to send.
pub struct Incidentio {
    url: UrlSource,
    max_alerts: u64,
    timeout: Option<Duration>,
    client: HttpClient,
}

/// 0.34's `Message`: the template data, then `version`, `groupKey` and
/// `truncatedAlerts`.
#[derive(Serialize)]
struct Message<'a> {
    receiver: String,
    status: &'static str,
    alerts: Vec<MessageAlert<'a>>,
    notification_reason: &'a str,
    #[serde(rename = "groupLabels")]
    group_labels: &'a LabelSet,
    #[serde(rename = "commonLabels")]
    common_labels: LabelSet,
    #[serde(rename = "commonAnnotations")]
    common_annotations: LabelSet,
    #[serde(rename = "routeLabels")]
    route_labels: &'a LabelSet,
    #[serde(rename = "externalURL")]
    external_url: &'a str,
    version: &'static str,
    #[serde(rename = "groupKey")]
    group_key: &'a str,
    #[serde(rename = "truncatedAlerts")]
    truncated_alerts: u64,
}

#[derive(Serialize)]
struct MessageAlert<'a> {
    status: &'static str,
    labels: &'a LabelSet,
    annotations: &'a LabelSet,
    #[serde(rename = "startsAt", serialize_with = "serialize_time")]
    starts_at: Timestamp,
    /// Go's zero time while the alert fires.
    #[serde(rename = "endsAt", serialize_with = "serialize_opt_time")]
    ends_at: Option<Timestamp>,
    #[serde(rename = "generatorURL")]
    generator_url: &'a str,
    fingerprint: String,
}

impl Incidentio {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(conf: &IncidentioConfig) -> Result<Self, String> {
        let mut http = conf.http_config.clone().unwrap_or_default();
        // The alert source token replaces whatever authorization the
        // http_config has (a file wins over the inline value).
        if !conf.alert_source_token_file.is_empty() {
            http.authorization = Some(Authorization {
                kind: "Bearer".into(),
                credentials: Secret::default(),
                credentials_file: conf.alert_source_token_file.clone(),
                credentials_ref: String::new(),
            });
        } else if !conf.alert_source_token.is_empty() {
            http.authorization = Some(Authorization {
                kind: "Bearer".into(),
                credentials: conf.alert_source_token.clone(),
                credentials_file: String::new(),
                credentials_ref: String::new(),
            });
        }
        let client = HttpClient::new(&http)?;
        let url = match &conf.url {
            Some(u) => UrlSource::Inline(u.as_str().to_string()),
            None => UrlSource::File(conf.url_file.clone()),
        };
        Ok(Incidentio {
            url,
            max_alerts: conf.max_alerts,
            timeout: Some(conf.timeout.as_std()).filter(|t| !t.is_zero()),
            client,
        })
    }
}

/// Encodes the message for `alerts` (already cut to `max_alerts`); past
/// [`MAX_PAYLOAD_SIZE`] only the first alert is kept, as 0.34 does,
/// without recomputing the rest.
pub fn encode_message(
    ctx: &NotifyContext,
    alerts: &[Arc<Alert>],
    truncated: u64,
) -> Result<Vec<u8>, String> {
    let mut any_firing = false;
    let items: Vec<MessageAlert<'_>> = alerts
        .iter()
        .map(|a| {
            let resolved = a.resolved_at(ctx.now);
            any_firing |= !resolved;
            MessageAlert {
                status: if resolved { "resolved" } else { "firing" },
                labels: &a.labels,
                annotations: &a.annotations,
                starts_at: a.starts_at,
                ends_at: if resolved { a.ends_at } else { None },
                generator_url: &a.generator_url,
                fingerprint: a.fingerprint().to_string(),
            }
        })
        .collect();
    let empty = LabelSet::empty();
    let mut msg = Message {
        receiver: quote_meta(&ctx.receiver),
        status: if any_firing { "firing" } else { "resolved" },
        alerts: items,
        // 0.34 always has a reason; "unknown" when none was given.
        notification_reason: ctx.notification_reason.as_deref().unwrap_or("unknown"),
        group_labels: &ctx.group_labels,
        common_labels: common(alerts.iter().map(|a| &a.labels)),
        common_annotations: common(alerts.iter().map(|a| &a.annotations)),
        route_labels: ctx.route_labels.as_ref().unwrap_or(&empty),
        external_url: &ctx.external_url,
        version: "1",
        group_key: &ctx.group_key,
        truncated_alerts: truncated,
    };
    let fail = |e: serde_json::Error| format!("failed to encode incident.io message: {e}");
    let buf = json::encode(&msg).map_err(fail)?;
    if buf.len() <= MAX_PAYLOAD_SIZE {
        return Ok(buf);
    }
    let original = buf.len();
    msg.alerts.truncate(1);
    let buf = json::encode(&msg).map_err(|e| {
        format!("failed to encode incident.io message after annotation truncation: {e}")
    })?;
    if buf.len() <= MAX_PAYLOAD_SIZE {
        tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, original_size = original, final_size = buf.len(), max_size = MAX_PAYLOAD_SIZE, "Truncated alert content due to incident.io payload size limit");
    } else {
        tracing::error!(receiver = %ctx.receiver, group_key = %ctx.group_key, original_size = original, final_size = buf.len(), max_size = MAX_PAYLOAD_SIZE, "Truncated alert content due to incident.io payload size limit, but still exceeds limit");
    }
    Ok(buf)
}

/// The pairs every set has with the same value (a missing name counts as
/// the empty value, as in Go).
fn common<'a>(mut sets: impl Iterator<Item = &'a LabelSet>) -> LabelSet {
    let Some(first) = sets.next() else {
        return LabelSet::empty();
    };
    let rest: Vec<&LabelSet> = sets.collect();
    first
        .iter()
        .filter(|(name, value)| rest.iter().all(|s| s.get(name).unwrap_or("") == *value))
        .collect()
}

/// 0.34's `errDetails`: the answer's JSON `message`, `error` and `errors`
/// (joined by `, `), joined by `: `; nothing when it is not that JSON.
fn error_details(body: &[u8]) -> String {
    use serde_json::Value;
    let Some(Ok(value)) = serde_json::Deserializer::from_slice(body)
        .into_iter::<Value>()
        .next()
    else {
        return String::new();
    };
    let obj = match value {
        Value::Object(obj) => obj,
        Value::Null => return String::new(),
        _ => return String::new(),
    };
    let text = |name: &str| -> Option<String> {
        match go_field(&obj, name) {
            None | Some(Value::Null) => Some(String::new()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => None,
        }
    };
    let (Some(message), Some(error)) = (text("message"), text("error")) else {
        return String::new();
    };
    let errors: Vec<String> = match go_field(&obj, "errors") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => out.push(s.clone()),
                    Value::Null => out.push(String::new()),
                    _ => return String::new(),
                }
            }
            out
        }
        Some(_) => return String::new(),
    };
    let mut parts = Vec::new();
    if !message.is_empty() {
        parts.push(message);
    }
    if !error.is_empty() {
        parts.push(error);
    }
    if !errors.is_empty() {
        parts.push(errors.join(", "));
    }
    parts.join(": ")
}

/// `Retrier.Check` with 429 retried and [`error_details`] as the details.
async fn classify(resp: HttpResponse) -> Result<(), NotifyError> {
    let status = resp.status();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
    // Error answers are small; a huge one is not worth reading whole.
    let body = resp.body_prefix(16 * MAX_ERROR_BODY).await;
    let details = error_details(&body);
    let mut message = format!("unexpected status code {status}");
    if !details.is_empty() {
        message.push_str(": ");
        message.push_str(&details);
    }
    Err(NotifyError {
        retryable: (500..600).contains(&status) || status == 429,
        reason: FailureReason::from_status(status),
        message,
        retry_after,
        status: Some(status),
    })
}

impl Notifier for Incidentio {
    fn kind(&self) -> &'static str {
        "incidentio"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(async move {
            let (alerts, truncated) = super::webhook::truncate_alerts(self.max_alerts, alerts);
            let body = encode_message(ctx, alerts, truncated)
                .map_err(|e| NotifyError::permanent(FailureReason::Other, e))?;
            let url = self.url.get("read url_file: ")?;
            let send = self.client.post(&url, "application/json", body);
            let resp = match self.timeout {
                None => send.await?,
                // 0.34 wraps the timeout's cause around the error, but its
                // RedactURL then keeps only the inner *url.Error.
                Some(limit) => tokio::time::timeout(limit, send).await.map_err(|_| {
                    NotifyError::retryable(
                        FailureReason::Other,
                        "Post \"<redacted>\": context deadline exceeded",
                    )
                })??,
            };
            classify(resp).await
        })
    }
}

#[cfg(test)]
mod tests;
