//! `GET /status` and `GET /receivers`.

use std::sync::Arc;

use axum::extract::State;

use crate::web::lenient::RawQuery;
use axum::http::StatusCode;
use axum::response::Response;

use super::models::{
    AlertmanagerStatus, ClusterStatus, ConfigOriginal, PeerStatus, Receiver, VersionInfo,
};
use super::params::Query;
use super::{json_response, string_error, time};
use crate::api::AppState;

pub async fn get_status(State(state): State<Arc<AppState>>) -> Response {
    let live = state.live();
    let cluster = match &state.cluster {
        Some(c) => ClusterStatus {
            name: Some(c.peer().name),
            peers: c
                .peers()
                .into_iter()
                .map(|p| PeerStatus {
                    address: p.address,
                    name: p.name,
                })
                .collect(),
            status: c.status(),
        },
        None => ClusterStatus {
            name: None,
            peers: Vec::new(),
            status: "disabled",
        },
    };
    let status = AlertmanagerStatus {
        cluster,
        config: ConfigOriginal {
            original: live.original_yaml.clone(),
        },
        uptime: time::format(&state.started),
        version_info: VersionInfo {
            branch: "tocsin".to_string(),
            build_date: String::new(),
            build_user: String::new(),
            go_version: "rust".to_string(),
            revision: format!("tocsin-{}", env!("CARGO_PKG_VERSION")),
            version: state.reported_version().to_string(),
        },
    };
    json_response(StatusCode::OK, &status)
}

pub async fn get_receivers(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw.as_deref());
    let matchers = match super::alerts::parse_filter(&state, q.all("receiver_matchers")) {
        Ok(m) => m,
        Err(e) => {
            return string_error(
                StatusCode::BAD_REQUEST,
                &format!("failed to parse receiver_matchers param: {e}"),
            );
        }
    };
    let live = state.live();
    let history = state.history();
    let out: Vec<Receiver> = live
        .config
        .receivers
        .iter()
        .filter(|r| {
            matchers.is_empty() || {
                let labels: crate::alert::LabelSet = r
                    .labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                super::alerts::matches_filter(&matchers, &labels)
            }
        })
        .map(|r| Receiver {
            labels: &r.labels,
            name: &r.name,
            integrations: integrations(history.as_ref(), r),
        })
        .collect();
    json_response(StatusCode::OK, &out)
}

/// The integrations of `r`, in Alertmanager's order, with their last
/// attempts.
fn integrations(
    history: Option<&crate::history::History>,
    r: &crate::config::receiver::Receiver,
) -> Vec<super::models::IntegrationStatus> {
    let mut out = Vec::new();
    for (kind, n) in r.integration_counts() {
        for index in 0..n {
            let last = history.and_then(|h| h.last_attempt(&r.name, kind, index as u32));
            out.push(super::models::IntegrationStatus {
                name: kind,
                index,
                last_notify_attempt: super::time::format_opt(&last.as_ref().map(|l| l.at)),
                last_notify_attempt_duration: crate::config::types::format_go_duration(
                    last.as_ref()
                        .map_or(std::time::Duration::ZERO, |l| l.duration),
                ),
                last_notify_attempt_error: last
                    .as_ref()
                    .map(|l| l.error.clone())
                    .unwrap_or_default(),
                last_notify_attempt_outcome: last.as_ref().map_or("", |l| l.outcome.as_str()),
            });
        }
    }
    out
}
