//! Metrics of the charts drawn for notifications (`tocsin_graph_*`): how
//! many were drawn, how long drawing took, and every chart that could not
//! be drawn or delivered, by reason.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;

use super::registry::MetricRegistry;

/// Handles for the graph metrics.
#[derive(Debug, Clone)]
pub struct GraphMetrics {
    /// `tocsin_graph_renders_total`: charts drawn.
    pub renders: Counter,
    /// `tocsin_graph_render_duration_seconds`: querying and drawing one
    /// chart.
    pub duration: Histogram,
    /// `tocsin_graph_failures_total{reason}`: charts not drawn or not
    /// delivered (`no_expression`, `bad_expression`, `prometheus_unreachable`,
    /// `query_error`, `prometheus_error`, `timeout`, `no_data`, `render`,
    /// `upload`).
    pub failures: Family<Vec<(&'static str, &'static str)>, Counter>,
}

impl GraphMetrics {
    pub fn register(reg: &MetricRegistry) -> GraphMetrics {
        GraphMetrics {
            renders: reg.register(
                "tocsin_graph_renders_total",
                "Charts drawn for notifications.",
                Counter::default(),
            ),
            duration: reg.register(
                "tocsin_graph_render_duration_seconds",
                "Time to query Prometheus and draw one chart.",
                Histogram::new([0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0]),
            ),
            failures: reg.register(
                "tocsin_graph_failures_total",
                "Charts that could not be drawn or delivered, by reason.",
                Family::default(),
            ),
        }
    }

    /// Counts a failure.
    pub fn failed(&self, reason: &'static str) {
        self.failures.get_or_create(&vec![("reason", reason)]).inc();
    }
}
