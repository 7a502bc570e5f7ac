//! Alertmanager's protobuf wire types for its on-disk state snapshots
//! (`silencepb` and `nflogpb`), written out by hand as `prost` messages so
//! that no code generation is needed.
//!
//! Field numbers and types follow Alertmanager's `silence/silencepb/silence.proto`
//! and `nflog/nflogpb/nflog.proto`; every version from 0.25 to 0.34 decodes
//! with them (fields a version does not know are simply absent). Timestamps
//! are `google.protobuf.Timestamp`, re-declared here as [`Timestamp`];
//! Alertmanager declares them non-nullable, so a missing timestamp field
//! means Go's zero time (`0001-01-01T00:00:00Z`, see
//! [`crate::alert::go_zero_time`]) — [`Timestamp::or_go_zero`] applies that
//! rule.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::alert::go_zero_time;

/// `google.protobuf.Timestamp`: seconds since the Unix epoch and a
/// non-negative nanosecond fraction.
#[derive(Clone, Copy, PartialEq, Eq, Hash, prost::Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// `0..=999_999_999`.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// Go's zero time, `0001-01-01T00:00:00Z`, in Unix seconds.
pub const GO_ZERO_SECONDS: i64 = -62_135_596_800;

/// A [`Timestamp`] that is no valid point in time: nanos outside
/// `0..=999_999_999`, or seconds beyond what [`DateTime`] can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp (seconds {seconds}, nanos {nanos})")]
pub struct InvalidTimestamp {
    pub seconds: i64,
    pub nanos: i32,
}

impl Timestamp {
    /// Go's zero time.
    pub const GO_ZERO: Timestamp = Timestamp {
        seconds: GO_ZERO_SECONDS,
        nanos: 0,
    };

    /// The point in time, if the timestamp is valid.
    pub fn to_datetime(self) -> Result<DateTime<Utc>, InvalidTimestamp> {
        let invalid = InvalidTimestamp {
            seconds: self.seconds,
            nanos: self.nanos,
        };
        let nanos = u32::try_from(self.nanos).map_err(|_| invalid)?;
        if nanos > 999_999_999 {
            return Err(invalid);
        }
        DateTime::from_timestamp(self.seconds, nanos).ok_or(invalid)
    }

    /// The point in time of an optional timestamp field: absent means Go's
    /// zero time, as for Alertmanager's non-nullable timestamp fields.
    pub fn or_go_zero(ts: Option<Timestamp>) -> Result<DateTime<Utc>, InvalidTimestamp> {
        ts.map_or_else(|| Ok(go_zero_time()), Timestamp::to_datetime)
    }
}

impl TryFrom<Timestamp> for DateTime<Utc> {
    type Error = InvalidTimestamp;

    fn try_from(ts: Timestamp) -> Result<Self, InvalidTimestamp> {
        ts.to_datetime()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    /// A leap second (chrono's nanos ≥ 10⁹) is clamped to the last
    /// nanosecond of its second, since protobuf cannot express it.
    fn from(t: DateTime<Utc>) -> Timestamp {
        let nanos = t.timestamp_subsec_nanos().min(999_999_999);
        Timestamp {
            seconds: t.timestamp(),
            nanos: i32::try_from(nanos).expect("nanos below 10^9 fit in i32"),
        }
    }
}

// ---------------------------------------------------------------------------
// silencepb

/// `silencepb.Matcher.Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MatcherType {
    Equal = 0,
    Regexp = 1,
    NotEqual = 2,
    NotRegexp = 3,
}

/// `silencepb.Matcher`: one label matcher of a silence.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Matcher {
    /// A [`MatcherType`] value; other numbers are possible on the wire.
    #[prost(enumeration = "MatcherType", tag = "1")]
    pub r#type: i32,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(string, tag = "3")]
    pub pattern: String,
}

/// `silencepb.Comment`: an element of the deprecated per-silence comment
/// list, which early Alertmanager versions wrote instead of `created_by` and
/// `comment` (upgraded on load since).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Comment {
    #[prost(string, tag = "1")]
    pub author: String,
    #[prost(string, tag = "2")]
    pub comment: String,
    #[prost(message, optional, tag = "3")]
    pub timestamp: Option<Timestamp>,
}

/// `silencepb.MatcherSet`: matchers that must all match (Alertmanager ≥ 0.28).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MatcherSet {
    #[prost(message, repeated, tag = "1")]
    pub matchers: Vec<Matcher>,
}

/// `silencepb.Silence`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Silence {
    #[prost(string, tag = "1")]
    pub id: String,
    /// The only matcher set before 0.28; from 0.28 on a copy of
    /// `matcher_sets[0]`.
    #[prost(message, repeated, tag = "2")]
    pub matchers: Vec<Matcher>,
    #[prost(message, optional, tag = "3")]
    pub starts_at: Option<Timestamp>,
    #[prost(message, optional, tag = "4")]
    pub ends_at: Option<Timestamp>,
    #[prost(message, optional, tag = "5")]
    pub updated_at: Option<Timestamp>,
    /// Deprecated; see [`Comment`].
    #[prost(message, repeated, tag = "7")]
    pub comments: Vec<Comment>,
    #[prost(string, tag = "8")]
    pub created_by: String,
    #[prost(string, tag = "9")]
    pub comment: String,
    /// Alertmanager ≥ 0.34.
    #[prost(btree_map = "string, string", tag = "10")]
    pub annotations: BTreeMap<String, String>,
    /// Alertmanager ≥ 0.28: OR of AND-lists.
    #[prost(message, repeated, tag = "11")]
    pub matcher_sets: Vec<MatcherSet>,
    /// Alertmanager ≥ 0.33.
    #[prost(message, repeated, tag = "12")]
    pub receiver_matcher_sets: Vec<MatcherSet>,
}

