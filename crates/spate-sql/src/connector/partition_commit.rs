//! The filesystem sink's partition commit, Flink's `sink.partition-commit.*`: once a partition's
//! files are committed (visible) and its trigger holds, the policy marks it done — with
//! `success-file`, an empty `_SUCCESS` file in its directory that downstream batch jobs wait
//! for.
//!
//! As in Flink's `PartitionTimeCommitTrigger` / `ProcTimeCommitTrigger`:
//! - a partition written before checkpoint `n`'s snapshot becomes pending when `n` completes
//!   (its files are then committed), and is committed at that completion or a later one whose
//!   trigger holds: `partition-time`, the watermark at the completed checkpoint's snapshot is
//!   past the partition's time (from its values, `partition.time-extractor.*`, read in
//!   `sink.partition-commit.watermark-time-zone`) plus `sink.partition-commit.delay`;
//!   `process-time`, the clock is past the time the partition was first written plus the delay;
//! - at the end of the input every partition written is committed;
//! - pending partitions are part of the checkpoint, so a restored job commits them later.
//!
//! Invariant: a success file is written only after every file of the partition that the
//! completed checkpoint covers is committed, by every subtask of the sink: the subtasks'
//! partitions and watermarks are gathered in one [`Committer`] they share (Flink's
//! `PartitionCommitter`), which marks a partition done once all of them have reported.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use spate_engine::{EngineError, SinkContext};

use super::dir_state::{decode_state, encode_state};
use super::opts::Options;
use super::partition_committer::Committer;
use super::partition_path::unescape_partition;
use crate::error::SqlError;
use crate::zone::{Overlap, SessionZone};

/// A partition commit policy and the partitions it is waiting on.
#[derive(Debug, Clone)]
pub(crate) struct PartitionCommit {
    trigger: Trigger,
    delay_ms: i64,
    /// `None` when the policy writes nothing here (`metastore`: Flink's filesystem tables have
    /// no metastore, so it does nothing for them either).
    success_file: Option<String>,
    /// Partitions (directories relative to the table path) written since the last snapshot,
    /// with the processing time (ms) each was first written.
    written: BTreeMap<String, i64>,
    /// Per checkpoint snapshotted but not complete: its partitions and its watermark.
    snapshots: BTreeMap<u64, (BTreeMap<String, i64>, i64)>,
    watermark: i64,
    /// Partitions whose files are committed, waiting for their trigger: shared by the sink's
    /// subtasks (every clone of this value).
    shared: Arc<Mutex<Committer>>,
    subtask: usize,
}

#[derive(Debug, Clone)]
enum Trigger {
    ProcessTime,
    PartitionTime(Extractor),
}

/// Flink's default partition time extractor.
#[derive(Debug, Clone)]
struct Extractor {
    /// The partition columns, in `PARTITIONED BY` order.
    keys: Vec<String>,
    /// `$dt $hm:00`: the keys replaced by their values; without it, the first value.
    pattern: Option<String>,
    /// A `DateTimeFormatter` pattern; without it, `yyyy-MM-dd[ HH:mm[:ss]]`.
    formatter: Option<String>,
    zone: SessionZone,
}

/// The state entry's name among the sink's per-directory entries: a directory name is
/// `key=value/..` or empty, and `=` in a key is escaped, so no directory has this name.
pub(crate) const STATE_ENTRY: &str = "=partition-commit";

