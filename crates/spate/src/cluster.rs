//! The cluster plumbing that subcommands and example jobs share: where the Kafka cluster is
//! (given, or Spate's broker embedded in this process), creating topics, reading a topic back
//! as a read_committed consumer, and waiting for SIGINT/SIGTERM.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use rdkafka::consumer::BaseConsumer;
use rdkafka::message::Message;
use spate_broker::{Broker, BrokerConfig, BrokerHandle};

use crate::cli::ExampleArgs;

/// The Kafka cluster a job talks to: given with `--bootstrap`, or Spate's broker started in
/// this process (its data in `--data-dir`).
pub struct Cluster {
    pub bootstrap: String,
    /// The URL of the schema registry served beside the embedded broker.
    pub schema_registry: Option<String>,
    // Dropped first: the registry reads and writes the broker's `_schemas` topic.
    _registry: Option<crate::schema_registry::RegistryServer>,
    _broker: Option<BrokerHandle>,
}

impl Cluster {
    pub fn connect(runtime: &tokio::runtime::Runtime, args: &ExampleArgs) -> Result<Self> {
        Self::given_or_embedded(runtime, args.bootstrap.as_deref(), &args.data_dir)
    }

    /// The cluster at `bootstrap`, or Spate's broker started here with its data in `data_dir`.
    pub fn given_or_embedded(
        runtime: &tokio::runtime::Runtime,
        bootstrap: Option<&str>,
        data_dir: &std::path::Path,
    ) -> Result<Self> {
        if let Some(b) = bootstrap {
            return Ok(Self {
                bootstrap: b.to_string(),
                schema_registry: None,
                _registry: None,
                _broker: None,
            });
        }
        let mut config = BrokerConfig::new(data_dir);
        config.listeners = vec![spate_broker::ListenerConfig::plaintext(
            ([127, 0, 0, 1], 0).into(),
        )];
        let broker = runtime
            .block_on(Broker::start(config))
            .with_context(|| format!("starting the embedded broker in {}", data_dir.display()))?;
        let bootstrap = broker.bootstrap_servers();
        eprintln!("embedded broker on {bootstrap} (data in {})", data_dir.display());
        Ok(Self {
            bootstrap,
            schema_registry: None,
            _registry: None,
            _broker: Some(broker),
        })
    }

    /// This cluster with a schema registry served beside its embedded broker, so the embedded
    /// default needs no third service for Avro topics (`spate sql`, `spate demo`); a given
    /// cluster is left as it is (it has its own registry, if any). Opening the registry's
    /// `_schemas` topic takes about 0.1 s, which jobs that never use one do not pay.
    pub fn with_schema_registry(mut self, runtime: &tokio::runtime::Runtime) -> Result<Self> {
        if self._broker.is_none() || self._registry.is_some() {
            return Ok(self);
        }
        let registry = runtime
            .block_on(crate::schema_registry::start(
                &self.bootstrap,
                &[],
                ([127, 0, 0, 1], 0).into(),
                crate::schema_registry::Exposure::default(),
            ))
            .context("starting the embedded schema registry")?;
        eprintln!("embedded schema registry {}", registry.url);
        self.schema_registry = Some(registry.url.clone());
        self._registry = Some(registry);
        Ok(self)
    }
}

/// Creates a topic with `partitions` partitions unless it exists.
pub fn ensure_topic(
    runtime: &tokio::runtime::Runtime,
    bootstrap: &str,
    topic: &str,
    partitions: i32,
) -> Result<()> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::config::FromClientConfig;
    use rdkafka::types::RDKafkaErrorCode;
    let admin: AdminClient<DefaultClientContext> =
        AdminClient::from_config(&crate::kafka_client::base_config(bootstrap))
            .context("creating admin client")?;
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let results = runtime.block_on(admin.create_topics([&new], &AdminOptions::new()))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => return Err(anyhow!("creating topic {t}: {code}")),
        }
    }
    Ok(())
}

/// Up to `limit` records of `topic` from the beginning as (timestamp, value), read_committed,
/// until caught up with every partition.
pub fn read_committed(bootstrap: &str, topic: &str, limit: usize) -> Result<Vec<(i64, String)>> {
    let consumer: BaseConsumer = crate::kafka_client::consumer_config(bootstrap, "spate-example-show")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .context("creating consumer")?;
    let partitions = crate::kafka_client::assign_from_beginning(&consumer, bootstrap, topic)?;
    let mut out = Vec::new();
    let mut eof = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while out.len() < limit && eof < partitions.len() {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "reading {topic} took more than 120 s"
        );
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => out.push((
                m.timestamp().to_millis().unwrap_or(0),
                String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
            )),
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => eof += 1,
            Some(Err(e)) => return Err(e.into()),
            None => {}
        }
    }
    Ok(out)
}

/// Resolves when the process gets SIGINT or SIGTERM.
pub async fn shutdown_signal() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for SIGINT")?,
        _ = term.recv() => {}
    }
    Ok(())
}
