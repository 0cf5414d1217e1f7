//! `spate server`: the broker (unless `--bootstrap`), the job manager and the REST API in the
//! foreground (all in `spate-server`), until SIGINT/SIGTERM stops every job with a savepoint
//! and flushes the broker.

use std::io::Write;

use anyhow::{Context, Result};
use spate_server::{Server, ServerConfig};

use crate::cli::ServerArgs;

pub async fn run(args: ServerArgs) -> Result<()> {
    let config = ServerConfig {
        data_dir: args.data_dir.clone(),
        kafka_listen: args.kafka_listen,
        http_listen: args.http_listen,
        bootstrap: args.bootstrap,
        checkpoint_interval: args.checkpoint_interval,
    };
    let server = Server::start(config).await.with_context(|| {
        format!(
            "cannot start the server with data dir {}",
            args.data_dir.display()
        )
    })?;
    // The one start-up line; scripts and tests parse both addresses from it.
    let mut out = std::io::stdout();
    writeln!(
        out,
        "spate server: REST API on http://{}, Kafka on {}{} (data dir {}, {} job(s) resumed)",
        server.http_addr(),
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
