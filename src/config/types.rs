//! Scalar types shared by the whole configuration file: Prometheus durations,
//! secrets that never print, and validated URLs.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration in Prometheus' `model.Duration` syntax (`1y2w3d4h5m6s7ms`, units in
/// that order, no fractions, plus a bare `0`), with millisecond precision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub std::time::Duration);

const MS_PER_UNIT: [(&str, u64); 7] = [
    ("y", 1000 * 60 * 60 * 24 * 365),
    ("w", 1000 * 60 * 60 * 24 * 7),
    ("d", 1000 * 60 * 60 * 24),
    ("h", 1000 * 60 * 60),
    ("m", 1000 * 60),
    ("s", 1000),
    ("ms", 1),
];

impl Duration {
    pub const fn from_secs(secs: u64) -> Self {
        Duration(std::time::Duration::from_secs(secs))
    }

    pub const fn from_millis(ms: u64) -> Self {
        Duration(std::time::Duration::from_millis(ms))
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn as_std(&self) -> std::time::Duration {
        self.0
    }

    /// Parses Prometheus' duration syntax with Prometheus' error messages.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "0" => return Ok(Duration::default()),
            "" => return Err("empty duration string".to_string()),
            _ => {}
        }
        let invalid = || format!("not a valid duration string: {}", go_quote(s));
        let mut rest = s;
        let mut next_unit = 0;
        let mut total_ms: u64 = 0;
        let mut overflow = false;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(invalid());
            }
            let (num, after) = rest.split_at(digits);
            // Longest unit first so that "ms" is not read as "m" followed by "s".
            let unit = ["ms", "y", "w", "d", "h", "m", "s"]
                .into_iter()
                .find(|u| after.starts_with(u))
                .ok_or_else(invalid)?;
            let idx = MS_PER_UNIT
                .iter()
                .position(|(u, _)| *u == unit)
                .expect("unit is in the table");
            if idx < next_unit {
                return Err(invalid());
            }
            next_unit = idx + 1;
            let mult = MS_PER_UNIT[idx].1;
            match num.parse::<u64>() {
                Ok(n) if n <= (i64::MAX as u64) / 1_000_000 / mult => {
                    total_ms = total_ms.saturating_add(n * mult);
                }
                _ => overflow = true,
            }
            rest = &after[unit.len()..];
        }
        if overflow || total_ms > (i64::MAX as u64) / 1_000_000 {
            return Err("duration out of range".to_string());
        }
        Ok(Duration::from_millis(total_ms))
    }
}

impl fmt::Display for Duration {
    /// Formats like Prometheus: years and weeks only when exact, `0s` for zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0.as_millis() as u64;
        if ms == 0 {
            return f.write_str("0s");
        }
        for (i, (unit, mult)) in MS_PER_UNIT.iter().enumerate() {
            let exact_only = i < 2;
            if exact_only && !ms.is_multiple_of(*mult) {
                continue;
            }
            let v = ms / mult;
            if v > 0 {
                write!(f, "{v}{unit}")?;
                ms -= v * mult;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Duration::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Parses Go's `time.ParseDuration` syntax (`1h30m`, `1.5s`, `200ms`, `0`), which
/// command-line flags and a few receiver fields use. Negative durations, which
/// Go accepts and its callers treat as "none", come back as zero.
pub fn parse_go_duration(s: &str) -> Result<std::time::Duration, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(s));
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(invalid());
        }
        rest = &rest[num_len..];
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let nanos_per = match unit {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {}", go_quote(s))),
            u => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(u),
                    go_quote(s)
                ));
            }
        };
        let v: f64 = num.parse().map_err(|_| invalid())?;
        total += v * nanos_per;
    }
    if total > i64::MAX as f64 {
        return Err(invalid());
    }
    if neg {
        return Ok(std::time::Duration::ZERO);
    }
    Ok(std::time::Duration::from_nanos(total.round() as u64))
}

/// Formats a duration the way Go's `time.Duration.String` does (`1h0m0s`,
/// `1m30s`, `200ms`, `1.5s`, `0s`).
pub fn format_go_duration(d: std::time::Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_string();
    }
    fn frac(v: u128, unit: u128) -> String {
        let whole = v / unit;
        let rem = v % unit;
        if rem == 0 {
            return whole.to_string();
        }
        let digits = unit.to_string().len() - 1;
        let f = format!("{rem:0digits$}");
        format!("{whole}.{}", f.trim_end_matches('0'))
    }
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}\u{b5}s", frac(nanos, 1_000));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", frac(nanos, 1_000_000));
    }
    let secs_total = nanos / 1_000_000_000;
    let sub = nanos % 1_000_000_000;
    let h = secs_total / 3600;
    let m = (secs_total % 3600) / 60;
    let s = frac((secs_total % 60) * 1_000_000_000 + sub, 1_000_000_000);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// Deserializes an explicit YAML `null` (`key:` with no value) as the type's
/// default, the way Go's yaml.v2 leaves a nil slice or map.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Go's `strconv.Quote` (what `%q` prints in error messages).
pub use crate::matcher::go_quote;

/// A string that must never be shown: it prints and serialises as `<secret>`.
#[derive(Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret value itself, for the code that has to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() {
            s.serialize_str("")
        } else {
            s.serialize_str("<secret>")
        }
    }
}

/// An http(s) URL, validated like Alertmanager's `config.URL`. It keeps the
/// text as written, which is what Alertmanager prints back.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Url {
    url: url::Url,
    text: String,
}

