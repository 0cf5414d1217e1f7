use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{ClientError, Result};

/// How the client proves who it is to the registry.
#[derive(Clone, Default)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// HTTP basic auth (Confluent's `basic.auth.user.info` = `user:password`).
    Basic {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// A bearer token (Confluent's `bearer.auth.token`).
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    // Credentials never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

impl Auth {
    pub(crate) fn header(&self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Basic { user, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
        }
    }
}

/// Where the registry is and how to talk to it.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// One or more base URLs, tried in order until one answers (as Confluent's
    /// comma-separated `schema.registry.url`).
    pub urls: Vec<String>,
    /// Credentials sent with every request.
    pub auth: Auth,
    /// A PEM file of CA certificates to trust for https (Flink names a JKS truststore here;
    /// Spate reads PEM). Without one, the system's bundle
    /// (`/etc/ssl/certs/ca-certificates.crt`) is trusted.
    pub trust_pem: Option<PathBuf>,
    /// A PEM file holding the client's certificate chain and its private key, for registries
    /// that ask for a client certificate.
    pub identity_pem: Option<PathBuf>,
    /// Connect, read and write timeout of one request.
    pub timeout: Duration,
}

impl ClientConfig {
    /// A configuration for `urls` (comma-separated) without credentials or TLS files.
    pub fn new(urls: &str) -> ClientConfig {
        ClientConfig {
            urls: urls
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string)
                .collect(),
            auth: Auth::None,
            trust_pem: None,
            identity_pem: None,
            timeout: Duration::from_secs(30),
        }
    }

    pub(crate) fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>> {
        let system = PathBuf::from("/etc/ssl/certs/ca-certificates.crt");
        let trust = self.trust_pem.clone().unwrap_or(system);
        let mut roots = rustls::RootCertStore::empty();
        let certs = CertificateDer::pem_file_iter(&trust)
            .map_err(|e| ClientError::Config(format!("truststore {}: {e}", trust.display())))?;
        for cert in certs {
            let cert =
                cert.map_err(|e| ClientError::Config(format!("truststore {}: {e}", trust.display())))?;
            roots
                .add(cert)
                .map_err(|e| ClientError::Config(format!("truststore {}: {e}", trust.display())))?;
        }
        if roots.is_empty() {
            return Err(ClientError::Config(format!(
                "truststore {} holds no PEM certificate",
                trust.display()
            )));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Config(format!("TLS: {e}")))?
            .with_root_certificates(roots);
        let config = match &self.identity_pem {
            None => builder.with_no_client_auth(),
            Some(path) => {
                let bad = |e: String| ClientError::Config(format!("keystore {}: {e}", path.display()));
                let chain = CertificateDer::pem_file_iter(path)
                    .map_err(|e| bad(e.to_string()))?
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| bad(e.to_string()))?;
                if chain.is_empty() {
                    return Err(bad("holds no PEM certificate".into()));
                }
                let key = PrivateKeyDer::from_pem_file(path).map_err(|e| bad(format!("private key: {e}")))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| bad(e.to_string()))?
            }
        };
        Ok(Arc::new(config))
    }
}
