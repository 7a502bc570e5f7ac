//! The Microsoft Teams integration (`msteams_configs`): Alertmanager 0.34's
//! legacy Office 365 connector MessageCard (`title`, `summary` and `text`
//! templated, the theme color by group status) POSTed as JSON to
//! `webhook_url` or the URL in `webhook_url_file` (read on every
//! notification).
//!
//! Followed: `notify/msteams/msteams.go` of Alertmanager v0.34.0. Every 2xx
//! answer is a success whatever its body (0.34 does not look at it); other
//! answers are classified by `Retrier.Check` without extra retry codes.
//!
//! Also home of the small helpers the chat integrations written alongside
//! it share ([`check`], [`render_all`]).

use std::sync::Arc;

use serde::Serialize;

use super::http::{HttpResponse, UrlSource};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::msteams::MsTeamsConfig;

/// The theme colors of 0.34 (`colorRed`, `colorGreen`).
const COLOR_FIRING: &str = "8C1A1A";
const COLOR_RESOLVED: &str = "2DC72D";

/// Alertmanager's `Retrier.Check` with `retry_codes`, the failure reason
/// from the status: 2xx succeeds, 5xx and `retry_codes` are retried. A 429
/// that carries `Retry-After` is retried too (after that delay), even where
/// 0.34 gives up on it: the service said when to come back.
pub(crate) async fn check(resp: HttpResponse, retry_codes: &[u16]) -> Result<(), NotifyError> {
    let retry_after_given =
        resp.status() == 429 && resp.headers().contains_key(reqwest::header::RETRY_AFTER);
    if retry_after_given && !retry_codes.contains(&429) {
        let mut codes = retry_codes.to_vec();
        codes.push(429);
        return resp.check(&codes).await;
    }
    resp.check(retry_codes).await
}

/// Renders `texts` with one data object; a template error fails the
/// notification for good.
pub(crate) fn render_all(
    templater: Option<&Arc<dyn Templater>>,
    texts: &[&str],
    ctx: &NotifyContext,
    alerts: &[Arc<Alert>],
) -> Result<Vec<String>, NotifyError> {
    match templater {
        Some(t) => t.execute_all(texts, ctx, alerts),
        None => Err("no template engine configured".to_string()),
    }
    .map_err(|e| NotifyError::permanent(FailureReason::Other, e))
}

/// Whether any alert fires at `ctx.now` (`types.Alerts(...).Status()`).
pub(crate) fn any_firing(ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> bool {
    alerts.iter().any(|a| !a.resolved_at(ctx.now))
}

/// One `msteams_configs` entry, ready to send.
pub struct MsTeams {
    url: UrlSource,
    title: String,
    summary: String,
    text: String,
    client: super::http::HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

/// 0.34's `teamsMessage`, fields in its order.
#[derive(Serialize)]
struct Message {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    summary: String,
    text: String,
    #[serde(rename = "themeColor")]
    theme_color: &'static str,
}

impl MsTeams {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(
        conf: &MsTeamsConfig,
        templater: Option<Arc<dyn Templater>>,
    ) -> Result<Self, String> {
        let client = super::http::HttpClient::new(&conf.http_config.clone().unwrap_or_default())?;
        Ok(MsTeams {
            url: UrlSource::new(conf.webhook_url.as_ref(), &conf.webhook_url_file),
            title: conf.title.clone(),
            summary: conf.summary.clone(),
            text: conf.text.clone(),
            client,
            templater,
        })
    }

    /// The request body, exactly as 0.34 encodes it.
    fn body(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<Vec<u8>, NotifyError> {
        // 0.34 renders title, text, summary in this order.
        let rendered = render_all(
            self.templater.as_ref(),
            &[&self.title, &self.text, &self.summary],
            ctx,
            alerts,
        )?;
        let [title, text, summary]: [String; 3] = rendered
            .try_into()
            .map_err(|_| NotifyError::permanent(FailureReason::Other, "template count"))?;
        let message = Message {
            context: "http://schema.org/extensions",
            kind: "MessageCard",
            title,
            summary,
            text,
            theme_color: if any_firing(ctx, alerts) {
                COLOR_FIRING
            } else {
                COLOR_RESOLVED
            },
        };
        super::json::encode(&message)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))
    }
}

impl Notifier for MsTeams {
    fn kind(&self) -> &'static str {
        "msteams"
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
pub(crate) mod tests;
