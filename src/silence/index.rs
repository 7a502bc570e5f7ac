//! The label index that lets [`super::Silences::mutes`] find the silences
//! that can match a label set without scanning all of them.
//!
//! Every silence is filed under the values of *one* of its matchers that
//! admits only a small, known set of non-empty values: an `=` matcher with a
//! non-empty value, or an `=~` matcher whose regex is a finite language such
//! as `db1|db2|web-(a|b)` (at most [`MAX_KEYS`] strings, none empty). A
//! label set can only satisfy that matcher by carrying one of those values,
//! so looking up each of its labels' `(name, value)` pairs finds every
//! candidate. Silences with no such matcher (only negative matchers, or
//! matchers that accept the empty string and hence absent labels) go to a
//! residual list that is always scanned. Candidates are then checked in full
//! by the caller.
//!
//! Because a silence sits under a single label name and a label set has one
//! value per name, a silence is reported at most once per lookup. Of several
//! usable matchers the one whose longest posting list is currently shortest
//! is chosen (a lookup hits one of its postings), fewer values breaking ties.

use std::collections::HashMap;
use std::sync::Arc;

use regex_syntax::hir::{Class, Hir, HirKind, Look};

use super::Silence;
use crate::alert::LabelSet;
use crate::matcher::{MatchType, Matcher, Regex};

/// The most values a regex matcher may expand to and still be indexed.
pub(super) const MAX_KEYS: usize = 64;

/// Where a silence is filed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Placement {
    /// Scanned on every lookup.
    Residual,
    /// Under `(name, value)` for each of `values`.
    Keyed {
        name: Box<str>,
        values: Vec<Box<str>>,
    },
}

/// The silences filed under each value of one label name.
type ByValue = HashMap<Box<str>, Vec<Arc<Silence>>>;

/// Postings by label name, then value.
#[derive(Default)]
pub(super) struct MatcherIndex {
    postings: HashMap<Box<str>, ByValue>,
    residual: Vec<Arc<Silence>>,
}

impl MatcherIndex {
    /// Files `s` and returns where, for [`MatcherIndex::remove`].
    pub(super) fn insert(&mut self, s: &Arc<Silence>) -> Placement {
        let placement = self.choose(s);
        match &placement {
            Placement::Residual => self.residual.push(Arc::clone(s)),
            Placement::Keyed { name, values } => {
                let by_value = self.postings.entry(name.clone()).or_default();
                for v in values {
                    by_value.entry(v.clone()).or_default().push(Arc::clone(s));
                }
            }
        }
        placement
    }

    /// Removes the silence `id` filed at `placement`.
    pub(super) fn remove(&mut self, id: &str, placement: &Placement) {
        fn drop_id(list: &mut Vec<Arc<Silence>>, id: &str) {
            if let Some(i) = list.iter().position(|s| s.id == id) {
                list.swap_remove(i);
            }
        }
        match placement {
            Placement::Residual => drop_id(&mut self.residual, id),
            Placement::Keyed { name, values } => {
                let Some(by_value) = self.postings.get_mut(name) else {
                    return;
                };
                for v in values {
                    if let Some(list) = by_value.get_mut(v) {
                        drop_id(list, id);
                        if list.is_empty() {
                            by_value.remove(v);
                        }
                    }
                }
                if by_value.is_empty() {
                    self.postings.remove(name);
                }
            }
        }
    }

    /// Calls `f` once for every silence that may match `labels`.
    pub(super) fn for_each_candidate(&self, labels: &LabelSet, mut f: impl FnMut(&Arc<Silence>)) {
        for (name, value) in labels.iter() {
            if let Some(list) = self.postings.get(name).and_then(|m| m.get(value)) {
                list.iter().for_each(&mut f);
            }
        }
        self.residual.iter().for_each(f);
    }

    /// How many silences sit in the residual list.
    pub(super) fn residual_len(&self) -> usize {
        self.residual.len()
    }

    /// Every posting as `(Some((name, value)) or None for residual, id)`.
    #[cfg(test)]
    pub(super) fn postings(&self) -> Vec<(Option<(String, String)>, String)> {
        let mut out = Vec::new();
        for (name, by_value) in &self.postings {
            for (value, list) in by_value {
                assert!(!list.is_empty(), "empty posting list kept");
                for s in list {
                    out.push((Some((name.to_string(), value.to_string())), s.id.clone()));
                }
            }
        }
        out.extend(self.residual.iter().map(|s| (None, s.id.clone())));
        out
    }

    fn posting_len(&self, name: &str, value: &str) -> usize {
        self.postings
            .get(name)
            .and_then(|m| m.get(value))
            .map_or(0, Vec::len)
    }

