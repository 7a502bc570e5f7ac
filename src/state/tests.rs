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
    nflog.log(&r, "{}:{a=\"3\"}", &[5], &[], now, Duration::ZERO);

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
        "INSERT INTO silences VALUES ('x', '{not json');
         INSERT INTO alerts VALUES (1, x'01', x'', 0, NULL, 0, '', 0);
         INSERT INTO nflog VALUES ('g', 'r', 'webhook', 0, 0, x'0102', x'', 0);",
    )
    .unwrap();
    drop(c);
    let db = StateDb::open(dir.path(), metrics()).unwrap();
    let l = db.load().unwrap();
    assert_eq!(l.damaged, 3);
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
