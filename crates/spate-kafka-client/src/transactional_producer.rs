//! A transactional producer on the Kafka protocol, for Kafka's exactly-once model v2 (KIP-447):
//! one producer per process, whose transactions carry its output records *and* the consumed
//! offsets of a group member, checked by the group coordinator against the member's
//! generation, so a zombie whose work moved cannot commit.
//!
//! rdkafka's `send_offsets_to_transaction` takes the group metadata of an rdkafka consumer;
//! a process whose group membership is Spate's own ([`crate::GroupMember`]) has none, so this
//! producer speaks the requests itself: InitProducerId, AddPartitionsToTxn, idempotent
//! Produce (acks=all), AddOffsetsToTxn, TxnOffsetCommit and EndTxn.
//!
//! Contracts:
//! - Records are buffered per partition until [`TransactionalProducer::flush`] (also done by
//!   `commit`); a partition joins the transaction (AddPartitionsToTxn) before its first
//!   Produce. Sequence numbers continue per partition across transactions.
//! - A retriable error (a leader move, a timeout, the previous transaction still completing)
//!   is retried until the request timeout, resending the same batch with the same sequence
//!   (the broker deduplicates).
//! - `PRODUCER_FENCED`, `INVALID_PRODUCER_EPOCH` (another instance took the transactional
//!   id), `ILLEGAL_GENERATION`, `UNKNOWN_MEMBER_ID`, `FENCED_INSTANCE_ID` (the member's work
//!   moved) are returned as [`ClientError::Code`]: the caller aborts, or, when fenced, stops.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::ResponseError;
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, ApiKey, GroupId, ProduceRequest, ProducerId,
    TopicName, TransactionalId, TxnOffsetCommitRequest,
};
use kafka_protocol::records::{Record, TimestampType};

use crate::broker_connection::{check, is_coordinator_error, millis, str_bytes};
use crate::record_batch::encode_uncompressed;
use crate::{BrokerConnection, ClientError, ClientSecurity};

/// A batch is cut at this many bytes of keys and values (Kafka's `batch.size` is 16 KB; whole
/// commit intervals are flushed at once here, and `max.message.bytes` is 1 MB by default).
const BATCH_BYTES: usize = 512 * 1024;
/// Pause before repeating a retriable request.
const RETRY_BACKOFF: Duration = Duration::from_millis(20);

/// One record to produce.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutRecord {
    /// The key (`None` = null).
    pub key: Option<Bytes>,
    /// The value (`None` = a tombstone).
    pub value: Option<Bytes>,
    /// Headers, in order.
    pub headers: Vec<(String, Option<Bytes>)>,
    /// Creation time, ms since the epoch.
    pub timestamp: i64,
}

/// A group member as a transactional offset commit names it (Kafka's
/// `ConsumerGroupMetadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMetadata {
    /// The group.
    pub group_id: String,
    /// The member's generation.
    pub generation_id: i32,
    /// The member id.
    pub member_id: String,
    /// The static instance id, if any.
    pub group_instance_id: Option<String>,
}

/// How the producer connects and times out.
#[derive(Debug, Clone)]
pub struct TxnProducerConfig {
    /// Any brokers of the cluster (comma-separated `host:port`).
    pub bootstrap: String,
    /// TLS and SASL for every connection.
    pub security: ClientSecurity,
    /// The transactional id: one per process of a distributed job.
    pub transactional_id: String,
    /// `transaction.timeout.ms`: the coordinator aborts a transaction open longer.
    pub transaction_timeout: Duration,
    /// How long one request (with its retries) may take.
    pub request_timeout: Duration,
}

/// A transactional producer (see the module docs).
#[derive(Debug)]
pub struct TransactionalProducer {
    config: TxnProducerConfig,
    coordinator: BrokerConnection,
    /// Connections by broker address (leaders, the group coordinator).
    brokers: HashMap<String, BrokerConnection>,
    leaders: HashMap<(String, i32), String>,
    /// Coordinator address by group (for `TxnOffsetCommit`).
    group_coordinators: HashMap<String, String>,
    producer_id: i64,
    epoch: i16,
    sequences: HashMap<(String, i32), i32>,
    in_transaction: bool,
    /// Partitions already added to the open transaction.
    added: HashSet<(String, i32)>,
    /// Groups whose offsets the open transaction carries already.
    offset_groups: HashSet<String>,
    pending: BTreeMap<(String, i32), Vec<OutRecord>>,
}

