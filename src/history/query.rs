//! Reading the history back: alerts by matchers and time range, one alert's
//! timeline, notifications by receiver, group, integration, outcome and
//! time range. Every list is newest first and paged by an opaque cursor
//! (`nextCursor` of one page is `cursor` of the next).
//!
//! The records serialise to the JSON the history API answers (camelCase,
//! fingerprints as 16 hex digits, RFC 3339 times), documented in
//! `docs/history-api.yaml`.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension, Row, ToSql};
use serde::Serialize;
use serde_json::{Map, Value};

use super::event::{LastAttempt, Outcome};
use super::tracker::Muting;
use crate::alert::{LabelSet, Timestamp};
use crate::matcher::{Matcher, matches_filter};
use crate::state::codec::{from_nanos, nanos};

/// Largest page.
pub const MAX_LIMIT: usize = 1_000;
/// Page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 100;

/// A time range and a page.
#[derive(Clone, Debug, Default)]
pub struct Range {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub limit: usize,
    pub cursor: Option<String>,
}

impl Range {
    fn since_n(&self) -> i64 {
        self.since.map_or(i64::MIN, nanos)
    }
    fn until_n(&self) -> i64 {
        self.until.map_or(i64::MAX, nanos)
    }
    fn limit(&self) -> usize {
        match self.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        }
    }
    /// The cursor as (time, id), or "before everything" without one.
    fn position(&self) -> Result<(i64, i64), QueryError> {
        let Some(c) = &self.cursor else {
            return Ok((i64::MAX, i64::MAX));
        };
        let bad = || QueryError::BadCursor(c.clone());
        let (t, id) = c.split_once('.').ok_or_else(bad)?;
        let t: i64 = t.parse().map_err(|_| bad())?;
        let id = u64::from_str_radix(id, 16).map_err(|_| bad())? as i64;
        Ok((t, id))
    }
}

fn cursor(at: i64, id: i64) -> String {
    format!("{at}.{:x}", id as u64)
}

/// A query that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("invalid cursor {0:?}")]
    BadCursor(String),
    /// What was asked for is not in the history.
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Db(#[from] rusqlite::Error),
}

/// One page of results.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// An alert's record.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AlertRecord {
    pub fingerprint: String,
    pub labels: BTreeMap<String, String>,
    /// `firing` or `resolved`.
    pub state: &'static str,
    pub first_seen: String,
    /// The start of its latest firing.
    pub fired_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    pub last_event_at: String,
    /// What muted it at the last flush (firing alerts only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub silenced_by: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inhibited_by: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub muted_by_time_intervals: BTreeMap<String, String>,
}

/// A notification attempt's record.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NotificationRecord {
    pub id: String,
    pub at: String,
    pub receiver: String,
    pub integration: String,
    pub index: u32,
    pub group_key: String,
    pub firing: Vec<String>,
    pub resolved: Vec<String>,
    pub outcome: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    pub duration_seconds: f64,
    pub attempt: u32,
}

/// One entry of an alert's timeline.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EventRecord {
    pub at: String,
    pub kind: String,
    /// `silenceIds`, `inhibitedBy`, `timeInterval`, `receiver`, `groupKey`,
    /// as the kind has them.
    #[serde(flatten)]
    pub detail: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<NotificationRecord>,
}

/// An alert and a page of its timeline.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    pub alert: AlertRecord,
    pub events: Vec<EventRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Notification filters.
#[derive(Clone, Debug, Default)]
pub struct NotificationFilter {
    pub receiver: Option<String>,
    pub integration: Option<String>,
    pub group_key: Option<String>,
    pub outcome: Option<Outcome>,
}

/// RFC 3339 with milliseconds, as API v2 writes times.
pub fn time(n: i64) -> String {
    crate::api::v2::time::format(&from_nanos(n))
}

fn fp_hex(fp: i64) -> String {
    format!("{:016x}", fp as u64)
}

fn unpack(b: &[u8]) -> Vec<String> {
    b.chunks_exact(8)
        .map(|c| {
            format!(
                "{:016x}",
                u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))
            )
        })
        .collect()
}

const ALERT_COLUMNS: &str =
    "fingerprint, labels, first_seen, fired_at, resolved_at, last_event_at, muting";

