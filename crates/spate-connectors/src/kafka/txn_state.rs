//! The checkpointed state of an exactly-once Kafka sink subtask: its pre-committed (pending)
//! transactions and the sequence number of its next transactional id.
//!
//! Encoding (little endian): version byte `1`, next sequence `u64`, count `u32`, then per
//! transaction: transactional id (`u16` length + UTF-8), checkpoint id `u64`, producer id
//! `i64`, producer epoch `i16`.

use super::position::Reader;
use crate::ConnectorError;

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
        let mut out = vec![VERSION];
        out.extend_from_slice(&self.next_sequence.to_le_bytes());
        let count = u32::try_from(self.pending.len())
            .map_err(|_| ConnectorError::State("too many transactions".into()))?;
        out.extend_from_slice(&count.to_le_bytes());
        for t in &self.pending {
            let len = u16::try_from(t.transactional_id.len())
                .map_err(|_| ConnectorError::State("transactional id too long".into()))?;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(t.transactional_id.as_bytes());
            out.extend_from_slice(&t.checkpoint_id.to_le_bytes());
            out.extend_from_slice(&t.producer_id.to_le_bytes());
            out.extend_from_slice(&t.producer_epoch.to_le_bytes());
        }
        Ok(out)
    }

    /// Decodes a state; empty bytes are the state of a subtask that had nothing to record.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, ConnectorError> {
        if bytes.is_empty() {
            return Ok(Self::default());
        }
        let mut r = Reader { bytes, at: 0 };
        let version = r.take::<1>()?[0];
        if version != VERSION {
            return Err(ConnectorError::State(format!(
                "kafka sink state version {version}, expected {VERSION}"
            )));
        }
        let next_sequence = u64::from_le_bytes(r.take()?);
        let count = u32::from_le_bytes(r.take()?) as usize;
        let mut pending = Vec::with_capacity(count.min(bytes.len() / 20));
        for _ in 0..count {
            let len = u16::from_le_bytes(r.take()?) as usize;
            let transactional_id = std::str::from_utf8(r.slice(len)?)
                .map_err(|_| ConnectorError::State("transactional id is not UTF-8".into()))?
                .to_string();
            pending.push(PendingTxn {
                transactional_id,
                checkpoint_id: u64::from_le_bytes(r.take()?),
                producer_id: i64::from_le_bytes(r.take()?),
                producer_epoch: i16::from_le_bytes(r.take()?),
            });
        }
        if r.at != bytes.len() {
            return Err(ConnectorError::State(format!(
                "{} bytes after the sink state",
                bytes.len() - r.at
            )));
        }
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
