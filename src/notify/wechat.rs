//! The WeChat Work integration, as Alertmanager 0.34 speaks it: an access
//! token fetched from `<api_url>gettoken?corpid=…&corpsecret=…` (both
//! templated, the secret from `api_secret_file` read when a token is
//! needed), cached for two hours and dropped when WeChat answers that it
//! expired (`errcode` 42001), then the message POSTed as JSON to
//! `<api_url>message/send?access_token=…` with `touser`, `toparty`,
//! `totag` and `agentid` templated and the text as `text` or `markdown`.
//!
//! Answers: a status other than 200 is retried (the reason from the
//! status), `errcode` 0 succeeds, 42001 is retried with a new token, -1
//! (WeChat's "system busy, try again") is retried, any other `errcode`
//! fails for good with WeChat's `errmsg`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::http::{HttpClient, SecretSource};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::wechat::WechatConfig;

/// How long an access token is used before a new one is fetched.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 3600);

/// WeChat's `errcode` for an expired access token.
pub const ERR_TOKEN_EXPIRED: i64 = 42001;
/// WeChat's `errcode` for "system busy, try again later".
pub const ERR_BUSY: i64 = -1;

/// One `wechat_configs` entry, ready to send.
pub struct Wechat {
    conf: WechatConfig,
    api_url: url::Url,
    secret: Option<SecretSource>,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
    /// The cached access token and when it was fetched.
    token: Mutex<Option<(String, Instant)>>,
}

/// Alertmanager's `weChatMessage` (Go's `omitempty` keeps the structs).
#[derive(Serialize)]
struct Message {
    text: Content,
    #[serde(rename = "touser", skip_serializing_if = "String::is_empty")]
    to_user: String,
    #[serde(rename = "toparty", skip_serializing_if = "String::is_empty")]
    to_party: String,
    #[serde(rename = "totag", skip_serializing_if = "String::is_empty")]
    to_tag: String,
    #[serde(rename = "agentid", skip_serializing_if = "String::is_empty")]
    agent_id: String,
    safe: &'static str,
    #[serde(rename = "msgtype", skip_serializing_if = "String::is_empty")]
    kind: String,
    markdown: Content,
}

#[derive(Serialize, Default)]
struct Content {
    content: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: String,
}

#[derive(Deserialize)]
struct SendAnswer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

impl Wechat {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(conf: &WechatConfig, templater: Option<Arc<dyn Templater>>) -> Result<Self, String> {
        let client = HttpClient::new(&conf.http_config.clone().unwrap_or_default())?;
        let api_url = match &conf.api_url {
            Some(u) => u.url().clone(),
            None => url::Url::parse("https://qyapi.weixin.qq.com/cgi-bin/").expect("valid URL"),
        };
        let secret = SecretSource::pick(conf.api_secret.expose(), &conf.api_secret_file, "")?;
        Ok(Wechat {
            conf: conf.clone(),
            api_url,
            secret,
            client,
            templater,
            token: Mutex::new(None),
        })
    }

    fn cached_token(&self) -> Option<String> {
        let guard = self
            .token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .as_ref()
            .filter(|(t, at)| !t.is_empty() && at.elapsed() <= TOKEN_LIFETIME)
            .map(|(t, _)| t.clone())
    }

    fn store_token(&self, token: Option<String>) {
        *self
            .token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            token.map(|t| (t, Instant::now()));
    }

    /// `api_url` with `suffix` added to its path.
    fn endpoint(&self, suffix: &str) -> url::Url {
        let mut u = self.api_url.clone();
        let path = format!("{}{suffix}", u.path());
        u.set_path(&path);
        u
    }

