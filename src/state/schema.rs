//! The database's schema, its migrations, and the checks made when it is
//! opened: a file that is not SQLite, not Tocsin's, damaged, or written by a
//! newer Tocsin is refused with a message naming it, and nothing is written
//! to it.

use std::path::Path;

use rusqlite::{Connection, ErrorCode, OpenFlags};

/// `PRAGMA application_id` of a Tocsin database ("Tocs").
pub const APPLICATION_ID: i32 = 0x546f_6373;

/// The database file under `--storage.path`.
pub const FILE_NAME: &str = "tocsin.db";

/// Migration `i` takes the schema from version `i` to `i + 1`
/// (`PRAGMA user_version`). Never edit a released migration: add one.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: silences, notification log, active alerts, group timers.
    "
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    -- One row per silence; body is the JSON of state::codec::StoredSilence.
    CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        body TEXT NOT NULL
    ) WITHOUT ROWID;
    -- The last notification per group and integration; firing and
    -- resolved are little-endian u64 alert hashes.
    CREATE TABLE nflog (
        group_key TEXT NOT NULL,
        receiver TEXT NOT NULL,
        integration TEXT NOT NULL,
        idx INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        firing BLOB NOT NULL,
        resolved BLOB NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (group_key, receiver, integration, idx)
    ) WITHOUT ROWID;
    -- Active alerts by fingerprint; labels and annotations are packed
    -- label sets (alert::LabelSet::as_bytes); times are Unix nanoseconds.
    CREATE TABLE alerts (
        fingerprint INTEGER PRIMARY KEY,
        labels BLOB NOT NULL,
        annotations BLOB NOT NULL,
        starts_at INTEGER NOT NULL,
        ends_at INTEGER,
        updated_at INTEGER NOT NULL,
        generator_url TEXT NOT NULL,
        timeout INTEGER NOT NULL
    );
    -- The next tick of each aggregation group (Unix nanoseconds).
    CREATE TABLE group_timers (
        group_key TEXT PRIMARY KEY,
        next_at INTEGER NOT NULL,
        has_flushed INTEGER NOT NULL
    ) WITHOUT ROWID;
    ",
    // 2: silences become an append-only log. A change appends a row (a
    // NULL body: deleted), so that a commit writes the table's last page
    // rather than one random page per silence; the newest row of an id
    // wins, and the writer compacts the log (see `state::writer`).
    "
    CREATE TABLE silence_log (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        body TEXT
    );
    INSERT INTO silence_log (id, body) SELECT id, body FROM silences ORDER BY id;
    DROP TABLE silences;
    ",
    // 3: what an integration keeps about a notification (Slack's channel id
    // and message timestamp), a JSON object of strings or NULL.
    "
    ALTER TABLE nflog ADD COLUMN data TEXT;
    ",
];

/// The schema version this Tocsin writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `PRAGMA application_id` of Tocsin's history database ("Toch").
pub const HISTORY_APPLICATION_ID: i32 = 0x546f_6368;

/// The history database file under `--storage.path`: kept apart from the
/// state so that its large batched writes never hold the lock a silence
/// commit waits for, and so that it can be deleted without losing state.
pub const HISTORY_FILE_NAME: &str = "history.db";

/// The history's migrations (see [`MIGRATIONS`]); `history::writer` writes
/// these tables and `history::query` reads them.
const HISTORY_MIGRATIONS: &[&str] = &[
    // 1: alerts, notification attempts, lifecycle events, last attempts.
    "
    -- One row per alert ever seen: its labels and where its story stands
    -- (fired_at: start of the latest firing, resolved_at: its end, NULL
    -- while firing; muting: JSON of history::tracker::Muting).
    CREATE TABLE history_alerts (
        fingerprint INTEGER PRIMARY KEY,
        alertname TEXT NOT NULL,
        labels BLOB NOT NULL,
        first_seen INTEGER NOT NULL,
        fired_at INTEGER NOT NULL,
        resolved_at INTEGER,
        last_event_at INTEGER NOT NULL,
        muting TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX history_alerts_by_last_event ON history_alerts (last_event_at, fingerprint);
    CREATE INDEX history_alerts_by_name ON history_alerts (alertname, last_event_at, fingerprint);
    -- Every notification attempt; firing and resolved are little-endian
    -- u64 alert fingerprints.
    CREATE TABLE history_notifications (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        receiver TEXT NOT NULL,
        integration TEXT NOT NULL,
        idx INTEGER NOT NULL,
        group_key TEXT NOT NULL,
        firing BLOB NOT NULL,
        resolved BLOB NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        error TEXT NOT NULL,
        status_code INTEGER,
        duration_ns INTEGER NOT NULL,
        attempt INTEGER NOT NULL
    );
    CREATE INDEX history_notifications_by_at ON history_notifications (at, id);
    CREATE INDEX history_notifications_by_receiver ON history_notifications (receiver, at, id);
    CREATE INDEX history_notifications_by_group ON history_notifications (group_key, at, id);
    -- Alert lifecycle events; a notification that carried the alert is an
    -- event of kind 'notification' pointing at its row.
    CREATE TABLE history_events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        fingerprint INTEGER NOT NULL,
        kind TEXT NOT NULL,
        notification_id INTEGER,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX history_events_by_alert ON history_events (fingerprint, at, id);
    CREATE INDEX history_events_by_at ON history_events (at);
    -- The latest attempt of each integration (GET /api/v2/receivers).
    CREATE TABLE history_last_attempts (
        receiver TEXT NOT NULL,
        integration TEXT NOT NULL,
        idx INTEGER NOT NULL,
        notification_id INTEGER NOT NULL,
        PRIMARY KEY (receiver, integration, idx)
    ) WITHOUT ROWID;
    ",
];

/// Which database a file holds.
pub struct Schema {
    /// `state` or `history`, for messages.
    pub kind: &'static str,
    pub application_id: i32,
    pub migrations: &'static [&'static str],
}

