//! `mattermost_configs`: Mattermost incoming webhooks.

use serde::{Deserialize, Serialize};

use super::{Notifier, at_most_one, inherit_http, is_zero, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{SecretUrl, null_default};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MattermostConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<SecretUrl>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub webhook_url_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub channel: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub username: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub text: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub fallback: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub color: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub pretext: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub author_name: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub author_link: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub author_icon: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title_link: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<MattermostField>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub thumb_url: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub footer: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub footer_icon: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub image_url: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub icon_url: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub icon_emoji: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<MattermostAttachment>,
    #[serde(
        rename = "type",
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub props: Option<MattermostProps>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<MattermostPriority>,
}

/// Message priority (Mattermost Professional).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MattermostPriority {
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub priority: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub requested_ack: bool,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub persistent_notifications: bool,
}

/// Extra message properties; only `card` is used.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MattermostProps {
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub card: String,
}

/// An attachment field; `title` and `value` are required.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MattermostField {
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short: Option<bool>,
}

/// A message attachment (Slack-compatible).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MattermostAttachment {
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub fallback: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub color: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub pretext: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub text: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub author_name: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub author_link: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub author_icon: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title_link: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<MattermostField>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub thumb_url: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub footer: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub footer_icon: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub image_url: String,
}

impl MattermostField {
    pub fn validate(&self) -> Result<(), String> {
        if self.title.is_empty() {
            return Err("missing title in Mattermost field configuration".into());
        }
        if self.value.is_empty() {
            return Err("missing value in Mattermost field configuration".into());
        }
        Ok(())
    }
}

