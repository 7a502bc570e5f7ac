//! `msteamsv2_configs`: Microsoft Teams via Power Automate flows (Adaptive
//! Cards).

use serde::{Deserialize, Serialize};

use super::{Notifier, exactly_one, is_zero, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{SecretUrl, null_default};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MsTeamsV2Config {
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
    pub text: String,
}

impl Default for MsTeamsV2Config {
    fn default() -> Self {
        MsTeamsV2Config {
            send_resolved: true,
            http_config: None,
            webhook_url: None,
            webhook_url_file: String::new(),
            title: r#"{{ template "msteamsv2.default.title" . }}"#.into(),
            text: r#"{{ template "msteamsv2.default.text" . }}"#.into(),
        }
    }
}

impl Notifier for MsTeamsV2Config {
    const KIND: &'static str = "msteamsv2";

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

    /// Unlike the other integrations, a local `http_config` without
    /// `proxy_url` still takes the global proxy URL.
    fn inherit(&mut self, global: &GlobalConfig) -> Result<(), String> {
        match (&mut self.http_config, &global.http_config) {
            (None, g) => self.http_config = g.clone(),
            (Some(local), Some(g)) if local.proxy_url.is_none() => {
                local.proxy_url = g.proxy_url.clone();
            }
            _ => {}
        }
        if self.webhook_url.is_none() && self.webhook_url_file.is_empty() {
            return Err("no msteamsv2 webhook URL or URLFile provided".into());
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
    use crate::config::notifiers::testing::{load, load_err, resolved_with};

    const URL: &str = "webhook_url: https://example.webhook.office.com/webhookb2/test";

    #[test]
    fn minimal_config_and_defaults() {
        let c: MsTeamsV2Config = resolved_with(URL, "{}").unwrap();
        assert!(c.send_resolved);
        assert_eq!(c.title, r#"{{ template "msteamsv2.default.title" . }}"#);
        assert_eq!(c.text, r#"{{ template "msteamsv2.default.text" . }}"#);
        let c: MsTeamsV2Config = load("webhook_url_file: /f\ntitle: t\ntext: x");
        assert_eq!(c.text, "x");
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
            assert_eq!(load_err::<MsTeamsV2Config>(yaml), want, "{yaml}");
        }
    }

    #[test]
    fn global_proxy_is_inherited() {
        let g = "http_config: {proxy_url: 'http://proxy.example.com:3128'}";
        let proxy = |c: &MsTeamsV2Config| {
            c.http_config
                .as_ref()
                .unwrap()
                .proxy_url
                .as_ref()
                .map(|p| p.as_str().to_string())
        };
        let c: MsTeamsV2Config = resolved_with(URL, g).unwrap();
        assert_eq!(proxy(&c).as_deref(), Some("http://proxy.example.com:3128"));
        let c: MsTeamsV2Config = resolved_with(
            &format!("{URL}\nhttp_config: {{follow_redirects: true}}"),
            g,
        )
        .unwrap();
        assert_eq!(proxy(&c).as_deref(), Some("http://proxy.example.com:3128"));
        let c: MsTeamsV2Config = resolved_with(
            &format!("{URL}\nhttp_config: {{proxy_url: 'http://local:1'}}"),
            g,
        )
        .unwrap();
        assert_eq!(proxy(&c).as_deref(), Some("http://local:1"));
    }
}
