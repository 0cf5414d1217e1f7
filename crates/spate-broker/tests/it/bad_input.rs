//! Malformed and invalid requests over a raw socket: each gets the right Kafka error code or a
//! closed connection, and afterwards the broker still serves and its log is intact.
// Helper functions outside #[test] unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use crate::common;

use bytes::{BufMut, Bytes, BytesMut};
use common::TestBroker;
use common::raw::{ProducerFields, RawConnection, batch, topic_name};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    ApiVersionsRequest, ApiVersionsResponse, CreateTopicsRequest, MetadataRequest,
};
use kafka_protocol::protocol::{Decodable, StrBytes};

const TOPIC: &str = "events";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn broker_with_topic() -> TestBroker {
    let broker = TestBroker::start().await;
    broker.create_topic(TOPIC, 1);
    broker
}

/// Appends `values` over a fresh connection (acks=all).
async fn produce_values(broker: &TestBroker, values: &[&str]) {
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let values: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
    let resp = conn.produce(TOPIC, 0, batch(&values, now_ms(), None), -1).await;
    assert_eq!(
        resp.error_code, 0,
        "valid produce failed: {:?}",
        resp.error_message
    );
}

/// The broker accepts a new connection, appends a valid batch after `expected`, and serves back
/// exactly `expected` followed by the new records from offset 0.
async fn assert_still_serves(broker: &TestBroker, expected: &[&str]) {
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let resp = conn
        .produce(TOPIC, 0, batch(&[b"after-1", b"after-2"], now_ms(), None), -1)
        .await;
    assert_eq!(
        resp.error_code, 0,
        "produce after bad input: {:?}",
        resp.error_message
    );
    assert_eq!(resp.base_offset, expected.len() as i64);
    let (records, high_watermark) = conn.fetch_records(TOPIC, 0, 0).await;
    let values: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap())
        .collect();
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    want.extend(["after-1".to_string(), "after-2".to_string()]);
    assert_eq!(values, want);
    let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, (0..want.len() as i64).collect::<Vec<_>>());
    assert_eq!(high_watermark, want.len() as i64);
}

