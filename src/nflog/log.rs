//! [`NotificationLog`]: the thread-safe store of the last notification per
//! (group key, receiver integration), with Alertmanager's write, expiry,
//! garbage-collection and gossip merge rules.
//!
//! Entries are spread over independently locked shards by key, so pipelines
//! of different groups never wait on each other and readers share locks.
//! Every change is reported to the optional [`NflogSink`] (persistence,
//! replication) while the entry's shard is locked, so the sink sees the
//! changes of one key in order.
//!
//! Times are passed in explicitly (`now`) so that behaviour is testable.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

use super::entry::{Entry, Receiver, ReceiverData};
use crate::alert::Timestamp;
use crate::metrics::nflog::NflogMetrics;

/// Number of independently locked parts of the log.
const SHARDS: usize = 16;

/// Follows every change of a [`NotificationLog`]: write-through persistence
/// or gossip. Called synchronously with the entry's shard locked; must be
/// quick and must not call back into the log.
pub trait NflogSink: Send + Sync {
    /// `e` was written by [`NotificationLog::log`] (a notification was
    /// sent from here: upstream broadcasts it).
    fn logged(&self, e: &Entry);
    /// `e` came from a peer through [`NotificationLog::merge`] and replaced
    /// the local entry. By default the same as [`NflogSink::logged`]; a
    /// gossip sink that re-broadcasts merged messages itself (upstream
    /// does, except oversized ones) should only persist here.
    fn merged(&self, e: &Entry) {
        self.logged(e);
    }
    /// The entry of `group_key` for `receiver` was garbage-collected.
    fn removed(&self, group_key: &str, receiver: &Receiver);
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    group_key: String,
    receiver: Receiver,
}

impl Key {
    fn new(group_key: &str, receiver: &Receiver) -> Key {
        Key {
            group_key: group_key.to_string(),
            receiver: receiver.clone(),
        }
    }

    fn of(e: &Entry) -> Key {
        Key::new(&e.group_key, &e.receiver)
    }
}

type Shard = HashMap<Key, Entry>;

/// The notification log.
pub struct NotificationLog {
    retention: Duration,
    shards: Box<[RwLock<Shard>]>,
    hasher: RandomState,
    sink: Option<Arc<dyn NflogSink>>,
    /// The cluster: told of entries logged and removed here, not of
    /// merged ones (they came from it).
    gossip: std::sync::OnceLock<Arc<dyn NflogSink>>,
    metrics: Option<NflogMetrics>,
}

impl NotificationLog {
    /// An empty log keeping entries at most `retention`
    /// (`--data.retention`) after they were written.
    pub fn new(retention: Duration) -> NotificationLog {
        NotificationLog {
            retention,
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            hasher: RandomState::new(),
            sink: None,
            gossip: std::sync::OnceLock::new(),
            metrics: None,
        }
    }

    /// Reports every later local change to `gossip` as well (set once,
    /// when the cluster starts).
    pub fn set_gossip(&self, gossip: Arc<dyn NflogSink>) {
        if self.gossip.set(gossip).is_err() {
            tracing::warn!("notification log gossip already set");
        }
    }

