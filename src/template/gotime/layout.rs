//! Go's reference-time layouts (`2006-01-02 15:04:05.999999999 -0700 MST`):
//! splitting a layout into literal text and standard elements, exactly as
//! Go's `time.nextStdChunk` does, and formatting a time with it.

use super::{GoTime, civil_from_days, weekday_from_days};

/// A standard element of a layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Std {
    /// `January`.
    LongMonth,
    /// `Jan`.
    Month,
    /// `1`.
    NumMonth,
    /// `01`.
    ZeroMonth,
    /// `Monday`.
    LongWeekDay,
    /// `Mon`.
    WeekDay,
    /// `2`.
    Day,
    /// `_2`.
    UnderDay,
    /// `02`.
    ZeroDay,
    /// `__2`.
    UnderYearDay,
    /// `002`.
    ZeroYearDay,
    /// `15`.
    Hour,
    /// `3`.
    Hour12,
    /// `03`.
    ZeroHour12,
    /// `4`.
    Minute,
    /// `04`.
    ZeroMinute,
    /// `5`.
    Second,
    /// `05`.
    ZeroSecond,
    /// `2006`.
    LongYear,
    /// `06`.
    Year,
    /// `PM`.
    PM,
    /// `pm`.
    Pm,
    /// `MST`.
    TZ,
    /// `Z0700`.
    Iso8601TZ,
    /// `Z070000`.
    Iso8601SecondsTZ,
    /// `Z07`.
    Iso8601ShortTZ,
    /// `Z07:00`.
    Iso8601ColonTZ,
    /// `Z07:00:00`.
    Iso8601ColonSecondsTZ,
    /// `-0700`.
    NumTZ,
    /// `-070000`.
    NumSecondsTZ,
    /// `-07`.
    NumShortTZ,
    /// `-07:00`.
    NumColonTZ,
    /// `-07:00:00`.
    NumColonSecondsTZ,
    /// `.000` (digits, separator `.` or `,`): trailing zeros kept.
    FracSecond0(usize, u8),
    /// `.999`: trailing zeros dropped.
    FracSecond9(usize, u8),
}

impl Std {
    fn needs_date(self) -> bool {
        use Std::*;
        matches!(
            self,
            LongMonth
                | Month
                | NumMonth
                | ZeroMonth
                | LongWeekDay
                | WeekDay
                | Day
                | UnderDay
                | ZeroDay
                | UnderYearDay
                | ZeroYearDay
                | LongYear
                | Year
        )
    }

    /// Whether this is one of the numeric or ISO 8601 zone elements.
    pub fn is_numeric_zone(self) -> bool {
        use Std::*;
        matches!(
            self,
            Iso8601TZ
                | Iso8601SecondsTZ
                | Iso8601ShortTZ
                | Iso8601ColonTZ
                | Iso8601ColonSecondsTZ
                | NumTZ
                | NumSecondsTZ
                | NumShortTZ
                | NumColonTZ
                | NumColonSecondsTZ
        )
    }
}

/// Month names, January first.
pub const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Day names, Sunday first.
pub const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn starts_with_lower(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
}

fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

