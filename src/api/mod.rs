//! HTTP endpoints, mounted under the route prefix: API v2, the operational
//! endpoints (`/-/healthy`, `/-/ready`, `/-/reload`), `/metrics`, and API v1's
//! "gone" answers.

pub mod graphs;
pub mod history;
pub mod receivers;
pub mod v2;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};

use crate::alert::Timestamp;
use crate::config::Config;
use crate::config::coordinator::Coordinator;
use crate::dispatch::Route;
use crate::inhibit::Inhibitor;
use crate::matcher::compat::ParseMode;
use crate::metrics::Metrics;
use crate::notify::pipeline::{Pipeline, PipelineDeps};
use crate::silence::Silences;
use crate::store::AlertStore;

/// What follows the configuration: rebuilt on every (re)load.
pub struct Live {
    pub config: Arc<Config>,
    pub route: Route,
    pub inhibitor: Arc<Inhibitor>,
    /// The notification pipeline the dispatcher flushes groups to.
    pub pipeline: Arc<Pipeline>,
    /// The configuration re-marshalled with defaults and masked secrets, as
    /// `/api/v2/status` shows it.
    pub original_yaml: String,
}

impl Live {
    /// Builds everything that follows a configuration; fails when an
    /// integration cannot be built (a missing CA file, say).
    pub fn new(config: Arc<Config>, deps: &PipelineDeps) -> Result<Live, String> {
        let route = Route::new(config.root_route());
        let inhibitor = Arc::new(Inhibitor::new(&config.inhibit_rules));
        let pipeline = Arc::new(Pipeline::new(&config, inhibitor.clone(), deps.clone())?);
        let original_yaml = config.to_yaml();
        Ok(Live {
            config,
            route,
            inhibitor,
            pipeline,
            original_yaml,
        })
    }
}

/// This instance as a cluster member (shown in `/api/v2/status`).
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub name: String,
    pub address: String,
}

/// What the handlers share.
pub struct AppState {
    pub coordinator: Arc<Coordinator>,
    /// Set once startup work is done.
    pub ready: AtomicBool,
    pub alerts: Arc<AlertStore>,
    pub silences: Arc<Silences>,
    pub metrics: Arc<Metrics>,
    pub matcher_mode: ParseMode,
    pub started: Timestamp,
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
    live: RwLock<Arc<Live>>,
    /// Conditions besides [`AppState::ready`] that `/-/ready` requires
    /// (the state database is writable).
    ready_checks: RwLock<Vec<ReadyCheck>>,
    /// The record of alerts and notifications (none in memory-only mode).
    history: RwLock<Option<crate::history::History>>,
    /// Charts for notifications (`--graph.prometheus-url`).
    graphs: RwLock<Option<Arc<crate::graph::Grapher>>>,
    /// The version `/api/v2/status` reports (`--api.reported-version`).
    reported_version: std::sync::OnceLock<String>,
}

/// A readiness condition: `Err` says why the instance is not ready.
pub type ReadyCheck = Box<dyn Fn() -> Result<(), String> + Send + Sync>;

impl AppState {
    pub fn new(
        coordinator: Arc<Coordinator>,
        alerts: Arc<AlertStore>,
        silences: Arc<Silences>,
        metrics: Arc<Metrics>,
        matcher_mode: ParseMode,
        cluster: Option<Arc<crate::cluster::Cluster>>,
        live: Live,
    ) -> AppState {
        AppState {
            coordinator,
            ready: AtomicBool::new(false),
            alerts,
            silences,
            metrics,
            matcher_mode,
            started: chrono::Utc::now(),
            cluster,
            live: RwLock::new(Arc::new(live)),
            ready_checks: RwLock::new(Vec::new()),
            history: RwLock::new(None),
            graphs: RwLock::new(None),
            reported_version: std::sync::OnceLock::new(),
        }
    }

    /// Sets the version `/api/v2/status` reports (once, at start).
    pub fn set_reported_version(&self, version: String) {
        let _ = self.reported_version.set(version);
    }

    /// The version `/api/v2/status` reports.
    pub fn reported_version(&self) -> &str {
        self.reported_version
            .get()
            .map_or(crate::cli::ALERTMANAGER_COMPAT_VERSION, String::as_str)
    }

    /// Plugs the chart maker in (public chart links).
    pub fn set_graphs(&self, graphs: Option<Arc<crate::graph::Grapher>>) {
        *self.graphs.write().unwrap_or_else(|e| e.into_inner()) = graphs;
    }

