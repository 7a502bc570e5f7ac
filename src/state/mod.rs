//! Durable state: one SQLite database (`tocsin.db`, WAL) under
//! `--storage.path` holding the silences, the notification log, the active
//! alerts and the aggregation groups' timers, so that a restart (clean or
//! `kill -9`) loses nothing that was acknowledged and re-pages nobody.
//!
//! [`StateDb`] is the handle. At start the server opens it (a foreign,
//! damaged or newer file is refused: [`schema`]), imports Alertmanager's
//! snapshot files once ([`import`]), loads what it holds ([`StateDb::load`])
//! into the stores before the dispatcher runs and before `/-/ready` answers
//! 200, and then plugs the handle in behind the stores' narrow interfaces:
//!
//! | store | interface | durability |
//! |---|---|---|
//! | silences | [`SilenceSink`] | committed before the API answers; a failed commit is a 500 and changes nothing |
//! | notification log | [`NflogSink`] | committed with the next group commit after a successful send (milliseconds) |
//! | alerts | [`AlertObserver`] | written every second ([`writer::FLUSH_INTERVAL`]) off the request path |
//! | group timers | [`TimerSink`] | written every second |
//!
//! All writes go through one thread ([`writer`]); nothing here runs under
//! a store's lock except marking an alert or timer dirty and queueing a
//! message.

pub mod ampb;
mod checkpoint;
pub(crate) mod codec;
pub mod import;
mod migrate;
pub mod schema;
mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, PoisonError};

use crate::alert::{Alert, Timestamp};
use crate::dispatch::{RestoredTimer, TimerSink};
use crate::metrics::StateMetrics;
use crate::nflog::{Entry, NflogSink, Receiver};
use crate::silence::{Silence, SilenceSink};
use crate::store::AlertObserver;

pub use migrate::import_alertmanager_once;
pub use schema::OpenError;

use writer::{Op, Shared};

/// Everything the database held at start.
#[derive(Debug, Default)]
pub struct Loaded {
    pub silences: Vec<Silence>,
    pub nflog: Vec<Entry>,
    pub alerts: Vec<Alert>,
    pub timers: HashMap<String, RestoredTimer>,
    /// Rows that could not be read (each logged), which are skipped.
    pub damaged: usize,
}

