//! The large-state checkpoint benchmark (`spate bench checkpoint`): `keys` keys with a
//! `value_bytes` value each in keyed `ValueState` (1 M keys x 1 KiB = 1 GiB by default), a
//! savepoint of all of it taken while updates keep flowing (the longest gap between two
//! processed records is the pause the checkpoint caused), and a restore of that savepoint into
//! a fresh job.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::checkpoint::CheckpointConfig;
use crate::checkpoint::snapshot::{Blob, decode};
use crate::error::EngineError;
use crate::operators::keyed_process::{KeyedContext, KeyedProcessFunction};
use crate::record::StateData;
use crate::source::{SourceBatch, SourceContext, SourceStatus};
use crate::state::{StateRegistry, ValueState};
use crate::stream::StreamEnvironment;
use crate::watermark::WatermarkStrategy;
use crate::{Source, source::SeededRng};

/// What the benchmark measured.
#[derive(Debug, Clone)]
pub struct LargeStateReport {
    /// Keys held.
    pub keys: u64,
    /// Bytes of state values (keys and framing not counted).
    pub state_bytes: u64,
    /// Time to load the state (records through the job).
    pub load: Duration,
    /// Savepoint: trigger to completed `_metadata` (the copy-on-write snapshot at the barrier,
    /// then serialisation, file writes and fsync on the coordinator thread).
    pub snapshot: Duration,
    /// The longest gap between two records the stateful operator processed while the
    /// savepoint was taken: how long the checkpoint held processing up.
    pub pause: Duration,
    /// Updates (rewrites of existing keys) processed while the savepoint was taken.
    pub updates_during_snapshot: u64,
    /// Size of the savepoint directory.
    pub snapshot_bytes: u64,
    /// Restore: a fresh job reading the savepoint into its state backend, until it processes
    /// its first record (every task restores before any runs).
    pub restore: Duration,
    /// The restored job's whole run: the restore, one record, then the end of the job and
    /// freeing the state (its final snapshot is serialised only if a checkpoint follows).
    pub restore_job: Duration,
    /// Keys found in the restored state (must equal `keys`).
    pub restored_keys: u64,
}

/// Emits keys `0..keys` with a `value_bytes` payload, then rewrites existing keys for as long
/// as `updating` is set, then idles (never finishes), so the state stays in place.
#[derive(Debug, Clone)]
struct KeysSource {
    next: u64,
    end: u64,
    stride: u64,
    value_bytes: usize,
    idle: bool,
    updating: Option<Arc<AtomicBool>>,
    updates: u64,
}

impl Source<(u64, Vec<u8>)> for KeysSource {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        self.next = ctx.subtask as u64;
        self.stride = ctx.parallelism as u64;
        Ok(1)
    }
    fn poll(&mut self, out: &mut SourceBatch<(u64, Vec<u8>)>) -> Result<SourceStatus, EngineError> {
        while self.next < self.end && out.remaining() > 0 {
            let mut rng = SeededRng::new(self.next);
            let mut v = vec![0u8; self.value_bytes];
            for chunk in v.chunks_mut(8) {
                let r = rng.next_u64().to_le_bytes();
                chunk.copy_from_slice(&r[..chunk.len()]);
            }
            out.push((self.next, v));
            self.next += self.stride;
        }
        if self.next >= self.end {
            let updating = self.updating.as_ref().is_some_and(|u| u.load(Ordering::Relaxed));
            if updating {
                // A key of this subtask, spread over all of them (and so over all key groups).
                while out.remaining() > 0 {
                    self.updates += 1;
                    let key = (self.updates.wrapping_mul(7919) % self.end.div_ceil(self.stride))
                        * self.stride
                        + self.next % self.stride;
                    out.push((key.min(self.end - 1), vec![self.updates as u8; self.value_bytes]));
                }
                return Ok(SourceStatus::Available);
            }
            return Ok(if self.idle {
                SourceStatus::Pending
            } else {
                SourceStatus::Finished
            });
        }
        Ok(SourceStatus::Available)
    }
    fn snapshot_position(&mut self, _: u64) -> Result<Vec<u8>, EngineError> {
        Ok(self.next.to_le_bytes().to_vec())
    }
    fn restore_positions(&mut self, _: &SourceContext, _: &[Vec<u8>]) -> Result<(), EngineError> {
        // The restore run reads one record, which marks when the state is back.
        self.next = self.end.saturating_sub(1);
        Ok(())
    }
}

/// What the load run's operator reports to the benchmark.
#[derive(Default)]
struct Probe {
    seen: AtomicU64,
    /// When the first record was processed.
    first: std::sync::OnceLock<Instant>,
    /// Set while the savepoint is taken: gaps are measured then.
    measuring: AtomicBool,
    longest_gap_ns: AtomicU64,
    updates_measured: AtomicU64,
}

/// How the benchmark's values are kept in state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateValue {
    /// `Vec<u8>`: what a job writes without thinking about it. serde encodes and decodes it
    /// byte by byte (in every format), which is most of a restore's time.
    ByteVec,
    /// A byte block serialised with `serialize_bytes` (as `serde_bytes` does): one copy each
    /// way. Measures the engine's own snapshot and restore path.
    ByteBlock,
}

#[derive(Clone)]
struct Store<V> {
    value: Option<ValueState<V>>,
    probe: Option<Arc<Probe>>,
    last: Option<Instant>,
}

