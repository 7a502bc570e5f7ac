//! `webhook_configs`: POST the alert group as JSON (or a templated payload)
//! to a URL.

use serde::{Deserialize, Serialize};

use super::{
    GoDuration, Notifier, SecretTemplateUrl, exactly_one, inherit_http, is_zero, validate_http,
};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::null_default;

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    /// Target URL; may be a template (rendered per notification).
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub url: SecretTemplateUrl,
    /// File holding the URL (trimmed when read).
    #[serde(deserialize_with = "null_default")]
    pub url_file: String,
    /// Maximum alerts per message, 0 for no limit.
    #[serde(deserialize_with = "null_default")]
    pub max_alerts: u64,
    /// Request timeout, 0 for none.
    #[serde(deserialize_with = "null_default")]
    pub timeout: GoDuration,
    /// A custom body: any YAML, its strings rendered as templates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            send_resolved: true,
            http_config: None,
            url: SecretTemplateUrl::default(),
            url_file: String::new(),
            max_alerts: 0,
            timeout: GoDuration::default(),
            payload: None,
        }
    }
}

impl Notifier for WebhookConfig {
    const KIND: &'static str = "webhook";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        self.url.validate()?;
        exactly_one(
            ("url", !self.url.is_empty()),
            ("url_file", !self.url_file.is_empty()),
        )
    }

    fn inherit(&mut self, global: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, global);
        Ok(())
    }

    fn http_config_slot(&mut self) -> Option<&mut Option<HttpClientConfig>> {
        Some(&mut self.http_config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::notifiers::testing::{load, load_err, resolved};

    #[test]
    fn minimal_config_and_defaults() {
        let c: WebhookConfig = resolved("url: http://example.com/hook");
        assert!(c.send_resolved);
        assert_eq!(c.url.expose(), "http://example.com/hook");
        assert_eq!(c.max_alerts, 0);
        assert_eq!(c.timeout, GoDuration::default());
        assert_eq!(c.http_config, Some(HttpClientConfig::default()));
        assert_eq!(c.payload, None);
    }

    #[test]
    fn every_field() {
        let c: WebhookConfig = load(
            "send_resolved: false\nhttp_config: {follow_redirects: false}\nurl_file: /u\n\
             max_alerts: 5\ntimeout: 10s\npayload: {text: '{{ .Status }}', n: [1, 2]}",
        );
        assert!(!c.send_resolved);
        assert_eq!(c.url_file, "/u");
        assert_eq!(c.max_alerts, 5);
        assert_eq!(c.timeout, GoDuration::from_secs(10));
        assert_eq!(
            c.payload,
            Some(serde_json::json!({"text": "{{ .Status }}", "n": [1, 2]}))
        );
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            ("{}", "one of url or url_file must be configured"),
            (
                "url: 'http://example.com'\nurl_file: 'http://example.com'",
                "at most one of url & url_file must be configured",
            ),
            (
                "url: http://example.com\nhttp_config: {bearer_token: foo, bearer_token_file: /tmp/bar}",
                "at most one of bearer_token & bearer_token_file must be configured",
            ),
            (
                "url: 'http://example.com/{{ .Invalid'",
                "invalid template syntax: template: :1: unclosed action",
            ),
            (
                "url: ftp://example.com",
                "invalid URL: unsupported scheme \"ftp\" for URL",
            ),
        ] {
            assert_eq!(load_err::<WebhookConfig>(yaml), want, "{yaml}");
        }
    }

    #[test]
    fn templated_urls_are_accepted() {
        let c: WebhookConfig = resolved("url: 'http://x/{{ .GroupLabels.team }}'");
        assert_eq!(c.url.expose(), "http://x/{{ .GroupLabels.team }}");
    }

    #[test]
    fn password_and_url_are_masked() {
        let c: WebhookConfig = resolved(
            "url: http://example.com/s3cr3t\nhttp_config: {basic_auth: {username: foo, password: supersecret}}",
        );
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(!y.contains("supersecret") && !y.contains("s3cr3t"), "{y}");
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["url"], "<secret>");
        assert_eq!(v["url_file"], "");
        assert_eq!(v["timeout"], "0s");
        assert_eq!(v["max_alerts"], 0);
        assert_eq!(v["send_resolved"], true);
    }
}
