//! API v2 JSON shapes: what clients post (lenient, validated by hand to give
//! go-swagger's errors) and what Tocsin answers (field names, order and
//! omissions as Alertmanager's generated models write them).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alert::LabelSet;

/// An alert as posted (`postableAlert`); every field optional so that the
/// handler can report missing ones the way go-swagger does.
#[derive(Debug, Deserialize)]
pub struct PostableAlert {
    pub labels: Option<PairList>,
    pub annotations: Option<PairList>,
    #[serde(rename = "startsAt")]
    pub starts_at: Option<String>,
    #[serde(rename = "endsAt")]
    pub ends_at: Option<String>,
    #[serde(rename = "generatorURL")]
    pub generator_url: Option<String>,
}

/// A JSON object of strings, kept as pairs (cheaper than a map; the label set
/// sorts them once).
#[derive(Debug, Default)]
pub struct PairList(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for PairList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = PairList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<PairList, A::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(8));
                while let Some((k, val)) = m.next_entry::<String, String>()? {
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
pub struct ReceiverRef<'a> {
    pub name: &'a str,
}

#[derive(Debug, Serialize)]
pub struct AlertStatus {
    #[serde(rename = "inhibitedBy")]
    pub inhibited_by: Vec<String>,
    #[serde(rename = "mutedBy")]
    pub muted_by: Vec<String>,
    #[serde(rename = "silencedBy")]
    pub silenced_by: Vec<String>,
    pub state: &'static str,
}

/// `gettableAlert`.
#[derive(Debug, Serialize)]
pub struct GettableAlert<'a> {
    pub annotations: &'a LabelSet,
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    pub fingerprint: String,
    pub receivers: Vec<ReceiverRef<'a>>,
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    pub status: AlertStatus,
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
    #[serde(rename = "generatorURL", skip_serializing_if = "str::is_empty")]
    pub generator_url: &'a str,
    pub labels: &'a LabelSet,
}

/// `alertGroup`.
#[derive(Debug, Serialize)]
pub struct AlertGroup<'a> {
    pub alerts: Vec<GettableAlert<'a>>,
    pub labels: LabelSet,
    pub receiver: ReceiverRef<'a>,
    #[serde(rename = "routeLabels")]
    pub route_labels: &'a BTreeMap<String, String>,
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
}

#[derive(Debug, Serialize)]
pub struct SilenceCreated {
    #[serde(rename = "silenceID")]
    pub silence_id: String,
}
