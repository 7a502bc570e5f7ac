//! The one thread that writes the state database, with group commit.
//!
//! Changes reach it two ways. Silence and notification-log changes are
//! messages on a channel: a silence change waits for its commit (the API
//! answers after it), a notification-log entry does not (entries gather
//! for [`NFLOG_WINDOW`], 5 ms, then go in one commit). Commits survive the
//! death of the process at once and a power loss after the next fsync, at
//! most a second later (see `SYNC` below). Alerts and group timers change far more often, so their
//! observers only mark them dirty in sharded maps (the last version of each
//! wins); the writer takes those maps every flush interval (one second).
//!
//! Everything waiting goes into one transaction. When a commit fails (full
//! disk, read-only file system) the waiting silence changes are answered
//! with the error, the rest is kept and retried every second, the database
//! is reported unwritable (`/-/ready`, `tocsin_state_writable`) and the
//! error is logged once; the first later success clears it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver as ChannelReceiver, RecvTimeoutError, SyncSender};

/// Where the result of a commit goes: a thread blocked on it, or a task
/// awaiting it.
pub(super) enum Waiter {
    Thread(SyncSender<Result<(), String>>),
    Task(tokio::sync::oneshot::Sender<Result<(), String>>),
}

impl Waiter {
    fn send(self, r: Result<(), String>) {
        match self {
            Waiter::Thread(tx) => {
                let _ = tx.send(r);
            }
            Waiter::Task(tx) => {
                let _ = tx.send(r);
            }
        }
    }
}

impl From<SyncSender<Result<(), String>>> for Waiter {
    fn from(tx: SyncSender<Result<(), String>>) -> Waiter {
        Waiter::Thread(tx)
    }
}
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use super::codec::{self, alert_row, hashes, nanos};
use crate::alert::{Alert, Timestamp};
use crate::metrics::StateMetrics;
use crate::nflog::{Entry, Receiver};
use crate::silence::Silence;

/// How often dirty alerts and group timers are written.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// How long notification-log changes gather before they are committed
/// when nothing else is waiting.
const NFLOG_WINDOW: Duration = Duration::from_millis(5);

// SYNC: the connection commits with `synchronous = NORMAL`: a commit is in
// the write-ahead log, which the OS keeps when the process dies (`kill -9`,
// a crash), before anyone is answered. The log is fsynced (a commit with
// `synchronous = FULL`) at the next flush tick, so a power loss or kernel
// crash can take back at most the last second. Alertmanager's snapshots
// lose up to 15 minutes.

/// The writer's nice value: below request handling, so that a burst of
/// new alerts is answered first and written after. A silence commit needs a
/// fraction of a millisecond of CPU; the request waiting for it leaves the
/// CPU to the writer (and the commits of concurrent requests are made
/// together).
const NICE: i32 = 19;

/// The most alert rows one transaction writes: a burst of new alerts is
/// written in several short commits, between which silence changes and
/// notification-log entries get theirs.
const ALERT_CHUNK: usize = 1_000;

/// How long after a failed commit the next attempt is made.
const RETRY_INTERVAL: Duration = Duration::from_secs(1);
const ALERT_SHARDS: usize = 16;

/// A message to the writer.
pub(super) enum Op {
    /// Store and delete silences; the result goes to `done` after commit.
    Silences {
        saved: Vec<Arc<Silence>>,
        removed: Vec<String>,
        done: Waiter,
    },
    NflogPut(Entry),
    NflogRemove(String, Receiver),
    /// Set a `meta` key, answering after commit.
    Meta {
        key: String,
        value: String,
        done: SyncSender<Result<(), String>>,
    },
    /// Write everything dirty now and answer after commit.
    Flush(SyncSender<Result<(), String>>),
    /// Write everything and stop.
    Shutdown,
}

/// An alert's new version (`None`: deleted), by fingerprint.
type AlertChange = (u64, Option<Arc<Alert>>);
/// A group's next flush and whether it has flushed (`None`: dropped).
type TimerChange = (String, Option<(Timestamp, bool)>);