impl PartitionCommit {
    /// The commit configured by a table's options, or `None` without
    /// `sink.partition-commit.policy.kind` or partition columns (Flink then commits nothing
    /// either).
    pub(crate) fn from_options(options: Options<'_>, keys: Vec<String>) -> Result<Option<Self>, SqlError> {
        let Some(kinds) = options.get("sink.partition-commit.policy.kind") else {
            return Ok(None);
        };
        let mut success_file = None;
        for kind in kinds.split(',').map(str::trim) {
            match kind.to_ascii_lowercase().as_str() {
                "success-file" => {
                    success_file = Some(
                        options
                            .get("sink.partition-commit.success-file.name")
                            .unwrap_or("_SUCCESS")
                            .to_string(),
                    );
                }
                "metastore" => {}
                "custom" => {
                    return Err(options.invalid(
                        "sink.partition-commit.policy.kind",
                        "custom commit policies (Java classes) are not supported; use success-file",
                    ));
                }
                other => {
                    return Err(options.invalid(
                        "sink.partition-commit.policy.kind",
                        format!("unknown policy '{other}' (valid: success-file, metastore, custom)"),
                    ));
                }
            }
        }
        // Flink adds its committer only for a partitioned table: elsewhere the policy is inert.
        if keys.is_empty() {
            return Ok(None);
        }
        let trigger = match options
            .get("sink.partition-commit.trigger")
            .unwrap_or("process-time")
            .to_ascii_lowercase()
            .as_str()
        {
            "process-time" => Trigger::ProcessTime,
            "partition-time" => {
                match options.get("partition.time-extractor.kind") {
                    None => {}
                    Some(k) if k.eq_ignore_ascii_case("default") => {}
                    Some(k) => {
                        return Err(options.invalid(
                            "partition.time-extractor.kind",
                            format!("'{k}' is not supported (only the default extractor is)"),
                        ));
                    }
                }
                let zone_name = options
                    .get("sink.partition-commit.watermark-time-zone")
                    .unwrap_or("UTC");
                let zone = SessionZone::parse(zone_name).ok_or_else(|| {
                    options.invalid(
                        "sink.partition-commit.watermark-time-zone",
                        format!("'{zone_name}' is not a time zone"),
                    )
                })?;
                Trigger::PartitionTime(Extractor {
                    keys,
                    pattern: options
                        .get("partition.time-extractor.timestamp-pattern")
                        .map(str::to_string),
                    formatter: options
                        .get("partition.time-extractor.timestamp-formatter")
                        .map(str::to_string),
                    zone,
                })
            }
            other => {
                return Err(options.invalid(
                    "sink.partition-commit.trigger",
                    format!("unknown trigger '{other}' (valid: process-time, partition-time)"),
                ));
            }
        };
        let delay_ms = options
            .duration("sink.partition-commit.delay")?
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Ok(Some(PartitionCommit {
            trigger,
            delay_ms,
            success_file,
            written: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            watermark: i64::MIN,
            shared: Arc::default(),
            subtask: 0,
        }))
    }

