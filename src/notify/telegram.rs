//! The Telegram integration: Alertmanager 0.34's `telegram_configs`
//! message, sent the way its Bot API client (telebot v3) sends it — a JSON
//! object of strings, keys sorted, POSTed to
//! `<api_url>/bot<token>/sendMessage` — with the bot token and chat id read
//! from their files at notify time.
//!
//! With `parse_mode: HTML` the message is rendered with html/template
//! escaping and, when longer than Telegram's 4096 runes, replaced by a
//! notice (0.34; other modes cut the text to 4096 runes).
//!
//! telebot judges the answer by its body, not its status: `ok: false` is an
//! error, a body that is not JSON too. 0.34 retries every failure; the
//! failure reason follows the answer's `error_code`, and a flood answer's
//! `parameters.retry_after` delays the next attempt.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::http::{HttpClient, go_open_error};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::telegram::TelegramConfig;

/// Telegram's limit on a message, in runes.
pub const MAX_MESSAGE_RUNES: usize = 4096;

/// What an HTML message too long for Telegram is replaced with (0.34's
/// text, indentation included).
pub const TOO_LONG_HTML: &str = "Alertmanager notification could not be sent: message length exceeds Telegram limits.\n\t\t\tPlease check the template used for producing the message content.";

/// Where the bot token comes from.
#[derive(Clone)]
enum TokenSource {
    Inline(String),
    File(String),
}

/// One `telegram_configs` entry, ready to send.
pub struct Telegram {
    conf: TelegramConfig,
    token: TokenSource,
    api_url: String,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

/// The parts of a Bot API answer telebot looks at.
#[derive(Deserialize, Default)]
struct Answer {
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    error_code: i64,
    #[serde(default)]
    description: String,
    #[serde(default)]
    parameters: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Telegram {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(
        conf: &TelegramConfig,
        templater: Option<Arc<dyn Templater>>,
    ) -> Result<Self, String> {
        let client = HttpClient::new(&conf.http_config.clone().unwrap_or_default())?;
        let token = if conf.bot_token_file.is_empty() {
            TokenSource::Inline(conf.bot_token.expose().to_string())
        } else {
            TokenSource::File(conf.bot_token_file.clone())
        };
        let api_url = conf
            .api_url
            .as_ref()
            .map(|u| u.as_str().to_string())
            .unwrap_or_else(|| "https://api.telegram.org".to_string());
        Ok(Telegram {
            conf: conf.clone(),
            token,
            api_url,
            client,
            templater,
        })
    }

    /// The message text: HTML-escaped and replaced when too long in HTML
    /// mode, cut to [`MAX_MESSAGE_RUNES`] otherwise.
    fn message(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<String, NotifyError> {
        let Some(t) = &self.templater else {
            return Err(NotifyError::permanent(
                FailureReason::Other,
                "no template engine configured",
            ));
        };
        let texts = [self.conf.message.as_str()];
        let html = self.conf.parse_mode == "HTML";
        let rendered = if html {
            t.execute_all_html(&texts, ctx, alerts)
        } else {
            t.execute_all(&texts, ctx, alerts)
        }
        .map_err(|e| NotifyError::permanent(FailureReason::Other, e))?;
        let text = rendered.into_iter().next().unwrap_or_default();
        if html {
            if text.chars().count() > MAX_MESSAGE_RUNES {
                return Ok(TOO_LONG_HTML.to_string());
            }
            return Ok(text);
        }
        let (text, truncated) = super::text::truncate_in_runes(&text, MAX_MESSAGE_RUNES);
        if truncated {
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, max_runes = MAX_MESSAGE_RUNES, "Truncated message");
        }
        Ok(text)
    }

    /// The bot token (a file is read and trimmed now). A failure is
    /// retried, as in 0.34.
    fn token(&self) -> Result<String, NotifyError> {
        match &self.token {
            TokenSource::Inline(t) => Ok(t.clone()),
            TokenSource::File(path) => std::fs::read_to_string(path)
                .map(|s| s.trim().to_string())
                .map_err(|e| {
                    NotifyError::retryable(
                        FailureReason::Other,
                        format!("could not read {path}: {}", go_open_error(path, &e)),
                    )
                }),
        }
    }

    /// The chat id (a file is read and parsed now).
    fn chat_id(&self) -> Result<i64, NotifyError> {
        if self.conf.chat_id_file.is_empty() {
            return Ok(self.conf.chat_id);
        }
        let path = &self.conf.chat_id_file;
        let text = std::fs::read_to_string(path).map_err(|e| {
            NotifyError::retryable(
                FailureReason::Other,
                format!("could not read {path}: {}", go_open_error(path, &e)),
            )
        })?;
        let text = text.trim();
        text.parse::<i64>().map_err(|e| {
            let why = match e.kind() {
                std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                    "value out of range"
                }
                _ => "invalid syntax",
            };
            NotifyError::retryable(
                FailureReason::Other,
                format!(
                    "could not parse chat_id from {path}: strconv.ParseInt: parsing {}: {why}",
                    crate::config::types::go_quote(text)
                ),
            )
        })
    }