/// What the writer and the observers share.
pub(super) struct Shared {
    /// Alert changes in the order they were made, sharded by fingerprint
    /// (so each alert's changes stay in order); merged by the writer, not
    /// here: an append costs the request path less than a map insert.
    /// Bounded by one flush interval of posts (16 bytes each).
    alerts: Vec<Mutex<Vec<AlertChange>>>,
    timers: Mutex<Vec<TimerChange>>,
    pub writable: AtomicBool,
    pub metrics: StateMetrics,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub fn new(metrics: StateMetrics) -> Shared {
        metrics.writable.set(1);
        Shared {
            alerts: (0..ALERT_SHARDS).map(|_| Mutex::default()).collect(),
            timers: Mutex::default(),
            writable: AtomicBool::new(true),
            metrics,
        }
    }

    /// The alert `fp` now stands as `alert` (`None`: deleted).
    pub fn alert_dirty(&self, fp: u64, alert: Option<Arc<Alert>>) {
        let shard = (fp.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 60) as usize % ALERT_SHARDS;
        lock(&self.alerts[shard]).push((fp, alert));
        self.metrics.queue_depth.inc();
    }

    pub fn timer_dirty(&self, key: &str, timer: Option<(Timestamp, bool)>) {
        lock(&self.timers).push((key.to_string(), timer));
        self.metrics.queue_depth.inc();
    }
}

/// Changes waiting for a commit, merged so that the latest of each wins.
#[derive(Default)]
struct Pending {
    silences: Vec<(Vec<Arc<Silence>>, Vec<String>)>,
    meta: Vec<(String, String)>,
    waiters: Vec<Waiter>,
    nflog: HashMap<(String, Receiver), Option<Entry>>,
    alerts: HashMap<u64, Option<Arc<Alert>>>,
    /// The alerts of the next commit, at most [`ALERT_CHUNK`], taken from
    /// `alerts` (kept until a commit of them succeeds).
    alert_chunk: Vec<(u64, Option<Arc<Alert>>)>,
    timers: HashMap<String, Option<(Timestamp, bool)>>,
    /// Channel messages taken in (for the queue-depth gauge).
    received: i64,
    /// An [`Op::Flush`] waits: take the dirty alerts and timers now.
    flush_requested: bool,
    /// Emptied change vectors, swapped back in at the next take.
    spare_alerts: Vec<Vec<AlertChange>>,
    spare_timers: Vec<TimerChange>,
}

