//! Go's `time.Parse` / `time.ParseInLocation`: reading a time with a Go
//! layout, with Go's rules (optional fractional seconds, zone offsets and
//! abbreviations, day-of-year) and error messages
//! (`parsing time "x" as "2006": cannot parse "x" as "2006"`).

use std::sync::Arc;

use super::layout::{LONG_DAYS, LONG_MONTHS, Std, next_chunk};
use super::{GoTime, Loc, days_in, is_leap};

/// Go's `time.quote`: double quotes, with non-ASCII and control bytes as `\x`.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if (c as u32) >= 0x80 || c < ' ' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

struct ParseError<'a> {
    layout: &'a str,
    value: &'a str,
    layout_elem: &'a str,
    value_elem: &'a str,
    message: String,
}

impl ParseError<'_> {
    fn text(&self) -> String {
        if self.message.is_empty() {
            format!(
                "parsing time {} as {}: cannot parse {} as {}",
                quote(self.value),
                quote(self.layout),
                quote(self.value_elem),
                quote(self.layout_elem)
            )
        } else {
            format!("parsing time {}{}", quote(self.value), self.message)
        }
    }
}

fn is_digit(s: &str, i: usize) -> bool {
    s.as_bytes().get(i).is_some_and(u8::is_ascii_digit)
}

/// Go's `getnum`: one or two digits (exactly two if `fixed`).
fn getnum(s: &str, fixed: bool) -> Option<(i64, &str)> {
    if !is_digit(s, 0) {
        return None;
    }
    let b = s.as_bytes();
    if !is_digit(s, 1) {
        if fixed {
            return None;
        }
        return Some((i64::from(b[0] - b'0'), &s[1..]));
    }
    Some((
        i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0'),
        &s[2..],
    ))
}

/// Go's `getnum3`: one to three digits (exactly three if `fixed`).
fn getnum3(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let mut n = 0;
    let mut i = 0;
    while i < 3 && is_digit(s, i) {
        n = n * 10 + i64::from(s.as_bytes()[i] - b'0');
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &s[i..]))
}