    fn choose(&self, s: &Silence) -> Placement {
        if !s.extra_matcher_sets.is_empty() {
            // Any one of several sets may match: no single posting holds it.
            return Placement::Residual;
        }
        let mut best: Option<(usize, &Matcher, Vec<String>)> = None;
        for m in s.matchers.iter() {
            let Some(values) = index_values(m) else {
                continue;
            };
            let cost = values
                .iter()
                .map(|v| self.posting_len(m.name(), v))
                .max()
                .unwrap_or(0);
            let better = best
                .as_ref()
                .is_none_or(|(c, _, vs)| (cost, values.len()) < (*c, vs.len()));
            if better {
                best = Some((cost, m, values));
            }
        }
        match best {
            None => Placement::Residual,
            Some((_, m, values)) => Placement::Keyed {
                name: m.name().into(),
                values: values.into_iter().map(String::into_boxed_str).collect(),
            },
        }
    }
}

/// The complete set of values `m` accepts, if it is small, non-empty and
/// excludes the empty string; `None` if `m` cannot be indexed.
pub(super) fn index_values(m: &Matcher) -> Option<Vec<String>> {
    match m.op() {
        MatchType::Equal if !m.value().is_empty() => Some(vec![m.value().to_string()]),
        MatchType::Regexp => regex_values(m.regex()?),
        _ => None,
    }
}

/// The strings an anchored regex matches, if they are few. The regex is
/// parsed from the Rust pattern it actually runs, so the analysis sees
/// exactly the syntax tree that does the matching.
fn regex_values(re: &Regex) -> Option<Vec<String>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(re.inner().as_str())
        .ok()?;
    let HirKind::Concat(parts) = hir.kind() else {
        return None;
    };
    let (first, rest) = parts.split_first()?;
    let (last, middle) = rest.split_last()?;
    if !matches!(first.kind(), HirKind::Look(Look::Start))
        || !matches!(last.kind(), HirKind::Look(Look::End))
    {
        return None;
    }
    let mut strings = vec![Vec::new()];
    for h in middle {
        strings = product(&strings, &language(h)?)?;
    }
    // A label value is a `str`: byte strings that are not UTF-8 never match.
    let mut out: Vec<String> = strings
        .into_iter()
        .filter_map(|b| String::from_utf8(b).ok())
        .collect();
    out.sort();
    out.dedup();
    if out.is_empty() || out.iter().any(String::is_empty) {
        return None;
    }
    Some(out)
}

/// All concatenations `a + b`, unless there would be more than [`MAX_KEYS`].
fn product(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len().checked_mul(b.len())? > MAX_KEYS {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let mut s = x.clone();
            s.extend_from_slice(y);
            out.push(s);
        }
    }
    Some(out)
}

