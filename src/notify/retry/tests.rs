//! Retry stage tests on a paused clock with a scripted notifier.

use std::sync::Mutex;

use super::*;
use crate::metrics::MetricRegistry;
use crate::metrics::notify::NotifyMetrics;
use crate::notify::testing::{alert, at};
use crate::notify::{Notifier, NotifyFuture};

/// What one scripted attempt does.
#[derive(Clone)]
enum Step {
    Ok,
    Fail(NotifyError),
    /// Sleeps, then succeeds.
    Slow(Duration),
    /// Sleeps, then fails.
    SlowFail(Duration, NotifyError),
}

fn server_error(msg: &str) -> Step {
    Step::Fail(NotifyError::retryable(FailureReason::ServerError, msg))
}

/// A notifier playing `steps` in order (repeating the last), recording when
/// each attempt started and which alerts it got.
struct Scripted {
    steps: Vec<Step>,
    origin: Instant,
    calls: Mutex<Vec<(Duration, Vec<String>)>>,
}

impl Scripted {
    fn new(steps: Vec<Step>) -> Arc<Scripted> {
        Arc::new(Scripted {
            steps,
            origin: Instant::now(),
            calls: Mutex::new(Vec::new()),
        })
    }

    fn call_times(&self) -> Vec<Duration> {
        self.calls.lock().unwrap().iter().map(|c| c.0).collect()
    }

    fn sent(&self) -> Vec<Vec<String>> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.1.clone())
            .collect()
    }
}

impl Notifier for Scripted {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    fn notify<'a>(&'a self, _ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(async move {
            let n = {
                let mut calls = self.calls.lock().unwrap();
                let names = alerts
                    .iter()
                    .map(|a| a.labels.get("instance").unwrap_or_default().to_string())
                    .collect();
                calls.push((self.origin.elapsed(), names));
                calls.len() - 1
            };
            match self.steps[n.min(self.steps.len() - 1)].clone() {
                Step::Ok => Ok(()),
                Step::Fail(e) => Err(e),
                Step::Slow(d) => {
                    tokio::time::sleep(d).await;
                    Ok(())
                }
                Step::SlowFail(d, e) => {
                    tokio::time::sleep(d).await;
                    Err(e)
                }
            }
        })
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn ctx() -> NotifyContext {
    NotifyContext::new("team-x", "{}:{a=\"b\"}", at(100))
}

fn ctx_with_deadline(after: Duration) -> NotifyContext {
    let mut c = ctx();
    c.deadline = Some(Instant::now() + after);
    c
}

fn steady() -> Backoff {
    Backoff::with_random(|| 0.5)
}

fn firing(instance: &str) -> Arc<Alert> {
    Arc::new(alert(
        &[("alertname", "A"), ("instance", instance)],
        0,
        None,
    ))
}

fn resolved(instance: &str) -> Arc<Alert> {
    Arc::new(alert(
        &[("alertname", "A"), ("instance", instance)],
        0,
        Some(50),
    ))
}

#[test]
fn backoff_follows_alertmanagers_schedule() {
    // Go truncates to whole nanoseconds at every step.
    let mut b = steady();
    let got: Vec<Duration> = (0..14).map(|_| b.next_interval()).collect();
    let want_ns: [u64; 14] = [
        500_000_000,
        750_000_000,
        1_125_000_000,
        1_687_500_000,
        2_531_250_000,
        3_796_875_000,
        5_695_312_500,
        8_542_968_750,
        12_814_453_125,
        19_221_679_687,
        28_832_519_530,
        43_248_779_295,
        60_000_000_000,
        60_000_000_000,
    ];
    let want: Vec<Duration> = want_ns.iter().map(|n| Duration::from_nanos(*n)).collect();
    assert_eq!(got, want);
}

#[test]
fn backoff_randomises_by_half_each_way() {
    let mut low = Backoff::with_random(|| 0.0);
    assert_eq!(low.next_interval(), ms(250));
    assert_eq!(low.next_interval(), ms(375));
    let mut high = Backoff::with_random(|| 0.999_999_999_9);
    assert_eq!(high.next_interval(), Duration::from_nanos(750_000_000));
    let mut random = Backoff::new();
    for expected in [500.0, 750.0, 1125.0] {
        let d = random.next_interval().as_secs_f64() * 1000.0;
        assert!(d >= expected * 0.5 && d <= expected * 1.5 + 1e-6, "{d}");
    }
}

#[tokio::test(start_paused = true)]
async fn first_attempt_is_immediate_and_retries_follow_the_backoff() {
    let n = Scripted::new(vec![server_error("boom"), server_error("boom"), Step::Ok]);
    let i = Integration::new(n.clone(), 0, true);
    let r = retry_with_backoff(&i, &ctx(), &[firing("a")], steady()).await;
    assert_eq!(r, Ok(()));
    assert_eq!(n.call_times(), [ms(0), ms(500), ms(1250)]);
}

#[tokio::test(start_paused = true)]
async fn a_slow_attempt_is_followed_at_once() {
    // The interval runs from the start of an attempt: after a 2 s failure
    // the 0.5 s interval has long passed.
    let n = Scripted::new(vec![
        Step::SlowFail(
            ms(2000),
            NotifyError::retryable(FailureReason::Other, "slow"),
        ),
        Step::Ok,
    ]);
    let i = Integration::new(n.clone(), 0, true);
    retry_with_backoff(&i, &ctx(), &[firing("a")], steady())
        .await
        .unwrap();
    assert_eq!(n.call_times(), [ms(0), ms(2000)]);
}

#[tokio::test(start_paused = true)]
async fn unrecoverable_errors_stop_at_once() {
    let n = Scripted::new(vec![
        server_error("boom"),
        Step::Fail(NotifyError::permanent(
            FailureReason::ClientError,
            "unexpected status code 400: bad",
        )),
    ]);
    let i = Integration::new(n.clone(), 2, true);
    let e = retry_with_backoff(&i, &ctx(), &[firing("a")], steady())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "team-x/webhook[2]: notify retry canceled due to unrecoverable error after 2 attempts: unexpected status code 400: bad"
    );
    assert_eq!(e.reason, FailureReason::ClientError);
    assert!(!e.retryable);
    assert_eq!(n.call_times().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_ends_retrying_with_the_last_error() {
    let n = Scripted::new(vec![server_error("first"), server_error("last")]);
    let i = Integration::new(n.clone(), 0, true);
    let start = Instant::now();
    let e = retry_with_backoff(&i, &ctx_with_deadline(ms(2000)), &[firing("a")], steady())
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), ms(2000));
    assert_eq!(n.call_times(), [ms(0), ms(500), ms(1250)]);
    assert_eq!(
        e.message,
        "team-x/webhook[0]: notify retry canceled after 3 attempts: last"
    );
    assert_eq!(e.reason, FailureReason::ServerError);
}

