//! `spate`: the one binary — broker, client tools, jobs and benchmarks.

// No unsafe code here but the allocator shim, which allows it for itself (the workspace lint
// denies it everywhere else).
#![deny(unsafe_code)]

#[allow(unsafe_code)] // a `GlobalAlloc` over mimalloc's C API cannot be written without it
mod allocator;
mod cli;
mod client_properties;
mod cluster;
mod commands;
mod delivery;
mod examples;
mod kafka_client;
mod schema_registry;

use std::process::ExitCode;

use clap::Parser;

/// See the dependency's note in Cargo.toml for why the binary does not use the system malloc.
#[global_allocator]
static ALLOCATOR: allocator::Mimalloc = allocator::Mimalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // `spate sql` is a client at heart: the broker it may embed keeps its start-up lines to
    // itself unless asked (-v).
    let quiet_broker = matches!(cli.command, cli::Command::Sql(_));
    init_tracing(cli.verbose, quiet_broker);
    match commands::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that went away (`spate consume t | head`) leaves nothing more to say.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One readable line, the cause chain included, and no backtrace.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn init_tracing(verbose: u8, quiet_broker: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match (verbose, quiet_broker) {
        // librdkafka reports every transient condition (end of partition, a broker going away)
        // as an error; commands report what matters themselves. -v shows them.
        (0, false) => "warn,spate=info,spate_broker=info,librdkafka=off,rdkafka::client=off",
        (0, true) => "warn,spate=info,spate_broker=warn,librdkafka=off,rdkafka::client=off",
        (1, _) => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
