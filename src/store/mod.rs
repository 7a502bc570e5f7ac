//! The active-alert store.

use std::sync::Arc;

use crate::alert::Alert;

/// Something that follows every change of the store (the inhibitor, the
/// dispatcher). Called synchronously, while the alert's shard is locked, so
/// that a follower sees the changes of one fingerprint in order: it must be
/// quick and must not call back into the store.
pub trait AlertObserver: Send + Sync {
    /// `alert` is now stored under its fingerprint (new or merged).
    fn on_put(&self, alert: &Arc<Alert>);
    /// The alert with this fingerprint was removed (garbage-collected).
    fn on_remove(&self, alert: &Arc<Alert>);
}
