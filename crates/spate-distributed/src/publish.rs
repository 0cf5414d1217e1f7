//! [`KafkaCheckpoints`]: every completed checkpoint of the process's tasks goes to their
//! stages' changelog topics, with the tasks' offsets, in the checkpoint's transaction.
//!
//! A changelog record's key names the engine section:
//!
//! ```text
//! kind u8 = 0 | uid                       an operator subtask's operator state
//! kind u8 = 1 | key group u32 BE | uid    one key group of an operator subtask
//! kind u8 = 2                             the task's last checkpoint id (value: u64 BE)
//! ```
//!
//! The partition is the task (operator subtask `i` of a stage belongs to its task `i`). The
//! checkpoint-id record is written at every commit, so a restore knows which checkpoint the
//! task's sections are of even when none changed.
//!
//! Offsets committed with the transaction (the generation in them is what fences a zombie
//! process): every owned exchange receiver's position on its repartition partition and every
//! owned Kafka source's next offsets ([`spate_engine::Source::log_offsets`]), both with the
//! metadata `spate task S_I` naming the task that reads them (so Kafka's tools show each
//! task's lag, and [`crate::status`] which task lags); and for every owned task the
//! checkpoint id as the offset of its changelog partition, metadata `spate checkpoint id` (so
//! each task, even one without an input to commit, commits an offset, and the group's offsets
//! show how far every task got). Only the changelog and the checkpoint are restored from;
//! the input offsets are for people.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use spate_engine::checkpoint::CheckpointPublisher;
use spate_engine::checkpoint::{CompletedCheckpoint, Section};
use spate_engine::exchange::ReceiverState;
use spate_engine::topology::JobTopology;
use spate_engine::{EngineError, LogOffsetsFn};
use spate_group::changelog::ChangelogWriter;
use spate_group::{GroupMetadata, TaskId};
use spate_kafka_client::{ClientError, TransactionalProducer};

use crate::error::DistributedError;
use crate::exchange::decode_position;
use crate::topics::{exchange_topic, stage_changelog};
use crate::txn::ProcessTxn;

const OPERATOR_STATE: u8 = 0;
const KEY_GROUP: u8 = 1;
const CHECKPOINT_ID: u8 = 2;

/// The metadata attached to a task's checkpoint offset.
pub const CHECKPOINT_OFFSET_METADATA: &str = "spate checkpoint id";

/// The metadata of an input offset (a source partition, a repartition partition) that task
/// `(stage, index)` commits: `spate task S_I` (Kafka Streams' task notation).
pub fn input_offset_metadata(stage: u32, index: u32) -> String {
    format!("spate task {}", TaskId::new(stage, index))
}

/// The task an input offset's metadata names.
pub fn parse_input_offset_metadata(metadata: &str) -> Option<(u32, u32)> {
    let (stage, index) = metadata.strip_prefix("spate task ")?.split_once('_')?;
    Some((stage.parse().ok()?, index.parse().ok()?))
}

/// The changelog key of `section` (see the module docs).
pub fn section_key(section: &Section) -> Bytes {
    let mut key = Vec::with_capacity(5 + section.uid.len());
    match section.key_group {
        None => key.push(OPERATOR_STATE),
        Some(kg) => {
            key.push(KEY_GROUP);
            key.extend_from_slice(&kg.to_be_bytes());
        }
    }
    key.extend_from_slice(section.uid.as_bytes());
    Bytes::from(key)
}

/// The key of a task's checkpoint-id record.
pub fn checkpoint_id_key() -> Bytes {
    Bytes::from_static(&[CHECKPOINT_ID])
}

/// A changelog key read back (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionKey {
    /// An operator subtask's operator state, by uid.
    Operator(String),
    /// A key group of an operator subtask, by uid.
    KeyGroup(String, u32),
    /// The task's checkpoint id.
    CheckpointId,
}

