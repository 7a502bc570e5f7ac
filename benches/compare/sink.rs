//! A webhook receiver on loopback that notes when each group's
//! notification arrived (keyed by the `instance` label its alerts share).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;

#[derive(Default)]
struct Seen {
    /// First arrival per instance.
    first: HashMap<String, Instant>,
    /// Every notification, duplicates included.
    posts: usize,
    /// PagerDuty events and Slack messages received (the receiver of
    /// three integrations), and when the last one arrived.
    pagerduty: usize,
    slack: usize,
    last_other: Option<Instant>,
}

/// The running sink.
#[derive(Clone)]
pub struct Sink {
    pub url: String,
    seen: Arc<Mutex<Seen>>,
    changed: Arc<tokio::sync::Notify>,
}

async fn hook(State(sink): State<Sink>, body: Bytes) -> &'static str {
    let now = Instant::now();
    let instance = instance_of(&body).unwrap_or_default();
    {
        let mut seen = sink.seen.lock().unwrap();
        seen.posts += 1;
        seen.first.entry(instance).or_insert(now);
    }
    sink.changed.notify_waiters();
    "ok"
}

/// PagerDuty's Events API v2: 202 and its JSON answer.
async fn pagerduty(State(sink): State<Sink>) -> impl axum::response::IntoResponse {
    {
        let mut seen = sink.seen.lock().unwrap();
        seen.pagerduty += 1;
        seen.last_other = Some(Instant::now());
    }
    sink.changed.notify_waiters();
    (
        axum::http::StatusCode::ACCEPTED,
        [("content-type", "application/json")],
        r#"{"status":"success","message":"Event processed","dedup_key":"x"}"#,
    )
}

/// A Slack incoming webhook: `ok`.
async fn slack(State(sink): State<Sink>) -> &'static str {
    {
        let mut seen = sink.seen.lock().unwrap();
        seen.slack += 1;
        seen.last_other = Some(Instant::now());
    }
    sink.changed.notify_waiters();
    "ok"
}

/// The `instance` of `commonLabels` in a webhook body, found without
/// decoding the whole body (the sink shares its core with the load, and a
/// burst brings thousands of bodies a second). Both servers write compact
/// JSON with these keys.
fn instance_of(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let common = &text[text.find("\"commonLabels\":{")?..];
    let common = &common[..common.find('}')?];
    let key = "\"instance\":\"";
    let value = &common[common.find(key)? + key.len()..];
    Some(value[..value.find('"')?].to_string())
}

impl Sink {
    pub async fn start() -> Sink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("sink binds a loopback port");
        let sink = Sink {
            url: format!("http://{}/hook", listener.local_addr().unwrap()),
            seen: Arc::default(),
            changed: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/hook", post(hook))
            .route("/pagerduty/v2/enqueue", post(pagerduty))
            .route("/slack", post(slack))
            .with_state(sink.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        sink
    }

    /// Forgets what arrived so far.
    pub fn clear(&self) {
        *self.seen.lock().unwrap() = Seen::default();
    }

    /// When the notification for `instance` arrived.
    pub fn arrival(&self, instance: &str) -> Option<Instant> {
        self.seen.lock().unwrap().first.get(instance).copied()
    }

    /// (distinct groups, notifications) so far.
    pub fn counts(&self) -> (usize, usize) {
        let s = self.seen.lock().unwrap();
        (s.first.len(), s.posts)
    }

    /// (PagerDuty events, Slack messages) so far.
    pub fn other_counts(&self) -> (usize, usize) {
        let s = self.seen.lock().unwrap();
        (s.pagerduty, s.slack)
    }

    /// The latest arrival of any kind so far.
    pub fn last_of_all(&self) -> Option<Instant> {
        let s = self.seen.lock().unwrap();
        s.first.values().max().copied().max(s.last_other)
    }

    /// The base URL the routes hang from (`http://127.0.0.1:port`).
    pub fn base(&self) -> String {
        self.url.trim_end_matches("/hook").to_string()
    }

    /// The latest arrival so far.
    pub fn last_arrival(&self) -> Option<Instant> {
        self.seen.lock().unwrap().first.values().max().copied()
    }

    /// Waits until `done` holds or `limit` passes; whether it held.
    pub async fn wait(&self, limit: Duration, done: impl Fn(&Sink) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let changed = self.changed.notified();
            if done(self) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            // Wake on every arrival, and at least every 50 ms.
            let _ = tokio::time::timeout(left.min(Duration::from_millis(50)), changed).await;
        }
    }
}
