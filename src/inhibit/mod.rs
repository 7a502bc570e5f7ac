//! The inhibitor: mutes alerts (targets) while other alerts (sources) fire,
//! following the configured `inhibit_rules`.
//!
//! It follows the alert store as an [`AlertObserver`]: every stored alert is
//! recorded in each rule whose source matchers it matches. [`Inhibitor::mutes`]
//! then answers, as Alertmanager's `Inhibitor.Mutes` does: for each rule in
//! configuration order whose target matchers match the target, look for a
//! source of that rule that
//! - is not resolved at the time asked about,
//! - has the target's value for every `equal` label (an absent label counts
//!   as `""`, on either side), and
//! - if the target matches the rule's source matchers as well, does not itself
//!   match the target matchers (so alerts matching both sides of a rule never
//!   inhibit one another, nor themselves).
//!
//! The first rule with such a source wins. A rule without any matchers matches
//! every alert on both sides and therefore inhibits nothing.
//!
//! Which source is reported when several qualify: Alertmanager 0.25 takes
//! whichever its map iteration yields first. Here it is the source that stays
//! firing longest (no end time, else the latest end time), then the lowest
//! fingerprint — deterministic, and close to 0.34's index, which keeps the
//! source resolving last. Unlike 0.34's single-entry index, every source is kept,
//! so a target is still inhibited when its preferred source is resolved,
//! removed, or excluded as two-sided while another qualifying source fires
//! (0.25's semantics).
//!
//! Sources are indexed per rule by their `equal` values (see the `index`
//! submodule), so a lookup costs one hash and one read lock per rule whose
//! target matchers match, independent of the number of sources.

mod index;

use std::sync::Arc;

use crate::alert::{Alert, Fingerprint, LabelSet, Timestamp};
use crate::config::InhibitRule;
use crate::matcher::Matchers;
use crate::store::AlertObserver;

use index::SourceIndex;

/// One configured rule with its sources.
#[derive(Debug)]
struct Rule {
    source: Matchers,
    target: Matchers,
    sources: SourceIndex,
}

/// Decides which alerts are inhibited. Cheap to query from many threads
/// while the store keeps it up to date.
#[derive(Debug)]
pub struct Inhibitor {
    rules: Vec<Rule>,
}

impl Inhibitor {
    /// An inhibitor for these (validated) rules, without any sources yet.
    pub fn new(rules: &[InhibitRule]) -> Inhibitor {
        Inhibitor {
            rules: rules
                .iter()
                .map(|r| Rule {
                    source: r.parsed_source.clone(),
                    target: r.parsed_target.clone(),
                    sources: SourceIndex::new(&r.equal),
                })
                .collect(),
        }
    }

    /// The number of rules.
    pub fn rules_len(&self) -> usize {
        self.rules.len()
    }

    /// The fingerprint of a source alert inhibiting `target` at `now`, if any.
    pub fn mutes(&self, target: &Alert, now: Timestamp) -> Option<Fingerprint> {
        self.mutes_labels(&target.labels, now)
    }

    /// Like [`Inhibitor::mutes`], for a bare label set.
    pub fn mutes_labels(&self, target: &LabelSet, now: Timestamp) -> Option<Fingerprint> {
        self.rules
            .iter()
            .filter(|r| r.target.matches(target))
            .find_map(|r| r.sources.find(target, r.source.matches(target), now))
    }

    /// The number of sources recorded for each rule, in rule order.
    pub fn sources_len(&self) -> Vec<usize> {
        self.rules.iter().map(|r| r.sources.len()).collect()
    }
}

impl AlertObserver for Inhibitor {
    fn on_put(&self, alert: &Arc<Alert>) {
        self.on_stored(alert.fingerprint(), alert);
    }

    fn on_stored(&self, fp: Fingerprint, alert: &Arc<Alert>) {
        for rule in &self.rules {
            if rule.source.matches(&alert.labels) {
                let two_sided = rule.target.matches(&alert.labels);
                rule.sources
                    .upsert(&alert.labels, fp, alert.ends_at, two_sided);
            } else {
                rule.sources.remove(&alert.labels, fp);
            }
        }
    }

    fn on_remove(&self, alert: &Arc<Alert>) {
        if self.rules.is_empty() {
            return;
        }
        let fp = alert.fingerprint();
        for rule in &self.rules {
            rule.sources.remove(&alert.labels, fp);
        }
    }
}

#[cfg(test)]
mod tests;
