//! `spate topics create|list|describe|delete` through the Kafka admin API.

use anyhow::{Context, Result, anyhow, bail};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::FromClientConfig;
use rdkafka::consumer::Consumer;

use crate::cli::TopicsAction;
use crate::kafka_client::{self, CLUSTER_TIMEOUT};

fn admin(bootstrap: &str) -> Result<AdminClient<DefaultClientContext>> {
    AdminClient::from_config(&kafka_client::base_config(bootstrap)).context("creating Kafka admin client")
}

fn options() -> AdminOptions {
    AdminOptions::new().request_timeout(Some(CLUSTER_TIMEOUT))
}

pub async fn run(action: TopicsAction) -> Result<()> {
    match action {
        TopicsAction::Create {
            name,
            partitions,
            configs,
            client,
        } => {
            let pairs = configs
                .iter()
                .map(|kv| {
                    kv.split_once('=')
                        .ok_or_else(|| anyhow!("--config {kv:?} is not KEY=VALUE"))
                })
                .collect::<Result<Vec<_>>>()?;
            let mut topic = NewTopic::new(&name, partitions, TopicReplication::Fixed(1));
            for (k, v) in &pairs {
                topic = topic.set(k, v);
            }
            let results = admin(&client.bootstrap)?
                .create_topics([&topic], &options())
                .await
                .with_context(|| format!("cannot reach {}", client.bootstrap))?;
            for r in results {
                if let Err((topic, code)) = r {
                    bail!("cannot create topic {topic}: {code}");
                }
            }
            println!("created topic {name} with {partitions} partition(s)");
        }
        TopicsAction::List { client } => {
            let consumer = kafka_client::assign_consumer(&client.bootstrap)?;
            let md = kafka_client::fetch_metadata(&consumer, &client.bootstrap, None)?;
            let mut topics: Vec<(String, usize)> = md
                .topics()
                .iter()
                .map(|t| (t.name().to_string(), t.partitions().len()))
                .collect();
            topics.sort();
            for (name, n) in topics {
                println!("{name}\t{n} partition(s)");
            }
        }
        TopicsAction::Describe { name, client } => {
            let consumer = kafka_client::assign_consumer(&client.bootstrap)?;
            let partitions = kafka_client::topic_partitions(&consumer, &client.bootstrap, &name)?;
            println!("topic {name}: {} partition(s)", partitions.len());
            println!("partition\tearliest\tlatest");
            for p in partitions {
                let (lo, hi) = consumer
                    .fetch_watermarks(&name, p, CLUSTER_TIMEOUT)
                    .with_context(|| format!("offsets of {name}/{p}"))?;
                println!("{p}\t{lo}\t{hi}");
            }
            let results = admin(&client.bootstrap)?
                .describe_configs([&ResourceSpecifier::Topic(&name)], &options())
                .await
                .with_context(|| format!("cannot reach {}", client.bootstrap))?;
            println!("config\tvalue\tsource");
            for r in results {
                let resource = r.map_err(|code| anyhow!("cannot describe configs of {name}: {code}"))?;
                for e in resource.entries {
                    let source = if e.is_default { "default" } else { "topic override" };
                    println!("{}\t{}\t{source}", e.name, e.value.unwrap_or_default());
                }
            }
        }
        TopicsAction::Delete { name, client } => {
            let results = admin(&client.bootstrap)?
                .delete_topics(&[name.as_str()], &options())
                .await
                .with_context(|| format!("cannot reach {}", client.bootstrap))?;
            for r in results {
                if let Err((topic, code)) = r {
                    bail!("cannot delete topic {topic}: {code}");
                }
            }
            println!("deleted topic {name}");
        }
    }
    Ok(())
}
