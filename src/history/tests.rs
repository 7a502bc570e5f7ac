//! The history against a real database: what the writer stores is what
//! the queries return.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::query::{self, NotificationFilter, Range};
use super::*;
use crate::alert::{LabelSet, Timestamp};
use crate::metrics::Metrics;

fn open() -> (tempfile::TempDir, crate::state::StateDb, History) {
    let dir = tempfile::tempdir().unwrap();
    let m = Metrics::new(&crate::metrics::BuildInfo::tocsin());
    let db = crate::state::StateDb::open(dir.path(), m.state.clone()).unwrap();
    let h = History::start(dir.path(), Duration::ZERO, m.state.clone()).unwrap();
    (dir, db, h)
}

fn alert(labels: &[(&str, &str)], end: Option<Timestamp>) -> Arc<Alert> {
    Arc::new(Alert {
        labels: LabelSet::from_iter(labels.iter().copied()),
        annotations: LabelSet::empty(),
        starts_at: Utc::now() - chrono::Duration::seconds(10),
        ends_at: end,
        updated_at: Utc::now(),
        generator_url: Arc::from(""),
        timeout: false,
    })
}

fn attempt(receiver: &str, fp: u64, outcome: Outcome, n: u32) -> Attempt {
    Attempt {
        at: Utc::now(),
        receiver: receiver.into(),
        integration: "webhook".into(),
        index: 0,
        group_key: "{}:{}".into(),
        firing: vec![fp],
        resolved: vec![],
        outcome,
        reason: if outcome == Outcome::Failure {
            "serverError".into()
        } else {
            String::new()
        },
        error: if outcome == Outcome::Failure {
            "unexpected status code 500".into()
        } else {
            String::new()
        },
        status_code: (outcome == Outcome::Failure).then_some(500),
        duration: Duration::from_millis(3),
        attempt: n,
    }
}

#[test]
fn alerts_events_and_notifications_round_trip() {
    let (d, db, h) = open();
    let a = alert(&[("alertname", "Disk"), ("severity", "page")], None);
    let b = alert(&[("alertname", "Cpu"), ("severity", "info")], None);
    h.on_put(&a);
    h.on_put(&b);
    h.record_muting(vec![MuteObservation {
        at: Utc::now(),
        alert: a.clone(),
        receiver: "team".into(),
        group_key: "{}:{}".into(),
        silenced_by: vec!["s-1".into()],
        inhibited_by: None,
        time_interval: None,
    }]);
    let fp = a.fingerprint().0;
    h.record_attempt(attempt("team", fp, Outcome::Failure, 1));
    h.record_attempt(attempt("team", fp, Outcome::Success, 2));
    assert!(h.sync(Duration::from_secs(10)));

    let m = crate::matcher::compat::parse_matcher("severity=page", Default::default())
        .unwrap()
        .0;
    let page = h
        .read(|c| Ok(query::alerts(c, &[m], &Range::default())))
        .unwrap()
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].labels["alertname"], "Disk");
    assert_eq!(page.items[0].silenced_by, ["s-1"]);
    assert_eq!(page.items[0].state, "firing");

    let t = h
        .read(|c| Ok(query::timeline(c, fp, &Range::default())))
        .unwrap()
        .unwrap()
        .unwrap();
    let kinds: Vec<&str> = t.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["notification", "notification", "silenced", "firing"]
    );
    let n = t.events[1].notification.as_ref().unwrap();
    assert_eq!(n.outcome, "failure");
    assert_eq!(n.status_code, Some(500));

    let f = NotificationFilter {
        receiver: Some("team".into()),
        outcome: Some(Outcome::Failure),
        ..Default::default()
    };
    let page = h
        .read(|c| Ok(query::notifications(c, &f, &Range::default())))
        .unwrap()
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].error, "unexpected status code 500");
    assert_eq!(page.items[0].firing, [format!("{fp:016x}")]);

    let last = h.last_attempt("team", "webhook", 0).unwrap();
    assert_eq!(last.outcome, Outcome::Success);
    h.close();
    // The last attempts come back after a restart.
    let m = Metrics::new(&crate::metrics::BuildInfo::tocsin());
    let h = History::start(d.path(), Duration::ZERO, m.state.clone()).unwrap();
    assert_eq!(
        h.last_attempt("team", "webhook", 0).unwrap().outcome,
        Outcome::Success
    );
    h.close();
    db.close();
}

