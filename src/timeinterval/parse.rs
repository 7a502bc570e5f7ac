//! The building blocks of a time interval (time-of-day ranges and weekday, day-of-month, month and
//! year ranges): parsing from Alertmanager's text syntax with its exact error messages, and
//! printing back in the form Alertmanager marshals them to YAML and JSON.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::config::types::go_quote;

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A range of minutes of the day, `start_minute` inclusive and `end_minute` exclusive
/// (`09:00`–`17:00` is 540..1020; `24:00` is 1440).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeRange {
    pub start_minute: u32,
    pub end_minute: u32,
}

impl TimeRange {
    /// Validates a `{start_time, end_time}` pair; an empty string counts as missing.
    pub fn parse(start_time: &str, end_time: &str) -> Result<Self, String> {
        if start_time.is_empty() || end_time.is_empty() {
            return Err("both start and end times must be provided".to_string());
        }
        let start_minute = parse_clock(start_time)?;
        let end_minute = parse_clock(end_time)?;
        if start_minute >= end_minute {
            return Err("start time cannot be equal or greater than end time".to_string());
        }
        Ok(TimeRange {
            start_minute,
            end_minute,
        })
    }

    pub fn contains_minute(&self, minute_of_day: u32) -> bool {
        self.start_minute <= minute_of_day && minute_of_day < self.end_minute
    }
}

/// `HH:MM` with two-digit hours 00–23 and minutes 00–59, or exactly `24:00`.
fn parse_clock(text: &str) -> Result<u32, String> {
    let invalid = || format!("couldn't parse timestamp {text}, invalid format");
    let b = text.as_bytes();
    if b.len() != 5 || b[2] != b':' || ![0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit()) {
        return Err(invalid());
    }
    let digit = |i: usize| u32::from(b[i] - b'0');
    let (hours, minutes) = (digit(0) * 10 + digit(1), digit(3) * 10 + digit(4));
    let valid = (hours < 24 && minutes < 60) || (hours == 24 && minutes == 0);
    if !valid {
        return Err(invalid());
    }
    Ok(hours * 60 + minutes)
}

fn format_clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// An inclusive range of weekdays, 0 = Sunday … 6 = Saturday. Only names are accepted, and a
/// range cannot wrap around the end of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WeekdayRange {
    pub begin: u32,
    pub end: u32,
}

/// An inclusive range of days of the month; negative values count from the end of the month
/// (-1 is the last day). Values are in 1..=31 or -31..=-1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DayOfMonthRange {
    pub begin: i64,
    pub end: i64,
}

/// An inclusive range of months, 1 = January. Names or numbers are accepted; like Alertmanager,
/// numbers are not range-checked (such a range simply never matches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MonthRange {
    pub begin: i64,
    pub end: i64,
}

/// An inclusive range of years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct YearRange {
    pub begin: i64,
    pub end: i64,
}

/// Splits `begin:end` or a single `value` (begin = end) after lower-casing the whole input, as
/// Alertmanager does for every range field, and converts each side with `member`.
fn parse_bounds<T: Copy>(
    input: &str,
    member: impl Fn(&str) -> Result<T, String>,
) -> Result<(T, T), String> {
    let lower = input.to_lowercase();
    if !lower.contains(':') {
        let value = member(&lower)?;
        return Ok((value, value));
    }
    match lower.split(':').collect::<Vec<_>>()[..] {
        [begin, end] => Ok((member(begin)?, member(end)?)),
        _ => Err(format!("couldn't parse range {lower}, invalid format")),
    }
}

/// Go's `strconv.Atoi` on a 64-bit platform, with its error messages: an optional sign followed
/// by ASCII digits; a value beyond `i64` is "value out of range".
fn go_atoi(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.Atoi: parsing {}: invalid syntax", go_quote(s));
    let range = || format!("strconv.Atoi: parsing {}: value out of range", go_quote(s));
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(syntax());
    }
    // Like Go, digits are accumulated as unsigned 64-bit: overflowing that is reported as soon
    // as it happens, a bad character as soon as it is seen, and the signed limit at the end.
    let mut magnitude: u64 = 0;
    for c in digits.bytes() {
        if !c.is_ascii_digit() {
            return Err(syntax());
        }
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(c - b'0')))
            .ok_or_else(range)?;
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude).ok_or_else(range)
    } else {
        i64::try_from(magnitude).map_err(|_| range())
    }
}

fn weekday_member(name: &str) -> Result<u32, String> {
    WEEKDAYS
        .iter()
        .position(|w| *w == name)
        .map(|i| i as u32)
        .ok_or_else(|| format!("{name} is not a valid weekday"))
}

