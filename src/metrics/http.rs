//! HTTP server metrics and the middleware that records them.
//!
//! Alertmanager v0.34 instruments its web endpoints in two ways, reproduced
//! here:
//!
//! - Routes of the web router (`/-/healthy`, `/-/reload`, `/metrics`, the UI,
//!   the removed v1 API) record `alertmanager_http_request_duration_seconds`
//!   `{handler,method,code}` and `alertmanager_http_response_size_bytes`
//!   `{handler,method}`. `handler` is the route pattern relative to the route
//!   prefix, in httprouter syntax (`/lib/*path`, and v1 routes relative to
//!   `/api/v1`, e.g. `/silence/:sid`). Requests matching no route are not
//!   recorded.
//! - API v2 requests record the duration only, with `handler` the request path
//!   relative to the route prefix (`/api/v2/alerts/groups`), except that
//!   `/api/v2/silence/<id>` becomes `/api/v2/silence/{silenceID}`.
//!
//! GET requests also pass a concurrency limiter
//! (`--web.get-concurrency`, default max(CPUs, 8)): it tracks
//! `alertmanager_http_requests_in_flight{method="get"}` and answers 503,
//! counting `alertmanager_http_concurrency_limit_exceeded_total{method="get"}`,
//! when full. The limiter sits outside the v2 instrumentation but inside the
//! router's, so a rejected v2 request is recorded (code 503) and a rejected
//! router request is not.
//!
//! Mount [`instrument`] on the outermost router:
//! `router.layer(axum::middleware::from_fn_with_state(instrumentation, instrument))`.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, HttpBody as _};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

use super::registry::MetricRegistry;

/// Labels of `alertmanager_http_request_duration_seconds`, in Go's
/// (alphabetical) output order.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DurationLabels {
    code: String,
    handler: String,
    method: String,
}

/// Labels of `alertmanager_http_response_size_bytes`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SizeLabels {
    handler: String,
    method: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Handles for the HTTP server metrics.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    request_duration: HistogramFamily<DurationLabels>,
    response_size: HistogramFamily<SizeLabels>,
    /// `alertmanager_http_requests_in_flight{method="get"}`.
    pub requests_in_flight: Gauge,
    /// `alertmanager_http_concurrency_limit_exceeded_total{method="get"}`.
    pub concurrency_limit_exceeded: Counter,
}

fn response_size_histogram() -> Histogram {
    Histogram::new(exponential_buckets(100.0, 10.0, 7))
}

impl HttpMetrics {
    /// Registers the family with `reg`.
    pub fn register(reg: &MetricRegistry) -> HttpMetrics {
        HttpMetrics {
            request_duration: reg.register(
                "alertmanager_http_request_duration_seconds",
                "Histogram of latencies for HTTP requests.",
                Family::new_with_constructor(super::default_histogram as fn() -> Histogram),
            ),
            response_size: reg.register(
                "alertmanager_http_response_size_bytes",
                "Histogram of response size for HTTP requests.",
                Family::new_with_constructor(response_size_histogram as fn() -> Histogram),
            ),
            requests_in_flight: reg.register_with_labels(
                "alertmanager_http_requests_in_flight",
                "Current number of HTTP requests being processed.",
                &[("method", "get")],
            ),
            concurrency_limit_exceeded: reg.register_with_labels(
                "alertmanager_http_concurrency_limit_exceeded_total",
                "Total number of times an HTTP request failed because the concurrency limit was reached.",
                &[("method", "get")],
            ),
        }
    }

    /// Records a finished request to a router endpoint: its duration and
    /// response body size. `method` is the HTTP method as received.
    pub fn observe_request(
        &self,
        handler: &str,
        method: &str,
        code: u16,
        duration: Duration,
        response_size: u64,
    ) {
        self.observe_request_duration(handler, method, code, duration);
        let labels = SizeLabels {
            handler: handler.to_string(),
            method: sanitize_method(method).to_string(),
        };
        self.response_size
            .get_or_create(&labels)
            .observe(response_size as f64);
    }

