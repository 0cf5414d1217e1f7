//! Certificates made for one test run (never checked in): a CA, a broker certificate for
//! `localhost` and 127.0.0.1, and client certificates, as PEM files in a temporary directory.

use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    IsCa, KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;

/// A certificate authority and the files it signed.
pub struct Pki {
    pub dir: TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
    /// The CA certificate (a client's `ssl.ca.location`, the broker's truststore).
    pub ca_pem: PathBuf,
}

/// A signed certificate and its key as PEM files, and the same PEM text.
pub struct Identity {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Chain and key in one file (a broker's `ssl.keystore.location`).
    pub combined: PathBuf,
    pub cert_pem: String,
    pub key_pem: String,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn(&[(DnType::CommonName, name)]);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let ca_pem = dir.path().join(format!("{name}.pem"));
        std::fs::write(&ca_pem, ca.pem()).unwrap();
        Pki { dir, ca, ca_pem }
    }

    /// The broker's certificate: valid for `localhost` and 127.0.0.1.
    pub fn broker(&self) -> Identity {
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params.distinguished_name = dn(&[(DnType::CommonName, "broker")]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign("broker", params)
    }

    /// A client certificate with the subject `entries` (in DER order: the principal name lists
    /// them last to first).
    pub fn client(&self, file: &str, entries: &[(DnType, &str)]) -> Identity {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn(entries);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(file, params)
    }

    /// [`Pki::client`] whose validity ended yesterday.
    pub fn expired_client(&self, file: &str, entries: &[(DnType, &str)]) -> Identity {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn(entries);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        self.sign(file, params)
    }

    fn sign(&self, file: &str, params: CertificateParams) -> Identity {
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &*self.ca).unwrap();
        let cert_pem = cert.pem();
        let key_pem = key.serialize_pem();
        let path = |ext: &str| self.dir.path().join(format!("{file}.{ext}"));
        std::fs::write(path("crt"), &cert_pem).unwrap();
        std::fs::write(path("key"), &key_pem).unwrap();
        std::fs::write(path("pem"), format!("{cert_pem}{key_pem}")).unwrap();
        Identity {
            cert: path("crt"),
            key: path("key"),
            combined: path("pem"),
            cert_pem,
            key_pem,
        }
    }
}

fn dn(entries: &[(DnType, &str)]) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    for (t, v) in entries {
        dn.push(t.clone(), *v);
    }
    dn
}
