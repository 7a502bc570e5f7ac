//! Regular expressions with Go RE2 semantics, as Alertmanager uses them.
//!
//! Matcher regexes (`=~`, `!~`, `match_re`, inhibit rules, the `receiver` API
//! parameter) are compiled by Alertmanager as `^(?:<pattern>)$`, i.e. fully
//! anchored; the template functions `match` and `reReplaceAll` use the pattern
//! unanchored. [`Regex`] keeps the user's original pattern for display and
//! serialization and matches with a Rust `regex::Regex` built from the
//! pattern translated into Rust syntax (see the private `re2` module).

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::re2;

/// Limits for the Rust regex compiler, generous enough for anything Go
/// accepts (Go caps repeats at 1000 and nesting at depth 1000).
const SIZE_LIMIT: usize = 128 << 20;
const NEST_LIMIT: u32 = 4000;

/// Compiled regexes by pattern and anchoring. The same patterns come back
/// all the time (silences made from one template, their updates, API
/// filters, inhibit rules on every reload) and compiling one can take a
/// millisecond (the regex crate builds a DFA up front for small patterns);
/// a clone shares the compiled program.
static CACHE: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<(String, bool), Regex>>,
> = std::sync::LazyLock::new(Default::default);

/// Patterns the cache holds before it starts over.
const CACHE_SIZE: usize = 4096;

fn lock_cache() -> std::sync::MutexGuard<'static, std::collections::HashMap<(String, bool), Regex>>
{
    CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A regex compile error with Go's message text, e.g.
/// ``error parsing regexp: missing closing ): `^(?:()$` ``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError(String);

impl RegexError {
    /// The error text.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RegexError {}

impl From<RegexError> for String {
    fn from(e: RegexError) -> String {
        e.0
    }
}

/// A compiled Go-compatible regular expression.
#[derive(Clone)]
pub struct Regex {
    pattern: String,
    anchored: bool,
    inner: regex::Regex,
    /// For anchored regexes, text every match starts with (`team-a-` for
    /// `team-a-.*`): a cheap test that turns most non-matching values away
    /// before the regex runs. Thousands of silences and inhibit rules are
    /// checked against every alert, most of them failing.
    prefix: Option<Box<[u8]>>,
}

/// The literal text every match of the anchored `translated` starts with,
/// if there is any.
fn required_prefix(translated: &str) -> Option<Box<[u8]>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new()
        .nest_limit(NEST_LIMIT)
        .build()
        .parse(translated)
        .ok()?;
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let prefix = seq.longest_common_prefix()?;
    (!prefix.is_empty()).then(|| prefix.into())
}

impl Regex {
    /// Compiles `pattern` the way Alertmanager compiles matcher regexes:
    /// as `^(?:pattern)$`. Errors quote the anchored text, as Go's do.
    pub fn new_anchored(pattern: &str) -> Result<Self, RegexError> {
        Self::build(pattern, true)
    }

    /// Compiles `pattern` as Go's `regexp.Compile` does, unanchored.
    pub fn new_unanchored(pattern: &str) -> Result<Self, RegexError> {
        Self::build(pattern, false)
    }

    fn build(pattern: &str, anchored: bool) -> Result<Self, RegexError> {
        let key = (pattern.to_string(), anchored);
        if let Some(re) = lock_cache().get(&key) {
            return Ok(re.clone());
        }
        let re = Self::compile(pattern, anchored)?;
        let mut cache = lock_cache();
        if cache.len() >= CACHE_SIZE {
            cache.clear();
        }
        cache.insert(key, re.clone());
        Ok(re)
    }

    fn compile(pattern: &str, anchored: bool) -> Result<Self, RegexError> {
        let go_source = if anchored {
            format!("^(?:{pattern})$")
        } else {
            pattern.to_string()
        };
        let translated = re2::translate(&go_source).map_err(|e| RegexError(e.to_string()))?;
        let inner = regex::RegexBuilder::new(&translated)
            .size_limit(SIZE_LIMIT)
            .nest_limit(NEST_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => RegexError(format!(
                    "error parsing regexp: {}: `{go_source}`",
                    re2::TOO_LARGE
                )),
                other => {
                    let detail = other.to_string();
                    let last = detail.lines().last().unwrap_or_default().trim();
                    RegexError(format!("error parsing regexp: {last}: `{go_source}`"))
                }
            })?;
        Ok(Regex {
            pattern: pattern.to_string(),
            anchored,
            prefix: if anchored {
                required_prefix(&translated)
            } else {
                None
            },
            inner,
        })
    }

    /// Whether the regex matches `text` (the whole of it, if anchored).
    pub fn is_match(&self, text: &str) -> bool {
        if let Some(p) = &self.prefix
            && !text.as_bytes().starts_with(p)
        {
            return false;
        }
        self.inner.is_match(text)
    }

    /// The original pattern, as written by the user (without anchors).
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether this regex was compiled anchored (`^(?:…)$`).
    pub fn is_anchored(&self) -> bool {
        self.anchored
    }

    /// The underlying Rust regex (translated syntax), for finding, capturing
    /// and replacing. Capture group numbers and valid names are preserved.
    pub fn inner(&self) -> &regex::Regex {
        &self.inner
    }
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Regex")
            .field("pattern", &self.pattern)
            .field("anchored", &self.anchored)
            .finish()
    }
}

