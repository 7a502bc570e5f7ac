//! Alerts and label sets: the data every other module passes around.
//!
//! A [`LabelSet`] is immutable, sorted by name and cheap to clone; its
//! [`Fingerprint`] is Prometheus' FNV-1a hash, the identity of an alert
//! everywhere in Alertmanager. An [`Alert`] carries Alertmanager's merge and
//! validation rules.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::matcher::LabelSource;
use crate::matcher::compat::{self, ParseMode};

/// A point in time (UTC, nanosecond precision).
pub type Timestamp = DateTime<Utc>;

/// Go's zero time, `0001-01-01T00:00:00Z`, which Alertmanager reads as
/// "unset" wherever a time is optional.
pub fn go_zero_time() -> Timestamp {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)
        .single()
        .expect("year 1 is representable")
}

/// Whether `t` is Go's zero time.
pub fn is_go_zero(t: &Timestamp) -> bool {
    *t == go_zero_time()
}

/// The identity of a label set: FNV-1a 64 over the sorted labels, as
/// Prometheus' `model.LabelSet.Fingerprint` computes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16).map(Fingerprint)
    }
}

const FNV_OFFSET: u64 = 14695981039346656037;
const FNV_PRIME: u64 = 1099511628211;
const SEPARATOR: u8 = 0xff;

