//! `spate broker`: the broker in the foreground until SIGINT/SIGTERM.
//!
//! Settings stack up in this order, later winning: defaults, the `--config` file (Kafka's
//! `server.properties` names), `--set` overrides, then the dedicated flags.

use std::io::Write;
use std::path::Path;

use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use spate_broker::{Broker, BrokerConfig, ListenerConfig, NotApplied, Setting, properties};

use crate::cli::BrokerArgs;

/// The properties key of `--schema-registry-listen`.
const REGISTRY_LISTEN_KEY: &str = "schema.registry.listen";

/// The broker user the schema registry's own client logs in as (when the broker has SASL).
const REGISTRY_USER: &str = "spate-schema-registry";

pub async fn run(args: BrokerArgs) -> Result<()> {
    let mut config = config_of(&args)?;
    let registry_listen = registry_listen(&args)?;
    // The registry reaches the `_schemas` topic as a client inside this process: over SASL
    // as an internal super user when the broker checks who its clients are.
    let registry_client = match registry_listen {
        Some(_) => Some(
            spate_server::embedded::internal_identity(&mut config, REGISTRY_USER)
                .context("the schema registry's broker identity")?,
        ),
        None => None,
    };
    let data_dir = config.data_dir.clone();
    let broker = Broker::start(config.clone())
        .await
        .with_context(|| format!("cannot start the broker with data dir {}", data_dir.display()))?;
    // The one start-up line; scripts parse the addresses from it (the first listener's right
    // after "on", every listener as NAME=PROTOCOL://HOST:PORT at the end). A single write: test
    // harnesses read one line and close the pipe.
    let listeners: Vec<String> = broker
        .listener_summary()
        .into_iter()
        .map(|(name, protocol, address)| format!("{name}={protocol}://{address}"))
        .collect();
    let registry = match (registry_listen, registry_client) {
        (Some(addr), Some((listener, properties))) => {
            let exposure = crate::schema_registry::Exposure::of_broker(&config, broker.access())?;
            let bootstrap = broker
                .bootstrap_servers_of(&listener)
                .unwrap_or_else(|| broker.bootstrap_servers());
            Some(crate::schema_registry::start(&bootstrap, &properties, addr, exposure).await?)
        }
        _ => None,
    };
    let registry_note = registry
        .as_ref()
        .map_or_else(String::new, |r| format!("; schema registry {}", r.url));
    let mut out = std::io::stdout();
    writeln!(
        out,
        "spate broker listening on {} (data dir {}{registry_note}; listeners {})",
        broker.bootstrap_servers(),
        data_dir.display(),
        listeners.join(" ")
    )?;
    out.flush()?;
    crate::cluster::shutdown_signal().await?;
    tracing::info!("shutting down");
    broker.shutdown().await.context("shutting down the broker")?;
    Ok(())
}

/// The schema registry's address: the flag, else `schema.registry.listen` of the file or
/// `--set`.
fn registry_listen(args: &BrokerArgs) -> Result<Option<SocketAddr>> {
    if let Some(addr) = args.schema_registry_listen {
        return Ok(Some(addr));
    }
    let settings = settings_of(args.config.as_deref(), &args.set, "--set")?;
    match settings.iter().rev().find(|s| s.key == REGISTRY_LISTEN_KEY) {
        Some(s) => Ok(Some(s.value.trim().parse().with_context(|| {
            format!(
                "{REGISTRY_LISTEN_KEY}={} ({}) is not HOST:PORT",
                s.value.trim(),
                s.origin
            )
        })?)),
        None => Ok(None),
    }
}

/// The broker's settings from the file, the overrides and the flags.
pub fn config_of(args: &BrokerArgs) -> Result<BrokerConfig> {
    let mut config = BrokerConfig::new("spate-data");
    let mut settings = settings_of(args.config.as_deref(), &args.set, "--set")?;
    // Spate's own key, not a broker property.
    settings.retain(|s| s.key != REGISTRY_LISTEN_KEY);
    let not_applied = config.apply_properties(&settings)?;
    report(&not_applied);
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(addr) = args.listen {
        config = config.with_listen(addr);
    }
    if !args.listener.is_empty() {
        config.listeners = args
            .listener
            .iter()
            .map(|spec| {
                ListenerConfig::parse_flag(spec).map_err(|e| anyhow::anyhow!("--listener {spec}: {e}"))
            })
            .collect::<Result<_>>()?;
    }
    if let Some(host) = &args.advertised_host {
        for l in &mut config.listeners {
            if l.advertised.is_none() {
                l.advertised = Some((host.clone(), 0));
            }
        }
    }
    if let Some(n) = args.default_partitions {
        config.default_partitions = n;
    }
    if args.no_auto_create_topics {
        config.auto_create_topics = false;
    }
    Ok(config)
}

