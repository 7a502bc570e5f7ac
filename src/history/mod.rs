//! The record of what fired and who was paged, kept in its own SQLite
//! database (`history.db` beside the state's `tocsin.db`, see
//! [`schema::HISTORY`]) for `--history.retention`.
//!
//! Three sources feed it, none of which ever waits on it:
//!
//! | source | what | how |
//! |---|---|---|
//! | the alert store ([`AlertObserver`]) | every put and removal | [`History`] queues the alert |
//! | the notification pipeline, at each flush | what muted each firing alert: silences, an inhibiting alert, a time interval | [`History::record_muting`] |
//! | the retry stage, at each attempt | receiver, integration, group, alerts, outcome, error, status, latency | [`History::record_attempt`] |
//!
//! Everything goes through one bounded queue ([`QUEUE_CAPACITY`]); when it
//! is full the entry is dropped and counted (`tocsin_history_dropped_total`).
//! One thread ([`writer`]) turns the observations into lifecycle events
//! ([`tracker`]: first seen, re-fired, resolved, silenced, unsilenced,
//! inhibited, uninhibited, muted, unmuted) and writes them in batched
//! transactions. [`query`] reads them back for the API and the CLI.

pub mod event;
pub mod query;
mod tracker;
mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;

use crate::alert::Alert;
use crate::metrics::StateMetrics;
use crate::state::schema;
use crate::store::AlertObserver;

pub use event::{Attempt, LastAttempt, MuteObservation, Outcome};

/// Entries the queue holds before new ones are dropped.
pub const QUEUE_CAPACITY: usize = 262_144;

/// What the writer thread is sent.
pub(crate) enum Msg {
    Put(Arc<Alert>),
    Removed(Arc<Alert>),
    Muting(Vec<MuteObservation>),
    Attempt(Box<Attempt>),
    /// Write everything queued before this, then answer (tests, shutdown).
    Sync(mpsc::Sender<()>),
    Shutdown,
}

/// The history: a cheap handle to its queue, its last attempts and its
/// readers.
#[derive(Clone)]
pub struct History {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    tx: SyncSender<Msg>,
    metrics: StateMetrics,
    last: Mutex<HashMap<(String, String, u32), LastAttempt>>,
    readers: Mutex<Vec<Connection>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl History {
    /// Opens (creating and migrating as needed) `<dir>/history.db` and
    /// starts its writer, keeping `retention` of it (0: everything).
    pub fn start(
        dir: &Path,
        retention: Duration,
        metrics: StateMetrics,
    ) -> Result<History, schema::OpenError> {
        let path = dir.join(schema::HISTORY_FILE_NAME);
        let db_path = path.as_path();
        let conn = schema::open_with(db_path, &schema::HISTORY)?;
        let last = query::last_attempts(&conn).map_err(|e| schema::OpenError::Io {
            path: db_path.display().to_string(),
            why: format!("reading the last notification attempts: {e}"),
        })?;
        let (tx, rx) = mpsc::sync_channel(QUEUE_CAPACITY);
        let thread = {
            let metrics = metrics.clone();
            std::thread::Builder::new()
                .name("history-writer".into())
                .spawn({
                    let path = path.clone();
                    move || writer::run(conn, &path, rx, retention, metrics)
                })
                .map_err(|e| schema::OpenError::Io {
                    path: db_path.display().to_string(),
                    why: format!("start the history thread: {e}"),
                })?
        };
        Ok(History {
            inner: Arc::new(Inner {
                path: db_path.to_path_buf(),
                tx,
                metrics,
                last: Mutex::new(last),
                readers: Mutex::new(Vec::new()),
                thread: Mutex::new(Some(thread)),
            }),
        })
    }

    /// Queues `msg`, or drops and counts it when the queue is full.
    fn send(&self, msg: Msg) {
        let m = &self.inner.metrics;
        m.history_queue_depth.inc();
        match self.inner.tx.try_send(msg) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                m.history_queue_depth.dec();
                m.history_dropped.inc();
            }
        }
    }

    /// The alerts restored at start: the writer compares them with what it
    /// recorded (an alert that resolved while Tocsin was down gets its
    /// resolved event). They are queued from a thread of their own, waiting
    /// for room rather than dropping, so that start-up does not wait for
    /// them; a newer version posted meanwhile wins (see the tracker).
    pub fn restored(&self, alerts: Vec<Arc<Alert>>) {
        let (tx, depth) = (
            self.inner.tx.clone(),
            self.inner.metrics.history_queue_depth.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("history-restore".into())
            .spawn(move || {
                for a in alerts {
                    depth.inc();
                    if tx.send(Msg::Put(a)).is_err() {
                        depth.dec();
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(err = %e, "Cannot compare the restored alerts with the history");
        }
    }

    /// What a flush's muting stages found for its firing alerts.
    pub fn record_muting(&self, observations: Vec<MuteObservation>) {
        if !observations.is_empty() {
            self.send(Msg::Muting(observations));
        }
    }

    /// One notification attempt; it also becomes the integration's last
    /// attempt (`GET /api/v2/receivers`).
    pub fn record_attempt(&self, attempt: Attempt) {
        lock(&self.inner.last).insert(
            (
                attempt.receiver.clone(),
                attempt.integration.clone(),
                attempt.index,
            ),
            LastAttempt::of(&attempt),
        );
        self.send(Msg::Attempt(Box::new(attempt)));
    }

    /// The last attempt of an integration, if it ever made one.
    pub fn last_attempt(
        &self,
        receiver: &str,
        integration: &str,
        index: u32,
    ) -> Option<LastAttempt> {
        lock(&self.inner.last)
            .get(&(receiver.to_string(), integration.to_string(), index))
            .cloned()
    }

    /// Waits until everything queued so far is written (or `timeout`).
    pub fn sync(&self, timeout: Duration) -> bool {
        let (tx, rx) = mpsc::channel();
        self.inner.metrics.history_queue_depth.inc();
        if self.inner.tx.send(Msg::Sync(tx)).is_err() {
            self.inner.metrics.history_queue_depth.dec();
            return false;
        }
        rx.recv_timeout(timeout).is_ok()
    }

    /// Runs `f` on a read-only connection (a pooled one when there is).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, String> {
        let conn = match lock(&self.inner.readers).pop() {
            Some(c) => c,
            None => schema::open_reader(&self.inner.path).map_err(|e| e.to_string())?,
        };
        let out = f(&conn).map_err(|e| format!("reading the history: {e}"));
        let mut pool = lock(&self.inner.readers);
        if pool.len() < 4 {
            pool.push(conn);
        }
        out
    }

    /// Writes what is queued and stops the writer.
    pub fn close(&self) {
        let _ = self.inner.tx.send(Msg::Shutdown);
        if let Some(t) = lock(&self.inner.thread).take() {
            let _ = t.join();
        }
    }
}

impl AlertObserver for History {
    fn on_put(&self, alert: &Arc<Alert>) {
        self.send(Msg::Put(alert.clone()));
    }

    fn on_remove(&self, alert: &Arc<Alert>) {
        self.send(Msg::Removed(alert.clone()));
    }
}

#[cfg(test)]
mod tests;

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}
