//! The Slack integration: Alertmanager 0.34's `slack_configs` message (one
//! legacy attachment, every field templated, the exact JSON) sent to an
//! incoming webhook (`api_url`/`api_url_file`) or to the Web API with a bot
//! token (`app_token`/`app_token_file` + `app_url`, or `api_url` +
//! `http_config` authorization).
//!
//! In Web API mode the answer's channel id and `ts` are kept in the
//! notification log (persisted and gossiped), so that `update_message`
//! edits the group's message with `chat.update` — also after a restart or
//! from another peer. Every other Web API method's URL is derived from the
//! configured one (`…/api/chat.postMessage` → `…/api/chat.update`).
//!
//! With `--graph.prometheus-url`, a chart of what fired ([`crate::graph`])
//! is drawn while the message is prepared: in Web API mode it is uploaded
//! into the message's thread (`files.getUploadURLExternal`, the upload,
//! `files.completeUploadExternal`), the resolve updates the message and
//! adds the chart of the whole incident; with `--graph.public-url` the
//! attachment carries it as `image_url` (incoming webhooks too). A chart
//! that cannot be drawn or delivered never holds the message back beyond
//! the graph budget: the message goes out and says why in its footer.
//!
//! Answers are classified as Slack documents them: `ok:false` with
//! `ratelimited` is retried, auth and channel errors are permanent, 429 is
//! retried after `Retry-After`, and messages to one channel are paced to
//! about one a second.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::http::{HttpClient, UrlSource};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::slack::{SlackAction, SlackConfig, SlackConfirmationField};
use crate::config::types::format_go_duration;
use crate::graph::{Chart, GraphError, Grapher};

/// Slack's limit on an attachment title, in runes.
pub const MAX_TITLE_RUNES: usize = 1024;
/// The least time between two messages to one channel.
pub const CHANNEL_GAP: Duration = Duration::from_secs(1);

/// The notification-log keys of the group's message (Alertmanager 0.34's).
pub const TS_KEY: &str = "threadTs";
pub const CHANNEL_KEY: &str = "channelId";

/// One `slack_configs` entry, ready to send.
pub struct Slack {
    conf: SlackConfig,
    url: UrlSource,
    /// A bot token is sent (`app_token`, or `http_config` authorization):
    /// the Web API is spoken whatever the URL.
    bearer: bool,
    client: HttpClient,
    /// The same client without credentials, for Slack's pre-signed upload
    /// URL (the bot token goes only to the Web API).
    upload_client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
    graphs: Option<Arc<Grapher>>,
}

/// The request body (Alertmanager's `request`).
#[derive(Serialize, Clone, Debug)]
struct Request {
    #[serde(skip_serializing_if = "String::is_empty")]
    channel: String,
    #[serde(rename = "ts", skip_serializing_if = "String::is_empty")]
    timestamp: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    icon_emoji: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    icon_url: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    link_names: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
    attachments: Vec<Attachment>,
}

/// Alertmanager's `attachment`.
#[derive(Serialize, Clone, Debug)]
struct Attachment {
    #[serde(skip_serializing_if = "String::is_empty")]
    title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    title_link: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pretext: String,
    text: String,
    fallback: String,
    callback_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<Field>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    actions: Vec<Action>,
    #[serde(skip_serializing_if = "String::is_empty")]
    image_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    thumb_url: String,
    footer: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    color: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mrkdwn_in: Vec<String>,
}

#[derive(Serialize, Clone, Debug)]
struct Field {
    #[serde(skip_serializing_if = "String::is_empty")]
    title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    value: String,
    short: bool,
}

#[derive(Serialize, Clone, Debug)]
struct Action {
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    style: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirm: Option<Confirm>,
}

#[derive(Serialize, Clone, Debug)]
struct Confirm {
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    ok_text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    dismiss_text: String,
}

