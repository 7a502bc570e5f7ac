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

use super::http::{HttpClient, HttpResponse, MAX_ERROR_BODY, UrlSource, parse_retry_after};
use super::json;
use super::rocketchat::go_field;
use super::webhook::Message;
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture};
use crate::alert::{Alert, LabelSet};
use crate::config::http::Authorization;
use crate::config::notifiers::incidentio::IncidentioConfig;
use crate::config::types::Secret;

/// The largest body incident.io accepts.
pub const MAX_PAYLOAD_SIZE: usize = 512 * 1024;

/// One `incidentio_configs` entry, ready to send.
pub struct Incidentio {
    url: UrlSource,
    max_alerts: u64,
    timeout: Option<Duration>,
    client: HttpClient,
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
    let empty = LabelSet::empty();
    let mut msg = Message::new(ctx, alerts, truncated, "1");
    // 0.34 always has a reason ("unknown" when none was given) and route
    // labels.
    msg.notification_reason = Some(ctx.notification_reason.as_deref().unwrap_or("unknown"));
    msg.route_labels = Some(ctx.route_labels.as_ref().unwrap_or(&empty));
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
