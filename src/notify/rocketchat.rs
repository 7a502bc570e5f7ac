//! The Rocket.Chat integration (`rocketchat_configs`): Alertmanager 0.34's
//! `chat.postMessage` call — one attachment (title cut at 1024 runes,
//! title link, text, images, color, fields, buttons), the channel, emoji
//! and avatar, every text templated — POSTed as JSON to
//! `<api_url>/api/v1/chat.postMessage` with the `X-Auth-Token` (`token` or
//! `token_file`) and `X-User-Id` (`token_id` or `token_id_file`) headers.
//!
//! Followed: `notify/rocketchat/rocketchat.go` of Alertmanager v0.34.0. It
//! sends no `alias`, top-level `text`, `parseUrls` or `link_names`, and of
//! an action only its text, URL and message (as a `button`). Rocket.Chat
//! may refuse a message with a 200: the answer's `success` is checked
//! (`false` fails for good, an unreadable answer is retried). Unlike 0.34,
//! which reads them once when the configuration is loaded, token files
//! are read on every request, so rotated tokens are picked up.

use std::sync::Arc;

use serde::Serialize;

use super::http::{HttpClient, HttpResponse};
use super::msteams::{check, render_all};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::http::{Header, Headers};
use crate::config::notifiers::rocketchat::RocketchatConfig;
use crate::config::types::go_quote;

/// Rocket.Chat's limit on an attachment title, in runes.
pub const MAX_TITLE_RUNES: usize = 1024;

/// One `rocketchat_configs` entry, ready to send.
pub struct Rocketchat {
    conf: RocketchatConfig,
    url: String,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

/// 0.34's `PostMessage` with the fields it fills.
#[derive(Serialize, Debug)]
struct PostMessage {
    #[serde(skip_serializing_if = "String::is_empty")]
    channel: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    emoji: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    avatar: String,
    attachments: [Attachment; 1],
}

/// 0.34's `Attachment`.
#[derive(Serialize, Debug, Default)]
struct Attachment {
    #[serde(skip_serializing_if = "String::is_empty")]
    title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    title_link: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    image_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    thumb_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    color: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<Field>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    actions: Vec<Action>,
}

/// `config.RocketchatAttachmentField`: `short` always sent.
#[derive(Serialize, Debug)]
struct Field {
    short: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    value: String,
}

/// `config.RocketchatAttachmentAction` as 0.34 fills it: the two flags
/// (no omitempty) are always `false`.
#[derive(Serialize, Debug)]
struct Action {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    url: String,
    is_webview: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    msg: String,
    msg_in_chat_window: bool,
}

impl Rocketchat {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(
        conf: &RocketchatConfig,
        templater: Option<Arc<dyn Templater>>,
    ) -> Result<Self, String> {
        let mut http = conf.http_config.clone().unwrap_or_default();
        // 0.34 sets both headers on every request (a file wins over the
        // inline value); here they are `http_headers`, so files are read
        // on every request.
        let mut headers = http.http_headers.take().unwrap_or_default();
        for (name, inline, file) in [
            ("X-Auth-Token", &conf.token, &conf.token_file),
            ("X-User-Id", &conf.token_id, &conf.token_id_file),
        ] {
            let header = headers_entry(&mut headers, name);
            if !file.is_empty() {
                header.files.insert(0, file.clone());
            } else {
                header.secrets.insert(0, inline.clone().unwrap_or_default());
            }
        }
        http.http_headers = Some(headers);
        let client = HttpClient::new(&http)?;
        let base = conf
            .api_url
            .as_ref()
            .ok_or("no Rocket.Chat api_url")?
            .url()
            .clone();
        Ok(Rocketchat {
            conf: conf.clone(),
            url: super::http::go_join_path(&base, "api/v1/chat.postMessage"),
            client,
            templater,
        })
    }

    /// The message, rendered in the order 0.34 renders it (so that the
    /// first template error is the one it reports).
    fn build(
        &self,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<PostMessage, NotifyError> {
        let c = &self.conf;
        let mut texts: Vec<&str> = vec![
            &c.title,
            &c.title_link,
            &c.text,
            &c.image_url,
            &c.thumb_url,
            &c.color,
        ];
        for f in &c.fields {
            texts.extend([f.title.as_str(), &f.value]);
        }
        for a in &c.actions {
            texts.extend([a.text.as_str(), &a.url, &a.msg]);
        }
        texts.extend([c.channel.as_str(), &c.emoji, &c.icon_url]);
        let rendered = render_all(self.templater.as_ref(), &texts, ctx, alerts)?;
        let mut it = rendered.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let (title, truncated) = super::text::truncate_in_runes(&next(), MAX_TITLE_RUNES);
        if truncated {
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, max_runes = MAX_TITLE_RUNES, "Truncated title");
        }
        let mut att = Attachment {
            title,
            title_link: next(),
            text: next(),
            image_url: next(),
            thumb_url: next(),
            color: next(),
            ..Attachment::default()
        };
        att.fields = c
            .fields
            .iter()
            .map(|f| Field {
                title: next(),
                value: next(),
                short: f.short.unwrap_or(c.short_fields),
            })
            .collect();
        att.actions = c
            .actions
            .iter()
            .map(|_| Action {
                // Only buttons are supported.
                kind: "button",
                text: next(),
                url: next(),
                is_webview: false,
                msg: next(),
                msg_in_chat_window: false,
            })
            .collect();
        Ok(PostMessage {
            channel: next(),
            emoji: next(),
            avatar: next(),
            attachments: [att],
        })
    }
}

/// The `http_headers` entry for `name` (matched case-insensitively, as Go
/// canonicalises header names).
fn headers_entry<'a>(headers: &'a mut Headers, name: &str) -> &'a mut Header {
    let key = headers
        .0
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_string());
    headers.0.entry(key).or_default()
}