#[tokio::test(start_paused = true)]
async fn a_passed_deadline_sends_nothing() {
    let n = Scripted::new(vec![Step::Ok]);
    let i = Integration::new(n.clone(), 0, true);
    let e = retry_with_backoff(
        &i,
        &ctx_with_deadline(Duration::ZERO),
        &[firing("a")],
        steady(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message,
        "team-x/webhook[0]: notify retry canceled after 0 attempts: context deadline exceeded"
    );
    assert_eq!(e.reason, FailureReason::ContextDeadlineExceeded);
    assert!(n.call_times().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_attempt_running_into_the_deadline_is_aborted_and_counted() {
    let n = Scripted::new(vec![Step::Slow(Duration::from_secs(3600))]);
    let i = Integration::new(n.clone(), 0, true);
    let start = Instant::now();
    let e = retry_with_backoff(&i, &ctx_with_deadline(ms(1500)), &[firing("a")], steady())
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), ms(1500));
    assert_eq!(
        e.message,
        "team-x/webhook[0]: notify retry canceled after 1 attempts: context deadline exceeded"
    );
    assert_eq!(e.reason, FailureReason::ContextDeadlineExceeded);

    // With an earlier failure, that failure is reported.
    let n = Scripted::new(vec![
        server_error("boom"),
        Step::Slow(Duration::from_secs(3600)),
    ]);
    let i = Integration::new(n.clone(), 0, true);
    let e = retry_with_backoff(&i, &ctx_with_deadline(ms(1500)), &[firing("a")], steady())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "team-x/webhook[0]: notify retry canceled after 2 attempts: boom"
    );
    assert_eq!(e.reason, FailureReason::ServerError);
}

#[tokio::test(start_paused = true)]
async fn cancellation_stops_waiting_and_running_attempts() {
    let n = Scripted::new(vec![server_error("boom")]);
    let i = Integration::new(n.clone(), 0, true);
    let c = ctx();
    let cancel = c.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ms(600)).await;
        cancel.cancel();
    });
    let start = Instant::now();
    let e = retry_with_backoff(&i, &c, &[firing("a")], steady())
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), ms(600));
    assert_eq!(
        e.message,
        "team-x/webhook[0]: notify retry canceled after 2 attempts: boom"
    );

    let n = Scripted::new(vec![Step::Slow(Duration::from_secs(3600))]);
    let i = Integration::new(n.clone(), 0, true);
    let c = ctx();
    let cancel = c.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ms(10)).await;
        cancel.cancel();
    });
    let e = retry_with_backoff(&i, &c, &[firing("a")], steady())
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "team-x/webhook[0]: notify retry canceled after 1 attempts: context canceled"
    );
    assert_eq!(e.reason, FailureReason::ContextCanceled);
}

