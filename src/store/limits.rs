//! The per-alertname limit of the alert store (`--alerts.per-alertname-limit`).
//!
//! Each alertname owns a bucket of at most `limit` fingerprints, each with an
//! expiry: the end time of the alert as last stored. A put is admitted when
//! its fingerprint already holds a slot (the expiry is refreshed), when the
//! bucket has room, or when the slot that expires first has expired (its end
//! time is strictly before `now`; a zero end time always is): that slot is
//! handed over, while the alert that held it stays in the store untracked.
//! Everything else is refused. Slots are released when the store
//! garbage-collects their alert, and a bucket disappears with its last slot.
//!
//! Buckets are sharded by alertname, so puts of different alertnames do not
//! contend; the store takes a bucket lock only while it holds the shard lock
//! of the alert's fingerprint, never the other way round.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::alert::{Fingerprint, Timestamp};

const SHARDS: usize = 16;

/// The fingerprints one alertname may hold, with their expiries.
#[derive(Default)]
struct Bucket {
    expiry: HashMap<Fingerprint, Timestamp>,
    /// The same slots ordered by expiry, first-expiring first.
    order: BTreeSet<(Timestamp, Fingerprint)>,
}

impl Bucket {
    fn admit(&mut self, fp: Fingerprint, expiry: Timestamp, now: Timestamp, limit: usize) -> bool {
        if let Some(slot) = self.expiry.get_mut(&fp) {
            self.order.remove(&(*slot, fp));
            *slot = expiry;
            self.order.insert((expiry, fp));
            return true;
        }
        if self.expiry.len() >= limit {
            match self.order.first() {
                Some(&(oldest, victim)) if oldest < now => {
                    self.order.remove(&(oldest, victim));
                    self.expiry.remove(&victim);
                }
                _ => return false,
            }
        }
        self.expiry.insert(fp, expiry);
        self.order.insert((expiry, fp));
        true
    }

    fn release(&mut self, fp: Fingerprint) {
        if let Some(expiry) = self.expiry.remove(&fp) {
            self.order.remove(&(expiry, fp));
        }
    }
}

#[derive(Default)]
struct Shard {
    buckets: HashMap<Box<str>, Bucket>,
    /// Refused puts per alertname, never reset (a counter).
    limited: HashMap<Box<str>, u64>,
}

/// The per-alertname limits; only built when a limit is set.
pub(crate) struct Limits {
    limit: usize,
    hasher: RandomState,
    shards: Box<[Mutex<Shard>]>,
    limited_total: AtomicU64,
}

impl Limits {
    /// Limits of `limit` fingerprints per alertname (`limit > 0`).
    pub(crate) fn new(limit: usize) -> Limits {
        Limits {
            limit,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            limited_total: AtomicU64::new(0),
        }
    }

    fn shard(&self, alertname: &str) -> MutexGuard<'_, Shard> {
        let i = (self.hasher.hash_one(alertname) as usize) % SHARDS;
        self.shards[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes or refreshes the slot of `fp` under `alertname`; `false` (and a
    /// counted refusal) when the bucket is full of unexpired slots.
    pub(crate) fn admit(
        &self,
        alertname: &str,
        fp: Fingerprint,
        expiry: Timestamp,
        now: Timestamp,
    ) -> bool {
        let mut shard = self.shard(alertname);
        let admitted = match shard.buckets.get_mut(alertname) {
            Some(bucket) => bucket.admit(fp, expiry, now, self.limit),
            None => {
                let mut bucket = Bucket::default();
                bucket.admit(fp, expiry, now, self.limit);
                shard.buckets.insert(alertname.into(), bucket);
                true
            }
        };
        if !admitted {
            self.limited_total.fetch_add(1, Ordering::Relaxed);
            match shard.limited.get_mut(alertname) {
                Some(n) => *n += 1,
                None => {
                    shard.limited.insert(alertname.into(), 1);
                }
            }
        }
        admitted
    }

    /// Releases the slot of `fp` (its alert left the store).
    pub(crate) fn release(&self, alertname: &str, fp: Fingerprint) {
        let mut shard = self.shard(alertname);
        if let Some(bucket) = shard.buckets.get_mut(alertname) {
            bucket.release(fp);
            if bucket.expiry.is_empty() {
                shard.buckets.remove(alertname);
            }
        }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    pub(crate) fn limited_total(&self) -> u64 {
        self.limited_total.load(Ordering::Relaxed)
    }

    /// Refused puts per alertname, sorted by name.
    pub(crate) fn limited_by_alertname(&self) -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            out.extend(shard.limited.iter().map(|(k, v)| (k.to_string(), *v)));
        }
        out.sort();
        out
    }

    /// Slots held per alertname, sorted by name.
    pub(crate) fn tracked_by_alertname(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            out.extend(
                shard
                    .buckets
                    .iter()
                    .map(|(k, b)| (k.to_string(), b.expiry.len())),
            );
        }
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn t(secs: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    const A: Fingerprint = Fingerprint(1);
    const B: Fingerprint = Fingerprint(2);
    const C: Fingerprint = Fingerprint(3);

    #[test]
    fn full_bucket_refuses_new_fingerprints_until_a_slot_expires() {
        let l = Limits::new(2);
        assert!(l.admit("x", A, t(100), t(0)));
        assert!(l.admit("x", B, t(50), t(0)));
        assert!(!l.admit("x", C, t(100), t(0)));
        // A tracked fingerprint is always admitted, and its expiry moves.
        assert!(l.admit("x", B, t(200), t(0)));
        // Another alertname has its own bucket.
        assert!(l.admit("y", C, t(100), t(0)));
        // Expiry is strict: at t(100) slot A has not expired yet.
        assert!(!l.admit("x", C, t(300), t(100)));
        assert_eq!(l.limited_total(), 2);
        assert_eq!(l.limited_by_alertname(), vec![("x".to_string(), 2)]);
        // Just after, C takes A's slot; A is now the one refused.
        assert!(l.admit("x", C, t(300), t(101)));
        assert!(!l.admit("x", A, t(300), t(101)));
        assert_eq!(
            l.tracked_by_alertname(),
            vec![("x".to_string(), 2), ("y".to_string(), 1)]
        );
    }

    #[test]
    fn the_first_expiring_slot_is_handed_over() {
        let l = Limits::new(2);
        assert!(l.admit("x", A, t(20), t(0)));
        assert!(l.admit("x", B, t(10), t(0)));
        // Both have expired at t(30); C takes B's slot, the first to expire.
        assert!(l.admit("x", C, t(40), t(30)));
        // A kept its slot: updating it needs no eviction...
        assert!(l.admit("x", A, t(50), t(30)));
        // ...and B, evicted, is now refused as a newcomer.
        assert!(!l.admit("x", B, t(40), t(30)));
        assert_eq!(l.limited_total(), 1);
    }

    #[test]
    fn releasing_frees_slots_and_drops_empty_buckets() {
        let l = Limits::new(1);
        assert!(l.admit("x", A, t(100), t(0)));
        assert!(!l.admit("x", B, t(100), t(0)));
        l.release("x", A);
        assert!(l.tracked_by_alertname().is_empty());
        assert!(l.admit("x", B, t(100), t(0)));
        // Releasing an untracked fingerprint changes nothing.
        l.release("x", A);
        l.release("nope", A);
        assert_eq!(l.tracked_by_alertname(), vec![("x".to_string(), 1)]);
    }
}
