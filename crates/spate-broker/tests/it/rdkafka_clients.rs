//! Produce and consume with librdkafka (the `rdkafka` crate) against an in-process broker.
// Helper functions outside #[test] unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use common::raw::{RawConnection, batch, encode_frame, produce_request};
use common::{TestBroker, client_config, consume, consumer};
use kafka_protocol::messages::ProduceResponse;
use kafka_protocol::protocol::{Decodable, HeaderVersion};
use rdkafka::Offset;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::Consumer;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::future_producer::Delivery;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};

const TIMEOUT: Duration = Duration::from_secs(10);

fn new_producer(bootstrap: &str, settings: &[(&str, &str)]) -> FutureProducer {
    let mut config = client_config(bootstrap);
    for (k, v) in settings {
        config.set(*k, *v);
    }
    config.create().unwrap()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Queues a record without waiting for its delivery (so many are in flight at once).
fn send(producer: &FutureProducer, record: FutureRecord<'_, [u8], [u8]>) -> DeliveryFuture {
    producer.send_result(record).map_err(|(e, _)| e).unwrap()
}

async fn delivered(future: DeliveryFuture) -> Delivery {
    future.await.unwrap().map_err(|(e, _)| e).unwrap()
}

/// The stored batches of a partition, parsed from storage directly.
fn stored_batches(broker: &TestBroker, topic: &str, partition: i32) -> Vec<spate_log::batch::BatchHeader> {
    let p = broker.handle.store().partition(topic, partition).unwrap();
    let read = p.read(0, usize::MAX).unwrap();
    spate_log::batch::validate_batches(&read.records).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_over_several_partitions() {
    let broker = TestBroker::start().await;
    broker.create_topic("multi", 4);
    let producer = new_producer(&broker.bootstrap(), &[("linger.ms", "5")]);
    let mut pending = Vec::new();
    for i in 0..400u32 {
        let key = format!("key-{i}");
        let value = format!("value-{i}");
        let partition = (i % 4) as i32;
        let record = FutureRecord::to("multi")
            .partition(partition)
            .key(key.as_bytes())
            .payload(value.as_bytes());
        let future = send(&producer, record);
        pending.push((partition, value, future));
    }
    let mut expected: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
    for (partition, value, future) in pending {
        let d = delivered(future).await;
        assert_eq!(d.partition, partition);
        expected.entry(partition).or_default().push((d.offset, value));
    }
    for (partition, records) in &expected {
        let offsets: Vec<i64> = records.iter().map(|(o, _)| *o).collect();
        assert_eq!(offsets, (0..100).collect::<Vec<_>>(), "partition {partition}");
    }
    let starts: Vec<(i32, Offset)> = (0..4).map(|p| (p, Offset::Beginning)).collect();
    let messages = consume(&broker.bootstrap(), "multi", &starts, 400).await;
    let mut got: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
    for m in &messages {
        let value = String::from_utf8(m.payload().unwrap().to_vec()).unwrap();
        let i: u32 = value.trim_start_matches("value-").parse().unwrap();
        assert_eq!(m.key(), Some(format!("key-{i}").as_bytes()));
        got.entry(m.partition()).or_default().push((m.offset(), value));
    }
    assert_eq!(got, expected);
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_compression_codec_round_trips_and_is_stored_as_sent() {
    let broker = TestBroker::start().await;
    for (codec, id) in [("none", 0u8), ("gzip", 1), ("snappy", 2), ("lz4", 3), ("zstd", 4)] {
        let topic = format!("codec-{codec}");
        broker.create_topic(&topic, 1);
        let producer = new_producer(
            &broker.bootstrap(),
            &[("compression.type", codec), ("linger.ms", "20")],
        );
        // Every record compresses well on its own: librdkafka sends a batch uncompressed when
        // compression would not shrink it, which a small batch of short records under load can
        // hit (a batch holds as many records as arrive within linger.ms).
        let values: Vec<String> = (0..200)
            .map(|i| format!("{codec} record {i} {}", "compressible ".repeat(20 + i % 7)))
            .collect();
        let pending: Vec<DeliveryFuture> = values
            .iter()
            .map(|v| {
                send(
                    &producer,
                    FutureRecord::to(&topic).payload(v.as_bytes()).key(&b"k"[..]),
                )
            })
            .collect();
        for f in pending {
            delivered(f).await;
        }
        let batches = stored_batches(&broker, &topic, 0);
        assert!(!batches.is_empty());
        for b in &batches {
            assert_eq!(
                b.compression(),
                id,
                "{codec}: stored batch is not as the producer sent it"
            );
        }
        let messages = consume(
            &broker.bootstrap(),
            &topic,
            &[(0, Offset::Beginning)],
            values.len(),
        )
        .await;
        let got: Vec<String> = messages
            .iter()
            .map(|m| String::from_utf8(m.payload().unwrap().to_vec()).unwrap())
            .collect();
        assert_eq!(got, values, "{codec}");
        let offsets: Vec<i64> = messages.iter().map(|m| m.offset()).collect();
        assert_eq!(offsets, (0..values.len() as i64).collect::<Vec<_>>(), "{codec}");
    }
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_headers_and_timestamps_are_preserved() {
    let broker = TestBroker::start().await;
    broker.create_topic("meta", 1);
    let producer = new_producer(&broker.bootstrap(), &[("linger.ms", "5")]);
    let base_ts = 1_600_000_000_000i64;
    let binary_key: Vec<u8> = (0..=255u8).collect();
    let headers = || {
        OwnedHeaders::new()
            .insert(Header {
                key: "trace-id",
                value: Some(&b"abc123"[..]),
            })
            .insert(Header {
                key: "empty",
                value: Some(&b""[..]),
            })
            .insert(Header::<&[u8]> {
                key: "null",
                value: None,
            })
            .insert(Header {
                key: "trace-id",
                value: Some(&b"repeated"[..]),
            })
    };
    let pending = vec![
        send(
            &producer,
            FutureRecord::to("meta")
                .key(&binary_key[..])
                .payload(&b"binary key"[..])
                .timestamp(base_ts)
                .headers(headers()),
        ),
        // No key, no headers, out-of-order timestamp (older than the one before).
        send(
            &producer,
            FutureRecord::to("meta")
                .payload(&b"no key"[..])
                .timestamp(base_ts - 5_000),
        ),
        send(
            &producer,
            FutureRecord::to("meta")
                .key(&b""[..])
                .payload(&b"empty key"[..])
                .timestamp(base_ts + 1),
        ),
        // A tombstone: key without payload.
        send(
            &producer,
            FutureRecord::<[u8], [u8]>::to("meta")
                .key(&b"gone"[..])
                .timestamp(base_ts + 2),
        ),
    ];
    for f in pending {
        delivered(f).await;
    }
    let m = consume(&broker.bootstrap(), "meta", &[(0, Offset::Beginning)], 4).await;

    assert_eq!(m[0].key(), Some(&binary_key[..]));
    assert_eq!(m[0].payload(), Some(&b"binary key"[..]));
    assert_eq!(m[0].timestamp().to_millis(), Some(base_ts));
    let h = m[0].headers().expect("headers");
    let got: Vec<(String, Option<Vec<u8>>)> = h
        .iter()
        .map(|h| (h.key.to_string(), h.value.map(|v| v.to_vec())))
        .collect();
    assert_eq!(
        got,
        vec![
            ("trace-id".to_string(), Some(b"abc123".to_vec())),
            ("empty".to_string(), Some(Vec::new())),
            ("null".to_string(), None),
            ("trace-id".to_string(), Some(b"repeated".to_vec())),
        ]
    );
    assert_eq!(m[1].key(), None);
    assert!(m[1].headers().is_none_or(|h| h.count() == 0));
    assert_eq!(m[1].timestamp().to_millis(), Some(base_ts - 5_000));
    assert!(matches!(m[1].timestamp(), rdkafka::Timestamp::CreateTime(_)));
    assert_eq!(m[2].key(), Some(&b""[..]));
    assert_eq!(m[2].payload(), Some(&b"empty key"[..]));
    assert_eq!(m[3].key(), Some(&b"gone"[..]));
    assert_eq!(m[3].payload(), None);
    assert_eq!(m[3].timestamp().to_millis(), Some(base_ts + 2));
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_producer_writes_each_record_exactly_once() {
    let broker = TestBroker::start().await;
    broker.create_topic("idem", 2);
    let producer = new_producer(
        &broker.bootstrap(),
        &[
            ("enable.idempotence", "true"),
            ("linger.ms", "1"),
            ("batch.num.messages", "20"),
        ],
    );
    let count = 2000usize;
    let values: Vec<String> = (0..count).map(|i| format!("idem-{i}")).collect();
    let pending: Vec<DeliveryFuture> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            send(
                &producer,
                FutureRecord::to("idem")
                    .partition((i % 2) as i32)
                    .payload(v.as_bytes()),
            )
        })
        .collect();
    for f in pending {
        delivered(f).await;
    }
    for partition in 0..2 {
        let batches = stored_batches(&broker, "idem", partition);
        assert!(batches.len() > 1, "expected many batches, got {}", batches.len());
        // Really idempotent: one producer id, sequences contiguous from 0, offsets contiguous.
        let pid = batches[0].producer_id;
        assert!(pid >= 0, "batches carry no producer id");
        let mut next_sequence = 0;
        let mut next_offset = 0;
        for b in &batches {
            assert_eq!(b.producer_id, pid);
            assert_eq!(b.base_sequence, next_sequence);
            assert_eq!(b.base_offset, next_offset);
            next_sequence += b.record_count;
            next_offset = b.last_offset() + 1;
        }
        assert_eq!(next_sequence as usize, count / 2);
        let (low, high) = producer
            .client()
            .fetch_watermarks("idem", partition, TIMEOUT)
            .unwrap();
        assert_eq!((low, high), (0, (count / 2) as i64));
    }
    let messages = consume(
        &broker.bootstrap(),
        "idem",
        &[(0, Offset::Beginning), (1, Offset::Beginning)],
        count,
    )
    .await;
    for partition in 0..2 {
        let got: Vec<&[u8]> = messages
            .iter()
            .filter(|m| m.partition() == partition)
            .map(|m| m.payload().unwrap())
            .collect();
        let want: Vec<&[u8]> = values
            .iter()
            .skip(partition as usize)
            .step_by(2)
            .map(|v| v.as_bytes())
            .collect();
        assert_eq!(got, want, "partition {partition}");
    }
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_from_given_offsets_including_the_middle_of_a_batch() {
    let broker = TestBroker::start().await;
    broker.create_topic("offsets", 1);
    // One batch of 10 records, then a second batch of 10, over the raw protocol so the batch
    // boundaries are known exactly.
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let values: Vec<String> = (0..20).map(|i| format!("v{i}")).collect();
    let as_bytes: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
    for chunk in as_bytes.chunks(10) {
        let resp = conn.produce("offsets", 0, batch(chunk, now_ms(), None), -1).await;
        assert_eq!(resp.error_code, 0);
    }
    let batches = stored_batches(&broker, "offsets", 0);
    assert_eq!(
        batches.iter().map(|b| b.record_count).collect::<Vec<_>>(),
        vec![10, 10]
    );

    for start in [0i64, 3, 9, 10, 17, 19] {
        let messages = consume(
            &broker.bootstrap(),
            "offsets",
            &[(0, Offset::Offset(start))],
            (20 - start) as usize,
        )
        .await;
        let offsets: Vec<i64> = messages.iter().map(|m| m.offset()).collect();
        assert_eq!(offsets, (start..20).collect::<Vec<_>>(), "from {start}");
        let got: Vec<&[u8]> = messages.iter().map(|m| m.payload().unwrap()).collect();
        assert_eq!(got, as_bytes[start as usize..].to_vec(), "from {start}");
    }
    // From the end: only records produced after the consumer resolved "end". When that happens
    // is up to librdkafka, so records keep coming until one arrives; it must be one of them.
    let bootstrap = broker.bootstrap();
    let tail = tokio::task::spawn_blocking(move || {
        let c = consumer(&bootstrap);
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("offsets", 0, Offset::End).unwrap();
        c.assign(&tpl).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            if let Some(m) = c.poll(Duration::from_millis(100)) {
                let m = m.unwrap();
                return Some((m.offset(), m.payload().map(|p| p.to_vec())));
            }
        }
        None
    });
    let mut late = 0i64;
    while !tail.is_finished() && late < 50 {
        let value = format!("late-{late}");
        let resp = conn
            .produce("offsets", 0, batch(&[value.as_bytes()], now_ms(), None), 1)
            .await;
        assert_eq!(resp.base_offset, 20 + late);
        late += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (offset, payload) = tail.await.unwrap().expect("nothing consumed from the end");
    assert!(offset >= 20, "consumer from the end got old offset {offset}");
    assert_eq!(payload, Some(format!("late-{}", offset - 20).into_bytes()));
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_from_timestamps() {
    let broker = TestBroker::start().await;
    broker.create_topic("times", 2);
    let producer = new_producer(&broker.bootstrap(), &[("linger.ms", "0")]);
    let t0 = 1_700_000_000_000i64;
    // Partition 0: timestamps t0, t0+1000, ... ; partition 1: the same shifted by 500 ms.
    for i in 0..10i64 {
        for partition in 0..2 {
            let value = format!("p{partition}-{i}");
            let ts = t0 + i * 1000 + i64::from(partition) * 500;
            delivered(send(
                &producer,
                FutureRecord::to("times")
                    .partition(partition)
                    .payload(value.as_bytes())
                    .timestamp(ts),
            ))
            .await;
        }
    }
    let bootstrap = broker.bootstrap();
    let lookup = move |timestamps: Vec<(i32, i64)>| {
        let bootstrap = bootstrap.clone();
        tokio::task::spawn_blocking(move || {
            let c = consumer(&bootstrap);
            let mut tpl = TopicPartitionList::new();
            for (p, ts) in timestamps {
                tpl.add_partition_offset("times", p, Offset::Offset(ts)).unwrap();
            }
            let found = c.offsets_for_times(tpl, TIMEOUT).unwrap();
            let mut out: Vec<(i32, Offset)> = found
                .elements()
                .iter()
                .map(|e| {
                    assert!(e.error().is_ok(), "{:?}", e.error());
                    (e.partition(), e.offset())
                })
                .collect();
            out.sort_by_key(|(p, _)| *p);
            out
        })
    };
    // The first record with timestamp >= the one asked for.
    let found = lookup(vec![(0, t0 + 3500), (1, t0 + 3500)]).await.unwrap();
    assert_eq!(found, vec![(0, Offset::Offset(4)), (1, Offset::Offset(3))]);
    let found = lookup(vec![(0, t0), (1, t0 - 1)]).await.unwrap();
    assert_eq!(found, vec![(0, Offset::Offset(0)), (1, Offset::Offset(0))]);
    let found = lookup(vec![(0, t0 + 9000), (1, t0 + 9001)]).await.unwrap();
    assert_eq!(found, vec![(0, Offset::Offset(9)), (1, Offset::Offset(9))]);
    // Past every record: the end of the log.
    let found = lookup(vec![(0, t0 + 60_000), (1, t0 + 9501)]).await.unwrap();
    assert_eq!(found, vec![(0, Offset::End), (1, Offset::End)]);

    // And consuming from what was found starts at the right record: p0 from offset 7
    // (t0+7000), p1 from offset 6 (t0+6500).
    let found = lookup(vec![(0, t0 + 6200), (1, t0 + 6200)]).await.unwrap();
    assert_eq!(found, vec![(0, Offset::Offset(7)), (1, Offset::Offset(6))]);
    let messages = consume(&broker.bootstrap(), "times", &found, 3 + 4).await;
    let mut got: Vec<(i32, i64, String)> = messages
        .iter()
        .map(|m| {
            (
                m.partition(),
                m.timestamp().to_millis().unwrap(),
                String::from_utf8(m.payload().unwrap().to_vec()).unwrap(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(i32, i64, String)> = (7..10i64)
        .map(|i| (0, t0 + i * 1000, format!("p0-{i}")))
        .collect();
    want.extend((6..10i64).map(|i| (1, t0 + i * 1000 + 500, format!("p1-{i}"))));
    assert_eq!(got, want);
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watermarks_report_earliest_and_latest() {
    let broker = TestBroker::start().await;
    broker.create_topic("marks", 3);
    let producer = new_producer(&broker.bootstrap(), &[("linger.ms", "2")]);
    for p in 0..3 {
        assert_eq!(
            producer.client().fetch_watermarks("marks", p, TIMEOUT).unwrap(),
            (0, 0),
            "empty partition {p}"
        );
    }
    let counts = [7usize, 0, 31];
    let mut pending = Vec::new();
    for (p, &n) in counts.iter().enumerate() {
        for i in 0..n {
            let v = format!("{p}-{i}");
            pending.push(send(
                &producer,
                FutureRecord::to("marks")
                    .partition(p as i32)
                    .payload(v.as_bytes()),
            ));
        }
    }
    for f in pending {
        delivered(f).await;
    }
    for (p, &n) in counts.iter().enumerate() {
        assert_eq!(
            producer
                .client()
                .fetch_watermarks("marks", p as i32, TIMEOUT)
                .unwrap(),
            (0, n as i64),
            "partition {p}"
        );
    }
    // The consumer's ListOffsets path agrees.
    let bootstrap = broker.bootstrap();
    let marks =
        tokio::task::spawn_blocking(move || consumer(&bootstrap).fetch_watermarks("marks", 2, TIMEOUT))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(marks, (0, 31));
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_auto_creates_topics_when_allowed() {
    let broker = TestBroker::start_with(|c| c.default_partitions = 3).await;
    let producer = new_producer(&broker.bootstrap(), &[]);
    // librdkafka producers ask for auto-creation in Metadata requests.
    let metadata = producer
        .client()
        .fetch_metadata(Some("auto-made"), TIMEOUT)
        .unwrap();
    let topic = &metadata.topics()[0];
    assert_eq!(topic.name(), "auto-made");
    assert!(topic.error().is_none(), "{:?}", topic.error());
    assert_eq!(topic.partitions().len(), 3);
    assert_eq!(
        broker.handle.store().topic("auto-made").unwrap().partitions.len(),
        3
    );
    // Producing to an unknown topic creates it as well.
    let d = delivered(send(
        &producer,
        FutureRecord::to("auto-produced").payload(&b"x"[..]),
    ))
    .await;
    assert_eq!(d.offset, 0);
    assert!(broker.handle.store().topic("auto-produced").is_some());

    // Consumers do not ask for auto-creation (allow.auto.create.topics=false by default).
    let bootstrap = broker.bootstrap();
    let md = tokio::task::spawn_blocking(move || {
        consumer(&bootstrap).fetch_metadata(Some("not-by-consumers"), TIMEOUT)
    })
    .await
    .unwrap()
    .unwrap();
    assert!(md.topics()[0].error().is_some());
    assert!(broker.handle.store().topic("not-by-consumers").is_none());
    broker.handle.shutdown().await.unwrap();

    // A broker with auto-creation off never creates topics on Metadata.
    let strict = TestBroker::start_with(|c| c.auto_create_topics = false).await;
    let strict_producer = new_producer(&strict.bootstrap(), &[]);
    let md = strict_producer
        .client()
        .fetch_metadata(Some("auto-made"), TIMEOUT)
        .unwrap();
    assert!(md.topics()[0].error().is_some());
    assert!(strict.handle.store().topic("auto-made").is_none());
    strict.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn high_watermark_is_exact_after_pipelined_produce() {
    let broker = TestBroker::start().await;
    for (topic, acks) in [("pipelined-acks1", "1"), ("pipelined-acksall", "all")] {
        broker.create_topic(topic, 2);
        // Tiny batches and no linger: thousands of records become hundreds of produce requests
        // in flight on one connection.
        let producer = new_producer(
            &broker.bootstrap(),
            &[
                ("acks", acks),
                ("linger.ms", "0"),
                ("batch.num.messages", "4"),
                ("max.in.flight.requests.per.connection", "1000"),
            ],
        );
        let count = 4000usize;
        let pending: Vec<DeliveryFuture> = (0..count)
            .map(|i| {
                let v = format!("r{i}");
                send(
                    &producer,
                    FutureRecord::to(topic)
                        .partition((i % 2) as i32)
                        .payload(v.as_bytes()),
                )
            })
            .collect();
        let mut acked = [0i64; 2];
        for f in pending {
            let d = delivered(f).await;
            acked[d.partition as usize] += 1;
        }
        // Immediately after the last ack, with no waiting: watermarks count every acked record.
        for p in 0..2 {
            let (low, high) = producer.client().fetch_watermarks(topic, p, TIMEOUT).unwrap();
            assert_eq!((low, high), (0, acked[p as usize]), "{topic} partition {p}");
            assert_eq!(broker.log_end_offset(topic, p), acked[p as usize]);
        }
        assert_eq!(acked.iter().sum::<i64>(), count as i64);
        let batches = stored_batches(&broker, topic, 0).len();
        assert!(
            batches > 50,
            "{topic}: only {batches} batches, the produce was not pipelined"
        );
    }
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_pipelined_produce_is_answered_in_order_with_contiguous_offsets() {
    let broker = TestBroker::start().await;
    broker.create_topic("raw-pipeline", 1);
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let requests = 300;
    let mut frames = Vec::new();
    let mut correlation_ids = Vec::new();
    for i in 0..requests {
        let values: Vec<String> = (0..(1 + i % 5)).map(|j| format!("{i}-{j}")).collect();
        let refs: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
        // Alternate acks=1 and acks=all so fsync-deferred replies interleave with immediate ones.
        let acks = if i % 2 == 0 { 1 } else { -1 };
        let req = produce_request("raw-pipeline", 0, batch(&refs, now_ms(), None), acks);
        let correlation_id = 1000 + i;
        frames.extend_from_slice(&encode_frame(&req, common::raw::PRODUCE_VERSION, correlation_id));
        correlation_ids.push((correlation_id, refs.len() as i64));
    }
    // Every request written before any reply is read.
    conn.send_raw(&frames).await;
    let mut next_offset = 0;
    for (correlation_id, records) in correlation_ids {
        let mut body = conn
            .read_reply(
                correlation_id,
                ProduceResponse::header_version(common::raw::PRODUCE_VERSION),
            )
            .await;
        let resp = ProduceResponse::decode(&mut body, common::raw::PRODUCE_VERSION).unwrap();
        let p = &resp.responses[0].partition_responses[0];
        assert_eq!(p.error_code, 0);
        assert_eq!(p.base_offset, next_offset, "request {correlation_id}");
        next_offset += records;
    }
    assert_eq!(conn.list_offset("raw-pipeline", 0, -1).await, (0, next_offset));
    let (records, high_watermark) = conn.fetch_records("raw-pipeline", 0, 0).await;
    assert_eq!(high_watermark, next_offset);
    assert_eq!(records.len() as i64, next_offset);
    let first: Vec<Bytes> = records.iter().take(3).map(|r| r.value.clone().unwrap()).collect();
    assert_eq!(first, vec![&b"0-0"[..], b"1-0", b"1-1"]);
    broker.handle.shutdown().await.unwrap();
}