    /// The chart maker, when charts are on.
    pub fn graphs(&self) -> Option<Arc<crate::graph::Grapher>> {
        self.graphs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Adds a condition `/-/ready` requires.
    pub fn set_ready_check(&self, check: ReadyCheck) {
        self.ready_checks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(check);
    }

    /// Plugs the history in (history API, receivers' last attempts).
    pub fn set_history(&self, history: Option<crate::history::History>) {
        *self.history.write().unwrap_or_else(|e| e.into_inner()) = history;
    }

    /// The history, when there is one.
    pub fn history(&self) -> Option<crate::history::History> {
        self.history
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the instance is ready, or why not.
    pub fn readiness(&self) -> Result<(), String> {
        if !self.ready.load(Ordering::Acquire) {
            return Err("starting".to_string());
        }
        for check in self
            .ready_checks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            check()?;
        }
        Ok(())
    }

    /// The configuration-dependent parts in force.
    pub fn live(&self) -> Arc<Live> {
        self.live.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts a newly loaded configuration in force.
    pub fn set_live(&self, live: Live) {
        *self.live.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(live);
    }

    pub(crate) fn metrics_received(&self, firing: bool) {
        self.metrics.api.alert_received(firing);
    }

    pub(crate) fn metrics_invalid(&self) {
        self.metrics.api.alert_invalid();
    }
}

/// The router, with every endpoint under `route_prefix` (`/` or `/prefix`).
pub fn router(state: Arc<AppState>, route_prefix: &str) -> Router {
    let app = Router::new()
        .route("/-/healthy", get(ok_text).head(ok_empty))
        .route("/-/ready", get(ready).head(ready))
        .route("/-/reload", axum::routing::post(reload))
        .route("/metrics", get(metrics))
        .route("/api/v1/{*rest}", any(v1_gone))
        .route("/graphs/{file}", get(graphs::public_chart))
        .route("/api/tocsin/v1/graph/{file}", get(graphs::alert_chart))
        .route(
            receivers::PATH,
            axum::routing::post(receivers::test_receivers),
        )
        .with_state(state.clone())
        .merge(history::router(state.clone()))
        .merge(crate::ui::router(route_prefix))
        .merge(v2::router(state));
    if route_prefix == "/" {
        app
    } else {
        let target = route_prefix.to_string();
        Router::new()
            .nest(route_prefix, app)
            .merge(crate::ui::index_with_slash(route_prefix))
            .route(
                "/",
                get(move || async move {
                    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
                }),
            )
    }
}

async fn ok_text() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "OK").into_response()
}

async fn ok_empty() -> StatusCode {
    StatusCode::OK
}

async fn ready(State(s): State<Arc<AppState>>) -> Response {
    match s.readiness() {
        Ok(()) => ok_text().await,
        // Alertmanager's body while starting; the reason otherwise.
        Err(why) if why == "starting" => {
            (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
        }
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("Service Unavailable: {why}"),
        )
            .into_response(),
    }
}

async fn reload(State(s): State<Arc<AppState>>) -> Response {
    match s.coordinator.reload().await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("failed to reload config: {e}\n"),
        )
            .into_response(),
    }
}

async fn metrics(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (content_type, body) = s.metrics.render(accept);
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// API v1 was removed in Alertmanager 0.27; its routes answer 410.
async fn v1_gone() -> Response {
    v2::json_response(
        StatusCode::GONE,
        &serde_json::json!({
            "status": "deprecated",
            "error": "The Alertmanager v1 API was deprecated in version 0.16.0 and is removed as of version 0.27.0 - please use the equivalent route in the v2 API"
        }),
    )
}

/// CORS as Alertmanager's API answers it (`rs/cors` defaults): any origin,
/// preflights for GET, POST and HEAD.
pub async fn cors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let origin = req.headers().contains_key(header::ORIGIN);
    let preflight_method = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_uppercase);
    let is_v2 = req.uri().path().contains("/api/v2/");
    if req.method() == axum::http::Method::OPTIONS
        && origin
        && let Some(m) = preflight_method
    {
        {
            let mut resp = StatusCode::OK.into_response();
            if matches!(m.as_str(), "GET" | "POST" | "HEAD") {
                let h = resp.headers_mut();
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    header::HeaderValue::from_static("*"),
                );
                if let Ok(v) = header::HeaderValue::from_str(&m) {
                    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
                }
            }
            return resp;
        }
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if origin {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            header::HeaderValue::from_static("*"),
        );
    }
    if is_v2 {
        h.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    resp
}

/// `--web.timeout`: requests taking longer get Go's `http.TimeoutHandler` answer.
pub async fn timeout(
    State(limit): State<std::time::Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            format!(
                "Exceeded configured timeout of {}.\n",
                crate::config::types::format_go_duration(limit)
            ),
        )
            .into_response(),
    }
}