#[tokio::test(start_paused = true)]
async fn resolved_alerts_are_dropped_without_send_resolved() {
    let all = [firing("f1"), resolved("r1"), firing("f2")];

    let n = Scripted::new(vec![Step::Ok]);
    let i = Integration::new(n.clone(), 0, false);
    retry_with_backoff(&i, &ctx(), &all, steady())
        .await
        .unwrap();
    assert_eq!(n.sent(), [vec!["f1", "f2"]]);

    let n = Scripted::new(vec![Step::Ok]);
    let i = Integration::new(n.clone(), 0, true);
    retry_with_backoff(&i, &ctx(), &all, steady())
        .await
        .unwrap();
    assert_eq!(n.sent(), [vec!["f1", "r1", "f2"]]);

    // Nothing firing: success without sending.
    let n = Scripted::new(vec![Step::Ok]);
    let i = Integration::new(n.clone(), 0, false);
    retry_with_backoff(&i, &ctx(), &[resolved("r1")], steady())
        .await
        .unwrap();
    assert!(n.sent().is_empty());

    // Resolution is judged at the context's time, not the wall clock.
    let mut later = ctx();
    later.now = at(10);
    let n = Scripted::new(vec![Step::Ok]);
    let i = Integration::new(n.clone(), 0, false);
    retry_with_backoff(&i, &later, &[resolved("r1")], steady())
        .await
        .unwrap();
    assert_eq!(n.sent(), [vec!["r1"]]);
}

fn after(wait: Duration, msg: &str) -> Step {
    let mut e = NotifyError::retryable(FailureReason::ServerError, msg);
    e.retry_after = Some(wait);
    Step::Fail(e)
}

#[tokio::test(start_paused = true)]
async fn retry_after_postpones_the_next_attempt() {
    let n = Scripted::new(vec![
        after(ms(5000), "busy"),
        after(ms(100), "busy"),
        Step::Ok,
    ]);
    let i = Integration::new(n.clone(), 0, true);
    retry_with_backoff(&i, &ctx(), &[firing("a")], steady())
        .await
        .unwrap();
    // 5 s instead of 0.5 s; then the 0.75 s backoff beats the 0.1 s hint.
    assert_eq!(n.call_times(), [ms(0), ms(5000), ms(5750)]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_past_the_deadline_gives_up_at_once() {
    let n = Scripted::new(vec![after(Duration::from_secs(120), "slow down")]);
    let i = Integration::new(n.clone(), 0, true);
    let start = Instant::now();
    let e = retry_with_backoff(&i, &ctx_with_deadline(ms(30_000)), &[firing("a")], steady())
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(
        e.message,
        "team-x/webhook[0]: notify retry canceled after 1 attempts: slow down"
    );
    assert_eq!(e.reason, FailureReason::ServerError);
}

#[tokio::test(start_paused = true)]
async fn metrics_count_stages_attempts_and_failures() {
    let reg = MetricRegistry::new();
    let m = NotifyMetrics::register(&reg);
    let n = Scripted::new(vec![server_error("boom"), Step::Ok]);
    let i = Integration::new(n.clone(), 0, true).with_metrics(m.integration("webhook"));
    retry_with_backoff(&i, &ctx(), &[firing("a")], steady())
        .await
        .unwrap();
    let n2 = Scripted::new(vec![server_error("boom")]);
    let i2 = Integration::new(n2, 1, true).with_metrics(m.integration("webhook"));
    retry_with_backoff(&i2, &ctx_with_deadline(ms(100)), &[firing("a")], steady())
        .await
        .unwrap_err();
    // Skipped (nothing firing, send_resolved off) still counts as a stage.
    let n3 = Scripted::new(vec![Step::Ok]);
    let i3 = Integration::new(n3, 2, false).with_metrics(m.integration("webhook"));
    retry_with_backoff(&i3, &ctx(), &[resolved("r")], steady())
        .await
        .unwrap();

    let out = reg.encode();
    for line in [
        "alertmanager_notifications_total{integration=\"webhook\"} 3\n",
        "alertmanager_notifications_failed_total{integration=\"webhook\",reason=\"serverError\"} 1\n",
        "alertmanager_notification_requests_total{integration=\"webhook\"} 3\n",
        "alertmanager_notification_requests_failed_total{integration=\"webhook\"} 2\n",
        "alertmanager_notification_latency_seconds_count{integration=\"webhook\"} 3\n",
    ] {
        assert!(out.contains(line), "missing {line}");
    }
}
