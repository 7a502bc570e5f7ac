//! The source alerts of one inhibition rule, indexed by the values of the
//! rule's `equal` labels.
//!
//! A target only ever looks at the sources whose `equal` values are exactly
//! its own, so sources are grouped into buckets keyed by those values (found
//! through a 64-bit hash and then compared exactly, so hash collisions cost
//! time, never correctness). Inside a bucket, sources are kept in two ordered
//! sets — those that also match the rule's target matchers ("two-sided") and
//! those that do not — ordered by how long they stay firing: no end time
//! first, then the latest end time, ties by the lowest fingerprint. The first
//! entry of a set is therefore the best candidate, and if even it is resolved
//! at the time asked about, every entry of the set is: a lookup never scans.
//!
//! The buckets are spread over a few shards, each behind its own `RwLock`, by
//! the same hash; readers (API, flushes) and writers (ingestion) of different
//! shards never meet.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hasher};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::alert::{Fingerprint, LabelSet, Timestamp};

/// Shards per rule.
const SHARDS: usize = 16;

/// How long a source stays firing: an alert without end time outlasts every
/// alert with one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Until {
    At(Timestamp),
    Forever,
}

/// A source's position in its bucket: longest-firing first, then by
/// fingerprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    until: Reverse<Until>,
    fp: Fingerprint,
}

impl Slot {
    fn new(fp: Fingerprint, ends_at: Option<Timestamp>) -> Slot {
        let until = match ends_at {
            Some(t) => Until::At(t),
            None => Until::Forever,
        };
        Slot {
            until: Reverse(until),
            fp,
        }
    }

    /// Whether the source is resolved at `now` (an end time at or before it).
    fn resolved_at(&self, now: Timestamp) -> bool {
        match self.until.0 {
            Until::At(t) => t <= now,
            Until::Forever => false,
        }
    }
}

/// All sources sharing one tuple of `equal` values.
#[derive(Debug)]
struct Bucket {
    /// The `equal` values, in the order of [`SourceIndex::equal`].
    values: Box<[Box<str>]>,
    one_sided: BTreeSet<Slot>,
    two_sided: BTreeSet<Slot>,
}

impl Bucket {
    fn set_mut(&mut self, two_sided: bool) -> &mut BTreeSet<Slot> {
        if two_sided {
            &mut self.two_sided
        } else {
            &mut self.one_sided
        }
    }

    fn is_empty(&self) -> bool {
        self.one_sided.is_empty() && self.two_sided.is_empty()
    }
}

/// Where a stored source sits, to update or remove it.
#[derive(Clone, Copy, Debug)]
struct Member {
    hash: u64,
    slot: Slot,
    two_sided: bool,
}

#[derive(Debug, Default)]
struct Shard {
    members: HashMap<Fingerprint, Member>,
    /// Buckets by the hash of their values; more than one only on a collision.
    buckets: HashMap<u64, Vec<Bucket>>,
}

impl Shard {
    fn bucket(&self, hash: u64, labels: &LabelSet, equal: &[Box<str>]) -> Option<&Bucket> {
        self.buckets
            .get(&hash)?
            .iter()
            .find(|b| values_equal(&b.values, labels, equal))
    }

    fn remove(&mut self, fp: Fingerprint) -> bool {
        let Some(m) = self.members.remove(&fp) else {
            return false;
        };
        if let Some(list) = self.buckets.get_mut(&m.hash) {
            if let Some(i) = list
                .iter_mut()
                .position(|b| b.set_mut(m.two_sided).remove(&m.slot))
                && list[i].is_empty()
            {
                list.swap_remove(i);
            }
            if list.is_empty() {
                self.buckets.remove(&m.hash);
            }
        }
        true
    }

    fn insert(&mut self, hash: u64, labels: &LabelSet, equal: &[Box<str>], member: Member) {
        let list = self.buckets.entry(hash).or_default();
        let i = match list
            .iter()
            .position(|b| values_equal(&b.values, labels, equal))
        {
            Some(i) => i,
            None => {
                list.push(Bucket {
                    values: equal
                        .iter()
                        .map(|n| Box::from(labels.get(n).unwrap_or("")))
                        .collect(),
                    one_sided: BTreeSet::new(),
                    two_sided: BTreeSet::new(),
                });
                list.len() - 1
            }
        };
        list[i].set_mut(member.two_sided).insert(member.slot);
        self.members.insert(member.slot.fp, member);
    }
}

