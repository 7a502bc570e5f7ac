//! The Discord integration: Alertmanager 0.34's `discord_configs` webhook
//! message — `content` (cut to 2000 runes), one embed whose `title` (256
//! runes) and `description` (4096 runes) are templated and whose `color`
//! follows the group's status, and the optional `username` and
//! `avatar_url` — POSTed as Go's JSON encoder writes it to `webhook_url`
//! or the URL in `webhook_url_file` (read at notify time).
//!
//! Answers are classified as `Retrier.Check` does: 5xx is retried, any
//! other failure is final, the reason follows the status — except that
//! 429 is retried after its `Retry-After`, as Discord's rate-limit
//! documentation asks (0.34 gives up on it).

use std::sync::Arc;

use serde::Serialize;

use super::http::{HttpClient, UrlSource};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::discord::DiscordConfig;

/// Discord's limit on an embed title, in runes.
pub const MAX_TITLE_RUNES: usize = 256;
/// Discord's limit on an embed description, in runes.
pub const MAX_DESCRIPTION_RUNES: usize = 4096;
/// Discord's limit on a message's content, in runes.
pub const MAX_CONTENT_RUNES: usize = 2000;

/// The embed colors (Alertmanager's).
pub const COLOR_RED: u32 = 0x992D22;
pub const COLOR_GREEN: u32 = 0x2ECC71;

/// One `discord_configs` entry, ready to send.
pub struct Discord {
    conf: DiscordConfig,
    url: UrlSource,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

/// Alertmanager's `webhook`.
#[derive(Serialize)]
struct Webhook {
    content: String,
    embeds: Vec<Embed>,
    #[serde(skip_serializing_if = "String::is_empty")]
    username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    avatar_url: String,
}

/// Alertmanager's `webhookEmbed`.
#[derive(Serialize)]
struct Embed {
    title: String,
    description: String,
    color: u32,
}

impl Discord {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(
        conf: &DiscordConfig,
        templater: Option<Arc<dyn Templater>>,
    ) -> Result<Self, String> {
        let client = HttpClient::new(&conf.http_config.clone().unwrap_or_default())?;
        let url = UrlSource::new(conf.webhook_url.as_ref(), &conf.webhook_url_file);
        Ok(Discord {
            conf: conf.clone(),
            url,
            client,
            templater,
        })
    }

    /// The webhook URL: a file is read (and trimmed) now; failing to read
    /// it is final, as in 0.34.
    fn url(&self) -> Result<String, NotifyError> {
        self.url.get("read webhook_url_file: ")
    }

    /// Renders the message as Alertmanager does.
    fn build(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<Webhook, NotifyError> {
        let c = &self.conf;
        let rendered = match &self.templater {
            Some(t) => t.execute_all(&[&c.title, &c.message, &c.content], ctx, alerts),
            None => Err("no template engine configured".to_string()),
        }
        .map_err(|e| NotifyError::permanent(FailureReason::Other, e))?;
        let mut it = rendered.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let cut = |text: String, max: usize, what: &str| {
            let (text, truncated) = super::text::truncate_in_runes(&text, max);
            if truncated {
                tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, max_runes = max, "Truncated {what}");
            }
            text
        };
        let title = cut(next(), MAX_TITLE_RUNES, "title");
        let description = cut(next(), MAX_DESCRIPTION_RUNES, "message");
        let content = cut(next(), MAX_CONTENT_RUNES, "message");
        let firing = alerts.iter().any(|a| !a.resolved_at(ctx.now));
        let avatar_url = if c.avatar_url.is_empty() || go_url_parses(&c.avatar_url) {
            c.avatar_url.clone()
        } else {
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, "Bad avatar url");
            String::new()
        };
        Ok(Webhook {
            content,
            embeds: vec![Embed {
                title,
                description,
                color: if firing { COLOR_RED } else { COLOR_GREEN },
            }],
            username: c.username.clone(),
            avatar_url,
        })
    }

    async fn run(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<(), NotifyError> {
        let message = self.build(ctx, alerts)?;
        let url = self.url()?;
        let body = super::json::encode(&message)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))?;
        self.client
            .post(&url, "application/json", body)
            .await?
            .check(&[429])
            .await
    }
}

/// Whether Go's `url.Parse` accepts `s`: it refuses ASCII control
/// characters, bad `%` escapes, a missing scheme before `:`, a colon in
/// the first segment of a scheme-less reference, and hosts with
/// characters a host cannot have or a port that is not a number.
pub(crate) fn go_url_parses(s: &str) -> bool {
    let b = s.as_bytes();
    if b.iter().any(|&c| c < 0x20 || c == 0x7f) {
        return false;
    }
    let hex = |i: usize| b.get(i).is_some_and(u8::is_ascii_hexdigit);
    if b.iter()
        .enumerate()
        .any(|(i, &c)| c == b'%' && !(hex(i + 1) && hex(i + 2)))
    {
        return false;
    }
    let rest = s.split('#').next().unwrap_or("");
    // Go's getScheme: letters, then letters, digits or `+-.`, up to `:`.
    let mut scheme_end = None;
    for (i, c) in rest.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return false,
            ':' => {
                scheme_end = Some(i);
                break;
            }
            _ => break,
        }
    }
    let rest = match scheme_end {
        Some(i) => &rest[i + 1..],
        None => {
            let first = rest.split(['/', '?']).next().unwrap_or("");
            if first.contains(':') && !rest.starts_with('/') {
                return false;
            }
            rest
        }
    };
    let Some(authority) = rest.strip_prefix("//") else {
        return true;
    };
    let authority = authority.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let (name, port) = if let Some(inner) = host.strip_prefix('[') {
        match inner.find(']') {
            Some(i) => ("", &inner[i + 1..]),
            None => return false,
        }
    } else {
        match host.rfind(':') {
            Some(i) => (&host[..i], &host[i..]),
            None => (host, ""),
        }
    };
    let port_ok =
        port.is_empty() || (port.starts_with(':') && port[1..].bytes().all(|c| c.is_ascii_digit()));
    if !port_ok {
        return false;
    }
    name.bytes()
        .all(|c| c >= 0x80 || c.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"%".contains(&c))
}

impl Notifier for Discord {
    fn kind(&self) -> &'static str {
        "discord"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(self.run(ctx, alerts))
    }
}

#[cfg(test)]
mod tests;
