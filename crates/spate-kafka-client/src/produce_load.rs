//! A produce load generator for broker benchmarks (`spate bench produce`): one record batch per
//! partition built once, then sent again and again in Produce requests over several raw
//! connections with several requests in flight on each, so that the broker and not the client
//! is the limit. librdkafka's `rdkafka_performance` built every message and batch anew and
//! used more than a core of this 2-core machine in every produce run while the brokers it
//! measured used 0.2–0.8 (BENCHMARKS.md, session 23), so it could not tell two brokers apart.
//!
//! Each connection goes to the leader of its partitions (connection `c` sends to partitions
//! `c, c + connections, ...` in turn) and pipelines up to `in_flight` requests: it writes until
//! that many are unanswered, then reads one reply. Every reply is checked: an error code on any
//! partition fails the run, so a figure is only reported for records the broker acknowledged.
//! The batches are not idempotent (producer id -1): the broker gives every copy new offsets.

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, ProduceRequest, ProduceResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use kafka_protocol::records::{Record, TimestampType};

use crate::ClientError;
use crate::broker_connection::{BrokerConnection, check, millis};
use crate::client_stream::ClientStream;
use crate::record_batch::encode_uncompressed;

/// Produce versions this generator speaks: v3 is the first with v2 record batches.
const PRODUCE_VERSIONS: (i16, i16) = (3, 9);
/// Largest reply accepted (a Produce reply of one partition is under a hundred bytes).
const MAX_REPLY_BYTES: usize = 1 << 20;

/// What to send.
#[derive(Debug, Clone)]
pub struct ProduceLoad {
    /// Any broker of the cluster (`host:port`).
    pub bootstrap: String,
    /// The topic; it must exist with at least `partitions` partitions.
    pub topic: String,
    /// Partitions written, `0..partitions`.
    pub partitions: i32,
    /// Connections, each on its own thread.
    pub connections: usize,
    /// Requests sent ahead of their replies on one connection (librdkafka's default is 5).
    pub in_flight: usize,
    /// Bytes of each record's value (no key, no headers).
    pub record_bytes: usize,
    /// Records in each batch (one batch per request).
    pub batch_records: usize,
    /// `1` (the leader's append) or `-1` (all in-sync replicas; Spate's broker syncs to disk
    /// first under its default flush policy).
    pub acks: i16,
    /// Requests sent in all.
    pub requests: u64,
    /// Socket timeout, and how long a request may wait for its reply.
    pub timeout: Duration,
}

/// What the broker acknowledged, and how long it took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProduceLoadReport {
    /// Records acknowledged.
    pub records: u64,
    /// Bytes of their values.
    pub value_bytes: u64,
    /// Bytes of their batches as sent (headers and framing of the records included).
    pub batch_bytes: u64,
    /// From the first request sent to the last reply read.
    pub elapsed: Duration,
}

impl ProduceLoadReport {
    /// Records per second.
    pub fn records_per_second(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Sends `load` and waits for every reply.
pub fn run(load: &ProduceLoad) -> Result<ProduceLoadReport, ClientError> {
    if load.partitions < 1 || load.connections < 1 || load.in_flight < 1 || load.batch_records < 1 {
        return Err(ClientError::Config(
            "partitions, connections, in-flight requests and batch records must be at least 1".into(),
        ));
    }
    if !matches!(load.acks, 1 | -1) {
        return Err(ClientError::Config(format!(
            "acks must be 1 or -1 (all), not {}: without replies nothing is known to be stored",
            load.acks
        )));
    }
    let mut admin = BrokerConnection::connect_to(&load.bootstrap, load.timeout)?;
    let version = admin.require(ApiKey::Produce, PRODUCE_VERSIONS)?;
    let batch = record_batch(load.record_bytes, load.batch_records)?;
    let connections = load
        .connections
        .min(usize::try_from(load.partitions).unwrap_or(usize::MAX));
    let mut plans = Vec::with_capacity(connections);
    for c in 0..connections {
        let partitions: Vec<i32> = (0..load.partitions)
            .filter(|p| usize::try_from(*p).is_ok_and(|p| p % connections == c))
            .collect();
        // One leader per connection: a cluster whose leaders of one connection's partitions
        // differ gets the first one's, which answers NOT_LEADER for the others (and fails the run).
        let (host, port) = admin.leader_of(&load.topic, partitions[0])?;
        let requests =
            load.requests / connections as u64 + u64::from((c as u64) < load.requests % connections as u64);
        let frames = partitions
            .iter()
            .map(|&p| request_frame(&load.topic, p, &batch, load.acks, load.timeout, version))
            .collect::<Result<Vec<_>, _>>()?;
        plans.push((format!("{host}:{port}"), frames, requests));
    }
    let start = Instant::now();
    let results: Vec<Result<u64, ClientError>> = thread::scope(|s| {
        let workers: Vec<_> = plans
            .into_iter()
            .map(|(address, frames, requests)| {
                s.spawn(move || send_all(&address, frames, requests, load.in_flight, load.timeout, version))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| {
                    Err(ClientError::Protocol(
                        "a load connection's thread panicked".into(),
                    ))
                })
            })
            .collect()
    });
    let elapsed = start.elapsed();
    let mut requests = 0;
    for r in results {
        requests += r?;
    }
    let records = requests * load.batch_records as u64;
    Ok(ProduceLoadReport {
        records,
        value_bytes: records * load.record_bytes as u64,
        batch_bytes: requests * batch.len() as u64,
        elapsed,
    })
}

/// One uncompressed v2 batch of `records` records with `value_bytes`-byte values (printable
/// bytes that vary from record to record), timestamped now.
fn record_batch(value_bytes: usize, records: usize) -> Result<Bytes, ClientError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let records: Vec<Record> = (0..records)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder keeps records in one batch while offset - sequence stays the same;
            // the batch's base sequence is the first record's, -1 as without idempotence.
            sequence: i as i32 - 1,
            timestamp: now,
            key: None,
            value: Some(Bytes::from(
                (0..value_bytes)
                    .map(|j| b'a' + ((i + j) % 26) as u8)
                    .collect::<Vec<u8>>(),
            )),
            headers: Default::default(),
        })
        .collect();
    encode_uncompressed(&records, "the load's record batch")
}

