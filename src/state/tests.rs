use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::*;
use crate::alert::{Alert, Timestamp, shared_url};
use crate::matcher::{MatchType, Matcher, Matchers};
use crate::metrics::{MetricRegistry, StateMetrics};
use crate::nflog::NotificationLog;
use crate::silence::{SilenceOptions, Silences};
use crate::store::{AlertStore, StoreOptions};

fn t(s: i64) -> Timestamp {
    Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
}

fn metrics() -> StateMetrics {
    StateMetrics::register(&MetricRegistry::new())
}

fn alert(name: &str, ends: Option<i64>) -> Alert {
    Alert {
        labels: [("alertname", name), ("job", "j")].into_iter().collect(),
        annotations: [("summary", "s")].into_iter().collect(),
        starts_at: t(0),
        ends_at: ends.map(t),
        updated_at: t(1),
        generator_url: shared_url("http://prom/graph"),
        timeout: false,
    }
}

#[test]
fn everything_written_is_loaded_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(dir.path(), metrics()).unwrap();

    let silences = Silences::new(SilenceOptions::default()).with_sink(Arc::new(db.clone()));
    let now = Utc::now();
    let mut s = Silence::new(
        Matchers::from(vec![Matcher::new(MatchType::Regexp, "job", "a|b").unwrap()]),
        now,
        now + chrono::Duration::hours(1),
    );
    s.created_by = "me".into();
    s.comment = "c".into();
    let id = silences.set(s, now).unwrap();

    let nflog = NotificationLog::new(Duration::from_secs(3600)).with_sink(Arc::new(db.clone()));
    let r = crate::nflog::Receiver::new("team", "webhook", 1);
    nflog.log(&r, "{}:{a=\"1\"}", &[1, 2], &[3], now, Duration::ZERO);
    nflog.log(&r, "{}:{a=\"2\"}", &[4], &[], now, Duration::ZERO);
    nflog.gc(now + chrono::Duration::hours(2));
    // What an integration keeps about its message comes back too.
    let data: crate::nflog::ReceiverData = [("channelId", "C0123ABCD"), ("threadTs", "1.2")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    nflog.log_with_data(
        &r,
        "{}:{a=\"3\"}",
        &[5],
        &[],
        now,
        Duration::ZERO,
        data.clone(),
    );

    let store = AlertStore::new(StoreOptions::default());
    store.add_observer(Arc::new(db.clone()));
    store.put(alert("A", None), t(2)).unwrap();
    store.put(alert("B", Some(5)), t(2)).unwrap();
    store.gc(t(10));
    db.scheduled("{}:{a=\"3\"}", t(100), true);
    db.scheduled("gone", t(100), false);
    db.dropped("gone");
    db.flush().unwrap();

    let loaded = db.load().unwrap();
    assert_eq!(loaded.damaged, 0);
    assert_eq!(loaded.silences, silences.list());
    assert_eq!(loaded.silences[0].id, id);
    assert_eq!(loaded.nflog, nflog.snapshot());
    assert_eq!(loaded.nflog.len(), 1);
    assert_eq!(loaded.nflog[0].receiver_data, data);
    assert_eq!(loaded.alerts.len(), 1);
    assert_eq!(loaded.alerts[0], alert("A", None));
    assert_eq!(
        loaded.timers.get("{}:{a=\"3\"}"),
        Some(&RestoredTimer {
            next: t(100),
            has_flushed: true
        })
    );
    assert_eq!(loaded.timers.len(), 1);
    db.close();
    assert!(db.flush().is_err(), "closed");

    // A second process on the same directory sees the same.
    let db2 = StateDb::open(dir.path(), metrics()).unwrap();
    assert_eq!(db2.load().unwrap().silences, silences.list());
    db2.close();
}

#[test]
fn meta_values_are_durable() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(dir.path(), metrics()).unwrap();
    assert_eq!(db.meta("k").unwrap(), None);
    db.set_meta("k", "v1").unwrap();
    db.set_meta("k", "v2").unwrap();
    assert_eq!(db.meta("k").unwrap().as_deref(), Some("v2"));
    db.close();
}

#[test]
fn damaged_rows_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(dir.path(), metrics()).unwrap();
    db.close();
    let c = rusqlite::Connection::open(dir.path().join(schema::FILE_NAME)).unwrap();
    c.execute_batch(
        "INSERT INTO silence_log (id, body) VALUES ('x', '{not json');
         INSERT INTO alerts VALUES (1, x'01', x'', 0, NULL, 0, '', 0);
         INSERT INTO nflog VALUES ('g', 'r', 'webhook', 0, 0, x'0102', x'', 0, NULL);
         INSERT INTO nflog VALUES ('h', 'r', 'slack', 0, 0, x'', x'', 0, '{\"threadTs\": 1');",
    )
    .unwrap();
    drop(c);
    let db = StateDb::open(dir.path(), metrics()).unwrap();
    let l = db.load().unwrap();
    assert_eq!(l.damaged, 4);
    assert!(l.silences.is_empty() && l.alerts.is_empty() && l.nflog.is_empty());
    db.close();
}

