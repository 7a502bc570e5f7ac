//! The retry stage: sends through one [`Integration`] until it succeeds,
//! fails for good, or the notification's deadline or cancellation stops it.
//!
//! The schedule is Alertmanager's exponential backoff ticker: the first
//! attempt at once, then one tick per interval, starting at 500 ms and
//! growing by 1.5× up to 60 s, each randomised by ±50 %. An interval is
//! counted from the start of the previous attempt, so a slow attempt is
//! followed at once by the next. A `Retry-After` from the server pushes the
//! next attempt back to at least that long after the failed one; when that
//! is past the deadline the stage gives up at once instead of waiting.

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{FailureReason, Integration, NotifyContext, NotifyError};
use crate::alert::Alert;

/// The first backoff interval.
pub const INITIAL_INTERVAL: Duration = Duration::from_millis(500);
/// Growth of the interval per attempt.
pub const MULTIPLIER: f64 = 1.5;
/// Each interval is drawn from `interval × (1 ± RANDOMIZATION)`.
pub const RANDOMIZATION: f64 = 0.5;
/// The interval stops growing here (before randomisation).
pub const MAX_INTERVAL: Duration = Duration::from_secs(60);

/// Exponential backoff intervals, as cenkalti/backoff computes them with
/// Alertmanager's settings.
pub struct Backoff {
    current: Duration,
    random: Box<dyn FnMut() -> f64 + Send>,
}

impl Backoff {
    /// Randomised intervals.
    pub fn new() -> Self {
        let mut state = RandomState::new().hash_one(0x5eed_u64) | 1;
        Backoff::with_random(move || {
            // xorshift64*: plenty for jitter.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let x = state.wrapping_mul(0x2545_f491_4f6c_dd1d);
            (x >> 11) as f64 / (1u64 << 53) as f64
        })
    }

    /// Intervals drawn with `random`, which returns values in `[0, 1)`;
    /// `|| 0.5` gives the unrandomised schedule.
    pub fn with_random(random: impl FnMut() -> f64 + Send + 'static) -> Self {
        Backoff {
            current: Duration::ZERO,
            random: Box::new(random),
        }
    }

