//! What operators write at a barrier: keyed state per key group and operator state per subtask.

use std::sync::{Arc, Mutex};

use crate::checkpoint::Barrier;
use crate::record::StateData;

/// Who an operator subtask is, for its state in a checkpoint. The uid names the operator across
/// runs (set with `DataStream::uid`, or derived from its position and name in the graph).
#[derive(Debug, Clone)]
pub(crate) struct OperatorIdentity {
    pub(crate) uid: Arc<str>,
    pub(crate) subtask: usize,
    pub(crate) parallelism: usize,
}

/// The state one operator subtask wrote at a barrier.
#[derive(Debug, Default)]
pub(crate) struct OperatorSnapshot {
    pub(crate) uid: Arc<str>,
    pub(crate) subtask: usize,
    pub(crate) parallelism: usize,
    /// (key group, serialised entries of that group).
    pub(crate) keyed: Vec<(u32, Vec<u8>)>,
    /// Key groups taken copy-on-write at the barrier and serialised when the checkpoint is
    /// written (by the coordinator, off the task thread).
    pub(crate) deferred: Vec<DeferredKeyGroup>,
    /// A finished task's key groups, kept for every later checkpoint and serialised only when
    /// one needs them (see [`FinalKeyGroup`]).
    pub(crate) kept: Vec<FinalKeyGroup>,
    /// Non-keyed state (source position, sink pre-commit).
    pub(crate) operator: Option<Vec<u8>>,
}

/// A key group whose bytes are produced after the barrier, from state the task shared with it.
pub(crate) struct DeferredKeyGroup {
    pub(crate) key_group: u32,
    encode: Box<dyn FnOnce() -> Result<Vec<u8>, String> + Send>,
}

impl std::fmt::Debug for DeferredKeyGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeferredKeyGroup")
            .field("key_group", &self.key_group)
            .finish_non_exhaustive()
    }
}

impl DeferredKeyGroup {
    /// Serialises the key group.
    pub(crate) fn encode(self) -> Result<(u32, Vec<u8>), String> {
        Ok((self.key_group, (self.encode)()?))
    }
}

/// A key group of a finished task's final snapshot. The snapshot stands in for the task in
/// every later checkpoint, but a bounded job usually ends right after its tasks finish and
/// never takes one: serialising all of a join's or window's state then (seconds for a GiB, on
/// the task thread) was pure waste. So the group is serialised the first time a checkpoint
/// writes it, and those bytes are reused by the checkpoints after. The state it reads cannot
/// change any more: its task has finished.
#[derive(Clone)]
pub(crate) struct FinalKeyGroup {
    key_group: u32,
    bytes: Arc<Mutex<FinalBytes>>,
}

enum FinalBytes {
    Unencoded(Box<dyn FnOnce() -> Result<Vec<u8>, String> + Send>),
    Encoded(Result<Arc<[u8]>, String>),
}

impl std::fmt::Debug for FinalKeyGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinalKeyGroup")
            .field("key_group", &self.key_group)
            .finish_non_exhaustive()
    }
}

impl FinalKeyGroup {
    fn new(deferred: DeferredKeyGroup) -> Self {
        Self {
            key_group: deferred.key_group,
            bytes: Arc::new(Mutex::new(FinalBytes::Unencoded(deferred.encode))),
        }
    }

    /// The group as one checkpoint's deferred key group (serialised by the writer, once).
    pub(crate) fn for_checkpoint(&self) -> DeferredKeyGroup {
        let bytes = self.bytes.clone();
        DeferredKeyGroup {
            key_group: self.key_group,
            encode: Box::new(move || {
                let mut cell = bytes.lock().unwrap_or_else(|e| e.into_inner());
                if matches!(*cell, FinalBytes::Unencoded(_)) {
                    let pending = std::mem::replace(&mut *cell, FinalBytes::Encoded(Err(String::new())));
                    if let FinalBytes::Unencoded(encode) = pending {
                        *cell = FinalBytes::Encoded(encode().map(Arc::from));
                    }
                }
                match &*cell {
                    FinalBytes::Encoded(Ok(b)) => Ok(b.to_vec()),
                    FinalBytes::Encoded(Err(e)) => Err(e.clone()),
                    FinalBytes::Unencoded(_) => Err("internal: final key group not encoded".into()),
                }
            }),
        }
    }
}

impl OperatorSnapshot {
    /// Serialises the deferred and kept key groups now, so `keyed` holds every key group.
    #[cfg(test)]
    pub(crate) fn resolve(&mut self) -> Result<(), String> {
        for d in std::mem::take(&mut self.deferred) {
            self.keyed.push(d.encode()?);
        }
        for k in std::mem::take(&mut self.kept) {
            self.keyed.push(k.for_checkpoint().encode()?);
        }
        Ok(())
    }
}

