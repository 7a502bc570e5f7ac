//! The `tracing:` section (Alertmanager ≥ 0.30): where OpenTelemetry traces go.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::http::{Headers, TlsConfig};
use super::types::Duration;

fn default_client_type() -> String {
    "grpc".to_string()
}

/// OTLP exporter settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TracingConfig {
    #[serde(
        default = "default_client_type",
        skip_serializing_if = "String::is_empty"
    )]
    pub client_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub sampling_fraction: f64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Headers>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub compression: String,
    #[serde(default, skip_serializing_if = "Duration::is_zero")]
    pub timeout: Duration,
}

fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

impl TracingConfig {
    /// Alertmanager's checks for the section.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.client_type != "http" && self.client_type != "grpc" {
            return Err(ConfigError(format!(
                "expected tracing client type to be to be http or grpc, but got {}",
                self.client_type
            )));
        }
        if self.endpoint.is_empty() {
            return Err(ConfigError("tracing endpoint must be set".into()));
        }
        if !self.compression.is_empty() && self.compression != "gzip" {
            return Err(ConfigError(format!(
                "invalid compression type {} provided, valid options: gzip",
                self.compression
            )));
        }
        Ok(())
    }

    pub fn resolve_paths(&mut self, dir: &Path) {
        if let Some(t) = &mut self.tls_config {
            t.resolve_paths(dir);
        }
        if let Some(h) = &mut self.headers {
            h.resolve_paths(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(y: &str) -> Result<(), String> {
        let t: TracingConfig = serde_saphyr::from_str(y).map_err(|e| e.to_string())?;
        t.validate().map_err(|e| e.0)
    }

    #[test]
    fn checks() {
        assert!(parse("endpoint: localhost:4317").is_ok());
        assert_eq!(
            parse("client_type: http").unwrap_err(),
            "tracing endpoint must be set"
        );
        assert_eq!(
            parse("endpoint: x\nclient_type: udp").unwrap_err(),
            "expected tracing client type to be to be http or grpc, but got udp"
        );
        assert_eq!(
            parse("endpoint: x\ncompression: zstd").unwrap_err(),
            "invalid compression type zstd provided, valid options: gzip"
        );
        assert!(parse("endpoint: x\nbogus: 1").is_err());
    }
}
