//! Alertmanager's time intervals: the entries of `time_intervals:` / `mute_time_intervals:` in
//! the configuration, which routes reference through `mute_time_intervals` and
//! `active_time_intervals`.
//!
//! A [`TimeInterval`] is parsed from YAML (or JSON) with Alertmanager's syntax and error messages,
//! serializes back in the form Alertmanager marshals it, and tells whether an instant falls
//! inside it ([`TimeInterval::contains`]). Behaviour follows Alertmanager v0.34 plus the later
//! fix for negative `days_of_month` in months with a DST change (see `eval.rs`); v0.34 differs
//! from 0.25 here only by that fix's absence.

mod eval;
pub mod location;
mod parse;

use serde::{Deserialize, Deserializer, Serialize};

pub use eval::contains_any;
pub use location::Location;
pub use parse::{DayOfMonthRange, MonthRange, TimeRange, WeekdayRange, YearRange};

/// One time interval. Every field is optional: an absent field (or one set to null) matches any
/// time, while a field given as an empty list matches none, as in Alertmanager. An instant is
/// inside when every present field has a matching range.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeInterval {
    #[serde(default, skip_serializing_if = "is_absent")]
    pub times: Option<Vec<TimeRange>>,
    #[serde(default, skip_serializing_if = "is_absent")]
    pub weekdays: Option<Vec<WeekdayRange>>,
    #[serde(default, skip_serializing_if = "is_absent")]
    pub days_of_month: Option<Vec<DayOfMonthRange>>,
    #[serde(default, skip_serializing_if = "is_absent")]
    pub months: Option<Vec<MonthRange>>,
    #[serde(default, skip_serializing_if = "is_absent")]
    pub years: Option<Vec<YearRange>>,
    /// The zone the other fields are evaluated in; UTC when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// Alertmanager omits empty lists when marshalling.
fn is_absent<T>(field: &Option<Vec<T>>) -> bool {
    field.as_ref().is_none_or(Vec::is_empty)
}

/// An entry of `time_intervals:` or `mute_time_intervals:`. The name is not validated here (the
/// configuration reports a missing or duplicate name with its own messages).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedTimeInterval {
    #[serde(default, deserialize_with = "parse::text_or_empty")]
    pub name: String,
    #[serde(default, deserialize_with = "intervals_or_empty")]
    pub time_intervals: Vec<TimeInterval>,
}

