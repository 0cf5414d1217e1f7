//! Batches whose header and CRC are valid but whose records are not (issue 14, defect 2): each is
//! refused with Kafka's error code, nothing is written, and an rdkafka consumer still reads the
//! partition afterwards. Before record-level validation such a batch was stored, and librdkafka
//! consumers then stalled silently at its offset.
// Helper functions outside #[test] unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use crate::common;

use bytes::Bytes;
use common::raw::{RawConnection, batch};
use common::{TestBroker, consume};
use kafka_protocol::ResponseError;
use rdkafka::Offset;
use rdkafka::message::Message;

const TOPIC: &str = "records";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn put_varint(value: i64, out: &mut Vec<u8>) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// One record (null key, no headers) with the given offset delta.
fn record(offset_delta: i64, value: &[u8], out: &mut Vec<u8>) {
    let mut body = vec![0u8]; // attributes
    put_varint(offset_delta, &mut body); // timestampDelta
    put_varint(offset_delta, &mut body);
    put_varint(-1, &mut body); // null key
    put_varint(value.len() as i64, &mut body);
    body.extend_from_slice(value);
    put_varint(0, &mut body); // no headers
    put_varint(body.len() as i64, out);
    out.extend_from_slice(&body);
}

/// A v2 batch around `section` with the given header fields and a correct CRC, so only
/// record-level checks can tell it is bad.
fn batch_around(section: &[u8], record_count: i32, last_offset_delta: i32, codec: i16) -> Bytes {
    let ts = now_ms();
    let mut out = Vec::new();
    out.extend_from_slice(&0i64.to_be_bytes());
    out.extend_from_slice(&(49 + section.len() as i32).to_be_bytes());
    out.extend_from_slice(&(-1i32).to_be_bytes()); // partition leader epoch
    out.push(2);
    out.extend_from_slice(&[0; 4]); // crc, below
    out.extend_from_slice(&codec.to_be_bytes());
    out.extend_from_slice(&last_offset_delta.to_be_bytes());
    out.extend_from_slice(&ts.to_be_bytes());
    out.extend_from_slice(&(ts + i64::from(last_offset_delta)).to_be_bytes());
    out.extend_from_slice(&(-1i64).to_be_bytes()); // producer id
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out.extend_from_slice(&(-1i32).to_be_bytes());
    out.extend_from_slice(&record_count.to_be_bytes());
    out.extend_from_slice(section);
    let crc = crc32c::crc32c(&out[21..]);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    Bytes::from(out)
}

fn bad_batches() -> Vec<(&'static str, Bytes, ResponseError)> {
    let mut two = Vec::new();
    record(0, b"bad-0", &mut two);
    record(1, b"bad-1", &mut two);

    // (a) the last record's length runs past the end of the batch.
    let truncated = batch_around(&two[..two.len() - 3], 2, 1, 0);
    // (b) offset deltas 0, 0 instead of 0, 1: consumers would see offsets go backwards.
    let mut same_delta = Vec::new();
    record(0, b"bad-0", &mut same_delta);
    record(0, b"bad-1", &mut same_delta);
    let wrong_deltas = batch_around(&same_delta, 2, 1, 0);
    // (c) three records declared (count and lastOffsetDelta agree), two present.
    let count_too_large = batch_around(&two, 3, 2, 0);
    // (d) gzip attribute, but the payload is not gzip.
    let garbage_gzip = batch_around(b"\x1f\x8b this is not a gzip stream at all", 2, 1, 1);
    // Records left over after the declared count.
    let trailing = batch_around(&two, 1, 0, 0);
    vec![
        ("truncated record", truncated, ResponseError::InvalidRecord),
        ("wrong offset deltas", wrong_deltas, ResponseError::InvalidRecord),
        (
            "record count larger than the records",
            count_too_large,
            ResponseError::InvalidRecord,
        ),
        (
            "garbage compressed payload",
            garbage_gzip,
            ResponseError::CorruptMessage,
        ),
        (
            "records after the declared count",
            trailing,
            ResponseError::InvalidRecord,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_records_with_a_valid_crc_are_rejected_and_the_partition_stays_readable() {
    let broker = TestBroker::start().await;
    broker.create_topic(TOPIC, 1);
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let resp = conn
        .produce(TOPIC, 0, batch(&[b"before"], now_ms(), None), -1)
        .await;
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);

    // The hand-built encoding is right: a well-formed batch of it is accepted.
    let mut good = Vec::new();
    record(0, b"good-0", &mut good);
    record(1, b"good-1", &mut good);
    let resp = conn.produce(TOPIC, 0, batch_around(&good, 2, 1, 0), -1).await;
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
    assert_eq!(resp.base_offset, 1);

    for (name, records, expected) in bad_batches() {
        let resp = conn.produce(TOPIC, 0, records, -1).await;
        assert_eq!(
            resp.error_code,
            expected.code(),
            "{name}: got error code {} ({:?})",
            resp.error_code,
            resp.error_message
        );
        assert_eq!(resp.base_offset, -1, "{name}");
        assert!(resp.error_message.is_some(), "{name}: no error message");
        assert_eq!(broker.log_end_offset(TOPIC, 0), 3, "{name} changed the log");
    }

    // A valid batch after the rejected ones is appended right behind the earlier ones, and a
    // librdkafka consumer reads everything from the start without stalling.
    let resp = conn
        .produce(TOPIC, 0, batch(&[b"after"], now_ms(), None), -1)
        .await;
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
    assert_eq!(resp.base_offset, 3);
    let messages = consume(&broker.bootstrap(), TOPIC, &[(0, Offset::Beginning)], 4).await;
    let read: Vec<(i64, Bytes)> = messages
        .iter()
        .map(|m| (m.offset(), Bytes::copy_from_slice(m.payload().unwrap())))
        .collect();
    assert_eq!(
        read,
        vec![
            (0, Bytes::from_static(b"before")),
            (1, Bytes::from_static(b"good-0")),
            (2, Bytes::from_static(b"good-1")),
            (3, Bytes::from_static(b"after")),
        ]
    );
}