impl TransactionalProducer {
    /// Connects to the transaction coordinator and takes the transactional id
    /// (InitProducerId): an older instance's open transaction is aborted and the instance is
    /// fenced.
    pub fn init(config: TxnProducerConfig) -> Result<Self, ClientError> {
        let mut coordinator = BrokerConnection::connect_with(
            &config.bootstrap,
            &config.transactional_id,
            config.request_timeout,
            &config.security,
        )?;
        let timeout_ms = millis(config.transaction_timeout);
        let deadline = Instant::now() + config.request_timeout;
        let (producer_id, epoch) = loop {
            match coordinator.init_producer_id(&config.transactional_id, timeout_ms) {
                Err(ClientError::Code { code, .. }) if is_retriable(code) && Instant::now() < deadline => {
                    std::thread::sleep(RETRY_BACKOFF);
                }
                other => break other?,
            }
        };
        Ok(TransactionalProducer {
            config,
            coordinator,
            brokers: HashMap::new(),
            leaders: HashMap::new(),
            group_coordinators: HashMap::new(),
            producer_id,
            epoch,
            sequences: HashMap::new(),
            in_transaction: false,
            added: HashSet::new(),
            offset_groups: HashSet::new(),
            pending: BTreeMap::new(),
        })
    }

    /// `(producer id, epoch)` this instance holds.
    pub fn producer(&self) -> (i64, i16) {
        (self.producer_id, self.epoch)
    }

    /// Starts a transaction (local only: the coordinator learns of it with the first
    /// partition or offsets added).
    pub fn begin(&mut self) -> Result<(), ClientError> {
        if self.in_transaction {
            return Err(ClientError::Protocol(format!(
                "transactional id {}: a transaction is already open",
                self.config.transactional_id
            )));
        }
        self.in_transaction = true;
        Ok(())
    }

    /// Buffers `record` for `topic`-`partition` in the open transaction.
    pub fn send(&mut self, topic: &str, partition: i32, record: OutRecord) -> Result<(), ClientError> {
        self.require_transaction()?;
        self.pending
            .entry((topic.to_string(), partition))
            .or_default()
            .push(record);
        Ok(())
    }