impl Url {
    pub fn parse(s: &str) -> Result<Self, String> {
        let u = url::Url::parse(s).map_err(|e| format!("parse {}: {e}", go_quote(s)))?;
        if u.scheme() != "http" && u.scheme() != "https" {
            return Err(format!(
                "unsupported scheme {} for URL",
                go_quote(u.scheme())
            ));
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err("missing host for URL".to_string());
        }
        Ok(Url {
            url: u,
            text: s.to_string(),
        })
    }

    /// The URL as written in the configuration.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed URL.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// Appends `/` to the path if it has none at the end (Alertmanager does
    /// this for some API base URLs).
    pub fn ensure_trailing_slash(&mut self) {
        let path = self.url.path();
        if path.ends_with('/') {
            return;
        }
        let new_path = format!("{path}/");
        self.url.set_path(&new_path);
        self.text = self.url.to_string();
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Url {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Url::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Url {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// A URL that is itself a secret (for example a Slack webhook): validated like
/// [`Url`], printed as `<secret>`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretUrl(pub Url);

impl SecretUrl {
    pub fn expose(&self) -> &Url {
        &self.0
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl<'de> Deserialize<'de> for SecretUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // Alertmanager accepts the masked form so that a re-marshalled config
        // loads again; it is never sent anywhere.
        if s == "<secret>" {
            return Ok(SecretUrl(
                Url::parse("http://secret.invalid/").expect("valid"),
            ));
        }
        Url::parse(&s)
            .map(SecretUrl)
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for SecretUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<secret>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_prometheus() {
        for (s, ms) in [
            ("0", 0u64),
            ("0s", 0),
            ("5m", 300_000),
            ("1h30m", 5_400_000),
            ("1y", 31_536_000_000),
            ("2w3d", 1_468_800_000),
            ("1s500ms", 1500),
            ("120h", 432_000_000),
        ] {
            assert_eq!(Duration::parse(s), Ok(Duration::from_millis(ms)), "{s}");
        }
        assert_eq!(Duration::parse("").unwrap_err(), "empty duration string");
        for bad in [
            "1.5h", "5", "m", "1m1h", "1h 30m", "-1s", "1hh", "1s1s", "1d1y",
        ] {
            assert_eq!(
                Duration::parse(bad).unwrap_err(),
                format!("not a valid duration string: \"{bad}\""),
                "{bad}"
            );
        }
        assert_eq!(
            Duration::parse("300y").unwrap_err(),
            "duration out of range"
        );
    }

    #[test]
    fn durations_print_like_prometheus() {
        for (ms, s) in [
            (0u64, "0s"),
            (300_000, "5m"),
            (14_400_000, "4h"),
            (86_400_000, "1d"),
            (604_800_000, "1w"),
            (691_200_000, "8d"),
            (31_536_000_000, "1y"),
            (1500, "1s500ms"),
            (5_400_000, "1h30m"),
        ] {
            assert_eq!(Duration::from_millis(ms).to_string(), s);
        }
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "<secret>");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"<secret>\"");
        let u: SecretUrl = serde_json::from_str("\"https://hooks.slack.com/x\"").unwrap();
        assert_eq!(format!("{u:?}"), "<secret>");
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"<secret>\"");
    }

    #[test]
    fn urls_are_validated() {
        assert_eq!(
            Url::parse("https://api.telegram.org").unwrap().to_string(),
            "https://api.telegram.org"
        );
        let mut u = Url::parse("https://api.opsgenie.com/v2").unwrap();
        u.ensure_trailing_slash();
        assert_eq!(u.as_str(), "https://api.opsgenie.com/v2/");
        assert_eq!(
            Url::parse("ftp://example.com").unwrap_err(),
            "unsupported scheme \"ftp\" for URL"
        );
        assert!(Url::parse("not a url").is_err());
    }

    #[test]
    fn go_durations_parse_and_print_like_go() {
        use std::time::Duration as D;
        for (s, d) in [
            ("0", D::ZERO),
            ("0s", D::ZERO),
            ("1h30m", D::from_secs(5400)),
            ("120h", D::from_secs(432_000)),
            ("1.5s", D::from_millis(1500)),
            ("200ms", D::from_millis(200)),
            ("1m0s", D::from_secs(60)),
            ("10us", D::from_micros(10)),
            ("-5s", D::ZERO),
        ] {
            assert_eq!(parse_go_duration(s), Ok(d), "{s}");
        }
        assert_eq!(
            parse_go_duration("1d").unwrap_err(),
            "time: unknown unit \"d\" in duration \"1d\""
        );
        assert_eq!(
            parse_go_duration("10").unwrap_err(),
            "time: missing unit in duration \"10\""
        );
        assert_eq!(
            parse_go_duration("").unwrap_err(),
            "time: invalid duration \"\""
        );
        assert_eq!(
            parse_go_duration("h").unwrap_err(),
            "time: invalid duration \"h\""
        );
        for (d, s) in [
            (D::ZERO, "0s"),
            (D::from_secs(60), "1m0s"),
            (D::from_secs(6 * 3600), "6h0m0s"),
            (D::from_millis(200), "200ms"),
            (D::from_millis(1500), "1.5s"),
            (D::from_secs(5400), "1h30m0s"),
            (D::from_micros(15), "15\u{b5}s"),
        ] {
            assert_eq!(format_go_duration(d), s);
        }
    }
}