fn fnv_add(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// An immutable set of labels, sorted by name, names unique.
///
/// The whole set lives in one shared allocation: a count, then for each
/// label the end offsets of its name and value, then the names and values
/// back to back. Hundreds of thousands of alerts each hold two sets, so one
/// allocation per set instead of two per label is most of an alert's
/// memory. The layout is canonical (a set has exactly one encoding), so
/// equality and hashing of the bytes are those of the set.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct LabelSet(Arc<[u8]>);

/// Bytes before the offsets: the label count.
const HEADER: usize = 4;

impl LabelSet {
    /// Builds a set from pairs; a later duplicate name replaces an earlier one.
    pub fn from_pairs<N, V, I>(pairs: I) -> LabelSet
    where
        N: AsRef<str>,
        V: AsRef<str>,
        I: IntoIterator<Item = (N, V)>,
    {
        let mut v: Vec<(N, V)> = pairs.into_iter().collect();
        // Stable sort keeps insertion order among equal names: keep the last.
        v.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let mut out: Vec<(&str, &str)> = Vec::with_capacity(v.len());
        for (n, val) in &v {
            let l = (n.as_ref(), val.as_ref());
            match out.last_mut() {
                Some(last) if last.0 == l.0 => *last = l,
                _ => out.push(l),
            }
        }
        LabelSet::from_sorted(&out)
    }

    /// Encodes labels already sorted by name, names unique.
    fn from_sorted(labels: &[(&str, &str)]) -> LabelSet {
        if labels.is_empty() {
            return LabelSet::default();
        }
        let text: usize = labels.iter().map(|(n, v)| n.len() + v.len()).sum();
        let offset = |n: usize| u32::try_from(n).expect("a label set under 4 GiB");
        let mut b = Vec::with_capacity(HEADER + 8 * labels.len() + text);
        b.extend_from_slice(&offset(labels.len()).to_le_bytes());
        let mut end = 0;
        for (n, v) in labels {
            end += n.len();
            b.extend_from_slice(&offset(end).to_le_bytes());
            end += v.len();
            b.extend_from_slice(&offset(end).to_le_bytes());
        }
        for (n, v) in labels {
            b.extend_from_slice(n.as_bytes());
            b.extend_from_slice(v.as_bytes());
        }
        LabelSet(b.into())
    }

    fn word(&self, at: usize) -> usize {
        let w: [u8; 4] = self.0[at..at + 4].try_into().expect("four bytes");
        u32::from_le_bytes(w) as usize
    }

    fn text(&self, start: usize, end: usize) -> &str {
        let base = HEADER + 8 * self.len();
        let bytes = &self.0[base + start..base + end];
        // SAFETY: the text area is the concatenation of `&str`s and every
        // offset stored is the end of one of them, so any range between two
        // offsets is valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// Label `i` (in name order).
    fn label(&self, i: usize) -> (&str, &str) {
        let at = HEADER + 8 * i;
        let start = if i == 0 { 0 } else { self.word(at - 4) };
        let (name_end, value_end) = (self.word(at), self.word(at + 4));
        (self.text(start, name_end), self.text(name_end, value_end))
    }

    pub fn empty() -> LabelSet {
        LabelSet::default()
    }

    pub fn len(&self) -> usize {
        if self.0.is_empty() { 0 } else { self.word(0) }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let (n, v) = self.label(mid);
            match n.cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(v),
            }
        }
        None
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Labels in name order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        (0..self.len()).map(|i| self.label(i))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().map(|(n, _)| n)
    }

    /// Prometheus' fingerprint of the set.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut h = FNV_OFFSET;
        for (name, value) in self.iter() {
            h = fnv_add(h, name.as_bytes());
            h = fnv_add(h, &[SEPARATOR]);
            h = fnv_add(h, value.as_bytes());
            h = fnv_add(h, &[SEPARATOR]);
        }
        Fingerprint(h)
    }

    /// The subset of labels whose names satisfy `keep`.
    pub fn filter(&self, mut keep: impl FnMut(&str) -> bool) -> LabelSet {
        let kept: Vec<(&str, &str)> = self.iter().filter(|(n, _)| keep(n)).collect();
        LabelSet::from_sorted(&kept)
    }

    /// Go's `LabelSet.Before` as a total order: the smaller set first; sets of
    /// the same size compare at the first name (in sorted order of both sets'
    /// names) that one of them lacks (the one lacking it first) or where the
    /// values differ.
    pub fn cmp_go(&self, other: &LabelSet) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match self.len().cmp(&other.len()) {
            Ordering::Equal => {}
            o => return o,
        }
        let (mut i, mut j) = (0, 0);
        while i < self.len() && j < other.len() {
            let (a, b) = (self.label(i), other.label(j));
            match a.0.cmp(b.0) {
                // `a`'s name comes first and `other` lacks it.
                Ordering::Less => return Ordering::Greater,
                Ordering::Greater => return Ordering::Less,
                Ordering::Equal => match a.1.cmp(b.1) {
                    Ordering::Equal => {
                        i += 1;
                        j += 1;
                    }
                    o => return o,
                },
            }
        }
        Ordering::Equal
    }

    /// Approximate heap bytes held by the set (for memory accounting).
    pub fn heap_size(&self) -> usize {
        self.0.len()
    }

    /// The packed encoding (see the type's documentation), for storage.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Reads back what [`LabelSet::as_bytes`] gave, checking every offset,
    /// the UTF-8 of every name and value and the order of the names, so
    /// that a damaged record is refused rather than misread.
    pub fn from_bytes(b: &[u8]) -> Result<LabelSet, String> {
        if b.is_empty() {
            return Ok(LabelSet::default());
        }
        let word = |at: usize| -> Result<usize, String> {
            let w: [u8; 4] = b
                .get(at..at + 4)
                .and_then(|s| s.try_into().ok())
                .ok_or("label set truncated")?;
            Ok(u32::from_le_bytes(w) as usize)
        };
        let n = word(0)?;
        let base = n
            .checked_mul(8)
            .and_then(|x| x.checked_add(HEADER))
            .filter(|&x| x <= b.len())
            .ok_or("label set truncated")?;
        if n == 0 {
            return Err("label set with a zero count".to_string());
        }
        let text = &b[base..];
        let mut pairs = Vec::with_capacity(n);
        let mut start = 0;
        for i in 0..n {
            let (name_end, value_end) = (word(HEADER + 8 * i)?, word(HEADER + 8 * i + 4)?);
            if !(start <= name_end && name_end <= value_end && value_end <= text.len()) {
                return Err(format!("label set offsets out of order at label {i}"));
            }
            let name = std::str::from_utf8(&text[start..name_end])
                .map_err(|_| format!("label name {i} is not UTF-8"))?;
            let value = std::str::from_utf8(&text[name_end..value_end])
                .map_err(|_| format!("label value {i} is not UTF-8"))?;
            pairs.push((name, value));
            start = value_end;
        }
        if start != text.len() {
            return Err("label set has trailing bytes".to_string());
        }
        if pairs.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err("label names not sorted and unique".to_string());
        }
        Ok(LabelSet::from_sorted(&pairs))
    }
}

impl LabelSource for LabelSet {
    fn label_value(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

impl fmt::Display for LabelSet {
    /// Go's `LabelSet.String`: `{a="1", b="2"}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (name, value)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}={}", crate::config::types::go_quote(value))?;
        }
        f.write_str("}")
    }
}

impl fmt::Debug for LabelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for LabelSet {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(iter: I) -> Self {
        LabelSet::from_pairs(iter)
    }
}

