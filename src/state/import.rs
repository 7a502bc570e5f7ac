//! Reading Alertmanager's on-disk state snapshots — the `silences` and
//! `nflog` files under its `--storage.path` — into Tocsin's silences and
//! notification log entries, so that a team switching to Tocsin keeps its
//! silences and is not paged again for what was already notified.
//!
//! Both files are what Alertmanager's `pbutil.WriteDelimited` produces: a
//! plain concatenation of messages, each preceded by its length as a
//! protobuf varint (`silencepb.MeshSilence` resp. `nflogpb.MeshEntry`, see
//! [`super::ampb`]). An empty file is an empty state. Like Alertmanager,
//! which refuses to start on a snapshot it cannot decode, the readers fail on
//! the first bad record; the [`ImportError`] names the file, the record
//! (0-based) and its byte offset, and says what is wrong.
//!
//! Nothing is filtered: silences and entries whose `expires_at` has passed
//! are returned too, in file order (Alertmanager writes each id / each
//! group-and-receiver once; if a file repeats one, every copy is returned and
//! the store's restore rules pick one).

use std::fmt;
use std::path::{Path, PathBuf};

use prost::Message;

use super::ampb;
use crate::alert::Timestamp;
use crate::matcher::{MatchType, Matcher, Matchers};
use crate::nflog;
use crate::silence::Silence;

/// Why a snapshot file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read at all.
    #[error("cannot read Alertmanager state file {}: {error}", path.display())]
    Read {
        path: PathBuf,
        /// Part of the message rather than a `source()`, so that a printed
        /// error chain does not repeat it.
        error: std::io::Error,
    },
    /// Record number `record` (0-based), starting at byte `offset`, is bad.
    #[error(
        "Alertmanager state file {}: record {record} (at byte {offset}): {problem}",
        path.display()
    )]
    Record {
        path: PathBuf,
        record: usize,
        offset: usize,
        problem: Box<RecordProblem>,
    },
}

impl ImportError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ImportError::Read { path, .. } | ImportError::Record { path, .. } => path,
        }
    }

    /// The 0-based number of the bad record, if the file could be read.
    pub fn record(&self) -> Option<usize> {
        match self {
            ImportError::Read { .. } => None,
            ImportError::Record { record, .. } => Some(*record),
        }
    }

    /// What is wrong with the bad record, if the file could be read.
    pub fn problem(&self) -> Option<&RecordProblem> {
        match self {
            ImportError::Read { .. } => None,
            ImportError::Record { problem, .. } => Some(&**problem),
        }
    }
}

/// What is wrong with one record of a snapshot file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordProblem {
    /// The bytes where a record should start are no valid length prefix.
    #[error(
        "no valid length prefix here: garbage bytes, or the file ends in the middle of a prefix"
    )]
    BadLengthPrefix,
    /// The length prefix announces more bytes than the file has left.
    #[error("file truncated: the record announces {declared} bytes but only {available} are left")]
    Truncated { declared: usize, available: usize },
    /// The record's bytes are no valid message of the expected type.
    #[error("not a valid {message} message (garbage bytes?): {reason}")]
    Malformed {
        message: &'static str,
        reason: String,
    },
    /// A `MeshSilence` without its `silence` field.
    #[error("record has no silence")]
    NoSilence,
    /// A silence with an empty `id`.
    #[error("silence without id")]
    NoSilenceId,
    /// A matcher type other than the four Alertmanager knows.
    #[error("silence {id}: matcher {index} of {set}: unknown matcher type {value}")]
    UnknownMatcherType {
        id: String,
        set: MatcherSetRef,
        index: usize,
        value: i32,
    },
    /// A regex matcher whose pattern does not compile.
    #[error(
        "silence {id}: matcher {index} of {set} ({name:?}): invalid regex {pattern:?}: {error}"
    )]
    BadRegex {
        id: String,
        set: MatcherSetRef,
        index: usize,
        name: String,
        pattern: String,
        error: String,
    },
    /// A timestamp that is no valid point in time.
    #[error("{what}: field {field}: {error}")]
    BadTimestamp {
        /// `silence <id>` or `entry for group <key>`.
        what: String,
        field: &'static str,
        error: ampb::InvalidTimestamp,
    },
    /// A `MeshEntry` without its `entry` field.
    #[error("record has no notification log entry")]
    NoEntry,
    /// A notification log entry without its `receiver` field.
    #[error("notification log entry for group {group_key:?} has no receiver")]
    NoReceiver { group_key: String },
    /// A group key that is not UTF-8 (shown with invalid bytes replaced).
    #[error("notification log entry: group key is not valid UTF-8: {lossy:?}")]
    GroupKeyNotUtf8 { lossy: String },
}

