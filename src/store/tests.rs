//! Tests of the alert store: put rules, garbage collection, observers, the
//! per-alertname limit and concurrent use.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::TimeZone;

use super::*;
use crate::alert::LabelSet;

fn t(secs: i64) -> Timestamp {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn labels(name: &str, instance: &str) -> LabelSet {
    LabelSet::from_pairs([("alertname", name), ("instance", instance)])
}

fn alert(name: &str, instance: &str, start: i64, end: Option<i64>, updated: i64) -> Alert {
    Alert {
        labels: labels(name, instance),
        annotations: LabelSet::empty(),
        starts_at: t(start),
        ends_at: end.map(t),
        updated_at: t(updated),
        generator_url: "".into(),
        timeout: false,
    }
}

fn with_note(mut a: Alert, note: &str) -> Alert {
    a.annotations = LabelSet::from_pairs([("note", note)]);
    a
}

fn store() -> AlertStore {
    AlertStore::new(StoreOptions::default())
}

fn fps(alerts: &[Arc<Alert>]) -> Vec<Fingerprint> {
    let mut v: Vec<Fingerprint> = alerts.iter().map(|a| a.fingerprint()).collect();
    v.sort();
    v
}

#[test]
fn overlap_uses_open_intervals_and_go_zero_times() {
    let old = alert("A", "1", 10, Some(20), 0);
    for (start, end, want) in [
        (12, Some(15), true),  // inside
        (5, Some(15), true),   // end inside
        (15, Some(30), true),  // start inside
        (15, None, true),      // start inside, unset end is never inside
        (10, Some(30), false), // start on the old start
        (5, Some(10), false),  // end on the old start
        (5, Some(20), false),  // end on the old end
        (20, Some(30), false), // start on the old end
        (5, Some(30), false),  // covers the old range entirely
        (5, None, false),
        (30, Some(40), false), // after
    ] {
        let new = alert("A", "1", start, end, 1);
        assert_eq!(overlaps(&old, &new), want, "new {start}..{end:?}");
    }
    // A stored alert without an end ends at Go's zero time: nothing is before
    // it, so nothing overlaps it.
    let open = alert("A", "1", 10, None, 0);
    for (start, end) in [(15, Some(30)), (15, None), (5, Some(15)), (10, None)] {
        let new = alert("A", "1", start, end, 1);
        assert!(!overlaps(&open, &new), "new {start}..{end:?}");
    }
    // Go's zero time is 0001-01-01, not the epoch or the minimum of chrono.
    assert_eq!(go_zero_time().to_rfc3339(), "0001-01-01T00:00:00+00:00");
    let ancient = Alert {
        starts_at: Utc.with_ymd_and_hms(0, 6, 1, 0, 0, 0).unwrap(),
        ..alert("A", "1", 0, Some(0), 0)
    };
    assert!(overlaps(&ancient, &alert("A", "1", 5, None, 1)));
}

#[test]
fn overlapping_puts_merge() {
    let s = store();
    // A client without endsAt: resolve_timeout set the end.
    let first = Alert {
        timeout: true,
        ..with_note(alert("A", "1", 10, Some(310), 10), "one")
    };
    s.put(first, t(10)).unwrap();
    // Re-posted with a later start: the start lies inside, so merge.
    let second = Alert {
        timeout: true,
        ..with_note(alert("A", "1", 50, Some(350), 50), "two")
    };
    let stored = s.put(second, t(50)).unwrap();
    assert_eq!(stored.starts_at, t(10));
    assert_eq!(stored.ends_at, Some(t(350)));
    assert_eq!(stored.updated_at, t(50));
    assert_eq!(stored.annotations.get("note"), Some("two"));
    assert!(Arc::ptr_eq(&stored, &s.get(stored.fingerprint()).unwrap()));
    // Resolved by the client: its end lies inside, so merge, and the newer
    // (resolved) end wins.
    let stored = s.put(alert("A", "1", 10, Some(60), 60), t(60)).unwrap();
    assert_eq!((stored.starts_at, stored.ends_at), (t(10), Some(t(60))));
    // A firing re-post without an end merges when its start is inside and
    // keeps the older explicit end.
    let s = store();
    s.put(alert("A", "1", 10, Some(100), 10), t(10)).unwrap();
    let stored = s.put(alert("A", "1", 15, None, 20), t(20)).unwrap();
    assert_eq!((stored.starts_at, stored.ends_at), (t(10), Some(t(100))));
    assert_eq!(s.len(), 1);
}

#[test]
fn non_overlapping_puts_replace() {
    let s = store();
    s.put(with_note(alert("A", "1", 10, Some(20), 20), "old"), t(20))
        .unwrap();
    // Prometheus re-sends the resolved alert after it ended: same range, so
    // no overlap; the newer copy replaces the stored one.
    let again = with_note(alert("A", "1", 10, Some(20), 40), "again");
    assert_eq!(*s.put(again.clone(), t(40)).unwrap(), again);
    // It fires again later: a new episode with a new start.
    let refire = alert("A", "1", 30, Some(330), 50);
    assert_eq!(*s.put(refire.clone(), t(50)).unwrap(), refire);
    // A range covering the stored one entirely is not an overlap either, even
    // with an older update time that a merge would let lose.
    let s = store();
    s.put(alert("A", "1", 10, Some(20), 50), t(50)).unwrap();
    let cover = with_note(alert("A", "1", 5, Some(30), 40), "cover");
    assert_eq!(*s.put(cover.clone(), t(50)).unwrap(), cover);
    // A stored alert without an end is always replaced.
    let s = store();
    s.put(alert("A", "1", 10, None, 10), t(10)).unwrap();
    let next = alert("A", "1", 15, Some(30), 5);
    assert_eq!(*s.put(next.clone(), t(20)).unwrap(), next);
    assert_eq!(s.len(), 1);
}

#[test]
fn gc_removes_resolved_alerts() {
    let s = store();
    let firing = s.put(alert("A", "firing", 0, Some(200), 0), t(0)).unwrap();
    let open = s.put(alert("A", "open", 0, None, 0), t(0)).unwrap();
    let ended = s.put(alert("A", "ended", 0, Some(50), 0), t(0)).unwrap();
    let now = s.put(alert("A", "now", 0, Some(100), 0), t(0)).unwrap();
    assert_eq!(s.len(), 4);
    let removed = s.gc(t(100));
    assert_eq!(fps(&removed), fps(&[ended.clone(), now.clone()]));
    assert_eq!(s.len(), 2);
    assert_eq!(fps(&s.snapshot()), fps(&[firing.clone(), open.clone()]));
    assert!(s.get(ended.fingerprint()).is_none());
    assert!(s.gc(t(100)).is_empty());
    assert_eq!(fps(&s.gc(t(200))), fps(&[firing]));
    assert_eq!(s.len(), 1);
    assert!(!s.is_empty());
}

#[test]
fn readers() {
    let s = store();
    for (i, end) in [(1, 50), (2, 150), (3, 250)] {
        s.put(alert("A", &i.to_string(), 0, Some(end), 0), t(0))
            .unwrap();
    }
    assert_eq!(s.snapshot().len(), 3);
    assert_eq!(s.count_by(|a| a.resolved_at(t(100))), 1);
    assert_eq!(s.count_by(|a| !a.resolved_at(t(100))), 2);
    let mut seen = Vec::new();
    s.for_each(|a| seen.push(a.labels.get("instance").unwrap().to_string()));
    seen.sort();
    assert_eq!(seen, ["1", "2", "3"]);
    assert!(s.get(Fingerprint(42)).is_none());
}

#[derive(Clone, Debug)]
enum Event {
    Put(Arc<Alert>),
    Remove(Arc<Alert>),
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl Recorder {
    fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl AlertObserver for Recorder {
    fn on_put(&self, alert: &Arc<Alert>) {
        self.0.lock().unwrap().push(Event::Put(Arc::clone(alert)));
    }
    fn on_remove(&self, alert: &Arc<Alert>) {
        self.0
            .lock()
            .unwrap()
            .push(Event::Remove(Arc::clone(alert)));
    }
}

fn describe(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Event::Put(a) => format!("put {} {:?}", a.labels, a.ends_at.map(|e| e - t(0))),
            Event::Remove(a) => format!("remove {}", a.labels),
        })
        .collect()
}

#[test]
fn observers_follow_puts_and_removals_in_order() {
    let s = store();
    let rec = Arc::new(Recorder::default());
    s.add_observer(rec.clone());
    let stored = s.put(alert("A", "1", 0, Some(100), 0), t(0)).unwrap();
    s.put(alert("A", "1", 0, Some(50), 60), t(60)).unwrap();
    s.put(alert("B", "1", 0, Some(300), 10), t(10)).unwrap();
    s.gc(t(60));
    let events = rec.take();
    assert_eq!(
        describe(&events),
        [
            "put {alertname=\"A\", instance=\"1\"} Some(TimeDelta { secs: 100, nanos: 0 })",
            "put {alertname=\"A\", instance=\"1\"} Some(TimeDelta { secs: 50, nanos: 0 })",
            "put {alertname=\"B\", instance=\"1\"} Some(TimeDelta { secs: 300, nanos: 0 })",
            "remove {alertname=\"A\", instance=\"1\"}",
        ]
    );
    // Observers get the stored value itself.
    assert!(matches!(&events[0], Event::Put(a) if Arc::ptr_eq(a, &stored)));
}

#[test]
fn adding_an_observer_replays_the_store() {
    let s = store();
    for i in 0..5 {
        s.put(alert("A", &i.to_string(), 0, Some(100), 0), t(0))
            .unwrap();
    }
    let rec = Arc::new(Recorder::default());
    s.add_observer(rec.clone());
    let mut replayed: Vec<Fingerprint> = rec
        .take()
        .into_iter()
        .map(|e| match e {
            Event::Put(a) => a.fingerprint(),
            Event::Remove(_) => panic!("replay only puts"),
        })
        .collect();
    replayed.sort();
    assert_eq!(replayed, fps(&s.snapshot()));

    // Removed: no more events.
    let as_dyn: Arc<dyn AlertObserver> = rec.clone();
    s.remove_observer(&as_dyn);
    s.put(alert("A", "9", 0, Some(100), 0), t(0)).unwrap();
    s.gc(t(200));
    assert!(rec.take().is_empty());
}

#[test]
fn set_observers_replays_only_to_newcomers() {
    let s = store();
    let kept = Arc::new(Recorder::default());
    let dropped = Arc::new(Recorder::default());
    s.add_observer(kept.clone());
    s.add_observer(dropped.clone());
    s.put(alert("A", "1", 0, Some(100), 0), t(0)).unwrap();
    s.put(alert("A", "2", 0, Some(100), 0), t(0)).unwrap();
    kept.take();
    dropped.take();

    let newcomer = Arc::new(Recorder::default());
    s.set_observers(vec![kept.clone(), newcomer.clone()]);
    assert!(kept.take().is_empty(), "kept observers are not replayed to");
    assert_eq!(newcomer.take().len(), 2);

    s.put(alert("A", "3", 0, Some(100), 0), t(0)).unwrap();
    assert_eq!(kept.take().len(), 1);
    assert_eq!(newcomer.take().len(), 1);
    assert!(dropped.take().is_empty());

    s.set_observers(Vec::new());
    s.put(alert("A", "4", 0, Some(100), 0), t(0)).unwrap();
    assert!(kept.take().is_empty() && newcomer.take().is_empty());
}

/// Remembers, per fingerprint, every value it was told was stored.
#[derive(Default)]
struct History(Mutex<HashMap<Fingerprint, Vec<Arc<Alert>>>>);

impl AlertObserver for History {
    fn on_put(&self, alert: &Arc<Alert>) {
        let mut h = self.0.lock().unwrap();
        h.entry(alert.fingerprint())
            .or_default()
            .push(Arc::clone(alert));
    }
    fn on_remove(&self, alert: &Arc<Alert>) {
        let removed = self.0.lock().unwrap().remove(&alert.fingerprint());
        let last = removed.and_then(|v| v.last().cloned());
        assert!(
            last.is_some_and(|l| Arc::ptr_eq(&l, alert)),
            "removal of a value that was not the last one seen"
        );
    }
}

fn assert_view_matches_store(view: &History, s: &AlertStore) {
    let view = view.0.lock().unwrap();
    let stored = s.snapshot();
    assert_eq!(view.len(), stored.len());
    for a in &stored {
        let last = view[&a.fingerprint()].last().unwrap();
        assert!(Arc::ptr_eq(last, a), "stale view of {}", a.labels);
    }
}

#[test]
fn observer_added_during_puts_sees_each_put_once_in_order() {
    let s = AlertStore::new(StoreOptions::default());
    let full = Arc::new(History::default());
    s.add_observer(full.clone());
    let late = Arc::new(History::default());
    // The threads do half their puts, then go on while the observer is added.
    let halfway = std::sync::Barrier::new(5);
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let (s, halfway) = (&s, &halfway);
            scope.spawn(move || {
                for i in 0..4000i64 {
                    if i == 2000 {
                        halfway.wait();
                    }
                    let instance = ((i * 7 + thread) % 200).to_string();
                    let a = with_note(
                        alert("A", &instance, i, Some(i + 1000), i),
                        &format!("{thread}/{i}"),
                    );
                    s.put(a, t(i)).unwrap();
                }
            });
        }
        halfway.wait();
        s.add_observer(late.clone());
    });
    assert_view_matches_store(&full, &s);
    assert_view_matches_store(&late, &s);
    // Per fingerprint, the late observer saw a suffix of the full history:
    // the value stored when it was added, then every later put.
    let full = full.0.lock().unwrap();
    let late = late.0.lock().unwrap();
    for (fp, seen) in late.iter() {
        let all = &full[fp];
        assert!(seen.len() <= all.len());
        let tail = &all[all.len() - seen.len()..];
        assert!(
            tail.iter().zip(seen).all(|(a, b)| Arc::ptr_eq(a, b)),
            "late history of {fp} is not a suffix"
        );
    }
}

