//! `tls_server_config`: the web server's TLS (rustls), as exporter-toolkit
//! configures Go's: certificate and key files read again when they change
//! (a rotated certificate is used by the next connection), client
//! certificates per `client_auth_type`, versions, cipher suites and
//! curves by Go's names.
//!
//! rustls has no TLS 1.0 or 1.1, no CBC or RSA-key-exchange suites and no
//! P-521: asking for them is refused at start, naming the setting.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use rustls::crypto::CryptoProvider;
use rustls::crypto::ring::{cipher_suite, default_provider, kx_group};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use rustls::{DistinguishedName, RootCertStore, SupportedCipherSuite};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};

use super::config::{LiveWebConfig, TlsServerConfig};

/// Go's names of the TLS ≤ 1.2 suites rustls offers.
const SUITES: &[(&str, SupportedCipherSuite)] = &[
    (
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
    (
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
];

/// Go's other suite names (`tls.CipherSuites()` and the insecure list),
/// which exporter-toolkit accepts and rustls does not implement.
const GO_ONLY_SUITES: &[&str] = &[
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
];

/// TLS 1.3's suites: accepted in the list and, as in Go, without effect
/// (TLS 1.3 always offers all three).
const TLS13_SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

fn version(v: Option<&str>, default: u8) -> Result<u8, String> {
    match v {
        None => Ok(default),
        Some("TLS12") => Ok(2),
        Some("TLS13") => Ok(3),
        Some(v @ ("TLS10" | "TLS11")) => Err(format!(
            "{v} is not supported: Tocsin's TLS (rustls) speaks TLS 1.2 and 1.3"
        )),
        Some(v) => Err(format!("unknown TLS version: {v}")),
    }
}

/// Accepts any client certificate (`RequestClientCert`,
/// `RequireAnyClientCert`): its signature over the handshake is checked,
/// its chain is not (as in Go).
#[derive(Debug)]
struct AnyClientCert {
    mandatory: bool,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for AnyClientCert {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Builds the server's TLS configuration (exporter-toolkit's
/// `ConfigToTLSConfig`, with its messages). `http2` offers HTTP/2 by ALPN.
pub fn server_config(t: &TlsServerConfig, http2: bool) -> Result<Arc<ServerConfig>, String> {
    if t.cert_file.is_empty() {
        return Err("missing cert_file".into());
    }
    if t.key_file.is_empty() {
        return Err("missing key_file".into());
    }
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&t.cert_file)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("failed to load X509KeyPair: {}: {e}", t.cert_file))?;
    if certs.is_empty() {
        return Err(format!(
            "failed to load X509KeyPair: tls: failed to find any PEM data in certificate input ({})",
            t.cert_file
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&t.key_file)
        .map_err(|e| format!("failed to load X509KeyPair: {}: {e}", t.key_file))?;

    let mut provider = default_provider();
    if !t.cipher_suites.is_empty() {
        let mut tls12 = Vec::new();
        for name in &t.cipher_suites {
            match SUITES.iter().find(|(n, _)| n == name) {
                Some((_, s)) => tls12.push(*s),
                None if TLS13_SUITES.contains(&name.as_str()) => {}
                None if GO_ONLY_SUITES.contains(&name.as_str()) => {
                    return Err(format!(
                        "cipher {name} is not supported by Tocsin's TLS (rustls)"
                    ));
                }
                None => return Err(format!("unknown cipher: {name}")),
            }
        }
        // As in Go, the list orders the TLS 1.2 suites; TLS 1.3's are fixed.
        let tls13: Vec<SupportedCipherSuite> = provider
            .cipher_suites
            .iter()
            .filter(|s| s.tls13().is_some())
            .copied()
            .collect();
        provider.cipher_suites = tls12.into_iter().chain(tls13).collect();
    }
    if !t.curve_preferences.is_empty() {
        let mut groups = Vec::new();
        for c in &t.curve_preferences {
            groups.push(match c.as_str() {
                "X25519" => kx_group::X25519,
                "CurveP256" => kx_group::SECP256R1,
                "CurveP384" => kx_group::SECP384R1,
                "CurveP521" => {
                    return Err("curve CurveP521 is not supported by Tocsin's TLS (rustls)".into());
                }
                other => return Err(format!("unknown curve: {other}")),
            });
        }
        provider.kx_groups = groups;
    }
    let provider = Arc::new(provider);
    let (min, max) = (
        version(t.min_version.as_deref(), 2)?,
        version(t.max_version.as_deref(), 3)?,
    );
    let versions: Vec<&'static rustls::SupportedProtocolVersion> =
        [(2, &rustls::version::TLS12), (3, &rustls::version::TLS13)]
            .into_iter()
            .filter(|(v, _)| (min..=max).contains(v))
            .map(|(_, p)| p)
            .collect();
    if versions.is_empty() {
        return Err("min_version is above max_version".into());
    }

    let roots = if t.client_ca_file.is_empty() {
        None
    } else {
        let mut roots = RootCertStore::empty();
        let pem = std::fs::read(&t.client_ca_file)
            .map_err(|e| format!("open {}: {e}", t.client_ca_file))?;
        for c in CertificateDer::pem_slice_iter(&pem).flatten() {
            roots
                .add(c)
                .map_err(|e| format!("{}: {e}", t.client_ca_file))?;
        }
        Some(Arc::new(roots))
    };
    let verify = |optional: bool| -> Result<Arc<dyn ClientCertVerifier>, String> {
        let roots = roots.clone().ok_or_else(|| {
            format!(
                "client_auth_type {} needs client_ca_file (Tocsin does not verify client certificates against the system's roots)",
                t.client_auth_type
            )
        })?;
        let b = WebPkiClientVerifier::builder_with_provider(roots, provider.clone());
        let b = if optional {
            b.allow_unauthenticated()
        } else {
            b
        };
        b.build().map_err(|e| e.to_string()).map(|v| v as _)
    };
    let any = |mandatory: bool| -> Arc<dyn ClientCertVerifier> {
        Arc::new(AnyClientCert {
            mandatory,
            provider: provider.clone(),
        })
    };
    let verifier: Option<Arc<dyn ClientCertVerifier>> = match t.client_auth_type.as_str() {
        "RequestClientCert" => Some(any(false)),
        "RequireAnyClientCert" | "RequireClientCert" => Some(any(true)),
        "VerifyClientCertIfGiven" => Some(verify(true)?),
        "RequireAndVerifyClientCert" => Some(verify(false)?),
        "" | "NoClientCert" => None,
        other => return Err(format!("Invalid ClientAuth: {other}")),
    };
    if roots.is_some() && verifier.is_none() {
        return Err("Client CA's have been configured without a Client Auth Policy".into());
    }
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| e.to_string())?;
    let builder = match verifier {
        Some(v) => builder.with_client_cert_verifier(v),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("failed to load X509KeyPair: {e}"))?;
    config.ignore_client_order = t.prefer_server_cipher_suites.unwrap_or(true);
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Arc::new(config))
}

/// A file's modification time and size, for change detection.
fn stamp(path: &str) -> Option<(SystemTime, u64)> {
    if path.is_empty() {
        return None;
    }
    let m = std::fs::metadata(Path::new(path)).ok()?;
    Some((m.modified().ok()?, m.len()))
}

type Stamps = Vec<Option<(SystemTime, u64)>>;

/// The TLS configuration of the running server: rebuilt for the next
/// connection when the web configuration, the certificate, the key or the
/// client CA file changes; while a change cannot be used, the last good
/// configuration stays (and the error is logged once per change).
pub struct LiveTls {
    web: Arc<LiveWebConfig>,
    current: Mutex<(Stamps, Arc<ServerConfig>)>,
}

impl LiveTls {
    /// `None` when the web configuration has no TLS settings.
    pub fn new(web: Arc<LiveWebConfig>) -> Result<Option<LiveTls>, String> {
        let c = web.current()?;
        if !c.tls_server_config.is_present() {
            return Ok(None);
        }
        let config = server_config(&c.tls_server_config, c.http_server_config.http2)?;
        let stamps = Self::stamps(&web, &c.tls_server_config);
        Ok(Some(LiveTls {
            web,
            current: Mutex::new((stamps, config)),
        }))
    }

    fn stamps(web: &LiveWebConfig, t: &TlsServerConfig) -> Stamps {
        vec![
            stamp(&web.path().display().to_string()),
            stamp(&t.cert_file),
            stamp(&t.key_file),
            stamp(&t.client_ca_file),
        ]
    }

    /// The configuration for a new connection.
    pub fn config(&self) -> Arc<ServerConfig> {
        let mut cur = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let Ok(web) = self.web.current() else {
            return cur.1.clone();
        };
        let stamps = Self::stamps(&self.web, &web.tls_server_config);
        if stamps != cur.0 {
            match server_config(&web.tls_server_config, web.http_server_config.http2) {
                Ok(c) => *cur = (stamps, c),
                Err(e) => {
                    tracing::error!(err = %e, "Unable to use the new TLS configuration; keeping the previous one");
                    cur.0 = stamps;
                }
            }
        }
        cur.1.clone()
    }
}