/// Which matcher set of a silence an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatcherSetRef {
    /// An alert matcher set: 0 is [`Silence::matchers`] (from the legacy
    /// `matchers` field when `matcher_sets` is empty).
    Alert(usize),
    /// A receiver matcher set.
    Receiver(usize),
}

impl fmt::Display for MatcherSetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatcherSetRef::Alert(i) => write!(f, "matcher set {i}"),
            MatcherSetRef::Receiver(i) => write!(f, "receiver matcher set {i}"),
        }
    }
}

/// Reads an Alertmanager `silences` snapshot.
///
/// Each `MeshSilence` becomes a [`Silence`], converted as Alertmanager does
/// when it loads a snapshot:
///
/// - Alert matchers: if `matcher_sets` is empty (every version before 0.28)
///   the legacy `matchers` field is the only set; otherwise `matcher_sets` is
///   authoritative — its set 0 becomes [`Silence::matchers`], the rest
///   [`Silence::extra_matcher_sets`] — and the legacy field, which then only
///   repeats set 0, is ignored.
/// - `receiver_matcher_sets` and `annotations` are carried over as they are.
/// - The deprecated `comments` list is upgraded like Alertmanager 0.25 does
///   (`silence/silence.go`, `loadSnapshot`, lines 805–810 of the 0.25.0
///   source; the same rule is applied to gossiped silences at lines
///   889–895): when the list is not empty, the author and text of its
///   *first* comment replace `created_by` and `comment`, even if those are
///   set, and the list itself is discarded (later comments and the comment
///   timestamp are lost).
/// - Missing timestamps are Go's zero time.
///
/// The record's `expires_at` is not returned: Tocsin's store derives it as
/// `ends_at + --data.retention`, which is how Alertmanager computed it.
///
/// Fails on the first record that cannot be decoded, has no silence or no
/// id, an unknown matcher type, a regex that does not compile or an invalid
/// timestamp.
pub fn read_silences(path: &Path) -> Result<Vec<Silence>, ImportError> {
    read_records::<ampb::MeshSilence, _>(path, "MeshSilence", silence_from_pb)
}

/// Reads an Alertmanager `nflog` snapshot.
///
/// Each `MeshEntry` becomes an [`nflog::Entry`]: the group key (bytes on the
/// wire) must be UTF-8, the receiver must be present; the alert hash lists
/// are kept in file order; missing timestamps are Go's zero time.
///
/// Not carried over: the deprecated `group_hash` and `resolved` fields
/// (neither written nor read by Alertmanager 0.25 or later), and
/// Alertmanager 0.34's `receiver_data`, which Tocsin's entry has no place
/// for — no integration shipped with Alertmanager fills it.
pub fn read_nflog(path: &Path) -> Result<Vec<nflog::Entry>, ImportError> {
    read_records::<ampb::MeshEntry, _>(path, "MeshEntry", entry_from_pb)
}

/// Decodes the length-delimited records of the file at `path` one after the
/// other and converts each with `convert`.
fn read_records<M, T>(
    path: &Path,
    message: &'static str,
    convert: impl Fn(M) -> Result<T, RecordProblem>,
) -> Result<Vec<T>, ImportError>
where
    M: Message + Default,
{
    let bytes = std::fs::read(path).map_err(|error| ImportError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let mut rest: &[u8] = &bytes;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let record = out.len();
        let offset = bytes.len() - rest.len();
        let fail = |problem| ImportError::Record {
            path: path.to_path_buf(),
            record,
            offset,
            problem: Box::new(problem),
        };
        let before = rest;
        let msg = M::decode_length_delimited(&mut rest)
            .map_err(|e| fail(framing_problem(before, message, &e)))?;
        out.push(convert(msg).map_err(fail)?);
    }
    Ok(out)
}

/// Tells apart why `decode_length_delimited` failed on the bytes `rest`.
fn framing_problem(rest: &[u8], message: &'static str, err: &prost::DecodeError) -> RecordProblem {
    let mut body = rest;
    match prost::decode_length_delimiter(&mut body) {
        Err(_) => RecordProblem::BadLengthPrefix,
        Ok(declared) if declared > body.len() => RecordProblem::Truncated {
            declared,
            available: body.len(),
        },
        Ok(_) => RecordProblem::Malformed {
            message,
            reason: err.to_string(),
        },
    }
}

fn time(
    ts: Option<ampb::Timestamp>,
    what: impl FnOnce() -> String,
    field: &'static str,
) -> Result<Timestamp, RecordProblem> {
    ampb::Timestamp::or_go_zero(ts).map_err(|error| RecordProblem::BadTimestamp {
        what: what(),
        field,
        error,
    })
}

fn match_type(t: ampb::MatcherType) -> MatchType {
    match t {
        ampb::MatcherType::Equal => MatchType::Equal,
        ampb::MatcherType::NotEqual => MatchType::NotEqual,
        ampb::MatcherType::Regexp => MatchType::Regexp,
        ampb::MatcherType::NotRegexp => MatchType::NotRegexp,
    }
}