/// Reads a changelog key.
pub fn parse_section_key(key: &[u8]) -> Option<SectionKey> {
    let uid = |b: &[u8]| std::str::from_utf8(b).ok().map(str::to_string);
    match key.split_first()? {
        (&OPERATOR_STATE, rest) => Some(SectionKey::Operator(uid(rest)?)),
        (&KEY_GROUP, rest) if rest.len() > 4 => {
            let kg = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
            Some(SectionKey::KeyGroup(uid(&rest[4..])?, kg))
        }
        (&CHECKPOINT_ID, []) => Some(SectionKey::CheckpointId),
        _ => None,
    }
}

/// Publishes the process's completed checkpoints to Kafka (see the module docs).
pub struct KafkaCheckpoints {
    txn: Arc<ProcessTxn>,
    group: String,
    topology: JobTopology,
    owned: BTreeSet<(u32, u32)>,
    identity: Box<dyn Fn() -> GroupMetadata + Send + Sync>,
    writer: Mutex<ChangelogWriter>,
    sources: HashMap<String, LogOffsetsFn>,
}

impl std::fmt::Debug for KafkaCheckpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaCheckpoints")
            .field("group", &self.group)
            .field("owned", &self.owned)
            .finish_non_exhaustive()
    }
}

impl KafkaCheckpoints {
    /// Publishes the checkpoints of `owned` tasks of `topology` through `txn`, committing
    /// offsets as the member `identity` names at the time (its generation fences the commit);
    /// `writer` knows what the changelogs hold already (from the restore); `sources` read the
    /// job's source positions as log offsets
    /// ([`StreamEnvironment::source_log_offsets`](spate_engine::StreamEnvironment::source_log_offsets)).
    pub fn new(
        txn: Arc<ProcessTxn>,
        group: &str,
        topology: JobTopology,
        owned: BTreeSet<(u32, u32)>,
        identity: Box<dyn Fn() -> GroupMetadata + Send + Sync>,
        writer: ChangelogWriter,
        sources: HashMap<String, LogOffsetsFn>,
    ) -> Self {
        Self {
            txn,
            group: group.to_string(),
            topology,
            owned,
            identity,
            writer: Mutex::new(writer),
            sources,
        }
    }

