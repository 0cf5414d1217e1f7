//! The job's topics: a repartition topic per exchange and a changelog topic per stage, named
//! after the group, created on start and checked against the job's parallelism.

use std::time::Duration;

use spate_engine::topology::JobTopology;
use spate_group::changelog::{changelog_topic, ensure_changelog_topic, ensure_topic, legal_topic_name};
use spate_kafka_client::{BrokerConnection, ClientSecurity};

use crate::error::DistributedError;

/// Where the job's topics live and how they are made.
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    /// `bootstrap.servers`.
    pub bootstrap: String,
    /// TLS/SASL for every connection.
    pub security: ClientSecurity,
    /// The job's group: it names the topics and fences the commits.
    pub group: String,
    /// Replication of the topics the job creates (`-1`: the broker's default).
    pub replication_factor: i16,
    /// Bound on one request.
    pub request_timeout: Duration,
}

/// The repartition topic of exchange `exchange`: one partition per downstream task.
pub fn exchange_topic(group: &str, exchange: usize) -> String {
    legal_topic_name(&format!("{group}-exchange-{exchange}"))
}

/// The changelog topic of stage `stage`: one partition per task.
pub fn stage_changelog(group: &str, stage: u32) -> String {
    changelog_topic(group, &format!("stage-{stage}"))
}

fn partitions(p: usize) -> i32 {
    i32::try_from(p).unwrap_or(i32::MAX)
}

/// A connection to the first of the bootstrap servers, logged in as `settings` say.
pub(crate) fn connect_first(settings: &KafkaSettings) -> Result<BrokerConnection, DistributedError> {
    let bootstrap = settings
        .bootstrap
        .split(',')
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    BrokerConnection::connect_secured(bootstrap, settings.request_timeout, &settings.security)
        .map_err(DistributedError::kafka(format!("connecting to {bootstrap}")))
}

/// Creates the job's topics, or checks the existing ones' partitions.
pub fn ensure_topics(settings: &KafkaSettings, topology: &JobTopology) -> Result<(), DistributedError> {
    let mut conn = connect_first(settings)?;
    for (e, ex) in topology.exchanges.iter().enumerate() {
        let topic = exchange_topic(&settings.group, e);
        let p = topology.stages[ex.to_stage as usize].parallelism;
        ensure_topic(&mut conn, &topic, partitions(p), settings.replication_factor, &[])
            .map_err(DistributedError::kafka(format!("repartition topic {topic}")))?;
    }
    for stage in &topology.stages {
        let topic = stage_changelog(&settings.group, stage.id);
        ensure_changelog_topic(
            &mut conn,
            &topic,
            partitions(stage.parallelism),
            settings.replication_factor,
        )
        .map_err(DistributedError::kafka(format!("changelog topic {topic}")))?;
    }
    Ok(())
}