impl fmt::Display for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

impl PartialEq for Regex {
    fn eq(&self, other: &Self) -> bool {
        self.anchored == other.anchored && self.pattern == other.pattern
    }
}

impl Eq for Regex {}

impl Hash for Regex {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.pattern.hash(state);
        self.anchored.hash(state);
    }
}

impl Serialize for Regex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.pattern)
    }
}

impl<'de> Deserialize<'de> for Regex {
    /// Reads a pattern string and compiles it anchored.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pattern = String::deserialize(deserializer)?;
        Regex::new_anchored(&pattern).map_err(serde::de::Error::custom)
    }
}

/// Go's `regexp.QuoteMeta`: escapes every character special in a pattern
/// (`\.+*?()|[]{}^$`), so that the result matches `text` literally.
pub fn quote_meta(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Golden {
        go_version: String,
        rows: Vec<Row>,
    }

    #[derive(Deserialize)]
    struct Row {
        pattern: String,
        anchored: bool,
        error: Option<String>,
        #[serde(default)]
        results: Vec<(String, bool)>,
        template: Option<String>,
        #[serde(default)]
        replaced: Vec<String>,
    }

    /// Every row of the fixture recorded from Go's `regexp` package: the same
    /// compile error text, or the same match result for every input (and,
    /// for unanchored rows, the same `ReplaceAllString` output).
    #[test]
    fn agrees_with_go_golden_results() {
        let golden: Golden =
            serde_json::from_str(include_str!("testdata/re2_golden.json")).expect("fixture parses");
        assert!(golden.go_version.starts_with("go1."));
        assert!(golden.rows.len() >= 40);
        let mut failures = Vec::new();
        for row in &golden.rows {
            let compiled = if row.anchored {
                Regex::new_anchored(&row.pattern)
            } else {
                Regex::new_unanchored(&row.pattern)
            };
            // Go 1.19 reported oversized programs as an internal error;
            // newer Go (and Tocsin) say "expression too large".
            let want_error = row
                .error
                .as_ref()
                .map(|e| e.replace("regexp/syntax: internal error", "expression too large"));
            match (&want_error, compiled) {
                (Some(want), Err(got)) if got.message() == want => {}
                (Some(want), got) => failures.push(format!(
                    "{:?}: want error {want:?}, got {got:?}",
                    row.pattern
                )),
                (None, Err(got)) => {
                    failures.push(format!("{:?}: unexpected error {got}", row.pattern))
                }
                (None, Ok(re)) => {
                    if let Some(template) = &row.template {
                        for ((input, _), want) in row.results.iter().zip(&row.replaced) {
                            let got = re.inner().replace_all(input, template.as_str());
                            if got != *want {
                                failures.push(format!(
                                    "{:?} replace {input:?} with {template:?}: want {want:?}, got {got:?}",
                                    row.pattern
                                ));
                            }
                        }
                    }
                    for (input, want) in &row.results {
                        if re.is_match(input) != *want {
                            failures.push(format!(
                                "{:?} (anchored={}, rust {:?}) on {input:?}: want {want}",
                                row.pattern,
                                row.anchored,
                                re.inner().as_str()
                            ));
                        }
                    }
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

    #[test]
    fn keeps_original_pattern() {
        let re = Regex::new_anchored(r"foo\d+").unwrap();
        assert_eq!(re.as_str(), r"foo\d+");
        assert_eq!(re.to_string(), r"foo\d+");
        assert!(re.is_anchored());
        assert!(re.is_match("foo12"));
        assert!(!re.is_match("xfoo12"));
        let un = Regex::new_unanchored(r"foo\d+").unwrap();
        assert!(!un.is_anchored());
        assert!(un.is_match("xfoo12y"));
        assert_ne!(re, un);
        assert_eq!(re, Regex::new_anchored(r"foo\d+").unwrap());
    }

    #[test]
    fn error_converts_to_string() {
        fn compile(p: &str) -> Result<Regex, String> {
            Ok(Regex::new_anchored(p)?)
        }
        assert_eq!(
            compile("a{2,1}").unwrap_err(),
            "error parsing regexp: invalid repeat count: `{2,1}`"
        );
    }

    #[test]
    fn anchored_error_quotes_wrapped_pattern() {
        let e = Regex::new_anchored("(").unwrap_err();
        assert_eq!(
            e.to_string(),
            "error parsing regexp: missing closing ): `^(?:()$`"
        );
        let e = Regex::new_anchored("invalid[regexp").unwrap_err();
        assert_eq!(
            e.to_string(),
            "error parsing regexp: missing closing ]: `[regexp)$`"
        );
    }

    /// Newer Go (1.22+) accepts `(?<name>…)`; so does Tocsin.
    #[test]
    fn accepts_angle_bracket_named_groups() {
        let re = Regex::new_unanchored(r"(?<y>b+)").unwrap();
        assert_eq!(re.inner().replace_all("abba", "[$y]"), "a[bb]a");
    }

    #[test]
    fn replace_uses_go_capture_numbering() {
        let re = Regex::new_unanchored(r"(?i)(\w+)@(?P<host>[a-z.]+)").unwrap();
        assert_eq!(
            re.inner()
                .replace_all("Mail: Bob@Example.org", "$1 at ${host}"),
            "Mail: Bob at Example.org"
        );
        let re = Regex::new_unanchored(r"\Q1+1\E=(\d)").unwrap();
        assert_eq!(re.inner().replace_all("1+1=2", "$1"), "2");
    }

    #[test]
    fn serde_round_trip_compiles_anchored() {
        let re: Regex = serde_json::from_str(r#""a.c""#).unwrap();
        assert!(re.is_anchored());
        assert!(re.is_match("abc"));
        assert!(!re.is_match("abcd"));
        assert_eq!(serde_json::to_string(&re).unwrap(), r#""a.c""#);
        let err = serde_json::from_str::<Regex>(r#""a(""#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "error parsing regexp: missing closing ): `^(?:a()$`"
        );
    }

    #[test]
    fn quote_meta_like_go() {
        assert_eq!(quote_meta("team.a"), r"team\.a");
        assert_eq!(
            quote_meta(r"a+b*c?(d)|[e]{f}^$\"),
            r"a\+b\*c\?\(d\)\|\[e\]\{f\}\^\$\\"
        );
        assert_eq!(quote_meta("plain-text é"), "plain-text é");
        let re = Regex::new_anchored(&quote_meta("1.5+2")).unwrap();
        assert!(re.is_match("1.5+2"));
        assert!(!re.is_match("1x5+2"));
    }

    #[test]
    fn deep_but_valid_nesting_compiles() {
        let depth = 990;
        let p = format!("{}a{}", "(".repeat(depth), ")".repeat(depth));
        let re = Regex::new_anchored(&p).unwrap();
        assert!(re.is_match("a"));
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::*;

    #[test]
    fn the_prefix_check_never_changes_a_verdict() {
        let patterns = [
            "team-05-.*",
            "team-0[0-4]-ns",
            "(?i)team-.*",
            "db1|db2",
            "web-(a|b)",
            "abc",
            "a.*|ab",
            "(?s)x.*",
            "x.*",
            ".*suffix",
            "",
            "(?m)^foo$",
            "ü+-x",
            "\\Qa.b\\E.*",
        ];
        let texts = [
            "",
            "team-05-ns",
            "TEAM-05-ns",
            "team-0",
            "team-03-ns",
            "db1",
            "db2",
            "db3",
            "web-a",
            "web-c",
            "abc",
            "ab",
            "a",
            "x\ny",
            "x",
            "xsuffix",
            "foo",
            "bar\nfoo",
            "üü-x",
            "a.bz",
        ];
        for p in patterns {
            let re = Regex::new_anchored(p).unwrap();
            for t in texts {
                assert_eq!(re.is_match(t), re.inner.is_match(t), "{p:?} on {t:?}");
            }
        }
        assert_eq!(
            Regex::new_anchored("team-05-.*").unwrap().prefix.as_deref(),
            Some(&b"team-05-"[..])
        );
    }
}
