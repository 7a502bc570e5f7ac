//! Alert ingestion metrics: received and invalid alert counters (API v2) and
//! the `alertmanager_alerts{state}` gauge computed at scrape time.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use super::registry::{GaugeFn, MetricRegistry, StaticLabels};

/// Non-resolved alerts by marker state, as `alertmanager_alerts` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertCounts {
    pub active: u64,
    pub suppressed: u64,
    pub unprocessed: u64,
}

/// Handles for the alert ingestion metrics.
#[derive(Debug, Clone)]
pub struct ApiMetrics {
    /// `alertmanager_alerts_received_total{status="firing",version="v2"}`.
    pub received_firing: Counter,
    /// `alertmanager_alerts_received_total{status="resolved",version="v2"}`.
    pub received_resolved: Counter,
    /// `alertmanager_alerts_invalid_total{version="v2"}`.
    pub invalid: Counter,
    alerts: GaugeFn,
}

impl ApiMetrics {
    /// Registers the family with `reg`. Since 0.27 only API v2 exists, so
    /// `version` is always `v2` and both `status` children exist from the
    /// start.
    pub fn register(reg: &MetricRegistry) -> ApiMetrics {
        let received = reg.register(
            "alertmanager_alerts_received_total",
            "The total number of received alerts.",
            Family::<StaticLabels, Counter>::default(),
        );
        let received_firing = received.get_or_create_owned(&vec![("status", "firing"), V2]);
        let received_resolved = received.get_or_create_owned(&vec![("status", "resolved"), V2]);
        let invalid = reg.register_with_labels(
            "alertmanager_alerts_invalid_total",
            "The total number of received alerts that were invalid.",
            &[V2],
        );
        let alerts =
            reg.register_gauge_fn("alertmanager_alerts", "How many alerts by state.", "state");
        ApiMetrics {
            received_firing,
            received_resolved,
            invalid,
            alerts,
        }
    }

    /// Counts one received alert (before validation, as Alertmanager does);
    /// `firing` is whether its end time is still in the future.
    pub fn alert_received(&self, firing: bool) {
        if firing {
            self.received_firing.inc();
        } else {
            self.received_resolved.inc();
        }
    }

    /// Counts one received alert that failed validation.
    pub fn alert_invalid(&self) {
        self.invalid.inc();
    }

    /// Installs the callback `alertmanager_alerts` reads on every scrape
    /// (the dispatcher, once running, counts its groups' alerts by state).
    /// Until then the family is absent, as in Alertmanager before the
    /// dispatcher starts.
    pub fn set_alert_counts_source<F>(&self, source: F)
    where
        F: Fn() -> AlertCounts + Send + Sync + 'static,
    {
        self.alerts.set_source(Box::new(move || {
            let c = source();
            vec![
                ("active".into(), c.active as f64),
                ("suppressed".into(), c.suppressed as f64),
                ("unprocessed".into(), c.unprocessed as f64),
            ]
        }));
    }

    /// Removes the callback (e.g. when the dispatcher stops).
    pub fn clear_alert_counts_source(&self) {
        self.alerts.clear_source();
    }
}

const V2: (&str, &str) = ("version", "v2");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_and_invalid() {
        let reg = MetricRegistry::new();
        let m = ApiMetrics::register(&reg);
        m.alert_received(true);
        m.alert_received(true);
        m.alert_received(false);
        m.alert_invalid();
        let out = reg.encode();
        assert!(out.contains(
            "# HELP alertmanager_alerts_received The total number of received alerts.\n\
             # TYPE alertmanager_alerts_received counter\n"
        ));
        assert!(
            out.contains(
                "alertmanager_alerts_received_total{status=\"firing\",version=\"v2\"} 2\n"
            )
        );
        assert!(out.contains(
            "alertmanager_alerts_received_total{status=\"resolved\",version=\"v2\"} 1\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_alerts_invalid The total number of received alerts that were invalid.\n\
             # TYPE alertmanager_alerts_invalid counter\n\
             alertmanager_alerts_invalid_total{version=\"v2\"} 1\n"
        ));
        assert!(!out.contains("alertmanager_alerts{"));
    }

    #[test]
    fn alert_counts_from_callback() {
        let reg = MetricRegistry::new();
        let m = ApiMetrics::register(&reg);
        m.set_alert_counts_source(|| AlertCounts {
            active: 3,
            suppressed: 1,
            unprocessed: 0,
        });
        let out = reg.encode();
        assert!(out.contains(
            "# HELP alertmanager_alerts How many alerts by state.\n\
             # TYPE alertmanager_alerts gauge\n\
             alertmanager_alerts{state=\"active\"} 3.0\n\
             alertmanager_alerts{state=\"suppressed\"} 1.0\n\
             alertmanager_alerts{state=\"unprocessed\"} 0.0\n"
        ));
        m.clear_alert_counts_source();
        assert!(!reg.encode().contains("alertmanager_alerts{"));
    }
}
