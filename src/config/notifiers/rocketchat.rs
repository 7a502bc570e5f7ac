//! `rocketchat_configs`: Rocket.Chat `chat.postMessage` with attachments.

use serde::{Deserialize, Serialize};

use super::{Notifier, at_most_one, inherit_http, is_zero, or_global, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Secret, Url, null_default};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RocketchatConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<Secret>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub token_id_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub token_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub channel: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub color: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub title_link: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<RocketchatAttachmentField>,
    #[serde(deserialize_with = "null_default")]
    pub short_fields: bool,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub emoji: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub icon_url: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub image_url: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub thumb_url: String,
    #[serde(deserialize_with = "null_default")]
    pub link_names: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<RocketchatAttachmentAction>,
}

/// An attachment field. Alertmanager declares no YAML names here, so the
/// keys are the Go field names in lower case and all are always printed.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RocketchatAttachmentField {
    pub short: Option<bool>,
    #[serde(deserialize_with = "null_default")]
    pub title: String,
    #[serde(deserialize_with = "null_default")]
    pub value: String,
}

/// An attachment button; keys are the Go field names in lower case.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RocketchatAttachmentAction {
    #[serde(rename = "type", deserialize_with = "null_default")]
    pub kind: String,
    #[serde(deserialize_with = "null_default")]
    pub text: String,
    #[serde(deserialize_with = "null_default")]
    pub url: String,
    #[serde(rename = "imageurl", deserialize_with = "null_default")]
    pub image_url: String,
    #[serde(rename = "iswebview", deserialize_with = "null_default")]
    pub is_webview: bool,
    #[serde(rename = "webviewheightratio", deserialize_with = "null_default")]
    pub webview_height_ratio: String,
    #[serde(deserialize_with = "null_default")]
    pub msg: String,
    #[serde(rename = "msginchatwindow", deserialize_with = "null_default")]
    pub msg_in_chat_window: bool,
    /// `sendMessage` or `respondWithMessage`.
    #[serde(rename = "msgprocessingtype", deserialize_with = "null_default")]
    pub msg_processing_type: String,
}

