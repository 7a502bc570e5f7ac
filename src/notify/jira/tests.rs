//! Jira tests against a local sink. Alertmanager 0.25 has no Jira
//! integration, so there is no differential test: the expected requests
//! are derived by hand from Alertmanager 0.34's `notify/jira/jira.go` and
//! `notify/jira/types.go` (JQL of `searchExistingIssue`, search endpoint of
//! `prepareSearchRequest`, body of `prepareIssueRequestBody` encoded through
//! `issueFields.MarshalJSON` — one map, keys sorted —, `transitionIssue`,
//! `doAPIRequestFullPath` headers and `Retrier{RetryCodes: [429]}`).

use std::time::Duration;

use super::*;
use crate::config::global::GlobalConfig;
use crate::config::notifiers::Notifier as _;
use crate::notify::testing::{Recorded, Reply, Sink, alert, at};
use crate::template::AmTemplates;

/// `ALERT{sha256 of {}:{alertname="Disk"}}` (computed with `sha256sum`).
const LABEL: &str = "ALERT{849f8175e1fa447711c42b6e6cfb199b37d2ba91e3e51a900048a82f9cf0abaa}";

fn templater() -> Arc<dyn Templater> {
    Arc::new(crate::notify::pipeline::AmTemplater::new(
        Arc::new(AmTemplates::builtin()),
        "http://am.example.com:9093".into(),
    ))
}

fn conf(yaml: &str) -> JiraConfig {
    let mut c: JiraConfig = serde_saphyr::from_str(yaml).unwrap();
    c.validate().unwrap();
    c.inherit(&GlobalConfig::default()).unwrap();
    c
}

fn jira(yaml: &str) -> Jira {
    Jira::new(&conf(yaml), Some(templater())).unwrap()
}

fn ctx() -> NotifyContext {
    let mut c = NotifyContext::new("team-X", "{}:{alertname=\"Disk\"}", at(60));
    c.group_labels = [("alertname", "Disk")].into_iter().collect();
    c.external_url = "http://am.example.com:9093".into();
    c
}

fn firing() -> Vec<Arc<Alert>> {
    vec![
        Arc::new(alert(
            &[("alertname", "Disk"), ("instance", "a"), ("team", "ops")],
            0,
            None,
        )),
        Arc::new(alert(
            &[("alertname", "Disk"), ("instance", "b"), ("team", "ops")],
            0,
            None,
        )),
    ]
}

fn resolved() -> Vec<Arc<Alert>> {
    vec![Arc::new(alert(
        &[("alertname", "Disk"), ("instance", "a"), ("team", "ops")],
        0,
        Some(30),
    ))]
}

