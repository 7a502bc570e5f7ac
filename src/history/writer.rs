//! The history thread: takes observations off the queue, turns them into
//! events ([`super::tracker`]) and writes them in batched transactions on
//! its own connection, beside the state writer. It also resolves alerts
//! whose end time passes (each [`TICK`]) and deletes what is older than the
//! retention (each [`PRUNE_INTERVAL`]).
//!
//! A failed transaction is logged (once until one succeeds), counted, and
//! retried at the next tick; beyond [`MAX_PENDING`] rows the batch is
//! dropped and counted instead, so that a broken disk cannot grow memory.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params};

use super::Msg;
use super::event::{Attempt, kind};
use super::tracker::{Changes, Muting, Stored, Tracker};
use crate::metrics::StateMetrics;
use crate::state::codec::nanos;

/// How often end times are checked and a partial batch is written.
pub const TICK: Duration = Duration::from_millis(250);
/// A batch is written once it holds this many rows.
pub const BATCH_ROWS: usize = 2_000;
/// Rows kept while the database refuses writes.
pub const MAX_PENDING: usize = 200_000;
/// How often the size gauge is updated.
const SIZE_INTERVAL: Duration = Duration::from_secs(10);
/// How often rows older than the retention are deleted.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(600);
/// Rows deleted per statement, so that pruning never holds the write lock
/// for long.
const PRUNE_CHUNK: i64 = 5_000;

#[derive(Default)]
struct Batch {
    changes: Changes,
    attempts: Vec<Attempt>,
    syncs: Vec<std::sync::mpsc::Sender<()>>,
}

impl Batch {
    fn rows(&self) -> usize {
        self.changes.len() + self.attempts.iter().map(attempt_rows).sum::<usize>()
    }
}

fn attempt_rows(a: &Attempt) -> usize {
    2 + a.firing.len() + a.resolved.len()
}

/// The history thread runs only when nothing else wants the CPU
/// (`SCHED_IDLE`) and catches up when the load passes; the queue holds the
/// backlog, and what does not fit is dropped and counted.
pub(super) fn run(
    mut conn: Connection,
    path: &std::path::Path,
    rx: Receiver<Msg>,
    retention: Duration,
    m: StateMetrics,
) {
    crate::state::idle_thread_priority();
    let mut next_size = Instant::now();
    let mut tracker = Tracker::default();
    let mut batch = Batch::default();
    let mut next_tick = Instant::now() + TICK;
    let mut next_prune = Instant::now() + Duration::from_secs(30);
    let mut failing = false;
    let mut running = true;
    while running {
        let wait = next_tick.saturating_duration_since(Instant::now());
        let first = match rx.recv_timeout(wait) {
            Ok(msg) => Some(msg),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                running = false;
                None
            }
        };
        let mut msgs: Vec<Msg> = first.into_iter().collect();
        while msgs.len() < BATCH_ROWS {
            match rx.try_recv() {
                Ok(msg) => msgs.push(msg),
                Err(_) => break,
            }
        }
        m.history_queue_depth.dec_by(msgs.len() as i64);
        let now = chrono::Utc::now();
        {
            let mut lookup = |fp: u64| lookup(&conn, fp);
            for msg in msgs {
                match msg {
                    Msg::Put(a) => {
                        // Seen when the API took it in, not when this
                        // thread got to it.
                        let seen = a.updated_at.min(now);
                        tracker.put(a, seen, &mut lookup, &mut batch.changes)
                    }
                    Msg::Removed(a) => tracker.removed(&a, now, &mut batch.changes),
                    Msg::Muting(obs) => {
                        for o in obs {
                            tracker.muting(o, &mut lookup, &mut batch.changes);
                        }
                    }
                    Msg::Attempt(a) => batch.attempts.push(*a),
                    Msg::Sync(tx) => batch.syncs.push(tx),
                    Msg::Shutdown => running = false,
                }
            }
        }
        let tick = Instant::now() >= next_tick;
        if tick {
            tracker.tick(now, &mut batch.changes);
            next_tick = Instant::now() + TICK;
        }
        let due = tick || !running || !batch.syncs.is_empty() || batch.rows() >= BATCH_ROWS;
        if !due || (batch.rows() == 0 && batch.syncs.is_empty()) {
            continue;
        }
        if batch.rows() > 0 {
            match write(&mut conn, &batch) {
                Ok(rows) => {
                    m.history_rows_written.inc_by(rows as u64);
                    if failing {
                        tracing::info!("History writes succeed again");
                        failing = false;
                    }
                    batch.changes = Changes::default();
                    batch.attempts.clear();
                }
                Err(e) => {
                    m.history_write_failures.inc();
                    if !failing {
                        tracing::error!(err = %e, "History write failed: entries are kept and retried");
                        failing = true;
                    }
                    if batch.rows() > MAX_PENDING || !running {
                        tracing::error!(
                            rows = batch.rows(),
                            "History entries dropped: the database refuses writes"
                        );
                        m.history_dropped.inc_by(batch.rows() as u64);
                        batch.changes = Changes::default();
                        batch.attempts.clear();
                    }
                }
            }
        }
        for s in batch.syncs.drain(..) {
            let _ = s.send(());
        }
        if Instant::now() >= next_size {
            next_size = Instant::now() + SIZE_INTERVAL;
            m.history_database_size_bytes
                .set(crate::state::database_size(path) as i64);
        }
        if Instant::now() >= next_prune && !retention.is_zero() {
            next_prune = Instant::now() + PRUNE_INTERVAL;
            let cutoff = nanos(now) - retention.as_nanos().min(i64::MAX as u128) as i64;
            match prune(&mut conn, cutoff) {
                Ok(0) => {}
                Ok(n) => tracing::debug!(rows = n, "History older than the retention deleted"),
                Err(e) => {
                    m.history_write_failures.inc();
                    tracing::warn!(err = %e, "Deleting old history failed; retried later");
                }
            }
        }
    }
}

