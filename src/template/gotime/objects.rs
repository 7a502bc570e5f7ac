//! The template values of Go's `time` package: `time.Time`,
//! `time.Duration`, `time.Month`, `time.Weekday` and `*time.Location`, with
//! the methods templates call on them.

use std::any::Any;

use super::layout::{LONG_DAYS, LONG_MONTHS};
use super::{GoTime, Loc, duration_round, duration_string};
use crate::template::{GoObject, Signature, Type, Value};

/// A `time.Time` value.
#[derive(Clone, Debug)]
pub struct TimeValue(pub GoTime);

/// A `time.Duration` value (nanoseconds).
#[derive(Clone, Copy, Debug)]
pub struct DurationValue(pub i64);

/// A `*time.Location` value.
#[derive(Clone, Debug)]
pub struct LocationValue(pub Loc);

/// A `time.Month` value (1-12).
#[derive(Clone, Copy, Debug)]
struct MonthValue(i64);

/// A `time.Weekday` value (0 = Sunday).
#[derive(Clone, Copy, Debug)]
struct WeekdayValue(i64);

const TIME: &str = "time.Time";
const DURATION: &str = "time.Duration";

impl TimeValue {
    /// Wraps a time as a template value.
    pub fn value(t: GoTime) -> Value {
        Value::object(TimeValue(t))
    }
}

impl DurationValue {
    /// Wraps a duration as a template value.
    pub fn value(d: i64) -> Value {
        Value::object(DurationValue(d))
    }
}

/// The time inside a `time.Time` template value.
pub fn as_time(v: &Value) -> Option<&GoTime> {
    match v {
        Value::Object(o) => o.as_any().downcast_ref::<TimeValue>().map(|t| &t.0),
        _ => None,
    }
}

/// A `time.Duration` argument: a duration value, or an integer constant
/// (Go converts number literals to the parameter's integer type).
fn as_duration(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Object(o) => match o.as_any().downcast_ref::<DurationValue>() {
            Some(d) => Ok(d.0),
            None => Err(format!(
                "wrong type for value; expected {DURATION}; got {}",
                o.type_name()
            )),
        },
        other => Err(format!(
            "wrong type for value; expected {DURATION}; got {}",
            other.type_name()
        )),
    }
}

fn int_arg(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        _ => 0,
    }
}

