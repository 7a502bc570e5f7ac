//! Charts over HTTP:
//!
//! - `GET /graphs/<id>.png`: the public chart links put in Slack messages
//!   (see [`crate::graph::link`]). Served without basic authentication
//!   (Slack fetches them without credentials); an id that is not genuine,
//!   was altered or has expired answers 404, like a chart no longer kept.
//! - `GET /api/tocsin/v1/graph/<fingerprint>.png`: the chart of an active
//!   alert, drawn as its Slack message's would be (the UI's alert page);
//!   404 with the reason when charts are off, the alert is unknown or
//!   nothing can be drawn.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;

pub async fn public_chart(State(s): State<Arc<AppState>>, Path(file): Path<String>) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such chart (unknown, altered or expired link)\n",
        )
            .into_response()
    };
    let (Some(graphs), Some(id)) = (s.graphs(), file.strip_suffix(".png")) else {
        return not_found();
    };
    match graphs.public_chart(id).await {
        Some(png) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "private, max-age=86400"),
            ],
            png.to_vec(),
        )
            .into_response(),
        None => not_found(),
    }
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body + "\n",
    )
        .into_response()
}

pub async fn alert_chart(State(s): State<Arc<AppState>>, Path(file): Path<String>) -> Response {
    let Some(graphs) = s.graphs() else {
        return text(
            StatusCode::NOT_FOUND,
            "charts are off: start Tocsin with --graph.prometheus-url".into(),
        );
    };
    let fp = file
        .strip_suffix(".png")
        .and_then(|f| u64::from_str_radix(f, 16).ok());
    let Some(fp) = fp else {
        return text(
            StatusCode::BAD_REQUEST,
            format!("invalid fingerprint {file:?}: 16 hexadecimal digits and .png"),
        );
    };
    let Some(alert) = s.alerts.get(crate::alert::Fingerprint(fp)) else {
        return text(
            StatusCode::NOT_FOUND,
            format!("no active alert with fingerprint {fp:016x}"),
        );
    };
    match graphs.chart(&[alert], chrono::Utc::now()).await {
        Ok(chart) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            chart.png.to_vec(),
        )
            .into_response(),
        Err(e) => text(StatusCode::NOT_FOUND, format!("no chart: {e}")),
    }
}
