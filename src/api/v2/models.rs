//! API v2 JSON shapes: what clients post (lenient, validated by hand to give
//! go-swagger's errors) and what Tocsin answers (field names, order and
//! omissions as Alertmanager's generated models write them).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An alert as posted (`postableAlert`); every field optional so that the
/// handler can report missing ones the way go-swagger does. Strings borrow
/// from the request body where they hold no escapes.
#[derive(Debug, Deserialize)]
pub struct PostableAlert<'a> {
    #[serde(borrow)]
    pub labels: Option<PairList<'a>>,
    #[serde(borrow)]
    pub annotations: Option<PairList<'a>>,
    #[serde(rename = "startsAt")]
    pub starts_at: Option<String>,
    #[serde(rename = "endsAt")]
    pub ends_at: Option<String>,
    #[serde(rename = "generatorURL", borrow)]
    pub generator_url: Option<Text<'a>>,
}

/// A JSON string, borrowed from the body unless it had to be unescaped.
#[derive(Debug, Default)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl Text<'_> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A JSON object of strings, kept as pairs (cheaper than a map; the label set
/// sorts them once).
#[derive(Debug, Default)]
pub struct PairList<'a>(pub Vec<(Text<'a>, Text<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for PairList<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = PairList<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<PairList<'de>, A::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(12));
                while let Some((k, val)) = m.next_entry::<Text<'de>, Text<'de>>()? {
                    v.push((k, val));
                }
                Ok(PairList(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// A silence as posted (`postableSilence`).
#[derive(Debug, Deserialize)]
pub struct PostableSilence {
    pub id: Option<String>,
    pub matchers: Option<Vec<PostableMatcher>>,
    #[serde(rename = "startsAt")]
    pub starts_at: Option<String>,
    #[serde(rename = "endsAt")]
    pub ends_at: Option<String>,
    #[serde(rename = "createdBy")]
    pub created_by: Option<String>,
    pub comment: Option<String>,
    pub annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
pub struct PostableMatcher {
    pub name: Option<String>,
    pub value: Option<String>,
    #[serde(rename = "isRegex")]
    pub is_regex: Option<bool>,
    #[serde(rename = "isEqual")]
    pub is_equal: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct SilenceStatus {
    pub state: &'static str,
}

#[derive(Debug, Serialize)]
pub struct GettableMatcher<'a> {
    #[serde(rename = "isEqual")]
    pub is_equal: bool,
    #[serde(rename = "isRegex")]
    pub is_regex: bool,
    pub name: &'a str,
    pub value: &'a str,
}

/// `gettableSilence`.
#[derive(Debug, Serialize)]
pub struct GettableSilence<'a> {
    pub id: &'a str,
    pub status: SilenceStatus,
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<&'a str, &'a str>,
    pub comment: &'a str,
    #[serde(rename = "createdBy")]
    pub created_by: &'a str,
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    pub matchers: Vec<GettableMatcher<'a>>,
    #[serde(rename = "startsAt")]
    pub starts_at: String,
}

#[derive(Debug, Serialize)]
pub struct PeerStatus {
    pub address: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct ClusterStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub peers: Vec<PeerStatus>,
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ConfigOriginal {
    pub original: String,
}

#[derive(Debug, Serialize)]
pub struct VersionInfo {
    pub branch: String,
    #[serde(rename = "buildDate")]
    pub build_date: String,
    #[serde(rename = "buildUser")]
    pub build_user: String,
    #[serde(rename = "goVersion")]
    pub go_version: String,
    pub revision: String,
    pub version: String,
}

/// `alertmanagerStatus`.
#[derive(Debug, Serialize)]
pub struct AlertmanagerStatus {
    pub cluster: ClusterStatus,
    pub config: ConfigOriginal,
    pub uptime: String,
    #[serde(rename = "versionInfo")]
    pub version_info: VersionInfo,
}

/// `receiver`.
#[derive(Debug, Serialize)]
pub struct Receiver<'a> {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: &'a BTreeMap<String, String>,
    pub name: &'a str,
    /// Tocsin: each integration and its last notification attempt, in
    /// the shape of Grafana's Alertmanager.
    pub integrations: Vec<IntegrationStatus>,
}

/// An integration of a receiver and its last attempt (Go's zero time, `0s`
/// and no error when it never made one).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationStatus {
    pub name: &'static str,
    pub index: usize,
    pub last_notify_attempt: String,
    pub last_notify_attempt_duration: String,
    pub last_notify_attempt_error: String,
    /// `success`, `failure`, or empty when it never made an attempt.
    pub last_notify_attempt_outcome: &'static str,
}

#[derive(Debug, Serialize)]
pub struct SilenceCreated {
    #[serde(rename = "silenceID")]
    pub silence_id: String,
}
