//! `opsgenie_configs`: create and close OpsGenie alerts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Notifier, at_most_one, check_template_syntax, inherit_http, is_zero, or_global, validate_http,
};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Secret, Url, null_default};

/// The responder types OpsGenie accepts (checked unless templated).
pub const OPSGENIE_VALID_TYPES_RE: &str = "^(team|teams|user|escalation|schedule)$";
const OPSGENIE_VALID_TYPES: [&str; 5] = ["team", "teams", "user", "escalation", "schedule"];

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpsGenieConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub api_key: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub api_key_file: String,
    /// Unset until inherited from `opsgenie_api_url`; always ends with `/`
    /// afterwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub message: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub description: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub source: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub entity: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub responders: Vec<OpsGenieResponder>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub actions: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub tags: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub note: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub priority: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub update_alerts: bool,
}

/// A responder: at least one of `id`, `name`, `username`, and a `type`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpsGenieResponder {
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub id: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub name: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub username: String,
    #[serde(
        rename = "type",
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub kind: String,
}

impl Default for OpsGenieConfig {
    fn default() -> Self {
        OpsGenieConfig {
            send_resolved: true,
            http_config: None,
            api_key: Secret::default(),
            api_key_file: String::new(),
            api_url: None,
            message: r#"{{ template "opsgenie.default.message" . }}"#.into(),
            description: r#"{{ template "opsgenie.default.description" . }}"#.into(),
            source: r#"{{ template "opsgenie.default.source" . }}"#.into(),
            details: BTreeMap::new(),
            entity: String::new(),
            responders: Vec::new(),
            actions: String::new(),
            tags: String::new(),
            note: String::new(),
            priority: String::new(),
            update_alerts: false,
        }
    }
}

impl OpsGenieResponder {
    /// Go's `%v` of the responder, as used in the error messages.
    fn describe(&self, kind: &str) -> String {
        format!("{{{} {} {} {}}}", self.id, self.name, self.username, kind)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.id.is_empty() && self.username.is_empty() && self.name.is_empty() {
            return Err(format!(
                "opsGenieConfig responder {} has to have at least one of id, username or name specified",
                self.describe(&self.kind)
            ));
        }
        if self.kind.contains("{{") {
            return check_template_syntax(&self.kind).map_err(|e| {
                format!(
                    "opsGenieConfig responder {} type contains invalid template syntax: {e}",
                    self.describe(&self.kind)
                )
            });
        }
        // The type is matched in lower case (the configured value is kept).
        let lower = self.kind.to_lowercase();
        if !OPSGENIE_VALID_TYPES.contains(&lower.as_str()) {
            return Err(format!(
                "opsGenieConfig responder {} type does not match valid options {OPSGENIE_VALID_TYPES_RE}",
                self.describe(&lower)
            ));
        }
        Ok(())
    }
}

