//! Go's `time` package as Alertmanager templates see it: [`GoTime`] (a
//! `time.Time`: an instant with nanoseconds and a location), durations, time
//! zones, Go layout formatting and parsing, and the template values wrapping
//! them (`time.Time`, `time.Duration`, `time.Month`, `time.Weekday`,
//! `*time.Location`) with the methods templates call (`.StartsAt.Format`,
//! `.Unix`, `.UTC`, `.Add`, `.Sub`, ...).

pub mod layout;
pub mod objects;
pub mod parse;

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetName, Tz};

pub use objects::{DurationValue, LocationValue, TimeValue};

/// Seconds from 1970-01-01 to Go's zero time, 0001-01-01 00:00:00 UTC.
pub const ZERO_UNIX: i64 = -62_135_596_800;

/// Nanoseconds per second.
const NANOS: i64 = 1_000_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (any year).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The weekday (0 = Sunday) of a day number.
pub fn weekday_from_days(days: i64) -> usize {
    (days + 4).rem_euclid(7) as usize
}

/// Whether `year` is a leap year.
pub fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in `month` (1-12) of `year`.
pub fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A Go `*time.Location`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Loc {
    /// `time.UTC` (also the location of the zero `time.Time`).
    Utc,
    /// `time.Local`: the process's zone (`TZ`, else `/etc/localtime`).
    Local,
    /// `time.FixedZone(name, offset)`; the name may be empty.
    Fixed {
        /// Zone abbreviation.
        name: Arc<str>,
        /// Seconds east of UTC.
        offset: i32,
    },
    /// A zone loaded by name (`time.LoadLocation`).
    Zone {
        /// The name it was loaded with.
        name: Arc<str>,
        /// The zone rules.
        tz: Tz,
    },
}

/// The process's local zone rules (`None` means UTC), resolved like Go:
/// `TZ` if set (empty means UTC), else the `/etc/localtime` link.
fn local_tz() -> Option<Tz> {
    static LOCAL: OnceLock<Option<Tz>> = OnceLock::new();
    *LOCAL.get_or_init(|| {
        let from_path = |p: &str| -> Option<Tz> {
            let name = p.rsplit_once("zoneinfo/").map_or(p, |(_, n)| n);
            name.parse().ok()
        };
        match std::env::var("TZ") {
            Ok(tz) => {
                let tz = tz.strip_prefix(':').unwrap_or(&tz);
                if tz.is_empty() || tz == "UTC" {
                    None
                } else {
                    from_path(tz)
                }
            }
            Err(_) => std::fs::read_link("/etc/localtime")
                .ok()
                .and_then(|p| from_path(&p.to_string_lossy())),
        }
    })
}

/// A zone abbreviation in tzdata's numeric style (`+03`, `-0330`), for zones
/// whose rules name none.
fn numeric_abbreviation(offset: i32) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    let (h, m, s) = (a / 3600, (a % 3600) / 60, a % 60);
    match (m, s) {
        (0, 0) => format!("{sign}{h:02}"),
        (_, 0) => format!("{sign}{h:02}{m:02}"),
        _ => format!("{sign}{h:02}{m:02}{s:02}"),
    }
}

fn tz_lookup(tz: Tz, secs: i64) -> (Cow<'static, str>, i32) {
    let clamped = secs.clamp(-8_000_000_000_000, 8_000_000_000_000);
    let Some(utc) = DateTime::<Utc>::from_timestamp(clamped, 0) else {
        return (Cow::Borrowed("UTC"), 0);
    };
    let off = tz.offset_from_utc_datetime(&utc.naive_utc());
    let offset = off.fix().local_minus_utc();
    let name = match off.abbreviation() {
        Some(a) => Cow::Owned(a.to_string()),
        None => Cow::Owned(numeric_abbreviation(offset)),
    };
    (name, offset)
}

impl Loc {
    /// Go's `time.LoadLocation`, with its error messages.
    pub fn load(name: &str) -> Result<Loc, String> {
        use crate::timeinterval::location::{Zone, load_zone};
        Ok(match load_zone(name)? {
            Zone::Utc => Loc::Utc,
            Zone::Local => Loc::Local,
            Zone::Named(tz) => Loc::Zone {
                name: Arc::from(name),
                tz,
            },
        })
    }

    /// The location's name (`Location.String()`).
    pub fn name(&self) -> &str {
        match self {
            Loc::Utc => "UTC",
            Loc::Local => "Local",
            Loc::Fixed { name, .. } | Loc::Zone { name, .. } => name,
        }
    }