fn month_member(text: &str) -> Result<i64, String> {
    match MONTHS.iter().position(|m| *m == text) {
        Some(i) => Ok(i as i64 + 1),
        None => go_atoi(text).map_err(|_| format!("{text} is not a valid month")),
    }
}

/// The month name used in messages; Alertmanager prints an empty string for numbers outside 1–12.
fn month_name(month: i64) -> &'static str {
    usize::try_from(month - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("")
}

impl FromStr for WeekdayRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (begin, end) = parse_bounds(s, weekday_member)?;
        if begin > end {
            // The wording is Alertmanager's (it means "end day cannot be before start day").
            return Err("start day cannot be before end day".to_string());
        }
        Ok(WeekdayRange { begin, end })
    }
}

impl FromStr for DayOfMonthRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (begin, end) = parse_bounds(s, go_atoi)?;
        for day in [begin, end] {
            if day == 0 || !(-31..=31).contains(&day) {
                return Err(format!(
                    "{day} is not a valid day of the month: out of range"
                ));
            }
        }
        if begin < 0 && end > 0 {
            return Err("end day must be negative if start day is negative".to_string());
        }
        // Negative days depend on the month's length; reject only ranges that are empty in every
        // month, judged with the shortest month (28 days).
        let in_short_month = |day: i64| if day < 0 { 28 + day } else { day };
        if in_short_month(begin) > in_short_month(end) {
            return Err(format!("end day {end} is always before start day {begin}"));
        }
        Ok(DayOfMonthRange { begin, end })
    }
}

impl FromStr for MonthRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (begin, end) = parse_bounds(s, month_member)?;
        if begin > end {
            return Err(format!(
                "end month {} is before start month {}",
                month_name(end),
                month_name(begin)
            ));
        }
        Ok(MonthRange { begin, end })
    }
}

impl FromStr for YearRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (begin, end) = parse_bounds(s, go_atoi)?;
        if begin > end {
            return Err(format!("end year {end} is before start year {begin}"));
        }
        Ok(YearRange { begin, end })
    }
}

/// Prints `begin:end`, or just `begin` when both are equal.
fn write_bounds(f: &mut fmt::Formatter<'_>, begin: &str, end: &str) -> fmt::Result {
    if begin == end {
        f.write_str(begin)
    } else {
        write!(f, "{begin}:{end}")
    }
}

impl fmt::Display for WeekdayRange {
    /// Weekday names, e.g. `monday:friday` or `saturday`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |d: u32| WEEKDAYS.get(d as usize).copied().unwrap_or("?");
        write_bounds(f, name(self.begin), name(self.end))
    }
}

impl fmt::Display for DayOfMonthRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_bounds(f, &self.begin.to_string(), &self.end.to_string())
    }
}

impl fmt::Display for MonthRange {
    /// Numbers, not names (`january:march` prints as `1:3`), as Alertmanager marshals months.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_bounds(f, &self.begin.to_string(), &self.end.to_string())
    }
}

impl fmt::Display for YearRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_bounds(f, &self.begin.to_string(), &self.end.to_string())
    }
}

/// Reads an optional scalar as text; null reads as the empty string, as in Alertmanager.
///
/// Like Alertmanager's YAML decoder, serde-saphyr hands any scalar to a string as its source
/// text (`5`, `1:5`, `true` and `1.0` alike). (serde_json, unlike Go's JSON path through the
/// YAML decoder, accepts only JSON strings there.)
pub(super) fn text_or_empty<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// serde for the four range types: deserialized from a scalar's text with the `FromStr` rules
/// (a null list item becomes the zero range without validation, as in Alertmanager: for
/// weekdays that is Sunday, for the others a range that never matches), serialized as the
/// `Display` string.
macro_rules! range_serde {
    ($ty:ty) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                match Option::<String>::deserialize(deserializer)? {
                    Some(text) => text.parse().map_err(de::Error::custom),
                    None => Ok(Self { begin: 0, end: 0 }),
                }
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    };
}

range_serde!(WeekdayRange);
range_serde!(DayOfMonthRange);
range_serde!(MonthRange);
range_serde!(YearRange);

/// The `{start_time, end_time}` mapping as written in the configuration.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimeRange {
    #[serde(default, deserialize_with = "text_or_empty")]
    start_time: String,
    #[serde(default, deserialize_with = "text_or_empty")]
    end_time: String,
}

