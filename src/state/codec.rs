//! How silences, notification-log entries, alerts and timestamps are laid
//! out in the database's rows, both ways. Reading checks what it reads: a
//! damaged row is an error naming it, never a silently different value.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::{Alert, LabelSet, Timestamp, shared_url};
use crate::matcher::{MatchType, Matcher, Matchers};
use crate::nflog::{Entry, Receiver};
use crate::silence::Silence;

/// A time as Unix nanoseconds. Times outside 1677–2262 (which no real
/// alert has) are clamped to that range.
pub fn nanos(t: Timestamp) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

pub fn from_nanos(n: i64) -> Timestamp {
    Utc.timestamp_nanos(n)
}

#[derive(Serialize, Deserialize)]
struct StoredMatcher {
    /// `=`, `!=`, `=~` or `!~`.
    op: String,
    name: String,
    value: String,
}

/// The JSON body of a row of `silences`: every field of [`Silence`].
#[derive(Serialize, Deserialize)]
struct StoredSilence {
    id: String,
    /// Set 0 is the API's `matchers`.
    matcher_sets: Vec<Vec<StoredMatcher>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    receiver_matcher_sets: Vec<Vec<StoredMatcher>>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: String,
    comment: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

fn stored_set(ms: &Matchers) -> Vec<StoredMatcher> {
    ms.iter()
        .map(|m| StoredMatcher {
            op: m.op().as_str().to_string(),
            name: m.name().to_string(),
            value: m.value().to_string(),
        })
        .collect()
}

fn matchers(set: Vec<StoredMatcher>) -> Result<Matchers, String> {
    let mut out = Matchers::new();
    for m in set {
        let op = match m.op.as_str() {
            "=" => MatchType::Equal,
            "!=" => MatchType::NotEqual,
            "=~" => MatchType::Regexp,
            "!~" => MatchType::NotRegexp,
            other => return Err(format!("unknown matcher operator {other:?}")),
        };
        out.push(Matcher::new(op, m.name, m.value).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

pub fn silence_body(s: &Silence) -> String {
    let stored = StoredSilence {
        id: s.id.clone(),
        matcher_sets: s.matcher_sets().map(stored_set).collect(),
        receiver_matcher_sets: s.receiver_matcher_sets.iter().map(stored_set).collect(),
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        updated_at: s.updated_at,
        created_by: s.created_by.clone(),
        comment: s.comment.clone(),
        annotations: s.annotations.clone(),
    };
    serde_json::to_string(&stored).expect("a silence serializes")
}

pub fn silence_from_body(body: &str) -> Result<Silence, String> {
    let st: StoredSilence = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let mut sets = st.matcher_sets.into_iter();
    let first = sets.next().ok_or("no matcher set")?;
    let mut s = Silence::new(matchers(first)?, st.starts_at, st.ends_at);
    s.id = st.id;
    s.extra_matcher_sets = sets.map(matchers).collect::<Result<_, _>>()?;
    s.receiver_matcher_sets = st
        .receiver_matcher_sets
        .into_iter()
        .map(matchers)
        .collect::<Result<_, _>>()?;
    s.updated_at = st.updated_at;
    s.created_by = st.created_by;
    s.comment = st.comment;
    s.annotations = st.annotations;
    Ok(s)
}

/// Alert hashes as little-endian bytes.
pub fn hashes(h: &[u64]) -> Vec<u8> {
    h.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn hashes_from(b: &[u8]) -> Result<Vec<u64>, String> {
    if !b.len().is_multiple_of(8) {
        return Err(format!("alert hash list of {} bytes", b.len()));
    }
    Ok(b.chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("eight bytes")))
        .collect())
}

/// The `data` column of an `nflog` row: NULL for no data.
pub fn receiver_data_column(data: &crate::nflog::ReceiverData) -> Option<String> {
    (!data.is_empty()).then(|| serde_json::to_string(data).expect("a string map encodes"))
}

/// A row of `nflog` as read.
pub struct NflogRow {
    pub group_key: String,
    pub receiver: String,
    pub integration: String,
    pub idx: i64,
    pub ts: i64,
    pub firing: Vec<u8>,
    pub resolved: Vec<u8>,
    pub expires_at: i64,
    /// The integration's data as a JSON object; NULL when empty.
    pub data: Option<String>,
}

impl NflogRow {
    pub fn into_entry(self) -> Result<Entry, String> {
        Ok(Entry {
            receiver: Receiver::new(
                self.receiver,
                self.integration,
                u32::try_from(self.idx).map_err(|_| format!("integration index {}", self.idx))?,
            ),
            group_key: self.group_key,
            timestamp: from_nanos(self.ts),
            firing_alerts: hashes_from(&self.firing)?,
            resolved_alerts: hashes_from(&self.resolved)?,
            expires_at: from_nanos(self.expires_at),
            receiver_data: match self.data {
                None => Default::default(),
                Some(json) => {
                    serde_json::from_str(&json).map_err(|e| format!("receiver data: {e}"))?
                }
            },
        })
    }
}

/// A row of `alerts` as read.
pub struct AlertRow {
    pub fingerprint: i64,
    pub labels: Vec<u8>,
    pub annotations: Vec<u8>,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub updated_at: i64,
    pub generator_url: String,
    pub timeout: bool,
}

impl AlertRow {
    pub fn into_alert(self) -> Result<Alert, String> {
        let labels = LabelSet::from_bytes(&self.labels).map_err(|e| format!("labels: {e}"))?;
        if labels.fingerprint().0 as i64 != self.fingerprint {
            return Err("labels do not match the fingerprint".to_string());
        }
        Ok(Alert {
            labels,
            annotations: LabelSet::from_bytes(&self.annotations)
                .map_err(|e| format!("annotations: {e}"))?,
            starts_at: from_nanos(self.starts_at),
            ends_at: self.ends_at.map(from_nanos),
            updated_at: from_nanos(self.updated_at),
            generator_url: shared_url(&self.generator_url),
            timeout: self.timeout,
        })
    }
}

/// The columns of `alerts` for `a`, in table order.
pub fn alert_row(a: &Arc<Alert>) -> AlertRow {
    AlertRow {
        fingerprint: a.fingerprint().0 as i64,
        labels: a.labels.as_bytes().to_vec(),
        annotations: a.annotations.as_bytes().to_vec(),
        starts_at: nanos(a.starts_at),
        ends_at: a.ends_at.map(nanos),
        updated_at: nanos(a.updated_at),
        generator_url: a.generator_url.to_string(),
        timeout: a.timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64, n: u32) -> Timestamp {
        Utc.timestamp_opt(s, n).unwrap()
    }

    #[test]
    fn silence_round_trip_keeps_every_field() {
        let m = |op, n: &str, v: &str| Matcher::new(op, n, v).unwrap();
        let mut s = Silence::new(
            Matchers::from(vec![
                m(MatchType::Equal, "a", "1"),
                m(MatchType::NotEqual, "b", "2"),
            ]),
            t(1_700_000_000, 123_456_789),
            t(1_700_003_600, 1),
        );
        s.id = "5f3c0ad1-9e2b-4c1e-8a53-0c6f0e0b1a2d".into();
        s.extra_matcher_sets = vec![Matchers::from(vec![
            m(MatchType::Regexp, "c", "x|y"),
            m(MatchType::NotRegexp, "d", "z.*"),
        ])];
        s.receiver_matcher_sets = vec![Matchers::from(vec![m(MatchType::Equal, "receiver", "r")])];
        s.updated_at = crate::alert::go_zero_time();
        s.created_by = "ops".into();
        s.comment = "maintenance \"window\"".into();
        s.annotations.insert("ticket".into(), "OPS-1".into());
        let back = silence_from_body(&silence_body(&s)).unwrap();
        assert_eq!(back, s);
        assert!(back.matches(&[("c", "y")].into_iter().collect()));
    }

    #[test]
    fn damaged_silence_bodies_are_errors() {
        assert!(silence_from_body("{").is_err());
        let bad_op = r#"{"id":"x","matcher_sets":[[{"op":"<>","name":"a","value":"1"}]],"starts_at":"2024-01-01T00:00:00Z","ends_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z","created_by":"","comment":""}"#;
        assert!(silence_from_body(bad_op).unwrap_err().contains("operator"));
        let bad_re = bad_op.replace("<>", "=~").replace("\"1\"", "\"(\"");
        assert!(silence_from_body(&bad_re).is_err());
        let no_set = r#"{"id":"x","matcher_sets":[],"starts_at":"2024-01-01T00:00:00Z","ends_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z","created_by":"","comment":""}"#;
        assert!(silence_from_body(no_set).is_err());
    }

    #[test]
    fn alert_round_trip() {
        let a = Arc::new(Alert {
            labels: [("alertname", "A"), ("job", "j")].into_iter().collect(),
            annotations: [("summary", "s")].into_iter().collect(),
            starts_at: t(1_700_000_000, 5),
            ends_at: Some(t(1_700_000_300, 0)),
            updated_at: t(1_700_000_010, 7),
            generator_url: shared_url("http://prom/graph?g0.expr=up"),
            timeout: true,
        });
        assert_eq!(alert_row(&a).into_alert().unwrap(), *a);
        let mut row = alert_row(&a);
        row.fingerprint ^= 1;
        assert!(row.into_alert().is_err());
    }

    #[test]
    fn hashes_and_times() {
        let h = [0, 1, u64::MAX, 0x0123_4567_89ab_cdef];
        assert_eq!(hashes_from(&hashes(&h)).unwrap(), h);
        assert!(hashes_from(&[1, 2, 3]).is_err());
        let x = t(1_700_000_000, 999_999_999);
        assert_eq!(from_nanos(nanos(x)), x);
        assert_eq!(nanos(DateTime::<Utc>::MAX_UTC), i64::MAX);
        assert_eq!(nanos(crate::alert::go_zero_time()), i64::MIN);
    }
}
