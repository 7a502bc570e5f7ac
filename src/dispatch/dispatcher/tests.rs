//! Grouping and timers, with tokio's clock paused so that timing is exact.

use std::sync::Mutex;

use chrono::Utc;

use super::*;
use crate::alert::LabelSet;
use crate::config::{Config, LoadOptions};

#[derive(Default)]
struct Recorder {
    flushes: Mutex<Vec<Flush>>,
    fail: std::sync::atomic::AtomicBool,
}

impl FlushHandler for Recorder {
    fn flush(&self, flush: Flush) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(async move {
            lock(&self.flushes).push(flush);
            !self.fail.load(Ordering::SeqCst)
        })
    }
}

fn tree(y: &str) -> Route {
    let cfg = Config::load(y, LoadOptions::default()).unwrap();
    Route::new(cfg.root_route())
}

const CONFIG: &str = "route:\n  receiver: r\n  group_by: [alertname]\n  group_wait: 30s\n  group_interval: 5m\n  routes:\n  - matchers: [team=\"db\"]\n    receiver: db\n    group_by: ['...']\n    group_wait: 10s\n    continue: true\n  - matchers: [alertname=\"C\"]\nreceivers: [{name: r}, {name: db}]\n";

fn alert(pairs: &[(&str, &str)], starts_ago_secs: i64, ends_in_secs: Option<i64>) -> Arc<Alert> {
    let now = Utc::now();
    Arc::new(Alert {
        labels: pairs.iter().copied().collect::<LabelSet>(),
        annotations: LabelSet::empty(),
        starts_at: now - chrono::Duration::seconds(starts_ago_secs),
        ends_at: ends_in_secs.map(|s| now + chrono::Duration::seconds(s)),
        updated_at: now,
        generator_url: "".into(),
        timeout: false,
    })
}

async fn settle() {
    // Let spawned flush tasks run.
    for _ in 0..200 {
        tokio::task::yield_now().await;
    }
}

fn setup() -> (Dispatcher, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    let d = Dispatcher::new(tree(CONFIG), rec.clone());
    tokio::spawn(d.clone().run());
    (d, rec)
}

