//! Alertmanager's template data (`template.Data`) as typed template values.
//!
//! [`Data`], [`Alert`], [`Alerts`], [`Kv`], `Pairs`, `Pair` and `Strings`
//! behave like the Go types of the same names in Alertmanager 0.34: field
//! names, method sets (`.Alerts.Firing`, `.Labels.SortedPairs`,
//! `.CommonLabels.Remove`, `.Names.Join`), `String()` methods, type names in
//! error messages, typed `missingkey=zero` (a missing label is `""`) and JSON
//! encoding. [`Data::new`] assembles the data from Tocsin's alerts the way
//! Alertmanager's `Template.Data` does.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::gotime::{GoTime, TimeValue};
use super::value::Map;
use super::{ElemType, GoObject, Signature, Type, Value};

mod json;

use crate::alert::{Alert as StoredAlert, LabelSet, Timestamp};
pub use json::{data_from_json, to_json};

/// `template.KV`: a `map[string]string` with methods.
#[derive(Clone)]
pub struct Kv(Arc<KvObj>);

struct KvObj {
    map: Arc<Map>,
    nil: bool,
}

fn string_map(entries: BTreeMap<String, Value>) -> Arc<Map> {
    Arc::new(Map {
        elem: ElemType::String,
        entries,
    })
}

impl Kv {
    /// A KV from name/value pairs.
    pub fn from_pairs<K: Into<String>, V: Into<Arc<str>>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Kv {
        let entries = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), Value::String(v.into())))
            .collect();
        Kv(Arc::new(KvObj {
            map: string_map(entries),
            nil: false,
        }))
    }

    /// A KV holding a label set.
    pub fn from_labels(ls: &LabelSet) -> Kv {
        Kv::from_pairs(ls.iter())
    }

    /// An empty, non-nil KV (`KV{}`).
    pub fn empty() -> Kv {
        Kv::from_pairs(std::iter::empty::<(String, String)>())
    }

    /// A nil KV: empty, but `null` in JSON.
    pub fn nil() -> Kv {
        Kv(Arc::new(KvObj {
            map: string_map(BTreeMap::new()),
            nil: true,
        }))
    }

    /// Whether this is a nil map.
    pub fn is_nil(&self) -> bool {
        self.0.nil
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.map.entries.get(name).and_then(Value::as_str)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.map.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.map.entries.is_empty()
    }

    /// Entries in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.0
            .map
            .entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
    }

    /// Entries in `SortedPairs` order: `alertname` first, then by name.
    pub fn sorted_pairs(&self) -> Vec<(Arc<str>, Arc<str>)> {
        let mut out = Vec::with_capacity(self.len());
        let value = |v: &Value| match v {
            Value::String(s) => s.clone(),
            _ => Arc::from(""),
        };
        if let Some(v) = self.0.map.entries.get("alertname") {
            out.push((Arc::from("alertname"), value(v)));
        }
        for (k, v) in &self.0.map.entries {
            if k != "alertname" {
                out.push((Arc::from(k.as_str()), value(v)));
            }
        }
        out
    }

    /// `KV.String()`: `name=value, name2=value2` in sorted-pairs order.
    pub fn to_go_string(&self) -> String {
        pairs_string(&self.sorted_pairs())
    }

    /// The template value.
    pub fn value(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

fn pairs_string(pairs: &[(Arc<str>, Arc<str>)]) -> String {
    let mut s = String::new();
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(n);
        s.push('=');
        s.push_str(v);
    }
    s
}

fn strings_value(items: impl IntoIterator<Item = Arc<str>>) -> Value {
    Value::object(StringsObj(Value::string_slice(items)))
}