/// A null list, or a null item in it, reads as Alertmanager reads it: no intervals, or an
/// interval with no fields (which contains every time).
fn intervals_or_empty<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<TimeInterval>, D::Error> {
    let items = Option::<Vec<Option<TimeInterval>>>::deserialize(deserializer)?;
    Ok(items
        .unwrap_or_default()
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Result<Vec<TimeInterval>, String> {
        serde_saphyr::from_str(text).map_err(|e| e.to_string())
    }

    fn one(text: &str) -> TimeInterval {
        let mut all = yaml(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    /// Parses `- <field>: <value>` and returns the error message (which the YAML library may
    /// surround with a location and a snippet).
    fn error_of(text: &str) -> String {
        match yaml(text) {
            Ok(v) => panic!("{text} parsed as {v:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parses_every_field() {
        let interval = one(
            "- times:\n    - start_time: '09:00'\n      end_time: '17:00'\n    - {start_time: '20:00', end_time: '24:00'}\n  weekdays: ['Monday:Friday', sunday]\n  days_of_month: ['1', '-7:-1', 10:20]\n  months: ['January:march', 12]\n  years: ['2020:2022', 2030]\n  location: Australia/Sydney\n",
        );
        let expected = TimeInterval {
            times: Some(vec![
                TimeRange {
                    start_minute: 540,
                    end_minute: 1020,
                },
                TimeRange {
                    start_minute: 1200,
                    end_minute: 1440,
                },
            ]),
            weekdays: Some(vec![
                WeekdayRange { begin: 1, end: 5 },
                WeekdayRange { begin: 0, end: 0 },
            ]),
            days_of_month: Some(vec![
                DayOfMonthRange { begin: 1, end: 1 },
                DayOfMonthRange { begin: -7, end: -1 },
                DayOfMonthRange { begin: 10, end: 20 },
            ]),
            months: Some(vec![
                MonthRange { begin: 1, end: 3 },
                MonthRange { begin: 12, end: 12 },
            ]),
            years: Some(vec![
                YearRange {
                    begin: 2020,
                    end: 2022,
                },
                YearRange {
                    begin: 2030,
                    end: 2030,
                },
            ]),
            location: Some(Location::load("Australia/Sydney").unwrap()),
        };
        assert_eq!(interval, expected);
    }

    #[test]
    fn absent_null_and_empty_fields() {
        assert_eq!(one("- {}\n"), TimeInterval::default());
        assert_eq!(
            one("- weekdays: ~\n  times:\n  location: ~\n"),
            TimeInterval::default()
        );
        let empty = one("- weekdays: []\n  times: []\n");
        assert_eq!(empty.weekdays, Some(vec![]));
        assert_eq!(empty.times, Some(vec![]));
        assert_eq!(one("- location: ''\n").location, Some(Location::utc()));
        assert_eq!(one("- location: Local\n").location, Some(Location::local()));
    }

    #[test]
    fn null_items_become_zero_ranges() {
        let interval = one("- weekdays: [~]\n  days_of_month: [~]\n  times: [~]\n");
        // A null weekday is Sunday; a null time range or day never matches.
        use chrono::TimeZone;
        let sunday = chrono::Utc.with_ymd_and_hms(2021, 1, 3, 12, 0, 0).unwrap();
        let weekdays_only = one("- weekdays: [~]\n");
        assert!(weekdays_only.contains(sunday));
        assert!(!weekdays_only.contains(sunday + chrono::Duration::days(1)));
        assert!(!one("- times: [~]\n").contains(sunday));
        assert!(!one("- days_of_month: [~]\n").contains(sunday));
        assert_eq!(
            interval.weekdays,
            Some(vec![WeekdayRange { begin: 0, end: 0 }])
        );
        assert_eq!(
            interval.days_of_month,
            Some(vec![DayOfMonthRange { begin: 0, end: 0 }])
        );
        assert_eq!(
            interval.times,
            Some(vec![TimeRange {
                start_minute: 0,
                end_minute: 0
            }])
        );
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                "- times: [{start_time: '01:99', end_time: '23:59'}]",
                "couldn't parse timestamp 01:99, invalid format",
            ),
            (
                "- times: [{start_time: '00:00', end_time: '99:99'}]",
                "couldn't parse timestamp 99:99, invalid format",
            ),
            (
                "- times: [{start_time: 9, end_time: '10:00'}]",
                "couldn't parse timestamp 9, invalid format",
            ),
            (
                "- times: [{start_time: '14:03'}]",
                "both start and end times must be provided",
            ),
            (
                "- times: [{start_time: ~, end_time: '10:00'}]",
                "both start and end times must be provided",
            ),
            ("- times: [{}]", "both start and end times must be provided"),
            (
                "- times: [{start_time: '17:31', end_time: '17:31'}]",
                "start time cannot be equal or greater than end time",
            ),
            (
                "- weekdays: ['friday:monday']",
                "start day cannot be before end day",
            ),
            (
                "- weekdays: ['blurgsday:flurgsday']",
                "blurgsday is not a valid weekday",
            ),
            ("- weekdays: [SUNDAY, 'Foo']", "foo is not a valid weekday"),
            ("- weekdays: ['1:3']", "1 is not a valid weekday"),
            ("- weekdays: [1]", "1 is not a valid weekday"),
            (
                "- weekdays: ['monday:tuesday:friday']",
                "couldn't parse range monday:tuesday:friday, invalid format",
            ),
            (
                "- days_of_month: ['0']",
                "0 is not a valid day of the month: out of range",
            ),
            (
                "- days_of_month: [0]",
                "0 is not a valid day of the month: out of range",
            ),
            (
                "- days_of_month: ['-50:-20']",
                "-50 is not a valid day of the month: out of range",
            ),
            (
                "- days_of_month: ['1:50']",
                "50 is not a valid day of the month: out of range",
            ),
            (
                "- days_of_month: ['-15:5']",
                "end day must be negative if start day is negative",
            ),
            (
                "- days_of_month: ['10:-25']",
                "end day -25 is always before start day 10",
            ),
            (
                "- days_of_month: ['+3', 'ABC']",
                r#"strconv.Atoi: parsing "abc": invalid syntax"#,
            ),
            (
                "- days_of_month: [1.0]",
                r#"strconv.Atoi: parsing "1.0": invalid syntax"#,
            ),
            (
                "- days_of_month: ['1:2:3']",
                "couldn't parse range 1:2:3, invalid format",
            ),
            ("- months: ['martius:june']", "martius is not a valid month"),
            ("- months: ['march:junius']", "junius is not a valid month"),
            (
                "- months: ['december:january']",
                "end month january is before start month december",
            ),
            ("- months: ['13:0']", "end month  is before start month "),
            (
                "- years: ['2022:2020']",
                "end year 2020 is before start year 2022",
            ),
            (
                "- years: [99999999999999999999]",
                r#"strconv.Atoi: parsing "99999999999999999999": value out of range"#,
            ),
            ("- location: Foo/Bar", "unknown time zone Foo/Bar"),
            (
                "- location: america/new_york",
                "unknown time zone america/new_york",
            ),
            ("- location: ../x", "time: invalid location name"),
        ];
        for (text, message) in cases {
            let error = error_of(text);
            assert!(
                error.contains(message),
                "{text}: want {message:?}, got {error:?}"
            );
        }
    }

    #[test]
    fn unknown_fields_are_rejected() {
        for text in [
            "- foo: 1\n",
            "- weekday: [monday]\n",
            "- times: [{start_time: '09:00', end_time: '10:00', x: 1}]\n",
        ] {
            let error = error_of(text);
            assert!(error.contains("unknown field"), "{text}: {error}");
        }
        let named: Result<NamedTimeInterval, _> = serde_saphyr::from_str("name: a\ninterval: []\n");
        assert!(named.unwrap_err().to_string().contains("unknown field"));
    }

    #[test]
    fn named_intervals() {
        let named: Vec<NamedTimeInterval> = serde_saphyr::from_str(
            "- name: business\n  time_intervals:\n    - weekdays: ['monday:friday']\n    - ~\n- name: 123\n- name: ~\n  time_intervals: ~\n",
        )
        .unwrap();
        assert_eq!(named.len(), 3);
        assert_eq!(named[0].name, "business");
        assert_eq!(
            named[0].time_intervals,
            vec![
                TimeInterval {
                    weekdays: Some(vec![WeekdayRange { begin: 1, end: 5 }]),
                    ..Default::default()
                },
                TimeInterval::default(),
            ]
        );
        assert_eq!(named[1].name, "123");
        assert_eq!(named[1].time_intervals, vec![]);
        assert_eq!(named[2], NamedTimeInterval::default());
    }

    #[test]
    fn serializes_in_alertmanager_form() {
        let interval = one(
            "- times: [{start_time: '09:05', end_time: '24:00'}]\n  weekdays: ['Monday:Friday', saturday]\n  days_of_month: ['-7:-1', '3:3']\n  months: ['january:march', may]\n  years: ['2020:2022']\n  location: America/New_York\n",
        );
        assert_eq!(
            serde_json::to_string(&interval).unwrap(),
            r#"{"times":[{"start_time":"09:05","end_time":"24:00"}],"weekdays":["monday:friday","saturday"],"days_of_month":["-7:-1","3"],"months":["1:3","5"],"years":["2020:2022"],"location":"America/New_York"}"#
        );
        // Absent and empty fields are omitted.
        let sparse = one("- weekdays: []\n  years: ['2021']\n");
        assert_eq!(
            serde_json::to_string(&sparse).unwrap(),
            r#"{"years":["2021"]}"#
        );
        assert_eq!(
            serde_json::to_string(&TimeInterval::default()).unwrap(),
            "{}"
        );
        let named = NamedTimeInterval {
            name: "n".to_string(),
            time_intervals: vec![],
        };
        assert_eq!(
            serde_json::to_string(&named).unwrap(),
            r#"{"name":"n","time_intervals":[]}"#
        );
    }

    #[test]
    fn round_trips_through_yaml_and_json() {
        let texts = [
            "- weekdays: ['monday:friday']\n  times: [{start_time: '09:00', end_time: '17:00'}]\n",
            "- weekdays: ['monday:friday', sunday]\n  months: ['january:march']\n  days_of_month: ['-7:-1', 1, 31]\n  years: ['2020:2025', '2030:2035']\n  times: [{start_time: '00:00', end_time: '24:00'}]\n",
            "- days_of_month: ['1:-1']\n  location: Local\n",
            "- years: ['2020:2022']\n  location: 'Australia/Sydney'\n",
            "- months: ['13:14', '-2']\n",
            "- {}\n",
        ];
        for text in texts {
            let parsed = yaml(text).unwrap();
            let as_yaml = serde_saphyr::to_string(&parsed).unwrap();
            assert_eq!(yaml(&as_yaml).unwrap(), parsed, "{text} -> {as_yaml}");
            let as_json = serde_json::to_string(&parsed).unwrap();
            let back: Vec<TimeInterval> = serde_json::from_str(&as_json).unwrap();
            assert_eq!(back, parsed, "{text} -> {as_json}");
        }
    }

    #[test]
    fn json_input() {
        let interval: TimeInterval = serde_json::from_str(
            r#"{"days_of_month":["1","-3:-1"],"years":["2021"],"months":["february"]}"#,
        )
        .unwrap();
        assert_eq!(
            interval.days_of_month,
            Some(vec![
                DayOfMonthRange { begin: 1, end: 1 },
                DayOfMonthRange { begin: -3, end: -1 },
            ])
        );
        assert_eq!(
            interval.years,
            Some(vec![YearRange {
                begin: 2021,
                end: 2021
            }])
        );
        assert_eq!(interval.months, Some(vec![MonthRange { begin: 2, end: 2 }]));
    }

    #[test]
    fn parsed_yaml_evaluates() {
        use chrono::TimeZone;
        let interval = one(
            "- weekdays: ['monday:wednesday', 'saturday', 'sunday']\n  times:\n    - start_time: '13:00'\n      end_time: '15:00'\n  days_of_month: ['1', '10', '20:-1']\n  years: ['2020:2023']\n  months: ['january:march']\n",
        );
        let t = |d, h, m| chrono::Utc.with_ymd_and_hms(2021, 1, d, h, m, 0).unwrap();
        assert!(interval.contains(t(10, 13, 0)));
        assert!(interval.contains(t(30, 14, 24)));
        assert!(!interval.contains(t(9, 13, 0)));
        assert!(!interval.contains(t(20, 12, 59)));
        assert!(!interval.contains(chrono::Utc.with_ymd_and_hms(2021, 2, 2, 13, 0, 0).unwrap()));
    }
}
