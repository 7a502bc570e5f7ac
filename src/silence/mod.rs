//! Silences: the [`Silence`] type, its states, and the [`Silences`] store that
//! creates, updates, expires, queries and garbage-collects them and tells
//! whether a label set is silenced.
//!
//! Behaviour follows Alertmanager v0.34 (`silence/silence.go` and the v2 API
//! handlers); differences from 0.25 are noted where they matter. The store
//! keeps a label index (module `index`) so that matching an alert does not scan
//! every silence, and is always up to date: a change is visible to the next
//! [`Silences::mutes`] call (Alertmanager's silencer cache may lag).
//!
//! Alertmanager ≥ 0.28 stores silences as a list of matcher *sets* (OR of
//! AND-lists), but its v2 API only ever reads and writes one set. A
//! [`Silence`] holds that set as [`Silence::matchers`] ("matcher set 0" in
//! the v0.34 validation messages) and any further sets, which only come from
//! an imported Alertmanager snapshot or a peer, in
//! [`Silence::extra_matcher_sets`].

mod index;
mod size;
mod store;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use crate::alert::{LabelSet, Timestamp};
use crate::matcher::Matchers;

pub use size::proto_size;
pub use store::{
    PersistFuture, SilenceCounts, SilenceGossip, SilenceOptions, SilenceSink, Silences,
    sort_for_api,
};
pub use validate::{check_post_times, go_zero_time, is_go_zero, matcher_from_api, validate};

/// One silence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Silence {
    /// UUIDv4 assigned by [`Silences::set`]; empty for a silence to create.
    pub id: String,
    /// All must match (absent label = `""`) for the silence to apply.
    pub matchers: Matchers,
    /// Go's zero time ([`go_zero_time`]) means "unset" (now, on set).
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// Set by the store on every change; decides gossip merges.
    pub updated_at: Timestamp,
    pub created_by: String,
    pub comment: String,
    /// Free-form annotations (v0.34 only; 0.25 has none).
    pub annotations: BTreeMap<String, String>,
    /// Matcher sets after the first (OR with [`Silence::matchers`]); only an
    /// imported Alertmanager ≥ 0.28 snapshot has them. Such a silence is
    /// matched by scanning rather than through the index.
    pub extra_matcher_sets: Vec<Matchers>,
    /// Alertmanager ≥ 0.33's receiver matcher sets: carried and stored so
    /// that nothing is lost, not applied (Alertmanager does not apply them
    /// either yet).
    pub receiver_matcher_sets: Vec<Matchers>,
}

impl Silence {
    /// A silence to create: no id, empty author, comment and annotations,
    /// `updated_at` unset (Go's zero time).
    pub fn new(matchers: Matchers, starts_at: Timestamp, ends_at: Timestamp) -> Silence {
        Silence {
            id: String::new(),
            matchers,
            starts_at,
            ends_at,
            updated_at: go_zero_time(),
            created_by: String::new(),
            comment: String::new(),
            annotations: BTreeMap::new(),
            extra_matcher_sets: Vec::new(),
            receiver_matcher_sets: Vec::new(),
        }
    }

    /// Every alert matcher set: [`Silence::matchers`], then the extra ones.
    pub fn matcher_sets(&self) -> impl Iterator<Item = &Matchers> {
        std::iter::once(&self.matchers).chain(&self.extra_matcher_sets)
    }

    /// The state used for silencing, state filters and update rules
    /// (Alertmanager's `getState`): pending before `starts_at`, expired after
    /// `ends_at`, active in between, both ends included.
    pub fn state_at(&self, now: Timestamp) -> SilenceState {
        if now < self.starts_at {
            SilenceState::Pending
        } else if now > self.ends_at {
            SilenceState::Expired
        } else {
            SilenceState::Active
        }
    }

    /// The state the API prints in `status.state` and sorts by
    /// (`silence.CurrentState`): like [`Silence::state_at`] except that a
    /// silence is already expired at `now == ends_at`.
    pub fn api_state_at(&self, now: Timestamp) -> SilenceState {
        if now < self.starts_at {
            SilenceState::Pending
        } else if now < self.ends_at {
            SilenceState::Active
        } else {
            SilenceState::Expired
        }
    }

    /// Whether one of the matcher sets matches `labels` (regardless of
    /// time).
    pub fn matches(&self, labels: &LabelSet) -> bool {
        self.matcher_sets().any(|m| m.matches(labels))
    }
}

/// The state of a silence at some instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SilenceState {
    Expired,
    Active,
    Pending,
}

impl SilenceState {
    /// The API spelling: `expired`, `active`, `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Expired => "expired",
            SilenceState::Active => "active",
            SilenceState::Pending => "pending",
        }
    }
}

impl fmt::Display for SilenceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which silences apply to a label set right now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SilenceMatch {
    /// Ids of the matching active silences, sorted: the alert's `silencedBy`.
    pub active: Vec<String>,
    /// Ids of the matching pending silences, sorted.
    pub pending: Vec<String>,
}

impl SilenceMatch {
    /// Whether at least one active silence matches.
    pub fn is_silenced(&self) -> bool {
        !self.active.is_empty()
    }
}

/// Why a silence operation failed. `Display` is the text the v0.34 API
/// returns (as the JSON string body of a 400 or 404).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    /// No silence with the given id (API: 404; 0.25's DELETE answered 500).
    #[error("silence not found")]
    NotFound,
    /// A validation failure; 0.25 printed `silence invalid: ...` instead.
    #[error("invalid silence: {0}")]
    Invalid(String),
    /// The `--silences.max-silences` or `--silences.max-silence-size-bytes`
    /// limit would be exceeded (v0.34 only).
    #[error("{0}")]
    Limit(String),
    /// Rejected by the API before reaching the store (see
    /// [`check_post_times`]).
    #[error("Failed to create silence: {0}")]
    Rejected(String),
    /// The change could not be made durable; nothing changed (API: 500).
    #[error("failed to store silence: {0}")]
    Storage(String),
}

impl SilenceError {
    /// The HTTP status the v0.34 API answers with: 404 for
    /// [`SilenceError::NotFound`], 500 for [`SilenceError::Storage`], 400
    /// otherwise.
    pub fn status_code(&self) -> u16 {
        match self {
            SilenceError::NotFound => 404,
            SilenceError::Storage(_) => 500,
            _ => 400,
        }
    }
}
