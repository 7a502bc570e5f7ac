//! The `location` of a time interval: the time zone in which its fields are evaluated, loaded by
//! name like Go's `time.LoadLocation` (IANA names from chrono-tz, plus `UTC`, `Local` and the
//! empty name, which means UTC).

use std::fmt;

use chrono::{DateTime, Local, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// A named time zone. It prints as the name it was loaded with (`UTC` for the empty name),
/// which is what Alertmanager marshals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    name: String,
    zone: Zone,
}

/// A zone as Go's `time.LoadLocation` resolves a name (shared with the
/// template layer's `time.Location`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    Utc,
    /// The process's zone: the `TZ` environment variable, else `/etc/localtime`.
    Local,
    Named(Tz),
}

/// Resolves a zone name with `time.LoadLocation`'s rules and error messages.
/// Names are case-sensitive. The system zoneinfo aliases `posix/<zone>` and
/// `right/<zone>` are accepted as `<zone>` (the leap seconds of `right/` are
/// ignored).
pub fn load_zone(name: &str) -> Result<Zone, String> {
    match name {
        "" | "UTC" => return Ok(Zone::Utc),
        "Local" => return Ok(Zone::Local),
        _ => {}
    }
    if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
        return Err("time: invalid location name".to_string());
    }
    let base = name
        .strip_prefix("posix/")
        .or_else(|| name.strip_prefix("right/"))
        .unwrap_or(name);
    base.parse()
        .map(Zone::Named)
        .map_err(|_| format!("unknown time zone {name}"))
}

impl Location {
    pub fn utc() -> Self {
        Location {
            name: "UTC".to_string(),
            zone: Zone::Utc,
        }
    }

    pub fn local() -> Self {
        Location {
            name: "Local".to_string(),
            zone: Zone::Local,
        }
    }

    /// Loads a zone by name (see [`load_zone`]).
    pub fn load(name: &str) -> Result<Self, String> {
        Ok(match load_zone(name)? {
            Zone::Utc => Location::utc(),
            Zone::Local => Location::local(),
            zone => Location {
                name: name.to_string(),
                zone,
            },
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The wall-clock date and time in this zone at instant `t`.
    pub fn wall_clock(&self, t: DateTime<Utc>) -> NaiveDateTime {
        match self.zone {
            Zone::Utc => t.naive_utc(),
            Zone::Local => t.with_timezone(&Local).naive_local(),
            Zone::Named(tz) => t.with_timezone(&tz).naive_local(),
        }
    }
}

impl Default for Location {
    fn default() -> Self {
        Location::utc()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Location::load(&name).map_err(de::Error::custom)
    }
}

impl Serialize for Location {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn wall(loc: &str, t: DateTime<Utc>) -> String {
        let clock = Location::load(loc).unwrap().wall_clock(t);
        clock.format("%Y-%m-%d %H:%M").to_string()
    }

    #[test]
    fn load_names_and_errors() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("", Ok("UTC")),
            ("UTC", Ok("UTC")),
            ("Local", Ok("Local")),
            ("Australia/Sydney", Ok("Australia/Sydney")),
            ("America/New_York", Ok("America/New_York")),
            ("US/Eastern", Ok("US/Eastern")),
            ("Etc/GMT+5", Ok("Etc/GMT+5")),
            ("Etc/UTC", Ok("Etc/UTC")),
            ("posix/Europe/Berlin", Ok("posix/Europe/Berlin")),
            ("Foo/Bar", Err("unknown time zone Foo/Bar")),
            (
                "america/new_york",
                Err("unknown time zone america/new_york"),
            ),
            ("utc", Err("unknown time zone utc")),
            ("local", Err("unknown time zone local")),
            ("posix/Nowhere", Err("unknown time zone posix/Nowhere")),
            ("../etc/passwd", Err("time: invalid location name")),
            ("Europe/../Berlin", Err("time: invalid location name")),
            ("/etc/localtime", Err("time: invalid location name")),
            ("\\Europe", Err("time: invalid location name")),
        ];
        for (name, want) in cases {
            let got = Location::load(name);
            let got = got.as_ref().map(|l| l.name()).map_err(String::as_str);
            assert_eq!(&got, want, "{name:?}");
        }
    }

    #[test]
    fn wall_clock_conversion() {
        // Sydney: +10 in April after DST ends, +11 in November.
        assert_eq!(
            wall("Australia/Sydney", utc(2021, 4, 6, 3, 0)),
            "2021-04-06 13:00"
        );
        assert_eq!(
            wall("Australia/Sydney", utc(2021, 10, 31, 22, 0)),
            "2021-11-01 09:00"
        );
        // New York springs forward at 2021-03-14 07:00 UTC (02:00 EST becomes 03:00 EDT).
        assert_eq!(
            wall("America/New_York", utc(2021, 3, 14, 6, 59)),
            "2021-03-14 01:59"
        );
        assert_eq!(
            wall("America/New_York", utc(2021, 3, 14, 7, 0)),
            "2021-03-14 03:00"
        );
        // And falls back at 2021-11-07 06:00 UTC: 01:30 happens twice.
        assert_eq!(
            wall("America/New_York", utc(2021, 11, 7, 5, 30)),
            "2021-11-07 01:30"
        );
        assert_eq!(
            wall("America/New_York", utc(2021, 11, 7, 6, 30)),
            "2021-11-07 01:30"
        );
        assert_eq!(wall("", utc(2021, 11, 7, 6, 30)), "2021-11-07 06:30");
        assert_eq!(wall("Etc/GMT+5", utc(2021, 1, 1, 3, 0)), "2020-12-31 22:00");
    }

    #[test]
    fn serde_round_trip() {
        let loc: Location = serde_json::from_str(r#""Europe/Berlin""#).unwrap();
        assert_eq!(loc.name(), "Europe/Berlin");
        assert_eq!(serde_json::to_string(&loc).unwrap(), r#""Europe/Berlin""#);
        let empty: Location = serde_json::from_str(r#""""#).unwrap();
        assert_eq!(serde_json::to_string(&empty).unwrap(), r#""UTC""#);
        let err = serde_json::from_str::<Location>(r#""Mars/Olympus""#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown time zone Mars/Olympus"),
            "{err}"
        );
    }
}
