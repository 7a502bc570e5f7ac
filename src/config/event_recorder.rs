//! The `event_recorder:` section (Alertmanager ≥ 0.33): where alert lifecycle
//! events are written (files, webhooks, Kafka, stdout).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::http::{HttpClientConfig, TlsConfig};
use super::types::{Duration, SecretUrl, null_default};

/// All event outputs.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventRecorderConfig {
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub file_outputs: Vec<FileOutput>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub webhook_outputs: Vec<WebhookOutput>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub kafka_outputs: Vec<KafkaOutput>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub stdout_outputs: Vec<StdoutOutput>,
}

/// Events appended to a file, one JSON object a line.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileOutput {
    #[serde(default)]
    pub path: String,
}

/// Events posted to an HTTP endpoint.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookOutput {
    #[serde(default)]
    pub url: Option<SecretUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(default, skip_serializing_if = "Duration::is_zero")]
    pub timeout: Duration,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub workers: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_retries: i64,
    #[serde(default, skip_serializing_if = "Duration::is_zero")]
    pub retry_backoff: Duration,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub batch: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub batch_max_events: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub batch_max_bytes: i64,
    #[serde(default, skip_serializing_if = "Duration::is_zero")]
    pub batch_flush_interval: Duration,
}

/// Events produced to a Kafka topic.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaOutput {
    #[serde(default, deserialize_with = "null_default")]
    pub brokers: Vec<String>,
    #[serde(default)]
    pub topic: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub format: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub acks: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub compression: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub buffer_size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
}

/// Events written to standard output.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StdoutOutput {}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl EventRecorderConfig {
    pub fn is_empty(&self) -> bool {
        self.file_outputs.is_empty()
            && self.webhook_outputs.is_empty()
            && self.kafka_outputs.is_empty()
            && self.stdout_outputs.is_empty()
    }

    /// Alertmanager's checks for each output.
    pub fn validate(&mut self) -> Result<(), ConfigError> {
        let err = |s: &str| Err(ConfigError(s.to_string()));
        for f in &self.file_outputs {
            if f.path.is_empty() {
                return err("event_recorder file output requires a path");
            }
        }
        for w in &self.webhook_outputs {
            if w.url.is_none() {
                return err("event_recorder webhook output requires a url");
            }
            if w.batch_max_events < 0 || w.batch_max_bytes < 0 {
                return err("event_recorder webhook batch settings cannot be negative");
            }
            if !w.batch
                && (w.batch_max_events != 0
                    || w.batch_max_bytes != 0
                    || !w.batch_flush_interval.is_zero())
            {
                return err("event_recorder webhook batch settings require batch: true");
            }
        }
        for k in &mut self.kafka_outputs {
            if k.brokers.is_empty() {
                return err("event_recorder kafka: at least one broker is required");
            }
            if k.brokers.iter().any(|b| b.trim().is_empty()) {
                return err("event_recorder kafka: broker entries must be non-empty");
            }
            if !matches!(k.acks.as_str(), "" | "none" | "leader" | "all") {
                return Err(ConfigError(format!(
                    "event_recorder kafka: unknown acks \"{}\", must be \"none\", \"leader\", or \"all\"",
                    k.acks
                )));
            }
            if !matches!(
                k.compression.as_str(),
                "" | "none" | "gzip" | "snappy" | "lz4" | "zstd"
            ) {
                return Err(ConfigError(format!(
                    "event_recorder kafka: unknown compression \"{}\"",
                    k.compression
                )));
            }
            if k.topic.is_empty() {
                return err("event_recorder kafka output requires a topic");
            }
            if k.format.is_empty() {
                k.format = "json".to_string();
            }
            if k.format != "json" && k.format != "protobuf" {
                return Err(ConfigError(format!(
                    "event_recorder kafka: unknown format \"{}\", must be \"json\" or \"protobuf\"",
                    k.format
                )));
            }
        }
        Ok(())
    }

    pub fn resolve_paths(&mut self, dir: &Path) {
        for f in &mut self.file_outputs {
            f.path = super::join_path(dir, &f.path);
        }
        for w in &mut self.webhook_outputs {
            if let Some(h) = &mut w.http_config {
                h.resolve_paths(dir);
            }
        }
        for k in &mut self.kafka_outputs {
            if let Some(t) = &mut k.tls_config {
                t.resolve_paths(dir);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(y: &str) -> Result<EventRecorderConfig, String> {
        let mut c: EventRecorderConfig = serde_saphyr::from_str(y).map_err(|e| e.to_string())?;
        c.validate().map_err(|e| e.0)?;
        Ok(c)
    }

    #[test]
    fn outputs_are_checked() {
        assert!(check("file_outputs: [{path: /tmp/e.jsonl}]\nstdout_outputs: [{}]").is_ok());
        assert_eq!(
            check("file_outputs: [{}]").unwrap_err(),
            "event_recorder file output requires a path"
        );
        assert_eq!(
            check("webhook_outputs: [{}]").unwrap_err(),
            "event_recorder webhook output requires a url"
        );
        assert_eq!(
            check("webhook_outputs: [{url: 'http://x/', batch_max_events: 5}]").unwrap_err(),
            "event_recorder webhook batch settings require batch: true"
        );
        assert_eq!(
            check("kafka_outputs: [{brokers: [a:9092]}]").unwrap_err(),
            "event_recorder kafka output requires a topic"
        );
        let c = check("kafka_outputs: [{brokers: [a:9092], topic: t}]").unwrap();
        assert_eq!(c.kafka_outputs[0].format, "json");
        assert!(check("kafka_outputs: [{brokers: [a:9092], topic: t, acks: some}]").is_err());
    }
}