/// The state database.
pub const STATE: Schema = Schema {
    kind: "state",
    application_id: APPLICATION_ID,
    migrations: MIGRATIONS,
};

/// The history database.
pub const HISTORY: Schema = Schema {
    kind: "history",
    application_id: HISTORY_APPLICATION_ID,
    migrations: HISTORY_MIGRATIONS,
};

impl Schema {
    /// The newest schema version this Tocsin knows.
    pub fn version(&self) -> i64 {
        self.migrations.len() as i64
    }
}

/// Why the database cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "{path}: not a Tocsin {kind} database ({why}); move it away or pick another --storage.path"
    )]
    Foreign {
        path: String,
        kind: &'static str,
        why: String,
    },
    #[error(
        "{path}: the {kind} database is damaged ({why}); restore it from a backup or move it away to start empty"
    )]
    Corrupt {
        path: String,
        kind: &'static str,
        why: String,
    },
    #[error(
        "{path}: written by a newer Tocsin (schema version {found}, this version knows up to {known}); run that version or a newer one"
    )]
    Newer {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("{path}: {why}")]
    Io { path: String, why: String },
}

fn io(path: &Path, e: impl std::fmt::Display) -> OpenError {
    OpenError::Io {
        path: path.display().to_string(),
        why: e.to_string(),
    }
}

/// Classifies an error from the first reads of a file.
fn read_error(path: &Path, kind: &'static str, e: rusqlite::Error) -> OpenError {
    let p = path.display().to_string();
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => OpenError::Foreign {
            path: p,
            kind,
            why: "the file is not an SQLite database".into(),
        },
        Some(ErrorCode::DatabaseCorrupt) => OpenError::Corrupt {
            path: p,
            kind,
            why: e.to_string(),
        },
        _ => io(path, e),
    }
}

/// Opens (creating if needed) the database at `path`, checks it, sets the
/// connection up (WAL, `synchronous = NORMAL`) and brings the schema up to
/// [`SCHEMA_VERSION`].
pub fn open(path: &Path) -> Result<Connection, OpenError> {
    open_with(path, &STATE)
}

/// [`open`] for the database `schema` describes.
pub fn open_with(path: &Path, schema: &Schema) -> Result<Connection, OpenError> {
    // SQLite says only "unable to open database file"; the OS says why.
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| io(path, format!("cannot open for writing: {e}")))?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(|e| io(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| io(path, e))?;
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| read_error(path, schema.kind, e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| read_error(path, schema.kind, e))?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| read_error(path, schema.kind, e))?;
    if app_id != schema.application_id && !(app_id == 0 && version == 0 && tables.is_empty()) {
        let why = if app_id == 0 {
            format!("an SQLite database with tables {}", tables.join(", "))
        } else {
            format!("an SQLite database with application id {app_id:#x}")
        };
        return Err(OpenError::Foreign {
            path: path.display().to_string(),
            kind: schema.kind,
            why,
        });
    }
    if version > schema.version() {
        return Err(OpenError::Newer {
            path: path.display().to_string(),
            found: version,
            known: schema.version(),
        });
    }
    if !tables.is_empty() {
        let check: Vec<String> = conn
            .prepare("PRAGMA quick_check")
            .and_then(|mut st| {
                st.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| read_error(path, schema.kind, e))?;
        if check != ["ok"] {
            return Err(OpenError::Corrupt {
                path: path.display().to_string(),
                kind: schema.kind,
                why: check.join("; "),
            });
        }
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| io(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(io(
            path,
            format!("cannot use write-ahead logging (mode {mode})"),
        ));
    }
    // Commits are fsynced by the writer once a second (state::writer).
    conn.execute_batch("PRAGMA synchronous = NORMAL;")
        .map_err(|e| io(path, e))?;
    for (from, sql) in schema.migrations.iter().enumerate().skip(version as usize) {
        let to = from + 1;
        let tx = conn.transaction().map_err(|e| io(path, e))?;
        tx.execute_batch(sql)
            .and_then(|()| {
                tx.execute_batch(&format!(
                    "PRAGMA application_id = {}; PRAGMA user_version = {to};",
                    schema.application_id
                ))
            })
            .map_err(|e| io(path, format!("migration to schema version {to}: {e}")))?;
        tx.commit().map_err(|e| io(path, e))?;
        tracing::info!(path = %path.display(), version = to, "State database schema migrated");
    }
    Ok(conn)
}

/// A second read-write connection to a database [`open`] has prepared, for
/// a writer beside the state writer (the history's): SQLite serialises the
/// two, each waiting up to the busy timeout.
pub fn open_secondary(path: &Path) -> Result<Connection, OpenError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| io(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| io(path, e))?;
    conn.execute_batch("PRAGMA synchronous = NORMAL;")
        .map_err(|e| io(path, e))?;
    Ok(conn)
}