/// Whether `labels` carries `values` for the `equal` names (absent = `""`).
fn values_equal(values: &[Box<str>], labels: &LabelSet, equal: &[Box<str>]) -> bool {
    values
        .iter()
        .zip(equal)
        .all(|(v, n)| **v == *labels.get(n).unwrap_or(""))
}

/// The source alerts of one rule.
#[derive(Debug)]
pub(super) struct SourceIndex {
    /// The rule's `equal` label names, sorted and without duplicates.
    equal: Box<[Box<str>]>,
    shards: Box<[RwLock<Shard>]>,
}

impl SourceIndex {
    pub(super) fn new(equal: &[String]) -> SourceIndex {
        let mut names: Vec<Box<str>> = equal.iter().map(|n| Box::from(n.as_str())).collect();
        names.sort();
        names.dedup();
        SourceIndex {
            equal: names.into(),
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
        }
    }

    /// The hash of the `equal` values of `labels` (absent = `""`). A label
    /// value is UTF-8 and so never holds the byte `0xff` that ends each one.
    fn hash(&self, labels: &LabelSet) -> u64 {
        let mut h = DefaultHasher::new();
        for n in self.equal.iter() {
            h.write(labels.get(n).unwrap_or("").as_bytes());
            h.write_u8(0xff);
        }
        h.finish()
    }

    fn shard(&self, hash: u64) -> &RwLock<Shard> {
        // The low bits pick the hash map slot; use the high ones here.
        &self.shards[(hash >> 32) as usize % self.shards.len()]
    }

