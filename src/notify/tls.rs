//! TLS for notification requests, from `http_config.tls_config` as
//! prometheus/common applies it: the CA bundle (inline or file; otherwise
//! the system roots), a client certificate and key read again on every
//! handshake, `server_name` for verification, `insecure_skip_verify`, and
//! the protocol versions rustls offers (TLS 1.2 and 1.3).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::http::SecretSource;
use crate::config::http::{TlsConfig, TlsVersion};

/// A TLS configuration for `tls`, or `None` for the defaults (system
/// roots through the platform verifier).
pub(crate) fn client_config(
    tls: &TlsConfig,
    http2: bool,
) -> Result<Option<rustls::ClientConfig>, String> {
    if tls.is_unset() {
        return Ok(None);
    }
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    if let (Some(min), Some(max)) = (tls.min_version, tls.max_version)
        && max < min
    {
        return Err("tls_config.max_version must be greater than or equal to tls_config.min_version if both are specified".to_string());
    }
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = [
        (TlsVersion::Tls12, &rustls::version::TLS12),
        (TlsVersion::Tls13, &rustls::version::TLS13),
    ]
    .into_iter()
    .filter(|(v, _)| tls.min_version.is_none_or(|min| *v >= min))
    .filter(|(v, _)| tls.max_version.is_none_or(|max| *v <= max))
    .map(|(_, p)| p)
    .collect();
    if versions.is_empty() {
        return Err("tls_config: only TLS 1.2 and TLS 1.3 are supported".to_string());
    }

    let roots = match SecretSource::pick(&tls.ca, &tls.ca_file, &tls.ca_ref)
        .map_err(|e| format!("unable to use CA cert: {e}"))?
    {
        Some(source) => {
            let pem = source
                .fetch()
                .map_err(|e| format!("unable to read CA cert: {e}"))?;
            let store = root_store(pem.as_bytes());
            if store.is_empty() {
                return Err(format!(
                    "unable to use specified CA cert {}",
                    source.describe()
                ));
            }
            store
        }
        None => system_roots(),
    };

    let verifier: Arc<dyn ServerCertVerifier> = if tls.insecure_skip_verify {
        Arc::new(AcceptAnyCertificate(provider.clone()))
    } else {
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| format!("unable to use CA cert: {e}"))?
    };
    let verifier: Arc<dyn ServerCertVerifier> = if tls.server_name.is_empty() {
        verifier
    } else {
        let name = ServerName::try_from(tls.server_name.clone())
            .map_err(|e| format!("invalid server_name {:?}: {e}", tls.server_name))?;
        Arc::new(FixedServerName {
            inner: verifier,
            name,
        })
    };

    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match ClientCert::from_config(tls, provider)? {
        Some(cert) => builder.with_client_cert_resolver(Arc::new(cert)),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Some(config))
}

/// The certificates of a PEM bundle (unparseable blocks are skipped, as
/// Go's `AppendCertsFromPEM` does).
pub(crate) fn root_store(pem: &[u8]) -> RootCertStore {
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem).flatten() {
        let _ = store.add(cert);
    }
    store
}

/// The system's trusted roots, from the bundle files Go also reads
/// (`SSL_CERT_FILE` first).
fn system_roots() -> RootCertStore {
    const FILES: [&str; 6] = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/pki/tls/cacert.pem",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        "/etc/ssl/cert.pem",
    ];
    let env = std::env::var("SSL_CERT_FILE").ok();
    for file in env.iter().map(String::as_str).chain(FILES) {
        if let Ok(pem) = std::fs::read(file) {
            let store = root_store(&pem);
            if !store.is_empty() {
                return store;
            }
        }
    }
    RootCertStore::empty()
}

/// Verifies the server's certificate against `tls_config.server_name`
/// instead of the URL's host.
#[derive(Debug)]
struct FixedServerName {
    inner: Arc<dyn ServerCertVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for FixedServerName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `insecure_skip_verify`: any certificate is accepted; handshake
/// signatures are still checked.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A client certificate and key, read again on every handshake (so renewed
/// files are picked up, as in Go).
#[derive(Debug)]
struct ClientCert {
    cert: SecretSource,
    key: SecretSource,
    provider: Arc<CryptoProvider>,
}

impl ClientCert {
    /// The configured pair, checked once now.
    fn from_config(tls: &TlsConfig, provider: Arc<CryptoProvider>) -> Result<Option<Self>, String> {
        let cert = SecretSource::pick(&tls.cert, &tls.cert_file, &tls.cert_ref)
            .map_err(|e| format!("unable to use client cert: {e}"))?;
        let key = SecretSource::pick(tls.key.expose(), &tls.key_file, &tls.key_ref)
            .map_err(|e| format!("unable to use client key: {e}"))?;
        let (Some(cert), Some(key)) = (cert, key) else {
            return Ok(None);
        };
        let pair = ClientCert {
            cert,
            key,
            provider,
        };
        pair.load()?;
        Ok(Some(pair))
    }

    fn load(&self) -> Result<Arc<CertifiedKey>, String> {
        let cert_pem = self
            .cert
            .fetch()
            .map_err(|e| format!("unable to read specified client cert: {e}"))?;
        let key_pem = self
            .key
            .fetch()
            .map_err(|e| format!("unable to read specified client key: {e}"))?;
        let pair_error = |e: String| {
            format!(
                "unable to use specified client cert ({}) & key ({}): {e}",
                self.cert.describe(),
                self.key.describe()
            )
        };
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| pair_error(format!("tls: {e}")))?;
        if chain.is_empty() {
            return Err(pair_error(
                "tls: failed to find any PEM data in certificate input".to_string(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|_| pair_error("tls: failed to find any PEM data in key input".to_string()))?;
        CertifiedKey::from_der(chain, key, &self.provider)
            .map(Arc::new)
            .map_err(|e| pair_error(format!("tls: {e}")))
    }
}

impl ResolvesClientCert for ClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        match self.load() {
            Ok(k) => Some(k),
            Err(e) => {
                tracing::error!(err = %e, "Loading the TLS client certificate failed");
                None
            }
        }
    }

    fn has_certs(&self) -> bool {
        true
    }
}
