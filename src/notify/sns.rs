//! The Amazon SNS integration: Alertmanager 0.34's `sns_configs` Publish
//! call, sent as the AWS SDK for Go v2 sends it — the AWS Query protocol
//! (`POST` of a form `Action=Publish&…&Version=2010-03-31`, parameters
//! sorted by name as Go's `url.Values.Encode` writes them) to `api_url` or
//! `https://sns.<region>.amazonaws.com/`, signed with AWS Signature
//! Version 4 (see [`sigv4`]).
//!
//! The message is cut to 256 KiB (1600 bytes when sending to a phone
//! number) and then carries the attribute `truncated: true`; a FIFO topic
//! (`….fifo`) gets the group key's SHA-256 as deduplication and group id.
//!
//! Credentials, in the SDK's order: `sigv4.access_key`/`secret_key`; the
//! shared credentials file when a profile is named (`sigv4.profile` or
//! `AWS_PROFILE`); the environment (`AWS_ACCESS_KEY_ID`, …); web identity
//! (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, as on EKS); the shared
//! file's `default` profile. With `sigv4.role_arn` those credentials assume
//! the role through STS (`AWS_ENDPOINT_URL_STS` overrides its endpoint);
//! the role's credentials are kept until a minute before they expire.
//!
//! An error answer's `<Message>` becomes the failure message; 5xx is
//! retried, other statuses are not (0.34's `Retrier` with no extra codes).
//! Template errors are retried with reason clientError, as 0.34 does.
//!
//! The signature is a per-request header, so each request goes through an
//! [`HttpClient`] built for it from `http_config` with the SigV4 headers
//! added (TLS, proxy and extra headers as configured).

pub mod sigv4;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::http::{HttpClient, HttpResponse, go_open_error};
use super::{FailureReason, Notifier, NotifyContext, NotifyError, NotifyFuture, Templater};
use crate::alert::Alert;
use crate::config::notifiers::sns::SnsConfig;
use sigv4::Credentials;

/// SNS's limit on a message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// The limit on an SMS message (0.34 counts bytes).
pub const MAX_SMS_BYTES: usize = 1600;

/// Reads an environment variable (injectable for tests).
pub type EnvFn = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;
/// The signing clock (injectable for tests).
pub type ClockFn = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// One `sns_configs` entry, ready to send.
pub struct Sns {
    conf: SnsConfig,
    /// Built once; the signature goes in each request's own headers.
    client: HttpClient,
    templater: Option<Arc<dyn Templater>>,
    env: EnvFn,
    clock: ClockFn,
    /// Assumed-role credentials and when they expire.
    role_cache: Mutex<Option<(Credentials, DateTime<Utc>)>>,
}

/// The rendered template fields.
struct Rendered {
    api_url: String,
    topic_arn: String,
    phone_number: String,
    target_arn: String,
    message: String,
    subject: String,
    attributes: BTreeMap<String, String>,
}

/// Go's `url.QueryEscape` of bytes: unreserved kept, space as `+`.
pub fn query_escape(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `url.Values.Encode`: pairs sorted by key (stable), escaped, joined.
pub fn encode_form(mut pairs: Vec<(String, Vec<u8>)>) -> Vec<u8> {
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", query_escape(k.as_bytes()), query_escape(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// The text of the first `<tag>…</tag>` in `xml`, entities decoded.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&#xA;", "\n")
            .replace("&#xD;", "\r")
            .replace("&amp;", "&"),
    )
}

