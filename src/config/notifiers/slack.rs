//! `slack_configs`: Slack incoming webhooks or the Web API with an app
//! token (`chat.postMessage`, optionally updating earlier messages).

use serde::{Deserialize, Serialize};

use super::{GoDuration, Notifier, at_most_one, is_zero, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::{Authorization, HttpClientConfig};
use crate::config::types::{Secret, SecretUrl, Url, null_default};

/// The Web API endpoint `update_message` requires.
pub const SLACK_POST_MESSAGE_URL: &str = "https://slack.com/api/chat.postMessage";

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_url: Option<SecretUrl>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub api_url_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub app_token: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub app_token_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_url: Option<Url>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub channel: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub username: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub color: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title_link: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub pretext: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub text: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub message_text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<SlackField>,
    #[serde(deserialize_with = "null_default")]
    pub short_fields: bool,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub footer: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub fallback: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub callback_id: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub icon_emoji: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub icon_url: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub image_url: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub thumb_url: String,
    #[serde(deserialize_with = "null_default")]
    pub link_names: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mrkdwn_in: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<SlackAction>,
    #[serde(deserialize_with = "null_default")]
    pub update_message: bool,
    #[serde(deserialize_with = "null_default")]
    pub timeout: GoDuration,
}

/// An attachment field; `title` and `value` are required.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackField {
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short: Option<bool>,
}

/// A message button: `type` and `text` are required, plus `url` (a link
/// button) or `name` (an interactive one).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackAction {
    #[serde(
        rename = "type",
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub kind: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub text: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub url: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub style: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub name: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm: Option<SlackConfirmationField>,
}

/// The confirmation dialog of an interactive button; `text` is required.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackConfirmationField {
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub text: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub ok_text: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub dismiss_text: String,
}

fn slack_template(name: &str) -> String {
    format!(r#"{{{{ template "slack.default.{name}" . }}}}"#)
}

impl Default for SlackConfig {
    fn default() -> Self {
        SlackConfig {
            send_resolved: false,
            http_config: None,
            api_url: None,
            api_url_file: String::new(),
            app_token: Secret::default(),
            app_token_file: String::new(),
            app_url: None,
            channel: String::new(),
            username: slack_template("username"),
            color: slack_template("color"),
            title: slack_template("title"),
            title_link: slack_template("titlelink"),
            pretext: slack_template("pretext"),
            text: slack_template("text"),
            message_text: String::new(),
            fields: Vec::new(),
            short_fields: false,
            footer: slack_template("footer"),
            fallback: slack_template("fallback"),
            callback_id: slack_template("callbackid"),
            icon_emoji: slack_template("iconemoji"),
            icon_url: slack_template("iconurl"),
            image_url: String::new(),
            thumb_url: String::new(),
            link_names: false,
            mrkdwn_in: Vec::new(),
            actions: Vec::new(),
            update_message: false,
            timeout: GoDuration::default(),
        }
    }
}

impl SlackField {
    pub fn validate(&self) -> Result<(), String> {
        if self.title.is_empty() {
            return Err("missing title in Slack field configuration".into());
        }
        if self.value.is_empty() {
            return Err("missing value in Slack field configuration".into());
        }
        Ok(())
    }
}

impl SlackAction {
    /// Checks the action; a link button drops the interactive-only fields.
    pub fn validate(&mut self) -> Result<(), String> {
        if let Some(c) = &self.confirm
            && c.text.is_empty()
        {
            return Err("missing text in Slack confirmation configuration".into());
        }
        if self.kind.is_empty() {
            return Err("missing type in Slack action configuration".into());
        }
        if self.text.is_empty() {
            return Err("missing text in Slack action configuration".into());
        }
        if !self.url.is_empty() {
            self.name.clear();
            self.value.clear();
            self.confirm = None;
        } else if self.name.is_empty() {
            return Err("missing name or url in Slack action configuration".into());
        }
        Ok(())
    }
}

impl SlackConfig {
    fn uses_app_token(&self) -> bool {
        !self.app_token.is_empty() || !self.app_token_file.is_empty()
    }

    fn uses_api_url(&self) -> bool {
        self.api_url.is_some() || !self.api_url_file.is_empty()
    }
}

impl Notifier for SlackConfig {
    const KIND: &'static str = "slack";
    const NULL_ENTRY_CHECKED: bool = true;

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        for f in &self.fields {
            f.validate()?;
        }
        for a in &mut self.actions {
            a.validate()?;
        }
        at_most_one(
            ("api_url", self.api_url.is_some()),
            ("api_url_file", !self.api_url_file.is_empty()),
        )?;
        at_most_one(
            ("app_token", !self.app_token.is_empty()),
            ("app_token_file", !self.app_token_file.is_empty()),
        )?;
        at_most_one(
            ("api_url/api_url_file", self.uses_api_url()),
            ("app_token/app_token_file", self.uses_app_token()),
        )?;
        Ok(())
    }

    fn inherit(&mut self, g: &GlobalConfig) -> Result<(), String> {
        self.inherit_with(g, &SlackEnv::from_process())
    }

    fn http_config_slot(&mut self) -> Option<&mut Option<HttpClientConfig>> {
        Some(&mut self.http_config)
    }
}

