//! Silence validation with Alertmanager v0.34's messages, plus the two checks
//! the v2 API makes before a silence reaches the store and the conversion of
//! an API matcher (`name`, `value`, `isEqual`, `isRegex`) into a [`Matcher`].
//!
//! 0.25 differences: the prefix was `silence invalid: ` (v0.34:
//! `invalid silence: `), an empty matcher list read `at least one matcher
//! required` (v0.34: `matcher set 0 is empty`), matcher errors read
//! `invalid label matcher N: ...` (v0.34: `invalid label matcher N in set 0:
//! ...`) and the empty-string rule had no `matcher set 0: ` prefix; 0.25
//! also had `ID missing` and `invalid zero update timestamp`, both
//! unreachable because it set the id and update time first. 0.25 also
//! validated only after expiring the silence being replaced, so an invalid
//! replacement still expired the old silence; v0.34 (and Tocsin) validate
//! first.

use super::{Silence, SilenceError};
use crate::alert::Timestamp;
use crate::config::types::go_quote;
use crate::matcher::{MatchType, Matcher, ParseMode, Regex, is_valid_label_name};

pub use crate::alert::{go_zero_time, is_go_zero};

fn invalid(msg: impl Into<String>) -> SilenceError {
    SilenceError::Invalid(msg.into())
}

fn invalid_matcher(index: usize, set: usize, reason: String) -> SilenceError {
    invalid(format!(
        "invalid label matcher {index} in set {set}: {reason}"
    ))
}

/// Whether a matcher counts as matching the empty string for the "at least
/// one matcher must not match the empty string" rule. As upstream, only `=`
/// and `=~` can; `!=` and `!~` never count, even `foo!="x"`.
fn matches_empty(m: &Matcher) -> bool {
    match m.op() {
        MatchType::Equal | MatchType::Regexp => m.matches(""),
        MatchType::NotEqual | MatchType::NotRegexp => false,
    }
}

/// Alertmanager's `validateSilence` (v0.34) over every matcher set, with the label-name rule of `mode` (`classic-mode` → classic names).
///
/// Two upstream checks cannot fail here: label values are always valid
/// UTF-8 in Rust, and regex matchers are compiled when the [`Matcher`] is
/// built (the API reports bad regexes through [`matcher_from_api`]).
/// `updated_at` is not checked: v0.34 does not (0.25 required it non-zero
/// after setting it itself).
pub fn validate(s: &Silence, mode: ParseMode) -> Result<(), SilenceError> {
    for (set, matchers) in s.matcher_sets().enumerate() {
        if matchers.is_empty() {
            return Err(invalid(format!("matcher set {set} is empty")));
        }
        let mut all_match_empty = true;
        for (i, m) in matchers.iter().enumerate() {
            if !is_valid_label_name(m.name(), mode) {
                return Err(invalid_matcher(
                    i,
                    set,
                    format!("invalid label name {}", go_quote(m.name())),
                ));
            }
            all_match_empty = all_match_empty && matches_empty(m);
        }
        if all_match_empty {
            return Err(invalid(format!(
                "matcher set {set}: at least one matcher must not match the empty string"
            )));
        }
    }
    if is_go_zero(&s.starts_at) {
        return Err(invalid("invalid zero start timestamp"));
    }
    if is_go_zero(&s.ends_at) {
        return Err(invalid("invalid zero end timestamp"));
    }
    if s.ends_at < s.starts_at {
        return Err(invalid("end time must not be before start time"));
    }
    Ok(())
}

/// Builds matcher number `index` of a posted silence from the API's fields
/// (`isEqual` defaults to true, `isRegex` to false), failing with the text
/// v0.34's `Set` would give: a bad name first, then a bad regex, e.g.
/// ``invalid silence: invalid label matcher 0 in set 0: invalid regular
/// expression "(": error parsing regexp: missing closing ): `(` ``.
///
/// Upstream checks the start/end times ([`check_post_times`]) before any
/// matcher, so the API should call that first and then this for each matcher
/// in order.
pub fn matcher_from_api(
    index: usize,
    name: &str,
    value: &str,
    is_equal: bool,
    is_regex: bool,
    mode: ParseMode,
) -> Result<Matcher, SilenceError> {
    if !is_valid_label_name(name, mode) {
        return Err(invalid_matcher(
            index,
            0,
            format!("invalid label name {}", go_quote(name)),
        ));
    }
    let bad_regex = |e: String| {
        invalid_matcher(
            index,
            0,
            format!("invalid regular expression {}: {e}", go_quote(value)),
        )
    };
    if is_regex {
        // Upstream validates the pattern unanchored, so errors quote it as given.
        Regex::new_unanchored(value).map_err(|e| bad_regex(e.to_string()))?;
    }
    Matcher::new(MatchType::from_flags(is_equal, is_regex), name, value)
        .map_err(|e| bad_regex(e.to_string()))
}