fn limited(limit: usize) -> AlertStore {
    AlertStore::new(StoreOptions {
        per_alertname_limit: limit,
    })
}

#[test]
fn limit_refuses_new_fingerprints_beyond_it() {
    let s = limited(2);
    assert_eq!(s.per_alertname_limit(), 2);
    s.put(alert("A", "1", 0, Some(100), 0), t(0)).unwrap();
    s.put(alert("A", "2", 0, Some(100), 0), t(0)).unwrap();
    let err = s.put(alert("A", "3", 0, Some(100), 0), t(0)).unwrap_err();
    assert_eq!(
        err,
        PutError::Limited {
            alertname: "A".to_string(),
            limit: 2
        }
    );
    assert_eq!(err.to_string(), "alert limited");
    // Resolved newcomers are not exempt.
    assert!(s.put(alert("A", "4", 0, Some(0), 0), t(10)).is_err());
    // Updates of tracked fingerprints pass; other alertnames have their own
    // room, an alert without alertname counts under "".
    let updated = s.put(alert("A", "1", 0, Some(150), 10), t(10)).unwrap();
    assert_eq!(updated.ends_at, Some(t(150)));
    s.put(alert("B", "1", 0, Some(100), 0), t(0)).unwrap();
    let nameless = |i: &str| Alert {
        labels: LabelSet::from_pairs([("instance", i)]),
        ..alert("", "", 0, Some(100), 0)
    };
    s.put(nameless("1"), t(0)).unwrap();
    s.put(nameless("2"), t(0)).unwrap();
    assert!(matches!(
        s.put(nameless("3"), t(0)),
        Err(PutError::Limited { alertname, .. }) if alertname.is_empty()
    ));
    assert_eq!(s.len(), 5);
    assert_eq!(s.limited_total(), 3);
    assert_eq!(
        s.limited_by_alertname(),
        [("".to_string(), 1), ("A".to_string(), 2)]
    );
    assert_eq!(
        s.tracked_by_alertname(),
        [
            ("".to_string(), 2),
            ("A".to_string(), 2),
            ("B".to_string(), 1)
        ]
    );
    // The refused alert was not stored.
    assert!(s.get(labels("A", "3").fingerprint()).is_none());
}

