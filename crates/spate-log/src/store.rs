//! The data directory: topics, their partitions and configs, persisted durably.
//!
//! Layout: `<dir>/topics/<name>.topic` holds each topic's metadata (see FORMAT.md);
//! `<dir>/<name>-<partition>/` each partition's segments. Metadata is written to a temp file,
//! fsynced, renamed over the old file and the directory fsynced, so a crash leaves the old or the
//! new version, never a torn one.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::partition::now_ms;
use crate::segment::{io_error, sync_dir, write_file_atomically};
use crate::{Error, LogConfig, Partition, Result};

/// Kafka topic id (a UUID, 16 bytes).
pub type TopicId = [u8; 16];

/// Settings of a whole store.
#[derive(Debug, Clone, Default)]
pub struct StoreConfig {
    /// Config of topics created without overrides (broker-level defaults).
    pub default_log_config: LogConfig,
}

/// A topic: immutable snapshot; changes replace the `Arc<Topic>` in the store.
#[derive(Debug)]
pub struct Topic {
    pub name: String,
    pub id: TopicId,
    /// The overrides given at creation or by AlterConfigs (Kafka "dynamic topic configs").
    pub overrides: BTreeMap<String, String>,
    pub config: LogConfig,
    pub partitions: Vec<Arc<Partition>>,
}

/// Most partitions one topic may have.
pub const MAX_PARTITIONS: i32 = 100_000;
/// Longest topic name Kafka accepts.
pub const MAX_TOPIC_NAME_LEN: usize = 249;

const TOPICS_DIR: &str = "topics";
const TOPIC_SUFFIX: &str = "topic";
const META_MAGIC: &[u8; 4] = b"SPTM";
const META_VERSION: u16 = 1;
/// Suffix of a partition directory being deleted.
const DELETE_SUFFIX: &str = ".delete";
/// Present only between a clean close and the next open (Kafka's `.kafka_cleanshutdown`).
pub const CLEAN_SHUTDOWN_FILE: &str = ".clean-shutdown";

/// All topics in one data directory. `Send + Sync`.
#[derive(Debug)]
pub struct LogStore {
    dir: PathBuf,
    config: StoreConfig,
    topics: RwLock<BTreeMap<String, Arc<Topic>>>,
    /// Serializes topic creation, deletion and changes (metadata writes).
    admin: Mutex<()>,
    /// [`LogStore::close`] has run (so dropping the store need not).
    closed: AtomicBool,
}

/// Checks Kafka's topic naming rules.
pub fn validate_topic_name(name: &str) -> Result<()> {
    let invalid = |reason| {
        Err(Error::InvalidTopicName {
            name: name.to_string(),
            reason,
        })
    };
    if name.is_empty() {
        return invalid("the name is empty");
    }
    if name == "." || name == ".." {
        return invalid("'.' and '..' are not allowed");
    }
    if name.len() > MAX_TOPIC_NAME_LEN {
        return invalid("longer than 249 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        return invalid("only ASCII letters, digits, '.', '_' and '-' are allowed");
    }
    Ok(())
}

fn validate_partition_count(partitions: i32) -> Result<()> {
    if !(1..=MAX_PARTITIONS).contains(&partitions) {
        return Err(Error::InvalidPartitions(format!(
            "{partitions} partitions requested; must be between 1 and {MAX_PARTITIONS}"
        )));
    }
    Ok(())
}

fn random_topic_id() -> Result<TopicId> {
    let path = Path::new("/dev/urandom");
    let mut id = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut id))
        .map_err(io_error(path))?;
    // RFC 4122 version 4 layout, as Kafka's Uuid.randomUuid produces.
    id[6] = (id[6] & 0x0f) | 0x40;
    id[8] = (id[8] & 0x3f) | 0x80;
    Ok(id)
}

/// Persisted part of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TopicMeta {
    name: String,
    id: TopicId,
    partitions: i32,
    overrides: BTreeMap<String, String>,
}

