//! The registry every metric is registered with, and the two collector kinds
//! `prometheus-client` lacks: families read from a callback at scrape time
//! ([`GaugeFn`]) and quantile-free summaries ([`Summary`]).
//!
//! Metrics are registered under their Go name, `_total` included, with Go's
//! HELP text verbatim. The crate's own `Registry::register` appends a full
//! stop to every HELP string and wants counter names without `_total`; going
//! through [`MetricRegistry::register`] avoids both surprises, so HELP lines
//! match Alertmanager's byte for byte (some Go HELP strings end in a period,
//! some do not).

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use super::summary::Summary;

/// Label set for metrics whose labels are fixed when they are registered
/// (Go's `ConstLabels`) or chosen from a closed list.
pub type StaticLabels = Vec<(&'static str, &'static str)>;

/// Holds every registered metric and renders them for a scrape.
///
/// Registration takes `&self`, so components built after startup can add
/// their metrics through a shared `Arc<Metrics>`. Register each metric once
/// (at construction of its owner) and keep the returned handle: registering a
/// name twice yields two families of that name in the output.
#[derive(Debug, Default)]
pub struct MetricRegistry {
    registry: RwLock<Registry>,
    summaries: RwLock<Vec<(String, String, Summary)>>,
}

impl MetricRegistry {
    /// An empty registry.
    pub fn new() -> MetricRegistry {
        MetricRegistry::default()
    }

    /// Registers `metric` under its Go `name` with Go's `help` text and
    /// returns a handle to it (metric handles are cheap clones sharing
    /// state). Counter names must end in `_total`, as in Go; the suffix is
    /// moved to the samples as OpenMetrics requires.
    pub fn register<M>(&self, name: &str, help: &str, metric: M) -> M
    where
        M: EncodeMetric + Clone + fmt::Debug + Send + Sync + 'static,
    {
        let family = family_name(name, metric.metric_type());
        self.write().register_collector(Box::new(Described {
            name: family,
            help: escape_help(help),
            metric: metric.clone(),
        }));
        metric
    }

    /// Registers a metric whose labels are all constant, e.g.
    /// `alertmanager_http_requests_in_flight{method="get"}`, and returns the
    /// one child. The sample is present (at zero) from the start.
    pub fn register_with_labels<M>(
        &self,
        name: &str,
        help: &str,
        labels: &[(&'static str, &'static str)],
    ) -> M
    where
        M: EncodeMetric + prometheus_client::metrics::TypedMetric,
        M: Default + Clone + fmt::Debug + Send + Sync + 'static,
    {
        let family = self.register(name, help, Family::<StaticLabels, M>::default());
        family.get_or_create_owned(&labels.to_vec())
    }

    /// Registers a family whose samples are computed by a callback at scrape
    /// time, e.g. `alertmanager_silences{state}`. Nothing is exposed until a
    /// source is installed with [`GaugeFn::set_source`].
    pub fn register_gauge_fn(&self, name: &str, help: &str, label: &'static str) -> GaugeFn {
        let gauge = GaugeFn {
            inner: Arc::new(GaugeFnInner {
                name: name.to_string(),
                help: escape_help(help),
                label,
                source: RwLock::new(None),
            }),
        };
        self.register_collector(gauge.clone());
        gauge
    }

    /// Registers a summary without quantiles (Go `SummaryOpts` with empty
    /// `Objectives`): exposed as `# TYPE <name> summary` with `_sum` and
    /// `_count` samples only.
    pub fn register_summary(&self, name: &str, help: &str) -> Summary {
        let summary = Summary::default();
        self.summaries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push((name.to_string(), escape_help(help), summary.clone()));
        summary
    }

    /// Registers a custom collector, called on every scrape.
    pub fn register_collector(&self, collector: impl Collector) {
        self.write().register_collector(Box::new(collector));
    }

    /// Renders everything in the OpenMetrics text format, ending in `# EOF`.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        {
            let registry = self.registry.read().unwrap_or_else(|e| e.into_inner());
            // Writing into a String cannot fail; a collector error would leave
            // a partial family, which the EOF handling below tolerates.
            let _ = prometheus_client::encoding::text::encode_registry(&mut out, &registry);
        }
        let summaries = self.summaries.read().unwrap_or_else(|e| e.into_inner());
        for (name, help, summary) in summaries.iter() {
            summary.encode_family(&mut out, name, help);
        }
        out.push_str("# EOF\n");
        out
    }

    fn write(&self) -> RwLockWriteGuard<'_, Registry> {
        self.registry.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The OpenMetrics family name: counters lose their `_total`, which the
/// encoder adds back to the sample.
fn family_name(name: &str, metric_type: MetricType) -> String {
    match metric_type {
        MetricType::Counter => {
            debug_assert!(name.ends_with("_total"), "counter {name} lacks _total");
            name.strip_suffix("_total").unwrap_or(name).to_string()
        }
        _ => name.to_string(),
    }
}

/// Escapes a HELP text as the exposition formats require.
pub(crate) fn escape_help(help: &str) -> String {
    let mut out = String::with_capacity(help.len());
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// A metric plus its descriptor, encoded with the HELP text as given.
#[derive(Debug)]
struct Described<M> {
    name: String,
    help: String,
    metric: M,
}

impl<M> Collector for Described<M>
where
    M: EncodeMetric + fmt::Debug + Send + Sync + 'static,
{
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        if self.metric.is_empty() {
            return Ok(());
        }
        let metric_encoder =
            encoder.encode_descriptor(&self.name, &self.help, None, self.metric.metric_type())?;
        self.metric.encode(metric_encoder)
    }
}

