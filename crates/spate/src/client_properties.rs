//! The one place a client command's Kafka client properties (`--command-config FILE`, then
//! `-X KEY=VALUE`) become client settings: an rdkafka `ClientConfig` and the login of the raw
//! admin client, so every client command reaches secured listeners the same way.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use rdkafka::ClientConfig;
use rdkafka::consumer::BaseConsumer;
use spate_kafka_client::BrokerConnection;
use spate_kafka_client::client_security::{ClientSecurity, librdkafka_settings};

use crate::cli::ClientArgs;
use crate::kafka_client;

/// A client command's cluster and client properties.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub bootstrap: String,
    properties: BTreeMap<String, String>,
}

impl ClientSettings {
    /// Reads `--command-config` (Kafka's `.properties` format) and applies `-X` over it.
    pub fn from_args(args: &ClientArgs) -> Result<ClientSettings> {
        let mut properties = BTreeMap::new();
        if let Some(path) = &args.command_config {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading --command-config {}", path.display()))?;
            let parsed = spate_broker::properties::parse(&text)
                .with_context(|| format!("--command-config {}", path.display()))?;
            for p in parsed {
                properties.insert(p.key, p.value);
            }
        }
        for (key, value) in &args.property {
            properties.insert(key.clone(), value.clone());
        }
        // bootstrap.servers in a file is ignored in favour of --bootstrap, as kafka-*.sh does.
        properties.remove("bootstrap.servers");
        Ok(ClientSettings {
            bootstrap: args.bootstrap.clone(),
            properties,
        })
    }

    /// Spate's client defaults, then the properties (librdkafka names; `sasl.jaas.config`
    /// becomes `sasl.username`/`sasl.password`).
    pub fn rdkafka(&self) -> Result<ClientConfig> {
        let mut config = kafka_client::base_config(&self.bootstrap);
        for (key, value) in librdkafka_settings(&self.properties)? {
            config.set(key, value);
        }
        Ok(config)
    }

    /// Consumer settings speaking for `group` that commit nothing on their own.
    pub fn consumer_config(&self, group: &str) -> Result<ClientConfig> {
        let mut c = self.rdkafka()?;
        c.set("group.id", group).set("enable.auto.commit", "false");
        Ok(c)
    }

    /// A consumer for assigned partitions (no group membership), used for metadata too.
    pub fn assign_consumer(&self) -> Result<BaseConsumer> {
        self.consumer_config("spate-cli")?
            .set("enable.auto.offset.store", "false")
            .create()
            .context("creating Kafka consumer")
    }

    /// How the raw admin client logs in.
    pub fn security(&self) -> Result<ClientSecurity> {
        Ok(ClientSecurity::from_properties(&self.properties)?)
    }

    /// A raw-protocol admin connection to the first bootstrap server that answers, logged in
    /// as the properties say.
    pub fn raw_admin(&self) -> Result<BrokerConnection> {
        kafka_client::raw_admin_as(&self.bootstrap, &self.security()?)
    }
}

/// How a raw client logs in, as the Kafka client .properties file `path` says (`security.protocol`,
/// `sasl.*`, `ssl.*`).
pub fn security_from_file(path: &std::path::Path) -> Result<ClientSecurity> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let properties: BTreeMap<String, String> = spate_broker::properties::parse(&text)
        .with_context(|| path.display().to_string())?
        .into_iter()
        .map(|p| (p.key, p.value))
        .collect();
    ClientSecurity::from_properties(&properties).with_context(|| path.display().to_string())
}
