//! The Mattermost integration (`mattermost_configs`): Alertmanager 0.34's
//! incoming-webhook message (channel, username, icons, `type`, `props.card`,
//! message `priority`, and one attachment built from the top-level fields or
//! the configured `attachments`, every text templated) POSTed as JSON to
//! `webhook_url` or the URL in `webhook_url_file` (read on every
//! notification).
//!
//! Followed: `notify/mattermost/mattermost.go` of Alertmanager v0.34.0,
//! including its quirks: with the default single attachment the text goes
//! into the attachment and the top-level `text` stays empty; only the
//! top-level `text` is cut at 16383 runes; an unknown priority becomes
//! `standard`, and the acknowledgement and persistent-notification flags
//! are dropped where Mattermost would refuse them.

use std::sync::Arc;

use serde::Serialize;

use super::http::{HttpClient, UrlSource};
use super::msteams::{check, render_all};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::mattermost::{MattermostConfig, MattermostField};
use crate::config::types::go_quote;

/// Mattermost's limit on a message text, in runes.
pub const MAX_TEXT_RUNES: usize = 16383;

/// One `mattermost_configs` entry, ready to send.
pub struct Mattermost {
    conf: MattermostConfig,
    url: UrlSource,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

/// 0.34's `request`, fields in its order.
#[derive(Serialize, Debug, Default)]
struct Request {
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    channel: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    icon_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    icon_emoji: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment>,
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    props: Option<Props>,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<Priority>,
}

#[derive(Serialize, Debug)]
struct Props {
    #[serde(skip_serializing_if = "String::is_empty")]
    card: String,
}

#[derive(Serialize, Debug)]
struct Priority {
    #[serde(skip_serializing_if = "String::is_empty")]
    priority: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    requested_ack: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    persistent_notifications: bool,
}

/// 0.34's `attachment`.
#[derive(Serialize, Debug, Default)]
struct Attachment {
    #[serde(skip_serializing_if = "String::is_empty")]
    fallback: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    color: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pretext: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    author_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    author_link: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    author_icon: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    title_link: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<Field>,
    #[serde(skip_serializing_if = "String::is_empty")]
    thumb_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    footer: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    footer_icon: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    image_url: String,
}

/// 0.34's `MattermostField` (`short` is sent when configured, even false).
#[derive(Serialize, Debug)]
struct Field {
    #[serde(skip_serializing_if = "String::is_empty")]
    title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    short: Option<bool>,
}

impl Mattermost {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(
        conf: &MattermostConfig,
        templater: Option<Arc<dyn Templater>>,
    ) -> Result<Self, String> {
        let client = HttpClient::new(&conf.http_config.clone().unwrap_or_default())?;
        let url = UrlSource::new(conf.webhook_url.as_ref(), &conf.webhook_url_file);
        Ok(Mattermost {
            conf: conf.clone(),
            url,
            client,
            templater,
        })
    }

    /// The URL now: 0.34 fails with the bare `open` error for an unreadable
    /// file and with `webhook url missing` for an empty one, neither retried.
    fn url(&self) -> Result<String, NotifyError> {
        let url = self.url.get("")?;
        if url.is_empty() {
            return Err(NotifyError::permanent(
                FailureReason::Other,
                "webhook url missing",
            ));
        }
        Ok(url)
    }