    /// The zone abbreviation and offset (seconds east of UTC) in effect at
    /// the Unix time `secs`.
    pub fn lookup(&self, secs: i64) -> (Cow<'static, str>, i32) {
        match self {
            Loc::Utc => (Cow::Borrowed("UTC"), 0),
            Loc::Fixed { name, offset } => (Cow::Owned(name.to_string()), *offset),
            Loc::Zone { tz, .. } => tz_lookup(*tz, secs),
            Loc::Local => match local_tz() {
                Some(tz) => tz_lookup(tz, secs),
                None => (Cow::Borrowed("UTC"), 0),
            },
        }
    }
}

/// A Go `time.Time` without a monotonic clock reading: Unix seconds,
/// nanoseconds within the second and a location.
#[derive(Clone, Debug)]
pub struct GoTime {
    /// Seconds since 1970-01-01 UTC.
    pub secs: i64,
    /// Nanoseconds within the second, `0..1e9`.
    pub nsec: u32,
    /// The location used for display.
    pub loc: Loc,
}

impl PartialEq for GoTime {
    /// Go's `==` on `time.Time`: same instant and same location.
    fn eq(&self, other: &GoTime) -> bool {
        self.secs == other.secs && self.nsec == other.nsec && self.loc == other.loc
    }
}

/// The default `time.Time` print layout.
pub const DEFAULT_LAYOUT: &str = "2006-01-02 15:04:05.999999999 -0700 MST";

/// RFC 3339 with nanoseconds, as `time.Time` marshals to JSON.
pub const RFC3339_NANO: &str = "2006-01-02T15:04:05.999999999Z07:00";

impl GoTime {
    /// Go's zero time, `0001-01-01 00:00:00 +0000 UTC`.
    pub fn zero() -> GoTime {
        GoTime {
            secs: ZERO_UNIX,
            nsec: 0,
            loc: Loc::Utc,
        }
    }

    /// A UTC time from a chrono timestamp.
    pub fn from_utc(t: &DateTime<Utc>) -> GoTime {
        GoTime {
            secs: t.timestamp(),
            nsec: t.timestamp_subsec_nanos().min(999_999_999),
            loc: Loc::Utc,
        }
    }

    /// The current time in `time.Local`.
    pub fn now() -> GoTime {
        GoTime {
            loc: Loc::Local,
            ..GoTime::from_utc(&Utc::now())
        }
    }