/// Passed down a chain with a barrier: every stateful operator adds its state, then passes the
/// barrier on (edge writers send it to the next tasks).
#[derive(Debug)]
pub struct CheckpointCtx {
    pub(crate) barrier: Barrier,
    /// The snapshot a task takes when it finished: it stands in for the task in later
    /// checkpoints; edge writers do not forward it (downstream already saw end of stream).
    pub(crate) is_final: bool,
    pub(crate) snapshots: Vec<OperatorSnapshot>,
    pub(crate) errors: Vec<String>,
    /// How long the task held channels back waiting for this barrier on all of them (zero
    /// for sources and single-input tasks whose barrier came on their only channel).
    pub(crate) alignment: std::time::Duration,
}

impl CheckpointCtx {
    pub(crate) fn new(barrier: Barrier) -> Self {
        Self {
            barrier,
            is_final: false,
            snapshots: Vec::new(),
            errors: Vec::new(),
            alignment: std::time::Duration::ZERO,
        }
    }

    /// The snapshot of a finished task (see `is_final`), under the id of the first checkpoint
    /// it stands in for (see `TaskCheckpointing::begin_final`).
    pub(crate) fn final_snapshot(id: u64) -> Self {
        let mut ctx = Self::new(Barrier { id, savepoint: false });
        ctx.is_final = true;
        ctx
    }

    /// The checkpoint id.
    pub fn id(&self) -> u64 {
        self.barrier.id
    }

    fn entry(&mut self, who: &OperatorIdentity) -> &mut OperatorSnapshot {
        let found = self
            .snapshots
            .iter()
            .position(|s| s.uid == who.uid && s.subtask == who.subtask);
        let i = match found {
            Some(i) => i,
            None => {
                self.snapshots.push(OperatorSnapshot {
                    uid: who.uid.clone(),
                    subtask: who.subtask,
                    parallelism: who.parallelism,
                    ..Default::default()
                });
                self.snapshots.len() - 1
            }
        };
        &mut self.snapshots[i]
    }

    /// Records that `who` has a (possibly empty) snapshot, so a restore finds the operator.
    pub(crate) fn touch(&mut self, who: &OperatorIdentity) {
        self.entry(who);
    }

    /// Adds the serialised entries of one key group.
    pub(crate) fn add_key_group<E: serde::Serialize>(
        &mut self,
        who: &OperatorIdentity,
        key_group: usize,
        entries: &E,
    ) {
        match encode(entries) {
            Ok(bytes) => self.entry(who).keyed.push((key_group as u32, bytes)),
            Err(e) => self.fail(who, &e),
        }
    }

    /// Adds a key group whose bytes `encode` produces later, on the thread that writes the
    /// checkpoint; `encode` must own (or share copy-on-write) the state as it was at the
    /// barrier. A finished task's groups are kept unencoded until a later checkpoint needs
    /// them ([`FinalKeyGroup`]).
    pub(crate) fn add_key_group_later(
        &mut self,
        who: &OperatorIdentity,
        key_group: usize,
        encode: impl FnOnce() -> Result<Vec<u8>, String> + Send + 'static,
    ) {
        let deferred = DeferredKeyGroup {
            key_group: key_group as u32,
            encode: Box::new(encode),
        };
        if self.is_final {
            self.entry(who).kept.push(FinalKeyGroup::new(deferred));
        } else {
            self.entry(who).deferred.push(deferred);
        }
    }

    /// Sets the operator state of `who`.
    pub(crate) fn set_operator_state(&mut self, who: &OperatorIdentity, bytes: Vec<u8>) {
        self.entry(who).operator = Some(bytes);
    }

    /// An operator that cannot be checkpointed yet was reached: the checkpoint is declined.
    pub(crate) fn unsupported(&mut self, what: &str) {
        self.errors.push(format!("{what} do not support checkpoints yet"));
    }

    /// The snapshot of `who` failed: the checkpoint is declined with this reason.
    pub(crate) fn fail(&mut self, who: &OperatorIdentity, reason: &str) {
        self.errors.push(format!(
            "operator `{}` subtask {}: {reason}",
            who.uid, who.subtask
        ));
    }
}

/// Serialises state with the checkpoint's binary encoding.
pub(crate) fn encode<E: serde::Serialize + ?Sized>(value: &E) -> Result<Vec<u8>, String> {
    bincode::serialize(value).map_err(|e| format!("cannot serialise state: {e}"))
}

/// Deserialises state written by [`encode`].
pub(crate) fn decode<E: StateData>(bytes: &[u8]) -> Result<E, String> {
    bincode::deserialize(bytes).map_err(|e| format!("cannot deserialise state: {e}"))
}

