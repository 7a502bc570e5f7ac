//! Tocsin's own metrics, served on `/metrics` under Alertmanager's names,
//! types, labels, buckets and HELP texts (v0.34), in the OpenMetrics text
//! format.
//!
//! [`Metrics`] owns the [`MetricRegistry`] and one handle struct per
//! component. Handles are cheap clones of shared atomics: components take a
//! clone of their struct (`metrics.silences.clone()`) and update it without
//! locks.
//!
//! # Adding metrics for a component
//!
//! Give the component a handle struct in its own file with a
//! `register(&MetricRegistry) -> Self` constructor, and call it once, either
//! in [`Metrics::new`] (then add a field) or where the component is built,
//! through [`Metrics::registry`]:
//!
//! ```ignore
//! pub struct NflogMetrics { pub queries: Counter, pub gc_duration: Summary }
//!
//! impl NflogMetrics {
//!     pub fn register(reg: &MetricRegistry) -> NflogMetrics {
//!         NflogMetrics {
//!             queries: reg.register(
//!                 "alertmanager_nflog_queries_total",
//!                 "Number of notification log queries were received.",
//!                 Counter::default(),
//!             ),
//!             gc_duration: reg.register_summary(
//!                 "alertmanager_nflog_gc_duration_seconds",
//!                 "Duration of the last notification log garbage collection cycle.",
//!             ),
//!         }
//!     }
//! }
//! ```
//!
//! Rules: use the Go name (counters keep `_total`) and the Go HELP text
//! verbatim (it is not altered); register once per process, never on config
//! reload; labelled metrics are a `Family` (`reg.register(name, help,
//! Family::<Labels, Counter>::default())`), constant labels go through
//! [`MetricRegistry::register_with_labels`], values computed at scrape time
//! through [`MetricRegistry::register_gauge_fn`] or a custom
//! `prometheus_client::collector::Collector`, and Go summaries (which never
//! have quantiles in Alertmanager) through
//! [`MetricRegistry::register_summary`]. A Go vector without labels, which
//! only appears once used, is a [`registry::Lazy`]. Histograms use
//! [`default_histogram`] unless Go sets its own buckets.
//!
//! The output differs from client_golang's only in form: families appear in
//! registration order and a family's series in no particular order, `le`
//! comes first among a bucket's labels, and whole floats print as `1.0`.
//!
//! Native histograms (which v0.34 also enables for request and silence query
//! durations) exist only in the protobuf format, so they are not exposed.

pub mod api;
pub mod build;
pub mod cluster;
pub mod config;
pub mod dispatch;
pub mod exposition;
pub mod graph;
pub mod http;
pub mod nflog;
pub mod notify;
pub mod process;
pub mod registry;
pub mod silences;
pub mod state;
pub mod store;
pub mod summary;

use prometheus_client::metrics::histogram::Histogram;

pub use api::{AlertCounts, ApiMetrics};
pub use build::{BuildInfo, BuildMetrics};
pub use config::{ConfigMetrics, config_hash};
pub use http::{ConcurrencyLimiter, HttpInstrumentation, HttpMetrics, InFlightGuard};
pub use nflog::NflogMetrics;
pub use process::ProcessCollector;
pub use registry::{GaugeFn, MetricRegistry};
pub use silences::{SilenceCounts, SilenceMetrics};
pub use state::StateMetrics;
pub use store::{StoreMetrics, StoreStats};
pub use summary::Summary;

/// client_golang's `DefBuckets`.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A histogram with [`DEFAULT_BUCKETS`].
pub fn default_histogram() -> Histogram {
    Histogram::new(DEFAULT_BUCKETS)
}

/// Every metric Tocsin exposes, by component.
#[derive(Debug)]
pub struct Metrics {
    registry: MetricRegistry,
    /// Alert ingestion and `alertmanager_alerts{state}`.
    pub api: ApiMetrics,
    /// HTTP server timings, sizes, in-flight GETs.
    pub http: HttpMetrics,
    /// Reload outcome, config hash, receiver/integration/inhibition counts.
    pub config: ConfigMetrics,
    /// The silence store.
    pub silences: SilenceMetrics,
    /// The alert store (read at scrape time).
    pub store: StoreMetrics,
    /// `alertmanager_build_info` and `alertmanager_cluster_enabled`.
    pub build: BuildMetrics,
    /// Aggregation groups and alert routing time.
    pub dispatch: dispatch::DispatchMetrics,
    /// Notifications per integration.
    pub notify: notify::NotifyMetrics,
    /// The notification log.
    pub nflog: NflogMetrics,
    /// The state database.
    pub state: StateMetrics,
    /// Gossip between peers.
    pub cluster: cluster::ClusterMetrics,
    /// Charts drawn for notifications.
    pub graph: graph::GraphMetrics,
}

impl Metrics {
    /// Registers every family, including the `process_*` collector reading
    /// `/proc/self`.
    pub fn new(build: &BuildInfo) -> Metrics {
        let registry = MetricRegistry::new();
        let metrics = Metrics {
            api: ApiMetrics::register(&registry),
            http: HttpMetrics::register(&registry),
            config: ConfigMetrics::register(&registry),
            silences: SilenceMetrics::register(&registry),
            store: StoreMetrics::register(&registry),
            build: BuildMetrics::register(&registry, build),
            dispatch: dispatch::DispatchMetrics::register(&registry),
            notify: notify::NotifyMetrics::register(&registry),
            nflog: NflogMetrics::register(&registry),
            state: StateMetrics::register(&registry),
            cluster: cluster::ClusterMetrics::register(&registry),
            graph: graph::GraphMetrics::register(&registry),
            registry,
        };
        metrics
            .registry
            .register_collector(ProcessCollector::default());
        metrics
    }

    /// The registry, for components that register their own metrics.
    pub fn registry(&self) -> &MetricRegistry {
        &self.registry
    }

    /// The OpenMetrics text of every metric, ending in `# EOF`.
    pub fn encode(&self) -> String {
        self.registry.encode()
    }

    /// `(Content-Type, body)` for a scrape with the given `Accept` header
    /// (empty when absent). The body is always OpenMetrics text; see
    /// [`exposition`] for why that serves every Prometheus version.
    pub fn render(&self, accept: &str) -> (&'static str, String) {
        (exposition::content_type(accept), self.encode())
    }
}

#[cfg(test)]
mod tests;
