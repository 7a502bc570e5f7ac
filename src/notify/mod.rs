//! Sending notifications: the [`Notifier`] trait every integration
//! implements, the [`NotifyContext`] a notification runs in, failure
//! classification ([`NotifyError`], [`FailureReason`]) and the retry stage
//! ([`retry()`]) that drives an [`Integration`] with Alertmanager's backoff.
//!
//! # Adding an integration
//!
//! An integration is one file, `src/notify/<kind>.rs`, holding a struct built
//! from its config type (`crate::config::notifiers::<Kind>Config`) and an
//! [`http::HttpClient`], and implementing [`Notifier`]:
//!
//! ```ignore
//! pub struct Slack { conf: SlackConfig, client: HttpClient }
//!
//! impl Notifier for Slack {
//!     fn kind(&self) -> &'static str { "slack" }
//!     fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>])
//!         -> NotifyFuture<'a> {
//!         Box::pin(async move {
//!             let body = json::encode(&message)?; // rendered from ctx and alerts
//!             let resp = self.client.post(&url, "application/json", body).await?;
//!             resp.check(&[429]).await // 2xx ok; 5xx and the listed codes retried
//!         })
//!     }
//! }
//! ```
//!
//! The notifier makes one attempt; [`retry()`] repeats it, filters resolved
//! alerts for integrations with `send_resolved: false`, enforces the
//! deadline and cancellation, and records the metrics. Tests use
//! `testing::Sink`, a local HTTP server that records requests and answers
//! with scripted replies, and `testing::alert` for alerts at fixed times.

pub mod build;
pub mod discord;
pub mod email;
pub mod http;
pub mod incidentio;
pub mod jira;
pub mod json;
pub mod mattermost;
pub mod msteams;
pub mod msteamsv2;
pub mod opsgenie;
pub mod pagerduty;
pub mod pipeline;
pub mod pushover;
pub mod receiver_test;
pub mod retry;
pub mod rocketchat;
pub mod slack;
pub mod sns;
pub mod telegram;
#[cfg(test)]
pub(crate) mod testing;
pub mod text;
pub mod tls;
pub mod victorops;
pub mod webex;
pub mod webhook;
pub mod wechat;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::alert::{Alert, LabelSet, Timestamp};
use crate::metrics::notify::IntegrationMetrics;

pub use retry::{Backoff, retry, retry_with_backoff};

/// The `User-Agent` of every notification request, as Alertmanager sends it.
pub const USER_AGENT: &str = concat!("Alertmanager/", env!("CARGO_PKG_VERSION"));

/// The future a [`Notifier`] returns.
pub type NotifyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), NotifyError>> + Send + 'a>>;

/// One integration instance (`webhook_configs[0]` of a receiver): sends the
/// alerts of one aggregation group once. Retrying is the caller's business.
pub trait Notifier: Send + Sync {
    /// The integration name used in metrics, logs and the notification log
    /// (`webhook`, `slack`, …).
    fn kind(&self) -> &'static str;

    /// Makes one attempt to deliver `alerts`. A failure says whether another
    /// attempt may succeed ([`NotifyError::retryable`]).
    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a>;
}

