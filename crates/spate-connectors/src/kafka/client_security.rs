//! Kafka client properties for secured listeners, read once for both kinds of client: the
//! settings librdkafka gets (Kafka's Java-only `sasl.jaas.config` turned into librdkafka's
//! `sasl.username`/`sasl.password`), and the login of the raw admin client
//! ([`super::txn_admin::TxnAdmin::connect_secured`]).
//!
//! Accepted: `security.protocol` PLAINTEXT or SASL_PLAINTEXT (TLS is not spoken by the raw
//! client yet: SSL and SASL_SSL are an error naming the key), `sasl.mechanism` PLAIN,
//! SCRAM-SHA-256 or SCRAM-SHA-512, and the user and password either as `sasl.username` /
//! `sasl.password` or in `sasl.jaas.config`
//! (`org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`).

use std::collections::BTreeMap;

use spate_broker::SaslMechanism;

use crate::ConnectorError;

/// How the raw admin client logs in.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientSecurity {
    /// No authentication (PLAINTEXT).
    Plaintext,
    /// SASL over plaintext with a user and password.
    Sasl {
        /// PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
        mechanism: SaslMechanism,
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
}

impl std::fmt::Debug for ClientSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientSecurity::Plaintext => f.write_str("Plaintext"),
            // No password in logs.
            ClientSecurity::Sasl {
                mechanism, username, ..
            } => write!(f, "Sasl({mechanism}, {username})"),
        }
    }
}

fn bad(key: &str, reason: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Config(format!("{key}: {reason}"))
}

impl ClientSecurity {
    /// The login that Kafka client `properties` describe.
    pub fn from_properties(properties: &BTreeMap<String, String>) -> Result<ClientSecurity, ConnectorError> {
        let protocol = properties
            .get("security.protocol")
            .map_or("PLAINTEXT".to_string(), |p| p.trim().to_ascii_uppercase());
        match protocol.as_str() {
            "PLAINTEXT" => return Ok(ClientSecurity::Plaintext),
            "SASL_PLAINTEXT" => {}
            "SSL" | "SASL_SSL" => {
                return Err(bad(
                    "security.protocol",
                    format!("{protocol} is not supported by this command yet (TLS)"),
                ));
            }
            other => return Err(bad("security.protocol", format!("unknown protocol {other:?}"))),
        }
        let mechanism: SaslMechanism = properties
            .get("sasl.mechanism")
            .map_or("GSSAPI", |m| m.trim())
            .parse()
            .map_err(|e| bad("sasl.mechanism", e))?;
        let (username, password) = user_and_password(properties)?;
        Ok(ClientSecurity::Sasl {
            mechanism,
            username,
            password,
        })
    }
}

/// `sasl.username`/`sasl.password`, else the ones in `sasl.jaas.config`.
fn user_and_password(properties: &BTreeMap<String, String>) -> Result<(String, String), ConnectorError> {
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
) -> Result<Vec<(String, String)>, ConnectorError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
            ClientSecurity::Sasl {
                mechanism: SaslMechanism::ScramSha512,
                username: "admin".into(),
                password: "s3 cr=t".into(),
            }
        );
        let settings = librdkafka_settings(&p).unwrap();
        assert!(settings.contains(&("sasl.password".into(), "s3 cr=t".into())));
        assert!(!settings.iter().any(|(k, _)| k == "sasl.jaas.config"));
    }

    #[test]
    fn errors_name_the_key() {
        let e = ClientSecurity::from_properties(&props(&[("security.protocol", "SASL_SSL")])).unwrap_err();
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
            ClientSecurity::Plaintext
        );
    }
}
