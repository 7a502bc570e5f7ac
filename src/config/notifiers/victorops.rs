//! `victorops_configs`: VictorOps (Splunk On-Call) REST endpoint.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Notifier, at_most_one, inherit_http, is_zero, or_global, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Secret, Url, null_default};

/// `custom_fields` keys that would clash with the fields Alertmanager sets.
pub const VICTOROPS_RESERVED_FIELDS: [&str; 7] = [
    "routing_key",
    "message_type",
    "state_message",
    "entity_display_name",
    "monitoring_tool",
    "entity_id",
    "entity_state",
];

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VictorOpsConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub api_key: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub api_key_file: String,
    /// Unset until inherited from `victorops_api_url`; ends with `/` afterwards.
    pub api_url: Option<Url>,
    #[serde(deserialize_with = "null_default")]
    pub routing_key: String,
    #[serde(deserialize_with = "null_default")]
    pub message_type: String,
    #[serde(deserialize_with = "null_default")]
    pub state_message: String,
    #[serde(deserialize_with = "null_default")]
    pub entity_display_name: String,
    #[serde(deserialize_with = "null_default")]
    pub monitoring_tool: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, String>,
}

impl Default for VictorOpsConfig {
    fn default() -> Self {
        VictorOpsConfig {
            send_resolved: true,
            http_config: None,
            api_key: Secret::default(),
            api_key_file: String::new(),
            api_url: None,
            routing_key: String::new(),
            message_type: "CRITICAL".into(),
            state_message: r#"{{ template "victorops.default.state_message" . }}"#.into(),
            entity_display_name: r#"{{ template "victorops.default.entity_display_name" . }}"#
                .into(),
            monitoring_tool: r#"{{ template "victorops.default.monitoring_tool" . }}"#.into(),
            custom_fields: BTreeMap::new(),
        }
    }
}

impl Notifier for VictorOpsConfig {
    const KIND: &'static str = "victorops";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        if self.routing_key.is_empty() {
            return Err("missing Routing key in VictorOps config".into());
        }
        at_most_one(
            ("api_key", !self.api_key.is_empty()),
            ("api_key_file", !self.api_key_file.is_empty()),
        )?;
        if let Some(f) = VICTOROPS_RESERVED_FIELDS
            .iter()
            .find(|f| self.custom_fields.contains_key(**f))
        {
            return Err(format!(
                "victorOps config contains custom field {f} which cannot be used as it conflicts with the fixed/static fields"
            ));
        }
        Ok(())
    }

    fn inherit(&mut self, g: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, g);
        or_global(&mut self.api_url, &g.victorops_api_url);
        let Some(url) = &mut self.api_url else {
            return Err("no global VictorOps URL set".into());
        };
        url.ensure_trailing_slash();
        or_global(&mut self.api_key, &g.victorops_api_key);
        or_global(&mut self.api_key_file, &g.victorops_api_key_file);
        if self.api_key.is_empty() && self.api_key_file.is_empty() {
            return Err("no global VictorOps API Key set".into());
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
        let c: VictorOpsConfig = resolved_with("routing_key: r\napi_key: k", "{}").unwrap();
        assert!(c.send_resolved);
        assert_eq!(c.message_type, "CRITICAL");
        assert_eq!(
            c.state_message,
            r#"{{ template "victorops.default.state_message" . }}"#
        );
        assert_eq!(
            c.entity_display_name,
            r#"{{ template "victorops.default.entity_display_name" . }}"#
        );
        assert_eq!(
            c.monitoring_tool,
            r#"{{ template "victorops.default.monitoring_tool" . }}"#
        );
        assert_eq!(
            c.api_url.unwrap().as_str(),
            "https://alert.victorops.com/integrations/generic/20131114/alert/"
        );
    }

    #[test]
    fn every_field() {
        let c: VictorOpsConfig = load(
            "routing_key: test\napi_key_file: /global_file\napi_url: https://vo.example.com/a\n\
             message_type: WARNING\nstate_message: s\nentity_display_name: e\n\
             monitoring_tool: m\ncustom_fields: {my_special_field: special_label}",
        );
        assert_eq!(c.custom_fields["my_special_field"], "special_label");
        assert_eq!(c.message_type, "WARNING");
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            ("routing_key: ''", "missing Routing key in VictorOps config"),
            (
                "routing_key: test\napi_key: xyz\napi_key_file: /global_file",
                "at most one of api_key & api_key_file must be configured",
            ),
            (
                "routing_key: test\ncustom_fields: {entity_state: state_message}",
                "victorOps config contains custom field entity_state which cannot be used as it conflicts with the fixed/static fields",
            ),
        ] {
            assert_eq!(load_err::<VictorOpsConfig>(yaml), want, "{yaml}");
        }
    }

    #[test]
    fn global_key_and_url() {
        let c: VictorOpsConfig = resolved_with("routing_key: r", "victorops_api_key: gk").unwrap();
        assert_eq!(c.api_key.expose(), "gk");
        let c: VictorOpsConfig =
            resolved_with("routing_key: r\napi_key: qwe456", "victorops_api_key: gk").unwrap();
        assert_eq!(c.api_key.expose(), "qwe456");
        let c: VictorOpsConfig = resolved_with(
            "routing_key: r\napi_key_file: /override_file",
            "victorops_api_key_file: /g",
        )
        .unwrap();
        assert_eq!(c.api_key_file, "/override_file");
        let c: VictorOpsConfig = resolved_with(
            "routing_key: r\napi_url: https://vo.example.com/x\napi_key: k",
            "{}",
        )
        .unwrap();
        assert_eq!(c.api_url.unwrap().as_str(), "https://vo.example.com/x/");
        assert_eq!(
            resolved_with::<VictorOpsConfig>("routing_key: r", "{}").unwrap_err(),
            "no global VictorOps API Key set"
        );
        assert_eq!(
            resolved_with::<VictorOpsConfig>("routing_key: r\napi_key: k", "victorops_api_url: ~")
                .unwrap_err(),
            "no global VictorOps URL set"
        );
    }

    #[test]
    fn always_printed_fields() {
        let c: VictorOpsConfig = resolved_with("routing_key: r\napi_key: s3cret", "{}").unwrap();
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["api_key"], "<secret>");
        assert_eq!(v["routing_key"], "r");
        assert_eq!(v["message_type"], "CRITICAL");
        assert!(v.get("custom_fields").is_none());
    }
}
