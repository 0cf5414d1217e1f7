//! Kafka client properties for secured listeners, read once for both kinds of client: the
//! settings librdkafka gets (Kafka's Java-only `sasl.jaas.config` turned into librdkafka's
//! `sasl.username`/`sasl.password`), and the login of the raw admin client
//! ([`crate::broker_connection::BrokerConnection::connect_secured`]).
//!
//! Accepted: `security.protocol` PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; `sasl.mechanism`
//! PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, and the user and password either as
//! `sasl.username` / `sasl.password` or in `sasl.jaas.config`
//! (`org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`);
//! for TLS librdkafka's `ssl.ca.location`, `ssl.certificate.location`, `ssl.key.location` and
//! `ssl.endpoint.identification.algorithm` (`https` or `none`). Both clients read the same
//! PEM files, so a command reaches a listener the same way whichever client it uses.

use std::collections::BTreeMap;
use std::path::PathBuf;

use spate_kafka_security::ClientTlsSettings;
use spate_kafka_security::SaslMechanism;

use crate::ClientError;

/// How the raw admin client connects and logs in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSecurity {
    /// TLS settings (SSL, SASL_SSL); `None` for a plaintext connection.
    pub tls: Option<ClientTlsSettings>,
    /// The SASL login (SASL_PLAINTEXT, SASL_SSL); `None` for none.
    pub sasl: Option<SaslLogin>,
}

/// A SASL user and password.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslLogin {
    /// PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
    pub mechanism: SaslMechanism,
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for SaslLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No password in logs.
        write!(f, "Sasl({}, {})", self.mechanism, self.username)
    }
}

/// The value of `key` among client properties given as a list: the last setting wins, as in a
/// Kafka client's configuration.
pub fn property<'a>(properties: &'a [(String, String)], key: &str) -> Option<&'a str> {
    properties
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn bad(key: &str, reason: impl std::fmt::Display) -> ClientError {
    ClientError::Config(format!("{key}: {reason}"))
}

impl ClientSecurity {
    /// No TLS, no login (PLAINTEXT).
    pub fn plaintext() -> ClientSecurity {
        ClientSecurity::default()
    }

    /// The connection and login that Kafka client `properties` describe.
    pub fn from_properties(properties: &BTreeMap<String, String>) -> Result<ClientSecurity, ClientError> {
        let protocol = properties
            .get("security.protocol")
            .map_or("PLAINTEXT".to_string(), |p| p.trim().to_ascii_uppercase());
        let (tls, sasl) = match protocol.as_str() {
            "PLAINTEXT" => (false, false),
            "SSL" => (true, false),
            "SASL_PLAINTEXT" => (false, true),
            "SASL_SSL" => (true, true),
            other => return Err(bad("security.protocol", format!("unknown protocol {other:?}"))),
        };
        let tls = tls.then(|| tls_settings(properties)).transpose()?;
        let sasl = if sasl {
            let mechanism: SaslMechanism = properties
                .get("sasl.mechanism")
                .map_or("GSSAPI", |m| m.trim())
                .parse()
                .map_err(|e| bad("sasl.mechanism", e))?;
            let (username, password) = user_and_password(properties)?;
            Some(SaslLogin {
                mechanism,
                username,
                password,
            })
        } else {
            None
        };
        Ok(ClientSecurity { tls, sasl })
    }
}

/// librdkafka's `ssl.*` client properties as the raw client's TLS settings.
fn tls_settings(properties: &BTreeMap<String, String>) -> Result<ClientTlsSettings, ClientError> {
    let path = |key: &str| {
        properties
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let verify_hostname = match properties
        .get("ssl.endpoint.identification.algorithm")
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("https") => true,
        Some("none") | Some("") => false,
        Some(other) => {
            return Err(bad(
                "ssl.endpoint.identification.algorithm",
                format!("expected https or none, got {other:?}"),
            ));
        }
    };
    for key in [
        "ssl.certificate.pem",
        "ssl.key.pem",
        "ssl.ca.pem",
        "ssl.keystore.location",
    ] {
        if properties.contains_key(key) {
            return Err(bad(
                key,
                "not read by Spate's own client; give PEM files with ssl.ca.location, ssl.certificate.location and ssl.key.location",
            ));
        }
    }
    Ok(ClientTlsSettings {
        ca_location: path("ssl.ca.location"),
        certificate_location: path("ssl.certificate.location"),
        key_location: path("ssl.key.location"),
        verify_hostname,
    })
}

/// `sasl.username`/`sasl.password`, else the ones in `sasl.jaas.config`.
fn user_and_password(properties: &BTreeMap<String, String>) -> Result<(String, String), ClientError> {
    if let (Some(u), Some(p)) = (properties.get("sasl.username"), properties.get("sasl.password")) {
        return Ok((u.clone(), p.clone()));
    }
    let jaas = properties.get("sasl.jaas.config").ok_or_else(|| {
        bad(
            "sasl.username",
            "SASL needs sasl.username and sasl.password (or sasl.jaas.config)",
        )
    })?;
    let options = jaas_options(jaas).map_err(|e| bad("sasl.jaas.config", e))?;
    match (options.get("username"), options.get("password")) {
        (Some(u), Some(p)) => Ok((u.clone(), p.clone())),
        _ => Err(bad(
            "sasl.jaas.config",
            "needs username=\"...\" and password=\"...\"",
        )),
    }
}

