//! `spate transactions list|describe|describe-producers|find-hanging|abort`: Kafka's
//! `kafka-transactions.sh` for Spate and any Kafka cluster.
//!
//! A transaction is *hanging* when a partition holds its open records but no coordinator will
//! ever end it (its producer's coordinator state was lost, or it was written before the broker
//! refused transactional records without a transactional id): read_committed consumers stop at
//! its first offset for good. `find-hanging` lists such transactions from DescribeProducers on
//! every partition, checked against ListTransactions; `abort` writes the abort marker that ends
//! one (WriteTxnMarkers to the partition's leader).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result, bail};
use rdkafka::consumer::BaseConsumer;
use spate_kafka_client::{ActiveProducer, BrokerConnection};

use crate::cli::TransactionsAction;
use crate::client_properties::ClientSettings;
use crate::kafka_client::{self, CLUSTER_TIMEOUT};

/// Coordinator states in which a transaction is legitimately open or ending.
const LIVE_STATES: &[&str] = &["Ongoing", "PrepareCommit", "PrepareAbort", "PrepareEpochFence"];

pub async fn run(action: TransactionsAction) -> Result<()> {
    tokio::task::spawn_blocking(move || run_blocking(action))
        .await
        .context("transactions command task")?
}

fn first_server(bootstrap: &str) -> Result<&str> {
    bootstrap
        .split(',')
        .map(str::trim)
        .find(|s| !s.is_empty())
        .context("empty --bootstrap")
}

fn connect(settings: &ClientSettings) -> Result<BrokerConnection> {
    let server = first_server(&settings.bootstrap)?;
    connect_to(settings, server, "connecting")
}

/// A raw admin connection to `address`, logged in as the client properties say.
fn connect_to(settings: &ClientSettings, address: &str, doing: &str) -> Result<BrokerConnection> {
    BrokerConnection::connect_secured(address, CLUSTER_TIMEOUT, &settings.security()?)
        .map_err(|e| kafka_client::raw_error(e, address, doing))
}

/// A client on the leader of `topic`-`partition`.
fn leader(settings: &ClientSettings, topic: &str, partition: i32) -> Result<BrokerConnection> {
    let (host, port) = connect(settings)?
        .leader_of(topic, partition)
        .with_context(|| format!("finding the leader of {topic}-{partition}"))?;
    let address = format!("{host}:{port}");
    connect_to(
        settings,
        &address,
        &format!("connecting to the leader of {topic}-{partition}"),
    )
}

