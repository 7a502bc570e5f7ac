//! A summary without quantiles: a running sum and count of observations.
//!
//! Alertmanager's Go summaries (`*_gc_duration_seconds`,
//! `*_snapshot_duration_seconds`, the dispatcher's processing duration) have
//! no objectives, so they expose only `_sum` and `_count`. `prometheus-client`
//! has no summary type; rather than change the type to a histogram (which
//! would add a `_bucket{le="+Inf"}` series and a different `# TYPE`), the
//! registry writes these families itself, keeping Go's shape exactly.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::registry::write_sample;

/// Handle to a quantile-free summary; clones share the same state.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// `f64` bits of the sum.
    sum: AtomicU64,
    count: AtomicU64,
}

impl Summary {
    /// Records one observation.
    pub fn observe(&self, value: f64) {
        let _ = self
            .inner
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + value).to_bits())
            });
        self.inner.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a duration in seconds.
    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    /// The sum of all observations.
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.inner.sum.load(Ordering::Relaxed))
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        self.inner.count.load(Ordering::Relaxed)
    }

    /// Appends the family (`# HELP`, `# TYPE … summary`, `_sum`, `_count`).
    pub(crate) fn encode_family(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} summary");
        write_sample(out, name, "_sum", &format_float(self.sum()));
        write_sample(out, name, "_count", &self.count().to_string());
    }
}

/// Formats a sample value the way the exposition formats accept it.
pub(crate) fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v == f64::INFINITY {
        "+Inf".to_string()
    } else if v == f64::NEG_INFINITY {
        "-Inf".to_string()
    } else {
        format!("{v:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_counts() {
        let s = Summary::default();
        s.observe(0.25);
        s.clone().observe_duration(Duration::from_millis(500));
        assert_eq!(s.sum(), 0.75);
        assert_eq!(s.count(), 2);
        let mut out = String::new();
        s.encode_family(&mut out, "x_seconds", "Duration of x.");
        assert_eq!(
            out,
            "# HELP x_seconds Duration of x.\n\
             # TYPE x_seconds summary\n\
             x_seconds_sum 0.75\n\
             x_seconds_count 2\n"
        );
    }

    #[test]
    fn floats() {
        assert_eq!(format_float(0.0), "0.0");
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(format_float(f64::INFINITY), "+Inf");
        assert_eq!(format_float(1e-9), "1e-9");
    }
}