    /// Writes every buffered record (acks=all), adding new partitions to the transaction
    /// first.
    pub fn flush(&mut self) -> Result<(), ClientError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.require_transaction()?;
        let new: Vec<(String, i32)> = self
            .pending
            .keys()
            .filter(|k| !self.added.contains(*k))
            .cloned()
            .collect();
        if !new.is_empty() {
            self.add_partitions(&new)?;
            self.added.extend(new);
        }
        let pending = std::mem::take(&mut self.pending);
        for ((topic, partition), records) in pending {
            for chunk in chunks(&records) {
                self.produce(&topic, partition, chunk)?;
            }
        }
        Ok(())
    }

    /// Adds `offsets` (`topic`, `partition`, next offset to read, metadata) of `group`'s
    /// member to the open transaction: they are committed with it, if the member is still in
    /// its generation.
    pub fn send_offsets(
        &mut self,
        group: &GroupMetadata,
        offsets: &[(String, i32, i64, Option<String>)],
    ) -> Result<(), ClientError> {
        self.require_transaction()?;
        if !self.offset_groups.contains(&group.group_id) {
            let version = self.coordinator.require(ApiKey::AddOffsetsToTxn, (1, 3))?;
            let req = AddOffsetsToTxnRequest::default()
                .with_transactional_id(self.txn_id())
                .with_producer_id(ProducerId(self.producer_id))
                .with_producer_epoch(self.epoch)
                .with_group_id(GroupId(str_bytes(&group.group_id)));
            let what = format!(
                "AddOffsetsToTxn({}, group {})",
                self.config.transactional_id, group.group_id
            );
            self.retrying(&what, |p| {
                let r = p.coordinator.call(&req, version)?;
                Ok(r.error_code)
            })?;
            self.offset_groups.insert(group.group_id.clone());
        }
        let mut by_topic: BTreeMap<&str, Vec<TxnOffsetCommitRequestPartition>> = BTreeMap::new();
        for (topic, partition, offset, metadata) in offsets {
            by_topic.entry(topic).or_default().push(
                TxnOffsetCommitRequestPartition::default()
                    .with_partition_index(*partition)
                    .with_committed_offset(*offset)
                    .with_committed_metadata(metadata.as_deref().map(str_bytes)),
            );
        }
        let req = TxnOffsetCommitRequest::default()
            .with_transactional_id(self.txn_id())
            .with_group_id(GroupId(str_bytes(&group.group_id)))
            .with_producer_id(ProducerId(self.producer_id))
            .with_producer_epoch(self.epoch)
            .with_generation_id(group.generation_id)
            .with_member_id(str_bytes(&group.member_id))
            .with_group_instance_id(group.group_instance_id.as_deref().map(str_bytes))
            .with_topics(
                by_topic
                    .into_iter()
                    .map(|(t, ps)| {
                        TxnOffsetCommitRequestTopic::default()
                            .with_name(TopicName(str_bytes(t)))
                            .with_partitions(ps)
                    })
                    .collect(),
            );
        let what = format!(
            "TxnOffsetCommit(group {}, generation {})",
            group.group_id, group.generation_id
        );
        self.retrying(&what, |p| {
            let address = p.group_coordinator(&group.group_id)?;
            let conn = p.broker(&address)?;
            // v3 is the first to carry the member and generation (KIP-447).
            let version = conn.require(ApiKey::TxnOffsetCommit, (3, 3))?;
            let reply = conn.call(&req, version);
            if reply.is_err() {
                p.forget(&address);
                p.group_coordinators.remove(&group.group_id);
            }
            let code = reply?
                .topics
                .iter()
                .flat_map(|t| t.partitions.iter())
                .map(|p| p.error_code)
                .find(|c| *c != 0)
                .unwrap_or(0);
            if is_coordinator_error(code) {
                p.group_coordinators.remove(&group.group_id);
            }
            Ok(code)
        })
    }

    /// Flushes and commits the open transaction.
    pub fn commit(&mut self) -> Result<(), ClientError> {
        self.flush()?;
        self.end(true)
    }

    /// Drops what is buffered and aborts the open transaction.
    pub fn abort(&mut self) -> Result<(), ClientError> {
        self.pending.clear();
        self.end(false)
    }

    fn end(&mut self, commit: bool) -> Result<(), ClientError> {
        self.require_transaction()?;
        let touched = !self.added.is_empty() || !self.offset_groups.is_empty();
        if touched {
            let (id, pid, epoch) = (self.config.transactional_id.clone(), self.producer_id, self.epoch);
            let deadline = Instant::now() + self.config.request_timeout;
            loop {
                match self.coordinator.end_txn(&id, pid, epoch, commit) {
                    Err(ClientError::Code { code, .. })
                        if is_retriable(code) && Instant::now() < deadline =>
                    {
                        std::thread::sleep(RETRY_BACKOFF);
                    }
                    other => {
                        other?;
                        break;
                    }
                }
            }
        }
        self.in_transaction = false;
        self.added.clear();
        self.offset_groups.clear();
        Ok(())
    }

    fn add_partitions(&mut self, partitions: &[(String, i32)]) -> Result<(), ClientError> {
        let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for (t, p) in partitions {
            by_topic.entry(t).or_default().push(*p);
        }
        let topics: Vec<AddPartitionsToTxnTopic> = by_topic
            .into_iter()
            .map(|(t, ps)| {
                AddPartitionsToTxnTopic::default()
                    .with_name(TopicName(str_bytes(t)))
                    .with_partitions(ps)
            })
            .collect();
        // v0..=3 (the producer's own call; v4 is the brokers' batched form).
        let version = self.coordinator.require(ApiKey::AddPartitionsToTxn, (1, 3))?;
        let req = AddPartitionsToTxnRequest::default()
            .with_v3_and_below_transactional_id(self.txn_id())
            .with_v3_and_below_producer_id(ProducerId(self.producer_id))
            .with_v3_and_below_producer_epoch(self.epoch)
            .with_v3_and_below_topics(topics);
        let what = format!("AddPartitionsToTxn({})", self.config.transactional_id);
        self.retrying(&what, |p| {
            let r = p.coordinator.call(&req, version)?;
            Ok(r.results_by_topic_v3_and_below
                .iter()
                .flat_map(|t| t.results_by_partition.iter())
                .map(|p| p.partition_error_code)
                .find(|c| *c != 0)
                .unwrap_or(0))
        })
    }

    /// Produces one batch of `records` to `topic`-`partition` with the next sequence numbers.
    fn produce(&mut self, topic: &str, partition: i32, records: &[OutRecord]) -> Result<(), ClientError> {
        let key = (topic.to_string(), partition);
        let base = self.sequences.get(&key).copied().unwrap_or(0);
        let batch = encode_batch(records, self.producer_id, self.epoch, base)?;
        let timeout_ms = millis(self.config.request_timeout);
        let req = ProduceRequest::default()
            .with_transactional_id(Some(self.txn_id()))
            .with_acks(-1)
            .with_timeout_ms(timeout_ms)
            .with_topic_data(vec![
                TopicProduceData::default()
                    .with_name(TopicName(str_bytes(topic)))
                    .with_partition_data(vec![
                        PartitionProduceData::default()
                            .with_index(partition)
                            .with_records(Some(batch)),
                    ]),
            ]);
        let what = format!("Produce({topic}-{partition})");
        self.retrying(&what, |p| {
            let address = p.leader(topic, partition)?;
            let conn = p.broker(&address)?;
            let version = conn.require(ApiKey::Produce, (3, 9))?;
            let r = conn.call(&req, version);
            if r.is_err() {
                p.forget(&address);
            }
            let code = r?
                .responses
                .iter()
                .flat_map(|t| t.partition_responses.iter())
                .map(|p| p.error_code)
                .find(|c| *c != 0)
                .unwrap_or(0);
            if matches!(
                ResponseError::try_from_code(code),
                Some(ResponseError::NotLeaderOrFollower | ResponseError::UnknownTopicOrPartition)
            ) {
                p.leaders.remove(&(topic.to_string(), partition));
            }
            Ok(code)
        })?;
        let next = spate_log_sequence(base, records.len());
        self.sequences.insert(key, next);
        Ok(())
    }

    /// Runs `call` (which returns a Kafka error code) until it succeeds, fails for good, or the
    /// request timeout passes.
    fn retrying(
        &mut self,
        what: &str,
        mut call: impl FnMut(&mut Self) -> Result<i16, ClientError>,
    ) -> Result<(), ClientError> {
        let deadline = Instant::now() + self.config.request_timeout;
        loop {
            let outcome = call(self);
            let retry = match &outcome {
                Ok(0) => return Ok(()),
                Ok(code) => is_retriable(*code),
                Err(ClientError::Unreachable(_)) => true,
                Err(_) => false,
            };
            if !retry || Instant::now() >= deadline {
                return match outcome {
                    Ok(code) => check(code, what),
                    Err(e) => Err(e),
                };
            }
            std::thread::sleep(RETRY_BACKOFF);
        }
    }

    fn leader(&mut self, topic: &str, partition: i32) -> Result<String, ClientError> {
        if let Some(a) = self.leaders.get(&(topic.to_string(), partition)) {
            return Ok(a.clone());
        }
        let (host, port) = self.coordinator.leader_of(topic, partition)?;
        let address = format!("{host}:{port}");
        self.leaders
            .insert((topic.to_string(), partition), address.clone());
        Ok(address)
    }

    /// The address of `group`'s coordinator, asked for once and kept until a request to it
    /// fails or says it moved.
    fn group_coordinator(&mut self, group: &str) -> Result<String, ClientError> {
        if let Some(a) = self.group_coordinators.get(group) {
            return Ok(a.clone());
        }
        let mut address = String::new();
        self.retrying(&format!("FindCoordinator(group {group})"), |p| {
            match p.coordinator.find_group_coordinator(group) {
                Ok((host, port)) => {
                    address = format!("{host}:{port}");
                    Ok(0)
                }
                Err(ClientError::Code { code, .. }) => Ok(code),
                Err(e) => Err(e),
            }
        })?;
        self.group_coordinators.insert(group.to_string(), address.clone());
        Ok(address)
    }

    fn broker(&mut self, address: &str) -> Result<&mut BrokerConnection, ClientError> {
        if !self.brokers.contains_key(address) {
            let conn = BrokerConnection::connect_secured(
                address,
                self.config.request_timeout,
                &self.config.security,
            )?;
            self.brokers.insert(address.to_string(), conn);
        }
        self.brokers
            .get_mut(address)
            .ok_or_else(|| ClientError::Protocol(format!("no connection to {address}")))
    }

    fn forget(&mut self, address: &str) {
        self.brokers.remove(address);
    }

    fn require_transaction(&self) -> Result<(), ClientError> {
        if self.in_transaction {
            Ok(())
        } else {
            Err(ClientError::Protocol(format!(
                "transactional id {}: no transaction is open",
                self.config.transactional_id
            )))
        }
    }

    fn txn_id(&self) -> TransactionalId {
        TransactionalId(str_bytes(&self.config.transactional_id))
    }
}

