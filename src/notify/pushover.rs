//! The Pushover integration, as Alertmanager 0.34 sends it: every
//! parameter in the query string of a body-less `POST` (`Content-Type:
//! text/plain`) to `https://api.pushover.net/1/messages.json` — `token` and
//! `user` (templated; from `token_file`/`user_key_file`, read at notify
//! time and, as in 0.34, not trimmed), `title` (250 runes), `message`
//! (1024 runes, trimmed, `(no details)` when empty; HTML-escaped with
//! `html: true`), `url` (512 runes), `url_title`, `priority`, `retry` and
//! `expire` in seconds, `device`, `sound`, `ttl` when set, and the `html`
//! or `monospace` flags.
//!
//! Answers are classified as `Retrier.Check` does: 5xx is retried, any
//! other failure is final (a 429 from Pushover means the monthly quota is
//! used up), the reason follows the status.

use std::sync::Arc;

use super::http::{HttpClient, go_open_error};
use super::wechat::go_query;
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::pushover::PushoverConfig;

/// Pushover's messages endpoint.
pub const API_URL: &str = "https://api.pushover.net/1/messages.json";
/// Pushover's limits, in runes.
pub const MAX_TITLE_RUNES: usize = 250;
pub const MAX_MESSAGE_RUNES: usize = 1024;
pub const MAX_URL_RUNES: usize = 512;

/// One `pushover_configs` entry, ready to send.
pub struct Pushover {
    conf: PushoverConfig,
    api_url: String,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

impl Pushover {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(
        conf: &PushoverConfig,
        templater: Option<Arc<dyn Templater>>,
    ) -> Result<Self, String> {
        let client = HttpClient::new(&conf.http_config.clone().unwrap_or_default())?;
        Ok(Pushover {
            conf: conf.clone(),
            api_url: API_URL.to_string(),
            client,
            templater,
        })
    }

    /// Sends to `url` instead of Pushover (tests).
    #[cfg(test)]
    pub(crate) fn with_api_url(mut self, url: &str) -> Self {
        self.api_url = url.to_string();
        self
    }

    /// An inline secret, or the whole content of its file (0.34 does not
    /// trim it). A file that cannot be read fails for good.
    fn secret(inline: &str, file: &str, what: &str) -> Result<String, NotifyError> {
        if !inline.is_empty() {
            return Ok(inline.to_string());
        }
        std::fs::read(file)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| {
                NotifyError::permanent(
                    FailureReason::Other,
                    format!("read {what}: {}", go_open_error(file, &e)),
                )
            })
    }

    fn render(
        &self,
        texts: &[&str],
        html: bool,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<Vec<String>, String> {
        match &self.templater {
            Some(t) if html => t.execute_all_html(texts, ctx, alerts),
            Some(t) => t.execute_all(texts, ctx, alerts),
            None => Err("no template engine configured".to_string()),
        }
    }

    /// The query parameters, in 0.34's order (the encoding sorts them).
    fn parameters(
        &self,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<Vec<(&'static str, String)>, NotifyError> {
        let c = &self.conf;
        let token = Self::secret(c.token.expose(), &c.token_file, "token_file")?;
        let user = Self::secret(c.user_key.expose(), &c.user_key_file, "user_key_file")?;
        let fail = |e: String| NotifyError::permanent(FailureReason::Other, e);
        // The keys are templates too; an error in one must not quote it.
        let keys = self
            .render(&[&token, &user], false, ctx, alerts)
            .map_err(|_| {
                fail("template error: the Pushover token or user key does not render".into())
            })?;
        let texts = [
            c.title.as_str(),
            &c.url,
            &c.url_title,
            &c.priority,
            &c.device,
            &c.sound,
        ];
        let rendered = self.render(&texts, false, ctx, alerts).map_err(fail)?;
        let message = self
            .render(&[&c.message], c.html, ctx, alerts)
            .map_err(fail)?
            .into_iter()
            .next()
            .unwrap_or_default();
        let mut keys = keys.into_iter();
        let mut it = rendered.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let cut = |text: String, max: usize, what: &str| {
            let (text, truncated) = super::text::truncate_in_runes(&text, max);
            if truncated {
                tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, max_runes = max, "Truncated {what}");
            }
            text
        };

        let mut params = vec![
            ("token", keys.next().unwrap_or_default()),
            ("user", keys.next().unwrap_or_default()),
            ("title", cut(next(), MAX_TITLE_RUNES, "title")),
        ];
        if c.html {
            params.push(("html", "1".into()));
        }
        if c.monospace {
            params.push(("monospace", "1".into()));
        }
        let message = cut(message, MAX_MESSAGE_RUNES, "message");
        let message = message.trim();
        params.push((
            "message",
            if message.is_empty() {
                "(no details)".into()
            } else {
                message.to_string()
            },
        ));
        params.push(("url", cut(next(), MAX_URL_RUNES, "URL")));
        params.push(("url_title", next()));
        params.push(("priority", next()));
        params.push(("retry", c.retry.0.as_secs().to_string()));
        params.push(("expire", c.expire.0.as_secs().to_string()));
        params.push(("device", next()));
        params.push(("sound", next()));
        let ttl = c.ttl.0.as_secs();
        if ttl > 0 {
            params.push(("ttl", ttl.to_string()));
        }
        Ok(params)
    }

    async fn run(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<(), NotifyError> {
        let params = self.parameters(ctx, alerts)?;
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let base = self.api_url.split('?').next().unwrap_or(&self.api_url);
        let url = format!("{base}?{}", go_query(&pairs));
        tracing::debug!(receiver = %ctx.receiver, group_key = %ctx.group_key, "Sending message");
        self.client
            .post(&url, "text/plain", Vec::new())
            .await?
            .check(&[])
            .await
    }
}

impl Notifier for Pushover {
    fn kind(&self) -> &'static str {
        "pushover"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(self.run(ctx, alerts))
    }
}

#[cfg(test)]
mod tests;
