//! Building a receiver's integrations from its configuration (Alertmanager's
//! `BuildReceiverIntegrations`): one [`Integration`] per `<kind>_configs`
//! entry, in Alertmanager's order, each with its metrics. Kinds Tocsin
//! cannot send to yet are reported, not skipped silently.

use std::sync::Arc;

use super::{Integration, Notifier, Templater};
use crate::config::receiver::Receiver;
use crate::graph::Grapher;
use crate::metrics::notify::NotifyMetrics;

/// The integration kinds Tocsin sends to.
pub const SUPPORTED: &[&str] = &[
    "webhook", "slack",
    // supported kinds: one line each, above this one
];

/// What integrations share.
#[derive(Clone)]
pub struct BuildDeps {
    pub templater: Arc<dyn Templater>,
    pub metrics: NotifyMetrics,
    /// Charts for Slack messages (`--graph.prometheus-url`).
    pub graphs: Option<Arc<Grapher>>,
}

/// The integrations of `r`, and the kinds it uses that cannot be sent to.
pub fn build_receiver_integrations(
    r: &Receiver,
    deps: &BuildDeps,
) -> Result<(Vec<Integration>, Vec<String>), String> {
    let mut out = Vec::new();
    let mut add = |kind: &'static str,
                   idx: usize,
                   send_resolved: bool,
                   made: Result<Arc<dyn Notifier>, String>| {
        let notifier = made.map_err(|e| format!("receiver {}: {kind}[{idx}]: {e}", r.name))?;
        out.push(
            Integration::new(notifier, idx, send_resolved)
                .with_metrics(deps.metrics.integration(kind)),
        );
        Ok::<(), String>(())
    };
    for (idx, c) in r.slack_configs.iter().enumerate() {
        add(
            "slack",
            idx,
            c.send_resolved,
            super::slack::Slack::new(c, Some(deps.templater.clone()), deps.graphs.clone())
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.webhook_configs.iter().enumerate() {
        add(
            "webhook",
            idx,
            c.send_resolved,
            super::webhook::Webhook::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    // integrations: one loop each, above this line
    let unsupported = r
        .integration_counts()
        .iter()
        .filter(|(kind, n)| *n > 0 && !SUPPORTED.contains(kind))
        .map(|(kind, _)| kind.to_string())
        .collect();
    Ok((out, unsupported))
}