/// The open state database. Cheap to clone.
#[derive(Clone)]
pub struct StateDb {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    tx: Mutex<Option<Sender<Op>>>,
    shared: Arc<Shared>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Dropped to stop the checkpoint thread.
    checkpoint_stop: Mutex<Option<mpsc::Sender<()>>>,
    checkpoint_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl StateDb {
    /// Opens (or creates) `<dir>/tocsin.db` and starts its writer.
    pub fn open(dir: &Path, metrics: StateMetrics) -> Result<StateDb, OpenError> {
        let path = dir.join(schema::FILE_NAME);
        let conn = schema::open(&path)?;
        checkpoint::manual(&conn).map_err(|e| OpenError::Io {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        let shared = Arc::new(Shared::new(metrics));
        shared
            .metrics
            .database_size_bytes
            .set(writer::database_size(&path) as i64);
        let (tx, rx) = mpsc::channel();
        let thread = {
            let (shared, path) = (shared.clone(), path.clone());
            std::thread::Builder::new()
                .name("state-writer".into())
                .spawn(move || writer::run(conn, path, rx, shared))
                .map_err(|e| OpenError::Io {
                    path: dir.display().to_string(),
                    why: format!("start the writer thread: {e}"),
                })?
        };
        let (stop, stopped) = mpsc::channel();
        let checkpoints = {
            let path = path.clone();
            std::thread::Builder::new()
                .name("state-checkpoint".into())
                .spawn(move || checkpoint::run(&path, stopped))
                .map_err(|e| OpenError::Io {
                    path: dir.display().to_string(),
                    why: format!("start the checkpoint thread: {e}"),
                })?
        };
        Ok(StateDb {
            inner: Arc::new(Inner {
                path,
                tx: Mutex::new(Some(tx)),
                shared,
                thread: Mutex::new(Some(thread)),
                checkpoint_stop: Mutex::new(Some(stop)),
                checkpoint_thread: Mutex::new(Some(checkpoints)),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Whether the last commit succeeded (`/-/ready` fails otherwise).
    pub fn writable(&self) -> bool {
        self.inner.shared.writable.load(Ordering::Acquire)
    }

    /// Queues `op` for the writer (counted in the queue-depth gauge until
    /// the writer takes it).
    fn send(&self, op: Op) -> Result<(), String> {
        let depth = &self.inner.shared.metrics.queue_depth;
        depth.inc();
        let sent = match &*lock(&self.inner.tx) {
            Some(tx) => tx
                .send(op)
                .map_err(|_| "the state writer has stopped".to_string()),
            None => Err("the state database is closed".to_string()),
        };
        if sent.is_err() {
            depth.dec();
        }
        sent
    }

    /// Sends `make(done)` and waits for its commit.
    fn send_and_wait(
        &self,
        make: impl FnOnce(mpsc::SyncSender<Result<(), String>>) -> Op,
    ) -> Result<(), String> {
        let (done, wait) = mpsc::sync_channel(1);
        self.send(make(done))?;
        wait.recv()
            .unwrap_or_else(|_| Err("the state writer has stopped".to_string()))
    }

    /// Writes everything waiting (dirty alerts and timers included) and
    /// returns after the commit.
    pub fn flush(&self) -> Result<(), String> {
        self.send_and_wait(Op::Flush)
    }

    /// Reads a `meta` value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, String> {
        let conn = schema::open_reader(&self.inner.path).map_err(|e| e.to_string())?;
        let v = conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(|e| e.to_string())?;
        Ok(v)
    }

    /// Sets a `meta` value durably.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), String> {
        let (key, value) = (key.to_string(), value.to_string());
        self.send_and_wait(|done| Op::Meta { key, value, done })
    }

    /// Reads everything the database holds. Rows that cannot be decoded
    /// are logged, counted and skipped.
    pub fn load(&self) -> Result<Loaded, String> {
        let conn = schema::open_reader(&self.inner.path).map_err(|e| e.to_string())?;
        load(&conn).map_err(|e| format!("{}: {e}", self.inner.path.display()))
    }

    /// Writes everything waiting and stops the writer; later changes fail.
    pub fn close(&self) {
        if let Some(tx) = lock(&self.inner.tx).take() {
            let _ = tx.send(Op::Shutdown);
        }
        if let Some(t) = lock(&self.inner.thread).take() {
            let _ = t.join();
        }
        lock(&self.inner.checkpoint_stop).take();
        if let Some(t) = lock(&self.inner.checkpoint_thread).take() {
            let _ = t.join();
        }
    }
}

fn load(conn: &rusqlite::Connection) -> rusqlite::Result<Loaded> {
    let mut out = Loaded::default();
    let mut damaged = |table: &str, key: String, e: String| {
        tracing::error!(table, key, err = %e, "Damaged row in the state database, skipped");
        out.damaged += 1;
    };
    // The log's newest row of each id wins; a NULL body is a deletion.
    let mut latest: std::collections::BTreeMap<String, Option<String>> = Default::default();
    let mut st = conn.prepare("SELECT id, body FROM silence_log ORDER BY seq")?;
    for row in st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
    })? {
        let (id, body) = row?;
        latest.insert(id, body);
    }
    let mut silences = Vec::new();
    for (id, body) in latest {
        let Some(body) = body else { continue };
        match codec::silence_from_body(&body) {
            Ok(s) if s.id == id => silences.push(s),
            Ok(_) => damaged("silences", id, "id does not match the body".into()),
            Err(e) => damaged("silences", id, e),
        }
    }
    let mut nflog = Vec::new();
    let mut st = conn.prepare(
        "SELECT group_key, receiver, integration, idx, ts, firing, resolved, expires_at, data FROM nflog",
    )?;
    let rows = st.query_map([], |r| {
        Ok(codec::NflogRow {
            group_key: r.get(0)?,
            receiver: r.get(1)?,
            integration: r.get(2)?,
            idx: r.get(3)?,
            ts: r.get(4)?,
            firing: r.get(5)?,
            resolved: r.get(6)?,
            expires_at: r.get(7)?,
            data: r.get(8)?,
        })
    })?;
    for row in rows {
        let row = row?;
        let key = format!(
            "{}:{}/{}/{}",
            row.group_key, row.receiver, row.integration, row.idx
        );
        match row.into_entry() {
            Ok(e) => nflog.push(e),
            Err(e) => damaged("nflog", key, e),
        }
    }
    let mut alerts = Vec::new();
    let mut st = conn.prepare(
        "SELECT fingerprint, labels, annotations, starts_at, ends_at, updated_at, generator_url, timeout FROM alerts",
    )?;
    let rows = st.query_map([], |r| {
        Ok(codec::AlertRow {
            fingerprint: r.get(0)?,
            labels: r.get(1)?,
            annotations: r.get(2)?,
            starts_at: r.get(3)?,
            ends_at: r.get(4)?,
            updated_at: r.get(5)?,
            generator_url: r.get(6)?,
            timeout: r.get(7)?,
        })
    })?;
    for row in rows {
        let row = row?;
        let key = format!("{:016x}", row.fingerprint as u64);
        match row.into_alert() {
            Ok(a) => alerts.push(a),
            Err(e) => damaged("alerts", key, e),
        }
    }
    let mut timers = HashMap::new();
    let mut st = conn.prepare("SELECT group_key, next_at, has_flushed FROM group_timers")?;
    for row in st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, bool>(2)?,
        ))
    })? {
        let (key, next, has_flushed) = row?;
        timers.insert(
            key,
            RestoredTimer {
                next: codec::from_nanos(next),
                has_flushed,
            },
        );
    }
    out.silences = silences;
    out.nflog = nflog;
    out.alerts = alerts;
    out.timers = timers;
    Ok(out)
}

