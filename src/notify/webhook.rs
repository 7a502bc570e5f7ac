//! The webhook integration: POSTs the alert group as Alertmanager's
//! version 4 JSON message (or a templated custom `payload`) to `url` or the
//! URL in `url_file`, with `max_alerts` truncation and a request `timeout`.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::http::{HttpClient, UrlSource};
use super::json::{self, serialize_opt_time, serialize_time};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::{Alert, LabelSet, Timestamp};
use crate::config::notifiers::webhook::WebhookConfig;
use crate::config::types::format_go_duration;
use crate::matcher::quote_meta;

/// One `webhook_configs` entry, ready to send.
pub struct Webhook {
    url: UrlSource,
    max_alerts: u64,
    timeout: Option<Duration>,
    payload: Option<serde_json::Value>,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

impl Webhook {
    /// Builds the notifier; `templater` renders a templated `url` and the
    /// custom `payload` (neither works without it). Fails when the HTTP
    /// client cannot be built (unreadable CA file, …).
    pub fn new(
        conf: &WebhookConfig,
        templater: Option<Arc<dyn Templater>>,
    ) -> Result<Self, String> {
        let client = HttpClient::new(&conf.http_config.clone().unwrap_or_default())?;
        // The configured URL (possibly a template), or a file read on
        // every notification.
        let url = if conf.url.is_empty() {
            UrlSource::File(conf.url_file.clone())
        } else {
            UrlSource::Inline(conf.url.expose().to_string())
        };
        Ok(Webhook {
            url,
            max_alerts: conf.max_alerts,
            timeout: Some(conf.timeout.0).filter(|t| !t.is_zero()),
            payload: conf.payload.clone(),
            client,
            templater,
        })
    }

    /// The URL for this notification: read from `url_file` if configured,
    /// then rendered as a template when it contains `{{`.
    fn url(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<String, NotifyError> {
        let text = self.url.get("read url_file: ")?;
        let url = if text.contains("{{") {
            self.render(&text, ctx, alerts).map_err(|e| {
                NotifyError::permanent(
                    FailureReason::Other,
                    format!("failed to template webhook URL: {e}"),
                )
            })?
        } else {
            text
        };
        if url.is_empty() {
            return Err(NotifyError::permanent(
                FailureReason::Other,
                "webhook URL is empty after templating",
            ));
        }
        Ok(url)
    }

    fn render(
        &self,
        text: &str,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<String, String> {
        match &self.templater {
            Some(t) => t.execute_text(text, ctx, alerts),
            None => Err("no template engine configured".to_string()),
        }
    }

    /// The request body: the version 4 message, or the rendered custom
    /// payload.
    fn body(
        &self,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
        truncated: u64,
    ) -> Result<Vec<u8>, NotifyError> {
        let message = message_body(ctx, alerts, truncated)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e))?;
        let Some(payload) = &self.payload else {
            return Ok(message);
        };
        let rendered = render_payload(payload, &|s| self.render(s, ctx, alerts)).map_err(|e| {
            NotifyError::permanent(
                FailureReason::Other,
                format!("failed to render custom payload: {e}"),
            )
        })?;
        json::encode(&rendered)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))
    }
}

impl Notifier for Webhook {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(async move {
            let (alerts, truncated) = truncate_alerts(self.max_alerts, alerts);
            let body = self.body(ctx, alerts, truncated)?;
            let url = self.url(ctx, alerts)?;
            let send = async {
                self.client
                    .post(&url, "application/json", body)
                    .await?
                    .check(&[])
                    .await
            };
            match self.timeout {
                None => send.await,
                Some(limit) => match tokio::time::timeout(limit, send).await {
                    Ok(result) => result,
                    Err(_) => Err(NotifyError::retryable(
                        FailureReason::Other,
                        format!(
                            "Post \"<redacted>\": context deadline exceeded: configured webhook timeout reached ({})",
                            format_go_duration(limit)
                        ),
                    )),
                },
            }
        })
    }
}

