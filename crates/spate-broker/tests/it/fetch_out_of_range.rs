//! A Fetch outside the log (past its end, or before its start) answers OFFSET_OUT_OF_RANGE with
//! an empty — never a null — record set, as Kafka does: librdkafka treats a null record set as a
//! parse failure, never applies `auto.offset.reset`, and retries forever.
// Helper functions outside #[test] unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::TestBroker;
use common::raw::{RawConnection, batch, topic_name};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::FetchRequest;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

const TOPIC: &str = "behind";

fn fetch_at(topic: &str, topic_id: uuid::Uuid, partition: i32, offset: i64, version: i16) -> FetchRequest {
    let mut ft = FetchTopic::default().with_partitions(vec![
        FetchPartition::default()
            .with_partition(partition)
            .with_fetch_offset(offset)
            .with_partition_max_bytes(1 << 20),
    ]);
    if version >= 13 {
        ft.topic_id = topic_id;
    } else {
        ft.topic = topic_name(topic);
    }
    FetchRequest::default()
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_session_epoch(-1)
        .with_topics(vec![ft])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fetch_version_answers_errors_with_an_empty_record_set() {
    let broker = TestBroker::start().await;
    broker.create_topic(TOPIC, 1);
    let topic_id = uuid::Uuid::from_bytes(broker.handle.store().topic(TOPIC).unwrap().id);
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let resp = conn.produce(TOPIC, 0, batch(&[b"a", b"b"], 0, None), -1).await;
    assert_eq!(resp.error_code, 0);
    for version in 4..=16 {
        for (offset, partition, want) in [
            (1_000, 0, ResponseError::OffsetOutOfRange),
            (-5, 0, ResponseError::OffsetOutOfRange),
            (0, 7, ResponseError::UnknownTopicOrPartition),
        ] {
            let resp = conn
                .call(&fetch_at(TOPIC, topic_id, partition, offset, version), version)
                .await;
            let pd = &resp.responses[0].partitions[0];
            assert_eq!(pd.error_code, want.code(), "v{version} offset {offset}");
            assert_eq!(
                pd.records,
                Some(Bytes::new()),
                "v{version} offset {offset} partition {partition}: record set must be empty, not null"
            );
        }
    }
    // An unknown topic id (v13+) also gets an empty record set.
    for version in 13..=16 {
        let resp = conn
            .call(&fetch_at(TOPIC, uuid::Uuid::new_v4(), 0, 0, version), version)
            .await;
        let pd = &resp.responses[0].partitions[0];
        assert_eq!(pd.error_code, ResponseError::UnknownTopicId.code());
        assert_eq!(pd.records, Some(Bytes::new()));
    }
}

/// A librdkafka consumer whose position is past the end resets to the earliest offset and reads
/// every record, instead of spinning on parse errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_consumer_past_the_end_applies_auto_offset_reset() {
    let broker = TestBroker::start().await;
    broker.create_topic(TOPIC, 1);
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let values: Vec<Vec<u8>> = (0..10).map(|i| format!("v{i}").into_bytes()).collect();
    let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
    assert_eq!(
        conn.produce(TOPIC, 0, batch(&refs, 0, None), -1).await.error_code,
        0
    );

    let bootstrap = broker.bootstrap();
    let got = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = common::client_config(&bootstrap)
            .set("group.id", "fell-behind")
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("fetch.wait.max.ms", "50")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(TOPIC, 0, Offset::Offset(1_000)).unwrap();
        consumer.assign(&tpl).unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut got = Vec::new();
        while got.len() < 10 && Instant::now() < deadline {
            // Reset notices are fine; a parse-error loop would never deliver the records.
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                got.push((m.offset(), m.payload().unwrap().to_vec()));
            }
        }
        got
    })
    .await
    .unwrap();
    let offsets: Vec<i64> = got.iter().map(|(o, _)| *o).collect();
    assert_eq!(
        offsets,
        (0..10).collect::<Vec<_>>(),
        "consumer never reset to earliest"
    );
    assert_eq!(got[9].1, b"v9");
}
