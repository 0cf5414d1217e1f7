//! Only a transaction's own producer may write transactional records, and only the coordinator
//! writes markers: otherwise one client could pin the last stable offset for good (read_committed
//! readers stop there, and nothing can end a transaction the coordinator never heard of).
// Helper functions outside #[test] unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use crate::common;

use bytes::{Bytes, BytesMut};
use common::raw::{RawConnection, batch, encode_records, produce_request};
use common::{TestBroker, consume_all};
use kafka_protocol::ResponseError;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{Record, TimestampType};

const TOPIC: &str = "guarded";

/// A v2 batch of `n` records flagged transactional (and control, if asked) by an invented producer.
fn flagged_batch(n: usize, control: bool) -> Bytes {
    let records: Vec<Record> = (0..n)
        .map(|i| Record {
            transactional: true,
            control,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: 4242,
            producer_epoch: 0,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: i as i32,
            timestamp: 1_000 + i as i64,
            // A control record's key is its type (version 0, type 0 = abort); harmless for data.
            key: Some(Bytes::from_static(&[0, 0, 0, 0])),
            value: Some(Bytes::from(format!("forged-{i}"))),
            headers: Default::default(),
        })
        .collect();
    encode_records(&records)
}

async fn produce_status(conn: &mut RawConnection, records: Bytes, transactional_id: Option<&str>) -> i16 {
    let req = produce_request(TOPIC, 0, records, -1)
        .with_transactional_id(transactional_id.map(|t| StrBytes::from_string(t.to_string()).into()));
    let resp = conn.call(&req, common::raw::PRODUCE_VERSION).await;
    resp.responses[0].partition_responses[0].error_code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_transactional_records_are_refused_and_the_stable_offset_moves_on() {
    let broker = TestBroker::start().await;
    broker.create_topic(TOPIC, 1);
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;

    // No transactional id: Kafka answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
    assert_eq!(
        produce_status(&mut conn, flagged_batch(3, false), None).await,
        ResponseError::TransactionalIdAuthorizationFailed.code()
    );
    // A transactional id the coordinator does not know for this producer id.
    assert_ne!(
        produce_status(&mut conn, flagged_batch(3, false), Some("nobody")).await,
        0
    );
    assert_eq!(broker.log_end_offset(TOPIC, 0), 0, "a refused batch was written");

    // The partition stays readable to its end with read_committed.
    assert_eq!(
        conn.produce(TOPIC, 0, batch(&[b"plain"], 0, None), -1)
            .await
            .error_code,
        0
    );
    let p = broker.handle.store().partition(TOPIC, 0).unwrap();
    assert_eq!(p.last_stable_offset(), p.high_watermark());
    let bootstrap = broker.bootstrap();
    let got = tokio::task::spawn_blocking(move || consume_all(&bootstrap, TOPIC, "read_committed", 1))
        .await
        .unwrap();
    assert_eq!(got, vec!["plain".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_cannot_write_control_batches_or_several_batches_at_once() {
    let broker = TestBroker::start().await;
    broker.create_topic(TOPIC, 1);
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    // A control batch (an abort marker) even with a transactional id.
    assert_eq!(
        produce_status(&mut conn, flagged_batch(1, true), Some("tx")).await,
        ResponseError::InvalidRecord.code()
    );
    // Two batches in one partition's records (produce v3+ carries exactly one).
    let mut two = BytesMut::new();
    two.extend_from_slice(&batch(&[b"a"], 0, None));
    two.extend_from_slice(&batch(&[b"b"], 0, None));
    assert_eq!(
        produce_status(&mut conn, two.freeze(), None).await,
        ResponseError::InvalidRecord.code()
    );
    assert_eq!(broker.log_end_offset(TOPIC, 0), 0);
}