fn keys(rec: &Recorder) -> Vec<String> {
    lock(&rec.flushes)
        .iter()
        .map(|f| f.group_key.clone())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn group_wait_then_group_interval() {
    let (d, rec) = setup();
    d.on_put(&alert(&[("alertname", "A"), ("x", "1")], 0, Some(3600)));
    d.on_put(&alert(&[("alertname", "A"), ("x", "2")], 0, Some(3600)));
    d.on_put(&alert(&[("alertname", "B")], 0, Some(3600)));
    settle().await;
    assert_eq!(d.group_count(), 2);
    tokio::time::advance(Duration::from_secs(29)).await;
    settle().await;
    assert!(keys(&rec).is_empty(), "nothing before group_wait");
    tokio::time::advance(Duration::from_secs(2)).await;
    settle().await;
    let mut k = keys(&rec);
    k.sort();
    assert_eq!(k, vec!["{}:{alertname=\"A\"}", "{}:{alertname=\"B\"}"]);
    let a = lock(&rec.flushes)
        .iter()
        .find(|f| f.group_key.contains('A'))
        .unwrap()
        .clone();
    assert_eq!(a.alerts.len(), 2, "batched");
    assert!(
        a.alerts.iter().all(|x| x.ends_at.is_none()),
        "firing alerts have no end time"
    );
    // Next flush one group_interval later.
    tokio::time::advance(Duration::from_secs(299)).await;
    settle().await;
    assert_eq!(keys(&rec).len(), 2);
    tokio::time::advance(Duration::from_secs(2)).await;
    settle().await;
    assert_eq!(keys(&rec).len(), 4);
}

#[tokio::test(start_paused = true)]
async fn old_alerts_skip_group_wait_and_continue_routes() {
    let (d, rec) = setup();
    d.on_put(&alert(
        &[("alertname", "C"), ("team", "db")],
        600,
        Some(3600),
    ));
    settle().await;
    tokio::time::advance(Duration::from_millis(1)).await;
    settle().await;
    let mut k = keys(&rec);
    k.sort();
    assert_eq!(
        k,
        vec![
            "{}/{alertname=\"C\"}:{alertname=\"C\"}",
            "{}/{team=\"db\"}:{alertname=\"C\", team=\"db\"}",
        ],
        "both routes (continue), immediately"
    );
    let db = lock(&rec.flushes)
        .iter()
        .find(|f| f.group_key.contains("team"))
        .unwrap()
        .clone();
    assert_eq!(db.route.opts.receiver, "db");
}

#[tokio::test(start_paused = true)]
async fn resolved_alerts_leave_after_a_successful_flush_only() {
    let (d, rec) = setup();
    d.on_put(&alert(&[("alertname", "A")], 600, Some(-1)));
    rec.fail.store(true, Ordering::SeqCst);
    tokio::time::advance(Duration::from_millis(1)).await;
    settle().await;
    assert_eq!(keys(&rec).len(), 1);
    assert_eq!(d.groups()[0].len(), 1, "kept after a failed flush");
    rec.fail.store(false, Ordering::SeqCst);
    tokio::time::advance(Duration::from_secs(300)).await;
    settle().await;
    assert_eq!(keys(&rec).len(), 2);
    let last = lock(&rec.flushes).last().unwrap().clone();
    assert!(
        last.alerts[0].ends_at.is_some(),
        "resolved alerts keep their end time"
    );
    assert_eq!(d.groups()[0].len(), 0, "dropped after success");
    assert_eq!(d.maintain(), 1, "the empty group goes at maintenance");
    assert_eq!(d.group_count(), 0);
    // No more ticks for the dropped group.
    tokio::time::advance(Duration::from_secs(600)).await;
    settle().await;
    assert_eq!(keys(&rec).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn reload_keeps_unchanged_routes_and_their_timers() {
    let (d, rec) = setup();
    d.on_put(&alert(&[("alertname", "C"), ("team", "db")], 0, Some(3600)));
    settle().await;
    tokio::time::advance(Duration::from_secs(31)).await;
    settle().await;
    assert_eq!(keys(&rec).len(), 2, "both groups flushed once");
    // Same tree, except the db route's group_interval changes.
    let changed = CONFIG.replace(
        "group_wait: 10s",
        "group_wait: 10s\n    group_interval: 10m",
    );
    d.set_tree(tree(&changed));
    assert_eq!(
        d.group_count(),
        1,
        "the db group is dropped, the other kept"
    );
    // Replay: the kept group is refilled without a new timer; the db group
    // is recreated with a fresh group_wait.
    d.on_put(&alert(&[("alertname", "C"), ("team", "db")], 0, Some(3600)));
    settle().await;
    tokio::time::advance(Duration::from_secs(11)).await;
    settle().await;
    let k = keys(&rec);
    assert_eq!(k.len(), 3);
    assert!(k[2].contains("team=\"db\""));
    // The kept group still ticks on its original schedule (30s + 5m).
    tokio::time::advance(Duration::from_secs(300 - 11 - 2)).await;
    settle().await;
    assert_eq!(keys(&rec).len(), 3);
    tokio::time::advance(Duration::from_secs(3)).await;
    settle().await;
    assert_eq!(keys(&rec).len(), 4);
    assert_eq!(keys(&rec)[3], "{}/{alertname=\"C\"}:{alertname=\"C\"}");
}

#[tokio::test(start_paused = true)]
async fn many_groups_each_flush_once() {
    let (d, rec) = setup();
    for i in 0..2000 {
        d.on_put(&alert(&[("alertname", &format!("A{i}"))], 0, Some(3600)));
    }
    tokio::time::advance(Duration::from_secs(31)).await;
    settle().await;
    let mut k = keys(&rec);
    assert_eq!(k.len(), 2000);
    k.sort();
    k.dedup();
    assert_eq!(k.len(), 2000, "no duplicates");
}
