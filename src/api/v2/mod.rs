//! Alertmanager's API v2 (`/api/v2/...`): alerts, alert groups, silences,
//! status and receivers, with go-swagger's status codes and error shapes.

// Handlers return early with a finished error `Response`, the usual axum
// pattern; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod alerts;
mod encode;
pub mod models;
pub(crate) mod params;
mod silences;
mod status;
pub mod time;

pub(crate) use alerts::parse_filter;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde::Serialize;

use super::AppState;

/// The v2 routes, under `/api/v2`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/v2", get(v2_root))
        .route("/api/v2/", get(v2_root))
        .route("/api/v2/status", allow(get(status::get_status), "GET"))
        .route(
            "/api/v2/receivers",
            allow(get(status::get_receivers), "GET"),
        )
        .route(
            "/api/v2/alerts",
            allow(
                get(alerts::get_alerts).post(alerts::post_alerts),
                "POST,GET",
            ),
        )
        .route(
            "/api/v2/alerts/groups",
            allow(get(alerts::get_alert_groups), "GET"),
        )
        .route(
            "/api/v2/silences",
            allow(
                get(silences::get_silences).post(silences::post_silences),
                "GET,POST",
            ),
        )
        .route(
            "/api/v2/silence/{id}",
            allow(
                get(silences::get_silence).delete(silences::delete_silence),
                "GET,DELETE",
            ),
        )
        .route("/api/v2/{*rest}", axum::routing::any(not_found))
        .with_state(state)
}

/// Answers other methods with go-swagger's 405.
fn allow(r: MethodRouter<Arc<AppState>>, allowed: &'static str) -> MethodRouter<Arc<AppState>> {
    r.fallback(move |method: Method| async move {
        let mut resp = swagger_error(
            StatusCode::METHOD_NOT_ALLOWED,
            405,
            &format!("method {method} is not allowed, but [{allowed}] are"),
        );
        resp.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static(allowed));
        resp
    })
}

/// `/api/v2` redirects to `/api/v2/`, which has nothing to serve.
async fn v2_root(axum::extract::OriginalUri(uri): axum::extract::OriginalUri) -> Response {
    let path = uri.path();
    if path.ends_with('/') {
        return swagger_error(StatusCode::NOT_FOUND, 404, "path /api/v2/ was not found");
    }
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, format!("{path}/"))],
    )
        .into_response()
}

async fn not_found(axum::extract::Path(rest): axum::extract::Path<String>) -> Response {
    swagger_error(
        StatusCode::NOT_FOUND,
        404,
        &format!("path /api/v2/{rest} was not found"),
    )
}

/// go-swagger's framework error body: `{"code":N,"message":"..."}`.
pub fn swagger_error(status: StatusCode, code: u16, message: &str) -> Response {
    #[derive(Serialize)]
    struct E<'a> {
        code: u16,
        message: &'a str,
    }
    json_response(status, &E { code, message })
}

/// A handler-level error: the body is a JSON string.
pub fn string_error(status: StatusCode, message: &str) -> Response {
    json_response(status, &message)
}

pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => json_bytes(status, bytes),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// An answer whose body is already JSON (serialized or written by hand).
pub fn json_bytes(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.into(),
    )
        .into_response()
}

/// Checks the request's content type as go-swagger does: JSON (with any
/// parameters) or a 415.
pub fn require_json(headers: &HeaderMap) -> Result<(), Response> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media == "application/json" {
        return Ok(());
    }
    Err(swagger_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        415,
        &format!(
            "unsupported media type {}, only [application/json] are allowed",
            crate::config::types::go_quote(&media)
        ),
    ))
}

/// Decodes a JSON body, answering go-swagger's 400 on malformed input.
pub fn decode_body<'a, T: serde::Deserialize<'a>>(
    what: &str,
    body: &'a Bytes,
) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| {
        swagger_error(
            StatusCode::BAD_REQUEST,
            400,
            &format!("parsing {what} body from \"\" failed, because {e}"),
        )
    })
}