/// Change vectors keep their room between flushes, but not a burst's.
fn give_back_burst<T>(v: &mut Vec<T>) {
    const KEEP: usize = 16 * 1024;
    if v.capacity() > KEEP {
        v.shrink_to(KEEP);
    }
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.silences.is_empty()
            && self.meta.is_empty()
            && self.waiters.is_empty()
            && self.nflog.is_empty()
            && self.alerts.is_empty()
            && self.alert_chunk.is_empty()
            && self.timers.is_empty()
    }

    /// Moves the next alerts to write into `alert_chunk`, unless a chunk
    /// still waits for its commit.
    fn fill_chunk(&mut self, limit: usize) {
        if !self.alert_chunk.is_empty() && limit == ALERT_CHUNK {
            return;
        }
        let keys: Vec<u64> = self.alerts.keys().take(limit).copied().collect();
        for k in keys {
            if let Some(v) = self.alerts.remove(&k) {
                self.alert_chunk.push((k, v));
            }
        }
        // A burst grows the map; do not keep its room for ever.
        if self.alerts.is_empty() && self.alerts.capacity() > 4 * ALERT_CHUNK {
            self.alerts = HashMap::new();
        }
    }

    fn rows(&self) -> usize {
        self.silences
            .iter()
            .map(|(s, r)| s.len() + r.len())
            .sum::<usize>()
            + self.meta.len()
            + self.nflog.len()
            + self.alert_chunk.len()
            + self.timers.len()
    }

    /// Takes one message in; returns false for [`Op::Shutdown`].
    fn add(&mut self, op: Op) -> bool {
        if !matches!(op, Op::Shutdown) {
            self.received += 1;
        }
        match op {
            Op::Silences {
                saved,
                removed,
                done,
            } => {
                self.silences.push((saved, removed));
                self.waiters.push(done);
            }
            Op::NflogPut(e) => {
                self.nflog
                    .insert((e.group_key.clone(), e.receiver.clone()), Some(e));
            }
            Op::NflogRemove(gk, r) => {
                self.nflog.insert((gk, r), None);
            }
            Op::Meta { key, value, done } => {
                self.meta.push((key, value));
                self.waiters.push(done.into());
            }
            Op::Flush(done) => {
                self.flush_requested = true;
                self.waiters.push(done.into());
            }
            Op::Shutdown => return false,
        }
        true
    }

    /// Moves the dirty alerts and timers in; newer than anything kept from
    /// a failed commit.
    ///
    /// Each shard's vector is swapped with an empty one kept from the last
    /// take, so that the request path appends into room it already has.
    fn take_dirty(&mut self, shared: &Shared) {
        let mut taken = 0;
        if self.spare_alerts.len() != shared.alerts.len() {
            self.spare_alerts = shared.alerts.iter().map(|_| Vec::new()).collect();
        }
        for (shard, spare) in shared.alerts.iter().zip(&mut self.spare_alerts) {
            std::mem::swap(&mut *lock(shard), spare);
            taken += spare.len();
            self.alerts.extend(spare.drain(..));
            give_back_burst(spare);
        }
        std::mem::swap(&mut *lock(&shared.timers), &mut self.spare_timers);
        taken += self.spare_timers.len();
        self.timers.extend(self.spare_timers.drain(..));
        give_back_burst(&mut self.spare_timers);
        shared.metrics.queue_depth.dec_by(taken as i64);
    }

    /// Answers the waiting changes (after a commit or a failure) and drops
    /// the ones that cannot be retried (silences, meta: their callers got
    /// the error and memory did not change).
    fn answer(&mut self, result: &Result<(), String>) {
        self.silences.clear();
        self.meta.clear();
        for w in self.waiters.drain(..) {
            w.send(result.clone());
        }
    }
}

