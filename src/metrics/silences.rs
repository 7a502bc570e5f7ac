//! Silence store metrics (Alertmanager v0.34 `silence` package): counts by
//! state, query and maintenance counters, snapshot and GC timings, index
//! sizes.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use super::registry::{GaugeFn, MetricRegistry, StaticLabels};
use super::summary::Summary;

/// Silences by state, as `alertmanager_silences{state}` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SilenceCounts {
    pub active: u64,
    pub pending: u64,
    pub expired: u64,
}

/// Handles for the silence metrics.
#[derive(Debug, Clone)]
pub struct SilenceMetrics {
    silences: GaugeFn,
    /// `alertmanager_silences_gc_duration_seconds` (summary, no quantiles).
    pub gc_duration: Summary,
    /// `alertmanager_silences_gc_errors_total`.
    pub gc_errors: Counter,
    /// `alertmanager_silences_snapshot_duration_seconds` (summary, no quantiles).
    pub snapshot_duration: Summary,
    /// `alertmanager_silences_snapshot_size_bytes`.
    pub snapshot_size_bytes: Gauge,
    /// `alertmanager_silences_maintenance_total`.
    pub maintenance: Counter,
    /// `alertmanager_silences_maintenance_errors_total`.
    pub maintenance_errors: Counter,
    /// `alertmanager_silences_matcher_compile_errors_total{stage="index"}`.
    pub matcher_compile_errors_index: Counter,
    /// `alertmanager_silences_matcher_compile_errors_total{stage="load_snapshot"}`.
    pub matcher_compile_errors_load_snapshot: Counter,
    /// `alertmanager_silences_queries_total`.
    pub queries: Counter,
    /// `alertmanager_silences_query_errors_total`.
    pub query_errors: Counter,
    /// `alertmanager_silences_query_duration_seconds` (default buckets).
    pub query_duration: Histogram,
    /// `alertmanager_silences_query_silences_scanned_total`.
    pub query_silences_scanned: Counter,
    /// `alertmanager_silences_query_silences_skipped_total`.
    pub query_silences_skipped: Counter,
    /// `alertmanager_silences_gossip_messages_propagated_total`.
    pub gossip_messages_propagated: Counter,
    /// `alertmanager_silences_state_size`.
    pub state_size: Gauge,
    /// `alertmanager_silences_matcher_index_size`.
    pub matcher_index_size: Gauge,
    /// `alertmanager_silences_version_index_size`.
    pub version_index_size: Gauge,
}

impl SilenceMetrics {
    /// Registers the family with `reg`.
    pub fn register(reg: &MetricRegistry) -> SilenceMetrics {
        let silences = reg.register_gauge_fn(
            "alertmanager_silences",
            "How many silences by state.",
            "state",
        );
        let gc_duration = reg.register_summary(
            "alertmanager_silences_gc_duration_seconds",
            "Duration of the last silence garbage collection cycle.",
        );
        let gc_errors = reg.register(
            "alertmanager_silences_gc_errors_total",
            "How many silence GC errors were encountered.",
            Counter::default(),
        );
        let snapshot_duration = reg.register_summary(
            "alertmanager_silences_snapshot_duration_seconds",
            "Duration of the last silence snapshot.",
        );
        let snapshot_size_bytes = reg.register(
            "alertmanager_silences_snapshot_size_bytes",
            "Size of the last silence snapshot in bytes.",
            Gauge::default(),
        );
        let maintenance = reg.register(
            "alertmanager_silences_maintenance_total",
            "How many maintenances were executed for silences.",
            Counter::default(),
        );
        let maintenance_errors = reg.register(
            "alertmanager_silences_maintenance_errors_total",
            "How many maintenances were executed for silences that failed.",
            Counter::default(),
        );
        let compile_errors = reg.register(
            "alertmanager_silences_matcher_compile_errors_total",
            "How many silence matcher compilations failed.",
            Family::<StaticLabels, Counter>::default(),
        );
        let matcher_compile_errors_index =
            compile_errors.get_or_create_owned(&vec![("stage", "index")]);
        let matcher_compile_errors_load_snapshot =
            compile_errors.get_or_create_owned(&vec![("stage", "load_snapshot")]);
        let queries = reg.register(
            "alertmanager_silences_queries_total",
            "How many silence queries were received.",
            Counter::default(),
        );
        let query_errors = reg.register(
            "alertmanager_silences_query_errors_total",
            "How many silence received queries did not succeed.",
            Counter::default(),
        );
        let query_duration = reg.register(
            "alertmanager_silences_query_duration_seconds",
            "Duration of silence query evaluation.",
            super::default_histogram(),
        );
        let query_silences_scanned = reg.register(
            "alertmanager_silences_query_silences_scanned_total",
            "How many silences were scanned during query evaluation.",
            Counter::default(),
        );
        let query_silences_skipped = reg.register(
            "alertmanager_silences_query_silences_skipped_total",
            "How many silences were skipped during query evaluation using the version index.",
            Counter::default(),
        );
        let gossip_messages_propagated = reg.register(
            "alertmanager_silences_gossip_messages_propagated_total",
            "Number of received gossip messages that have been further gossiped.",
            Counter::default(),
        );
        let state_size = reg.register(
            "alertmanager_silences_state_size",
            "The number of silences in the state map.",
            Gauge::default(),
        );
        let matcher_index_size = reg.register(
            "alertmanager_silences_matcher_index_size",
            "The number of entries in the matcher cache index.",
            Gauge::default(),
        );
        let version_index_size = reg.register(
            "alertmanager_silences_version_index_size",
            "The number of entries in the version index.",
            Gauge::default(),
        );
        SilenceMetrics {
            silences,
            gc_duration,
            gc_errors,
            snapshot_duration,
            snapshot_size_bytes,
            maintenance,
            maintenance_errors,
            matcher_compile_errors_index,
            matcher_compile_errors_load_snapshot,
            queries,
            query_errors,
            query_duration,
            query_silences_scanned,
            query_silences_skipped,
            gossip_messages_propagated,
            state_size,
            matcher_index_size,
            version_index_size,
        }
    }

