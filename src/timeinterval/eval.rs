//! Whether an instant falls inside a time interval: the instant is converted to the interval's
//! location, then every non-absent field must match (AND across fields) through at least one of
//! its ranges (OR within a field).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};

use super::TimeInterval;
use super::parse::DayOfMonthRange;

impl TimeInterval {
    /// Whether instant `t` is inside this interval, judged on the wall clock of `location`
    /// (UTC when absent).
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        let wall = match &self.location {
            Some(location) => location.wall_clock(t),
            None => t.naive_utc(),
        };
        self.contains_wall_clock(wall)
    }

    /// Whether a wall-clock date and time (already in the interval's location) is inside.
    pub fn contains_wall_clock(&self, wall: NaiveDateTime) -> bool {
        let minute = wall.hour() * 60 + wall.minute();
        let day = i64::from(wall.day());
        let month_length = days_in_month(wall.date());
        let weekday = wall.weekday().num_days_from_sunday();
        let month = i64::from(wall.month());
        let year = i64::from(wall.year());

        matches(&self.times, |r| r.contains_minute(minute))
            && matches(&self.weekdays, |r| r.begin <= weekday && weekday <= r.end)
            && matches(&self.days_of_month, |r| day_matches(r, day, month_length))
            && matches(&self.months, |r| r.begin <= month && month <= r.end)
            && matches(&self.years, |r| r.begin <= year && year <= r.end)
    }
}

/// Whether `t` is inside at least one of `intervals` (false for none).
pub fn contains_any(intervals: &[TimeInterval], t: DateTime<Utc>) -> bool {
    intervals.iter().any(|interval| interval.contains(t))
}

/// An absent field matches everything; a present one (even an empty list, as in Alertmanager)
/// needs one matching range.
fn matches<T>(field: &Option<Vec<T>>, range_matches: impl Fn(&T) -> bool) -> bool {
    field
        .as_ref()
        .is_none_or(|ranges| ranges.iter().any(range_matches))
}

/// Negative days count back from the month's last day (-1 = last). A range whose start falls
/// after the end of this month never matches, and an end past the month's end stops at it.
/// (Alertmanager also clamps both ends to ±month length; for a real day that changes nothing.)
fn day_matches(range: &DayOfMonthRange, day: i64, month_length: i64) -> bool {
    let resolve = |d: i64| if d < 0 { month_length + d + 1 } else { d };
    resolve(range.begin) <= day && day <= resolve(range.end)
}

