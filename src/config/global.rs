//! The `global` section: defaults that receivers inherit (SMTP, chat and
//! paging service endpoints and credentials, the default `http_config`) and
//! `resolve_timeout`.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::http::{HttpClientConfig, TlsConfig};
use crate::config::notifiers::at_most_one;
use crate::config::types::{Duration, Secret, SecretUrl, Url, go_quote, null_default};

/// Alertmanager's `GlobalConfig`. `Default` gives `DefaultGlobalConfig()`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlobalConfig {
    #[serde(deserialize_with = "null_default")]
    pub resolve_timeout: Duration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jira_api_url: Option<Url>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub smtp_from: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub smtp_hello: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "HostPort::is_empty"
    )]
    pub smtp_smarthost: HostPort,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub smtp_auth_username: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub smtp_auth_password: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub smtp_auth_password_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub smtp_auth_secret: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub smtp_auth_secret_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub smtp_auth_identity: String,
    #[serde(deserialize_with = "null_default")]
    pub smtp_require_tls: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_tls_config: Option<TlsConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_force_implicit_tls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack_api_url: Option<SecretUrl>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub slack_api_url_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub slack_app_token: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub slack_app_token_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack_app_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagerduty_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opsgenie_api_url: Option<Url>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub opsgenie_api_key: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub opsgenie_api_key_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wechat_api_url: Option<Url>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub wechat_api_secret: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub wechat_api_secret_file: String,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub wechat_api_corp_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victorops_api_url: Option<Url>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub victorops_api_key: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub victorops_api_key_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telegram_api_url: Option<Url>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Secret::is_empty"
    )]
    pub telegram_bot_token: Secret,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub telegram_bot_token_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webex_api_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rocketchat_api_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rocketchat_token: Option<Secret>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub rocketchat_token_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rocketchat_token_id: Option<Secret>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub rocketchat_token_id_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mattermost_webhook_url: Option<SecretUrl>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub mattermost_webhook_url_file: String,
}

fn url(s: &str) -> Option<Url> {
    Some(Url::parse(s).expect("default URL is valid"))
}

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            resolve_timeout: Duration::from_secs(5 * 60),
            http_config: Some(HttpClientConfig::default()),
            jira_api_url: None,
            smtp_from: String::new(),
            smtp_hello: "localhost".into(),
            smtp_smarthost: HostPort::default(),
            smtp_auth_username: String::new(),
            smtp_auth_password: Secret::default(),
            smtp_auth_password_file: String::new(),
            smtp_auth_secret: Secret::default(),
            smtp_auth_secret_file: String::new(),
            smtp_auth_identity: String::new(),
            smtp_require_tls: true,
            smtp_tls_config: Some(TlsConfig::default()),
            smtp_force_implicit_tls: None,
            slack_api_url: None,
            slack_api_url_file: String::new(),
            slack_app_token: Secret::default(),
            slack_app_token_file: String::new(),
            slack_app_url: url("https://slack.com/api/chat.postMessage"),
            pagerduty_url: url("https://events.pagerduty.com/v2/enqueue"),
            opsgenie_api_url: url("https://api.opsgenie.com/"),
            opsgenie_api_key: Secret::default(),
            opsgenie_api_key_file: String::new(),
            wechat_api_url: url("https://qyapi.weixin.qq.com/cgi-bin/"),
            wechat_api_secret: Secret::default(),
            wechat_api_secret_file: String::new(),
            wechat_api_corp_id: String::new(),
            victorops_api_url: url(
                "https://alert.victorops.com/integrations/generic/20131114/alert/",
            ),
            victorops_api_key: Secret::default(),
            victorops_api_key_file: String::new(),
            telegram_api_url: url("https://api.telegram.org"),
            telegram_bot_token: Secret::default(),
            telegram_bot_token_file: String::new(),
            webex_api_url: url("https://webexapis.com/v1/messages"),
            rocketchat_api_url: url("https://open.rocket.chat/"),
            rocketchat_token: None,
            rocketchat_token_file: String::new(),
            rocketchat_token_id: None,
            rocketchat_token_id_file: String::new(),
            mattermost_webhook_url: None,
            mattermost_webhook_url_file: String::new(),
        }
    }
}