/// Keeps the first `max_alerts` alerts (0 keeps all) and counts the rest.
pub fn truncate_alerts(max_alerts: u64, alerts: &[Arc<Alert>]) -> (&[Arc<Alert>], u64) {
    match usize::try_from(max_alerts) {
        Ok(max) if max != 0 && alerts.len() > max => (&alerts[..max], (alerts.len() - max) as u64),
        _ => (alerts, 0),
    }
}

/// Alertmanager's webhook message (its template data plus `version`,
/// `groupKey` and `truncatedAlerts`); incident.io sends it too.
#[derive(Serialize)]
pub(crate) struct Message<'a> {
    receiver: String,
    status: &'static str,
    pub(crate) alerts: Vec<MessageAlert<'a>>,
    /// Left out when `None` (Alertmanager 0.25's webhook).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) notification_reason: Option<&'a str>,
    #[serde(rename = "groupLabels")]
    group_labels: &'a LabelSet,
    #[serde(rename = "commonLabels")]
    common_labels: LabelSet,
    #[serde(rename = "commonAnnotations")]
    common_annotations: LabelSet,
    /// Left out when `None` (Alertmanager 0.25's webhook).
    #[serde(rename = "routeLabels", skip_serializing_if = "Option::is_none")]
    pub(crate) route_labels: Option<&'a LabelSet>,
    #[serde(rename = "externalURL")]
    external_url: &'a str,
    version: &'static str,
    #[serde(rename = "groupKey")]
    group_key: &'a str,
    #[serde(rename = "truncatedAlerts")]
    truncated_alerts: u64,
}

#[derive(Serialize)]
pub(crate) struct MessageAlert<'a> {
    status: &'static str,
    labels: &'a LabelSet,
    annotations: &'a LabelSet,
    #[serde(rename = "startsAt", serialize_with = "serialize_time")]
    starts_at: Timestamp,
    /// Unset (Go's zero time) while the alert is firing.
    #[serde(rename = "endsAt", serialize_with = "serialize_opt_time")]
    ends_at: Option<Timestamp>,
    #[serde(rename = "generatorURL")]
    generator_url: &'a str,
    fingerprint: String,
}

impl<'a> Message<'a> {
    /// The message of `alerts` (already truncated) with `version`.
    pub(crate) fn new(
        ctx: &'a NotifyContext,
        alerts: &'a [Arc<Alert>],
        truncated: u64,
        version: &'static str,
    ) -> Message<'a> {
        let mut any_firing = false;
        let items = alerts
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
        Message {
            receiver: quote_meta(&ctx.receiver),
            status: if any_firing { "firing" } else { "resolved" },
            alerts: items,
            notification_reason: ctx.notification_reason.as_deref(),
            group_labels: &ctx.group_labels,
            common_labels: common(alerts.iter().map(|a| &a.labels)),
            common_annotations: common(alerts.iter().map(|a| &a.annotations)),
            route_labels: ctx.route_labels.as_ref(),
            external_url: &ctx.external_url,
            version,
            group_key: &ctx.group_key,
            truncated_alerts: truncated,
        }
    }
}

/// Encodes the version 4 message for `alerts` (already truncated) exactly
/// as Alertmanager does, trailing newline included.
pub fn message_body(
    ctx: &NotifyContext,
    alerts: &[Arc<Alert>],
    truncated: u64,
) -> Result<Vec<u8>, String> {
    json::encode(&Message::new(ctx, alerts, truncated, "4"))
        .map_err(|e| format!("json: error calling MarshalJSON for type time.Time: {e}"))
}

/// The pairs every set has with the same value (a missing label counts as
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

/// Renders a custom `payload`: map keys and string values are templates; a
/// rendered value that reads as YAML structure (a number, boolean, null,
/// list or map) is replaced by that structure, as Alertmanager does.
fn render_payload(
    value: &serde_json::Value,
    render: &dyn Fn(&str) -> Result<String, String>,
) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    Ok(match value {
        Value::String(s) => {
            let text = render(s)?;
            match serde_saphyr::from_str::<Value>(&text) {
                Ok(Value::String(_)) | Err(_) => Value::String(text),
                Ok(structured) => structured,
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_payload(v, render))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                out.insert(render(k)?, render_payload(v, render)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests;
