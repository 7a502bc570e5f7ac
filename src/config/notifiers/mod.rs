//! Per-integration receiver configurations (`webhook_configs`,
//! `email_configs`, ...) and what they share: the [`Notifier`] trait, the
//! "at most one of" / "one of" checks, inheritance helpers, Go's
//! `time.Duration` syntax and the template syntax check Alertmanager applies
//! to templated URLs.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Secret, Url, format_go_duration, go_quote, parse_go_duration};

pub mod discord;
pub mod email;
pub mod incidentio;
pub mod jira;
pub mod mattermost;
pub mod msteams;
pub mod msteamsv2;
pub mod opsgenie;
pub mod pagerduty;
pub mod pushover;
pub mod rocketchat;
pub mod slack;
pub mod sns;
pub mod telegram;
pub mod victorops;
pub mod webex;
pub mod webhook;
pub mod wechat;

pub use discord::DiscordConfig;
pub use email::EmailConfig;
pub use incidentio::IncidentioConfig;
pub use jira::JiraConfig;
pub use mattermost::MattermostConfig;
pub use msteams::MsTeamsConfig;
pub use msteamsv2::MsTeamsV2Config;
pub use opsgenie::OpsGenieConfig;
pub use pagerduty::PagerdutyConfig;
pub use pushover::PushoverConfig;
pub use rocketchat::RocketchatConfig;
pub use slack::SlackConfig;
pub use sns::SnsConfig;
pub use telegram::TelegramConfig;
pub use victorops::VictorOpsConfig;
pub use webex::WebexConfig;
pub use webhook::WebhookConfig;
pub use wechat::WechatConfig;

/// What every integration configuration provides. `Default` is
/// Alertmanager's `Default<Kind>Config` (including the kind's `send_resolved`
/// default), which serde uses for missing keys.
pub trait Notifier: Default {
    /// The integration name (`webhook`, `email`, ...), as used in
    /// `missing <kind> config` and in notification metrics.
    const KIND: &'static str;

    /// Whether Alertmanager accepts a null list entry (`slack_configs: [~]`)
    /// by checking an empty configuration against the globals instead of
    /// failing with `missing <kind> config`.
    const NULL_ENTRY_CHECKED: bool = false;

    /// Whether resolved alerts are sent (`send_resolved`).
    fn send_resolved(&self) -> bool;

    /// The checks Alertmanager runs while reading this entry (its
    /// `UnmarshalYAML`), including nested blocks and any normalisation.
    fn validate(&mut self) -> Result<(), String>;

    /// Fills unset fields from `global` and runs the checks that need them,
    /// as Alertmanager does for every receiver once the file is read.
    fn inherit(&mut self, global: &GlobalConfig) -> Result<(), String>;

    /// The entry's `http_config` slot, if the integration has one.
    fn http_config_slot(&mut self) -> Option<&mut Option<HttpClientConfig>>;

    /// Joins relative paths with the configuration file's directory. Like
    /// Alertmanager, only the `http_config` block is resolved; other `*_file`
    /// fields stay relative to the working directory.
    fn resolve_paths(&mut self, dir: &Path) {
        if let Some(Some(h)) = self.http_config_slot() {
            h.resolve_paths(dir);
        }
    }
}

/// `skip_serializing_if` helper for Go's `omitempty`: true for the zero value.
pub fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// `at most one of a & b must be configured` unless at most one flag is set.
pub fn at_most_one(a: (&str, bool), b: (&str, bool)) -> Result<(), String> {
    if a.1 && b.1 {
        return Err(format!(
            "at most one of {} & {} must be configured",
            a.0, b.0
        ));
    }
    Ok(())
}

/// `one of a or b must be configured` when neither is set, then
/// [`at_most_one`].
pub fn exactly_one(a: (&str, bool), b: (&str, bool)) -> Result<(), String> {
    if !a.1 && !b.1 {
        return Err(format!("one of {} or {} must be configured", a.0, b.0));
    }
    at_most_one(a, b)
}

/// The entry's own `http_config`, or a copy of the global one when unset.
pub fn inherit_http(local: &mut Option<HttpClientConfig>, global: &GlobalConfig) {
    if local.is_none() {
        *local = global.http_config.clone();
    }
}

/// Validates an entry's `http_config` if it has one.
pub fn validate_http(local: &mut Option<HttpClientConfig>) -> Result<(), String> {
    local.as_mut().map_or(Ok(()), HttpClientConfig::validate)
}

