//! Timestamps as API v2 reads and writes them (go-openapi `strfmt.DateTime`):
//! several ISO 8601 layouts in, RFC 3339 with milliseconds out.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use crate::alert::{Timestamp, is_go_zero};

/// Formats like `strfmt.DateTime`: `2026-01-02T03:04:05.678Z`.
pub fn format(t: &Timestamp) -> String {
    let mut out = String::with_capacity(24);
    write(&mut out, t);
    out
}

/// Appends [`format`]'s text to `out`. Every alert in an API answer carries
/// three of these, so years 0–9999 are written by hand rather than through
/// a format string.
pub fn write(out: &mut String, t: &Timestamp) {
    use chrono::{Datelike, Timelike};
    let year = t.year();
    if !(0..=9999).contains(&year) {
        out.push_str(&t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        return;
    }
    let millis = t.timestamp_subsec_millis().min(999);
    let mut b = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    put(20, 3, millis);
    out.push_str(std::str::from_utf8(&b).expect("ASCII digits"));
}

/// Formats an optional time, printing Go's zero time for `None`.
pub fn format_opt(t: &Option<Timestamp>) -> String {
    match t {
        Some(t) => format(t),
        None => "0001-01-01T00:00:00.000Z".to_string(),
    }
}

/// Parses a date-time as `strfmt.ParseDateTime` does. The empty string is
/// the Unix epoch (a go-openapi quirk); Go's zero time comes back as `None`.
pub fn parse(s: &str) -> Result<Option<Timestamp>, String> {
    if s.is_empty() {
        return Ok(Some(Utc.timestamp_opt(0, 0).single().expect("epoch")));
    }
    let parsed = DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            // Offsets without a colon (`+0200`), with or without fractions.
            DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
                .ok()
                .map(|d| d.with_timezone(&Utc))
        })
        .or_else(|| {
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%dT%H:%MZ",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M:%S",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
            .map(|n| Utc.from_utc_datetime(&n))
        });
    match parsed {
        Some(t) if is_go_zero(&t) => Ok(None),
        Some(t) => Ok(Some(t)),
        None => Err(format!(
            "parsing time {} as \"2006-01-02 15:04:05\": cannot parse {} as \"2006\"",
            crate::config::types::go_quote(s),
            crate::config::types::go_quote(s)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_matches_the_layout_for_every_kind_of_time() {
        let mut secs: i64 = 0;
        for i in 0..20_000i64 {
            // Spread over 0000..9999 with every millisecond pattern.
            secs = (secs
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407))
            .rem_euclid(253_402_300_799 + 62_167_219_200)
                - 62_167_219_200;
            let t = Utc
                .timestamp_opt(secs, ((i * 7919) % 1_000_000_000) as u32)
                .unwrap();
            assert_eq!(format(&t), t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        }
        let far = Utc.with_ymd_and_hms(12345, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(
            format(&far),
            far.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
        );
    }

    #[test]
    fn layouts() {
        let want = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        for s in [
            "2026-01-02T03:04:05Z",
            "2026-01-02T05:04:05+02:00",
            "2026-01-02T05:04:05+0200",
            "2026-01-02T03:04:05.000Z",
            "2026-01-02T03:04:05.000000Z",
            "2026-01-02T03:04:05",
            "2026-01-02 03:04:05",
        ] {
            assert_eq!(parse(s).unwrap(), Some(want), "{s}");
        }
        let minute = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 0).unwrap();
        assert_eq!(parse("2026-01-02T03:04Z").unwrap(), Some(minute));
        assert_eq!(parse("2026-01-02T03:04").unwrap(), Some(minute));
        assert_eq!(parse("0001-01-01T00:00:00Z").unwrap(), None);
        assert_eq!(parse("0001-01-01T00:00:00.000Z").unwrap(), None);
        assert_eq!(parse("").unwrap().unwrap().timestamp(), 0);
        assert!(
            parse("garbage")
                .unwrap_err()
                .starts_with("parsing time \"garbage\"")
        );
    }

    #[test]
    fn output_has_milliseconds() {
        let t = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(format(&t), "2023-11-14T22:13:20.123Z");
        assert_eq!(format_opt(&None), "0001-01-01T00:00:00.000Z");
    }
}