impl GlobalConfig {
    /// All checks of the section: [`GlobalConfig::validate_nested`] then
    /// [`GlobalConfig::validate_exclusive`].
    pub fn validate(&mut self) -> Result<(), String> {
        self.validate_nested()?;
        self.validate_exclusive()
    }

    /// The checks that run while the section is read: the nested
    /// `http_config` (which it also normalises) and `smtp_tls_config` blocks.
    pub fn validate_nested(&mut self) -> Result<(), String> {
        if let Some(h) = &mut self.http_config {
            h.validate()?;
        }
        if let Some(t) = &self.smtp_tls_config {
            t.validate()?;
        }
        Ok(())
    }

    /// The mutual-exclusion checks Alertmanager runs on the global section
    /// once the whole file is read, before it looks at the receivers.
    pub fn validate_exclusive(&self) -> Result<(), String> {
        let app_token = !self.slack_app_token.is_empty() || !self.slack_app_token_file.is_empty();
        let api_url = self.slack_api_url.is_some() || !self.slack_api_url_file.is_empty();
        at_most_one(
            ("slack_app_token", !self.slack_app_token.is_empty()),
            (
                "slack_app_token_file",
                !self.slack_app_token_file.is_empty(),
            ),
        )?;
        at_most_one(
            ("slack_api_url", self.slack_api_url.is_some()),
            ("slack_api_url_file", !self.slack_api_url_file.is_empty()),
        )?;
        // Allowed together only for the old workaround where slack_api_url is
        // the chat.postMessage endpoint itself.
        if app_token && api_url {
            let api = self.slack_api_url.as_ref().map(|u| u.expose().as_str());
            let app = self.slack_app_url.as_ref().map(Url::as_str);
            if api != app {
                return Err("at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured".into());
            }
        }
        at_most_one(
            ("opsgenie_api_key", !self.opsgenie_api_key.is_empty()),
            (
                "opsgenie_api_key_file",
                !self.opsgenie_api_key_file.is_empty(),
            ),
        )?;
        at_most_one(
            ("victorops_api_key", !self.victorops_api_key.is_empty()),
            (
                "victorops_api_key_file",
                !self.victorops_api_key_file.is_empty(),
            ),
        )?;
        at_most_one(
            ("telegram_bot_token", !self.telegram_bot_token.is_empty()),
            (
                "telegram_bot_token_file",
                !self.telegram_bot_token_file.is_empty(),
            ),
        )?;
        at_most_one(
            ("smtp_auth_password", !self.smtp_auth_password.is_empty()),
            (
                "smtp_auth_password_file",
                !self.smtp_auth_password_file.is_empty(),
            ),
        )?;
        at_most_one(
            ("rocketchat_token", self.rocketchat_token.is_some()),
            (
                "rocketchat_token_file",
                !self.rocketchat_token_file.is_empty(),
            ),
        )?;
        at_most_one(
            ("rocketchat_token_id", self.rocketchat_token_id.is_some()),
            (
                "rocketchat_token_id_file",
                !self.rocketchat_token_id_file.is_empty(),
            ),
        )?;
        at_most_one(
            ("smtp_auth_secret", !self.smtp_auth_secret.is_empty()),
            (
                "smtp_auth_secret_file",
                !self.smtp_auth_secret_file.is_empty(),
            ),
        )?;
        at_most_one(
            ("wechat_api_secret", !self.wechat_api_secret.is_empty()),
            (
                "wechat_api_secret_file",
                !self.wechat_api_secret_file.is_empty(),
            ),
        )?;
        at_most_one(
            (
                "mattermost_webhook_url",
                self.mattermost_webhook_url.is_some(),
            ),
            (
                "mattermost_webhook_url_file",
                !self.mattermost_webhook_url_file.is_empty(),
            ),
        )
    }

