//! The PagerDuty integration: Alertmanager 0.34's `pagerduty_configs`
//! event, sent to the Events API v2 (`routing_key`/`routing_key_file`, to
//! `url`) or v1 (`service_key`/`service_key_file`, always to PagerDuty's
//! fixed v1 endpoint, as Alertmanager does).
//!
//! The event is `trigger` while any alert fires and `resolve` once all are
//! resolved; its dedup (v2) or incident (v1) key is the sha256 hex of the
//! group key. Every text is a template; `details` values are rendered with
//! Alertmanager's `DeepCopyWithTemplate` (nested maps and lists, rendered
//! text that reads as YAML structure becomes that structure). The summary
//! (v2) or description (v1) is cut to 1024 runes; an event above 512 kB
//! loses its custom details. Answers are classified as 0.34 does: v2
//! retries 429 and 5xx, v1 retries 403 (PagerDuty's v1 rate limit) and
//! 5xx, and a 400's error list is quoted in the failure.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::http::{HttpClient, HttpResponse, SecretSource, go_open_error, parse_retry_after};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::pagerduty::PagerdutyConfig;
use crate::config::types::format_go_duration;

/// PagerDuty's limit on the whole event, in bytes.
pub const MAX_EVENT_SIZE: usize = 512_000;
/// PagerDuty's limit on the v1 description, in runes.
pub const MAX_V1_DESCRIPTION_RUNES: usize = 1024;
/// PagerDuty's limit on the v2 summary, in runes.
pub const MAX_V2_SUMMARY_RUNES: usize = 1024;
/// Where v1 events go (not configurable in Alertmanager).
pub const API_V1_URL: &str = "https://events.pagerduty.com/generic/2010-04-15/create_event.json";

/// One `pagerduty_configs` entry, ready to send.
pub struct Pagerduty {
    conf: PagerdutyConfig,
    /// The routing key (v2) or service key (v1).
    key: SecretSource,
    /// The v1 endpoint when a service key is configured (a field so that
    /// tests can point it elsewhere).
    api_v1: Option<String>,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

/// Alertmanager's `pagerDutyMessage`, in its field order.
#[derive(Serialize)]
struct Message {
    #[serde(skip_serializing_if = "String::is_empty")]
    routing_key: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    service_key: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    dedup_key: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    incident_key: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    event_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    /// Always written, empty in v1.
    event_action: String,
    /// Always written, `null` in v1.
    payload: Option<Payload>,
    #[serde(skip_serializing_if = "String::is_empty")]
    client: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    client_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<BTreeMap<String, GoValue>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<Image>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
}

#[derive(Serialize)]
struct Payload {
    summary: String,
    source: String,
    severity: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    class: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    component: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    group: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_details: Option<BTreeMap<String, GoValue>>,
}

#[derive(Serialize)]
struct Image {
    src: String,
    alt: String,
    href: String,
}

#[derive(Serialize)]
struct Link {
    href: String,
    text: String,
}

/// A value as Go's `encoding/json` writes an `any` decoded by yaml.v2:
/// maps with sorted string keys, Go's number forms.
#[derive(Clone, Debug, PartialEq)]
pub enum GoValue {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    List(Vec<GoValue>),
    Map(BTreeMap<String, GoValue>),
}

impl Serialize for GoValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            GoValue::Null => s.serialize_unit(),
            GoValue::Bool(b) => s.serialize_bool(*b),
            GoValue::Int(i) => s.serialize_i64(*i),
            GoValue::Uint(u) => s.serialize_u64(*u),
            GoValue::Float(f) => {
                if !f.is_finite() {
                    let v = if f.is_nan() {
                        "NaN"
                    } else if *f > 0.0 {
                        "+Inf"
                    } else {
                        "-Inf"
                    };
                    return Err(serde::ser::Error::custom(format!(
                        "json: unsupported value: {v}"
                    )));
                }
                // Go writes integral floats without a fraction (`1`, not
                // `1.0`); exact for every integer a float holds exactly.
                if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                    s.serialize_i64(*f as i64)
                } else {
                    s.serialize_f64(*f)
                }
            }
            GoValue::Str(v) => s.serialize_str(v),
            GoValue::List(l) => l.serialize(s),
            GoValue::Map(m) => m.serialize(s),
        }
    }
}

