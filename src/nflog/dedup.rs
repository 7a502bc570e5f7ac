//! The deduplication decision of the notification pipeline (Alertmanager's
//! `DedupStage`): how alerts are identified in the log ([`alert_hash`]), how
//! a flush splits them ([`partition_alerts`]), and whether an integration must
//! be notified given its last log entry ([`needs_update`]).

use std::fmt;
use std::time::Duration;

use chrono::TimeDelta;

use super::entry::Entry;
use super::xxhash::Xxh64;
use crate::alert::{Alert, LabelSet, Timestamp};

/// The label separator of Alertmanager's `hashAlert`.
const SEP: [u8; 1] = [0xff];

/// The hash identifying an alert in the notification log: XXH64 (seed 0)
/// over the labels in name order, each as `name 0xff value 0xff`, exactly
/// as Alertmanager's `notify.hashAlert`. It is not the alert fingerprint
/// (which uses FNV-1a over the same bytes).
pub fn alert_hash(labels: &LabelSet) -> u64 {
    let mut h = Xxh64::new();
    for (name, value) in labels.iter() {
        h.update(name.as_bytes());
        h.update(&SEP);
        h.update(value.as_bytes());
        h.update(&SEP);
    }
    h.digest()
}

/// The [`alert_hash`]es of the firing and of the resolved alerts at `now`,
/// in alert order (upstream's `partitionAlertsByState`).
pub fn partition_alerts<'a>(
    alerts: impl IntoIterator<Item = &'a Alert>,
    now: Timestamp,
) -> (Vec<u64>, Vec<u64>) {
    let mut firing = Vec::new();
    let mut resolved = Vec::new();
    for a in alerts {
        let h = alert_hash(&a.labels);
        if a.resolved_at(now) {
            resolved.push(h);
        } else {
            firing.push(h);
        }
    }
    (firing, resolved)
}

/// Why an integration is (or is not) notified; Alertmanager v0.34's
/// `NotifyReason`, whose text is the `notification_reason` it reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationReason {
    /// Nothing to send.
    DoNotNotify,
    /// No previous notification, or the previous one had nothing firing.
    FirstNotification,
    /// Alerts are firing that the last notification did not report firing.
    NewAlertsInGroup,
    /// With `send_resolved`, alerts are resolved that the last notification
    /// did not report resolved.
    NewResolvedAlerts,
    /// Nothing fires any more but the last notification had firing alerts.
    AllAlertsResolved,
    /// Nothing changed but the last notification is older than the repeat
    /// interval.
    RepeatIntervalElapsed,
}

impl NotificationReason {
    /// Whether the integration must be notified (anything but
    /// [`NotificationReason::DoNotNotify`]).
    pub fn should_notify(self) -> bool {
        self != NotificationReason::DoNotNotify
    }

    /// Upstream's spelling, e.g. `first notification`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationReason::DoNotNotify => "none",
            NotificationReason::FirstNotification => "first notification",
            NotificationReason::NewAlertsInGroup => "new alerts added",
            NotificationReason::NewResolvedAlerts => "some alerts resolved",
            NotificationReason::AllAlertsResolved => "all alerts resolved",
            NotificationReason::RepeatIntervalElapsed => "repeat interval elapsed",
        }
    }
}

