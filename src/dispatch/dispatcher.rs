//! The dispatcher: follows the alert store, sorts alerts into aggregation
//! groups along the routing tree, and flushes each group on its timer
//! (`group_wait` first, then every `group_interval`) to the notification
//! pipeline.
//!
//! Timers live in one heap served by one task: an idle group costs no task
//! and no wake-ups. A configuration reload keeps the groups (alerts and
//! timers) of every route whose identity and options did not change;
//! Alertmanager restarts every timer instead (its issues #2492 and #3407).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::alert::{Alert, Fingerprint, Timestamp};
use crate::metrics::dispatch::DispatchMetrics;
use crate::store::AlertObserver;

use super::group::{AggrGroup, Flush, GroupRoute, lock};
use super::route::Route;

/// Receives the flushes of aggregation groups: the notification pipeline.
pub trait FlushHandler: Send + Sync {
    /// Notifies about `flush`; true when the notification succeeded (then
    /// the resolved alerts it carried are dropped from the group).
    fn flush(&self, flush: Flush) -> Pin<Box<dyn Future<Output = bool> + Send + '_>>;
}

/// Follows the timers of aggregation groups so that they can be restored
/// after a restart (durable state). Called on the dispatcher's paths,
/// sometimes with a group's locks held: must be quick and must not call
/// back into the dispatcher.
pub trait TimerSink: Send + Sync {
    /// The group `group_key` next flushes at `next` (wall clock);
    /// `has_flushed` tells whether its `group_wait` is over.
    fn scheduled(&self, group_key: &str, next: Timestamp, has_flushed: bool);
    /// The group `group_key` is gone (emptied, or its route removed).
    fn dropped(&self, group_key: &str);
}

/// A group timer as it stood before a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoredTimer {
    pub next: Timestamp,
    pub has_flushed: bool,
}

/// Identity of a group: the route it belongs to and its group labels.
type GroupId = (String, Fingerprint);

const SHARDS: usize = 16;

/// A scheduled tick: when, a sequence number for stable ordering, the group
/// and the generation of its timer (a rescheduled group's older ticks are
/// stale).
struct Tick {
    at: Instant,
    seq: u64,
    group: Weak<AggrGroup>,
    generation: u64,
}

impl PartialEq for Tick {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Tick {}
impl PartialOrd for Tick {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Tick {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

struct Inner {
    tree: RwLock<Arc<Tree>>,
    shards: Vec<Mutex<HashMap<GroupId, Arc<AggrGroup>>>>,
    heap: Mutex<BinaryHeap<Reverse<Tick>>>,
    wake: Notify,
    seq: AtomicU64,
    handler: RwLock<Arc<dyn FlushHandler>>,
    metrics: Option<DispatchMetrics>,
    timer_sink: RwLock<Option<Arc<dyn TimerSink>>>,
    /// Timers from before a restart, by group key, claimed by the groups
    /// that the replayed alerts recreate.
    restored: Mutex<HashMap<String, RestoredTimer>>,
    /// `--dispatch.start-delay`: no group is flushed before this.
    start_at: Mutex<Option<Instant>>,
}

/// The routing tree in force, with one shared [`GroupRoute`] per route for
/// the groups it creates (tens of thousands of groups need not each carry a
/// copy of their route's options).
struct Tree {
    root: Route,
    group_routes: HashMap<String, Arc<GroupRoute>>,
}

impl Tree {
    fn new(root: Route) -> Tree {
        let mut group_routes = HashMap::new();
        root.walk(&mut |r| {
            group_routes.insert(
                r.id().to_string(),
                Arc::new(GroupRoute {
                    id: r.id().to_string(),
                    opts: r.opts.clone(),
                }),
            );
        });
        Tree { root, group_routes }
    }