/// Go's `cmp.Or` for one field: keeps `local` unless it is empty.
pub fn or_global<T: Clone + Default + PartialEq>(local: &mut T, global: &T) {
    if *local == T::default() {
        *local = global.clone();
    }
}

/// A duration in Go's `time.Duration` syntax (`1h30m`, `1.5s`, `300ms`), for
/// fields Alertmanager declares as Go `time.Duration` (`timeout`) or parses
/// with `time.ParseDuration` (pushover `retry`, `expire`, `ttl`). Prints like
/// Go's `Duration.String()`; negative values read as zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoDuration(pub std::time::Duration);

impl GoDuration {
    pub const fn from_secs(secs: u64) -> Self {
        GoDuration(std::time::Duration::from_secs(secs))
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn as_std(&self) -> std::time::Duration {
        self.0
    }

    /// Go's `time.ParseDuration`, with its error messages.
    pub fn parse(s: &str) -> Result<Self, String> {
        parse_go_duration(s).map(GoDuration)
    }
}

impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_go_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    /// A Go `time.Duration` field in yaml.v2: a duration string or an integer
    /// number of nanoseconds.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = GoDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<GoDuration, E> {
                Ok(GoDuration(std::time::Duration::from_nanos(
                    u64::try_from(v).unwrap_or(0),
                )))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<GoDuration, E> {
                if i64::try_from(v).is_err() {
                    return Err(E::custom(format!(
                        "cannot unmarshal !!int `{v}` into time.Duration"
                    )));
                }
                Ok(GoDuration(std::time::Duration::from_nanos(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<GoDuration, E> {
                GoDuration::parse(v).map_err(|_| {
                    E::custom(format!("cannot unmarshal !!str `{v}` into time.Duration"))
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reads a duration given as text and parsed with Go's `time.ParseDuration`
/// (Alertmanager's pushover `retry`/`expire`/`ttl`), reporting Go's
/// `time: ...` errors. A null reads as zero.
pub fn go_duration_text<'de, D: Deserializer<'de>>(d: D) -> Result<GoDuration, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(GoDuration::default()),
        Some(s) => GoDuration::parse(&s).map_err(serde::de::Error::custom),
    }
}

/// A URL that is secret and may contain template syntax (webhook `url`).
/// Checked by [`SecretTemplateUrl::validate`]; prints as `<secret>`.
#[derive(Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(transparent)]
pub struct SecretTemplateUrl(Secret);

impl SecretTemplateUrl {
    pub fn new(s: impl Into<String>) -> Self {
        SecretTemplateUrl(Secret::new(s))
    }

    /// The URL text (possibly a template) for the code that sends.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Empty and `<secret>` pass; templated values must parse as templates,
    /// anything else must be an http(s) URL.
    pub fn validate(&self) -> Result<(), String> {
        let s = self.expose();
        if s.is_empty() || s == "<secret>" {
            return Ok(());
        }
        if s.contains("{{") {
            return check_template_syntax(s).map_err(|e| format!("invalid template syntax: {e}"));
        }
        Url::parse(s)
            .map(|_| ())
            .map_err(|e| format!("invalid URL: {e}"))
    }
}

impl fmt::Debug for SecretTemplateUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl Serialize for SecretTemplateUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Functions a bare Go template knows (Alertmanager parses templated config
/// values with an empty function map, so only these are accepted).
const GO_TEMPLATE_BUILTINS: [&str; 19] = [
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

const GO_TEMPLATE_KEYWORDS: [&str; 13] = [
    "block", "break", "continue", "define", "else", "end", "if", "range", "nil", "template",
    "with", "true", "false",
];

/// A lexical check of Go template syntax, for the config values Alertmanager
/// parses as templates at load time (templated URLs, OpsGenie responder
/// types): delimiters, comments, quoted strings, `if/range/with/define/block`
/// … `end` nesting and unknown functions, with Go's `template: :<line>: ...`
/// messages. It is not a full parser.
pub fn check_template_syntax(s: &str) -> Result<(), String> {
    let line_at = |pos: usize| 1 + s[..pos].matches('\n').count();
    let err = |pos: usize, msg: &str| Err(format!("template: :{}: {msg}", line_at(pos)));
    let mut depth: Vec<&str> = Vec::new();
    let mut pos = 0;
    while let Some(open) = s[pos..].find("{{") {
        let start = pos + open;
        let mut i = start + 2;
        if s[i..].starts_with("- ")
            || s[i..].starts_with("-\t")
            || s[i..].starts_with("-\n")
            || s[i..].starts_with("-\r")
        {
            i += 2;
        }
        if s[i..].starts_with("/*") {
            let Some(close) = s[i + 2..].find("*/") else {
                return err(start, "unclosed comment");
            };
            let mut j = i + 2 + close + 2;
            if s[j..].starts_with(" -}}") {
                j += 2;
            }
            if !s[j..].starts_with("}}") {
                return err(start, "comment ends before closing delimiter");
            }
            pos = j + 2;
            continue;
        }
        // Scan the action, collecting words outside quotes.
        let bytes = s.as_bytes();
        let mut words: Vec<(usize, &str)> = Vec::new();
        let end = loop {
            if i >= s.len() {
                return err(s.len(), "unclosed action");
            }
            if s[i..].starts_with("}}") {
                break i;
            }
            match bytes[i] {
                q @ (b'"' | b'\'') => {
                    let mut j = i + 1;
                    loop {
                        match bytes.get(j) {
                            None | Some(b'\n') => {
                                let what = if q == b'"' {
                                    "unterminated quoted string"
                                } else {
                                    "unterminated character constant"
                                };
                                return err(i, what);
                            }
                            Some(b'\\') => j += 2,
                            Some(c) if *c == q => break,
                            Some(_) => j += 1,
                        }
                    }
                    i = j + 1;
                }
                b'`' => match s[i + 1..].find('`') {
                    Some(n) => i += n + 2,
                    None => return err(i, "unterminated raw quoted string"),
                },
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let n = s[i..]
                        .bytes()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                        .count();
                    let prev = if i > 0 { bytes[i - 1] } else { b' ' };
                    // `.Field`, `$var` and digits' suffixes are not functions.
                    if prev != b'.' && prev != b'$' && !prev.is_ascii_alphanumeric() {
                        words.push((i, &s[i..i + n]));
                    }
                    i += n;
                }
                _ => i += 1,
            }
        };
        match words.first().map(|(_, w)| *w) {
            Some(kw @ ("if" | "range" | "with" | "define" | "block")) => depth.push(kw),
            Some("end") if depth.pop().is_none() => return err(start, "unexpected {{end}}"),
            Some("else") if depth.is_empty() => return err(start, "unexpected {{else}}"),
            _ => {}
        }
        for (at, w) in words {
            if !GO_TEMPLATE_BUILTINS.contains(&w) && !GO_TEMPLATE_KEYWORDS.contains(&w) {
                return err(at, &format!("function {} not defined", go_quote(w)));
            }
        }
        pos = end + 2;
    }
    if !depth.is_empty() {
        return err(s.len(), "unexpected EOF");
    }
    Ok(())
}

/// Shared helpers for the integration tests.
#[cfg(test)]
pub(crate) mod testing {
    use serde::de::DeserializeOwned;

    use super::Notifier;
    use crate::config::global::GlobalConfig;

    fn parse<T: DeserializeOwned>(yaml: &str) -> T {
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
    }

    /// Parses and validates one entry, panicking on any error.
    pub fn load<T: Notifier + DeserializeOwned>(yaml: &str) -> T {
        let mut c: T = parse(yaml);
        c.validate().unwrap_or_else(|e| panic!("{yaml}: {e}"));
        c
    }

    /// The validation error of an entry that parses.
    pub fn load_err<T: Notifier + DeserializeOwned>(yaml: &str) -> String {
        let mut c: T = parse(yaml);
        c.validate().expect_err(yaml)
    }

    /// Parses, validates and inherits from the default globals.
    pub fn resolved<T: Notifier + DeserializeOwned>(yaml: &str) -> T {
        resolved_with(yaml, "{}").unwrap_or_else(|e| panic!("{yaml}: {e}"))
    }

    /// Parses and validates an entry, then inherits from the given globals.
    pub fn resolved_with<T: Notifier + DeserializeOwned>(
        yaml: &str,
        global: &str,
    ) -> Result<T, String> {
        let mut c = load::<T>(yaml);
        let g: GlobalConfig = parse(global);
        c.inherit(&g).map(|()| c)
    }

    /// The message serde reports for a YAML entry that does not parse.
    pub fn parse_err<T: DeserializeOwned>(yaml: &str) -> String {
        match serde_saphyr::from_str::<T>(yaml) {
            Ok(_) => panic!("{yaml} parsed"),
            Err(e) => e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse_and_print() {
        for (s, ms, shown) in [
            ("0", 0u64, "0s"),
            ("1m", 60_000, "1m0s"),
            ("1h30m", 5_400_000, "1h30m0s"),
            ("1.5s", 1_500, "1.5s"),
            ("300ms", 300, "300ms"),
        ] {
            let d = GoDuration::parse(s).unwrap();
            assert_eq!(d.as_std(), std::time::Duration::from_millis(ms), "{s}");
            assert_eq!(d.to_string(), shown);
        }
        assert_eq!(
            GoDuration::parse("30").unwrap_err(),
            "time: missing unit in duration \"30\""
        );
    }

    #[test]
    fn go_durations_deserialise_like_yaml_v2() {
        #[derive(Deserialize)]
        struct T {
            d: GoDuration,
        }
        let t: T = serde_saphyr::from_str("d: 10s").unwrap();
        assert_eq!(t.d, GoDuration::from_secs(10));
        let t: T = serde_saphyr::from_str("d: 1000").unwrap();
        assert_eq!(t.d.as_std(), std::time::Duration::from_nanos(1000));
        let e = serde_saphyr::from_str::<T>("d: 5d").err().unwrap();
        assert!(
            e.to_string()
                .contains("cannot unmarshal !!str `5d` into time.Duration"),
            "{e}"
        );
    }

    #[test]
    fn exclusivity_helpers() {
        assert_eq!(
            at_most_one(("url", true), ("url_file", true)).unwrap_err(),
            "at most one of url & url_file must be configured"
        );
        assert_eq!(
            exactly_one(("url", false), ("url_file", false)).unwrap_err(),
            "one of url or url_file must be configured"
        );
        assert!(exactly_one(("url", true), ("url_file", false)).is_ok());
    }

    #[test]
    fn template_syntax() {
        for ok in [
            "http://example.com/{{ .GroupLabels.alertname }}",
            "not-a-url-{{ .GroupLabels.alertname }}",
            "{{/* valid comment */}}team",
            "{{- /* c */ -}}x",
            r#"{{ if eq .Status "firing" }}a{{ else }}b{{ end }}"#,
            r#"{{ printf "%s}}" .X }}"#,
            "{{ range $k, $v := .CommonLabels }}{{ $k }}{{ end }}",
            "{{ index .GroupLabels `a` | len }}",
        ] {
            assert_eq!(check_template_syntax(ok), Ok(()), "{ok}");
        }
        for (bad, msg) in [
            (
                "http://example.com/{{ .Invalid",
                "template: :1: unclosed action",
            ),
            (
                "{{/* invalid comment }}team",
                "template: :1: unclosed comment",
            ),
            (
                "{{/* c */ }}",
                "template: :1: comment ends before closing delimiter",
            ),
            (
                "{{ toUpper .X }}",
                "template: :1: function \"toUpper\" not defined",
            ),
            (
                "a\n{{ .X | toLower }}",
                "template: :2: function \"toLower\" not defined",
            ),
            ("{{ if .X }}a", "template: :1: unexpected EOF"),
            ("{{ end }}", "template: :1: unexpected {{end}}"),
            ("{{ else }}", "template: :1: unexpected {{else}}"),
            ("{{ \"abc }}", "template: :1: unterminated quoted string"),
        ] {
            assert_eq!(check_template_syntax(bad).unwrap_err(), msg, "{bad}");
        }
    }

    #[test]
    fn secret_template_urls() {
        for ok in [
            "",
            "<secret>",
            "http://example.com/webhook",
            "http://example.com/{{ .GroupLabels.alertname }}",
        ] {
            assert_eq!(SecretTemplateUrl::new(ok).validate(), Ok(()), "{ok}");
        }
        let e = SecretTemplateUrl::new("example.com/webhook")
            .validate()
            .unwrap_err();
        assert!(e.starts_with("invalid URL: "), "{e}");
        assert_eq!(
            SecretTemplateUrl::new("ftp://example.com/webhook")
                .validate()
                .unwrap_err(),
            "invalid URL: unsupported scheme \"ftp\" for URL"
        );
        assert_eq!(
            SecretTemplateUrl::new("http://example.com/{{ .Invalid")
                .validate()
                .unwrap_err(),
            "invalid template syntax: template: :1: unclosed action"
        );
        let u = SecretTemplateUrl::new("http://x/secret");
        assert_eq!(format!("{u:?}"), "<secret>");
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"<secret>\"");
    }
}