/// `silencepb.MeshSilence`: one record of the `silences` snapshot file.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MeshSilence {
    #[prost(message, optional, tag = "1")]
    pub silence: Option<Silence>,
    /// When the silence may be garbage-collected (`ends_at` + retention).
    #[prost(message, optional, tag = "2")]
    pub expires_at: Option<Timestamp>,
}

// ---------------------------------------------------------------------------
// nflogpb

/// `nflogpb.Receiver`: one integration of a receiver.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Receiver {
    #[prost(string, tag = "1")]
    pub group_name: String,
    #[prost(string, tag = "2")]
    pub integration: String,
    #[prost(uint32, tag = "3")]
    pub idx: u32,
}

/// `nflogpb.Entry`: the last successful notification of a group through
/// one integration.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Entry {
    #[prost(bytes = "vec", tag = "1")]
    pub group_key: Vec<u8>,
    #[prost(message, optional, tag = "2")]
    pub receiver: Option<Receiver>,
    /// Deprecated (superseded by `firing_alerts`); not written by 0.25.
    #[prost(bytes = "vec", tag = "3")]
    pub group_hash: Vec<u8>,
    /// Deprecated (superseded by `resolved_alerts`).
    #[prost(bool, tag = "4")]
    pub resolved: bool,
    #[prost(message, optional, tag = "5")]
    pub timestamp: Option<Timestamp>,
    #[prost(uint64, repeated, tag = "6")]
    pub firing_alerts: Vec<u64>,
    #[prost(uint64, repeated, tag = "7")]
    pub resolved_alerts: Vec<u64>,
    /// Alertmanager ≥ 0.34: per-integration data.
    #[prost(map = "string, message", tag = "8")]
    pub receiver_data: HashMap<String, ReceiverDataValue>,
}

/// `nflogpb.MeshEntry`: one record of the `nflog` snapshot file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MeshEntry {
    #[prost(message, optional, tag = "1")]
    pub entry: Option<Entry>,
    #[prost(message, optional, tag = "2")]
    pub expires_at: Option<Timestamp>,
}

/// `nflogpb.ReceiverDataValue`: one value of [`Entry::receiver_data`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReceiverDataValue {
    #[prost(oneof = "ReceiverDataKind", tags = "1, 2, 3")]
    pub value: Option<ReceiverDataKind>,
}

/// The `value` oneof of [`ReceiverDataValue`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum ReceiverDataKind {
    #[prost(string, tag = "1")]
    StrVal(String),
    #[prost(int64, tag = "2")]
    IntVal(i64),
    #[prost(double, tag = "3")]
    DoubleVal(f64),
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use prost::Message;

    use super::*;

    #[test]
    fn go_zero_time_round_trips() {
        assert_eq!(Timestamp::from(go_zero_time()), Timestamp::GO_ZERO);
        assert_eq!(Timestamp::GO_ZERO.to_datetime(), Ok(go_zero_time()));
        assert_eq!(Timestamp::or_go_zero(None), Ok(go_zero_time()));
    }

    #[test]
    fn timestamps_convert_both_ways() {
        let t = Utc
            .with_ymd_and_hms(2024, 2, 29, 12, 30, 5)
            .unwrap()
            .checked_add_signed(chrono::TimeDelta::nanoseconds(123_456_789))
            .unwrap();
        let ts = Timestamp::from(t);
        assert_eq!(
            ts,
            Timestamp {
                seconds: 1_709_209_805,
                nanos: 123_456_789
            }
        );
        assert_eq!(DateTime::<Utc>::try_from(ts), Ok(t));
        assert_eq!(Timestamp::or_go_zero(Some(ts)), Ok(t));
    }

    #[test]
    fn invalid_timestamps_are_rejected() {
        for nanos in [-1, 1_000_000_000] {
            let ts = Timestamp { seconds: 0, nanos };
            assert_eq!(
                ts.to_datetime(),
                Err(InvalidTimestamp { seconds: 0, nanos })
            );
        }
        let huge = Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        };
        assert!(huge.to_datetime().is_err());
    }

    /// The encoding matches protobuf's: checked against bytes that
    /// Alertmanager 0.25 wrote (a `Receiver` and a `Timestamp`).
    #[test]
    fn wire_encoding_matches_protobuf() {
        let r = Receiver {
            group_name: "name".into(),
            integration: "webhook".into(),
            idx: 0,
        };
        assert_eq!(r.encode_to_vec(), b"\x0a\x04name\x12\x07webhook");
        let ts = Timestamp {
            seconds: 1,
            nanos: 2,
        };
        assert_eq!(ts.encode_to_vec(), [0x08, 0x01, 0x10, 0x02]);
        let m = Matcher {
            r#type: MatcherType::NotRegexp as i32,
            name: "a".into(),
            pattern: "b".into(),
        };
        assert_eq!(m.encode_to_vec(), b"\x08\x03\x12\x01a\x1a\x01b");
        // Repeated scalars are packed, as Go writes them.
        let e = Entry {
            firing_alerts: vec![1, 2],
            ..Entry::default()
        };
        assert_eq!(e.encode_to_vec(), [0x32, 0x02, 0x01, 0x02]);
    }

    #[test]
    fn receiver_data_oneof_round_trips() {
        let mut e = Entry::default();
        e.receiver_data.insert(
            "k".into(),
            ReceiverDataValue {
                value: Some(ReceiverDataKind::IntVal(-5)),
            },
        );
        let back = Entry::decode(e.encode_to_vec().as_slice()).unwrap();
        assert_eq!(
            back.receiver_data["k"].value,
            Some(ReceiverDataKind::IntVal(-5))
        );
    }
}