/// A read-only connection to a database [`open`] has prepared, for queries
/// that run beside the writer (WAL lets readers and the writer overlap).
pub fn open_reader(path: &Path) -> Result<Connection, OpenError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| io(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| io(path, e))?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(FILE_NAME);
        (d, p)
    }

    #[test]
    fn creates_migrates_and_reopens() {
        let (_d, p) = tmp();
        let c = open(&p).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let id: i32 = c
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(id, APPLICATION_ID);
        let mode: String = c
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        c.execute("INSERT INTO meta VALUES ('k', 'v')", []).unwrap();
        drop(c);
        let c = open(&p).unwrap();
        let v: String = c
            .query_row("SELECT value FROM meta", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, "v");
    }

    #[test]
    fn refuses_a_file_that_is_not_sqlite() {
        let (_d, p) = tmp();
        std::fs::write(&p, b"silences and other things, but not SQLite at all....").unwrap();
        let e = open(&p).unwrap_err().to_string();
        assert!(e.contains("not a Tocsin state database"), "{e}");
        assert!(e.contains("not an SQLite database"), "{e}");
        assert_eq!(
            std::fs::read(&p).unwrap(),
            b"silences and other things, but not SQLite at all...."
        );
    }

    #[test]
    fn refuses_another_programs_database() {
        let (_d, p) = tmp();
        let c = Connection::open(&p).unwrap();
        c.execute_batch("CREATE TABLE moz_places (id INTEGER);")
            .unwrap();
        drop(c);
        let e = open(&p).unwrap_err().to_string();
        assert!(e.contains("not a Tocsin state database"), "{e}");
        assert!(e.contains("moz_places"), "{e}");
        let c = Connection::open(&p).unwrap();
        c.execute_batch("PRAGMA application_id = 1234;").unwrap();
        drop(c);
        let e = open(&p).unwrap_err().to_string();
        assert!(e.contains("application id 0x4d2"), "{e}");
    }

    #[test]
    fn refuses_a_newer_schema() {
        let (_d, p) = tmp();
        let c = open(&p).unwrap();
        c.execute_batch(&format!("PRAGMA user_version = {};", SCHEMA_VERSION + 1))
            .unwrap();
        drop(c);
        let e = open(&p).unwrap_err();
        assert!(matches!(e, OpenError::Newer { .. }), "{e}");
        assert!(e.to_string().contains("written by a newer Tocsin"), "{e}");
    }

    #[test]
    fn refuses_a_damaged_database() {
        let (_d, p) = tmp();
        let c = open(&p).unwrap();
        c.execute_batch("PRAGMA journal_mode = DELETE;").unwrap();
        {
            let tx = c.unchecked_transaction().unwrap();
            for i in 0..2000 {
                tx.execute(
                    "INSERT INTO silence_log (id, body) VALUES (?1, ?2)",
                    rusqlite::params![format!("id-{i:05}"), "x".repeat(200)],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        drop(c);
        // Overwrite pages in the middle of the file, past the header page.
        let mut bytes = std::fs::read(&p).unwrap();
        assert!(bytes.len() > 64 * 1024, "{}", bytes.len());
        for b in &mut bytes[8192..40960] {
            *b = 0x5a;
        }
        std::fs::write(&p, &bytes).unwrap();
        let e = open(&p).unwrap_err();
        assert!(matches!(e, OpenError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("damaged"), "{e}");
    }
}
