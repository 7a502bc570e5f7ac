//! Notification pipeline metrics (Alertmanager v0.34 `notify` package):
//! notifications and requests attempted and failed per integration, failure
//! reasons, request latency, and notifications suppressed by mute stages.
//!
//! Every integration Alertmanager knows is pre-initialised, so the series
//! exist at zero before the first notification, as in Go. With
//! `--enable-feature=receiver-name-in-metrics` the per-integration series
//! carry a `receiver_name` label too, and (as in Alertmanager 0.34) only
//! the configured receivers' integrations have series, reset at every
//! configuration load.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;

use super::registry::{MetricRegistry, StaticLabels};
use crate::notify::FailureReason;

/// The integrations whose series are pre-initialised (v0.34's list).
pub const INTEGRATIONS: [&str; 18] = [
    "email",
    "pagerduty",
    "wechat",
    "pushover",
    "slack",
    "opsgenie",
    "webhook",
    "victorops",
    "sns",
    "telegram",
    "discord",
    "webex",
    "msteams",
    "msteamsv2",
    "incidentio",
    "jira",
    "rocketchat",
    "mattermost",
];

/// Buckets of `alertmanager_notification_latency_seconds`.
pub const LATENCY_BUCKETS: [f64; 5] = [1.0, 5.0, 10.0, 15.0, 20.0];

