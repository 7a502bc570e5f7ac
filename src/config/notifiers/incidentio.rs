//! `incidentio_configs`: incident.io alert source HTTP endpoint.

use serde::{Deserialize, Serialize};

use super::{GoDuration, Notifier, at_most_one, exactly_one, inherit_http, is_zero, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Secret, Url, null_default};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentioConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    pub url: Option<Url>,
    #[serde(deserialize_with = "null_default")]
    pub url_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub alert_source_token: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub alert_source_token_file: String,
    /// Maximum alerts per message, 0 for no limit.
    #[serde(deserialize_with = "null_default")]
    pub max_alerts: u64,
    #[serde(deserialize_with = "null_default")]
    pub timeout: GoDuration,
}

impl Default for IncidentioConfig {
    fn default() -> Self {
        IncidentioConfig {
            send_resolved: true,
            http_config: None,
            url: None,
            url_file: String::new(),
            alert_source_token: Secret::default(),
            alert_source_token_file: String::new(),
            max_alerts: 0,
            timeout: GoDuration::default(),
        }
    }
}

impl Notifier for IncidentioConfig {
    const KIND: &'static str = "incidentio";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        exactly_one(
            ("url", self.url.is_some()),
            ("url_file", !self.url_file.is_empty()),
        )?;
        let has_token =
            !self.alert_source_token.is_empty() || !self.alert_source_token_file.is_empty();
        at_most_one(
            ("alert_source_token", !self.alert_source_token.is_empty()),
            (
                "alert_source_token_file",
                !self.alert_source_token_file.is_empty(),
            ),
        )?;
        let http_auth = self.http_config.as_ref().map(|h| h.authorization.is_some());
        if http_auth == Some(true) && has_token {
            return Err("cannot specify alert_source_token or alert_source_token_file when using http_config.authorization".into());
        }
        // As in Alertmanager, a missing http_config skips this check.
        if http_auth == Some(false) && !has_token {
            return Err("at least one of alert_source_token, alert_source_token_file or http_config.authorization must be configured".into());
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
    use crate::config::notifiers::testing::{load, load_err, resolved};

    #[test]
    fn minimal_config_and_defaults() {
        let c: IncidentioConfig =
            resolved("url: https://api.incident.io/v2/alert_events/http/x\nalert_source_token: t");
        assert!(c.send_resolved);
        assert_eq!(c.max_alerts, 0);
        assert_eq!(c.timeout, GoDuration::default());
        assert_eq!(c.http_config, Some(HttpClientConfig::default()));
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["alert_source_token"], "<secret>");
        assert_eq!(v["url_file"], "");
        assert_eq!(v["timeout"], "0s");
    }

    #[test]
    fn every_field() {
        let c: IncidentioConfig =
            load("url_file: /u\nalert_source_token_file: /t\nmax_alerts: 10\ntimeout: 30s");
        assert_eq!(c.max_alerts, 10);
        assert_eq!(c.timeout, GoDuration::from_secs(30));
        load::<IncidentioConfig>("url: http://i/\nhttp_config: {authorization: {credentials: c}}");
        // Without any http_config the token requirement is not enforced.
        load::<IncidentioConfig>("url: http://i/");
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            (
                "alert_source_token: t",
                "one of url or url_file must be configured",
            ),
            (
                "url: http://i/\nurl_file: /u",
                "at most one of url & url_file must be configured",
            ),
            (
                "url: http://i/\nalert_source_token: a\nalert_source_token_file: b",
                "at most one of alert_source_token & alert_source_token_file must be configured",
            ),
            (
                "url: http://i/\nalert_source_token: a\nhttp_config: {authorization: {credentials: c}}",
                "cannot specify alert_source_token or alert_source_token_file when using http_config.authorization",
            ),
            (
                "url: http://i/\nhttp_config: {follow_redirects: false}",
                "at least one of alert_source_token, alert_source_token_file or http_config.authorization must be configured",
            ),
        ] {
            assert_eq!(load_err::<IncidentioConfig>(yaml), want, "{yaml}");
        }
    }
}