    /// Records a finished request's duration only (API v2 requests).
    pub fn observe_request_duration(
        &self,
        handler: &str,
        method: &str,
        code: u16,
        duration: Duration,
    ) {
        let labels = DurationLabels {
            code: sanitize_code(code),
            handler: handler.to_string(),
            method: sanitize_method(method).to_string(),
        };
        self.request_duration
            .get_or_create(&labels)
            .observe(duration.as_secs_f64());
    }
}

/// The `method` label value: client_golang lower-cases the standard methods
/// (accepted in upper or lower case) and maps anything else to `unknown`.
pub fn sanitize_method(method: &str) -> &'static str {
    const KNOWN: [(&str, &str); 10] = [
        ("GET", "get"),
        ("PUT", "put"),
        ("HEAD", "head"),
        ("POST", "post"),
        ("DELETE", "delete"),
        ("CONNECT", "connect"),
        ("OPTIONS", "options"),
        ("NOTIFY", "notify"),
        ("TRACE", "trace"),
        ("PATCH", "patch"),
    ];
    KNOWN
        .iter()
        .find(|(upper, lower)| method == *upper || method == *lower)
        .map(|(_, lower)| *lower)
        .unwrap_or("unknown")
}

/// The `code` label value; an unset status (0) counts as 200, as in Go.
fn sanitize_code(code: u16) -> String {
    if code == 0 {
        "200".to_string()
    } else {
        code.to_string()
    }
}

/// The `handler` label of an API v2 request, from its path relative to the
/// route prefix: silence ids are replaced to bound cardinality.
pub fn api_v2_handler(path: &str) -> Cow<'_, str> {
    if path.starts_with("/api/v2/silence/") {
        Cow::Borrowed("/api/v2/silence/{silenceID}")
    } else {
        Cow::Borrowed(path)
    }
}

