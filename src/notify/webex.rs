//! The Webex integration: Alertmanager 0.34's `webex_configs` message — the
//! templated `message` as `markdown` (cut to 7439 bytes) and the templated
//! `room_id` — POSTed as JSON to `api_url` with the bot token from
//! `http_config.authorization` (`Authorization: Bearer <token>`, the
//! credentials file re-read on every request).
//!
//! Answers are classified as `Retrier.Check` does (5xx retried, the reason
//! from the status), except that 429 is retried after its `Retry-After`,
//! as Webex's rate-limit documentation asks (0.34 gives up on it).

use std::sync::Arc;

use serde::Serialize;

use super::http::HttpClient;
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::webex::WebexConfig;

/// Webex's limit on a message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 7439;

/// One `webex_configs` entry, ready to send.
pub struct Webex {
    conf: WebexConfig,
    api_url: String,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

/// Alertmanager's `webhook`.
#[derive(Serialize)]
struct Message {
    markdown: String,
    #[serde(rename = "roomId", skip_serializing_if = "String::is_empty")]
    room_id: String,
}

impl Webex {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(conf: &WebexConfig, templater: Option<Arc<dyn Templater>>) -> Result<Self, String> {
        let client = HttpClient::new(&conf.http_config.clone().unwrap_or_default())?;
        let api_url = conf
            .api_url
            .as_ref()
            .map(|u| u.as_str().to_string())
            .unwrap_or_else(|| "https://webexapis.com/v1/messages".to_string());
        Ok(Webex {
            conf: conf.clone(),
            api_url,
            client,
            templater,
        })
    }

    /// Renders the message as Alertmanager does. A `room_id` that fails
    /// to render fails the notification (0.34 would send the message
    /// without a room, which Webex refuses).
    fn build(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<Message, NotifyError> {
        let rendered = match &self.templater {
            Some(t) => t.execute_all(&[&self.conf.message, &self.conf.room_id], ctx, alerts),
            None => Err("no template engine configured".to_string()),
        }
        .map_err(|e| NotifyError::permanent(FailureReason::Other, e))?;
        let mut it = rendered.into_iter();
        let (markdown, truncated) =
            super::text::truncate_in_bytes(&it.next().unwrap_or_default(), MAX_MESSAGE_BYTES);
        if truncated {
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, max_bytes = MAX_MESSAGE_BYTES, "Truncated message");
        }
        Ok(Message {
            markdown,
            room_id: it.next().unwrap_or_default(),
        })
    }

    async fn run(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<(), NotifyError> {
        let message = self.build(ctx, alerts)?;
        let body = super::json::encode(&message)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))?;
        self.client
            .post(&self.api_url, "application/json", body)
            .await?
            .check(&[429])
            .await
    }
}

impl Notifier for Webex {
    fn kind(&self) -> &'static str {
        "webex"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(self.run(ctx, alerts))
    }
}

#[cfg(test)]
mod tests;