fn metadata_frame(correlation_id: i32) -> BytesMut {
    let req = MetadataRequest::default().with_topics(Some(vec![
        MetadataRequestTopic::default().with_name(Some(topic_name(TOPIC))),
    ]));
    common::raw::encode_frame(&req, 12, correlation_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negative_and_tiny_frame_sizes_close_the_connection() {
    let broker = broker_with_topic().await;
    produce_values(&broker, &["before"]).await;
    for size in [-1i32, i32::MIN, 0, 3, 7] {
        let mut conn = RawConnection::connect(&broker.bootstrap()).await;
        let mut frame = BytesMut::new();
        frame.put_i32(size);
        frame.put_slice(&[0u8; 16]);
        conn.send_raw(&frame).await;
        conn.expect_closed().await;
    }
    assert_still_serves(&broker, &["before"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_above_socket_request_max_bytes_closes_without_reading_it() {
    const MAX: usize = 64 * 1024;
    let broker = TestBroker::start_with(|c| c.max_request_bytes = MAX).await;
    broker.create_topic(TOPIC, 1);
    // Another client mid-conversation must be unaffected.
    let mut bystander = RawConnection::connect(&broker.bootstrap()).await;
    assert_eq!(bystander.list_offset(TOPIC, 0, -1).await, (0, 0));

    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    // Only the length prefix and a valid header: the broker must refuse on the length alone,
    // not wait for (or buffer) 64 KiB + 1 bytes.
    let mut frame = metadata_frame(1);
    let oversized = (MAX + 1) as i32;
    frame[..4].copy_from_slice(&oversized.to_be_bytes());
    conn.send_raw(&frame).await;
    conn.expect_closed().await;

    assert_eq!(bystander.list_offset(TOPIC, 0, -1).await, (0, 0));
    // A request just under the limit is served in full.
    let value = vec![b'v'; MAX - 1024];
    let resp = bystander
        .produce(TOPIC, 0, batch(&[&value], now_ms(), None), 1)
        .await;
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
    let (records, _) = bystander.fetch_records(TOPIC, 0, 0).await;
    assert_eq!(records[0].value.as_deref(), Some(&value[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_truncated_bodies_close_the_connection() {
    let broker = broker_with_topic().await;
    produce_values(&broker, &["before"]).await;

    // A valid Metadata v12 header followed by bytes that are no Metadata request.
    let valid = metadata_frame(7);
    let header_len = 4 + 2 + 2 + 4 + 2 + "spate-test".len() + 1; // + empty tagged fields
    let mut garbage = BytesMut::from(&valid[..header_len]);
    garbage.put_slice(&[0xff; 40]);
    let len = (garbage.len() - 4) as i32;
    garbage[..4].copy_from_slice(&len.to_be_bytes());

    // A valid CreateTopics request cut short (the length prefix says so; the body ends early).
    let create = CreateTopicsRequest::default().with_topics(vec![
        CreatableTopic::default()
            .with_name(topic_name("never-created"))
            .with_num_partitions(1)
            .with_replication_factor(1),
    ]);
    let full = common::raw::encode_frame(&create, 7, 8);
    let mut truncated = BytesMut::from(&full[..full.len() - 6]);
    let len = (truncated.len() - 4) as i32;
    truncated[..4].copy_from_slice(&len.to_be_bytes());

    // Random-looking bytes of a plausible size.
    let mut noise = BytesMut::new();
    noise.put_i32(64);
    noise.put_slice(
        &(0..64u8)
            .map(|i| i.wrapping_mul(151).wrapping_add(7))
            .collect::<Vec<_>>(),
    );

    for frame in [garbage, truncated, noise] {
        let mut conn = RawConnection::connect(&broker.bootstrap()).await;
        conn.send_raw(&frame).await;
        conn.expect_closed().await;
    }
    assert!(broker.handle.store().topic("never-created").is_none());
    assert_still_serves(&broker, &["before"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_or_unserved_api_keys_close_the_connection() {
    let broker = broker_with_topic().await;
    // -1, 1000 and 9999 are no Kafka API; 57 (UpdateFeatures) is one this broker does not serve.
    for api_key in [9999i16, -1, 1000, 57] {
        let mut conn = RawConnection::connect(&broker.bootstrap()).await;
        let mut frame = BytesMut::new();
        frame.put_i32(0);
        frame.put_i16(api_key);
        frame.put_i16(0);
        frame.put_i32(42);
        frame.put_i16(-1); // null client id
        frame.put_slice(&[0u8; 8]);
        let len = (frame.len() - 4) as i32;
        frame[..4].copy_from_slice(&len.to_be_bytes());
        conn.send_raw(&frame).await;
        conn.expect_closed().await;
    }
    assert_still_serves(&broker, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_versions_above_supported_gets_a_v0_unsupported_version_reply() {
    let broker = broker_with_topic().await;
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    // As a newer client would send it: a flexible (v2) header and a v5+ body this broker
    // cannot know.
    let req = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("future-client"))
        .with_client_software_version(StrBytes::from_static_str("9.9"));
    let (correlation_id, mut frame) = conn.frame(&req, 3);
    frame[6..8].copy_from_slice(&99i16.to_be_bytes());
    conn.send_raw(&frame).await;
    // KIP-511: the reply is ApiVersions v0 (header v0) with UNSUPPORTED_VERSION and the list.
    let mut body = conn.read_reply(correlation_id, 0).await;
    let resp = ApiVersionsResponse::decode(&mut body, 0).unwrap();
    assert_eq!(resp.error_code, ResponseError::UnsupportedVersion.code());
    assert_eq!(resp.error_code, 35);
    let api_versions = resp
        .api_keys
        .iter()
        .find(|k| k.api_key == 18)
        .expect("ApiVersions itself is listed");
    assert!(api_versions.min_version == 0 && api_versions.max_version >= 3);
    for key in [0i16, 1, 2, 3, 19, 20, 22] {
        assert!(
            resp.api_keys.iter().any(|k| k.api_key == key),
            "API {key} missing from {:?}",
            resp.api_keys
        );
    }
    // The connection stays usable: the client retries with a supported version.
    let retry = conn.call(&req, 3).await;
    assert_eq!(retry.error_code, 0);
    assert_eq!(retry.api_keys, resp.api_keys);
    assert_still_serves(&broker, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_batches_are_rejected_with_corrupt_message_and_nothing_is_written() {
    let broker = broker_with_topic().await;
    produce_values(&broker, &["before"]).await;
    let good = batch(&[b"payload-one", b"payload-two"], now_ms(), None);

    let mut flipped_payload = BytesMut::from(&good[..]);
    let last = flipped_payload.len() - 3;
    flipped_payload[last] ^= 0x01;
    let mut flipped_crc = BytesMut::from(&good[..]);
    flipped_crc[18] ^= 0x80;
    let mut flipped_attributes = BytesMut::from(&good[..]);
    flipped_attributes[22] ^= 0x04; // now claims zstd; attributes are covered by the CRC
    let truncated = BytesMut::from(&good[..good.len() - 5]);
    let mut wrong_length = BytesMut::from(&good[..]);
    wrong_length[8..12].copy_from_slice(&(good.len() as i32).to_be_bytes()); // 12 bytes too long
    let mut good_then_garbage = BytesMut::from(&good[..]);
    good_then_garbage.put_slice(&[0xab; 20]);

    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    for (name, records) in [
        ("flipped payload bit", flipped_payload),
        ("flipped crc bit", flipped_crc),
        ("flipped attributes bit", flipped_attributes),
        ("truncated batch", truncated),
        ("batch length past the end", wrong_length),
        ("trailing garbage after a good batch", good_then_garbage),
    ] {
        let resp = conn.produce(TOPIC, 0, records.freeze(), -1).await;
        assert_eq!(
            resp.error_code,
            ResponseError::CorruptMessage.code(),
            "{name}: {:?}",
            resp.error_message
        );
        assert_eq!(resp.base_offset, -1, "{name}");
        assert_eq!(broker.log_end_offset(TOPIC, 0), 1, "{name} changed the log");
    }
    // The same connection keeps working, and so does the log.
    assert_eq!(conn.list_offset(TOPIC, 0, -1).await, (0, 1));
    assert_still_serves(&broker, &["before"]).await;

    // And the log is still valid on disk: a restart recovers it unchanged.
    let dir = broker.dir;
    broker.handle.shutdown().await.unwrap();
    let handle = spate_broker::Broker::start(spate_broker::BrokerConfig::ephemeral(dir.path()))
        .await
        .unwrap();
    let mut conn = RawConnection::connect(&handle.bootstrap_servers()).await;
    let (records, high_watermark) = conn.fetch_records(TOPIC, 0, 0).await;
    assert_eq!(high_watermark, 3);
    let values: Vec<Bytes> = records.into_iter().map(|r| r.value.unwrap()).collect();
    assert_eq!(values, vec![&b"before"[..], b"after-1", b"after-2"]);
    handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_above_max_message_bytes_is_rejected_with_message_too_large() {
    let broker = TestBroker::start().await;
    broker.create_topic_with(TOPIC, 1, &[("max.message.bytes", "1024")]);
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let big = vec![b'x'; 2000];
    let resp = conn.produce(TOPIC, 0, batch(&[&big], now_ms(), None), 1).await;
    assert_eq!(resp.error_code, ResponseError::MessageTooLarge.code());
    assert_eq!(resp.error_code, 10);
    // Many small records adding up past the limit in one batch are too large as well.
    let small = [b'y'; 100];
    let many: Vec<&[u8]> = (0..20).map(|_| &small[..]).collect();
    let resp = conn.produce(TOPIC, 0, batch(&many, now_ms(), None), 1).await;
    assert_eq!(resp.error_code, 10);
    assert_eq!(broker.log_end_offset(TOPIC, 0), 0);
    // Just under the limit is fine.
    let fits = vec![b'z'; 900];
    let resp = conn.produce(TOPIC, 0, batch(&[&fits], now_ms(), None), 1).await;
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
    let (records, _) = conn.fetch_records(TOPIC, 0, 0).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].value.as_deref(), Some(&fits[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_topic_names_are_rejected_with_invalid_topic_exception() {
    let broker = broker_with_topic().await;
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let too_long = "t".repeat(250);
    let invalid = [
        "",
        ".",
        "..",
        "has space",
        "a/b",
        "tab\tname",
        "ümlaut",
        too_long.as_str(),
    ];
    let mut topics: Vec<CreatableTopic> = invalid
        .iter()
        .map(|name| {
            CreatableTopic::default()
                .with_name(topic_name(name))
                .with_num_partitions(1)
                .with_replication_factor(1)
        })
        .collect();
    topics.push(
        CreatableTopic::default()
            .with_name(topic_name("valid.name_with-all_chars.09"))
            .with_num_partitions(2)
            .with_replication_factor(1),
    );
    let resp = conn
        .call(
            &CreateTopicsRequest::default()
                .with_topics(topics)
                .with_timeout_ms(5000),
            7,
        )
        .await;
    assert_eq!(resp.topics.len(), invalid.len() + 1);
    for (name, result) in invalid.iter().zip(&resp.topics) {
        assert_eq!(result.name.0.as_str(), *name);
        assert_eq!(
            result.error_code,
            ResponseError::InvalidTopicException.code(),
            "topic name {name:?}: {:?}",
            result.error_message
        );
        assert_eq!(result.error_code, 17);
        assert!(broker.handle.store().topic(name).is_none());
    }
    let valid = resp.topics.last().unwrap();
    assert_eq!(valid.error_code, 0, "{:?}", valid.error_message);
    assert_eq!(
        broker
            .handle
            .store()
            .topic("valid.name_with-all_chars.09")
            .unwrap()
            .partitions
            .len(),
        2
    );

    // Auto-creation through Metadata applies the same rules.
    let req = MetadataRequest::default()
        .with_allow_auto_topic_creation(true)
        .with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(topic_name("bad name"))),
        ]));
    let resp = conn.call(&req, 12).await;
    assert_eq!(resp.topics[0].error_code, 17);
    assert!(broker.handle.store().topic("bad name").is_none());
    assert_still_serves(&broker, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn longest_legal_topic_name_is_accepted() {
    let broker = TestBroker::start().await;
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let longest = "v".repeat(249);
    let topic = CreatableTopic::default()
        .with_name(topic_name(&longest))
        .with_num_partitions(2)
        .with_replication_factor(1);
    let resp = conn
        .call(
            &CreateTopicsRequest::default()
                .with_topics(vec![topic])
                .with_timeout_ms(5000),
            7,
        )
        .await;
    assert_eq!(resp.topics[0].error_code, 0, "{:?}", resp.topics[0].error_message);
    assert_eq!(broker.handle.store().topic(&longest).unwrap().partitions.len(), 2);
    let resp = conn
        .produce(&longest, 1, batch(&[b"x"], now_ms(), None), -1)
        .await;
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_acks_are_rejected_with_invalid_required_acks() {
    let broker = broker_with_topic().await;
    produce_values(&broker, &["before"]).await;
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    for acks in [2i16, -2, 3] {
        let resp = conn
            .produce(TOPIC, 0, batch(&[b"never"], now_ms(), None), acks)
            .await;
        assert_eq!(
            resp.error_code,
            ResponseError::InvalidRequiredAcks.code(),
            "acks={acks}"
        );
        assert_eq!(broker.log_end_offset(TOPIC, 0), 1, "acks={acks} appended");
    }
    assert_still_serves(&broker, &["before"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_sequence_gaps_are_rejected_and_retries_are_not_appended_twice() {
    let broker = broker_with_topic().await;
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let (producer_id, producer_epoch) = conn.init_producer_id().await;
    assert!(producer_id >= 0);
    let fields = |base_sequence| {
        Some(ProducerFields {
            producer_id,
            producer_epoch,
            base_sequence,
        })
    };
    let ts = now_ms();
    let first = batch(&[b"s0", b"s1", b"s2"], ts, fields(0));
    let resp = conn.produce(TOPIC, 0, first.clone(), -1).await;
    assert_eq!((resp.error_code, resp.base_offset), (0, 0));

    // Sequence 5 after 0..=2: a gap.
    let gap = batch(&[b"s5"], ts, fields(5));
    let resp = conn.produce(TOPIC, 0, gap, -1).await;
    assert_eq!(resp.error_code, ResponseError::OutOfOrderSequenceNumber.code());
    assert_eq!(resp.error_code, 45);
    assert_eq!(broker.log_end_offset(TOPIC, 0), 3);

    // A retry of the first batch is acknowledged at its original offset, not appended again.
    let resp = conn.produce(TOPIC, 0, first, -1).await;
    assert_eq!(
        (resp.error_code, resp.base_offset),
        (0, 0),
        "{:?}",
        resp.error_message
    );
    assert_eq!(broker.log_end_offset(TOPIC, 0), 3);

    // The next sequence continues normally.
    let next = batch(&[b"s3", b"s4"], ts, fields(3));
    let resp = conn.produce(TOPIC, 0, next.clone(), -1).await;
    assert_eq!(
        (resp.error_code, resp.base_offset),
        (0, 3),
        "{:?}",
        resp.error_message
    );
    let resp = conn.produce(TOPIC, 0, next, -1).await;
    assert_eq!(
        (resp.error_code, resp.base_offset),
        (0, 3),
        "retry of the last batch"
    );

    let (records, high_watermark) = conn.fetch_records(TOPIC, 0, 0).await;
    assert_eq!(high_watermark, 5);
    let values: Vec<Bytes> = records.iter().map(|r| r.value.clone().unwrap()).collect();
    assert_eq!(values, vec![&b"s0"[..], b"s1", b"s2", b"s3", b"s4"]);
    let sequences: Vec<i32> = records.iter().map(|r| r.sequence).collect();
    assert_eq!(sequences, vec![0, 1, 2, 3, 4]);
    assert!(records.iter().all(|r| r.producer_id == producer_id));

    // Non-idempotent appends to the same partition are unaffected.
    assert_still_serves(&broker, &["s0", "s1", "s2", "s3", "s4"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_cannot_produce_to_or_delete_the_offsets_topic() {
    let broker = broker_with_topic().await;
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let before = broker.log_end_offset("__consumer_offsets", 0);
    let resp = conn
        .produce("__consumer_offsets", 0, batch(&[b"forged"], 1_000, None), 1)
        .await;
    assert_eq!(resp.error_code, ResponseError::InvalidTopicException.code());
    assert_eq!(
        broker.log_end_offset("__consumer_offsets", 0),
        before,
        "nothing appended"
    );

    let req = kafka_protocol::messages::DeleteTopicsRequest::default()
        .with_topic_names(vec![topic_name("__consumer_offsets")])
        .with_timeout_ms(5000);
    let resp = conn.call(&req, 5).await;
    assert_eq!(resp.responses[0].error_code, ResponseError::InvalidRequest.code());
    assert!(broker.handle.store().topic("__consumer_offsets").is_some());
    assert_still_serves(&broker, &[]).await;
}