    /// Every entry, for a peer that joins.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            out.extend(Self::read(shard).values().cloned());
        }
        out
    }

    /// Reports every later change to `sink`.
    pub fn with_sink(mut self, sink: Arc<dyn NflogSink>) -> NotificationLog {
        self.sink = Some(sink);
        self
    }

    /// Counts queries and times queries and GC runs in `metrics`.
    pub fn with_metrics(mut self, metrics: NflogMetrics) -> NotificationLog {
        self.metrics = Some(metrics);
        self
    }

    pub fn retention(&self) -> Duration {
        self.retention
    }

    fn shard_of(&self, key: &Key) -> &RwLock<Shard> {
        let i = self.hasher.hash_one(key) as usize % self.shards.len();
        &self.shards[i]
    }

    fn read(shard: &RwLock<Shard>) -> RwLockReadGuard<'_, Shard> {
        shard.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(shard: &RwLock<Shard>) -> RwLockWriteGuard<'_, Shard> {
        shard.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// When an entry written at `now` expires: `now + expiry` if `expiry`
    /// is set and shorter than the retention, else `now + retention`.
    fn expires_at(&self, now: Timestamp, expiry: Duration) -> Timestamp {
        let keep = if !expiry.is_zero() && self.retention > expiry {
            expiry
        } else {
            self.retention
        };
        TimeDelta::from_std(keep)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Records that `receiver` was notified about group `group_key` at
    /// `now` with these firing and resolved alert hashes (upstream's
    /// `Log.Log`). The pipeline passes `expiry = 2 × repeat_interval`; the
    /// entry expires after `expiry` if that is non-zero and shorter than the
    /// retention, otherwise after the retention.
    ///
    /// An existing entry with a later timestamp (clock skew between peers)
    /// is kept and `false` returned; otherwise the entry is replaced, the
    /// sink told, and `true` returned. (Upstream also keeps an entry with the
    /// very same timestamp, which only matters with a frozen clock.)
    pub fn log(
        &self,
        receiver: &Receiver,
        group_key: &str,
        firing: &[u64],
        resolved: &[u64],
        now: Timestamp,
        expiry: Duration,
    ) -> bool {
        self.log_with_data(
            receiver,
            group_key,
            firing,
            resolved,
            now,
            expiry,
            ReceiverData::new(),
        )
    }

    /// [`NotificationLog::log`] keeping what the integration stored about
    /// the notification (Alertmanager 0.34's `receiver_data`).
    #[allow(clippy::too_many_arguments)]
    pub fn log_with_data(
        &self,
        receiver: &Receiver,
        group_key: &str,
        firing: &[u64],
        resolved: &[u64],
        now: Timestamp,
        expiry: Duration,
        receiver_data: ReceiverData,
    ) -> bool {
        let key = Key::new(group_key, receiver);
        let mut e = Entry {
            group_key: group_key.to_string(),
            receiver: receiver.clone(),
            timestamp: now,
            firing_alerts: firing.to_vec(),
            resolved_alerts: resolved.to_vec(),
            expires_at: self.expires_at(now, expiry),
            receiver_data,
        };
        e.normalize();
        let mut shard = Self::write(self.shard_of(&key));
        if shard.get(&key).is_some_and(|prev| prev.timestamp > now) {
            return false;
        }
        if let Some(sink) = &self.sink {
            sink.logged(&e);
        }
        if let Some(g) = self.gossip.get() {
            g.logged(&e);
        }
        shard.insert(key, e);
        true
    }

    /// The last entry for `group_key` and `receiver`, expired or not (like
    /// upstream, expired entries stay visible until [`NotificationLog::gc`]
    /// removes them).
    pub fn query(&self, receiver: &Receiver, group_key: &str) -> Option<Entry> {
        let start = Instant::now();
        let key = Key::new(group_key, receiver);
        let found = Self::read(self.shard_of(&key)).get(&key).cloned();
        if let Some(m) = &self.metrics {
            m.queries.inc();
            if found.is_none() {
                m.query_errors.inc();
            }
            m.query_duration.observe(start.elapsed().as_secs_f64());
        }
        found
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| Self::read(s).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry, sorted by group key then receiver (name, integration,
    /// index). Each shard is copied consistently; the whole is not one
    /// instant if writers are active.
    pub fn snapshot(&self) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::with_capacity(self.len());
        for s in self.shards.iter() {
            out.extend(Self::read(s).values().cloned());
        }
        out.sort_by(|a, b| (&a.group_key, &a.receiver).cmp(&(&b.group_key, &b.receiver)));
        out
    }

    /// Deletes the entries with `expires_at <= now`; returns how many.
    pub fn gc(&self, now: Timestamp) -> usize {
        let start = Instant::now();
        let mut n = 0;
        for s in self.shards.iter() {
            let mut shard = Self::write(s);
            shard.retain(|k, e| {
                let keep = e.expires_at > now;
                if !keep {
                    n += 1;
                    if let Some(sink) = &self.sink {
                        sink.removed(&k.group_key, &k.receiver);
                    }
                    if let Some(g) = self.gossip.get() {
                        g.removed(&k.group_key, &k.receiver);
                    }
                }
                keep
            });
        }
        if let Some(m) = &self.metrics {
            m.gc_duration.observe(start.elapsed().as_secs_f64());
        }
        n
    }

    /// Runs [`NotificationLog::gc`] every `interval` (first run after one
    /// interval) on the current tokio runtime until the task is aborted,
    /// counting each run in `alertmanager_nflog_maintenance_total`. A zero
    /// interval is refused, as upstream refuses to run maintenance.
    pub fn spawn_gc(self: Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        crate::maintenance::spawn_periodic("notification log GC", interval, move || {
            if let Some(m) = &self.metrics {
                m.maintenance.inc();
            }
            let removed = self.gc(Utc::now());
            tracing::debug!(removed, "notification log garbage collection done");
        })
    }

    /// Takes an entry from a peer (upstream's gossip merge): ignored if it
    /// expired before `now` (`expires_at < now`) or if the local entry is
    /// not older (by `timestamp`); otherwise stored and reported to the sink
    /// as [`NflogSink::merged`]. Returns whether it was stored, which is
    /// when upstream gossips it further.
    pub fn merge(&self, mut remote: Entry, now: Timestamp) -> bool {
        if remote.expires_at < now {
            return false;
        }
        remote.normalize();
        let key = Key::of(&remote);
        let mut shard = Self::write(self.shard_of(&key));
        if shard
            .get(&key)
            .is_some_and(|prev| prev.timestamp >= remote.timestamp)
        {
            return false;
        }
        if let Some(sink) = &self.sink {
            sink.merged(&remote);
        }
        shard.insert(key, remote);
        true
    }

    /// Loads persisted entries at startup without reporting them to the
    /// sink (they come from it). Like upstream's snapshot load, expired
    /// entries are kept until the next [`NotificationLog::gc`]; of two
    /// entries for the same key the later timestamp wins (the first on a
    /// tie). Returns how many entries were stored.
    pub fn restore(&self, entries: impl IntoIterator<Item = Entry>) -> usize {
        let mut n = 0;
        for mut e in entries {
            e.normalize();
            let key = Key::of(&e);
            let mut shard = Self::write(self.shard_of(&key));
            if shard
                .get(&key)
                .is_some_and(|prev| prev.timestamp >= e.timestamp)
            {
                continue;
            }
            shard.insert(key, e);
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::TimeZone;

    use super::*;
    use crate::metrics::MetricRegistry;

    const HOUR: Duration = Duration::from_secs(3600);

    fn t(secs: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap() + TimeDelta::seconds(secs)
    }

    fn recv(idx: u32) -> Receiver {
        Receiver::new("team", "webhook", idx)
    }

    const GK: &str = "{}:{alertname=\"A\"}";

    fn entry(gk: &str, r: Receiver, ts: i64, expires: i64, firing: &[u64]) -> Entry {
        Entry {
            group_key: gk.into(),
            receiver: r,
            timestamp: t(ts),
            firing_alerts: firing.to_vec(),
            resolved_alerts: vec![],
            expires_at: t(expires),
            receiver_data: Default::default(),
        }
    }

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl NflogSink for Recorder {
        fn logged(&self, e: &Entry) {
            self.push(format!(
                "logged {}:{} {:?}",
                e.group_key, e.receiver, e.firing_alerts
            ));
        }
        fn merged(&self, e: &Entry) {
            self.push(format!(
                "merged {}:{} {:?}",
                e.group_key, e.receiver, e.firing_alerts
            ));
        }
        fn removed(&self, group_key: &str, receiver: &Receiver) {
            self.push(format!("removed {group_key}:{receiver}"));
        }
    }

    impl Recorder {
        fn push(&self, s: String) {
            self.0.lock().unwrap().push(s);
        }
        fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    #[test]
    fn log_then_query() {
        let l = NotificationLog::new(120 * HOUR);
        assert_eq!(l.query(&recv(0), GK), None);
        assert!(l.log(&recv(0), GK, &[3, 1, 2], &[9, 7], t(10), 2 * HOUR));
        let e = l.query(&recv(0), GK).unwrap();
        assert_eq!(
            e,
            Entry {
                group_key: GK.into(),
                receiver: recv(0),
                timestamp: t(10),
                firing_alerts: vec![1, 2, 3],
                resolved_alerts: vec![7, 9],
                expires_at: t(10 + 7200),
                receiver_data: Default::default(),
            }
        );
        // Other integration index, other receiver, other group: separate.
        assert_eq!(l.query(&recv(1), GK), None);
        assert_eq!(l.query(&Receiver::new("other", "webhook", 0), GK), None);
        assert_eq!(l.query(&recv(0), "{}:{alertname=\"B\"}"), None);
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn expiry_is_capped_by_retention() {
        let l = NotificationLog::new(3 * HOUR);
        // 2 × repeat_interval shorter than the retention: used.
        l.log(&recv(0), GK, &[1], &[], t(0), 2 * HOUR);
        assert_eq!(l.query(&recv(0), GK).unwrap().expires_at, t(7200));
        // Longer than (or equal to) the retention: the retention.
        l.log(&recv(1), GK, &[1], &[], t(0), 4 * HOUR);
        assert_eq!(l.query(&recv(1), GK).unwrap().expires_at, t(3 * 3600));
        l.log(&recv(2), GK, &[1], &[], t(0), 3 * HOUR);
        assert_eq!(l.query(&recv(2), GK).unwrap().expires_at, t(3 * 3600));
        // No expiry given: the retention.
        l.log(&recv(3), GK, &[1], &[], t(0), Duration::ZERO);
        assert_eq!(l.query(&recv(3), GK).unwrap().expires_at, t(3 * 3600));
        // Beyond what a timestamp can hold: the end of time.
        let forever = NotificationLog::new(Duration::MAX);
        forever.log(&recv(0), GK, &[1], &[], t(0), Duration::ZERO);
        assert_eq!(
            forever.query(&recv(0), GK).unwrap().expires_at,
            DateTime::<Utc>::MAX_UTC
        );
    }

    #[test]
    fn log_keeps_a_newer_entry() {
        let sink = Arc::new(Recorder::default());
        let l = NotificationLog::new(120 * HOUR).with_sink(sink.clone());
        assert!(l.log(&recv(0), GK, &[1], &[], t(100), HOUR));
        assert!(!l.log(&recv(0), GK, &[2], &[], t(99), HOUR));
        assert_eq!(l.query(&recv(0), GK).unwrap().firing_alerts, vec![1]);
        assert!(l.log(&recv(0), GK, &[3], &[], t(100), HOUR));
        assert!(l.log(&recv(0), GK, &[], &[3], t(101), HOUR));
        let e = l.query(&recv(0), GK).unwrap();
        assert_eq!((e.firing_alerts, e.resolved_alerts), (vec![], vec![3]));
        assert_eq!(
            sink.take(),
            vec![
                format!("logged {GK}:team/webhook/0 [1]"),
                format!("logged {GK}:team/webhook/0 [3]"),
                format!("logged {GK}:team/webhook/0 []"),
            ]
        );
    }

    #[test]
    fn gc_removes_entries_at_or_after_expiry() {
        let sink = Arc::new(Recorder::default());
        let l = NotificationLog::new(120 * HOUR).with_sink(sink.clone());
        l.log(&recv(0), GK, &[1], &[], t(0), Duration::from_secs(100));
        l.log(&recv(1), GK, &[1], &[], t(0), Duration::from_secs(200));
        sink.take();
        assert_eq!(l.gc(t(99)), 0);
        assert_eq!(l.gc(t(100)), 1);
        assert_eq!(l.query(&recv(0), GK), None);
        assert!(l.query(&recv(1), GK).is_some());
        assert_eq!(sink.take(), vec![format!("removed {GK}:team/webhook/0")]);
        assert_eq!(l.gc(t(1000)), 1);
        assert!(l.is_empty());
    }

    #[test]
    fn expired_entries_stay_visible_until_gc() {
        let l = NotificationLog::new(120 * HOUR);
        l.log(&recv(0), GK, &[1], &[], t(0), Duration::from_secs(10));
        assert!(l.query(&recv(0), GK).is_some());
        l.gc(t(10));
        assert!(l.query(&recv(0), GK).is_none());
    }

    #[test]
    fn merge_keeps_the_newer_entry() {
        let sink = Arc::new(Recorder::default());
        let l = NotificationLog::new(120 * HOUR).with_sink(sink.clone());
        l.log(&recv(0), GK, &[1], &[], t(100), HOUR);
        sink.take();
        // Older or same timestamp: ignored.
        assert!(!l.merge(entry(GK, recv(0), 99, 5000, &[2]), t(100)));
        assert!(!l.merge(entry(GK, recv(0), 100, 5000, &[2]), t(100)));
        assert_eq!(l.query(&recv(0), GK).unwrap().firing_alerts, vec![1]);
        // Newer: replaces, stored as sent (lists normalized).
        assert!(l.merge(entry(GK, recv(0), 101, 5000, &[5, 4, 5]), t(100)));
        assert_eq!(
            l.query(&recv(0), GK).unwrap(),
            Entry {
                firing_alerts: vec![4, 5],
                ..entry(GK, recv(0), 101, 5000, &[])
            }
        );
        // Unknown key: stored.
        assert!(l.merge(entry(GK, recv(7), 1, 5000, &[1]), t(100)));
        assert_eq!(
            sink.take(),
            vec![
                format!("merged {GK}:team/webhook/0 [4, 5]"),
                format!("merged {GK}:team/webhook/7 [1]"),
            ]
        );
        // A later local log overrides the merged entry again.
        assert!(l.log(&recv(0), GK, &[9], &[], t(102), HOUR));
        assert_eq!(l.query(&recv(0), GK).unwrap().firing_alerts, vec![9]);
    }

    #[test]
    fn merge_drops_expired_entries() {
        let l = NotificationLog::new(120 * HOUR);
        assert!(!l.merge(entry(GK, recv(0), 10, 99, &[1]), t(100)));
        // Expiring exactly now is still taken (upstream: `expires_at < now`).
        assert!(l.merge(entry(GK, recv(0), 10, 100, &[1]), t(100)));
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn restore_keeps_expired_entries_and_skips_the_sink() {
        let sink = Arc::new(Recorder::default());
        let l = NotificationLog::new(120 * HOUR).with_sink(sink.clone());
        let n = l.restore([
            entry(GK, recv(0), 10, 20, &[1]),
            entry(GK, recv(1), 10, 5000, &[2, 1]),
            entry(GK, recv(1), 5, 5000, &[3]),
            entry(GK, recv(1), 12, 5000, &[4]),
        ]);
        assert_eq!(n, 3);
        assert!(sink.take().is_empty());
        assert_eq!(l.query(&recv(0), GK).unwrap().firing_alerts, vec![1]);
        assert_eq!(l.query(&recv(1), GK).unwrap().firing_alerts, vec![4]);
        assert_eq!(l.gc(t(100)), 1);
        assert_eq!(sink.take(), vec![format!("removed {GK}:team/webhook/0")]);
    }

    #[test]
    fn snapshot_is_sorted_and_complete() {
        let l = NotificationLog::new(120 * HOUR);
        for i in (0..50u32).rev() {
            l.log(
                &recv(i % 3),
                &format!("{{}}:{{g=\"{:02}\"}}", i / 3),
                &[u64::from(i)],
                &[],
                t(0),
                HOUR,
            );
        }
        let snap = l.snapshot();
        assert_eq!(snap.len(), 50);
        assert!(
            snap.windows(2)
                .all(|w| { (&w[0].group_key, &w[0].receiver) < (&w[1].group_key, &w[1].receiver) })
        );
        assert_eq!(snap[0].group_key, "{}:{g=\"00\"}");
        assert_eq!(snap[0].receiver, recv(0));
        assert_eq!(snap[0].firing_alerts, vec![0]);
        // A snapshot restores into an equal log.
        let copy = NotificationLog::new(120 * HOUR);
        assert_eq!(copy.restore(snap.clone()), 50);
        assert_eq!(copy.snapshot(), snap);
    }

    #[test]
    fn metrics_count_queries_and_gc() {
        let reg = MetricRegistry::new();
        let m = NflogMetrics::register(&reg);
        let l = NotificationLog::new(120 * HOUR).with_metrics(m.clone());
        l.log(&recv(0), GK, &[1], &[], t(0), HOUR);
        l.query(&recv(0), GK);
        l.query(&recv(1), GK);
        l.gc(t(0));
        assert_eq!(m.queries.get(), 2);
        assert_eq!(m.query_errors.get(), 1);
        assert_eq!(m.gc_duration.count(), 1);
        let out = reg.encode();
        assert!(out.contains("alertmanager_nflog_query_duration_seconds_count 2\n"));
    }

    #[test]
    fn gc_task_runs_periodically() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let reg = MetricRegistry::new();
        let m = NflogMetrics::register(&reg);
        let l = Arc::new(NotificationLog::new(120 * HOUR).with_metrics(m.clone()));
        // Expired long ago: the first run removes it.
        l.restore([entry(GK, recv(0), 0, 1, &[1])]);
        rt.block_on(async {
            let task = Arc::clone(&l).spawn_gc(Duration::from_millis(10));
            for _ in 0..200 {
                if l.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            task.abort();
            // A zero interval finishes at once, without counting a run.
            let before = m.maintenance.get();
            Arc::clone(&l).spawn_gc(Duration::ZERO).await.unwrap();
            assert_eq!(m.maintenance.get(), before);
        });
        assert!(l.is_empty());
        assert!(m.maintenance.get() >= 1);
    }

    #[test]
    fn concurrent_writers_readers_and_gc() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<NotificationLog>();

        let l = Arc::new(NotificationLog::new(120 * HOUR));
        let threads: Vec<_> = (0..4u32)
            .map(|w| {
                let l = Arc::clone(&l);
                std::thread::spawn(move || {
                    for i in 0..2000u32 {
                        let gk = format!("{{}}:{{g=\"{}\"}}", i % 100);
                        let r = recv(w);
                        let ts = i64::from(i);
                        assert!(l.log(&r, &gk, &[u64::from(i)], &[], t(ts), HOUR));
                        let e = l.query(&r, &gk).expect("just logged");
                        // Only this thread writes this receiver's entries.
                        assert_eq!(e.firing_alerts, vec![u64::from(i)]);
                        if i % 500 == 0 {
                            l.gc(t(0));
                            l.snapshot();
                        }
                        l.merge(entry(&gk, recv(9), ts, ts + 3600, &[1]), t(ts));
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        // 4 writers × 100 groups, plus the merged receiver's 100 groups.
        assert_eq!(l.len(), 500);
        for w in 0..4 {
            for g in 0..100u32 {
                let e = l.query(&recv(w), &format!("{{}}:{{g=\"{g}\"}}")).unwrap();
                assert_eq!(e.firing_alerts, vec![u64::from(1900 + g)]);
            }
        }
        assert_eq!(l.gc(t(2000 + 3600)), 500);
    }
}