/// The finite language of `h` (possibly with duplicates), if it has at most
/// [`MAX_KEYS`] members and no assertions.
fn language(h: &Hir) -> Option<Vec<Vec<u8>>> {
    let out = match h.kind() {
        HirKind::Empty => vec![Vec::new()],
        HirKind::Literal(lit) => vec![lit.0.to_vec()],
        HirKind::Class(Class::Unicode(c)) => {
            let mut out = Vec::new();
            for r in c.iter() {
                for ch in r.start()..=r.end() {
                    if out.len() == MAX_KEYS {
                        return None;
                    }
                    out.push(ch.to_string().into_bytes());
                }
            }
            out
        }
        HirKind::Class(Class::Bytes(c)) => {
            let mut out = Vec::new();
            for r in c.iter() {
                for b in r.start()..=r.end() {
                    if out.len() == MAX_KEYS {
                        return None;
                    }
                    out.push(vec![b]);
                }
            }
            out
        }
        HirKind::Look(_) => return None,
        HirKind::Capture(c) => language(&c.sub)?,
        HirKind::Repetition(r) => {
            let max = r.max?;
            if usize::try_from(max).ok()? > MAX_KEYS {
                return None;
            }
            let sub = language(&r.sub)?;
            let mut power = vec![Vec::new()];
            let mut out = Vec::new();
            for k in 0..=max {
                if k >= r.min {
                    out.extend(power.iter().cloned());
                    if out.len() > MAX_KEYS {
                        return None;
                    }
                }
                if k < max {
                    power = product(&power, &sub)?;
                }
            }
            out
        }
        HirKind::Concat(hs) => {
            let mut out = vec![Vec::new()];
            for h in hs {
                out = product(&out, &language(h)?)?;
            }
            out
        }
        HirKind::Alternation(hs) => {
            let mut out = Vec::new();
            for h in hs {
                out.extend(language(h)?);
                if out.len() > MAX_KEYS {
                    return None;
                }
            }
            out
        }
    };
    (out.len() <= MAX_KEYS).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::Matchers;
    use chrono::{TimeZone, Utc};

    fn m(op: MatchType, name: &str, value: &str) -> Matcher {
        Matcher::new(op, name, value).unwrap()
    }

    fn values(op: MatchType, value: &str) -> Option<Vec<String>> {
        index_values(&m(op, "x", value))
    }

    fn strs(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn equality_and_negative_matchers() {
        use MatchType::*;
        assert_eq!(values(Equal, "a.b"), strs(&["a.b"]));
        assert_eq!(values(Equal, ""), None);
        assert_eq!(values(NotEqual, "a"), None);
        assert_eq!(values(NotRegexp, "a"), None);
    }

    #[test]
    fn finite_regexes_expand() {
        use MatchType::Regexp;
        let cases: &[(&str, Option<&[&str]>)] = &[
            ("foo", Some(&["foo"])),
            ("foo|bar", Some(&["bar", "foo"])),
            ("db[12]", Some(&["db1", "db2"])),
            (
                "web-(a|b)(x)?",
                Some(&["web-a", "web-ax", "web-b", "web-bx"]),
            ),
            // Unicode case folding includes the Kelvin sign, as in Go.
            (
                "(?i)ok",
                Some(&["OK", "Ok", "O\u{212a}", "oK", "ok", "o\u{212a}"]),
            ),
            ("a{2,3}", Some(&["aa", "aaa"])),
            ("foo|foobar|fo", Some(&["fo", "foo", "foobar"])),
            ("x|x", Some(&["x"])),
            ("ünï|é", Some(&["é", "ünï"])),
            (r"a\.b", Some(&["a.b"])),
            // Not finite, too large, or accepting the empty string.
            ("foo.*", None),
            ("a+", None),
            ("[a-z]{3}", None),
            ("x?", None),
            ("foo|", None),
            ("", None),
            (".", None),
            ("^foo$", None),
            (r"\bfoo", None),
            ("[^a]", None),
        ];
        for (pattern, want) in cases {
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            let got = values(Regexp, pattern);
            assert_eq!(got, want, "{pattern:?}");
            for v in got.unwrap_or_default() {
                assert!(m(Regexp, "x", pattern).matches(&v), "{pattern:?} {v:?}");
            }
        }
    }

    fn sil(id: &str, ms: Vec<Matcher>) -> Arc<Silence> {
        let t = Utc.timestamp_opt(0, 0).unwrap();
        let mut s = Silence::new(Matchers::from(ms), t, t);
        s.id = id.to_string();
        Arc::new(s)
    }

    fn candidates(idx: &MatcherIndex, labels: &[(&str, &str)]) -> Vec<String> {
        let ls: LabelSet = labels.iter().copied().collect();
        let mut out = Vec::new();
        idx.for_each_candidate(&ls, |s| out.push(s.id.clone()));
        out.sort();
        out
    }

    #[test]
    fn placement_prefers_short_postings() {
        use MatchType::*;
        let mut idx = MatcherIndex::default();
        let a = sil("a", vec![m(Equal, "job", "api"), m(Equal, "env", "prod")]);
        let pa = idx.insert(&a);
        assert_eq!(
            pa,
            Placement::Keyed {
                name: "job".into(),
                values: vec!["api".into()]
            }
        );
        // job=api is taken, so the next one goes under env=prod.
        let b = sil("b", vec![m(Equal, "job", "api"), m(Equal, "env", "prod")]);
        let pb = idx.insert(&b);
        assert_eq!(
            pb,
            Placement::Keyed {
                name: "env".into(),
                values: vec!["prod".into()]
            }
        );
        // On equal cost, the matcher with fewer values wins.
        let c = sil("c", vec![m(Regexp, "x", "1|2"), m(Equal, "y", "1")]);
        let pc = idx.insert(&c);
        assert!(matches!(&pc, Placement::Keyed { name, .. } if &**name == "y"));
        let r = sil("r", vec![m(NotEqual, "job", "api"), m(Regexp, "x", ".+")]);
        assert_eq!(idx.insert(&r), Placement::Residual);
        assert_eq!(idx.residual_len(), 1);

        assert_eq!(
            candidates(&idx, &[("job", "api"), ("env", "prod")]),
            ["a", "b", "r"]
        );
        assert_eq!(candidates(&idx, &[("env", "prod")]), ["b", "r"]);
        assert_eq!(candidates(&idx, &[("y", "1")]), ["c", "r"]);
        assert_eq!(candidates(&idx, &[]), ["r"]);

        idx.remove("b", &pb);
        idx.remove("r", &Placement::Residual);
        assert_eq!(candidates(&idx, &[("job", "api"), ("env", "prod")]), ["a"]);
        idx.remove("a", &pa);
        idx.remove("c", &pc);
        assert!(idx.postings().is_empty());
        assert!(idx.postings.is_empty(), "empty maps are dropped");
    }
}
