//! Hand-written JSON for the answers that carry every alert
//! (`GET /alerts` and `GET /alerts/groups`): the same bytes serde would
//! write for Alertmanager's `gettableAlert` and `alertGroup` models (field
//! order, omitted empty `generatorURL`, serde_json's string escaping), with
//! no intermediate structures. These answers are megabytes long during an
//! incident, exactly when they are asked for most.

use std::collections::BTreeMap;

use super::time;
use crate::alert::{Alert, LabelSet};

/// Appends `s` as a JSON string, escaped as serde_json escapes.
pub fn string(out: &mut String, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(&serde_json::to_string(s).expect("strings encode"));
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

fn strings<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    out.push('[');
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, s);
    }
    out.push(']');
}

fn pairs<'a>(out: &mut String, items: impl IntoIterator<Item = (&'a str, &'a str)>) {
    out.push('{');
    for (i, (k, v)) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, k);
        out.push(':');
        string(out, v);
    }
    out.push('}');
}

/// A label set as a JSON object.
pub fn label_set(out: &mut String, ls: &LabelSet) {
    pairs(out, ls.iter());
}

/// `{"name":"..."}`.
pub fn receiver(out: &mut String, name: &str) {
    out.push_str("{\"name\":");
    string(out, name);
    out.push('}');
}

/// An alert's `status` object.
pub struct StatusRef<'a> {
    pub inhibited_by: &'a [String],
    pub muted_by: &'a [String],
    pub silenced_by: &'a [String],
    pub state: &'a str,
}

/// A `gettableAlert`.
pub fn alert<'a>(
    out: &mut String,
    a: &Alert,
    receivers: impl IntoIterator<Item = &'a str>,
    status: &StatusRef,
) {
    out.push_str("{\"annotations\":");
    label_set(out, &a.annotations);
    out.push_str(",\"endsAt\":\"");
    match &a.ends_at {
        Some(t) => time::write(out, t),
        None => out.push_str("0001-01-01T00:00:00.000Z"),
    }
    out.push_str("\",\"fingerprint\":\"");
    out.push_str(&a.fingerprint().to_string());
    out.push_str("\",\"receivers\":[");
    for (i, r) in receivers.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        receiver(out, r);
    }
    out.push_str("],\"startsAt\":\"");
    time::write(out, &a.starts_at);
    out.push_str("\",\"status\":{\"inhibitedBy\":");
    strings(out, status.inhibited_by.iter().map(String::as_str));
    out.push_str(",\"mutedBy\":");
    strings(out, status.muted_by.iter().map(String::as_str));
    out.push_str(",\"silencedBy\":");
    strings(out, status.silenced_by.iter().map(String::as_str));
    out.push_str(",\"state\":");
    string(out, status.state);
    out.push_str("},\"updatedAt\":\"");
    time::write(out, &a.updated_at);
    out.push('"');
    if !a.generator_url.is_empty() {
        out.push_str(",\"generatorURL\":");
        string(out, &a.generator_url);
    }
    out.push_str(",\"labels\":");
    label_set(out, &a.labels);
    out.push('}');
}