    /// The `sendMessage` body: telebot's `map[string]string`, which Go
    /// encodes with sorted keys.
    fn body(&self, chat_id: i64, text: String) -> Result<Vec<u8>, NotifyError> {
        let mut params: BTreeMap<&str, String> = BTreeMap::new();
        params.insert("chat_id", chat_id.to_string());
        params.insert("text", text);
        params.insert("disable_web_page_preview", "true".into());
        if self.conf.disable_notifications {
            params.insert("disable_notification", "true".into());
        }
        if !self.conf.parse_mode.is_empty() {
            params.insert("parse_mode", self.conf.parse_mode.clone());
        }
        if self.conf.message_thread_id != 0 {
            params.insert("message_thread_id", self.conf.message_thread_id.to_string());
        }
        super::json::encode(&params)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))
    }

    async fn run(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<(), NotifyError> {
        let text = self.message(ctx, alerts)?;
        let token = self.token()?;
        let chat_id = self.chat_id()?;
        let body = self.body(chat_id, text)?;
        let url = format!("{}/bot{token}/sendMessage", self.api_url);
        let resp = self
            .client
            .post(&url, "application/json", body)
            .await
            .map_err(|mut e| {
                e.message = format!("telebot: {}", e.message);
                e
            })?;
        let status = resp.status();
        let data = resp.bytes().await.map_err(|mut e| {
            e.message = format!("telebot: {}", e.message);
            e
        })?;
        classify(status, &data)
    }
}

/// telebot's reading of an answer (`extractOk`, then `extractMessage`):
/// `ok: false` fails with the answer's description; a body that is not
/// JSON fails as undecodable. Every failure is retried, as 0.34 does.
fn classify(status: u16, data: &[u8]) -> Result<(), NotifyError> {
    let answer = match serde_json::from_slice::<Answer>(data) {
        Ok(a) => a,
        Err(e) => {
            // Not JSON (or not an object): telebot's message decoding
            // fails.
            let mut err = NotifyError::retryable(
                if (200..300).contains(&status) {
                    FailureReason::Other
                } else {
                    FailureReason::from_status(status)
                },
                format!("telebot: {}", go_json_error(&e)),
            );
            err.status = Some(status);
            return Err(err);
        }
    };
    if answer.ok {
        return Ok(());
    }
    let code = answer.error_code;
    let reason = u16::try_from(code)
        .ok()
        .filter(|c| *c >= 400)
        .or_else(|| Some(status).filter(|s| !(200..300).contains(s)))
        .map_or(FailureReason::Other, FailureReason::from_status);
    let retry_after = if code == 429 {
        answer
            .parameters
            .as_ref()
            .and_then(|p| p.get("retry_after"))
            .and_then(serde_json::Value::as_f64)
            .filter(|s| *s >= 0.0)
            .map(Duration::from_secs_f64)
    } else {
        None
    };
    let mut err =
        NotifyError::retryable(reason, format!("telegram: {} ({code})", answer.description));
    err.retry_after = retry_after;
    err.status = Some(status);
    Err(err)
}

/// A short Go-like description of undecodable JSON.
fn go_json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        "unexpected end of JSON input".to_string()
    } else {
        format!("invalid JSON answer: {e}")
    }
}

impl Notifier for Telegram {
    fn kind(&self) -> &'static str {
        "telegram"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(self.run(ctx, alerts))
    }
}

#[cfg(test)]
mod tests;
