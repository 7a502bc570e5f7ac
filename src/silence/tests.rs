//! Randomized and large-scale checks of silence matching: the indexed
//! [`Silences::mutes`] against a brute-force reference that evaluates every
//! silence with its own regex compilation, after random sequences of
//! creates, updates, replacements, expiries, merges and garbage collection.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::index::index_values;
use super::*;
use crate::matcher::{MatchType, Matcher};

/// SplitMix64: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn t(secs: i64) -> Timestamp {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

const NAMES: &[&str] = &["alertname", "job", "env", "inst"];
const VALUES: &[&str] = &[
    "", "a", "b", "ab", "api", "web", "Api", "db1", "db2", "é", "K",
];
/// Valid in both Go and Rust syntax with the same meaning.
const PATTERNS: &[&str] = &[
    "a|b",
    "ab?",
    "db[12]",
    "(?i)api",
    "(?i)k",
    "a.*",
    ".+",
    ".*",
    "",
    "web|",
    "api|web|db1",
    "é|a",
    "[^a]",
    "b{1,2}",
    "x",
    "(a|b)(b|)",
];

/// Brute-force matching that evaluates every silence, with matchers
/// evaluated independently of [`Matcher::matches`] (own regex compilation).
#[derive(Default)]
struct Reference {
    regexes: HashMap<String, regex::Regex>,
}

impl Reference {
    fn matcher(&mut self, m: &Matcher, value: &str) -> bool {
        match m.op() {
            MatchType::Equal => value == m.value(),
            MatchType::NotEqual => value != m.value(),
            MatchType::Regexp | MatchType::NotRegexp => {
                let re = self
                    .regexes
                    .entry(m.value().to_string())
                    .or_insert_with(|| regex::Regex::new(&format!("^(?:{})$", m.value())).unwrap());
                re.is_match(value) == (m.op() == MatchType::Regexp)
            }
        }
    }

    fn mutes(&mut self, all: &[Silence], labels: &LabelSet, now: Timestamp) -> SilenceMatch {
        let mut res = SilenceMatch::default();
        for s in all {
            let list = match s.state_at(now) {
                SilenceState::Active => &mut res.active,
                SilenceState::Pending => &mut res.pending,
                SilenceState::Expired => continue,
            };
            let hit = s
                .matchers
                .iter()
                .all(|m| self.matcher(m, labels.get(m.name()).unwrap_or("")));
            if hit {
                list.push(s.id.clone());
            }
        }
        res.active.sort();
        res.pending.sort();
        res
    }
}

fn random_matcher(rng: &mut Rng) -> Matcher {
    let op = *rng.pick(&[
        MatchType::Equal,
        MatchType::NotEqual,
        MatchType::Regexp,
        MatchType::NotRegexp,
    ]);
    let name = *rng.pick(NAMES);
    let value = if op.is_regex() {
        *rng.pick(PATTERNS)
    } else {
        *rng.pick(VALUES)
    };
    Matcher::new(op, name, value).unwrap()
}

fn random_matchers(rng: &mut Rng) -> crate::matcher::Matchers {
    let n = 1 + rng.below(3);
    (0..n).map(|_| random_matcher(rng)).collect()
}

fn random_silence(rng: &mut Rng) -> Silence {
    let start = rng.range(-50, 50);
    let end = start + rng.range(0, 100);
    Silence::new(random_matchers(rng), t(start), t(end))
}

fn random_labels(rng: &mut Rng) -> LabelSet {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for name in NAMES {
        if rng.chance(70) {
            pairs.push((name, *rng.pick(VALUES)));
        }
    }
    pairs.into_iter().collect()
}

fn check_matching(s: &Silences, rng: &mut Rng, reference: &mut Reference, rounds: usize) -> usize {
    let all = s.list();
    let mut hits = 0;
    for _ in 0..rounds {
        let labels = random_labels(rng);
        let now = t(rng.range(-60, 160));
        let got = s.mutes(&labels, now);
        assert_eq!(
            got,
            reference.mutes(&all, &labels, now),
            "{labels} at {now}"
        );
        // A label with an empty value is the same as an absent one.
        let without_empty = labels.filter(|n| labels.get(n) != Some(""));
        assert_eq!(s.mutes(&without_empty, now), got, "{labels}");
        hits += got.active.len() + got.pending.len();
    }
    hits
}

#[test]
fn random_operations_keep_the_index_exact() {
    let mut rng = Rng(0x5eed);
    let s = Silences::new(SilenceOptions {
        retention: Duration::from_secs(30),
        ..SilenceOptions::default()
    });
    let mut reference = Reference::default();
    let mut hits = 0;
    let mut counts = [0usize; 6];
    for step in 0..600 {
        let now = t(rng.range(-60, 160));
        let ids: Vec<String> = s.list().into_iter().map(|x| x.id).collect();
        let version = s.version();
        let op = if ids.is_empty() { 0 } else { rng.below(6) };
        let changed = match op {
            0 => s.set(random_silence(&mut rng), now).is_ok(),
            1 | 2 => {
                let id = rng.pick(&ids).clone();
                let mut upd = s.get(&id).unwrap();
                if op == 1 {
                    upd.matchers = random_matchers(&mut rng);
                }
                upd.ends_at += chrono::TimeDelta::seconds(rng.range(-20, 40));
                if rng.chance(30) {
                    upd.starts_at = t(rng.range(-50, 50));
                }
                s.set(upd, now).is_ok()
            }
            3 => {
                let id = rng.pick(&ids).clone();
                let before = s.get(&id).unwrap();
                s.expire(&id, now).unwrap();
                before.state_at(now) != SilenceState::Expired
            }
            4 => {
                let mut x = random_silence(&mut rng);
                x.id = if rng.chance(50) {
                    rng.pick(&ids).clone()
                } else {
                    format!("remote-{step}")
                };
                x.updated_at = t(rng.range(-60, 160));
                s.merge(x, now).unwrap()
            }
            _ => s.gc(now).unwrap() > 0,
        };
        if changed {
            counts[op] += 1;
            assert!(s.version() > version, "step {step}: version not bumped");
        } else {
            assert_eq!(s.version(), version, "step {step}: version bumped");
        }
        s.assert_consistent();
        hits += check_matching(&s, &mut rng, &mut reference, 8);
    }
    // Every kind of change happened, and matching found things.
    assert!(counts.iter().all(|&c| c > 10), "{counts:?}");
    assert!(hits > 500, "{hits}");
}

