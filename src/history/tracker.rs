//! Turns observations into lifecycle events: keeps, for every alert in the
//! store, where its story stands (firing or resolved, and what mutes it)
//! and emits an event on each change. Pure logic: the writer feeds it and
//! stores what it returns; an alert it has not seen since the start is
//! looked up in the database through the caller's `lookup`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::event::{MuteObservation, kind};
use crate::alert::{Alert, Timestamp};
use crate::state::codec::nanos;

/// What mutes an alert, as stored in `history_alerts.muting`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Muting {
    #[serde(default, rename = "silencedBy", skip_serializing_if = "Vec::is_empty")]
    pub silenced_by: Vec<String>,
    #[serde(
        default,
        rename = "inhibitedBy",
        skip_serializing_if = "Option::is_none"
    )]
    pub inhibited_by: Option<String>,
    /// Group key → the time interval muting that group's route.
    #[serde(
        default,
        rename = "timeIntervals",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub time_intervals: BTreeMap<String, String>,
}

/// What mutes an alert, boxed when anything does: most alerts are muted by
/// nothing, and the tracker holds one of these per alert in the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Muted(Option<Box<Muting>>);

static UNMUTED: Muting = Muting {
    silenced_by: Vec::new(),
    inhibited_by: None,
    time_intervals: BTreeMap::new(),
};

impl Muted {
    pub fn get(&self) -> &Muting {
        self.0.as_deref().unwrap_or(&UNMUTED)
    }

    fn get_mut(&mut self) -> &mut Muting {
        self.0.get_or_insert_with(Default::default)
    }

    /// Drops the box when nothing mutes.
    fn normalize(&mut self) {
        if self.0.as_deref() == Some(&UNMUTED) {
            self.0 = None;
        }
    }
}

impl From<Muting> for Muted {
    fn from(m: Muting) -> Muted {
        let mut out = Muted(Some(Box::new(m)));
        out.normalize();
        out
    }
}

/// An alert's row as the database holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub first_seen: i64,
    pub fired_at: i64,
    pub resolved_at: Option<i64>,
    pub last_event_at: i64,
    pub muting: Muted,
}

/// A lifecycle event to insert.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub at: i64,
    pub fingerprint: u64,
    pub kind: &'static str,
    pub detail: serde_json::Value,
}

/// An alert row to write (insert or replace).
#[derive(Clone, Debug)]
pub struct Row {
    pub alert: Arc<Alert>,
    pub stored: Stored,
}

/// What a batch of observations changed.
#[derive(Default, Debug)]
pub struct Changes {
    pub events: Vec<Event>,
    /// The latest row of each alert touched.
    pub rows: HashMap<u64, Row>,
}

impl Changes {
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.rows.is_empty()
    }

    pub fn len(&self) -> usize {
        self.events.len() + self.rows.len()
    }
}

struct Tracked {
    alert: Arc<Alert>,
    stored: Stored,
    /// The current alert's end time (nanoseconds), if any.
    ends_at: Option<i64>,
}

impl Tracked {
    fn firing(&self) -> bool {
        self.stored.resolved_at.is_none()
    }
}

/// The story so far of every alert in the store.
#[derive(Default)]
pub struct Tracker {
    alerts: HashMap<u64, Tracked>,
}

/// Looks an alert up in the database.
pub type Lookup<'a> = dyn FnMut(u64) -> Option<Stored> + 'a;

impl Tracker {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    /// The alert was stored (new or merged).
    pub fn put(
        &mut self,
        alert: Arc<Alert>,
        now: Timestamp,
        lookup: &mut Lookup,
        out: &mut Changes,
    ) {
        let fp = alert.fingerprint().0;
        let resolved = alert.resolved_at(now);
        let ends_at = alert.ends_at.map(nanos);
        let end = ends_at.unwrap_or_else(|| nanos(now));
        let n = nanos(now);
        let Some(t) = self.tracked(fp, &alert, lookup) else {
            // Never seen: it starts its story here.
            let stored = Stored {
                first_seen: n,
                fired_at: nanos(alert.starts_at),
                resolved_at: resolved.then_some(end),
                last_event_at: n,
                muting: Muted::default(),
            };
            let k = if resolved {
                kind::RESOLVED
            } else {
                kind::FIRING
            };
            let at = if resolved { end } else { n };
            out.events.push(event(at, fp, k, json!({})));
            let t = Tracked {
                alert,
                stored,
                ends_at,
            };
            out.rows.insert(fp, row(&t));
            self.alerts.insert(fp, t);
            return;
        };
        if alert.updated_at < t.alert.updated_at {
            // An older version (restored at start) after a newer one.
            return;
        }
        t.alert = alert;
        t.ends_at = ends_at;
        match (t.firing(), resolved) {
            (true, true) => resolve(t, fp, end, out),
            (false, false) => {
                t.stored.fired_at = nanos(t.alert.starts_at);
                t.stored.resolved_at = None;
                t.stored.last_event_at = n;
                out.events.push(event(n, fp, kind::REFIRING, json!({})));
                out.rows.insert(fp, row(t));
            }
            _ => {}
        }
    }

