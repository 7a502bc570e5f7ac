//! `email_configs`: send notifications by SMTP; most connection settings
//! default to the global `smtp_*` values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Notifier, is_zero, or_global};
use crate::config::global::{GlobalConfig, HostPort};
use crate::config::http::{HttpClientConfig, TlsConfig, canonical_header_key};
use crate::config::types::{Secret, go_quote, null_default};

/// The default `Subject` header template.
pub const DEFAULT_EMAIL_SUBJECT: &str = r#"{{ template "email.default.subject" . }}"#;

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    /// Recipient addresses (comma-separated, templated).
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub to: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub from: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub hello: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub smarthost: HostPort,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub auth_username: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub auth_password: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub auth_password_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub auth_secret: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub auth_secret_file: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub auth_identity: String,
    /// Extra headers (values templated); names are canonicalised by
    /// [`Notifier::validate`].
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub html: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub text: String,
    /// Unset until inherited from `smtp_require_tls`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_tls: Option<bool>,
    /// Unset until inherited from `smtp_tls_config`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    /// `Some(true)` forces implicit TLS, `Some(false)` forbids it, `None`
    /// means implicit TLS on port 465 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_implicit_tls: Option<bool>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub threading: ThreadingConfig,
}

/// Mail threading (`References`/`In-Reply-To` per alert group).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThreadingConfig {
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub enabled: bool,
    /// `none` or `daily`.
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub thread_by_date: String,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            send_resolved: false,
            to: String::new(),
            from: String::new(),
            hello: String::new(),
            smarthost: HostPort::default(),
            auth_username: String::new(),
            auth_password: Secret::default(),
            auth_password_file: String::new(),
            auth_secret: Secret::default(),
            auth_secret_file: String::new(),
            auth_identity: String::new(),
            headers: BTreeMap::new(),
            html: r#"{{ template "email.default.html" . }}"#.into(),
            text: String::new(),
            require_tls: None,
            tls_config: None,
            force_implicit_tls: None,
            threading: ThreadingConfig::default(),
        }
    }
}