/// `SLACK_BOT_TOKEN` and `SLACK_CHANNEL`, the Autometrics Slack app's
/// settings, honoured as the default token and channel of a Slack config
/// that has none (so that a team can drop that sidecar as it is deployed).
#[derive(Clone, Debug, Default)]
pub struct SlackEnv {
    pub bot_token: String,
    pub channel: String,
}

impl SlackEnv {
    pub fn from_process() -> SlackEnv {
        let var = |k: &str| std::env::var(k).unwrap_or_default().trim().to_string();
        SlackEnv {
            bot_token: var("SLACK_BOT_TOKEN"),
            channel: var("SLACK_CHANNEL"),
        }
    }
}

impl SlackConfig {
    /// Whether the config speaks the Web API (a bot token, or a
    /// `chat.postMessage` URL) rather than to an incoming webhook; `None`
    /// when only the URL file can tell.
    pub fn web_api(&self) -> Option<bool> {
        let bearer = self
            .http_config
            .as_ref()
            .is_some_and(|h| h.authorization.is_some());
        match &self.api_url {
            _ if bearer => Some(true),
            Some(u) => Some(u.expose().url().path().ends_with("/chat.postMessage")),
            None => None,
        }
    }

    /// [`Notifier::inherit`] with the process environment given.
    pub fn inherit_with(&mut self, g: &GlobalConfig, env: &SlackEnv) -> Result<(), String> {
        if self.app_url.is_none() {
            self.app_url = g.slack_app_url.clone();
        }
        let Some(app_url) = self.app_url.clone() else {
            return Err("no global Slack App URL set".into());
        };
        // The global app token applies only without local credentials of any
        // kind (note: a local api_url_file does not count).
        let local_auth = self
            .http_config
            .as_ref()
            .is_some_and(|h| h.authorization.is_some());
        if !self.uses_app_token() && !local_auth && self.api_url.is_none() {
            self.app_token = g.slack_app_token.clone();
            self.app_token_file = g.slack_app_token_file.clone();
        }
        if !self.uses_api_url() {
            self.api_url = g.slack_api_url.clone();
            self.api_url_file = g.slack_api_url_file.clone();
        }
        if !self.uses_api_url()
            && !self.uses_app_token()
            && !local_auth
            && !env.bot_token.is_empty()
        {
            self.app_token = Secret::new(env.bot_token.clone());
        }
        if !self.uses_api_url() && !self.uses_app_token() {
            return Err("no Slack API URL nor App token set either inline or in a file".into());
        }
        let http = self
            .http_config
            .get_or_insert_with(|| g.http_config.clone().unwrap_or_default());
        if !self.app_token.is_empty() || !self.app_token_file.is_empty() {
            if http.authorization.is_some() {
                return Err("http authorization can't be set when using Slack App tokens".into());
            }
            http.authorization = Some(Authorization {
                kind: "Bearer".into(),
                credentials: self.app_token.clone(),
                credentials_file: self.app_token_file.clone(),
                ..Authorization::default()
            });
            self.api_url = Some(SecretUrl(app_url));
        }
        if self.channel.is_empty() && !env.channel.is_empty() && self.web_api() == Some(true) {
            self.channel = env.channel.clone();
        }
        // Alertmanager 0.34 requires api_url: https://slack.com/api/chat.postMessage;
        // Tocsin updates through any Web API endpoint, app tokens included.
        if self.update_message && self.web_api() == Some(false) {
            return Err("update_message needs the Slack Web API: a bot token (app_token, or http_config authorization) or an api_url ending in /chat.postMessage; an incoming webhook cannot edit messages".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::notifiers::testing::{load, load_err, resolved_with};

    const HOOK: &str =
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";

    #[test]
    fn minimal_config_and_defaults() {
        let c: SlackConfig = resolved_with(&format!("api_url: {HOOK}"), "{}").unwrap();
        assert!(!c.send_resolved);
        assert_eq!(c.color, r#"{{ template "slack.default.color" . }}"#);
        assert_eq!(c.username, r#"{{ template "slack.default.username" . }}"#);
        assert_eq!(c.title, r#"{{ template "slack.default.title" . }}"#);
        assert_eq!(
            c.title_link,
            r#"{{ template "slack.default.titlelink" . }}"#
        );
        assert_eq!(
            c.icon_emoji,
            r#"{{ template "slack.default.iconemoji" . }}"#
        );
        assert_eq!(c.icon_url, r#"{{ template "slack.default.iconurl" . }}"#);
        assert_eq!(c.pretext, r#"{{ template "slack.default.pretext" . }}"#);
        assert_eq!(c.text, r#"{{ template "slack.default.text" . }}"#);
        assert_eq!(c.fallback, r#"{{ template "slack.default.fallback" . }}"#);
        assert_eq!(
            c.callback_id,
            r#"{{ template "slack.default.callbackid" . }}"#
        );
        assert_eq!(c.footer, r#"{{ template "slack.default.footer" . }}"#);
        assert!(c.mrkdwn_in.is_empty());
        assert_eq!(c.api_url.unwrap().expose().as_str(), HOOK);
        assert_eq!(c.app_url.unwrap().as_str(), SLACK_POST_MESSAGE_URL);
        assert_eq!(c.http_config, Some(HttpClientConfig::default()));
    }

    #[test]
    fn every_field() {
        let c: SlackConfig = load(
            "api_url_file: /u\napp_url: https://slack.example.com/api\nchannel: '#c'\n\
             username: u\ncolor: green\ntitle: t\ntitle_link: http://example.com/\npretext: p\n\
             text: x\nmessage_text: m\nshort_fields: true\nfooter: f\nfallback: fb\n\
             callback_id: cb\nicon_emoji: ':x:'\nicon_url: http://i/\n\
             image_url: https://example.com/logo.png\nthumb_url: th\nlink_names: true\n\
             mrkdwn_in: [pretext, text]\ntimeout: 5s\n\
             fields: [{title: first, value: hello, short: true}, {title: second, value: world}]\n\
             actions:\n- {type: button, text: hello, url: 'https://localhost', style: danger, name: n, value: v, confirm: {text: t}}\n\
             - type: button\n  text: hello\n  name: something\n  style: default\n  confirm: {title: please confirm, text: are you sure?, ok_text: 'yes', dismiss_text: 'no'}",
        );
        assert_eq!(c.mrkdwn_in, ["pretext", "text"]);
        assert_eq!(c.fields[0].short, Some(true));
        assert_eq!(c.fields[1].short, None);
        // A link button loses the interactive-only fields.
        assert_eq!(c.actions[0].name, "");
        assert_eq!(c.actions[0].value, "");
        assert_eq!(c.actions[0].confirm, None);
        let confirm = c.actions[1].confirm.as_ref().unwrap();
        assert_eq!(confirm.ok_text, "yes");
        assert_eq!(confirm.dismiss_text, "no");
        assert_eq!(c.timeout, GoDuration::from_secs(5));
        assert!(c.short_fields && c.link_names);
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            (
                format!("api_url: {HOOK}\napi_url_file: /slack_url"),
                "at most one of api_url & api_url_file must be configured",
            ),
            (
                "app_token: xoxb-1234\napp_token_file: /t".into(),
                "at most one of app_token & app_token_file must be configured",
            ),
            (
                format!("app_token: xoxb-1234\napi_url: {HOOK}"),
                "at most one of api_url/api_url_file & app_token/app_token_file must be configured",
            ),
            (
                "fields: [{title: first, value: hello}, {title: second}]".into(),
                "missing value in Slack field configuration",
            ),
            (
                "fields: [{value: world, short: true}]".into(),
                "missing title in Slack field configuration",
            ),
            (
                "actions: [{text: t, url: u}]".into(),
                "missing type in Slack action configuration",
            ),
            (
                "actions: [{type: button, url: u}]".into(),
                "missing text in Slack action configuration",
            ),
            (
                "actions: [{type: button, text: t}]".into(),
                "missing name or url in Slack action configuration",
            ),
            (
                "actions: [{type: button, text: t, name: n, confirm: {title: x}}]".into(),
                "missing text in Slack confirmation configuration",
            ),
        ] {
            assert_eq!(load_err::<SlackConfig>(&yaml), want, "{yaml}");
        }
        load::<SlackConfig>(&format!(
            "api_url: {SLACK_POST_MESSAGE_URL}\nupdate_message: true"
        ));
    }

    /// Tocsin accepts update_message with any Web API endpoint and with app
    /// tokens (Alertmanager 0.34 only with api_url: slack.com's
    /// chat.postMessage); an incoming webhook cannot edit messages.
    #[test]
    fn update_message_needs_the_web_api() {
        let ok = |local: &str, global: &str| {
            resolved_with::<SlackConfig>(&format!("{local}\nupdate_message: true"), global).unwrap()
        };
        ok(&format!("api_url: {SLACK_POST_MESSAGE_URL}"), "{}");
        ok("api_url: http://127.0.0.1:8080/api/chat.postMessage", "{}");
        ok("app_token: xoxb-1", "{}");
        ok("channel: c", "slack_app_token: xoxb-1");
        ok(
            "api_url: http://127.0.0.1/api/x\nhttp_config: {authorization: {credentials: xoxb-1}}",
            "{}",
        );
        ok("api_url_file: /url", "{}");
        assert_eq!(
            resolved_with::<SlackConfig>(&format!("api_url: {HOOK}\nupdate_message: true"), "{}")
                .unwrap_err(),
            "update_message needs the Slack Web API: a bot token (app_token, or http_config authorization) or an api_url ending in /chat.postMessage; an incoming webhook cannot edit messages"
        );
    }

    #[test]
    fn autometrics_environment_gives_the_default_token_and_channel() {
        let env = SlackEnv {
            bot_token: "xoxb-env".into(),
            channel: "C0ENV".into(),
        };
        let g = GlobalConfig::default();
        let resolve = |yaml: &str| {
            let mut c: SlackConfig = load(yaml);
            c.inherit_with(&g, &env).map(|_| c)
        };
        let c = resolve("send_resolved: true").unwrap();
        assert_eq!(c.app_token.expose(), "xoxb-env");
        assert_eq!(c.channel, "C0ENV");
        assert_eq!(c.api_url.unwrap().expose().as_str(), SLACK_POST_MESSAGE_URL);
        // A config's own token and channel win.
        let c = resolve("app_token: xoxb-own\nchannel: '#own'").unwrap();
        assert_eq!(
            (c.app_token.expose(), c.channel.as_str()),
            ("xoxb-own", "#own")
        );
        // An incoming webhook keeps its own channel and gets no token.
        let c = resolve(&format!("api_url: {HOOK}")).unwrap();
        assert!(c.app_token.is_empty());
        assert_eq!(c.channel, "");
        // Without the environment, nothing changes.
        let mut c: SlackConfig = load("channel: x");
        assert_eq!(
            c.inherit_with(&g, &SlackEnv::default()).unwrap_err(),
            "no Slack API URL nor App token set either inline or in a file"
        );
    }

    #[test]
    fn inheritance_errors() {
        assert_eq!(
            resolved_with::<SlackConfig>("channel: x", "{}").unwrap_err(),
            "no Slack API URL nor App token set either inline or in a file"
        );
        assert_eq!(
            resolved_with::<SlackConfig>(
                "channel: x",
                "slack_app_url: ~\nslack_api_url: http://s/"
            )
            .unwrap_err(),
            "no global Slack App URL set"
        );
        assert_eq!(
            resolved_with::<SlackConfig>(
                "app_token: xoxb\nhttp_config: {authorization: {credentials: x}}",
                "{}"
            )
            .unwrap_err(),
            "http authorization can't be set when using Slack App tokens"
        );
    }

    #[test]
    fn global_api_url_and_file() {
        let g = "slack_api_url_file: /global_file";
        let c: SlackConfig = resolved_with("channel: a", g).unwrap();
        assert_eq!(
            (c.api_url_file.as_str(), c.api_url.is_none()),
            ("/global_file", true)
        );
        let c: SlackConfig = resolved_with("api_url_file: /override_file", g).unwrap();
        assert_eq!(c.api_url_file, "/override_file");
        let c: SlackConfig = resolved_with("api_url: http://mysecret.example.com/", g).unwrap();
        assert_eq!(
            c.api_url.unwrap().expose().as_str(),
            "http://mysecret.example.com/"
        );
        assert_eq!(c.api_url_file, "");
        // The global http_config is copied, not shared.
        let c: SlackConfig = resolved_with(
            "channel: a\nhttp_config: {proxy_url: foo}",
            "slack_api_url: https://slack.com/webhook\nhttp_config: {follow_redirects: false}",
        )
        .unwrap();
        assert!(c.http_config.unwrap().follow_redirects);
    }

    #[test]
    fn global_app_token() {
        let g = "slack_app_token: xoxb-1234-abcdefgh\nslack_api_url: https://slack.com/api/chat.postMessage";
        let auth = |c: &SlackConfig| {
            c.http_config
                .as_ref()
                .unwrap()
                .authorization
                .clone()
                .unwrap()
        };

        let c: SlackConfig = resolved_with("channel: '#alerts1'", g).unwrap();
        assert_eq!(c.app_token.expose(), "xoxb-1234-abcdefgh");
        assert_eq!(auth(&c).kind, "Bearer");
        assert_eq!(auth(&c).credentials.expose(), "xoxb-1234-abcdefgh");
        assert_eq!(
            c.api_url.as_ref().unwrap().expose().as_str(),
            SLACK_POST_MESSAGE_URL
        );

        let c: SlackConfig = resolved_with("app_token: xoxb-1234-xxxxxx", g).unwrap();
        assert_eq!(auth(&c).credentials.expose(), "xoxb-1234-xxxxxx");

        let c: SlackConfig =
            resolved_with("channel: c\napp_url: http://api.fakeslack.example/", g).unwrap();
        assert_eq!(
            c.api_url.unwrap().expose().as_str(),
            "http://api.fakeslack.example/"
        );

        // The old workaround: a bot token in http_config keeps its own auth.
        let c: SlackConfig = resolved_with(
            "http_config: {authorization: {credentials: xoxb-my-bot-token}}",
            g,
        )
        .unwrap();
        assert!(c.app_token.is_empty());
        assert_eq!(auth(&c).credentials.expose(), "xoxb-my-bot-token");

        let c: SlackConfig = resolved_with(&format!("api_url: {HOOK}"), g).unwrap();
        assert_eq!(c.api_url.unwrap().expose().as_str(), HOOK);
        assert!(c.app_token.is_empty());

        let c: SlackConfig = resolved_with("app_token_file: /tok", "{}").unwrap();
        assert_eq!(auth(&c).credentials_file, "/tok");
    }

    #[test]
    fn secrets_are_masked() {
        let c: SlackConfig = resolved_with(&format!("api_url: {HOOK}"), "{}").unwrap();
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(!y.contains("XXXXXXXX"), "{y}");
        assert!(y.contains("api_url: <secret>"), "{y}");
        let c: SlackConfig = resolved_with("app_token: xoxb-s3cret", "{}").unwrap();
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(!y.contains("s3cret"), "{y}");
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["short_fields"], false);
        assert_eq!(v["update_message"], false);
        assert_eq!(v["timeout"], "0s");
    }
}