impl fmt::Display for NotificationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Alertmanager's dedup decision for one integration. `entry` is its last
/// log entry for the group, `firing` and `resolved` the current alert
/// hashes (any order), `now` the flush time. Rules, first match wins:
///
/// 1. no entry: notify (first notification) iff something fires;
/// 2. something fires that the entry does not list as firing: notify (first
///    notification if the entry had nothing firing, else new alerts);
/// 3. nothing fires: notify iff the entry had firing alerts (all resolved),
///    whatever `send_resolved` says, so that the log forgets them;
/// 4. `send_resolved` and something is resolved that the entry does not list
///    as resolved: notify (some alerts resolved);
/// 5. the entry is older than `now - repeat_interval` (strictly): notify
///    (repeat interval elapsed);
/// 6. otherwise not.
///
/// Hence an alert that just stops firing notifies nobody without
/// `send_resolved`, and repeats only happen on a flush.
pub fn needs_update(
    entry: Option<&Entry>,
    firing: &[u64],
    resolved: &[u64],
    repeat_interval: Duration,
    send_resolved: bool,
    now: Timestamp,
) -> NotificationReason {
    use NotificationReason as R;
    let Some(entry) = entry else {
        return if firing.is_empty() {
            R::DoNotNotify
        } else {
            R::FirstNotification
        };
    };
    if !entry.is_firing_subset(firing) {
        return if entry.firing_alerts.is_empty() {
            R::FirstNotification
        } else {
            R::NewAlertsInGroup
        };
    }
    if firing.is_empty() {
        // Alerts that fired and resolved between two notifications were
        // never announced, so there is nothing to tell.
        return if entry.firing_alerts.is_empty() {
            R::DoNotNotify
        } else {
            R::AllAlertsResolved
        };
    }
    if send_resolved && !entry.is_resolved_subset(resolved) {
        return R::NewResolvedAlerts;
    }
    let elapsed = TimeDelta::from_std(repeat_interval)
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .is_some_and(|limit| entry.timestamp < limit);
    if elapsed {
        R::RepeatIntervalElapsed
    } else {
        R::DoNotNotify
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nflog::Receiver;
    use chrono::TimeZone;
    use chrono::Utc;

    const MIN: Duration = Duration::from_secs(60);

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
    }

    fn entry(firing: &[u64], resolved: &[u64], age: Option<Duration>) -> Entry {
        Entry {
            group_key: "{}:{alertname=\"A\"}".into(),
            receiver: Receiver::new("team", "webhook", 0),
            // `None` is the zero protobuf timestamp (1970) of upstream's test.
            timestamp: age.map_or(Timestamp::UNIX_EPOCH, |a| now() - a),
            firing_alerts: firing.to_vec(),
            resolved_alerts: resolved.to_vec(),
            expires_at: now() + TimeDelta::hours(1),
            receiver_data: Default::default(),
        }
    }

    struct Case {
        name: &'static str,
        entry: Option<Entry>,
        firing: &'static [u64],
        resolved: &'static [u64],
        repeat: Duration,
        send_resolved: bool,
        want: NotificationReason,
    }

    #[test]
    fn decision_table() {
        use NotificationReason as R;
        let cases = [
            // The cases of upstream's TestDedupStageNeedsUpdate.
            Case {
                name: "no entry, firing alerts",
                entry: None,
                firing: &[2, 3, 4],
                resolved: &[],
                repeat: Duration::ZERO,
                send_resolved: false,
                want: R::FirstNotification,
            },
            Case {
                name: "no entry, only resolved alerts",
                entry: None,
                firing: &[],
                resolved: &[2, 3, 4],
                repeat: Duration::ZERO,
                send_resolved: false,
                want: R::DoNotNotify,
            },
            Case {
                name: "different firing sets",
                entry: Some(entry(&[1, 2, 3], &[], None)),
                firing: &[2, 3, 4],
                resolved: &[],
                repeat: Duration::ZERO,
                send_resolved: false,
                want: R::NewAlertsInGroup,
            },
            Case {
                name: "zero entry timestamp",
                entry: Some(entry(&[1, 2, 3], &[], None)),
                firing: &[1, 2, 3],
                resolved: &[],
                repeat: Duration::ZERO,
                send_resolved: false,
                want: R::RepeatIntervalElapsed,
            },
            Case {
                name: "identical before repeat interval",
                entry: Some(entry(&[1, 2, 3], &[], Some(9 * MIN))),
                firing: &[1, 2, 3],
                resolved: &[],
                repeat: 10 * MIN,
                send_resolved: false,
                want: R::DoNotNotify,
            },
            Case {
                name: "identical after repeat interval",
                entry: Some(entry(&[1, 2, 3], &[], Some(11 * MIN))),
                firing: &[1, 2, 3],
                resolved: &[],
                repeat: 10 * MIN,
                send_resolved: false,
                want: R::RepeatIntervalElapsed,
            },
            Case {
                name: "only resolved alerts, entry had none firing, after repeat",
                entry: Some(entry(&[], &[1, 2, 3], Some(11 * MIN))),
                firing: &[],
                resolved: &[3, 4, 5],
                repeat: 10 * MIN,
                send_resolved: true,
                want: R::DoNotNotify,
            },
            Case {
                name: "new resolved alert without send_resolved",
                entry: Some(entry(&[1, 2], &[3], Some(9 * MIN))),
                firing: &[1],
                resolved: &[2, 3],
                repeat: 10 * MIN,
                send_resolved: false,
                want: R::DoNotNotify,
            },
            Case {
                name: "new resolved alert with send_resolved",
                entry: Some(entry(&[1, 2], &[3], Some(9 * MIN))),
                firing: &[1],
                resolved: &[2, 3],
                repeat: 10 * MIN,
                send_resolved: true,
                want: R::NewResolvedAlerts,
            },
            Case {
                name: "all resolved without send_resolved",
                entry: Some(entry(&[1, 2], &[3], Some(9 * MIN))),
                firing: &[],
                resolved: &[1, 2, 3],
                repeat: 10 * MIN,
                send_resolved: false,
                want: R::AllAlertsResolved,
            },
            Case {
                name: "all resolved with send_resolved",
                entry: Some(entry(&[1, 2], &[3], Some(9 * MIN))),
                firing: &[],
                resolved: &[1, 2, 3],
                repeat: 10 * MIN,
                send_resolved: true,
                want: R::AllAlertsResolved,
            },
            // Further cases.
            Case {
                name: "no entry, nothing at all",
                entry: None,
                firing: &[],
                resolved: &[],
                repeat: 10 * MIN,
                send_resolved: true,
                want: R::DoNotNotify,
            },
            Case {
                name: "firing again after a logged resolution",
                entry: Some(entry(&[], &[1], Some(MIN))),
                firing: &[1],
                resolved: &[],
                repeat: 10 * MIN,
                send_resolved: true,
                want: R::FirstNotification,
            },
            Case {
                name: "one more firing alert",
                entry: Some(entry(&[1, 2], &[], Some(MIN))),
                firing: &[3, 1, 2],
                resolved: &[],
                repeat: 10 * MIN,
                send_resolved: false,
                want: R::NewAlertsInGroup,
            },
            Case {
                name: "new alert wins over new resolved alert",
                entry: Some(entry(&[1, 2], &[], Some(MIN))),
                firing: &[1, 3],
                resolved: &[2],
                repeat: 10 * MIN,
                send_resolved: true,
                want: R::NewAlertsInGroup,
            },
            Case {
                name: "fewer firing alerts without send_resolved, within repeat",
                entry: Some(entry(&[1, 2, 3], &[], Some(MIN))),
                firing: &[1, 2],
                resolved: &[3],
                repeat: 10 * MIN,
                send_resolved: false,
                want: R::DoNotNotify,
            },
            Case {
                name: "fewer firing alerts without send_resolved, after repeat",
                entry: Some(entry(&[1, 2, 3], &[], Some(11 * MIN))),
                firing: &[1, 2],
                resolved: &[3],
                repeat: 10 * MIN,
                send_resolved: false,
                want: R::RepeatIntervalElapsed,
            },
            Case {
                name: "resolved alert already notified, within repeat",
                entry: Some(entry(&[1], &[2, 3], Some(MIN))),
                firing: &[1],
                resolved: &[3],
                repeat: 10 * MIN,
                send_resolved: true,
                want: R::DoNotNotify,
            },
            Case {
                name: "resolved alert already notified, after repeat",
                entry: Some(entry(&[1], &[2], Some(11 * MIN))),
                firing: &[1],
                resolved: &[2],
                repeat: 10 * MIN,
                send_resolved: true,
                want: R::RepeatIntervalElapsed,
            },
            Case {
                name: "new resolved alert wins over repeat",
                entry: Some(entry(&[1, 2], &[], Some(11 * MIN))),
                firing: &[1],
                resolved: &[2],
                repeat: 10 * MIN,
                send_resolved: true,
                want: R::NewResolvedAlerts,
            },
            Case {
                name: "all resolved wins over repeat and send_resolved",
                entry: Some(entry(&[1], &[], Some(11 * MIN))),
                firing: &[],
                resolved: &[1],
                repeat: 10 * MIN,
                send_resolved: false,
                want: R::AllAlertsResolved,
            },
            Case {
                name: "nothing left at all but entry had firing",
                entry: Some(entry(&[1], &[], Some(MIN))),
                firing: &[],
                resolved: &[],
                repeat: 10 * MIN,
                send_resolved: false,
                want: R::AllAlertsResolved,
            },
            Case {
                name: "resolution already logged",
                entry: Some(entry(&[], &[1], Some(11 * MIN))),
                firing: &[],
                resolved: &[1],
                repeat: 10 * MIN,
                send_resolved: true,
                want: R::DoNotNotify,
            },
            Case {
                name: "entry exactly one repeat interval old",
                entry: Some(entry(&[1], &[], Some(10 * MIN))),
                firing: &[1],
                resolved: &[],
                repeat: 10 * MIN,
                send_resolved: false,
                want: R::DoNotNotify,
            },
            Case {
                name: "entry one nanosecond over the repeat interval",
                entry: Some(entry(&[1], &[], Some(10 * MIN + Duration::from_nanos(1)))),
                firing: &[1],
                resolved: &[],
                repeat: 10 * MIN,
                send_resolved: false,
                want: R::RepeatIntervalElapsed,
            },
            Case {
                name: "zero repeat interval repeats on every flush",
                entry: Some(entry(&[1], &[], Some(Duration::from_nanos(1)))),
                firing: &[1],
                resolved: &[],
                repeat: Duration::ZERO,
                send_resolved: false,
                want: R::RepeatIntervalElapsed,
            },
            Case {
                name: "absurd repeat interval never elapses",
                entry: Some(entry(&[1], &[], None)),
                firing: &[1],
                resolved: &[],
                repeat: Duration::MAX,
                send_resolved: false,
                want: R::DoNotNotify,
            },
        ];
        for c in cases {
            let got = needs_update(
                c.entry.as_ref(),
                c.firing,
                c.resolved,
                c.repeat,
                c.send_resolved,
                now(),
            );
            assert_eq!(got, c.want, "{}", c.name);
        }
    }

    #[test]
    fn reason_strings() {
        use NotificationReason as R;
        let all = [
            (R::DoNotNotify, "none", false),
            (R::FirstNotification, "first notification", true),
            (R::NewAlertsInGroup, "new alerts added", true),
            (R::NewResolvedAlerts, "some alerts resolved", true),
            (R::AllAlertsResolved, "all alerts resolved", true),
            (R::RepeatIntervalElapsed, "repeat interval elapsed", true),
        ];
        for (r, s, notify) in all {
            assert_eq!(r.to_string(), s);
            assert_eq!(r.should_notify(), notify, "{s}");
        }
    }

    /// Values of Alertmanager's own `notify.hashAlert` for these label sets
    /// (printed by `testdata/xxhash_probe.go.txt` and checked against the
    /// unexported function itself in the 0.25 `notify` package).
    #[test]
    fn alert_hash_matches_alertmanager() {
        let cases: [(&[(&str, &str)], u64); 5] = [
            (&[], 0xef46db3751d8e999),
            (&[("alertname", "HighLatency")], 0x64df6d98400cce82),
            (
                &[
                    ("alertname", "HighLatency"),
                    ("job", "api"),
                    ("instance", "10.0.0.1:9090"),
                    ("severity", "critical"),
                ],
                0xeaa5289ee88b9c0a,
            ),
            (&[("b", ""), ("a", "x"), ("B", "y")], 0xce9a8511f4558106),
            (
                &[
                    ("alertname", "Disk"),
                    ("mount", "/var/lib"),
                    ("msg", "héllo wörld ✓"),
                ],
                0xf9a3048c4d34341e,
            ),
        ];
        for (pairs, want) in cases {
            let ls = LabelSet::from_pairs(pairs.iter().copied());
            assert_eq!(alert_hash(&ls), want, "{ls}");
        }
    }

    #[test]
    fn alert_hash_is_not_the_fingerprint() {
        let ls = LabelSet::from_pairs([("alertname", "HighLatency")]);
        assert_ne!(alert_hash(&ls), ls.fingerprint().0);
    }

    #[test]
    fn partition_by_resolution_at_now() {
        let mk = |name: &str, ends_at: Option<Timestamp>| Alert {
            labels: LabelSet::from_pairs([("alertname", name)]),
            annotations: LabelSet::empty(),
            starts_at: now() - TimeDelta::hours(1),
            ends_at,
            updated_at: now(),
            generator_url: "".into(),
            timeout: false,
        };
        let alerts = [
            mk("Firing", None),
            mk("EndsLater", Some(now() + TimeDelta::seconds(1))),
            mk("EndsNow", Some(now())),
            mk("Ended", Some(now() - TimeDelta::seconds(1))),
        ];
        let h = |n: &str| alert_hash(&LabelSet::from_pairs([("alertname", n)]));
        let (firing, resolved) = partition_alerts(&alerts, now());
        assert_eq!(firing, vec![h("Firing"), h("EndsLater")]);
        assert_eq!(resolved, vec![h("EndsNow"), h("Ended")]);
    }
}