impl serde::Serialize for LabelSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.len()))?;
        for (name, value) in self.iter() {
            m.serialize_entry(name, value)?;
        }
        m.end()
    }
}

/// The generator URLs in use, so that the alerts of one rule (which all
/// carry its URL) hold one copy between them.
static URLS: std::sync::LazyLock<std::sync::Mutex<Urls>> =
    std::sync::LazyLock::new(Default::default);

#[derive(Default)]
struct Urls {
    set: std::collections::HashSet<Arc<str>>,
    /// Entries after the last sweep of unused ones.
    swept: usize,
}

/// `url` as a shared string: the copy already in use, if there is one.
pub fn shared_url(url: &str) -> Arc<str> {
    if url.is_empty() {
        return Arc::from("");
    }
    let mut urls = URLS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(u) = urls.set.get(url) {
        return u.clone();
    }
    // Drop the URLs no alert holds any more, once the set has doubled
    // since the last sweep (amortised constant time per call).
    if urls.set.len() >= 2 * urls.swept + 1024 {
        urls.set.retain(|u| Arc::strong_count(u) > 1);
        urls.swept = urls.set.len();
    }
    let u: Arc<str> = Arc::from(url);
    urls.set.insert(u.clone());
    u
}

/// An alert as Alertmanager holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub labels: LabelSet,
    pub annotations: LabelSet,
    pub starts_at: Timestamp,
    /// `None` is Go's zero time ("unset").
    pub ends_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    /// Shared between alerts with the same URL (see [`shared_url`]).
    pub generator_url: Arc<str>,
    /// The end time was set by Alertmanager from `resolve_timeout`, not by
    /// the client.
    pub timeout: bool,
}

impl Alert {
    pub fn fingerprint(&self) -> Fingerprint {
        self.labels.fingerprint()
    }

    /// Whether the alert is resolved at `now` (an end time at or before it).
    pub fn resolved_at(&self, now: Timestamp) -> bool {
        self.ends_at.is_some_and(|e| e <= now)
    }

    /// Alertmanager's `Alert.Merge`: the younger alert (by `updated_at`) wins,
    /// the earliest start is kept, and an older end time survives only where
    /// Alertmanager keeps it.
    pub fn merge(&self, other: &Alert, now: Timestamp) -> Alert {
        if other.updated_at < self.updated_at {
            return other.merge(self, now);
        }
        let (older, newer) = (self, other);
        let mut res = newer.clone();
        if older.starts_at < newer.starts_at {
            res.starts_at = older.starts_at;
        }
        let later = |a: Option<Timestamp>, b: Option<Timestamp>| match (a, b) {
            (Some(a), Some(b)) => a > b,
            (Some(_), None) => true,
            _ => false,
        };
        if newer.resolved_at(now) {
            if older.resolved_at(now) && later(older.ends_at, newer.ends_at) {
                res.ends_at = older.ends_at;
            }
        } else if later(older.ends_at, newer.ends_at) && !older.timeout {
            res.ends_at = older.ends_at;
        }
        res
    }

    /// Alertmanager's `Alert.Validate` with the label-name rule of `mode`.
    pub fn validate(&self, mode: ParseMode) -> Result<(), String> {
        if self.ends_at.is_some_and(|e| e < self.starts_at) {
            return Err("start time must be before end time".to_string());
        }
        validate_label_set(&self.labels, mode).map_err(|e| format!("invalid label set: {e}"))?;
        if self.labels.is_empty() {
            return Err("at least one label pair required".to_string());
        }
        validate_label_set(&self.annotations, mode)
            .map_err(|e| format!("invalid annotations: {e}"))?;
        Ok(())
    }
}