fn alert_record(r: &Row) -> rusqlite::Result<(AlertRecord, LabelSet, i64, i64)> {
    let fp: i64 = r.get(0)?;
    let labels: Vec<u8> = r.get(1)?;
    let labels = LabelSet::from_bytes(&labels).unwrap_or_else(|_| LabelSet::empty());
    let resolved_at: Option<i64> = r.get(4)?;
    let last: i64 = r.get(5)?;
    let muting: String = r.get(6)?;
    let muting: Muting = serde_json::from_str(&muting).unwrap_or_default();
    let rec = AlertRecord {
        fingerprint: fp_hex(fp),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        state: if resolved_at.is_some() {
            "resolved"
        } else {
            "firing"
        },
        first_seen: time(r.get(2)?),
        fired_at: time(r.get(3)?),
        resolved_at: resolved_at.map(time),
        last_event_at: time(last),
        silenced_by: muting.silenced_by,
        inhibited_by: muting.inhibited_by,
        muted_by_time_intervals: muting.time_intervals,
    };
    Ok((rec, labels, last, fp))
}

/// Alerts that were firing at some time in the range and match every
/// matcher (API v2 `filter` semantics), most recently changed first.
pub fn alerts(
    conn: &Connection,
    matchers: &[Matcher],
    range: &Range,
) -> Result<Page<AlertRecord>, QueryError> {
    let (c_at, c_fp) = range.position()?;
    let limit = range.limit();
    // An `alertname="x"` matcher narrows the scan through its index.
    let name = matchers
        .iter()
        .find(|m| m.name() == "alertname" && m.op() == crate::matcher::MatchType::Equal);
    let sql = format!(
        "SELECT {ALERT_COLUMNS} FROM {}
         WHERE {} first_seen <= ?1 AND (resolved_at IS NULL OR resolved_at >= ?2)
           AND (last_event_at < ?3 OR (last_event_at = ?3 AND fingerprint < ?4))
         ORDER BY last_event_at DESC, fingerprint DESC",
        if name.is_some() {
            "history_alerts INDEXED BY history_alerts_by_name"
        } else {
            "history_alerts INDEXED BY history_alerts_by_last_event"
        },
        if name.is_some() {
            "alertname = ?5 AND"
        } else {
            ""
        },
    );
    let mut st = conn.prepare_cached(&sql)?;
    let (until, since) = (range.until_n(), range.since_n());
    let name_value = name.map(|m| m.value().to_string());
    let params: Vec<&dyn ToSql> = match &name_value {
        Some(v) => vec![&until, &since, &c_at, &c_fp, v],
        None => vec![&until, &since, &c_at, &c_fp],
    };
    let mut rows = st.query(params.as_slice())?;
    let mut items = Vec::new();
    let mut next = None;
    while let Some(r) = rows.next()? {
        let (rec, labels, last, fp) = alert_record(r)?;
        if !matches_filter(matchers, &labels) {
            continue;
        }
        if items.len() == limit {
            next = items
                .last()
                .map(|(_, at, fp): &(AlertRecord, i64, i64)| cursor(*at, *fp));
            break;
        }
        items.push((rec, last, fp));
    }
    Ok(Page {
        items: items.into_iter().map(|(r, _, _)| r).collect(),
        next_cursor: next,
    })
}

/// One alert and a page of its timeline (events in the range, newest
/// first); `None` when the history has no such alert.
pub fn timeline(
    conn: &Connection,
    fingerprint: u64,
    range: &Range,
) -> Result<Option<Timeline>, QueryError> {
    let (c_at, c_id) = range.position()?;
    let alert = conn
        .prepare_cached(&format!(
            "SELECT {ALERT_COLUMNS} FROM history_alerts WHERE fingerprint = ?1"
        ))?
        .query_row([fingerprint as i64], |r| alert_record(r).map(|a| a.0))
        .optional()?;
    let Some(alert) = alert else {
        return Ok(None);
    };
    let limit = range.limit();
    let mut st = conn.prepare_cached(&format!(
        "SELECT e.id, e.at, e.kind, e.detail, {NOTIFICATION_COLUMNS_N}
         FROM history_events e LEFT JOIN history_notifications n ON n.id = e.notification_id
         WHERE e.fingerprint = ?1 AND e.at >= ?2 AND e.at <= ?3
           AND (e.at < ?4 OR (e.at = ?4 AND e.id < ?5))
         ORDER BY e.at DESC, e.id DESC LIMIT ?6"
    ))?;
    let mut rows = st.query(rusqlite::params![
        fingerprint as i64,
        range.since_n(),
        range.until_n(),
        c_at,
        c_id,
        (limit + 1) as i64
    ])?;
    let mut events = Vec::new();
    let mut next = None;
    let mut last = (0, 0);
    while let Some(r) = rows.next()? {
        if events.len() == limit {
            next = Some(cursor(last.0, last.1));
            break;
        }
        let id: i64 = r.get(0)?;
        let at: i64 = r.get(1)?;
        let detail: String = r.get(3)?;
        let detail = match serde_json::from_str(&detail) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let notification = match r.get::<_, Option<i64>>(4)? {
            Some(_) => Some(notification_record(r, 4)?),
            None => None,
        };
        events.push(EventRecord {
            at: time(at),
            kind: r.get(2)?,
            detail,
            notification,
        });
        last = (at, id);
    }
    Ok(Some(Timeline {
        alert,
        events,
        next_cursor: next,
    }))
}

