//! `GET/POST /alerts` and `GET /alerts/groups`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;

use crate::web::lenient::RawQuery;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::models::PostableAlert;
use super::params::Query;
use super::{decode_body, encode, json_bytes, require_json, string_error, swagger_error, time};
use crate::alert::{Alert, Fingerprint, LabelSet, Timestamp};
use crate::api::{AppState, Live};
use crate::dispatch::group::alert_order;
use crate::matcher::{Matcher, Regex, compat};

/// Parses `filter` parameters (one matcher each, no braces).
pub(crate) fn parse_filter(state: &AppState, values: &[String]) -> Result<Vec<Matcher>, String> {
    values
        .iter()
        .map(|v| {
            compat::parse_matcher(v, state.matcher_mode).map(|(m, warning)| {
                if let Some(w) = warning {
                    tracing::warn!(origin = "api", "{w}");
                }
                m
            })
        })
        .collect()
}

/// API filter semantics (see [`crate::matcher::matches_filter`]).
pub(super) fn matches_filter(matchers: &[Matcher], labels: &LabelSet) -> bool {
    crate::matcher::matches_filter(matchers, labels)
}

fn receiver_filter(q: &Query) -> Result<Option<Regex>, Response> {
    match q.first("receiver") {
        None => Ok(None),
        Some(r) => Regex::new_anchored(r).map(Some).map_err(|e| {
            string_error(
                StatusCode::BAD_REQUEST,
                &format!("failed to parse receiver param: {e}"),
            )
        }),
    }
}

/// The status an alert has right now: silenced and inhibited by whom.
pub(super) struct Status {
    pub silenced_by: Vec<String>,
    pub inhibited_by: Vec<String>,
}

impl Status {
    pub fn suppressed(&self) -> bool {
        !self.silenced_by.is_empty() || !self.inhibited_by.is_empty()
    }
}

pub(super) fn status_of(state: &AppState, live: &Live, alert: &Alert, now: Timestamp) -> Status {
    let silenced_by = state.silences.mutes(&alert.labels, now).active;
    let inhibited_by = live
        .inhibitor
        .mutes(alert, now)
        .map(|fp| vec![fp.to_string()])
        .unwrap_or_default();
    Status {
        silenced_by,
        inhibited_by,
    }
}

/// The query flags shared by `/alerts` and `/alerts/groups`.
struct Flags {
    active: bool,
    silenced: bool,
    inhibited: bool,
}

impl Flags {
    fn from(q: &Query) -> Flags {
        Flags {
            active: q.bool_or("active", true),
            silenced: q.bool_or("silenced", true),
            inhibited: q.bool_or("inhibited", true),
        }
    }

    fn keep(&self, s: &Status) -> bool {
        if !self.active && !s.suppressed() {
            return false;
        }
        if !self.silenced && !s.silenced_by.is_empty() {
            return false;
        }
        if !self.inhibited && !s.inhibited_by.is_empty() {
            return false;
        }
        true
    }
}

/// The query parameters shared by `/alerts` and `/alerts/groups`.
struct AlertQuery {
    matchers: Vec<Matcher>,
    receiver_re: Option<Regex>,
    flags: Flags,
}

impl AlertQuery {
    fn parse(state: &AppState, raw: Option<&str>) -> Result<AlertQuery, Response> {
        let q = Query::parse(raw);
        let matchers = parse_filter(state, q.all("filter"))
            .map_err(|e| string_error(StatusCode::BAD_REQUEST, &e))?;
        Ok(AlertQuery {
            matchers,
            receiver_re: receiver_filter(&q)?,
            flags: Flags::from(&q),
        })
    }
}

/// Writes `alert` with its status (`muted_by` empty: time intervals are
/// not evaluated for API answers).
fn encode_alert<'a>(
    out: &mut String,
    alert: &Alert,
    status: &Status,
    receivers: impl IntoIterator<Item = &'a str>,
) {
    let state = if status.suppressed() {
        "suppressed"
    } else {
        "active"
    };
    encode::alert(
        out,
        alert,
        receivers,
        &encode::StatusRef {
            inhibited_by: &status.inhibited_by,
            muted_by: &[],
            silenced_by: &status.silenced_by,
            state,
        },
    );
}