/// The number of days in the calendar month of `date`. This is calendar arithmetic, so it does
/// not depend on DST: Alertmanager before the fix in its `main` branch (after v0.34) measured the
/// month in elapsed hours in the location, and got 30 for March in zones that spring forward,
/// shifting negative days by one; this follows the fixed behaviour.
fn days_in_month(date: NaiveDate) -> i64 {
    let next_month = match date.month() {
        12 => NaiveDate::from_ymd_opt(date.year() + 1, 1, 1),
        m => NaiveDate::from_ymd_opt(date.year(), m + 1, 1),
    };
    next_month
        .and_then(|d| d.pred_opt())
        .map_or(31, |last| i64::from(last.day()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeinterval::{
        DayOfMonthRange, Location, MonthRange, TimeRange, WeekdayRange, YearRange,
    };
    use chrono::{FixedOffset, TimeZone};

    /// An instant from a wall-clock time and a UTC offset in hours (as in `+1000`).
    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, offset_hours: i32) -> DateTime<Utc> {
        FixedOffset::east_opt(offset_hours * 3600)
            .unwrap()
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        at(y, mo, d, h, mi, 0)
    }

    fn times(ranges: &[(&str, &str)]) -> Option<Vec<TimeRange>> {
        Some(
            ranges
                .iter()
                .map(|(s, e)| TimeRange::parse(s, e).unwrap())
                .collect(),
        )
    }

    fn parsed<T: std::str::FromStr<Err = String>>(items: &[&str]) -> Option<Vec<T>> {
        Some(items.iter().map(|s| s.parse().unwrap()).collect())
    }

    fn location(name: &str) -> Option<Location> {
        Some(Location::load(name).unwrap())
    }

    /// Asserts that each instant in `inside` is contained and each one in `outside` is not.
    fn check(interval: &TimeInterval, inside: &[DateTime<Utc>], outside: &[DateTime<Utc>]) {
        for t in inside {
            assert!(interval.contains(*t), "{interval:?} should contain {t}");
        }
        for t in outside {
            assert!(
                !interval.contains(*t),
                "{interval:?} should not contain {t}"
            );
        }
    }

    #[test]
    fn empty_interval_contains_everything() {
        let always = TimeInterval::default();
        check(
            &always,
            &[
                utc(2006, 1, 2, 15, 4),
                utc(1970, 1, 1, 0, 0),
                utc(2400, 2, 29, 23, 59),
            ],
            &[],
        );
    }

    #[test]
    fn present_but_empty_field_matches_nothing() {
        let never = TimeInterval {
            weekdays: Some(vec![]),
            ..Default::default()
        };
        check(
            &never,
            &[],
            &[utc(2021, 1, 4, 12, 0), utc(2021, 1, 3, 12, 0)],
        );
    }

    #[test]
    fn business_hours() {
        let interval = TimeInterval {
            times: times(&[("09:00", "17:00")]),
            weekdays: parsed(&["monday:friday"]),
            ..Default::default()
        };
        check(
            &interval,
            &[
                utc(2020, 5, 4, 9, 0),   // Monday, start is inclusive
                utc(2020, 5, 4, 16, 59), // last minute
                utc(2020, 5, 8, 12, 0),  // Friday
            ],
            &[
                utc(2020, 5, 4, 8, 59), // a minute early
                utc(2020, 5, 4, 17, 0), // end is exclusive
                utc(2020, 5, 3, 12, 0), // Sunday
                utc(2020, 5, 9, 12, 0), // Saturday
            ],
        );
    }

    #[test]
    fn seconds_do_not_matter_within_a_minute() {
        let interval = TimeInterval {
            times: times(&[("09:00", "09:01")]),
            ..Default::default()
        };
        let base = utc(2020, 5, 4, 9, 0);
        check(
            &interval,
            &[base + chrono::Duration::seconds(59)],
            &[
                base - chrono::Duration::seconds(1),
                base + chrono::Duration::seconds(60),
            ],
        );
    }

    #[test]
    fn evening_until_midnight_and_several_times() {
        let interval = TimeInterval {
            times: times(&[("00:00", "09:00"), ("17:00", "24:00")]),
            ..Default::default()
        };
        check(
            &interval,
            &[
                utc(2024, 1, 1, 0, 0),
                utc(2024, 1, 1, 8, 59),
                utc(2024, 1, 1, 17, 0),
                utc(2024, 1, 1, 23, 59),
            ],
            &[utc(2024, 1, 1, 9, 0), utc(2024, 1, 1, 16, 59)],
        );
    }

    #[test]
    fn weekday_lists_and_ranges() {
        let interval = TimeInterval {
            weekdays: parsed(&["monday:wednesday", "saturday", "sunday"]),
            ..Default::default()
        };
        // 2021-01-04 is a Monday.
        check(
            &interval,
            &[
                utc(2021, 1, 3, 0, 0),   // Sunday
                utc(2021, 1, 4, 0, 0),   // Monday
                utc(2021, 1, 6, 23, 59), // Wednesday
                utc(2021, 1, 9, 12, 0),  // Saturday
            ],
            &[utc(2021, 1, 7, 0, 0), utc(2021, 1, 8, 12, 0)],
        );
    }

    #[test]
    fn easter_2020() {
        let interval = TimeInterval {
            days_of_month: parsed(&["4:6"]),
            months: parsed(&["april"]),
            years: parsed(&["2020"]),
            ..Default::default()
        };
        check(
            &interval,
            &[
                utc(2020, 4, 4, 15, 4),
                utc(2020, 4, 5, 0, 0),
                utc(2020, 4, 6, 23, 5),
            ],
            &[
                utc(2018, 5, 3, 15, 4),
                utc(2020, 4, 3, 23, 59),
                utc(2020, 6, 4, 23, 59),
                utc(2019, 4, 6, 23, 59),
                utc(2020, 4, 7, 0, 0),
            ],
        );
    }

    #[test]
    fn last_three_days_of_each_month() {
        let interval = TimeInterval {
            days_of_month: parsed(&["-3:-1"]),
            ..Default::default()
        };
        check(
            &interval,
            &[
                utc(2020, 1, 29, 0, 0),
                utc(2020, 1, 31, 23, 59),
                utc(2020, 4, 28, 0, 0), // 30-day month
                utc(2020, 6, 30, 0, 0),
                utc(2020, 2, 27, 0, 0), // leap February
                utc(2020, 2, 29, 23, 5),
                utc(2021, 2, 26, 0, 0), // common February
                utc(2021, 2, 28, 0, 0),
            ],
            &[
                utc(2020, 1, 28, 23, 59),
                utc(2020, 4, 27, 12, 0),
                utc(2020, 4, 3, 23, 59),
                utc(2020, 2, 26, 12, 0),
                utc(2021, 2, 25, 12, 0),
                utc(2020, 3, 1, 0, 0),
            ],
        );
    }

    #[test]
    fn last_day_of_month() {
        let interval = TimeInterval {
            days_of_month: parsed(&["-1"]),
            ..Default::default()
        };
        let last_days = [
            utc(2021, 1, 31, 12, 0),
            utc(2021, 2, 28, 12, 0),
            utc(2024, 2, 29, 12, 0),
            utc(2021, 4, 30, 12, 0),
            utc(2021, 12, 31, 12, 0),
        ];
        let not_last = [
            utc(2021, 1, 30, 12, 0),
            utc(2024, 2, 28, 12, 0),
            utc(2021, 4, 29, 12, 0),
            utc(2021, 3, 30, 12, 0),
        ];
        check(&interval, &last_days, &not_last);
    }

    #[test]
    fn positive_start_to_negative_end() {
        // From the 20th to the last day.
        let interval = TimeInterval {
            days_of_month: parsed(&["20:-1"]),
            ..Default::default()
        };
        check(
            &interval,
            &[
                utc(2021, 2, 20, 0, 0),
                utc(2021, 2, 28, 0, 0),
                utc(2021, 1, 31, 0, 0),
            ],
            &[utc(2021, 2, 19, 23, 59), utc(2021, 3, 1, 0, 0)],
        );
        // -31 is the 1st in a 31-day month, but before the month starts in shorter ones, where
        // the range then starts on the 1st.
        let whole_month = TimeInterval {
            days_of_month: parsed(&["-31:-1"]),
            ..Default::default()
        };
        check(
            &whole_month,
            &[
                utc(2021, 2, 1, 0, 0),
                utc(2021, 4, 1, 0, 0),
                utc(2021, 1, 1, 0, 0),
            ],
            &[],
        );
        // -30 is the 2nd in a 31-day month and the 1st in a 30-day one.
        let minus_thirty = TimeInterval {
            days_of_month: parsed(&["-30"]),
            ..Default::default()
        };
        check(
            &minus_thirty,
            &[utc(2021, 1, 2, 0, 0), utc(2021, 4, 1, 0, 0)],
            &[
                utc(2021, 1, 1, 0, 0),
                utc(2021, 4, 2, 0, 0),
                utc(2021, 2, 1, 0, 0),
            ],
        );
    }

    #[test]
    fn days_past_the_end_of_short_months() {
        // 30:31 never happens in February (the start is past the month's end)...
        let interval = TimeInterval {
            days_of_month: parsed(&["30:31"]),
            ..Default::default()
        };
        check(
            &interval,
            &[
                utc(2021, 1, 30, 0, 0),
                utc(2021, 1, 31, 0, 0),
                utc(2021, 4, 30, 0, 0),
            ],
            &[
                utc(2021, 2, 28, 13, 0),
                utc(2024, 2, 29, 13, 0),
                utc(2021, 1, 29, 0, 0),
            ],
        );
        // ...while 29:31 ends on the 29th in a leap February.
        let interval = TimeInterval {
            days_of_month: parsed(&["29:31"]),
            ..Default::default()
        };
        check(
            &interval,
            &[utc(2024, 2, 29, 0, 0), utc(2021, 4, 30, 0, 0)],
            &[
                utc(2021, 2, 28, 0, 0),
                utc(2021, 3, 1, 0, 0),
                utc(2024, 3, 1, 0, 0),
            ],
        );
        // Unvalidated ranges built in code behave like Alertmanager's clamping.
        let clamped = TimeInterval {
            months: parsed(&["june"]),
            days_of_month: Some(vec![DayOfMonthRange {
                begin: -31,
                end: 31,
            }]),
            ..Default::default()
        };
        check(
            &clamped,
            &[utc(2020, 6, 1, 0, 0), utc(2020, 6, 30, 0, 0)],
            &[utc(2020, 5, 31, 0, 0), utc(2020, 7, 1, 0, 0)],
        );
    }

    #[test]
    fn months_years_and_combinations() {
        // Last week of the first quarter, Monday to Friday and Sunday, 09:00-17:00, in
        // 2020-2025 and 2030-2035.
        let interval = TimeInterval {
            weekdays: parsed(&["monday:friday", "sunday"]),
            months: parsed(&["january:march"]),
            days_of_month: parsed(&["-7:-1"]),
            years: parsed(&["2020:2025", "2030:2035"]),
            times: times(&[("09:00", "17:00")]),
            ..Default::default()
        };
        check(
            &interval,
            &[
                utc(2021, 1, 27, 9, 0),
                utc(2021, 1, 28, 16, 59),
                utc(2021, 1, 31, 13, 0), // Sunday
                utc(2025, 3, 31, 13, 0),
                utc(2035, 1, 31, 13, 0),
            ],
            &[
                utc(2021, 1, 30, 13, 0), // Saturday
                utc(2021, 4, 1, 13, 0),  // April
                utc(2026, 1, 30, 13, 0), // 2026
                utc(2029, 3, 28, 13, 0), // 2029
                utc(2035, 1, 31, 17, 1), // after 17:00
                utc(2021, 1, 20, 13, 0), // not in the last week
            ],
        );
    }

    #[test]
    fn month_number_ranges() {
        let interval = TimeInterval {
            months: Some(vec![
                MonthRange { begin: 11, end: 12 },
                MonthRange { begin: 13, end: 20 },
            ]),
            ..Default::default()
        };
        check(
            &interval,
            &[utc(2021, 11, 1, 0, 0), utc(2021, 12, 31, 23, 59)],
            &[utc(2021, 10, 31, 23, 59), utc(2022, 1, 1, 0, 0)],
        );
    }

    #[test]
    fn years_only() {
        let interval = TimeInterval {
            years: Some(vec![YearRange {
                begin: 2021,
                end: 2021,
            }]),
            ..Default::default()
        };
        check(
            &interval,
            &[utc(2021, 1, 1, 0, 0), utc(2021, 12, 31, 23, 59)],
            &[utc(2020, 12, 31, 23, 59), utc(2022, 1, 1, 0, 0)],
        );
    }

    #[test]
    fn sydney_business_hours() {
        let interval = TimeInterval {
            times: times(&[("09:00", "17:00")]),
            weekdays: Some(vec![WeekdayRange { begin: 1, end: 5 }]),
            location: location("Australia/Sydney"),
            ..Default::default()
        };
        check(
            &interval,
            &[at(2021, 4, 6, 13, 0, 10), utc(2021, 4, 5, 23, 0)],
            &[utc(2021, 4, 6, 13, 0), utc(2021, 4, 5, 22, 59)],
        );
        // In November Sydney is on daylight saving time (+11).
        let november = TimeInterval {
            months: parsed(&["november"]),
            ..interval
        };
        check(
            &november,
            &[at(2021, 11, 1, 9, 0, 11), utc(2021, 10, 31, 22, 0)],
            &[utc(2021, 10, 31, 21, 59)],
        );
    }

    #[test]
    fn new_york_around_dst_changes() {
        let mornings = TimeInterval {
            times: times(&[("01:00", "03:00")]),
            location: location("America/New_York"),
            ..Default::default()
        };
        // Spring forward on 2021-03-14: 01:00-02:00 EST, then 03:00 EDT at 07:00 UTC.
        check(
            &mornings,
            &[utc(2021, 3, 14, 6, 0), utc(2021, 3, 14, 6, 59)],
            &[utc(2021, 3, 14, 5, 59), utc(2021, 3, 14, 7, 0)],
        );
        // Fall back on 2021-11-07: 01:00-02:00 happens twice, 00:00-02:00 EDT then EST.
        check(
            &mornings,
            &[
                utc(2021, 11, 7, 5, 0),
                utc(2021, 11, 7, 6, 30),
                utc(2021, 11, 7, 7, 59),
            ],
            &[utc(2021, 11, 7, 4, 59), utc(2021, 11, 7, 8, 0)],
        );
    }

    #[test]
    fn negative_days_in_a_spring_forward_month() {
        // Alertmanager up to v0.34 computed 30 days for March in New York and matched March 30.
        let last_day = TimeInterval {
            days_of_month: parsed(&["-1"]),
            location: location("America/New_York"),
            ..Default::default()
        };
        check(
            &last_day,
            &[
                at(2021, 3, 31, 12, 0, -4),
                at(2021, 3, 31, 0, 0, -4),
                utc(2021, 4, 1, 3, 59),
            ],
            &[
                at(2021, 3, 30, 12, 0, -4),
                utc(2021, 4, 1, 4, 0),
                utc(2021, 3, 31, 3, 59),
            ],
        );
        // Same in the southern hemisphere, where October springs forward.
        let sydney = TimeInterval {
            days_of_month: parsed(&["-1"]),
            location: location("Australia/Sydney"),
            ..Default::default()
        };
        check(
            &sydney,
            &[at(2021, 10, 31, 12, 0, 11)],
            &[at(2021, 10, 30, 12, 0, 11)],
        );
    }

    #[test]
    fn location_shifts_the_date() {
        // 23:30 UTC on 2021-12-31 is already 2022 in Sydney and still 2021 in New York.
        let instant = utc(2021, 12, 31, 23, 30);
        let in_2022 = |loc: &str| TimeInterval {
            years: parsed(&["2022"]),
            months: parsed(&["january"]),
            days_of_month: parsed(&["1"]),
            weekdays: parsed(&["saturday"]),
            location: location(loc),
            ..Default::default()
        };
        assert!(in_2022("Australia/Sydney").contains(instant));
        assert!(!in_2022("America/New_York").contains(instant));
        assert!(!in_2022("UTC").contains(instant));
        assert!(in_2022("UTC").contains(utc(2022, 1, 1, 0, 0)));
    }

    #[test]
    fn contains_any_is_an_or() {
        let evenings = TimeInterval {
            times: times(&[("00:00", "09:00"), ("17:00", "24:00")]),
            location: location("Australia/Sydney"),
            ..Default::default()
        };
        let weekends = TimeInterval {
            weekdays: parsed(&["saturday", "sunday"]),
            location: location("Australia/Sydney"),
            ..Default::default()
        };
        let both = [evenings, weekends];
        assert!(contains_any(&both, at(2024, 1, 1, 0, 0, 11))); // Monday midnight
        assert!(!contains_any(&both, at(2024, 1, 1, 9, 0, 11))); // Monday 09:00
        assert!(contains_any(&both, at(2024, 1, 6, 10, 0, 11))); // Saturday
        assert!(contains_any(&both, utc(2024, 1, 1, 10, 0))); // 21:00 in Sydney
        assert!(!contains_any(&[], utc(2024, 1, 1, 10, 0)));
    }

    #[test]
    fn month_lengths() {
        let len = |y, m| days_in_month(NaiveDate::from_ymd_opt(y, m, 15).unwrap());
        assert_eq!(
            (1..=12).map(|m| len(2021, m)).collect::<Vec<_>>(),
            [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        );
        assert_eq!(len(2024, 2), 29);
        assert_eq!(len(2000, 2), 29);
        assert_eq!(len(1900, 2), 28);
    }
}