fn rocketchat_template(name: &str) -> String {
    format!(r#"{{{{ template "rocketchat.default.{name}" . }}}}"#)
}

impl Default for RocketchatConfig {
    fn default() -> Self {
        RocketchatConfig {
            send_resolved: false,
            http_config: None,
            api_url: None,
            token_id: None,
            token_id_file: String::new(),
            token: None,
            token_file: String::new(),
            channel: String::new(),
            color: r#"{{ if eq .Status "firing" }}red{{ else }}green{{ end }}"#.into(),
            title: rocketchat_template("title"),
            title_link: rocketchat_template("titlelink"),
            text: rocketchat_template("text"),
            fields: Vec::new(),
            short_fields: false,
            emoji: rocketchat_template("emoji"),
            icon_url: rocketchat_template("iconurl"),
            image_url: String::new(),
            thumb_url: String::new(),
            link_names: false,
            actions: Vec::new(),
        }
    }
}

impl Notifier for RocketchatConfig {
    const KIND: &'static str = "rocketchat";
    const NULL_ENTRY_CHECKED: bool = true;

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        at_most_one(
            ("token", self.token.is_some()),
            ("token_file", !self.token_file.is_empty()),
        )?;
        at_most_one(
            ("token_id", self.token_id.is_some()),
            ("token_id_file", !self.token_id_file.is_empty()),
        )
    }

    fn inherit(&mut self, g: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, g);
        or_global(&mut self.api_url, &g.rocketchat_api_url);
        or_global(&mut self.token_id, &g.rocketchat_token_id);
        or_global(&mut self.token_id_file, &g.rocketchat_token_id_file);
        if self.token_id.is_none() && self.token_id_file.is_empty() {
            return Err("no global Rocketchat TokenID set either inline or in a file".into());
        }
        or_global(&mut self.token, &g.rocketchat_token);
        or_global(&mut self.token_file, &g.rocketchat_token_file);
        if self.token.is_none() && self.token_file.is_empty() {
            return Err("no global Rocketchat Token set either inline or in a file".into());
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
        let c: RocketchatConfig = resolved_with("token_id: id\ntoken: tok", "{}").unwrap();
        assert!(!c.send_resolved);
        assert_eq!(
            c.color,
            r#"{{ if eq .Status "firing" }}red{{ else }}green{{ end }}"#
        );
        assert_eq!(c.emoji, r#"{{ template "rocketchat.default.emoji" . }}"#);
        assert_eq!(
            c.icon_url,
            r#"{{ template "rocketchat.default.iconurl" . }}"#
        );
        assert_eq!(c.text, r#"{{ template "rocketchat.default.text" . }}"#);
        assert_eq!(c.title, r#"{{ template "rocketchat.default.title" . }}"#);
        assert_eq!(
            c.title_link,
            r#"{{ template "rocketchat.default.titlelink" . }}"#
        );
        assert_eq!(
            c.api_url.as_ref().unwrap().as_str(),
            "https://open.rocket.chat/"
        );
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(
            y.contains("token: <secret>") && !y.contains(": tok\n"),
            "{y}"
        );
    }

    #[test]
    fn every_field() {
        let c: RocketchatConfig = load(
            "api_url: https://rc.example.com/\ntoken_id_file: /id\ntoken_file: /t\nchannel: '#c'\n\
             color: red\ntitle: t\ntitle_link: tl\ntext: x\nshort_fields: true\nemoji: ':x:'\n\
             icon_url: i\nimage_url: im\nthumb_url: th\nlink_names: true\n\
             fields: [{short: true, title: a, value: b}]\n\
             actions: [{type: button, text: t, url: u, imageurl: i, iswebview: true, \
             webviewheightratio: full, msg: m, msginchatwindow: true, msgprocessingtype: sendMessage}]",
        );
        assert_eq!(c.fields[0].short, Some(true));
        assert_eq!(c.actions[0].msg_processing_type, "sendMessage");
        assert!(c.actions[0].is_webview && c.actions[0].msg_in_chat_window);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["actions"][0]["webviewheightratio"], "full");
        let c: RocketchatConfig = load("fields: [{title: a}]");
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v["fields"][0],
            serde_json::json!({"short": null, "title": "a", "value": ""})
        );
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            (
                "token: t\ntoken_file: /f",
                "at most one of token & token_file must be configured",
            ),
            (
                "token_id: ''\ntoken_id_file: /f",
                "at most one of token_id & token_id_file must be configured",
            ),
        ] {
            assert_eq!(load_err::<RocketchatConfig>(yaml), want, "{yaml}");
        }
    }

    #[test]
    fn global_tokens() {
        let g = "rocketchat_token: token123\nrocketchat_token_id: id123";
        let c: RocketchatConfig = resolved_with("{}", g).unwrap();
        assert_eq!(c.token, Some(Secret::new("token123")));
        assert_eq!(c.token_id, Some(Secret::new("id123")));
        let c: RocketchatConfig = resolved_with("token: token456\ntoken_id: id456", g).unwrap();
        assert_eq!(c.token, Some(Secret::new("token456")));
        assert_eq!(c.token_id, Some(Secret::new("id456")));
        let g = "rocketchat_token_file: /global_file\nrocketchat_token_id_file: /global_id";
        let c: RocketchatConfig = resolved_with(
            "token_file: /override_file\ntoken_id_file: /override_file",
            g,
        )
        .unwrap();
        assert_eq!(c.token_file, "/override_file");
        assert_eq!(c.token_id_file, "/override_file");
        assert_eq!(
            resolved_with::<RocketchatConfig>("{}", "{}").unwrap_err(),
            "no global Rocketchat TokenID set either inline or in a file"
        );
        assert_eq!(
            resolved_with::<RocketchatConfig>("token_id: x", "{}").unwrap_err(),
            "no global Rocketchat Token set either inline or in a file"
        );
    }
}
