//! The notification pipeline run at every flush of an aggregation group, in
//! Alertmanager's order: inhibition, active and mute time intervals,
//! silences, then for each integration of the receiver (in parallel) the
//! cluster wait (peer position × peer timeout; zero until peers gossip),
//! the dedup check against the notification log, sending with retries, and
//! recording what was sent.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::alert::Alert;
use crate::config::Config;
use crate::dispatch::{Flush, FlushHandler};
use crate::inhibit::Inhibitor;
use crate::metrics::notify::NotifyMetrics;
use crate::nflog::{self, NotificationLog};
use crate::silence::Silences;
use crate::template::{AmTemplates, Data};
use crate::timeinterval::{TimeInterval, contains_any};

use super::{CancelToken, Integration, NotifyContext, Templater, retry};

/// Renders templated integration fields with Alertmanager's template data.
pub struct AmTemplater {
    templates: Arc<AmTemplates>,
    external_url: String,
}

impl AmTemplater {
    /// Renders with `templates`; `external_url` without a trailing slash.
    pub fn new(templates: Arc<AmTemplates>, external_url: String) -> AmTemplater {
        AmTemplater {
            templates,
            external_url,
        }
    }
}

impl Templater for AmTemplater {
    fn execute_text(
        &self,
        text: &str,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<String, String> {
        let owned: Vec<Alert> = alerts.iter().map(|a| (**a).clone()).collect();
        let route_labels = ctx.route_labels.clone().unwrap_or_default();
        let data = Data::new(
            &ctx.receiver,
            &ctx.group_labels,
            &route_labels,
            ctx.notification_reason.as_deref().unwrap_or(""),
            &owned,
            &self.external_url,
            ctx.now,
        );
        self.templates
            .execute_text(text, &data)
            .map_err(|e| e.to_string())
    }

    fn execute_all(
        &self,
        texts: &[&str],
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<Vec<String>, String> {
        self.run_all(texts, ctx, alerts, false)
    }

    fn execute_all_html(
        &self,
        texts: &[&str],
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<Vec<String>, String> {
        self.run_all(texts, ctx, alerts, true)
    }
}

impl AmTemplater {
    /// Executes `texts` against one data object built for the notification.
    fn run_all(
        &self,
        texts: &[&str],
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
        html: bool,
    ) -> Result<Vec<String>, String> {
        let owned: Vec<Alert> = alerts.iter().map(|a| (**a).clone()).collect();
        let route_labels = ctx.route_labels.clone().unwrap_or_default();
        let data = Data::new(
            &ctx.receiver,
            &ctx.group_labels,
            &route_labels,
            ctx.notification_reason.as_deref().unwrap_or(""),
            &owned,
            &self.external_url,
            ctx.now,
        );
        texts
            .iter()
            .map(|t| {
                if html {
                    self.templates.execute_html(t, &data)
                } else {
                    self.templates.execute_text(t, &data)
                }
                .map_err(|e| e.to_string())
            })
            .collect()
    }
}

/// This peer's wait before sending (see [`PipelineDeps::peer_wait`]).
pub type PeerWait = Arc<dyn Fn() -> Duration + Send + Sync>;

/// No wait: a single instance.
pub fn no_peer_wait() -> PeerWait {
    Arc::new(|| Duration::ZERO)
}

/// What the pipeline shares with the rest of the process.
#[derive(Clone)]
pub struct PipelineDeps {
    pub silences: Arc<Silences>,
    pub nflog: Arc<NotificationLog>,
    pub metrics: NotifyMetrics,
    /// `--web.external-url` without a trailing slash.
    pub external_url: String,
    /// How long this peer waits before sending (its position in the
    /// cluster × `--cluster.peer-timeout`), so that the first peer sends and
    /// the others find its notification log entry. Read at every flush, as
    /// membership changes; zero without a cluster.
    pub peer_wait: PeerWait,
    /// Where muting and attempts are recorded (none without a database).
    pub history: Option<crate::history::History>,
    /// Charts for Slack messages (`--graph.prometheus-url`).
    pub graphs: Option<Arc<crate::graph::Grapher>>,
}

/// The pipeline of one configuration.
pub struct Pipeline {
    receivers: HashMap<String, Vec<Integration>>,
    /// Integrations of each receiver that Tocsin cannot send to yet.
    unsupported: HashMap<String, Vec<String>>,
    inhibitor: Arc<Inhibitor>,
    intervals: HashMap<String, Vec<TimeInterval>>,
    deps: PipelineDeps,
    cancel: CancelToken,
}

impl Pipeline {
    /// Builds the integrations of every receiver of `config`.
    pub fn new(
        config: &Config,
        inhibitor: Arc<Inhibitor>,
        deps: PipelineDeps,
    ) -> Result<Pipeline, String> {
        let templater: Arc<dyn Templater> = Arc::new(AmTemplater {
            templates: config.templates(),
            external_url: deps.external_url.clone(),
        });
        deps.metrics.begin_config();
        let build = super::build::BuildDeps {
            templater,
            metrics: deps.metrics.clone(),
            graphs: deps.graphs.clone(),
        };
        let mut receivers = HashMap::new();
        let mut unsupported: HashMap<String, Vec<String>> = HashMap::new();
        for r in &config.receivers {
            let (integrations, missing) = super::build::build_receiver_integrations(r, &build)?;
            if !missing.is_empty() {
                tracing::warn!(
                    receiver = %r.name,
                    integrations = %missing.join(","),
                    "Integration not yet available in this version of Tocsin: notifications to it fail"
                );
                unsupported.insert(r.name.clone(), missing);
            }
            receivers.insert(r.name.clone(), integrations);
        }
        let intervals = config
            .named_time_intervals()
            .map(|n| (n.name.clone(), n.time_intervals.clone()))
            .collect();
        Ok(Pipeline {
            receivers,
            unsupported,
            inhibitor,
            intervals,
            deps,
            cancel: CancelToken::new(),
        })
    }

    /// `--web.external-url`, without a trailing slash.
    pub fn external_url(&self) -> &str {
        &self.deps.external_url
    }

    /// The receivers' names, sorted.
    pub fn receiver_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.receivers.keys().cloned().collect();
        names.sort();
        names
    }

    /// The integrations of receiver `name` and the kinds it uses that
    /// cannot send yet; `None` for an unknown receiver.
    pub fn receiver(&self, name: &str) -> Option<(&[Integration], &[String])> {
        let integrations = self.receivers.get(name)?;
        let missing = self.unsupported.get(name).map_or(&[][..], Vec::as_slice);
        Some((integrations, missing))
    }

    /// Cancels notifications in flight (the pipeline is being replaced).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    fn in_any(&self, names: &[String], now: crate::alert::Timestamp) -> bool {
        self.first_in(names, now).is_some()
    }

    /// The first of `names` whose time intervals contain `now`.
    fn first_in<'a>(&self, names: &'a [String], now: crate::alert::Timestamp) -> Option<&'a str> {
        names
            .iter()
            .find(|n| {
                self.intervals
                    .get(n.as_str())
                    .is_some_and(|ti| contains_any(ti, now))
            })
            .map(String::as_str)
    }

    /// Tells the history what mutes each firing alert of the flush: its
    /// silences and inhibiting alert, and the route's time interval.
    fn observe_muting(
        history: &crate::history::History,
        flush: &Flush,
        inhibited: &[Option<crate::alert::Fingerprint>],
        silenced: &[Vec<String>],
        time_interval: Option<String>,
    ) {
        let now = flush.now;
        let observations = flush
            .alerts
            .iter()
            .zip(inhibited.iter().zip(silenced))
            .filter(|(a, _)| !a.resolved_at(now))
            .map(|(a, (by, ids))| crate::history::MuteObservation {
                at: now,
                alert: a.clone(),
                receiver: flush.route.opts.receiver.clone(),
                group_key: flush.group_key.clone(),
                silenced_by: ids.clone(),
                inhibited_by: by.map(|f| f.0),
                time_interval: time_interval.clone(),
            })
            .collect();
        history.record_muting(observations);
    }

    /// Runs the stages for one flush; true when every integration succeeded
    /// (or nothing had to be sent).
    pub async fn exec(&self, flush: Flush) -> bool {
        let now = flush.now;
        let opts = &flush.route.opts;
        let receiver = opts.receiver.as_str();

        let inhibited: Vec<_> = flush
            .alerts
            .iter()
            .map(|a| self.inhibitor.mutes(a, now))
            .collect();
        let inactive = !opts.active_time_intervals.is_empty()
            && !self.in_any(&opts.active_time_intervals, now);
        let muted_by = self.first_in(&opts.mute_time_intervals, now);
        // With a history, every alert's silences are looked up once here,
        // for the history and for the silence stage below.
        let silenced: Option<Vec<Vec<String>>> = self.deps.history.as_ref().map(|_| {
            flush
                .alerts
                .iter()
                .map(|a| self.deps.silences.mutes(&a.labels, now).active)
                .collect()
        });
        if let (Some(h), Some(silenced)) = (&self.deps.history, &silenced) {
            let interval = match muted_by {
                Some(name) => Some(name.to_string()),
                None if inactive => Some(opts.active_time_intervals.join(",")),
                None => None,
            };
            Self::observe_muting(h, &flush, &inhibited, silenced, interval);
        }
        let before = flush.alerts.len();
        // Each alert with its position in the flush.
        let mut alerts: Vec<(usize, Arc<Alert>)> = flush
            .alerts
            .into_iter()
            .enumerate()
            .filter(|(i, _)| inhibited[*i].is_none())
            .collect();
        self.count_suppressed("inhibition", before - alerts.len());
        if alerts.is_empty() {
            return true;
        }
        if inactive {
            self.count_suppressed("active_time_interval", alerts.len());
            return true;
        }
        if muted_by.is_some() {
            self.count_suppressed("mute_time_interval", alerts.len());
            return true;
        }
        let before = alerts.len();
        alerts.retain(|(i, a)| match &silenced {
            Some(s) => s[*i].is_empty(),
            None => !self.deps.silences.mutes(&a.labels, now).is_silenced(),
        });
        let alerts: Vec<Arc<Alert>> = alerts.into_iter().map(|(_, a)| a).collect();
        self.count_suppressed("silence", before - alerts.len());
        if alerts.is_empty() {
            return true;
        }

        let deadline =
            tokio::time::Instant::now() + opts.group_interval.max(Duration::from_secs(10));
        let mut ok = true;
        if let Some(kinds) = self.unsupported.get(receiver) {
            tracing::error!(
                receiver,
                integrations = %kinds.join(","),
                num_alerts = alerts.len(),
                "Notify for alerts failed: integration not yet available in this version of Tocsin"
            );
            ok = false;
        }
        let integrations = self
            .receivers
            .get(receiver)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let sends = integrations.iter().map(|i| {
            self.notify_integration(
                i,
                &flush.group_key,
                &flush.group_labels,
                opts.repeat_interval,
                receiver,
                now,
                deadline,
                &alerts,
            )
        });
        for result in futures_join(sends).await {
            ok &= result;
        }
        ok
    }

    fn count_suppressed(&self, reason: &'static str, n: usize) {
        if n > 0 {
            self.deps.metrics.suppressed(reason).inc_by(n as u64);
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn notify_integration(
        &self,
        integration: &Integration,
        group_key: &str,
        group_labels: &crate::alert::LabelSet,
        repeat_interval: Duration,
        receiver: &str,
        now: crate::alert::Timestamp,
        deadline: tokio::time::Instant,
        alerts: &[Arc<Alert>],
    ) -> bool {
        let wait = (self.deps.peer_wait)();
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.cancel.cancelled() => return false,
            }
        }
        let key = nflog::Receiver::new(receiver, integration.name(), integration.index() as u32);
        let (firing, resolved) = nflog::partition_alerts(alerts.iter().map(|a| &**a), now);
        let entry = self.deps.nflog.query(&key, group_key);
        let reason = nflog::needs_update(
            entry.as_ref(),
            &firing,
            &resolved,
            repeat_interval,
            integration.send_resolved(),
            now,
        );
        if !reason.should_notify() {
            return true;
        }
        let mut ctx = NotifyContext::new(receiver, group_key, now);
        ctx.group_labels = group_labels.clone();
        ctx.external_url = self.deps.external_url.clone();
        ctx.deadline = Some(deadline);
        ctx.cancel = self.cancel.clone();
        ctx.history = self.deps.history.clone();
        ctx.store = super::NflogStore::from_entry(entry.as_ref());
        match retry(integration, &ctx, alerts).await {
            Ok(()) => {
                self.deps.nflog.log_with_data(
                    &key,
                    group_key,
                    &firing,
                    &resolved,
                    chrono::Utc::now(),
                    repeat_interval * 2,
                    ctx.store.snapshot(),
                );
                true
            }
            Err(e) => {
                tracing::error!(
                    receiver,
                    integration = %integration,
                    num_alerts = alerts.len(),
                    reason = e.reason.as_str(),
                    err = %e.message,
                    "Notify for alerts failed"
                );
                false
            }
        }
    }
}

/// Awaits every future concurrently and returns their results in order.
async fn futures_join<F: Future<Output = bool>>(futs: impl Iterator<Item = F>) -> Vec<bool> {
    let mut set = Vec::new();
    for f in futs {
        set.push(Box::pin(f));
    }
    let mut results = vec![None; set.len()];
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(|r| r.unwrap_or(false)).collect()
}

impl FlushHandler for Pipeline {
    fn flush(&self, flush: Flush) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(self.exec(flush))
    }
}