    fn group_route(&self, route: &Route) -> Arc<GroupRoute> {
        match self.group_routes.get(route.id()) {
            Some(r) => r.clone(),
            None => Arc::new(GroupRoute {
                id: route.id().to_string(),
                opts: route.opts.clone(),
            }),
        }
    }
}

/// The dispatcher. Cheap to clone; register it with the store as an
/// [`AlertObserver`] and run [`Dispatcher::run`] on the runtime.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

fn shard_of(id: &GroupId) -> usize {
    (id.1.0 as usize ^ id.0.len()) % SHARDS
}

impl Dispatcher {
    pub fn new(tree: Route, handler: Arc<dyn FlushHandler>) -> Dispatcher {
        Dispatcher::build(tree, handler, None)
    }

    /// Like [`Dispatcher::new`], keeping Alertmanager's dispatcher metrics.
    pub fn with_metrics(
        tree: Route,
        handler: Arc<dyn FlushHandler>,
        metrics: DispatchMetrics,
    ) -> Dispatcher {
        Dispatcher::build(tree, handler, Some(metrics))
    }

    fn build(
        tree: Route,
        handler: Arc<dyn FlushHandler>,
        metrics: Option<DispatchMetrics>,
    ) -> Dispatcher {
        Dispatcher {
            inner: Arc::new(Inner {
                tree: RwLock::new(Arc::new(Tree::new(tree))),
                shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
                heap: Mutex::new(BinaryHeap::new()),
                wake: Notify::new(),
                seq: AtomicU64::new(0),
                handler: RwLock::new(handler),
                metrics,
                timer_sink: RwLock::new(None),
                restored: Mutex::new(HashMap::new()),
                start_at: Mutex::new(None),
            }),
        }
    }

    /// `--dispatch.start-delay`: alerts are taken in and grouped at once,
    /// but no group is flushed until `delay` after now (Alertmanager ≥ 0.29
    /// starts its aggregation groups at that time); a group whose wait
    /// ended meanwhile is flushed then. Set before [`Dispatcher::run`].
    pub fn set_start_delay(&self, delay: Duration) {
        *lock(&self.inner.start_at) = (!delay.is_zero()).then(|| Instant::now() + delay);
    }

    fn update_group_gauge(&self) {
        if let Some(m) = &self.inner.metrics {
            m.aggregation_groups.set(self.group_count() as i64);
        }
    }

    /// Reports every later timer change to `sink`.
    pub fn set_timer_sink(&self, sink: Arc<dyn TimerSink>) {
        *self
            .inner
            .timer_sink
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(sink);
    }