/// A Web API answer.
#[derive(Deserialize, Debug, Default)]
struct ApiAnswer {
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    error: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    ts: String,
    #[serde(default)]
    needed: String,
    #[serde(default)]
    upload_url: String,
    #[serde(default)]
    file_id: String,
}

/// Errors of `chat.update` after which a new message is posted instead.
const GONE: [&str; 3] = [
    "message_not_found",
    "cant_update_message",
    "edit_window_closed",
];

impl Slack {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(
        conf: &SlackConfig,
        templater: Option<Arc<dyn Templater>>,
        graphs: Option<Arc<Grapher>>,
    ) -> Result<Self, String> {
        let http = conf.http_config.clone().unwrap_or_default();
        let client = HttpClient::new(&http)?;
        let upload_client = HttpClient::new(&crate::config::http::HttpClientConfig {
            basic_auth: None,
            authorization: None,
            oauth2: None,
            bearer_token: Default::default(),
            bearer_token_file: String::new(),
            ..http.clone()
        })?;
        let url = UrlSource::new(conf.api_url.as_ref(), &conf.api_url_file);
        Ok(Slack {
            conf: conf.clone(),
            url,
            bearer: http.authorization.is_some(),
            client,
            upload_client,
            templater,
            graphs,
        })
    }

    fn url(&self) -> Result<String, NotifyError> {
        self.url.get("")
    }

    /// Whether `url` is spoken to as the Web API (a bot token, or a
    /// `chat.postMessage` URL) rather than as an incoming webhook.
    fn web_api(&self, url: &str) -> bool {
        self.bearer
            || url
                .split('?')
                .next()
                .unwrap_or("")
                .ends_with("/chat.postMessage")
    }

