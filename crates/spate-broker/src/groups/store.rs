//! Durable group state: committed offsets and group metadata, kept in memory and appended to the
//! internal `__consumer_offsets` topic (one partition), replayed on start.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::BytesMut;
use kafka_protocol::records::{
    Compression, NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, Record,
    RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use spate_log::{Durability, LogStore, Partition};

use super::records::{CommittedOffset, OffsetsRecord, StoredGroup};
use crate::clock::now_ms;
use crate::{Error, Result};

/// Name of the internal topic.
pub(crate) const OFFSETS_TOPIC: &str = "__consumer_offsets";

type Offsets = HashMap<String, BTreeMap<(String, i32), CommittedOffset>>;

#[derive(Debug)]
pub(crate) struct GroupStore {
    partition: Arc<Partition>,
    offsets: Mutex<Offsets>,
}

impl GroupStore {
    /// Opens the internal topic (creating it) and replays it. Returns the stored groups too.
    pub(crate) fn open(store: &LogStore) -> Result<(GroupStore, HashMap<String, StoredGroup>)> {
        // Offsets must outlive any retention: they are only ever replaced or deleted, so the
        // topic is compacted (as Kafka's is) and never deleted by age.
        let overrides = BTreeMap::from([
            ("retention.ms".to_string(), "-1".to_string()),
            ("cleanup.policy".to_string(), "compact".to_string()),
        ]);
        match store.topic(OFFSETS_TOPIC) {
            None => match store.create_topic(OFFSETS_TOPIC, 1, &overrides) {
                Ok(_) | Err(spate_log::Error::TopicExists(_)) => {}
                Err(e) => return Err(e.into()),
            },
            // Data directories from before compaction: the topic becomes compacted.
            Some(topic) if !topic.config.cleanup_compact => {
                let mut merged = topic.overrides.clone();
                merged.extend(overrides);
                store.set_topic_overrides(OFFSETS_TOPIC, merged)?;
            }
            Some(_) => {}
        }
        let partition = store
            .partition(OFFSETS_TOPIC, 0)
            .ok_or_else(|| Error::Config(format!("internal topic {OFFSETS_TOPIC} has no partition 0")))?;
        let mut offsets: Offsets = HashMap::new();
        let mut groups = HashMap::new();
        let mut position = partition.log_start_offset();
        let end = partition.high_watermark();
        while position < end {
            let read = partition.read(position, 4 << 20)?;
            if read.records.is_empty() {
                break;
            }
            let mut buf = read.records.clone();
            let batches = RecordBatchDecoder::decode_all(&mut buf).map_err(|e| Error::CorruptState {
                path: partition.dir().to_path_buf(),
                reason: format!("undecodable batch at or after offset {position}: {e}"),
            })?;
            // Batch headers, not records, say where the next read starts: compaction leaves
            // batches without records (their offsets are gone, not the batch).
            let mut last = spate_log::batch::validate_batches(&read.records)?
                .last()
                .map_or(position, |h| h.last_offset() + 1);
            for set in batches {
                for r in set.records {
                    last = last.max(r.offset + 1);
                    if r.offset < position || r.control {
                        continue;
                    }
                    let Some(key) = r.key.as_deref() else { continue };
                    match OffsetsRecord::decode(key, r.value.as_deref()) {
                        Some(rec) => apply(&mut offsets, &mut groups, rec),
                        None => tracing::warn!(
                            "skipping malformed record at offset {} of {OFFSETS_TOPIC}",
                            r.offset
                        ),
                    }
                }
            }
            if last <= position {
                break;
            }
            position = last;
        }
        Ok((
            GroupStore {
                partition,
                offsets: Mutex::new(offsets),
            },
            groups,
        ))
    }

    fn offsets(&self) -> MutexGuard<'_, Offsets> {
        self.offsets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends `records` (not yet fsynced) and applies the offset ones in memory. Returns the
    /// partition so the caller can wait for an fsync before acknowledging.
    pub(crate) fn append(&self, records: &[OffsetsRecord]) -> Result<Arc<Partition>> {
        if records.is_empty() {
            return Ok(self.partition.clone());
        }
        let now = now_ms();
        let encoded: Vec<Record> = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let (key, value) = r.encode();
                Record {
                    transactional: false,
                    control: false,
                    delete_horizon: false,
                    partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
                    producer_id: NO_PRODUCER_ID,
                    producer_epoch: NO_PRODUCER_EPOCH,
                    timestamp_type: TimestampType::Creation,
                    // The encoder derives offset deltas from these; the log assigns the base.
                    offset: i as i64,
                    sequence: NO_SEQUENCE,
                    timestamp: now,
                    key: Some(key),
                    value,
                    headers: Default::default(),
                }
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            &encoded,
            &RecordEncodeOptions {
                version: 2,
                compression: Compression::None,
            },
        )
        .map_err(|e| Error::Config(format!("encoding {OFFSETS_TOPIC} records: {e}")))?;
        self.partition.append(&buf, Durability::Async)?;
        let mut offsets = self.offsets();
        let mut ignored_groups = HashMap::new();
        for r in records {
            if matches!(r, OffsetsRecord::Offset { .. }) {
                apply(&mut offsets, &mut ignored_groups, r.clone());
            }
        }
        Ok(self.partition.clone())
    }

    /// Tombstones every committed offset (of any group) whose partition `exists` denies, and
    /// fsyncs them before returning: Kafka deletes the offsets of deleted partitions, so a topic
    /// recreated under the same name is read from its start, not from the old positions. Returns
    /// how many offsets were removed.
    pub(crate) fn forget_offsets_where(&self, gone: impl Fn(&str, i32) -> bool) -> Result<usize> {
        let tombstones: Vec<OffsetsRecord> = self
            .offsets()
            .iter()
            .flat_map(|(group, offsets)| {
                offsets
                    .keys()
                    .filter(|(topic, partition)| gone(topic, *partition))
                    .map(|(topic, partition)| OffsetsRecord::Offset {
                        group: group.clone(),
                        topic: topic.clone(),
                        partition: *partition,
                        value: None,
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        if tombstones.is_empty() {
            return Ok(0);
        }
        // Batches of bounded size: one group may hold offsets of thousands of partitions.
        for chunk in tombstones.chunks(1024) {
            self.append(chunk)?;
        }
        self.partition.sync()?;
        Ok(tombstones.len())
    }

    pub(crate) fn committed(&self, group: &str, topic: &str, partition: i32) -> Option<CommittedOffset> {
        self.offsets()
            .get(group)
            .and_then(|g| g.get(&(topic.to_string(), partition)).cloned())
    }

    /// Every committed offset of a group, sorted by topic and partition.
    pub(crate) fn all_committed(&self, group: &str) -> Vec<((String, i32), CommittedOffset)> {
        self.offsets()
            .get(group)
            .map(|g| g.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    pub(crate) fn has_offsets(&self, group: &str) -> bool {
        self.offsets().get(group).is_some_and(|g| !g.is_empty())
    }

    pub(crate) fn groups_with_offsets(&self) -> Vec<String> {
        self.offsets()
            .iter()
            .filter(|(_, o)| !o.is_empty())
            .map(|(g, _)| g.clone())
            .collect()
    }
}

fn apply(offsets: &mut Offsets, groups: &mut HashMap<String, StoredGroup>, record: OffsetsRecord) {
    match record {
        OffsetsRecord::Offset {
            group,
            topic,
            partition,
            value: Some(v),
        } => {
            offsets.entry(group).or_default().insert((topic, partition), v);
        }
        OffsetsRecord::Offset {
            group,
            topic,
            partition,
            value: None,
        } => {
            if let Some(g) = offsets.get_mut(&group) {
                g.remove(&(topic, partition));
                if g.is_empty() {
                    offsets.remove(&group);
                }
            }
        }
        OffsetsRecord::Group {
            group,
            value: Some(v),
        } => {
            groups.insert(group, v);
        }
        OffsetsRecord::Group { group, value: None } => {
            groups.remove(&group);
        }
    }
}
