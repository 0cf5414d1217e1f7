//! rdkafka client settings shared by the client commands, and readable errors from them.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::metadata::Metadata;

/// How long a command waits for the cluster before saying it cannot reach it.
pub const CLUSTER_TIMEOUT: Duration = Duration::from_secs(10);

pub fn base_config(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("client.id", "spate-cli")
        // Fail fast with a clear message instead of retrying forever on a wrong address.
        .set("socket.connection.setup.timeout.ms", "5000")
        .set("log_level", "3");
    c
}

/// Consumer settings speaking for `group` that commit nothing on their own (librdkafka wants a
/// group id even for consumers that only assign partitions).
pub fn consumer_config(bootstrap: &str, group: &str) -> ClientConfig {
    let mut c = base_config(bootstrap);
    c.set("group.id", group).set("enable.auto.commit", "false");
    c
}

/// A consumer for assigned partitions (no group membership), used for metadata too.
pub fn assign_consumer(bootstrap: &str) -> Result<BaseConsumer> {
    consumer_config(bootstrap, "spate-cli")
        .set("enable.auto.offset.store", "false")
        .create()
        .context("creating Kafka consumer")
}

/// Metadata of one topic (or all), with an error that names the bootstrap address.
pub fn fetch_metadata(consumer: &BaseConsumer, bootstrap: &str, topic: Option<&str>) -> Result<Metadata> {
    consumer
        .fetch_metadata(topic, CLUSTER_TIMEOUT)
        .with_context(|| format!("cannot get metadata from {bootstrap} (is a broker running there?)"))
}

/// Partition ids of `topic`, failing clearly when it does not exist.
pub fn topic_partitions(consumer: &BaseConsumer, bootstrap: &str, topic: &str) -> Result<Vec<i32>> {
    let md = fetch_metadata(consumer, bootstrap, Some(topic))?;
    let Some(t) = md.topics().iter().find(|t| t.name() == topic) else {
        bail!("topic {topic} not found");
    };
    if let Some(err) = t.error() {
        bail!("topic {topic}: {}", rdkafka::error::RDKafkaErrorCode::from(err));
    }
    let mut ids: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
    ids.sort_unstable();
    if ids.is_empty() {
        bail!("topic {topic} not found");
    }
    Ok(ids)
}