/// The `key="value"` options of a JAAS login module line (`Module required k="v" k2="v2";`).
pub fn jaas_options(jaas: &str) -> Result<BTreeMap<String, String>, String> {
    let text = jaas.trim().trim_end_matches(';');
    let (_module, after_module) = text
        .split_once(char::is_whitespace)
        .ok_or("expected `LoginModule required key=\"value\" ...;`")?;
    let after_module = after_module.trim_start();
    let (flag, options) = after_module
        .split_once(char::is_whitespace)
        .unwrap_or((after_module, ""));
    if !matches!(flag, "required" | "requisite" | "sufficient" | "optional") {
        return Err(format!("{flag:?} is not a JAAS control flag (required)"));
    }
    let mut rest = options.trim_start();
    let mut options = BTreeMap::new();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once('=')
            .ok_or_else(|| format!("no '=' in {rest:?}"))?;
        let after = after.trim_start();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| format!("unterminated quote after {key}="))?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            after.split_once(char::is_whitespace).unwrap_or((after, ""))
        };
        options.insert(key.trim().to_string(), value.to_string());
        rest = tail.trim_start();
    }
    Ok(options)
}

/// The settings to give librdkafka for Kafka client `properties`: everything as is, except
/// `sasl.jaas.config` (Java only), whose user and password become `sasl.username` and
/// `sasl.password`.
pub fn librdkafka_settings(
    properties: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, ClientError> {
    let mut out: Vec<(String, String)> = properties
        .iter()
        .filter(|(k, _)| k.as_str() != "sasl.jaas.config")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if properties.contains_key("sasl.jaas.config") && !properties.contains_key("sasl.username") {
        let (u, p) = user_and_password(properties)?;
        out.push(("sasl.username".into(), u));
        out.push(("sasl.password".into(), p));
    }
    Ok(out)
}

/// Client `properties` (a later one wins) as librdkafka settings: [`librdkafka_settings`]
/// (a Java `sasl.jaas.config` becomes `sasl.username`/`sasl.password`, as a Flink job's
/// `properties.sasl.jaas.config` must work unchanged); as they are when the JAAS line cannot
/// be read, so librdkafka names the property it refuses.
pub fn librdkafka_pairs(properties: &[(String, String)]) -> Vec<(String, String)> {
    let map: BTreeMap<String, String> = properties.iter().cloned().collect();
    librdkafka_settings(&map).unwrap_or_else(|_| map.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaas_config_is_translated_in_pairs() {
        let pairs = vec![
            ("security.protocol".to_string(), "SASL_PLAINTEXT".to_string()),
            (
                "sasl.jaas.config".to_string(),
                r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";"#
                    .to_string(),
            ),
        ];
        let out = librdkafka_pairs(&pairs);
        assert!(
            out.contains(&("sasl.username".to_string(), "u".to_string())),
            "{out:?}"
        );
        assert!(
            out.contains(&("sasl.password".to_string(), "p".to_string())),
            "{out:?}"
        );
        assert!(out.iter().all(|(k, _)| k != "sasl.jaas.config"), "{out:?}");
    }

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn jaas_config_gives_user_and_password() {
        let p = props(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="s3 cr=t";"#,
            ),
        ]);
        assert_eq!(
            ClientSecurity::from_properties(&p).unwrap(),
            ClientSecurity {
                tls: None,
                sasl: Some(SaslLogin {
                    mechanism: SaslMechanism::ScramSha512,
                    username: "admin".into(),
                    password: "s3 cr=t".into(),
                }),
            }
        );
        let settings = librdkafka_settings(&p).unwrap();
        assert!(settings.contains(&("sasl.password".into(), "s3 cr=t".into())));
        assert!(!settings.iter().any(|(k, _)| k == "sasl.jaas.config"));
    }

    #[test]
    fn ssl_properties_give_tls_settings() {
        let s = ClientSecurity::from_properties(&props(&[
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", "u"),
            ("sasl.password", "p"),
            ("ssl.ca.location", "/ca.pem"),
            ("ssl.certificate.location", "/c.pem"),
            ("ssl.key.location", "/k.pem"),
            ("ssl.endpoint.identification.algorithm", "none"),
        ]))
        .unwrap();
        assert_eq!(
            s.tls,
            Some(ClientTlsSettings {
                ca_location: Some("/ca.pem".into()),
                certificate_location: Some("/c.pem".into()),
                key_location: Some("/k.pem".into()),
                verify_hostname: false,
            })
        );
        assert_eq!(s.sasl.unwrap().username, "u");
        let s = ClientSecurity::from_properties(&props(&[("security.protocol", "SSL")])).unwrap();
        assert!(s.tls.unwrap().verify_hostname, "librdkafka's default is https");
        let e = ClientSecurity::from_properties(&props(&[
            ("security.protocol", "SSL"),
            ("ssl.endpoint.identification.algorithm", "dns"),
        ]))
        .unwrap_err();
        assert!(
            e.to_string().contains("ssl.endpoint.identification.algorithm"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_key() {
        let e = ClientSecurity::from_properties(&props(&[("security.protocol", "TLS")])).unwrap_err();
        assert!(e.to_string().contains("security.protocol"), "{e}");
        let e =
            ClientSecurity::from_properties(&props(&[("security.protocol", "SASL_PLAINTEXT")])).unwrap_err();
        assert!(e.to_string().contains("sasl.mechanism"), "{e}");
        let e = ClientSecurity::from_properties(&props(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("sasl.username"), "{e}");
        assert_eq!(
            ClientSecurity::from_properties(&props(&[])).unwrap(),
            ClientSecurity::plaintext()
        );
    }
}