/// The stored row of alert `fp`, if it was recorded.
fn lookup(conn: &Connection, fp: u64) -> Option<Stored> {
    let row = conn
        .prepare_cached(
            "SELECT first_seen, fired_at, resolved_at, last_event_at, muting
             FROM history_alerts WHERE fingerprint = ?1",
        )
        .and_then(|mut st| {
            st.query_row([fp as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .optional()
        });
    match row {
        Ok(Some((first_seen, fired_at, resolved_at, last_event_at, muting))) => Some(Stored {
            first_seen,
            fired_at,
            resolved_at,
            last_event_at,
            muting: serde_json::from_str::<Muting>(&muting)
                .unwrap_or_default()
                .into(),
        }),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(fingerprint = %format!("{fp:016x}"), err = %e, "History lookup failed");
            None
        }
    }
}

fn pack(fps: &[u64]) -> Vec<u8> {
    fps.iter().flat_map(|f| f.to_le_bytes()).collect()
}

/// Writes the batch in one transaction; returns the rows written.
fn write(conn: &mut Connection, b: &Batch) -> rusqlite::Result<usize> {
    let tx = conn.transaction()?;
    let mut rows = 0;
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO history_alerts
                (fingerprint, alertname, labels, first_seen, fired_at, resolved_at, last_event_at, muting)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (fingerprint) DO UPDATE SET
                fired_at = excluded.fired_at, resolved_at = excluded.resolved_at,
                last_event_at = excluded.last_event_at, muting = excluded.muting",
        )?;
        for (fp, r) in &b.changes.rows {
            let s = &r.stored;
            let muting = serde_json::to_string(s.muting.get()).unwrap_or_else(|_| "{}".into());
            upsert.execute(params![
                *fp as i64,
                r.alert.labels.get("alertname").unwrap_or(""),
                r.alert.labels.as_bytes(),
                s.first_seen,
                s.fired_at,
                s.resolved_at,
                s.last_event_at,
                muting,
            ])?;
            rows += 1;
        }
        let mut ev = tx.prepare_cached(
            "INSERT INTO history_events (at, fingerprint, kind, notification_id, detail)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for e in &b.changes.events {
            ev.execute(params![
                e.at,
                e.fingerprint as i64,
                e.kind,
                Option::<i64>::None,
                e.detail.to_string()
            ])?;
            rows += 1;
        }
        let mut notif = tx.prepare_cached(
            "INSERT INTO history_notifications
                (at, receiver, integration, idx, group_key, firing, resolved, outcome,
                 reason, error, status_code, duration_ns, attempt)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        let mut last = tx.prepare_cached(
            "INSERT OR REPLACE INTO history_last_attempts (receiver, integration, idx, notification_id)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for a in &b.attempts {
            let at = nanos(a.at);
            notif.execute(params![
                at,
                a.receiver,
                a.integration,
                a.index,
                a.group_key,
                pack(&a.firing),
                pack(&a.resolved),
                a.outcome.as_str(),
                a.reason,
                a.error,
                a.status_code,
                a.duration.as_nanos().min(i64::MAX as u128) as i64,
                a.attempt,
            ])?;
            let id = tx.last_insert_rowid();
            last.execute(params![a.receiver, a.integration, a.index, id])?;
            for fp in a.firing.iter().chain(&a.resolved) {
                ev.execute(params![at, *fp as i64, kind::NOTIFICATION, id, "{}"])?;
            }
            rows += attempt_rows(a);
        }
    }
    tx.commit()?;
    Ok(rows)
}

/// Deletes events, notifications and resolved alerts older than `cutoff`
/// (Unix nanoseconds), a chunk at a time.
fn prune(conn: &mut Connection, cutoff: i64) -> rusqlite::Result<usize> {
    let statements = [
        "DELETE FROM history_events WHERE id IN
            (SELECT id FROM history_events WHERE at < ?1 LIMIT ?2)",
        "DELETE FROM history_notifications WHERE id IN
            (SELECT id FROM history_notifications WHERE at < ?1
             AND id NOT IN (SELECT notification_id FROM history_last_attempts) LIMIT ?2)",
        "DELETE FROM history_alerts WHERE fingerprint IN
            (SELECT fingerprint FROM history_alerts
             WHERE last_event_at < ?1 AND resolved_at IS NOT NULL LIMIT ?2)",
    ];
    let mut total = 0;
    for sql in statements {
        loop {
            let n = conn.execute(sql, params![cutoff, PRUNE_CHUNK])?;
            total += n;
            if (n as i64) < PRUNE_CHUNK {
                break;
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
pub(super) fn prune_for_test(conn: &mut Connection, cutoff: i64) -> rusqlite::Result<usize> {
    prune(conn, cutoff)
}
