//! A TLS listener's server side: the rustls configuration built from its settings (PEM
//! certificate chain and key, optional client-certificate verification against a PEM CA
//! bundle), and the handshake of each accepted connection with a time limit.

use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::principal_mapping::PrincipalMapper;
use super::settings::{ClientAuth, Keystore, ListenerTls, PemSource, TlsVersion, property_error};
use super::subject::subject_name;
use crate::Result;

/// The TLS side of one listener, shared by its connections.
#[derive(Clone)]
pub(crate) struct TlsListener {
    acceptor: TlsAcceptor,
    /// Clients must finish the handshake within this (a silent or plaintext client would
    /// otherwise hold a connection slot).
    handshake_timeout: Duration,
    /// `ssl.principal.mapping.rules`.
    principal_mapper: PrincipalMapper,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener")
            .field("handshake_timeout", &self.handshake_timeout)
            .field("principal_mapper", &self.principal_mapper.to_string())
            .finish_non_exhaustive()
    }
}

/// A connection after its handshake: the stream and, when the client presented a certificate,
/// its principal name (without `User:`) from its subject by `ssl.principal.mapping.rules`.
pub(crate) type Handshaken = (TlsStream<TcpStream>, Option<String>);

impl TlsListener {
    /// Reads the listener's certificate, key and CA files and builds its TLS configuration.
    pub(crate) fn build(settings: &ListenerTls, handshake_timeout: Duration) -> Result<TlsListener> {
        let provider = Arc::new(aes128_first(rustls::crypto::ring::default_provider()));
        let (chain, key) = load_keystore(&settings.keystore)?;
        let versions: Vec<&'static rustls::SupportedProtocolVersion> = settings
            .versions
            .iter()
            .map(|v| match v {
                TlsVersion::V1_2 => &rustls::version::TLS12,
                TlsVersion::V1_3 => &rustls::version::TLS13,
            })
            .collect();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| crate::Error::Config(format!("TLS protocol versions: {e}")))?;
        let builder = match (&settings.truststore, settings.client_auth) {
            (Some(trust), ClientAuth::Requested | ClientAuth::Required) => {
                let roots = load_roots(trust)?;
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = if settings.client_auth == ClientAuth::Requested {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                let verifier = verifier
                    .build()
                    .map_err(|e| property_error(trust.setting(), format!("unusable CA certificates: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
            _ => builder.with_no_client_auth(),
        };
        let key_setting = match &settings.keystore {
            Keystore::File(s) => s,
            Keystore::Inline { key, .. } => key,
        };
        let mut config = builder.with_single_cert(chain, key).map_err(|e| {
            property_error(
                key_setting.setting(),
                format!("the certificate and private key do not make a usable TLS identity: {e}"),
            )
        })?;
        // The server's order decides (see `aes128_first`); clients such as OpenSSL list
        // AES-256-GCM first.
        config.ignore_client_order = true;
        Ok(TlsListener {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            handshake_timeout,
            principal_mapper: settings.principal_mapper.clone(),
        })
    }

    /// Runs the handshake. Errors (a plaintext client, a certificate the truststore rejects,
    /// no certificate where one is required, a subject no principal mapping rule applies to, a
    /// timeout) are for the caller to log; the connection is closed by dropping it.
    pub(crate) async fn accept(&self, socket: TcpStream) -> std::io::Result<Handshaken> {
        let stream = tokio::time::timeout(self.handshake_timeout, self.acceptor.accept(socket))
            .await
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no TLS handshake within {:?}", self.handshake_timeout),
                )
            })??;
        let subject = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|cert| {
                subject_name(cert).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "the client certificate's subject cannot be read",
                    )
                })
            })
            .transpose()?;
        let name = subject
            .map(|subject| {
                // As Kafka: a subject no rule maps fails the authentication.
                self.principal_mapper.name(&subject).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        format!(
                            "no rule of ssl.principal.mapping.rules {} applies to the client certificate's subject {subject}",
                            self.principal_mapper
                        ),
                    )
                })
            })
            .transpose()?;
        Ok((stream, name))
    }
}

/// The provider's suites with the AES-128-GCM ones first (stable order otherwise): the suite
/// TLS 1.3 requires every peer to have, and on a broker that encrypts everything it serves it
/// cut the broker's CPU for a 512 MB TLS fetch from 490 to 300 ms against AES-256-GCM
/// (BENCHMARKS.md, TLS against plaintext).
fn aes128_first(mut provider: rustls::crypto::CryptoProvider) -> rustls::crypto::CryptoProvider {
    use rustls::CipherSuite as S;
    provider.cipher_suites.sort_by_key(|s| {
        !matches!(
            s.suite(),
            S::TLS13_AES_128_GCM_SHA256
                | S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                | S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        )
    });
    provider
}

fn load_keystore(keystore: &Keystore) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let (chain_source, key_source) = match keystore {
        Keystore::File(s) => (s, s),
        Keystore::Inline { chain, key } => (chain, key),
    };
    let chain = certificates(chain_source)?;
    if chain.is_empty() {
        return Err(property_error(
            chain_source.setting(),
            "no CERTIFICATE in the PEM text".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_source.read()?).map_err(|e| {
        property_error(
            key_source.setting(),
            format!("no usable private key (unencrypted PKCS#8, RSA or EC PEM): {e}"),
        )
    })?;
    Ok((chain, key))
}

fn load_roots(source: &PemSource) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let certs = certificates(source)?;
    if certs.is_empty() {
        return Err(property_error(
            source.setting(),
            "no CERTIFICATE in the PEM text".into(),
        ));
    }
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| property_error(source.setting(), format!("unusable CA certificate: {e}")))?;
    }
    Ok(roots)
}

fn certificates(source: &PemSource) -> Result<Vec<CertificateDer<'static>>> {
    let pem = source.read()?;
    CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| property_error(source.setting(), format!("bad PEM: {e}")))
}
