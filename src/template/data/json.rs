//! JSON for template data: Go's `json.Marshal` of template values (the
//! `toJson` function) and Go's `json.Unmarshal` of a `template.Data`
//! (amtool's `--template.data`).

use std::sync::Arc;

use super::{Alert, AlertObj, Alerts, AlertsObj, Data, DataObj, Kv, KvObj};
use crate::template::gotime::{DurationValue, GoTime, Loc, RFC3339_NANO, TimeValue};
use crate::template::{GoObject, Value};

/// Encodes a template value the way Go's `json.Marshal` encodes the Go value
/// behind it (struct fields by their JSON tags, map keys sorted, times as
/// RFC 3339, `<`, `>`, `&` escaped).
pub fn to_json(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    encode(&mut out, v)?;
    Ok(out)
}

/// Go's string encoding with HTML escaping.
pub fn encode_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xF)]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's float64 encoding (`strconv.AppendFloat` with 'f' or, for very
/// large or small magnitudes, 'e' with a cleaned-up exponent).
fn encode_float(out: &mut String, f: f64) -> Result<(), String> {
    if !f.is_finite() {
        return Err(format!(
            "json: unsupported value: {}",
            crate::template::fmt::format_float(f, 'g', -1)
        ));
    }
    let abs = f.abs();
    let fmt = if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        'e'
    } else {
        'f'
    };
    let mut s = crate::template::fmt::format_float(f, fmt, -1);
    if fmt == 'e' {
        // clean up e-09 to e-9
        let n = s.len();
        let b = s.as_bytes();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            s.remove(n - 2);
        }
    }
    out.push_str(&s);
    Ok(())
}

fn encode_kv(out: &mut String, kv: &KvObj) {
    if kv.nil {
        out.push_str("null");
        return;
    }
    out.push('{');
    for (i, (k, v)) in kv.map.entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        encode_str(out, k);
        out.push(':');
        encode_str(out, v.as_str().unwrap_or_default());
    }
    out.push('}');
}

fn encode_time(out: &mut String, t: &GoTime) -> Result<(), String> {
    let (y, _, _) = t.date();
    if !(0..=9999).contains(&y) {
        return Err(
            "json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: year outside of range [0,9999]"
                .into(),
        );
    }
    out.push('"');
    out.push_str(&t.format(RFC3339_NANO));
    out.push('"');
    Ok(())
}

fn encode_alert(out: &mut String, a: &Alert) -> Result<(), String> {
    out.push_str("{\"status\":");
    encode_str(out, &a.status);
    out.push_str(",\"labels\":");
    encode_kv(out, &a.labels.0);
    out.push_str(",\"annotations\":");
    encode_kv(out, &a.annotations.0);
    out.push_str(",\"startsAt\":");
    encode_time(out, &a.starts_at)?;
    out.push_str(",\"endsAt\":");
    encode_time(out, &a.ends_at)?;
    out.push_str(",\"generatorURL\":");
    encode_str(out, &a.generator_url);
    out.push_str(",\"fingerprint\":");
    encode_str(out, &a.fingerprint);
    out.push('}');
    Ok(())
}

fn encode_data(out: &mut String, d: &Data) -> Result<(), String> {
    out.push_str("{\"receiver\":");
    encode_str(out, &d.receiver);
    out.push_str(",\"status\":");
    encode_str(out, &d.status);
    out.push_str(",\"alerts\":");
    encode(out, &d.alerts.value())?;
    out.push_str(",\"notification_reason\":");
    encode_str(out, &d.notification_reason);
    out.push_str(",\"groupLabels\":");
    encode_kv(out, &d.group_labels.0);
    out.push_str(",\"commonLabels\":");
    encode_kv(out, &d.common_labels.0);
    out.push_str(",\"commonAnnotations\":");
    encode_kv(out, &d.common_annotations.0);
    out.push_str(",\"routeLabels\":");
    encode_kv(out, &d.route_labels.0);
    out.push_str(",\"externalURL\":");
    encode_str(out, &d.external_url);
    out.push('}');
    Ok(())
}

fn encode_object(out: &mut String, o: &dyn GoObject) -> Result<(), String> {
    let any = o.as_any();
    if let Some(kv) = any.downcast_ref::<KvObj>() {
        encode_kv(out, kv);
    } else if let Some(a) = any.downcast_ref::<AlertObj>() {
        encode_alert(out, &a.0)?;
    } else if let Some(a) = any.downcast_ref::<AlertsObj>() {
        if a.nil {
            out.push_str("null");
        } else {
            encode(out, &a.slice)?;
        }
    } else if let Some(d) = any.downcast_ref::<DataObj>() {
        encode_data(out, &d.data)?;
    } else if let Some(t) = any.downcast_ref::<TimeValue>() {
        encode_time(out, &t.0)?;
    } else if let Some(d) = any.downcast_ref::<DurationValue>() {
        out.push_str(&d.0.to_string());
    } else if let Some(u) = o.underlying() {
        encode(out, &u)?;
    } else {
        out.push('{');
        for (i, (name, v)) in o.fields().into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            encode_str(out, name);
            out.push(':');
            encode(out, &v)?;
        }
        out.push('}');
    }
    Ok(())
}

