//! `jira_configs`: create, update, reopen and resolve Jira issues.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::{Notifier, inherit_http, is_zero, or_global, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Duration, Url, null_default};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct JiraConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    /// Unset until inherited from `jira_api_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    /// `auto` (default), `cloud` or `datacenter`.
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub api_type: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub project: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub summary: JiraFieldConfig,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub description: JiraFieldConfig,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub priority: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub issue_type: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub reopen_transition: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub resolve_transition: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub wont_fix_resolution: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub reopen_duration: Duration,
    /// Extra issue fields; any YAML, strings rendered as templates.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// A templated issue field, written either as a plain template string or as
/// `{template, enable_update}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct JiraFieldConfig {
    #[serde(skip_serializing_if = "is_zero")]
    pub template: String,
    /// Whether updates of an existing issue rewrite this field (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_update: Option<bool>,
}

impl JiraFieldConfig {
    fn template(t: &str) -> Self {
        JiraFieldConfig {
            template: t.to_string(),
            enable_update: None,
        }
    }

    /// `enable_update`, true when unset.
    pub fn enable_update_value(&self) -> bool {
        self.enable_update.unwrap_or(true)
    }
}

/// The object form of [`JiraFieldConfig`].
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct JiraFieldObject {
    #[serde(deserialize_with = "null_default")]
    template: String,
    enable_update: Option<bool>,
}

impl<'de> Deserialize<'de> for JiraFieldConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JiraFieldConfig;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a template string or a map with template and enable_update")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JiraFieldConfig, E> {
                Ok(JiraFieldConfig::template(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<JiraFieldConfig, E> {
                Ok(JiraFieldConfig::template(&v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JiraFieldConfig, E> {
                Ok(JiraFieldConfig::template(&v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JiraFieldConfig, E> {
                Ok(JiraFieldConfig::template(&v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JiraFieldConfig, E> {
                Ok(JiraFieldConfig::template(&v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<JiraFieldConfig, E> {
                Ok(JiraFieldConfig::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<JiraFieldConfig, A::Error> {
                let o = JiraFieldObject::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(JiraFieldConfig {
                    template: o.template,
                    enable_update: o.enable_update,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl Default for JiraConfig {
    fn default() -> Self {
        JiraConfig {
            send_resolved: true,
            http_config: None,
            api_url: None,
            api_type: "auto".into(),
            project: String::new(),
            summary: JiraFieldConfig::template(r#"{{ template "jira.default.summary" . }}"#),
            description: JiraFieldConfig::template(
                r#"{{ template "jira.default.description" . }}"#,
            ),
            labels: Vec::new(),
            priority: r#"{{ template "jira.default.priority" . }}"#.into(),
            issue_type: String::new(),
            reopen_transition: String::new(),
            resolve_transition: String::new(),
            wont_fix_resolution: String::new(),
            reopen_duration: Duration::default(),
            fields: BTreeMap::new(),
        }
    }
}

impl Notifier for JiraConfig {
    const KIND: &'static str = "jira";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        if self.project.is_empty() {
            return Err("missing project in jira_config".into());
        }
        if self.issue_type.is_empty() {
            return Err("missing issue_type in jira_config".into());
        }
        if !["auto", "cloud", "datacenter"].contains(&self.api_type.as_str()) {
            return Err(
                "unknown api_type on jira_config, must be auto, cloud or datacenter".into(),
            );
        }
        Ok(())
    }

    fn inherit(&mut self, global: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, global);
        or_global(&mut self.api_url, &global.jira_api_url);
        if self.api_url.is_none() {
            return Err("no global Jira Cloud URL set".into());
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
    use crate::config::notifiers::testing::{load, load_err, parse_err, resolved_with};

    const MINIMAL: &str = "project: OPS\nissue_type: Bug";

    #[test]
    fn minimal_config_and_defaults() {
        let c: JiraConfig =
            resolved_with(MINIMAL, "jira_api_url: https://x.atlassian.net/").unwrap();
        assert!(c.send_resolved);
        assert_eq!(c.api_type, "auto");
        assert_eq!(
            c.summary.template,
            r#"{{ template "jira.default.summary" . }}"#
        );
        assert!(c.summary.enable_update_value());
        assert_eq!(
            c.description.template,
            r#"{{ template "jira.default.description" . }}"#
        );
        assert_eq!(c.priority, r#"{{ template "jira.default.priority" . }}"#);
        assert_eq!(c.api_url.unwrap().as_str(), "https://x.atlassian.net/");
        assert_eq!(
            resolved_with::<JiraConfig>(MINIMAL, "{}").unwrap_err(),
            "no global Jira Cloud URL set"
        );
    }

    #[test]
    fn every_field() {
        let c: JiraConfig = load(
            "project: OPS\nissue_type: Bug\napi_url: https://jira.example.com\napi_type: datacenter\n\
             summary: 'S {{ .Status }}'\ndescription: {template: D, enable_update: false}\n\
             labels: [a, b]\npriority: High\nreopen_transition: Reopen\n\
             resolve_transition: Done\nwont_fix_resolution: Won't Fix\nreopen_duration: 1d\n\
             fields: {customfield_10001: '{{ .GroupLabels.x }}', customfield_10002: {value: red}}",
        );
        assert_eq!(c.summary.template, "S {{ .Status }}");
        assert_eq!(c.summary.enable_update, None);
        assert_eq!(c.description.template, "D");
        assert!(!c.description.enable_update_value());
        assert_eq!(c.reopen_duration, Duration::from_secs(86400));
        assert_eq!(
            c.fields["customfield_10002"],
            serde_json::json!({"value": "red"})
        );
        assert_eq!(c.labels, ["a", "b"]);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v["description"],
            serde_json::json!({"template": "D", "enable_update": false})
        );
        assert_eq!(v["reopen_duration"], "1d");
        let e = parse_err::<JiraConfig>("summary: {template: x, enabled: true}");
        assert!(e.contains("unknown field `enabled`"), "{e}");
        let c: JiraConfig = load(&format!("{MINIMAL}\nsummary: 5\ndescription: ~"));
        assert_eq!(c.summary.template, "5");
        assert_eq!(c.description, JiraFieldConfig::default());
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            ("issue_type: Bug", "missing project in jira_config"),
            ("project: OPS", "missing issue_type in jira_config"),
            (
                "project: OPS\nissue_type: Bug\napi_type: server",
                "unknown api_type on jira_config, must be auto, cloud or datacenter",
            ),
        ] {
            assert_eq!(load_err::<JiraConfig>(yaml), want, "{yaml}");
        }
    }
}
