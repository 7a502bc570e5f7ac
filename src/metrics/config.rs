//! Configuration metrics: reload outcome, config hash, and the counts of
//! receivers, integrations and inhibition rules in the loaded configuration.

use std::sync::atomic::AtomicU64;

use md5::{Digest, Md5};
use prometheus_client::metrics::gauge::Gauge;

use super::registry::MetricRegistry;

/// Handles for the configuration metrics.
#[derive(Debug, Clone)]
pub struct ConfigMetrics {
    /// `alertmanager_config_hash`: see [`config_hash`].
    pub hash: Gauge<f64, AtomicU64>,
    /// `alertmanager_config_last_reload_successful`: 1 or 0.
    pub last_reload_successful: Gauge,
    /// `alertmanager_config_last_reload_success_timestamp_seconds`.
    pub last_reload_success_timestamp_seconds: Gauge<f64, AtomicU64>,
    /// `alertmanager_receivers`: receivers referenced by the routing tree.
    pub receivers: Gauge,
    /// `alertmanager_integrations`: integrations of those receivers.
    pub integrations: Gauge,
    /// `alertmanager_inhibition_rules`.
    pub inhibition_rules: Gauge,
}

impl ConfigMetrics {
    /// Registers the family with `reg`.
    pub fn register(reg: &MetricRegistry) -> ConfigMetrics {
        ConfigMetrics {
            hash: reg.register(
                "alertmanager_config_hash",
                "Hash of the currently loaded alertmanager configuration. Note that this is not a cryptographically strong hash.",
                Gauge::default(),
            ),
            last_reload_successful: reg.register(
                "alertmanager_config_last_reload_successful",
                "Whether the last configuration reload attempt was successful.",
                Gauge::default(),
            ),
            last_reload_success_timestamp_seconds: reg.register(
                "alertmanager_config_last_reload_success_timestamp_seconds",
                "Timestamp of the last successful configuration reload.",
                Gauge::default(),
            ),
            receivers: reg.register(
                "alertmanager_receivers",
                "Number of configured receivers.",
                Gauge::default(),
            ),
            integrations: reg.register(
                "alertmanager_integrations",
                "Number of configured integrations.",
                Gauge::default(),
            ),
            inhibition_rules: reg.register(
                "alertmanager_inhibition_rules",
                "Number of configured inhibition rules.",
                Gauge::default(),
            ),
        }
    }

    /// Records a successful load or reload of `raw` (the configuration file's
    /// text, exactly as read) at `now_unix_seconds`.
    pub fn reload_succeeded(&self, raw: &[u8], now_unix_seconds: f64) {
        self.last_reload_successful.set(1);
        self.last_reload_success_timestamp_seconds
            .set(now_unix_seconds);
        self.hash.set(config_hash(raw));
    }

    /// Records a failed reload; the hash and timestamp keep their values.
    pub fn reload_failed(&self) {
        self.last_reload_successful.set(0);
    }

    /// Sets the counts derived from the active configuration.
    pub fn set_counts(&self, receivers: usize, integrations: usize, inhibition_rules: usize) {
        self.receivers.set(receivers as i64);
        self.integrations.set(integrations as i64);
        self.inhibition_rules.set(inhibition_rules as i64);
    }
}

/// Alertmanager's `alertmanager_config_hash` value: the MD5 of the raw
/// configuration text, first 6 bytes read as a little-endian integer (48 bits
/// fit a float exactly).
pub fn config_hash(raw: &[u8]) -> f64 {
    let digest = Md5::digest(raw);
    let mut bytes = [0u8; 8];
    bytes[..6].copy_from_slice(&digest[..6]);
    u64::from_le_bytes(bytes) as f64
}

/// Seconds since the Unix epoch, with sub-second precision, for
/// [`ConfigMetrics::reload_succeeded`].
pub fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed independently: Python's hashlib.md5, first six
    // digest bytes read little-endian.
    #[test]
    fn hash_of_known_inputs() {
        assert_eq!(config_hash(b""), 617_830_161_876.0);
        assert_eq!(
            config_hash(b"route:\n  receiver: default\nreceivers:\n- name: default\n"),
            126_364_620_656_358.0
        );
    }

    #[test]
    fn reload_outcomes() {
        let reg = MetricRegistry::new();
        let m = ConfigMetrics::register(&reg);
        m.reload_succeeded(b"", 1_700_000_000.5);
        m.set_counts(2, 3, 1);
        let out = reg.encode();
        assert!(out.contains(
            "# HELP alertmanager_config_hash Hash of the currently loaded alertmanager configuration. Note that this is not a cryptographically strong hash.\n\
             # TYPE alertmanager_config_hash gauge\n\
             alertmanager_config_hash 617830161876.0\n"
        ));
        assert!(out.contains("alertmanager_config_last_reload_successful 1\n"));
        assert!(out.contains(
            "# HELP alertmanager_config_last_reload_success_timestamp_seconds Timestamp of the last successful configuration reload.\n\
             # TYPE alertmanager_config_last_reload_success_timestamp_seconds gauge\n\
             alertmanager_config_last_reload_success_timestamp_seconds 1700000000.5\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_receivers Number of configured receivers.\n\
             # TYPE alertmanager_receivers gauge\n\
             alertmanager_receivers 2\n"
        ));
        assert!(out.contains("alertmanager_integrations 3\n"));
        assert!(out.contains(
            "# HELP alertmanager_inhibition_rules Number of configured inhibition rules.\n\
             # TYPE alertmanager_inhibition_rules gauge\n\
             alertmanager_inhibition_rules 1\n"
        ));
        m.reload_failed();
        let out = reg.encode();
        assert!(out.contains("alertmanager_config_last_reload_successful 0\n"));
        assert!(out.contains("alertmanager_config_hash 617830161876.0\n"));
    }

    #[test]
    fn now_is_recent() {
        assert!(unix_now() > 1_700_000_000.0);
    }
}