/// The values an indexable matcher admits are exactly those it matches,
/// over every string of up to three characters from a small alphabet.
#[test]
fn index_values_are_complete() {
    let alphabet = [
        "a", "b", "A", "B", "d", "1", "2", "w", "e", "p", "i", "é", "k", "K", "\u{212a}",
    ];
    let mut strings = vec![String::new()];
    let mut layer = vec![String::new()];
    for _ in 0..3 {
        layer = layer
            .iter()
            .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
            .collect();
        strings.extend(layer.iter().cloned());
    }
    let mut indexed = 0;
    for pattern in PATTERNS
        .iter()
        .chain(&["api|web", "(?i)ab", "a{0,2}b", "[ab][12]?"])
    {
        let m = Matcher::new(MatchType::Regexp, "x", *pattern).unwrap();
        let Some(values) = index_values(&m) else {
            continue;
        };
        indexed += 1;
        assert!(
            values.iter().all(|v| m.matches(v)),
            "{pattern:?}: {values:?}"
        );
        for v in &strings {
            assert_eq!(
                m.matches(v),
                values.contains(v),
                "{pattern:?} on {v:?}: {values:?}"
            );
        }
    }
    assert_eq!(indexed, 14);
}

/// 10k silences of the shapes seen in practice; matching results equal the
/// brute-force reference, and the index keeps the candidates few (the 1,000
/// negative-only silences are always scanned; the rest are found through
/// the index, even the ones filed under the two-valued `env` label).
#[test]
fn ten_thousand_silences() {
    let mut rng = Rng(42);
    let s = Silences::new(SilenceOptions::default());
    let m = |op, name: &str, value: String| Matcher::new(op, name, value).unwrap();
    for i in 0..10_000usize {
        use MatchType::*;
        let ms: Vec<Matcher> = match i % 10 {
            0..=5 => vec![
                m(Equal, "alertname", format!("Alert{}", i % 700)),
                if i % 2 == 0 {
                    m(
                        Regexp,
                        "instance",
                        format!("host{}|host{}", i % 50, (i + 1) % 50),
                    )
                } else {
                    m(NotEqual, "severity", "info".into())
                },
            ],
            6 | 7 => vec![
                m(Regexp, "job", format!("job{}|job{}", i % 30, (i + 7) % 30)),
                m(Equal, "env", if i % 3 == 0 { "dev" } else { "prod" }.into()),
            ],
            8 => vec![
                m(NotEqual, "alertname", format!("Alert{}", i % 700)),
                m(Regexp, "env", ".+".into()),
            ],
            _ => vec![
                m(Regexp, "alertname", "Alert1.*".into()),
                m(Equal, "instance", format!("host{}", i % 50)),
            ],
        };
        let start = rng.range(-100, 100);
        let end = start + rng.range(1, 200);
        let mut x = Silence::new(ms.into_iter().collect(), t(start), t(end));
        x.id = format!("{i:05}");
        x.updated_at = t(0);
        assert!(s.merge(x, t(0)).unwrap());
    }
    assert_eq!(s.len(), 10_000);
    assert_eq!(s.unindexed(), 1_000);
    s.assert_consistent();

    let all = s.list();
    let mut reference = Reference::default();
    let mut active = 0;
    for _ in 0..300 {
        let mut pairs = vec![
            ("alertname".to_string(), format!("Alert{}", rng.below(800))),
            ("instance".to_string(), format!("host{}", rng.below(60))),
            ("job".to_string(), format!("job{}", rng.below(35))),
        ];
        if let Some(env) = rng.pick(&[Some("prod"), Some("dev"), None]) {
            pairs.push(("env".to_string(), env.to_string()));
        }
        if rng.chance(50) {
            pairs.push((
                "severity".to_string(),
                rng.pick(&["info", "page"]).to_string(),
            ));
        }
        let labels = LabelSet::from_pairs(pairs);
        let now = t(rng.range(-100, 300));
        let got = s.mutes(&labels, now);
        assert_eq!(got, reference.mutes(&all, &labels, now), "{labels}");
        active += got.active.len();
        assert!(
            s.candidates(&labels) < 2_000,
            "{labels}: {} candidates",
            s.candidates(&labels)
        );
    }
    assert!(active > 1_000, "{active}");

    // Changes are visible to the very next lookup.
    let labels = LabelSet::from_pairs([("alertname", "Alert3"), ("instance", "host3")]);
    let before = s.mutes(&labels, t(0));
    let id = s
        .set(
            Silence::new(
                vec![m(MatchType::Equal, "alertname", "Alert3".into())]
                    .into_iter()
                    .collect(),
                t(0),
                t(10),
            ),
            t(0),
        )
        .unwrap();
    let after = s.mutes(&labels, t(0));
    assert!(!before.active.contains(&id));
    assert!(after.active.contains(&id));
    s.expire(&id, t(0)).unwrap();
    assert!(!s.mutes(&labels, t(1)).active.contains(&id));
}