/// Whether a Kafka error code is worth repeating the request for.
fn is_retriable(code: i16) -> bool {
    matches!(
        ResponseError::try_from_code(code),
        Some(
            ResponseError::ConcurrentTransactions
                | ResponseError::CoordinatorLoadInProgress
                | ResponseError::CoordinatorNotAvailable
                | ResponseError::NotCoordinator
                | ResponseError::NotLeaderOrFollower
                | ResponseError::NotEnoughReplicas
                | ResponseError::NotEnoughReplicasAfterAppend
                | ResponseError::RequestTimedOut
                | ResponseError::UnknownTopicOrPartition
        )
    )
}

/// The sequence after `count` records from `base` (sequences wrap at `i32::MAX` to 0).
fn spate_log_sequence(base: i32, count: usize) -> i32 {
    let count = i32::try_from(count).unwrap_or(i32::MAX);
    spate_log::batch::increment_sequence(base, count)
}

/// `records` cut into runs of at most [`BATCH_BYTES`] of keys and values (at least one
/// record each).
fn chunks(records: &[OutRecord]) -> Vec<&[OutRecord]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, r) in records.iter().enumerate() {
        let size = r.key.as_ref().map_or(0, Bytes::len) + r.value.as_ref().map_or(0, Bytes::len);
        if i > start && bytes + size > BATCH_BYTES {
            out.push(&records[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < records.len() {
        out.push(&records[start..]);
    }
    out
}

/// One transactional v2 batch of `records` from sequence `base`.
fn encode_batch(
    records: &[OutRecord],
    producer_id: i64,
    epoch: i16,
    base: i32,
) -> Result<Bytes, ClientError> {
    let records: Vec<Record> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let i32_index = i32::try_from(i).unwrap_or(i32::MAX);
            let mut headers = IndexMap::new();
            for (k, v) in &r.headers {
                headers.insert(str_bytes(k), v.clone());
            }
            Record {
                transactional: true,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id,
                producer_epoch: epoch,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                sequence: spate_log::batch::increment_sequence(base, i32_index),
                timestamp: r.timestamp,
                key: r.key.clone(),
                value: r.value.clone(),
                headers,
            }
        })
        .collect();
    encode_uncompressed(&records, "a record batch")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_carry_the_producer_and_consecutive_sequences() {
        let records: Vec<OutRecord> = (0..3)
            .map(|i| OutRecord {
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from_static(b"v")),
                headers: vec![("h".into(), None)],
                timestamp: 1000 + i,
            })
            .collect();
        let batch = encode_batch(&records, 42, 3, 5).unwrap();
        let headers = spate_log::validate_request(&batch).unwrap();
        assert_eq!(headers.len(), 1);
        assert!(headers[0].is_transactional());
        assert_eq!((headers[0].producer_id, headers[0].producer_epoch), (42, 3));
        assert_eq!((headers[0].base_sequence, headers[0].last_sequence()), (5, 7));
        // Across the wrap of sequences the encoder starts a second batch at sequence 0.
        let batch = encode_batch(&records, 42, 3, i32::MAX - 1).unwrap();
        let headers = spate_log::validate_request(&batch).unwrap();
        let seqs: Vec<(i32, i32)> = headers
            .iter()
            .map(|h| (h.base_sequence, h.last_sequence()))
            .collect();
        assert_eq!(seqs, [(i32::MAX - 1, i32::MAX), (0, 0)]);
        assert_eq!(spate_log_sequence(i32::MAX - 1, 3), 1);
    }

    #[test]
    fn big_runs_are_cut_into_batches_of_bounded_size() {
        let big = |n: usize| OutRecord {
            value: Some(Bytes::from(vec![0u8; n])),
            ..OutRecord::default()
        };
        let records = vec![big(300_000), big(300_000), big(10), big(600_000)];
        let sizes: Vec<usize> = chunks(&records).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [1, 2, 1]);
        assert!(chunks(&[]).is_empty());
    }
}