pub async fn get_alerts(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let AlertQuery {
        matchers,
        receiver_re,
        flags,
    } = match AlertQuery::parse(&state, raw.as_deref()) {
        Ok(q) => q,
        Err(resp) => return resp,
    };
    let live = state.live();
    let now = Utc::now();
    let snapshot = state.alerts.snapshot();
    let mut out = Vec::new();
    for alert in &snapshot {
        if alert.ends_at.is_some_and(|e| e < now) {
            continue;
        }
        if !matches_filter(&matchers, &alert.labels) {
            continue;
        }
        let routes = live.route.match_labels(&alert.labels);
        if let Some(re) = &receiver_re
            && !routes.iter().any(|r| re.is_match(&r.opts.receiver))
        {
            continue;
        }
        let status = status_of(&state, &live, alert, now);
        if !flags.keep(&status) {
            continue;
        }
        out.push((alert.fingerprint(), alert, status, routes));
    }
    // Fingerprints print as 16 hex digits, so their numeric order is the
    // order of their text.
    out.sort_by_key(|(fp, ..)| *fp);
    let mut body = String::with_capacity(out.len() * 1024 + 2);
    body.push('[');
    for (i, (_, alert, status, routes)) in out.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        encode_alert(
            &mut body,
            alert,
            status,
            routes.iter().map(|r| r.opts.receiver.as_str()),
        );
    }
    body.push(']');
    json_bytes(StatusCode::OK, body)
}

pub async fn post_alerts(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(resp) = require_json(&headers) {
        return resp;
    }
    let posted: Vec<PostableAlert> = match decode_body("alerts", &body) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    // Decode every alert first: a malformed one fails the whole request, as
    // go-swagger decodes and validates the body before the handler runs.
    let mut decoded = Vec::with_capacity(posted.len());
    for (i, p) in posted.into_iter().enumerate() {
        let Some(labels) = p.labels else {
            return swagger_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                602,
                &format!("{i}.labels in body is required"),
            );
        };
        let parse = |s: Option<String>| -> Result<Option<Timestamp>, Response> {
            match s {
                None => Ok(None),
                Some(s) => time::parse(&s).map_err(|e| {
                    swagger_error(
                        StatusCode::BAD_REQUEST,
                        400,
                        &format!("parsing alerts body from \"\" failed, because {e}"),
                    )
                }),
            }
        };
        let starts_at = match parse(p.starts_at) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let ends_at = match parse(p.ends_at) {
            Ok(t) => t,
            Err(r) => return r,
        };
        decoded.push((
            labels,
            p.annotations.unwrap_or_default(),
            starts_at,
            ends_at,
            p.generator_url.unwrap_or_default(),
        ));
    }

    let now = Utc::now();
    let resolve_timeout = state.live().config.global().resolve_timeout.as_std();
    let mut errors: Vec<String> = Vec::new();
    for (labels, annotations, starts_at, ends_at, generator_url) in decoded {
        // Labels with empty values are dropped, as Alertmanager does.
        let labels = LabelSet::from_pairs(labels.0.into_iter().filter(|(_, v)| !v.is_empty()));
        let annotations = LabelSet::from_pairs(annotations.0);
        let starts_at = starts_at.or(ends_at).unwrap_or(now);
        let (ends_at, timeout) = match ends_at {
            Some(e) => (e, false),
            None => (
                now + chrono::Duration::from_std(resolve_timeout).unwrap_or_default(),
                true,
            ),
        };
        let firing = ends_at > now;
        state.metrics_received(firing);
        let alert = Alert {
            labels,
            annotations,
            starts_at,
            ends_at: Some(ends_at),
            updated_at: now,
            generator_url: crate::alert::shared_url(generator_url.as_ref()),
            timeout,
        };
        if let Err(e) = alert.validate(state.matcher_mode) {
            state.metrics_invalid();
            errors.push(e);
            continue;
        }
        if let Err(e) = state.alerts.put(alert, now) {
            // As in Alertmanager, a limited alert is logged and skipped; the
            // request still succeeds.
            tracing::warn!(err = %e, "error on set alert");
        }
    }
    if !errors.is_empty() {
        tracing::error!(err = %errors.join("; "), "Failed to validate alerts");
        return string_error(StatusCode::BAD_REQUEST, &errors.join("\n"));
    }
    StatusCode::OK.into_response()
}

