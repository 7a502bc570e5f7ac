//! `pagerduty_configs`: PagerDuty Events API v2 (routing key) or v1 (service
//! key).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{GoDuration, Notifier, at_most_one, inherit_http, is_zero, or_global, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Secret, Url, null_default};

/// Details added for every key the configuration does not set.
pub const DEFAULT_PAGERDUTY_DETAILS: [(&str, &str); 4] = [
    ("firing", "{{ .Alerts.Firing | toJson }}"),
    ("resolved", "{{ .Alerts.Resolved | toJson }}"),
    ("num_firing", "{{ .Alerts.Firing | len }}"),
    ("num_resolved", "{{ .Alerts.Resolved | len }}"),
];

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PagerdutyConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub service_key: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub service_key_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub routing_key: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub routing_key_file: String,
    /// Unset until inherited from `pagerduty_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub client: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub client_url: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub description: String,
    /// Custom details; values may be nested, their strings are templates.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<PagerdutyImage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<PagerdutyLink>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub source: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub severity: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub class: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub component: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub group: String,
    #[serde(deserialize_with = "null_default")]
    pub timeout: GoDuration,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PagerdutyImage {
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub src: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub alt: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub href: String,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PagerdutyLink {
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub href: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub text: String,
}

impl Default for PagerdutyConfig {
    fn default() -> Self {
        PagerdutyConfig {
            send_resolved: true,
            http_config: None,
            service_key: Secret::default(),
            service_key_file: String::new(),
            routing_key: Secret::default(),
            routing_key_file: String::new(),
            url: None,
            client: r#"{{ template "pagerduty.default.client" . }}"#.into(),
            client_url: r#"{{ template "pagerduty.default.clientURL" . }}"#.into(),
            description: r#"{{ template "pagerduty.default.description" .}}"#.into(),
            details: BTreeMap::new(),
            images: Vec::new(),
            links: Vec::new(),
            source: String::new(),
            severity: String::new(),
            class: String::new(),
            component: String::new(),
            group: String::new(),
            timeout: GoDuration::default(),
        }
    }
}

impl Notifier for PagerdutyConfig {
    const KIND: &'static str = "pagerduty";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        if self.routing_key.is_empty()
            && self.service_key.is_empty()
            && self.routing_key_file.is_empty()
            && self.service_key_file.is_empty()
        {
            return Err("missing service or routing key in PagerDuty config".into());
        }
        at_most_one(
            ("routing_key", !self.routing_key.is_empty()),
            ("routing_key_file", !self.routing_key_file.is_empty()),
        )?;
        at_most_one(
            ("service_key", !self.service_key.is_empty()),
            ("service_key_file", !self.service_key_file.is_empty()),
        )?;
        if self.source.is_empty() {
            self.source = self.client.clone();
        }
        for (k, v) in DEFAULT_PAGERDUTY_DETAILS {
            self.details
                .entry(k.to_string())
                .or_insert_with(|| serde_json::Value::String(v.to_string()));
        }
        Ok(())
    }

    fn inherit(&mut self, global: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, global);
        or_global(&mut self.url, &global.pagerduty_url);
        if self.url.is_none() {
            return Err("no global PagerDuty URL set".into());
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
    use crate::config::notifiers::testing::{load, load_err, resolved, resolved_with};

    #[test]
    fn minimal_config_and_defaults() {
        let c: PagerdutyConfig = resolved("routing_key: xyz");
        assert!(c.send_resolved);
        assert_eq!(c.client, r#"{{ template "pagerduty.default.client" . }}"#);
        assert_eq!(
            c.client_url,
            r#"{{ template "pagerduty.default.clientURL" . }}"#
        );
        assert_eq!(
            c.description,
            r#"{{ template "pagerduty.default.description" .}}"#
        );
        assert_eq!(c.source, c.client);
        assert_eq!(c.details.len(), 4);
        assert_eq!(c.details["num_firing"], "{{ .Alerts.Firing | len }}");
        assert_eq!(
            c.url.unwrap().as_str(),
            "https://events.pagerduty.com/v2/enqueue"
        );
        assert_eq!(c.http_config, Some(HttpClientConfig::default()));
        assert_eq!(c.timeout, GoDuration::default());
    }

    #[test]
    fn every_field() {
        let c: PagerdutyConfig = load(
            "service_key_file: /sk\nurl: https://pd.example.com/\nclient: c\nclient_url: cu\n\
             description: d\ndetails: {key1: val1, nested: {a: [1]}, firing: mine}\n\
             images: [{src: s, alt: a, href: h}]\nlinks: [{href: h, text: t}]\n\
             source: src\nseverity: warning\nclass: cl\ncomponent: co\ngroup: g\ntimeout: 1m",
        );
        assert_eq!(c.details.len(), 6);
        assert_eq!(c.details["firing"], "mine");
        assert_eq!(c.details["nested"], serde_json::json!({"a": [1]}));
        assert_eq!(c.images[0].alt, "a");
        assert_eq!(c.links[0].text, "t");
        assert_eq!(c.source, "src");
        assert_eq!(c.timeout, GoDuration::from_secs(60));
        assert_eq!(c.url.unwrap().as_str(), "https://pd.example.com/");
        let c: PagerdutyConfig = load("routing_key: xyz\nclient: alert-manager-client");
        assert_eq!(c.source, "alert-manager-client");
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            (
                "routing_key: ''",
                "missing service or routing key in PagerDuty config",
            ),
            (
                "service_key: ''",
                "missing service or routing key in PagerDuty config",
            ),
            (
                "routing_key: xyz\nrouting_key_file: xyz",
                "at most one of routing_key & routing_key_file must be configured",
            ),
            (
                "service_key: xyz\nservice_key_file: xyz",
                "at most one of service_key & service_key_file must be configured",
            ),
        ] {
            assert_eq!(load_err::<PagerdutyConfig>(yaml), want, "{yaml}");
        }
        assert_eq!(
            resolved_with::<PagerdutyConfig>("routing_key: x", "pagerduty_url: ~").unwrap_err(),
            "no global PagerDuty URL set"
        );
    }

    #[test]
    fn keys_are_masked() {
        let c: PagerdutyConfig = resolved("routing_key: r0uting\nservice_key: s3rvice");
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(!y.contains("r0uting") && !y.contains("s3rvice"), "{y}");
        assert!(y.contains("routing_key: <secret>"), "{y}");
        assert!(y.contains("timeout: 0s"), "{y}");
    }
}
