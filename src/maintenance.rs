//! Periodic maintenance (garbage collection of alerts, silences and the
//! notification log; dropping empty aggregation groups): one task per job,
//! ticking until it is aborted.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior, interval_at};

/// Runs `job` every `interval` (the first run one interval from now) on the
/// current runtime. A zero interval runs nothing, as Alertmanager refuses
/// to run maintenance then, and says so.
pub fn spawn_periodic(
    what: &'static str,
    interval: Duration,
    mut job: impl FnMut() + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        if interval.is_zero() {
            tracing::error!(what, "maintenance interval is zero, not running it");
            return;
        }
        let mut ticker = interval_at(Instant::now() + interval, interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            job();
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn runs_every_interval_and_not_at_zero() {
        let n = Arc::new(AtomicUsize::new(0));
        let c = n.clone();
        let h = spawn_periodic("test", Duration::from_secs(10), move || {
            c.fetch_add(1, Ordering::SeqCst);
        });
        tokio::time::sleep(Duration::from_secs(35)).await;
        assert_eq!(n.load(Ordering::SeqCst), 3);
        h.abort();
        let z = spawn_periodic("zero", Duration::ZERO, || panic!("must not run"));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(z.is_finished());
    }
}