/// A whole Produce request frame (length prefix included) of `batch` to one partition, with
/// correlation id 0 (each send writes its own into bytes 8..12).
fn request_frame(
    topic: &str,
    partition: i32,
    batch: &Bytes,
    acks: i16,
    timeout: Duration,
    version: i16,
) -> Result<Vec<u8>, ClientError> {
    let codec = |e: String| ClientError::Protocol(format!("Produce v{version}: {e}"));
    let request = ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(millis(timeout))
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(partition)
                        .with_records(Some(batch.clone())),
                ]),
        ]);
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    RequestHeader::default()
        .with_request_api_key(ApiKey::Produce as i16)
        .with_request_api_version(version)
        .with_correlation_id(0)
        .with_client_id(Some(StrBytes::from_static_str("spate-bench-produce")))
        .encode(&mut buf, ProduceRequest::header_version(version))
        .map_err(|e| codec(e.to_string()))?;
    request
        .encode(&mut buf, version)
        .map_err(|e| codec(e.to_string()))?;
    let len = i32::try_from(buf.len() - 4).map_err(|_| codec("request too large".into()))?;
    buf[..4].copy_from_slice(&len.to_be_bytes());
    Ok(buf.to_vec())
}

/// Sends `requests` requests over one connection to `address`, cycling through `frames`, with up
/// to `in_flight` unanswered; every reply is read and checked. Returns the requests acknowledged.
fn send_all(
    address: &str,
    mut frames: Vec<Vec<u8>>,
    requests: u64,
    in_flight: usize,
    timeout: Duration,
    version: i16,
) -> Result<u64, ClientError> {
    let mut stream = ClientStream::connect(address, timeout, None)?;
    let io = |e: std::io::Error| ClientError::Unreachable(format!("Produce to {address}: {e}"));
    let kinds = frames.len() as u64;
    let (mut sent, mut answered) = (0u64, 0u64);
    let mut reply = Vec::new();
    while answered < requests {
        while sent < requests && sent - answered < in_flight as u64 {
            let frame = &mut frames[(sent % kinds) as usize];
            // Correlation ids count requests on this connection; replies come back in order.
            frame[8..12].copy_from_slice(&(sent as i32).to_be_bytes());
            stream.write_all(frame).map_err(io)?;
            sent += 1;
        }
        let mut len = [0u8; 4];
        stream.read_exact(&mut len).map_err(io)?;
        let len = usize::try_from(i32::from_be_bytes(len)).unwrap_or(usize::MAX);
        if !(4..=MAX_REPLY_BYTES).contains(&len) {
            return Err(ClientError::Protocol(format!(
                "Produce v{version}: reply frame of {len} bytes"
            )));
        }
        reply.resize(len, 0);
        stream.read_exact(&mut reply).map_err(io)?;
        check_reply(&reply, answered as i32, version)?;
        answered += 1;
    }
    Ok(answered)
}

/// Fails unless `reply` answers request `correlation_id` with no error on any partition.
fn check_reply(reply: &[u8], correlation_id: i32, version: i16) -> Result<(), ClientError> {
    let codec = |e: String| ClientError::Protocol(format!("Produce v{version}: {e}"));
    let mut body = Bytes::copy_from_slice(reply);
    let header = ResponseHeader::decode(&mut body, ProduceResponse::header_version(version))
        .map_err(|e| codec(e.to_string()))?;
    if header.correlation_id != correlation_id {
        return Err(codec(format!(
            "reply for correlation id {} instead of {correlation_id}",
            header.correlation_id
        )));
    }
    let resp = ProduceResponse::decode(&mut body, version).map_err(|e| codec(e.to_string()))?;
    if body.has_remaining() {
        return Err(codec(format!("{} bytes left after the reply", body.remaining())));
    }
    for topic in &resp.responses {
        for p in &topic.partition_responses {
            check(
                p.error_code,
                &format!("Produce({}-{})", topic.name.0.as_str(), p.index),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_batch_is_one_valid_batch_of_the_records_asked_for() {
        let batch = record_batch(30, 50).expect("encodes");
        let headers = spate_log::validate_request(&batch).expect("valid");
        assert_eq!(headers.len(), 1);
        assert_eq!(headers[0].record_count, 50);
        // Not idempotent: the broker gives every copy of it new offsets.
        assert_eq!((headers[0].producer_id, headers[0].base_sequence), (-1, -1));
    }
}
