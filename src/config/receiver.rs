//! A named receiver: its labels and one list per integration kind, with the
//! per-receiver part of Alertmanager's configuration checks (entry
//! validation, null entries, inheritance from `global`, name uniqueness).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::global::GlobalConfig;
use crate::config::notifiers::{
    DiscordConfig, EmailConfig, IncidentioConfig, JiraConfig, MattermostConfig, MsTeamsConfig,
    MsTeamsV2Config, Notifier, OpsGenieConfig, PagerdutyConfig, PushoverConfig, RocketchatConfig,
    SlackConfig, SnsConfig, TelegramConfig, VictorOpsConfig, WebexConfig, WebhookConfig,
    WechatConfig,
};
use crate::config::types::{go_quote, null_default};

/// Alertmanager's `Receiver`. Lists are in Go's field order, which is also
/// the order they are printed in.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(from = "RawReceiver")]
pub struct Receiver {
    pub name: String,
    /// Free-form labels (0.33+); `name` is always set to the receiver name
    /// by [`Receiver::validate`].
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discord_configs: Vec<DiscordConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub email_configs: Vec<EmailConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incidentio_configs: Vec<IncidentioConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pagerduty_configs: Vec<PagerdutyConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slack_configs: Vec<SlackConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webhook_configs: Vec<WebhookConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub opsgenie_configs: Vec<OpsGenieConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wechat_configs: Vec<WechatConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pushover_configs: Vec<PushoverConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub victorops_configs: Vec<VictorOpsConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sns_configs: Vec<SnsConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telegram_configs: Vec<TelegramConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webex_configs: Vec<WebexConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub msteams_configs: Vec<MsTeamsConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub msteamsv2_configs: Vec<MsTeamsV2Config>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jira_configs: Vec<JiraConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rocketchat_configs: Vec<RocketchatConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mattermost_configs: Vec<MattermostConfig>,
    /// Kinds whose list had a null entry, with the number of entries before
    /// the first one; reported as `missing <kind> config` by `inherit`.
    #[serde(skip)]
    null_entries: Vec<(&'static str, usize)>,
}

/// The receiver as written: list entries may be null.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawReceiver {
    #[serde(deserialize_with = "null_default")]
    name: String,
    labels: BTreeMap<String, String>,
    discord_configs: Vec<Option<DiscordConfig>>,
    email_configs: Vec<Option<EmailConfig>>,
    incidentio_configs: Vec<Option<IncidentioConfig>>,
    pagerduty_configs: Vec<Option<PagerdutyConfig>>,
    slack_configs: Vec<Option<SlackConfig>>,
    webhook_configs: Vec<Option<WebhookConfig>>,
    opsgenie_configs: Vec<Option<OpsGenieConfig>>,
    wechat_configs: Vec<Option<WechatConfig>>,
    pushover_configs: Vec<Option<PushoverConfig>>,
    victorops_configs: Vec<Option<VictorOpsConfig>>,
    sns_configs: Vec<Option<SnsConfig>>,
    telegram_configs: Vec<Option<TelegramConfig>>,
    webex_configs: Vec<Option<WebexConfig>>,
    msteams_configs: Vec<Option<MsTeamsConfig>>,
    msteamsv2_configs: Vec<Option<MsTeamsV2Config>>,
    jira_configs: Vec<Option<JiraConfig>>,
    rocketchat_configs: Vec<Option<RocketchatConfig>>,
    mattermost_configs: Vec<Option<MattermostConfig>>,
}