/// Go's `nextStdChunk`: the literal prefix, the first standard element (if
/// any) and the rest of the layout.
pub fn next_chunk(layout: &str) -> (&str, Option<Std>, &str) {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| layout.get(i..i + s.len()) == Some(s);
    for i in 0..b.len() {
        let found = |n: usize, std: Std| Some((&layout[..i], Some(std), &layout[i + n..]));
        let r = match b[i] {
            b'J' if at(i, "Jan") => {
                if at(i, "January") {
                    found(7, Std::LongMonth)
                } else if !starts_with_lower(&layout[i + 3..]) {
                    found(3, Std::Month)
                } else {
                    None
                }
            }
            b'M' if at(i, "Mon") => {
                if at(i, "Monday") {
                    found(6, Std::LongWeekDay)
                } else if !starts_with_lower(&layout[i + 3..]) {
                    found(3, Std::WeekDay)
                } else {
                    None
                }
            }
            b'M' if at(i, "MST") => found(3, Std::TZ),
            b'0' if b.len() >= i + 2 && (b'1'..=b'6').contains(&b[i + 1]) => {
                let std = [
                    Std::ZeroMonth,
                    Std::ZeroDay,
                    Std::ZeroHour12,
                    Std::ZeroMinute,
                    Std::ZeroSecond,
                    Std::Year,
                ][usize::from(b[i + 1] - b'1')];
                found(2, std)
            }
            b'0' if at(i, "002") => found(3, Std::ZeroYearDay),
            b'1' => {
                if at(i, "15") {
                    found(2, Std::Hour)
                } else {
                    found(1, Std::NumMonth)
                }
            }
            b'2' => {
                if at(i, "2006") {
                    found(4, Std::LongYear)
                } else {
                    found(1, Std::Day)
                }
            }
            b'_' if at(i, "_2") => {
                if at(i + 1, "2006") {
                    // `_2006` is `_` followed by the year.
                    return (&layout[..i + 1], Some(Std::LongYear), &layout[i + 5..]);
                }
                found(2, Std::UnderDay)
            }
            b'_' if at(i, "__2") => found(3, Std::UnderYearDay),
            b'3' => found(1, Std::Hour12),
            b'4' => found(1, Std::Minute),
            b'5' => found(1, Std::Second),
            b'P' if at(i, "PM") => found(2, Std::PM),
            b'p' if at(i, "pm") => found(2, Std::Pm),
            b'-' => {
                if at(i, "-070000") {
                    found(7, Std::NumSecondsTZ)
                } else if at(i, "-07:00:00") {
                    found(9, Std::NumColonSecondsTZ)
                } else if at(i, "-0700") {
                    found(5, Std::NumTZ)
                } else if at(i, "-07:00") {
                    found(6, Std::NumColonTZ)
                } else if at(i, "-07") {
                    found(3, Std::NumShortTZ)
                } else {
                    None
                }
            }
            b'Z' => {
                if at(i, "Z070000") {
                    found(7, Std::Iso8601SecondsTZ)
                } else if at(i, "Z07:00:00") {
                    found(9, Std::Iso8601ColonSecondsTZ)
                } else if at(i, "Z0700") {
                    found(5, Std::Iso8601TZ)
                } else if at(i, "Z07:00") {
                    found(6, Std::Iso8601ColonTZ)
                } else if at(i, "Z07") {
                    found(3, Std::Iso8601ShortTZ)
                } else {
                    None
                }
            }
            c @ (b'.' | b',') if i + 1 < b.len() && matches!(b[i + 1], b'0' | b'9') => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if is_digit(b, j) {
                    None
                } else {
                    let n = (j - (i + 1)) & 0xfff;
                    let std = if ch == b'0' {
                        Std::FracSecond0(n, c)
                    } else {
                        Std::FracSecond9(n, c)
                    };
                    return (&layout[..i], Some(std), &layout[j..]);
                }
            }
            _ => None,
        };
        if let Some(r) = r {
            return r;
        }
    }
    (layout, None, "")
}

