//! The routing tree: configured routes with their options inherited from the
//! parent, and Alertmanager's matching walk (first matching child wins unless
//! it has `continue: true`; a node with no matching child is itself the match).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::alert::LabelSet;
use crate::config;
use crate::matcher::{LabelSource, Matchers};

/// The options a route applies to the groups it creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteOpts {
    pub receiver: String,
    /// Labels to group by (ignored when `group_by_all`).
    pub group_by: BTreeSet<String>,
    /// `group_by: ['...']`: every label is a grouping label.
    pub group_by_all: bool,
    pub group_wait: Duration,
    pub group_interval: Duration,
    pub repeat_interval: Duration,
    /// Not inherited: only the node's own intervals.
    pub mute_time_intervals: Vec<String>,
    /// Not inherited: only the node's own intervals.
    pub active_time_intervals: Vec<String>,
    /// Route labels, merged from the root down.
    pub labels: BTreeMap<String, String>,
}

impl Default for RouteOpts {
    /// Alertmanager's `DefaultRouteOpts`: the root route's starting point.
    fn default() -> Self {
        RouteOpts {
            receiver: String::new(),
            group_by: BTreeSet::new(),
            group_by_all: false,
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(5 * 60),
            repeat_interval: Duration::from_secs(4 * 60 * 60),
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
            labels: BTreeMap::new(),
        }
    }
}

/// A node of the routing tree.
#[derive(Debug, Clone)]
pub struct Route {
    pub opts: RouteOpts,
    pub matchers: Matchers,
    pub continue_matching: bool,
    pub routes: Vec<Route>,
    /// Position in a depth-first, children-first numbering of the tree (as
    /// Alertmanager numbers routes).
    pub idx: usize,
    /// The path of matchers from the root, `{}/{a="b"}`: the prefix of group keys.
    key: String,
    /// Like `key`, with each node's position among its siblings: unique per node.
    id: String,
}

impl Route {
    /// Builds the tree from a validated configuration's root route.
    pub fn new(root: &config::Route) -> Route {
        let mut counter = 0;
        Route::build(root, None, &mut counter)
    }

    fn build(
        cr: &config::Route,
        parent: Option<(&RouteOpts, &str, &str, usize)>,
        counter: &mut usize,
    ) -> Route {
        let mut opts = parent.map(|p| p.0.clone()).unwrap_or_default();
        if !cr.labels.is_empty() {
            opts.labels
                .extend(cr.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if !cr.receiver.is_empty() {
            opts.receiver = cr.receiver.clone();
        }
        if let Some(group_by) = &cr.group_by {
            let names: BTreeSet<String> =
                group_by.iter().filter(|l| *l != "...").cloned().collect();
            if group_by.iter().any(|l| l == "...") {
                opts.group_by_all = true;
            } else {
                opts.group_by = names;
                opts.group_by_all = false;
            }
        }
        if let Some(d) = cr.group_wait {
            opts.group_wait = d.as_std();
        }
        if let Some(d) = cr.group_interval {
            opts.group_interval = d.as_std();
        }
        if let Some(d) = cr.repeat_interval {
            opts.repeat_interval = d.as_std();
        }
        opts.mute_time_intervals = cr.mute_time_intervals.clone();
        opts.active_time_intervals = cr.active_time_intervals.clone();

        let matchers = cr.parsed_matchers.clone();
        let own = matchers.to_string();
        let (key, id) = match parent {
            None => (own.clone(), own),
            Some((_, pkey, pid, pos)) => (format!("{pkey}/{own}"), format!("{pid}/{own}/{pos}")),
        };
        let mut route = Route {
            opts,
            matchers,
            continue_matching: cr.continue_matching,
            routes: Vec::with_capacity(cr.routes.len()),
            idx: 0,
            key,
            id,
        };
        for (pos, child) in cr.routes.iter().enumerate() {
            let built = Route::build(
                child,
                Some((&route.opts, &route.key, &route.id, pos)),
                counter,
            );
            route.routes.push(built);
        }
        route.idx = *counter;
        *counter += 1;
        route
    }

    /// The routes an alert with these labels goes to, in tree order (an alert
    /// may go to several when `continue` is set). Empty if the node itself does
    /// not match.
    pub fn match_labels<'a, L: LabelSource + ?Sized>(&'a self, labels: &L) -> Vec<&'a Route> {
        let mut out = Vec::new();
        self.collect_matches(labels, &mut out);
        out
    }

    fn collect_matches<'a, L: LabelSource + ?Sized>(
        &'a self,
        labels: &L,
        out: &mut Vec<&'a Route>,
    ) -> bool {
        if !self.matchers.matches(labels) {
            return false;
        }
        let before = out.len();
        for child in &self.routes {
            if child.collect_matches(labels, out) && !child.continue_matching {
                break;
            }
        }
        if out.len() == before {
            out.push(self);
        }
        true
    }

    /// The labels of `alert_labels` that this route groups by.
    pub fn group_labels(&self, alert_labels: &LabelSet) -> LabelSet {
        if self.opts.group_by_all {
            alert_labels.clone()
        } else {
            alert_labels.filter(|name| self.opts.group_by.contains(name))
        }
    }

    /// The group key prefix of this route (`{}/{team="db"}`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A string that identifies this node uniquely in the tree.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Visits this node and its descendants, depth first.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Route)) {
        visit(self);
        for r in &self.routes {
            r.walk(visit);
        }
    }
}

#[cfg(test)]
mod tests;