    /// The message, rendered in the order 0.34 renders it (so that the
    /// first template error is the one it reports) and sanitised.
    fn build(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<Request, NotifyError> {
        let c = &self.conf;
        let mut texts: Vec<&str> = vec![
            &c.text,
            &c.channel,
            &c.username,
            &c.icon_url,
            &c.icon_emoji,
            &c.kind,
        ];
        let priority = c.priority.as_ref().filter(|p| !p.priority.is_empty());
        if let Some(p) = priority {
            texts.push(&p.priority);
        }
        let props = c.props.as_ref().filter(|p| !p.card.is_empty());
        if let Some(p) = props {
            texts.push(&p.card);
        }
        if c.attachments.is_empty() {
            texts.extend([
                c.fallback.as_str(),
                &c.color,
                &c.pretext,
                &c.author_name,
                &c.author_link,
                &c.author_icon,
                &c.title,
                &c.title_link,
                &c.thumb_url,
                &c.footer,
                &c.footer_icon,
                &c.image_url,
            ]);
            for f in &c.fields {
                texts.extend([f.title.as_str(), &f.value]);
            }
        } else {
            for a in &c.attachments {
                texts.extend([
                    a.fallback.as_str(),
                    &a.color,
                    &a.pretext,
                    &a.text,
                    &a.author_name,
                    &a.author_link,
                    &a.author_icon,
                    &a.title,
                    &a.title_link,
                    &a.thumb_url,
                    &a.footer,
                    &a.footer_icon,
                    &a.image_url,
                ]);
                for f in &a.fields {
                    texts.extend([f.title.as_str(), &f.value]);
                }
            }
        }
        let rendered = render_all(self.templater.as_ref(), &texts, ctx, alerts)?;
        let mut it = rendered.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let text = next();
        let mut req = Request {
            channel: next(),
            username: next(),
            icon_url: next(),
            icon_emoji: next(),
            kind: next(),
            ..Request::default()
        };
        if let Some(p) = priority {
            req.priority = Some(Priority {
                priority: next(),
                requested_ack: p.requested_ack,
                persistent_notifications: p.persistent_notifications,
            });
        }
        if props.is_some() {
            req.props = Some(Props { card: next() });
        }
        let fields = |fields: &[MattermostField], next: &mut dyn FnMut() -> String| {
            fields
                .iter()
                .map(|f| Field {
                    title: next(),
                    value: next(),
                    short: f.short,
                })
                .collect::<Vec<_>>()
        };
        if c.attachments.is_empty() {
            let mut att = Attachment {
                text,
                fallback: next(),
                color: next(),
                pretext: next(),
                author_name: next(),
                author_link: next(),
                author_icon: next(),
                title: next(),
                title_link: next(),
                thumb_url: next(),
                footer: next(),
                footer_icon: next(),
                image_url: next(),
                ..Attachment::default()
            };
            att.fields = fields(&c.fields, &mut next);
            req.attachments.push(att);
        } else {
            for a in &c.attachments {
                let mut att = Attachment {
                    fallback: next(),
                    color: next(),
                    pretext: next(),
                    text: next(),
                    author_name: next(),
                    author_link: next(),
                    author_icon: next(),
                    title: next(),
                    title_link: next(),
                    thumb_url: next(),
                    footer: next(),
                    footer_icon: next(),
                    image_url: next(),
                    ..Attachment::default()
                };
                att.fields = fields(&a.fields, &mut next);
                req.attachments.push(att);
            }
            req.text = text;
        }
        sanitize(&mut req, ctx);
        Ok(req)
    }
}

/// 0.34's `sanitizeRequest`: cuts the top-level text and normalises the
/// priority, with its warnings.
fn sanitize(req: &mut Request, ctx: &NotifyContext) {
    let (text, truncated) = super::text::truncate_in_runes(&req.text, MAX_TEXT_RUNES);
    if truncated {
        tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, max_runes = MAX_TEXT_RUNES, "Truncated text");
        req.text = text;
    }
    let Some(p) = &mut req.priority else {
        return;
    };
    let lower = p.priority.to_lowercase();
    match lower.as_str() {
        "urgent" | "important" | "standard" => p.priority = lower,
        _ => {
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, priority = %p.priority, "Priority is set to standard due to invalid value");
            p.priority = "standard".to_string();
        }
    }
    if p.requested_ack && p.priority == "standard" {
        tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, "RequestedAck is set to false due to priority is standard");
        p.requested_ack = false;
    }
    if p.persistent_notifications && p.priority != "urgent" {
        tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, "PersistentNotifications is set to false due to priority is not urgent");
        p.persistent_notifications = false;
    }
}

impl Notifier for Mattermost {
    fn kind(&self) -> &'static str {
        "mattermost"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(async move {
            let url = self.url()?;
            let req = self.build(ctx, alerts)?;
            let body = super::json::encode(&req)
                .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))?;
            let in_channel = |mut e: NotifyError| {
                e.message = format!("channel {}: {}", go_quote(&req.channel), e.message);
                e
            };
            let resp = self.client.post(&url, "application/json", body).await?;
            check(resp, &[]).await.map_err(in_channel)
        })
    }
}

#[cfg(test)]
mod tests;