    /// Renders the message as Alertmanager does.
    fn build(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<Request, NotifyError> {
        let c = &self.conf;
        let mut texts: Vec<&str> = vec![
            &c.title,
            &c.title_link,
            &c.pretext,
            &c.text,
            &c.fallback,
            &c.callback_id,
            &c.image_url,
            &c.thumb_url,
            &c.footer,
            &c.color,
            &c.channel,
            &c.username,
            &c.icon_emoji,
            &c.icon_url,
            &c.message_text,
        ];
        for f in &c.fields {
            texts.push(&f.title);
            texts.push(&f.value);
        }
        for a in &c.actions {
            texts.extend([
                a.kind.as_str(),
                &a.text,
                &a.url,
                &a.style,
                &a.name,
                &a.value,
            ]);
            if let Some(cf) = &a.confirm {
                texts.extend([cf.title.as_str(), &cf.text, &cf.ok_text, &cf.dismiss_text]);
            }
        }
        let rendered = match &self.templater {
            Some(t) => t.execute_all(&texts, ctx, alerts),
            None => Err("no template engine configured".to_string()),
        }
        .map_err(|e| NotifyError::permanent(FailureReason::Other, e))?;
        let mut it = rendered.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let (title, truncated) = super::text::truncate_in_runes(&next(), MAX_TITLE_RUNES);
        if truncated {
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, max_runes = MAX_TITLE_RUNES, "Truncated title");
        }
        let mut att = Attachment {
            title,
            title_link: next(),
            pretext: next(),
            text: next(),
            fallback: next(),
            callback_id: next(),
            image_url: next(),
            thumb_url: next(),
            footer: next(),
            color: next(),
            mrkdwn_in: if c.mrkdwn_in.is_empty() {
                vec!["fallback".into(), "pretext".into(), "text".into()]
            } else {
                c.mrkdwn_in.clone()
            },
            fields: Vec::new(),
            actions: Vec::new(),
        };
        let mut req = Request {
            channel: next(),
            timestamp: String::new(),
            username: next(),
            icon_emoji: next(),
            icon_url: next(),
            link_names: c.link_names,
            text: next(),
            attachments: Vec::new(),
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
            .map(|a: &SlackAction| Action {
                kind: next(),
                text: next(),
                url: next(),
                style: next(),
                name: next(),
                value: next(),
                confirm: a
                    .confirm
                    .as_ref()
                    .map(|_: &SlackConfirmationField| Confirm {
                        title: next(),
                        text: next(),
                        ok_text: next(),
                        dismiss_text: next(),
                    }),
            })
            .collect();
        req.attachments.push(att);
        Ok(req)
    }

    /// One request to Slack with the configured `timeout`.
    async fn send(
        &self,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<super::http::HttpResponse, NotifyError> {
        let send = self.client.post(url, content_type, body);
        match Some(self.conf.timeout.0).filter(|t| !t.is_zero()) {
            None => send.await,
            Some(limit) => tokio::time::timeout(limit, send).await.unwrap_or_else(|_| {
                Err(NotifyError::retryable(
                    FailureReason::ContextDeadlineExceeded,
                    format!(
                        "Post \"<redacted>\": context deadline exceeded: configured slack timeout reached ({})",
                        format_go_duration(limit)
                    ),
                ))
            }),
        }
    }

    /// Posts `req` as JSON and classifies the answer; in Web API mode the
    /// answer's channel id and ts are returned.
    async fn post_message(
        &self,
        url: &str,
        req: &Request,
        web_api: bool,
    ) -> Result<ApiAnswer, NotifyError> {
        let body = super::json::encode(req)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))?;
        if web_api {
            pace(&pace_key(url, &req.channel)).await;
        }
        let resp = self.send(url, "application/json", body).await?;
        let channel = req.channel.clone();
        let in_channel = |mut e: NotifyError| {
            e.message = format!("channel {channel:?}: {}", e.message);
            e
        };
        let is_json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let status = resp.status();
        if !(200..300).contains(&status) {
            return Err(in_channel(resp.check(&[429]).await.unwrap_err()));
        }
        let body = resp.bytes().await.map_err(&in_channel)?;
        if !is_json {
            // An incoming webhook answers `ok` in plain text.
            return if body == b"ok" {
                Ok(ApiAnswer {
                    ok: true,
                    ..ApiAnswer::default()
                })
            } else {
                Err(in_channel(NotifyError::permanent(
                    FailureReason::ClientError,
                    format!(
                        "received an error response from Slack: {}",
                        String::from_utf8_lossy(&body)
                    ),
                )))
            };
        }
        let answer: ApiAnswer = serde_json::from_slice(&body).map_err(|e| {
            in_channel(NotifyError::retryable(
                FailureReason::Other,
                format!(
                    "could not unmarshal JSON response {:?}: {e}",
                    String::from_utf8_lossy(&body)
                ),
            ))
        })?;
        if !answer.ok {
            return Err(in_channel(api_error(&answer)));
        }
        Ok(answer)
    }

