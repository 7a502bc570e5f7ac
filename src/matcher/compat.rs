//! Parser selection as in newer Alertmanager (`matcher/compat`): the
//! default fallback mode, `utf8-strict-mode` and `classic-mode`, plus the
//! label-name validity rule that goes with each mode.
//!
//! In fallback mode input is parsed by both parsers. The UTF-8 result is used
//! when both agree; otherwise the classic result is used and a [`Warning`] is
//! returned for the caller to log.

use std::fmt;

use super::labels::{Matcher, Matchers};
use super::{classic, utf8};

/// Which matcher parser(s) to use (`--enable-feature` selects the mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParseMode {
    /// Try the UTF-8 parser, fall back to the classic one (newest default).
    #[default]
    Fallback,
    /// UTF-8 parser only (`utf8-strict-mode`).
    Utf8Strict,
    /// Classic parser only (`classic-mode`; Alertmanager 0.25 behaviour).
    Classic,
}

impl ParseMode {
    /// The mode for the `classic-mode` / `utf8-strict-mode` feature flags.
    pub fn from_features(classic_mode: bool, utf8_strict_mode: bool) -> Result<Self, String> {
        match (classic_mode, utf8_strict_mode) {
            (true, true) => Err("cannot have both classic and UTF-8 modes enabled".to_string()),
            (true, false) => Ok(ParseMode::Classic),
            (false, true) => Ok(ParseMode::Utf8Strict),
            (false, false) => Ok(ParseMode::Fallback),
        }
    }
}

const INCOMPATIBLE: &str = "Alertmanager is moving to a new parser for labels and matchers, and this input is \
incompatible. Alertmanager has instead parsed the input using the classic matchers parser as a fallback. To make \
this input compatible with the UTF-8 matchers parser please make sure all regular expressions and values are \
double-quoted and backslashes are escaped. If you are still seeing this message please open an issue.";
const DISAGREEMENT: &str = "Matchers input has disagreement";

/// Something the caller should log at warning level (fallback mode only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// Only the classic parser accepted the input; its result was used.
    Incompatible {
        /// The input text.
        input: String,
        /// The UTF-8 parser's error.
        utf8_error: String,
        /// The input rewritten in a form both parsers read alike.
        suggestion: String,
    },
    /// Both parsers accepted the input with different results; the classic
    /// result was used.
    Disagreement {
        /// The input text.
        input: String,
    },
}

impl Warning {
    /// Alertmanager's log message for this warning.
    pub fn message(&self) -> &'static str {
        match self {
            Warning::Incompatible { .. } => INCOMPATIBLE,
            Warning::Disagreement { .. } => DISAGREEMENT,
        }
    }

    /// The input text the warning is about.
    pub fn input(&self) -> &str {
        match self {
            Warning::Incompatible { input, .. } | Warning::Disagreement { input } => input,
        }
    }
}

impl fmt::Display for Warning {
    /// The message followed by its fields, e.g.
    /// `Matchers input has disagreement input="..."`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} input={:?}", self.message(), self.input())?;
        if let Warning::Incompatible {
            utf8_error,
            suggestion,
            ..
        } = self
        {
            write!(f, " err={utf8_error:?} suggestion={suggestion:?}")?;
        }
        Ok(())
    }
}

/// Parses a list of matchers (config `matchers`, `source_matchers`,
/// `target_matchers`, amtool input). In fallback mode, empty input (`""`,
/// `{}`) yields a disagreement warning, as upstream (its parsers return nil
/// and empty lists, which it compares as different).
pub fn parse_matchers(input: &str, mode: ParseMode) -> Result<(Matchers, Option<Warning>), String> {
    match mode {
        ParseMode::Classic => classic::parse_matchers(input).map(|ms| (ms, None)),
        ParseMode::Utf8Strict => utf8::parse_matchers(input).map(|ms| (ms, None)),
        ParseMode::Fallback => {
            let new = utf8::parse_matchers(input);
            let old = classic::parse_matchers(input);
            match (new, old) {
                (Err(_), Err(classic_error)) => Err(classic_error),
                (Err(utf8_error), Ok(old)) => {
                    let suggestion = old
                        .iter()
                        .map(Matcher::to_string)
                        .collect::<Vec<_>>()
                        .join(",");
                    let warning = Warning::Incompatible {
                        input: input.to_string(),
                        utf8_error,
                        suggestion,
                    };
                    Ok((old, Some(warning)))
                }
                (Ok(new), Ok(old)) if new != old || new.is_empty() => {
                    let warning = Warning::Disagreement {
                        input: input.to_string(),
                    };
                    Ok((old, Some(warning)))
                }
                (Ok(new), _) => Ok((new, None)),
            }
        }
    }
}

