//! Jira: one issue per aggregation group, as Alertmanager 0.34's
//! `notify/jira` keeps it. Each notification searches the group's issue by
//! JQL (label `ALERT{<sha256 of the group key>}`), creates it
//! (`POST …/issue`) or updates it (`PUT …/issue/<key>`), then resolves or
//! reopens it through the configured workflow transitions
//! (`GET`/`POST …/issue/<key>/transitions`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::http::{HttpClient, go_join_path};
use super::text::truncate_in_runes;
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::http::Headers;
use crate::config::notifiers::jira::JiraConfig;
use crate::matcher::go_quote;

const MAX_SUMMARY_RUNES: usize = 255;
const MAX_DESCRIPTION_RUNES: usize = 32767;

/// The Jira notifier.
pub struct Jira {
    conf: JiraConfig,
    api_url: url::Url,
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
}

/// An issue as the search answers it.
#[derive(Debug, Default, Deserialize)]
struct FoundIssue {
    #[serde(default)]
    key: String,
    #[serde(default)]
    fields: Option<FoundFields>,
}

#[derive(Debug, Default, Deserialize)]
struct FoundFields {
    #[serde(default)]
    status: Option<FoundStatus>,
}

#[derive(Debug, Default, Deserialize)]
struct FoundStatus {
    #[serde(default, rename = "statusCategory")]
    status_category: StatusCategory,
}

#[derive(Debug, Default, Deserialize)]
struct StatusCategory {
    #[serde(default)]
    key: String,
}

#[derive(Debug, Default, Deserialize)]
struct SearchResult {
    #[serde(default)]
    issues: Vec<FoundIssue>,
}

#[derive(Debug, Default, Deserialize)]
struct Transitions {
    #[serde(default)]
    transitions: Vec<IdName>,
}

#[derive(Debug, Default, Deserialize)]
struct IdName {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
}

/// The rendered templates of one notification.
struct Rendered {
    summary: String,
    project: String,
    issue_type: String,
    fields: BTreeMap<String, Value>,
    description: String,
    labels: Vec<String>,
    priority: String,
}

/// Go's `json.Compact` with HTML escaping, as `json.Encoder` applies it to
/// a `json.RawMessage`: insignificant whitespace dropped, `<`, `>`, `&`,
/// U+2028 and U+2029 in strings escaped, everything else kept as written.
fn compact_raw(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in raw.chars() {
        if in_string {
            if escaped {
                escaped = false;
                out.push(c);
                continue;
            }
            match c {
                '\\' => {
                    escaped = true;
                    out.push(c);
                }
                '"' => {
                    in_string = false;
                    out.push(c);
                }
                '<' => out.push_str("\\u003c"),
                '>' => out.push_str("\\u003e"),
                '&' => out.push_str("\\u0026"),
                '\u{2028}' => out.push_str("\\u2028"),
                '\u{2029}' => out.push_str("\\u2029"),
                c => out.push(c),
            }
        } else {
            match c {
                ' ' | '\t' | '\n' | '\r' => {}
                '"' => {
                    in_string = true;
                    out.push(c);
                }
                c => out.push(c),
            }
        }
    }
    out
}

/// One JSON value as Go's encoder writes it (no trailing newline).
fn encode_value<T: serde::Serialize + ?Sized>(v: &T) -> Result<String, NotifyError> {
    let mut bytes = super::json::encode(v)
        .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))?;
    bytes.pop();
    String::from_utf8(bytes)
        .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))
}

/// Template strings of a `fields` value in traversal order (nested map
/// keys, then their values; string leaves).
fn collect_strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k);
                collect_strings(x, out);
            }
        }
        _ => {}
    }
}

/// Alertmanager's `DeepCopyWithTemplate` with the rendered strings: a
/// rendered string that parses as non-string YAML becomes that value (an
/// empty or `null` one becomes `null`).
fn rebuild(v: &Value, rendered: &mut impl Iterator<Item = String>) -> Value {
    match v {
        Value::String(_) => yaml_value(rendered.next().unwrap_or_default()),
        Value::Array(a) => Value::Array(a.iter().map(|x| rebuild(x, rendered)).collect()),
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (_, x) in m {
                let key = rendered.next().unwrap_or_default();
                let value = rebuild(x, rendered);
                out.insert(key, value);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Numbers as Go's encoder writes a decoded YAML number: a float with an
/// integral value has no `.0` (`2.0` is written `2`).
fn go_numbers(v: Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Value::Number((f as i64).into())
            }
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(go_numbers).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, x)| (k, go_numbers(x))).collect()),
        other => other,
    }
}