#[test]
fn gc_frees_limit_slots() {
    let s = limited(2);
    s.put(alert("A", "1", 0, Some(100), 0), t(0)).unwrap();
    s.put(alert("A", "2", 0, Some(500), 0), t(0)).unwrap();
    // At t(100) slot 1 has not expired (ends at, not before, now)...
    assert!(s.put(alert("A", "3", 0, Some(900), 0), t(100)).is_err());
    // ...but GC at t(100) removes the resolved alert and frees its slot.
    assert_eq!(s.gc(t(100)).len(), 1);
    s.put(alert("A", "3", 0, Some(900), 0), t(100)).unwrap();
    assert_eq!(s.tracked_by_alertname(), [("A".to_string(), 2)]);
    // Alerts that leave the store release their slots; empty buckets go.
    s.gc(t(1000));
    assert!(s.is_empty());
    assert!(s.tracked_by_alertname().is_empty());
}

#[test]
fn ended_slots_are_reused_before_gc() {
    let s = limited(2);
    s.put(alert("A", "1", 0, Some(100), 0), t(0)).unwrap();
    s.put(alert("A", "2", 0, Some(500), 0), t(0)).unwrap();
    // Slot 1 expired at t(101): a newcomer takes it; alert 1 stays stored.
    s.put(alert("A", "3", 0, Some(900), 0), t(101)).unwrap();
    assert_eq!(s.len(), 3);
    // Alert 1 lost its slot, so re-firing it is a newcomer and is refused.
    assert!(s.put(alert("A", "1", 150, Some(900), 150), t(150)).is_err());
    assert_eq!(
        s.get(labels("A", "1").fingerprint()).unwrap().ends_at,
        Some(t(100))
    );
    // An alert stored without an end (Go's zero time) holds an expired slot.
    let s = limited(1);
    s.put(alert("A", "1", 0, None, 0), t(0)).unwrap();
    s.put(alert("A", "2", 0, Some(100), 0), t(0)).unwrap();
    assert!(s.put(alert("A", "1", 0, Some(100), 0), t(0)).is_err());
}

