//! The size of a silence for `--silences.max-silence-size-bytes`.
//!
//! Alertmanager v0.34 limits `proto.Size` of the `silencepb.MeshSilence` it
//! is about to store: the silence (id, its matcher sets, times, author,
//! comment, annotations; the legacy `matchers` field is empty at that point)
//! plus `expires_at = ends_at + retention`. [`proto_size`] computes that
//! protobuf wire size exactly, from the field numbers of `silence.proto`,
//! without encoding anything.

use std::time::Duration;

use super::Silence;
use crate::alert::Timestamp;
use crate::matcher::MatchType;

/// Bytes of a base-128 varint holding `v`.
fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// A length-delimited field (tag numbers below 16 take one byte).
fn delimited(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// A proto3 string field: omitted when empty.
fn string_field(s: &str) -> usize {
    if s.is_empty() { 0 } else { delimited(s.len()) }
}

/// A `google.protobuf.Timestamp` field (always present): seconds and nanos,
/// each omitted when zero; negative seconds take ten bytes.
fn timestamp_field(t: &Timestamp) -> usize {
    let secs = t.timestamp();
    let nanos = t.timestamp_subsec_nanos();
    let mut len = 0;
    if secs != 0 {
        len += 1 + varint_len(secs as u64);
    }
    if nanos != 0 {
        len += 1 + varint_len(u64::from(nanos));
    }
    delimited(len)
}

/// The `silencepb.Matcher.Type` number; `EQUAL` (0) is not encoded.
fn type_number(op: MatchType) -> u64 {
    match op {
        MatchType::Equal => 0,
        MatchType::Regexp => 1,
        MatchType::NotEqual => 2,
        MatchType::NotRegexp => 3,
    }
}

/// `proto.Size` of the `MeshSilence` v0.34 would store for `s` with the given
/// retention. Map entries always encode key and value, as Go's protobuf does.
pub fn proto_size(s: &Silence, retention: Duration) -> usize {
    let set_size = |matchers: &crate::matcher::Matchers| {
        let mut set = 0;
        for m in matchers.iter() {
            let ty = type_number(m.op());
            let mut len = string_field(m.name()) + string_field(m.value());
            if ty != 0 {
                len += 1 + varint_len(ty);
            }
            set += delimited(len);
        }
        delimited(set)
    };
    let sets: usize = s
        .matcher_sets()
        .chain(&s.receiver_matcher_sets)
        .map(set_size)
        .sum();
    let mut silence = string_field(&s.id)
        + timestamp_field(&s.starts_at)
        + timestamp_field(&s.ends_at)
        + timestamp_field(&s.updated_at)
        + string_field(&s.created_by)
        + string_field(&s.comment)
        + sets;
    for (k, v) in &s.annotations {
        silence += delimited(delimited(k.len()) + delimited(v.len()));
    }
    let expires_at = chrono::TimeDelta::from_std(retention)
        .ok()
        .and_then(|d| s.ends_at.checked_add_signed(d))
        .unwrap_or(s.ends_at);
    delimited(silence) + timestamp_field(&expires_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::{Matcher, Matchers};
    use chrono::{TimeZone, Utc};

    fn ts(secs: i64, nanos: u32) -> Timestamp {
        Utc.timestamp_opt(secs, nanos).unwrap()
    }

    #[test]
    fn varints() {
        assert_eq!(varint_len(0), 1);
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
        assert_eq!(varint_len(u64::MAX), 10);
        assert_eq!(varint_len(-1i64 as u64), 10);
    }

    /// Sizes printed by Go's `proto.Size` on the v0.34 `silencepb` types for
    /// the same silences.
    #[test]
    fn sizes_match_go() {
        use MatchType::*;
        let mk = |op, n: &str, v: &str| Matcher::new(op, n, v).unwrap();
        let mut s = Silence::new(Matchers::new(), ts(0, 0), ts(0, 0));
        s.updated_at = ts(0, 0);
        assert_eq!(proto_size(&s, Duration::ZERO), 12);

        let mut s = Silence::new(
            Matchers::from(vec![
                mk(Equal, "alertname", "HighLatency"),
                mk(Regexp, "instance", "web-.*"),
                mk(NotEqual, "severity", ""),
                mk(NotRegexp, "job", "x|y"),
            ]),
            ts(1_700_000_000, 123_000_000),
            ts(1_700_003_600, 0),
        );
        s.id = "6f1f3f5e-2b8e-4c36-9b6b-1a0f3c1b2d4e".to_string();
        s.updated_at = ts(1_700_000_000, 999_999_999);
        s.created_by = "alice".to_string();
        s.comment = "maintenance window ünïcode".to_string();
        s.annotations
            .insert("ticket".to_string(), "OPS-1".to_string());
        s.annotations.insert("empty".to_string(), String::new());
        assert_eq!(
            proto_size(&s, Duration::from_secs(120 * 3600)),
            GO_SIZE_FULL
        );

        // Go's zero time has negative Unix seconds.
        let mut s = Silence::new(
            Matchers::from(vec![mk(Equal, "a", "b")]),
            crate::silence::go_zero_time(),
            crate::silence::go_zero_time(),
        );
        s.comment = "x".repeat(200);
        assert_eq!(proto_size(&s, Duration::ZERO), GO_SIZE_ZERO);
    }

    const GO_SIZE_FULL: usize = 227;
    const GO_SIZE_ZERO: usize = 268;
}
