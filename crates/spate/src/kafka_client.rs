//! rdkafka client settings shared by the client commands, and readable errors from them.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::metadata::Metadata;
use spate_kafka_client::BrokerConnection;
use spate_kafka_client::ClientError;
use spate_kafka_client::client_security::ClientSecurity;

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

/// Metadata of one topic (or all), with an error that names the bootstrap address.
pub fn fetch_metadata(consumer: &BaseConsumer, bootstrap: &str, topic: Option<&str>) -> Result<Metadata> {
    consumer
        .fetch_metadata(topic, CLUSTER_TIMEOUT)
        .map_err(|e| client_error(&e, bootstrap, "getting metadata"))
}

/// Whether librdkafka's error code means the cluster could not be reached or did not answer in
/// time (as opposed to an answer with an error, or a request refused before it was sent).
pub fn is_unreachable(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::Resolve
            | RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::RequestTimedOut
            | RDKafkaErrorCode::NetworkException
            | RDKafkaErrorCode::BrokerNotAvailable
            | RDKafkaErrorCode::SSL
    )
}

/// `InvalidTopic (Broker: Invalid topic)`: the code's name and librdkafka's description (its
/// `Display`; kept as one function so every command words codes alike).
pub fn code_text(code: RDKafkaErrorCode) -> String {
    code.to_string()
}

/// An rdkafka error while `doing` something: "cannot reach" only for transport failures and
/// timeouts, otherwise the error code's name and description (or librdkafka's own message for
/// a request it refused to send).
pub fn client_error(e: &KafkaError, bootstrap: &str, doing: &str) -> anyhow::Error {
    match e.rdkafka_error_code() {
        Some(code) if is_unreachable(code) => anyhow!(
            "cannot reach {bootstrap} while {doing}: {} (is a broker running there?)",
            code_text(code)
        ),
        Some(code) => anyhow!("{doing}: {}", code_text(code)),
        None => anyhow!("{doing}: {e}"),
    }
}

/// A raw-protocol admin connection to the first bootstrap server that answers, logged in as
/// `security` says; unlike rdkafka's admin client it reports the broker's error messages.
pub fn raw_admin_as(bootstrap: &str, security: &ClientSecurity) -> Result<BrokerConnection> {
    let mut last = None;
    for server in bootstrap.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match BrokerConnection::connect_secured(server, CLUSTER_TIMEOUT, security) {
            Ok(admin) => return Ok(admin),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => raw_error(e, bootstrap, "connecting"),
        None => anyhow!("no bootstrap server given"),
    })
}

/// A raw-protocol error while `doing` something: the broker's error name and message when it
/// answered one, "cannot reach" when it could not be reached.
pub fn raw_error(e: ClientError, bootstrap: &str, doing: &str) -> anyhow::Error {
    match e {
        ClientError::Code { name, message, .. } => match message {
            Some(m) => anyhow!("{doing}: the broker answered {name}: {m}"),
            None => anyhow!("{doing}: the broker answered {name}"),
        },
        ClientError::Unreachable(m) => {
            anyhow!("cannot reach {bootstrap} while {doing}: {m} (is a broker running there?)")
        }
        other => anyhow!("{doing}: {other}"),
    }
}

/// Partition ids of `topic`, failing clearly when it does not exist.
pub fn topic_partitions(consumer: &BaseConsumer, bootstrap: &str, topic: &str) -> Result<Vec<i32>> {
    let md = fetch_metadata(consumer, bootstrap, Some(topic))?;
    let Some(t) = md.topics().iter().find(|t| t.name() == topic) else {
        bail!("topic {topic} not found");
    };
    if let Some(err) = t.error() {
        bail!("topic {topic}: {}", code_text(RDKafkaErrorCode::from(err)));
    }
    let mut ids: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
    ids.sort_unstable();
    if ids.is_empty() {
        bail!("topic {topic} not found");
    }
    Ok(ids)
}

/// Assigns every partition of `topic` to `consumer` from its beginning; returns the partitions.
pub fn assign_from_beginning(consumer: &BaseConsumer, bootstrap: &str, topic: &str) -> Result<Vec<i32>> {
    let partitions = topic_partitions(consumer, bootstrap, topic)?;
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in &partitions {
        tpl.add_partition_offset(topic, *p, rdkafka::Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    Ok(partitions)
}