fn target(r: &Recorded) -> String {
    r.uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

/// Method, path with query, the headers Alertmanager sets, body.
fn assert_request(r: &Recorded, method: &str, path: &str, body: &str) {
    assert_eq!(r.method, method, "{path}");
    assert_eq!(target(r), path);
    assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
    assert_eq!(r.header("accept-language"), Some("en"), "{path}");
    assert_eq!(
        r.header("user-agent"),
        Some(crate::notify::USER_AGENT),
        "{path}"
    );
    assert_eq!(r.body_text(), body, "{method} {path}");
}

/// The search body for `jql` (Go's encoder: `"` and `>` escaped).
fn search_body(jql_prefix: &str) -> String {
    let jql = format!(
        "{jql_prefix}project=\"OPS\" and labels=\"{LABEL}\" order by status ASC,resolutiondate DESC"
    );
    format!(
        "{{\"fields\":[\"status\"],\"jql\":{},\"maxResults\":2}}\n",
        String::from_utf8(crate::notify::json::encode(&jql).unwrap())
            .unwrap()
            .trim_end()
    )
}

fn issues(key: &str, category: &str) -> Reply {
    Reply::status(200).body(&format!(
        r#"{{"issues":[{{"key":"{key}","fields":{{"status":{{"name":"x","statusCategory":{{"key":"{category}"}}}}}}}}]}}"#
    ))
}

fn no_issues() -> Reply {
    Reply::status(200).body(r#"{"issues":[]}"#)
}

fn transitions() -> Reply {
    Reply::status(200).body(
        r#"{"transitions":[{"id":"11","name":"Start"},{"id":"31","name":"Done"},{"id":"41","name":"Reopen"}]}"#,
    )
}

/// A config with every issue field spelled out, so bodies are exact.
fn explicit(sink: &Sink, extra: &str) -> Jira {
    jira(&format!(
        "api_url: {}\nproject: OPS\nissue_type: Bug\nsummary: 'S {{{{ .Status }}}}'\n\
         description: 'D <{{{{ .Alerts | len }}}}>'\npriority: ''\n{extra}",
        sink.url("/rest/api/2")
    ))
}

fn json_str(s: &str) -> String {
    let mut v = crate::notify::json::encode(&s).unwrap();
    v.pop();
    String::from_utf8(v).unwrap()
}

#[tokio::test]
async fn first_firing_creates_the_issue_with_default_templates() {
    let sink = Sink::start().await;
    let j = jira(&format!(
        "api_url: {}\nproject: OPS\nissue_type: Bug",
        sink.url("/rest/api/2/")
    ));
    sink.reply(no_issues());
    sink.reply(Reply::status(201).body(r#"{"id":"10000","key":"OPS-1"}"#));
    j.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    // 127.0.0.1 is not atlassian.net: `auto` searches with the v2 endpoint.
    assert_request(
        &reqs[0],
        "POST",
        "/rest/api/2/search",
        &search_body("statusCategory != Done and "),
    );
    let description = templater()
        .execute_text(
            r#"{{ template "jira.default.description" . }}"#,
            &ctx(),
            &firing(),
        )
        .unwrap();
    assert!(description.contains("# Alerts Firing:"), "{description}");
    // No severity label: the default priority is empty and left out.
    let want = format!(
        "{{\"fields\":{{\"description\":{},\"issuetype\":{{\"name\":\"Bug\"}},\
         \"labels\":[\"{LABEL}\"],\"project\":{{\"key\":\"OPS\"}},\
         \"summary\":\"[FIRING:2] Disk (ops)\"}}}}\n",
        json_str(&description)
    );
    assert_request(&reqs[1], "POST", "/rest/api/2/issue", &want);
    assert_eq!(reqs[0].header("authorization"), None);
}

#[tokio::test]
async fn default_priority_follows_severity() {
    let sink = Sink::start().await;
    let j = jira(&format!(
        "api_url: {}\nproject: OPS\nissue_type: Bug\ndescription: ''",
        sink.url("/rest/api/2")
    ));
    sink.reply(no_issues());
    let alerts = vec![Arc::new(alert(
        &[("alertname", "Disk"), ("severity", "critical")],
        0,
        None,
    ))];
    j.notify(&ctx(), &alerts).await.unwrap();
    let reqs = sink.requests();
    // An empty description is left out.
    assert_eq!(
        reqs[1].body_text(),
        format!(
            "{{\"fields\":{{\"issuetype\":{{\"name\":\"Bug\"}},\"labels\":[\"{LABEL}\"],\
             \"priority\":{{\"name\":\"High\"}},\"project\":{{\"key\":\"OPS\"}},\
             \"summary\":\"[FIRING:1] Disk (critical)\"}}}}\n"
        )
    );
}

#[tokio::test]
async fn every_templated_field_custom_fields_and_truncation() {
    let sink = Sink::start().await;
    let long = "é".repeat(300);
    let j = jira(&format!(
        "api_url: {}\nproject: '{{{{ .CommonLabels.team | toUpper }}}}'\n\
         issue_type: '{{{{ if eq .Status \"firing\" }}}}Incident{{{{ end }}}}'\n\
         summary: '{long} {{{{ .Status }}}}'\n\
         description: \"Alerts: {{{{ .Alerts | len }}}} & more\"\n\
         labels: ['team-{{{{ .CommonLabels.team }}}}', 'alertmanager']\n\
         priority: '{{{{ .CommonLabels.team }}}}-p'\n\
         fields:\n  customfield_10001: '{{{{ .Alerts | len }}}}'\n\
         \x20 customfield_10002: {{value: '{{{{ .GroupLabels.alertname }}}}', '{{{{ .CommonLabels.team }}}}': x}}\n\
         \x20 customfield_10003: [a, 7, '{{{{ \"\" }}}}']\n\
         \x20 customfield_10004: 'key: val'\n\
         \x20 customfield_10005: [2.0, 2.5, '{{{{ \"3.0\" }}}}', '{{{{ \"yes\" }}}}']\n",
        sink.url("/rest/api/2")
    ));
    sink.reply(no_issues());
    j.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    // Rendered strings are read as YAML as Alertmanager's yaml.v2 does:
    // `2` a number, `key: val` a map, `yes` (YAML 1.1) true, `` null;
    // integral floats are written without `.0`, as Go's encoder does.
    let summary = format!("{}…", "é".repeat(254));

    let want = format!(
        "{{\"fields\":{{\"customfield_10001\":2,\
         \"customfield_10002\":{{\"ops\":\"x\",\"value\":\"Disk\"}},\
         \"customfield_10003\":[\"a\",7,null],\
         \"customfield_10004\":{{\"key\":\"val\"}},\
         \"customfield_10005\":[2,2.5,3,true],\
         \"description\":\"Alerts: 2 \\u0026 more\",\
         \"issuetype\":{{\"name\":\"Incident\"}},\
         \"labels\":[\"{LABEL}\",\"alertmanager\",\"team-ops\"],\
         \"priority\":{{\"name\":\"ops-p\"}},\"project\":{{\"key\":\"OPS\"}},\
         \"summary\":\"{summary}\"}}}}\n"
    );
    assert_request(&reqs[1], "POST", "/rest/api/2/issue", &want);
    // The templated project is searched for.
    assert!(reqs[0].body_text().contains(r#"project=\"OPS\""#));
}

#[tokio::test]
async fn repeat_updates_the_open_issue_without_transition() {
    let sink = Sink::start().await;
    let j = explicit(&sink, "resolve_transition: Done\nreopen_transition: Reopen");
    sink.reply(issues("OPS-7", "indeterminate"));
    sink.reply(Reply::status(204));
    j.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(
        reqs.len(),
        2,
        "an open issue of a firing group is not transitioned"
    );
    // reopen_duration unset: open issues only.
    assert_request(
        &reqs[0],
        "POST",
        "/rest/api/2/search",
        &search_body("statusCategory != Done and "),
    );
    assert_request(
        &reqs[1],
        "PUT",
        "/rest/api/2/issue/OPS-7",
        &format!(
            "{{\"fields\":{{\"description\":\"D \\u003c2\\u003e\",\"issuetype\":{{\"name\":\"Bug\"}},\
             \"labels\":[\"{LABEL}\"],\"project\":{{\"key\":\"OPS\"}},\"summary\":\"S firing\"}}}}\n"
        ),
    );
}

#[tokio::test]
async fn update_leaves_out_fields_whose_update_is_disabled() {
    let sink = Sink::start().await;
    let j = jira(&format!(
        "api_url: {}\nproject: OPS\nissue_type: Bug\npriority: ''\n\
         summary: {{template: 'S', enable_update: false}}\n\
         description: {{template: 'D', enable_update: false}}",
        sink.url("/rest/api/2")
    ));
    sink.reply(no_issues());
    j.notify(&ctx(), &firing()).await.unwrap();
    sink.reply(issues("OPS-1", "new"));
    j.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 4);
    // Created with both…
    assert_eq!(
        reqs[1].body_text(),
        format!(
            "{{\"fields\":{{\"description\":\"D\",\"issuetype\":{{\"name\":\"Bug\"}},\
             \"labels\":[\"{LABEL}\"],\"project\":{{\"key\":\"OPS\"}},\"summary\":\"S\"}}}}\n"
        )
    );
    // …updated without either.
    assert_request(
        &reqs[3],
        "PUT",
        "/rest/api/2/issue/OPS-1",
        &format!(
            "{{\"fields\":{{\"issuetype\":{{\"name\":\"Bug\"}},\
             \"labels\":[\"{LABEL}\"],\"project\":{{\"key\":\"OPS\"}}}}}}\n"
        ),
    );
}

#[tokio::test]
async fn resolve_updates_then_transitions() {
    let sink = Sink::start().await;
    let j = explicit(
        &sink,
        "resolve_transition: Done\nreopen_transition: Reopen\nreopen_duration: 1h",
    );
    sink.reply(issues("OPS-7", "indeterminate"));
    sink.reply(Reply::status(204));
    sink.reply(transitions());
    sink.reply(Reply::status(204));
    j.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 4);
    // Resolved: the reopen window does not apply to the search.
    assert_request(
        &reqs[0],
        "POST",
        "/rest/api/2/search",
        &search_body("statusCategory != Done and "),
    );
    assert_request(
        &reqs[1],
        "PUT",
        "/rest/api/2/issue/OPS-7",
        &format!(
            "{{\"fields\":{{\"description\":\"D \\u003c1\\u003e\",\"issuetype\":{{\"name\":\"Bug\"}},\
             \"labels\":[\"{LABEL}\"],\"project\":{{\"key\":\"OPS\"}},\"summary\":\"S resolved\"}}}}\n"
        ),
    );
    // Go sets Content-Type on the bodiless GET too.
    assert_request(&reqs[2], "GET", "/rest/api/2/issue/OPS-7/transitions", "");
    assert_eq!(
        reqs[2].header("content-length"),
        None,
        "{:?}",
        reqs[2].headers
    );
    assert_eq!(reqs[2].header("transfer-encoding"), None);
    assert_request(
        &reqs[3],
        "POST",
        "/rest/api/2/issue/OPS-7/transitions",
        "{\"transition\":{\"id\":\"31\"}}\n",
    );
}

#[tokio::test]
async fn resolved_group_without_issue_creates_nothing_and_done_issue_is_left() {
    let sink = Sink::start().await;
    let j = explicit(&sink, "resolve_transition: Done");
    sink.reply(no_issues());
    j.notify(&ctx(), &resolved()).await.unwrap();
    assert_eq!(sink.requests().len(), 1, "only the search");
    // An issue already done is updated but not transitioned again.
    sink.reply(issues("OPS-7", "done"));
    j.notify(&ctx(), &resolved()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2].method, "PUT");
}

#[tokio::test]
async fn refire_within_reopen_duration_reopens() {
    let sink = Sink::start().await;
    let j = explicit(
        &sink,
        "resolve_transition: Done\nreopen_transition: Reopen\nreopen_duration: 1h30m59s\n\
         wont_fix_resolution: \"Won't \\\"Fix\\\"\"",
    );
    sink.reply(issues("OPS-7", "done"));
    sink.reply(Reply::status(204));
    sink.reply(transitions());
    sink.reply(Reply::status(204));
    j.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 4);
    // Whole minutes of reopen_duration; the won't-fix resolution %q-quoted.
    assert_request(
        &reqs[0],
        "POST",
        "/rest/api/2/search",
        &search_body(
            "(resolution is EMPTY or resolution != \"Won't \\\"Fix\\\"\") and \
             (resolutiondate is EMPTY OR resolutiondate >= -90m) and ",
        ),
    );
    assert!(
        reqs[0].body_text().contains("resolutiondate \\u003e= -90m"),
        "{}",
        reqs[0].body_text()
    );
    assert_eq!(reqs[1].method, "PUT");
    assert_eq!(target(&reqs[1]), "/rest/api/2/issue/OPS-7");
    assert_request(&reqs[2], "GET", "/rest/api/2/issue/OPS-7/transitions", "");
    assert_request(
        &reqs[3],
        "POST",
        "/rest/api/2/issue/OPS-7/transitions",
        "{\"transition\":{\"id\":\"41\"}}\n",
    );
}

#[tokio::test]
async fn missing_transition_fails_without_retry() {
    let sink = Sink::start().await;
    let j = explicit(&sink, "resolve_transition: Close");
    sink.reply(issues("OPS-7", "new"));
    sink.reply(Reply::status(204));
    sink.reply(transitions());
    let e = j.notify(&ctx(), &resolved()).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(e.message, "can't find transition Close for issue OPS-7");
    assert_eq!(sink.requests().len(), 3);
}

#[tokio::test]
async fn api_v3_description_is_compacted_adf_json() {
    let sink = Sink::start().await;
    let adf = r#"{ "type": "doc", "version": 1,
  "content": [ { "type": "paragraph", "content": [ { "type": "text", "text": "{{ .Alerts | len }} <firing> & \u00e9" } ] } ] }"#;
    let j = jira(&format!(
        "api_url: {}\napi_type: datacenter\nproject: OPS\nissue_type: Bug\npriority: ''\n\
         summary: S\ndescription: '{}'",
        sink.url("/rest/api/3"),
        adf.replace('\'', "''")
    ));
    sink.reply(no_issues());
    j.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    // datacenter: always the v2-style /search under the configured URL.
    assert_eq!(target(&reqs[0]), "/rest/api/3/search");
    let want = format!(
        "{{\"fields\":{{\"description\":{{\"type\":\"doc\",\"version\":1,\"content\":[{{\"type\":\"paragraph\",\
         \"content\":[{{\"type\":\"text\",\"text\":\"2 \\u003cfiring\\u003e \\u0026 \\u00e9\"}}]}}]}},\
         \"issuetype\":{{\"name\":\"Bug\"}},\"labels\":[\"{LABEL}\"],\"project\":{{\"key\":\"OPS\"}},\
         \"summary\":\"S\"}}}}\n"
    );
    assert_request(&reqs[1], "POST", "/rest/api/3/issue", &want);
}

#[tokio::test]
async fn api_v3_with_text_description_fails_after_the_search() {
    let sink = Sink::start().await;
    let j = jira(&format!(
        "api_url: {}\nproject: OPS\nissue_type: Bug",
        sink.url("/rest/api/3")
    ));
    sink.reply(no_issues());
    let e = j.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(e.message, "description template: invalid JSON for API v3");
    assert_eq!(sink.requests().len(), 1);
}

#[tokio::test]
async fn cloud_searches_with_v3_search_jql() {
    let sink = Sink::start().await;
    let j = explicit(&sink, "api_type: cloud");
    sink.reply(no_issues());
    j.notify(&ctx(), &firing()).await.unwrap();
    let reqs = sink.requests();
    assert_request(
        &reqs[0],
        "POST",
        "/rest/api/3/search/jql",
        &search_body("statusCategory != Done and "),
    );
    // The issue itself stays on the configured (v2) API.
    assert_eq!(target(&reqs[1]), "/rest/api/2/issue");
    // `auto` picks the cloud endpoint for *.atlassian.net hosts only.
    let c = conf("api_url: https://acme.atlassian.net/rest/api/2\nproject: OPS\nissue_type: Bug");
    let j = Jira::new(&c, None).unwrap();
    assert_eq!(
        j.search_url(),
        "https://acme.atlassian.net/rest/api/3/search/jql"
    );
    let c = conf(
        "api_url: https://acme.atlassian.net/rest/api/2?x=1\napi_type: datacenter\n\
         project: OPS\nissue_type: Bug",
    );
    let j = Jira::new(&c, None).unwrap();
    assert_eq!(
        j.search_url(),
        "https://acme.atlassian.net/rest/api/2/search?x=1"
    );
}

#[tokio::test]
async fn auth_from_http_config() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "s3cret\n").unwrap();
    let j = explicit(
        &sink,
        &format!(
            "http_config:\n  basic_auth: {{username: bot@example.com, password_file: {}}}",
            pw.display()
        ),
    );
    sink.reply(issues("OPS-1", "new"));
    j.notify(&ctx(), &firing()).await.unwrap();
    use base64::Engine as _;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("bot@example.com:s3cret")
    );
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.header("authorization"), Some(basic.as_str()));
    }
    // The file is read at notify time.
    std::fs::write(&pw, "rotated").unwrap();
    sink.reply(no_issues());
    j.notify(&ctx(), &firing()).await.unwrap();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("bot@example.com:rotated")
    );
    assert_eq!(
        sink.requests()[2].header("authorization"),
        Some(basic.as_str())
    );

    let sink = Sink::start().await;
    let j = explicit(
        &sink,
        "http_config:\n  authorization: {credentials: pat-123}\n  http_headers: {X-Extra: {values: [y]}}",
    );
    sink.reply(no_issues());
    j.notify(&ctx(), &firing()).await.unwrap();
    for r in sink.requests() {
        assert_eq!(r.header("authorization"), Some("Bearer pat-123"));
        assert_eq!(r.header("x-extra"), Some("y"));
        assert_eq!(r.header("accept-language"), Some("en"));
    }
}