/// The `handler` label of a router endpoint, from axum's matched route
/// pattern: relative to `route_prefix` (and, for the removed v1 API, to
/// `/api/v1`, as Go's sub-router names them), with axum's `{name}` and
/// `{*name}` parameters written as httprouter's `:name` and `*name`.
pub fn route_handler(matched: &str, route_prefix: &str) -> String {
    let rel = if route_prefix == "/" {
        matched
    } else {
        matched.strip_prefix(route_prefix).unwrap_or(matched)
    };
    let rel = rel
        .strip_prefix("/api/v1")
        .filter(|r| r.starts_with('/'))
        .unwrap_or(rel);
    let mut out = String::with_capacity(rel.len());
    let mut rest = rel;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match name.strip_prefix('*') {
                    Some(catch_all) => {
                        out.push('*');
                        out.push_str(catch_all);
                    }
                    None => {
                        out.push(':');
                        out.push_str(name);
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Limits concurrent GET requests and tracks how many are in flight.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimiter {
    limit: usize,
    current: Arc<AtomicUsize>,
    in_flight: Gauge,
    exceeded: Counter,
}

impl ConcurrencyLimiter {
    /// A limiter admitting `limit` concurrent GETs; 0 means the default.
    pub fn new(limit: usize, metrics: &HttpMetrics) -> ConcurrencyLimiter {
        ConcurrencyLimiter {
            limit: if limit == 0 {
                Self::default_limit()
            } else {
                limit
            },
            current: Arc::new(AtomicUsize::new(0)),
            in_flight: metrics.requests_in_flight.clone(),
            exceeded: metrics.concurrency_limit_exceeded.clone(),
        }
    }

    /// Alertmanager's default: the number of CPUs, at least 8.
    pub fn default_limit() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .max(8)
    }

    /// The effective limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Admits a request, or counts a rejection and returns `None` when the
    /// limit is reached. Dropping the guard ends the request.
    pub fn try_acquire(&self) -> Option<InFlightGuard> {
        let admitted = self
            .current
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .is_ok();
        if !admitted {
            self.exceeded.inc();
            return None;
        }
        self.in_flight.inc();
        Some(InFlightGuard {
            current: self.current.clone(),
            in_flight: self.in_flight.clone(),
        })
    }

    /// Alertmanager's 503 body when the limit is reached.
    pub fn exceeded_message(&self) -> String {
        format!(
            "Limit of concurrent GET requests reached ({}), try again later.\n",
            self.limit
        )
    }
}

/// One admitted GET request; releases its slot when dropped.
#[derive(Debug)]
pub struct InFlightGuard {
    current: Arc<AtomicUsize>,
    in_flight: Gauge,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.current.fetch_sub(1, Ordering::AcqRel);
        self.in_flight.dec();
    }
}

/// State of the [`instrument`] middleware.
#[derive(Debug, Clone)]
pub struct HttpInstrumentation {
    metrics: HttpMetrics,
    limiter: ConcurrencyLimiter,
    route_prefix: Arc<str>,
}

impl HttpInstrumentation {
    /// `route_prefix` is `/` or `/prefix` (no trailing slash); `get_limit` is
    /// `--web.get-concurrency` (0 = default).
    pub fn new(metrics: &HttpMetrics, route_prefix: &str, get_limit: usize) -> HttpInstrumentation {
        HttpInstrumentation {
            metrics: metrics.clone(),
            limiter: ConcurrencyLimiter::new(get_limit, metrics),
            route_prefix: Arc::from(route_prefix),
        }
    }

    /// The GET limiter in use.
    pub fn limiter(&self) -> &ConcurrencyLimiter {
        &self.limiter
    }

    /// The v2 `handler` label for `path`, if the request is for API v2.
    fn api_v2_label(&self, path: &str) -> Option<String> {
        let api_prefix = if &*self.route_prefix == "/" {
            ""
        } else {
            &self.route_prefix
        };
        let rel = path.strip_prefix(api_prefix)?;
        rel.starts_with("/api/v2/")
            .then(|| api_v2_handler(rel).into_owned())
    }
}

/// Axum middleware recording the HTTP metrics and applying the GET limit; see
/// the module documentation for what is recorded.
pub async fn instrument(
    State(inst): State<HttpInstrumentation>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let v2_handler = inst.api_v2_label(req.uri().path());
    let routed_handler = match (&v2_handler, req.extensions().get::<MatchedPath>()) {
        (None, Some(m)) => Some(route_handler(m.as_str(), &inst.route_prefix)),
        _ => None,
    };

    let _guard = if method == Method::GET {
        match inst.limiter.try_acquire() {
            Some(g) => Some(g),
            None => {
                let resp = limit_exceeded(&inst.limiter);
                if let Some(h) = &v2_handler {
                    inst.metrics
                        .observe_request_duration(h, method.as_str(), 503, start.elapsed());
                }
                return resp;
            }
        }
    } else {
        None
    };

    let resp = next.run(req).await;
    let code = resp.status().as_u16();
    if let Some(h) = v2_handler {
        inst.metrics
            .observe_request_duration(&h, method.as_str(), code, start.elapsed());
        return resp;
    }
    let Some(h) = routed_handler else {
        return resp;
    };
    let (resp, size) = measure_body(resp).await;
    inst.metrics
        .observe_request(&h, method.as_str(), code, start.elapsed(), size);
    resp
}

fn limit_exceeded(limiter: &ConcurrencyLimiter) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        limiter.exceeded_message(),
    )
        .into_response()
}

/// The body size of a response. Tocsin's handlers produce complete bodies
/// whose size is known; anything streamed is buffered to be measured.
async fn measure_body(resp: Response) -> (Response, u64) {
    let (parts, body) = resp.into_parts();
    if let Some(n) = body.size_hint().exact() {
        return (Response::from_parts(parts, body), n);
    }
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            let n = bytes.len() as u64;
            (Response::from_parts(parts, Body::from(bytes)), n)
        }
        Err(e) => {
            tracing::warn!(err = %e, "Reading response body for metrics failed");
            (Response::from_parts(parts, Body::empty()), 0)
        }
    }
}

#[cfg(test)]
mod tests;
