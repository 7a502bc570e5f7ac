//! HTTP endpoints. For now the operational ones: `/-/healthy`, `/-/ready` and
//! `/-/reload`, mounted under the route prefix.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::config::coordinator::Coordinator;

/// What the handlers share.
pub struct AppState {
    pub coordinator: Arc<Coordinator>,
    /// Set once startup work is done.
    pub ready: AtomicBool,
}

/// The router, with every endpoint under `route_prefix` (`/` or `/prefix`).
pub fn router(state: Arc<AppState>, route_prefix: &str) -> Router {
    let ops = Router::new()
        .route("/-/healthy", get(ok_text).head(ok_empty))
        .route("/-/ready", get(ready).head(ready))
        .route("/-/reload", axum::routing::post(reload))
        .with_state(state);
    if route_prefix == "/" {
        ops
    } else {
        let target = route_prefix.to_string();
        Router::new().nest(route_prefix, ops).route(
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
    if s.ready.load(Ordering::Acquire) {
        ok_text().await
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
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