impl<V: StateData + From<Vec<u8>>> KeyedProcessFunction<u64, (u64, Vec<u8>), u64> for Store<V> {
    fn open(&mut self, states: &mut StateRegistry<'_, u64>) {
        self.value = Some(states.value("value"));
    }
    fn process_element(&mut self, (_, v): (u64, Vec<u8>), ctx: &mut KeyedContext<'_, u64, u64>) {
        if let Some(s) = &self.value {
            s.update(ctx, V::from(v));
        }
        if let Some(probe) = &self.probe {
            let _ = probe.first.set(Instant::now());
            probe.seen.fetch_add(1, Ordering::Relaxed);
            if probe.measuring.load(Ordering::Relaxed) {
                let now = Instant::now();
                if let Some(last) = self.last {
                    let gap = now.duration_since(last).as_nanos() as u64;
                    probe.longest_gap_ns.fetch_max(gap, Ordering::Relaxed);
                }
                self.last = Some(now);
                probe.updates_measured.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Keys in the savepoint's state of the `store` operator (decoded outside the timings).
fn count_keys<V: StateData>(path: &Path) -> Result<u64, EngineError> {
    type Group = (Vec<(String, Blob)>, Vec<(i64, u64)>, Vec<(i64, u64)>);
    let restored = crate::checkpoint::restore::RestoredCheckpoint::open(path)?;
    let all = crate::keygroup::KeyGroupRange {
        start: 0,
        end: restored.meta.max_parallelism,
    };
    let mut found = 0u64;
    for (_, bytes) in restored.key_groups("store", all)? {
        let (states, _, _): Group = decode(&bytes).map_err(EngineError::Checkpoint)?;
        for (_, entries) in states {
            let entries: Vec<(u64, V)> = decode(&entries.0).map_err(EngineError::Checkpoint)?;
            found += entries.len() as u64;
        }
    }
    Ok(found)
}

/// Loads `keys` x `value_bytes` of keyed state at `parallelism`, takes a savepoint into `dir`
/// while updates run, and restores it into a fresh job.
pub fn large_state(
    keys: u64,
    value_bytes: usize,
    parallelism: usize,
    values: StateValue,
    dir: &Path,
) -> Result<LargeStateReport, EngineError> {
    match values {
        StateValue::ByteVec => run::<Vec<u8>>(keys, value_bytes, parallelism, dir),
        StateValue::ByteBlock => run::<Blob>(keys, value_bytes, parallelism, dir),
    }
}

fn run<V: StateData + From<Vec<u8>>>(
    keys: u64,
    value_bytes: usize,
    parallelism: usize,
    dir: &Path,
) -> Result<LargeStateReport, EngineError> {
    let probe = Arc::new(Probe::default());
    let updating = Arc::new(AtomicBool::new(true));
    let build = |env: &StreamEnvironment, idle: bool, probe: Option<Arc<Probe>>| {
        let source = KeysSource {
            next: 0,
            end: keys,
            stride: 1,
            value_bytes,
            idle,
            updating: idle.then(|| updating.clone()),
            updates: 0,
        };
        env.add_source("keys", source, WatermarkStrategy::no_watermarks())
            .uid("keys")
            .key_by(|(k, _): &(u64, Vec<u8>)| *k)
            .process(Store::<V> {
                value: None,
                probe,
                last: None,
            })
            .uid("store")
            .for_each_batch(|_| {});
    };
    let env = StreamEnvironment::new();
    env.set_parallelism(parallelism);
    env.enable_checkpointing(CheckpointConfig::new(
        dir.join("checkpoints"),
        Duration::from_secs(86_400),
    ));
    build(&env, true, Some(probe.clone()));
    let handle = env.job_handle();
    let savepoints = dir.join("savepoints");
    let started = Instant::now();
    let (watcher_probe, watcher_updating) = (probe.clone(), updating.clone());
    let watcher = std::thread::spawn(move || {
        while watcher_probe.seen.load(Ordering::Relaxed) < keys {
            std::thread::sleep(Duration::from_millis(5));
        }
        let load = started.elapsed();
        // Updates are flowing now; give them a moment to reach a steady rate.
        std::thread::sleep(Duration::from_millis(200));
        watcher_probe.measuring.store(true, Ordering::Relaxed);
        let t = Instant::now();
        let path = handle.savepoint(&savepoints);
        let snapshot = t.elapsed();
        watcher_probe.measuring.store(false, Ordering::Relaxed);
        watcher_updating.store(false, Ordering::Relaxed);
        handle.cancel();
        (load, snapshot, path)
    });
    env.execute()?;
    let (load, snapshot, path) = watcher
        .join()
        .map_err(|_| EngineError::Checkpoint("benchmark watcher panicked".into()))?;
    let path = path?;
    let snapshot_bytes = dir_size(&path);

    let env = StreamEnvironment::new();
    env.set_parallelism(parallelism);
    env.restore_from(&path);
    let restored = Arc::new(Probe::default());
    build(&env, false, Some(restored.clone()));
    let t = Instant::now();
    env.execute()?;
    let restore_job = t.elapsed();
    let restore = restored
        .first
        .get()
        .map_or(restore_job, |first| first.duration_since(t));
    let found = count_keys::<V>(&path)?;
    Ok(LargeStateReport {
        keys,
        state_bytes: keys * value_bytes as u64,
        load,
        snapshot,
        pause: Duration::from_nanos(probe.longest_gap_ns.load(Ordering::Relaxed)),
        updates_during_snapshot: probe.updates_measured.load(Ordering::Relaxed),
        snapshot_bytes,
        restore,
        restore_job,
        restored_keys: found,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_savepoint_taken_under_updates_restores_every_key_with_either_value_type() {
        for values in [StateValue::ByteVec, StateValue::ByteBlock] {
            let dir = tempfile::tempdir().unwrap();
            let r = large_state(3_000, 100, 2, values, dir.path()).unwrap();
            assert_eq!(r.restored_keys, 3_000, "{values:?}");
            assert!(r.snapshot_bytes > 300_000, "{values:?}: {r:?}");
        }
    }
}