    fn timer_sink(&self) -> Option<Arc<dyn TimerSink>> {
        self.inner
            .timer_sink
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Hands over the group timers from before a restart; call before the
    /// stored alerts are replayed to the dispatcher, then
    /// [`Dispatcher::finish_restore`].
    pub fn restore_timers(&self, timers: HashMap<String, RestoredTimer>) {
        *lock(&self.inner.restored) = timers;
    }

    /// Forgets the restored timers that no group claimed (their alerts are
    /// gone), telling the timer sink; returns how many.
    pub fn finish_restore(&self) -> usize {
        let left = std::mem::take(&mut *lock(&self.inner.restored));
        if let Some(sink) = self.timer_sink() {
            for key in left.keys() {
                sink.dropped(key);
            }
        }
        left.len()
    }

    fn take_restored(&self, group_key: &str) -> Option<RestoredTimer> {
        let mut restored = lock(&self.inner.restored);
        if restored.is_empty() {
            return None;
        }
        restored.remove(group_key)
    }

    /// Replaces the pipeline that receives flushes (on reload).
    pub fn set_handler(&self, handler: Arc<dyn FlushHandler>) {
        *self
            .inner
            .handler
            .write()
            .unwrap_or_else(|e| e.into_inner()) = handler;
    }

    fn tree(&self) -> Arc<Tree> {
        self.inner
            .tree
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Puts a new routing tree in force. Groups whose route keeps its
    /// identity and options stay, with their alerts and timers; the others
    /// are dropped. The caller then replays the stored alerts (which refills
    /// kept groups idempotently and creates the new ones).
    pub fn set_tree(&self, tree: Route) {
        let tree = Tree::new(tree);
        let sink = self.timer_sink();
        for shard in &self.inner.shards {
            lock(shard).retain(|(route_id, _), g| {
                let keep = tree.group_routes.get(route_id).map(|r| &**r) == Some(&*g.route);
                if !keep {
                    // Its scheduled ticks become stale.
                    lock(&g.timing).generation += 1;
                    if let Some(sink) = &sink {
                        sink.dropped(&g.key);
                    }
                }
                keep
            });
        }
        *self.inner.tree.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(tree);
        self.update_group_gauge();
    }

    /// Every aggregation group (for the API and metrics).
    pub fn groups(&self) -> Vec<Arc<AggrGroup>> {
        let mut out = Vec::new();
        for shard in &self.inner.shards {
            out.extend(lock(shard).values().cloned());
        }
        out
    }

    pub fn group_count(&self) -> usize {
        self.inner.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// Routes an alert into its groups.
    pub fn process(&self, alert: &Arc<Alert>, now: Timestamp) {
        self.process_fp(alert.fingerprint(), alert, now);
    }

    /// [`Dispatcher::process`] for an alert whose fingerprint is `fp`.
    pub fn process_fp(&self, fp: Fingerprint, alert: &Arc<Alert>, now: Timestamp) {
        let started = std::time::Instant::now();
        let mut created_any = false;
        self.route_alert(fp, alert, now, &mut created_any);
        if let Some(m) = &self.inner.metrics {
            m.processing_duration.observe_duration(started.elapsed());
            if created_any {
                m.aggregation_groups.inc();
            }
        }
    }

    fn route_alert(
        &self,
        fp: Fingerprint,
        alert: &Arc<Alert>,
        now: Timestamp,
        created_any: &mut bool,
    ) {
        let tree = self.tree();
        for route in tree.root.match_labels(&alert.labels) {
            let labels = route.group_labels(&alert.labels);
            let id: GroupId = (route.id().to_string(), labels.fingerprint());
            let mut shard = lock(&self.inner.shards[shard_of(&id)]);
            let (group, created) = match shard.get(&id) {
                Some(g) => (g.clone(), false),
                None => {
                    let g = Arc::new(AggrGroup::new(route.key(), labels, tree.group_route(route)));
                    shard.insert(id, g.clone());
                    (g, true)
                }
            };
            drop(shard);
            *created_any |= created;
            let restored = if created {
                self.take_restored(&group.key)
            } else {
                None
            };
            if let Some(t) = &restored {
                lock(&group.timing).has_flushed = t.has_flushed;
            }
            let flush_now = group.insert(fp, alert.clone(), now);
            if flush_now {
                self.schedule(&group, Duration::ZERO);
            } else if let Some(t) = restored {
                self.schedule(&group, (t.next - now).to_std().unwrap_or(Duration::ZERO));
            } else if created {
                self.schedule(&group, route.opts.group_wait);
            }
        }
    }

    /// (Re)starts a group's timer: its next tick is `after` from now.
    fn schedule(&self, group: &Arc<AggrGroup>, after: Duration) {
        let (generation, has_flushed) = {
            let mut timing = lock(&group.timing);
            timing.generation += 1;
            (timing.generation, timing.has_flushed)
        };
        if let Some(sink) = self.timer_sink() {
            let next = chrono::TimeDelta::from_std(after)
                .ok()
                .and_then(|d| chrono::Utc::now().checked_add_signed(d))
                .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
            sink.scheduled(&group.key, next, has_flushed);
        }
        let tick = Tick {
            at: Instant::now() + after,
            seq: self.inner.seq.fetch_add(1, Ordering::Relaxed),
            group: Arc::downgrade(group),
            generation,
        };
        lock(&self.inner.heap).push(Reverse(tick));
        self.inner.wake.notify_one();
    }

    fn is_current(&self, group: &Arc<AggrGroup>, generation: u64) -> bool {
        lock(&group.timing).generation == generation
    }

    /// Serves the timers until the task is aborted.
    pub async fn run(self) {
        let start_at = *lock(&self.inner.start_at);
        if let Some(at) = start_at {
            tracing::debug!(delay = ?at.saturating_duration_since(Instant::now()), "waiting to start dispatching");
            tokio::time::sleep_until(at).await;
        }
        loop {
            let next = lock(&self.inner.heap).peek().map(|Reverse(t)| t.at);
            match next {
                None => self.inner.wake.notified().await,
                // A due tick is served at once, not through the timer
                // wheel (which would add about a millisecond).
                Some(at) if at <= Instant::now() => {}
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = self.inner.wake.notified() => continue,
                    }
                }
            }
            let now = Instant::now();
            let mut due = Vec::new();
            {
                let mut heap = lock(&self.inner.heap);
                while heap.peek().is_some_and(|Reverse(t)| t.at <= now) {
                    if let Some(Reverse(t)) = heap.pop() {
                        due.push(t);
                    }
                }
            }
            for t in due {
                let Some(group) = t.group.upgrade() else {
                    continue;
                };
                if !self.is_current(&group, t.generation) {
                    continue;
                }
                self.tick(group);
            }
        }
    }

    /// A group's timer fired: schedule the next tick, then flush (or, if a
    /// flush is still running, flush again as soon as it ends).
    fn tick(&self, group: Arc<AggrGroup>) {
        lock(&group.timing).has_flushed = true;
        self.schedule(&group, group.route.opts.group_interval);
        {
            let mut timing = lock(&group.timing);
            if timing.flushing {
                timing.tick_pending = true;
                return;
            }
            timing.flushing = true;
        }
        let this = self.clone();
        tokio::spawn(async move { this.flush_loop(group).await });
    }

    async fn flush_loop(&self, group: Arc<AggrGroup>) {
        loop {
            self.flush_once(&group).await;
            let mut timing = lock(&group.timing);
            if timing.tick_pending {
                timing.tick_pending = false;
                continue;
            }
            timing.flushing = false;
            return;
        }
    }

    async fn flush_once(&self, group: &Arc<AggrGroup>) {
        let now = chrono::Utc::now();
        let (alerts, resolved) = group.snapshot(now);
        if alerts.is_empty() {
            return;
        }
        let handler = self
            .inner
            .handler
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let flush = Flush {
            group_key: group.key.clone(),
            group_labels: group.labels.clone(),
            route: group.route.clone(),
            now,
            alerts,
        };
        if handler.flush(flush).await {
            group.delete_if_not_modified(&resolved);
        }
    }

    /// Drops empty groups that are not flushing (Alertmanager's dispatcher
    /// maintenance); returns how many were dropped.
    pub fn maintain(&self) -> usize {
        let mut dropped = 0;
        let sink = self.timer_sink();
        for shard in &self.inner.shards {
            lock(shard).retain(|_, g| {
                let keep = !g.is_empty() || lock(&g.timing).flushing;
                if !keep {
                    // Stale ticks of a dropped group find it unregistered.
                    lock(&g.timing).generation += 1;
                    dropped += 1;
                    if let Some(sink) = &sink {
                        sink.dropped(&g.key);
                    }
                }
                keep
            });
        }
        self.update_group_gauge();
        dropped
    }

    /// Runs [`Dispatcher::maintain`] every `interval`.
    pub fn spawn_maintenance(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        crate::maintenance::spawn_periodic("dispatcher maintenance", interval, move || {
            this.maintain();
        })
    }
}

impl AlertObserver for Dispatcher {
    fn on_put(&self, alert: &Arc<Alert>) {
        self.process(alert, chrono::Utc::now());
    }

    fn on_stored(&self, fp: Fingerprint, alert: &Arc<Alert>) {
        self.process_fp(fp, alert, chrono::Utc::now());
    }

    fn on_remove(&self, _alert: &Arc<Alert>) {
        // Groups keep their own view: resolved alerts leave a group after
        // they have been notified.
    }
}

#[cfg(test)]
mod tests;
