//! Receiver testing: one test notification through each integration of the
//! chosen receivers, to find a wrong token, URL or channel before an
//! incident does (`tocsin receivers test`, `POST
//! /api/tocsin/v1/receivers/test`, the UI's button). The notification is a
//! firing alert named `TestAlert` whose annotations say it is a test,
//! rendered with the receiver's real templates; it goes straight to each
//! integration (one attempt, bounded), not through routing, silences or
//! the notification log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Integration, NotifyContext};
use crate::alert::{Alert, LabelSet, Timestamp};

/// The longest one integration's test may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// What the test alert carries unless the caller overrides it.
pub const DEFAULT_LABELS: [(&str, &str); 2] = [("alertname", "TestAlert"), ("instance", "tocsin")];

/// Receivers by name with their integrations, as tested.
pub type Chosen = Vec<(String, Vec<Integration>)>;

/// The outcome of one integration's test.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub receiver: String,
    pub integration: String,
    pub index: usize,
    pub ok: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
    pub duration_seconds: f64,
}

impl Outcome {
    /// `team/slack[0]: ok` or `team/slack[0]: failed: <error>`.
    pub fn line(&self) -> String {
        let what = format!("{}/{}[{}]", self.receiver, self.integration, self.index);
        if self.ok {
            format!("{what}: ok ({:.0} ms)", self.duration_seconds * 1000.0)
        } else {
            format!("{what}: failed: {}", self.error)
        }
    }
}

/// The test alert: firing since `now`, with `labels` over
/// [`DEFAULT_LABELS`] and annotations saying it is a test (over which
/// `annotations` go).
pub fn test_alert(labels: &LabelSet, annotations: &LabelSet, now: Timestamp) -> Alert {
    let mut l: std::collections::BTreeMap<String, String> = DEFAULT_LABELS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.extend(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut a: std::collections::BTreeMap<String, String> = [
        (
            "summary",
            "Test notification from Tocsin: this receiver works. No alert is firing.",
        ),
        (
            "description",
            "Sent on request to check the receiver's configuration (tocsin receivers test).",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    a.extend(
        annotations
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    Alert {
        labels: l.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
        annotations: a.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
        starts_at: now,
        ends_at: None,
        updated_at: now,
        generator_url: "".into(),
        timeout: false,
    }
}

/// Sends `alert` once through each integration of each receiver, all at
/// once, each within [`TIMEOUT`]; outcomes in the order given.
pub async fn run(
    receivers: &[(String, Vec<Integration>)],
    alert: Alert,
    external_url: &str,
) -> Vec<Outcome> {
    let starts_at = alert.starts_at;
    let alert = Arc::new(alert);
    let alerts = [alert.clone()];
    let group_labels: LabelSet = [(
        "alertname",
        alert.labels.get("alertname").unwrap_or("TestAlert"),
    )]
    .into_iter()
    .collect();
    let tests = receivers.iter().flat_map(|(receiver, integrations)| {
        let group_labels = group_labels.clone();
        let alerts = &alerts;
        integrations.iter().map(move |integration| {
            let group_labels = group_labels.clone();
            async move {
                let mut ctx = NotifyContext::new(
                    receiver.clone(),
                    format!("{{}}/{{tocsin_test=\"true\"}}:{group_labels}"),
                    starts_at,
                );
                ctx.group_labels = group_labels;
                ctx.external_url = external_url.trim_end_matches('/').to_string();
                ctx.notification_reason = Some("test notification".into());
                let started = Instant::now();
                let sent =
                    tokio::time::timeout(TIMEOUT, integration.notifier().notify(&ctx, alerts))
                        .await;
                let error = match sent {
                    Ok(Ok(())) => String::new(),
                    Ok(Err(e)) => e.message,
                    Err(_) => format!("no answer within {TIMEOUT:?}"),
                };
                Outcome {
                    receiver: receiver.clone(),
                    integration: integration.name().to_string(),
                    index: integration.index(),
                    ok: error.is_empty(),
                    error,
                    duration_seconds: started.elapsed().as_secs_f64(),
                }
            }
        })
    });
    futures::future::join_all(tests).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::notifiers::webhook::WebhookConfig;
    use crate::notify::testing::{Reply, Sink};
    use crate::notify::webhook::Webhook;

    fn webhook(url: &str) -> Integration {
        let conf: WebhookConfig = serde_saphyr::from_str(&format!("url: {url}")).unwrap();
        Integration::new(Arc::new(Webhook::new(&conf, None).unwrap()), 0, false)
    }

    #[tokio::test]
    async fn each_integration_gets_one_test_notification_and_reports() {
        let ok = Sink::start().await;
        let refusing = Sink::start().await;
        refusing.reply(Reply::status(401).body("bad token"));
        let now = chrono::Utc::now();
        let alert = test_alert(
            &[("severity", "page")].into_iter().collect(),
            &LabelSet::empty(),
            now,
        );
        let receivers = vec![
            ("a".to_string(), vec![webhook(&ok.url("/hook"))]),
            ("b".to_string(), vec![webhook(&refusing.url("/hook"))]),
        ];
        let out = run(&receivers, alert, "http://am.example.com/").await;
        assert_eq!(out.len(), 2);
        assert!(out[0].ok, "{out:?}");
        assert!(!out[1].ok);
        assert_eq!(out[1].error, "unexpected status code 401: bad token");
        assert_eq!(
            out[1].line(),
            "b/webhook[0]: failed: unexpected status code 401: bad token"
        );
        // One attempt each, no retry; the body is the receiver's real
        // payload, marked as a test.
        assert_eq!(ok.requests().len(), 1);
        assert_eq!(refusing.requests().len(), 1);
        let body: serde_json::Value = serde_json::from_slice(&ok.requests()[0].body).unwrap();
        assert_eq!(body["receiver"], "a");
        assert_eq!(body["alerts"][0]["labels"]["alertname"], "TestAlert");
        assert_eq!(body["alerts"][0]["labels"]["severity"], "page");
        assert!(
            body["alerts"][0]["annotations"]["summary"]
                .as_str()
                .unwrap()
                .starts_with("Test notification from Tocsin")
        );
        assert_eq!(body["externalURL"], "http://am.example.com");
    }
}