    /// Subtask `ctx.subtask` opened (before any restore).
    pub(crate) fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        self.subtask = ctx.subtask;
        self.committer()?.join(ctx.attempt, ctx.parallelism);
        Ok(())
    }

    fn committer(&self) -> Result<MutexGuard<'_, Committer>, EngineError> {
        self.shared
            .lock()
            .map_err(|_| EngineError::fatal("the partition committer failed in another subtask"))
    }

    /// Rows were written into partition `rel` at processing time `now_ms`.
    pub(crate) fn written(&mut self, rel: &str, now_ms: i64) {
        if !self.written.contains_key(rel) {
            self.written.insert(rel.to_string(), now_ms);
        }
    }

    pub(crate) fn watermark(&mut self, watermark: i64) {
        self.watermark = self.watermark.max(watermark);
    }

    /// Checkpoint `id`'s snapshot: the partitions written so far belong to it. Returns the
    /// state to keep in the checkpoint: every partition that is pending once `id` completes
    /// (this subtask's, and the ones the committer holds for all subtasks: restored, any
    /// subtask's state brings them back).
    pub(crate) fn snapshot(&mut self, id: u64) -> Result<Vec<u8>, EngineError> {
        let written = std::mem::take(&mut self.written);
        self.snapshots.insert(id, (written, self.watermark));
        let mut pending: BTreeMap<String, i64> = self
            .committer()?
            .pending()
            .iter()
            .map(|(rel, p)| (rel.clone(), p.created))
            .collect();
        for (parts, _) in self.snapshots.values() {
            for (rel, created) in parts {
                pending.entry(rel.clone()).or_insert(*created);
            }
        }
        Ok(encode(&pending))
    }

    /// Adds the pending partitions of a restored state.
    pub(crate) fn restore(&mut self, state: &[u8]) -> Result<(), EngineError> {
        let restored = decode(state)?;
        self.committer()?.add(restored, 0);
        Ok(())
    }

    /// Checkpoint `id` completed and this subtask committed its files: reports its partitions
    /// to the committer, and commits, under `dir`, the partitions whose trigger holds for all
    /// subtasks.
    pub(crate) fn checkpoint_complete(
        &mut self,
        id: u64,
        dir: &Path,
        now_ms: i64,
    ) -> Result<(), EngineError> {
        let mut watermark = None;
        let mut parts = BTreeMap::new();
        let later = self.snapshots.split_off(&(id.saturating_add(1)));
        for (_, (p, w)) in std::mem::replace(&mut self.snapshots, later) {
            watermark = Some(w);
            for (rel, created) in p {
                parts.entry(rel).or_insert(created);
            }
        }
        // A checkpoint this subtask did not snapshot (restored past it) reports nothing new.
        let Some(watermark) = watermark else {
            return Ok(());
        };
        let mut committer = self.committer()?;
        committer.add(parts, id);
        committer.report(self.subtask, id, watermark);
        let Some((common, watermark)) = committer.common() else {
            return Ok(());
        };
        let mut due = Vec::new();
        for (rel, p) in committer.pending() {
            if p.checkpoint > common {
                continue;
            }
            let ready = match &self.trigger {
                Trigger::ProcessTime => now_ms > p.created.saturating_add(self.delay_ms),
                Trigger::PartitionTime(extractor) => {
                    watermark > extractor.partition_time_ms(rel)?.saturating_add(self.delay_ms)
                }
            };
            if ready {
                due.push(rel.clone());
            }
        }
        for rel in due {
            self.commit(dir, &rel)?;
            committer.done(&rel);
        }
        Ok(())
    }

    /// The end of this subtask's input, after it committed its last files: once every
    /// subtask has ended, every partition is done.
    pub(crate) fn end_of_input(&mut self, dir: &Path) -> Result<(), EngineError> {
        let mut mine = std::mem::take(&mut self.written);
        for (parts, _) in std::mem::take(&mut self.snapshots).into_values() {
            mine.extend(parts);
        }
        let mut committer = self.committer()?;
        committer.add(mine, 0);
        if committer.finish(self.subtask) {
            for rel in committer.take_all().keys() {
                self.commit(dir, rel)?;
            }
        }
        Ok(())
    }

    fn commit(&self, dir: &Path, rel: &str) -> Result<(), EngineError> {
        let Some(name) = &self.success_file else {
            return Ok(());
        };
        let path = dir.join(rel).join(name);
        std::fs::write(&path, b"").map_err(|e| {
            EngineError::from(spate_connectors::ConnectorError::Io {
                path: path.clone(),
                source: e,
            })
        })
    }
}

impl Extractor {
    /// The partition's time in ms since the epoch: its values put into the pattern, parsed,
    /// and read as a wall-clock time of the watermark's zone.
    fn partition_time_ms(&self, rel: &str) -> Result<i64, EngineError> {
        let values = partition_values(rel);
        let value_of = |key: &str| values.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let text = match &self.pattern {
            Some(pattern) => {
                let mut text = pattern.clone();
                for key in &self.keys {
                    text = text.replace(&format!("${key}"), value_of(key).unwrap_or(""));
                }
                text
            }
            None => values.first().map(|(_, v)| v.clone()).unwrap_or_default(),
        };
        let local = match &self.formatter {
            Some(f) => crate::expr::parse_with_pattern(&text, f),
            None => crate::temporal::parse_timestamp(&text).or_else(|| {
                crate::temporal::parse_date(&text).map(|d| i64::from(d) * crate::temporal::MICROS_PER_DAY)
            }),
        };
        let local = local.ok_or_else(|| {
            EngineError::fatal(format!(
                "partition {rel}: its time '{text}' cannot be read{} (partition.time-extractor.*)",
                self.formatter
                    .as_deref()
                    .map(|f| format!(" with '{f}'"))
                    .unwrap_or_default()
            ))
        })?;
        Ok(self.zone.to_utc(local, Overlap::Earlier).div_euclid(1000))
    }
}

