//! `webex_configs`: Cisco Webex room messages (bot token in
//! `http_config.authorization`).

use serde::{Deserialize, Serialize};

use super::{Notifier, inherit_http, is_zero, or_global, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Url, null_default};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebexConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    /// Unset until inherited from `webex_api_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub message: String,
    #[serde(deserialize_with = "null_default")]
    pub room_id: String,
}

impl Default for WebexConfig {
    fn default() -> Self {
        WebexConfig {
            send_resolved: true,
            http_config: None,
            api_url: None,
            message: r#"{{ template "webex.default.message" . }}"#.into(),
            room_id: String::new(),
        }
    }
}

impl Notifier for WebexConfig {
    const KIND: &'static str = "webex";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        if self.room_id.is_empty() {
            return Err("missing room_id on webex_config".into());
        }
        if self
            .http_config
            .as_ref()
            .is_none_or(|h| h.authorization.is_none())
        {
            return Err("missing webex_configs.http_config.authorization".into());
        }
        Ok(())
    }

    fn inherit(&mut self, global: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, global);
        or_global(&mut self.api_url, &global.webex_api_url);
        if self.api_url.is_none() {
            return Err("no global Webex URL set".into());
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
    use crate::config::notifiers::testing::{load_err, resolved, resolved_with};

    const MINIMAL: &str = "room_id: 2\nhttp_config: {authorization: {credentials: xxxyyyzz}}";

    #[test]
    fn minimal_config_and_defaults() {
        let c: WebexConfig = resolved(MINIMAL);
        assert!(c.send_resolved);
        assert_eq!(c.room_id, "2");
        assert_eq!(c.message, r#"{{ template "webex.default.message" . }}"#);
        assert_eq!(
            c.api_url.as_ref().unwrap().as_str(),
            "https://webexapis.com/v1/messages"
        );
        let auth = c.http_config.unwrap().authorization.unwrap();
        assert_eq!(auth.kind, "Bearer");
        let c: WebexConfig = resolved(&format!(
            "{MINIMAL}\napi_url: https://wx.example.com/m\nmessage: hi"
        ));
        assert_eq!(c.api_url.unwrap().as_str(), "https://wx.example.com/m");
        assert_eq!(c.message, "hi");
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            ("message: xyz123", "missing room_id on webex_config"),
            (
                "room_id: r",
                "missing webex_configs.http_config.authorization",
            ),
            (
                "room_id: r\nhttp_config: {basic_auth: {username: u}}",
                "missing webex_configs.http_config.authorization",
            ),
        ] {
            assert_eq!(load_err::<WebexConfig>(yaml), want, "{yaml}");
        }
        assert_eq!(
            resolved_with::<WebexConfig>(MINIMAL, "webex_api_url: ~").unwrap_err(),
            "no global Webex URL set"
        );
    }
}
