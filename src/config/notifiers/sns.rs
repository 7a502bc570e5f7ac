//! `sns_configs`: AWS SNS publish (topic, target or phone number), signed
//! with SigV4.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Notifier, inherit_http, is_zero, validate_http};
use crate::config::global::GlobalConfig;
use crate::config::http::HttpClientConfig;
use crate::config::types::{Secret, null_default};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SnsConfig {
    #[serde(deserialize_with = "null_default")]
    pub send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpClientConfig>,
    /// SNS endpoint override (templated).
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub api_url: String,
    #[serde(deserialize_with = "null_default")]
    pub sigv4: SigV4Config,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub topic_arn: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub phone_number: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub target_arn: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub subject: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub message: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub use_aws_http_client: bool,
}

/// AWS request signing (prometheus/sigv4); empty values come from the AWS
/// default credential chain.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigV4Config {
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub region: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub access_key: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub secret_key: Secret,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub profile: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub role_arn: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub external_id: String,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub use_fips_sts_endpoint: bool,
    #[serde(deserialize_with = "null_default", skip_serializing_if = "is_zero")]
    pub service_name: String,
}

impl SigV4Config {
    pub fn validate(&self) -> Result<(), String> {
        if self.access_key.is_empty() != self.secret_key.is_empty() {
            return Err("must provide a AWS SigV4 Access key and Secret Key if credentials are specified in the SigV4 config".into());
        }
        if !self.external_id.is_empty() && self.role_arn.is_empty() {
            return Err("external_id can only be used with role_arn".into());
        }
        Ok(())
    }
}

impl Default for SnsConfig {
    fn default() -> Self {
        SnsConfig {
            send_resolved: true,
            http_config: None,
            api_url: String::new(),
            sigv4: SigV4Config::default(),
            topic_arn: String::new(),
            phone_number: String::new(),
            target_arn: String::new(),
            subject: r#"{{ template "sns.default.subject" . }}"#.into(),
            message: r#"{{ template "sns.default.message" . }}"#.into(),
            attributes: BTreeMap::new(),
            use_aws_http_client: false,
        }
    }
}

impl Notifier for SnsConfig {
    const KIND: &'static str = "sns";

    fn send_resolved(&self) -> bool {
        self.send_resolved
    }

    fn validate(&mut self) -> Result<(), String> {
        validate_http(&mut self.http_config)?;
        self.sigv4.validate()?;
        // Alertmanager's check is an XOR chain: exactly one, or all three.
        let (t, a, p) = (
            self.target_arn.is_empty(),
            self.topic_arn.is_empty(),
            self.phone_number.is_empty(),
        );
        if (t != a) != p {
            return Err(
                "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config"
                    .into(),
            );
        }
        Ok(())
    }

    fn inherit(&mut self, global: &GlobalConfig) -> Result<(), String> {
        inherit_http(&mut self.http_config, global);
        Ok(())
    }

    fn http_config_slot(&mut self) -> Option<&mut Option<HttpClientConfig>> {
        Some(&mut self.http_config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::notifiers::testing::{load, load_err, resolved};

    #[test]
    fn minimal_config_and_defaults() {
        let c: SnsConfig = resolved("topic_arn: topic");
        assert!(c.send_resolved);
        assert_eq!(c.subject, r#"{{ template "sns.default.subject" . }}"#);
        assert_eq!(c.message, r#"{{ template "sns.default.message" . }}"#);
        assert_eq!(c.sigv4, SigV4Config::default());
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["sigv4"], serde_json::json!({}));
    }

    #[test]
    fn every_field() {
        let c: SnsConfig = load(
            "api_url: https://sns.us-east-2.amazonaws.com\nphone_number: phone\n\
             subject: s\nmessage: m\nattributes: {severity: Sev2}\nuse_aws_http_client: true\n\
             sigv4: {region: us-east-2, access_key: ak, secret_key: sk, profile: p, \
             role_arn: arn, external_id: ext, use_fips_sts_endpoint: true, service_name: sns}",
        );
        assert_eq!(c.sigv4.region, "us-east-2");
        assert!(c.sigv4.use_fips_sts_endpoint);
        assert_eq!(c.attributes["severity"], "Sev2");
        assert!(c.use_aws_http_client);
        let y = serde_saphyr::to_string(&c).unwrap();
        assert!(
            !y.contains(" sk\n") && y.contains("secret_key: <secret>"),
            "{y}"
        );
    }

    #[test]
    fn target_rule_and_sigv4() {
        let target = "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config";
        for ok in [
            "target_arn: target",
            "topic_arn: topic",
            "phone_number: phone\nsigv4: {access_key: abc, secret_key: abc}",
            "target_arn: a\ntopic_arn: b\nphone_number: c",
        ] {
            load::<SnsConfig>(ok);
        }
        for (yaml, want) in [
            ("topic_arn: topic\ntarget_arn: target", target),
            ("topic_arn: topic\nphone_number: phone", target),
            ("{}", target),
            ("sigv4: {access_key: abc, secret_key: abc}", target),
            (
                "topic_arn: topic\nsigv4: {access_key: abc}",
                "must provide a AWS SigV4 Access key and Secret Key if credentials are specified in the SigV4 config",
            ),
            (
                "topic_arn: topic\nsigv4: {secret_key: abc}",
                "must provide a AWS SigV4 Access key and Secret Key if credentials are specified in the SigV4 config",
            ),
            (
                "topic_arn: topic\nsigv4: {external_id: x}",
                "external_id can only be used with role_arn",
            ),
        ] {
            assert_eq!(load_err::<SnsConfig>(yaml), want, "{yaml}");
        }
    }
}