/// A partition directory's `(key, value)` pairs, unescaped (`hm=12%3A00` is `hm`, `12:00`).
fn partition_values(rel: &str) -> Vec<(String, String)> {
    rel.split('/')
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (unescape_partition(k), unescape_partition(v)))
        .collect()
}

/// The pending partitions in the sink's per-directory state layout (`encode_state`): each
/// partition's name with its creation time, 8 bytes little-endian.
fn encode(pending: &BTreeMap<String, i64>) -> Vec<u8> {
    let entries: Vec<(String, Vec<u8>)> = pending
        .iter()
        .map(|(rel, created)| (rel.clone(), created.to_le_bytes().to_vec()))
        .collect();
    encode_state(&entries)
}

fn decode(bytes: &[u8]) -> Result<Vec<(String, i64)>, EngineError> {
    decode_state(bytes)?
        .into_iter()
        .map(|(rel, created)| {
            let created = <[u8; 8]>::try_from(created.as_slice()).map_err(|_| {
                EngineError::InvalidPosition("partition commit state: bad creation time".into())
            })?;
            Ok((rel, i64::from_le_bytes(created)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn extractor(pattern: Option<&str>, formatter: Option<&str>, zone: &str) -> Extractor {
        Extractor {
            keys: vec!["dt".into(), "hm".into()],
            pattern: pattern.map(str::to_string),
            formatter: formatter.map(str::to_string),
            zone: SessionZone::parse(zone).expect("a zone"),
        }
    }

    #[test]
    fn partition_times_as_flink_extracts_them() {
        // Nexmark q10's pattern over its escaped `HH:mm` directory.
        let q10 = extractor(Some("$dt $hm:00"), None, "UTC");
        assert_eq!(
            q10.partition_time_ms("dt=2015-07-15/hm=00%3A01").ok(),
            Some(1_436_918_460_000)
        );
        // Without a pattern, the first value; a date alone is its midnight.
        let first = extractor(None, None, "UTC");
        assert_eq!(
            first.partition_time_ms("dt=1970-01-02/hm=x").ok(),
            Some(86_400_000)
        );
        // With a formatter; read in the watermark's zone (UTC-8 in January).
        let formatted = extractor(Some("$dt$hm"), Some("yyyyMMddHH"), "America/Los_Angeles");
        assert_eq!(
            formatted.partition_time_ms("dt=19700101/hm=01").ok(),
            Some(9 * 3_600_000)
        );
        // A value that is no time fails the job, naming the partition.
        let err = q10
            .partition_time_ms("dt=__DEFAULT_PARTITION__/hm=x")
            .unwrap_err();
        assert!(err.to_string().contains("dt=__DEFAULT_PARTITION__/hm=x"), "{err}");
    }

    /// Subtask 0 of 1, in an attempt of its own.
    fn commit(trigger: Trigger, delay_ms: i64) -> PartitionCommit {
        static ATTEMPT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let attempt = ATTEMPT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let template = PartitionCommit {
            trigger,
            delay_ms,
            success_file: Some("_SUCCESS".into()),
            written: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            watermark: i64::MIN,
            shared: Arc::default(),
            subtask: 0,
        };
        subtask(&template, 0, 1, attempt)
    }

    /// Subtask `subtask` of `parallelism`: a clone of `template` opened in `attempt`.
    fn subtask(
        template: &PartitionCommit,
        subtask: usize,
        parallelism: usize,
        attempt: u64,
    ) -> PartitionCommit {
        let mut pc = template.clone();
        pc.open(&SinkContext {
            subtask,
            parallelism,
            attempt,
        })
        .unwrap();
        pc
    }

    /// The partitions of `dir` that have a success file.
    fn committed(dir: &Path, rels: &[&str]) -> Vec<String> {
        rels.iter()
            .filter(|r| dir.join(r).join("_SUCCESS").exists())
            .map(|r| r.to_string())
            .collect()
    }

    #[test]
    fn partition_time_commits_once_the_watermark_passes_time_plus_delay() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            "dt=2015-07-15/hm=00%3A00",
            "dt=2015-07-15/hm=00%3A01",
            "dt=2015-07-15/hm=00%3A02",
        );
        for r in [a, b, c] {
            std::fs::create_dir_all(dir.path().join(r)).unwrap();
        }
        let minute = 60_000;
        let t0 = 1_436_918_400_000; // 2015-07-15 00:00 UTC
        let mut pc = commit(
            Trigger::PartitionTime(extractor(Some("$dt $hm:00"), None, "UTC")),
            minute,
        );
        pc.written(a, 0);
        pc.written(b, 0);
        pc.watermark(t0 + 2 * minute); // a's time + delay is passed, b's is reached, not passed
        pc.snapshot(1).unwrap();
        // Written after checkpoint 1's snapshot: its files are not in checkpoint 1.
        pc.written(c, 0);
        pc.watermark(t0 + 10 * minute);
        pc.checkpoint_complete(1, dir.path(), 0).unwrap();
        assert_eq!(committed(dir.path(), &[a, b, c]), vec![a]);
        // The next checkpoint's watermark (t0 + 10 min) passes b and c.
        pc.snapshot(2).unwrap();
        pc.checkpoint_complete(2, dir.path(), 0).unwrap();
        assert_eq!(committed(dir.path(), &[a, b, c]), vec![a, b, c]);
    }

    #[test]
    fn pending_partitions_survive_a_restore_and_the_end_of_input_commits_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = ("dt=2015-07-15/hm=00%3A00", "dt=2015-07-16/hm=00%3A00");
        for r in [a, b] {
            std::fs::create_dir_all(dir.path().join(r)).unwrap();
        }
        let mut before = commit(
            Trigger::PartitionTime(extractor(Some("$dt $hm:00"), None, "UTC")),
            0,
        );
        before.written(a, 0);
        let state = before.snapshot(7).unwrap();
        // Restored from checkpoint 7 (never completed before the crash).
        let mut after = commit(
            Trigger::PartitionTime(extractor(Some("$dt $hm:00"), None, "UTC")),
            0,
        );
        after.restore(&state).unwrap();
        after.written(b, 0);
        after.watermark(1_436_918_400_001);
        after.snapshot(8).unwrap();
        after.checkpoint_complete(8, dir.path(), 0).unwrap();
        assert_eq!(committed(dir.path(), &[a, b]), vec![a]);
        after.end_of_input(dir.path()).unwrap();
        assert_eq!(committed(dir.path(), &[a, b]), vec![a, b]);
    }

    #[test]
    fn process_time_commits_after_the_delay_from_the_first_write() {
        let dir = tempfile::tempdir().unwrap();
        let a = "k=x";
        std::fs::create_dir_all(dir.path().join(a)).unwrap();
        let mut pc = commit(Trigger::ProcessTime, 1000);
        pc.written(a, 100);
        pc.snapshot(1).unwrap();
        pc.checkpoint_complete(1, dir.path(), 1100).unwrap();
        assert!(committed(dir.path(), &[a]).is_empty());
        pc.snapshot(2).unwrap();
        pc.checkpoint_complete(2, dir.path(), 1101).unwrap();
        assert_eq!(committed(dir.path(), &[a]), vec![a]);
    }

    #[test]
    fn with_two_subtasks_a_partition_waits_for_both_and_their_least_watermark() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = ("dt=2015-07-15/hm=00%3A00", "dt=2015-07-15/hm=00%3A05");
        for r in [a, b] {
            std::fs::create_dir_all(dir.path().join(r)).unwrap();
        }
        let minute = 60_000;
        let t0 = 1_436_918_400_000; // 2015-07-15 00:00 UTC
        let template = commit(
            Trigger::PartitionTime(extractor(Some("$dt $hm:00"), None, "UTC")),
            0,
        );
        let mut s0 = subtask(&template, 0, 2, 1_000_000);
        let mut s1 = subtask(&template, 1, 2, 1_000_000);
        s0.written(a, 0);
        s1.written(a, 0);
        s0.watermark(t0 + 10 * minute);
        s1.watermark(t0 + 2 * minute);
        s0.snapshot(1).unwrap();
        s1.snapshot(1).unwrap();
        // Subtask 0 alone: subtask 1's files of `a` may not be visible yet.
        s0.checkpoint_complete(1, dir.path(), 0).unwrap();
        assert!(committed(dir.path(), &[a, b]).is_empty());
        s1.checkpoint_complete(1, dir.path(), 0).unwrap();
        assert_eq!(committed(dir.path(), &[a, b]), vec![a]);
        // `b` first reported with checkpoint 2 by subtask 0, whose watermark is past it; the
        // least watermark (subtask 1's, 00:02) is not, and subtask 1 has not reported 2.
        s0.written(b, 0);
        s0.snapshot(2).unwrap();
        s0.checkpoint_complete(2, dir.path(), 0).unwrap();
        assert_eq!(committed(dir.path(), &[a, b]), vec![a]);
        s1.watermark(t0 + 6 * minute);
        s1.snapshot(2).unwrap();
        s1.checkpoint_complete(2, dir.path(), 0).unwrap();
        assert_eq!(committed(dir.path(), &[a, b]), vec![a, b]);
    }

    #[test]
    fn a_partition_waits_until_every_subtask_reported_the_checkpoint_that_brought_it() {
        let dir = tempfile::tempdir().unwrap();
        let c = "k=c";
        std::fs::create_dir_all(dir.path().join(c)).unwrap();
        let template = commit(Trigger::ProcessTime, 0);
        let mut s0 = subtask(&template, 0, 2, 3_000_000);
        let mut s1 = subtask(&template, 1, 2, 3_000_000);
        for s in [&mut s0, &mut s1] {
            s.snapshot(1).unwrap();
            s.checkpoint_complete(1, dir.path(), 10).unwrap();
        }
        s0.written(c, 10);
        s1.written(c, 10);
        s0.snapshot(2).unwrap();
        s1.snapshot(2).unwrap();
        // Due by the clock, but subtask 1's files of `c` are committed only when it hears of
        // checkpoint 2.
        s0.checkpoint_complete(2, dir.path(), 1000).unwrap();
        assert!(committed(dir.path(), &[c]).is_empty());
        s1.checkpoint_complete(2, dir.path(), 1000).unwrap();
        assert_eq!(committed(dir.path(), &[c]), vec![c]);
    }

    #[test]
    fn a_restarted_attempt_restores_every_subtasks_partitions_and_ends_when_all_finish() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = ("k=a", "k=b");
        for r in [a, b] {
            std::fs::create_dir_all(dir.path().join(r)).unwrap();
        }
        let template = commit(Trigger::ProcessTime, i64::MAX / 2);
        let mut s0 = subtask(&template, 0, 2, 2_000_000);
        let mut s1 = subtask(&template, 1, 2, 2_000_000);
        s0.written(a, 0);
        s1.written(b, 0);
        let states = [s0.snapshot(4).unwrap(), s1.snapshot(4).unwrap()];
        // The attempt failed; the next one restores checkpoint 4 at parallelism 2 (a subtask
        // left over from the failed attempt reports nothing into the new one).
        let mut r0 = subtask(&template, 0, 2, 2_000_001);
        let mut r1 = subtask(&template, 1, 2, 2_000_001);
        r0.restore(&states[0]).unwrap();
        r1.restore(&states[1]).unwrap();
        assert!(committed(dir.path(), &[a, b]).is_empty());
        r0.end_of_input(dir.path()).unwrap();
        assert!(
            committed(dir.path(), &[a, b]).is_empty(),
            "subtask 1 has not finished"
        );
        r1.end_of_input(dir.path()).unwrap();
        assert_eq!(committed(dir.path(), &[a, b]), vec![a, b]);
    }

    proptest! {
        #[test]
        fn state_round_trips(pending in proptest::collection::btree_map("[a-z=/%0-9]{0,12}", any::<i64>(), 0..5)) {
            let decoded: BTreeMap<String, i64> = decode(&encode(&pending)).unwrap().into_iter().collect();
            prop_assert_eq!(decoded, pending);
        }

        #[test]
        fn corrupt_state_is_an_error_not_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = decode(&bytes);
        }
    }
}