/// A metric that is absent from the output until first used, like a Go
/// metric vector without labels before its one child is created.
#[derive(Debug, Clone, Default)]
pub struct Lazy<M> {
    metric: M,
    used: Arc<std::sync::atomic::AtomicBool>,
}

impl<M> Lazy<M> {
    /// The metric, which from now on is exposed.
    pub fn get(&self) -> &M {
        self.used.store(true, std::sync::atomic::Ordering::Relaxed);
        &self.metric
    }
}

impl<M: EncodeMetric> EncodeMetric for Lazy<M> {
    fn encode(&self, encoder: prometheus_client::encoding::MetricEncoder) -> fmt::Result {
        self.metric.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        self.metric.metric_type()
    }

    fn is_empty(&self) -> bool {
        !self.used.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The callback behind a [`GaugeFn`]: returns `(label value, sample)` pairs.
pub type GaugeSource = Box<dyn Fn() -> Vec<(Cow<'static, str>, f64)> + Send + Sync>;

/// A gauge family with one label whose samples come from a callback run at
/// scrape time (Go's `GaugeFunc`s and hand-written collectors). Cloning
/// shares the source slot.
#[derive(Clone)]
pub struct GaugeFn {
    inner: Arc<GaugeFnInner>,
}

struct GaugeFnInner {
    name: String,
    help: String,
    label: &'static str,
    source: RwLock<Option<GaugeSource>>,
}

impl GaugeFn {
    /// Installs (or replaces) the callback. It runs on every scrape, so it
    /// must be quick and must not call back into the registry.
    pub fn set_source(&self, source: GaugeSource) {
        *self.inner.source.write().unwrap_or_else(|e| e.into_inner()) = Some(source);
    }

    /// Removes the callback; the family disappears from the output.
    pub fn clear_source(&self) {
        *self.inner.source.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn source(&self) -> RwLockReadGuard<'_, Option<GaugeSource>> {
        self.inner.source.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for GaugeFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GaugeFn")
            .field("name", &self.inner.name)
            .field("label", &self.inner.label)
            .finish_non_exhaustive()
    }
}

impl Collector for GaugeFn {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let samples = match self.source().as_ref() {
            Some(source) => source(),
            None => return Ok(()),
        };
        let mut metric_encoder = encoder.encode_descriptor(
            &self.inner.name,
            &self.inner.help,
            None,
            MetricType::Gauge,
        )?;
        for (value, sample) in samples {
            let labels = [(self.inner.label, value.as_ref())];
            let child = metric_encoder.encode_family(&labels)?;
            ConstGauge::new(sample).encode(child)?;
        }
        Ok(())
    }
}

/// Writes one sample line of a family the crate cannot encode itself.
pub(crate) fn write_sample(out: &mut String, name: &str, suffix: &str, value: &str) {
    let _ = writeln!(out, "{name}{suffix} {value}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::gauge::Gauge;

    #[test]
    fn help_is_verbatim_and_counter_suffix_moves_to_the_sample() {
        let reg = MetricRegistry::new();
        let c: Counter = reg.register("x_events_total", "Events seen", Counter::default());
        c.inc_by(3);
        let g: Gauge = reg.register("x_level", "Level.", Gauge::default());
        g.set(-2);
        assert_eq!(
            reg.encode(),
            "# HELP x_events Events seen\n\
             # TYPE x_events counter\n\
             x_events_total 3\n\
             # HELP x_level Level.\n\
             # TYPE x_level gauge\n\
             x_level -2\n\
             # EOF\n"
        );
    }

    #[test]
    fn const_labels_child_is_present_from_the_start() {
        let reg = MetricRegistry::new();
        let g: Gauge = reg.register_with_labels("x_in_flight", "In flight.", &[("method", "get")]);
        g.inc();
        let out = reg.encode();
        assert!(out.contains("# TYPE x_in_flight gauge\nx_in_flight{method=\"get\"} 1\n"));
    }

    #[test]
    fn empty_family_is_omitted() {
        let reg = MetricRegistry::new();
        let _f: Family<StaticLabels, Counter> =
            reg.register("x_total", "Nothing yet.", Family::default());
        assert_eq!(reg.encode(), "# EOF\n");
    }

    #[test]
    fn gauge_fn_reads_the_source_at_scrape_time() {
        let reg = MetricRegistry::new();
        let g = reg.register_gauge_fn("x_by_state", "How many by state.", "state");
        assert_eq!(reg.encode(), "# EOF\n");
        let n = Arc::new(std::sync::atomic::AtomicU64::new(1));
        let n2 = n.clone();
        g.set_source(Box::new(move || {
            vec![
                (
                    "a".into(),
                    n2.load(std::sync::atomic::Ordering::Relaxed) as f64,
                ),
                ("b".into(), 0.5),
            ]
        }));
        n.store(7, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(
            reg.encode(),
            "# HELP x_by_state How many by state.\n\
             # TYPE x_by_state gauge\n\
             x_by_state{state=\"a\"} 7.0\n\
             x_by_state{state=\"b\"} 0.5\n\
             # EOF\n"
        );
        g.clear_source();
        assert_eq!(reg.encode(), "# EOF\n");
    }

    #[test]
    fn lazy_metric_appears_on_first_use() {
        let reg = MetricRegistry::new();
        let c: Lazy<Counter> = reg.register("x_total", "Later.", Lazy::default());
        assert_eq!(reg.encode(), "# EOF\n");
        c.get().inc();
        assert_eq!(
            reg.encode(),
            "# HELP x Later.\n# TYPE x counter\nx_total 1\n# EOF\n"
        );
    }

    #[test]
    fn help_is_escaped() {
        assert_eq!(escape_help("a\\b\nc\"d"), "a\\\\b\\nc\\\"d");
    }
}
