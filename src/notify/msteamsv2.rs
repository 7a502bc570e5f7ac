//! The Microsoft Teams Power Automate integration (`msteamsv2_configs`):
//! Alertmanager 0.34's Adaptive Card message (`title` as a heading colored
//! by group status, `text` below it, full width) POSTed as JSON to a
//! Workflows/Flows `webhook_url` or the URL in `webhook_url_file` (read on
//! every notification).
//!
//! Followed: `notify/msteamsv2/msteamsv2.go` of Alertmanager v0.34.0: any
//! 2xx answer is a success, others are classified by `Retrier.Check`
//! without extra retry codes.

use std::sync::Arc;

use serde::Serialize;

use super::http::HttpClient;
use super::http::UrlSource;
use super::msteams::{any_firing, check, render_all};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::msteamsv2::MsTeamsV2Config;

/// The heading colors of 0.34 (`colorRed`, `colorGreen`).
const COLOR_FIRING: &str = "Attention";
const COLOR_RESOLVED: &str = "Good";

/// One `msteamsv2_configs` entry, ready to send.
pub struct MsTeamsV2 {
    url: UrlSource,
    title: String,
    text: String,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

/// 0.34's `teamsMessage`.
#[derive(Serialize)]
struct Message {
    #[serde(rename = "type")]
    kind: &'static str,
    attachments: [Attachment; 1],
}

#[derive(Serialize)]
struct Attachment {
    #[serde(rename = "contentType")]
    content_type: &'static str,
    /// Always `null`.
    #[serde(rename = "contentUrl")]
    content_url: Option<String>,
    content: Content,
}

#[derive(Serialize)]
struct Content {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    version: &'static str,
    body: [Block; 2],
    /// Go's `omitempty` does not drop a struct: always sent.
    msteams: Width,
}

#[derive(Serialize)]
struct Width {
    width: &'static str,
}

#[derive(Serialize)]
struct Block {
    #[serde(rename = "type")]
    kind: &'static str,
    text: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    weight: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    size: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    wrap: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    style: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    color: &'static str,
}

impl MsTeamsV2 {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(
        conf: &MsTeamsV2Config,
        templater: Option<Arc<dyn Templater>>,
    ) -> Result<Self, String> {
        let client = HttpClient::new(&conf.http_config.clone().unwrap_or_default())?;
        Ok(MsTeamsV2 {
            url: UrlSource::new(conf.webhook_url.as_ref(), &conf.webhook_url_file),
            title: conf.title.clone(),
            text: conf.text.clone(),
            client,
            templater,
        })
    }

    /// The request body, exactly as 0.34 encodes it.
    fn body(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<Vec<u8>, NotifyError> {
        let mut rendered = render_all(
            self.templater.as_ref(),
            &[&self.title, &self.text],
            ctx,
            alerts,
        )?
        .into_iter();
        let title = rendered.next().unwrap_or_default();
        let text = rendered.next().unwrap_or_default();
        let message = Message {
            kind: "message",
            attachments: [Attachment {
                content_type: "application/vnd.microsoft.card.adaptive",
                content_url: None,
                content: Content {
                    schema: "http://adaptivecards.io/schemas/adaptive-card.json",
                    kind: "AdaptiveCard",
                    version: "1.2",
                    body: [
                        Block {
                            kind: "TextBlock",
                            text: title,
                            weight: "Bolder",
                            size: "Medium",
                            wrap: true,
                            style: "heading",
                            color: if any_firing(ctx, alerts) {
                                COLOR_FIRING
                            } else {
                                COLOR_RESOLVED
                            },
                        },
                        Block {
                            kind: "TextBlock",
                            text,
                            weight: "",
                            size: "",
                            wrap: true,
                            style: "",
                            color: "",
                        },
                    ],
                    msteams: Width { width: "full" },
                },
            }],
        };
        super::json::encode(&message)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))
    }
}

impl Notifier for MsTeamsV2 {
    fn kind(&self) -> &'static str {
        "msteamsv2"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(async move {
            let body = self.body(ctx, alerts)?;
            let url = self.url.get("read webhook_url_file: ")?;
            let resp = self.client.post(&url, "application/json", body).await?;
            check(resp, &[]).await
        })
    }
}

#[cfg(test)]
mod tests;