#[test]
fn pages_follow_the_cursor_to_the_end() {
    let (_d, db, h) = open();
    for i in 0..25 {
        let v = i.to_string();
        h.on_put(&alert(&[("alertname", "Many"), ("i", &v)], None));
        h.record_attempt(attempt("r", i, Outcome::Success, 1));
    }
    assert!(h.sync(Duration::from_secs(10)));
    let mut range = Range {
        limit: 10,
        ..Default::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = h
            .read(|c| Ok(query::alerts(c, &[], &range)))
            .unwrap()
            .unwrap();
        seen.extend(page.items.into_iter().map(|a| a.fingerprint));
        match page.next_cursor {
            Some(c) => range.cursor = Some(c),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 25);

    let mut range = Range {
        limit: 7,
        ..Default::default()
    };
    let mut n = 0;
    let mut pages = 0;
    loop {
        let page = h
            .read(|c| {
                Ok(query::notifications(
                    c,
                    &NotificationFilter::default(),
                    &range,
                ))
            })
            .unwrap()
            .unwrap();
        n += page.items.len();
        pages += 1;
        match page.next_cursor {
            Some(c) => range.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!((n, pages), (25, 4));
    let bad = Range {
        cursor: Some("nonsense".into()),
        ..Default::default()
    };
    assert!(
        h.read(|c| Ok(query::alerts(c, &[], &bad)))
            .unwrap()
            .is_err()
    );
    h.close();
    db.close();
}

#[test]
fn resolves_are_recorded_and_old_rows_pruned() {
    let (d, db, h) = open();
    let a = alert(
        &[("alertname", "Short")],
        Some(Utc::now() + chrono::Duration::milliseconds(300)),
    );
    h.on_put(&a);
    std::thread::sleep(Duration::from_millis(900));
    assert!(h.sync(Duration::from_secs(10)));
    let t = h
        .read(|c| Ok(query::timeline(c, a.fingerprint().0, &Range::default())))
        .unwrap()
        .unwrap()
        .unwrap();
    let kinds: Vec<&str> = t.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["resolved", "firing"]);
    assert_eq!(t.alert.state, "resolved");
    h.close();

    let mut conn = crate::state::schema::open_secondary(
        &d.path().join(crate::state::schema::HISTORY_FILE_NAME),
    )
    .unwrap();
    let future = crate::state::codec::nanos(Utc::now()) + 1_000_000_000;
    let n = writer::prune_for_test(&mut conn, future).unwrap();
    assert_eq!(n, 3, "two events and the resolved alert");
    db.close();
}

#[test]
fn a_foreign_or_damaged_history_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(crate::state::schema::HISTORY_FILE_NAME);
    let m = Metrics::new(&crate::metrics::BuildInfo::tocsin());
    std::fs::write(&path, b"not a database at all, just some bytes").unwrap();
    let e = History::start(dir.path(), Duration::ZERO, m.state.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("history.db"), "{e}");
    assert!(e.contains("not a Tocsin history database"), "{e}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"not a database at all, just some bytes"
    );
    // The state database is not a history database either.
    std::fs::remove_file(&path).unwrap();
    let db = crate::state::StateDb::open(dir.path(), m.state.clone()).unwrap();
    db.close();
    std::fs::copy(dir.path().join("tocsin.db"), &path).unwrap();
    let e = History::start(dir.path(), Duration::ZERO, m.state.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a Tocsin history database"), "{e}");
}