    /// Uploads the chart into the thread of the message `ts` in `channel`.
    async fn upload(
        &self,
        url: &str,
        chart: &Chart,
        channel: &str,
        ts: &str,
    ) -> Result<(), String> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("filename", &chart.filename)
            .append_pair("length", &chart.png.len().to_string())
            .append_pair(
                "alt_txt",
                &super::text::truncate_in_runes(&chart.title, 1000).0,
            )
            .finish();
        let answer = self
            .api_call(
                &method_url(url, "files.getUploadURLExternal"),
                "application/x-www-form-urlencoded",
                form.into_bytes(),
            )
            .await?;
        if answer.upload_url.is_empty() || answer.file_id.is_empty() {
            return Err("files.getUploadURLExternal answered without upload_url or file_id".into());
        }
        let resp = self
            .upload_client
            .post(&answer.upload_url, "image/png", chart.png.to_vec())
            .await
            .map_err(|e| format!("uploading the chart: {}", e.message))?;
        if resp.status() != 200 {
            return Err(format!("uploading the chart: status {}", resp.status()));
        }
        drop(resp);
        let complete = serde_json::json!({
            "files": [{"id": answer.file_id, "title": chart.title}],
            "channel_id": channel,
            "thread_ts": ts,
        });
        self.api_call(
            &method_url(url, "files.completeUploadExternal"),
            "application/json; charset=utf-8",
            serde_json::to_vec(&complete).unwrap_or_default(),
        )
        .await?;
        Ok(())
    }

    /// A Web API call whose failure is a one-line reason.
    async fn api_call(
        &self,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<ApiAnswer, String> {
        let method = url.rsplit('/').next().unwrap_or(url).to_string();
        let resp = self
            .send(url, content_type, body)
            .await
            .map_err(|e| format!("{method}: {}", e.message))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| format!("{method}: {}", e.message))?;
        if status != 200 {
            return Err(format!("{method}: status {status}"));
        }
        let answer: ApiAnswer = serde_json::from_slice(&body)
            .map_err(|_| format!("{method}: an answer that is not JSON"))?;
        if !answer.ok {
            return Err(format!("{method}: {}", describe(&answer)));
        }
        Ok(answer)
    }

    async fn run(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<(), NotifyError> {
        let url = self.url()?;
        let web_api = self.web_api(&url);
        // The chart is drawn while the message is rendered; drawing has
        // its own budget and never fails the notification.
        let graphs = self
            .graphs
            .as_ref()
            .filter(|g| web_api || g.has_public_url());
        let chart_fut = async {
            match graphs {
                Some(g) => Some(g.chart(alerts, ctx.now).await),
                None => None,
            }
        };
        let build = async { self.build(ctx, alerts) };
        let (chart, req) = tokio::join!(chart_fut, build);
        let mut req = req?;
        let mut note = None;
        match &chart {
            Some(Ok(c)) => {
                let att = &mut req.attachments[0];
                if let Some(link) = &c.link
                    && att.image_url.is_empty()
                {
                    att.image_url = link.clone();
                }
                if let Some(explorer) = &c.explorer {
                    add_footer(att, &format!("<{explorer}|Open the query>"));
                }
            }
            Some(Err(e)) => {
                tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, reason = e.reason(), err = %e, "No chart for the Slack message");
                note = Some(graph_note(e));
            }
            None => {}
        }
        if let Some(n) = &note {
            add_footer(&mut req.attachments[0], n);
        }

        if !web_api {
            self.post_message(&url, &req, false).await?;
            return Ok(());
        }

        // Web API: post, or update the group's message.
        let all_resolved = alerts.iter().all(|a| a.resolved_at(ctx.now));
        let stored = match (ctx.store.get(TS_KEY), ctx.store.get(CHANNEL_KEY)) {
            (Some(ts), Some(ch)) if !ts.is_empty() && !ch.is_empty() => Some((ch, ts)),
            _ => None,
        };
        let same_incident = !ctx.store.last_resolved_all();
        let update = stored.filter(|_| {
            same_incident && (self.conf.update_message || (graphs.is_some() && all_resolved))
        });
        let answer = match update {
            Some((channel, ts)) => {
                let mut upd = req.clone();
                upd.channel = channel.clone();
                upd.timestamp = ts.clone();
                match self
                    .post_message(&method_url(&url, "chat.update"), &upd, true)
                    .await
                {
                    Ok(a) => ApiAnswer {
                        channel: if a.channel.is_empty() {
                            channel
                        } else {
                            a.channel
                        },
                        ts: if a.ts.is_empty() { ts } else { a.ts },
                        ..a
                    },
                    Err(e)
                        if GONE.iter().any(|g| {
                            e.message
                                .ends_with(&format!("error response from Slack: {g}"))
                        }) =>
                    {
                        tracing::info!(receiver = %ctx.receiver, group_key = %ctx.group_key, err = %e.message, "The Slack message to update is gone; posting a new one");
                        self.post_message(&url, &req, true).await?
                    }
                    Err(e) => return Err(e),
                }
            }
            None => self.post_message(&url, &req, true).await?,
        };
        if answer.ts.is_empty() || answer.channel.is_empty() {
            return Ok(());
        }
        ctx.store.set(TS_KEY, answer.ts.clone());
        ctx.store.set(CHANNEL_KEY, answer.channel.clone());
        if let (Some(Ok(c)), Some(g)) = (&chart, graphs)
            && let Err(e) = self.upload(&url, c, &answer.channel, &answer.ts).await
        {
            g.delivery_failed();
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, err = %e, "The chart could not be added to the Slack message");
            // Say so in the message itself.
            let mut upd = req.clone();
            upd.channel = answer.channel.clone();
            upd.timestamp = answer.ts.clone();
            add_footer(&mut upd.attachments[0], &format!("chart not attached: {e}"));
            if let Err(e2) = self
                .post_message(&method_url(&url, "chat.update"), &upd, true)
                .await
            {
                tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, err = %e2.message, "The Slack message could not be told that the chart is missing");
            }
        }
        Ok(())
    }
}