impl TopicMeta {
    /// `"SPTM" | version u16 | id [16] | partitions i32 | name (u32 len + utf8) | count u32 |
    /// count × (key, value as u32 len + utf8) | crc32c u32` (big-endian).
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let put_str = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        out.extend_from_slice(META_MAGIC);
        out.extend_from_slice(&META_VERSION.to_be_bytes());
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&self.partitions.to_be_bytes());
        put_str(&mut out, &self.name);
        out.extend_from_slice(&(self.overrides.len() as u32).to_be_bytes());
        for (k, v) in &self.overrides {
            put_str(&mut out, k);
            put_str(&mut out, v);
        }
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> std::result::Result<TopicMeta, String> {
        let (body, crc) = bytes
            .split_at_checked(bytes.len().wrapping_sub(4))
            .ok_or("file too short")?;
        if crc32c::crc32c(body).to_be_bytes() != crc {
            return Err("checksum mismatch".into());
        }
        let mut r = MetaReader { rest: body };
        if r.take(4)? != META_MAGIC {
            return Err("bad magic".into());
        }
        let version = u16::from_be_bytes([r.take(1)?[0], r.take(1)?[0]]);
        if version != META_VERSION {
            return Err(format!("unsupported metadata version {version}"));
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(r.take(16)?);
        let partitions = r.u32()? as i32;
        let name = r.string()?;
        let count = r.u32()?;
        let mut overrides = BTreeMap::new();
        for _ in 0..count {
            let k = r.string()?;
            let v = r.string()?;
            overrides.insert(k, v);
        }
        if !r.rest.is_empty() {
            return Err("trailing bytes".into());
        }
        Ok(TopicMeta {
            name,
            id,
            partitions,
            overrides,
        })
    }
}

struct MetaReader<'a> {
    rest: &'a [u8],
}

impl<'a> MetaReader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or("truncated")?;
        self.rest = tail;
        Ok(head)
    }
    fn u32(&mut self) -> std::result::Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn string(&mut self) -> std::result::Result<String, String> {
        let len = self.u32()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| "invalid UTF-8".to_string())
    }
}