/// Runs the writer until [`Op::Shutdown`] or until every sender is gone.
pub(super) fn run(
    mut conn: Connection,
    path: PathBuf,
    rx: ChannelReceiver<Op>,
    shared: Arc<Shared>,
) {
    super::lower_thread_priority(NICE);
    let mut silence_log = SilenceLog::open(&conn).unwrap_or_else(|e| {
        tracing::warn!(path = %path.display(), err = %e, "Cannot count the silence log's rows");
        SilenceLog {
            rows: 0,
            compacted: 0,
        }
    });
    let mut pending = Pending::default();
    let mut next_flush = Instant::now() + FLUSH_INTERVAL;
    let mut retry_at: Option<Instant> = None;
    // When the oldest notification-log change not yet committed came in.
    let mut nflog_since: Option<Instant> = None;
    // Whether commits since the last fsync wait for one (see `SYNC`).
    let mut unsynced = false;
    let mut running = true;
    // Alerts of this flush remain to be written.
    let mut more = false;
    while running {
        let now = Instant::now();
        let mut wake = retry_at.map_or(next_flush, |r| r.min(next_flush));
        if more && retry_at.is_none() {
            wake = now;
        }
        if let Some(t) = nflog_since {
            wake = wake.min(t + NFLOG_WINDOW);
        }
        match rx.recv_timeout(wake.saturating_duration_since(now)) {
            Ok(op) => running = pending.add(op),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => running = false,
        }
        while running {
            match rx.try_recv() {
                Ok(op) => running = pending.add(op),
                Err(_) => break,
            }
        }
        shared.metrics.queue_depth.dec_by(pending.received);
        pending.received = 0;
        let now = Instant::now();
        if !pending.nflog.is_empty() && nflog_since.is_none() {
            nflog_since = Some(now);
        }
        // A silence change does not wait for the alerts: they go at the
        // flush interval, at an explicit flush, or at the end.
        let tick = now >= next_flush || !running || pending.flush_requested;
        // An explicit flush and the last commit write every alert at once.
        let whole = !running || pending.flush_requested;
        if tick {
            pending.flush_requested = false;
            pending.take_dirty(&shared);
            next_flush = now + FLUSH_INTERVAL;
        }
        let sync = tick && unsynced;
        if pending.is_empty() {
            match retry_at {
                // Unwritable with nothing waiting: probe, so that the
                // database is reported writable again once it is.
                Some(r) if now >= r => pending
                    .meta
                    .push(("writable_probe".into(), chrono::Utc::now().to_rfc3339())),
                // Commits wait for their fsync: make one.
                None if sync => pending
                    .meta
                    .push(("synced_at".into(), chrono::Utc::now().to_rfc3339())),
                _ => continue,
            }
        }
        // Notification-log changes alone gather for a few milliseconds,
        // so that a burst of notifications makes few transactions.
        let due = tick
            || more
            || !pending.waiters.is_empty()
            || !pending.meta.is_empty()
            || nflog_since.is_some_and(|t| now >= t + NFLOG_WINDOW);
        if !due {
            continue;
        }
        // After a failure, only a change someone waits for (or the end)
        // tries again before the retry time.
        if retry_at.is_some_and(|r| now < r) && pending.waiters.is_empty() && running {
            continue;
        }
        pending.fill_chunk(if whole { usize::MAX } else { ALERT_CHUNK });
        let started = Instant::now();
        let rows = pending.rows();
        let silence_rows: usize = pending
            .silences
            .iter()
            .map(|(s, r)| s.len() + r.len())
            .sum();
        let result = commit(&mut conn, &pending, sync || !running).map_err(|e| e.to_string());
        nflog_since = None;
        let m = &shared.metrics;
        match &result {
            Ok(()) => {
                m.commit_duration.observe(started.elapsed().as_secs_f64());
                m.commits.inc();
                m.rows_written.inc_by(rows as u64);
                m.last_commit.set(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0.0, |d| d.as_secs_f64()),
                );
                if tick {
                    // Two stat calls: once a second, not per commit.
                    m.database_size_bytes.set(database_size(&path) as i64);
                }
                if !shared.writable.swap(true, Ordering::AcqRel) {
                    tracing::info!(path = %path.display(), "State database writable again");
                }
                m.writable.set(1);
                retry_at = None;
                unsynced = !sync && running;
                silence_log.rows += silence_rows as u64;
                pending.nflog.clear();
                pending.alert_chunk.clear();
                pending.timers.clear();
            }
            Err(e) => {
                m.commit_failures.inc();
                m.writable.set(0);
                if shared.writable.swap(false, Ordering::AcqRel) {
                    tracing::error!(
                        path = %path.display(),
                        err = %e,
                        "State database write failed: silence changes are refused and other changes are kept in memory and retried until it succeeds"
                    );
                }
                retry_at = Some(Instant::now() + RETRY_INTERVAL);
            }
        }
        pending.answer(&result);
        more = !pending.alerts.is_empty();
        if tick && result.is_ok() && silence_log.due() {
            let started = Instant::now();
            match silence_log.compact(&conn) {
                Ok(()) => tracing::debug!(
                    rows = silence_log.rows,
                    took = ?started.elapsed(),
                    "Compacted the silence log"
                ),
                // Nothing is lost: the log stays longer until the next try.
                Err(e) => {
                    shared.metrics.commit_failures.inc();
                    tracing::warn!(path = %path.display(), err = %e, "Cannot compact the silence log");
                }
            }
        }
        if !running && result.is_err() {
            tracing::error!(
                path = %path.display(),
                rows = pending.rows(),
                "State database unwritable at shutdown: the latest changes are not stored"
            );
        }
    }
}

/// Size of the database file and its write-ahead log.
pub(super) fn database_size(path: &std::path::Path) -> u64 {
    let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    size(path) + size(std::path::Path::new(&wal))
}

/// Writes `p` in one transaction; with `sync`, the commit waits for the
/// fsync of the write-ahead log, which makes every earlier commit durable
/// too (see `SYNC`).
fn commit(conn: &mut Connection, p: &Pending, sync: bool) -> rusqlite::Result<()> {
    if sync {
        conn.execute_batch("PRAGMA synchronous = FULL")?;
    }
    let result = write(conn, p);
    if sync {
        conn.execute_batch("PRAGMA synchronous = NORMAL")?;
    }
    result
}