#[tokio::test]
async fn failure_classification() {
    let sink = Sink::start().await;
    let j = explicit(
        &sink,
        "http_config: {basic_auth: {username: u, password: topsecret}}",
    );

    // 401 on the search: authError, final.
    sink.reply(Reply::status(401).body("nope"));
    let e = j.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(e.reason, FailureReason::AuthError);
    assert_eq!(
        e.message,
        "failed to look up existing issues: HTTP request to JIRA API: unexpected status code 401: nope"
    );
    assert!(!e.message.contains("topsecret"));

    // 429 on the create: rate limited, retried after Retry-After.
    sink.reply(no_issues());
    sink.reply(Reply::status(429).header("retry-after", "7").body("slow"));
    let e = j.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(
        e.message,
        "failed to POST request to \"issue\": unexpected status code 429: slow"
    );

    // 5xx on the update: serverError, retried.
    sink.reply(issues("OPS-2", "new"));
    sink.reply(Reply::status(503));
    let e = j.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::ServerError);
    assert_eq!(
        e.message,
        "failed to PUT request to \"issue/OPS-2\": unexpected status code 503"
    );

    // Other 4xx: clientError, final.
    sink.reply(no_issues());
    sink.reply(Reply::status(400).body(r#"{"errors":{"priority":"bad"}}"#));
    let e = j.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(e.reason, FailureReason::ClientError);
    assert_eq!(
        e.message,
        r#"failed to POST request to "issue": unexpected status code 400: {"errors":{"priority":"bad"}}"#
    );

    // 5xx on the transitions lookup: retried, message unwrapped.
    let j = explicit(&sink, "resolve_transition: Done");
    sink.reply(issues("OPS-2", "new"));
    sink.reply(Reply::status(204));
    sink.reply(Reply::status(502).body("gw"));
    let e = j.notify(&ctx(), &resolved()).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.message, "unexpected status code 502: gw");

    // An unparsable search answer: final.
    sink.reply(Reply::status(200).body("<html>"));
    let e = j.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert!(
        e.message.starts_with("failed to look up existing issues: "),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn transport_errors_are_not_retried() {
    let j = jira("api_url: http://127.0.0.1:9/rest/api/2\nproject: OPS\nissue_type: Bug");
    let e = j.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(
        !e.retryable,
        "0.34 returns shouldRetry=false for client.Do errors"
    );
    assert!(
        e.message.starts_with(
            "failed to look up existing issues: HTTP request to JIRA API: Post \"<redacted>\""
        ),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn retries_through_the_retry_stage() {
    use crate::notify::{Backoff, Integration, retry_with_backoff};
    let sink = Sink::start().await;
    let integration = Integration::new(Arc::new(explicit(&sink, "")), 0, true);
    let mut c = ctx();
    c.deadline = Some(tokio::time::Instant::now() + Duration::from_secs(20));
    // 429 with Retry-After: 1 on the search, then success.
    sink.reply(Reply::status(429).header("retry-after", "1"));
    sink.reply(no_issues());
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(950));
    assert_eq!(target(&reqs[1]), "/rest/api/2/search");
    assert_eq!(target(&reqs[2]), "/rest/api/2/issue");
    // A 400 is final: one attempt.
    sink.reply(Reply::status(400));
    retry_with_backoff(&integration, &c, &firing(), Backoff::with_random(|| 0.0))
        .await
        .unwrap_err();
    assert_eq!(sink.requests().len(), 4);
}

#[tokio::test]
async fn template_errors_fail_without_retry() {
    let sink = Sink::start().await;
    let j = explicit(&sink, "labels: [ok, '{{ template \"nope\" . }}']");
    sink.reply(no_issues());
    let e = j.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert!(
        e.message.starts_with("labels[1] template: "),
        "{}",
        e.message
    );
    // The search ran first, as in Alertmanager; nothing was created.
    assert_eq!(sink.requests().len(), 1);

    let j = jira(&format!(
        "api_url: {}\nproject: '{{{{ template \"nope\" . }}}}'\nissue_type: Bug",
        sink.url("/rest/api/2")
    ));
    let e = j.notify(&ctx(), &firing()).await.unwrap_err();
    assert!(!e.retryable);
    assert!(
        e.message
            .starts_with("failed to look up existing issues: invalid project template or value: "),
        "{}",
        e.message
    );
    assert_eq!(sink.requests().len(), 1, "no search without a project");
}

#[test]
fn go_helpers() {
    assert_eq!(
        go_quote("a\"b\\c\n\u{1}é\u{a0}"),
        "\"a\\\"b\\\\c\\n\\x01é\\u00a0\""
    );
    let base = url::Url::parse("https://j.example.com/jira/rest/api/2/").unwrap();
    assert_eq!(
        go_join_path(&base, "issue/OPS-1/transitions"),
        "https://j.example.com/jira/rest/api/2/issue/OPS-1/transitions"
    );
    let base = url::Url::parse("https://j.example.com").unwrap();
    assert_eq!(go_join_path(&base, "issue"), "https://j.example.com/issue");
    assert!(is_api_v3_path("/rest/api/3/"));
    assert!(!is_api_v3_path("/rest/api/2"));
    assert_eq!(
        compact_raw("{ \"a\" : [ 1.0 , \"x y\\\" <\" ] }"),
        "{\"a\":[1.0,\"x y\\\" \\u003c\"]}"
    );
}