/// Builds one matcher set of silence `id`, compiling regexes.
fn matchers_from_pb(
    id: &str,
    set: MatcherSetRef,
    pb: Vec<ampb::Matcher>,
) -> Result<Matchers, RecordProblem> {
    pb.into_iter()
        .enumerate()
        .map(|(index, m)| {
            let op = ampb::MatcherType::try_from(m.r#type).map_err(|_| {
                RecordProblem::UnknownMatcherType {
                    id: id.to_string(),
                    set,
                    index,
                    value: m.r#type,
                }
            })?;
            Matcher::new(match_type(op), m.name.as_str(), m.pattern.as_str()).map_err(|e| {
                RecordProblem::BadRegex {
                    id: id.to_string(),
                    set,
                    index,
                    name: m.name.clone(),
                    pattern: m.pattern.clone(),
                    error: e.to_string(),
                }
            })
        })
        .collect()
}

fn silence_from_pb(mesh: ampb::MeshSilence) -> Result<Silence, RecordProblem> {
    let s = mesh.silence.ok_or(RecordProblem::NoSilence)?;
    if s.id.is_empty() {
        return Err(RecordProblem::NoSilenceId);
    }
    let id = s.id;
    let what = || format!("silence {id}");
    let starts_at = time(s.starts_at, what, "starts_at")?;
    let ends_at = time(s.ends_at, what, "ends_at")?;
    let updated_at = time(s.updated_at, what, "updated_at")?;

    // Alert matcher sets: `matcher_sets` when present (≥ 0.28), else the
    // legacy field as the only set.
    let alert_sets = if s.matcher_sets.is_empty() {
        vec![s.matchers]
    } else {
        s.matcher_sets.into_iter().map(|set| set.matchers).collect()
    };
    let mut alert_sets = alert_sets
        .into_iter()
        .enumerate()
        .map(|(i, set)| matchers_from_pb(&id, MatcherSetRef::Alert(i), set))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter();
    let matchers = alert_sets.next().unwrap_or_default();
    let extra_matcher_sets = alert_sets.collect();
    let receiver_matcher_sets = s
        .receiver_matcher_sets
        .into_iter()
        .enumerate()
        .map(|(i, set)| matchers_from_pb(&id, MatcherSetRef::Receiver(i), set.matchers))
        .collect::<Result<Vec<_>, _>>()?;

    // The 0.25 upgrade of the deprecated comment list (see `read_silences`).
    let (created_by, comment) = match s.comments.into_iter().next() {
        Some(first) => (first.author, first.comment),
        None => (s.created_by, s.comment),
    };

    Ok(Silence {
        id,
        matchers,
        starts_at,
        ends_at,
        updated_at,
        created_by,
        comment,
        annotations: s.annotations,
        extra_matcher_sets,
        receiver_matcher_sets,
    })
}