impl GoObject for KvObj {
    fn type_name(&self) -> &str {
        "template.KV"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn underlying(&self) -> Option<Value> {
        Some(Value::Map(self.map.clone()))
    }

    fn method(&self, name: &str) -> Option<Signature> {
        Some(match name {
            "SortedPairs" | "Names" | "Values" | "String" => Signature::default(),
            "Remove" => Signature::new(vec![Type::named("[]string", true)]),
            _ => return None,
        })
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let kv = Kv(Arc::new(KvObj {
            map: self.map.clone(),
            nil: self.nil,
        }));
        Ok(match name {
            "SortedPairs" => pairs_value(kv.sorted_pairs()),
            "Names" => strings_value(kv.sorted_pairs().into_iter().map(|(n, _)| n)),
            "Values" => strings_value(kv.sorted_pairs().into_iter().map(|(_, v)| v)),
            "String" => Value::from(kv.to_go_string()),
            "Remove" => {
                let remove: Vec<&str> = match args.first() {
                    Some(Value::Slice(s)) => s.items.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                let entries = self
                    .map
                    .entries
                    .iter()
                    .filter(|(k, _)| !remove.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Value::Object(Arc::new(KvObj {
                    map: string_map(entries),
                    nil: false,
                }))
            }
            _ => return Err(format!("no method {name}")),
        })
    }

    fn string(&self) -> Option<String> {
        let kv = Kv(Arc::new(KvObj {
            map: self.map.clone(),
            nil: self.nil,
        }));
        Some(kv.to_go_string())
    }
}

/// `template.Pairs`: a `[]template.Pair` with `Names`, `Values`, `String`.
struct PairsObj {
    pairs: Vec<(Arc<str>, Arc<str>)>,
    slice: Value,
}

fn pairs_value(pairs: Vec<(Arc<str>, Arc<str>)>) -> Value {
    let items = pairs
        .iter()
        .map(|(n, v)| {
            Value::object(PairObj {
                name: n.clone(),
                value: v.clone(),
            })
        })
        .collect();
    Value::object(PairsObj {
        slice: Value::typed_slice(ElemType::Named(Arc::from("template.Pair")), items),
        pairs,
    })
}

impl GoObject for PairsObj {
    fn type_name(&self) -> &str {
        "template.Pairs"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn underlying(&self) -> Option<Value> {
        Some(self.slice.clone())
    }

    fn method(&self, name: &str) -> Option<Signature> {
        matches!(name, "Names" | "Values" | "String").then(Signature::default)
    }

    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        Ok(match name {
            "Names" => strings_value(self.pairs.iter().map(|(n, _)| n.clone())),
            "Values" => strings_value(self.pairs.iter().map(|(_, v)| v.clone())),
            "String" => Value::from(pairs_string(&self.pairs)),
            _ => return Err(format!("no method {name}")),
        })
    }

    fn string(&self) -> Option<String> {
        Some(pairs_string(&self.pairs))
    }
}

/// `template.Pair`: a struct `{Name, Value string}`.
struct PairObj {
    name: Arc<str>,
    value: Arc<str>,
}

impl GoObject for PairObj {
    fn type_name(&self) -> &str {
        "template.Pair"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Name" => Some(Value::String(self.name.clone())),
            "Value" => Some(Value::String(self.value.clone())),
            _ => None,
        }
    }

    fn fields(&self) -> Vec<(&str, Value)> {
        vec![
            ("Name", Value::String(self.name.clone())),
            ("Value", Value::String(self.value.clone())),
        ]
    }

    fn equal(&self, other: &dyn GoObject) -> Option<bool> {
        let o = other.as_any().downcast_ref::<PairObj>()?;
        Some(self.name == o.name && self.value == o.value)
    }
}

/// `template.Strings`: a `[]string` with a `Join` method.
struct StringsObj(Value);

impl GoObject for StringsObj {
    fn type_name(&self) -> &str {
        "template.Strings"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn underlying(&self) -> Option<Value> {
        Some(self.0.clone())
    }

    fn method(&self, name: &str) -> Option<Signature> {
        (name == "Join").then(|| Signature::new(vec![Type::String]))
    }

    fn call_method(&self, _name: &str, args: &[Value]) -> Result<Value, String> {
        let sep = args.first().and_then(Value::as_str).unwrap_or_default();
        let items: Vec<&str> = match &self.0 {
            Value::Slice(s) => s.items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        Ok(Value::from(items.join(sep)))
    }
}

/// `template.Alert`: one alert of a notification.
#[derive(Clone)]
pub struct Alert {
    /// `firing` or `resolved`.
    pub status: Arc<str>,
    /// The alert's labels.
    pub labels: Kv,
    /// The alert's annotations.
    pub annotations: Kv,
    /// Start time.
    pub starts_at: GoTime,
    /// End time (the zero time for firing alerts).
    pub ends_at: GoTime,
    /// Link to the alert's source.
    pub generator_url: Arc<str>,
    /// The label set's fingerprint, 16 hex digits.
    pub fingerprint: Arc<str>,
}

impl Alert {
    fn fields(&self) -> [(&'static str, Value); 7] {
        [
            ("Status", Value::String(self.status.clone())),
            ("Labels", self.labels.value()),
            ("Annotations", self.annotations.value()),
            ("StartsAt", TimeValue::value(self.starts_at.clone())),
            ("EndsAt", TimeValue::value(self.ends_at.clone())),
            ("GeneratorURL", Value::String(self.generator_url.clone())),
            ("Fingerprint", Value::String(self.fingerprint.clone())),
        ]
    }
}

struct AlertObj(Alert);

impl GoObject for AlertObj {
    fn type_name(&self) -> &str {
        "template.Alert"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn field(&self, name: &str) -> Option<Value> {
        let a = &self.0;
        Some(match name {
            "Status" => Value::String(a.status.clone()),
            "Labels" => a.labels.value(),
            "Annotations" => a.annotations.value(),
            "StartsAt" => TimeValue::value(a.starts_at.clone()),
            "EndsAt" => TimeValue::value(a.ends_at.clone()),
            "GeneratorURL" => Value::String(a.generator_url.clone()),
            "Fingerprint" => Value::String(a.fingerprint.clone()),
            _ => return None,
        })
    }

    fn fields(&self) -> Vec<(&str, Value)> {
        self.0.fields().into_iter().collect()
    }
}

/// `template.Alerts`: a `[]template.Alert` with `Firing` and `Resolved`.
#[derive(Clone)]
pub struct Alerts(Arc<AlertsObj>);

struct AlertsObj {
    alerts: Vec<Alert>,
    slice: Value,
    nil: bool,
}

const ALERT_TYPE: &str = "template.Alert";

fn alert_slice<'a>(alerts: impl IntoIterator<Item = &'a Alert>) -> Value {
    Value::typed_slice(
        ElemType::Named(Arc::from(ALERT_TYPE)),
        alerts
            .into_iter()
            .map(|a| Value::object(AlertObj(a.clone())))
            .collect(),
    )
}

impl Alerts {
    /// A list of alerts.
    pub fn new(alerts: Vec<Alert>) -> Alerts {
        Alerts(Arc::new(AlertsObj {
            slice: alert_slice(&alerts),
            alerts,
            nil: false,
        }))
    }

    /// A nil list (`null` in JSON).
    pub fn nil() -> Alerts {
        Alerts(Arc::new(AlertsObj {
            alerts: Vec::new(),
            slice: alert_slice(&[]),
            nil: true,
        }))
    }

    /// The alerts.
    pub fn alerts(&self) -> &[Alert] {
        &self.0.alerts
    }

    /// The template value.
    pub fn value(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

impl GoObject for AlertsObj {
    fn type_name(&self) -> &str {
        "template.Alerts"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn underlying(&self) -> Option<Value> {
        Some(self.slice.clone())
    }

    fn method(&self, name: &str) -> Option<Signature> {
        matches!(name, "Firing" | "Resolved").then(Signature::default)
    }

    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        let want = match name {
            "Firing" => "firing",
            "Resolved" => "resolved",
            _ => return Err(format!("no method {name}")),
        };
        Ok(alert_slice(
            self.alerts.iter().filter(|a| &*a.status == want),
        ))
    }
}

/// `template.Data`: what notification templates execute against.
#[derive(Clone)]
pub struct Data {
    /// The receiver name, `regexp.QuoteMeta`'d.
    pub receiver: Arc<str>,
    /// `firing` if any alert fires, else `resolved`.
    pub status: Arc<str>,
    /// The alerts.
    pub alerts: Alerts,
    /// Why the notification is sent (Alertmanager 0.32+).
    pub notification_reason: Arc<str>,
    /// The group's labels.
    pub group_labels: Kv,
    /// Labels shared by all alerts.
    pub common_labels: Kv,
    /// Annotations shared by all alerts.
    pub common_annotations: Kv,
    /// The route's `labels` (Alertmanager 0.34+), possibly templates.
    pub route_labels: Kv,
    /// Alertmanager's external URL.
    pub external_url: Arc<str>,
    /// Whether `route_labels` are already rendered (`routeLabels` then
    /// returns them verbatim).
    pub route_labels_rendered: bool,
}

impl Default for Data {
    /// Go's zero `template.Data`: empty strings and nil maps and lists.
    fn default() -> Data {
        Data {
            receiver: Arc::from(""),
            status: Arc::from(""),
            alerts: Alerts::nil(),
            notification_reason: Arc::from(""),
            group_labels: Kv::nil(),
            common_labels: Kv::nil(),
            common_annotations: Kv::nil(),
            route_labels: Kv::nil(),
            external_url: Arc::from(""),
            route_labels_rendered: false,
        }
    }
}

/// The labels (or annotations) equal across all sets: Alertmanager starts
/// from the first set and drops every name whose value differs elsewhere.
fn common<'a>(sets: impl Iterator<Item = &'a LabelSet>) -> Vec<(&'a str, &'a str)> {
    let mut sets = sets;
    let Some(first) = sets.next() else {
        return Vec::new();
    };
    let mut common: Vec<(&str, &str)> = first.iter().collect();
    for s in sets {
        if common.is_empty() {
            break;
        }
        common.retain(|(n, v)| s.get(n) == Some(v));
    }
    common
}

impl Data {
    /// Alertmanager's `Template.Data(receiver, groupLabels, routeLabels,
    /// reason, alerts...)`: the receiver is `QuoteMeta`'d, alerts resolved at
    /// `now` are `resolved` and the others `firing` with a zero end time,
    /// and the common labels and annotations are those all alerts share.
    pub fn new(
        receiver: &str,
        group_labels: &LabelSet,
        route_labels: &LabelSet,
        notification_reason: &str,
        alerts: &[StoredAlert],
        external_url: &str,
        now: Timestamp,
    ) -> Data {
        let list: Vec<Alert> = alerts
            .iter()
            .map(|a| {
                let resolved = a.resolved_at(now);
                Alert {
                    status: Arc::from(if resolved { "resolved" } else { "firing" }),
                    labels: Kv::from_labels(&a.labels),
                    annotations: Kv::from_labels(&a.annotations),
                    starts_at: GoTime::from_utc(&a.starts_at),
                    ends_at: match (resolved, a.ends_at) {
                        (true, Some(e)) => GoTime::from_utc(&e),
                        _ => GoTime::zero(),
                    },
                    generator_url: a.generator_url.clone(),
                    fingerprint: Arc::from(a.fingerprint().to_string()),
                }
            })
            .collect();
        let firing = list.iter().any(|a| &*a.status == "firing");
        Data {
            receiver: Arc::from(crate::matcher::quote_meta(receiver)),
            status: Arc::from(if firing { "firing" } else { "resolved" }),
            alerts: Alerts::new(list),
            notification_reason: Arc::from(notification_reason),
            group_labels: Kv::from_labels(group_labels),
            common_labels: Kv::from_pairs(common(alerts.iter().map(|a| &a.labels))),
            common_annotations: Kv::from_pairs(common(alerts.iter().map(|a| &a.annotations))),
            route_labels: Kv::from_labels(route_labels),
            external_url: Arc::from(external_url),
            route_labels_rendered: false,
        }
    }

    /// amtool's sample data for `template render` (`defaultData` in its
    /// `cli/template_render.go`), with its times relative to `now`.
    pub fn amtool_sample(now: &GoTime) -> Data {
        let minute = 60_000_000_000;
        let alert = |status: &str,
                     labels: &[(&str, &str)],
                     annotations: &[(&str, &str)],
                     starts: GoTime,
                     fingerprint: &str| Alert {
            status: status.into(),
            labels: Kv::from_pairs(labels.iter().copied()),
            annotations: Kv::from_pairs(annotations.iter().copied()),
            starts_at: starts,
            ends_at: now.clone(),
            generator_url: "https://generatorurl.com".into(),
            fingerprint: fingerprint.into(),
        };
        Data {
            receiver: "receiver".into(),
            status: "alertstatus".into(),
            alerts: Alerts::new(vec![
                alert(
                    "firing",
                    &[
                        ("label1", "value1"),
                        ("label2", "value2"),
                        ("instance", "foo.bar:1234"),
                        ("commonlabelkey1", "commonlabelvalue1"),
                        ("commonlabelkey2", "commonlabelvalue2"),
                    ],
                    &[
                        ("annotation1", "value1"),
                        ("annotation2", "value2"),
                        ("commonannotationkey1", "commonannotationvalue1"),
                        ("commonannotationkey2", "commonannotationvalue2"),
                    ],
                    now.add(-5 * minute),
                    "fingerprint1",
                ),
                alert(
                    "resolved",
                    &[
                        ("foo", "bar"),
                        ("baz", "qux"),
                        ("commonlabelkey1", "commonlabelvalue1"),
                        ("commonlabelkey2", "commonlabelvalue2"),
                    ],
                    &[
                        ("aaa", "bbb"),
                        ("ccc", "ddd"),
                        ("commonannotationkey1", "commonannotationvalue1"),
                        ("commonannotationkey2", "commonannotationvalue2"),
                    ],
                    now.add(-10 * minute),
                    "fingerprint2",
                ),
            ]),
            notification_reason: "".into(),
            group_labels: Kv::from_pairs([
                ("grouplabelkey1", "grouplabelvalue1"),
                ("grouplabelkey2", "grouplabelvalue2"),
            ]),
            common_labels: Kv::from_pairs([
                ("commonlabelkey1", "commonlabelvalue1"),
                ("commonlabelkey2", "commonlabelvalue2"),
            ]),
            common_annotations: Kv::from_pairs([
                ("commonannotationkey1", "commonannotationvalue1"),
                ("commonannotationkey2", "commonannotationvalue2"),
            ]),
            route_labels: Kv::nil(),
            external_url: "https://example.com".into(),
            route_labels_rendered: false,
        }
    }

    /// The template value of a `*template.Data`, as Alertmanager's
    /// notifiers pass it.
    pub fn value(&self) -> Value {
        Value::object(DataObj {
            data: self.clone(),
            pointer: true,
        })
    }

    /// The template value of a `template.Data` (not a pointer), as amtool's
    /// `template render` passes it (only error messages differ).
    pub fn struct_value(&self) -> Value {
        Value::object(DataObj {
            data: self.clone(),
            pointer: false,
        })
    }

    /// The `Data` inside a template value made by [`Data::value`] or
    /// [`Data::struct_value`].
    pub fn from_value(v: &Value) -> Option<&Data> {
        match v {
            Value::Object(o) => o.as_any().downcast_ref::<DataObj>().map(|d| &d.data),
            _ => None,
        }
    }
}

struct DataObj {
    data: Data,
    pointer: bool,
}

impl GoObject for DataObj {
    fn type_name(&self) -> &str {
        if self.pointer {
            "*template.Data"
        } else {
            "template.Data"
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn field(&self, name: &str) -> Option<Value> {
        let d = &self.data;
        Some(match name {
            "Receiver" => Value::String(d.receiver.clone()),
            "Status" => Value::String(d.status.clone()),
            "Alerts" => d.alerts.value(),
            "NotificationReason" => Value::String(d.notification_reason.clone()),
            "GroupLabels" => d.group_labels.value(),
            "CommonLabels" => d.common_labels.value(),
            "CommonAnnotations" => d.common_annotations.value(),
            "RouteLabels" => d.route_labels.value(),
            "ExternalURL" => Value::String(d.external_url.clone()),
            _ => return None,
        })
    }

    fn fields(&self) -> Vec<(&str, Value)> {
        const NAMES: [&str; 9] = [
            "Receiver",
            "Status",
            "Alerts",
            "NotificationReason",
            "GroupLabels",
            "CommonLabels",
            "CommonAnnotations",
            "RouteLabels",
            "ExternalURL",
        ];
        // fmt also prints the unexported `routeLabelsRendered` field.
        let mut fields: Vec<(&str, Value)> = NAMES
            .iter()
            .map(|n| (*n, self.field(n).unwrap_or_default()))
            .collect();
        fields.push((
            "routeLabelsRendered",
            Value::Bool(self.data.route_labels_rendered),
        ));
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Template;
    use chrono::TimeZone;

    fn ts(s: i64) -> Timestamp {
        chrono::Utc.timestamp_opt(s, 0).unwrap()
    }

    fn alert(labels: &[(&str, &str)], ann: &[(&str, &str)], ends: Option<i64>) -> StoredAlert {
        StoredAlert {
            labels: LabelSet::from_pairs(labels.iter().copied()),
            annotations: LabelSet::from_pairs(ann.iter().copied()),
            starts_at: ts(1_000),
            ends_at: ends.map(ts),
            updated_at: ts(1_000),
            generator_url: "http://gen/x".into(),
            timeout: false,
        }
    }

    fn sample() -> Data {
        let alerts = [
            alert(
                &[("alertname", "A"), ("job", "x"), ("sev", "crit")],
                &[("summary", "s1"), ("team", "t")],
                Some(5_000),
            ),
            alert(
                &[("alertname", "A"), ("job", "x"), ("sev", "warn")],
                &[("summary", "s2"), ("team", "t")],
                Some(1_500),
            ),
        ];
        Data::new(
            "team.a (x)",
            &LabelSet::from_pairs([("alertname", "A")]),
            &LabelSet::empty(),
            "",
            &alerts,
            "http://am:9093",
            ts(2_000),
        )
    }

    fn run(text: &str, data: &Data) -> String {
        let mut t = Template::new("t");
        t.option("missingkey=zero").unwrap();
        t.parse(text).unwrap();
        t.execute_to_string("t", &data.value())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn assembles_like_alertmanager() {
        let d = sample();
        assert_eq!(&*d.receiver, "team\\.a \\(x\\)");
        assert_eq!(&*d.status, "firing");
        assert_eq!(d.common_labels.to_go_string(), "alertname=A, job=x");
        assert_eq!(d.common_annotations.to_go_string(), "team=t");
        let a = d.alerts.alerts();
        assert_eq!(&*a[0].status, "firing");
        assert!(a[0].ends_at.is_zero());
        assert_eq!(&*a[1].status, "resolved");
        assert_eq!(a[1].ends_at.secs, 1_500);
    }

    #[test]
    fn methods_and_missing_keys() {
        let d = sample();
        assert_eq!(
            run(
                "{{len .Alerts.Firing}} {{.CommonLabels.SortedPairs.Values | printf \"%v\"}} [{{.CommonLabels.nope}}] {{.CommonLabels}} {{(.CommonLabels.Remove .GroupLabels.Names).Names.Join \",\"}}",
                &d
            ),
            "1 [A x] [] alertname=A, job=x job"
        );
        assert_eq!(
            run(
                "{{range .Alerts}}{{.Labels.sev}}:{{.EndsAt.IsZero}} {{end}}",
                &d
            ),
            "crit:true warn:false "
        );
        assert_eq!(
            run("{{.Nope}}", &d),
            "template: t:1:2: executing \"t\" at <.Nope>: can't evaluate field Nope in type *template.Data"
        );
        assert_eq!(
            run("{{range .GroupLabels.SortedPairs}}{{.}}{{end}}", &d),
            "{alertname A}"
        );
    }

    #[test]
    fn json_round_trip() {
        let d = sample();
        let j = to_json(
            &d.alerts.alerts()[1..]
                .iter()
                .map(|a| Value::object(AlertObj(a.clone())))
                .next()
                .unwrap_or_default(),
        )
        .unwrap();
        assert_eq!(
            j,
            r#"{"status":"resolved","labels":{"alertname":"A","job":"x","sev":"warn"},"annotations":{"summary":"s2","team":"t"},"startsAt":"1970-01-01T00:16:40Z","endsAt":"1970-01-01T00:25:00Z","generatorURL":"http://gen/x","fingerprint":"c06f7dbd5dc3b3bc"}"#
                .replace("c06f7dbd5dc3b3bc", &d.alerts.alerts()[1].fingerprint)
        );
        let back = data_from_json(&to_json(&d.value()).unwrap()).unwrap();
        assert_eq!(
            to_json(&back.value()).unwrap(),
            to_json(&d.value()).unwrap()
        );
        assert_eq!(
            to_json(&Data::default().value()).unwrap(),
            r#"{"receiver":"","status":"","alerts":null,"notification_reason":"","groupLabels":null,"commonLabels":null,"commonAnnotations":null,"routeLabels":null,"externalURL":""}"#
        );
        assert_eq!(
            data_from_json(r#"{"receiver": 1}"#).err().unwrap(),
            "json: cannot unmarshal number into Go struct field Data.receiver of type string"
        );
        let mut s = String::new();
        json::encode_str(&mut s, "<a&b>\u{2028}\"\\\u{1}");
        assert_eq!(s, r#""\u003ca\u0026b\u003e\u2028\"\\\u0001""#);
    }
}