impl LogStore {
    /// Opens (creating if needed) the store at `dir`, recovering every topic and partition.
    pub fn open(dir: impl AsRef<Path>, config: StoreConfig) -> Result<LogStore> {
        let dir = dir.as_ref().to_path_buf();
        let topics_dir = dir.join(TOPICS_DIR);
        std::fs::create_dir_all(&topics_dir).map_err(io_error(&topics_dir))?;
        let mut metas = Vec::new();
        for entry in std::fs::read_dir(&topics_dir).map_err(io_error(&topics_dir))? {
            let path = entry.map_err(io_error(&topics_dir))?.path();
            match path.extension().and_then(|e| e.to_str()) {
                Some(TOPIC_SUFFIX) => {
                    let bytes = std::fs::read(&path).map_err(io_error(&path))?;
                    let meta = TopicMeta::decode(&bytes).map_err(|reason| Error::CorruptMetadata {
                        path: path.clone(),
                        reason,
                    })?;
                    metas.push(meta);
                }
                // An interrupted durable write.
                Some("tmp") => std::fs::remove_file(&path).map_err(io_error(&path))?,
                _ => {}
            }
        }
        // The marker is removed (durably) before anything can be written, so a crash from now
        // on is seen as unclean by the next open.
        let marker = dir.join(CLEAN_SHUTDOWN_FILE);
        let clean_shutdown = match std::fs::remove_file(&marker) {
            Ok(()) => {
                sync_dir(&dir)?;
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(io_error(&marker)(e)),
        };
        if !clean_shutdown && !metas.is_empty() {
            tracing::info!(
                dir = %dir.display(),
                "no clean-shutdown marker: checking the CRCs of recent sealed segments too"
            );
        }
        let store = LogStore {
            dir,
            config,
            topics: RwLock::new(BTreeMap::new()),
            admin: Mutex::new(()),
            closed: AtomicBool::new(false),
        };
        store.remove_leftover_dirs(&metas)?;
        let mut topics = BTreeMap::new();
        for meta in metas {
            let config = store.config.default_log_config.with_overrides(&meta.overrides)?;
            let partitions = (0..meta.partitions)
                .map(|p| store.open_partition(&meta.name, p, &config, clean_shutdown))
                .collect::<Result<Vec<_>>>()?;
            topics.insert(
                meta.name.clone(),
                Arc::new(Topic {
                    name: meta.name,
                    id: meta.id,
                    overrides: meta.overrides,
                    config,
                    partitions,
                }),
            );
        }
        *store.topics.write().unwrap_or_else(PoisonError::into_inner) = topics;
        Ok(store)
    }

    /// Removes directories of deletions that did not finish and partition directories of topics
    /// whose metadata is gone (deleted, or created but never committed).
    fn remove_leftover_dirs(&self, metas: &[TopicMeta]) -> Result<()> {
        for entry in std::fs::read_dir(&self.dir).map_err(io_error(&self.dir))? {
            let entry = entry.map_err(io_error(&self.dir))?;
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if name.ends_with(DELETE_SUFFIX) {
                std::fs::remove_dir_all(&path).map_err(io_error(&path))?;
                continue;
            }
            let Some((topic, number)) = name.rsplit_once('-') else {
                continue;
            };
            // Only names this store would create: a valid topic and a canonical partition number.
            let Ok(partition) = number.parse::<i32>() else {
                continue;
            };
            if validate_topic_name(topic).is_err() || partition.to_string() != number {
                continue;
            }
            let owned = metas.iter().any(|m| m.name == topic && partition < m.partitions);
            if !owned {
                tracing::warn!(dir = %path.display(), "removing partition directory without topic metadata");
                self.remove_dir(&path)?;
            }
        }
        Ok(())
    }

    /// Renames `path` aside, then removes it, so its name is free as soon as this returns even if
    /// the removal is interrupted (recovery finishes it).
    fn remove_dir(&self, path: &Path) -> Result<()> {
        // A short name of its own: `<longest topic>-<partition>` plus a suffix would not fit in
        // a 255-byte file name.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let aside = self.dir.join(format!("{:x}-{n}{DELETE_SUFFIX}", now_ms()));
        std::fs::rename(path, &aside).map_err(io_error(path))?;
        std::fs::remove_dir_all(&aside).map_err(io_error(&aside))
    }

    fn partition_dir(&self, topic: &str, partition: i32) -> PathBuf {
        self.dir.join(format!("{topic}-{partition}"))
    }

    fn meta_path(&self, topic: &str) -> PathBuf {
        self.dir.join(TOPICS_DIR).join(format!("{topic}.{TOPIC_SUFFIX}"))
    }

    /// Opens (recovering) a partition; `clean_shutdown` says the store was closed cleanly, so
    /// sealed segments need no CRC check.
    fn open_partition(
        &self,
        topic: &str,
        partition: i32,
        config: &LogConfig,
        clean_shutdown: bool,
    ) -> Result<Arc<Partition>> {
        Ok(Arc::new(Partition::open_recovering(
            &self.partition_dir(topic, partition),
            config.clone(),
            clean_shutdown,
        )?))
    }

    fn write_meta(&self, meta: &TopicMeta) -> Result<()> {
        write_file_atomically(&self.meta_path(&meta.name), &meta.encode())?;
        sync_dir(&self.dir.join(TOPICS_DIR))
    }

    fn lock_admin(&self) -> std::sync::MutexGuard<'_, ()> {
        self.admin.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn replace_topic(&self, topic: Topic) -> Arc<Topic> {
        let topic = Arc::new(topic);
        self.topics
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(topic.name.clone(), Arc::clone(&topic));
        topic
    }

    /// Creates a topic durably (metadata written and fsynced before returning).
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Arc<Topic>> {
        let _admin = self.lock_admin();
        self.validate_new_topic(name, partitions, overrides)?;
        let config = self.config.default_log_config.with_overrides(overrides)?;
        let meta = TopicMeta {
            name: name.to_string(),
            id: random_topic_id()?,
            partitions,
            overrides: overrides.clone(),
        };
        // Partition directories first: until the metadata is committed they are leftovers that
        // the next open removes.
        let partitions = (0..partitions)
            .map(|p| self.open_partition(name, p, &config, true))
            .collect::<Result<Vec<_>>>()?;
        sync_dir(&self.dir)?;
        self.write_meta(&meta)?;
        Ok(self.replace_topic(Topic {
            name: meta.name,
            id: meta.id,
            overrides: meta.overrides,
            config,
            partitions,
        }))
    }

    /// Checks a create request without doing it (CreateTopics with validate_only).
    pub fn validate_new_topic(
        &self,
        name: &str,
        partitions: i32,
        overrides: &BTreeMap<String, String>,
    ) -> Result<()> {
        validate_topic_name(name)?;
        if self.topic(name).is_some() {
            return Err(Error::TopicExists(name.to_string()));
        }
        validate_partition_count(partitions)?;
        self.config.default_log_config.with_overrides(overrides)?;
        Ok(())
    }

    /// Deletes a topic and its data. A topic of the same name can be created right after.
    pub fn delete_topic(&self, name: &str) -> Result<()> {
        let _admin = self.lock_admin();
        let topic = self
            .topic(name)
            .ok_or_else(|| Error::UnknownTopic(name.to_string()))?;
        // Metadata first: once it is gone the topic is deleted, whatever happens to the data.
        let meta_path = self.meta_path(name);
        std::fs::remove_file(&meta_path).map_err(io_error(&meta_path))?;
        sync_dir(&self.dir.join(TOPICS_DIR))?;
        self.topics
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        for p in 0..topic.partitions.len() as i32 {
            let dir = self.partition_dir(name, p);
            if dir.exists() {
                self.remove_dir(&dir)?;
            }
        }
        sync_dir(&self.dir)
    }

    /// Grows a topic to `total` partitions (never shrinks).
    pub fn create_partitions(&self, name: &str, total: i32) -> Result<Arc<Topic>> {
        let _admin = self.lock_admin();
        let topic = self
            .topic(name)
            .ok_or_else(|| Error::UnknownTopic(name.to_string()))?;
        let current = topic.partitions.len() as i32;
        if total <= current {
            return Err(Error::InvalidPartitions(format!(
                "topic {name} has {current} partitions; the count can only grow"
            )));
        }
        validate_partition_count(total)?;
        let mut partitions = topic.partitions.clone();
        for p in current..total {
            partitions.push(self.open_partition(name, p, &topic.config, true)?);
        }
        sync_dir(&self.dir)?;
        self.write_meta(&TopicMeta {
            name: name.to_string(),
            id: topic.id,
            partitions: total,
            overrides: topic.overrides.clone(),
        })?;
        Ok(self.replace_topic(Topic {
            name: topic.name.clone(),
            id: topic.id,
            overrides: topic.overrides.clone(),
            config: topic.config.clone(),
            partitions,
        }))
    }

    /// Replaces a topic's overrides (AlterConfigs), validated first, persisted durably.
    pub fn set_topic_overrides(&self, name: &str, overrides: BTreeMap<String, String>) -> Result<Arc<Topic>> {
        let _admin = self.lock_admin();
        let topic = self
            .topic(name)
            .ok_or_else(|| Error::UnknownTopic(name.to_string()))?;
        let config = self.config.default_log_config.with_overrides(&overrides)?;
        self.write_meta(&TopicMeta {
            name: name.to_string(),
            id: topic.id,
            partitions: topic.partitions.len() as i32,
            overrides: overrides.clone(),
        })?;
        for partition in &topic.partitions {
            partition.set_config(config.clone());
        }
        Ok(self.replace_topic(Topic {
            name: topic.name.clone(),
            id: topic.id,
            overrides,
            config,
            partitions: topic.partitions.clone(),
        }))
    }

    pub fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        self.topics
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }
    pub fn topic_by_id(&self, id: &TopicId) -> Option<Arc<Topic>> {
        self.topics
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .find(|t| &t.id == id)
            .cloned()
    }
    /// All topics, sorted by name.
    pub fn topics(&self) -> Vec<Arc<Topic>> {
        self.topics
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }
    pub fn partition(&self, topic: &str, partition: i32) -> Option<Arc<Partition>> {
        let topic = self.topic(topic)?;
        topic.partitions.get(usize::try_from(partition).ok()?).cloned()
    }
    pub fn default_log_config(&self) -> &LogConfig {
        &self.config.default_log_config
    }
    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// fsyncs every partition with unsynced data (graceful shutdown).
    pub fn sync_all(&self) -> Result<()> {
        let mut first_error = None;
        for topic in self.topics() {
            for partition in &topic.partitions {
                if partition.unsynced_since().is_some()
                    && let Err(e) = partition.sync()
                {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
    /// Closes the store cleanly: fsyncs every partition, then writes the clean-shutdown marker
    /// (durably), so the next open trusts sealed segments without checking their CRCs. Call it
    /// once nothing appends any more (graceful shutdown); on an error no marker is written.
    /// Dropping the store does the same if this was not called.
    pub fn close(&self) -> Result<()> {
        self.sync_all()?;
        write_file_atomically(&self.dir.join(CLEAN_SHUTDOWN_FILE), b"")?;
        sync_dir(&self.dir)?;
        self.closed.store(true, Ordering::Release);
        Ok(())
    }
    /// One background maintenance pass: fsync partitions whose unsynced data is older than their
    /// flush interval, apply retention. The broker calls this periodically.
    ///
    /// Every partition is visited even if one fails; the first error is returned.
    pub fn maintenance(&self, now_ms: i64) -> Result<()> {
        let mut first_error = None;
        for topic in self.topics() {
            for partition in &topic.partitions {
                let interval = partition.config().flush_interval_ms();
                if let Some(since) = partition.unsynced_since()
                    && now_ms.saturating_sub(since) >= interval
                    && let Err(e) = partition.sync()
                {
                    tracing::error!(topic = %topic.name, %e, "periodic flush failed");
                    first_error.get_or_insert(e);
                }
                if let Err(e) = partition.apply_retention(now_ms) {
                    tracing::error!(topic = %topic.name, %e, "retention failed");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// [`Partition::remove_expired_producers`] on every partition; returns how many producers
    /// were forgotten in all.
    pub fn remove_expired_producers(&self, now_ms: i64, expiration_ms: i64) -> usize {
        self.topics()
            .iter()
            .flat_map(|topic| topic.partitions.iter())
            .map(|partition| partition.remove_expired_producers(now_ms, expiration_ms))
            .sum()
    }
}

impl Drop for LogStore {
    fn drop(&mut self) {
        // A store whose directory is already gone (a temporary one removed first) has nothing
        // left to mark clean.
        if !self.closed.load(Ordering::Acquire)
            && self.dir.exists()
            && let Err(e) = self.close()
        {
            tracing::warn!(dir = %self.dir.display(), %e, "closing the log store at drop failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn topic_names() {
        for ok in ["a", "events", "a.b_c-D9", &"x".repeat(249)] {
            validate_topic_name(ok).unwrap();
        }
        for bad in ["", ".", "..", "a b", "a/b", "ä", &"x".repeat(250)] {
            assert!(
                matches!(validate_topic_name(bad), Err(Error::InvalidTopicName { .. })),
                "{bad:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn metadata_round_trip(name in "[a-z.]{1,20}", id in any::<[u8; 16]>(), partitions in 1i32..1000,
                               overrides in proptest::collection::btree_map("[a-z.]{1,10}", "\\PC{0,10}", 0..5)) {
            let meta = TopicMeta { name, id, partitions, overrides };
            let bytes = meta.encode();
            prop_assert_eq!(TopicMeta::decode(&bytes).unwrap(), meta);
            for cut in [0, 3, bytes.len() / 2, bytes.len() - 1] {
                prop_assert!(TopicMeta::decode(&bytes[..cut]).is_err());
            }
        }
    }
}
