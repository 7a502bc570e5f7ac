//! Tests of the inhibitor: Alertmanager's cases, updates through the store
//! observer, and a randomized comparison with a brute-force inhibitor.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{TimeZone, Utc};

use super::*;
use crate::config::{Config, LoadOptions};
use crate::matcher::compat::ParseMode;
use crate::matcher::{MatchType, Matcher};

fn ls(pairs: &[(&str, &str)]) -> LabelSet {
    pairs.iter().copied().collect()
}

fn t(secs: i64) -> Timestamp {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn alert(labels: LabelSet, ends_at: Option<i64>) -> Arc<Alert> {
    Arc::new(Alert {
        labels,
        annotations: LabelSet::empty(),
        starts_at: t(-60),
        ends_at: ends_at.map(t),
        updated_at: t(-60),
        generator_url: "".into(),
        timeout: false,
    })
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A rule from `source_matchers` / `target_matchers` lines, validated as
/// the configuration loader does.
fn rule(source: &[&str], target: &[&str], equal: &[&str]) -> InhibitRule {
    let mut r = InhibitRule {
        source_matchers: strings(source),
        target_matchers: strings(target),
        equal: strings(equal),
        ..InhibitRule::default()
    };
    r.validate(ParseMode::Fallback, &mut Vec::new()).unwrap();
    r
}

/// A rule from the deprecated `source_match` / `target_match` maps.
fn legacy_rule(source: (&str, &str), target: (&str, &str), equal: &[&str]) -> InhibitRule {
    let mut r = InhibitRule {
        source_match: BTreeMap::from([(source.0.to_string(), source.1.to_string())]),
        target_match: BTreeMap::from([(target.0.to_string(), target.1.to_string())]),
        equal: strings(equal),
        ..InhibitRule::default()
    };
    r.validate(ParseMode::Fallback, &mut Vec::new()).unwrap();
    r
}

fn muted(ih: &Inhibitor, target: &[(&str, &str)]) -> Option<Fingerprint> {
    ih.mutes(&alert(ls(target), None), t(0))
}

#[test]
fn inhibitor_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Inhibitor>();
}

/// Alertmanager's `TestInhibitRuleMatches`: two legacy-matcher rules, the
/// second one's source also matching its target matchers.
#[test]
fn rule_matches() {
    let ih = Inhibitor::new(&[
        legacy_rule(("s1", "1"), ("t1", "1"), &["e"]),
        legacy_rule(("s2", "1"), ("t2", "1"), &["e"]),
    ]);
    assert_eq!(ih.rules_len(), 2);
    let source1 = alert(ls(&[("s1", "1"), ("t1", "2"), ("e", "1")]), Some(3600));
    let source2 = alert(ls(&[("s2", "1"), ("t2", "1"), ("e", "1")]), Some(3600));
    ih.on_put(&source1);
    ih.on_put(&source2);
    assert_eq!(ih.sources_len(), vec![1, 1]);
    let (fp1, fp2) = (source1.fingerprint(), source2.fingerprint());
    for (target, want) in [
        (&[("t1", "1"), ("e", "1")][..], Some(fp1)),
        (&[("t2", "1"), ("e", "1")], Some(fp2)),
        (&[("t1", "1"), ("t3", "1"), ("e", "1")], Some(fp1)),
        // Both rules' targets: the first rule answers.
        (&[("t1", "1"), ("t2", "1"), ("e", "1")], Some(fp1)),
        (&[("t1", "0"), ("e", "1")], None),
        // Both sides of rule 1; source1 matches only its source side.
        (&[("s1", "1"), ("t1", "1"), ("e", "1")], Some(fp1)),
        // Both sides of rule 2, as source2 is: no mutual inhibition.
        (&[("s2", "1"), ("t2", "1"), ("e", "1")], None),
        (&[("t1", "1"), ("e", "0")], None),
    ] {
        assert_eq!(muted(&ih, target), want, "{target:?}");
    }
}

/// Alertmanager's `TestInhibitRuleMatchers`: the same with new-style
/// matchers, the first rule's target being `t1!="1"`.
#[test]
fn rule_matchers() {
    let ih = Inhibitor::new(&[
        rule(&["s1=1"], &["t1!=1"], &["e"]),
        rule(&["s2=1"], &["t2=1"], &["e"]),
    ]);
    let source1 = alert(ls(&[("s1", "1"), ("t1", "2"), ("e", "1")]), Some(3600));
    let source2 = alert(ls(&[("s2", "1"), ("t2", "1"), ("e", "1")]), Some(3600));
    ih.on_put(&source1);
    ih.on_put(&source2);
    let (fp1, fp2) = (source1.fingerprint(), source2.fingerprint());
    for (target, want) in [
        (&[("t1", "1"), ("e", "1")][..], None),
        // t1 absent is t1!="1": rule 1 comes first.
        (&[("t2", "1"), ("e", "1")], Some(fp1)),
        (&[("t1", "1"), ("t3", "1"), ("e", "1")], None),
        (&[("t1", "1"), ("t2", "1"), ("e", "1")], Some(fp2)),
        (&[("t1", "0"), ("e", "1")], Some(fp1)),
        // Not a target of rule 1 (t1="1") nor of rule 2.
        (&[("s1", "1"), ("t1", "1"), ("e", "1")], None),
        // Both sides of rule 2, as source2 is, but rule 1 (t1 absent) mutes it.
        (&[("s2", "1"), ("t2", "1"), ("e", "1")], Some(fp1)),
        (&[("t1", "1"), ("e", "0")], None),
    ] {
        assert_eq!(muted(&ih, target), want, "{target:?}");
    }
}

/// Alertmanager's `TestInhibit`: a target is muted while its source fires
/// and free again once a re-put resolves the source.
#[test]
fn source_updates() {
    let ih = Inhibitor::new(&[legacy_rule(("s", "1"), ("t", "1"), &["e"])]);
    let target = alert(ls(&[("t", "1"), ("e", "f")]), Some(3600));
    ih.on_put(&target);
    assert_eq!(ih.sources_len(), vec![0]);
    assert_eq!(ih.mutes(&target, t(0)), None);

    let source = alert(ls(&[("s", "1"), ("e", "f")]), Some(3600));
    ih.on_put(&source);
    assert_eq!(ih.mutes(&target, t(0)), Some(source.fingerprint()));
    assert_eq!(ih.mutes(&source, t(0)), None);
    // Past the source's end time it no longer counts.
    assert_eq!(ih.mutes(&target, t(3600)), None);

    ih.on_put(&alert(ls(&[("s", "1"), ("e", "f")]), Some(-1)));
    assert_eq!(ih.sources_len(), vec![1]);
    assert_eq!(ih.mutes(&target, t(0)), None);
    assert_eq!(ih.mutes(&source, t(0)), None);

    // Firing again (no end time at all this time).
    ih.on_put(&alert(ls(&[("s", "1"), ("e", "f")]), None));
    assert_eq!(ih.mutes(&target, t(1_000_000)), Some(source.fingerprint()));

    ih.on_remove(&source);
    assert_eq!(ih.sources_len(), vec![0]);
    assert_eq!(ih.mutes(&target, t(0)), None);
    // Removing what is not there is harmless.
    ih.on_remove(&target);
    ih.on_remove(&source);
    assert_eq!(ih.sources_len(), vec![0]);
}

#[test]
fn equal_labels_absent_and_present() {
    let ih = Inhibitor::new(&[rule(
        &["alertname=Src"],
        &["alertname=Tgt"],
        &["dc", "zone"],
    )]);
    let src = alert(ls(&[("alertname", "Src"), ("dc", "x")]), None);
    ih.on_put(&src);
    let fp = Some(src.fingerprint());
    // zone absent on both sides, or "" on the target: equal.
    assert_eq!(muted(&ih, &[("alertname", "Tgt"), ("dc", "x")]), fp);
    assert_eq!(
        muted(&ih, &[("alertname", "Tgt"), ("dc", "x"), ("zone", "")]),
        fp
    );
    // Other labels do not matter.
    assert_eq!(
        muted(&ih, &[("alertname", "Tgt"), ("dc", "x"), ("pod", "p")]),
        fp
    );
    // zone only on the target, dc different, dc missing.
    assert_eq!(
        muted(&ih, &[("alertname", "Tgt"), ("dc", "x"), ("zone", "a")]),
        None
    );
    assert_eq!(muted(&ih, &[("alertname", "Tgt"), ("dc", "y")]), None);
    assert_eq!(muted(&ih, &[("alertname", "Tgt")]), None);
}

#[test]
fn no_equal_labels_any_source_inhibits() {
    let ih = Inhibitor::new(&[rule(&["severity=critical"], &["severity=warning"], &[])]);
    let src = alert(ls(&[("alertname", "A"), ("severity", "critical")]), None);
    ih.on_put(&src);
    assert_eq!(
        muted(&ih, &[("alertname", "B"), ("severity", "warning")]),
        Some(src.fingerprint())
    );
    assert_eq!(
        muted(&ih, &[("alertname", "B"), ("severity", "info")]),
        None
    );
}

#[test]
fn no_self_or_mutual_inhibition() {
    // Every alert with severity=~"warning|critical" is both source and target.
    let ih = Inhibitor::new(&[rule(
        &[r#"severity=~"warning|critical""#],
        &[r#"severity=~"warning|critical""#],
        &["cluster"],
    )]);
    let a = alert(
        ls(&[("n", "a"), ("severity", "critical"), ("cluster", "c")]),
        None,
    );
    let b = alert(
        ls(&[("n", "b"), ("severity", "warning"), ("cluster", "c")]),
        None,
    );
    ih.on_put(&a);
    assert_eq!(ih.mutes(&a, t(0)), None, "itself");
    ih.on_put(&b);
    assert_eq!(ih.mutes(&a, t(0)), None);
    assert_eq!(ih.mutes(&b, t(0)), None);
    // A rule whose target side is narrower still lets the wider source act on
    // targets outside its own source side.
    let ih = Inhibitor::new(&[rule(&["severity=critical"], &[r#"severity=~".+""#], &[])]);
    ih.on_put(&a);
    assert_eq!(ih.mutes(&a, t(0)), None);
    assert_eq!(ih.mutes(&b, t(0)), Some(a.fingerprint()));
}

#[test]
fn regex_matchers() {
    let ih = Inhibitor::new(&[rule(
        &[r#"alertname=~"(Node|Host)Down""#, r#"env!~"dev|test""#],
        &[r#"alertname=~"Disk.*""#, "team!=infra"],
        &["instance"],
    )]);
    let down = alert(
        ls(&[
            ("alertname", "NodeDown"),
            ("env", "prod"),
            ("instance", "i1"),
        ]),
        None,
    );
    let dev_down = alert(
        ls(&[
            ("alertname", "HostDown"),
            ("env", "dev"),
            ("instance", "i2"),
        ]),
        None,
    );
    // Anchored: "NodeDownX" is not a source.
    let not_down = alert(ls(&[("alertname", "NodeDownX"), ("instance", "i3")]), None);
    for a in [&down, &dev_down, &not_down] {
        ih.on_put(a);
    }
    assert_eq!(ih.sources_len(), vec![1]);
    let fp = Some(down.fingerprint());
    assert_eq!(
        muted(&ih, &[("alertname", "DiskFull"), ("instance", "i1")]),
        fp
    );
    assert_eq!(muted(&ih, &[("alertname", "Disk"), ("instance", "i1")]), fp);
    assert_eq!(
        muted(
            &ih,
            &[
                ("alertname", "DiskFull"),
                ("instance", "i1"),
                ("team", "infra")
            ]
        ),
        None
    );
    assert_eq!(
        muted(&ih, &[("alertname", "XDiskFull"), ("instance", "i1")]),
        None
    );
    assert_eq!(
        muted(&ih, &[("alertname", "DiskFull"), ("instance", "i2")]),
        None
    );
    assert_eq!(
        muted(&ih, &[("alertname", "DiskFull"), ("instance", "i3")]),
        None
    );
}

#[test]
fn multiple_rules_first_match_in_config_order() {
    let ih = Inhibitor::new(&[
        rule(&["alertname=A"], &["severity=warning"], &["zone"]),
        rule(&["alertname=B"], &["severity=warning"], &[]),
    ]);
    let a = alert(ls(&[("alertname", "A"), ("zone", "z1")]), None);
    let b = alert(ls(&[("alertname", "B")]), None);
    ih.on_put(&a);
    ih.on_put(&b);
    assert_eq!(ih.sources_len(), vec![1, 1]);
    let target = &[("severity", "warning"), ("zone", "z1")][..];
    assert_eq!(muted(&ih, target), Some(a.fingerprint()));
    // Rule 1 has nothing for zone z2; rule 2 takes over.
    assert_eq!(
        muted(&ih, &[("severity", "warning"), ("zone", "z2")]),
        Some(b.fingerprint())
    );
    ih.on_put(&alert(ls(&[("alertname", "A"), ("zone", "z1")]), Some(-1)));
    assert_eq!(muted(&ih, target), Some(b.fingerprint()));
    ih.on_remove(&b);
    assert_eq!(muted(&ih, target), None);
}

#[test]
fn the_longest_firing_source_is_reported() {
    let ih = Inhibitor::new(&[rule(&["alertname=Src"], &["alertname=Tgt"], &["e"])]);
    let s1 = alert(
        ls(&[("alertname", "Src"), ("e", "1"), ("n", "1")]),
        Some(100),
    );
    let s2 = alert(
        ls(&[("alertname", "Src"), ("e", "1"), ("n", "2")]),
        Some(200),
    );
    let s3 = alert(
        ls(&[("alertname", "Src"), ("e", "1"), ("n", "3")]),
        Some(200),
    );
    for s in [&s1, &s2, &s3] {
        ih.on_put(s);
    }
    let target = alert(ls(&[("alertname", "Tgt"), ("e", "1")]), None);
    let lowest = s2.fingerprint().min(s3.fingerprint());
    assert_eq!(ih.mutes(&target, t(0)), Some(lowest));
    assert_eq!(ih.mutes(&target, t(150)), Some(lowest));
    ih.on_remove(&s2);
    ih.on_remove(&s3);
    assert_eq!(ih.mutes(&target, t(0)), Some(s1.fingerprint()));
    assert_eq!(ih.mutes(&target, t(100)), None);
}

/// A source resolved and then removed leaves another qualifying source of
/// the same `equal` values in charge (Alertmanager 0.34's single-entry
/// index would forget it).
#[test]
fn other_sources_of_the_same_bucket_take_over() {
    let ih = Inhibitor::new(&[rule(&["alertname=Src"], &["alertname=Tgt"], &["e"])]);
    let long = alert(
        ls(&[("alertname", "Src"), ("e", "1"), ("n", "1")]),
        Some(1000),
    );
    let short = alert(
        ls(&[("alertname", "Src"), ("e", "1"), ("n", "2")]),
        Some(10),
    );
    ih.on_put(&short);
    ih.on_put(&long);
    let target = alert(ls(&[("alertname", "Tgt"), ("e", "1")]), None);
    assert_eq!(ih.mutes(&target, t(0)), Some(long.fingerprint()));
    ih.on_remove(&long);
    assert_eq!(ih.mutes(&target, t(0)), Some(short.fingerprint()));
}

/// A re-put of an alert that no longer matches a rule's source matchers
/// takes it out of that rule (constructed: real label sets never change
/// under one fingerprint, so this tampers with the labels directly).
#[test]
fn re_put_not_matching_the_source_any_more() {
    let ih = Inhibitor::new(&[rule(&["kind=src"], &["kind=tgt"], &[])]);
    let src = alert(ls(&[("kind", "src")]), None);
    ih.on_put(&src);
    assert_eq!(ih.sources_len(), vec![1]);
    // Same labels under the equal-label key, different source side: the
    // index finds the entry by the (empty) equal values and drops it.
    let mut changed = (*src).clone();
    changed.labels = ls(&[("kind", "other")]);
    let fp = src.fingerprint();
    for r in &ih.rules {
        assert!(!r.source.matches(&changed.labels));
        assert!(r.sources.remove(&changed.labels, fp));
    }
    assert_eq!(ih.sources_len(), vec![0]);
    // Through the observer, a put that does not match is a no-op removal.
    ih.on_put(&alert(ls(&[("kind", "other")]), None));
    assert_eq!(ih.sources_len(), vec![0]);
}

/// Alertmanager's `TestEmptyInhibitionRule`: an empty rule loads and mutes
/// nothing (every alert is source and target, so never inhibited). The
/// rule is a bare `-`, as upstream writes it.
#[test]
fn empty_rule_inhibits_nothing() {
    let yaml = "route:\n  receiver: default\nreceivers:\n- name: default\ninhibit_rules:\n-\n";
    let cfg = Config::load(yaml, LoadOptions::default()).unwrap();
    assert_eq!(cfg.inhibit_rules.len(), 1);
    let ih = Inhibitor::new(&cfg.inhibit_rules);
    let a = alert(ls(&[("alertname", "A")]), None);
    let b = alert(ls(&[("alertname", "B")]), None);
    ih.on_put(&a);
    ih.on_put(&b);
    assert_eq!(ih.sources_len(), vec![2]);
    assert_eq!(ih.mutes(&a, t(0)), None);
    assert_eq!(ih.mutes(&b, t(0)), None);
    assert_eq!(muted(&ih, &[("alertname", "C")]), None);
}

#[test]
fn no_rules() {
    let ih = Inhibitor::new(&[]);
    assert_eq!(ih.rules_len(), 0);
    let a = alert(ls(&[("alertname", "A")]), None);
    ih.on_put(&a);
    ih.on_remove(&a);
    assert_eq!(ih.mutes(&a, t(0)), None);
}

/// 10k sources over 1000 clusters, 100k targets over 2000 clusters: exactly
/// the targets of the first 1000 clusters are muted, each by the source of
/// its cluster with the latest end time.
#[test]
fn many_sources_and_targets() {
    let ih = Inhibitor::new(&[rule(&["alertname=Src"], &["alertname=Tgt"], &["cluster"])]);
    for i in 0..10_000 {
        let cluster = format!("c{}", i % 1000);
        let inst = i.to_string();
        let labels = ls(&[
            ("alertname", "Src"),
            ("cluster", &cluster),
            ("instance", &inst),
        ]);
        ih.on_put(&alert(labels, Some(1000 + i)));
    }
    assert_eq!(ih.sources_len(), vec![10_000]);
    let mut count = 0;
    for j in 0..100_000 {
        let cluster = format!("c{}", j % 2000);
        let inst = j.to_string();
        let target = ls(&[
            ("alertname", "Tgt"),
            ("cluster", &cluster),
            ("instance", &inst),
        ]);
        let got = ih.mutes_labels(&target, t(0));
        if j % 2000 < 1000 {
            let i = 9000 + j % 1000;
            let inst = i.to_string();
            let want = ls(&[
                ("alertname", "Src"),
                ("cluster", &cluster),
                ("instance", &inst),
            ]);
            assert_eq!(got, Some(want.fingerprint()), "target {j}");
            count += 1;
        } else {
            assert_eq!(got, None, "target {j}");
        }
    }
    assert_eq!(count, 50_000);
}

#[test]
fn concurrent_writers_and_readers() {
    let ih = Inhibitor::new(&[rule(&["kind=src"], &["kind=tgt"], &["g"])]);
    let src = |w: usize, i: usize| {
        let (g, n) = ((i % 10).to_string(), format!("{w}-{i}"));
        alert(ls(&[("kind", "src"), ("g", &g), ("n", &n)]), None)
    };
    std::thread::scope(|s| {
        for w in 0..2 {
            let ih = &ih;
            s.spawn(move || {
                for i in 0..2000 {
                    ih.on_put(&src(w, i));
                    if i % 2 == 1 {
                        ih.on_remove(&src(w, i));
                    }
                }
            });
        }
        for _ in 0..2 {
            let ih = &ih;
            s.spawn(move || {
                for i in 0..2000 {
                    let g = (i % 10).to_string();
                    // Either state is fine mid-way; it must not deadlock or panic.
                    let _ = ih.mutes_labels(&ls(&[("kind", "tgt"), ("g", &g)]), t(0));
                }
            });
        }
    });
    assert_eq!(ih.sources_len(), vec![2000]);
    for g in 0..10 {
        let g = g.to_string();
        let got = muted(&ih, &[("kind", "tgt"), ("g", &g)]);
        // No end times: the lowest fingerprint of the group's sources.
        let want = (0..2)
            .flat_map(|w| (0..2000).step_by(2).map(move |i| (w, i)))
            .map(|(w, i)| src(w, i))
            .filter(|a| a.labels.get("g") == Some(g.as_str()))
            .map(|a| a.fingerprint())
            .min();
        assert_eq!(got, want);
    }
}

/// Deterministic xorshift64* generator for the randomized test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NAMES: &[&str] = &["a", "b", "c", "d"];
const VALUES: &[&str] = &["", "1", "2", "3"];
const PATTERNS: &[&str] = &["1", "1|2", "[23]", ".+", ".*", ""];

fn random_labels(rng: &mut Rng) -> LabelSet {
    let mut pairs = Vec::new();
    for n in NAMES {
        // Absent half of the time; sometimes present with "".
        if rng.below(2) == 0 {
            pairs.push((*n, rng.pick(VALUES)));
        }
    }
    LabelSet::from_pairs(pairs)
}

fn random_matchers(rng: &mut Rng) -> Matchers {
    (0..rng.below(3))
        .map(|_| {
            let name = rng.pick(NAMES);
            match rng.below(4) {
                0 => Matcher::new(MatchType::Equal, name, rng.pick(VALUES)),
                1 => Matcher::new(MatchType::NotEqual, name, rng.pick(VALUES)),
                2 => Matcher::new(MatchType::Regexp, name, rng.pick(PATTERNS)),
                _ => Matcher::new(MatchType::NotRegexp, name, rng.pick(PATTERNS)),
            }
            .unwrap()
        })
        .collect()
}

fn random_rule(rng: &mut Rng) -> InhibitRule {
    let equal = (0..rng.below(3))
        .map(|_| rng.pick(&["a", "b", "c", "d", "z"]).to_string())
        .collect();
    InhibitRule {
        equal,
        parsed_source: random_matchers(rng),
        parsed_target: random_matchers(rng),
        ..InhibitRule::default()
    }
}

/// Alertmanager's semantics written out as directly as possible: scan every
/// stored alert for every rule.
struct BruteForce {
    rules: Vec<InhibitRule>,
    alerts: HashMap<Fingerprint, Arc<Alert>>,
}

impl BruteForce {
    fn mutes(&self, target: &LabelSet, now: Timestamp) -> Option<Fingerprint> {
        for r in &self.rules {
            if !r.parsed_target.matches(target) {
                continue;
            }
            let exclude = r.parsed_source.matches(target);
            let best = self
                .alerts
                .values()
                .filter(|a| r.parsed_source.matches(&a.labels))
                .filter(|a| !a.resolved_at(now))
                .filter(|a| {
                    r.equal
                        .iter()
                        .all(|n| a.labels.get(n).unwrap_or("") == target.get(n).unwrap_or(""))
                })
                .filter(|a| !(exclude && r.parsed_target.matches(&a.labels)))
                // Longest firing (None = forever), then lowest fingerprint.
                .min_by_key(|a| (Reverse((a.ends_at.is_none(), a.ends_at)), a.fingerprint()));
            if let Some(a) = best {
                return Some(a.fingerprint());
            }
        }
        None
    }
}

#[test]
fn randomized_against_brute_force() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut muted_seen = 0;
    for _round in 0..40 {
        let rules: Vec<InhibitRule> = (0..1 + rng.below(3))
            .map(|_| random_rule(&mut rng))
            .collect();
        let ih = Inhibitor::new(&rules);
        let mut brute = BruteForce {
            rules,
            alerts: HashMap::new(),
        };
        for _step in 0..300 {
            match rng.below(10) {
                0..=4 => {
                    let ends_at = match rng.below(3) {
                        0 => None,
                        _ => Some(rng.below(21) as i64 - 10),
                    };
                    let a = alert(random_labels(&mut rng), ends_at);
                    ih.on_put(&a);
                    brute.alerts.insert(a.fingerprint(), a);
                }
                5 => {
                    let mut fps: Vec<Fingerprint> = brute.alerts.keys().copied().collect();
                    fps.sort();
                    if !fps.is_empty() {
                        let fp = fps[rng.below(fps.len())];
                        let a = brute.alerts.remove(&fp).unwrap();
                        ih.on_remove(&a);
                    }
                }
                _ => {
                    let target = random_labels(&mut rng);
                    let now = t(rng.below(21) as i64 - 10);
                    let want = brute.mutes(&target, now);
                    muted_seen += usize::from(want.is_some());
                    assert_eq!(ih.mutes_labels(&target, now), want, "{target} at {now}");
                }
            }
        }
        let counts: Vec<usize> = brute
            .rules
            .iter()
            .map(|r| {
                brute
                    .alerts
                    .values()
                    .filter(|a| r.parsed_source.matches(&a.labels))
                    .count()
            })
            .collect();
        assert_eq!(ih.sources_len(), counts);
    }
    // The comparison is only meaningful if a fair share of targets is muted.
    assert!(muted_seen > 500, "{muted_seen}");
}