/// Bytes that serialise as one length-prefixed block with serde's `serialize_bytes`, which
/// bincode lays out exactly like a `Vec<u8>` (a u64 length, then the bytes) but copies in one go
/// instead of byte by byte. The engine nests serialised state in it (a key group's states inside
/// their envelope: a checkpoint's state passes through here twice per byte); a state value that
/// is a byte buffer wraps one for the same reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

impl From<Vec<u8>> for Blob {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl serde::Serialize for Blob {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Blob {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct BlobVisitor;
        impl<'de> serde::de::Visitor<'de> for BlobVisitor {
            type Value = Blob;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Blob, E> {
                Ok(Blob(v))
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Blob, E> {
                Ok(Blob(v.to_vec()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Blob, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
                while let Some(b) = seq.next_element()? {
                    v.push(b);
                }
                Ok(Blob(v))
            }
        }
        d.deserialize_byte_buf(BlobVisitor)
    }
}

/// Buckets keyed entries by key group, in key-group order, for [`CheckpointCtx::add_key_group`].
pub(crate) fn group_by_key_group<K: std::hash::Hash, V>(
    entries: impl IntoIterator<Item = (K, V)>,
    max_parallelism: usize,
) -> std::collections::BTreeMap<usize, Vec<(K, V)>> {
    let mut groups: std::collections::BTreeMap<usize, Vec<(K, V)>> = Default::default();
    for (k, v) in entries {
        groups
            .entry(crate::keygroup::key_group_of(&k, max_parallelism))
            .or_default()
            .push((k, v));
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A `Blob` is written exactly as the `Vec<u8>` that checkpoints before it held, and
        /// reads back (so old checkpoints restore and new ones round-trip).
        #[test]
        fn blob_is_laid_out_like_a_byte_vector(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300), name in ".{0,8}") {
            let as_blob = encode(&vec![(name.clone(), Blob(bytes.clone()))]).unwrap();
            let as_vec = encode(&vec![(name.clone(), bytes.clone())]).unwrap();
            proptest::prop_assert_eq!(&as_blob, &as_vec);
            let back: Vec<(String, Blob)> = decode(&as_vec).unwrap();
            proptest::prop_assert_eq!(back, vec![(name, Blob(bytes))]);
        }
    }
}

#[cfg(test)]
mod final_snapshot_tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn who() -> OperatorIdentity {
        OperatorIdentity {
            uid: Arc::from("join"),
            subtask: 0,
            parallelism: 1,
        }
    }

    /// A finished task's key groups cost nothing until a later checkpoint writes them; then
    /// they are serialised once, and every later checkpoint gets the same bytes.
    #[test]
    fn a_final_snapshot_is_serialised_only_when_a_checkpoint_needs_it_and_then_once() {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut ctx = CheckpointCtx::final_snapshot(0);
        let counted = calls.clone();
        ctx.add_key_group_later(&who(), 7, move || {
            counted.fetch_add(1, Ordering::SeqCst);
            encode(&vec![(1u64, "a".to_string())])
        });
        assert!(ctx.errors.is_empty());
        let snap = &ctx.snapshots[0];
        assert!(snap.keyed.is_empty() && snap.deferred.is_empty());
        assert_eq!(snap.kept.len(), 1);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "serialised before any checkpoint asked"
        );

        let first = snap.kept[0].for_checkpoint().encode().unwrap();
        let second = snap.kept[0].clone().for_checkpoint().encode().unwrap();
        assert_eq!(first.0, 7);
        assert_eq!(first, second);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let back: Vec<(u64, String)> = decode(&first.1).unwrap();
        assert_eq!(back, vec![(1, "a".to_string())]);
    }

    /// A group that cannot be serialised fails every checkpoint that includes it, with the
    /// reason (it used to be dropped silently when the task finished).
    #[test]
    fn a_final_key_group_that_cannot_be_serialised_fails_each_checkpoint_with_its_reason() {
        let mut ctx = CheckpointCtx::final_snapshot(0);
        ctx.add_key_group_later(&who(), 3, || Err("no serializer".to_string()));
        let kept = &ctx.snapshots[0].kept[0];
        for _ in 0..2 {
            let err = kept.for_checkpoint().encode().unwrap_err();
            assert!(err.contains("no serializer"), "{err}");
        }
    }

    /// A regular (non-final) checkpoint still defers to its writer, and keeps nothing.
    #[test]
    fn a_regular_checkpoint_defers_to_its_writer() {
        let mut ctx = CheckpointCtx::new(Barrier {
            id: 4,
            savepoint: false,
        });
        ctx.add_key_group_later(&who(), 1, || encode(&0u8));
        assert_eq!(ctx.snapshots[0].deferred.len(), 1);
        assert!(ctx.snapshots[0].kept.is_empty());
    }
}