impl SilenceSink for StateDb {
    fn persist(&self, saved: &[Arc<Silence>], removed: &[String]) -> Result<(), String> {
        let (saved, removed) = (saved.to_vec(), removed.to_vec());
        self.send_and_wait(|done| Op::Silences {
            saved,
            removed,
            done: done.into(),
        })
    }

    fn persist_async(
        &self,
        saved: Vec<Arc<Silence>>,
        removed: Vec<String>,
    ) -> crate::silence::PersistFuture {
        let (done, wait) = tokio::sync::oneshot::channel();
        let sent = self.send(Op::Silences {
            saved,
            removed,
            done: writer::Waiter::Task(done),
        });
        Box::pin(async move {
            sent?;
            wait.await
                .unwrap_or_else(|_| Err("the state writer has stopped".to_string()))
        })
    }
}

impl StateDb {
    fn queue(&self, op: Op) {
        if let Err(e) = self.send(op) {
            tracing::error!(err = %e, "Notification log change not stored");
        }
    }
}

impl NflogSink for StateDb {
    fn logged(&self, e: &Entry) {
        self.queue(Op::NflogPut(e.clone()));
    }

    fn removed(&self, group_key: &str, receiver: &Receiver) {
        self.queue(Op::NflogRemove(group_key.to_string(), receiver.clone()));
    }
}

impl AlertObserver for StateDb {
    fn on_put(&self, alert: &Arc<Alert>) {
        self.on_stored(alert.fingerprint(), alert);
    }

    fn on_stored(&self, fp: crate::alert::Fingerprint, alert: &Arc<Alert>) {
        self.inner.shared.alert_dirty(fp.0, Some(alert.clone()));
    }

    fn on_remove(&self, alert: &Arc<Alert>) {
        self.inner.shared.alert_dirty(alert.fingerprint().0, None);
    }
}

impl TimerSink for StateDb {
    fn scheduled(&self, group_key: &str, next: Timestamp, has_flushed: bool) {
        self.inner
            .shared
            .timer_dirty(group_key, Some((next, has_flushed)));
    }

    fn dropped(&self, group_key: &str) {
        self.inner.shared.timer_dirty(group_key, None);
    }
}

/// Size of the database file at `path` and its write-ahead log.
pub(crate) fn database_size(path: &Path) -> u64 {
    writer::database_size(path)
}

/// Lowers the calling thread's CPU priority to `nice` (Linux gives each
/// thread its own nice value), so that background writing yields the CPU
/// to request handling and catches up when the load passes. Failure only
/// means the thread keeps its priority.
pub(crate) fn lower_thread_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions; setpriority on our own
        // thread id only changes this thread's nice value.
        let ok = unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, nice) == 0
        };
        if !ok {
            tracing::debug!(nice, err = %std::io::Error::last_os_error(), "Cannot lower the thread's priority");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// Puts the calling thread in the `SCHED_IDLE` class: it runs only when
/// nothing else wants the CPU, and a waking request handler preempts it at
/// once (a low nice value alone lets it finish its time slice first, a
/// millisecond or more of latency for every request that arrives meanwhile).
/// For work that may be dropped or delayed under sustained load, never for
/// work someone waits for. Falls back to the lowest nice value.
pub(crate) fn idle_thread_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: sched_setscheduler with pid 0 changes only the calling
        // thread's policy; `param` is a valid sched_param.
        let ok = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) == 0 };
        if ok {
            return;
        }
    }
    lower_thread_priority(19);
}

#[cfg(test)]
mod tests;