    /// The store dropped the alert (it had resolved).
    pub fn removed(&mut self, alert: &Alert, now: Timestamp, out: &mut Changes) {
        let fp = alert.fingerprint().0;
        if let Some(mut t) = self.alerts.remove(&fp)
            && t.firing()
        {
            let end = alert.ends_at.map(nanos).unwrap_or_else(|| nanos(now));
            resolve(&mut t, fp, end, out);
        }
    }

    /// Firing alerts whose end time has passed without a new post.
    pub fn tick(&mut self, now: Timestamp, out: &mut Changes) {
        let n = nanos(now);
        for (fp, t) in &mut self.alerts {
            if t.firing()
                && let Some(end) = t.ends_at.filter(|e| *e <= n)
            {
                resolve(t, *fp, end, out);
            }
        }
    }

    /// What a flush found muting a firing alert.
    pub fn muting(&mut self, o: MuteObservation, lookup: &mut Lookup, out: &mut Changes) {
        let now = o.at;
        if o.alert.resolved_at(now) {
            return;
        }
        let fp = o.alert.fingerprint().0;
        if !self.alerts.contains_key(&fp) {
            self.put(o.alert.clone(), now, lookup, out);
        }
        let Some(t) = self.alerts.get_mut(&fp) else {
            return;
        };
        if !t.firing() {
            return;
        }
        let n = nanos(now);
        let before = t.stored.muting.clone();
        let m = t.stored.muting.get_mut();

        let mut silenced = o.silenced_by;
        silenced.sort();
        if silenced != m.silenced_by {
            if silenced.is_empty() {
                out.events.push(event(
                    n,
                    fp,
                    kind::UNSILENCED,
                    json!({ "silenceIds": m.silenced_by }),
                ));
            } else {
                out.events.push(event(
                    n,
                    fp,
                    kind::SILENCED,
                    json!({ "silenceIds": silenced }),
                ));
            }
            m.silenced_by = silenced;
        }

        let inhibited = o.inhibited_by.map(|f| format!("{f:016x}"));
        if inhibited != m.inhibited_by {
            match (&inhibited, &m.inhibited_by) {
                (None, Some(prev)) => out.events.push(event(
                    n,
                    fp,
                    kind::UNINHIBITED,
                    json!({ "inhibitedBy": prev }),
                )),
                (Some(by), _) => {
                    out.events
                        .push(event(n, fp, kind::INHIBITED, json!({ "inhibitedBy": by })))
                }
                (None, None) => {}
            }
            m.inhibited_by = inhibited;
        }

        let prev = m.time_intervals.get(&o.group_key).cloned();
        if prev != o.time_interval {
            let detail = |ti: &str| json!({ "timeInterval": ti, "receiver": o.receiver, "groupKey": o.group_key });
            match (&o.time_interval, &prev) {
                (Some(ti), _) => {
                    out.events.push(event(n, fp, kind::MUTED, detail(ti)));
                    m.time_intervals.insert(o.group_key.clone(), ti.clone());
                }
                (None, Some(ti)) => {
                    out.events.push(event(n, fp, kind::UNMUTED, detail(ti)));
                    m.time_intervals.remove(&o.group_key);
                }
                (None, None) => {}
            }
        }

        t.stored.muting.normalize();
        if t.stored.muting != before {
            t.stored.last_event_at = n;
            out.rows.insert(fp, row(t));
        }
    }

    /// The tracked entry of `fp`, loaded from the database if it was
    /// recorded before this process started.
    fn tracked(
        &mut self,
        fp: u64,
        alert: &Arc<Alert>,
        lookup: &mut Lookup,
    ) -> Option<&mut Tracked> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.alerts.entry(fp) {
            let stored = lookup(fp)?;
            e.insert(Tracked {
                alert: alert.clone(),
                stored,
                ends_at: alert.ends_at.map(nanos),
            });
        }
        self.alerts.get_mut(&fp)
    }
}

fn event(at: i64, fingerprint: u64, kind: &'static str, detail: serde_json::Value) -> Event {
    Event {
        at,
        fingerprint,
        kind,
        detail,
    }
}

fn row(t: &Tracked) -> Row {
    Row {
        alert: t.alert.clone(),
        stored: t.stored.clone(),
    }
}

