//! The integration tests of spate-distributed, against a real Spate broker in the test
//! process.

mod processes;
mod runner;
mod txn;

use spate_broker::{Broker, BrokerConfig, BrokerHandle};

/// A broker on an ephemeral port with its runtime and data directory.
pub(crate) struct TestBroker {
    _runtime: tokio::runtime::Runtime,
    pub(crate) handle: BrokerHandle,
    _dir: tempfile::TempDir,
}

pub(crate) fn broker() -> TestBroker {
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let handle = runtime
        .block_on(Broker::start(BrokerConfig::ephemeral(dir.path())))
        .expect("broker starts");
    TestBroker {
        _runtime: runtime,
        handle,
        _dir: dir,
    }
}

/// Logs to the test's output when `RUST_LOG` asks for them.
pub(crate) fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
