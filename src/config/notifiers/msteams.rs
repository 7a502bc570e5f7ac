//! `msteams_configs`: Microsoft Teams incoming webhooks (MessageCard).

use serde::{Deserialize, Serialize};

use super::{Notifier, exactly_one, inherit_http, is_zero, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{SecretUrl, null_default};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MsTeamsConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<SecretUrl>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub webhook_url_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub summary: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub text: String,
}

impl Default for MsTeamsConfig {
    fn default() -> Self {
        MsTeamsConfig {
            send_resolved: true,
            http_config: None,
            webhook_url: None,
            webhook_url_file: String::new(),
            title: r#"{{ template "msteams.default.title" . }}"#.into(),
            summary: r#"{{ template "msteams.default.summary" . }}"#.into(),
            text: r#"{{ template "msteams.default.text" . }}"#.into(),
        }
    }
}

impl Notifier for MsTeamsConfig {
    const KIND: &'static str = "msteams";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        exactly_one(
            ("webhook_url", self.webhook_url.is_some()),
            ("webhook_url_file", !self.webhook_url_file.is_empty()),
        )
    }

    fn inherit(&mut self, global: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, global);
        if self.webhook_url.is_none() && self.webhook_url_file.is_empty() {
            return Err("no msteams webhook URL or URLFile provided".into());
        }
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
        let c: MsTeamsConfig = resolved("webhook_url: https://example.webhook.office.com/x");
        assert!(c.send_resolved);
        assert_eq!(c.title, r#"{{ template "msteams.default.title" . }}"#);
        assert_eq!(c.summary, r#"{{ template "msteams.default.summary" . }}"#);
        assert_eq!(c.text, r#"{{ template "msteams.default.text" . }}"#);
        assert_eq!(c.http_config, Some(HttpClientConfig::default()));
        let c: MsTeamsConfig = load("webhook_url_file: /f\ntitle: t\nsummary: s\ntext: x");
        assert_eq!((c.title.as_str(), c.summary.as_str()), ("t", "s"));
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            (
                "{}",
                "one of webhook_url or webhook_url_file must be configured",
            ),
            (
                "webhook_url: http://t/\nwebhook_url_file: /f",
                "at most one of webhook_url & webhook_url_file must be configured",
            ),
        ] {
            assert_eq!(load_err::<MsTeamsConfig>(yaml), want, "{yaml}");
        }
    }
}
