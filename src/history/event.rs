//! What the history records: the observations the pipeline hands it and
//! the kinds of lifecycle event it derives from them.

use std::sync::Arc;
use std::time::Duration;

use crate::alert::{Alert, Timestamp};

/// How a notification attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            _ => None,
        }
    }
}

/// One attempt to send a notification, as the retry stage saw it.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// When the attempt started.
    pub at: Timestamp,
    pub receiver: String,
    pub integration: String,
    pub index: u32,
    pub group_key: String,
    /// Fingerprints of the firing and resolved alerts the notification
    /// carried.
    pub firing: Vec<u64>,
    pub resolved: Vec<u64>,
    pub outcome: Outcome,
    /// The failure reason (`alertmanager_notifications_failed_total`'s
    /// `reason`), empty on success.
    pub reason: String,
    /// The error, empty on success.
    pub error: String,
    /// The HTTP status of a failed answer, when there was one.
    pub status_code: Option<u16>,
    pub duration: Duration,
    /// 1 for the first attempt of a notification, then 2, 3, …
    pub attempt: u32,
}

/// An integration's last attempt, as `GET /api/v2/receivers` reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct LastAttempt {
    pub at: Timestamp,
    pub outcome: Outcome,
    pub error: String,
    pub duration: Duration,
}

impl LastAttempt {
    pub fn of(a: &Attempt) -> LastAttempt {
        LastAttempt {
            at: a.at,
            outcome: a.outcome,
            error: a.error.clone(),
            duration: a.duration,
        }
    }
}

/// What muted one firing alert at a flush of one of its groups.
#[derive(Clone, Debug)]
pub struct MuteObservation {
    pub at: Timestamp,
    pub alert: Arc<Alert>,
    pub receiver: String,
    pub group_key: String,
    /// Ids of the active silences matching it.
    pub silenced_by: Vec<String>,
    /// The fingerprint of an alert inhibiting it.
    pub inhibited_by: Option<u64>,
    /// The time interval muting the group's route: a `mute_time_intervals`
    /// entry in force, or the route's `active_time_intervals` (joined by
    /// commas) when none is.
    pub time_interval: Option<String>,
}

/// The kinds of lifecycle event, as stored and as the API names them.
pub mod kind {
    /// First seen, firing.
    pub const FIRING: &str = "firing";
    /// Firing again after it had resolved.
    pub const REFIRING: &str = "refiring";
    pub const RESOLVED: &str = "resolved";
    pub const SILENCED: &str = "silenced";
    pub const UNSILENCED: &str = "unsilenced";
    pub const INHIBITED: &str = "inhibited";
    pub const UNINHIBITED: &str = "uninhibited";
    /// Its route was muted by a time interval.
    pub const MUTED: &str = "muted";
    pub const UNMUTED: &str = "unmuted";
    /// A notification attempt carried it.
    pub const NOTIFICATION: &str = "notification";

    pub const ALL: [&str; 10] = [
        FIRING,
        REFIRING,
        RESOLVED,
        SILENCED,
        UNSILENCED,
        INHIBITED,
        UNINHIBITED,
        MUTED,
        UNMUTED,
        NOTIFICATION,
    ];
}