impl Notifier for Slack {
    fn kind(&self) -> &'static str {
        "slack"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(self.run(ctx, alerts))
    }
}

/// The URL of Web API `method` next to the configured endpoint:
/// `https://slack.com/api/chat.postMessage` → `https://slack.com/api/chat.update`.
pub fn method_url(configured: &str, method: &str) -> String {
    let base = configured.split(['?', '#']).next().unwrap_or(configured);
    let path_start = base.find("://").map_or(0, |i| i + 3);
    match base[path_start..].rfind('/') {
        Some(i) => format!("{}{method}", &base[..path_start + i + 1]),
        None => format!("{base}/{method}"),
    }
}

/// The classification of an `ok:false` answer.
fn api_error(answer: &ApiAnswer) -> NotifyError {
    let message = format!("error response from Slack: {}", describe(answer));
    match answer.error.as_str() {
        "ratelimited" | "rate_limited" => {
            NotifyError::retryable(FailureReason::RateLimited, message)
        }
        "invalid_auth"
        | "not_authed"
        | "token_revoked"
        | "token_expired"
        | "account_inactive"
        | "missing_scope"
        | "no_permission"
        | "not_allowed_token_type"
        | "ekm_access_denied" => NotifyError::permanent(FailureReason::AuthError, message),
        "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
            NotifyError::retryable(FailureReason::ServerError, message)
        }
        _ => NotifyError::permanent(FailureReason::ClientError, message),
    }
}

fn describe(answer: &ApiAnswer) -> String {
    if answer.error == "missing_scope" && !answer.needed.is_empty() {
        format!("missing_scope (needed: {})", answer.needed)
    } else if answer.error.is_empty() {
        "ok: false".to_string()
    } else {
        answer.error.clone()
    }
}

fn add_footer(att: &mut Attachment, line: &str) {
    if att.footer.is_empty() {
        att.footer = line.to_string();
    } else {
        att.footer = format!("{} · {line}", att.footer);
    }
}

/// The footer line of a message without its chart.
fn graph_note(e: &GraphError) -> String {
    let (text, _) = super::text::truncate_in_runes(&format!("no chart: {e}"), 300);
    text.replace('\n', " ")
}

fn pace_key(url: &str, channel: &str) -> String {
    format!("{}#{channel}", method_url(url, ""))
}

/// When each channel may next be posted to.
static NEXT_SLOT: LazyLock<Mutex<HashMap<String, tokio::time::Instant>>> =
    LazyLock::new(Default::default);

/// Waits for the channel's next slot: messages to one channel go out at
/// most one per [`CHANNEL_GAP`] (Slack's posting limit), whichever
/// integration or group sends them.
async fn pace(key: &str) {
    let now = tokio::time::Instant::now();
    let slot = {
        let mut slots = NEXT_SLOT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slots.len() > 4096 {
            slots.retain(|_, at| *at > now);
        }
        let at = slots.get(key).copied().unwrap_or(now).max(now);
        slots.insert(key.to_string(), at + CHANNEL_GAP);
        at
    };
    tokio::time::sleep_until(slot).await;
}

#[cfg(test)]
mod tests;