/// Go's `leadingInt`.
fn leading_int(s: &str) -> Option<(u64, &str)> {
    let mut x: u64 = 0;
    let mut i = 0;
    for &c in s.as_bytes() {
        if !c.is_ascii_digit() {
            break;
        }
        if x > (1 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > 1 << 63 {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Go's `atoi` on a whole string with an optional sign.
fn atoi(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (q, rem) = leading_int(digits)?;
    if !rem.is_empty() {
        return None;
    }
    let x = q as i64;
    Some(if neg { x.wrapping_neg() } else { x })
}

/// Go's `skip`: matches the literal `prefix`, where a space matches any run
/// of spaces.
fn skip<'v>(mut value: &'v str, mut prefix: &str) -> Result<&'v str, &'v str> {
    while !prefix.is_empty() {
        if prefix.starts_with(' ') {
            if !value.is_empty() && !value.starts_with(' ') {
                return Err(value);
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        if value.is_empty() || value.as_bytes()[0] != prefix.as_bytes()[0] {
            return Err(value);
        }
        // Byte-wise like Go; keep slicing on char boundaries by comparing
        // whole characters.
        let c = prefix.chars().next().unwrap_or_default();
        if !value.starts_with(c) {
            return Err(value);
        }
        prefix = &prefix[c.len_utf8()..];
        value = &value[c.len_utf8()..];
    }
    Ok(value)
}

/// Go's `lookup`: a case-insensitive prefix match against names.
fn lookup<'v>(names: &[&str], value: &'v str) -> Option<(usize, &'v str)> {
    for (i, name) in names.iter().enumerate() {
        let n = name.len();
        if value.len() >= n && value.is_char_boundary(n) && value[..n].eq_ignore_ascii_case(name) {
            return Some((i, &value[n..]));
        }
    }
    None
}

fn comma_or_period(b: u8) -> bool {
    b == b'.' || b == b','
}

/// Go's `parseNanoseconds`: (nanoseconds, range error).
fn parse_nanoseconds(value: &str, nbytes: usize) -> Result<(i64, &'static str), ()> {
    if !comma_or_period(value.as_bytes()[0]) {
        return Err(());
    }
    let nbytes = nbytes.min(10);
    let mut ns = atoi(value.get(1..nbytes).ok_or(())?).ok_or(())?;
    if ns < 0 {
        return Ok((0, "fractional second"));
    }
    for _ in 0..10 - nbytes {
        ns *= 10;
    }
    Ok((ns, ""))
}

/// Go's `parseSignedOffset`: the length of a `+hh`-style offset, or 0.
fn parse_signed_offset(value: &str) -> usize {
    let Some(&sign) = value.as_bytes().first() else {
        return 0;
    };
    if sign != b'-' && sign != b'+' {
        return 0;
    }
    match leading_int(&value[1..]) {
        Some((x, rem)) if rem.len() != value.len() - 1 && x <= 23 => value.len() - rem.len(),
        _ => 0,
    }
}

/// Go's `parseTimeZone`: the length of a zone abbreviation at the start of
/// `value`.
fn parse_time_zone(value: &str) -> Option<usize> {
    let b = value.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if b.len() >= 4 && (&b[..4] == b"ChST" || &b[..4] == b"MeST") {
        return Some(4);
    }
    if &b[..3] == b"GMT" {
        let rest = &value[3..];
        return Some(if rest.is_empty() {
            3
        } else {
            3 + parse_signed_offset(rest)
        });
    }
    if b[0] == b'+' || b[0] == b'-' {
        let n = parse_signed_offset(value);
        return (n > 0).then_some(n);
    }
    let upper = b
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        5 if b[4] == b'T' => Some(5),
        4 if b[3] == b'T' || &b[..4] == b"WITA" => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// Go's `time.parse(layout, value, defaultLocation, local)`.
pub fn parse(layout: &str, value: &str, default_loc: &Loc, local: &Loc) -> Result<GoTime, String> {
    let (alayout, avalue) = (layout, value);
    let mut layout = layout;
    let mut value = value;
    let mut range_err = "";
    let (mut am_set, mut pm_set) = (false, false);
    let mut year: i64 = 0;
    let (mut month, mut day, mut yday): (i64, i64, i64) = (-1, -1, -1);
    let (mut hour, mut min, mut sec, mut nsec): (i64, i64, i64, i64) = (0, 0, 0, 0);
    let mut z: Option<Loc> = None;
    let mut zone_offset: i64 = -1;
    let mut zone_name = String::new();
    let err = |layout_elem: &str, value_elem: &str, message: String| {
        ParseError {
            layout: alayout,
            value: avalue,
            layout_elem,
            value_elem,
            message,
        }
        .text()
    };
    loop {
        let (prefix, std, suffix) = next_chunk(layout);
        let stdstr = &layout[prefix.len()..layout.len() - suffix.len()];
        value = match skip(value, prefix) {
            Ok(v) => v,
            Err(v) => return Err(err(prefix, v, String::new())),
        };
        let Some(std) = std else {
            if !value.is_empty() {
                return Err(err("", value, format!(": extra text: {}", quote(value))));
            }
            break;
        };
        layout = suffix;
        let mut bad = false;
        use Std::*;
        match std {
            Year => {
                if value.len() < 2 || !value.is_char_boundary(2) {
                    bad = true;
                } else {
                    match atoi(&value[..2]) {
                        Some(y) => {
                            year = if y >= 69 { y + 1900 } else { y + 2000 };
                            value = &value[2..];
                        }
                        None => bad = true,
                    }
                }
            }
            LongYear => {
                if value.len() < 4 || !is_digit(value, 0) || !value.is_char_boundary(4) {
                    bad = true;
                } else {
                    match atoi(&value[..4]) {
                        Some(y) => year = y,
                        None => bad = true,
                    }
                    value = &value[4..];
                }
            }
            Month | LongMonth => {
                let names: Vec<&str> = if std == Month {
                    LONG_MONTHS.iter().map(|m| &m[..3]).collect()
                } else {
                    LONG_MONTHS.to_vec()
                };
                match lookup(&names, value) {
                    Some((i, rest)) => {
                        month = i as i64 + 1;
                        value = rest;
                    }
                    None => bad = true,
                }
            }
            NumMonth | ZeroMonth => match getnum(value, std == ZeroMonth) {
                Some((m, rest)) => {
                    month = m;
                    value = rest;
                    if m <= 0 || 12 < m {
                        range_err = "month";
                    }
                }
                None => bad = true,
            },
            WeekDay | LongWeekDay => {
                let names: Vec<&str> = if std == WeekDay {
                    LONG_DAYS.iter().map(|d| &d[..3]).collect()
                } else {
                    LONG_DAYS.to_vec()
                };
                match lookup(&names, value) {
                    Some((_, rest)) => value = rest,
                    None => bad = true,
                }
            }
            Day | UnderDay | ZeroDay => {
                if std == UnderDay && value.starts_with(' ') {
                    value = &value[1..];
                }
                match getnum(value, std == ZeroDay) {
                    Some((d, rest)) => {
                        day = d;
                        value = rest;
                    }
                    None => bad = true,
                }
            }
            UnderYearDay | ZeroYearDay => {
                for _ in 0..2 {
                    if std == UnderYearDay && value.starts_with(' ') {
                        value = &value[1..];
                    }
                }
                match getnum3(value, std == ZeroYearDay) {
                    Some((d, rest)) => {
                        yday = d;
                        value = rest;
                    }
                    None => bad = true,
                }
            }
            Hour => match getnum(value, false) {
                Some((h, rest)) => {
                    hour = h;
                    value = rest;
                    if !(0..24).contains(&h) {
                        range_err = "hour";
                    }
                }
                None => bad = true,
            },
            Hour12 | ZeroHour12 => match getnum(value, std == ZeroHour12) {
                Some((h, rest)) => {
                    hour = h;
                    value = rest;
                    if !(0..=12).contains(&h) {
                        range_err = "hour";
                    }
                }
                None => bad = true,
            },
            Minute | ZeroMinute => match getnum(value, std == ZeroMinute) {
                Some((m, rest)) => {
                    min = m;
                    value = rest;
                    if !(0..60).contains(&m) {
                        range_err = "minute";
                    }
                }
                None => bad = true,
            },
            Second | ZeroSecond => match getnum(value, std == ZeroSecond) {
                Some((s, rest)) => {
                    sec = s;
                    value = rest;
                    if !(0..60).contains(&s) {
                        range_err = "second";
                    } else if value.len() >= 2
                        && comma_or_period(value.as_bytes()[0])
                        && is_digit(value, 1)
                    {
                        let (_, next, _) = next_chunk(layout);
                        if !matches!(next, Some(FracSecond0(..) | FracSecond9(..))) {
                            let mut n = 2;
                            while n < value.len() && is_digit(value, n) {
                                n += 1;
                            }
                            match parse_nanoseconds(value, n) {
                                Ok((ns, r)) => {
                                    nsec = ns;
                                    range_err = r;
                                }
                                Err(()) => bad = true,
                            }
                            value = &value[n..];
                        }
                    }
                }
                None => bad = true,
            },
            PM | Pm => {
                if value.len() < 2 || !value.is_char_boundary(2) {
                    bad = true;
                } else {
                    let p = &value[..2];
                    value = &value[2..];
                    let (pm, am) = if std == PM {
                        ("PM", "AM")
                    } else {
                        ("pm", "am")
                    };
                    if p == pm {
                        pm_set = true;
                    } else if p == am {
                        am_set = true;
                    } else {
                        bad = true;
                    }
                }
            }
            Iso8601TZ
            | Iso8601ColonTZ
            | Iso8601SecondsTZ
            | Iso8601ShortTZ
            | Iso8601ColonSecondsTZ
            | NumTZ
            | NumShortTZ
            | NumColonTZ
            | NumSecondsTZ
            | NumColonSecondsTZ => {
                if matches!(std, Iso8601TZ | Iso8601ShortTZ | Iso8601ColonTZ)
                    && value.starts_with('Z')
                {
                    value = &value[1..];
                    z = Some(Loc::Utc);
                } else {
                    let b = value.as_bytes();
                    let need = match std {
                        Iso8601ColonTZ | NumColonTZ => 6,
                        NumShortTZ | Iso8601ShortTZ => 3,
                        Iso8601ColonSecondsTZ | NumColonSecondsTZ => 9,
                        Iso8601SecondsTZ | NumSecondsTZ => 7,
                        _ => 5,
                    };
                    let ok_shape = b.len() >= need
                        && value.is_char_boundary(need)
                        && match std {
                            Iso8601ColonTZ | NumColonTZ => b[3] == b':',
                            Iso8601ColonSecondsTZ | NumColonSecondsTZ => {
                                b[3] == b':' && b[6] == b':'
                            }
                            _ => true,
                        };
                    if !ok_shape || !value.is_char_boundary(1) || !value.is_char_boundary(3) {
                        bad = true;
                    } else {
                        let (hh, mm, ss) = match std {
                            Iso8601ColonTZ | NumColonTZ => (&value[1..3], &value[4..6], "00"),
                            NumShortTZ | Iso8601ShortTZ => (&value[1..3], "00", "00"),
                            Iso8601ColonSecondsTZ | NumColonSecondsTZ => {
                                (&value[1..3], &value[4..6], &value[7..9])
                            }
                            Iso8601SecondsTZ | NumSecondsTZ => {
                                (&value[1..3], &value[3..5], &value[5..7])
                            }
                            _ => (&value[1..3], &value[3..5], "00"),
                        };
                        let sign = b[0];
                        value = &value[need..];
                        match (atoi(hh), atoi(mm), atoi(ss)) {
                            (Some(h), Some(m), Some(s)) => {
                                zone_offset = (h * 60 + m) * 60 + s;
                                match sign {
                                    b'+' => {}
                                    b'-' => zone_offset = -zone_offset,
                                    _ => bad = true,
                                }
                            }
                            _ => bad = true,
                        }
                    }
                }
            }
            TZ => {
                if value.starts_with("UTC") {
                    z = Some(Loc::Utc);
                    value = &value[3..];
                } else {
                    match parse_time_zone(value) {
                        Some(n) => {
                            zone_name = value[..n].to_string();
                            value = &value[n..];
                        }
                        None => bad = true,
                    }
                }
            }
            FracSecond0(n, _) => {
                let ndigit = 1 + n;
                if value.len() < ndigit || !value.is_char_boundary(ndigit) {
                    bad = true;
                } else {
                    match parse_nanoseconds(value, ndigit) {
                        Ok((ns, r)) => {
                            nsec = ns;
                            range_err = r;
                        }
                        Err(()) => bad = true,
                    }
                    value = &value[ndigit..];
                }
            }
            FracSecond9(..) => {
                let b = value.as_bytes();
                if b.len() >= 2 && comma_or_period(b[0]) && b[1].is_ascii_digit() {
                    let mut i = 0;
                    while i < 9 && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
                        i += 1;
                    }
                    match parse_nanoseconds(value, 1 + i) {
                        Ok((ns, r)) => {
                            nsec = ns;
                            range_err = r;
                        }
                        Err(()) => bad = true,
                    }
                    value = &value[1 + i..];
                }
            }
        }
        if !range_err.is_empty() {
            return Err(err(stdstr, value, format!(": {range_err} out of range")));
        }
        if bad {
            return Err(err(stdstr, value, String::new()));
        }
    }
    if pm_set && hour < 12 {
        hour += 12;
    } else if am_set && hour == 12 {
        hour = 0;
    }
    if yday >= 0 {
        let mut d = 0;
        let mut m = 0;
        if is_leap(year) {
            if yday == 31 + 29 {
                m = 2;
                d = 29;
            } else if yday > 31 + 29 {
                yday -= 1;
            }
        }
        if !(1..=365).contains(&yday) {
            return Err(err("", value, ": day-of-year out of range".into()));
        }
        if m == 0 {
            const BEFORE: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
            m = (yday - 1) / 31 + 1;
            if BEFORE[m as usize] < yday {
                m += 1;
            }
            d = yday - BEFORE[m as usize - 1];
        }
        if month >= 0 && month != m {
            return Err(err("", value, ": day-of-year does not match month".into()));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(err("", value, ": day-of-year does not match day".into()));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    if day < 1 || day > i64::from(days_in(month as u32, year)) {
        return Err(err("", value, ": day out of range".into()));
    }
    if let Some(z) = z {
        return Ok(GoTime::date_in(year, month, day, hour, min, sec, nsec, z));
    }
    if zone_offset != -1 {
        let t = GoTime::date_in(year, month, day, hour, min, sec, nsec, Loc::Utc);
        let secs = t.secs.saturating_sub(zone_offset);
        let (name, offset) = local.lookup(secs);
        let loc = if i64::from(offset) == zone_offset && (zone_name.is_empty() || name == zone_name)
        {
            local.clone()
        } else {
            Loc::Fixed {
                name: Arc::from(zone_name.as_str()),
                offset: zone_offset as i32,
            }
        };
        return Ok(GoTime {
            secs,
            nsec: t.nsec,
            loc,
        });
    }
    if !zone_name.is_empty() {
        let t = GoTime::date_in(year, month, day, hour, min, sec, nsec, Loc::Utc);
        let (name, offset) = local.lookup(t.secs);
        if name == zone_name {
            return Ok(GoTime {
                secs: t.secs.saturating_sub(i64::from(offset)),
                nsec: t.nsec,
                loc: local.clone(),
            });
        }
        let mut offset = 0;
        if zone_name.len() > 3 && zone_name.starts_with("GMT") {
            offset = atoi(&zone_name[3..]).unwrap_or(0) * 3600;
        }
        return Ok(GoTime {
            secs: t.secs,
            nsec: t.nsec,
            loc: Loc::Fixed {
                name: Arc::from(zone_name.as_str()),
                offset: offset as i32,
            },
        });
    }
    Ok(GoTime::date_in(
        year,
        month,
        day,
        hour,
        min,
        sec,
        nsec,
        default_loc.clone(),
    ))
}

/// Go's `time.Parse`: UTC unless the value names a zone.
pub fn parse_utc(layout: &str, value: &str) -> Result<GoTime, String> {
    parse(layout, value, &Loc::Utc, &Loc::Local)
}

/// Go's `time.ParseInLocation(layout, value, time.UTC)`.
pub fn parse_in_utc(layout: &str, value: &str) -> Result<GoTime, String> {
    parse(layout, value, &Loc::Utc, &Loc::Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_layouts() {
        let t = parse_in_utc("2006-01-02", "2024-03-15").unwrap();
        assert_eq!(t.to_string(), "2024-03-15 00:00:00 +0000 UTC");
        let t = parse_in_utc(
            "2006-01-02T15:04:05.999999999Z07:00",
            "2024-03-15T10:20:30.5+02:00",
        )
        .unwrap();
        assert_eq!(t.to_string(), "2024-03-15 10:20:30.5 +0200 +0200");
        let t = parse_in_utc("Jan _2 3:04PM MST 2006", "mar  5 1:02pm CET 2024");
        assert_eq!(
            t.unwrap_err(),
            r#"parsing time "mar  5 1:02pm CET 2024" as "Jan _2 3:04PM MST 2006": cannot parse " CET 2024" as "PM""#
        );
        let t = parse_in_utc("Jan _2 3:04PM MST 2006", "mar  5 1:02PM CET 2024").unwrap();
        assert_eq!(t.to_string(), "2024-03-05 13:02:00 +0000 CET");
        let t = parse_in_utc("2006-01-02 15:04:05", "2024-03-15 10:20:30.25").unwrap();
        assert_eq!(t.nsec, 250_000_000);
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse_in_utc("2006-01-02", "not-a-date").unwrap_err(),
            r#"parsing time "not-a-date" as "2006-01-02": cannot parse "not-a-date" as "2006""#
        );
        assert_eq!(
            parse_in_utc("2006-01-02", "2024-13-01").unwrap_err(),
            r#"parsing time "2024-13-01": month out of range"#
        );
        assert_eq!(
            parse_in_utc("2006-01-02", "2024-02-30").unwrap_err(),
            r#"parsing time "2024-02-30": day out of range"#
        );
        assert_eq!(
            parse_in_utc("2006", "2024x").unwrap_err(),
            r#"parsing time "2024x": extra text: "x""#
        );
    }
}