    /// The wait before the next tick.
    pub fn next_interval(&mut self) -> Duration {
        if self.current.is_zero() {
            self.current = INITIAL_INTERVAL;
        }
        let current = self.current.as_nanos() as f64;
        let delta = RANDOMIZATION * current;
        let (low, high) = (current - delta, current + delta);
        let next = low + (self.random)() * (high - low + 1.0);
        if current >= MAX_INTERVAL.as_nanos() as f64 / MULTIPLIER {
            self.current = MAX_INTERVAL;
        } else {
            self.current = Duration::from_nanos((current * MULTIPLIER) as u64);
        }
        Duration::from_nanos(next as u64)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

impl std::fmt::Debug for Backoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backoff")
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

/// Alertmanager's RetryStage with randomised backoff; see
/// [`retry_with_backoff`].
pub async fn retry(
    integration: &Integration,
    ctx: &NotifyContext,
    alerts: &[Arc<Alert>],
) -> Result<(), NotifyError> {
    retry_with_backoff(integration, ctx, alerts, Backoff::new()).await
}

/// Sends `alerts` through `integration` until success, a permanent failure,
/// or `ctx`'s deadline or cancellation, waiting by `backoff` between
/// attempts.
///
/// Without `send_resolved`, resolved alerts are left out, and when none is
/// firing the stage succeeds without sending (so the notification log still
/// records the resolution). Errors read like Alertmanager's:
/// `<receiver>/<integration>[<idx>]: notify retry canceled due to
/// unrecoverable error after <n> attempts: <error>` and
/// `<receiver>/<integration>[<idx>]: notify retry canceled after <n>
/// attempts: <last error>`; the reason is the last attempt's (or the
/// context's when no attempt failed).
pub async fn retry_with_backoff(
    integration: &Integration,
    ctx: &NotifyContext,
    alerts: &[Arc<Alert>],
    backoff: Backoff,
) -> Result<(), NotifyError> {
    if let Some(m) = integration.metrics() {
        m.notifications.inc();
    }
    let result = run(integration, ctx, alerts, backoff).await;
    if let (Err(e), Some(m)) = (&result, integration.metrics()) {
        m.failed(e.reason).inc();
    }
    result
}

async fn run(
    integration: &Integration,
    ctx: &NotifyContext,
    alerts: &[Arc<Alert>],
    mut backoff: Backoff,
) -> Result<(), NotifyError> {
    let sent: Cow<'_, [Arc<Alert>]> = if integration.send_resolved() {
        Cow::Borrowed(alerts)
    } else {
        let firing: Vec<Arc<Alert>> = alerts
            .iter()
            .filter(|a| !a.resolved_at(ctx.now))
            .cloned()
            .collect();
        if firing.is_empty() {
            return Ok(());
        }
        Cow::Owned(firing)
    };

    let mut attempts: u32 = 0;
    let mut last_error: Option<NotifyError> = None;
    let mut next_tick = Instant::now();
    loop {
        if let Some(stop) = stopped_now(ctx) {
            return Err(gave_up(integration, ctx, attempts, last_error, stop));
        }
        // The first attempt goes at once: a timer, even an elapsed one,
        // costs a turn of the timer wheel (about a millisecond).
        if next_tick > Instant::now() {
            tokio::select! {
                biased;
                stop = stopped(ctx) => {
                    return Err(gave_up(integration, ctx, attempts, last_error, stop));
                }
                _ = tokio::time::sleep_until(next_tick) => {}
            }
        }

        let start = Instant::now();
        next_tick = start + backoff.next_interval();
        let started_at = chrono::Utc::now();
        let outcome = tokio::select! {
            biased;
            stop = stopped(ctx) => Err(NotifyError::retryable(stop, context_error(stop))),
            r = integration.notifier().notify(ctx, &sent) => r,
        };
        attempts += 1;
        let elapsed = start.elapsed();
        if let Some(m) = integration.metrics() {
            m.latency.observe(elapsed.as_secs_f64());
            m.requests.inc();
        }
        if let Some(h) = &ctx.history {
            h.record_attempt(attempt_record(
                integration,
                ctx,
                &sent,
                started_at,
                elapsed,
                attempts,
                outcome.as_ref().err(),
            ));
        }
        let err = match outcome {
            Ok(()) => {
                if attempts > 1 {
                    tracing::info!(receiver = %ctx.receiver, integration = %integration, aggrGroup = %ctx.group_key, attempts, "Notify success");
                } else {
                    tracing::debug!(receiver = %ctx.receiver, integration = %integration, aggrGroup = %ctx.group_key, attempts, "Notify success");
                }
                return Ok(());
            }
            Err(e) => e,
        };
        if let Some(m) = integration.metrics() {
            m.requests_failed.inc();
        }
        if !err.retryable {
            return Err(NotifyError::permanent(
                err.reason,
                format!(
                    "{}/{integration}: notify retry canceled due to unrecoverable error after {attempts} attempts: {}",
                    ctx.receiver, err.message
                ),
            ));
        }
        if stopped_now(ctx).is_some() {
            // The attempt ran into the deadline: keep the previous error.
            continue;
        }
        if last_error.as_ref().is_none_or(|l| l.message != err.message) {
            tracing::warn!(receiver = %ctx.receiver, integration = %integration, aggrGroup = %ctx.group_key, attempts, err = %err.message, "Notify attempt failed, will retry later");
        }
        if let Some(wait) = err.retry_after {
            let earliest = Instant::now() + wait;
            if ctx.deadline.is_some_and(|d| earliest >= d) {
                let reason = err.reason;
                return Err(gave_up(integration, ctx, attempts, Some(err), reason));
            }
            next_tick = next_tick.max(earliest);
        }
        last_error = Some(err);
    }
}

/// The history's record of one attempt.
fn attempt_record(
    integration: &Integration,
    ctx: &NotifyContext,
    sent: &[Arc<Alert>],
    at: chrono::DateTime<chrono::Utc>,
    duration: Duration,
    attempt: u32,
    err: Option<&NotifyError>,
) -> crate::history::Attempt {
    let (mut firing, mut resolved) = (Vec::new(), Vec::new());
    for a in sent {
        if a.resolved_at(ctx.now) {
            resolved.push(a.fingerprint().0);
        } else {
            firing.push(a.fingerprint().0);
        }
    }
    crate::history::Attempt {
        at,
        receiver: ctx.receiver.clone(),
        integration: integration.name().to_string(),
        index: integration.index() as u32,
        group_key: ctx.group_key.clone(),
        firing,
        resolved,
        outcome: if err.is_some() {
            crate::history::Outcome::Failure
        } else {
            crate::history::Outcome::Success
        },
        reason: err
            .map(|e| e.reason.as_str().to_string())
            .unwrap_or_default(),
        error: err.map(|e| e.message.clone()).unwrap_or_default(),
        status_code: err.and_then(|e| e.status),
        duration,
        attempt,
    }
}

/// Go's `context.Canceled` / `context.DeadlineExceeded` texts.
fn context_error(reason: FailureReason) -> &'static str {
    match reason {
        FailureReason::ContextCanceled => "context canceled",
        _ => "context deadline exceeded",
    }
}

/// The retry stage's error once it stops retrying.
fn gave_up(
    integration: &Integration,
    ctx: &NotifyContext,
    attempts: u32,
    last_error: Option<NotifyError>,
    stop: FailureReason,
) -> NotifyError {
    let (reason, cause) = match last_error {
        Some(e) => (e.reason, e.message),
        None => (stop, context_error(stop).to_string()),
    };
    NotifyError::retryable(
        reason,
        format!(
            "{}/{integration}: notify retry canceled after {attempts} attempts: {cause}",
            ctx.receiver
        ),
    )
}

/// Whether the context is already done, and why.
fn stopped_now(ctx: &NotifyContext) -> Option<FailureReason> {
    if ctx.cancel.is_cancelled() {
        Some(FailureReason::ContextCanceled)
    } else if ctx.deadline.is_some_and(|d| d <= Instant::now()) {
        Some(FailureReason::ContextDeadlineExceeded)
    } else {
        None
    }
}

/// Completes when the context is cancelled or its deadline passes.
async fn stopped(ctx: &NotifyContext) -> FailureReason {
    let deadline = async {
        match ctx.deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = ctx.cancel.cancelled() => FailureReason::ContextCanceled,
        _ = deadline => FailureReason::ContextDeadlineExceeded,
    }
}

#[cfg(test)]
mod tests;
