//! The matcher types: [`MatchType`], [`Matcher`] and [`Matchers`], with
//! Alertmanager's matching rules (an absent label is the empty string,
//! regexes are fully anchored), string form, sort order and serialization.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};

use serde::{Serialize, Serializer};

use super::gostr;
use super::regex::{Regex, RegexError};
use super::utf8::is_reserved;

/// The comparison a matcher performs. The declaration order is
/// Alertmanager's, which is also the final sort key of matchers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchType {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regexp,
    /// `!~`
    NotRegexp,
}

impl MatchType {
    /// The operator as written: `=`, `!=`, `=~` or `!~`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchType::Equal => "=",
            MatchType::NotEqual => "!=",
            MatchType::Regexp => "=~",
            MatchType::NotRegexp => "!~",
        }
    }

    /// Whether the value is a regex (`=~`, `!~`); the API's `isRegex`.
    pub fn is_regex(self) -> bool {
        matches!(self, MatchType::Regexp | MatchType::NotRegexp)
    }

    /// Whether the match is positive (`=`, `=~`); the API's `isEqual`.
    pub fn is_equal(self) -> bool {
        matches!(self, MatchType::Equal | MatchType::Regexp)
    }

    /// The type for the API's `isEqual` / `isRegex` pair.
    pub fn from_flags(is_equal: bool, is_regex: bool) -> Self {
        match (is_equal, is_regex) {
            (true, false) => MatchType::Equal,
            (false, false) => MatchType::NotEqual,
            (true, true) => MatchType::Regexp,
            (false, true) => MatchType::NotRegexp,
        }
    }
}

impl fmt::Display for MatchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One label matcher, e.g. `severity=~"critical|page"`. Regex values are
/// compiled once, anchored, when the matcher is created.
#[derive(Clone)]
pub struct Matcher {
    name: String,
    value: String,
    op: MatchType,
    re: Option<Regex>,
}

impl Matcher {
    /// Builds a matcher; fails only if `op` is a regex type and `value` is
    /// not a valid Go regex (error text as Go's, quoting `^(?:value)$`).
    pub fn new(
        op: MatchType,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, RegexError> {
        let value = value.into();
        let re = if op.is_regex() {
            Some(Regex::new_anchored(&value)?)
        } else {
            None
        };
        Ok(Matcher {
            name: name.into(),
            value,
            op,
            re,
        })
    }

    /// The label name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value or regex pattern, unescaped, as given.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The comparison performed.
    pub fn op(&self) -> MatchType {
        self.op
    }

    /// The compiled (anchored) regex of `=~` / `!~` matchers.
    pub fn regex(&self) -> Option<&Regex> {
        self.re.as_ref()
    }

    /// Whether the label value `v` satisfies this matcher (use `""` for an
    /// absent label).
    pub fn matches(&self, v: &str) -> bool {
        match (self.op, &self.re) {
            (MatchType::Equal, _) => v == self.value,
            (MatchType::NotEqual, _) => v != self.value,
            (MatchType::Regexp, Some(re)) => re.is_match(v),
            (MatchType::NotRegexp, Some(re)) => !re.is_match(v),
            (MatchType::Regexp | MatchType::NotRegexp, None) => false,
        }
    }

    /// Whether the label set satisfies this matcher (absent label = `""`).
    pub fn matches_labels<L: LabelSource + ?Sized>(&self, labels: &L) -> bool {
        self.matches(labels.label_value(&self.name).unwrap_or(""))
    }
}

/// OpenMetrics-style escaping of a matcher value: `\`, newline and `"`.
fn escape_value(value: &str, out: &mut fmt::Formatter<'_>) -> fmt::Result {
    for c in value.chars() {
        match c {
            '\\' => out.write_str(r"\\")?,
            '\n' => out.write_str(r"\n")?,
            '"' => out.write_str(r#"\""#)?,
            c => fmt::Write::write_char(out, c)?,
        }
    }
    Ok(())
}

impl fmt::Display for Matcher {
    /// `name="value"` (value escaped); names the classic syntax could not
    /// express are printed Go-quoted together with the value, as in
    /// `"foo bar"="baz"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.chars().any(is_reserved) {
            return write!(
                f,
                "{}{}{}",
                gostr::quote(&self.name),
                self.op,
                gostr::quote(&self.value)
            );
        }
        write!(f, "{}{}\"", self.name, self.op)?;
        escape_value(&self.value, f)?;
        f.write_str("\"")
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("name", &self.name)
            .field("op", &self.op)
            .field("value", &self.value)
            .finish()
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.op == other.op && self.name == other.name && self.value == other.value
    }
}

