//! `GET/POST /silences`, `GET/DELETE /silence/{id}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};

use crate::web::lenient::RawQuery;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::models::{
    GettableMatcher, GettableSilence, PostableSilence, SilenceCreated, SilenceStatus,
};
use super::params::Query;
use super::{decode_body, json_response, require_json, string_error, swagger_error, time};
use crate::alert::Timestamp;
use crate::api::AppState;
use crate::silence::{self, Silence, SilenceError, SilenceState};

fn to_api(s: &Silence, now: Timestamp) -> GettableSilence<'_> {
    GettableSilence {
        id: &s.id,
        status: SilenceStatus {
            state: s.api_state_at(now).as_str(),
        },
        updated_at: time::format(&s.updated_at),
        annotations: s
            .annotations
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        comment: &s.comment,
        created_by: &s.created_by,
        ends_at: time::format(&s.ends_at),
        matchers: s
            .matchers
            .iter()
            .map(|m| GettableMatcher {
                is_equal: m.op().is_equal(),
                is_regex: m.op().is_regex(),
                name: m.name(),
                value: m.value(),
            })
            .collect(),
        starts_at: time::format(&s.starts_at),
    }
}

/// A path id must be a UUID, as the spec declares it.
fn check_uuid(id: &str) -> Result<(), Response> {
    if uuid::Uuid::try_parse(id).is_ok() {
        return Ok(());
    }
    Err(swagger_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        601,
        &format!(
            "silenceID in path must be of type uuid: {}",
            crate::config::types::go_quote(id)
        ),
    ))
}

fn error_response(e: &SilenceError) -> Response {
    let status = StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::BAD_REQUEST);
    string_error(status, &e.to_string())
}

pub async fn get_silences(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw.as_deref());
    let filter = match super::alerts::parse_filter(&state, q.all("filter")) {
        Ok(m) => m,
        Err(e) => return string_error(StatusCode::BAD_REQUEST, &e),
    };
    let mut states = Vec::with_capacity(3);
    if q.bool_or("active", true) {
        states.push(SilenceState::Active);
    }
    if q.bool_or("pending", true) {
        states.push(SilenceState::Pending);
    }
    if q.bool_or("expired", true) {
        states.push(SilenceState::Expired);
    }
    let now = Utc::now();
    let silences = state.silences.query_states(&filter, &states, now);
    let out: Vec<GettableSilence> = silences.iter().map(|s| to_api(s, now)).collect();
    json_response(StatusCode::OK, &out)
}

pub async fn get_silence(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    if let Err(resp) = check_uuid(&id) {
        return resp;
    }
    match state.silences.get(&id) {
        Some(s) => json_response(StatusCode::OK, &to_api(&s, Utc::now())),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn delete_silence(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Response {
    if let Err(resp) = check_uuid(&id) {
        return resp;
    }
    let silences = state.silences.clone();
    match silences.expire_async(&id, Utc::now()).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(SilenceError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => error_response(&e),
    }
}

/// go-swagger's required-field checks on a posted silence, in the order its
/// generated validator runs them.
fn check_required(p: &PostableSilence) -> Result<(), Response> {
    let missing = |field: &str| {
        Err(swagger_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            602,
            &format!("{field} in body is required"),
        ))
    };
    if p.comment.is_none() {
        return missing("comment");
    }
    if p.created_by.is_none() {
        return missing("createdBy");
    }
    if p.ends_at.is_none() {
        return missing("endsAt");
    }
    match &p.matchers {
        None => return missing("matchers"),
        Some(m) if m.is_empty() => {
            return Err(swagger_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                612,
                "matchers in body should have at least 1 items",
            ));
        }
        Some(ms) => {
            for (i, m) in ms.iter().enumerate() {
                if m.is_regex.is_none() {
                    return missing(&format!("matchers.{i}.isRegex"));
                }
                if m.name.is_none() {
                    return missing(&format!("matchers.{i}.name"));
                }
                if m.value.is_none() {
                    return missing(&format!("matchers.{i}.value"));
                }
            }
        }
    }
    if p.starts_at.is_none() {
        return missing("startsAt");
    }
    Ok(())
}

pub async fn post_silences(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(resp) = require_json(&headers) {
        return resp;
    }
    let p: PostableSilence = match decode_body("silence", &body) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let parse_time = |s: &Option<String>| -> Result<Option<Timestamp>, Response> {
        match s {
            None => Ok(None),
            Some(s) => time::parse(s).map_err(|e| {
                swagger_error(
                    StatusCode::BAD_REQUEST,
                    400,
                    &format!("parsing silence body from \"\" failed, because {e}"),
                )
            }),
        }
    };
    let starts_at = match parse_time(&p.starts_at) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let ends_at = match parse_time(&p.ends_at) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Err(resp) = check_required(&p) {
        return resp;
    }
    let now = Utc::now();
    if let Err(e) = silence::check_post_times(starts_at, ends_at, now) {
        return error_response(&e);
    }
    let mut matchers = Vec::new();
    for (i, m) in p.matchers.iter().flatten().enumerate() {
        match silence::matcher_from_api(
            i,
            m.name.as_deref().unwrap_or_default(),
            m.value.as_deref().unwrap_or_default(),
            m.is_equal.unwrap_or(true),
            m.is_regex.unwrap_or(false),
            state.matcher_mode,
        ) {
            Ok(m) => matchers.push(m),
            Err(e) => return error_response(&e),
        }
    }
    let mut s = Silence::new(
        matchers.into(),
        starts_at.unwrap_or_else(silence::go_zero_time),
        ends_at.unwrap_or_else(silence::go_zero_time),
    );
    s.id = p.id.unwrap_or_default();
    s.created_by = p.created_by.unwrap_or_default();
    s.comment = p.comment.unwrap_or_default();
    s.annotations = p.annotations.unwrap_or_default();
    let silences = state.silences.clone();
    match silences.set_async(s, now).await {
        Ok(id) => json_response(StatusCode::OK, &SilenceCreated { silence_id: id }),
        Err(e) => {
            tracing::error!(err = %e, "Failed to create silence");
            error_response(&e)
        }
    }
}
