//! Starting the embedded broker, and how the server's own clients (jobs, SQL previews, the
//! topic and group views) reach it.
//!
//! With only PLAINTEXT listeners (the default) they connect as anyone does. When the broker
//! authenticates its clients, they connect over a SASL_PLAINTEXT listener as the user
//! [`SERVER_USER`]: a super user whose SCRAM-SHA-512 credential gets a fresh random password at
//! every start (only its salted hash is stored, in the broker's credential store, and the
//! password lives in this process). What a job may read and write is checked against its
//! owner's rights before it runs ([`crate::rights`]), so the server's identity is only how its
//! jobs get through, never what they are allowed.

use spate_broker::credentials::CredentialStore;
use spate_broker::{Broker, BrokerConfig, BrokerHandle, SaslMechanism, SecurityProtocol};

use crate::cluster::Cluster;
use crate::error::{Result, ServerError};

/// The broker user the server's own clients authenticate as.
pub const SERVER_USER: &str = "spate-server";

/// Starts the broker of `config` and returns it with the way the server's clients reach it.
pub async fn start(mut config: BrokerConfig) -> Result<(BrokerHandle, Cluster)> {
    let dir = config.data_dir.clone();
    let (listener, properties) = internal_identity(&mut config, SERVER_USER)?;
    let broker = Broker::start(config)
        .await
        .map_err(|e| ServerError::Start(format!("starting the broker in {}: {e}", dir.display())))?;
    let bootstrap = broker
        .bootstrap_servers_of(&listener)
        .unwrap_or_else(|| broker.bootstrap_servers());
    Ok((
        broker,
        Cluster {
            bootstrap,
            properties,
        },
    ))
}

/// The listener that clients inside the broker's process (the server's, the schema
/// registry's) use, and their client properties; with a SASL listener, `user`'s credential
/// gets a fresh random password and the user is made a super user first (call this before
/// the broker starts).
pub fn internal_identity(config: &mut BrokerConfig, user: &str) -> Result<(String, Vec<(String, String)>)> {
    let sasl = config
        .listeners
        .iter()
        .find(|l| l.protocol == SecurityProtocol::SaslPlaintext)
        .map(|l| l.name.clone());
    if let Some(name) = sasl {
        if !config.sasl_mechanisms.contains(&SaslMechanism::ScramSha512) {
            return Err(ServerError::Start(
                "the server's own clients log in to the embedded broker with SCRAM-SHA-512: \
                 add it to sasl.enabled.mechanisms"
                    .into(),
            ));
        }
        let store_path = CredentialStore::path_in(&config.data_dir);
        let password = crate::token::generate(&store_path)?;
        let store = CredentialStore::open(&config.data_dir).map_err(|e| {
            ServerError::Start(format!(
                "the broker's credentials ({}): {e}",
                store_path.display()
            ))
        })?;
        store
            .set_password(user, SaslMechanism::ScramSha512, &password, 4096)
            .map_err(|e| ServerError::Start(format!("the internal broker user {user}: {e}")))?;
        let principal = format!("User:{user}");
        if !config.super_users.contains(&principal) {
            config.super_users.push(principal);
        }
        let properties = [
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", user),
            ("sasl.password", password.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        return Ok((name, properties));
    }
    match config
        .listeners
        .iter()
        .find(|l| l.protocol == SecurityProtocol::Plaintext)
    {
        Some(l) => Ok((l.name.clone(), Vec::new())),
        None => Err(ServerError::Start(
            "the server's own clients reach the embedded broker over a PLAINTEXT or SASL_PLAINTEXT \
             listener, and it has neither: add one, e.g. listeners=...,INTERNAL=SASL_PLAINTEXT://127.0.0.1:0 \
             (with listener.security.protocol.map naming INTERNAL)"
                .into(),
        )),
    }
}
