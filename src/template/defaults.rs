//! Tocsin's built-in notification templates: the sources of every template
//! name Alertmanager 0.34 defines in its `default.tmpl` and `email.tmpl`
//! (Slack, PagerDuty, OpsGenie, WeChat, VictorOps, Pushover, SNS, Telegram,
//! Discord, Webex, Microsoft Teams, Jira, Rocket.Chat, Mattermost, email),
//! written for Tocsin and rendering byte for byte what Alertmanager's render.

/// The notifier templates (`__subject`, `slack.default.title`, ...).
pub const DEFAULT_TMPL: &str = include_str!("defaults/default.tmpl");

/// The email templates (`email.default.subject`, `email.default.html`).
pub const EMAIL_TMPL: &str = include_str!("defaults/email.tmpl");

/// The body of the unnamed root template after loading Alertmanager's
/// built-in files: the text between their definitions, 81 line breaks. It
/// is what an HTML-mode execution of a blank (whitespace-only) string
/// renders in Alertmanager, because html/template keeps the existing root
/// instead of the blank one.
pub const ROOT_TEXT: &str = "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n";

/// Every template name Alertmanager 0.34 defines in its built-in files.
pub const NAMES: &[&str] = &[
    "__alertmanager",
    "__alertmanagerURL",
    "__subject",
    "__description",
    "__text_alert_list",
    "__text_alert_list_markdown",
    "slack.default.title",
    "slack.default.username",
    "slack.default.fallback",
    "slack.default.callbackid",
    "slack.default.pretext",
    "slack.default.titlelink",
    "slack.default.iconemoji",
    "slack.default.iconurl",
    "slack.default.text",
    "slack.default.footer",
    "slack.default.color",
    "pagerduty.default.description",
    "pagerduty.default.client",
    "pagerduty.default.clientURL",
    "pagerduty.default.instances",
    "opsgenie.default.message",
    "opsgenie.default.description",
    "opsgenie.default.source",
    "wechat.default.message",
    "wechat.default.to_user",
    "wechat.default.to_party",
    "wechat.default.to_tag",
    "wechat.default.agent_id",
    "victorops.default.state_message",
    "victorops.default.entity_display_name",
    "victorops.default.monitoring_tool",
    "pushover.default.title",
    "pushover.default.message",
    "pushover.default.url",
    "sns.default.subject",
    "sns.default.message",
    "telegram.default.message",
    "discord.default.content",
    "discord.default.title",
    "discord.default.message",
    "webex.default.message",
    "msteams.default.summary",
    "msteams.default.title",
    "msteams.default.text",
    "msteamsv2.default.title",
    "msteamsv2.default.text",
    "jira.default.summary",
    "jira.default.description",
    "jira.default.priority",
    "rocketchat.default.title",
    "rocketchat.default.alias",
    "rocketchat.default.titlelink",
    "rocketchat.default.emoji",
    "rocketchat.default.iconurl",
    "rocketchat.default.text",
    "mattermost.default.color",
    "mattermost.default.username",
    "mattermost.default.title",
    "mattermost.default.titlelink",
    "mattermost.default.fallback",
    "mattermost.default.text",
    "email.default.subject",
    "email.default.html",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_text_is_81_line_breaks() {
        assert_eq!(ROOT_TEXT.len(), 81);
        assert!(ROOT_TEXT.bytes().all(|b| b == b'\n'));
    }
}
