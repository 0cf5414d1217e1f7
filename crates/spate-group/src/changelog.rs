//! Changelog topics: a distributed job's keyed state in Kafka, so a task that moves to another
//! process restores from Kafka rather than from the old process's disk.
//!
//! One compacted topic per stage, one partition per task of the stage. The records are
//! *sections* under opaque keys (the distributed runtime keys the engine's sections: one key
//! group or the operator state of one operator subtask). At each commit a task writes every
//! section that changed since its last committed write, in the process's transaction:
//!
//! ```text
//! key   = the section's key (opaque bytes)
//! value = the section's bytes (absent — a tombstone — when the section is gone or empty)
//! header spate.checkpoint = the checkpoint id, u64 big-endian
//! ```
//!
//! Compaction keeps the newest record of each key, so a partition holds the task's state as
//! of its last committed transaction. [`restore`] reads a partition to its last stable
//! offset, read_committed. A task taking over must first read its committed offsets with
//! `require_stable` ([`spate_kafka_client::fetch_committed_offsets`]): that waits for the
//! previous owner's open transaction to end, so the changelog's last stable offset then
//! covers everything that transaction wrote.
//!
//! Kafka Streams logs every changed key; logging whole sections reuses the engine's
//! snapshots unchanged and writes nothing for sections that did not change (known from their
//! CRC without reading them), but rewrites a whole key group for one changed key in it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use spate_kafka_client::fetcher::{Assignment, FetchSettings, Fetcher, OffsetOutOfRange};
use spate_kafka_client::{BrokerConnection, ClientError, ClientSecurity, OutRecord, TransactionalProducer};
use spate_log::consume::ConsumerCursor;

/// Kafka's `TOPIC_ALREADY_EXISTS`.
const TOPIC_ALREADY_EXISTS: i16 = 36;

/// The header carrying the checkpoint id.
pub const CHECKPOINT_HEADER: &str = "spate.checkpoint";

/// The changelog topic of `operator` in `group`'s job: `<group>-<operator>-changelog`, with
/// every character Kafka does not allow in a topic name replaced by `_`.
pub fn changelog_topic(group: &str, operator: &str) -> String {
    legal_topic_name(&format!("{group}-{operator}-changelog"))
}

/// `name` as a legal Kafka topic name: every character Kafka does not allow replaced by `_`,
/// at most 249 characters.
pub fn legal_topic_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(249)
        .collect()
}

/// Creates `topic` compacted with `partitions` partitions, or checks that the existing one
/// has that many (a changed parallelism cannot map old tasks to new ones).
pub fn ensure_changelog_topic(
    conn: &mut BrokerConnection,
    topic: &str,
    partitions: i32,
    replication_factor: i16,
) -> Result<(), ClientError> {
    ensure_topic(
        conn,
        topic,
        partitions,
        replication_factor,
        &[("cleanup.policy", "compact")],
    )
}

/// Creates `topic` with `partitions` partitions and `configs`, or checks that the existing
/// one has one partition per task of its stage.
pub fn ensure_topic(
    conn: &mut BrokerConnection,
    topic: &str,
    partitions: i32,
    replication_factor: i16,
    configs: &[(&str, &str)],
) -> Result<(), ClientError> {
    match conn.create_topic(topic, partitions, replication_factor, configs) {
        Ok(()) => Ok(()),
        Err(ClientError::Code {
            code: TOPIC_ALREADY_EXISTS,
            ..
        }) => {
            let existing = conn.partition_count(topic)?;
            if existing == partitions {
                Ok(())
            } else {
                Err(ClientError::Config(format!(
                    "topic {topic} has {existing} partitions, the job's stage has {partitions} tasks; \
                     a distributed job keeps its stage parallelism (or starts over with new topics)"
                )))
            }
        }
        Err(e) => Err(e),
    }
}

/// What a task last wrote per (topic, partition, section key): the section's CRC32C, so an
/// unchanged section is not written again. Writes of an open transaction count only once it
/// committed.
#[derive(Debug, Default)]
pub struct ChangelogWriter {
    committed: HashMap<(String, i32), HashMap<Bytes, u32>>,
    pending: HashMap<(String, i32), HashMap<Bytes, Option<u32>>>,
}