impl Notifier for EmailConfig {
    const KIND: &'static str = "email";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        if let Some(t) = &self.tls_config {
            t.validate()?;
        }
        if self.to.is_empty() {
            return Err("missing to address in email config".into());
        }
        let mut headers = BTreeMap::new();
        for (name, value) in std::mem::take(&mut self.headers) {
            let name = canonical_header_key(&name);
            if headers.contains_key(&name) {
                return Err(format!(
                    "duplicate header {} in email config",
                    go_quote(&name)
                ));
            }
            headers.insert(name, value);
        }
        self.headers = headers;
        if self.threading.enabled {
            if self.headers.contains_key("References") {
                return Err("conflicting configuration: threading.enabled conflicts with custom References header".into());
            }
            if self.headers.contains_key("In-Reply-To") {
                return Err("conflicting configuration: threading.enabled conflicts with custom In-Reply-To header".into());
            }
            if !["none", "daily"].contains(&self.threading.thread_by_date.as_str()) {
                return Err("threading.thread_by_date must be either 'none' or 'daily'".into());
            }
        }
        Ok(())
    }

    fn inherit(&mut self, g: &GlobalConfig) -> Result<(), String> {
        or_global(&mut self.tls_config, &g.smtp_tls_config);
        or_global(&mut self.smarthost, &g.smtp_smarthost);
        if self.smarthost.is_empty() {
            return Err("no global SMTP smarthost set".into());
        }
        or_global(&mut self.from, &g.smtp_from);
        if self.from.is_empty() {
            return Err("no global SMTP from set".into());
        }
        or_global(&mut self.hello, &g.smtp_hello);
        or_global(&mut self.auth_username, &g.smtp_auth_username);
        // The password pair is taken from the globals only as a whole.
        if self.auth_password.is_empty() && self.auth_password_file.is_empty() {
            self.auth_password = g.smtp_auth_password.clone();
            self.auth_password_file = g.smtp_auth_password_file.clone();
        }
        or_global(&mut self.auth_secret, &g.smtp_auth_secret);
        or_global(&mut self.auth_secret_file, &g.smtp_auth_secret_file);
        or_global(&mut self.auth_identity, &g.smtp_auth_identity);
        self.require_tls.get_or_insert(g.smtp_require_tls);
        or_global(&mut self.force_implicit_tls, &g.smtp_force_implicit_tls);
        Ok(())
    }

    fn http_config_slot(&mut self) -> Option<&mut Option<HttpClientConfig>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::notifiers::testing::{load, load_err, parse_err, resolved_with};

    const GLOBAL: &str = "smtp_smarthost: localhost:25\nsmtp_from: am@example.org";

    #[test]
    fn minimal_config_and_defaults() {
        let c: EmailConfig = resolved_with("to: team@example.org", GLOBAL).unwrap();
        assert!(!c.send_resolved);
        assert_eq!(c.html, r#"{{ template "email.default.html" . }}"#);
        assert_eq!(c.text, "");
        assert_eq!(c.from, "am@example.org");
        assert_eq!(c.smarthost.to_string(), "localhost:25");
        assert_eq!(c.hello, "localhost");
        assert_eq!(c.require_tls, Some(true));
        assert_eq!(c.tls_config, Some(TlsConfig::default()));
        assert_eq!(c.force_implicit_tls, None);
        assert!(c.headers.is_empty());
    }

    #[test]
    fn every_field() {
        let c: EmailConfig = load(
            "send_resolved: true\nto: a@x\nfrom: b@x\nhello: h\nsmarthost: 'mail:465'\n\
             auth_username: u\nauth_password_file: /p\nauth_secret_file: /s\nauth_identity: i\n\
             headers: {x-team: ops}\nhtml: ''\ntext: t\nrequire_tls: false\n\
             tls_config: {insecure_skip_verify: true}\nforce_implicit_tls: false\n\
             threading: {enabled: true, thread_by_date: daily}",
        );
        assert!(c.send_resolved);
        assert_eq!(c.smarthost.port, "465");
        assert_eq!(c.headers["X-Team"], "ops");
        assert_eq!(c.html, "");
        assert_eq!(c.require_tls, Some(false));
        assert_eq!(c.force_implicit_tls, Some(false));
        assert!(c.threading.enabled);
        assert_eq!(c.threading.thread_by_date, "daily");
    }

    #[test]
    fn validation_errors() {
        for (yaml, want) in [
            ("to: ''", "missing to address in email config"),
            (
                "to: a@x\nheaders: {Subject: Alert, sUbject: New Alert}",
                r#"duplicate header "Subject" in email config"#,
            ),
            (
                "to: a@x\nthreading: {enabled: true, thread_by_date: weekly}",
                "threading.thread_by_date must be either 'none' or 'daily'",
            ),
            (
                "to: a@x\nthreading: {enabled: true}",
                "threading.thread_by_date must be either 'none' or 'daily'",
            ),
            (
                "to: a@x\nheaders: {references: x}\nthreading: {enabled: true, thread_by_date: none}",
                "conflicting configuration: threading.enabled conflicts with custom References header",
            ),
            (
                "to: a@x\nheaders: {in-reply-to: x}\nthreading: {enabled: true, thread_by_date: none}",
                "conflicting configuration: threading.enabled conflicts with custom In-Reply-To header",
            ),
            (
                "to: a@x\ntls_config: {key_file: k}",
                "exactly one of cert or cert_file must be configured when a client key is configured",
            ),
        ] {
            assert_eq!(load_err::<EmailConfig>(yaml), want, "{yaml}");
        }
        let e = parse_err::<EmailConfig>("to: a@x\nsmarthost: localhost");
        assert!(
            e.contains("address localhost: missing port in address"),
            "{e}"
        );
        let e = parse_err::<EmailConfig>("to: a@x\nhttp_config: {}");
        assert!(e.contains("unknown field `http_config`"), "{e}");
    }

    #[test]
    fn global_checks() {
        assert_eq!(
            resolved_with::<EmailConfig>("to: a@x", "smtp_from: f@x").unwrap_err(),
            "no global SMTP smarthost set"
        );
        assert_eq!(
            resolved_with::<EmailConfig>("to: a@x", "smtp_smarthost: h:25").unwrap_err(),
            "no global SMTP from set"
        );
        let c: EmailConfig =
            resolved_with("to: a@x\nsmarthost: ':2525'\nfrom: me@x", "{}").unwrap();
        assert_eq!(c.smarthost.to_string(), ":2525");
    }

    #[test]
    fn smtp_globals_are_inherited() {
        let global = "smtp_smarthost: localhost:25\nsmtp_from: am@example.org\n\
            smtp_auth_username: globaluser\nsmtp_auth_password_file: /tmp/globaluserpassword\n\
            smtp_auth_secret: gsecret\nsmtp_auth_identity: gid\nsmtp_hello: host.example.org\n\
            smtp_require_tls: false\nsmtp_force_implicit_tls: true\n\
            smtp_tls_config: {server_name: smtp.example.org}";
        let c: EmailConfig = resolved_with("to: one@example.org", global).unwrap();
        assert_eq!(c.auth_username, "globaluser");
        assert_eq!(c.auth_password_file, "/tmp/globaluserpassword");
        assert!(c.auth_password.is_empty());
        assert_eq!(c.auth_secret.expose(), "gsecret");
        assert_eq!(c.auth_identity, "gid");
        assert_eq!(c.hello, "host.example.org");
        assert_eq!(c.require_tls, Some(false));
        assert_eq!(c.force_implicit_tls, Some(true));
        assert_eq!(c.tls_config.unwrap().server_name, "smtp.example.org");

        // Local password file wins, and the global pair is not mixed in.
        let c: EmailConfig = resolved_with(
            "to: two@x\nauth_username: localuser1\nauth_password_file: /tmp/localuser1password",
            global,
        )
        .unwrap();
        assert_eq!(c.auth_username, "localuser1");
        assert_eq!(c.auth_password_file, "/tmp/localuser1password");
        assert!(c.auth_password.is_empty());

        // A local inline password keeps the global file out.
        let c: EmailConfig = resolved_with("to: three@x\nauth_password: mysecret", global).unwrap();
        assert_eq!(c.auth_password.expose(), "mysecret");
        assert_eq!(c.auth_password_file, "");

        // Secrets are inherited field by field.
        let c: EmailConfig = resolved_with("to: five@x\nauth_secret_file: /s", global).unwrap();
        assert_eq!(c.auth_secret_file, "/s");
        assert_eq!(c.auth_secret.expose(), "gsecret");

        // Local values and an explicit require_tls are kept.
        let c: EmailConfig = resolved_with(
            "to: x@x\nrequire_tls: true\nforce_implicit_tls: false\nhello: mine\n\
             tls_config: {server_name: own}",
            global,
        )
        .unwrap();
        assert_eq!(c.require_tls, Some(true));
        assert_eq!(c.force_implicit_tls, Some(false));
        assert_eq!(c.hello, "mine");
        assert_eq!(c.tls_config.unwrap().server_name, "own");
    }

    #[test]
    fn secrets_are_masked() {
        let c: EmailConfig =
            resolved_with("to: a@x\nauth_password: hunter2\nauth_secret: cram", GLOBAL).unwrap();
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(!y.contains("hunter2") && !y.contains("cram"), "{y}");
        assert!(y.contains("auth_password: <secret>"), "{y}");
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["smarthost"], "localhost:25");
        assert_eq!(v["require_tls"], true);
        assert_eq!(
            v["tls_config"],
            serde_json::json!({"insecure_skip_verify": false})
        );
        assert!(v.get("threading").is_none());
        assert!(v.get("text").is_none());
    }
}
