//! `GET /graphs/<id>.png`: the public chart links put in Slack messages
//! (see [`crate::graph::link`]). Served without basic authentication (Slack
//! fetches them without credentials); an id that is not genuine, was
//! altered or has expired answers 404, like a chart no longer kept.

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