impl<'de> Deserialize<'de> for TimeRange {
    /// A null list item becomes the empty range 00:00–00:00 (never matches), as in Alertmanager.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Option::<RawTimeRange>::deserialize(deserializer)? {
            Some(raw) => {
                TimeRange::parse(&raw.start_time, &raw.end_time).map_err(de::Error::custom)
            }
            None => Ok(TimeRange {
                start_minute: 0,
                end_minute: 0,
            }),
        }
    }
}

impl Serialize for TimeRange {
    /// `{start_time: "HH:MM", end_time: "HH:MM"}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("TimeRange", 2)?;
        s.serialize_field("start_time", &format_clock(self.start_minute))?;
        s.serialize_field("end_time", &format_clock(self.end_minute))?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parsed `(begin, end)` or the error message.
    type Bounds<T> = Result<(T, T), String>;

    fn weekdays(s: &str) -> Bounds<u32> {
        s.parse::<WeekdayRange>().map(|r| (r.begin, r.end))
    }

    fn days(s: &str) -> Bounds<i64> {
        s.parse::<DayOfMonthRange>().map(|r| (r.begin, r.end))
    }

    fn months(s: &str) -> Bounds<i64> {
        s.parse::<MonthRange>().map(|r| (r.begin, r.end))
    }

    fn years(s: &str) -> Bounds<i64> {
        s.parse::<YearRange>().map(|r| (r.begin, r.end))
    }

    fn err(s: &str) -> Bounds<i64> {
        Err(s.to_string())
    }

    #[test]
    fn time_ranges() {
        let ok = |start_minute, end_minute| {
            Ok(TimeRange {
                start_minute,
                end_minute,
            })
        };
        let fail = |s: &str| Err(s.to_string());
        let cases: &[(&str, &str, Result<TimeRange, String>)] = &[
            ("00:00", "24:00", ok(0, 1440)),
            ("01:35", "17:39", ok(95, 1059)),
            ("09:35", "09:36", ok(575, 576)),
            ("23:59", "24:00", ok(1439, 1440)),
            ("20:00", "23:59", ok(1200, 1439)),
            (
                "17:31",
                "17:31",
                fail("start time cannot be equal or greater than end time"),
            ),
            (
                "09:30",
                "07:41",
                fail("start time cannot be equal or greater than end time"),
            ),
            (
                "12:30",
                "24:01",
                fail("couldn't parse timestamp 24:01, invalid format"),
            ),
            (
                "24:00",
                "17:41",
                fail("start time cannot be equal or greater than end time"),
            ),
            (
                "01:99",
                "23:59",
                fail("couldn't parse timestamp 01:99, invalid format"),
            ),
            (
                "00:00",
                "99:99",
                fail("couldn't parse timestamp 99:99, invalid format"),
            ),
            (
                "9:00",
                "10:00",
                fail("couldn't parse timestamp 9:00, invalid format"),
            ),
            (
                "09:00",
                "10:0",
                fail("couldn't parse timestamp 10:0, invalid format"),
            ),
            (
                "09:00",
                "1000",
                fail("couldn't parse timestamp 1000, invalid format"),
            ),
            (
                "09-00",
                "10:00",
                fail("couldn't parse timestamp 09-00, invalid format"),
            ),
            (
                "09:00 ",
                "10:00",
                fail("couldn't parse timestamp 09:00 , invalid format"),
            ),
            (
                "09:00\n",
                "10:00",
                fail("couldn't parse timestamp 09:00\n, invalid format"),
            ),
            (
                "25:00",
                "26:00",
                fail("couldn't parse timestamp 25:00, invalid format"),
            ),
            (
                "09:60",
                "10:00",
                fail("couldn't parse timestamp 09:60, invalid format"),
            ),
            (
                "+9:00",
                "10:00",
                fail("couldn't parse timestamp +9:00, invalid format"),
            ),
            (
                "٠٩:00",
                "10:00",
                fail("couldn't parse timestamp ٠٩:00, invalid format"),
            ),
            (
                "",
                "10:00",
                fail("both start and end times must be provided"),
            ),
            (
                "09:00",
                "",
                fail("both start and end times must be provided"),
            ),
            // Presence is checked before format.
            ("bad", "", fail("both start and end times must be provided")),
            // The start is parsed (and reported) before the end.
            (
                "xx",
                "yy",
                fail("couldn't parse timestamp xx, invalid format"),
            ),
        ];
        for (start, end, want) in cases {
            assert_eq!(&TimeRange::parse(start, end), want, "{start:?}-{end:?}");
        }
    }

