//! `spate topics create|list|describe|delete` through the Kafka admin API.

use anyhow::{Context, Result, anyhow};
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::FromClientConfig;
use rdkafka::consumer::Consumer;

use crate::cli::TopicsAction;
use crate::client_properties::ClientSettings;
use crate::kafka_client::{self, CLUSTER_TIMEOUT};

fn admin(settings: &ClientSettings) -> Result<AdminClient<DefaultClientContext>> {
    AdminClient::from_config(&settings.rdkafka()?).context("creating Kafka admin client")
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
            // The raw client, not rdkafka's admin API: that one drops the broker's error message
            // (why a name or config is invalid).
            let settings = ClientSettings::from_args(&client)?;
            let bootstrap = client.bootstrap.clone();
            let topic = name.clone();
            let owned: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            tokio::task::spawn_blocking(move || -> Result<()> {
                let configs: Vec<(&str, &str)> =
                    owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                settings
                    .raw_admin()?
                    .create_topic(&topic, partitions, 1, &configs)
                    .map_err(|e| {
                        kafka_client::raw_error(e, &bootstrap, &format!("cannot create topic {topic}"))
                    })
            })
            .await
            .context("the admin request panicked")??;
            println!("created topic {name} with {partitions} partition(s)");
        }
        TopicsAction::List { client } => {
            let consumer = ClientSettings::from_args(&client)?.assign_consumer()?;
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
            let settings = ClientSettings::from_args(&client)?;
            let consumer = settings.assign_consumer()?;
            let partitions = kafka_client::topic_partitions(&consumer, &client.bootstrap, &name)?;
            println!("topic {name}: {} partition(s)", partitions.len());
            println!("partition\tearliest\tlatest");
            for p in partitions {
                let (lo, hi) = consumer
                    .fetch_watermarks(&name, p, CLUSTER_TIMEOUT)
                    .map_err(|e| {
                        kafka_client::client_error(
                            &e,
                            &client.bootstrap,
                            &format!("reading offsets of {name}/{p}"),
                        )
                    })?;
                println!("{p}\t{lo}\t{hi}");
            }
            let results = admin(&settings)?
                .describe_configs([&ResourceSpecifier::Topic(&name)], &options())
                .await
                .map_err(|e| kafka_client::client_error(&e, &client.bootstrap, "describing configs"))?;
            println!("config\tvalue\tsource");
            for r in results {
                let resource = r.map_err(|code| {
                    anyhow!(
                        "cannot describe configs of {name}: {}",
                        kafka_client::code_text(code)
                    )
                })?;
                for e in resource.entries {
                    let source = if e.is_default { "default" } else { "topic override" };
                    println!("{}\t{}\t{source}", e.name, e.value.unwrap_or_default());
                }
            }
        }
        TopicsAction::Delete { name, client } => {
            let settings = ClientSettings::from_args(&client)?;
            let bootstrap = client.bootstrap.clone();
            let topic = name.clone();
            tokio::task::spawn_blocking(move || -> Result<()> {
                settings.raw_admin()?.delete_topic(&topic).map_err(|e| {
                    kafka_client::raw_error(e, &bootstrap, &format!("cannot delete topic {topic}"))
                })
            })
            .await
            .context("the admin request panicked")??;
            println!("deleted topic {name}");
        }
    }
    Ok(())
}
