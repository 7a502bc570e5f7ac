//! `telegram_configs`: Telegram Bot API messages.

use serde::{Deserialize, Serialize};

use super::{Notifier, at_most_one, inherit_http, is_zero, or_global, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Secret, Url, null_default};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    /// Unset until inherited from `telegram_api_url`.
    pub api_url: Option<Url>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub bot_token: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub bot_token_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub chat_id: i64,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub chat_id_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub message_thread_id: i64,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub message: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub disable_notifications: bool,
    /// `Markdown`, `MarkdownV2`, `HTML` (default) or empty.
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub parse_mode: String,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        TelegramConfig {
            send_resolved: true,
            http_config: None,
            api_url: None,
            bot_token: Secret::default(),
            bot_token_file: String::new(),
            chat_id: 0,
            chat_id_file: String::new(),
            message_thread_id: 0,
            message: r#"{{ template "telegram.default.message" . }}"#.into(),
            disable_notifications: false,
            parse_mode: "HTML".into(),
        }
    }
}

impl Notifier for TelegramConfig {
    const KIND: &'static str = "telegram";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        at_most_one(
            ("bot_token", !self.bot_token.is_empty()),
            ("bot_token_file", !self.bot_token_file.is_empty()),
        )?;
        if self.chat_id == 0 && self.chat_id_file.is_empty() {
            return Err("missing chat_id or chat_id_file on telegram_config".into());
        }
        at_most_one(
            ("chat_id", self.chat_id != 0),
            ("chat_id_file", !self.chat_id_file.is_empty()),
        )?;
        if !["", "Markdown", "MarkdownV2", "HTML"].contains(&self.parse_mode.as_str()) {
            return Err("unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string".into());
        }
        Ok(())
    }

    fn inherit(&mut self, g: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, g);
        or_global(&mut self.api_url, &g.telegram_api_url);
        if self.bot_token.is_empty() && self.bot_token_file.is_empty() {
            if g.telegram_bot_token.is_empty() && g.telegram_bot_token_file.is_empty() {
                return Err("missing bot_token or bot_token_file on telegram_config".into());
            }
            self.bot_token = g.telegram_bot_token.clone();
            self.bot_token_file = g.telegram_bot_token_file.clone();
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
        let c: TelegramConfig = resolved_with("bot_token: xyz\nchat_id: 123", "{}").unwrap();
        assert!(c.send_resolved);
        assert_eq!(c.message, r#"{{ template "telegram.default.message" . }}"#);
        assert_eq!(c.parse_mode, "HTML");
        assert!(!c.disable_notifications);
        assert_eq!(c.api_url.unwrap().as_str(), "https://api.telegram.org");
        assert_eq!(c.chat_id, 123);
    }

    #[test]
    fn every_field() {
        let c: TelegramConfig = load(
            "api_url: https://tg.example.com\nbot_token_file: /file\nchat_id: -100123\n\
             message_thread_id: 456\nmessage: m\ndisable_notifications: true\nparse_mode: ''",
        );
        assert_eq!(c.chat_id, -100123);
        assert_eq!(c.message_thread_id, 456);
        assert_eq!(c.parse_mode, "");
        load::<TelegramConfig>("bot_token_file: /file\nchat_id_file: /chat_id_file");
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            (
                "bot_token: xyz\nbot_token_file: /file",
                "at most one of bot_token & bot_token_file must be configured",
            ),
            (
                "bot_token: xyz",
                "missing chat_id or chat_id_file on telegram_config",
            ),
            (
                "bot_token: xyz\nchat_id: 123\nchat_id_file: /file",
                "at most one of chat_id & chat_id_file must be configured",
            ),
            (
                "bot_token: xyz\nchat_id: 123\nparse_mode: invalid",
                "unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string",
            ),
        ] {
            assert_eq!(load_err::<TelegramConfig>(yaml), want, "{yaml}");
        }
    }

    #[test]
    fn global_bot_token() {
        let c: TelegramConfig = resolved_with("chat_id: 1", "telegram_bot_token: gt").unwrap();
        assert_eq!(c.bot_token.expose(), "gt");
        let c: TelegramConfig =
            resolved_with("chat_id: 1\nbot_token: qwe456", "telegram_bot_token: gt").unwrap();
        assert_eq!(c.bot_token.expose(), "qwe456");
        let c: TelegramConfig =
            resolved_with("chat_id: 1", "telegram_bot_token_file: /global").unwrap();
        assert_eq!(c.bot_token_file, "/global");
        let c: TelegramConfig = resolved_with(
            "chat_id: 1\nbot_token_file: /override_file",
            "telegram_bot_token_file: /global",
        )
        .unwrap();
        assert_eq!(c.bot_token_file, "/override_file");
        assert_eq!(
            resolved_with::<TelegramConfig>("chat_id: 1", "{}").unwrap_err(),
            "missing bot_token or bot_token_file on telegram_config"
        );
        // A null global URL simply stays unset.
        let c: TelegramConfig =
            resolved_with("chat_id: 1\nbot_token: t", "telegram_api_url: ~").unwrap();
        assert!(c.api_url.is_none());
    }
}