/// The silence log's rows: how many there are, and how many there were
/// after its last compaction (every one of them then the newest of its id).
pub(super) struct SilenceLog {
    pub rows: u64,
    pub compacted: u64,
}

/// Appends before the silence log is compacted, at least.
const COMPACT_AFTER: u64 = 4_096;

impl SilenceLog {
    pub fn open(conn: &Connection) -> rusqlite::Result<SilenceLog> {
        let rows: i64 = conn.query_row("SELECT count(*) FROM silence_log", [], |r| r.get(0))?;
        Ok(SilenceLog {
            rows: rows as u64,
            compacted: 0,
        })
    }

    /// Whether the appends since the last compaction (at least
    /// [`COMPACT_AFTER`], and as many as the rows it left) make one due:
    /// compaction then costs a constant amount per append.
    pub fn due(&self) -> bool {
        let appended = self.rows.saturating_sub(self.compacted);
        appended >= COMPACT_AFTER.max(self.compacted)
    }

    /// Deletes every row that is not the newest of its id, and deletions.
    pub fn compact(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        conn.execute(
            "DELETE FROM silence_log WHERE body IS NULL
               OR seq NOT IN (SELECT max(seq) FROM silence_log GROUP BY id)",
            [],
        )?;
        let rows: i64 = conn.query_row("SELECT count(*) FROM silence_log", [], |r| r.get(0))?;
        self.rows = rows as u64;
        self.compacted = self.rows;
        Ok(())
    }
}

fn write(conn: &mut Connection, p: &Pending) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        // Appended to the log (schema migration 2): the newest row wins.
        let mut put = tx.prepare_cached("INSERT INTO silence_log (id, body) VALUES (?1, ?2)")?;
        for (saved, removed) in &p.silences {
            for id in removed {
                put.execute(params![id, None::<String>])?;
            }
            for s in saved {
                put.execute(params![s.id, codec::silence_body(s)])?;
            }
        }
    }
    {
        let mut put =
            tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?;
        for (k, v) in &p.meta {
            put.execute([k, v])?;
        }
    }
    {
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO nflog (group_key, receiver, integration, idx, ts, firing, resolved, expires_at, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut del = tx.prepare_cached(
            "DELETE FROM nflog WHERE group_key = ?1 AND receiver = ?2 AND integration = ?3 AND idx = ?4",
        )?;
        for ((gk, r), e) in &p.nflog {
            match e {
                Some(e) => put.execute(params![
                    gk,
                    r.group_name,
                    r.integration,
                    r.idx,
                    nanos(e.timestamp),
                    hashes(&e.firing_alerts),
                    hashes(&e.resolved_alerts),
                    nanos(e.expires_at),
                    codec::receiver_data_column(&e.receiver_data),
                ])?,
                None => del.execute(params![gk, r.group_name, r.integration, r.idx])?,
            };
        }
    }
    {
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO alerts (fingerprint, labels, annotations, starts_at, ends_at, updated_at, generator_url, timeout)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut del = tx.prepare_cached("DELETE FROM alerts WHERE fingerprint = ?1")?;
        for (fp, a) in &p.alert_chunk {
            match a {
                Some(a) => {
                    let r = alert_row(a);
                    put.execute(params![
                        r.fingerprint,
                        r.labels,
                        r.annotations,
                        r.starts_at,
                        r.ends_at,
                        r.updated_at,
                        r.generator_url,
                        r.timeout,
                    ])?
                }
                None => del.execute([*fp as i64])?,
            };
        }
    }
    {
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO group_timers (group_key, next_at, has_flushed) VALUES (?1, ?2, ?3)",
        )?;
        let mut del = tx.prepare_cached("DELETE FROM group_timers WHERE group_key = ?1")?;
        for (key, t) in &p.timers {
            match t {
                Some((next, flushed)) => put.execute(params![key, nanos(*next), flushed])?,
                None => del.execute([key])?,
            };
        }
    }
    tx.commit()
}