const NOTIFICATION_COLUMNS: &str = "id, at, receiver, integration, idx, group_key, firing, \
    resolved, outcome, reason, error, status_code, duration_ns, attempt";
const NOTIFICATION_COLUMNS_N: &str = "n.id, n.at, n.receiver, n.integration, n.idx, n.group_key, \
    n.firing, n.resolved, n.outcome, n.reason, n.error, n.status_code, n.duration_ns, n.attempt";

fn notification_record(r: &Row, o: usize) -> rusqlite::Result<NotificationRecord> {
    let firing: Vec<u8> = r.get(o + 6)?;
    let resolved: Vec<u8> = r.get(o + 7)?;
    Ok(NotificationRecord {
        id: format!("{:x}", r.get::<_, i64>(o)? as u64),
        at: time(r.get(o + 1)?),
        receiver: r.get(o + 2)?,
        integration: r.get(o + 3)?,
        index: r.get(o + 4)?,
        group_key: r.get(o + 5)?,
        firing: unpack(&firing),
        resolved: unpack(&resolved),
        outcome: r.get(o + 8)?,
        reason: r.get(o + 9)?,
        error: r.get(o + 10)?,
        status_code: r.get(o + 11)?,
        duration_seconds: r.get::<_, i64>(o + 12)? as f64 / 1e9,
        attempt: r.get(o + 13)?,
    })
}

/// Notification attempts in the range matching `filter`, newest first.
pub fn notifications(
    conn: &Connection,
    filter: &NotificationFilter,
    range: &Range,
) -> Result<Page<NotificationRecord>, QueryError> {
    let (c_at, c_id) = range.position()?;
    let limit = range.limit();
    let (since, until, lim) = (range.since_n(), range.until_n(), (limit + 1) as i64);
    let mut clauses =
        vec!["at >= ?1 AND at <= ?2 AND (at < ?3 OR (at = ?3 AND id < ?4))".to_string()];
    let mut params: Vec<&dyn ToSql> = vec![&since, &until, &c_at, &c_id, &lim];
    let outcome = filter.outcome.map(Outcome::as_str);
    for (col, v) in [
        ("receiver", filter.receiver.as_ref()),
        ("integration", filter.integration.as_ref()),
        ("group_key", filter.group_key.as_ref()),
    ] {
        if let Some(v) = v {
            params.push(v);
            clauses.push(format!("{col} = ?{}", params.len()));
        }
    }
    if let Some(o) = &outcome {
        params.push(o);
        clauses.push(format!("outcome = ?{}", params.len()));
    }
    // The most selective index first: a group, then a receiver.
    let index = if filter.group_key.is_some() {
        "history_notifications_by_group"
    } else if filter.receiver.is_some() {
        "history_notifications_by_receiver"
    } else {
        "history_notifications_by_at"
    };
    let sql = format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM history_notifications INDEXED BY {index}
         WHERE {} ORDER BY at DESC, id DESC LIMIT ?5",
        clauses.join(" AND ")
    );
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(params.as_slice())?;
    let mut items = Vec::new();
    let mut next = None;
    let mut last = (0, 0);
    while let Some(r) = rows.next()? {
        if items.len() == limit {
            next = Some(cursor(last.0, last.1));
            break;
        }
        last = (r.get(1)?, r.get(0)?);
        items.push(notification_record(r, 0)?);
    }
    Ok(Page {
        items,
        next_cursor: next,
    })
}

/// The last attempt of every integration that made one.
pub fn last_attempts(
    conn: &Connection,
) -> rusqlite::Result<HashMap<(String, String, u32), LastAttempt>> {
    let mut st = conn.prepare(
        "SELECT l.receiver, l.integration, l.idx, n.at, n.outcome, n.error, n.duration_ns
         FROM history_last_attempts l JOIN history_notifications n ON n.id = l.notification_id",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            (r.get(0)?, r.get(1)?, r.get(2)?),
            LastAttempt {
                at: from_nanos(r.get(3)?),
                outcome: Outcome::parse(&r.get::<_, String>(4)?).unwrap_or(Outcome::Failure),
                error: r.get(5)?,
                duration: std::time::Duration::from_nanos(r.get::<_, i64>(6)?.max(0) as u64),
            },
        ))
    })?;
    rows.collect()
}
