//! `POST /api/tocsin/v1/receivers/test`: receiver testing for UIs (see
//! [`crate::notify::receiver_test`]). The body names the receivers (all
//! when empty) and may add labels and annotations to the test alert:
//!
//! ```json
//! {"receivers": ["team-db"], "labels": {"severity": "page"}, "annotations": {}}
//! ```
//!
//! The answer is 200 with one result per integration
//! (`{"results": [{"receiver", "integration", "index", "ok", "error",
//! "durationSeconds"}]}`) whether they succeeded or not; 400 for a body that
//! does not parse or names an unknown receiver.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use crate::alert::LabelSet;
use crate::notify::receiver_test::{self, Outcome};

pub const PATH: &str = "/api/tocsin/v1/receivers/test";

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct TestBody {
    receivers: Vec<String>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": message }).to_string(),
    )
        .into_response()
}

/// The receivers to test from `names` (all when empty), with an outcome for
/// each integration kind that cannot send yet.
pub fn select(
    pipeline: &crate::notify::pipeline::Pipeline,
    names: &[String],
) -> Result<(receiver_test::Chosen, Vec<Outcome>), String> {
    let names = if names.is_empty() {
        pipeline.receiver_names()
    } else {
        names.to_vec()
    };
    let mut chosen = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        let Some((integrations, unsupported)) = pipeline.receiver(&name) else {
            return Err(format!("no receiver named {name:?} in the configuration"));
        };
        for kind in unsupported {
            missing.push(Outcome {
                receiver: name.clone(),
                integration: kind.clone(),
                index: 0,
                ok: false,
                error: "integration not yet available in this version of Tocsin".into(),
                duration_seconds: 0.0,
            });
        }
        chosen.push((name, integrations.to_vec()));
    }
    Ok((chosen, missing))
}

pub async fn test_receivers(State(s): State<Arc<AppState>>, body: Bytes) -> Response {
    let body: TestBody = if body.iter().all(u8::is_ascii_whitespace) {
        TestBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => return bad_request(format!("invalid body: {e}")),
        }
    };
    let labels: LabelSet = body
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Err(e) = crate::alert::validate_label_set(&labels, s.matcher_mode) {
        return bad_request(format!("invalid labels: {e}"));
    }
    let annotations: LabelSet = body
        .annotations
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let live = s.live();
    let (chosen, mut results) = match select(&live.pipeline, &body.receivers) {
        Ok(c) => c,
        Err(e) => return bad_request(e),
    };
    let alert = receiver_test::test_alert(&labels, &annotations, chrono::Utc::now());
    let external = live.pipeline.external_url().to_string();
    drop(live);
    let mut outcomes = receiver_test::run(&chosen, alert, &external).await;
    outcomes.append(&mut results);
    for o in &outcomes {
        if o.ok {
            tracing::info!(receiver = %o.receiver, integration = %o.integration, index = o.index, "Test notification sent");
        } else {
            tracing::warn!(receiver = %o.receiver, integration = %o.integration, index = o.index, err = %o.error, "Test notification failed");
        }
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "results": outcomes }).to_string(),
    )
        .into_response()
}
