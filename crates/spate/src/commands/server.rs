//! `spate server`: the broker (unless `--bootstrap`), the job manager and the REST API in the
//! foreground (all in `spate-server`), until SIGINT/SIGTERM stops every job with a savepoint
//! and flushes the broker.

use std::io::Write;

use anyhow::{Context, Result};
use spate_server::{BrokerConfig, HttpLimits, Server, ServerConfig};

use crate::cli::ServerArgs;

pub async fn run(args: ServerArgs) -> Result<()> {
    let broker = broker_config(&args)?;
    let config = ServerConfig {
        data_dir: args.data_dir.clone(),
        kafka_listen: args.kafka_listen,
        broker: broker.clone(),
        http_tls: args.http_tls,
        http_listen: args.http_listen,
        bootstrap: args.bootstrap,
        checkpoint_interval: args.checkpoint_interval,
        auth: !args.no_auth,
        allowed_hosts: args.allowed_hosts.clone(),
        http_limits: HttpLimits {
            max_connections: args.http_max_connections as usize,
            ..HttpLimits::default()
        },
        web_submit: args.web_submit_enable,
        web_cancel: args.web_cancel_enable,
        allowed_dirs: args.allowed_dirs.clone(),
        max_jobs: args.max_jobs as usize,
        job_memory: job_memory(args.job_memory),
    };
    let server = Server::start(config).await.with_context(|| {
        format!(
            "cannot start the server with data dir {}",
            args.data_dir.display()
        )
    })?;
    // The start-up lines, in one write (a reader that takes them and goes must not make a
    // later write fail); scripts and tests parse both addresses from the first, the
    // dashboard's URL with its token from the second.
    let dashboard = match server.token() {
        Some(_) => format!(
            "spate server: dashboard at {} (the token is in {}; spate jobs --data-dir {} reads it)",
            server.dashboard_url(),
            spate_server::token::token_path(&args.data_dir).display(),
            args.data_dir.display(),
        ),
        None => format!(
            "spate server: dashboard at {} (no authentication: --no-auth)",
            server.dashboard_url()
        ),
    };
    let registry = match args.schema_registry_listen {
        None => None,
        Some(addr) => {
            let exposure = match (&broker, server.broker_access()) {
                (Some(config), Some(access)) => crate::schema_registry::Exposure::of_broker(config, access)?,
                _ => crate::schema_registry::Exposure::default(),
            };
            let cluster = server.cluster();
            Some(
                crate::schema_registry::start(&cluster.bootstrap, &cluster.properties, addr, exposure)
                    .await?,
            )
        }
    };
    if let Some(r) = &registry {
        // The dashboard's Schemas page reads this registry in the process (see
        // spate_server::schemas), never across to its port.
        server.schema_registry().attach(r.service.clone())?;
    }
    let registry_note = registry
        .as_ref()
        .map_or_else(String::new, |r| format!(", schema registry on {}", r.url));
    let mut out = std::io::stdout();
    write!(
        out,
        "spate server: REST API on {}, Kafka on {}{}{registry_note} (data dir {}, {} job(s) resumed)\n{dashboard}\n",
        server.url(),
        server.bootstrap(),
        if server.embeds_broker() { "" } else { " (external)" },
        args.data_dir.display(),
        server.resumed_jobs(),
    )?;
    out.flush()?;
    crate::cluster::shutdown_signal().await?;
    tracing::info!("shutting down: stopping jobs with savepoints");
    server.shutdown().await.context("shutting the server down")?;
    Ok(())
}

/// The embedded broker's settings from --broker-config and --broker-set (`None` without
/// either); `listeners` from them, else one PLAINTEXT listener on --kafka-listen.
fn broker_config(args: &ServerArgs) -> Result<Option<BrokerConfig>> {
    if args.broker_config.is_none() && args.broker_set.is_empty() && !args.http_tls {
        return Ok(None);
    }
    let settings = crate::commands::broker::settings_of(
        args.broker_config.as_deref(),
        &args.broker_set,
        "--broker-set",
    )?;
    let mut config = BrokerConfig::new(args.data_dir.join("broker"));
    let not_applied = config.apply_properties(&settings)?;
    crate::commands::broker::report(&not_applied);
    if !settings.iter().any(|s| s.key == "listeners") {
        config = config.with_listen(args.kafka_listen);
    }
    Ok(Some(config))
}

/// `--job-memory` in bytes: `auto` is half of `MemTotal` (unbounded where /proc/meminfo cannot
/// be read).
fn job_memory(setting: crate::cli::JobMemory) -> Option<u64> {
    match setting {
        crate::cli::JobMemory::Bytes(b) => Some(b),
        crate::cli::JobMemory::Unbounded => None,
        crate::cli::JobMemory::Auto => {
            let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
            let kib: u64 = meminfo
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            Some(kib * 1024 / 2)
        }
    }
}