impl GoValue {
    /// A JSON value (from the configuration or a JSON text) as yaml.v2
    /// would have decoded it.
    fn from_json(v: &serde_json::Value) -> GoValue {
        use serde_json::Value;
        match v {
            Value::Null => GoValue::Null,
            Value::Bool(b) => GoValue::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    GoValue::Int(i)
                } else if let Some(u) = n.as_u64() {
                    GoValue::Uint(u)
                } else {
                    GoValue::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => GoValue::Str(s.clone()),
            Value::Array(a) => GoValue::List(a.iter().map(GoValue::from_json).collect()),
            Value::Object(m) => GoValue::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), GoValue::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// What rendered text becomes in Alertmanager's `DeepCopyWithTemplate`:
/// yaml.v2 decodes it, and unless that yields a string (or fails) the
/// decoded structure replaces the text. `None` keeps the text.
///
/// Plain one-line scalars (the common case: counts, flags, words) are
/// resolved with yaml.v2's YAML 1.1 rules (`yes`/`on`/`y` are booleans,
/// `0x1f` and `0o17` integers, `~` and the empty text null); JSON texts
/// (`toJson` output) are decoded exactly; other structures go through a
/// YAML parser.
pub fn yaml_v2_decode(text: &str) -> Option<GoValue> {
    let t = text.trim_matches([' ', '\t', '\n', '\r']);
    if t.is_empty() || t.starts_with('#') {
        return Some(GoValue::Null);
    }
    if t.starts_with('{') || t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(t) {
            return Some(GoValue::from_json(&v));
        }
        return yaml_structure(text);
    }
    let single_line = !t.contains(['\n', '\r']);
    let structural = t == "-"
        || t.starts_with("- ")
        || t.starts_with("? ")
        || t.ends_with(':')
        || t.contains(": ")
        || t.contains(":\t");
    if single_line && !structural {
        if t.starts_with(['"', '\'', '|', '>', '&', '*', '!', '%', '@', '`']) {
            // Quoted or block scalars, anchors, aliases, tags, directives
            // and reserved indicators: a string, or an error (kept as text).
            return match t.as_bytes()[0] {
                b'"' | b'\'' | b'|' | b'>' | b'&' | b'*' | b'@' | b'`' | b'%' => None,
                _ => yaml_structure(text),
            };
        }
        // A comment ends a plain scalar.
        let plain = match t.find(" #").or_else(|| t.find("\t#")) {
            Some(i) => t[..i].trim_end(),
            None => t,
        };
        return resolve_plain(plain);
    }
    yaml_structure(text)
}

/// Multi-line or structured YAML, decoded; strings stay text.
fn yaml_structure(text: &str) -> Option<GoValue> {
    match serde_saphyr::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::String(_)) | Err(_) => None,
        Ok(v) => Some(GoValue::from_json(&v)),
    }
}

