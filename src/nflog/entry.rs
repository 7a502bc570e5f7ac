//! The records of the notification log: [`Receiver`] (which integration of
//! which receiver was notified) and [`Entry`] (what it was last told about a
//! group, and when), mirroring Alertmanager's `nflogpb.Receiver` and
//! `nflogpb.MeshEntry`.

use std::fmt;

use crate::alert::Timestamp;

/// One integration of a receiver: `receivers[].<integration>_configs[idx]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Receiver {
    /// The receiver's name (`receivers[].name`).
    pub group_name: String,
    /// The integration name, e.g. `webhook`, `email`, `slack`.
    pub integration: String,
    /// The position of the integration among the receiver's configs of that
    /// kind.
    pub idx: u32,
}

impl Receiver {
    pub fn new(group_name: impl Into<String>, integration: impl Into<String>, idx: u32) -> Self {
        Receiver {
            group_name: group_name.into(),
            integration: integration.into(),
            idx,
        }
    }
}

impl fmt::Display for Receiver {
    /// `name/integration/idx`, upstream's `receiverKey`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.group_name, self.integration, self.idx)
    }
}

/// The last notification of one aggregation group through one integration.
///
/// `firing_alerts` and `resolved_alerts` hold [`super::alert_hash`] values.
/// Entries the log hands out have them sorted and without duplicates (see
/// [`Entry::normalize`]); upstream keeps them in alert order, which matters
/// nowhere since they are only used as sets.
///
/// `receiver_data` (Alertmanager v0.34) is a per-entry key/value store an
/// integration fills when it sends: Slack keeps the channel id and message
/// timestamp there (`channelId`, `threadTs`) to update its message later.
/// It is persisted and gossiped with the entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The aggregation group key, e.g. `{}/{severity="critical"}:{alertname="A"}`.
    pub group_key: String,
    pub receiver: Receiver,
    /// When the notification was logged.
    pub timestamp: Timestamp,
    /// Hashes of the alerts that were firing.
    pub firing_alerts: Vec<u64>,
    /// Hashes of the alerts that were resolved.
    pub resolved_alerts: Vec<u64>,
    /// When the entry may be garbage-collected.
    pub expires_at: Timestamp,
    /// What the integration kept about this notification.
    pub receiver_data: ReceiverData,
}

/// An integration's data in a notification-log entry.
pub type ReceiverData = std::collections::BTreeMap<String, String>;

impl Entry {
    /// Sorts and deduplicates the alert hash lists.
    pub fn normalize(&mut self) {
        for v in [&mut self.firing_alerts, &mut self.resolved_alerts] {
            v.sort_unstable();
            v.dedup();
        }
    }

    /// Whether every hash in `subset` was firing at the last notification
    /// (upstream's `IsFiringSubset`; an empty `subset` always is).
    pub fn is_firing_subset(&self, subset: &[u64]) -> bool {
        is_subset(&self.firing_alerts, subset)
    }

    /// Whether every hash in `subset` was resolved at the last notification
    /// (upstream's `IsResolvedSubset`).
    pub fn is_resolved_subset(&self, subset: &[u64]) -> bool {
        is_subset(&self.resolved_alerts, subset)
    }
}

/// Whether every element of `subset` is in `set`; binary search when `set`
/// is sorted (always, for entries from the log), a scan otherwise.
fn is_subset(set: &[u64], subset: &[u64]) -> bool {
    if set.is_sorted() {
        subset.iter().all(|h| set.binary_search(h).is_ok())
    } else {
        subset.iter().all(|h| set.contains(h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(firing: &[u64], resolved: &[u64]) -> Entry {
        Entry {
            group_key: "{}:{}".into(),
            receiver: Receiver::new("r", "webhook", 0),
            timestamp: Timestamp::UNIX_EPOCH,
            firing_alerts: firing.to_vec(),
            resolved_alerts: resolved.to_vec(),
            expires_at: Timestamp::UNIX_EPOCH,
            receiver_data: Default::default(),
        }
    }

    #[test]
    fn receiver_display_is_upstreams_receiver_key() {
        assert_eq!(
            Receiver::new("team-a", "webhook", 2).to_string(),
            "team-a/webhook/2"
        );
    }

    #[test]
    fn subsets() {
        // Upstream's TestIsFiringSubset / TestIsResolvedSubset data shape.
        let e = entry(&[1, 2, 3], &[1, 2, 3]);
        for (subset, want) in [
            (&[][..], true),
            (&[1][..], true),
            (&[2][..], true),
            (&[3][..], true),
            (&[1, 2][..], true),
            (&[1, 2, 3][..], true),
            (&[3, 1, 2][..], true),
            (&[4][..], false),
            (&[1, 5][..], false),
            (&[1, 2, 3, 6][..], false),
        ] {
            assert_eq!(e.is_firing_subset(subset), want, "firing {subset:?}");
            assert_eq!(e.is_resolved_subset(subset), want, "resolved {subset:?}");
        }
        let only_firing = entry(&[7], &[]);
        assert!(only_firing.is_firing_subset(&[7]));
        assert!(!only_firing.is_resolved_subset(&[7]));
        assert!(only_firing.is_resolved_subset(&[]));
    }

    #[test]
    fn unsorted_lists_still_answer_correctly() {
        let e = entry(&[9, 3, 5], &[]);
        assert!(e.is_firing_subset(&[5, 9]));
        assert!(!e.is_firing_subset(&[4]));
    }

    #[test]
    fn normalize_sorts_and_dedups() {
        let mut e = entry(&[9, 3, 9, 5], &[2, 1, 2]);
        e.normalize();
        assert_eq!(e.firing_alerts, vec![3, 5, 9]);
        assert_eq!(e.resolved_alerts, vec![1, 2]);
    }
}
