//! `spate broker`: the broker in the foreground until SIGINT/SIGTERM.

use std::io::Write;

use anyhow::{Context, Result, ensure};
use spate_broker::{Broker, BrokerConfig};

use crate::cli::BrokerArgs;

pub async fn run(args: BrokerArgs) -> Result<()> {
    ensure!(
        args.default_partitions >= 1,
        "--default-partitions must be at least 1 (got {})",
        args.default_partitions
    );
    let mut config = BrokerConfig::new(&args.data_dir);
    config.listen = args.listen;
    config.advertised_host = args.advertised_host;
    config.default_partitions = args.default_partitions;
    config.auto_create_topics = !args.no_auto_create_topics;
    let broker = Broker::start(config).await.with_context(|| {
        format!(
            "cannot start the broker with data dir {}",
            args.data_dir.display()
        )
    })?;
    // The one start-up line; scripts parse the address from it.
    let mut out = std::io::stdout();
    writeln!(
        out,
        "spate broker listening on {} (data dir {})",
        broker.bootstrap_servers(),
        args.data_dir.display()
    )?;
    out.flush()?;
    crate::cluster::shutdown_signal().await?;
    tracing::info!("shutting down");
    broker.shutdown().await.context("shutting down the broker")?;
    Ok(())
}
