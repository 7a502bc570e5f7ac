//! Copies the write-ahead log back into the database file, on its own
//! thread and connection.
//!
//! SQLite's automatic checkpoint runs inside whichever commit crosses 1000
//! log pages, and with it that commit waits for an fsync of the database
//! file: every few hundred silence changes, one would take milliseconds
//! longer. The writers turn it off (`wal_autocheckpoint = 0`) and this
//! thread runs a passive checkpoint each [`INTERVAL`] instead, which never
//! blocks a writer or a reader. The log restarts from its beginning once
//! it has been copied, and is cut back to [`WAL_SIZE_LIMIT`] when it
//! restarts.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use rusqlite::Connection;

/// How often the log is copied back.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// The size the log is cut back to when it restarts.
pub const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Turns off automatic checkpoints on a writer's connection.
pub fn manual(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {WAL_SIZE_LIMIT};"
    ))
}

/// Runs until `stop` is dropped, then makes a last checkpoint.
pub fn run(path: &Path, stop: Receiver<()>) {
    super::lower_thread_priority(19);
    let conn = match super::schema::open_secondary(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(err = %e, "Cannot open the state database for checkpoints; the write-ahead log will grow");
            return;
        }
    };
    // Copying pages needs no cache of its own.
    if let Err(e) = conn.execute_batch("PRAGMA cache_size = -256;") {
        tracing::debug!(err = %e, "Cannot size the checkpoint connection's cache");
    }
    let mut failing = false;
    loop {
        let last = matches!(
            stop.recv_timeout(INTERVAL),
            Err(RecvTimeoutError::Disconnected) | Ok(())
        );
        let mode = if last { "TRUNCATE" } else { "PASSIVE" };
        let result = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        });
        match result {
            Ok(_) if failing => {
                tracing::info!("State database checkpoints succeed again");
                failing = false;
            }
            Ok(_) => {}
            Err(e) if !failing => {
                tracing::warn!(err = %e, "State database checkpoint failed; retried each second");
                failing = true;
            }
            Err(_) => {}
        }
        if last {
            return;
        }
    }
}