    /// Renders `texts` against the notification's data.
    fn render(
        &self,
        texts: &[&str],
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<Vec<String>, NotifyError> {
        match &self.templater {
            Some(t) => t.execute_all(texts, ctx, alerts),
            None => Err("no template engine configured".to_string()),
        }
        .map_err(|e| NotifyError::permanent(FailureReason::Other, format!("templating error: {e}")))
    }

    /// Renders the secret and the corp id (both are templates in 0.34); a
    /// secret that fails to render is not quoted in the error.
    fn render_credentials(
        &self,
        secret: &str,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<(String, String), NotifyError> {
        match self.render(&[secret, &self.conf.corp_id], ctx, alerts) {
            Ok(v) => {
                let mut it = v.into_iter();
                Ok((it.next().unwrap_or_default(), it.next().unwrap_or_default()))
            }
            Err(_) => {
                // Report the corp id's own error if it is the one failing.
                self.render(&[&self.conf.corp_id], ctx, alerts)?;
                Err(NotifyError::permanent(
                    FailureReason::Other,
                    "templating error: the api_secret does not render as a template",
                ))
            }
        }
    }

    /// Fetches a new access token with the rendered corp id and secret.
    async fn fetch_token(&self, corp_id: &str, secret: &str) -> Result<String, NotifyError> {
        let mut u = self.endpoint("gettoken");
        u.set_query(Some(&go_query(&[
            ("corpid", corp_id),
            ("corpsecret", secret),
        ])));
        let resp = self.client.get(u.as_str()).await?;
        let status = resp.status();
        if !(200..300).contains(&status) {
            // 0.34 reads the body whatever the status; an error page is
            // classified by its status instead.
            return Err(resp.check(&[429]).await.unwrap_err());
        }
        let body = resp.bytes().await?;
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| {
            NotifyError::permanent(
                FailureReason::Other,
                format!("decoding the access token answer: {e}"),
            )
        })?;
        if answer.access_token.is_empty() {
            let busy =
                serde_json::from_slice::<SendAnswer>(&body).is_ok_and(|a| a.errcode == ERR_BUSY);
            let message = format!("invalid APISecret for CorpID: {}", self.conf.corp_id);
            return Err(if busy {
                NotifyError::retryable(FailureReason::ServerError, message)
            } else {
                NotifyError::permanent(FailureReason::AuthError, message)
            });
        }
        Ok(answer.access_token)
    }

    async fn run(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let cached = self.cached_token();
        // A token is fetched first, as 0.34 does.
        let token = match cached {
            Some(t) => t,
            None => {
                let secret = match &self.secret {
                    Some(s) => s
                        .fetch()
                        .map_err(|e| NotifyError::permanent(FailureReason::Other, e))?,
                    None => String::new(),
                };
                let (secret, corp_id) = self.render_credentials(&secret, ctx, alerts)?;
                let t = self.fetch_token(&corp_id, &secret).await?;
                self.store_token(Some(t.clone()));
                t
            }
        };
        let rendered = self.render(
            &[&c.to_user, &c.to_party, &c.to_tag, &c.agent_id, &c.message],
            ctx,
            alerts,
        )?;
        let mut it = rendered.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let (to_user, to_party, to_tag, agent_id, text) = (next(), next(), next(), next(), next());

        let markdown = c.message_type == "markdown";
        let content = Content { content: text };
        let (text, md) = if markdown {
            (Content::default(), content)
        } else {
            (content, Content::default())
        };
        let message = Message {
            text,
            to_user,
            to_party,
            to_tag,
            agent_id,
            safe: "0",
            kind: c.message_type.clone(),
            markdown: md,
        };
        let body = super::json::encode(&message)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))?;

        let mut u = self.endpoint("message/send");
        let mut query: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| k != "access_token")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        query.push(("access_token".into(), token));
        let pairs: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        u.set_query(Some(&go_query(&pairs)));

        let resp = self
            .client
            .post(u.as_str(), "application/json", body)
            .await?;
        let status = resp.status();
        if status != 200 {
            let mut e = NotifyError::retryable(
                FailureReason::from_status(status),
                format!("unexpected status code {status}"),
            );
            e.status = Some(status);
            e.retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| super::http::parse_retry_after(v, chrono::Utc::now()));
            return Err(e);
        }
        let body = resp.bytes().await?;
        let answer: SendAnswer = serde_json::from_slice(&body).map_err(|e| {
            NotifyError::retryable(FailureReason::Other, format!("decoding the answer: {e}"))
        })?;
        match answer.errcode {
            0 => Ok(()),
            ERR_TOKEN_EXPIRED => {
                self.store_token(None);
                Err(NotifyError::retryable(FailureReason::Other, answer.errmsg))
            }
            ERR_BUSY => Err(NotifyError::retryable(
                FailureReason::ServerError,
                answer.errmsg,
            )),
            _ => Err(NotifyError::permanent(FailureReason::Other, answer.errmsg)),
        }
    }
}

/// Go's `url.Values.Encode`: pairs sorted by key (stable), each part
/// escaped with `url.QueryEscape`.
pub(crate) fn go_query(pairs: &[(&str, &str)]) -> String {
    let mut sorted: Vec<&(&str, &str)> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", go_query_escape(k), go_query_escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Go's `url.QueryEscape`: letters, digits and `-_.~` stay, a space
/// becomes `+`, every other byte `%XX`.
pub(crate) fn go_query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Notifier for Wechat {
    fn kind(&self) -> &'static str {
        "wechat"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(self.run(ctx, alerts))
    }
}

#[cfg(test)]
mod tests;
