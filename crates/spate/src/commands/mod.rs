//! One module per subcommand.

mod acls;
mod bench;
mod bench_nexmark;
mod bench_pipeline;
mod broker;
mod consume;
mod demo;
mod example;
mod groups;
mod jobs;
mod produce;
mod quotas;
mod schemas;
mod server;
mod sql;
mod topics;
mod transactions;
mod users;

use anyhow::{Context, Result};

use crate::cli::Command;

pub fn run(command: Command) -> Result<()> {
    // The engine runs its own worker threads; no async runtime needed.
    match command {
        Command::Bench { bench } => return bench::run(bench),
        Command::Example { example } => return example::run(example),
        Command::Demo(args) => return demo::run(args),
        Command::Sql(args) => return sql::run(args),
        Command::Users { action } => return users::run(action),
        Command::Acls { action } => return acls::run(action),
        Command::Quotas { action } => return quotas::run(action),
        Command::Schemas { action } => return schemas::run(action),
        _ => {}
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match command {
            Command::Broker(args) => broker::run(args).await,
            Command::Topics { action } => topics::run(action).await,
            Command::Groups { action } => groups::run(action).await,
            Command::Transactions { action } => transactions::run(action).await,
            Command::Produce(args) => produce::run(args).await,
            Command::Consume(args) => consume::run(args).await,
            Command::Server(args) => server::run(args).await,
            Command::Jobs { action } => jobs::run(action).await,
            Command::Bench { .. }
            | Command::Example { .. }
            | Command::Demo(_)
            | Command::Sql(_)
            | Command::Users { .. }
            | Command::Acls { .. }
            | Command::Quotas { .. }
            | Command::Schemas { .. } => {
                unreachable!("handled above")
            }
        }
    })
}