    /// The instant as a chrono timestamp (`None` if chrono cannot hold it).
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        DateTime::<Utc>::from_timestamp(self.secs, self.nsec)
    }

    /// Whether this is the zero time (`IsZero`).
    pub fn is_zero(&self) -> bool {
        self.secs == ZERO_UNIX && self.nsec == 0
    }

    /// The same instant in another location (`In`).
    pub fn in_loc(&self, loc: Loc) -> GoTime {
        GoTime {
            loc,
            ..self.clone()
        }
    }

    /// The zone abbreviation and offset in effect.
    pub fn zone(&self) -> (Cow<'static, str>, i32) {
        self.loc.lookup(self.secs)
    }

    /// Nanoseconds since Go's zero time.
    fn abs_nanos(&self) -> i128 {
        (i128::from(self.secs) - i128::from(ZERO_UNIX)) * i128::from(NANOS) + i128::from(self.nsec)
    }

    fn from_abs_nanos(n: i128, loc: Loc) -> GoTime {
        let secs = n.div_euclid(i128::from(NANOS));
        let nsec = n.rem_euclid(i128::from(NANOS)) as u32;
        let secs = i64::try_from(secs).unwrap_or(if secs < 0 { i64::MIN } else { i64::MAX });
        GoTime {
            secs: secs.saturating_add(ZERO_UNIX),
            nsec,
            loc,
        }
    }

    /// `t.Add(d)`.
    pub fn add(&self, d: i64) -> GoTime {
        GoTime::from_abs_nanos(self.abs_nanos() + i128::from(d), self.loc.clone())
    }

    /// `t.Sub(u)`: the duration `t - u`, saturated to the duration range.
    pub fn sub(&self, u: &GoTime) -> i64 {
        let d = self.abs_nanos() - u.abs_nanos();
        i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
    }

    /// `t.Format(layout)`.
    pub fn format(&self, layout_text: &str) -> String {
        layout::format(self, layout_text)
    }

    /// The wall clock in the time's location: (days since 1970-01-01,
    /// seconds of the day).
    fn wall(&self) -> (i64, i64) {
        let (_, offset) = self.zone();
        let local = self.secs.saturating_add(i64::from(offset));
        (local.div_euclid(86400), local.rem_euclid(86400))
    }

    /// (year, month 1-12, day 1-31) in the time's location.
    pub fn date(&self) -> (i64, u32, u32) {
        civil_from_days(self.wall().0)
    }

    /// (hour, minute, second) in the time's location.
    pub fn clock(&self) -> (i64, i64, i64) {
        let s = self.wall().1;
        (s / 3600, (s % 3600) / 60, s % 60)
    }

    /// Day of the year, 1-366.
    pub fn year_day(&self) -> i64 {
        let days = self.wall().0;
        let (y, _, _) = civil_from_days(days);
        days - days_from_civil(y, 1, 1) + 1
    }

    /// Day of the week, 0 = Sunday.
    pub fn weekday(&self) -> usize {
        weekday_from_days(self.wall().0)
    }

    /// Go's `time.Date`: normalizes out-of-range fields, then finds the
    /// instant whose wall clock in `loc` is the given one.
    #[allow(clippy::too_many_arguments)]
    pub fn date_in(
        year: i64,
        month: i64,
        day: i64,
        hour: i64,
        min: i64,
        sec: i64,
        nsec: i64,
        loc: Loc,
    ) -> GoTime {
        // Far beyond any real date the arithmetic below would overflow;
        // Go's result there is meaningless too.
        const LIMIT: i64 = 1_000_000_000_000;
        let m0 = month.clamp(-LIMIT, LIMIT) - 1;
        let year = year.clamp(-LIMIT, LIMIT) + m0.div_euclid(12);
        let day = day.clamp(-LIMIT, LIMIT);
        let month = (m0.rem_euclid(12) + 1) as u32;
        let sec = sec.saturating_add(nsec.div_euclid(NANOS));
        let nsec = nsec.rem_euclid(NANOS) as u32;
        let days = days_from_civil(year, month, 1) + day - 1;
        let wall = days
            .saturating_mul(86400)
            .saturating_add(hour.saturating_mul(3600))
            .saturating_add(min.saturating_mul(60))
            .saturating_add(sec);
        let (_, offset) = loc.lookup(wall);
        let mut unix = wall;
        if offset != 0 {
            let utc = wall.saturating_sub(i64::from(offset));
            let (_, offset2) = loc.lookup(utc);
            unix = wall.saturating_sub(i64::from(offset2));
        }
        GoTime {
            secs: unix,
            nsec,
            loc,
        }
    }

    /// `t.AddDate(years, months, days)`.
    pub fn add_date(&self, years: i64, months: i64, days: i64) -> GoTime {
        let (y, m, d) = self.date();
        let (h, mi, s) = self.clock();
        GoTime::date_in(
            y.saturating_add(years),
            i64::from(m).saturating_add(months),
            i64::from(d).saturating_add(days),
            h,
            mi,
            s,
            i64::from(self.nsec),
            self.loc.clone(),
        )
    }

    /// Go's `div` remainder: the time since the zero time modulo `d`.
    fn rem(&self, d: i64) -> i64 {
        self.abs_nanos().rem_euclid(i128::from(d)) as i64
    }

    /// `t.Truncate(d)`.
    pub fn truncate(&self, d: i64) -> GoTime {
        if d <= 0 {
            return self.clone();
        }
        self.add(-self.rem(d))
    }

    /// `t.Round(d)`.
    pub fn round(&self, d: i64) -> GoTime {
        if d <= 0 {
            return self.clone();
        }
        let r = self.rem(d);
        if (r as u64).wrapping_add(r as u64) < d as u64 {
            self.add(-r)
        } else {
            self.add(d - r)
        }
    }
}

impl std::fmt::Display for GoTime {
    /// The default `time.Time` printing, `2006-01-02 15:04:05.999999999 -0700 MST`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.format(DEFAULT_LAYOUT))
    }
}

/// Go's `fmtFrac`: the fraction of `v` at precision `prec` without trailing
/// zeros (and without the point if nothing remains); returns the rest of `v`.
fn frac_digits(v: u64, prec: u32) -> (String, u64) {
    let mut v = v;
    let mut digits = Vec::new();
    let mut print = false;
    for _ in 0..prec {
        let digit = v % 10;
        print = print || digit != 0;
        if print {
            digits.push(char::from(b'0' + digit as u8));
        }
        v /= 10;
    }
    let mut s = String::new();
    if print {
        s.push('.');
        s.extend(digits.iter().rev());
    }
    (s, v)
}