impl GoObject for TimeValue {
    fn type_name(&self) -> &str {
        TIME
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn method(&self, name: &str) -> Option<Signature> {
        let time = || Type::named(TIME, false);
        Some(match name {
            "Format" => Signature::new(vec![Type::String]),
            "Add" | "Round" | "Truncate" => Signature::new(vec![Type::Any]),
            "AddDate" => Signature::new(vec![Type::Int, Type::Int, Type::Int]),
            "After" | "Before" | "Equal" | "Sub" | "Compare" => Signature::new(vec![time()]),
            "In" => Signature::new(vec![Type::named("*time.Location", true)]),
            "String" | "GoString" | "Unix" | "UnixNano" | "UnixMilli" | "UnixMicro" | "UTC"
            | "Local" | "Location" | "IsZero" | "IsDST" | "Year" | "Month" | "Day" | "Hour"
            | "Minute" | "Second" | "Nanosecond" | "YearDay" | "Weekday" => Signature::default(),
            _ => return None,
        })
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let t = &self.0;
        let other = || {
            args.first()
                .and_then(as_time)
                .cloned()
                .unwrap_or_else(GoTime::zero)
        };
        let nanos = || i128::from(t.secs) * 1_000_000_000 + i128::from(t.nsec);
        Ok(match name {
            "Format" => Value::from(t.format(args[0].as_str().unwrap_or_default())),
            "String" => Value::from(t.to_string()),
            "GoString" => Value::from(go_string(t)),
            "Add" => TimeValue::value(t.add(as_duration(&args[0])?)),
            "Round" => TimeValue::value(t.round(as_duration(&args[0])?)),
            "Truncate" => TimeValue::value(t.truncate(as_duration(&args[0])?)),
            "AddDate" => TimeValue::value(t.add_date(
                int_arg(&args[0]),
                int_arg(&args[1]),
                int_arg(&args[2]),
            )),
            "Sub" => DurationValue::value(t.sub(&other())),
            "After" => Value::Bool(t.sub(&other()) > 0),
            "Before" => Value::Bool(t.sub(&other()) < 0),
            "Equal" => Value::Bool(t.sub(&other()) == 0),
            "Compare" => Value::Int(t.sub(&other()).signum()),
            "In" => match &args[0] {
                Value::Object(o) => match o.as_any().downcast_ref::<LocationValue>() {
                    Some(l) => TimeValue::value(t.in_loc(l.0.clone())),
                    None => return Err("time: missing Location in call to Time.In".into()),
                },
                _ => return Err("time: missing Location in call to Time.In".into()),
            },
            "UTC" => TimeValue::value(t.in_loc(Loc::Utc)),
            "Local" => TimeValue::value(t.in_loc(Loc::Local)),
            "Location" => Value::object(LocationValue(t.loc.clone())),
            "Unix" => Value::Int(t.secs),
            "UnixNano" => Value::Int(nanos() as i64),
            "UnixMilli" => Value::Int((nanos().div_euclid(1_000_000)) as i64),
            "UnixMicro" => Value::Int((nanos().div_euclid(1_000)) as i64),
            "IsZero" => Value::Bool(t.is_zero()),
            "IsDST" => Value::Bool(is_dst(t)),
            "Year" => Value::Int(t.date().0),
            "Month" => Value::object(MonthValue(i64::from(t.date().1))),
            "Day" => Value::Int(i64::from(t.date().2)),
            "Hour" => Value::Int(t.clock().0),
            "Minute" => Value::Int(t.clock().1),
            "Second" => Value::Int(t.clock().2),
            "Nanosecond" => Value::Int(i64::from(t.nsec)),
            "YearDay" => Value::Int(t.year_day()),
            "Weekday" => Value::object(WeekdayValue(t.weekday() as i64)),
            _ => return Err(format!("no method {name}")),
        })
    }

    fn string(&self) -> Option<String> {
        Some(self.0.to_string())
    }

    fn equal(&self, other: &dyn GoObject) -> Option<bool> {
        let other = other.as_any().downcast_ref::<TimeValue>()?;
        Some(self.0 == other.0)
    }
}

/// Whether daylight saving time is in effect (the zone's offset differs
/// from its standard offset).
fn is_dst(t: &GoTime) -> bool {
    use chrono::{DateTime, TimeZone, Utc};
    use chrono_tz::OffsetComponents;
    let tz = match &t.loc {
        Loc::Zone { tz, .. } => *tz,
        _ => return false,
    };
    let Some(utc) = DateTime::<Utc>::from_timestamp(t.secs, 0) else {
        return false;
    };
    !tz.offset_from_utc_datetime(&utc.naive_utc())
        .dst_offset()
        .is_zero()
}

/// Go's `Time.GoString`: `time.Date(2024, time.March, 15, ...)`.
fn go_string(t: &GoTime) -> String {
    let (y, m, d) = t.date();
    let (h, mi, s) = t.clock();
    let loc = match &t.loc {
        Loc::Utc => "time.UTC".to_string(),
        Loc::Local => "time.Local".to_string(),
        other => format!(
            "time.Location({})",
            crate::template::quote::quote(other.name(), false)
        ),
    };
    format!(
        "time.Date({y}, time.{}, {d}, {h}, {mi}, {s}, {}, {loc})",
        LONG_MONTHS[m as usize - 1],
        t.nsec
    )
}

impl GoObject for DurationValue {
    fn type_name(&self) -> &str {
        DURATION
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn underlying(&self) -> Option<Value> {
        Some(Value::Int(self.0))
    }

    fn method(&self, name: &str) -> Option<Signature> {
        Some(match name {
            "Round" | "Truncate" => Signature::new(vec![Type::Any]),
            "String" | "Hours" | "Minutes" | "Seconds" | "Milliseconds" | "Microseconds"
            | "Nanoseconds" | "Abs" => Signature::default(),
            _ => return None,
        })
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let d = self.0;
        let split = |unit: i64| (d / unit) as f64 + (d % unit) as f64 / unit as f64;
        Ok(match name {
            "String" => Value::from(duration_string(d)),
            "Hours" => Value::Float(split(3_600_000_000_000)),
            "Minutes" => Value::Float(split(60_000_000_000)),
            "Seconds" => Value::Float(split(1_000_000_000)),
            "Milliseconds" => Value::Int(d / 1_000_000),
            "Microseconds" => Value::Int(d / 1_000),
            "Nanoseconds" => Value::Int(d),
            "Abs" => DurationValue::value(if d >= 0 {
                d
            } else if d == i64::MIN {
                i64::MAX
            } else {
                -d
            }),
            "Round" => DurationValue::value(duration_round(d, as_duration(&args[0])?)),
            "Truncate" => {
                let m = as_duration(&args[0])?;
                DurationValue::value(if m <= 0 { d } else { d - d % m })
            }
            _ => return Err(format!("no method {name}")),
        })
    }

    fn string(&self) -> Option<String> {
        Some(duration_string(self.0))
    }
}

impl GoObject for MonthValue {
    fn type_name(&self) -> &str {
        "time.Month"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn underlying(&self) -> Option<Value> {
        Some(Value::Int(self.0))
    }

    fn method(&self, name: &str) -> Option<Signature> {
        (name == "String").then(Signature::default)
    }

    fn call_method(&self, _name: &str, _args: &[Value]) -> Result<Value, String> {
        Ok(Value::from(self.string().unwrap_or_default()))
    }

    fn string(&self) -> Option<String> {
        Some(
            match usize::try_from(self.0 - 1)
                .ok()
                .and_then(|i| LONG_MONTHS.get(i))
            {
                Some(m) => (*m).to_string(),
                None => format!("%!Month({})", self.0),
            },
        )
    }
}

impl GoObject for WeekdayValue {
    fn type_name(&self) -> &str {
        "time.Weekday"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn underlying(&self) -> Option<Value> {
        Some(Value::Int(self.0))
    }

    fn method(&self, name: &str) -> Option<Signature> {
        (name == "String").then(Signature::default)
    }

    fn call_method(&self, _name: &str, _args: &[Value]) -> Result<Value, String> {
        Ok(Value::from(self.string().unwrap_or_default()))
    }

    fn string(&self) -> Option<String> {
        Some(
            match usize::try_from(self.0).ok().and_then(|i| LONG_DAYS.get(i)) {
                Some(d) => (*d).to_string(),
                None => format!("%!Weekday({})", self.0),
            },
        )
    }
}

impl GoObject for LocationValue {
    fn type_name(&self) -> &str {
        "*time.Location"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn method(&self, name: &str) -> Option<Signature> {
        (name == "String").then(Signature::default)
    }

    fn call_method(&self, _name: &str, _args: &[Value]) -> Result<Value, String> {
        Ok(Value::from(self.0.name()))
    }

    fn string(&self) -> Option<String> {
        Some(self.0.name().to_string())
    }

    fn equal(&self, other: &dyn GoObject) -> Option<bool> {
        let other = other.as_any().downcast_ref::<LocationValue>()?;
        Some(self.0 == other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{Template, Value};

    fn run(text: &str, dot: Value) -> String {
        let mut t = Template::new("t");
        t.parse(text).unwrap();
        t.execute_to_string("t", &dot)
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn methods_from_templates() {
        let t = TimeValue::value(GoTime {
            secs: 1_710_498_030,
            nsec: 5_000_000,
            loc: Loc::Utc,
        });
        assert_eq!(
            run(
                "{{.}}|{{.Unix}}|{{.Month}}|{{printf \"%d\" .Month}}|{{.Weekday}}|{{.Location}}",
                t.clone()
            ),
            "2024-03-15 10:20:30.005 +0000 UTC|1710498030|March|3|Friday|UTC"
        );
        assert_eq!(
            run(
                "{{.Add 1500000000}}|{{(.Add 3600000000000).Sub .}}|{{.IsZero}}",
                t.clone()
            ),
            "2024-03-15 10:20:31.505 +0000 UTC|1h0m0s|false"
        );
        assert_eq!(
            run("{{.UnixMilli}} {{.YearDay}} {{.GoString}}", t),
            "1710498030005 75 time.Date(2024, time.March, 15, 10, 20, 30, 5000000, time.UTC)"
        );
        let d = DurationValue::value(-5_400_000_000_000);
        assert_eq!(
            run(
                "{{.}} {{.Hours}} {{.Minutes}} {{.Abs}} {{printf \"%d\" .}} {{.Round 3600000000000}}",
                d
            ),
            "-1h30m0s -1.5 -90 1h30m0s -5400000000000 -2h0m0s"
        );
    }
}

#[cfg(test)]
mod extremes {
    use super::*;
    use crate::template::Template;

    /// Methods on extreme times and durations never panic.
    #[test]
    fn extreme_values_never_panic() {
        let texts = [
            "{{.}} {{.Unix}} {{.UnixNano}} {{.Year}} {{.YearDay}} {{.Weekday}} {{.Format \"Mon Jan _2 __2 2006 MST\"}}",
            "{{.Add 9223372036854775807}} {{.Add -9223372036854775808}} {{.Round 7}} {{.Truncate 3600000000000}}",
            "{{.AddDate 9223372036854775807 9223372036854775807 9223372036854775807}} {{.AddDate -9223372036854775808 0 -9223372036854775808}}",
            "{{(.Add 9223372036854775807).Sub (.Add -9223372036854775808)}}",
        ];
        let times = [
            i64::MIN,
            i64::MIN / 2,
            -62_135_596_800,
            0,
            i64::MAX / 2,
            i64::MAX,
        ];
        for secs in times {
            for loc in [Loc::Utc, Loc::load("Europe/Paris").unwrap()] {
                let v = TimeValue::value(GoTime {
                    secs,
                    nsec: 999_999_999,
                    loc,
                });
                for text in texts {
                    let mut t = Template::new("t");
                    t.parse(text).unwrap();
                    let _ = t.execute_to_string("t", &v);
                }
            }
        }
        for d in [i64::MIN, -1, 0, i64::MAX] {
            let v = DurationValue::value(d);
            let mut t = Template::new("t");
            t.parse("{{.}} {{.Hours}} {{.Abs}} {{.Round 3}} {{.Truncate -1}} {{.Round 9223372036854775807}}").unwrap();
            let _ = t.execute_to_string("t", &v);
        }
    }
}