#[test]
fn no_limit_by_default() {
    let s = store();
    for i in 0..100 {
        s.put(alert("A", &i.to_string(), 0, Some(100), 0), t(0))
            .unwrap();
    }
    assert_eq!(s.len(), 100);
    assert_eq!((s.per_alertname_limit(), s.limited_total()), (0, 0));
    assert!(s.limited_by_alertname().is_empty() && s.tracked_by_alertname().is_empty());
}

#[test]
fn concurrent_stress() {
    let s = limited(50);
    let view = Arc::new(History::default());
    s.add_observer(view.clone());
    let refused = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..4i64 {
            let (s, refused) = (&s, &refused);
            scope.spawn(move || {
                for i in 0..2000i64 {
                    let name = if i % 2 == 0 { "even" } else { "odd" };
                    let instance = ((i * 13 + thread * 31) % 120).to_string();
                    // Some alerts are already resolved, so GC has work.
                    let end = if i % 5 == 0 { i } else { i + 100_000 };
                    match s.put(alert(name, &instance, i, Some(end), i), t(i)) {
                        Ok(_) => {}
                        Err(PutError::Limited { .. }) => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    if i % 200 == 0 {
                        assert!(s.snapshot().len() <= 240);
                    }
                }
            });
        }
        scope.spawn(|| {
            for i in 0..50 {
                s.gc(t(i * 40));
                s.count_by(|a| a.timeout);
            }
        });
    });
    assert_view_matches_store(&view, &s);
    assert_eq!(s.len(), s.snapshot().len());
    assert_eq!(s.limited_total() as usize, refused.load(Ordering::Relaxed));
    for (name, slots) in s.tracked_by_alertname() {
        assert!(slots <= 50, "{name} holds {slots} slots");
    }
}