pub async fn get_alert_groups(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let AlertQuery {
        matchers,
        receiver_re,
        flags,
    } = match AlertQuery::parse(&state, raw.as_deref()) {
        Ok(q) => q,
        Err(resp) => return resp,
    };
    let live = state.live();
    let now = Utc::now();
    let snapshot = state.alerts.snapshot();

    struct Group<'a> {
        labels: LabelSet,
        receiver: &'a str,
        route_labels: &'a BTreeMap<String, String>,
        alerts: Vec<(&'a Alert, Status)>,
    }
    // Groups keyed by (route id, group labels), as aggregation groups are.
    let mut groups: HashMap<(&str, Fingerprint), Group> = HashMap::new();
    let mut receivers_of: HashMap<Fingerprint, Vec<&str>> = HashMap::new();
    for alert in &snapshot {
        if alert.ends_at.is_some_and(|e| e < now) || !matches_filter(&matchers, &alert.labels) {
            continue;
        }
        let routes = live.route.match_labels(&alert.labels);
        let mut status: Option<Status> = None;
        for route in routes {
            if let Some(re) = &receiver_re
                && !re.is_match(&route.opts.receiver)
            {
                continue;
            }
            let st = status.get_or_insert_with(|| status_of(&state, &live, alert, now));
            if !flags.keep(st) {
                break;
            }
            // An alert's receivers are those of the groups it is shown in.
            receivers_of
                .entry(alert.fingerprint())
                .or_default()
                .push(&route.opts.receiver);
            let group_labels = route.group_labels(&alert.labels);
            let key = (route.id(), group_labels.fingerprint());
            let g = groups.entry(key).or_insert_with(|| Group {
                labels: group_labels,
                receiver: &route.opts.receiver,
                route_labels: &route.opts.labels,
                alerts: Vec::new(),
            });
            g.alerts.push((
                alert,
                Status {
                    silenced_by: st.silenced_by.clone(),
                    inhibited_by: st.inhibited_by.clone(),
                },
            ));
        }
    }
    for rs in receivers_of.values_mut() {
        rs.sort_unstable();
    }
    let mut list: Vec<Group> = groups.into_values().collect();
    list.sort_by(|a, b| {
        a.labels
            .cmp_go(&b.labels)
            .then_with(|| a.receiver.cmp(b.receiver))
    });
    let alerts: usize = list.iter().map(|g| g.alerts.len()).sum();
    let mut body = String::with_capacity(alerts * 1024 + list.len() * 256 + 2);
    body.push('[');
    for (i, g) in list.iter_mut().enumerate() {
        if i > 0 {
            body.push(',');
        }
        g.alerts.sort_by(|(a, _), (b, _)| alert_order(a, b));
        body.push_str("{\"alerts\":[");
        for (j, (a, st)) in g.alerts.iter().enumerate() {
            if j > 0 {
                body.push(',');
            }
            let receivers = receivers_of.get(&a.fingerprint()).map(Vec::as_slice);
            encode_alert(
                &mut body,
                a,
                st,
                receivers.unwrap_or_default().iter().copied(),
            );
        }
        body.push(']');
        encode::group_tail(&mut body, &g.labels, g.receiver, g.route_labels);
    }
    body.push(']');
    json_bytes(StatusCode::OK, body)
}