/// Marks `t` resolved at `end`; what muted it no longer matters.
fn resolve(t: &mut Tracked, fp: u64, end: i64, out: &mut Changes) {
    t.stored.resolved_at = Some(end);
    t.stored.last_event_at = t.stored.last_event_at.max(end);
    t.stored.muting = Muted::default();
    out.events.push(event(end, fp, kind::RESOLVED, json!({})));
    out.rows.insert(fp, row(t));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::LabelSet;
    use chrono::{TimeZone, Utc};

    fn at(s: i64) -> Timestamp {
        Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
    }

    fn alert(name: &str, start: i64, end: Option<i64>) -> Arc<Alert> {
        Arc::new(Alert {
            labels: LabelSet::from_iter([("alertname", name)]),
            annotations: LabelSet::empty(),
            starts_at: at(start),
            ends_at: end.map(at),
            updated_at: at(start),
            generator_url: Arc::from(""),
            timeout: false,
        })
    }

    fn kinds(c: &Changes) -> Vec<&'static str> {
        c.events.iter().map(|e| e.kind).collect()
    }

    fn none(_: u64) -> Option<Stored> {
        None
    }

    fn obs(a: &Arc<Alert>, now: i64, silenced: &[&str], inhibited: Option<u64>) -> MuteObservation {
        MuteObservation {
            at: at(now),
            alert: a.clone(),
            receiver: "r".into(),
            group_key: "{}:{}".into(),
            silenced_by: silenced.iter().map(|s| s.to_string()).collect(),
            inhibited_by: inhibited,
            time_interval: None,
        }
    }

    #[test]
    fn firing_resends_resolve_and_refire() {
        let mut t = Tracker::default();
        let mut c = Changes::default();
        t.put(alert("A", 0, Some(300)), at(1), &mut none, &mut c);
        t.put(alert("A", 0, Some(360)), at(60), &mut none, &mut c);
        assert_eq!(kinds(&c), ["firing"]);
        // The end time passes without a resend.
        t.tick(at(359), &mut c);
        assert_eq!(kinds(&c), ["firing"]);
        t.tick(at(361), &mut c);
        assert_eq!(kinds(&c), ["firing", "resolved"]);
        assert_eq!(c.events[1].at, nanos(at(360)));
        // A resolved resend changes nothing; a new firing post re-fires.
        t.put(alert("A", 0, Some(360)), at(400), &mut none, &mut c);
        t.put(alert("A", 500, None), at(500), &mut none, &mut c);
        assert_eq!(kinds(&c), ["firing", "resolved", "refiring"]);
        let row = &c.rows[&alert("A", 0, None).fingerprint().0];
        assert_eq!(row.stored.fired_at, nanos(at(500)));
        assert_eq!(row.stored.resolved_at, None);
        assert_eq!(row.stored.first_seen, nanos(at(1)));
    }

    #[test]
    fn a_recorded_alert_is_not_new_after_a_restart() {
        let mut t = Tracker::default();
        let mut c = Changes::default();
        let mut lookup = |_| {
            Some(Stored {
                first_seen: 1,
                fired_at: 1,
                resolved_at: None,
                last_event_at: 1,
                muting: Muted::default(),
            })
        };
        t.put(alert("A", 0, Some(100)), at(10), &mut lookup, &mut c);
        assert!(c.is_empty());
        // It resolved while Tocsin was down.
        let mut t = Tracker::default();
        t.put(alert("A", 0, Some(100)), at(200), &mut lookup, &mut c);
        assert_eq!(kinds(&c), ["resolved"]);
    }

    #[test]
    fn muting_transitions() {
        let mut t = Tracker::default();
        let mut c = Changes::default();
        let a = alert("A", 0, None);
        t.put(a.clone(), at(0), &mut none, &mut c);
        t.muting(obs(&a, 1, &[], None), &mut none, &mut c);
        t.muting(obs(&a, 2, &["s1"], None), &mut none, &mut c);
        t.muting(obs(&a, 3, &["s1"], None), &mut none, &mut c);
        t.muting(obs(&a, 4, &[], Some(0xab)), &mut none, &mut c);
        t.muting(obs(&a, 5, &[], None), &mut none, &mut c);
        let mut o = obs(&a, 6, &[], None);
        o.time_interval = Some("weekends".into());
        t.muting(o.clone(), &mut none, &mut c);
        t.muting(o, &mut none, &mut c);
        t.muting(obs(&a, 7, &[], None), &mut none, &mut c);
        assert_eq!(
            kinds(&c),
            [
                "firing",
                "silenced",
                "unsilenced",
                "inhibited",
                "uninhibited",
                "muted",
                "unmuted"
            ]
        );
        assert_eq!(c.events[1].detail, json!({"silenceIds": ["s1"]}));
        assert_eq!(c.events[2].detail, json!({"silenceIds": ["s1"]}));
        assert_eq!(
            c.events[3].detail,
            json!({"inhibitedBy": "00000000000000ab"})
        );
        assert_eq!(
            c.events[5].detail,
            json!({"timeInterval": "weekends", "receiver": "r", "groupKey": "{}:{}"})
        );
    }

    #[test]
    fn resolving_forgets_the_muting_and_removal_resolves() {
        let mut t = Tracker::default();
        let mut c = Changes::default();
        let a = alert("A", 0, None);
        t.put(a.clone(), at(0), &mut none, &mut c);
        t.muting(obs(&a, 1, &["s1"], None), &mut none, &mut c);
        t.removed(&alert("A", 0, Some(5)), at(10), &mut c);
        assert_eq!(kinds(&c), ["firing", "silenced", "resolved"]);
        let row = &c.rows[&a.fingerprint().0];
        assert_eq!(row.stored.muting, Muted::default());
        assert_eq!(row.stored.resolved_at, Some(nanos(at(5))));
        assert_eq!(t.len(), 0);
    }
}
