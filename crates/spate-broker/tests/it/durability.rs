//! What an acknowledgement promises: an acks=all reply means the batch is on stable storage,
//! including when the batch is a retry the broker recognises as a duplicate.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::TestBroker;
use common::raw::{ProducerFields, RawConnection, batch};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acks_all_reply_to_a_retried_batch_means_it_is_fsynced() {
    let broker = TestBroker::start().await;
    // A background flush far away, so only the produce path can have synced the data.
    broker.create_topic_with("durable", 1, &[("flush.ms", "3600000")]);
    let partition = broker.handle.store().partition("durable", 0).unwrap();
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let (producer_id, producer_epoch) = conn.init_producer_id().await;
    let records = batch(
        &[b"a", b"b", b"c"],
        now_ms(),
        Some(ProducerFields {
            producer_id,
            producer_epoch,
            base_sequence: 0,
        }),
    );

    // The first attempt is appended but not fsynced: as when its fsync fails or its
    // connection drops before the reply (acks=1 stands in for that here).
    let first = conn.produce("durable", 0, records.clone(), 1).await;
    assert_eq!((first.error_code, first.base_offset), (0, 0));
    assert!(
        partition.unsynced_since().is_some(),
        "premise: the acks=1 append is not on disk yet"
    );

    // The client retries with acks=all; the broker sees a duplicate and acknowledges it at the
    // original offset — and must not do so before the batch is durable.
    let retry = conn.produce("durable", 0, records, -1).await;
    assert_eq!((retry.error_code, retry.base_offset), (0, 0));
    assert_eq!(broker.log_end_offset("durable", 0), 3, "not appended twice");
    assert_eq!(
        partition.unsynced_since(),
        None,
        "an acks=all acknowledgement of a duplicate left its batch unsynced"
    );
}
