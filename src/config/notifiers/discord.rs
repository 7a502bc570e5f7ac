//! `discord_configs`: Discord webhook messages.

use serde::{Deserialize, Serialize};

use super::{Notifier, exactly_one, inherit_http, is_zero, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{SecretUrl, null_default};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscordConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<SecretUrl>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub webhook_url_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub content: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub message: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub username: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub avatar_url: String,
}

impl Default for DiscordConfig {
    fn default() -> Self {
        DiscordConfig {
            send_resolved: true,
            http_config: None,
            webhook_url: None,
            webhook_url_file: String::new(),
            content: String::new(),
            title: r#"{{ template "discord.default.title" . }}"#.into(),
            message: r#"{{ template "discord.default.message" . }}"#.into(),
            username: String::new(),
            avatar_url: String::new(),
        }
    }
}

impl Notifier for DiscordConfig {
    const KIND: &'static str = "discord";

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
            return Err("no discord webhook URL or URLFile provided".into());
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
        let c: DiscordConfig = resolved("webhook_url: https://discord.com/api/webhooks/1/abc");
        assert!(c.send_resolved);
        assert_eq!(c.title, r#"{{ template "discord.default.title" . }}"#);
        assert_eq!(c.message, r#"{{ template "discord.default.message" . }}"#);
        assert_eq!(c.http_config, Some(HttpClientConfig::default()));
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(
            !y.contains("abc") && y.contains("webhook_url: <secret>"),
            "{y}"
        );
    }

    #[test]
    fn every_field() {
        let c: DiscordConfig = load(
            "webhook_url_file: /f\ncontent: c\ntitle: t\nmessage: m\nusername: u\navatar_url: a",
        );
        assert_eq!(
            (
                c.content.as_str(),
                c.username.as_str(),
                c.avatar_url.as_str()
            ),
            ("c", "u", "a")
        );
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            (
                "title: t",
                "one of webhook_url or webhook_url_file must be configured",
            ),
            (
                "webhook_url: http://d/\nwebhook_url_file: /f",
                "at most one of webhook_url & webhook_url_file must be configured",
            ),
        ] {
            assert_eq!(load_err::<DiscordConfig>(yaml), want, "{yaml}");
        }
    }
}
