//! Test helpers for integrations: alerts at fixed times and [`Sink`], a
//! local HTTP server on 127.0.0.1 that records every request and answers
//! with scripted replies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};

use crate::alert::{Alert, LabelSet, Timestamp};
use crate::notify::{NotifyContext, Templater};
use crate::template::AmTemplates;

/// 2026-01-02T03:00:00Z plus `secs`.
pub(crate) fn at(secs: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

/// An alert starting at `at(starts)` and ending at `at(ends)` if given.
pub(crate) fn alert(labels: &[(&str, &str)], starts: i64, ends: Option<i64>) -> Alert {
    Alert {
        labels: labels.iter().copied().collect::<LabelSet>(),
        annotations: LabelSet::empty(),
        starts_at: at(starts),
        ends_at: ends.map(at),
        updated_at: at(starts),
        generator_url: "".into(),
        timeout: false,
    }
}

/// One request the sink received.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// When the request arrived.
    pub at: std::time::Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("UTF-8 body")
    }
}

/// How the sink answers one request.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// Wait this long (real time) before answering.
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn body(mut self, body: &str) -> Reply {
        self.body = body.to_string();
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct SinkState {
    requests: Mutex<Vec<Recorded>>,
    replies: Mutex<VecDeque<Reply>>,
}

/// A recording HTTP server; answers `200 OK` once its scripted replies run
/// out. Stops when dropped.
pub(crate) struct Sink {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    state: Arc<SinkState>,
    task: tokio::task::JoinHandle<()>,
}

impl Sink {
    pub async fn start() -> Sink {
        let state = Arc::new(SinkState::default());
        let app = axum::Router::new()
            .fallback(record)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Sink { base, state, task }
    }

    /// The URL of `path` on the sink.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Queues the answer to a future request.
    pub fn reply(&self, reply: Reply) {
        self.state.replies.lock().unwrap().push_back(reply);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(
    State(state): State<Arc<SinkState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.requests.lock().unwrap().push(Recorded {
        method,
        uri,
        headers,
        body,
        at: std::time::Instant::now(),
    });
    let reply = state
        .replies
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Reply::status(200));
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut resp = (
        StatusCode::from_u16(reply.status).expect("valid status"),
        reply.body,
    )
        .into_response();
    for (name, value) in reply.headers {
        resp.headers_mut()
            .insert(name, value.parse().expect("valid header value"));
    }
    resp
}

// Shared by the integrations' tests: the built-in templates, a group's
// context, and its alerts firing or resolved.

pub(crate) fn templater() -> Arc<dyn Templater> {
    Arc::new(crate::notify::pipeline::AmTemplater::new(
        Arc::new(AmTemplates::builtin()),
        "http://am.example.com:9093".into(),
    ))
}

pub(crate) fn ctx() -> NotifyContext {
    let mut c = NotifyContext::new("team-X", "{}:{alertname=\"Disk\"}", at(60));
    c.group_labels = [("alertname", "Disk")].into_iter().collect();
    c.external_url = "http://am.example.com:9093".into();
    c
}

pub(crate) fn firing() -> Vec<Arc<Alert>> {
    vec![Arc::new(alert(
        &[("alertname", "Disk"), ("instance", "a")],
        0,
        None,
    ))]
}

pub(crate) fn resolved() -> Vec<Arc<Alert>> {
    vec![Arc::new(alert(
        &[("alertname", "Disk"), ("instance", "a")],
        0,
        Some(30),
    ))]
}