/// yaml.v2's `resolve` for an untagged plain scalar; `None` for a string.
fn resolve_plain(s: &str) -> Option<GoValue> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Some(GoValue::Bool(true));
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Some(GoValue::Bool(false));
        }
        "" | "~" | "null" | "Null" | "NULL" => return Some(GoValue::Null),
        ".nan" | ".NaN" | ".NAN" => return Some(GoValue::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(GoValue::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(GoValue::Float(f64::NEG_INFINITY)),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if first == b'.' {
        return go_parse_float(s).map(GoValue::Float);
    }
    if !(first.is_ascii_digit() || first == b'-' || first == b'+') {
        return None;
    }
    if looks_like_timestamp(s) {
        // yaml.v2 hands timestamps to an `any` as their text.
        return None;
    }
    let plain = s.replace('_', "");
    if let Some(i) = go_parse_int(&plain) {
        return Some(GoValue::Int(i));
    }
    if let Some(u) = go_parse_uint(&plain) {
        return Some(GoValue::Uint(u));
    }
    if is_yaml_float(&plain)
        && let Some(f) = go_parse_float(&plain)
    {
        return Some(GoValue::Float(f));
    }
    if let Some(bits) = plain.strip_prefix("0b") {
        return i64::from_str_radix(bits, 2).ok().map(GoValue::Int);
    }
    if let Some(bits) = plain.strip_prefix("-0b") {
        return i64::from_str_radix(&format!("-{bits}"), 2)
            .ok()
            .map(GoValue::Int);
    }
    None
}

/// yaml.v2's timestamp forms: `2006-1-2`, optionally followed by a time.
fn looks_like_timestamp(s: &str) -> bool {
    let date_end = s.find(['T', 't', ' ']).unwrap_or(s.len());
    let date: Vec<&str> = s[..date_end].split('-').collect();
    let ok_date = date.len() == 3
        && date[0].len() == 4
        && date
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()));
    if !ok_date {
        return false;
    }
    if date_end == s.len() {
        return true;
    }
    let time = s[date_end + 1..].trim_start();
    let hms: Vec<&str> = time.splitn(3, ':').collect();
    hms.len() == 3
        && hms[..2]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && hms[2].bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// yaml.v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    let digits = |b: &[u8], i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = 0;
    if b.first() == Some(&b'.') {
        let n = digits(b, 1);
        if n == 0 {
            return false;
        }
        i = 1 + n;
    } else {
        let n = digits(b, 0);
        if n == 0 {
            return false;
        }
        i += n;
        if b.get(i) == Some(&b'.') {
            i += 1 + digits(b, i + 1);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let n = digits(b, i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == b.len()
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint_unsigned(rest)?;
    if neg {
        if u <= i64::MAX as u64 + 1 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` (no sign allowed).
fn go_parse_uint(s: &str) -> Option<u64> {
    go_parse_uint_unsigned(s)
}

fn go_parse_uint_unsigned(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Go's `strconv.ParseFloat(s, 64)` for the decimal forms YAML lets
/// through (out-of-range values are ±Inf in Go, with an error: none).
fn go_parse_float(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// alecthomas/units' `MetricBytes.String`: `512KB`, `600KB123B`.
pub fn metric_bytes(mut n: u64) -> String {
    const UNITS: [&str; 7] = ["", "K", "M", "G", "T", "P", "E"];
    let mut parts: Vec<String> = Vec::new();
    for (i, unit) in UNITS.iter().enumerate() {
        if !n.is_multiple_of(1000) || (i == 0 && n == 0) {
            parts.push(format!("{}{unit}B", n % 1000));
        }
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    parts.reverse();
    parts.concat()
}

/// The failure text of a PagerDuty answer (Alertmanager's `errDetails`):
/// only a 400 says why, as `<message>: <error>,<error>`.
fn err_details(status: u16, body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(default)]
        message: String,
        #[serde(default)]
        errors: Vec<String>,
    }
    if status != 400 {
        return String::new();
    }
    // Go's decoder reads the first JSON value and ignores what follows.
    let mut values = serde_json::Deserializer::from_slice(body).into_iter::<Answer>();
    match values.next() {
        Some(Ok(a)) => format!("{}: {}", a.message, a.errors.join(",")),
        _ => String::new(),
    }
}

impl Pagerduty {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(
        conf: &PagerdutyConfig,
        templater: Option<Arc<dyn Templater>>,
    ) -> Result<Self, String> {
        let client = HttpClient::new(&conf.http_config.clone().unwrap_or_default())?;
        let v1 = !conf.service_key.is_empty() || !conf.service_key_file.is_empty();
        let key = if v1 {
            if conf.service_key.is_empty() {
                SecretSource::File(conf.service_key_file.clone())
            } else {
                SecretSource::Inline(conf.service_key.expose().to_string())
            }
        } else if conf.routing_key.is_empty() {
            SecretSource::File(conf.routing_key_file.clone())
        } else {
            SecretSource::Inline(conf.routing_key.expose().to_string())
        };
        Ok(Pagerduty {
            conf: conf.clone(),
            key,
            api_v1: v1.then(|| API_V1_URL.to_string()),
            client,
            templater,
        })
    }

    /// Sends v1 events to `url` instead of PagerDuty's (for tests).
    #[cfg(test)]
    pub(crate) fn with_api_v1_url(mut self, url: &str) -> Self {
        if self.api_v1.is_some() {
            self.api_v1 = Some(url.to_string());
        }
        self
    }

    fn render(
        &self,
        texts: &[&str],
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<Vec<String>, String> {
        match &self.templater {
            Some(t) => t.execute_all(texts, ctx, alerts),
            None => Err("no template engine configured".to_string()),
        }
    }

    /// The configured details rendered (Alertmanager's `renderDetails`).
    fn details(
        &self,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<BTreeMap<String, GoValue>, String> {
        let mut texts: Vec<&str> = Vec::new();
        for v in self.conf.details.values() {
            collect_templates(v, &mut texts);
        }
        let rendered = self.render(&texts, ctx, alerts)?;
        let mut it = rendered.into_iter();
        Ok(self
            .conf
            .details
            .iter()
            .map(|(k, v)| (k.clone(), deep_copy(v, &mut it)))
            .collect())
    }

    /// The key, read from its file now if it has one.
    fn read_key(&self) -> Result<String, NotifyError> {
        match &self.key {
            SecretSource::Inline(k) => Ok(k.clone()),
            SecretSource::File(path) => std::fs::read_to_string(path)
                .map(|s| s.trim().to_string())
                .map_err(|e| {
                    let what = if self.api_v1.is_some() {
                        "service"
                    } else {
                        "routing"
                    };
                    NotifyError::permanent(
                        FailureReason::Other,
                        format!(
                            "failed to read {what} key from file: {}",
                            go_open_error(path, &e)
                        ),
                    )
                }),
        }
    }

    fn message_v1(
        &self,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
        trigger: bool,
        details: BTreeMap<String, GoValue>,
    ) -> Result<Message, NotifyError> {
        let c = &self.conf;
        // An unreadable key file is reported before any template error,
        // as in Alertmanager (which renders the description first but
        // checks the file before the template error).
        let key = self.read_key()?;
        let mut texts: Vec<&str> = vec![&c.description, &key];
        if trigger {
            texts.extend([c.client.as_str(), &c.client_url]);
        }
        let fail = |e: String| {
            NotifyError::permanent(
                FailureReason::Other,
                format!("failed to template PagerDuty v1 message: {e}"),
            )
        };
        let mut rendered = self.render(&texts, ctx, alerts).map_err(fail)?.into_iter();
        let description = rendered.next().unwrap_or_default();
        let (description, truncated) =
            super::text::truncate_in_runes(&description, MAX_V1_DESCRIPTION_RUNES);
        if truncated {
            tracing::warn!(receiver = %ctx.receiver, key = %ctx.group_key, max_runes = MAX_V1_DESCRIPTION_RUNES, "Truncated description");
        }
        let service_key = rendered.next().unwrap_or_default();
        let (client, client_url) = if trigger {
            (
                rendered.next().unwrap_or_default(),
                rendered.next().unwrap_or_default(),
            )
        } else {
            (String::new(), String::new())
        };
        if service_key.is_empty() {
            return Err(NotifyError::permanent(
                FailureReason::Other,
                "service key cannot be empty",
            ));
        }
        Ok(Message {
            routing_key: String::new(),
            service_key,
            dedup_key: String::new(),
            incident_key: super::group_key_hash(&ctx.group_key),
            event_type: if trigger { "trigger" } else { "resolve" }.into(),
            description,
            event_action: String::new(),
            payload: None,
            client,
            client_url,
            details: Some(details).filter(|d| !d.is_empty()),
            images: Vec::new(),
            links: Vec::new(),
        })
    }

    fn message_v2(
        &self,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
        trigger: bool,
        details: BTreeMap<String, GoValue>,
    ) -> Result<Message, NotifyError> {
        let c = &self.conf;
        let key = self.read_key()?;
        let severity = if c.severity.is_empty() {
            "error"
        } else {
            &c.severity
        };
        let mut texts: Vec<&str> = vec![
            &c.description,
            &c.client,
            &c.client_url,
            &key,
            &c.source,
            severity,
            &c.class,
            &c.component,
            &c.group,
        ];
        for i in &c.images {
            texts.extend([i.src.as_str(), &i.alt, &i.href]);
        }
        for l in &c.links {
            texts.extend([l.href.as_str(), &l.text]);
        }
        let fail = |e: String| {
            NotifyError::permanent(
                FailureReason::Other,
                format!("failed to template PagerDuty v2 message: {e}"),
            )
        };
        let rendered = self.render(&texts, ctx, alerts).map_err(fail)?;
        let mut it = rendered.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let (summary, truncated) = super::text::truncate_in_runes(&next(), MAX_V2_SUMMARY_RUNES);
        if truncated {
            tracing::warn!(receiver = %ctx.receiver, key = %ctx.group_key, max_runes = MAX_V2_SUMMARY_RUNES, "Truncated summary");
        }
        let client = next();
        let client_url = next();
        let routing_key = next();
        let payload = Payload {
            summary,
            source: next(),
            severity: next(),
            class: next(),
            component: next(),
            group: next(),
            custom_details: Some(details).filter(|d| !d.is_empty()),
        };
        let images = c
            .images
            .iter()
            .map(|_| Image {
                src: next(),
                alt: next(),
                href: next(),
            })
            .filter(|i| !i.src.is_empty())
            .collect::<Vec<_>>();
        let links = c
            .links
            .iter()
            .map(|_| Link {
                href: next(),
                text: next(),
            })
            .filter(|l| !l.href.is_empty())
            .collect::<Vec<_>>();
        if routing_key.is_empty() {
            return Err(NotifyError::permanent(
                FailureReason::Other,
                "routing key cannot be empty",
            ));
        }
        Ok(Message {
            routing_key,
            service_key: String::new(),
            dedup_key: super::group_key_hash(&ctx.group_key),
            incident_key: String::new(),
            event_type: String::new(),
            description: String::new(),
            event_action: if trigger { "trigger" } else { "resolve" }.into(),
            payload: Some(payload),
            client,
            client_url,
            details: None,
            images,
            links,
        })
    }

    /// Go's JSON of the message; above [`MAX_EVENT_SIZE`] the custom
    /// details are replaced by a note (Alertmanager's `encodeMessage`).
    fn encode(&self, ctx: &NotifyContext, msg: &mut Message) -> Result<Vec<u8>, NotifyError> {
        let fail = |e: serde_json::Error| {
            NotifyError::permanent(
                FailureReason::Other,
                format!("failed to encode PagerDuty message: {e}"),
            )
        };
        let body = super::json::encode(msg).map_err(fail)?;
        if body.len() <= MAX_EVENT_SIZE {
            return Ok(body);
        }
        let note: BTreeMap<String, GoValue> = [(
            "error".to_string(),
            GoValue::Str(format!(
                "Custom details have been removed because the original event exceeds the maximum size of {}",
                metric_bytes(MAX_EVENT_SIZE as u64)
            )),
        )]
        .into_iter()
        .collect();
        match &mut msg.payload {
            Some(p) if self.api_v1.is_none() => p.custom_details = Some(note),
            _ => msg.details = Some(note),
        }
        tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key,
            "Truncated Details because message of size {} exceeds limit {}",
            metric_bytes(body.len() as u64), metric_bytes(MAX_EVENT_SIZE as u64));
        super::json::encode(msg).map_err(fail)
    }

    /// Classifies PagerDuty's answer (Alertmanager's `Retrier.Check` with
    /// `errDetails`).
    async fn check(&self, resp: HttpResponse) -> Result<(), NotifyError> {
        let status = resp.status();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let v1 = self.api_v1.is_some();
        let retry_code = if v1 { 403 } else { 429 };
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
        let body = resp.body_prefix(super::http::MAX_ERROR_BODY).await;
        let details = err_details(status, &body);
        let mut message = format!("unexpected status code {status}");
        if !details.is_empty() {
            message.push_str(": ");
            message.push_str(&details);
        }
        Err(NotifyError {
            retryable: (500..600).contains(&status) || status == retry_code,
            // 0.34 gives the v2 failures a reason from the status; v1's
            // (where 403 is PagerDuty's rate limit) stay `other`.
            reason: if v1 {
                FailureReason::Other
            } else {
                FailureReason::from_status(status)
            },
            message,
            retry_after,
            status: Some(status),
        })
    }

    async fn run(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<(), NotifyError> {
        let trigger = alerts.iter().any(|a| !a.resolved_at(ctx.now));
        let details = self.details(ctx, alerts).map_err(|e| {
            NotifyError::permanent(
                FailureReason::Other,
                format!("failed to render details: {e}"),
            )
        })?;
        let (mut msg, url, what) = match &self.api_v1 {
            Some(url) => (
                self.message_v1(ctx, alerts, trigger, details)?,
                url.clone(),
                "failed to post message to PagerDuty v1",
            ),
            None => (
                self.message_v2(ctx, alerts, trigger, details)?,
                self.conf
                    .url
                    .as_ref()
                    .map(|u| u.as_str().to_string())
                    .unwrap_or_default(),
                "failed to post message to PagerDuty",
            ),
        };
        let body = self.encode(ctx, &mut msg)?;
        let send = async {
            let resp = self
                .client
                .post(&url, "application/json", body)
                .await
                .map_err(|mut e| {
                    e.message = format!("{what}: {}", e.message);
                    e
                })?;
            self.check(resp).await
        };
        match Some(self.conf.timeout.0).filter(|t| !t.is_zero()) {
            None => send.await,
            Some(limit) => match tokio::time::timeout(limit, send).await {
                Ok(result) => result,
                Err(_) => Err(NotifyError::retryable(
                    FailureReason::Other,
                    format!(
                        "{what}: Post \"<redacted>\": context deadline exceeded: configured pagerduty timeout reached ({})",
                        format_go_duration(limit)
                    ),
                )),
            },
        }
    }
}

/// The strings of a details value, in [`deep_copy`]'s order.
fn collect_templates<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    use serde_json::Value;
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|v| collect_templates(v, out)),
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k);
                collect_templates(v, out);
            }
        }
        _ => {}
    }
}

/// Alertmanager's `DeepCopyWithTemplate` over rendered strings taken from
/// `rendered` in [`collect_templates`]' order.
fn deep_copy(v: &serde_json::Value, rendered: &mut impl Iterator<Item = String>) -> GoValue {
    use serde_json::Value;
    match v {
        Value::String(_) => {
            let text = rendered.next().unwrap_or_default();
            yaml_v2_decode(&text).unwrap_or(GoValue::Str(text))
        }
        Value::Array(a) => GoValue::List(a.iter().map(|v| deep_copy(v, rendered)).collect()),
        Value::Object(m) => {
            let mut out = BTreeMap::new();
            for v in m.values() {
                let key = rendered.next().unwrap_or_default();
                out.insert(key, deep_copy(v, rendered));
            }
            GoValue::Map(out)
        }
        other => GoValue::from_json(other),
    }
}

impl Notifier for Pagerduty {
    fn kind(&self) -> &'static str {
        "pagerduty"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(self.run(ctx, alerts))
    }
}

#[cfg(test)]
mod tests;