/// Renders template text against the data of one notification. The
/// template engine implements it; integrations use it for templated fields.
pub trait Templater: Send + Sync {
    /// Executes `text` as an anonymous template (Go's `ExecuteTextString`)
    /// with the data built from `ctx` and `alerts`.
    fn execute_text(
        &self,
        text: &str,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<String, String>;

    /// Executes each of `texts` against one data object built once (Go's
    /// `TmplText` closure): the first error is returned.
    fn execute_all(
        &self,
        texts: &[&str],
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<Vec<String>, String> {
        texts
            .iter()
            .map(|t| self.execute_text(t, ctx, alerts))
            .collect()
    }

    /// [`Templater::execute_all`] with html/template escaping (Go's
    /// `ExecuteHTMLString`), for email bodies and HTML messages.
    fn execute_all_html(
        &self,
        texts: &[&str],
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<Vec<String>, String> {
        let _ = (texts, ctx, alerts);
        Err("this template engine has no HTML mode".to_string())
    }
}

/// The sha256 of a group key in lower-case hex (Alertmanager's
/// `Key.Hash`): PagerDuty's dedup key, Opsgenie's alias, VictorOps' entity
/// id, SNS's FIFO ids, Jira's `ALERT{…}` label, the email thread id.
pub fn group_key_hash(key: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// What an integration keeps about a group's notifications in the
/// notification log (Alertmanager 0.34's `NflogStore`): filled from the
/// group's last entry before sending, and recorded with the new entry when
/// the notification succeeds. Slack keeps its message's channel id and
/// timestamp here.
#[derive(Clone, Debug, Default)]
pub struct NflogStore {
    data: Arc<std::sync::Mutex<crate::nflog::ReceiverData>>,
    last_resolved_all: bool,
    has_previous: bool,
}

impl NflogStore {
    /// The store for a group whose last entry is `previous`.
    pub fn from_entry(previous: Option<&crate::nflog::Entry>) -> NflogStore {
        NflogStore {
            data: Arc::new(std::sync::Mutex::new(
                previous
                    .map(|e| e.receiver_data.clone())
                    .unwrap_or_default(),
            )),
            last_resolved_all: previous.is_some_and(|e| e.firing_alerts.is_empty()),
            has_previous: previous.is_some(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, crate::nflog::ReceiverData> {
        self.data
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.lock().get(key).cloned()
    }

    pub fn set(&self, key: &str, value: impl Into<String>) {
        self.lock().insert(key.to_string(), value.into());
    }

    pub fn remove(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Everything stored, for the new log entry.
    pub fn snapshot(&self) -> crate::nflog::ReceiverData {
        self.lock().clone()
    }

    /// Whether the group's last notification told that every alert was
    /// resolved (the incident it was about is over).
    pub fn last_resolved_all(&self) -> bool {
        self.last_resolved_all
    }

    /// Whether the group was notified before through this integration.
    pub fn has_previous(&self) -> bool {
        self.has_previous
    }
}

/// Everything about a notification besides the alerts: which group and
/// receiver it is for, the time it is evaluated at, and its limits.
#[derive(Clone, Debug)]
pub struct NotifyContext {
    /// The receiver name, unescaped (the payload's `receiver` is
    /// `quote_meta` of it).
    pub receiver: String,
    /// The aggregation group key, e.g. `{}:{alertname="A"}`.
    pub group_key: String,
    /// The labels the group is keyed on.
    pub group_labels: LabelSet,
    /// The rendered route `labels` (v0.34); `None` leaves them out of
    /// payloads, as Alertmanager 0.25 does.
    pub route_labels: Option<LabelSet>,
    /// Why the notification is sent (`first notification`, …; v0.32);
    /// `None` leaves it out of payloads, as Alertmanager 0.25 does.
    pub notification_reason: Option<String>,
    /// `--web.external-url`, without a trailing slash.
    pub external_url: String,
    /// The time alerts are classified firing or resolved at.
    pub now: Timestamp,
    /// When the whole notification (all attempts) must end.
    pub deadline: Option<tokio::time::Instant>,
    /// Cancelled when the pipeline is torn down (configuration reload).
    pub cancel: CancelToken,
    /// Where each attempt is recorded, if anywhere.
    pub history: Option<crate::history::History>,
    /// The integration's data in the notification log.
    pub store: NflogStore,
}

impl NotifyContext {
    /// A context for `receiver` and `group_key` at `now`, with no group
    /// labels, no deadline and an empty external URL.
    pub fn new(receiver: impl Into<String>, group_key: impl Into<String>, now: Timestamp) -> Self {
        NotifyContext {
            receiver: receiver.into(),
            group_key: group_key.into(),
            group_labels: LabelSet::empty(),
            route_labels: None,
            notification_reason: None,
            external_url: String::new(),
            now,
            deadline: None,
            cancel: CancelToken::new(),
            history: None,
            store: NflogStore::default(),
        }
    }
}

/// A cancellation signal shared by clones (Go's context cancellation).
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<CancelInner>);

#[derive(Debug, Default)]
struct CancelInner {
    cancelled: AtomicBool,
    notify: tokio::sync::Notify,
}

impl CancelToken {
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Cancels every clone; idempotent.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Completes once the token is cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Why a notification failed, as `alertmanager_notifications_failed_total`
/// labels it (v0.34).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FailureReason {
    #[default]
    Other,
    ClientError,
    ServerError,
    ContextCanceled,
    ContextDeadlineExceeded,
    AuthError,
    RateLimited,
}

impl FailureReason {
    /// Every reason, in Alertmanager's order.
    pub const ALL: [FailureReason; 7] = [
        FailureReason::Other,
        FailureReason::ClientError,
        FailureReason::ServerError,
        FailureReason::ContextCanceled,
        FailureReason::ContextDeadlineExceeded,
        FailureReason::AuthError,
        FailureReason::RateLimited,
    ];

    /// The metric label value.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::Other => "other",
            FailureReason::ClientError => "clientError",
            FailureReason::ServerError => "serverError",
            FailureReason::ContextCanceled => "contextCanceled",
            FailureReason::ContextDeadlineExceeded => "contextDeadlineExceeded",
            FailureReason::AuthError => "authError",
            FailureReason::RateLimited => "rateLimited",
        }
    }

    /// The reason for an unsuccessful HTTP status code.
    pub fn from_status(code: u16) -> FailureReason {
        match code {
            401 | 403 => FailureReason::AuthError,
            429 => FailureReason::RateLimited,
            400..=499 => FailureReason::ClientError,
            500..=599 => FailureReason::ServerError,
            _ => FailureReason::Other,
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed notification attempt (or a failed retry stage).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NotifyError {
    /// Whether another attempt may succeed.
    pub retryable: bool,
    pub reason: FailureReason,
    pub message: String,
    /// The server asked to wait this long before the next attempt
    /// (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// The HTTP status of the answer, when the failure is one.
    pub status: Option<u16>,
}

impl NotifyError {
    /// A failure worth retrying.
    pub fn retryable(reason: FailureReason, message: impl Into<String>) -> Self {
        NotifyError {
            retryable: true,
            reason,
            message: message.into(),
            retry_after: None,
            status: None,
        }
    }

    /// A failure that will not go away by retrying.
    pub fn permanent(reason: FailureReason, message: impl Into<String>) -> Self {
        NotifyError {
            retryable: false,
            reason,
            message: message.into(),
            retry_after: None,
            status: None,
        }
    }
}

/// A notifier with its place in the configuration: the `idx`-th
/// `<kind>_configs` entry of a receiver.
#[derive(Clone)]
pub struct Integration {
    notifier: Arc<dyn Notifier>,
    idx: usize,
    send_resolved: bool,
    metrics: Option<IntegrationMetrics>,
}

impl Integration {
    pub fn new(notifier: Arc<dyn Notifier>, idx: usize, send_resolved: bool) -> Self {
        Integration {
            notifier,
            idx,
            send_resolved,
            metrics: None,
        }
    }

    /// Records attempts and failures in `metrics` (from
    /// [`crate::metrics::notify::NotifyMetrics::integration`]).
    pub fn with_metrics(mut self, metrics: IntegrationMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The integration name (`webhook`, …).
    pub fn name(&self) -> &'static str {
        self.notifier.kind()
    }

    pub fn index(&self) -> usize {
        self.idx
    }

    pub fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    pub fn notifier(&self) -> &Arc<dyn Notifier> {
        &self.notifier
    }

    pub(crate) fn metrics(&self) -> Option<&IntegrationMetrics> {
        self.metrics.as_ref()
    }
}

impl fmt::Display for Integration {
    /// `webhook[0]`, as in Alertmanager's logs and errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.name(), self.idx)
    }
}

impl fmt::Debug for Integration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Integration")
            .field("name", &self.name())
            .field("idx", &self.idx)
            .field("send_resolved", &self.send_resolved)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_reasons_from_status() {
        for (code, want) in [
            (400, "clientError"),
            (401, "authError"),
            (403, "authError"),
            (404, "clientError"),
            (429, "rateLimited"),
            (500, "serverError"),
            (503, "serverError"),
            (302, "other"),
            (100, "other"),
        ] {
            assert_eq!(FailureReason::from_status(code).as_str(), want, "{code}");
        }
        let names: Vec<_> = FailureReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            names,
            [
                "other",
                "clientError",
                "serverError",
                "contextCanceled",
                "contextDeadlineExceeded",
                "authError",
                "rateLimited"
            ]
        );
    }

    #[tokio::test]
    async fn cancel_token_wakes_waiters_and_stays_cancelled() {
        let t = CancelToken::new();
        let t2 = t.clone();
        let waiter = tokio::spawn(async move { t2.cancelled().await });
        tokio::task::yield_now().await;
        assert!(!t.is_cancelled());
        t.cancel();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("waiter woke")
            .unwrap();
        // Already cancelled: returns at once.
        tokio::time::timeout(Duration::from_secs(5), t.cancelled())
            .await
            .unwrap();
    }

    #[test]
    fn user_agent_names_alertmanager() {
        assert!(USER_AGENT.starts_with("Alertmanager/"));
        assert_eq!(
            USER_AGENT,
            format!("Alertmanager/{}", env!("CARGO_PKG_VERSION"))
        );
    }
}
