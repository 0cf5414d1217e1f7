//! TLS for `https://` catalogs and token endpoints: rustls on the `ring` provider already in
//! the build for the broker's listeners. Trust comes from `ssl.cabundle` (a PEM file of CA
//! certificates; pyiceberg's `ssl: {cabundle: ...}` flattened) or else the system bundle.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::config::CA_BUNDLE;

/// Debian's (and most distributions') system CA bundle.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A client configuration trusting `ssl.cabundle` or the system's CAs.
pub(crate) fn client_config(props: &BTreeMap<String, String>) -> Result<Arc<rustls::ClientConfig>, String> {
    let path = PathBuf::from(props.get(CA_BUNDLE).map_or(SYSTEM_BUNDLE, String::as_str));
    let bad = |e: String| format!("CA bundle {}: {e}", path.display());
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&path).map_err(|e| bad(e.to_string()))? {
        roots
            .add(cert.map_err(|e| bad(e.to_string()))?)
            .map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad("holds no PEM certificate".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_bundle_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").expect("writes");
        for path in [empty, dir.path().join("missing.pem")] {
            let props = BTreeMap::from([(CA_BUNDLE.to_owned(), path.display().to_string())]);
            let err = client_config(&props).expect_err("refused");
            assert!(err.starts_with(&format!("CA bundle {}", path.display())), "{err}");
        }
    }
}
