//! The process transaction against a real broker: what a task hands over after a barrier is
//! not committed with that barrier's checkpoint but with the next one, also when a
//! checkpoint in between was abandoned.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use spate_distributed::ProcessTxn;
use spate_kafka_client::{BrokerConnection, OutRecord, TxnProducerConfig};

use crate::broker;

const TIMEOUT: Duration = Duration::from_secs(20);

fn record(value: &str) -> OutRecord {
    OutRecord {
        key: None,
        value: Some(Bytes::copy_from_slice(value.as_bytes())),
        headers: Vec::new(),
        timestamp: 0,
    }
}

fn committed(bootstrap: &str) -> Vec<String> {
    let mut out = Vec::new();
    spate_group::changelog::read_to_stable(bootstrap, &Default::default(), ("t", 0), TIMEOUT, |_, _, v| {
        out.push(String::from_utf8_lossy(v.unwrap_or_default()).into_owned());
        Ok(())
    })
    .expect("read");
    out
}

#[test]
fn records_after_a_barrier_wait_for_the_next_checkpoint() {
    let broker = broker();
    let bootstrap = broker.handle.bootstrap_servers();
    BrokerConnection::connect_to(&bootstrap, TIMEOUT)
        .expect("connect")
        .create_topic("t", 1, 1, &[])
        .expect("topic");
    let txn = ProcessTxn::init(
        TxnProducerConfig {
            bootstrap: bootstrap.clone(),
            security: Default::default(),
            transactional_id: "txn-test".into(),
            transaction_timeout: Duration::from_secs(10),
            request_timeout: TIMEOUT,
        },
        0,
    )
    .expect("init");
    let topic: Arc<str> = "t".into();
    let nothing = |_: &mut spate_kafka_client::TransactionalProducer| Ok(());
    // Task x has not passed a barrier yet; task y passed checkpoint 1's.
    txn.send(0, &topic, 0, record("x before 1")).expect("send");
    txn.send(1, &topic, 0, record("y after 1")).expect("send");
    txn.commit_checkpoint(1, nothing).expect("commit");
    assert_eq!(committed(&bootstrap), ["x before 1"]);
    assert_eq!(txn.published(), 1);
    // Checkpoint 2 is abandoned after y passed its barrier: what y handed over after it
    // belongs to checkpoint 3, as does what x handed over after checkpoint 1's barrier.
    txn.send(2, &topic, 0, record("y after 2")).expect("send");
    txn.send(1, &topic, 0, record("x after 1")).expect("send");
    txn.send(3, &topic, 0, record("y after 3")).expect("send");
    txn.commit_checkpoint(3, nothing).expect("commit");
    assert_eq!(
        committed(&bootstrap),
        ["x before 1", "y after 1", "x after 1", "y after 2"]
    );
    txn.commit_checkpoint(4, nothing).expect("commit");
    assert_eq!(
        committed(&bootstrap).last().map(String::as_str),
        Some("y after 3")
    );
}