/// The settings of a properties file, then the `KEY=VALUE` overrides (given with `flag`).
pub fn settings_of(file: Option<&Path>, overrides: &[String], flag: &str) -> Result<Vec<Setting>> {
    let mut settings = Vec::new();
    if let Some(path) = file {
        settings.extend(read_file(path)?);
    }
    for kv in overrides {
        let Some((key, value)) = kv.split_once('=') else {
            bail!("{flag} {kv:?} is not KEY=VALUE");
        };
        settings.push(Setting::new(key.trim(), value, flag));
    }
    Ok(settings)
}

fn read_file(path: &Path) -> Result<Vec<Setting>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.display();
    let entries =
        properties::parse(&text).with_context(|| format!("{name} is not a valid properties file"))?;
    Ok(entries
        .into_iter()
        .map(|p| Setting::new(p.key, p.value, format!("{name} line {}", p.line)))
        .collect())
}

/// Each key that was not applied is named once.
pub fn report(not_applied: &NotApplied) {
    if !not_applied.no_effect.is_empty() {
        tracing::info!(
            "ignoring broker properties without effect on a single-node Spate broker: {}",
            not_applied.no_effect.join(", ")
        );
    }
    for key in &not_applied.unknown {
        tracing::warn!("unknown broker property {key} ignored");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn config(args: &[&str]) -> Result<BrokerConfig> {
        let cli = Cli::try_parse_from(
            std::iter::once("spate")
                .chain(std::iter::once("broker"))
                .chain(args.iter().copied()),
        )?;
        let Command::Broker(b) = cli.command else {
            unreachable!("parsed as broker")
        };
        config_of(&b)
    }

    #[test]
    fn file_then_set_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("server.properties");
        std::fs::write(
            &file,
            "log.dirs=/from/file\nnum.partitions=2\nlisteners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let c = config(&["--config", f, "--set", "num.partitions=5"]).unwrap();
        assert_eq!(c.data_dir, Path::new("/from/file"));
        assert_eq!(c.default_partitions, 5);
        assert_eq!(c.listeners.len(), 2);
        let c = config(&[
            "--config",
            f,
            "--data-dir",
            "/flag",
            "--default-partitions",
            "7",
            "--listen",
            "127.0.0.1:0",
        ])
        .unwrap();
        assert_eq!(c.data_dir, Path::new("/flag"));
        assert_eq!(c.default_partitions, 7);
        assert_eq!(c.listeners.len(), 1);
        // --advertised-host fills listeners without an advertised.listeners entry; port 0 means
        // the bound port.
        let c = config(&[
            "--config",
            f,
            "--set",
            "advertised.listeners=PLAINTEXT://public:9092",
            "--advertised-host",
            "h",
        ])
        .unwrap();
        assert_eq!(c.listeners[0].advertised, Some(("public".to_string(), 9092)));
        assert_eq!(c.listeners[1].advertised, Some(("h".to_string(), 0)));
        // Today's defaults when nothing is given.
        let c = config(&[]).unwrap();
        assert_eq!(c.data_dir, Path::new("spate-data"));
        assert_eq!(c.listeners[0].endpoint(), "PLAINTEXT://127.0.0.1:9092");
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("server.properties");
        std::fs::write(&file, "# ok\nnum.partitions=none\n").unwrap();
        let e = config(&["--config", file.to_str().unwrap()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("num.partitions") && e.contains("line 2"), "{e}");
        let e = config(&["--set", "auto.create.topics.enable=maybe"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("auto.create.topics.enable") && e.contains("--set"),
            "{e}"
        );
        assert!(config(&["--set", "novalue"]).is_err());
        assert!(
            config(&["--listener", "X=SSL://127.0.0.1:0"]).is_ok(),
            "a TLS listener's certificate is read at start, not parse"
        );
        assert!(config(&["--listener", "nonsense"]).is_err());
        assert!(config(&["--listen", "127.0.0.1:1", "--listener", "PLAINTEXT://127.0.0.1:2"]).is_err());
    }
}
