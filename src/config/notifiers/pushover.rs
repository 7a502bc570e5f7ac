//! `pushover_configs`: Pushover push notifications.

use serde::{Deserialize, Serialize};

use super::{
    GoDuration, Notifier, exactly_one, go_duration_text, inherit_http, is_zero, validate_http,
};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Secret, null_default};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushoverConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub user_key: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub user_key_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub token: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub token_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub message: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub url: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub url_title: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub device: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub sound: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub priority: String,
    /// Emergency-priority retry interval, in Go duration syntax.
    #[serde(deserialize_with = "go_duration_text", skip_serializing_if = "is_zero")]
    pub retry: GoDuration,
    /// Emergency-priority expiry, in Go duration syntax.
    #[serde(deserialize_with = "go_duration_text", skip_serializing_if = "is_zero")]
    pub expire: GoDuration,
    /// Message time to live, in Go duration syntax (0 = unset).
    #[serde(deserialize_with = "go_duration_text", skip_serializing_if = "is_zero")]
    pub ttl: GoDuration,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub html: bool,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub monospace: bool,
}

impl Default for PushoverConfig {
    fn default() -> Self {
        PushoverConfig {
            send_resolved: true,
            http_config: None,
            user_key: Secret::default(),
            user_key_file: String::new(),
            token: Secret::default(),
            token_file: String::new(),
            title: r#"{{ template "pushover.default.title" . }}"#.into(),
            message: r#"{{ template "pushover.default.message" . }}"#.into(),
            url: r#"{{ template "pushover.default.url" . }}"#.into(),
            url_title: String::new(),
            device: String::new(),
            sound: String::new(),
            priority: r#"{{ if eq .Status "firing" }}2{{ else }}0{{ end }}"#.into(),
            retry: GoDuration::from_secs(60),
            expire: GoDuration::from_secs(3600),
            ttl: GoDuration::default(),
            html: false,
            monospace: false,
        }
    }
}

impl Notifier for PushoverConfig {
    const KIND: &'static str = "pushover";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        exactly_one(
            ("user_key", !self.user_key.is_empty()),
            ("user_key_file", !self.user_key_file.is_empty()),
        )?;
        exactly_one(
            ("token", !self.token.is_empty()),
            ("token_file", !self.token_file.is_empty()),
        )?;
        if self.html && self.monospace {
            return Err("at most one of monospace & html must be configured".into());
        }
        Ok(())
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
    use crate::config::notifiers::testing::{load, load_err, parse_err, resolved};

    #[test]
    fn minimal_config_and_defaults() {
        let c: PushoverConfig = resolved("user_key: u\ntoken: t");
        assert!(c.send_resolved);
        assert_eq!(c.title, r#"{{ template "pushover.default.title" . }}"#);
        assert_eq!(c.message, r#"{{ template "pushover.default.message" . }}"#);
        assert_eq!(c.url, r#"{{ template "pushover.default.url" . }}"#);
        assert_eq!(
            c.priority,
            r#"{{ if eq .Status "firing" }}2{{ else }}0{{ end }}"#
        );
        assert_eq!(c.retry, GoDuration::from_secs(60));
        assert_eq!(c.expire, GoDuration::from_secs(3600));
        assert_eq!(c.ttl, GoDuration::default());
        assert!(!c.html && !c.monospace);
        assert_eq!(c.http_config, Some(HttpClientConfig::default()));
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["retry"], "1m0s");
        assert_eq!(v["expire"], "1h0m0s");
        assert!(v.get("ttl").is_none());
    }

    #[test]
    fn every_field() {
        let c: PushoverConfig = load(
            "user_key_file: /u\ntoken_file: /t\ntitle: ti\nmessage: m\nurl: u\nurl_title: ut\n\
             device: d\nsound: s\npriority: '1'\nretry: 30s\nexpire: 1.5h\nttl: 90m\nmonospace: true",
        );
        assert_eq!(c.retry, GoDuration::from_secs(30));
        assert_eq!(c.expire, GoDuration::from_secs(5400));
        assert_eq!(c.ttl.to_string(), "1h30m0s");
        assert!(c.monospace);
        assert_eq!(c.device, "d");
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            (
                "user_key: ''",
                "one of user_key or user_key_file must be configured",
            ),
            (
                "user_key: 'user key'\nuser_key_file: /pushover/user_key",
                "at most one of user_key & user_key_file must be configured",
            ),
            (
                "user_key: k\ntoken: ''",
                "one of token or token_file must be configured",
            ),
            (
                "token: t\ntoken_file: /pushover/token\nuser_key: u",
                "at most one of token & token_file must be configured",
            ),
            (
                "token: t\nuser_key: u\nhtml: true\nmonospace: true",
                "at most one of monospace & html must be configured",
            ),
        ] {
            assert_eq!(load_err::<PushoverConfig>(yaml), want, "{yaml}");
        }
        for (yaml, want) in [
            ("retry: 30", "time: missing unit in duration \"30\""),
            ("expire: 1d", "time: unknown unit \"d\" in duration \"1d\""),
            ("ttl: soon", "time: invalid duration \"soon\""),
        ] {
            let e = parse_err::<PushoverConfig>(yaml);
            assert!(e.contains(want), "{yaml}: {e}");
        }
    }

    #[test]
    fn keys_are_masked() {
        let c: PushoverConfig = resolved("user_key: us3r\ntoken: t0ken");
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(!y.contains("us3r") && !y.contains("t0ken"), "{y}");
    }
}
