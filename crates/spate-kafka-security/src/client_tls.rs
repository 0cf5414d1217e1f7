//! The client side of TLS for Spate's own raw-protocol admin client, from librdkafka's
//! property names: `ssl.ca.location` (PEM CA bundle; the system bundle when unset),
//! `ssl.certificate.location` with `ssl.key.location` (a client certificate, for listeners with
//! `ssl.client.auth`), and `ssl.endpoint.identification.algorithm` (`https`, the default,
//! checks the broker's host name; `none` checks only the chain).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;

/// Where Debian (and most Linux distributions) keep the system's CA bundle.
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// TLS settings of a client connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientTlsSettings {
    /// PEM CA certificates the broker's chain must lead to (`ssl.ca.location`).
    pub ca_location: Option<PathBuf>,
    /// PEM client certificate chain (`ssl.certificate.location`).
    pub certificate_location: Option<PathBuf>,
    /// Its PEM private key (`ssl.key.location`).
    pub key_location: Option<PathBuf>,
    /// Whether the broker's certificate must name the host connected to
    /// (`ssl.endpoint.identification.algorithm=https`, librdkafka's default).
    pub verify_hostname: bool,
}

impl ClientTlsSettings {
    /// A rustls client configuration; errors name the property at fault.
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (ca, ca_key) = match &self.ca_location {
            Some(p) => (p.as_path(), "ssl.ca.location"),
            None => (
                Path::new(SYSTEM_CA_BUNDLE),
                "ssl.ca.location (unset: the system bundle)",
            ),
        };
        let mut roots = RootCertStore::empty();
        for cert in read_certs(ca).map_err(|e| format!("{ca_key}: {e}"))? {
            roots
                .add(cert)
                .map_err(|e| format!("{ca_key}: unusable CA certificate: {e}"))?;
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| format!("{ca_key}: {e}"))?;
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS protocol versions: {e}"))?;
        let builder = if self.verify_hostname {
            builder.with_webpki_verifier(webpki)
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
        };
        let config = match (&self.certificate_location, &self.key_location) {
            (Some(cert), Some(key)) => {
                let chain = read_certs(cert).map_err(|e| format!("ssl.certificate.location: {e}"))?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| format!("ssl.key.location: no usable private key: {e}"))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| format!("ssl.certificate.location/ssl.key.location: {e}"))?
            }
            (None, None) => builder.with_no_client_auth(),
            _ => {
                return Err("ssl.certificate.location and ssl.key.location go together".to_string());
            }
        };
        Ok(Arc::new(config))
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("bad PEM in {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("no CERTIFICATE in {}", path.display()));
    }
    Ok(certs)
}

/// Checks the broker's chain and signatures but not its name
/// (`ssl.endpoint.identification.algorithm=none`).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