fn mattermost_template(name: &str) -> String {
    format!(r#"{{{{ template "mattermost.default.{name}" . }}}}"#)
}

impl Default for MattermostConfig {
    fn default() -> Self {
        MattermostConfig {
            send_resolved: true,
            http_config: None,
            webhook_url: None,
            webhook_url_file: String::new(),
            channel: String::new(),
            username: mattermost_template("username"),
            text: mattermost_template("text"),
            fallback: mattermost_template("fallback"),
            color: mattermost_template("color"),
            pretext: String::new(),
            author_name: String::new(),
            author_link: String::new(),
            author_icon: String::new(),
            title: mattermost_template("title"),
            title_link: mattermost_template("titlelink"),
            fields: Vec::new(),
            thumb_url: String::new(),
            footer: String::new(),
            footer_icon: String::new(),
            image_url: String::new(),
            icon_url: String::new(),
            icon_emoji: String::new(),
            attachments: Vec::new(),
            kind: String::new(),
            props: None,
            priority: None,
        }
    }
}

impl Notifier for MattermostConfig {
    const KIND: &'static str = "mattermost";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        for f in &self.fields {
            f.validate()?;
        }
        for f in self.attachments.iter().flat_map(|a| &a.fields) {
            f.validate()?;
        }
        at_most_one(
            ("webhook_url", self.webhook_url.is_some()),
            ("webhook_url_file", !self.webhook_url_file.is_empty()),
        )
    }

    fn inherit(&mut self, g: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, g);
        if self.webhook_url.is_none() && self.webhook_url_file.is_empty() {
            if g.mattermost_webhook_url.is_none() && g.mattermost_webhook_url_file.is_empty() {
                return Err("missing webhook_url or webhook_url_file on mattermost_config".into());
            }
            self.webhook_url = g.mattermost_webhook_url.clone();
            self.webhook_url_file = g.mattermost_webhook_url_file.clone();
        }
        Ok(())
    }

    fn http_config_slot(&mut self) -> Option<&mut Option<HttpClientConfig>> {
        Some(&mut self.http_config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::notifiers::testing::{load, load_err, resolved_with};

    #[test]
    fn minimal_config_and_defaults() {
        let c: MattermostConfig = resolved_with("webhook_url: http://some.url", "{}").unwrap();
        assert!(c.send_resolved);
        assert_eq!(
            c.username,
            r#"{{ template "mattermost.default.username" . }}"#
        );
        assert_eq!(c.color, r#"{{ template "mattermost.default.color" . }}"#);
        assert_eq!(c.text, r#"{{ template "mattermost.default.text" . }}"#);
        assert_eq!(c.title, r#"{{ template "mattermost.default.title" . }}"#);
        assert_eq!(
            c.title_link,
            r#"{{ template "mattermost.default.titlelink" . }}"#
        );
        assert_eq!(
            c.fallback,
            r#"{{ template "mattermost.default.fallback" . }}"#
        );
        assert_eq!(c.http_config, Some(HttpClientConfig::default()));
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(y.contains("webhook_url: <secret>"), "{y}");
    }

    #[test]
    fn every_field() {
        let c: MattermostConfig = load(
            "webhook_url_file: /some/url.file\nchannel: c\nusername: u\ntext: t\nfallback: f\n\
             color: red\npretext: p\nauthor_name: an\nauthor_link: al\nauthor_icon: ai\n\
             title: ti\ntitle_link: tl\nfields: [{title: a, value: b, short: true}]\n\
             thumb_url: th\nfooter: fo\nfooter_icon: fi\nimage_url: im\nicon_url: iu\n\
             icon_emoji: ie\ntype: custom\nprops: {card: some text}\n\
             priority: {priority: urgent, requested_ack: true, persistent_notifications: true}\n\
             attachments:\n- {fallback: f, color: c, pretext: p, text: some text, author_name: a, \
             author_link: l, author_icon: i, title: t, title_link: tl, fields: [{title: x, value: y}], \
             thumb_url: th, footer: fo, footer_icon: fi, image_url: im}",
        );
        assert_eq!(c.kind, "custom");
        assert_eq!(c.props.as_ref().unwrap().card, "some text");
        let p = c.priority.as_ref().unwrap();
        assert!(p.requested_ack && p.persistent_notifications);
        assert_eq!(c.attachments[0].fields[0].value, "y");
        assert_eq!(c.fields[0].short, Some(true));
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            (
                "webhook_url: http://some.url\nwebhook_url_file: /some/url.file",
                "at most one of webhook_url & webhook_url_file must be configured",
            ),
            (
                "fields: [{title: some title}]",
                "missing value in Mattermost field configuration",
            ),
            (
                "fields: [{value: some value}]",
                "missing title in Mattermost field configuration",
            ),
            (
                "attachments: [{fields: [{title: t}]}]",
                "missing value in Mattermost field configuration",
            ),
        ] {
            assert_eq!(load_err::<MattermostConfig>(yaml), want, "{yaml}");
        }
    }

    #[test]
    fn global_webhook_url() {
        let g = "mattermost_webhook_url: https://mm.example.com/hooks/global";
        let c: MattermostConfig = resolved_with("channel: c", g).unwrap();
        assert_eq!(
            c.webhook_url.unwrap().expose().as_str(),
            "https://mm.example.com/hooks/global"
        );
        let c: MattermostConfig = resolved_with(
            "webhook_url: https://fakemattermost.example.com/hooks/xxxxxxxxxxxxxxxxxxxxxxxxxx",
            g,
        )
        .unwrap();
        assert_eq!(
            c.webhook_url.unwrap().expose().as_str(),
            "https://fakemattermost.example.com/hooks/xxxxxxxxxxxxxxxxxxxxxxxxxx"
        );
        let c: MattermostConfig = resolved_with(
            "webhook_url_file: /override_file",
            "mattermost_webhook_url_file: /g",
        )
        .unwrap();
        assert_eq!(c.webhook_url_file, "/override_file");
        let c: MattermostConfig =
            resolved_with("channel: c", "mattermost_webhook_url_file: /g").unwrap();
        assert_eq!(c.webhook_url_file, "/g");
        assert_eq!(
            resolved_with::<MattermostConfig>("channel: c", "{}").unwrap_err(),
            "missing webhook_url or webhook_url_file on mattermost_config"
        );
    }
}