    #[test]
    fn time_range_bounds() {
        let r = TimeRange::parse("09:00", "17:00").unwrap();
        assert!(!r.contains_minute(539));
        assert!(r.contains_minute(540));
        assert!(r.contains_minute(1019));
        assert!(!r.contains_minute(1020));
        let to_midnight = TimeRange::parse("23:00", "24:00").unwrap();
        assert!(to_midnight.contains_minute(1439));
        assert!(!to_midnight.contains_minute(0));
    }

    #[test]
    fn weekday_ranges() {
        let cases: &[(&str, Bounds<u32>)] = &[
            ("sunday", Ok((0, 0))),
            ("saturday", Ok((6, 6))),
            ("monday:friday", Ok((1, 5))),
            ("sunday:saturday", Ok((0, 6))),
            ("MONDAY:Friday", Ok((1, 5))),
            ("wednesday:wednesday", Ok((3, 3))),
            (
                "friday:monday",
                Err("start day cannot be before end day".into()),
            ),
            (
                "saturday:sunday",
                Err("start day cannot be before end day".into()),
            ),
            (
                "blurgsday:flurgsday",
                Err("blurgsday is not a valid weekday".into()),
            ),
            (
                "monday:flurgsday",
                Err("flurgsday is not a valid weekday".into()),
            ),
            ("Foo", Err("foo is not a valid weekday".into())),
            ("1:3", Err("1 is not a valid weekday".into())),
            ("-2:-1", Err("-2 is not a valid weekday".into())),
            ("mon", Err("mon is not a valid weekday".into())),
            (" monday", Err(" monday is not a valid weekday".into())),
            ("Monday:", Err(" is not a valid weekday".into())),
            ("", Err(" is not a valid weekday".into())),
            (
                "Monday:Tuesday:Friday",
                Err("couldn't parse range monday:tuesday:friday, invalid format".into()),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(&weekdays(input), want, "{input:?}");
        }
    }

    #[test]
    fn day_of_month_ranges() {
        let cases: &[(&str, Bounds<i64>)] = &[
            ("1", Ok((1, 1))),
            ("31", Ok((31, 31))),
            ("-1", Ok((-1, -1))),
            ("-31", Ok((-31, -31))),
            ("1:5", Ok((1, 5))),
            ("-3:-1", Ok((-3, -1))),
            ("1:-1", Ok((1, -1))),
            ("20:-1", Ok((20, -1))),
            ("27:-1", Ok((27, -1))),
            // Empty in February, so rejected although it would work in longer months.
            (
                "28:-1",
                Err("end day -1 is always before start day 28".into()),
            ),
            (
                "-31:31",
                Err("end day must be negative if start day is negative".into()),
            ),
            ("+3", Ok((3, 3))),
            ("07", Ok((7, 7))),
            ("30:31", Ok((30, 31))),
            // In a 28-day month -3 is the 25th, so this range is not always empty.
            ("25:-3", Ok((25, -3))),
            (
                "0",
                Err("0 is not a valid day of the month: out of range".into()),
            ),
            (
                "32",
                Err("32 is not a valid day of the month: out of range".into()),
            ),
            (
                "-32",
                Err("-32 is not a valid day of the month: out of range".into()),
            ),
            (
                "-50:-20",
                Err("-50 is not a valid day of the month: out of range".into()),
            ),
            (
                "1:50",
                Err("50 is not a valid day of the month: out of range".into()),
            ),
            (
                "0:50",
                Err("0 is not a valid day of the month: out of range".into()),
            ),
            (
                "-15:5",
                Err("end day must be negative if start day is negative".into()),
            ),
            (
                "10:-25",
                Err("end day -25 is always before start day 10".into()),
            ),
            (
                "26:-3",
                Err("end day -3 is always before start day 26".into()),
            ),
            ("5:1", Err("end day 1 is always before start day 5".into())),
            (
                "-1:-3",
                Err("end day -3 is always before start day -1".into()),
            ),
            ("ABC", err(r#"strconv.Atoi: parsing "abc": invalid syntax"#)),
            (" 1", err(r#"strconv.Atoi: parsing " 1": invalid syntax"#)),
            ("1.0", err(r#"strconv.Atoi: parsing "1.0": invalid syntax"#)),
            ("1:", err(r#"strconv.Atoi: parsing "": invalid syntax"#)),
            ("", err(r#"strconv.Atoi: parsing "": invalid syntax"#)),
            ("-", err(r#"strconv.Atoi: parsing "-": invalid syntax"#)),
            ("1_0", err(r#"strconv.Atoi: parsing "1_0": invalid syntax"#)),
            (
                "0x1f",
                err(r#"strconv.Atoi: parsing "0x1f": invalid syntax"#),
            ),
            (
                "a\"b",
                err(r#"strconv.Atoi: parsing "a\"b": invalid syntax"#),
            ),
            ("1:2:3", err("couldn't parse range 1:2:3, invalid format")),
            ("::", err("couldn't parse range ::, invalid format")),
        ];
        for (input, want) in cases {
            assert_eq!(&days(input), want, "{input:?}");
        }
    }

    #[test]
    fn month_ranges() {
        let cases: &[(&str, Bounds<i64>)] = &[
            ("january", Ok((1, 1))),
            ("December", Ok((12, 12))),
            ("January:december", Ok((1, 12))),
            ("1:3", Ok((1, 3))),
            ("march:6", Ok((3, 6))),
            // Numbers are not range-checked.
            ("13", Ok((13, 13))),
            ("0:-0", Ok((0, 0))),
            ("-5:0", Ok((-5, 0))),
            ("martius:june", Err("martius is not a valid month".into())),
            ("march:junius", Err("junius is not a valid month".into())),
            ("Jan", Err("jan is not a valid month".into())),
            ("5:0x1", Err("0x1 is not a valid month".into())),
            (
                "december:january",
                Err("end month january is before start month december".into()),
            ),
            (
                "12:3",
                Err("end month march is before start month december".into()),
            ),
            ("13:0", Err("end month  is before start month ".into())),
            (
                "may:2",
                Err("end month february is before start month may".into()),
            ),
            (
                "a:b:c",
                Err("couldn't parse range a:b:c, invalid format".into()),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(&months(input), want, "{input:?}");
        }
    }

    #[test]
    fn year_ranges() {
        let cases: &[(&str, Bounds<i64>)] = &[
            ("2020", Ok((2020, 2020))),
            ("2020:2022", Ok((2020, 2022))),
            ("-5:5", Ok((-5, 5))),
            ("2022:2020", err("end year 2020 is before start year 2022")),
            (
                "twenty",
                err(r#"strconv.Atoi: parsing "twenty": invalid syntax"#),
            ),
            (
                "9223372036854775807",
                Ok((9223372036854775807, 9223372036854775807)),
            ),
            ("-9223372036854775808", Ok((i64::MIN, i64::MIN))),
            (
                "9223372036854775808",
                err(r#"strconv.Atoi: parsing "9223372036854775808": value out of range"#),
            ),
            (
                "-9223372036854775809",
                err(r#"strconv.Atoi: parsing "-9223372036854775809": value out of range"#),
            ),
            (
                "99999999999999999999",
                err(r#"strconv.Atoi: parsing "99999999999999999999": value out of range"#),
            ),
            // Go reports whichever problem it meets first.
            (
                "99999999999999999999x",
                err(r#"strconv.Atoi: parsing "99999999999999999999x": value out of range"#),
            ),
            (
                "9223372036854775808x",
                err(r#"strconv.Atoi: parsing "9223372036854775808x": invalid syntax"#),
            ),
            ("2020:", err(r#"strconv.Atoi: parsing "": invalid syntax"#)),
        ];
        for (input, want) in cases {
            assert_eq!(&years(input), want, "{input:?}");
        }
    }

    #[test]
    fn display_matches_alertmanager_marshalling() {
        let shown = |s: &str, kind: &str| match kind {
            "weekday" => s.parse::<WeekdayRange>().unwrap().to_string(),
            "day" => s.parse::<DayOfMonthRange>().unwrap().to_string(),
            "month" => s.parse::<MonthRange>().unwrap().to_string(),
            _ => s.parse::<YearRange>().unwrap().to_string(),
        };
        assert_eq!(shown("Monday:FRIDAY", "weekday"), "monday:friday");
        assert_eq!(shown("saturday", "weekday"), "saturday");
        assert_eq!(shown("sunday:sunday", "weekday"), "sunday");
        assert_eq!(shown("-7:-1", "day"), "-7:-1");
        assert_eq!(shown("+3:03", "day"), "3");
        assert_eq!(shown("january:march", "month"), "1:3");
        assert_eq!(shown("may", "month"), "5");
        assert_eq!(shown("2020:2022", "year"), "2020:2022");
        assert_eq!(shown("2021", "year"), "2021");
        assert_eq!(format_clock(0), "00:00");
        assert_eq!(format_clock(575), "09:35");
        assert_eq!(format_clock(1440), "24:00");
    }
}