/// Parses exactly one matcher (API `filter` parameters). Except in classic
/// mode, input starting with `{` or ending with `}` is rejected.
pub fn parse_matcher(input: &str, mode: ParseMode) -> Result<(Matcher, Option<Warning>), String> {
    if mode == ParseMode::Classic {
        return classic::parse_matcher(input).map(|m| (m, None));
    }
    if input.starts_with('{') || input.ends_with('}') {
        return Err(format!("unexpected open or close brace: {input}"));
    }
    let new = utf8::parse_matcher(input);
    if mode == ParseMode::Utf8Strict {
        return new.map(|m| (m, None));
    }
    match (new, classic::parse_matcher(input)) {
        (Err(_), Err(classic_error)) => Err(classic_error),
        (Err(utf8_error), Ok(old)) => {
            let warning = Warning::Incompatible {
                input: input.to_string(),
                utf8_error,
                suggestion: old.to_string(),
            };
            Ok((old, Some(warning)))
        }
        (Ok(new), Ok(old)) if new != old => {
            let warning = Warning::Disagreement {
                input: input.to_string(),
            };
            Ok((old, Some(warning)))
        }
        (Ok(new), _) => Ok((new, None)),
    }
}

/// Whether `name` is a valid label name in `mode`: classic mode requires
/// `[a-zA-Z_][a-zA-Z0-9_]*`; the other modes accept any non-empty string.
/// (The deprecated `match`/`match_re` keys stay classic in every mode.)
pub fn is_valid_label_name(name: &str, mode: ParseMode) -> bool {
    match mode {
        ParseMode::Classic => is_valid_classic_label_name(name),
        ParseMode::Fallback | ParseMode::Utf8Strict => !name.is_empty(),
    }
}

