//! Metrics of the durable state (SQLite): commit latency, write queue,
//! failures, database size and health. These are Tocsin's own (`tocsin_`
//! prefix); Alertmanager has no database.

use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use super::registry::MetricRegistry;

/// Commit latencies: a WAL fsync takes from tens of microseconds to
/// hundreds of milliseconds on a struggling disk.
const COMMIT_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.0,
];

/// Handles for the state database metrics.
#[derive(Debug, Clone)]
pub struct StateMetrics {
    /// `tocsin_state_commit_duration_seconds`: one transaction, fsync
    /// included.
    pub commit_duration: Histogram,
    /// `tocsin_state_commits_total`.
    pub commits: Counter,
    /// `tocsin_state_commit_failures_total`.
    pub commit_failures: Counter,
    /// `tocsin_state_rows_written_total`.
    pub rows_written: Counter,
    /// `tocsin_state_queue_depth`: changes waiting for the writer
    /// (silence and notification-log writes, dirty alerts and timers).
    pub queue_depth: Gauge,
    /// `tocsin_state_database_size_bytes` (database plus write-ahead log).
    pub database_size_bytes: Gauge,
    /// `tocsin_state_last_commit_timestamp_seconds`.
    pub last_commit: Gauge<f64, AtomicU64>,
    /// `tocsin_state_writable`: 1 while commits succeed, 0 after a failed
    /// one until the next success.
    pub writable: Gauge,
    /// `tocsin_history_dropped_total`: history entries dropped because the
    /// history queue was full (or the database refused them for too long).
    pub history_dropped: Counter,
    /// `tocsin_history_queue_depth`: observations waiting for the history
    /// writer.
    pub history_queue_depth: Gauge,
    /// `tocsin_history_rows_written_total`.
    pub history_rows_written: Counter,
    /// `tocsin_history_write_failures_total`.
    pub history_write_failures: Counter,
    /// `tocsin_history_database_size_bytes` (history database plus its
    /// write-ahead log).
    pub history_database_size_bytes: Gauge,
}

impl StateMetrics {
    pub fn register(reg: &MetricRegistry) -> StateMetrics {
        StateMetrics {
            commit_duration: reg.register(
                "tocsin_state_commit_duration_seconds",
                "Duration of a state database transaction, fsync included.",
                Histogram::new(COMMIT_BUCKETS),
            ),
            commits: reg.register(
                "tocsin_state_commits_total",
                "State database transactions committed.",
                Counter::default(),
            ),
            commit_failures: reg.register(
                "tocsin_state_commit_failures_total",
                "State database transactions that failed (the changes are retried or refused).",
                Counter::default(),
            ),
            rows_written: reg.register(
                "tocsin_state_rows_written_total",
                "Rows written or deleted in the state database.",
                Counter::default(),
            ),
            queue_depth: reg.register(
                "tocsin_state_queue_depth",
                "Changes waiting to be written to the state database.",
                Gauge::default(),
            ),
            database_size_bytes: reg.register(
                "tocsin_state_database_size_bytes",
                "Size of the state database and its write-ahead log in bytes.",
                Gauge::default(),
            ),
            last_commit: reg.register(
                "tocsin_state_last_commit_timestamp_seconds",
                "Time of the last successful state database commit.",
                Gauge::default(),
            ),
            writable: reg.register(
                "tocsin_state_writable",
                "Whether the last state database commit succeeded (1) or failed (0).",
                Gauge::default(),
            ),
            history_dropped: reg.register(
                "tocsin_history_dropped_total",
                "History entries dropped because the history queue was full or the database refused them.",
                Counter::default(),
            ),
            history_queue_depth: reg.register(
                "tocsin_history_queue_depth",
                "Observations waiting to be written to the history.",
                Gauge::default(),
            ),
            history_rows_written: reg.register(
                "tocsin_history_rows_written_total",
                "Rows written to the history.",
                Counter::default(),
            ),
            history_write_failures: reg.register(
                "tocsin_history_write_failures_total",
                "History transactions that failed (retried, then dropped).",
                Counter::default(),
            ),
            history_database_size_bytes: reg.register(
                "tocsin_history_database_size_bytes",
                "Size of the history database and its write-ahead log in bytes.",
                Gauge::default(),
            ),
        }
    }
}
