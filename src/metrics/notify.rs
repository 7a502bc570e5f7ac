//! Notification pipeline metrics (Alertmanager v0.34 `notify` package):
//! notifications and requests attempted and failed per integration, failure
//! reasons, request latency, and notifications suppressed by mute stages.
//!
//! Every integration Alertmanager knows is pre-initialised, so the series
//! exist at zero before the first notification, as in Go.

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

type HistogramFamily = Family<StaticLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Handles for the notification metrics; register once per process.
#[derive(Debug, Clone)]
pub struct NotifyMetrics {
    notifications: Family<StaticLabels, Counter>,
    failed: Family<StaticLabels, Counter>,
    requests: Family<StaticLabels, Counter>,
    requests_failed: Family<StaticLabels, Counter>,
    suppressed: Family<StaticLabels, Counter>,
    latency: HistogramFamily,
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
        };
        for name in INTEGRATIONS {
            m.integration(name);
        }
        m
    }

    /// The series of one integration (created at zero if new).
    pub fn integration(&self, name: &'static str) -> IntegrationMetrics {
        let labels = vec![("integration", name)];
        let failed = FailureReason::ALL.map(|reason| {
            self.failed
                .get_or_create_owned(&vec![("integration", name), ("reason", reason.as_str())])
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