/// The v2 API's checks on a posted silence before it is handed to the store
/// (`None` = Go's zero time, as `startsAt: "0001-01-01T00:00:00Z"`): the
/// start must be before the end, and the end must not be in the past.
pub fn check_post_times(
    starts_at: Option<Timestamp>,
    ends_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), SilenceError> {
    let start = starts_at.unwrap_or_else(go_zero_time);
    let end = ends_at.unwrap_or_else(go_zero_time);
    if start >= end {
        return Err(SilenceError::Rejected(
            "start time must be before end time".to_string(),
        ));
    }
    if end < now {
        return Err(SilenceError::Rejected(
            "end time can't be in the past".to_string(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::Matchers;
    use MatchType::*;
    use chrono::{TimeZone, Utc};

    fn t(secs: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    fn m(op: MatchType, name: &str, value: &str) -> Matcher {
        Matcher::new(op, name, value).unwrap()
    }

    fn sil(ms: Vec<Matcher>, start: Timestamp, end: Timestamp) -> Silence {
        Silence::new(Matchers::from(ms), start, end)
    }

    fn err(s: &Silence, mode: ParseMode) -> String {
        validate(s, mode).unwrap_err().to_string()
    }

    #[test]
    fn zero_time_is_year_one() {
        assert_eq!(go_zero_time().to_rfc3339(), "0001-01-01T00:00:00+00:00");
        assert!(is_go_zero(&go_zero_time()));
        assert!(!is_go_zero(&t(0)));
    }

    #[test]
    fn every_validation_message() {
        let ok = m(Equal, "a", "1");
        let cases: Vec<(Silence, ParseMode, &str)> = vec![
            (
                sil(vec![], t(0), t(10)),
                ParseMode::Fallback,
                "invalid silence: matcher set 0 is empty",
            ),
            (
                sil(vec![ok.clone(), m(Equal, "0bad", "x")], t(0), t(10)),
                ParseMode::Classic,
                "invalid silence: invalid label matcher 1 in set 0: invalid label name \"0bad\"",
            ),
            (
                sil(vec![m(Equal, "", "x")], t(0), t(10)),
                ParseMode::Fallback,
                "invalid silence: invalid label matcher 0 in set 0: invalid label name \"\"",
            ),
            (
                sil(
                    vec![m(Equal, "a", ""), m(Regexp, "b", "x*"), m(Regexp, "c", "")],
                    t(0),
                    t(10),
                ),
                ParseMode::Fallback,
                "invalid silence: matcher set 0: at least one matcher must not match the empty string",
            ),
            (
                sil(vec![ok.clone()], go_zero_time(), t(10)),
                ParseMode::Fallback,
                "invalid silence: invalid zero start timestamp",
            ),
            (
                sil(vec![ok.clone()], t(0), go_zero_time()),
                ParseMode::Fallback,
                "invalid silence: invalid zero end timestamp",
            ),
            (
                sil(vec![ok.clone()], t(10), t(9)),
                ParseMode::Fallback,
                "invalid silence: end time must not be before start time",
            ),
        ];
        for (s, mode, want) in cases {
            assert_eq!(err(&s, mode), want, "{s:?}");
        }
    }

    #[test]
    fn accepted_silences() {
        // A UTF-8 name is fine outside classic mode.
        let s = sil(vec![m(Equal, "föö bar", "x")], t(0), t(0));
        assert_eq!(validate(&s, ParseMode::Fallback), Ok(()));
        assert_eq!(validate(&s, ParseMode::Utf8Strict), Ok(()));
        assert!(validate(&s, ParseMode::Classic).is_err());
        // Negative matchers never count as matching "", even when they do.
        for op in [NotEqual, NotRegexp] {
            let s = sil(vec![m(op, "a", "x")], t(0), t(5));
            assert_eq!(validate(&s, ParseMode::Classic), Ok(()), "{op}");
        }
        // One non-empty matcher is enough; regexes are judged on "".
        let s = sil(vec![m(Equal, "a", ""), m(Regexp, "b", "x+")], t(0), t(5));
        assert_eq!(validate(&s, ParseMode::Classic), Ok(()));
        let s = sil(vec![m(Regexp, "b", "x|")], t(0), t(5));
        assert!(validate(&s, ParseMode::Classic).is_err());
    }

    #[test]
    fn api_matchers() {
        let mode = ParseMode::Classic;
        let got = matcher_from_api(0, "a", "x.*", true, true, mode).unwrap();
        assert_eq!(got, m(Regexp, "a", "x.*"));
        assert_eq!(
            matcher_from_api(0, "a", "x", false, false, mode).unwrap(),
            m(NotEqual, "a", "x")
        );
        assert_eq!(
            matcher_from_api(0, "a", "(", true, false, mode).unwrap(),
            m(Equal, "a", "(")
        );
        assert_eq!(
            matcher_from_api(2, "a", "(", false, true, mode)
                .unwrap_err()
                .to_string(),
            "invalid silence: invalid label matcher 2 in set 0: invalid regular expression \"(\": \
             error parsing regexp: missing closing ): `(`"
        );
        // The name is checked before the regex.
        assert_eq!(
            matcher_from_api(0, "a-b", "(", true, true, mode)
                .unwrap_err()
                .to_string(),
            "invalid silence: invalid label matcher 0 in set 0: invalid label name \"a-b\""
        );
        assert!(matcher_from_api(0, "a-b", "x", true, false, ParseMode::Fallback).is_ok());
    }

    #[test]
    fn api_time_checks() {
        let now = t(100);
        let check = |s, e| check_post_times(s, e, now).map_err(|e| e.to_string());
        assert_eq!(check(Some(t(0)), Some(t(200))), Ok(()));
        assert_eq!(check(None, Some(t(100))), Ok(()));
        let before =
            Err("Failed to create silence: start time must be before end time".to_string());
        assert_eq!(check(Some(t(200)), Some(t(200))), before);
        assert_eq!(check(Some(t(201)), Some(t(200))), before);
        assert_eq!(check(Some(t(0)), None), before);
        assert_eq!(check(None, None), before);
        assert_eq!(
            check(Some(t(0)), Some(t(99))),
            Err("Failed to create silence: end time can't be in the past".to_string())
        );
        assert_eq!(SilenceError::Rejected(String::new()).status_code(), 400);
        assert_eq!(SilenceError::NotFound.status_code(), 404);
    }
}