/// Go's `Duration.String`: `1h2m3.5s`, `1.5ms`, `0s`.
pub fn duration_string(d: i64) -> String {
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    let mut out = String::new();
    if u < NANOS as u64 {
        if u == 0 {
            return "0s".to_string();
        }
        let (unit, prec) = if u < 1_000 {
            ("ns", 0)
        } else if u < 1_000_000 {
            ("µs", 3)
        } else {
            ("ms", 6)
        };
        let (frac, rest) = frac_digits(u, prec);
        out.push_str(&rest.to_string());
        out.push_str(&frac);
        out.push_str(unit);
    } else {
        let (frac, rest) = frac_digits(u, 9);
        u = rest;
        let secs = format!("{}{frac}s", u % 60);
        u /= 60;
        if u > 0 {
            let mins = u % 60;
            u /= 60;
            if u > 0 {
                out.push_str(&format!("{u}h"));
            }
            out.push_str(&format!("{mins}m"));
        }
        out.push_str(&secs);
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// Go's `Duration.Round(m)`.
pub fn duration_round(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let mut r = d % m;
    if d < 0 {
        r = -r;
        if (r as u64).wrapping_add(r as u64) < m as u64 {
            return d + r;
        }
        let d1 = d.wrapping_sub(m).wrapping_add(r);
        if d1 < d { d1 } else { i64::MIN }
    } else {
        if (r as u64).wrapping_add(r as u64) < m as u64 {
            return d - r;
        }
        let d1 = d.wrapping_add(m).wrapping_sub(r);
        if d1 > d { d1 } else { i64::MAX }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(1, 1, 1) * 86400, ZERO_UNIX);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(weekday_from_days(0), 4);
    }

    #[test]
    fn durations() {
        assert_eq!(duration_string(0), "0s");
        assert_eq!(duration_string(1), "1ns");
        assert_eq!(duration_string(1_500), "1.5µs");
        assert_eq!(duration_string(1_500_000), "1.5ms");
        assert_eq!(duration_string(NANOS), "1s");
        assert_eq!(duration_string(3_723_500_000_000), "1h2m3.5s");
        assert_eq!(duration_string(-60 * NANOS), "-1m0s");
        assert_eq!(duration_string(i64::MIN), "-2562047h47m16.854775808s");
        assert_eq!(duration_round(1_500_000_000, NANOS), 2_000_000_000);
        assert_eq!(duration_round(-1_500_000_000, NANOS), -2_000_000_000);
        assert_eq!(
            duration_round(i64::MAX, 2 * NANOS),
            9_223_372_036_000_000_000
        );
        assert_eq!(duration_round(i64::MAX - 1, i64::MAX), i64::MAX);
    }

    #[test]
    fn time_printing() {
        assert_eq!(GoTime::zero().to_string(), "0001-01-01 00:00:00 +0000 UTC");
        let t = GoTime {
            secs: 1_710_498_030,
            nsec: 123_456_789,
            loc: Loc::Utc,
        };
        assert_eq!(t.to_string(), "2024-03-15 10:20:30.123456789 +0000 UTC");
        let paris = t.in_loc(Loc::load("Europe/Paris").unwrap());
        assert_eq!(paris.to_string(), "2024-03-15 11:20:30.123456789 +0100 CET");
        assert_eq!(
            t.format("Mon Jan _2 3:04:05PM 2006 Z07:00 .000 ,99"),
            "Fri Mar 15 10:20:30AM 2024 Z .123 ,12"
        );
        let fixed = t.in_loc(Loc::Fixed {
            name: Arc::from(""),
            offset: -(3 * 3600 + 1800),
        });
        assert_eq!(
            fixed.format("15:04 MST -07:00:00 Z07"),
            "06:50 -0330 -03:30:00 -03"
        );
        assert_eq!(
            Loc::load("Mars/Olympus").unwrap_err(),
            "unknown time zone Mars/Olympus"
        );
    }

    #[test]
    fn arithmetic() {
        let t = GoTime {
            secs: 1_710_498_030,
            nsec: 600_000_000,
            loc: Loc::Utc,
        };
        assert_eq!(
            t.add(NANOS / 2).to_string(),
            "2024-03-15 10:20:31.1 +0000 UTC"
        );
        assert_eq!(t.sub(&t.add(-90 * NANOS)), 90 * NANOS);
        assert_eq!(t.round(NANOS).to_string(), "2024-03-15 10:20:31 +0000 UTC");
        assert_eq!(
            t.truncate(3600 * NANOS).to_string(),
            "2024-03-15 10:00:00 +0000 UTC"
        );
        assert_eq!(
            t.add_date(0, 11, 20).to_string(),
            "2025-03-07 10:20:30.6 +0000 UTC"
        );
        assert_eq!(t.year_day(), 75);
        assert_eq!(GoTime::zero().sub(&t), i64::MIN);
    }
}
