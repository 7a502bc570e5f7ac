//! `wechat_configs`: WeChat Work application messages.

use serde::{Deserialize, Serialize};

use super::{Notifier, at_most_one, inherit_http, is_zero, or_global, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Secret, Url, go_quote, null_default};

/// The accepted `message_type` values, as Alertmanager words them.
pub const WECHAT_VALID_TYPES_RE: &str = "^(text|markdown)$";

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WechatConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub api_secret: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub api_secret_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub corp_id: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub message: String,
    /// Unset until inherited from `wechat_api_url`; ends with `/` afterwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub to_user: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub to_party: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub to_tag: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub agent_id: String,
    /// `text` (set when empty by [`Notifier::validate`]) or `markdown`.
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub message_type: String,
}

fn wechat_template(name: &str) -> String {
    format!(r#"{{{{ template "wechat.default.{name}" . }}}}"#)
}

impl Default for WechatConfig {
    fn default() -> Self {
        WechatConfig {
            send_resolved: false,
            http_config: None,
            api_secret: Secret::default(),
            api_secret_file: String::new(),
            corp_id: String::new(),
            message: wechat_template("message"),
            api_url: None,
            to_user: wechat_template("to_user"),
            to_party: wechat_template("to_party"),
            to_tag: wechat_template("to_tag"),
            agent_id: wechat_template("agent_id"),
            message_type: String::new(),
        }
    }
}

impl Notifier for WechatConfig {
    const KIND: &'static str = "wechat";
    const NULL_ENTRY_CHECKED: bool = true;

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        if self.message_type.is_empty() {
            self.message_type = "text".into();
        }
        if self.message_type != "text" && self.message_type != "markdown" {
            return Err(format!(
                "weChat message type {} does not match valid options {WECHAT_VALID_TYPES_RE}",
                go_quote(&self.message_type)
            ));
        }
        at_most_one(
            ("api_secret", !self.api_secret.is_empty()),
            ("api_secret_file", !self.api_secret_file.is_empty()),
        )
    }

    fn inherit(&mut self, g: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, g);
        or_global(&mut self.api_url, &g.wechat_api_url);
        if self.api_url.is_none() {
            return Err("no global Wechat URL set".into());
        }
        if self.api_secret.is_empty() && self.api_secret_file.is_empty() {
            if g.wechat_api_secret.is_empty() && g.wechat_api_secret_file.is_empty() {
                return Err("no global Wechat Api Secret set either inline or in a file".into());
            }
            self.api_secret = g.wechat_api_secret.clone();
            self.api_secret_file = g.wechat_api_secret_file.clone();
        }
        or_global(&mut self.corp_id, &g.wechat_api_corp_id);
        if self.corp_id.is_empty() {
            return Err("no global Wechat CorpID set".into());
        }
        if let Some(u) = &mut self.api_url {
            u.ensure_trailing_slash();
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

    #[test]
    fn minimal_config_and_defaults() {
        let c: WechatConfig = resolved_with("api_secret: s\ncorp_id: c", "{}").unwrap();
        assert!(!c.send_resolved);
        assert_eq!(c.message, r#"{{ template "wechat.default.message" . }}"#);
        assert_eq!(c.to_user, r#"{{ template "wechat.default.to_user" . }}"#);
        assert_eq!(c.to_party, r#"{{ template "wechat.default.to_party" . }}"#);
        assert_eq!(c.to_tag, r#"{{ template "wechat.default.to_tag" . }}"#);
        assert_eq!(c.agent_id, r#"{{ template "wechat.default.agent_id" . }}"#);
        assert_eq!(c.message_type, "text");
        assert_eq!(
            c.api_url.unwrap().as_str(),
            "https://qyapi.weixin.qq.com/cgi-bin/"
        );
    }

    #[test]
    fn every_field() {
        let c: WechatConfig = load(
            "api_secret_file: /s\ncorp_id: c\nmessage: m\napi_url: https://wc.example.com/api\n\
             to_user: u\nto_party: p\nto_tag: t\nagent_id: 1000002\nmessage_type: markdown",
        );
        assert_eq!(c.agent_id, "1000002");
        assert_eq!(c.message_type, "markdown");
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            (
                "message_type: TEXT",
                r#"weChat message type "TEXT" does not match valid options ^(text|markdown)$"#,
            ),
            (
                "api_secret: a\napi_secret_file: b",
                "at most one of api_secret & api_secret_file must be configured",
            ),
        ] {
            assert_eq!(load_err::<WechatConfig>(yaml), want, "{yaml}");
        }
    }

    #[test]
    fn global_inheritance() {
        let g = "wechat_api_secret_file: /global_file\nwechat_api_corp_id: corp\n\
                 wechat_api_url: https://wc.example.com/x";
        let c: WechatConfig = resolved_with("{}", g).unwrap();
        assert_eq!(c.api_secret_file, "/global_file");
        assert!(c.api_secret.is_empty());
        assert_eq!(c.corp_id, "corp");
        assert_eq!(c.api_url.unwrap().as_str(), "https://wc.example.com/x/");
        let c: WechatConfig = resolved_with("api_secret_file: /override_file", g).unwrap();
        assert_eq!(c.api_secret_file, "/override_file");
        let c: WechatConfig = resolved_with("api_secret: my_inline_secret", g).unwrap();
        assert_eq!(c.api_secret.expose(), "my_inline_secret");
        assert_eq!(c.api_secret_file, "");
        for (local, global, want) in [
            (
                "{}",
                "{}",
                "no global Wechat Api Secret set either inline or in a file",
            ),
            ("api_secret: s", "{}", "no global Wechat CorpID set"),
            (
                "api_secret: s",
                "wechat_api_url: ~",
                "no global Wechat URL set",
            ),
        ] {
            assert_eq!(
                resolved_with::<WechatConfig>(local, global).unwrap_err(),
                want
            );
        }
    }
}