fn yaml_value(s: String) -> Value {
    if s.trim().is_empty() {
        return Value::Null;
    }
    match serde_saphyr::from_str::<Value>(&s) {
        Ok(Value::String(_)) | Err(_) => Value::String(s),
        Ok(v) => v,
    }
}

/// Whether the API URL's path ends in `/3` (Jira's v3 REST API, whose
/// descriptions are Atlassian Document Format JSON).
fn is_api_v3_path(path: &str) -> bool {
    let decoded = percent_decode(path);
    decoded.trim_end_matches('/').ends_with("/3")
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

impl Jira {
    /// Builds the notifier; fails when the HTTP client cannot be built.
    pub fn new(conf: &JiraConfig, templater: Option<Arc<dyn Templater>>) -> Result<Self, String> {
        let mut http = conf.http_config.clone().unwrap_or_default();
        // Every request carries `Accept-Language: en` (set before the
        // configured `http_headers`, which are added to it).
        let mut headers = http.http_headers.take().unwrap_or(Headers(BTreeMap::new()));
        let name = headers
            .0
            .keys()
            .find(|k| k.eq_ignore_ascii_case("accept-language"))
            .cloned()
            .unwrap_or_else(|| "Accept-Language".to_string());
        let entry = headers.0.entry(name).or_default();
        entry.values.insert(0, "en".to_string());
        http.http_headers = Some(headers);
        let client = HttpClient::new(&http)?;
        let api_url = conf
            .api_url
            .as_ref()
            .map(|u| u.url().clone())
            .ok_or("no Jira API URL")?;
        Ok(Jira {
            conf: conf.clone(),
            api_url,
            client,
            templater,
        })
    }

    /// The group's label, `ALERT{<sha256 hex of the group key>}`.
    fn alert_label(ctx: &NotifyContext) -> String {
        format!("ALERT{{{}}}", super::group_key_hash(&ctx.group_key))
    }

    /// Renders every template; a failure names the first field that failed
    /// as Alertmanager does (`summary template: …`).
    fn render(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<Rendered, String> {
        let c = &self.conf;
        let Some(t) = &self.templater else {
            return Err("no template engine configured".to_string());
        };
        let mut texts: Vec<&str> = vec![&c.summary.template, &c.project, &c.issue_type];
        let mut field_ranges = Vec::new();
        for v in c.fields.values() {
            let start = texts.len();
            collect_strings(v, &mut texts);
            field_ranges.push((start, texts.len()));
        }
        let description_at = texts.len();
        texts.push(&c.description.template);
        let labels_at = texts.len();
        texts.extend(c.labels.iter().map(String::as_str));
        texts.push(&c.priority);
        let out = match t.execute_all(&texts, ctx, alerts) {
            Ok(out) => out,
            Err(e) => {
                // Which field failed first decides the message.
                let failed = texts
                    .iter()
                    .position(|text| t.execute_text(text, ctx, alerts).is_err())
                    .unwrap_or(0);
                let what = match failed {
                    0 => "summary template".to_string(),
                    1 => "project template".to_string(),
                    2 => "issue_type template".to_string(),
                    i if i < description_at => "fields template".to_string(),
                    i if i == description_at => "description template".to_string(),
                    i if i < texts.len() - 1 => format!("labels[{}] template", i - labels_at),
                    _ => "priority template".to_string(),
                };
                return Err(format!("{what}: {e}"));
            }
        };
        let mut fields = BTreeMap::new();
        for ((name, v), (start, end)) in c.fields.iter().zip(field_ranges) {
            let mut it = out[start..end].iter().cloned();
            fields.insert(name.clone(), go_numbers(rebuild(v, &mut it)));
        }
        Ok(Rendered {
            summary: out[0].clone(),
            project: out[1].clone(),
            issue_type: out[2].clone(),
            fields,
            description: out[description_at].clone(),
            labels: out[labels_at..labels_at + c.labels.len()].to_vec(),
            priority: out[texts.len() - 1].clone(),
        })
    }

    /// The JQL finding the group's issue (`searchExistingIssue`).
    fn jql(&self, project: &str, label: &str, firing: bool) -> String {
        let c = &self.conf;
        let mut jql = String::new();
        if !c.wont_fix_resolution.is_empty() {
            jql.push_str(&format!(
                "(resolution is EMPTY or resolution != {}) and ",
                go_quote(&c.wont_fix_resolution)
            ));
        }
        let reopen_minutes = c.reopen_duration.as_std().as_secs() / 60;
        if firing && !c.reopen_transition.is_empty() && reopen_minutes > 0 {
            jql.push_str(&format!(
                "(resolutiondate is EMPTY OR resolutiondate >= -{reopen_minutes}m) and "
            ));
        } else {
            jql.push_str("statusCategory != Done and ");
        }
        jql.push_str(&format!(
            "project={} and labels={} order by status ASC,resolutiondate DESC",
            go_quote(project),
            go_quote(label)
        ));
        jql
    }

    /// The search URL: v2 `/search` for Data Center (and non-Atlassian
    /// hosts under `auto`), v3 `/search/jql` for Jira Cloud.
    fn search_url(&self) -> String {
        let c = &self.conf;
        let cloud = c.api_type == "cloud"
            || (c.api_type == "auto"
                && self
                    .api_url
                    .host_str()
                    .is_some_and(|h| h.ends_with("atlassian.net")));
        if c.api_type != "datacenter" && cloud {
            go_join_path(&self.api_url, "/search/jql").replacen("/rest/api/2/", "/rest/api/3/", 1)
        } else {
            go_join_path(&self.api_url, "/search")
        }
    }

    /// One API call (`doAPIRequestFullPath`): the answer's body on 2xx;
    /// otherwise `Retrier.Check` with 429 retried. Transport failures are
    /// not retried, as in Alertmanager.
    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, NotifyError> {
        let body = Some(("application/json", body.unwrap_or_default()));
        let resp = self
            .client
            .request(method, url, body)
            .await
            .map_err(|mut e| {
                e.retryable = false;
                e
            })?;
        if !(200..300).contains(&resp.status()) {
            return Err(resp.check(&[429]).await.expect_err("not 2xx"));
        }
        resp.bytes().await.map_err(|mut e| {
            e.retryable = false;
            e
        })
    }

    /// The issue body: `{"fields":{…}}` with the standard fields and the
    /// custom ones merged, keys sorted as Go's map encoding sorts them.
    fn issue_body(
        &self,
        ctx: &NotifyContext,
        r: &Rendered,
        label: &str,
        update: bool,
    ) -> Result<Vec<u8>, NotifyError> {
        let c = &self.conf;
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        let (summary, cut) = truncate_in_runes(&r.summary, MAX_SUMMARY_RUNES);
        if cut {
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, max_runes = MAX_SUMMARY_RUNES, "Truncated summary");
        }
        let (description, cut) = truncate_in_runes(&r.description, MAX_DESCRIPTION_RUNES);
        if cut {
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, max_runes = MAX_DESCRIPTION_RUNES, "Truncated description");
        }
        let description = if is_api_v3_path(self.api_url.path()) {
            let trimmed = description.trim();
            if trimmed.is_empty() {
                None
            } else {
                if serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_err() {
                    return Err(NotifyError::permanent(
                        FailureReason::Other,
                        "description template: invalid JSON for API v3",
                    ));
                }
                Some(compact_raw(trimmed))
            }
        } else if description.is_empty() {
            None
        } else {
            Some(encode_value(&description)?)
        };
        if !update || c.summary.enable_update_value() {
            fields.insert("summary".into(), encode_value(&summary)?);
        }
        if let Some(d) = description
            && (!update || c.description.enable_update_value())
        {
            fields.insert("description".into(), d);
        }
        fields.insert(
            "issuetype".into(),
            encode_value(&id_name("", &r.issue_type))?,
        );
        let mut labels = r.labels.clone();
        labels.push(label.to_string());
        labels.sort();
        fields.insert("labels".into(), encode_value(&labels)?);
        if !r.priority.is_empty() {
            fields.insert("priority".into(), encode_value(&id_name("", &r.priority))?);
        }
        fields.insert(
            "project".into(),
            encode_value(&serde_json::json!({"key": r.project}))?,
        );
        for (k, v) in &r.fields {
            fields.insert(k.clone(), encode_value(v)?);
        }
        let mut out = String::from("{\"fields\":{");
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&encode_value(k)?);
            out.push(':');
            out.push_str(v);
        }
        out.push_str("}}\n");
        Ok(out.into_bytes())
    }

    async fn run(&self, ctx: &NotifyContext, alerts: &[Arc<Alert>]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let firing = alerts.iter().any(|a| !a.resolved_at(ctx.now));
        let label = Self::alert_label(ctx);
        let rendered = self.render(ctx, alerts);
        // The search renders only the project; its failure comes first.
        let project = match &rendered {
            Ok(r) => r.project.clone(),
            Err(e) if e.starts_with("project template: ") => {
                return Err(NotifyError::permanent(
                    FailureReason::Other,
                    format!(
                        "failed to look up existing issues: invalid project template or value: {}",
                        &e["project template: ".len()..]
                    ),
                ));
            }
            Err(_) => match &self.templater {
                Some(t) => t
                    .execute_text(&c.project, ctx, alerts)
                    .map_err(|e| NotifyError::permanent(FailureReason::Other, e))?,
                None => String::new(),
            },
        };

        let search = serde_json::json!({
            "fields": ["status"],
            "jql": self.jql(&project, &label, firing),
            "maxResults": 2,
        });
        let body = super::json::encode(&search)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))?;
        let answer = self
            .call(reqwest::Method::POST, &self.search_url(), Some(body))
            .await
            .map_err(|mut e| {
                e.message = format!(
                    "failed to look up existing issues: HTTP request to JIRA API: {}",
                    e.message
                );
                e
            })?;
        let found: SearchResult = serde_json::from_slice(&answer).map_err(|e| {
            NotifyError::permanent(
                FailureReason::Other,
                format!("failed to look up existing issues: {e}"),
            )
        })?;
        if found.issues.len() > 1 {
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, selected_issue = %found.issues[0].key, "more than one issue matched, selecting the most recently resolved");
        }
        let existing = found.issues.into_iter().next();
        if existing.is_none() && !firing {
            // No issue is created for resolved alerts.
            return Ok(());
        }
        let rendered = rendered.map_err(|e| NotifyError::permanent(FailureReason::Other, e))?;
        let (method, path) = match &existing {
            None => (reqwest::Method::POST, "issue".to_string()),
            Some(i) => (reqwest::Method::PUT, format!("issue/{}", i.key)),
        };
        let body = self.issue_body(ctx, &rendered, &label, existing.is_some())?;
        self.call(
            method.clone(),
            &go_join_path(&self.api_url, &path),
            Some(body),
        )
        .await
        .map_err(|mut e| {
            e.message = format!(
                "failed to {method} request to {}: {}",
                go_quote(&path),
                e.message
            );
            e
        })?;
        match existing {
            Some(i) => self.transition(&i, firing).await,
            None => Ok(()),
        }
    }

    /// Reopens a done issue of a firing group, resolves an open issue of a
    /// resolved group (`transitionIssue`).
    async fn transition(&self, issue: &FoundIssue, firing: bool) -> Result<(), NotifyError> {
        let Some(status) = issue.fields.as_ref().and_then(|f| f.status.as_ref()) else {
            return Ok(());
        };
        if issue.key.is_empty() {
            return Ok(());
        }
        let done = status.status_category.key == "done";
        let name = match (firing, done) {
            (true, true) => &self.conf.reopen_transition,
            (false, false) => &self.conf.resolve_transition,
            _ => return Ok(()),
        };
        if name.is_empty() {
            return Ok(());
        }
        let url = go_join_path(&self.api_url, &format!("issue/{}/transitions", issue.key));
        let answer = self.call(reqwest::Method::GET, &url, None).await?;
        let list: Transitions = serde_json::from_slice(&answer)
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))?;
        let Some(t) = list.transitions.iter().find(|t| &t.name == name) else {
            return Err(NotifyError::permanent(
                FailureReason::Other,
                format!("can't find transition {name} for issue {}", issue.key),
            ));
        };
        let body = super::json::encode(&serde_json::json!({"transition": id_name(&t.id, "")}))
            .map_err(|e| NotifyError::permanent(FailureReason::Other, e.to_string()))?;
        self.call(reqwest::Method::POST, &url, Some(body)).await?;
        Ok(())
    }
}

/// Alertmanager's `idNameValue`: `id` and `name`, each left out when empty.
fn id_name(id: &str, name: &str) -> Value {
    let mut m = serde_json::Map::new();
    if !id.is_empty() {
        m.insert("id".into(), Value::String(id.into()));
    }
    if !name.is_empty() {
        m.insert("name".into(), Value::String(name.into()));
    }
    Value::Object(m)
}

impl Notifier for Jira {
    fn kind(&self) -> &'static str {
        "jira"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(self.run(ctx, alerts))
    }
}

#[cfg(test)]
mod tests;
