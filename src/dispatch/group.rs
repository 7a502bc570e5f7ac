//! An aggregation group: the alerts of one route that share the values of the
//! route's `group_by` labels, notified together on the group's timer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::alert::{Alert, Fingerprint, LabelSet, Timestamp};

use super::route::RouteOpts;

/// What a group needs to know about its route (a copy, so that a group can
/// outlive a configuration reload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRoute {
    /// Identifies the route in the tree (`Route::id`).
    pub id: String,
    /// The route's options with everything inherited.
    pub opts: RouteOpts,
}

/// The alerts handed to the notification pipeline at a flush: a snapshot in
/// Alertmanager's order, firing alerts with their end time cleared.
#[derive(Debug, Clone)]
pub struct Flush {
    /// `<route key>:<group labels>`, e.g. `{}/{team="db"}:{alertname="A"}`.
    pub group_key: String,
    pub group_labels: LabelSet,
    pub route: Arc<GroupRoute>,
    /// The tick time: the pipeline's notion of "now".
    pub now: Timestamp,
    pub alerts: Vec<Arc<Alert>>,
}

/// Timer state of a group.
#[derive(Debug, Default)]
pub(crate) struct Timing {
    pub has_flushed: bool,
    pub flushing: bool,
    /// A tick arrived while a flush was running: flush again when it ends.
    pub tick_pending: bool,
    /// Bumped whenever the timer is (re)set; older scheduled ticks are stale.
    pub generation: u64,
}

#[derive(Debug)]
pub struct AggrGroup {
    pub key: String,
    pub labels: LabelSet,
    pub route: Arc<GroupRoute>,
    pub(crate) alerts: Mutex<HashMap<Fingerprint, Arc<Alert>>>,
    pub(crate) timing: Mutex<Timing>,
}

impl AggrGroup {
    pub fn new(route_key: &str, labels: LabelSet, route: Arc<GroupRoute>) -> AggrGroup {
        AggrGroup {
            key: format!("{route_key}:{labels}"),
            labels,
            route,
            alerts: Mutex::new(HashMap::new()),
            timing: Mutex::new(Timing::default()),
        }
    }

    /// Adds or replaces an alert; returns whether the group should flush now
    /// (before its first flush, an alert older than `group_wait` skips the
    /// wait, as in Alertmanager 0.25).
    pub fn insert(&self, fp: Fingerprint, alert: Arc<Alert>, now: Timestamp) -> bool {
        let starts_at = alert.starts_at;
        lock(&self.alerts).insert(fp, alert);
        let wait = chrono::Duration::from_std(self.route.opts.group_wait).unwrap_or_default();
        !lock(&self.timing).has_flushed && starts_at + wait < now
    }

    pub fn is_empty(&self) -> bool {
        lock(&self.alerts).is_empty()
    }

    pub fn len(&self) -> usize {
        lock(&self.alerts).len()
    }

    /// The alerts now, in no particular order.
    pub fn alerts(&self) -> Vec<Arc<Alert>> {
        lock(&self.alerts).values().cloned().collect()
    }

    /// Snapshot for a flush at `now`: firing alerts get no end time; the
    /// resolved ones are returned too, to be removed after a successful
    /// notification.
    pub fn snapshot(&self, now: Timestamp) -> (Vec<Arc<Alert>>, Vec<Arc<Alert>>) {
        let stored: Vec<Arc<Alert>> = lock(&self.alerts).values().cloned().collect();
        let mut all = Vec::with_capacity(stored.len());
        let mut resolved = Vec::new();
        for a in stored {
            if a.resolved_at(now) {
                resolved.push(a.clone());
                all.push(a);
            } else {
                let mut firing = (*a).clone();
                firing.ends_at = None;
                all.push(Arc::new(firing));
            }
        }
        all.sort_by(|a, b| alert_order(a, b));
        (all, resolved)
    }

    /// Removes the resolved alerts that were notified, unless they changed
    /// (fired again) during the flush.
    pub fn delete_if_not_modified(&self, resolved: &[Arc<Alert>]) {
        let mut alerts = lock(&self.alerts);
        for r in resolved {
            let fp = r.fingerprint();
            if alerts
                .get(&fp)
                .is_some_and(|cur| cur.updated_at == r.updated_at)
            {
                alerts.remove(&fp);
            }
        }
    }
}

/// Alertmanager's order of alerts in a group: `job`, then `instance`
/// (alerts lacking the label last), then the label set.
pub fn alert_order(a: &Alert, b: &Alert) -> std::cmp::Ordering {
    for key in ["job", "instance"] {
        match (a.labels.get(key), b.labels.get(key)) {
            (Some(x), Some(y)) if x != y => return x.cmp(y),
            (Some(_), None) => return std::cmp::Ordering::Less,
            (None, Some(_)) => return std::cmp::Ordering::Greater,
            _ => {}
        }
    }
    a.labels.cmp_go(&b.labels)
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