#[test]
fn concurrent_limit_admits_exactly_the_limit() {
    // Never-ending alerts: nothing expires, so exactly `limit` distinct
    // fingerprints get in however the threads interleave.
    let s = limited(50);
    let accepted = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..4usize {
            let (s, accepted) = (&s, &accepted);
            scope.spawn(move || {
                for i in 0..200usize {
                    let instance = ((i * 7 + thread * 50) % 200).to_string();
                    if s.put(alert("X", &instance, 0, Some(1_000_000), 0), t(0))
                        .is_ok()
                    {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(s.len(), 50);
    assert_eq!(
        s.limited_total() as usize + accepted.load(Ordering::Relaxed),
        800
    );
    assert_eq!(s.tracked_by_alertname(), [("X".to_string(), 50)]);
}

#[tokio::test]
async fn spawned_gc_runs_periodically() {
    let s = Arc::new(store());
    let past = Utc::now().timestamp() - 1_700_000_000 - 10;
    s.put(alert("A", "1", past - 10, Some(past), past), t(past))
        .unwrap();
    s.put(alert("A", "2", past - 10, Some(past + 3600), past), t(past))
        .unwrap();
    let handle = Arc::clone(&s).spawn_gc(Duration::from_millis(10));
    for _ in 0..200 {
        if s.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    handle.abort();
    assert_eq!(s.len(), 1);
    assert!(s.get(labels("A", "2").fingerprint()).is_some());
}