/// The fields of an `alertGroup` after its `alerts` array.
pub fn group_tail(
    out: &mut String,
    labels: &LabelSet,
    receiver_name: &str,
    route_labels: &BTreeMap<String, String>,
) {
    out.push_str(",\"labels\":");
    label_set(out, labels);
    out.push_str(",\"receiver\":");
    receiver(out, receiver_name);
    out.push_str(",\"routeLabels\":");
    pairs(
        out,
        route_labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for s in [
            "",
            "plain",
            "quote \" and backslash \\",
            "newline\n tab\t cr\r",
            "\u{1}\u{1f}\u{7f}",
            "<html> & 'single' ünïcödé 🚨",
            "\u{2028}\u{2029}",
        ] {
            let mut out = String::new();
            string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn label_sets_are_objects_in_name_order() {
        let ls = LabelSet::from_pairs([("b", "2"), ("a", "1\"")]);
        let mut out = String::new();
        label_set(&mut out, &ls);
        assert_eq!(out, serde_json::to_string(&ls).unwrap());
        assert_eq!(out, r#"{"a":"1\"","b":"2"}"#);
    }

    // Alertmanager's models written with serde: what the encoder must match.
    #[derive(serde::Serialize)]
    struct ReceiverRef<'a> {
        name: &'a str,
    }

    #[derive(serde::Serialize)]
    struct AlertStatus {
        #[serde(rename = "inhibitedBy")]
        inhibited_by: Vec<String>,
        #[serde(rename = "mutedBy")]
        muted_by: Vec<String>,
        #[serde(rename = "silencedBy")]
        silenced_by: Vec<String>,
        state: &'static str,
    }

    /// `gettableAlert`.
    #[derive(serde::Serialize)]
    struct GettableAlert<'a> {
        annotations: &'a LabelSet,
        #[serde(rename = "endsAt")]
        ends_at: String,
        fingerprint: String,
        receivers: Vec<ReceiverRef<'a>>,
        #[serde(rename = "startsAt")]
        starts_at: String,
        status: AlertStatus,
        #[serde(rename = "updatedAt")]
        updated_at: String,
        #[serde(rename = "generatorURL", skip_serializing_if = "str::is_empty")]
        generator_url: &'a str,
        labels: &'a LabelSet,
    }

    /// `alertGroup`.
    #[derive(serde::Serialize)]
    struct AlertGroup<'a> {
        alerts: Vec<GettableAlert<'a>>,
        labels: LabelSet,
        receiver: ReceiverRef<'a>,
        #[serde(rename = "routeLabels")]
        route_labels: &'a BTreeMap<String, String>,
    }

    fn oracle(a: &Alert, receivers: &[&str], silenced: &[String]) -> String {
        let g = GettableAlert {
            annotations: &a.annotations,
            ends_at: a
                .ends_at
                .as_ref()
                .map_or("0001-01-01T00:00:00.000Z".into(), time::format),
            fingerprint: a.fingerprint().to_string(),
            receivers: receivers.iter().map(|name| ReceiverRef { name }).collect(),
            starts_at: time::format(&a.starts_at),
            status: AlertStatus {
                inhibited_by: vec!["0123456789abcdef".into()],
                muted_by: vec![],
                silenced_by: silenced.to_vec(),
                state: "suppressed",
            },
            updated_at: time::format(&a.updated_at),
            generator_url: &a.generator_url,
            labels: &a.labels,
        };
        let route_labels = BTreeMap::from([("team".to_string(), "a\"b".to_string())]);
        let group = AlertGroup {
            alerts: vec![g],
            labels: a.labels.filter(|n| n == "alertname"),
            receiver: ReceiverRef { name: receivers[0] },
            route_labels: &route_labels,
        };
        serde_json::to_string(&group).unwrap()
    }

    #[test]
    fn alerts_and_groups_match_the_serde_models() {
        use chrono::TimeZone;
        let t = |s| chrono::Utc.timestamp_opt(s, 123_456_789).unwrap();
        for (ends_at, url, annotations) in [
            (
                Some(t(1_800_000_000)),
                "http://prom/graph?g0.expr=up",
                vec![("summary", "x \"y\"\n")],
            ),
            (None, "", vec![]),
        ] {
            let a = Alert {
                labels: LabelSet::from_pairs([
                    ("alertname", "Down"),
                    ("instance", "h:9100"),
                    ("é", "\u{1}"),
                ]),
                annotations: LabelSet::from_pairs(annotations),
                starts_at: t(1_700_000_000),
                ends_at,
                updated_at: t(1_700_000_100),
                generator_url: url.into(),
                timeout: false,
            };
            let silenced = vec!["s1".to_string(), "s2".to_string()];
            let mut out = String::from("{\"alerts\":[");
            alert(
                &mut out,
                &a,
                ["default", "pager"],
                &StatusRef {
                    inhibited_by: &["0123456789abcdef".to_string()],
                    muted_by: &[],
                    silenced_by: &silenced,
                    state: "suppressed",
                },
            );
            out.push(']');
            let route_labels = BTreeMap::from([("team".to_string(), "a\"b".to_string())]);
            group_tail(
                &mut out,
                &a.labels.filter(|n| n == "alertname"),
                "default",
                &route_labels,
            );
            assert_eq!(out, oracle(&a, &["default", "pager"], &silenced));
        }
    }
}