impl Eq for Matcher {}

impl Hash for Matcher {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.value.hash(state);
        self.op.hash(state);
    }
}

impl PartialOrd for Matcher {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Matcher {
    /// Alertmanager's order: by name, then value, then type.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.name, &self.value, self.op).cmp(&(&other.name, &other.value, other.op))
    }
}

/// Read access to a label set, for matching.
pub trait LabelSource {
    /// The value of label `name`, or `None` if the label is absent.
    fn label_value(&self, name: &str) -> Option<&str>;
}

/// API v2 filter semantics (`filter=` on `/api/v2/alerts`, also used by
/// the history API): for `=`/`=~` with an empty value an absent label
/// passes; for `!=`/`!~` with an empty value a present label passes.
pub fn matches_filter<L: LabelSource + ?Sized>(matchers: &[Matcher], labels: &L) -> bool {
    matchers.iter().all(|m| {
        let v = labels.label_value(m.name());
        let empty = m.value().is_empty();
        match m.op() {
            MatchType::NotEqual | MatchType::NotRegexp if empty && v.is_some() => true,
            MatchType::Equal | MatchType::Regexp if empty && v.is_none() => true,
            _ => m.matches(v.unwrap_or("")),
        }
    })
}

impl LabelSource for BTreeMap<String, String> {
    fn label_value(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl<S: BuildHasher> LabelSource for HashMap<String, String, S> {
    fn label_value(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl LabelSource for [(&str, &str)] {
    fn label_value(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

/// A list of matchers that must all match (logical AND).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Matchers(Vec<Matcher>);

impl Matchers {
    /// An empty list (matches everything).
    pub fn new() -> Self {
        Matchers(Vec::new())
    }

    /// Appends a matcher.
    pub fn push(&mut self, m: Matcher) {
        self.0.push(m);
    }

    /// Appends all matchers of `other`.
    pub fn extend(&mut self, other: Matchers) {
        self.0.extend(other.0);
    }

    /// Sorts in Alertmanager's order (name, value, type), as done for
    /// route and inhibit-rule matchers from the configuration.
    pub fn sort(&mut self) {
        self.0.sort();
    }

    /// The matchers as a slice.
    pub fn as_slice(&self) -> &[Matcher] {
        &self.0
    }

    /// The matchers as a vector.
    pub fn into_vec(self) -> Vec<Matcher> {
        self.0
    }

    /// Whether every matcher matches the label set (absent label = `""`).
    pub fn matches<L: LabelSource + ?Sized>(&self, labels: &L) -> bool {
        self.0.iter().all(|m| m.matches_labels(labels))
    }

    /// Like [`Matchers::matches`], with labels looked up through `get`.
    pub fn matches_fn<'a, F>(&self, get: F) -> bool
    where
        F: Fn(&str) -> Option<&'a str>,
    {
        self.0
            .iter()
            .all(|m| m.matches(get(m.name()).unwrap_or("")))
    }
}

impl std::ops::Deref for Matchers {
    type Target = [Matcher];

    fn deref(&self) -> &[Matcher] {
        &self.0
    }
}

impl From<Vec<Matcher>> for Matchers {
    fn from(v: Vec<Matcher>) -> Self {
        Matchers(v)
    }
}

impl FromIterator<Matcher> for Matchers {
    fn from_iter<I: IntoIterator<Item = Matcher>>(iter: I) -> Self {
        Matchers(iter.into_iter().collect())
    }
}

impl IntoIterator for Matchers {
    type Item = Matcher;
    type IntoIter = std::vec::IntoIter<Matcher>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Matchers {
    type Item = &'a Matcher;
    type IntoIter = std::slice::Iter<'a, Matcher>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Matchers {
    /// `{a="1",b=~"x"}`: comma-separated, no spaces, in list order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{m}")?;
        }
        f.write_str("}")
    }
}

impl Serialize for Matchers {
    /// As the configuration's `matchers` list: one string per matcher.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|m| m.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(op: MatchType, name: &str, value: &str) -> Matcher {
        Matcher::new(op, name, value).unwrap()
    }

    #[test]
    fn match_semantics() {
        use MatchType::*;
        let cases = [
            (Equal, "bar", "bar", true),
            (Equal, "bar", "baz", false),
            (Equal, "", "", true),
            (NotEqual, "bar", "bar", false),
            (NotEqual, "bar", "", true),
            (Regexp, "b.r", "bar", true),
            (Regexp, "b.r", "xbarx", false),
            (Regexp, "a|b", "ab", false),
            (Regexp, ".*", "", true),
            (Regexp, "", "", true),
            (Regexp, "", "x", false),
            (NotRegexp, "b.r", "bar", false),
            (NotRegexp, "b.r", "barn", true),
            (Regexp, r"\d+", "١٢", false),
            (Regexp, "(?i)CRIT.*", "critical", true),
        ];
        for (op, value, input, want) in cases {
            assert_eq!(
                m(op, "foo", value).matches(input),
                want,
                "{op} {value:?} on {input:?}"
            );
        }
    }

    #[test]
    fn absent_label_is_empty_string() {
        let labels: BTreeMap<String, String> =
            [("a".to_string(), "1".to_string())].into_iter().collect();
        let only = |ms: Vec<Matcher>| Matchers::from(ms).matches(&labels);
        assert!(only(vec![m(MatchType::Equal, "b", "")]));
        assert!(only(vec![m(MatchType::NotEqual, "b", "x")]));
        assert!(only(vec![m(MatchType::Regexp, "b", ".*")]));
        assert!(!only(vec![m(MatchType::Regexp, "b", ".+")]));
        assert!(!only(vec![
            m(MatchType::Equal, "a", "1"),
            m(MatchType::Equal, "b", "2")
        ]));
        assert!(only(vec![]));
        let hash: HashMap<String, String> = labels.clone().into_iter().collect();
        let ms = Matchers::from(vec![m(MatchType::Equal, "a", "1")]);
        assert!(ms.matches(&hash));
        assert!(ms.matches(&[("a", "1")][..]));
        assert!(ms.matches_fn(|n| labels.get(n).map(String::as_str)));
        assert!(!ms.matches_fn(|_| None));
    }

    #[test]
    fn display_like_alertmanager() {
        use MatchType::*;
        let cases = [
            (m(Equal, "foo", "bar"), r#"foo="bar""#),
            (m(NotEqual, "foo", ""), r#"foo!="""#),
            (m(Regexp, "foo", "a.*"), r#"foo=~"a.*""#),
            (m(NotRegexp, "foo", r"\d+"), r#"foo!~"\\d+""#),
            (m(Equal, "foo", "a\"b\nc\td"), "foo=\"a\\\"b\\nc\td\""),
            (m(Equal, "föö:bar", "ünï"), r#"föö:bar="ünï""#),
            (m(Equal, "foo bar", "baz"), r#""foo bar"="baz""#),
            (m(Equal, "a=b", "x\ty\"z"), r#""a=b"="x\ty\"z""#),
            (m(NotEqual, "{x}", "\u{a0}"), r#""{x}"!="\u00a0""#),
        ];
        for (matcher, want) in cases {
            assert_eq!(matcher.to_string(), want);
        }
    }

    #[test]
    fn matchers_display_sort_and_serialize() {
        use MatchType::*;
        let mut ms = Matchers::from(vec![
            m(Regexp, "b", "x"),
            m(NotEqual, "a", "2"),
            m(Equal, "a", "2"),
            m(Equal, "a", "10"),
        ]);
        assert_eq!(ms.to_string(), r#"{b=~"x",a!="2",a="2",a="10"}"#);
        ms.sort();
        assert_eq!(ms.to_string(), r#"{a="10",a="2",a!="2",b=~"x"}"#);
        assert_eq!(Matchers::new().to_string(), "{}");
        assert_eq!(
            serde_json::to_string(&ms).unwrap(),
            r#"["a=\"10\"","a=\"2\"","a!=\"2\"","b=~\"x\""]"#
        );
    }

    #[test]
    fn equality_ignores_compiled_state() {
        let a = m(MatchType::Regexp, "x", "a+");
        let b = m(MatchType::Regexp, "x", "a+");
        assert_eq!(a, b);
        assert_ne!(a, m(MatchType::NotRegexp, "x", "a+"));
        assert_eq!(a.regex().map(Regex::as_str), Some("a+"));
        assert!(m(MatchType::Equal, "x", "a+").regex().is_none());
    }

    #[test]
    fn regex_error_is_go_text() {
        let e = Matcher::new(MatchType::Regexp, "foo", "(").unwrap_err();
        assert_eq!(
            e.to_string(),
            "error parsing regexp: missing closing ): `^(?:()$`"
        );
    }

    #[test]
    fn match_type_flags() {
        for op in [
            MatchType::Equal,
            MatchType::NotEqual,
            MatchType::Regexp,
            MatchType::NotRegexp,
        ] {
            assert_eq!(MatchType::from_flags(op.is_equal(), op.is_regex()), op);
        }
        assert_eq!(MatchType::NotRegexp.as_str(), "!~");
    }
}