/// Drops null entries, remembering where the first one was. Kinds that
/// Alertmanager checks against the globals get an empty entry instead.
fn non_null<T: Notifier>(raw: Vec<Option<T>>, nulls: &mut Vec<(&'static str, usize)>) -> Vec<T> {
    let mut out = Vec::with_capacity(raw.len());
    let mut first_null = None;
    for entry in raw {
        match entry {
            Some(c) => out.push(c),
            None if T::NULL_ENTRY_CHECKED => out.push(T::default()),
            None => {
                first_null.get_or_insert(out.len());
            }
        }
    }
    if let Some(at) = first_null {
        nulls.push((T::KIND, at));
    }
    out
}

impl From<RawReceiver> for Receiver {
    fn from(r: RawReceiver) -> Self {
        let mut n = Vec::new();
        Receiver {
            name: r.name,
            labels: r.labels,
            discord_configs: non_null(r.discord_configs, &mut n),
            email_configs: non_null(r.email_configs, &mut n),
            incidentio_configs: non_null(r.incidentio_configs, &mut n),
            pagerduty_configs: non_null(r.pagerduty_configs, &mut n),
            slack_configs: non_null(r.slack_configs, &mut n),
            webhook_configs: non_null(r.webhook_configs, &mut n),
            opsgenie_configs: non_null(r.opsgenie_configs, &mut n),
            wechat_configs: non_null(r.wechat_configs, &mut n),
            pushover_configs: non_null(r.pushover_configs, &mut n),
            victorops_configs: non_null(r.victorops_configs, &mut n),
            sns_configs: non_null(r.sns_configs, &mut n),
            telegram_configs: non_null(r.telegram_configs, &mut n),
            webex_configs: non_null(r.webex_configs, &mut n),
            msteams_configs: non_null(r.msteams_configs, &mut n),
            msteamsv2_configs: non_null(r.msteamsv2_configs, &mut n),
            jira_configs: non_null(r.jira_configs, &mut n),
            rocketchat_configs: non_null(r.rocketchat_configs, &mut n),
            mattermost_configs: non_null(r.mattermost_configs, &mut n),
            null_entries: n,
        }
    }
}

fn validate_list<T: Notifier>(list: &mut [T]) -> Result<(), String> {
    list.iter_mut().try_for_each(Notifier::validate)
}

impl Receiver {
    /// The checks Alertmanager runs while reading the receiver: every entry
    /// (in field order), then `missing name in receiver` and the `name`
    /// label, which is set to the receiver name.
    pub fn validate(&mut self) -> Result<(), String> {
        validate_list(&mut self.discord_configs)?;
        validate_list(&mut self.email_configs)?;
        validate_list(&mut self.incidentio_configs)?;
        validate_list(&mut self.pagerduty_configs)?;
        validate_list(&mut self.slack_configs)?;
        validate_list(&mut self.webhook_configs)?;
        validate_list(&mut self.opsgenie_configs)?;
        validate_list(&mut self.wechat_configs)?;
        validate_list(&mut self.pushover_configs)?;
        validate_list(&mut self.victorops_configs)?;
        validate_list(&mut self.sns_configs)?;
        validate_list(&mut self.telegram_configs)?;
        validate_list(&mut self.webex_configs)?;
        validate_list(&mut self.msteams_configs)?;
        validate_list(&mut self.msteamsv2_configs)?;
        validate_list(&mut self.jira_configs)?;
        validate_list(&mut self.rocketchat_configs)?;
        validate_list(&mut self.mattermost_configs)?;
        if self.name.is_empty() {
            return Err("missing name in receiver".into());
        }
        if let Some(v) = self.labels.get("name")
            && *v != self.name
        {
            return Err(format!(
                "receiver label \"name\" must match receiver name {}, got {}",
                go_quote(&self.name),
                go_quote(v)
            ));
        }
        self.labels.insert("name".into(), self.name.clone());
        Ok(())
    }

    fn inherit_list<T: Notifier>(
        list: &mut [T],
        nulls: &[(&'static str, usize)],
        global: &GlobalConfig,
    ) -> Result<(), String> {
        let null_at = nulls.iter().find(|(k, _)| *k == T::KIND).map(|(_, at)| *at);
        let end = null_at.unwrap_or(list.len()).min(list.len());
        list[..end].iter_mut().try_for_each(|c| c.inherit(global))?;
        match null_at {
            Some(_) => Err(format!("missing {} config", T::KIND)),
            None => Ok(()),
        }
    }

    /// Fills every entry's unset fields from `global` and runs the checks
    /// that need the globals, in Alertmanager's order of integration kinds.
    /// Returns the first error.
    pub fn inherit(&mut self, global: &GlobalConfig) -> Result<(), String> {
        let n = &self.null_entries;
        Self::inherit_list(&mut self.webhook_configs, n, global)?;
        Self::inherit_list(&mut self.email_configs, n, global)?;
        Self::inherit_list(&mut self.slack_configs, n, global)?;
        Self::inherit_list(&mut self.pushover_configs, n, global)?;
        Self::inherit_list(&mut self.pagerduty_configs, n, global)?;
        Self::inherit_list(&mut self.incidentio_configs, n, global)?;
        Self::inherit_list(&mut self.opsgenie_configs, n, global)?;
        Self::inherit_list(&mut self.wechat_configs, n, global)?;
        Self::inherit_list(&mut self.victorops_configs, n, global)?;
        Self::inherit_list(&mut self.sns_configs, n, global)?;
        Self::inherit_list(&mut self.telegram_configs, n, global)?;
        Self::inherit_list(&mut self.discord_configs, n, global)?;
        Self::inherit_list(&mut self.webex_configs, n, global)?;
        Self::inherit_list(&mut self.msteams_configs, n, global)?;
        Self::inherit_list(&mut self.msteamsv2_configs, n, global)?;
        Self::inherit_list(&mut self.jira_configs, n, global)?;
        Self::inherit_list(&mut self.rocketchat_configs, n, global)?;
        Self::inherit_list(&mut self.mattermost_configs, n, global)
    }

    /// [`Receiver::validate`] then [`Receiver::inherit`].
    pub fn resolve(&mut self, global: &GlobalConfig) -> Result<(), String> {
        self.validate()?;
        self.inherit(global)
    }

    /// Joins relative paths in every entry's `http_config` with `dir`, as
    /// Alertmanager does after loading (so inherited copies of the global
    /// `http_config` are resolved too, each exactly once).
    pub fn resolve_paths(&mut self, dir: &Path) {
        fn each<T: Notifier>(list: &mut [T], dir: &Path) {
            list.iter_mut().for_each(|c| c.resolve_paths(dir));
        }
        each(&mut self.discord_configs, dir);
        each(&mut self.email_configs, dir);
        each(&mut self.incidentio_configs, dir);
        each(&mut self.pagerduty_configs, dir);
        each(&mut self.slack_configs, dir);
        each(&mut self.webhook_configs, dir);
        each(&mut self.opsgenie_configs, dir);
        each(&mut self.wechat_configs, dir);
        each(&mut self.pushover_configs, dir);
        each(&mut self.victorops_configs, dir);
        each(&mut self.sns_configs, dir);
        each(&mut self.telegram_configs, dir);
        each(&mut self.webex_configs, dir);
        each(&mut self.msteams_configs, dir);
        each(&mut self.msteamsv2_configs, dir);
        each(&mut self.jira_configs, dir);
        each(&mut self.rocketchat_configs, dir);
        each(&mut self.mattermost_configs, dir);
    }

    /// The number of entries of each integration kind, in Go's field order.
    pub fn integration_counts(&self) -> [(&'static str, usize); 18] {
        [
            ("discord", self.discord_configs.len()),
            ("email", self.email_configs.len()),
            ("incidentio", self.incidentio_configs.len()),
            ("pagerduty", self.pagerduty_configs.len()),
            ("slack", self.slack_configs.len()),
            ("webhook", self.webhook_configs.len()),
            ("opsgenie", self.opsgenie_configs.len()),
            ("wechat", self.wechat_configs.len()),
            ("pushover", self.pushover_configs.len()),
            ("victorops", self.victorops_configs.len()),
            ("sns", self.sns_configs.len()),
            ("telegram", self.telegram_configs.len()),
            ("webex", self.webex_configs.len()),
            ("msteams", self.msteams_configs.len()),
            ("msteamsv2", self.msteamsv2_configs.len()),
            ("jira", self.jira_configs.len()),
            ("rocketchat", self.rocketchat_configs.len()),
            ("mattermost", self.mattermost_configs.len()),
        ]
    }

    /// The number of integration entries (0 means notifications to this
    /// receiver succeed without doing anything).
    pub fn integration_count(&self) -> usize {
        self.integration_counts().iter().map(|(_, n)| n).sum()
    }
}

/// Alertmanager's receiver loop after the file is read: for each receiver
/// in order, `notification config name %q is not unique`, then
/// [`Receiver::inherit`]. Run [`GlobalConfig::validate_exclusive`] first.
pub fn inherit_all(receivers: &mut [Receiver], global: &GlobalConfig) -> Result<(), String> {
    let mut names = HashSet::new();
    for r in receivers {
        if !names.insert(r.name.clone()) {
            return Err(format!(
                "notification config name {} is not unique",
                go_quote(&r.name)
            ));
        }
        r.inherit(global)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::http::HttpClientConfig;

    fn parse(yaml: &str) -> Receiver {
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
    }

    fn resolve(yaml: &str, global: &str) -> Result<Receiver, String> {
        let mut r = parse(yaml);
        let g: GlobalConfig = serde_saphyr::from_str(global).unwrap();
        r.resolve(&g).map(|()| r)
    }

    #[test]
    fn receiver_without_integrations_is_valid() {
        let r = resolve("name: blackhole", "{}").unwrap();
        assert_eq!(r.integration_count(), 0);
        assert_eq!(r.labels["name"], "blackhole");
    }

    #[test]
    fn name_and_labels() {
        assert_eq!(resolve("{}", "{}").unwrap_err(), "missing name in receiver");
        assert_eq!(
            resolve("name: team-X\nlabels: {name: different-name}", "{}").unwrap_err(),
            r#"receiver label "name" must match receiver name "team-X", got "different-name""#
        );
        let r = resolve(
            "name: team-X\nlabels: {name: team-X, team: ops, 'ü-x': y}",
            "{}",
        )
        .unwrap();
        assert_eq!(r.labels.len(), 3);
        assert_eq!(r.labels["team"], "ops");
    }

    #[test]
    fn entry_errors_come_before_the_name_check() {
        assert_eq!(
            resolve("webhook_configs: [{}]", "{}").unwrap_err(),
            "one of url or url_file must be configured"
        );
    }

    #[test]
    fn null_entries() {
        let strict = [
            ("discord_configs", "missing discord config"),
            ("email_configs", "missing email config"),
            ("incidentio_configs", "missing incidentio config"),
            ("pagerduty_configs", "missing pagerduty config"),
            ("webhook_configs", "missing webhook config"),
            ("pushover_configs", "missing pushover config"),
            ("victorops_configs", "missing victorops config"),
            ("sns_configs", "missing sns config"),
            ("telegram_configs", "missing telegram config"),
            ("webex_configs", "missing webex config"),
            ("msteams_configs", "missing msteams config"),
            ("msteamsv2_configs", "missing msteamsv2 config"),
            ("jira_configs", "missing jira config"),
            ("mattermost_configs", "missing mattermost config"),
            (
                "slack_configs",
                "no Slack API URL nor App token set either inline or in a file",
            ),
            (
                "opsgenie_configs",
                "no global OpsGenie API Key set either inline or in a file",
            ),
            (
                "wechat_configs",
                "no global Wechat Api Secret set either inline or in a file",
            ),
            (
                "rocketchat_configs",
                "no global Rocketchat TokenID set either inline or in a file",
            ),
        ];
        for (key, want) in strict {
            let yaml = format!("name: r\n{key}:\n-\n");
            assert_eq!(resolve(&yaml, "{}").unwrap_err(), want, "{key}");
            let yaml = format!("name: r\n{key}: [~]");
            assert_eq!(resolve(&yaml, "{}").unwrap_err(), want, "{key}");
        }
        // The tolerated kinds pass when the globals supply what is needed.
        let r = resolve(
            "name: r\nslack_configs: [~]\nopsgenie_configs: [~]",
            "slack_api_url: http://slack.example.com/\nopsgenie_api_key: k",
        )
        .unwrap();
        assert_eq!(r.slack_configs.len(), 1);
        assert_eq!(r.opsgenie_configs[0].api_key.expose(), "k");
        // Entries before the null one are inherited (and may fail) first.
        assert_eq!(
            resolve("name: r\nemail_configs: [{to: a@x}, ~]", "{}").unwrap_err(),
            "no global SMTP smarthost set"
        );
        assert_eq!(
            resolve(
                "name: r\nemail_configs: [{to: a@x}, ~]",
                "smtp_smarthost: h:25\nsmtp_from: f@x"
            )
            .unwrap_err(),
            "missing email config"
        );
    }

    #[test]
    fn inheritance_follows_alertmanager_kind_order() {
        // webhook entries are inherited before email, so the email error
        // comes first only when nothing earlier fails.
        let yaml = "name: r\nemail_configs: [{to: a@x}]\nwebhook_configs: [~]";
        assert_eq!(resolve(yaml, "{}").unwrap_err(), "missing webhook config");
        let yaml = "name: r\nemail_configs: [{to: a@x}]\nopsgenie_configs: [{}]";
        assert_eq!(
            resolve(yaml, "{}").unwrap_err(),
            "no global SMTP smarthost set"
        );
    }

    #[test]
    fn every_integration_in_one_receiver() {
        let yaml = r#"
name: all
discord_configs: [{webhook_url: 'https://discord.example.com/x'}]
email_configs: [{to: a@example.com}]
incidentio_configs: [{url: 'https://incident.example.com/', alert_source_token: t}]
pagerduty_configs: [{routing_key: r}]
slack_configs: [{channel: '#c'}]
webhook_configs: [{url: 'http://hook.example.com/'}]
opsgenie_configs: [{api_key: k}]
wechat_configs: [{api_secret: s, corp_id: c}]
pushover_configs: [{user_key: u, token: t}]
victorops_configs: [{routing_key: r, api_key: k}]
sns_configs: [{topic_arn: t}]
telegram_configs: [{bot_token: b, chat_id: 1}]
webex_configs: [{room_id: r, http_config: {authorization: {credentials: c}}}]
msteams_configs: [{webhook_url: 'https://teams.example.com/x'}]
msteamsv2_configs: [{webhook_url: 'https://teams.example.com/y'}]
jira_configs: [{project: P, issue_type: Bug}]
rocketchat_configs: [{token: t, token_id: i}]
mattermost_configs: [{webhook_url: 'https://mm.example.com/x'}]
"#;
        let global = "smtp_smarthost: localhost:25\nsmtp_from: am@example.com\n\
                      slack_api_url: https://hooks.slack.com/x\njira_api_url: https://jira.example.com/\n\
                      http_config: {follow_redirects: false}";
        let r = resolve(yaml, global).unwrap();
        assert_eq!(r.integration_count(), 18);
        let no_redirects = Some(HttpClientConfig {
            follow_redirects: false,
            ..HttpClientConfig::default()
        });
        assert_eq!(r.webhook_configs[0].http_config, no_redirects);
        assert_eq!(r.pagerduty_configs[0].http_config, no_redirects);
        assert_eq!(r.mattermost_configs[0].http_config, no_redirects);

        // Printing, reading back and printing again is stable (secrets stay
        // masked, so the values themselves do not round-trip).
        let y = serde_saphyr::to_string(&r).unwrap();
        let mut again = parse(&y);
        again.validate().unwrap();
        let g: GlobalConfig = serde_saphyr::from_str(global).unwrap();
        again.inherit(&g).unwrap();
        assert_eq!(serde_saphyr::to_string(&again).unwrap(), y);
        assert_eq!(again.email_configs, r.email_configs);
        assert_eq!(again.jira_configs, r.jira_configs);
    }

    #[test]
    fn serialised_field_order_and_masking() {
        let r = resolve(
            "name: r\nwebhook_configs: [{url: 'http://h/s3cret'}]\ndiscord_configs: [{webhook_url: 'http://d/t0ken'}]",
            "{}",
        )
        .unwrap();
        let y = serde_saphyr::to_string(&r).unwrap();
        assert!(!y.contains("s3cret") && !y.contains("t0ken"), "{y}");
        let pos = |k: &str| y.find(k).unwrap_or_else(|| panic!("{k} in {y}"));
        assert!(pos("name:") < pos("labels:"));
        assert!(pos("labels:") < pos("discord_configs:"));
        assert!(pos("discord_configs:") < pos("webhook_configs:"));
        assert!(!y.contains("email_configs"));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        for (yaml, field) in [
            ("name: r\nhipchat_configs: []", "hipchat_configs"),
            (
                "name: r\nwebhook_configs: [{url: 'http://x/', color: red}]",
                "color",
            ),
            (
                "name: r\nslack_configs: [{fields: [{title: a, value: b, long: true}]}]",
                "long",
            ),
            (
                "name: r\nopsgenie_configs: [{api_key: k, teams: ops}]",
                "teams",
            ),
        ] {
            let e = serde_saphyr::from_str::<Receiver>(yaml).unwrap_err();
            assert!(
                e.to_string().contains(&format!("unknown field `{field}`")),
                "{yaml}: {e}"
            );
        }
    }

    #[test]
    fn names_must_be_unique() {
        let g = GlobalConfig::default();
        let mut rs = vec![
            parse("name: team-X"),
            parse("name: team-Y"),
            parse("name: team-X"),
        ];
        assert_eq!(
            inherit_all(&mut rs, &g).unwrap_err(),
            r#"notification config name "team-X" is not unique"#
        );
        let mut rs = vec![parse("name: a"), parse("name: b")];
        inherit_all(&mut rs, &g).unwrap();
    }

    #[test]
    fn relative_paths_in_http_configs() {
        let mut r = parse(
            "name: r\nwebhook_configs: [{url_file: u, http_config: {tls_config: {ca_file: ca.pem}}}]\n\
             email_configs: [{to: a@x, tls_config: {ca_file: ca.pem}}]",
        );
        r.validate().unwrap();
        r.resolve_paths(Path::new("/etc/am"));
        let w = &r.webhook_configs[0];
        assert_eq!(
            w.http_config.as_ref().unwrap().tls_config.ca_file,
            "/etc/am/ca.pem"
        );
        // Like Alertmanager: other file fields and email TLS stay as written.
        assert_eq!(w.url_file, "u");
        assert_eq!(
            r.email_configs[0].tls_config.as_ref().unwrap().ca_file,
            "ca.pem"
        );
    }
}
