//! Dispatcher metrics: the number of aggregation groups and the time spent
//! routing each alert into them.

use prometheus_client::metrics::gauge::Gauge;

use super::registry::MetricRegistry;
use super::summary::Summary;

/// Handles for the dispatcher metrics.
#[derive(Debug, Clone)]
pub struct DispatchMetrics {
    /// `alertmanager_dispatcher_aggregation_groups`.
    pub aggregation_groups: Gauge,
    /// `alertmanager_dispatcher_alert_processing_duration_seconds` (summary,
    /// no quantiles).
    pub processing_duration: Summary,
}

impl DispatchMetrics {
    pub fn register(reg: &MetricRegistry) -> DispatchMetrics {
        DispatchMetrics {
            aggregation_groups: reg.register(
                "alertmanager_dispatcher_aggregation_groups",
                "Number of active aggregation groups",
                Gauge::default(),
            ),
            processing_duration: reg.register_summary(
                "alertmanager_dispatcher_alert_processing_duration_seconds",
                "Summary of latencies for the processing of alerts.",
            ),
        }
    }
}