/// A database that cannot be written: silence changes fail and leave
/// the store as it was; the rest is kept and written once it can be.
#[test]
fn unwritable_database_refuses_silences_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let m = metrics();
    let db = StateDb::open(dir.path(), m.clone()).unwrap();
    let silences = Silences::new(SilenceOptions::default()).with_sink(Arc::new(db.clone()));
    let nflog = NotificationLog::new(Duration::from_secs(3600)).with_sink(Arc::new(db.clone()));
    let now = Utc::now();
    let sil = || {
        Silence::new(
            Matchers::from(vec![Matcher::new(MatchType::Equal, "a", "1").unwrap()]),
            now,
            now + chrono::Duration::hours(1),
        )
    };
    silences.set(sil(), now).unwrap();
    db.flush().unwrap();

    // Another connection holds the write lock: commits fail (busy) after
    // the busy timeout.
    let blocker = rusqlite::Connection::open(dir.path().join(schema::FILE_NAME)).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE;").unwrap();
    let before = silences.list();
    let err = silences.set(sil(), now).unwrap_err();
    assert!(
        matches!(err, crate::silence::SilenceError::Storage(_)),
        "{err}"
    );
    assert_eq!(silences.list(), before);
    assert!(!db.writable());
    assert_eq!(m.writable.get(), 0);
    assert!(m.commit_failures.get() >= 1);
    let r = crate::nflog::Receiver::new("team", "webhook", 0);
    nflog.log(&r, "g", &[1], &[], now, Duration::ZERO);

    blocker.execute_batch("ROLLBACK;").unwrap();
    // The next commit (the flush) writes what was kept.
    db.flush().unwrap();
    assert!(db.writable());
    assert_eq!(m.writable.get(), 1);
    let l = db.load().unwrap();
    assert_eq!(l.nflog.len(), 1);
    assert_eq!(l.silences.len(), 1);
    db.close();
}

fn silence(comment: &str, now: Timestamp) -> Silence {
    let mut s = Silence::new(
        Matchers::from(vec![Matcher::new(MatchType::Equal, "job", "a").unwrap()]),
        now,
        now + chrono::Duration::hours(1),
    );
    s.id = format!("id-{comment}");
    s.created_by = "me".into();
    s.comment = comment.into();
    s
}

fn log_rows(dir: &std::path::Path) -> i64 {
    let c = rusqlite::Connection::open(dir.join(schema::FILE_NAME)).unwrap();
    c.query_row("SELECT count(*) FROM silence_log", [], |r| r.get(0))
        .unwrap()
}

/// Silence changes are appended; the newest row of an id wins, a
/// deletion hides the silence, and compaction keeps only what is live.
#[test]
fn the_silence_log_keeps_the_newest_change_and_is_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(dir.path(), metrics()).unwrap();
    let now = Utc::now();
    let a = Arc::new(silence("a1", now));
    let mut a2 = (*a).clone();
    a2.comment = "a2".into();
    a2.updated_at = now;
    let b = Arc::new(silence("b", now));
    let c = Arc::new(silence("c", now));
    use crate::silence::SilenceSink;
    db.persist(&[a.clone(), b.clone(), c.clone()], &[]).unwrap();
    db.persist(&[Arc::new(a2)], &[]).unwrap();
    db.persist(&[], std::slice::from_ref(&b.id)).unwrap();
    db.flush().unwrap();
    assert_eq!(log_rows(dir.path()), 5);
    let comments = |db: &StateDb| {
        let mut v: Vec<(String, String)> = db
            .load()
            .unwrap()
            .silences
            .into_iter()
            .map(|s| (s.id.clone(), s.comment.clone()))
            .collect();
        v.sort();
        v
    };
    let mut want = vec![(a.id.clone(), "a2".to_string()), (c.id.clone(), "c".into())];
    want.sort();
    assert_eq!(comments(&db), want);

    let mut log = writer::SilenceLog::open(
        &rusqlite::Connection::open(dir.path().join(schema::FILE_NAME)).unwrap(),
    )
    .unwrap();
    assert_eq!(log.rows, 5);
    let conn = rusqlite::Connection::open(dir.path().join(schema::FILE_NAME)).unwrap();
    log.compact(&conn).unwrap();
    assert_eq!((log.rows, log.compacted), (2, 2));
    assert_eq!(log_rows(dir.path()), 2);
    assert_eq!(comments(&db), want);
    db.close();
}

/// Compaction is due after at least 4096 appends, and after as many
/// appends as the rows the last one left: a constant cost per change.
#[test]
fn silence_log_compaction_is_amortised() {
    let log = |rows, compacted| writer::SilenceLog { rows, compacted };
    assert!(!log(4095, 0).due());
    assert!(log(4096, 0).due());
    assert!(!log(10_000 + 9_999, 10_000).due());
    assert!(log(20_000, 10_000).due());
}

/// A database of schema version 1 (silences in a keyed table) is migrated
/// at open: its silences are in the log and load as before.
#[test]
fn version_one_silences_are_migrated_into_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let s = silence("from v1", now);
    {
        let c = rusqlite::Connection::open(dir.path().join(schema::FILE_NAME)).unwrap();
        c.execute_batch(schema::MIGRATIONS[0]).unwrap();
        c.execute_batch(&format!(
            "PRAGMA application_id = {}; PRAGMA user_version = 1;",
            schema::APPLICATION_ID
        ))
        .unwrap();
        c.execute(
            "INSERT INTO silences (id, body) VALUES (?1, ?2)",
            rusqlite::params![s.id, codec::silence_body(&s)],
        )
        .unwrap();
    }
    let db = StateDb::open(dir.path(), metrics()).unwrap();
    let loaded = db.load().unwrap().silences;
    assert_eq!(loaded.len(), 1);
    assert_eq!(
        (loaded[0].id.as_str(), loaded[0].comment.as_str()),
        (s.id.as_str(), "from v1")
    );
    assert_eq!(log_rows(dir.path()), 1);
    db.close();
}