    /// Installs the callback `alertmanager_silences{state}` reads on every
    /// scrape. Until then the family is absent.
    pub fn set_silence_counts_source<F>(&self, source: F)
    where
        F: Fn() -> SilenceCounts + Send + Sync + 'static,
    {
        self.silences.set_source(Box::new(move || {
            let c = source();
            vec![
                ("active".into(), c.active as f64),
                ("pending".into(), c.pending as f64),
                ("expired".into(), c.expired as f64),
            ]
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_values() {
        let reg = MetricRegistry::new();
        let m = SilenceMetrics::register(&reg);
        m.set_silence_counts_source(|| SilenceCounts {
            active: 2,
            pending: 1,
            expired: 5,
        });
        m.queries.inc();
        m.query_duration.observe(0.003);
        m.gc_duration.observe(0.5);
        m.matcher_compile_errors_index.inc();
        let out = reg.encode();
        assert!(out.contains(
            "# HELP alertmanager_silences How many silences by state.\n\
             # TYPE alertmanager_silences gauge\n\
             alertmanager_silences{state=\"active\"} 2.0\n\
             alertmanager_silences{state=\"pending\"} 1.0\n\
             alertmanager_silences{state=\"expired\"} 5.0\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_silences_gc_duration_seconds Duration of the last silence garbage collection cycle.\n\
             # TYPE alertmanager_silences_gc_duration_seconds summary\n\
             alertmanager_silences_gc_duration_seconds_sum 0.5\n\
             alertmanager_silences_gc_duration_seconds_count 1\n"
        ));
        assert!(out.contains(
            "# TYPE alertmanager_silences_snapshot_duration_seconds summary\n\
             alertmanager_silences_snapshot_duration_seconds_sum 0.0\n\
             alertmanager_silences_snapshot_duration_seconds_count 0\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_silences_queries How many silence queries were received.\n\
             # TYPE alertmanager_silences_queries counter\n\
             alertmanager_silences_queries_total 1\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_silences_query_duration_seconds Duration of silence query evaluation.\n\
             # TYPE alertmanager_silences_query_duration_seconds histogram\n\
             alertmanager_silences_query_duration_seconds_sum 0.003\n\
             alertmanager_silences_query_duration_seconds_count 1\n\
             alertmanager_silences_query_duration_seconds_bucket{le=\"0.005\"} 1\n"
        ));
        assert!(out.contains(
            "alertmanager_silences_query_duration_seconds_bucket{le=\"10.0\"} 1\n\
             alertmanager_silences_query_duration_seconds_bucket{le=\"+Inf\"} 1\n"
        ));
        assert!(
            out.contains("alertmanager_silences_matcher_compile_errors_total{stage=\"index\"} 1\n")
        );
        assert!(out.contains(
            "alertmanager_silences_matcher_compile_errors_total{stage=\"load_snapshot\"} 0\n"
        ));
        for name in [
            "alertmanager_silences_query_errors_total 0\n",
            "alertmanager_silences_snapshot_size_bytes 0\n",
            "alertmanager_silences_gossip_messages_propagated_total 0\n",
            "alertmanager_silences_maintenance_total 0\n",
            "alertmanager_silences_maintenance_errors_total 0\n",
            "alertmanager_silences_gc_errors_total 0\n",
            "alertmanager_silences_query_silences_scanned_total 0\n",
            "alertmanager_silences_query_silences_skipped_total 0\n",
            "alertmanager_silences_state_size 0\n",
            "alertmanager_silences_matcher_index_size 0\n",
            "alertmanager_silences_version_index_size 0\n",
        ] {
            assert!(out.contains(name), "missing {name}");
        }
    }
}