fn entry_from_pb(mesh: ampb::MeshEntry) -> Result<nflog::Entry, RecordProblem> {
    let e = mesh.entry.ok_or(RecordProblem::NoEntry)?;
    let group_key =
        String::from_utf8(e.group_key).map_err(|err| RecordProblem::GroupKeyNotUtf8 {
            lossy: String::from_utf8_lossy(err.as_bytes()).into_owned(),
        })?;
    let Some(r) = e.receiver else {
        return Err(RecordProblem::NoReceiver { group_key });
    };
    let what = || format!("entry for group {group_key:?}");
    let timestamp = time(e.timestamp, what, "timestamp")?;
    let expires_at = time(mesh.expires_at, what, "expires_at")?;
    Ok(nflog::Entry {
        receiver: nflog::Receiver::new(r.group_name, r.integration, r.idx),
        timestamp,
        firing_alerts: e.firing_alerts,
        resolved_alerts: e.resolved_alerts,
        expires_at,
        group_key,
        receiver_data: e
            .receiver_data
            .into_iter()
            .filter_map(|(k, v)| {
                let v = match v.value? {
                    ampb::ReceiverDataKind::StrVal(s) => s,
                    ampb::ReceiverDataKind::IntVal(i) => i.to_string(),
                    ampb::ReceiverDataKind::DoubleVal(d) => d.to_string(),
                };
                Some((k, v))
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::io::Write;

    use chrono::{TimeDelta, TimeZone, Utc};

    use super::*;
    use crate::alert::{LabelSet, go_zero_time};

    fn t(secs: i64) -> Timestamp {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    fn pbt(secs: i64) -> Option<ampb::Timestamp> {
        Some(ampb::Timestamp {
            seconds: secs,
            nanos: 0,
        })
    }

    fn pbm(ty: ampb::MatcherType, name: &str, pattern: &str) -> ampb::Matcher {
        ampb::Matcher {
            r#type: ty as i32,
            name: name.into(),
            pattern: pattern.into(),
        }
    }

    fn m(op: MatchType, name: &str, value: &str) -> Matcher {
        Matcher::new(op, name, value).unwrap()
    }

    fn set(ms: &[ampb::Matcher]) -> ampb::MatcherSet {
        ampb::MatcherSet {
            matchers: ms.to_vec(),
        }
    }

    fn mesh(s: ampb::Silence) -> ampb::MeshSilence {
        ampb::MeshSilence {
            silence: Some(s),
            expires_at: pbt(5000),
        }
    }

    fn delimited<M: Message>(msgs: &[M]) -> Vec<u8> {
        msgs.iter()
            .flat_map(Message::encode_length_delimited_to_vec)
            .collect()
    }

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f.flush().unwrap();
        f
    }

    fn problem(err: &ImportError) -> &RecordProblem {
        err.problem().expect("a record error")
    }

    use ampb::MatcherType::{Equal, NotEqual, NotRegexp, Regexp};

    /// A silence as Alertmanager 0.25 (and older) wrote it: legacy matchers
    /// only, and here the deprecated comment list instead of
    /// `created_by`/`comment`.
    #[test]
    fn silence_in_025_shape_with_comment_list() {
        let old = ampb::Silence {
            id: "s-025".into(),
            matchers: vec![pbm(Equal, "job", "api"), pbm(Regexp, "env", "prod|stage")],
            starts_at: pbt(1000),
            ends_at: pbt(2000),
            updated_at: None,
            comments: vec![
                ampb::Comment {
                    author: "first@example.com".into(),
                    comment: "first comment".into(),
                    timestamp: pbt(900),
                },
                ampb::Comment {
                    author: "second".into(),
                    comment: "second comment".into(),
                    timestamp: pbt(950),
                },
            ],
            ..Default::default()
        };
        // The comment list wins over fields that are set, as in 0.25.
        let both = ampb::Silence {
            id: "s-both".into(),
            matchers: vec![pbm(Equal, "a", "b")],
            created_by: "field-author".into(),
            comment: "field comment".into(),
            comments: vec![ampb::Comment {
                author: "list-author".into(),
                comment: "list comment".into(),
                timestamp: None,
            }],
            ..Default::default()
        };
        let f = file(&delimited(&[mesh(old), mesh(both)]));
        let got = read_silences(f.path()).unwrap();
        assert_eq!(got.len(), 2);

        let want = Silence {
            id: "s-025".into(),
            matchers: Matchers::from(vec![
                m(MatchType::Equal, "job", "api"),
                m(MatchType::Regexp, "env", "prod|stage"),
            ]),
            starts_at: t(1000),
            ends_at: t(2000),
            updated_at: go_zero_time(),
            created_by: "first@example.com".into(),
            comment: "first comment".into(),
            annotations: BTreeMap::new(),
            extra_matcher_sets: vec![],
            receiver_matcher_sets: vec![],
        };
        assert_eq!(got[0], want);
        assert!(got[0].matchers[1].regex().is_some());

        assert_eq!(got[1].id, "s-both");
        assert_eq!(got[1].created_by, "list-author");
        assert_eq!(got[1].comment, "list comment");
        assert_eq!(got[1].starts_at, go_zero_time());
        assert_eq!(got[1].ends_at, go_zero_time());
    }

    /// Fields set and no comment list: taken as they are.
    #[test]
    fn silence_without_comment_list_keeps_its_fields() {
        let s = ampb::Silence {
            id: "s".into(),
            matchers: vec![pbm(Equal, "a", "b")],
            created_by: "me".into(),
            comment: "why".into(),
            ..Default::default()
        };
        let f = file(&delimited(&[mesh(s)]));
        let got = read_silences(f.path()).unwrap();
        assert_eq!(
            (got[0].created_by.as_str(), got[0].comment.as_str()),
            ("me", "why")
        );
    }

    /// A silence as Alertmanager ≥ 0.28 writes it: several matcher sets,
    /// the legacy field repeating set 0, plus 0.33/0.34 fields.
    #[test]
    fn silence_in_028_shape_with_matcher_sets() {
        let set0 = [pbm(Equal, "alertname", "Down"), pbm(NotEqual, "env", "dev")];
        let set1 = [pbm(Regexp, "job", "node|blackbox")];
        let set2 = [pbm(NotRegexp, "team", "db.*"), pbm(Equal, "x", "")];
        let s = ampb::Silence {
            id: "s-028".into(),
            matchers: set0.to_vec(),
            starts_at: Some(ampb::Timestamp {
                seconds: 1_700_000_000,
                nanos: 250_000_000,
            }),
            ends_at: pbt(1_700_003_600),
            updated_at: pbt(1_700_000_001),
            created_by: "carol".into(),
            comment: "upgrade".into(),
            annotations: BTreeMap::from([
                ("ticket".to_string(), "OPS-1".to_string()),
                ("url".to_string(), "https://x".to_string()),
            ]),
            matcher_sets: vec![set(&set0), set(&set1), set(&set2)],
            receiver_matcher_sets: vec![
                set(&[pbm(Equal, "receiver", "pager")]),
                set(&[pbm(Regexp, "receiver", "team-.*")]),
            ],
            ..Default::default()
        };
        let f = file(&delimited(&[mesh(s)]));
        let got = read_silences(f.path()).unwrap();
        let want = Silence {
            id: "s-028".into(),
            matchers: Matchers::from(vec![
                m(MatchType::Equal, "alertname", "Down"),
                m(MatchType::NotEqual, "env", "dev"),
            ]),
            starts_at: t(1_700_000_000) + TimeDelta::milliseconds(250),
            ends_at: t(1_700_003_600),
            updated_at: t(1_700_000_001),
            created_by: "carol".into(),
            comment: "upgrade".into(),
            annotations: BTreeMap::from([
                ("ticket".to_string(), "OPS-1".to_string()),
                ("url".to_string(), "https://x".to_string()),
            ]),
            extra_matcher_sets: vec![
                Matchers::from(vec![m(MatchType::Regexp, "job", "node|blackbox")]),
                Matchers::from(vec![
                    m(MatchType::NotRegexp, "team", "db.*"),
                    m(MatchType::Equal, "x", ""),
                ]),
            ],
            receiver_matcher_sets: vec![
                Matchers::from(vec![m(MatchType::Equal, "receiver", "pager")]),
                Matchers::from(vec![m(MatchType::Regexp, "receiver", "team-.*")]),
            ],
        };
        assert_eq!(got, vec![want]);
        // The OR of the sets applies.
        let labels = LabelSet::from_pairs([("job", "node"), ("team", "web")]);
        assert!(got[0].matches(&labels));
    }

    /// With `matcher_sets` present the legacy field is not looked at, not
    /// even compiled.
    #[test]
    fn matcher_sets_are_authoritative_over_legacy_field() {
        let s = ampb::Silence {
            id: "s".into(),
            matchers: vec![pbm(Regexp, "stale", "(")],
            matcher_sets: vec![set(&[pbm(Equal, "a", "1")])],
            ..Default::default()
        };
        let f = file(&delimited(&[mesh(s)]));
        let got = read_silences(f.path()).unwrap();
        assert_eq!(
            got[0].matchers,
            Matchers::from(vec![m(MatchType::Equal, "a", "1")])
        );
        assert!(got[0].extra_matcher_sets.is_empty());
    }

    #[test]
    fn all_four_matcher_types() {
        let s = ampb::Silence {
            id: "types".into(),
            matchers: vec![
                pbm(Equal, "a", "1"),
                pbm(Regexp, "b", "2|3"),
                pbm(NotEqual, "c", "4"),
                pbm(NotRegexp, "d", "5.*"),
            ],
            ..Default::default()
        };
        let f = file(&delimited(&[mesh(s)]));
        let got = read_silences(f.path()).unwrap();
        let ops: Vec<(MatchType, &str, &str)> = got[0]
            .matchers
            .iter()
            .map(|m| (m.op(), m.name(), m.value()))
            .collect();
        assert_eq!(
            ops,
            [
                (MatchType::Equal, "a", "1"),
                (MatchType::Regexp, "b", "2|3"),
                (MatchType::NotEqual, "c", "4"),
                (MatchType::NotRegexp, "d", "5.*"),
            ]
        );
        let hit = LabelSet::from_pairs([("a", "1"), ("b", "3"), ("c", "x"), ("d", "6")]);
        let miss = LabelSet::from_pairs([("a", "1"), ("b", "3"), ("c", "x"), ("d", "55")]);
        assert!(got[0].matches(&hit));
        assert!(!got[0].matches(&miss));
    }

    #[test]
    fn unknown_matcher_type_is_an_error() {
        let mut bad = pbm(Equal, "a", "1");
        bad.r#type = 7;
        let s = ampb::Silence {
            id: "odd".into(),
            matchers: vec![pbm(Equal, "ok", "1"), bad],
            ..Default::default()
        };
        let f = file(&delimited(&[mesh(s)]));
        let err = read_silences(f.path()).unwrap_err();
        assert_eq!(
            problem(&err).to_string(),
            "silence odd: matcher 1 of matcher set 0: unknown matcher type 7"
        );
    }

    #[test]
    fn bad_regex_names_the_silence() {
        let good = ampb::Silence {
            id: "good".into(),
            matchers: vec![pbm(Equal, "a", "1")],
            ..Default::default()
        };
        let bad = ampb::Silence {
            id: "bad-one".into(),
            matchers: vec![pbm(Equal, "a", "1")],
            matcher_sets: vec![
                set(&[pbm(Equal, "a", "1")]),
                set(&[pbm(Equal, "x", "y"), pbm(NotRegexp, "job", "(api")]),
            ],
            ..Default::default()
        };
        let bytes = delimited(&[mesh(good.clone()), mesh(bad)]);
        let f = file(&bytes);
        let err = read_silences(f.path()).unwrap_err();
        assert_eq!(err.record(), Some(1));
        let offset = mesh(good).encode_length_delimited_to_vec().len();
        assert_eq!(
            err.to_string(),
            format!(
                "Alertmanager state file {}: record 1 (at byte {offset}): silence bad-one: \
                 matcher 1 of matcher set 1 (\"job\"): invalid regex \"(api\": \
                 error parsing regexp: missing closing ): `^(?:(api)$`",
                f.path().display()
            )
        );

        // Receiver matcher sets are compiled too.
        let bad_receiver = ampb::Silence {
            id: "r".into(),
            receiver_matcher_sets: vec![set(&[pbm(Regexp, "receiver", "[")])],
            ..Default::default()
        };
        let f = file(&delimited(&[mesh(bad_receiver)]));
        let err = read_silences(f.path()).unwrap_err();
        assert!(
            matches!(
                problem(&err),
                RecordProblem::BadRegex { id, set: MatcherSetRef::Receiver(0), index: 0, .. }
                    if id == "r"
            ),
            "{err}"
        );
    }

    #[test]
    fn silence_without_body_or_id_is_an_error() {
        let no_body = ampb::MeshSilence {
            silence: None,
            expires_at: pbt(1),
        };
        let ok = mesh(ampb::Silence {
            id: "ok".into(),
            ..Default::default()
        });
        let f = file(&delimited(&[ok.clone(), no_body]));
        let err = read_silences(f.path()).unwrap_err();
        assert_eq!(err.record(), Some(1));
        assert_eq!(problem(&err), &RecordProblem::NoSilence);

        let no_id = mesh(ampb::Silence::default());
        let f = file(&delimited(&[ok.clone(), ok, no_id]));
        let err = read_silences(f.path()).unwrap_err();
        assert_eq!(err.record(), Some(2));
        assert_eq!(problem(&err), &RecordProblem::NoSilenceId);
    }

    #[test]
    fn expired_and_duplicate_silences_are_all_returned() {
        let old = ampb::MeshSilence {
            silence: Some(ampb::Silence {
                id: "gone".into(),
                starts_at: pbt(1),
                ends_at: pbt(2),
                ..Default::default()
            }),
            expires_at: pbt(3),
        };
        let f = file(&delimited(&[old.clone(), old]));
        let got = read_silences(f.path()).unwrap();
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|s| s.id == "gone" && s.ends_at == t(2)));
    }

    #[test]
    fn invalid_timestamp_is_an_error() {
        let s = ampb::Silence {
            id: "ts".into(),
            ends_at: Some(ampb::Timestamp {
                seconds: 10,
                nanos: -1,
            }),
            ..Default::default()
        };
        let f = file(&delimited(&[mesh(s)]));
        let err = read_silences(f.path()).unwrap_err();
        assert_eq!(
            problem(&err).to_string(),
            "silence ts: field ends_at: invalid timestamp (seconds 10, nanos -1)"
        );
    }

    fn pb_entry(key: &str, receiver: (&str, &str, u32), ts: i64) -> ampb::MeshEntry {
        ampb::MeshEntry {
            entry: Some(ampb::Entry {
                group_key: key.as_bytes().to_vec(),
                receiver: Some(ampb::Receiver {
                    group_name: receiver.0.into(),
                    integration: receiver.1.into(),
                    idx: receiver.2,
                }),
                timestamp: pbt(ts),
                firing_alerts: vec![30, 10, 20],
                resolved_alerts: vec![5],
                ..Default::default()
            }),
            expires_at: pbt(ts + 7200),
        }
    }

    #[test]
    fn nflog_entries_for_several_receivers() {
        let gk = "{}/{team=\"a\"}:{alertname=\"X\"}";
        let mut with_data = pb_entry(gk, ("team-a", "slack", 1), 200);
        let inner = with_data.entry.as_mut().unwrap();
        inner.receiver_data = HashMap::from([(
            "thread".to_string(),
            ampb::ReceiverDataValue {
                value: Some(ampb::ReceiverDataKind::StrVal("123.456".into())),
            },
        )]);
        inner.firing_alerts.clear();
        inner.resolved_alerts = vec![u64::MAX, 1];
        let records = [
            pb_entry(gk, ("team-a", "webhook", 0), 100),
            with_data,
            pb_entry("{}:{alertname=\"Y\"}", ("ops", "email", 2), 300),
        ];
        let f = file(&delimited(&records));
        let got = read_nflog(f.path()).unwrap();
        let want = vec![
            nflog::Entry {
                group_key: gk.into(),
                receiver: nflog::Receiver::new("team-a", "webhook", 0),
                timestamp: t(100),
                firing_alerts: vec![30, 10, 20],
                resolved_alerts: vec![5],
                expires_at: t(7300),
                receiver_data: Default::default(),
            },
            nflog::Entry {
                group_key: gk.into(),
                receiver: nflog::Receiver::new("team-a", "slack", 1),
                timestamp: t(200),
                firing_alerts: vec![],
                resolved_alerts: vec![u64::MAX, 1],
                expires_at: t(7400),
                // Alertmanager 0.34's receiver data is imported.
                receiver_data: [("thread".to_string(), "123.456".to_string())].into(),
            },
            nflog::Entry {
                group_key: "{}:{alertname=\"Y\"}".into(),
                receiver: nflog::Receiver::new("ops", "email", 2),
                timestamp: t(300),
                firing_alerts: vec![30, 10, 20],
                resolved_alerts: vec![5],
                expires_at: t(7500),
                receiver_data: Default::default(),
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn nflog_entry_problems() {
        let ok = pb_entry("{}:{}", ("r", "webhook", 0), 1);

        let no_entry = ampb::MeshEntry {
            entry: None,
            expires_at: pbt(1),
        };
        let f = file(&delimited(&[ok.clone(), no_entry]));
        let err = read_nflog(f.path()).unwrap_err();
        assert_eq!(
            (err.record(), problem(&err)),
            (Some(1), &RecordProblem::NoEntry)
        );

        let mut no_receiver = ok.clone();
        no_receiver.entry.as_mut().unwrap().receiver = None;
        let f = file(&delimited(&[no_receiver]));
        let err = read_nflog(f.path()).unwrap_err();
        assert_eq!(err.record(), Some(0));
        assert_eq!(
            problem(&err).to_string(),
            "notification log entry for group \"{}:{}\" has no receiver"
        );

        let mut bad_key = ok.clone();
        bad_key.entry.as_mut().unwrap().group_key = b"{}:\xff".to_vec();
        let f = file(&delimited(&[ok.clone(), ok, bad_key]));
        let err = read_nflog(f.path()).unwrap_err();
        assert_eq!(err.record(), Some(2));
        assert_eq!(
            problem(&err),
            &RecordProblem::GroupKeyNotUtf8 {
                lossy: "{}:\u{fffd}".into()
            }
        );
    }

    #[test]
    fn empty_files_are_empty_states() {
        let f = file(b"");
        assert_eq!(read_silences(f.path()).unwrap(), vec![]);
        assert_eq!(read_nflog(f.path()).unwrap(), vec![]);
    }

    #[test]
    fn missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("silences");
        let err = read_silences(&path).unwrap_err();
        assert!(matches!(err, ImportError::Read { .. }), "{err:?}");
        assert_eq!(err.path(), path);
        assert!(
            err.to_string().starts_with(&format!(
                "cannot read Alertmanager state file {}: ",
                path.display()
            )),
            "{err}"
        );
    }

    #[test]
    fn truncated_file_names_the_record() {
        let records: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|id| {
                mesh(ampb::Silence {
                    id: id.to_string(),
                    matchers: vec![pbm(Equal, "x", "y")],
                    ..Default::default()
                })
            })
            .collect();
        let bytes = delimited(&records);
        let first_two = delimited(&records[..2]).len();
        let third = records[2].encoded_len();
        // Cut the last record in its body, 3 bytes short.
        let f = file(&bytes[..bytes.len() - 3]);
        let err = read_silences(f.path()).unwrap_err();
        assert_eq!(err.record(), Some(2));
        assert_eq!(
            problem(&err),
            &RecordProblem::Truncated {
                declared: third,
                available: third - 3
            }
        );
        assert_eq!(
            err.to_string(),
            format!(
                "Alertmanager state file {}: record 2 (at byte {first_two}): file truncated: \
                 the record announces {third} bytes but only {} are left",
                f.path().display(),
                third - 3
            )
        );

        // Cut inside a multi-byte length prefix.
        let big = ampb::MeshEntry {
            entry: Some(ampb::Entry {
                group_key: vec![b'k'; 300],
                ..Default::default()
            }),
            expires_at: None,
        };
        let bytes = big.encode_length_delimited_to_vec();
        assert!(bytes[0] & 0x80 != 0, "prefix longer than one byte");
        let f = file(&bytes[..1]);
        let err = read_nflog(f.path()).unwrap_err();
        assert_eq!(
            (err.record(), problem(&err)),
            (Some(0), &RecordProblem::BadLengthPrefix)
        );
    }

    #[test]
    fn garbage_bytes_are_an_error() {
        let ok = delimited(&[pb_entry("{}:{}", ("r", "webhook", 0), 1)]);
        // A plausible length followed by bytes that are no MeshEntry (field
        // 1 declared length-delimited with a length past the end).
        let mut bytes = ok.clone();
        bytes.extend_from_slice(&[4, 0x0a, 0x7f, 0xff, 0xff]);
        let f = file(&bytes);
        let err = read_nflog(f.path()).unwrap_err();
        assert_eq!(err.record(), Some(1));
        assert!(
            matches!(
                problem(&err),
                RecordProblem::Malformed {
                    message: "MeshEntry",
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().starts_with(&format!(
                "Alertmanager state file {}: record 1 (at byte {}): not a valid MeshEntry message",
                f.path().display(),
                ok.len()
            )),
            "{err}"
        );

        // Text where a snapshot is expected: "hello" claims 104 bytes.
        let f = file(b"hello world");
        let err = read_silences(f.path()).unwrap_err();
        assert_eq!(
            (err.record(), problem(&err)),
            (
                Some(0),
                &RecordProblem::Truncated {
                    declared: 104,
                    available: 10
                }
            )
        );

        // Eleven continuation bytes are no varint at all.
        let f = file(&[0xff; 11]);
        let err = read_silences(f.path()).unwrap_err();
        assert_eq!(problem(&err), &RecordProblem::BadLengthPrefix);
    }

    // -- Golden snapshots from the real Alertmanager 0.25 -------------------
    // Produced by testdata/make_am_snapshots.sh; see testdata/am025/README.md.

    fn golden(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/state/testdata/am025")
            .join(name)
    }

    fn at(secs: i64, nanos: u32) -> Timestamp {
        Utc.timestamp_opt(secs, nanos).unwrap()
    }

    #[test]
    fn golden_am025_silences() {
        let got = read_silences(&golden("silences")).unwrap();
        let first = Silence {
            id: "451eeda3-9151-4753-b07c-f2512085bfe5".into(),
            matchers: Matchers::from(vec![
                m(MatchType::Equal, "alertname", "Golden"),
                m(MatchType::NotEqual, "env", "dev"),
                m(MatchType::Regexp, "severity", "warn.*|page"),
                m(MatchType::NotRegexp, "team", "db-.+"),
            ]),
            starts_at: at(1_796_593_767, 102_545_369),
            ends_at: at(1_796_600_967, 0),
            updated_at: at(1_796_593_767, 102_545_369),
            created_by: "alice@example.com".into(),
            comment: "all four matcher types".into(),
            annotations: BTreeMap::new(),
            extra_matcher_sets: vec![],
            receiver_matcher_sets: vec![],
        };
        let second = Silence {
            id: "bec1924b-f931-4ce0-a3ad-04481233972b".into(),
            matchers: Matchers::from(vec![m(MatchType::Equal, "instance", "host-1:9100")]),
            starts_at: at(1_796_593_767, 162_276_667),
            ends_at: at(1_796_600_967, 0),
            updated_at: at(1_796_593_767, 162_276_667),
            created_by: "bob".into(),
            comment: "maintenance of host-1".into(),
            annotations: BTreeMap::new(),
            extra_matcher_sets: vec![],
            receiver_matcher_sets: vec![],
        };
        assert_eq!(got, vec![first, second]);

        let muted = LabelSet::from_pairs([
            ("alertname", "Golden"),
            ("severity", "warning"),
            ("team", "web"),
        ]);
        let not_muted = LabelSet::from_pairs([
            ("alertname", "Golden"),
            ("severity", "warning"),
            ("team", "db-main"),
        ]);
        assert!(got[0].matches(&muted));
        assert!(!got[0].matches(&not_muted));
    }

    #[test]
    fn golden_am025_nflog() {
        let got = read_nflog(&golden("nflog")).unwrap();
        assert_eq!(got.len(), 1);
        let e = &got[0];
        assert_eq!(e.receiver.to_string(), "name/webhook/0");
        assert_eq!(e.group_key, "{}:{alertname=\"ImportGolden\"}");
        assert_eq!(e.timestamp, at(1_796_593_768, 178_704_190));
        // 2 × repeat_interval (1h), shorter than the 120h retention.
        assert_eq!(e.expires_at, at(1_796_600_968, 178_704_190));
        // The hash Alertmanager logged is the one Tocsin computes.
        let alert = LabelSet::from_pairs([("alertname", "ImportGolden"), ("severity", "critical")]);
        assert_eq!(e.firing_alerts, vec![nflog::alert_hash(&alert)]);
        assert_eq!(e.firing_alerts, vec![8_297_608_218_399_071_236]);
        assert!(e.resolved_alerts.is_empty());
    }
}
