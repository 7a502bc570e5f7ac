//! The `route:` tree as written in the configuration file, with the checks
//! Alertmanager makes on each node. The routing tree that dispatch uses (with
//! inherited options) is built from it in [`crate::dispatch::route`].

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::types::{Duration, go_quote, null_default};
use crate::matcher::compat::{self, ParseMode};
use crate::matcher::{MatchType, Matcher, Matchers, Regex};

/// One node of the routing tree as configured.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub receiver: String,

    /// `None` when the key is absent (inherit); `Some(vec![])` when written as
    /// `group_by: []` (override with "one group for everything", as Alertmanager
    /// ≥ 0.31 does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Vec<String>>,

    /// Deprecated equality matchers.
    #[serde(
        default,
        rename = "match",
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub match_eq: BTreeMap<String, String>,

    /// Deprecated regex matchers; a null value is an error.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub match_re: BTreeMap<String, Option<String>>,

    /// Matcher strings; after [`Route::validate`] they hold the canonical form
    /// of the parsed matchers, sorted, as Alertmanager re-marshals them.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub matchers: Vec<String>,

    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub mute_time_intervals: Vec<String>,

    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub active_time_intervals: Vec<String>,

    #[serde(default, rename = "continue")]
    pub continue_matching: bool,

    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub routes: Vec<Route>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_wait: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_interval: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<Duration>,

    /// Labels attached to the route (values may be templates), inherited and
    /// merged by child routes.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,

    /// All matchers of this node (match, match_re and matchers), sorted.
    #[serde(skip)]
    pub parsed_matchers: Matchers,
}

/// A label name as the classic data model allows it (`match` keys are always
/// held to this, whatever the matcher mode).
pub fn is_classic_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The matchers of a deprecated `match` / `match_re` pair, with Alertmanager's
/// checks and messages.
pub(crate) fn legacy_matchers(
    eq: &BTreeMap<String, String>,
    re: &BTreeMap<String, Option<String>>,
) -> Result<Vec<Matcher>, String> {
    let mut out = Vec::with_capacity(eq.len() + re.len());
    for (k, v) in eq {
        if !is_classic_label_name(k) {
            return Err(format!("invalid label name {}", go_quote(k)));
        }
        out.push(Matcher::new(MatchType::Equal, k, v)?);
    }
    for (k, v) in re {
        if !is_classic_label_name(k) {
            return Err(format!("invalid label name {}", go_quote(k)));
        }
        let Some(v) = v else {
            return Err(format!("invalid regexp value for {}", go_quote(k)));
        };
        // Compiling the pattern as written gives Alertmanager's error text; the
        // matcher then holds the anchored form, which is how Alertmanager
        // turns the compiled pattern back into text.
        Regex::new_anchored(v)?;
        out.push(Matcher::new(MatchType::Regexp, k, format!("^(?:{v})$"))?);
    }
    Ok(out)
}

/// Parses a list of matcher strings (each may hold several matchers) and
/// returns them sorted, collecting the parser's fallback warnings.
pub(crate) fn parse_matcher_lines(
    lines: &[String],
    mode: ParseMode,
    warnings: &mut Vec<String>,
) -> Result<Matchers, String> {
    let mut out = Vec::new();
    for line in lines {
        let (parsed, warning) = compat::parse_matchers(line, mode)?;
        if let Some(w) = warning {
            warnings.push(w.to_string());
        }
        out.extend(parsed);
    }
    let mut m = Matchers::from(out);
    m.sort();
    Ok(m)
}

/// Joins legacy and parsed matchers into one sorted list.
pub(crate) fn combine(mut legacy: Vec<Matcher>, parsed: &Matchers) -> Matchers {
    legacy.extend(parsed.iter().cloned());
    let mut m = Matchers::from(legacy);
    m.sort();
    m
}

impl Route {
    /// Checks this node and its children as Alertmanager does while loading,
    /// parses the matchers, and stores their canonical strings. Children are
    /// checked first, as Go's decoder reaches them first.
    pub fn validate(&mut self, mode: ParseMode, warnings: &mut Vec<String>) -> Result<(), String> {
        for child in &mut self.routes {
            child.validate(mode, warnings)?;
        }
        for k in self.labels.keys() {
            if !compat::is_valid_label_name(k, mode) {
                return Err(format!(
                    "invalid label name {} in route labels",
                    go_quote(k)
                ));
            }
        }
        if let Some(group_by) = &self.group_by {
            let mut seen = HashSet::new();
            let mut all = false;
            for l in group_by {
                if l == "..." {
                    all = true;
                    continue;
                }
                if !compat::is_valid_label_name(l, mode) {
                    return Err(format!(
                        "invalid label name {} in group_by list",
                        go_quote(l)
                    ));
                }
                if !seen.insert(l.as_str()) {
                    return Err(format!("duplicated label {} in group_by", go_quote(l)));
                }
            }
            if all && !seen.is_empty() {
                return Err(
                    "cannot have wildcard group_by (`...`) and other labels at the same time"
                        .to_string(),
                );
            }
        }
        if self.group_interval.is_some_and(|d| d.is_zero()) {
            return Err("group_interval cannot be zero".to_string());
        }
        if self.repeat_interval.is_some_and(|d| d.is_zero()) {
            return Err("repeat_interval cannot be zero".to_string());
        }
        let legacy = legacy_matchers(&self.match_eq, &self.match_re)?;
        let parsed = parse_matcher_lines(&self.matchers, mode, warnings)?;
        self.matchers = parsed.iter().map(|m| m.to_string()).collect();
        self.parsed_matchers = combine(legacy, &parsed);
        Ok(())
    }

    /// Whether the node has any matcher of any form.
    pub fn has_matchers(&self) -> bool {
        !self.match_eq.is_empty() || !self.match_re.is_empty() || !self.matchers.is_empty()
    }

    /// Visits this node and all descendants, depth first.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Route)) {
        visit(self);
        for child in &self.routes {
            child.walk(visit);
        }
    }
}