fn run_blocking(action: TransactionsAction) -> Result<()> {
    match action {
        TransactionsAction::List { client } => {
            let mut listed = connect(&ClientSettings::from_args(&client)?)?
                .list(&[])
                .context("ListTransactions")?;
            listed.sort_by(|a, b| a.transactional_id.cmp(&b.transactional_id));
            println!("transactional_id\tproducer_id\tstate");
            for t in listed {
                println!("{}\t{}\t{}", t.transactional_id, t.producer_id, t.state);
            }
        }
        TransactionsAction::Describe {
            transactional_id,
            client,
        } => {
            let settings = ClientSettings::from_args(&client)?;
            let (host, port) = connect(&settings)?
                .find_coordinator(&transactional_id)
                .with_context(|| format!("finding the coordinator of {transactional_id}"))?;
            let mut admin = connect_to(
                &settings,
                &format!("{host}:{port}"),
                &format!("connecting to the coordinator of {transactional_id}"),
            )?;
            let d = admin
                .describe(&transactional_id)
                .context("DescribeTransactions")?;
            println!("transactional_id\tproducer_id\tproducer_epoch\tstate");
            println!(
                "{}\t{}\t{}\t{}",
                d.transactional_id, d.producer_id, d.producer_epoch, d.state
            );
        }
        TransactionsAction::DescribeProducers {
            topic,
            partition,
            client,
        } => {
            let producers = leader(&ClientSettings::from_args(&client)?, &topic, partition)?
                .describe_producers(&topic, partition)
                .context("DescribeProducers")?;
            println!("producer_id\tproducer_epoch\tlast_sequence\tcurrent_txn_start_offset");
            for p in producers {
                println!(
                    "{}\t{}\t{}\t{}",
                    p.producer_id,
                    p.producer_epoch,
                    p.last_sequence,
                    p.current_txn_start_offset
                        .map_or("-".to_string(), |o| o.to_string())
                );
            }
        }
        TransactionsAction::FindHanging { topic, client } => {
            let hanging = find_hanging(&ClientSettings::from_args(&client)?, topic.as_deref())?;
            println!("topic\tpartition\tproducer_id\tproducer_epoch\tstart_offset");
            for (topic, partition, p) in hanging {
                println!(
                    "{topic}\t{partition}\t{}\t{}\t{}",
                    p.producer_id,
                    p.producer_epoch,
                    p.current_txn_start_offset.unwrap_or(-1)
                );
            }
        }
        TransactionsAction::Abort {
            topic,
            partition,
            start_offset,
            client,
        } => {
            let mut admin = leader(&ClientSettings::from_args(&client)?, &topic, partition)?;
            let producers = admin
                .describe_producers(&topic, partition)
                .context("DescribeProducers")?;
            let Some(producer) = producers
                .iter()
                .find(|p| p.current_txn_start_offset == Some(start_offset))
            else {
                let open: Vec<String> = producers
                    .iter()
                    .filter_map(|p| {
                        p.current_txn_start_offset
                            .map(|o| format!("{o} (producer {})", p.producer_id))
                    })
                    .collect();
                bail!(
                    "no open transaction starts at offset {start_offset} of {topic}-{partition}; open ones start at: {}",
                    if open.is_empty() {
                        "none".to_string()
                    } else {
                        open.join(", ")
                    }
                );
            };
            admin
                .abort_on_partition(&topic, partition, producer)
                .context("WriteTxnMarkers")?;
            println!(
                "aborted the transaction of producer {} (epoch {}) starting at offset {start_offset} of {topic}-{partition}",
                producer.producer_id, producer.producer_epoch
            );
        }
    }
    Ok(())
}

/// Open transactions whose producer id no live transaction of the coordinator has.
fn find_hanging(
    settings: &ClientSettings,
    topic: Option<&str>,
) -> Result<Vec<(String, i32, ActiveProducer)>> {
    let bootstrap = settings.bootstrap.as_str();
    let consumer: BaseConsumer = settings.assign_consumer()?;
    let metadata = kafka_client::fetch_metadata(&consumer, bootstrap, topic)?;
    let mut coordinator = connect(settings)?;
    let live: HashSet<i64> = coordinator
        .list(LIVE_STATES)
        .context("ListTransactions")?
        .into_iter()
        .map(|t| t.producer_id)
        .collect();
    // The metadata already names every partition's leader: one connection per leader broker,
    // not a Metadata round trip and a new connection per partition.
    let brokers: HashMap<i32, String> = metadata
        .brokers()
        .iter()
        .map(|b| (b.id(), format!("{}:{}", b.host(), b.port())))
        .collect();
    let mut leaders: HashMap<i32, BrokerConnection> = HashMap::new();
    let mut hanging = Vec::new();
    for t in metadata.topics() {
        if t.error().is_some() {
            bail!("topic {} is not available", t.name());
        }
        for p in t.partitions() {
            let admin = match leaders.entry(p.leader()) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    let address = brokers.get(&p.leader()).with_context(|| {
                        format!("leader {} of {}-{} is not listed", p.leader(), t.name(), p.id())
                    })?;
                    e.insert(connect_to(
                        settings,
                        address,
                        &format!("connecting to the leader of {}-{}", t.name(), p.id()),
                    )?)
                }
            };
            let producers = admin
                .describe_producers(t.name(), p.id())
                .with_context(|| format!("DescribeProducers({}-{})", t.name(), p.id()))?;
            for producer in producers {
                if producer.current_txn_start_offset.is_some() && !live.contains(&producer.producer_id) {
                    hanging.push((t.name().to_string(), p.id(), producer));
                }
            }
        }
    }
    Ok(hanging)
}