/// Go's `appendInt`: `x` in decimal, zero-padded to `width` digits.
pub fn append_int(out: &mut String, x: i64, width: usize) {
    if x < 0 {
        out.push('-');
    }
    let digits = x.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// The fractional-second element: `n` digits of `nsec` after `sep`,
/// trailing zeros trimmed if `trim` (and nothing at all if that leaves none).
fn format_nano(out: &mut String, nsec: u32, n: usize, sep: u8, trim: bool) {
    let digits = format!("{nsec:09}");
    let mut n = n.min(9);
    if trim {
        while n > 0 && digits.as_bytes()[n - 1] == b'0' {
            n -= 1;
        }
        if n == 0 {
            return;
        }
    }
    out.push(char::from(sep));
    out.push_str(&digits[..n]);
}

/// Writes the zone offset (seconds east of UTC) for a numeric zone element.
fn format_zone(out: &mut String, std: Std, offset: i32) {
    use Std::*;
    let iso = matches!(
        std,
        Iso8601TZ | Iso8601ColonTZ | Iso8601SecondsTZ | Iso8601ShortTZ | Iso8601ColonSecondsTZ
    );
    if offset == 0 && iso {
        out.push('Z');
        return;
    }
    let mut zone = offset / 60;
    let mut abs_offset = offset;
    if zone < 0 {
        out.push('-');
        zone = -zone;
        abs_offset = -abs_offset;
    } else {
        out.push('+');
    }
    append_int(out, i64::from(zone / 60), 2);
    if matches!(
        std,
        Iso8601ColonTZ | NumColonTZ | Iso8601ColonSecondsTZ | NumColonSecondsTZ
    ) {
        out.push(':');
    }
    if !matches!(std, NumShortTZ | Iso8601ShortTZ) {
        append_int(out, i64::from(zone % 60), 2);
    }
    if matches!(
        std,
        Iso8601SecondsTZ | NumSecondsTZ | NumColonSecondsTZ | Iso8601ColonSecondsTZ
    ) {
        if matches!(std, NumColonSecondsTZ | Iso8601ColonSecondsTZ) {
            out.push(':');
        }
        append_int(out, i64::from(abs_offset % 60), 2);
    }
}

/// Go's `Time.Format`.
pub fn format(t: &GoTime, layout: &str) -> String {
    let mut out = String::with_capacity(layout.len() + 10);
    let (name, offset) = t.zone();
    let local = t.secs.saturating_add(i64::from(offset));
    let days = local.div_euclid(86400);
    let sod = local.rem_euclid(86400);
    let mut date: Option<(i64, u32, u32, u32)> = None;
    let (hour, min, sec) = (sod / 3600, (sod % 3600) / 60, sod % 60);
    let mut layout = layout;
    while !layout.is_empty() {
        let (prefix, std, suffix) = next_chunk(layout);
        out.push_str(prefix);
        let Some(std) = std else { break };
        layout = suffix;
        if date.is_none() && std.needs_date() {
            let (y, m, d) = civil_from_days(days);
            let yday = days - super::days_from_civil(y, 1, 1) + 1;
            date = Some((y, m, d, yday as u32));
        }
        let (year, month, day, yday) = date.unwrap_or((0, 1, 1, 1));
        use Std::*;
        match std {
            Year => append_int(&mut out, year.abs() % 100, 2),
            LongYear => append_int(&mut out, year, 4),
            Month => out.push_str(&LONG_MONTHS[month as usize - 1][..3]),
            LongMonth => out.push_str(LONG_MONTHS[month as usize - 1]),
            NumMonth => append_int(&mut out, i64::from(month), 0),
            ZeroMonth => append_int(&mut out, i64::from(month), 2),
            WeekDay => out.push_str(&LONG_DAYS[weekday_from_days(days)][..3]),
            LongWeekDay => out.push_str(LONG_DAYS[weekday_from_days(days)]),
            Day => append_int(&mut out, i64::from(day), 0),
            UnderDay => {
                if day < 10 {
                    out.push(' ');
                }
                append_int(&mut out, i64::from(day), 0);
            }
            ZeroDay => append_int(&mut out, i64::from(day), 2),
            UnderYearDay => {
                if yday < 100 {
                    out.push(' ');
                    if yday < 10 {
                        out.push(' ');
                    }
                }
                append_int(&mut out, i64::from(yday), 0);
            }
            ZeroYearDay => append_int(&mut out, i64::from(yday), 3),
            Hour => append_int(&mut out, hour, 2),
            Hour12 | ZeroHour12 => {
                let hr = if hour % 12 == 0 { 12 } else { hour % 12 };
                append_int(&mut out, hr, if std == Hour12 { 0 } else { 2 });
            }
            Minute => append_int(&mut out, min, 0),
            ZeroMinute => append_int(&mut out, min, 2),
            Second => append_int(&mut out, sec, 0),
            ZeroSecond => append_int(&mut out, sec, 2),
            PM => out.push_str(if hour >= 12 { "PM" } else { "AM" }),
            Pm => out.push_str(if hour >= 12 { "pm" } else { "am" }),
            TZ => {
                if !name.is_empty() {
                    out.push_str(&name);
                } else {
                    let mut zone = offset / 60;
                    if zone < 0 {
                        out.push('-');
                        zone = -zone;
                    } else {
                        out.push('+');
                    }
                    append_int(&mut out, i64::from(zone / 60), 2);
                    append_int(&mut out, i64::from(zone % 60), 2);
                }
            }
            FracSecond0(n, sep) => format_nano(&mut out, t.nsec, n, sep, false),
            FracSecond9(n, sep) => format_nano(&mut out, t.nsec, n, sep, true),
            _ => format_zone(&mut out, std, offset),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks() {
        assert_eq!(next_chunk("2006-01"), ("", Some(Std::LongYear), "-01"));
        assert_eq!(next_chunk("x_2006"), ("x_", Some(Std::LongYear), ""));
        assert_eq!(next_chunk("Janx"), ("Janx", None, ""));
        assert_eq!(next_chunk("Jan x"), ("", Some(Std::Month), " x"));
        assert_eq!(next_chunk("05.000Z"), ("", Some(Std::ZeroSecond), ".000Z"));
        assert_eq!(
            next_chunk(",999 x"),
            ("", Some(Std::FracSecond9(3, b',')), " x")
        );
        assert_eq!(next_chunk(".0001"), (".00", Some(Std::ZeroMonth), ""));
        assert_eq!(next_chunk("hello"), ("hello", None, ""));
    }

    #[test]
    fn ints() {
        let mut s = String::new();
        append_int(&mut s, 7, 3);
        append_int(&mut s, -42, 4);
        append_int(&mut s, 12345, 2);
        assert_eq!(s, "007-004212345");
    }
}