    /// The owned task each section belongs to, or the error naming a uid the job lacks.
    fn by_task<'c>(
        &self,
        sections: &'c [Section],
    ) -> Result<BTreeMap<(u32, u32), Vec<&'c Section>>, DistributedError> {
        let mut out: BTreeMap<(u32, u32), Vec<&Section>> =
            self.owned.iter().map(|t| (*t, Vec::new())).collect();
        for s in sections {
            let stage = self.topology.stage_of_state(&s.uid).ok_or_else(|| {
                DistributedError::Corrupt(format!(
                    "checkpoint state of `{}`, which the job does not have",
                    s.uid
                ))
            })?;
            let task = (stage, u32::try_from(s.subtask).unwrap_or(u32::MAX));
            // A task this process does not own has no state here; a finished one's may.
            if let Some(list) = out.get_mut(&task) {
                list.push(s);
            }
        }
        Ok(out)
    }

    /// The input offsets operator state `s` of task `partition` holds: an exchange
    /// receiver's position, a source's log offsets, or none.
    fn input_offsets(
        &self,
        checkpoint: &CompletedCheckpoint,
        s: &Section,
        partition: i32,
    ) -> Result<Vec<(String, i32, i64)>, DistributedError> {
        if let Some(e) = s
            .uid
            .strip_prefix("exchange-")
            .and_then(|e| e.parse::<usize>().ok())
        {
            let bytes = checkpoint.read(s)?;
            let position = ReceiverState::decode(&bytes).and_then(|state| decode_position(&state.position));
            return Ok(position
                .map(|p| (exchange_topic(&self.group, e), partition, p))
                .into_iter()
                .collect());
        }
        let Some(read) = self.sources.get(&s.uid) else {
            return Ok(Vec::new());
        };
        let bytes = checkpoint.read(s)?;
        Ok(read(&bytes)
            .into_iter()
            .map(|o| (o.topic, o.partition, o.offset))
            .collect())
    }

    fn write_all(
        &self,
        producer: &mut TransactionalProducer,
        writer: &mut ChangelogWriter,
        checkpoint: &CompletedCheckpoint,
        tasks: &BTreeMap<(u32, u32), Vec<&Section>>,
    ) -> Result<(), DistributedError> {
        let id = checkpoint.id();
        let mut offsets: Vec<(String, i32, i64, Option<String>)> = Vec::new();
        for ((stage, task), sections) in tasks {
            let topic = stage_changelog(&self.group, *stage);
            let partition = i32::try_from(*task).unwrap_or(i32::MAX);
            let what = || format!("changelog {topic}-{partition}");
            let mut live: HashSet<Bytes> = HashSet::with_capacity(sections.len() + 1);
            for s in sections {
                let key = section_key(s);
                writer
                    .write_with(producer, (&topic, partition), &key, s.crc32c, id, || {
                        checkpoint
                            .read(s)
                            .map_err(|e| ClientError::Config(format!("reading checkpoint {id}: {e}")))
                    })
                    .map_err(DistributedError::kafka(what()))?;
                live.insert(key);
                if s.key_group.is_none() {
                    let input = Some(input_offset_metadata(*stage, *task));
                    for (topic, partition, offset) in self.input_offsets(checkpoint, s, partition)? {
                        offsets.push((topic, partition, offset, input.clone()));
                    }
                }
            }
            let marker = checkpoint_id_key();
            writer
                .write(producer, &topic, partition, &marker, &id.to_be_bytes(), id)
                .map_err(DistributedError::kafka(what()))?;
            live.insert(marker);
            writer
                .delete_others(producer, (&topic, partition), &live, id)
                .map_err(DistributedError::kafka(what()))?;
            offsets.push((
                topic.clone(),
                partition,
                i64::try_from(id).unwrap_or(i64::MAX),
                Some(CHECKPOINT_OFFSET_METADATA.to_string()),
            ));
        }
        let member = (self.identity)();
        producer
            .send_offsets(&member, &offsets)
            .map_err(DistributedError::kafka(format!(
                "committing the offsets of group {} generation {}",
                member.group_id, member.generation_id
            )))
    }
}

impl CheckpointPublisher for KafkaCheckpoints {
    fn publish(&self, checkpoint: &CompletedCheckpoint) -> Result<(), EngineError> {
        let sections = checkpoint.sections();
        let tasks = self.by_task(&sections)?;
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let result = self.txn.commit_checkpoint(checkpoint.id(), |producer| {
            self.write_all(producer, &mut writer, checkpoint, &tasks)
        });
        match result {
            Ok(()) => {
                writer.committed();
                tracing::debug!(
                    checkpoint = checkpoint.id(),
                    tasks = tasks.len(),
                    "checkpoint published"
                );
                Ok(())
            }
            Err(e) => {
                writer.aborted();
                Err(e.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_keys_read_back() {
        assert_eq!(
            parse_section_key(&checkpoint_id_key()),
            Some(SectionKey::CheckpointId)
        );
        assert_eq!(
            parse_section_key(b"\x00exchange-0"),
            Some(SectionKey::Operator("exchange-0".into()))
        );
        assert_eq!(
            parse_section_key(b"\x01\x00\x00\x00\x07win"),
            Some(SectionKey::KeyGroup("win".into(), 7))
        );
        assert_eq!(parse_section_key(b"\x01\x00\x07"), None);
        assert_eq!(parse_section_key(b"\x09x"), None);
        assert_eq!(parse_section_key(b""), None);
    }

    #[test]
    fn input_offset_metadata_reads_back() {
        assert_eq!(
            parse_input_offset_metadata(&input_offset_metadata(3, 11)),
            Some((3, 11))
        );
        assert_eq!(parse_input_offset_metadata(CHECKPOINT_OFFSET_METADATA), None);
        assert_eq!(parse_input_offset_metadata("spate task 1"), None);
        assert_eq!(parse_input_offset_metadata(""), None);
    }
}
