//! The history API, a Tocsin extension under `/api/tocsin/v1/history`
//! (documented in `docs/history-api.yaml`):
//!
//! - `GET …/alerts?filter=…&since=…&until=…&limit=…&cursor=…`: alerts that
//!   were firing in the range and match every `filter` (Alertmanager
//!   matcher syntax, as on `/api/v2/alerts`);
//! - `GET …/alerts/{fingerprint}`: one alert and its timeline;
//! - `GET …/notifications?receiver=…&integration=…&group_key=…&outcome=…`:
//!   notification attempts.
//!
//! Lists are newest first; `nextCursor` fetches the next page.

// Handlers return early with a finished error `Response`, as in API v2.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};

use crate::web::lenient::RawQuery;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::AppState;
use super::v2::params::Query;
use super::v2::{json_response, time};
use crate::history::Outcome;
use crate::history::query::{self, NotificationFilter, QueryError, Range};

/// Where the history API lives, under the route prefix.
pub const BASE: &str = "/api/tocsin/v1/history";

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(&format!("{BASE}/alerts"), get(get_alerts))
        .route(&format!("{BASE}/alerts/{{fingerprint}}"), get(get_alert))
        .route(&format!("{BASE}/notifications"), get(get_notifications))
        .with_state(state)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(status, &serde_json::json!({ "error": message.into() }))
}

fn no_history() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "no history: Tocsin runs with --storage.in-memory",
    )
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

fn range(q: &Query) -> Result<Range, Response> {
    let when = |key: &str| -> Result<Option<crate::alert::Timestamp>, Response> {
        match q.first(key) {
            None | Some("") => Ok(None),
            Some(v) => time::parse(v).map_err(|e| bad_request(format!("invalid {key} {v:?}: {e}"))),
        }
    };
    let limit = match q.first("limit") {
        None | Some("") => 0,
        Some(v) => v.parse::<usize>().map_err(|_| {
            bad_request(format!(
                "invalid limit {v:?}: a number from 1 to {}",
                query::MAX_LIMIT
            ))
        })?,
    };
    Ok(Range {
        since: when("since")?,
        until: when("until")?,
        limit,
        cursor: q
            .first("cursor")
            .filter(|c| !c.is_empty())
            .map(String::from),
    })
}

/// Runs a query on a reader, off the async threads.
async fn run<T: serde::Serialize + Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&rusqlite::Connection) -> Result<T, QueryError> + Send + 'static,
) -> Response {
    let Some(history) = state.history() else {
        return no_history();
    };
    let out = tokio::task::spawn_blocking(move || history.read(|c| Ok(f(c)))).await;
    match out {
        Ok(Ok(Ok(v))) => json_response(StatusCode::OK, &v),
        Ok(Ok(Err(QueryError::BadCursor(c)))) => bad_request(format!("invalid cursor {c:?}")),
        Ok(Ok(Err(QueryError::NotFound(what)))) => error(StatusCode::NOT_FOUND, what),
        Ok(Ok(Err(e))) => {
            tracing::error!(err = %e, "History query failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
        Ok(Err(e)) => {
            tracing::error!(err = %e, "History query failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, e)
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn get_alerts(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw.as_deref());
    let matchers = match super::v2::parse_filter(&state, q.all("filter")) {
        Ok(m) => m,
        Err(e) => return bad_request(format!("invalid filter: {e}")),
    };
    let range = match range(&q) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    run(&state, move |c| query::alerts(c, &matchers, &range)).await
}

async fn get_alert(
    State(state): State<Arc<AppState>>,
    Path(fingerprint): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    let Ok(fp) = u64::from_str_radix(&fingerprint, 16) else {
        return bad_request(format!(
            "invalid fingerprint {fingerprint:?}: 16 hexadecimal digits"
        ));
    };
    let range = match range(&q) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    run(&state, move |c| {
        query::timeline(c, fp, &range)?.ok_or_else(|| {
            QueryError::NotFound(format!(
                "no alert with fingerprint {fingerprint} in the history"
            ))
        })
    })
    .await
}

async fn get_notifications(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    let text = |k: &str| q.first(k).filter(|v| !v.is_empty()).map(String::from);
    let outcome = match q.first("outcome") {
        None | Some("") => None,
        Some(o) => match Outcome::parse(o) {
            Some(o) => Some(o),
            None => {
                return bad_request(format!("invalid outcome {o:?}: \"success\" or \"failure\""));
            }
        },
    };
    let filter = NotificationFilter {
        receiver: text("receiver"),
        integration: text("integration"),
        group_key: text("group_key"),
        outcome,
    };
    let range = match range(&q) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    run(&state, move |c| query::notifications(c, &filter, &range)).await
}
