//! Notification log metrics (Alertmanager v0.34 `nflog` package): query
//! counts and timings, GC and snapshot timings, maintenance runs, gossip
//! propagation.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use super::registry::MetricRegistry;
use super::summary::Summary;

/// Handles for the notification log metrics.
#[derive(Debug, Clone)]
pub struct NflogMetrics {
    /// `alertmanager_nflog_gc_duration_seconds` (summary, no quantiles).
    pub gc_duration: Summary,
    /// `alertmanager_nflog_snapshot_duration_seconds` (summary, no quantiles).
    pub snapshot_duration: Summary,
    /// `alertmanager_nflog_snapshot_size_bytes`.
    pub snapshot_size_bytes: Gauge,
    /// `alertmanager_nflog_maintenance_total` (v0.34 only).
    pub maintenance: Counter,
    /// `alertmanager_nflog_maintenance_errors_total` (v0.34 only).
    pub maintenance_errors: Counter,
    /// `alertmanager_nflog_queries_total`.
    pub queries: Counter,
    /// `alertmanager_nflog_query_errors_total` (a query finding nothing
    /// counts as an error, as upstream).
    pub query_errors: Counter,
    /// `alertmanager_nflog_query_duration_seconds` (default buckets).
    pub query_duration: Histogram,
    /// `alertmanager_nflog_gossip_messages_propagated_total`.
    pub gossip_messages_propagated: Counter,
}

impl NflogMetrics {
    /// Registers the family with `reg`, in upstream's order.
    pub fn register(reg: &MetricRegistry) -> NflogMetrics {
        let gc_duration = reg.register_summary(
            "alertmanager_nflog_gc_duration_seconds",
            "Duration of the last notification log garbage collection cycle.",
        );
        let snapshot_duration = reg.register_summary(
            "alertmanager_nflog_snapshot_duration_seconds",
            "Duration of the last notification log snapshot.",
        );
        let snapshot_size_bytes = reg.register(
            "alertmanager_nflog_snapshot_size_bytes",
            "Size of the last notification log snapshot in bytes.",
            Gauge::default(),
        );
        let maintenance = reg.register(
            "alertmanager_nflog_maintenance_total",
            "How many maintenances were executed for the notification log.",
            Counter::default(),
        );
        let maintenance_errors = reg.register(
            "alertmanager_nflog_maintenance_errors_total",
            "How many maintenances were executed for the notification log that failed.",
            Counter::default(),
        );
        let queries = reg.register(
            "alertmanager_nflog_queries_total",
            "Number of notification log queries were received.",
            Counter::default(),
        );
        let query_errors = reg.register(
            "alertmanager_nflog_query_errors_total",
            "Number notification log received queries that failed.",
            Counter::default(),
        );
        let query_duration = reg.register(
            "alertmanager_nflog_query_duration_seconds",
            "Duration of notification log query evaluation.",
            super::default_histogram(),
        );
        let gossip_messages_propagated = reg.register(
            "alertmanager_nflog_gossip_messages_propagated_total",
            "Number of received gossip messages that have been further gossiped.",
            Counter::default(),
        );
        NflogMetrics {
            gc_duration,
            snapshot_duration,
            snapshot_size_bytes,
            maintenance,
            maintenance_errors,
            queries,
            query_errors,
            query_duration,
            gossip_messages_propagated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_values() {
        let reg = MetricRegistry::new();
        let m = NflogMetrics::register(&reg);
        m.queries.inc();
        m.queries.inc();
        m.query_errors.inc();
        m.query_duration.observe(0.002);
        m.gc_duration.observe(0.25);
        m.snapshot_size_bytes.set(1234);
        let out = reg.encode();
        assert!(out.contains(
            "# HELP alertmanager_nflog_queries Number of notification log queries were received.\n\
             # TYPE alertmanager_nflog_queries counter\n\
             alertmanager_nflog_queries_total 2\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_nflog_query_errors Number notification log received queries that failed.\n\
             # TYPE alertmanager_nflog_query_errors counter\n\
             alertmanager_nflog_query_errors_total 1\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_nflog_query_duration_seconds Duration of notification log query evaluation.\n\
             # TYPE alertmanager_nflog_query_duration_seconds histogram\n\
             alertmanager_nflog_query_duration_seconds_sum 0.002\n\
             alertmanager_nflog_query_duration_seconds_count 1\n\
             alertmanager_nflog_query_duration_seconds_bucket{le=\"0.005\"} 1\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_nflog_gc_duration_seconds Duration of the last notification log garbage collection cycle.\n\
             # TYPE alertmanager_nflog_gc_duration_seconds summary\n\
             alertmanager_nflog_gc_duration_seconds_sum 0.25\n\
             alertmanager_nflog_gc_duration_seconds_count 1\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_nflog_snapshot_duration_seconds Duration of the last notification log snapshot.\n\
             # TYPE alertmanager_nflog_snapshot_duration_seconds summary\n\
             alertmanager_nflog_snapshot_duration_seconds_sum 0.0\n\
             alertmanager_nflog_snapshot_duration_seconds_count 0\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_nflog_snapshot_size_bytes Size of the last notification log snapshot in bytes.\n\
             # TYPE alertmanager_nflog_snapshot_size_bytes gauge\n\
             alertmanager_nflog_snapshot_size_bytes 1234\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_nflog_maintenance How many maintenances were executed for the notification log.\n\
             # TYPE alertmanager_nflog_maintenance counter\n\
             alertmanager_nflog_maintenance_total 0\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_nflog_maintenance_errors How many maintenances were executed for the notification log that failed.\n\
             # TYPE alertmanager_nflog_maintenance_errors counter\n\
             alertmanager_nflog_maintenance_errors_total 0\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_nflog_gossip_messages_propagated Number of received gossip messages that have been further gossiped.\n\
             # TYPE alertmanager_nflog_gossip_messages_propagated counter\n\
             alertmanager_nflog_gossip_messages_propagated_total 0\n"
        ));
    }
}
