//! Kafka's `ssl.*` broker properties: which keys apply, the check of each value when it is set,
//! and the settings of one listener, where `listener.name.<name>.ssl.X` wins over `ssl.X` key
//! by key, as in Kafka.
//!
//! Contracts: an invalid value (also a rule of `ssl.principal.mapping.rules` that does not
//! parse or compile), or a keystore type other than PEM (JKS, PKCS12), is an
//! [`Error::Property`] naming the key; so is a file that cannot be read or holds no usable
//! certificate or key (checked when the listener starts, in `tls::acceptor`).

use std::collections::BTreeMap;

use super::principal_mapping::PrincipalMapper;
use crate::setting::Setting;
use crate::{Error, Result};

/// Keys that configure a TLS listener.
const APPLIED: &[&str] = &[
    "ssl.keystore.type",
    "ssl.keystore.location",
    "ssl.keystore.certificate.chain",
    "ssl.keystore.key",
    "ssl.key.password",
    "ssl.truststore.type",
    "ssl.truststore.location",
    "ssl.truststore.certificates",
    "ssl.client.auth",
    "ssl.enabled.protocols",
    "ssl.principal.mapping.rules",
];

/// Known keys without effect here: passwords of keystore formats Spate does not read, the
/// JSSE protocol and cipher names (rustls offers only its safe suites), and the hostname check
/// that only a broker's own outgoing connections would use.
const NO_EFFECT: &[&str] = &[
    "ssl.keystore.password",
    "ssl.truststore.password",
    "ssl.protocol",
    "ssl.cipher.suites",
    "ssl.endpoint.identification.algorithm",
    "ssl.secure.random.implementation",
    "ssl.keymanager.algorithm",
    "ssl.trustmanager.algorithm",
];

/// What a key of the `ssl.*` family means to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Applied,
    NoEffect,
    Unknown,
}

/// Splits `listener.name.<name>.ssl.X` into `(Some(name), "ssl.X")` and `ssl.X` into
/// `(None, "ssl.X")`; `None` for keys of neither form. Names are lower case, as Kafka writes
/// them in the prefix.
pub(crate) fn split_key(key: &str) -> Option<(Option<String>, &str)> {
    if key.starts_with("ssl.") {
        return Some((None, key));
    }
    let rest = key.strip_prefix("listener.name.")?;
    let dot = rest.find(".ssl.")?;
    Some((Some(rest[..dot].to_ascii_lowercase()), &rest[dot + 1..]))
}

/// Whether the broker applies `ssl_key` (without any listener prefix).
pub(crate) fn kind(ssl_key: &str) -> KeyKind {
    if APPLIED.contains(&ssl_key) {
        KeyKind::Applied
    } else if NO_EFFECT.contains(&ssl_key) {
        KeyKind::NoEffect
    } else {
        KeyKind::Unknown
    }
}

/// Checks the value of an applied key on its own (files are read at start).
pub(crate) fn check(ssl_key: &str, setting: &Setting) -> Result<()> {
    let value = setting.value.trim();
    let bad = |reason: String| Err(property_error(setting, reason));
    match ssl_key {
        "ssl.keystore.type" | "ssl.truststore.type" if !value.eq_ignore_ascii_case("PEM") => {
            return bad(format!(
                "only PEM is supported, not {value}; convert the store to PEM (e.g. `openssl pkcs12 -in store.p12 -nodes`)"
            ));
        }
        "ssl.key.password" if !value.is_empty() => {
            return bad(
                "encrypted private keys are not supported; give an unencrypted PEM key (PKCS#8, RSA or EC)"
                    .into(),
            );
        }
        "ssl.client.auth" => {
            ClientAuth::parse(value).map_err(|r| property_error(setting, r))?;
        }
        "ssl.enabled.protocols" => {
            protocols(value).map_err(|r| property_error(setting, r))?;
        }
        "ssl.principal.mapping.rules" => {
            PrincipalMapper::parse(value).map_err(|r| property_error(setting, r))?;
        }
        _ => {}
    }
    Ok(())
}

/// Whether a TLS listener asks clients for a certificate (`ssl.client.auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ClientAuth {
    /// Clients are not asked; every TLS client is `User:ANONYMOUS` (unless SASL says who).
    #[default]
    None,
    /// Asked for; a client without one connects as `User:ANONYMOUS`, one with a certificate the
    /// truststore does not accept is refused.
    Requested,
    /// A certificate the truststore accepts is needed to connect.
    Required,
}

impl ClientAuth {
    fn parse(value: &str) -> std::result::Result<ClientAuth, String> {
        match value.to_ascii_lowercase().as_str() {
            "none" | "" => Ok(ClientAuth::None),
            "requested" => Ok(ClientAuth::Requested),
            "required" => Ok(ClientAuth::Required),
            other => Err(format!("expected none, requested or required, got {other:?}")),
        }
    }
}

