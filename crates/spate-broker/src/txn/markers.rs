//! Writing a transaction's markers: one control batch per partition, each fsynced by
//! [`spate_log::Partition::append_control`]. The partitions are independent files, so their
//! writes and fsyncs run side by side (a few scoped threads) and EndTxn waits for the slowest
//! fsync instead of the sum of them.

use std::sync::Arc;

use kafka_protocol::ResponseError;
use spate_log::{LogStore, Partition};

use super::TxnResult;

/// At most this many threads write markers for one transaction.
const MAX_PARALLEL: usize = 8;

/// Writes the commit or abort marker of (`producer_id`, `producer_epoch`) to every partition
/// that still exists, returning once all are on stable storage (or the first failure).
pub(crate) fn write_all(
    store: &LogStore,
    partitions: impl Iterator<Item = (String, i32)>,
    producer_id: i64,
    producer_epoch: i16,
    commit: bool,
    coordinator_epoch: i32,
) -> TxnResult<()> {
    // A partition deleted since it joined the transaction has nothing left to mark.
    let targets: Vec<(String, i32, Arc<Partition>)> = partitions
        .filter_map(|(topic, index)| store.partition(&topic, index).map(|p| (topic, index, p)))
        .collect();
    let write = |chunk: &[(String, i32, Arc<Partition>)]| -> TxnResult<()> {
        for (topic, index, partition) in chunk {
            match partition.append_control(producer_id, producer_epoch, commit, coordinator_epoch) {
                Ok(_) => {}
                Err(spate_log::Error::InvalidProducerEpoch { .. }) => {
                    // A newer epoch already wrote there, which ended this transaction.
                    tracing::warn!(topic, partition = index, "marker superseded by a newer epoch");
                }
                Err(e) => {
                    tracing::error!(topic, partition = index, "cannot write transaction marker: {e}");
                    return Err(ResponseError::KafkaStorageError);
                }
            }
        }
        Ok(())
    };
    if targets.len() <= 1 {
        return write(&targets);
    }
    let chunk_len = targets.len().div_ceil(MAX_PARALLEL);
    let write = &write;
    std::thread::scope(|scope| {
        let mut chunks = targets.chunks(chunk_len);
        // The calling thread takes the first chunk itself.
        let first = chunks.next().unwrap_or(&[]);
        let spawned: Vec<_> = chunks
            .map(|chunk| {
                std::thread::Builder::new()
                    .name("spate-txn-marker".into())
                    .spawn_scoped(scope, move || write(chunk))
                    .map_err(|_| chunk)
            })
            .collect();
        let mut result = write(first);
        for handle in spawned {
            let outcome = match handle {
                Ok(h) => h.join().unwrap_or(Err(ResponseError::KafkaStorageError)),
                // No thread to be had: write this chunk here.
                Err(chunk) => write(chunk),
            };
            result = result.and(outcome);
        }
        result
    })
}
