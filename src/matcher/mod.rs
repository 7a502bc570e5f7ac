//! Alertmanager label matchers: the [`Matcher`] / [`Matchers`] types, the
//! classic and UTF-8 matcher parsers, the parse modes that choose between
//! them, and Go-RE2-compatible regexes.
//!
//! Most callers want [`compat::parse_matchers`] (config `matchers` lists) or
//! [`compat::parse_matcher`] (API `filter` parameters) with the configured
//! [`ParseMode`], and [`Matchers::matches`] to test a label set.

pub mod classic;
pub mod compat;
mod gostr;
pub mod labels;
mod re2;
pub mod regex;
pub mod utf8;

pub use compat::{
    ParseMode, Warning, is_valid_classic_label_name, is_valid_label_name, parse_matcher,
    parse_matchers,
};
/// Go's `strconv.Quote` (what `%q` prints), non-printable characters included.
pub use gostr::quote as go_quote;
pub use labels::{LabelSource, MatchType, Matcher, Matchers, matches_filter};
pub use regex::{Regex, RegexError, quote_meta};

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Row {
        input: String,
        classic: Outcome,
        classic_single: Outcome,
        utf8: Outcome,
        utf8_single: Outcome,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Outcome {
        #[serde(default)]
        matchers: Vec<(String, String, String)>,
        error: Option<String>,
    }

    fn outcome(result: Result<Vec<Matcher>, String>) -> Outcome {
        match result {
            Ok(ms) => Outcome {
                matchers: ms
                    .iter()
                    .map(|m| {
                        (
                            m.op().to_string(),
                            m.name().to_string(),
                            m.value().to_string(),
                        )
                    })
                    .collect(),
                error: None,
            },
            Err(e) => Outcome {
                matchers: Vec::new(),
                error: Some(e),
            },
        }
    }

    /// Both parsers agree with Alertmanager's own on every input of the
    /// fixture recorded from its Go code (results and error texts).
    #[test]
    fn parsers_agree_with_go_golden_results() {
        let rows: Vec<Row> = serde_json::from_str(include_str!("testdata/matchers_golden.json"))
            .expect("fixture parses");
        assert!(rows.len() > 200);
        let mut failures = Vec::new();
        for row in &rows {
            let input = row.input.as_str();
            let checks = [
                (
                    "classic",
                    &row.classic,
                    outcome(classic::parse_matchers(input).map(Matchers::into_vec)),
                ),
                (
                    "classic_single",
                    &row.classic_single,
                    outcome(classic::parse_matcher(input).map(|m| vec![m])),
                ),
                (
                    "utf8",
                    &row.utf8,
                    outcome(utf8::parse_matchers(input).map(Matchers::into_vec)),
                ),
                (
                    "utf8_single",
                    &row.utf8_single,
                    outcome(utf8::parse_matcher(input).map(|m| vec![m])),
                ),
            ];
            for (parser, want, got) in checks {
                if *want != got {
                    failures.push(format!("{parser} {input:?}: want {want:?}, got {got:?}"));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
