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
    "webhook",
    "slack",
    "telegram",
    "msteams",
    "pagerduty",
    "opsgenie",
    "victorops",
    "discord",
    "msteamsv2",
    "email",
    "webex",
    "mattermost",
    "rocketchat",
    "incidentio",
    "wechat",
    "pushover",
    "sns",
    "jira",
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
                .with_metrics(deps.metrics.integration_of(kind, &r.name)),
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
    for (idx, c) in r.telegram_configs.iter().enumerate() {
        add(
            "telegram",
            idx,
            c.send_resolved,
            super::telegram::Telegram::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.msteams_configs.iter().enumerate() {
        add(
            "msteams",
            idx,
            c.send_resolved,
            super::msteams::MsTeams::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.pagerduty_configs.iter().enumerate() {
        add(
            "pagerduty",
            idx,
            c.send_resolved,
            super::pagerduty::Pagerduty::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.opsgenie_configs.iter().enumerate() {
        add(
            "opsgenie",
            idx,
            c.send_resolved,
            super::opsgenie::OpsGenie::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.victorops_configs.iter().enumerate() {
        add(
            "victorops",
            idx,
            c.send_resolved,
            super::victorops::VictorOps::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.discord_configs.iter().enumerate() {
        add(
            "discord",
            idx,
            c.send_resolved,
            super::discord::Discord::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.msteamsv2_configs.iter().enumerate() {
        add(
            "msteamsv2",
            idx,
            c.send_resolved,
            super::msteamsv2::MsTeamsV2::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.email_configs.iter().enumerate() {
        add(
            "email",
            idx,
            c.send_resolved,
            super::email::Email::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.webex_configs.iter().enumerate() {
        add(
            "webex",
            idx,
            c.send_resolved,
            super::webex::Webex::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.mattermost_configs.iter().enumerate() {
        add(
            "mattermost",
            idx,
            c.send_resolved,
            super::mattermost::Mattermost::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.rocketchat_configs.iter().enumerate() {
        add(
            "rocketchat",
            idx,
            c.send_resolved,
            super::rocketchat::Rocketchat::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.incidentio_configs.iter().enumerate() {
        add(
            "incidentio",
            idx,
            c.send_resolved,
            super::incidentio::Incidentio::new(c).map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.wechat_configs.iter().enumerate() {
        add(
            "wechat",
            idx,
            c.send_resolved,
            super::wechat::Wechat::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.pushover_configs.iter().enumerate() {
        add(
            "pushover",
            idx,
            c.send_resolved,
            super::pushover::Pushover::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.sns_configs.iter().enumerate() {
        add(
            "sns",
            idx,
            c.send_resolved,
            super::sns::Sns::new(c, Some(deps.templater.clone()))
                .map(|n| Arc::new(n) as Arc<dyn Notifier>),
        )?;
    }
    for (idx, c) in r.jira_configs.iter().enumerate() {
        add(
            "jira",
            idx,
            c.send_resolved,
            super::jira::Jira::new(c, Some(deps.templater.clone()))
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