impl Notifier for OpsGenieConfig {
    const KIND: &'static str = "opsgenie";
    const NULL_ENTRY_CHECKED: bool = true;

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        at_most_one(
            ("api_key", !self.api_key.is_empty()),
            ("api_key_file", !self.api_key_file.is_empty()),
        )?;
        self.responders
            .iter()
            .try_for_each(OpsGenieResponder::validate)
    }

    fn inherit(&mut self, g: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, g);
        or_global(&mut self.api_url, &g.opsgenie_api_url);
        let Some(url) = &mut self.api_url else {
            return Err("no global OpsGenie URL set".into());
        };
        url.ensure_trailing_slash();
        // Key and key file are inherited separately.
        or_global(&mut self.api_key, &g.opsgenie_api_key);
        or_global(&mut self.api_key_file, &g.opsgenie_api_key_file);
        if self.api_key.is_empty() && self.api_key_file.is_empty() {
            return Err("no global OpsGenie API Key set either inline or in a file".into());
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

    #[test]
    fn minimal_config_and_defaults() {
        let c: OpsGenieConfig = resolved_with("api_key: xyz", "{}").unwrap();
        assert!(c.send_resolved);
        assert_eq!(c.message, r#"{{ template "opsgenie.default.message" . }}"#);
        assert_eq!(
            c.description,
            r#"{{ template "opsgenie.default.description" . }}"#
        );
        assert_eq!(c.source, r#"{{ template "opsgenie.default.source" . }}"#);
        assert_eq!(c.api_url.unwrap().as_str(), "https://api.opsgenie.com/");
        assert_eq!(c.http_config, Some(HttpClientConfig::default()));
        assert!(!c.update_alerts);
    }

    #[test]
    fn every_field() {
        let c: OpsGenieConfig = load(
            "api_key_file: /k\napi_url: http://example.com/og\nmessage: m\ndescription: d\n\
             source: s\ndetails: {a: b}\nentity: e\nactions: a,b\ntags: t1,t2\nnote: n\n\
             priority: P1\nupdate_alerts: true\nresponders:\n- {id: foo, type: scheDule}\n\
             - {name: bar, type: teams}\n- {username: fred, type: USER}\n\
             - {id: x, type: '{{/* valid comment */}}team'}",
        );
        assert_eq!(c.responders[0].kind, "scheDule");
        assert_eq!(c.details["a"], "b");
        assert!(c.update_alerts);
        let e = parse_err::<OpsGenieConfig>("api_key: x\nteams: ops");
        assert!(e.contains("unknown field `teams`"), "{e}");
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            (
                "api_key: xyz\napi_key_file: xyz",
                "at most one of api_key & api_key_file must be configured",
            ),
            (
                "responders: [{id: foo, type: Wrong}]",
                "opsGenieConfig responder {foo   wrong} type does not match valid options ^(team|teams|user|escalation|schedule)$",
            ),
            (
                "responders: [{type: schedule}]",
                "opsGenieConfig responder {   schedule} has to have at least one of id, username or name specified",
            ),
            (
                "responders: [{id: foo, type: '{{/* invalid comment }}team'}]",
                "opsGenieConfig responder {foo   {{/* invalid comment }}team} type contains invalid template syntax: template: :1: unclosed comment",
            ),
        ] {
            assert_eq!(load_err::<OpsGenieConfig>(yaml), want, "{yaml}");
        }
    }

    #[test]
    fn global_key_url_and_slash() {
        let c: OpsGenieConfig = resolved_with("{}", "opsgenie_api_key: gk").unwrap();
        assert_eq!(c.api_key.expose(), "gk");
        let c: OpsGenieConfig = resolved_with("api_key: qwe456", "opsgenie_api_key: gk").unwrap();
        assert_eq!(c.api_key.expose(), "qwe456");
        let c: OpsGenieConfig =
            resolved_with("api_key_file: /override_file", "opsgenie_api_key_file: /g").unwrap();
        assert_eq!(c.api_key_file, "/override_file");
        // Separate inheritance: a local key and the global file end up together.
        let c: OpsGenieConfig = resolved_with("api_key: k", "opsgenie_api_key_file: /g").unwrap();
        assert_eq!((c.api_key.expose(), c.api_key_file.as_str()), ("k", "/g"));
        let c: OpsGenieConfig =
            resolved_with("api_key: k", "opsgenie_api_url: https://og.example.com/v2").unwrap();
        assert_eq!(c.api_url.unwrap().as_str(), "https://og.example.com/v2/");
        assert_eq!(
            resolved_with::<OpsGenieConfig>("{}", "{}").unwrap_err(),
            "no global OpsGenie API Key set either inline or in a file"
        );
        assert_eq!(
            resolved_with::<OpsGenieConfig>("api_key: k", "opsgenie_api_url: ~").unwrap_err(),
            "no global OpsGenie URL set"
        );
    }

    #[test]
    fn key_is_masked() {
        let c: OpsGenieConfig = resolved_with("api_key: s3cret", "{}").unwrap();
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(
            !y.contains("s3cret") && y.contains("api_key: <secret>"),
            "{y}"
        );
    }
}