impl ChangelogWriter {
    /// A writer that knows nothing written (after a restore, [`Self::restored`] tells it).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sections restored from the changelog count as written.
    pub fn restored(&mut self, topic: &str, partition: i32, sections: &BTreeMap<Bytes, Bytes>) {
        let known = self.committed.entry((topic.to_string(), partition)).or_default();
        for (key, bytes) in sections {
            known.insert(key.clone(), crc32c::crc32c(bytes));
        }
    }

    fn last(&self, place: &(String, i32), key: &[u8]) -> Option<u32> {
        match self.pending.get(place).and_then(|p| p.get(key)) {
            Some(pending) => *pending,
            None => self.committed.get(place).and_then(|c| c.get(key)).copied(),
        }
    }

    /// Sends `section` under `key` into `producer`'s open transaction unless the same bytes
    /// are the last written ones; an empty section is a tombstone. Returns whether a record
    /// was sent.
    pub fn write(
        &mut self,
        producer: &mut TransactionalProducer,
        topic: &str,
        partition: i32,
        key: &[u8],
        section: &[u8],
        checkpoint_id: u64,
    ) -> Result<bool, ClientError> {
        let crc = crc32c::crc32c(section);
        self.write_with(producer, (topic, partition), key, crc, checkpoint_id, || {
            Ok(section.to_vec())
        })
    }

    /// As [`Self::write`] for a section known by its CRC: `read` is called only when the
    /// section changed.
    pub fn write_with(
        &mut self,
        producer: &mut TransactionalProducer,
        (topic, partition): (&str, i32),
        key: &[u8],
        crc: u32,
        checkpoint_id: u64,
        read: impl FnOnce() -> Result<Vec<u8>, ClientError>,
    ) -> Result<bool, ClientError> {
        let place = (topic.to_string(), partition);
        let unchanged = match self.last(&place, key) {
            Some(c) => c == crc,
            // Never written, or deleted: an empty section needs no tombstone.
            None => crc == crc32c::crc32c(&[]),
        };
        if unchanged {
            return Ok(false);
        }
        let section = read()?;
        let value = (!section.is_empty()).then(|| Bytes::from(section));
        send(producer, &place, key, value, checkpoint_id)?;
        let written = (crc != crc32c::crc32c(&[])).then_some(crc);
        self.pending
            .entry(place)
            .or_default()
            .insert(Bytes::copy_from_slice(key), written);
        Ok(true)
    }

    /// Tombstones every section of `topic`-`partition` written before whose key is not in
    /// `live` (an operator's key group that no longer holds state, say). Returns how many.
    pub fn delete_others(
        &mut self,
        producer: &mut TransactionalProducer,
        (topic, partition): (&str, i32),
        live: &HashSet<Bytes>,
        checkpoint_id: u64,
    ) -> Result<usize, ClientError> {
        let place = (topic.to_string(), partition);
        let mut known: HashSet<Bytes> = self
            .committed
            .get(&place)
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default();
        if let Some(p) = self.pending.get(&place) {
            for (k, v) in p {
                if v.is_some() {
                    known.insert(k.clone());
                } else {
                    known.remove(k);
                }
            }
        }
        let mut gone: Vec<Bytes> = known.into_iter().filter(|k| !live.contains(k)).collect();
        gone.sort();
        for key in &gone {
            send(producer, &place, key, None, checkpoint_id)?;
            self.pending
                .entry(place.clone())
                .or_default()
                .insert(key.clone(), None);
        }
        Ok(gone.len())
    }

    /// The transaction committed: its writes are what the changelog holds.
    pub fn committed(&mut self) {
        for (place, writes) in self.pending.drain() {
            let known = self.committed.entry(place).or_default();
            for (key, crc) in writes {
                match crc {
                    Some(crc) => known.insert(key, crc),
                    None => known.remove(&key),
                };
            }
        }
    }

    /// The transaction was aborted: its writes never happened.
    pub fn aborted(&mut self) {
        self.pending.clear();
    }
}

