//! What peers gossip: the keys and values of silences and notification-log
//! entries in a peer's chitchat state, and the cap on a value's size.
//!
//! | key | value |
//! |---|---|
//! | `s/<silence id>` | the silence, as the state database stores it (JSON) |
//! | `n/<16 hex digits>` | a notification-log entry ([`WireEntry`], JSON); the digits hash the group key and the receiver, which would make long keys that travel in every digest |

use serde::{Deserialize, Serialize};

use crate::nflog::{Entry, Receiver, ReceiverData};
use crate::silence::Silence;
use crate::state::codec::{from_nanos, nanos, silence_body, silence_from_body};

pub const SILENCE_PREFIX: &str = "s/";
pub const NFLOG_PREFIX: &str = "n/";

/// The largest value published. chitchat sends a value in one UDP message
/// of at most 65,507 bytes, and a value it cannot send blocks every later
/// change of the same peer; this leaves room for the message's framing.
pub const MAX_VALUE: usize = 48 * 1024;

pub fn silence_key(id: &str) -> String {
    format!("{SILENCE_PREFIX}{id}")
}

pub fn silence_value(s: &Silence) -> String {
    silence_body(s)
}

/// Decodes a gossiped silence; `id` is its key without the prefix.
pub fn silence_from(id: &str, value: &str) -> Result<Silence, String> {
    let s = silence_from_body(value)?;
    if s.id != id {
        return Err(format!("silence {} gossiped under the key of {id}", s.id));
    }
    Ok(s)
}

/// The key of a group's entry for one integration of a receiver.
pub fn nflog_key(group_key: &str, r: &Receiver) -> String {
    let mut h = crate::nflog::xxhash::Xxh64::new();
    for part in [
        group_key.as_bytes(),
        b"\0",
        r.group_name.as_bytes(),
        b"\0",
        r.integration.as_bytes(),
        b"\0",
        &r.idx.to_le_bytes(),
    ] {
        h.update(part);
    }
    format!("{NFLOG_PREFIX}{:016x}", h.digest())
}

/// A notification-log entry on the wire.
#[derive(Debug, Serialize, Deserialize)]
pub struct WireEntry {
    #[serde(rename = "g")]
    pub group_key: String,
    #[serde(rename = "r")]
    pub receiver: String,
    #[serde(rename = "i")]
    pub integration: String,
    #[serde(rename = "x")]
    pub idx: u32,
    /// Nanoseconds since the epoch.
    #[serde(rename = "t")]
    pub timestamp: i64,
    #[serde(rename = "f", default)]
    pub firing: Vec<u64>,
    #[serde(rename = "s", default)]
    pub resolved: Vec<u64>,
    #[serde(rename = "e")]
    pub expires_at: i64,
    /// The integration's data (absent when empty).
    #[serde(rename = "d", default, skip_serializing_if = "ReceiverData::is_empty")]
    pub receiver_data: ReceiverData,
}

pub fn nflog_value(e: &Entry) -> String {
    let w = WireEntry {
        group_key: e.group_key.clone(),
        receiver: e.receiver.group_name.clone(),
        integration: e.receiver.integration.clone(),
        idx: e.receiver.idx,
        timestamp: nanos(e.timestamp),
        firing: e.firing_alerts.clone(),
        resolved: e.resolved_alerts.clone(),
        expires_at: nanos(e.expires_at),
        receiver_data: e.receiver_data.clone(),
    };
    serde_json::to_string(&w).unwrap_or_default()
}

pub fn nflog_from(value: &str) -> Result<Entry, String> {
    let w: WireEntry = serde_json::from_str(value).map_err(|e| e.to_string())?;
    Ok(Entry {
        group_key: w.group_key,
        receiver: Receiver::new(&w.receiver, &w.integration, w.idx),
        timestamp: from_nanos(w.timestamp),
        firing_alerts: w.firing,
        resolved_alerts: w.resolved,
        expires_at: from_nanos(w.expires_at),
        receiver_data: w.receiver_data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::{MatchType, Matcher, Matchers};
    use chrono::{TimeZone, Utc};

    #[test]
    fn silences_round_trip_and_keys_must_match() {
        let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let mut s = Silence::new(
            Matchers::from(vec![Matcher::new(MatchType::Equal, "a", "b").unwrap()]),
            now,
            now + chrono::Duration::hours(1),
        );
        s.id = "abc".into();
        s.comment = "c".into();
        let v = silence_value(&s);
        assert_eq!(silence_from("abc", &v).unwrap(), s);
        assert!(silence_from("other", &v).is_err());
        assert!(silence_from("abc", "{").is_err());
    }

    #[test]
    fn entries_round_trip_and_keys_are_stable() {
        let now = Utc.timestamp_opt(1_700_000_000, 5).unwrap();
        let e = Entry {
            group_key: "{}:{a=\"1\"}".into(),
            receiver: Receiver::new("team", "webhook", 2),
            timestamp: now,
            firing_alerts: vec![1, 2],
            resolved_alerts: vec![3],
            expires_at: now + chrono::Duration::hours(120),
            receiver_data: Default::default(),
        };
        assert_eq!(nflog_from(&nflog_value(&e)).unwrap(), e);
        assert!(!nflog_value(&e).contains("\"d\""), "no data, no field");
        let mut with_data = e.clone();
        with_data
            .receiver_data
            .insert("threadTs".into(), "1700000000.000100".into());
        assert_eq!(nflog_from(&nflog_value(&with_data)).unwrap(), with_data);
        let k = nflog_key(&e.group_key, &e.receiver);
        assert_eq!(k, nflog_key(&e.group_key, &e.receiver));
        assert!(k.starts_with("n/") && k.len() == 18);
        assert_ne!(
            k,
            nflog_key(&e.group_key, &Receiver::new("team", "webhook", 3))
        );
    }
}