/// Appends the JSON encoding of `v`.
pub fn encode(out: &mut String, v: &Value) -> Result<(), String> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Uint(u) => out.push_str(&u.to_string()),
        Value::Float(f) => encode_float(out, *f)?,
        Value::String(s) => encode_str(out, s),
        Value::Slice(s) => {
            out.push('[');
            for (i, item) in s.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode(out, item)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_str(out, k);
                out.push(':');
                encode(out, item)?;
            }
            out.push('}');
        }
        Value::Object(o) => encode_object(out, o.as_ref())?,
        Value::Func(f) => {
            return Err(format!("json: unsupported type: {}", f.type_name));
        }
    }
    Ok(())
}

/// Reads `template.Data` from JSON the way Go's `json.Unmarshal` fills the
/// struct (field names matched case-insensitively, unknown fields ignored,
/// times in RFC 3339), as amtool's `--template.data` does.
pub fn data_from_json(text: &str) -> Result<Data, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut d = Data::default();
    let serde_json::Value::Object(obj) = v else {
        if v.is_null() {
            return Ok(d);
        }
        return Err(format!(
            "json: cannot unmarshal {} into Go value of type template.Data",
            json_kind(&v)
        ));
    };
    for (key, val) in &obj {
        let field = |name: &str| key.eq_ignore_ascii_case(name);
        let at = |f: &str| format!("Data.{f}");
        if field("receiver") {
            d.receiver = json_string(val, &at("receiver"))?.unwrap_or(d.receiver);
        } else if field("status") {
            d.status = json_string(val, &at("status"))?.unwrap_or(d.status);
        } else if field("alerts") {
            d.alerts = json_alerts(val)?;
        } else if field("notification_reason") {
            d.notification_reason =
                json_string(val, &at("notification_reason"))?.unwrap_or(d.notification_reason);
        } else if field("groupLabels") {
            d.group_labels = json_kv(val, &at("groupLabels"))?;
        } else if field("commonLabels") {
            d.common_labels = json_kv(val, &at("commonLabels"))?;
        } else if field("commonAnnotations") {
            d.common_annotations = json_kv(val, &at("commonAnnotations"))?;
        } else if field("routeLabels") {
            d.route_labels = json_kv(val, &at("routeLabels"))?;
        } else if field("externalURL") {
            d.external_url = json_string(val, &at("externalURL"))?.unwrap_or(d.external_url);
        }
    }
    Ok(d)
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

fn type_error(v: &serde_json::Value, field: &str, ty: &str) -> String {
    format!(
        "json: cannot unmarshal {} into Go struct field {field} of type {ty}",
        json_kind(v)
    )
}

fn json_string(v: &serde_json::Value, field: &str) -> Result<Option<Arc<str>>, String> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => Ok(Some(Arc::from(s.as_str()))),
        other => Err(type_error(other, field, "string")),
    }
}

fn json_kv(v: &serde_json::Value, field: &str) -> Result<Kv, String> {
    match v {
        serde_json::Value::Null => Ok(Kv::nil()),
        serde_json::Value::Object(o) => {
            let mut pairs = Vec::with_capacity(o.len());
            for (k, v) in o {
                let s = json_string(v, field)?.unwrap_or_else(|| Arc::from(""));
                pairs.push((k.clone(), s));
            }
            Ok(Kv::from_pairs(pairs))
        }
        other => Err(type_error(other, field, "template.KV")),
    }
}

fn json_time(v: &serde_json::Value, field: &str) -> Result<GoTime, String> {
    match v {
        serde_json::Value::Null => Ok(GoTime::zero()),
        serde_json::Value::String(s) => crate::template::gotime::parse::parse(
            "2006-01-02T15:04:05Z07:00",
            s,
            &Loc::Utc,
            &Loc::Local,
        ),
        other => Err(type_error(other, field, "time.Time")),
    }
}

fn json_alerts(v: &serde_json::Value) -> Result<Alerts, String> {
    let items = match v {
        serde_json::Value::Null => return Ok(Alerts::nil()),
        serde_json::Value::Array(a) => a,
        other => return Err(type_error(other, "Data.alerts", "template.Alerts")),
    };
    let mut alerts = Vec::with_capacity(items.len());
    for item in items {
        let mut a = Alert {
            status: Arc::from(""),
            labels: Kv::nil(),
            annotations: Kv::nil(),
            starts_at: GoTime::zero(),
            ends_at: GoTime::zero(),
            generator_url: Arc::from(""),
            fingerprint: Arc::from(""),
        };
        match item {
            serde_json::Value::Null => {}
            serde_json::Value::Object(o) => {
                for (key, val) in o {
                    let field = |name: &str| key.eq_ignore_ascii_case(name);
                    let at = |f: &str| format!("Data.alerts.{f}");
                    if field("status") {
                        a.status = json_string(val, &at("status"))?.unwrap_or(a.status);
                    } else if field("labels") {
                        a.labels = json_kv(val, &at("labels"))?;
                    } else if field("annotations") {
                        a.annotations = json_kv(val, &at("annotations"))?;
                    } else if field("startsAt") {
                        a.starts_at = json_time(val, &at("startsAt"))?;
                    } else if field("endsAt") {
                        a.ends_at = json_time(val, &at("endsAt"))?;
                    } else if field("generatorURL") {
                        a.generator_url =
                            json_string(val, &at("generatorURL"))?.unwrap_or(a.generator_url);
                    } else if field("fingerprint") {
                        a.fingerprint =
                            json_string(val, &at("fingerprint"))?.unwrap_or(a.fingerprint);
                    }
                }
            }
            other => return Err(type_error(other, "Data.alerts", "template.Alert")),
        }
        alerts.push(a);
    }
    Ok(Alerts::new(alerts))
}