    /// Joins relative paths in the global `http_config` with `dir` (the only
    /// part of this section Alertmanager resolves).
    pub fn resolve_paths(&mut self, dir: &Path) {
        if let Some(h) = &mut self.http_config {
            h.resolve_paths(dir);
        }
    }
}

/// A `host:port` address (Go's `net.SplitHostPort` rules; the port is
/// required, the host may be empty). The empty string means unset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub host: String,
    pub port: String,
}

impl HostPort {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Ok(HostPort::default());
        }
        let (host, port) = split_host_port(s)?;
        if port.is_empty() {
            return Err(format!("address {}: port cannot be empty", go_quote(s)));
        }
        Ok(HostPort {
            host: host.to_string(),
            port: port.to_string(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.host.is_empty() && self.port.is_empty()
    }
}

/// Go's `net.SplitHostPort`, with its error messages.
fn split_host_port(hp: &str) -> Result<(&str, &str), String> {
    let err = |why: &str| Err(format!("address {hp}: {why}"));
    let Some(colon) = hp.rfind(':') else {
        return err("missing port in address");
    };
    let (host, open_end) = if hp.starts_with('[') {
        let Some(end) = hp.find(']') else {
            return err("missing ']' in address");
        };
        if end + 1 == hp.len() {
            return err("missing port in address");
        }
        if end + 1 != colon {
            if hp.as_bytes()[end + 1] == b':' {
                return err("too many colons in address");
            }
            return err("missing port in address");
        }
        (&hp[1..end], end + 1)
    } else {
        let host = &hp[..colon];
        if host.contains(':') {
            return err("too many colons in address");
        }
        (host, 0)
    };
    let inner_start = if open_end > 0 { 1 } else { 0 };
    if hp[inner_start..].contains('[') {
        return err("unexpected '[' in address");
    }
    if hp[open_end..].contains(']') {
        return err("unexpected ']' in address");
    }
    Ok((host, &hp[colon + 1..]))
}

impl fmt::Display for HostPort {
    /// Go's `net.JoinHostPort`; empty when unset.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            Ok(())
        } else if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl<'de> Deserialize<'de> for HostPort {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HostPort::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for HostPort {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> GlobalConfig {
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
    }

    #[test]
    fn defaults_match_alertmanager() {
        let g = parse("{}");
        assert_eq!(g, GlobalConfig::default());
        assert_eq!(g.resolve_timeout, Duration::from_secs(300));
        assert_eq!(g.smtp_hello, "localhost");
        assert!(g.smtp_require_tls);
        assert_eq!(g.smtp_tls_config, Some(TlsConfig::default()));
        assert_eq!(g.http_config, Some(HttpClientConfig::default()));
        let urls = [
            (&g.slack_app_url, "https://slack.com/api/chat.postMessage"),
            (&g.pagerduty_url, "https://events.pagerduty.com/v2/enqueue"),
            (&g.opsgenie_api_url, "https://api.opsgenie.com/"),
            (&g.wechat_api_url, "https://qyapi.weixin.qq.com/cgi-bin/"),
            (
                &g.victorops_api_url,
                "https://alert.victorops.com/integrations/generic/20131114/alert/",
            ),
            (&g.webex_api_url, "https://webexapis.com/v1/messages"),
            (&g.rocketchat_api_url, "https://open.rocket.chat/"),
        ];
        for (u, want) in urls {
            assert_eq!(u.as_ref().unwrap().as_str(), want);
        }
        assert!(g.telegram_api_url.is_some());
        assert!(g.jira_api_url.is_none());
        assert!(g.slack_api_url.is_none());
    }

    #[test]
    fn every_field_parses() {
        let mut g = parse(
            r#"
resolve_timeout: 1m
http_config: {follow_redirects: false}
jira_api_url: https://jira.example.com/
smtp_from: am@example.com
smtp_hello: mail.example.com
smtp_smarthost: smtp.example.com:587
smtp_auth_username: user
smtp_auth_password_file: /pw
smtp_auth_secret: sec
smtp_auth_identity: id
smtp_require_tls: false
smtp_tls_config: {server_name: smtp}
smtp_force_implicit_tls: true
slack_api_url_file: /slack
slack_app_url: https://slack.example.com/api
pagerduty_url: https://pd.example.com/
opsgenie_api_url: https://og.example.com/
opsgenie_api_key: ogkey
wechat_api_url: https://wc.example.com/
wechat_api_secret_file: /wc
wechat_api_corp_id: corp
victorops_api_url: https://vo.example.com/
victorops_api_key_file: /vo
telegram_api_url: https://tg.example.com
telegram_bot_token: tg
webex_api_url: https://wx.example.com/
rocketchat_api_url: https://rc.example.com/
rocketchat_token: tok
rocketchat_token_id_file: /rcid
mattermost_webhook_url: https://mm.example.com/hooks/x
"#,
        );
        g.validate().unwrap();
        assert_eq!(g.resolve_timeout, Duration::from_secs(60));
        assert!(!g.http_config.as_ref().unwrap().follow_redirects);
        assert_eq!(
            g.smtp_smarthost,
            HostPort {
                host: "smtp.example.com".into(),
                port: "587".into()
            }
        );
        assert_eq!(g.smtp_force_implicit_tls, Some(true));
        assert!(!g.smtp_require_tls);
        assert_eq!(g.rocketchat_token, Some(Secret::new("tok")));
        assert_eq!(g.smtp_tls_config.as_ref().unwrap().server_name, "smtp");
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let e = serde_saphyr::from_str::<GlobalConfig>("smtp_host: x").unwrap_err();
        assert!(e.to_string().contains("unknown field `smtp_host`"), "{e}");
    }

    #[test]
    fn exclusive_checks() {
        let cases = [
            (
                "slack_app_token: a\nslack_app_token_file: b",
                "at most one of slack_app_token & slack_app_token_file must be configured",
            ),
            (
                "slack_api_url: http://a/\nslack_api_url_file: b",
                "at most one of slack_api_url & slack_api_url_file must be configured",
            ),
            (
                "slack_app_token: a\nslack_api_url: https://hooks.slack.com/x",
                "at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured",
            ),
            (
                "slack_app_token_file: a\nslack_api_url_file: f",
                "at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured",
            ),
            (
                "opsgenie_api_key: a\nopsgenie_api_key_file: b",
                "at most one of opsgenie_api_key & opsgenie_api_key_file must be configured",
            ),
            (
                "victorops_api_key: a\nvictorops_api_key_file: b",
                "at most one of victorops_api_key & victorops_api_key_file must be configured",
            ),
            (
                "telegram_bot_token: a\ntelegram_bot_token_file: b",
                "at most one of telegram_bot_token & telegram_bot_token_file must be configured",
            ),
            (
                "smtp_auth_password: a\nsmtp_auth_password_file: b",
                "at most one of smtp_auth_password & smtp_auth_password_file must be configured",
            ),
            (
                "rocketchat_token: ''\nrocketchat_token_file: b",
                "at most one of rocketchat_token & rocketchat_token_file must be configured",
            ),
            (
                "rocketchat_token_id: a\nrocketchat_token_id_file: b",
                "at most one of rocketchat_token_id & rocketchat_token_id_file must be configured",
            ),
            (
                "smtp_auth_secret: a\nsmtp_auth_secret_file: b",
                "at most one of smtp_auth_secret & smtp_auth_secret_file must be configured",
            ),
            (
                "wechat_api_secret: a\nwechat_api_secret_file: b",
                "at most one of wechat_api_secret & wechat_api_secret_file must be configured",
            ),
            (
                "mattermost_webhook_url: http://m/\nmattermost_webhook_url_file: b",
                "at most one of mattermost_webhook_url & mattermost_webhook_url_file must be configured",
            ),
        ];
        for (yaml, want) in cases {
            assert_eq!(
                parse(yaml).validate_exclusive().unwrap_err(),
                want,
                "{yaml}"
            );
        }
        // The old bot-token workaround: api_url equal to the app URL.
        parse("slack_app_token: a\nslack_api_url: https://slack.com/api/chat.postMessage")
            .validate_exclusive()
            .unwrap();
    }

    #[test]
    fn nested_blocks_are_validated() {
        let mut g = parse("http_config: {bearer_token: a, bearer_token_file: b}");
        assert_eq!(
            g.validate().unwrap_err(),
            "at most one of bearer_token & bearer_token_file must be configured"
        );
        let mut g = parse("smtp_tls_config: {cert_file: c}");
        assert_eq!(
            g.validate().unwrap_err(),
            "exactly one of key or key_file must be configured when a client certificate is configured"
        );
    }

    #[test]
    fn nulls_read_as_go_zero_values() {
        let g = parse("smtp_hello:\npagerduty_url: ~\nsmtp_tls_config: ~\nsmtp_require_tls:");
        assert_eq!(g.smtp_hello, "");
        assert!(g.pagerduty_url.is_none());
        assert!(g.smtp_tls_config.is_none());
        assert!(!g.smtp_require_tls);
    }

    #[test]
    fn host_port() {
        assert_eq!(HostPort::parse("").unwrap(), HostPort::default());
        let hp = HostPort::parse(":25").unwrap();
        assert_eq!((hp.host.as_str(), hp.port.as_str()), ("", "25"));
        assert_eq!(hp.to_string(), ":25");
        let hp = HostPort::parse("[fd12:3456:789a::1]:25").unwrap();
        assert_eq!(hp.host, "fd12:3456:789a::1");
        assert_eq!(hp.to_string(), "[fd12:3456:789a::1]:25");
        for (bad, msg) in [
            ("localhost", "address localhost: missing port in address"),
            ("localhost:", "address \"localhost:\": port cannot be empty"),
            ("a:b:c", "address a:b:c: too many colons in address"),
            ("[::1", "address [::1: missing ']' in address"),
            ("[::1]", "address [::1]: missing port in address"),
            ("[::1]x:2", "address [::1]x:2: missing port in address"),
            ("[a]:[b]", "address [a]:[b]: unexpected '[' in address"),
            ("a]:25", "address a]:25: unexpected ']' in address"),
        ] {
            assert_eq!(HostPort::parse(bad).unwrap_err(), msg, "{bad}");
        }
        let e = serde_saphyr::from_str::<GlobalConfig>("smtp_smarthost: localhost").unwrap_err();
        assert!(e.to_string().contains("missing port in address"), "{e}");
    }

    #[test]
    fn serialises_in_go_field_order_with_secrets_masked() {
        let g = parse("smtp_auth_password: hunter2\nopsgenie_api_key: k3y\nrocketchat_token: t0k");
        let y = serde_saphyr::to_string(&g).unwrap();
        assert!(
            !y.contains("hunter2") && !y.contains("k3y") && !y.contains("t0k"),
            "{y}"
        );
        let v = serde_json::to_value(&g).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(keys.contains(&"smtp_require_tls"));
        assert!(!keys.contains(&"smtp_from"));
        let pos = |k: &str| {
            y.find(&format!("{k}:"))
                .unwrap_or_else(|| panic!("{k} in {y}"))
        };
        assert!(pos("resolve_timeout") < pos("http_config"));
        assert!(pos("http_config") < pos("smtp_hello"));
        assert!(pos("smtp_require_tls") < pos("smtp_tls_config"));
        assert!(pos("slack_app_url") < pos("pagerduty_url"));
        assert!(pos("rocketchat_api_url") < pos("rocketchat_token"));
        assert!(y.contains("resolve_timeout: 5m"), "{y}");
        assert!(y.contains("smtp_auth_password: <secret>"), "{y}");
    }
}
