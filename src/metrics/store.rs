//! Alert store metrics, read from the store at scrape time: the
//! per-alertname limit and the alerts it refused.

use std::fmt;
use std::sync::{Arc, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use super::registry::MetricRegistry;

/// What the store reports on each scrape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// `alertmanager_alerts_per_alert_limit` (0 = no limit).
    pub per_alert_limit: u64,
    /// `alertmanager_alerts_limited_total` without labels.
    pub limited_total: u64,
    /// With `--enable-feature=alert-names-in-metrics`: refusals per
    /// alertname, exposed with an `alertname` label instead of the total.
    pub limited_by_alertname: Option<Vec<(String, u64)>>,
}

type Source = Box<dyn Fn() -> StoreStats + Send + Sync>;

/// The alert store's metrics; cloning shares the source slot.
#[derive(Clone, Default)]
pub struct StoreMetrics {
    source: Arc<RwLock<Option<Source>>>,
}

impl fmt::Debug for StoreMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreMetrics").finish_non_exhaustive()
    }
}

impl StoreMetrics {
    /// Registers the family with `reg`.
    pub fn register(reg: &MetricRegistry) -> StoreMetrics {
        let m = StoreMetrics::default();
        reg.register_collector(m.clone());
        m
    }

    /// Installs the callback read on every scrape (e.g. from the store's
    /// `per_alertname_limit`, `limited_total`, `limited_by_alertname`).
    /// Until then both families are absent.
    pub fn set_source<F>(&self, source: F)
    where
        F: Fn() -> StoreStats + Send + Sync + 'static,
    {
        *self.source.write().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(source));
    }
}

impl Collector for StoreMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let stats = match self
            .source
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            Some(source) => source(),
            None => return Ok(()),
        };
        ConstGauge::new(stats.per_alert_limit).encode(encoder.encode_descriptor(
            "alertmanager_alerts_per_alert_limit",
            "Current limit on number of alerts per alert name",
            None,
            MetricType::Gauge,
        )?)?;
        // Like Alertmanager's counter vector, a series exists only once an
        // alert has been refused.
        const NAME: &str = "alertmanager_alerts_limited";
        const HELP: &str = "Total number of alerts that were dropped due to per alert name limit";
        match stats.limited_by_alertname {
            Some(by_name) if !by_name.is_empty() => {
                let mut me = encoder.encode_descriptor(NAME, HELP, None, MetricType::Counter)?;
                for (name, n) in &by_name {
                    let labels = [("alertname", name.as_str())];
                    ConstCounter::new(*n).encode(me.encode_family(&labels)?)?;
                }
            }
            None if stats.limited_total > 0 => {
                let me = encoder.encode_descriptor(NAME, HELP, None, MetricType::Counter)?;
                ConstCounter::new(stats.limited_total).encode(me)?;
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_until_a_source_is_set() {
        let reg = MetricRegistry::new();
        let _m = StoreMetrics::register(&reg);
        assert_eq!(reg.encode(), "# EOF\n");
    }

    #[test]
    fn limit_and_total() {
        let reg = MetricRegistry::new();
        let m = StoreMetrics::register(&reg);
        let limited = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let l2 = limited.clone();
        m.set_source(move || StoreStats {
            per_alert_limit: 100,
            limited_total: l2.load(std::sync::atomic::Ordering::Relaxed),
            limited_by_alertname: None,
        });
        assert_eq!(
            reg.encode(),
            "# HELP alertmanager_alerts_per_alert_limit Current limit on number of alerts per alert name\n\
             # TYPE alertmanager_alerts_per_alert_limit gauge\n\
             alertmanager_alerts_per_alert_limit 100\n\
             # EOF\n"
        );
        limited.store(2, std::sync::atomic::Ordering::Relaxed);
        assert!(reg.encode().ends_with(
            "# HELP alertmanager_alerts_limited Total number of alerts that were dropped due to per alert name limit\n\
             # TYPE alertmanager_alerts_limited counter\n\
             alertmanager_alerts_limited_total 2\n\
             # EOF\n"
        ));
    }

    #[test]
    fn by_alertname() {
        let reg = MetricRegistry::new();
        let m = StoreMetrics::register(&reg);
        m.set_source(|| StoreStats {
            per_alert_limit: 1,
            limited_total: 3,
            limited_by_alertname: Some(vec![("Disk\"Full".into(), 1), ("Down".into(), 2)]),
        });
        let out = reg.encode();
        assert!(out.contains(
            "# TYPE alertmanager_alerts_limited counter\n\
             alertmanager_alerts_limited_total{alertname=\"Disk\\\"Full\"} 1\n\
             alertmanager_alerts_limited_total{alertname=\"Down\"} 2\n"
        ));
        assert!(!out.contains("alertmanager_alerts_limited_total 3"));
    }
}
