//! Restoring a process's tasks from their changelog partitions into a checkpoint directory
//! the engine restores from like any other.
//!
//! First the tasks' committed offsets are read with `require_stable`: that waits until no
//! transaction that staged offsets for them is open (the previous owner's last one), so the
//! changelog partitions' last stable offsets then cover everything it committed. Each
//! partition is read read_committed; the newest record of each key is the task's state as of
//! its last committed checkpoint. The checkpoint written is numbered by the highest of the
//! tasks' checkpoint ids (the processes number their checkpoints independently; each task's
//! state knows its own, and the engine continues above the restored number).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use spate_engine::checkpoint::CheckpointAssembly;
use spate_engine::topology::JobTopology;
use spate_group::changelog::{ChangelogWriter, restore};
use spate_kafka_client::fetch_committed_offsets;

use crate::error::DistributedError;
use crate::publish::{SectionKey, parse_section_key};
use crate::topics::{KafkaSettings, stage_changelog};

/// What a restore found.
#[derive(Debug)]
pub struct Restored {
    /// The checkpoint directory to restore from (`None`: no owned task ever committed).
    pub checkpoint: Option<PathBuf>,
    /// Its id (0 when none).
    pub id: u64,
    /// What the changelogs hold, for the publisher not to write it again.
    pub writer: ChangelogWriter,
}

/// Restores the `owned` tasks of `topology` from `settings.group`'s changelogs into a new
/// checkpoint under `dir` (see the module docs).
pub fn restore_tasks(
    settings: &KafkaSettings,
    topology: &JobTopology,
    owned: &BTreeSet<(u32, u32)>,
    max_parallelism: usize,
    dir: &Path,
) -> Result<Restored, DistributedError> {
    let places: Vec<(String, i32)> = owned
        .iter()
        .map(|(stage, task)| (stage_changelog(&settings.group, *stage), *task as i32))
        .collect();
    if !places.is_empty() {
        fetch_committed_offsets(
            &settings.bootstrap,
            &settings.security,
            &settings.group,
            &places,
            settings.request_timeout,
        )
        .map_err(DistributedError::kafka(format!(
            "waiting for the stable offsets of group {}",
            settings.group
        )))?;
    }
    let mut writer = ChangelogWriter::new();
    let mut id = 0u64;
    let mut sections: Vec<(u32, u32, BTreeMap<Bytes, Bytes>)> = Vec::new();
    for ((topic, partition), (stage, task)) in places.iter().zip(owned) {
        let read = restore(
            &settings.bootstrap,
            &settings.security,
            topic,
            *partition,
            settings.request_timeout,
        )
        .map_err(DistributedError::kafka(format!("restoring {topic}-{partition}")))?;
        writer.restored(topic, *partition, &read);
        if let Some(raw) = read.get(&crate::publish::checkpoint_id_key()) {
            let raw = <[u8; 8]>::try_from(raw.as_ref()).map_err(|_| {
                DistributedError::Corrupt(format!(
                    "changelog {topic}-{partition}: a checkpoint id of {} bytes",
                    raw.len()
                ))
            })?;
            id = id.max(u64::from_be_bytes(raw));
        }
        sections.push((*stage, *task, read));
    }
    if id == 0 {
        return Ok(Restored {
            checkpoint: None,
            id,
            writer,
        });
    }
    let mut assembly = CheckpointAssembly::new(id, max_parallelism);
    for (stage, task, read) in sections {
        let parallelism = topology.stages[stage as usize].parallelism;
        for (key, value) in read {
            let (uid, key_group) = match parse_section_key(&key) {
                Some(SectionKey::Operator(uid)) => (uid, None),
                Some(SectionKey::KeyGroup(uid, kg)) => (uid, Some(kg)),
                Some(SectionKey::CheckpointId) => continue,
                None => {
                    return Err(DistributedError::Corrupt(format!(
                        "changelog {}-{task}: a key this build cannot read ({} bytes)",
                        stage_changelog(&settings.group, stage),
                        key.len()
                    )));
                }
            };
            assembly.add(&uid, parallelism, task as usize, key_group, value.to_vec());
        }
    }
    let path = assembly.write(&dir.join(format!("restored-{id}")))?;
    Ok(Restored {
        checkpoint: Some(path),
        id,
        writer,
    })
}