/// Prometheus' legacy label-name rule, `^[a-zA-Z_][a-zA-Z0-9_]*$`.
pub fn is_valid_classic_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::labels::MatchType::{self, *};

    fn m(op: MatchType, name: &str, value: &str) -> Matcher {
        Matcher::new(op, name, value).unwrap()
    }

    fn ms(v: Vec<Matcher>) -> Matchers {
        Matchers::from(v)
    }

    #[test]
    fn fallback_single_matcher() {
        let fb = ParseMode::Fallback;
        assert_eq!(
            parse_matcher("foo=bar", fb),
            Ok((m(Equal, "foo", "bar"), None))
        );
        assert_eq!(
            parse_matcher("foo!bar", fb),
            Err("bad matcher format: foo!bar".to_string())
        );
        assert_eq!(
            parse_matcher("foo🙂=bar", fb),
            Ok((m(Equal, "foo🙂", "bar"), None))
        );
        let (got, warning) = parse_matcher("foo=!bar\\n", fb).unwrap();
        assert_eq!(got, m(Equal, "foo", "!bar\n"));
        assert_eq!(
            warning,
            Some(Warning::Incompatible {
                input: "foo=!bar\\n".to_string(),
                utf8_error: "4:5: !: expected one of '=~': expected label value".to_string(),
                suggestion: r#"foo="!bar\n""#.to_string(),
            })
        );
        let input = r#"foo="\xf0\x9f\x99\x82""#;
        let (got, warning) = parse_matcher(input, fb).unwrap();
        assert_eq!(got, m(Equal, "foo", r"\xf0\x9f\x99\x82"));
        assert_eq!(
            warning,
            Some(Warning::Disagreement {
                input: input.to_string()
            })
        );
    }

    #[test]
    fn single_matcher_braces_per_mode() {
        for mode in [ParseMode::Fallback, ParseMode::Utf8Strict] {
            for input in ["{foo=bar}", "{foo=bar", "foo=bar}"] {
                assert_eq!(
                    parse_matcher(input, mode),
                    Err(format!("unexpected open or close brace: {input}"))
                );
            }
        }
        assert_eq!(
            parse_matcher("{foo=\"bar\"}", ParseMode::Classic),
            Err("bad matcher format: {foo=\"bar\"}".to_string())
        );
        assert_eq!(
            parse_matcher("foo=bar}", ParseMode::Classic),
            Ok((m(Equal, "foo", "bar}"), None))
        );
    }

    #[test]
    fn strict_and_classic_single_matcher() {
        assert_eq!(
            parse_matcher("foo=bar baz", ParseMode::Utf8Strict),
            Err("8:11: unexpected baz: expected a comma or close brace".to_string())
        );
        assert_eq!(
            parse_matcher("foo=bar baz", ParseMode::Classic),
            Ok((m(Equal, "foo", "bar baz"), None))
        );
        assert_eq!(
            parse_matcher("a=1,b=2", ParseMode::Utf8Strict),
            Err("expected 1 matcher, found 2".to_string())
        );
        assert_eq!(
            parse_matcher("a=1,b=2", ParseMode::Classic),
            Ok((m(Equal, "a", "1,b=2"), None))
        );
        assert_eq!(
            parse_matcher("", ParseMode::Utf8Strict),
            Err("no matchers".to_string())
        );
    }

    #[test]
    fn fallback_matcher_lists() {
        let fb = ParseMode::Fallback;
        assert_eq!(
            parse_matchers("{foo=bar,bar=baz}", fb),
            Ok((
                ms(vec![m(Equal, "foo", "bar"), m(Equal, "bar", "baz")]),
                None
            ))
        );
        assert_eq!(
            parse_matchers("{foo!bar}", fb),
            Err("bad matcher format: foo!bar".to_string())
        );
        assert_eq!(
            parse_matchers("{foo🙂=bar,bar=baz🙂}", fb),
            Ok((
                ms(vec![m(Equal, "foo🙂", "bar"), m(Equal, "bar", "baz🙂")]),
                None
            ))
        );
        let input = "{foo=!bar,bar=$baz\\n}";
        let (got, warning) = parse_matchers(input, fb).unwrap();
        assert_eq!(
            got,
            ms(vec![m(Equal, "foo", "!bar"), m(Equal, "bar", "$baz\n")])
        );
        let warning = warning.unwrap();
        assert_eq!(
            warning,
            Warning::Incompatible {
                input: input.to_string(),
                utf8_error: "5:6: !: expected one of '=~': expected label value".to_string(),
                suggestion: r#"foo="!bar",bar="$baz\n""#.to_string(),
            }
        );
        assert!(
            warning
                .message()
                .starts_with("Alertmanager is moving to a new parser")
        );
        assert!(
            warning
                .message()
                .ends_with("If you are still seeing this message please open an issue.")
        );
        let input = r#"{foo="\xf0\x9f\x99\x82"}"#;
        assert_eq!(
            parse_matchers(input, fb),
            Ok((
                ms(vec![m(Equal, "foo", r"\xf0\x9f\x99\x82")]),
                Some(Warning::Disagreement {
                    input: input.to_string()
                })
            ))
        );
        // Accepted alike, except the classic reading of the unquoted space.
        assert_eq!(
            parse_matchers("foo=bar baz", fb).map(|(ms, w)| (ms.to_string(), w.is_some())),
            Ok((r#"{foo="bar baz"}"#.to_string(), true))
        );
    }

    #[test]
    fn fallback_flags_empty_input_as_disagreement() {
        for input in ["", "{}", " "] {
            assert_eq!(
                parse_matchers(input, ParseMode::Fallback),
                Ok((
                    Matchers::new(),
                    Some(Warning::Disagreement {
                        input: input.to_string()
                    })
                ))
            );
            assert_eq!(
                parse_matchers(input, ParseMode::Classic),
                Ok((Matchers::new(), None))
            );
            assert_eq!(
                parse_matchers(input, ParseMode::Utf8Strict),
                Ok((Matchers::new(), None))
            );
        }
    }

    #[test]
    fn strict_and_classic_lists() {
        assert_eq!(
            parse_matchers("foo=bar,", ParseMode::Utf8Strict),
            Ok((ms(vec![m(Equal, "foo", "bar")]), None))
        );
        assert_eq!(
            parse_matchers("{foo=bar", ParseMode::Utf8Strict),
            Err("0:8: end of input: expected close brace".to_string())
        );
        assert_eq!(
            parse_matchers("{foo=bar", ParseMode::Classic),
            Ok((ms(vec![m(Equal, "foo", "bar")]), None))
        );
    }

    #[test]
    fn warning_display() {
        let w = Warning::Disagreement {
            input: "a=\"b\"".to_string(),
        };
        assert_eq!(
            w.to_string(),
            r#"Matchers input has disagreement input="a=\"b\"""#
        );
        let w = Warning::Incompatible {
            input: "x".to_string(),
            utf8_error: "e".to_string(),
            suggestion: "s".to_string(),
        };
        assert_eq!(
            w.to_string(),
            format!("{INCOMPATIBLE} input=\"x\" err=\"e\" suggestion=\"s\"")
        );
        assert_eq!(w.input(), "x");
    }

    #[test]
    fn modes_from_features() {
        assert_eq!(
            ParseMode::from_features(false, false),
            Ok(ParseMode::Fallback)
        );
        assert_eq!(
            ParseMode::from_features(true, false),
            Ok(ParseMode::Classic)
        );
        assert_eq!(
            ParseMode::from_features(false, true),
            Ok(ParseMode::Utf8Strict)
        );
        assert_eq!(
            ParseMode::from_features(true, true),
            Err("cannot have both classic and UTF-8 modes enabled".to_string())
        );
        assert_eq!(ParseMode::default(), ParseMode::Fallback);
    }

    #[test]
    fn label_name_validity() {
        let cases = [
            ("foo", true, true),
            ("_foo1", true, true),
            ("", false, false),
            ("0foo", false, true),
            ("foo🙂", false, true),
            ("foo:bar", false, true),
            ("foo bar", false, true),
            ("Foo_Bar9", true, true),
        ];
        for (name, classic_ok, utf8_ok) in cases {
            assert_eq!(
                is_valid_label_name(name, ParseMode::Classic),
                classic_ok,
                "{name:?}"
            );
            assert_eq!(
                is_valid_label_name(name, ParseMode::Fallback),
                utf8_ok,
                "{name:?}"
            );
            assert_eq!(
                is_valid_label_name(name, ParseMode::Utf8Strict),
                utf8_ok,
                "{name:?}"
            );
        }
    }
}
