//! The checkpointed state of an exactly-once Kafka sink subtask: its pre-committed (pending)
//! transactions and the sequence number of its next transactional id.
//!
//! Encoding (little endian): version byte `1`, next sequence `u64`, count `u32`, then per
//! transaction: transactional id (`u16` length + UTF-8), checkpoint id `u64`, producer id
//! `i64`, producer epoch `i16`.

use crate::ConnectorError;
use crate::state_codec::{StateReader, StateWriter};

const VERSION: u8 = 1;

/// A transaction flushed at a checkpoint barrier and not yet known to be committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingTxn {
    pub(crate) transactional_id: String,
    pub(crate) checkpoint_id: u64,
    pub(crate) producer_id: i64,
    pub(crate) producer_epoch: i16,
}

/// What one sink subtask stores in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SinkTxnState {
    pub(crate) next_sequence: u64,
    pub(crate) pending: Vec<PendingTxn>,
}

impl SinkTxnState {
    pub(crate) fn encode(&self) -> Result<Vec<u8>, ConnectorError> {
        let mut w = StateWriter::new(VERSION);
        w.u64(self.next_sequence)
            .count32(self.pending.len(), "transactions")?;
        for t in &self.pending {
            w.str16(&t.transactional_id, "transactional id")?
                .u64(t.checkpoint_id)
                .i64(t.producer_id)
                .i16(t.producer_epoch);
        }
        Ok(w.finish())
    }

    /// Decodes a state; empty bytes are the state of a subtask that had nothing to record.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, ConnectorError> {
        if bytes.is_empty() {
            return Ok(Self::default());
        }
        let mut r = StateReader::new(bytes, VERSION, "kafka sink state")?;
        let next_sequence = r.u64()?;
        let count = r.count32()?;
        let mut pending = Vec::with_capacity(count);
        for _ in 0..count {
            pending.push(PendingTxn {
                transactional_id: r.string16()?,
                checkpoint_id: r.u64()?,
                producer_id: r.i64()?,
                producer_epoch: r.i16()?,
            });
        }
        r.end()?;
        Ok(Self {
            next_sequence,
            pending,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(next in any::<u64>(), txns in proptest::collection::vec(("[a-z0-9-]{0,30}", any::<u64>(), any::<i64>(), any::<i16>()), 0..10)) {
            let state = SinkTxnState {
                next_sequence: next,
                pending: txns.into_iter().map(|(transactional_id, checkpoint_id, producer_id, producer_epoch)| PendingTxn { transactional_id, checkpoint_id, producer_id, producer_epoch }).collect(),
            };
            let bytes = state.encode().unwrap();
            prop_assert_eq!(SinkTxnState::decode(&bytes).unwrap(), state);
            for cut in 1..bytes.len() {
                prop_assert!(SinkTxnState::decode(&bytes[..cut]).is_err());
            }
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = SinkTxnState::decode(&bytes);
        }
    }
}
