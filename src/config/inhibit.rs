//! `inhibit_rules:` entries as configured, with Alertmanager's checks. The
//! inhibitor itself lives in [`crate::inhibit`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::route::{combine, is_classic_label_name, legacy_matchers, parse_matcher_lines};
use super::types::{go_quote, null_default};
use crate::matcher::Matchers;
use crate::matcher::compat::{self, ParseMode};

/// One inhibition rule: alerts matching the target matchers are muted while an
/// alert matching the source matchers fires with the same `equal` labels.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InhibitRule {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub source_match: BTreeMap<String, String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub source_match_re: BTreeMap<String, Option<String>>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub source_matchers: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub target_match: BTreeMap<String, String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub target_match_re: BTreeMap<String, Option<String>>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub target_matchers: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub equal: Vec<String>,

    /// Every source matcher (legacy and new forms, AND-ed), sorted.
    #[serde(skip)]
    pub parsed_source: Matchers,
    /// Every target matcher (legacy and new forms, AND-ed), sorted.
    #[serde(skip)]
    pub parsed_target: Matchers,
}

impl InhibitRule {
    /// Checks the rule and parses its matchers.
    pub fn validate(&mut self, mode: ParseMode, warnings: &mut Vec<String>) -> Result<(), String> {
        for k in self.source_match.keys().chain(self.target_match.keys()) {
            if !is_classic_label_name(k) {
                return Err(format!("invalid label name {}", go_quote(k)));
            }
        }
        for l in &self.equal {
            if !compat::is_valid_label_name(l, mode) {
                return Err(format!("invalid label name {} in equal list", go_quote(l)));
            }
        }
        let legacy_source = legacy_matchers(&self.source_match, &self.source_match_re)?;
        let source = parse_matcher_lines(&self.source_matchers, mode, warnings)?;
        let legacy_target = legacy_matchers(&self.target_match, &self.target_match_re)?;
        let target = parse_matcher_lines(&self.target_matchers, mode, warnings)?;
        self.source_matchers = source.iter().map(|m| m.to_string()).collect();
        self.target_matchers = target.iter().map(|m| m.to_string()).collect();
        self.parsed_source = combine(legacy_source, &source);
        self.parsed_target = combine(legacy_target, &target);
        Ok(())
    }
}