    fn read(&self, hash: u64) -> RwLockReadGuard<'_, Shard> {
        self.shard(hash)
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self, hash: u64) -> RwLockWriteGuard<'_, Shard> {
        self.shard(hash)
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores (or updates) the source `fp` with these labels and end time;
    /// `two_sided` says whether it also matches the rule's target matchers.
    pub(super) fn upsert(
        &self,
        labels: &LabelSet,
        fp: Fingerprint,
        ends_at: Option<Timestamp>,
        two_sided: bool,
    ) {
        let hash = self.hash(labels);
        let member = Member {
            hash,
            slot: Slot::new(fp, ends_at),
            two_sided,
        };
        let mut shard = self.write(hash);
        if let Some(old) = shard.members.get(&fp)
            && old.hash == hash
            && old.slot == member.slot
            && old.two_sided == two_sided
        {
            return;
        }
        shard.remove(fp);
        shard.insert(hash, labels, &self.equal, member);
    }

    /// Drops the source `fp` stored with these labels; whether it was there.
    pub(super) fn remove(&self, labels: &LabelSet, fp: Fingerprint) -> bool {
        let hash = self.hash(labels);
        if !self.read(hash).members.contains_key(&fp) {
            return false;
        }
        self.write(hash).remove(fp)
    }

    /// The source that inhibits a target with these labels at `now`: one not
    /// resolved at `now` with the target's `equal` values and, if
    /// `exclude_two_sided`, not matching the target matchers itself. Among
    /// several, the one firing longest (no end time, else the latest end),
    /// then the lowest fingerprint.
    pub(super) fn find(
        &self,
        target: &LabelSet,
        exclude_two_sided: bool,
        now: Timestamp,
    ) -> Option<Fingerprint> {
        let hash = self.hash(target);
        let shard = self.read(hash);
        let bucket = shard.bucket(hash, target, &self.equal)?;
        let one = bucket.one_sided.first();
        let two = if exclude_two_sided {
            None
        } else {
            bucket.two_sided.first()
        };
        let best = match (one, two) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        (!best.resolved_at(now)).then_some(best.fp)
    }

    /// How many sources are stored.
    pub(super) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .members
                    .len()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ls(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().copied().collect()
    }

    fn t(secs: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    fn index(equal: &[&str]) -> SourceIndex {
        let equal: Vec<String> = equal.iter().map(|s| s.to_string()).collect();
        SourceIndex::new(&equal)
    }

    fn put(ix: &SourceIndex, labels: &LabelSet, ends_at: Option<i64>, two_sided: bool) {
        ix.upsert(labels, labels.fingerprint(), ends_at.map(t), two_sided);
    }

    /// The cases of Alertmanager's `TestInhibitRuleHasEqual` (lookups that
    /// do not exclude two-sided sources), at `now` = t(0).
    #[test]
    fn has_equal_cases() {
        struct Case {
            name: &'static str,
            sources: Vec<(LabelSet, Option<i64>)>,
            equal: &'static [&'static str],
            input: LabelSet,
            want: Option<usize>,
        }
        let cases = [
            Case {
                name: "no source alerts",
                sources: vec![],
                equal: &[],
                input: ls(&[("a", "b")]),
                want: None,
            },
            Case {
                name: "no equal labels, any unresolved source will do",
                sources: vec![(LabelSet::empty(), None)],
                equal: &[],
                input: ls(&[("a", "b")]),
                want: Some(0),
            },
            Case {
                name: "matching but already resolved",
                sources: vec![
                    (ls(&[("a", "b"), ("b", "f")]), Some(-1)),
                    (ls(&[("a", "b"), ("b", "c")]), Some(-1)),
                ],
                equal: &["a", "b"],
                input: ls(&[("a", "b"), ("b", "c")]),
                want: None,
            },
            Case {
                name: "resolved exactly now",
                sources: vec![(ls(&[("a", "b")]), Some(0))],
                equal: &["a"],
                input: ls(&[("a", "b")]),
                want: None,
            },
            Case {
                name: "matching and unresolved",
                sources: vec![
                    (ls(&[("a", "b"), ("c", "d")]), Some(-1)),
                    (ls(&[("a", "b"), ("c", "f")]), Some(3600)),
                ],
                equal: &["a"],
                input: ls(&[("a", "b")]),
                want: Some(1),
            },
            Case {
                name: "equal label does not match",
                sources: vec![
                    (ls(&[("a", "c"), ("c", "d")]), Some(-1)),
                    (ls(&[("a", "c"), ("c", "f")]), Some(3600)),
                ],
                equal: &["a"],
                input: ls(&[("a", "b")]),
                want: None,
            },
            Case {
                name: "absent on both sides is equal",
                sources: vec![(ls(&[("x", "1")]), None)],
                equal: &["a", "b"],
                input: ls(&[("y", "2")]),
                want: Some(0),
            },
            Case {
                name: "absent equals empty",
                sources: vec![(ls(&[("a", ""), ("x", "1")]), None)],
                equal: &["a"],
                input: ls(&[("y", "2")]),
                want: Some(0),
            },
            Case {
                name: "absent on one side only",
                sources: vec![(ls(&[("x", "1")]), None)],
                equal: &["a"],
                input: ls(&[("a", "v")]),
                want: None,
            },
        ];
        for c in cases {
            let ix = index(c.equal);
            for (labels, end) in &c.sources {
                put(&ix, labels, *end, false);
            }
            let want = c.want.map(|i| c.sources[i].0.fingerprint());
            assert_eq!(ix.find(&c.input, false, t(0)), want, "{}", c.name);
            assert_eq!(ix.find(&c.input, true, t(0)), want, "{}", c.name);
        }
    }

    #[test]
    fn two_sided_sources_only_count_when_not_excluded() {
        let ix = index(&["e"]);
        let both = ls(&[("e", "1"), ("s", "1"), ("t", "1")]);
        put(&ix, &both, None, true);
        let target = ls(&[("e", "1"), ("t", "1")]);
        assert_eq!(ix.find(&target, false, t(0)), Some(both.fingerprint()));
        assert_eq!(ix.find(&target, true, t(0)), None);
        // A one-sided source in the same bucket still counts when excluded,
        // even though the two-sided one fires longer.
        let one = ls(&[("e", "1"), ("s", "1")]);
        put(&ix, &one, Some(100), false);
        assert_eq!(ix.find(&target, true, t(0)), Some(one.fingerprint()));
        assert_eq!(ix.find(&target, false, t(0)), Some(both.fingerprint()));
    }

    #[test]
    fn prefers_the_longest_firing_then_lowest_fingerprint() {
        let ix = index(&["e"]);
        let a = ls(&[("e", "1"), ("n", "a")]);
        let b = ls(&[("e", "1"), ("n", "b")]);
        let c = ls(&[("e", "1"), ("n", "c")]);
        put(&ix, &a, Some(10), false);
        put(&ix, &b, Some(20), false);
        let target = ls(&[("e", "1")]);
        assert_eq!(ix.find(&target, false, t(0)), Some(b.fingerprint()));
        // Past b's end, nothing is left.
        assert_eq!(ix.find(&target, false, t(20)), None);
        put(&ix, &c, None, true);
        assert_eq!(ix.find(&target, false, t(0)), Some(c.fingerprint()));
        assert_eq!(ix.find(&target, false, t(1000)), Some(c.fingerprint()));
        // Same end time: the lowest fingerprint.
        put(&ix, &a, Some(20), false);
        let lowest = a.fingerprint().min(b.fingerprint());
        assert_eq!(ix.find(&target, true, t(0)), Some(lowest));
    }

    #[test]
    fn updates_and_removals() {
        let ix = index(&["e"]);
        let s = ls(&[("e", "1"), ("s", "1")]);
        let target = ls(&[("e", "1")]);
        put(&ix, &s, Some(100), false);
        put(&ix, &s, Some(100), false);
        assert_eq!(ix.len(), 1);
        assert_eq!(ix.find(&target, true, t(0)), Some(s.fingerprint()));
        // Re-put as resolved: no longer found, still stored.
        put(&ix, &s, Some(-5), false);
        assert_eq!(ix.len(), 1);
        assert_eq!(ix.find(&target, true, t(0)), None);
        // Re-put firing again, then as two-sided: moves between the sets.
        put(&ix, &s, None, false);
        assert_eq!(ix.find(&target, true, t(0)), Some(s.fingerprint()));
        put(&ix, &s, None, true);
        assert_eq!(ix.len(), 1);
        assert_eq!(ix.find(&target, true, t(0)), None);
        assert_eq!(ix.find(&target, false, t(0)), Some(s.fingerprint()));
        assert!(ix.remove(&s, s.fingerprint()));
        assert!(!ix.remove(&s, s.fingerprint()));
        assert_eq!(ix.len(), 0);
        assert_eq!(ix.find(&target, false, t(0)), None);
        assert!(
            ix.shards
                .iter()
                .all(|sh| sh.read().unwrap().buckets.is_empty())
        );
    }

    #[test]
    fn duplicate_equal_names_count_once() {
        let ix = index(&["b", "a", "b"]);
        assert_eq!(&*ix.equal, &[Box::from("a"), Box::from("b")]);
    }

    #[test]
    fn colliding_hashes_keep_buckets_apart() {
        // Force two different value tuples under one hash key.
        let ix = index(&["e"]);
        let s1 = ls(&[("e", "1")]);
        let s2 = ls(&[("e", "2")]);
        let mut shard = Shard::default();
        for (s, fp) in [(&s1, Fingerprint(1)), (&s2, Fingerprint(2))] {
            let m = Member {
                hash: 7,
                slot: Slot::new(fp, None),
                two_sided: false,
            };
            shard.insert(7, s, &ix.equal, m);
        }
        assert_eq!(shard.buckets[&7].len(), 2);
        let found = |shard: &Shard, labels: &LabelSet| {
            shard
                .bucket(7, labels, &ix.equal)
                .map(|b| b.one_sided.first().unwrap().fp)
        };
        assert_eq!(found(&shard, &s1), Some(Fingerprint(1)));
        assert_eq!(found(&shard, &s2), Some(Fingerprint(2)));
        assert_eq!(found(&shard, &ls(&[("e", "3")])), None);
        assert!(shard.remove(Fingerprint(1)));
        assert_eq!(shard.buckets[&7].len(), 1);
        assert_eq!(found(&shard, &s1), None);
        assert_eq!(found(&shard, &s2), Some(Fingerprint(2)));
    }
}