/// A TLS protocol version a listener offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TlsVersion {
    V1_2,
    V1_3,
}

fn protocols(value: &str) -> std::result::Result<Vec<TlsVersion>, String> {
    let mut out = Vec::new();
    for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let v = match name {
            "TLSv1.2" => TlsVersion::V1_2,
            "TLSv1.3" => TlsVersion::V1_3,
            other => {
                return Err(format!("{other} is not offered; only TLSv1.2 and TLSv1.3 are"));
            }
        };
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if out.is_empty() {
        return Err("no protocol given".into());
    }
    Ok(out)
}

/// PEM text from a file or given inline, and the setting that named it (for errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PemSource {
    File(Setting),
    Inline(Setting),
}

impl PemSource {
    pub(crate) fn setting(&self) -> &Setting {
        match self {
            PemSource::File(s) | PemSource::Inline(s) => s,
        }
    }

    /// The PEM text: the file's contents, or the value itself.
    pub(crate) fn read(&self) -> Result<Vec<u8>> {
        match self {
            PemSource::Inline(s) => Ok(s.value.trim().as_bytes().to_vec()),
            PemSource::File(s) => std::fs::read(s.value.trim())
                .map_err(|e| property_error(s, format!("cannot read the file: {e}"))),
        }
    }
}

/// Where a listener's certificate chain and private key come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Keystore {
    /// One PEM file holding the chain and the key (`ssl.keystore.location`).
    File(PemSource),
    /// Chain and key given as PEM text (`ssl.keystore.certificate.chain`, `ssl.keystore.key`).
    Inline { chain: PemSource, key: PemSource },
}

/// Everything one TLS listener needs, resolved from the `ssl.*` properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListenerTls {
    pub(crate) keystore: Keystore,
    /// CA certificates that client certificates must chain to.
    pub(crate) truststore: Option<PemSource>,
    pub(crate) client_auth: ClientAuth,
    pub(crate) versions: Vec<TlsVersion>,
    /// `ssl.principal.mapping.rules`: a client certificate's subject to its principal name.
    pub(crate) principal_mapper: PrincipalMapper,
}

/// The TLS settings of listener `listener` (as named in `listeners`) from the raw properties,
/// keyed as written (`ssl.X` or `listener.name.<lower-case name>.ssl.X`).
pub(crate) fn for_listener(ssl: &BTreeMap<String, Setting>, listener: &str) -> Result<ListenerTls> {
    let prefixed = format!("listener.name.{}.", listener.to_ascii_lowercase());
    let get = |key: &str| {
        ssl.get(&format!("{prefixed}{key}"))
            .or_else(|| ssl.get(key))
            .filter(|s| !s.value.trim().is_empty())
    };
    for key in APPLIED {
        if let Some(s) = get(key) {
            check(key, s)?;
        }
    }
    let keystore = match (
        get("ssl.keystore.location"),
        get("ssl.keystore.certificate.chain"),
        get("ssl.keystore.key"),
    ) {
        (Some(file), None, None) => Keystore::File(PemSource::File(file.clone())),
        (None, Some(chain), Some(key)) => Keystore::Inline {
            chain: PemSource::Inline(chain.clone()),
            key: PemSource::Inline(key.clone()),
        },
        (Some(file), Some(_), _) | (Some(file), _, Some(_)) => {
            return Err(property_error(
                file,
                "give either ssl.keystore.location or ssl.keystore.certificate.chain with ssl.keystore.key, not both".into(),
            ));
        }
        (None, Some(s), None) | (None, None, Some(s)) => {
            return Err(property_error(
                s,
                "ssl.keystore.certificate.chain and ssl.keystore.key go together".into(),
            ));
        }
        (None, None, None) => {
            return Err(Error::Config(format!(
                "listener {listener} uses TLS but has no certificate: set ssl.keystore.location (a PEM file with the \
                 certificate chain and private key) or ssl.keystore.certificate.chain and ssl.keystore.key"
            )));
        }
    };
    let truststore = match (get("ssl.truststore.location"), get("ssl.truststore.certificates")) {
        (Some(file), None) => Some(PemSource::File(file.clone())),
        (None, Some(inline)) => Some(PemSource::Inline(inline.clone())),
        (None, None) => None,
        (Some(file), Some(_)) => {
            return Err(property_error(
                file,
                "give either ssl.truststore.location or ssl.truststore.certificates, not both".into(),
            ));
        }
    };
    let client_auth = match get("ssl.client.auth") {
        Some(s) => ClientAuth::parse(s.value.trim()).map_err(|r| property_error(s, r))?,
        None => ClientAuth::None,
    };
    if client_auth != ClientAuth::None && truststore.is_none() {
        let s = get("ssl.client.auth").cloned();
        let reason =
            "client certificates need ssl.truststore.location (PEM CA certificates they must chain to)";
        return Err(match s {
            Some(s) => property_error(&s, reason.into()),
            None => Error::Config(reason.into()),
        });
    }
    let versions = match get("ssl.enabled.protocols") {
        Some(s) => protocols(s.value.trim()).map_err(|r| property_error(s, r))?,
        None => vec![TlsVersion::V1_3, TlsVersion::V1_2],
    };
    let principal_mapper = match get("ssl.principal.mapping.rules") {
        Some(s) => PrincipalMapper::parse(s.value.trim()).map_err(|r| property_error(s, r))?,
        None => PrincipalMapper::default(),
    };
    Ok(ListenerTls {
        keystore,
        truststore,
        client_auth,
        versions,
        principal_mapper,
    })
}

