//! Routing tree construction (inheritance) and matching.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::config::{Config, LoadOptions};

fn tree(y: &str) -> Route {
    let cfg = Config::load(y, LoadOptions::default()).unwrap();
    Route::new(cfg.root_route())
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn receivers(r: &Route, pairs: &[(&str, &str)]) -> Vec<String> {
    r.match_labels(&labels(pairs))
        .iter()
        .map(|r| r.opts.receiver.clone())
        .collect()
}

const TREE: &str = r#"
route:
  receiver: root
  group_by: [alertname]
  group_wait: 10s
  routes:
  - matchers: [team="a"]
    receiver: a
    group_by: ['...']
    repeat_interval: 1h
    mute_time_intervals: [night]
    labels: {tier: one}
    routes:
    - matchers: [severity="critical"]
      receiver: a-crit
      group_wait: 1s
      labels: {page: "yes"}
    - matchers: [severity=~"warn.*"]
  - matchers: [team="b"]
    receiver: b
    continue: true
    group_by: []
  - matchers: [team=~"b|c"]
    receiver: bc
receivers: [{name: root}, {name: a}, {name: a-crit}, {name: b}, {name: bc}]
time_intervals: [{name: night, time_intervals: []}]
"#;

#[test]
fn options_are_inherited_except_time_intervals() {
    let root = tree(TREE);
    assert_eq!(root.opts.receiver, "root");
    assert_eq!(root.opts.group_wait, Duration::from_secs(10));
    assert_eq!(root.opts.group_interval, Duration::from_secs(300));
    assert_eq!(root.opts.repeat_interval, Duration::from_secs(4 * 3600));
    let a = &root.routes[0];
    assert!(a.opts.group_by_all);
    assert_eq!(a.opts.repeat_interval, Duration::from_secs(3600));
    assert_eq!(a.opts.mute_time_intervals, vec!["night"]);
    let a_crit = &a.routes[0];
    assert_eq!(a_crit.opts.receiver, "a-crit");
    assert!(a_crit.opts.group_by_all, "group_by is inherited");
    assert_eq!(a_crit.opts.repeat_interval, Duration::from_secs(3600));
    assert_eq!(a_crit.opts.group_wait, Duration::from_secs(1));
    assert!(a_crit.opts.mute_time_intervals.is_empty(), "not inherited");
    assert_eq!(
        a_crit.opts.labels,
        labels(&[("tier", "one"), ("page", "yes")]),
        "labels merge down the tree"
    );
    let a_warn = &a.routes[1];
    assert_eq!(a_warn.opts.receiver, "a", "receiver inherited");
    let b = &root.routes[1];
    assert!(
        b.opts.group_by.is_empty() && !b.opts.group_by_all,
        "explicit [] overrides"
    );
    assert_eq!(
        root.routes[2].opts.group_by,
        ["alertname".to_string()].into_iter().collect()
    );
}

#[test]
fn matching_walk() {
    let root = tree(TREE);
    assert_eq!(receivers(&root, &[]), vec!["root"]);
    assert_eq!(receivers(&root, &[("team", "a")]), vec!["a"]);
    assert_eq!(
        receivers(&root, &[("team", "a"), ("severity", "critical")]),
        vec!["a-crit"]
    );
    assert_eq!(
        receivers(&root, &[("team", "a"), ("severity", "warning")]),
        vec!["a"]
    );
    assert_eq!(
        receivers(&root, &[("team", "b")]),
        vec!["b", "bc"],
        "continue"
    );
    assert_eq!(receivers(&root, &[("team", "c")]), vec!["bc"]);
    assert_eq!(receivers(&root, &[("team", "d")]), vec!["root"]);
}

#[test]
fn keys_ids_and_indexes() {
    let root = tree(TREE);
    assert_eq!(root.key(), "{}");
    assert_eq!(root.routes[0].key(), "{}/{team=\"a\"}");
    assert_eq!(
        root.routes[0].routes[0].key(),
        "{}/{team=\"a\"}/{severity=\"critical\"}"
    );
    assert_eq!(root.routes[0].id(), "{}/{team=\"a\"}/0");
    assert_eq!(
        root.routes[0].routes[1].id(),
        "{}/{team=\"a\"}/0/{severity=~\"warn.*\"}/1"
    );
    // Children are numbered before their parent.
    assert_eq!(root.routes[0].routes[0].idx, 0);
    assert_eq!(root.routes[0].routes[1].idx, 1);
    assert_eq!(root.routes[0].idx, 2);
    assert_eq!(root.idx, 5);
    let mut n = 0;
    root.walk(&mut |_| n += 1);
    assert_eq!(n, 6);
}