fn send(
    producer: &mut TransactionalProducer,
    (topic, partition): &(String, i32),
    key: &[u8],
    value: Option<Bytes>,
    checkpoint_id: u64,
) -> Result<(), ClientError> {
    producer.send(
        topic,
        *partition,
        OutRecord {
            key: Some(Bytes::copy_from_slice(key)),
            value,
            headers: vec![(
                CHECKPOINT_HEADER.to_string(),
                Some(Bytes::copy_from_slice(&checkpoint_id.to_be_bytes())),
            )],
            timestamp: now_ms(),
        },
    )
}

/// The sections a changelog partition holds (key → bytes), read_committed up to its last
/// stable offset, within `timeout`.
pub fn restore(
    bootstrap: &str,
    security: &ClientSecurity,
    topic: &str,
    partition: i32,
    timeout: Duration,
) -> Result<BTreeMap<Bytes, Bytes>, ClientError> {
    let mut sections = BTreeMap::new();
    read_to_stable(
        bootstrap,
        security,
        (topic, partition),
        timeout,
        |offset, key, value| {
            let key = key.ok_or_else(|| {
                ClientError::Protocol(format!(
                    "changelog {topic}-{partition} offset {offset}: a record without a key"
                ))
            })?;
            let key = Bytes::copy_from_slice(key);
            match value {
                Some(v) => sections.insert(key, Bytes::copy_from_slice(v)),
                None => sections.remove(&key),
            };
            Ok(())
        },
    )?;
    Ok(sections)
}

/// Hands every committed record of `topic`-`partition` below its last stable offset to
/// `visit(offset, key, value)` in order (read_committed), within `timeout`.
pub fn read_to_stable(
    bootstrap: &str,
    security: &ClientSecurity,
    (topic, partition): (&str, i32),
    timeout: Duration,
    mut visit: impl FnMut(i64, Option<&[u8]>, Option<&[u8]>) -> Result<(), ClientError>,
) -> Result<(), ClientError> {
    let (host, port) = BrokerConnection::connect_secured(first(bootstrap)?, timeout, security)?
        .leader_of(topic, partition)?;
    let mut leader = BrokerConnection::connect_secured(&format!("{host}:{port}"), timeout, security)?;
    let end = leader.list_offset(topic, partition, -1, true)?;
    if end <= 0 {
        return Ok(());
    }
    let settings =
        FetchSettings::with_security(bootstrap, security.clone(), true, OffsetOutOfRange::Earliest);
    let fetcher = Fetcher::start(settings, Box::new(|builder, run| builder.spawn(run).map(|_| ())))?;
    let queued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    fetcher.assign(vec![Assignment {
        split: 0,
        topic: topic.to_string(),
        partition,
        offset: 0,
        stop: Some(end),
        queued: queued.clone(),
    }])?;
    let deadline = Instant::now() + timeout;
    let mut cursor = ConsumerCursor::new();
    let mut next = 0;
    while next < end {
        let Some(chunk) = fetcher.next_chunk()? else {
            if Instant::now() >= deadline {
                return Err(ClientError::Unreachable(format!(
                    "reading {topic}-{partition}: read to offset {next} of {end} within {timeout:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(2));
            continue;
        };
        queued.fetch_sub(chunk.records.len(), std::sync::atomic::Ordering::Relaxed);
        cursor.reset(chunk.records, chunk.from, chunk.aborted);
        while let Some(r) = cursor
            .next_record()
            .map_err(|e| ClientError::Protocol(format!("{topic}-{partition}: {e}")))?
        {
            if r.offset >= end {
                break;
            }
            visit(r.offset, r.record.key, r.record.value)?;
        }
        next = next.max(cursor.next_offset());
    }
    Ok(())
}

fn first(bootstrap: &str) -> Result<&str, ClientError> {
    bootstrap
        .split(',')
        .map(str::trim)
        .find(|s| !s.is_empty())
        .ok_or_else(|| ClientError::Config("empty bootstrap.servers".into()))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_are_legal_kafka_names() {
        assert_eq!(
            changelog_topic("job", "3-Window(count)"),
            "job-3-Window_count_-changelog"
        );
        assert!(changelog_topic("g", &"x".repeat(400)).len() <= 249);
    }
}
