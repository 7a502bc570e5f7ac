//! The active-alert store.
//!
//! [`AlertStore`] holds every alert Alertmanager knows, keyed by fingerprint,
//! with Alertmanager's put rules (merge an overlapping re-post, replace
//! otherwise), its per-alertname limit and its garbage collection of resolved
//! alerts. [`AlertObserver`]s (the inhibitor, the dispatcher, later
//! persistence) follow every change.
//!
//! The map is split into shards by fingerprint, each behind its own lock
//! together with the observers it notifies: puts of different fingerprints
//! rarely meet, readers lock one shard at a time, and an observer added while
//! puts go on sees each alert exactly once, either replayed or as a put.

mod limits;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use chrono::Utc;

use crate::alert::{Alert, Fingerprint, Timestamp, go_zero_time};

use limits::Limits;

/// Something that follows every change of the store (the inhibitor, the
/// dispatcher). Called synchronously, while the alert's shard is locked, so
/// that a follower sees the changes of one fingerprint in order: it must be
/// quick and must not call back into the store.
pub trait AlertObserver: Send + Sync {
    /// `alert` is now stored under its fingerprint (new or merged).
    fn on_put(&self, alert: &Arc<Alert>);
    /// [`AlertObserver::on_put`] with the fingerprint the store already
    /// computed (hashing every label of an alert costs more than most
    /// observers' own work); the store calls this one.
    fn on_stored(&self, fp: Fingerprint, alert: &Arc<Alert>) {
        let _ = fp;
        self.on_put(alert);
    }
    /// The alert with this fingerprint was removed (garbage-collected).
    fn on_remove(&self, alert: &Arc<Alert>);
}

/// How the store is set up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// `--alerts.per-alertname-limit`: the most alerts one alertname may
    /// hold; 0 means no limit.
    pub per_alertname_limit: usize,
}

/// Why a put was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PutError {
    /// The alert's alertname holds `limit` alerts none of which has ended.
    /// Alertmanager logs this and drops the alert; the API still succeeds.
    #[error("alert limited")]
    Limited { alertname: String, limit: usize },
}

const SHARD_BITS: u32 = 6;
const SHARDS: usize = 1 << SHARD_BITS;

fn go_time(t: Option<Timestamp>) -> Timestamp {
    t.unwrap_or_else(go_zero_time)
}

/// Whether `new` overlaps the activity range of the stored `old`, so that it
/// is merged into it rather than replacing it: its end or its start lies
/// strictly inside `(old.starts_at, old.ends_at)`, unset times being Go's
/// zero time (so an `old` without an end never overlaps anything).
pub fn overlaps(old: &Alert, new: &Alert) -> bool {
    let (start, end) = (old.starts_at, go_time(old.ends_at));
    let inside = |t: Timestamp| start < t && t < end;
    inside(go_time(new.ends_at)) || inside(new.starts_at)
}

/// One shard: its alerts and the observers that follow them.
#[derive(Default)]
struct Shard {
    alerts: HashMap<Fingerprint, Arc<Alert>>,
    observers: Vec<Arc<dyn AlertObserver>>,
}

impl Shard {
    fn replay_to(&self, observer: &dyn AlertObserver) {
        for (fp, alert) in &self.alerts {
            observer.on_stored(*fp, alert);
        }
    }
}

/// Keeps neighbouring shard locks on separate cache lines.
#[repr(align(128))]
#[derive(Default)]
struct Padded(RwLock<Shard>);