pub(crate) fn property_error(setting: &Setting, reason: String) -> Error {
    setting.error(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> BTreeMap<String, Setting> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Setting::new(*k, *v, "test")))
            .collect()
    }

    #[test]
    fn keys_split_into_listener_and_ssl_key() {
        assert_eq!(
            split_key("listener.name.EXTERNAL.ssl.keystore.location"),
            Some((Some("external".into()), "ssl.keystore.location"))
        );
        assert_eq!(split_key("ssl.client.auth"), Some((None, "ssl.client.auth")));
        assert_eq!(split_key("listener.name.x.sasl.enabled.mechanisms"), None);
        assert_eq!(split_key("log.dirs"), None);
    }

    #[test]
    fn listener_prefix_wins_key_by_key() {
        let ssl = settings(&[
            ("ssl.keystore.location", "/global.pem"),
            ("ssl.truststore.location", "/ca.pem"),
            ("listener.name.external.ssl.client.auth", "required"),
            ("listener.name.internal.ssl.keystore.location", "/internal.pem"),
        ]);
        let ext = for_listener(&ssl, "EXTERNAL").unwrap();
        assert_eq!(ext.client_auth, ClientAuth::Required);
        assert!(matches!(&ext.keystore, Keystore::File(PemSource::File(s)) if s.value == "/global.pem"));
        let int = for_listener(&ssl, "INTERNAL").unwrap();
        assert_eq!(int.client_auth, ClientAuth::None);
        assert!(matches!(&int.keystore, Keystore::File(PemSource::File(s)) if s.value == "/internal.pem"));
        assert_eq!(int.versions, [TlsVersion::V1_3, TlsVersion::V1_2]);
    }

    #[test]
    fn bad_settings_name_the_key() {
        let err = |pairs: &[(&str, &str)]| for_listener(&settings(pairs), "SSL").unwrap_err().to_string();
        let e = err(&[("ssl.keystore.type", "JKS"), ("ssl.keystore.location", "/k.jks")]);
        assert!(e.contains("ssl.keystore.type") && e.contains("only PEM"), "{e}");
        let e = err(&[("ssl.keystore.location", "/k"), ("ssl.client.auth", "always")]);
        assert!(e.contains("ssl.client.auth"), "{e}");
        let e = err(&[("ssl.keystore.location", "/k"), ("ssl.client.auth", "required")]);
        assert!(e.contains("ssl.truststore.location"), "{e}");
        let e = err(&[
            ("ssl.keystore.location", "/k"),
            ("ssl.enabled.protocols", "TLSv1.1"),
        ]);
        assert!(e.contains("ssl.enabled.protocols"), "{e}");
        let e = err(&[("ssl.keystore.key", "-----BEGIN")]);
        assert!(e.contains("go together"), "{e}");
        let e = err(&[]);
        assert!(e.contains("no certificate"), "{e}");
        let e = err(&[("ssl.keystore.location", "/k"), ("ssl.key.password", "secret")]);
        assert!(e.contains("ssl.key.password"), "{e}");
        let e = err(&[
            ("ssl.keystore.location", "/k"),
            (
                "listener.name.ssl.ssl.principal.mapping.rules",
                "RULE:^CN=(.*$/$1/",
            ),
        ]);
        assert!(e.contains("listener.name.ssl.ssl.principal.mapping.rules"), "{e}");
    }

    #[test]
    fn principal_mapping_rules_apply_per_listener() {
        let ssl = settings(&[
            ("ssl.keystore.location", "/k.pem"),
            ("ssl.principal.mapping.rules", "RULE:^CN=([^,]*).*$/$1/L"),
            ("listener.name.raw.ssl.principal.mapping.rules", "DEFAULT"),
        ]);
        let mapped = for_listener(&ssl, "SSL").unwrap().principal_mapper;
        assert_eq!(mapped.name("CN=Alice,O=x").unwrap(), "alice");
        let raw = for_listener(&ssl, "RAW").unwrap().principal_mapper;
        assert_eq!(raw.name("CN=Alice,O=x").unwrap(), "CN=Alice,O=x");
        let unset = for_listener(&settings(&[("ssl.keystore.location", "/k.pem")]), "SSL").unwrap();
        assert_eq!(unset.principal_mapper, PrincipalMapper::default());
    }
}