/// A JSON object's member as Go's decoder finds it: the exact name, else
/// one equal under case folding.
pub(crate) fn go_field<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Option<&'a serde_json::Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Go's `json.Unmarshal` error for a value of the wrong JSON type, in the
/// `response` struct's `field` (of Go type `target`) or, without a field,
/// for the whole value.
fn type_error(v: &serde_json::Value, field: Option<&str>, target: &str) -> String {
    let kind = match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    };
    match field {
        Some(f) => format!(
            "json: cannot unmarshal {kind} into Go struct field response.{f} of type {target}"
        ),
        None => format!("json: cannot unmarshal {kind} into Go value of type {target}"),
    }
}

/// Go's syntax error text where it is easy to give (an empty or truncated
/// answer, or one that does not start like JSON — an HTML error page);
/// serde's otherwise.
fn syntax_error(body: &[u8], e: &serde_json::Error) -> String {
    let first = String::from_utf8_lossy(body)
        .chars()
        .find(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'));
    match first {
        None => "unexpected end of JSON input".to_string(),
        Some(c) if !matches!(c, '{' | '[' | '"' | '-' | '0'..='9' | 't' | 'f' | 'n') => {
            let quoted = if c == '\'' {
                "'\\''".to_string()
            } else {
                format!("'{c}'")
            };
            format!("invalid character {quoted} looking for beginning of value")
        }
        Some(_) if e.is_eof() => "unexpected end of JSON input".to_string(),
        Some(_) => e.to_string(),
    }
}

/// 0.34's `checkJSONResponseError`: `Ok(())` for `"success": true`;
/// otherwise whether to retry and why.
fn check_answer(body: &[u8]) -> Result<(), (bool, String)> {
    let unreadable = |why: String| {
        (
            true,
            format!(
                "could not unmarshal JSON response {}: {why}",
                go_quote(&String::from_utf8_lossy(body))
            ),
        )
    };
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| unreadable(syntax_error(body, &e)))?;
    let (success, error) = match &value {
        serde_json::Value::Null => (false, String::new()),
        serde_json::Value::Object(obj) => {
            let success = match go_field(obj, "success") {
                None | Some(serde_json::Value::Null) => false,
                Some(serde_json::Value::Bool(b)) => *b,
                Some(v) => return Err(unreadable(type_error(v, Some("success"), "bool"))),
            };
            let error = match go_field(obj, "error") {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => return Err(unreadable(type_error(v, Some("error"), "string"))),
            };
            (success, error)
        }
        v => return Err(unreadable(type_error(v, None, "rocketchat.response"))),
    };
    if success {
        Ok(())
    } else {
        Err((false, format!("error response from Rocketchat: {error}")))
    }
}

/// Classifies the answer: `Retrier.Check`, then the body of a 2xx.
async fn classify(resp: HttpResponse) -> Result<(), NotifyError> {
    if !(200..300).contains(&resp.status()) {
        return check(resp, &[]).await;
    }
    let body = resp.bytes().await.map_err(|mut e| {
        let why = e.message.trim_start_matches("reading response body: ");
        e.message = format!("could not read response body: {why}");
        e.reason = FailureReason::ClientError;
        e
    })?;
    check_answer(&body).map_err(|(retryable, message)| NotifyError {
        retryable,
        reason: FailureReason::ClientError,
        message,
        retry_after: None,
        status: None,
    })
}

impl Notifier for Rocketchat {
    fn kind(&self) -> &'static str {
        "rocketchat"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(async move {
            let msg = self.build(ctx, alerts)?;
            let body = super::json::encode(&msg)
                .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))?;
            let resp = self
                .client
                .post(&self.url, "application/json", body)
                .await?;
            classify(resp).await.map_err(|mut e| {
                e.message = format!("channel {}: {}", go_quote(&msg.channel), e.message);
                e
            })
        })
    }
}

#[cfg(test)]
mod tests;