fn same_observer(a: &Arc<dyn AlertObserver>, b: &Arc<dyn AlertObserver>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

/// The active alerts, shared behind an `Arc`.
pub struct AlertStore {
    shards: Box<[Padded]>,
    len: AtomicUsize,
    limits: Option<Limits>,
}

impl AlertStore {
    pub fn new(opts: StoreOptions) -> AlertStore {
        AlertStore {
            shards: (0..SHARDS).map(|_| Padded::default()).collect(),
            len: AtomicUsize::new(0),
            limits: (opts.per_alertname_limit > 0).then(|| Limits::new(opts.per_alertname_limit)),
        }
    }

    fn shard_of(&self, fp: Fingerprint) -> &RwLock<Shard> {
        // Fibonacci hashing spreads FNV's low-entropy high bits.
        let i = (fp.0.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - SHARD_BITS)) as usize;
        &self.shards[i].0
    }

    fn read(lock: &RwLock<Shard>) -> RwLockReadGuard<'_, Shard> {
        lock.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(lock: &RwLock<Shard>) -> RwLockWriteGuard<'_, Shard> {
        lock.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `alert`: merged into the stored alert of the same fingerprint
    /// when their ranges [`overlap`](overlaps), replacing it otherwise.
    /// Returns what is now stored, after the observers have seen it.
    pub fn put(&self, alert: Alert, now: Timestamp) -> Result<Arc<Alert>, PutError> {
        self.store(alert, now, true)
    }

    /// Loads alerts kept from before a restart with the rules of
    /// [`put`](Self::put) but without telling the observers (they come from
    /// durable state, which is one); observers added later get them
    /// replayed. Returns how many were stored; refused ones are logged.
    pub fn restore(&self, alerts: impl IntoIterator<Item = Alert>, now: Timestamp) -> usize {
        let mut n = 0;
        for alert in alerts {
            match self.store(alert, now, false) {
                Ok(_) => n += 1,
                Err(e) => tracing::warn!(err = %e, "restored alert not kept"),
            }
        }
        n
    }

    fn store(&self, alert: Alert, now: Timestamp, notify: bool) -> Result<Arc<Alert>, PutError> {
        let fp = alert.fingerprint();
        let mut shard = Self::write(self.shard_of(fp));
        let stored = match shard.alerts.get(&fp) {
            Some(old) if overlaps(old, &alert) => Arc::new(old.merge(&alert, now)),
            _ => Arc::new(alert),
        };
        if let Some(limits) = &self.limits {
            let name = stored.labels.get("alertname").unwrap_or("");
            if !limits.admit(name, fp, go_time(stored.ends_at), now) {
                return Err(PutError::Limited {
                    alertname: name.to_string(),
                    limit: limits.limit(),
                });
            }
        }
        if shard.alerts.insert(fp, Arc::clone(&stored)).is_none() {
            self.len.fetch_add(1, Ordering::Relaxed);
        }
        if notify {
            for observer in &shard.observers {
                observer.on_stored(fp, &stored);
            }
        }
        Ok(stored)
    }

    pub fn get(&self, fp: Fingerprint) -> Option<Arc<Alert>> {
        Self::read(self.shard_of(fp)).alerts.get(&fp).cloned()
    }

    /// The number of stored alerts.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` on every stored alert, in no particular order, one shard
    /// at a time under its read lock: `f` must not put into the store.
    pub fn for_each(&self, mut f: impl FnMut(&Arc<Alert>)) {
        for shard in self.shards.iter() {
            Self::read(&shard.0).alerts.values().for_each(&mut f);
        }
    }

    /// All stored alerts, in no particular order.
    pub fn snapshot(&self) -> Vec<Arc<Alert>> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|a| out.push(Arc::clone(a)));
        out
    }

    /// How many stored alerts satisfy `pred`.
    pub fn count_by(&self, pred: impl Fn(&Alert) -> bool) -> usize {
        let mut n = 0;
        self.for_each(|a| n += usize::from(pred(a)));
        n
    }

    /// Removes the alerts resolved at `now` (an end time at or before it),
    /// telling the observers, and returns them.
    pub fn gc(&self, now: Timestamp) -> Vec<Arc<Alert>> {
        let mut removed = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = Self::write(&shard.0);
            let first = removed.len();
            shard.alerts.retain(|_, a| {
                let resolved = a.resolved_at(now);
                if resolved {
                    removed.push(Arc::clone(a));
                }
                !resolved
            });
            for alert in &removed[first..] {
                if let Some(limits) = &self.limits {
                    let name = alert.labels.get("alertname").unwrap_or("");
                    limits.release(name, alert.fingerprint());
                }
                for observer in &shard.observers {
                    observer.on_remove(alert);
                }
            }
            self.len.fetch_sub(removed.len() - first, Ordering::Relaxed);
        }
        removed
    }

    /// Runs [`gc`](Self::gc) every `interval` (the first run one interval
    /// from now) until the task is aborted.
    pub fn spawn_gc(self: Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        crate::maintenance::spawn_periodic("alert GC", interval, move || {
            let removed = self.gc(Utc::now());
            tracing::debug!(removed = removed.len(), "alert store garbage collection");
        })
    }

    /// Adds `observer` and replays every stored alert to it (`on_put`),
    /// shard by shard under the shard's write lock, so that it sees each put
    /// exactly once and in order, whether before or after it was added.
    pub fn add_observer(&self, observer: Arc<dyn AlertObserver>) {
        for shard in self.shards.iter() {
            let mut shard = Self::write(&shard.0);
            shard.replay_to(&*observer);
            shard.observers.push(Arc::clone(&observer));
        }
    }

    /// Stops notifying `observer` (compared by pointer).
    pub fn remove_observer(&self, observer: &Arc<dyn AlertObserver>) {
        for shard in self.shards.iter() {
            Self::write(&shard.0)
                .observers
                .retain(|o| !same_observer(o, observer));
        }
    }

    /// Replaces the observers (a config reload rebuilds the inhibitor and the
    /// dispatcher). Those not already observing get the replay of
    /// [`add_observer`](Self::add_observer); those kept get nothing new.
    pub fn set_observers(&self, observers: Vec<Arc<dyn AlertObserver>>) {
        for shard in self.shards.iter() {
            let mut shard = Self::write(&shard.0);
            for observer in &observers {
                if !shard.observers.iter().any(|o| same_observer(o, observer)) {
                    shard.replay_to(&**observer);
                }
            }
            shard.observers = observers.clone();
        }
    }

    /// The configured per-alertname limit (0: none), for
    /// `alertmanager_alerts_per_alert_limit`.
    pub fn per_alertname_limit(&self) -> usize {
        self.limits.as_ref().map_or(0, Limits::limit)
    }

    /// Puts refused by the per-alertname limit, for
    /// `alertmanager_alerts_limited_total`.
    pub fn limited_total(&self) -> u64 {
        self.limits.as_ref().map_or(0, Limits::limited_total)
    }

    /// Refused puts per alertname (sorted by name), for the `alertname`
    /// label of `alertmanager_alerts_limited_total`
    /// (`--enable-feature=alert-names-in-metrics`).
    pub fn limited_by_alertname(&self) -> Vec<(String, u64)> {
        self.limits
            .as_ref()
            .map_or_else(Vec::new, Limits::limited_by_alertname)
    }

    /// Slots of the per-alertname limit in use, per alertname (sorted);
    /// empty without a limit.
    pub fn tracked_by_alertname(&self) -> Vec<(String, usize)> {
        self.limits
            .as_ref()
            .map_or_else(Vec::new, Limits::tracked_by_alertname)
    }
}

#[cfg(test)]
mod tests;