/// Labels of the per-integration series: `integration`, and
/// `receiver_name` with the feature on (and `reason` for failures).
type Labels = Vec<(&'static str, String)>;

type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Handles for the notification metrics; register once per process.
#[derive(Debug, Clone)]
pub struct NotifyMetrics {
    notifications: Family<Labels, Counter>,
    failed: Family<Labels, Counter>,
    requests: Family<Labels, Counter>,
    requests_failed: Family<Labels, Counter>,
    suppressed: Family<StaticLabels, Counter>,
    latency: HistogramFamily,
    /// `receiver-name-in-metrics`.
    receiver_names: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl NotifyMetrics {
    /// Registers the families with `reg` and creates the series of every
    /// integration in [`INTEGRATIONS`].
    pub fn register(reg: &MetricRegistry) -> NotifyMetrics {
        let m = NotifyMetrics {
            notifications: reg.register(
                "alertmanager_notifications_total",
                "The total number of attempted notifications.",
                Family::default(),
            ),
            failed: reg.register(
                "alertmanager_notifications_failed_total",
                "The total number of failed notifications.",
                Family::default(),
            ),
            requests: reg.register(
                "alertmanager_notification_requests_total",
                "The total number of attempted notification requests.",
                Family::default(),
            ),
            requests_failed: reg.register(
                "alertmanager_notification_requests_failed_total",
                "The total number of failed notification requests.",
                Family::default(),
            ),
            suppressed: reg.register(
                "alertmanager_notifications_suppressed_total",
                "The total number of notifications suppressed for being silenced, inhibited, outside of active time intervals or within muted time intervals.",
                Family::default(),
            ),
            latency: reg.register(
                "alertmanager_notification_latency_seconds",
                "The latency of notifications in seconds.",
                Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            ),
            receiver_names: Default::default(),
        };
        m.init_all();
        m
    }

    fn init_all(&self) {
        for name in INTEGRATIONS {
            self.integration(name);
        }
    }

    /// Turns `receiver-name-in-metrics` on (at start, before any
    /// configuration is loaded): the series of all integrations give way
    /// to those of the configured receivers.
    pub fn set_receiver_names(&self, on: bool) {
        use std::sync::atomic::Ordering;
        if self.receiver_names.swap(on, Ordering::SeqCst) != on {
            self.clear();
            if !on {
                self.init_all();
            }
        }
    }

    fn receiver_names(&self) -> bool {
        self.receiver_names
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    fn clear(&self) {
        self.notifications.clear();
        self.failed.clear();
        self.requests.clear();
        self.requests_failed.clear();
        self.latency.clear();
    }

    /// A configuration is being loaded: with receiver names in the
    /// series, the old receivers' series go (Alertmanager resets them at
    /// every load).
    pub fn begin_config(&self) {
        if self.receiver_names() {
            self.clear();
        }
    }

    /// The series of one integration (created at zero if new).
    pub fn integration(&self, name: &'static str) -> IntegrationMetrics {
        self.integration_of(name, "")
    }

    /// The series of integration `name` of `receiver`: labelled with the
    /// receiver's name when `receiver-name-in-metrics` is on.
    pub fn integration_of(&self, name: &'static str, receiver: &str) -> IntegrationMetrics {
        let mut labels: Labels = vec![("integration", name.to_string())];
        if self.receiver_names() {
            labels.push(("receiver_name", receiver.to_string()));
        }
        let failed = FailureReason::ALL.map(|reason| {
            let mut l = labels.clone();
            l.push(("reason", reason.as_str().to_string()));
            self.failed.get_or_create_owned(&l)
        });
        IntegrationMetrics {
            notifications: self.notifications.get_or_create_owned(&labels),
            failed,
            requests: self.requests.get_or_create_owned(&labels),
            requests_failed: self.requests_failed.get_or_create_owned(&labels),
            latency: self.latency.get_or_create_owned(&labels),
        }
    }

    /// `alertmanager_notifications_suppressed_total{reason}`, `reason` one
    /// of `silence`, `inhibition`, `mute_time_interval`,
    /// `active_time_interval`.
    pub fn suppressed(&self, reason: &'static str) -> Counter {
        self.suppressed
            .get_or_create_owned(&vec![("reason", reason)])
    }
}

/// The series of one integration, updated by the retry stage.
#[derive(Debug, Clone)]
pub struct IntegrationMetrics {
    /// `alertmanager_notifications_total`: retry stage executions.
    pub notifications: Counter,
    failed: [Counter; 7],
    /// `alertmanager_notification_requests_total`: attempts.
    pub requests: Counter,
    /// `alertmanager_notification_requests_failed_total`: failed attempts.
    pub requests_failed: Counter,
    /// `alertmanager_notification_latency_seconds`: per attempt.
    pub latency: Histogram,
}

impl IntegrationMetrics {
    /// `alertmanager_notifications_failed_total{reason}`: failed retry
    /// stages by reason.
    pub fn failed(&self, reason: FailureReason) -> &Counter {
        let i = FailureReason::ALL
            .iter()
            .position(|r| *r == reason)
            .expect("every reason is listed");
        &self.failed[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(out: &'a str, prefix: &str) -> Vec<&'a str> {
        out.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    #[test]
    fn every_integration_and_reason_starts_at_zero() {
        let reg = MetricRegistry::new();
        let _m = NotifyMetrics::register(&reg);
        let out = reg.encode();
        assert_eq!(sample(&out, "alertmanager_notifications_total{").len(), 18);
        assert_eq!(
            sample(&out, "alertmanager_notifications_failed_total{").len(),
            18 * 7
        );
        assert!(out.contains(
            "alertmanager_notifications_failed_total{integration=\"webhook\",reason=\"contextDeadlineExceeded\"} 0\n"
        ));
        assert!(out.contains("alertmanager_notification_requests_total{integration=\"jira\"} 0\n"));
        assert!(
            out.contains(
                "alertmanager_notification_requests_failed_total{integration=\"sns\"} 0\n"
            )
        );
        assert!(out.contains(
            "alertmanager_notification_latency_seconds_bucket{le=\"15.0\",integration=\"email\"} 0\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_notification_latency_seconds The latency of notifications in seconds.\n"
        ));
        // Suppressed appears only once used.
        assert!(!out.contains("alertmanager_notifications_suppressed"));
    }

    #[test]
    fn receiver_names_label_the_configured_integrations_only() {
        let reg = MetricRegistry::new();
        let m = NotifyMetrics::register(&reg);
        m.set_receiver_names(true);
        m.begin_config();
        let w = m.integration_of("webhook", "team-a");
        w.failed(FailureReason::AuthError).inc();
        let out = reg.encode();
        assert_eq!(
            sample(&out, "alertmanager_notifications_total{").len(),
            1,
            "{out}"
        );
        assert!(out.contains(
            "alertmanager_notifications_failed_total{integration=\"webhook\",receiver_name=\"team-a\",reason=\"authError\"} 1\n"
        ));
        assert!(out.contains(
            "alertmanager_notification_requests_total{integration=\"webhook\",receiver_name=\"team-a\"} 0\n"
        ));
        // A new configuration: the old receiver's series go.
        m.begin_config();
        m.integration_of("slack", "team-b");
        let out = reg.encode();
        assert!(!out.contains("team-a"), "{out}");
        assert!(out.contains("receiver_name=\"team-b\""));
    }

    #[test]
    fn integration_handles_update_their_series() {
        let reg = MetricRegistry::new();
        let m = NotifyMetrics::register(&reg);
        let w = m.integration("webhook");
        w.notifications.inc();
        w.failed(FailureReason::RateLimited).inc();
        w.requests.inc_by(3);
        w.requests_failed.inc_by(2);
        w.latency.observe(7.0);
        m.suppressed("silence").inc();
        let out = reg.encode();
        assert!(out.contains("alertmanager_notifications_total{integration=\"webhook\"} 1\n"));
        assert!(out.contains(
            "alertmanager_notifications_failed_total{integration=\"webhook\",reason=\"rateLimited\"} 1\n"
        ));
        assert!(out.contains(
            "alertmanager_notifications_failed_total{integration=\"webhook\",reason=\"other\"} 0\n"
        ));
        assert!(
            out.contains("alertmanager_notification_requests_total{integration=\"webhook\"} 3\n")
        );
        assert!(out.contains(
            "alertmanager_notification_requests_failed_total{integration=\"webhook\"} 2\n"
        ));
        assert!(out.contains(
            "alertmanager_notification_latency_seconds_bucket{le=\"5.0\",integration=\"webhook\"} 0\n"
        ));
        assert!(out.contains(
            "alertmanager_notification_latency_seconds_bucket{le=\"10.0\",integration=\"webhook\"} 1\n"
        ));
        assert!(
            out.contains("alertmanager_notifications_suppressed_total{reason=\"silence\"} 1\n")
        );
        // A second handle shares the series.
        m.integration("webhook").notifications.inc();
        assert!(
            reg.encode()
                .contains("alertmanager_notifications_total{integration=\"webhook\"} 2\n")
        );
    }
}