/// One INI section of an AWS shared file: `[name]` (or `[profile name]`
/// when `config_style`), keys lower-cased.
fn ini_section(text: &str, name: &str, config_style: bool) -> Option<BTreeMap<String, String>> {
    let mut current: Option<bool> = None;
    let mut out: Option<BTreeMap<String, String>> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let section = section.trim();
            let matches = if config_style && name != "default" {
                section
                    .strip_prefix("profile")
                    .is_some_and(|r| r.starts_with(char::is_whitespace) && r.trim() == name)
            } else {
                section == name
            };
            current = Some(matches);
            if matches && out.is_none() {
                out = Some(BTreeMap::new());
            }
            continue;
        }
        if current == Some(true)
            && let Some((k, v)) = line.split_once('=')
            && let Some(map) = out.as_mut()
        {
            map.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

/// A failure answered by AWS: `unexpected status code <code>: <Message>`,
/// retried for 5xx, the reason from the status. An answer that is not an
/// AWS error document fails retryably, as the SDK's deserialization error
/// does in 0.34.
fn api_error(operation: &str, status: u16, body: &[u8]) -> NotifyError {
    let text = String::from_utf8_lossy(body);
    if !text.contains("<Error>") {
        return NotifyError::retryable(
            FailureReason::Other,
            format!(
                "operation error {operation}, https response error StatusCode: {status}, failed to decode error response"
            ),
        );
    }
    let code = xml_text(&text, "Code").unwrap_or_default();
    let mut message = xml_text(&text, "Message").unwrap_or_default();
    if message.is_empty() {
        message = if code.is_empty() {
            "UnknownError".into()
        } else {
            code
        };
    }
    NotifyError {
        retryable: (500..600).contains(&status),
        reason: FailureReason::from_status(status),
        message: format!("unexpected status code {status}: {message}"),
        retry_after: None,
        status: Some(status),
    }
}

impl Sns {
    /// Builds the notifier with the process environment and clock; fails
    /// when the HTTP client cannot be built.
    pub fn new(conf: &SnsConfig, templater: Option<Arc<dyn Templater>>) -> Result<Self, String> {
        Self::with_parts(
            conf,
            templater,
            Arc::new(|k| std::env::var(k).ok()),
            Arc::new(Utc::now),
        )
    }

    /// [`Sns::new`] with the environment and the clock given.
    pub fn with_parts(
        conf: &SnsConfig,
        templater: Option<Arc<dyn Templater>>,
        env: EnvFn,
        clock: ClockFn,
    ) -> Result<Self, String> {
        let http = conf.http_config.clone().unwrap_or_default();
        Ok(Sns {
            conf: conf.clone(),
            client: HttpClient::new(&http)?,
            templater,
            env,
            clock,
            role_cache: Mutex::new(None),
        })
    }

    fn env(&self, key: &str) -> Option<String> {
        (self.env)(key).filter(|v| !v.is_empty())
    }

    /// Renders every templated field against one data object; on an error
    /// names the field as 0.34 does (`execute '<field>' template: …`).
    fn render(
        &self,
        ctx: &NotifyContext,
        alerts: &[Arc<Alert>],
    ) -> Result<Rendered, (&'static str, NotifyError)> {
        let Some(t) = &self.templater else {
            return Err((
                "api_url",
                NotifyError::permanent(FailureReason::Other, "no template engine configured"),
            ));
        };
        let c = &self.conf;
        // 0.34's order of evaluation.
        let mut fields: Vec<(&'static str, &str)> = vec![("api_url", c.api_url.as_str())];
        for (k, v) in &c.attributes {
            fields.push(("attributes", k));
            fields.push(("attributes", v));
        }
        for (name, text) in [
            ("topic_arn", &c.topic_arn),
            ("phone_number", &c.phone_number),
            ("target_arn", &c.target_arn),
            ("message", &c.message),
            ("subject", &c.subject),
        ] {
            if !text.is_empty() {
                fields.push((name, text));
            }
        }
        let texts: Vec<&str> = fields.iter().map(|(_, t)| *t).collect();
        let out = match t.execute_all(&texts, ctx, alerts) {
            Ok(out) => out,
            Err(e) => {
                // Find which field failed (the error path only).
                let field = fields
                    .iter()
                    .find(|(_, text)| t.execute_text(text, ctx, alerts).is_err())
                    .map_or("message", |(f, _)| *f);
                return Err((
                    field,
                    NotifyError::retryable(
                        FailureReason::ClientError,
                        format!("execute '{field}' template: {e}"),
                    ),
                ));
            }
        };
        let mut r = Rendered {
            api_url: String::new(),
            topic_arn: String::new(),
            phone_number: String::new(),
            target_arn: String::new(),
            message: String::new(),
            subject: String::new(),
            attributes: BTreeMap::new(),
        };
        let mut it = fields.iter().map(|(f, _)| *f).zip(out);
        let mut pending_key: Option<String> = None;
        for (field, value) in &mut it {
            match field {
                "api_url" => r.api_url = value,
                "attributes" => match pending_key.take() {
                    None => pending_key = Some(value),
                    Some(k) => {
                        r.attributes.insert(k, value);
                    }
                },
                "topic_arn" => r.topic_arn = value,
                "phone_number" => r.phone_number = value,
                "target_arn" => r.target_arn = value,
                "message" => r.message = value,
                "subject" => r.subject = value,
                _ => {}
            }
        }
        Ok(r)
    }

    /// The region: `sigv4.region`, `AWS_REGION`, or the shared config
    /// file's profile.
    fn region(&self) -> Result<String, NotifyError> {
        if !self.conf.sigv4.region.is_empty() {
            return Ok(self.conf.sigv4.region.clone());
        }
        if let Some(r) = self.env("AWS_REGION") {
            return Ok(r);
        }
        let profile = self.profile();
        if let Some(path) = self
            .env("AWS_CONFIG_FILE")
            .or_else(|| self.home_file("config"))
            && let Ok(text) = std::fs::read_to_string(&path)
            && let Some(section) = ini_section(&text, &profile, true)
            && let Some(r) = section.get("region").filter(|r| !r.is_empty())
        {
            return Ok(r.clone());
        }
        Err(NotifyError::retryable(
            FailureReason::Other,
            "region not configured in sns.sigv4.region or in default credentials chain",
        ))
    }

    fn home_file(&self, name: &str) -> Option<String> {
        self.env("HOME").map(|h| format!("{h}/.aws/{name}"))
    }

    /// The profile named in the config or `AWS_PROFILE`, else `default`.
    fn profile(&self) -> String {
        if !self.conf.sigv4.profile.is_empty() {
            return self.conf.sigv4.profile.clone();
        }
        self.env("AWS_PROFILE").unwrap_or_else(|| "default".into())
    }

    /// Credentials from the shared credentials file's profile.
    fn shared_file_credentials(&self) -> Result<Credentials, NotifyError> {
        let profile = self.profile();
        let path = self
            .env("AWS_SHARED_CREDENTIALS_FILE")
            .or_else(|| self.home_file("credentials"))
            .unwrap_or_else(|| ".aws/credentials".into());
        let fail = |m: String| NotifyError::retryable(FailureReason::Other, m);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            fail(format!(
                "failed to get shared config profile, {profile}: {}",
                go_open_error(&path, &e)
            ))
        })?;
        let section = ini_section(&text, &profile, false)
            .ok_or_else(|| fail(format!("failed to get shared config profile, {profile}")))?;
        let get = |k: &str| section.get(k).cloned().unwrap_or_default();
        let (access_key, secret_key) = (get("aws_access_key_id"), get("aws_secret_access_key"));
        if access_key.is_empty() || secret_key.is_empty() {
            return Err(fail(format!(
                "failed to get shared config profile, {profile}: no credentials in {path}"
            )));
        }
        let token = get("aws_session_token");
        Ok(Credentials {
            access_key,
            secret_key,
            session_token: (!token.is_empty()).then_some(token),
        })
    }

    /// The base credentials (before any `role_arn`), in the SDK's order.
    async fn base_credentials(&self, region: &str) -> Result<Credentials, NotifyError> {
        let s = &self.conf.sigv4;
        if !s.access_key.is_empty() {
            return Ok(Credentials {
                access_key: s.access_key.clone(),
                secret_key: s.secret_key.expose().to_string(),
                session_token: None,
            });
        }
        if !s.profile.is_empty() || self.env("AWS_PROFILE").is_some() {
            return self.shared_file_credentials();
        }
        if let (Some(ak), Some(sk)) = (
            self.env("AWS_ACCESS_KEY_ID")
                .or_else(|| self.env("AWS_ACCESS_KEY")),
            self.env("AWS_SECRET_ACCESS_KEY")
                .or_else(|| self.env("AWS_SECRET_KEY")),
        ) {
            return Ok(Credentials {
                access_key: ak,
                secret_key: sk,
                session_token: self.env("AWS_SESSION_TOKEN"),
            });
        }
        if let Some(token_file) = self.env("AWS_WEB_IDENTITY_TOKEN_FILE") {
            let role = self.env("AWS_ROLE_ARN").ok_or_else(|| {
                NotifyError::retryable(
                    FailureReason::Other,
                    "failed to retrieve credentials: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not",
                )
            })?;
            let token = std::fs::read_to_string(&token_file).map_err(|e| {
                NotifyError::retryable(
                    FailureReason::Other,
                    format!(
                        "failed to retrieve credentials: unable to read file at {token_file}: {}",
                        go_open_error(&token_file, &e)
                    ),
                )
            })?;
            let session = self
                .env("AWS_ROLE_SESSION_NAME")
                .unwrap_or_else(|| self.session_name());
            let form = vec![
                ("Action".to_string(), b"AssumeRoleWithWebIdentity".to_vec()),
                ("RoleArn".to_string(), role.into_bytes()),
                ("RoleSessionName".to_string(), session.into_bytes()),
                ("Version".to_string(), b"2011-06-15".to_vec()),
                (
                    "WebIdentityToken".to_string(),
                    token.trim().as_bytes().to_vec(),
                ),
            ];
            return self
                .sts(region, "AssumeRoleWithWebIdentity", form, None)
                .await
                .map(|(c, _)| c);
        }
        self.shared_file_credentials()
    }

    /// The SDK's default session name.
    fn session_name(&self) -> String {
        let now = (self.clock)();
        format!(
            "aws-go-sdk-{}",
            now.timestamp_nanos_opt().unwrap_or_default()
        )
    }

    /// The credentials to sign the Publish call with.
    async fn credentials(&self, region: &str) -> Result<Credentials, NotifyError> {
        let base = self.base_credentials(region).await?;
        let s = &self.conf.sigv4;
        if s.role_arn.is_empty() {
            return Ok(base);
        }
        let now = (self.clock)();
        if let Some((c, expires)) = &*self.role_cache.lock().unwrap_or_else(|e| e.into_inner())
            && now + chrono::Duration::seconds(60) < *expires
        {
            return Ok(c.clone());
        }
        let mut form = vec![
            ("Action".to_string(), b"AssumeRole".to_vec()),
            ("RoleArn".to_string(), s.role_arn.as_bytes().to_vec()),
            (
                "RoleSessionName".to_string(),
                self.session_name().into_bytes(),
            ),
            ("Version".to_string(), b"2011-06-15".to_vec()),
        ];
        if !s.external_id.is_empty() {
            form.push(("ExternalId".to_string(), s.external_id.as_bytes().to_vec()));
        }
        let (creds, expires) = self.sts(region, "AssumeRole", form, Some(&base)).await?;
        *self.role_cache.lock().unwrap_or_else(|e| e.into_inner()) = Some((creds.clone(), expires));
        Ok(creds)
    }

    /// One STS call (signed when `creds` are given); the credentials it
    /// answers and their expiry.
    async fn sts(
        &self,
        region: &str,
        action: &str,
        form: Vec<(String, Vec<u8>)>,
        creds: Option<&Credentials>,
    ) -> Result<(Credentials, DateTime<Utc>), NotifyError> {
        let endpoint = self
            .env("AWS_ENDPOINT_URL_STS")
            .or_else(|| self.env("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com/"));
        let body = encode_form(form);
        let resp = self.send(&endpoint, region, "sts", body, creds).await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        if !(200..300).contains(&status) {
            return Err(api_error(&format!("STS: {action}"), status, &body));
        }
        let text = String::from_utf8_lossy(&body);
        let bad = || {
            NotifyError::retryable(
                FailureReason::Other,
                format!("operation error STS: {action}, failed to decode response"),
            )
        };
        let access_key = xml_text(&text, "AccessKeyId").ok_or_else(bad)?;
        let secret_key = xml_text(&text, "SecretAccessKey").ok_or_else(bad)?;
        let token = xml_text(&text, "SessionToken");
        let expires = xml_text(&text, "Expiration")
            .and_then(|e| DateTime::parse_from_rfc3339(e.trim()).ok())
            .map(|e| e.with_timezone(&Utc))
            .ok_or_else(bad)?;
        Ok((
            Credentials {
                access_key,
                secret_key,
                session_token: token.filter(|t| !t.is_empty()),
            },
            expires,
        ))
    }

    /// POSTs a form to `url`, signed for `service` when `creds` are given.
    async fn send(
        &self,
        url: &str,
        region: &str,
        service: &str,
        body: Vec<u8>,
        creds: Option<&Credentials>,
    ) -> Result<HttpResponse, NotifyError> {
        const FORM: &str = "application/x-www-form-urlencoded";
        let mut extra: Vec<(&str, String)> = Vec::new();
        if let Some(creds) = creds {
            let parsed = url::Url::parse(url).map_err(|e| {
                NotifyError::retryable(FailureReason::Other, format!("parse \"<redacted>\": {e}"))
            })?;
            let host = match parsed.port() {
                Some(p) => format!("{}:{p}", parsed.host_str().unwrap_or_default()),
                None => parsed.host_str().unwrap_or_default().to_string(),
            };
            let now = (self.clock)();
            let date = sigv4::amz_date(now);
            let mut headers = vec![
                ("Content-Length".to_string(), body.len().to_string()),
                ("Content-Type".to_string(), FORM.to_string()),
                ("Host".to_string(), host),
                ("X-Amz-Date".to_string(), date.clone()),
            ];
            if let Some(t) = &creds.session_token {
                headers.push(("X-Amz-Security-Token".to_string(), t.clone()));
            }
            let signed = sigv4::sign(
                creds,
                region,
                service,
                &sigv4::Request {
                    method: "POST",
                    path: parsed.path(),
                    query: &parsed
                        .query_pairs()
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect::<Vec<_>>(),
                    headers: &headers,
                    body: &body,
                },
                now,
            );
            extra.push(("X-Amz-Date", date));
            extra.push(("Authorization", signed.authorization));
            if let Some(t) = &creds.session_token {
                extra.push(("X-Amz-Security-Token", t.clone()));
            }
        }
        self.client
            .request_with(reqwest::Method::POST, url, Some((FORM, body)), &extra)
            .await
    }

    /// Where Publish goes: `api_url`, else the SDK's endpoint variables
    /// (`AWS_ENDPOINT_URL_SNS`, `AWS_ENDPOINT_URL`), else the regional
    /// endpoint.
    fn endpoint(&self, r: &Rendered, region: &str) -> String {
        if !r.api_url.is_empty() {
            return r.api_url.clone();
        }
        self.env("AWS_ENDPOINT_URL_SNS")
            .or_else(|| self.env("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("https://sns.{region}.amazonaws.com/"))
    }

    /// The Publish form parameters, unencoded.
    fn publish_form(&self, ctx: &NotifyContext, r: Rendered) -> Vec<(String, Vec<u8>)> {
        let c = &self.conf;
        let mut form = vec![
            ("Action".to_string(), b"Publish".to_vec()),
            ("Version".to_string(), b"2010-03-31".to_vec()),
        ];
        let mut limit = MAX_MESSAGE_BYTES;
        if !c.topic_arn.is_empty() {
            if r.topic_arn.ends_with(".fifo") {
                let hash = super::group_key_hash(&ctx.group_key);
                form.push(("MessageDeduplicationId".into(), hash.clone().into_bytes()));
                form.push(("MessageGroupId".into(), hash.into_bytes()));
            }
            form.push(("TopicArn".into(), r.topic_arn.into_bytes()));
        }
        if !c.phone_number.is_empty() {
            form.push(("PhoneNumber".into(), r.phone_number.into_bytes()));
            limit = MAX_SMS_BYTES;
        }
        if !c.target_arn.is_empty() {
            form.push(("TargetArn".into(), r.target_arn.into_bytes()));
        }
        let mut attributes = r.attributes;
        let mut message = r.message.into_bytes();
        if message.len() > limit {
            // 0.34 cuts bytes, not runes.
            message.truncate(limit);
            attributes.insert("truncated".into(), "true".into());
            tracing::warn!(receiver = %ctx.receiver, group_key = %ctx.group_key, max_bytes = limit, "Truncated message");
        }
        form.push(("Message".into(), message));
        for (i, (k, v)) in attributes.into_iter().enumerate() {
            let p = format!("MessageAttributes.entry.{}", i + 1);
            form.push((format!("{p}.Name"), k.into_bytes()));
            form.push((format!("{p}.Value.DataType"), b"String".to_vec()));
            form.push((format!("{p}.Value.StringValue"), v.into_bytes()));
        }
        if !c.subject.is_empty() {
            form.push(("Subject".into(), r.subject.into_bytes()));
        }
        form
    }
}

impl Notifier for Sns {
    fn kind(&self) -> &'static str {
        "sns"
    }

    fn notify<'a>(&'a self, ctx: &'a NotifyContext, alerts: &'a [Arc<Alert>]) -> NotifyFuture<'a> {
        Box::pin(async move {
            let rendered = match self.render(ctx, alerts) {
                Ok(r) => r,
                // 0.34 renders `api_url` and checks the region while
                // building its client, the other fields after.
                Err((field, e)) if field != "api_url" => {
                    self.region()?;
                    return Err(e);
                }
                Err((_, e)) => return Err(e),
            };
            let region = self.region()?;
            let url = self.endpoint(&rendered, &region);
            let creds = self.credentials(&region).await?;
            let body = encode_form(self.publish_form(ctx, rendered));
            let resp = self.send(&url, &region, "sns", body, Some(&creds)).await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            if !(200..300).contains(&status) {
                return Err(api_error("SNS: Publish", status, &body));
            }
            let text = String::from_utf8_lossy(&body);
            tracing::debug!(
                message_id = xml_text(&text, "MessageId").unwrap_or_default(),
                sequence_number = xml_text(&text, "SequenceNumber").unwrap_or_default(),
                "SNS message successfully published"
            );
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests;