/// Prometheus' `LabelSet.Validate` with the label-name rule of `mode`.
pub fn validate_label_set(ls: &LabelSet, mode: ParseMode) -> Result<(), String> {
    for (name, _value) in ls.iter() {
        if !compat::is_valid_label_name(name, mode) {
            return Err(format!(
                "invalid name {}",
                crate::config::types::go_quote(name)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn label_set_bytes_round_trip_and_damage_is_refused() {
        for set in [
            LabelSet::empty(),
            ls(&[("a", "")]),
            ls(&[("alertname", "Høst"), ("job", "x"), ("z", "日本")]),
        ] {
            assert_eq!(LabelSet::from_bytes(set.as_bytes()).unwrap(), set);
        }
        let good = ls(&[("a", "1"), ("b", "2")]);
        let b = good.as_bytes();
        assert!(LabelSet::from_bytes(&b[..b.len() - 1]).is_err());
        assert!(LabelSet::from_bytes(&b[..3]).is_err());
        let mut swapped = ls(&[("a", "1"), ("b", "2")]).as_bytes().to_vec();
        let n = swapped.len();
        swapped[n - 4] = b'b';
        swapped[n - 2] = b'a';
        assert_eq!(
            LabelSet::from_bytes(&swapped).unwrap_err(),
            "label names not sorted and unique"
        );
        let mut bad_utf8 = good.as_bytes().to_vec();
        let n = bad_utf8.len();
        bad_utf8[n - 1] = 0xff;
        assert!(
            LabelSet::from_bytes(&bad_utf8)
                .unwrap_err()
                .contains("UTF-8")
        );
    }

    fn ls(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().copied().collect()
    }

    fn t(secs: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn fingerprints_match_prometheus() {
        // Values printed by Prometheus' model.LabelSet.Fingerprint (Go,
        // prometheus/common from Debian's golang packages).
        for (labels, want) in [
            (&[][..], "cbf29ce484222325"),
            (&[("alertname", "A")][..], "d2c6efc389df0927"),
            (
                &[
                    ("alertname", "HighLatency"),
                    ("job", "api"),
                    ("instance", "10.0.0.1:9090"),
                    ("severity", "critical"),
                ][..],
                "e2520b5776801b44",
            ),
            (&[("a", "1b")][..], "3c7aa92d943d05d3"),
            (&[("a1", "b")][..], "0b60999a37963853"),
            (&[("ünï", "cødé"), ("x", "")][..], "1a0756ef80706a62"),
        ] {
            assert_eq!(ls(labels).fingerprint().to_string(), want, "{labels:?}");
        }
        let a = ls(&[("b", "2"), ("a", "1")]);
        let b = ls(&[("a", "1"), ("b", "2")]);
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(
            ls(&[("a", "1b")]).fingerprint(),
            ls(&[("a1", "b")]).fingerprint(),
            "the separator keeps names and values apart"
        );
    }

    #[test]
    fn label_sets_sort_dedup_and_print_like_go() {
        let s = ls(&[("z", "1"), ("a", "x\"y"), ("z", "2")]);
        assert_eq!(s.len(), 2);
        assert_eq!(s.get("z"), Some("2"));
        assert_eq!(s.get("nope"), None);
        assert_eq!(s.to_string(), "{a=\"x\\\"y\", z=\"2\"}");
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"a":"x\"y","z":"2"}"#
        );
        // Go's %q escapes every non-printable character, not only ASCII
        // controls; printable non-ASCII stays as it is.
        let s = ls(&[("v", "\u{a0}\u{ad}\u{85}\u{200b}\u{e000}\u{7f}\t é☃😀")]);
        assert_eq!(
            s.to_string(),
            r#"{v="\u00a0\u00ad\u0085\u200b\ue000\x7f\t é☃😀"}"#
        );
    }

    #[test]
    fn go_ordering_of_label_sets() {
        use std::cmp::Ordering::*;
        assert_eq!(ls(&[("a", "1")]).cmp_go(&ls(&[("a", "2")])), Less);
        assert_eq!(
            ls(&[("a", "1")]).cmp_go(&ls(&[("a", "1"), ("b", "1")])),
            Less
        );
        // Size decides first, whatever the names.
        assert_eq!(
            ls(&[("b", "1")]).cmp_go(&ls(&[("a", "1"), ("b", "1")])),
            Less
        );
        assert_eq!(
            ls(&[("b", "1"), ("c", "1")]).cmp_go(&ls(&[("a", "1"), ("b", "1")])),
            Less
        );
        assert_eq!(
            ls(&[("a", "1"), ("b", "1")]).cmp_go(&ls(&[("b", "1"), ("c", "1")])),
            Greater
        );
        // Of two sets of one size, the one lacking the first name in merged
        // order comes first.
        assert_eq!(
            ls(&[("a", "9"), ("c", "1")]).cmp_go(&ls(&[("a", "9"), ("b", "1")])),
            Less
        );
        assert_eq!(ls(&[("a", "1")]).cmp_go(&ls(&[("a", "1")])), Equal);
    }

    fn alert(start: i64, end: Option<i64>, updated: i64, timeout: bool) -> Alert {
        Alert {
            labels: ls(&[("alertname", "A")]),
            annotations: LabelSet::empty(),
            starts_at: t(start),
            ends_at: end.map(t),
            updated_at: t(updated),
            generator_url: "".into(),
            timeout,
        }
    }

    #[test]
    fn merge_rules() {
        let now = t(100);
        // Earliest start wins; newer firing alert keeps a later explicit end of the older one.
        let old = alert(0, Some(500), 10, false);
        let new = alert(50, Some(200), 20, false);
        let m = old.merge(&new, now);
        assert_eq!(m.starts_at, t(0));
        assert_eq!(m.ends_at, Some(t(500)));
        // ...but not when the older end came from resolve_timeout.
        let old = alert(0, Some(500), 10, true);
        assert_eq!(old.merge(&new, now).ends_at, Some(t(200)));
        // Arguments in either order give the same result.
        assert_eq!(new.merge(&old, now), old.merge(&new, now));
        // Newer resolved: the later resolved end wins only if both are resolved.
        let old = alert(0, Some(90), 10, false);
        let new = alert(0, Some(80), 20, false);
        assert_eq!(old.merge(&new, now).ends_at, Some(t(90)));
        let old = alert(0, Some(150), 10, false);
        assert_eq!(old.merge(&new, now).ends_at, Some(t(80)));
    }

    #[test]
    fn validation() {
        let mut a = alert(10, Some(5), 0, false);
        assert_eq!(
            a.validate(ParseMode::Classic).unwrap_err(),
            "start time must be before end time"
        );
        a.ends_at = None;
        assert!(a.validate(ParseMode::Classic).is_ok());
        a.labels = LabelSet::empty();
        assert_eq!(
            a.validate(ParseMode::Classic).unwrap_err(),
            "at least one label pair required"
        );
        a.labels = ls(&[("0bad", "x")]);
        assert_eq!(
            a.validate(ParseMode::Classic).unwrap_err(),
            "invalid label set: invalid name \"0bad\""
        );
        assert!(a.validate(ParseMode::Fallback).is_ok());
        a.labels = ls(&[("ok", "x")]);
        a.annotations = ls(&[("bad-name", "x")]);
        assert_eq!(
            a.validate(ParseMode::Classic).unwrap_err(),
            "invalid annotations: invalid name \"bad-name\""
        );
    }

    #[test]
    fn generator_urls_are_shared_and_unused_ones_dropped() {
        let a = shared_url("http://prom:9090/graph?g0.expr=shared-test");
        let b = shared_url("http://prom:9090/graph?g0.expr=shared-test");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "http://prom:9090/graph?g0.expr=shared-test");
        assert_eq!(&*shared_url(""), "");
        // Enough distinct URLs to trigger sweeps: none held, so the set
        // stays bounded rather than keeping every URL ever seen.
        for i in 0..10_000 {
            shared_url(&format!("http://prom/graph?g0.expr=sweep-{i}"));
        }
        let held = URLS.lock().unwrap().set.len();
        assert!(held < 5_000, "{held} URLs kept");
        assert!(Arc::ptr_eq(
            &a,
            &shared_url("http://prom:9090/graph?g0.expr=shared-test")
        ));
    }

    #[test]
    fn packed_label_sets_behave_like_sorted_maps() {
        let ls = LabelSet::from_pairs([("b", "2"), ("a", "1"), ("c", ""), ("a", "3")]);
        assert_eq!(ls.len(), 3);
        assert_eq!(
            ls.iter().collect::<Vec<_>>(),
            [("a", "3"), ("b", "2"), ("c", "")]
        );
        assert_eq!(ls.get("a"), Some("3"));
        assert_eq!(ls.get("c"), Some(""));
        assert_eq!(ls.get("d"), None);
        assert_eq!(ls.get(""), None);
        assert_eq!(
            ls,
            LabelSet::from_pairs([("c", ""), ("b", "2"), ("a", "3")])
        );
        assert_eq!(
            ls.filter(|n| n != "b"),
            LabelSet::from_pairs([("a", "3"), ("c", "")])
        );
        assert!(ls.filter(|_| false).is_empty());
        assert_eq!(ls.filter(|_| false), LabelSet::empty());
        assert_eq!(
            LabelSet::from_pairs(Vec::<(&str, &str)>::new()),
            LabelSet::default()
        );
        let unicode = LabelSet::from_pairs([("名前", "値 🚨"), ("", "empty name")]);
        assert_eq!(unicode.get("名前"), Some("値 🚨"));
        assert_eq!(unicode.get(""), Some("empty name"));
    }
}
