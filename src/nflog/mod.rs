//! The notification log: what each receiver integration was last told about
//! each aggregation group, and the deduplication decision built on it
//! (Alertmanager's `nflog` package and the pipeline's `DedupStage` /
//! `SetNotifiesStage`).
//!
//! Per flush and integration the pipeline splits the group's alerts into
//! firing and resolved [`alert_hash`]es ([`partition_alerts`]), asks
//! [`needs_update`] with the integration's last [`Entry`] from
//! [`NotificationLog::query`], and after a successful send records the new
//! state with [`NotificationLog::log`] (expiry `2 × repeat_interval`). Peers
//! exchange entries through [`NotificationLog::merge`]; a persistence layer
//! follows changes through an [`NflogSink`] and reloads with
//! [`NotificationLog::restore`].
//!
//! Behaviour follows Alertmanager v0.34; 0.25 makes the same decisions but
//! reports no reason and compares against the wall clock rather than the
//! flush time.

mod dedup;
mod entry;
mod log;
pub mod xxhash;

pub use dedup::{NotificationReason, alert_hash, needs_update, partition_alerts};
pub use entry::{Entry, Receiver, ReceiverData};
pub use log::{NflogSink, NotificationLog};
