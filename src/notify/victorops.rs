//! The VictorOps (Splunk On-Call) integration: Alertmanager 0.34's
//! `victorops_configs` event, POSTed to `<api_url><api_key>/<routing_key>`
//! (the routing key a template, the API key from `api_key` or
//! `api_key_file`, read on every notification). The body is a flat JSON
//! object: `message_type` (the rendered type while firing, `CRITICAL` if
//! it is not INFO, WARNING or CRITICAL; `RECOVERY` once resolved),
//! `entity_id` (the sha256 hex of the group key), the templated
//! `entity_display_name`, `state_message` (cut to 20480 runes),
//! `monitoring_tool` and the templated `custom_fields`, keys sorted.
//! Only 5xx answers are retried. The URL holds the API key: errors never
//! show it.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::http::{HttpClient, SecretSource, go_open_error};
use super::opsgenie::go_url_with_path;
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::victorops::VictorOpsConfig;

/// VictorOps' limit on the state message, in runes.
pub const MAX_STATE_MESSAGE_RUNES: usize = 20480;

/// One `victorops_configs` entry, ready to send.
pub struct VictorOps {
    conf: VictorOpsConfig,
    api_url: url::Url,
    key: SecretSource,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

impl VictorOps {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(
        conf: &VictorOpsConfig,
        templater: Option<Arc<dyn Templater>>,
    ) -> Result<Self, String> {
        let client = HttpClient::new(&conf.http_config.clone().unwrap_or_default())?;
        let api_url = conf
            .api_url
            .as_ref()
            .map(|u| u.url().clone())
            .ok_or("no VictorOps API URL")?;
        let key = if conf.api_key.is_empty() {
            SecretSource::File(conf.api_key_file.clone())
        } else {
            SecretSource::Inline(conf.api_key.expose().to_string())
        };
        Ok(VictorOps {
            conf: conf.clone(),
            api_url,
            key,
            client,
            templater,
        })
    }

    /// The URL and the body of this notification.
    fn request(
        &self,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<(String, Vec<u8>), NotifyError> {
        let c = &self.conf;
        let key = match &self.key {
            SecretSource::Inline(k) => k.clone(),
            SecretSource::File(path) => std::fs::read_to_string(path)
                .map(|s| s.trim().to_string())
                .map_err(|e| {
                    NotifyError::permanent(
                        FailureReason::Other,
                        format!(
                            "failed to read API key from file: {}",
                            go_open_error(path, &e)
                        ),
                    )
                })?,
        };
        let mut texts: Vec<&str> = vec![
            &c.routing_key,
            &c.message_type,
            &c.state_message,
            &c.entity_display_name,
            &c.monitoring_tool,
        ];
        texts.extend(c.custom_fields.values().map(String::as_str));
        // Alertmanager 0.34 retries a failed payload template (not a failed
        // routing key); a template fails the same way every time, so
        // neither is retried here.
        let rendered = match &self.templater {
            Some(t) => t.execute_all(&texts, ctx, alerts),
            None => Err("no template engine configured".to_string()),
        }
        .map_err(|e| {
            NotifyError::permanent(FailureReason::Other, format!("templating error: {e}"))
        })?;
        let mut it = rendered.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let routing_key = next();
        let url = go_url_with_path(&self.api_url, &format!("{key}/{routing_key}"), None);

        let resolved = alerts.iter().all(|a| a.resolved_at(ctx.now));
        let mut message_type = next();
        if resolved {
            message_type = "RECOVERY".into();
        } else if !matches!(message_type.as_str(), "INFO" | "WARNING" | "CRITICAL") {
            message_type = "CRITICAL".into();
        }
        let (state_message, truncated) =
            super::text::truncate_in_runes(&next(), MAX_STATE_MESSAGE_RUNES);
        if truncated {
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, max_runes = MAX_STATE_MESSAGE_RUNES, "Truncated state_message");
        }
        let mut msg: BTreeMap<String, String> = BTreeMap::new();
        msg.insert("message_type".into(), message_type);
        msg.insert("entity_id".into(), super::group_key_hash(&ctx.group_key));
        msg.insert("state_message".into(), state_message);
        msg.insert("entity_display_name".into(), next());
        msg.insert("monitoring_tool".into(), next());
        for k in c.custom_fields.keys() {
            msg.insert(k.clone(), next());
        }
        let body = super::json::encode(&msg)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))?;
        Ok((url, body))
    }

    async fn run(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<(), NotifyError> {
        let (url, body) = self.request(ctx, alerts)?;
        self.client
            .post(&url, "application/json", body)
            .await?
            .check(&[])
            .await
    }
}

impl Notifier for VictorOps {
    fn kind(&self) -> &'static str {
        "victorops"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(self.run(ctx, alerts))
    }
}

#[cfg(test)]
mod tests;
