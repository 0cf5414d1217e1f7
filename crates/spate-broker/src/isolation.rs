//! What a reader at an isolation level gets from a partition, shared by Fetch and by in-process
//! readers ([`crate::local`]) so the two cannot disagree: read_uncommitted reads up to the high
//! watermark; read_committed only whole batches below the last stable offset, together with
//! the aborted transactions that overlap the returned range (the reader drops their records).

use spate_log::batch::BatchHeader;
use spate_log::{Partition, ReadResult};

/// Offset after the last record of `records` (whole stored batches), `None` if there are none.
fn end_offset(records: &[u8]) -> Option<i64> {
    let mut position = 0;
    let mut end = None;
    while let Some(rest) = records.get(position..)
        && let Ok(header) = BatchHeader::parse(rest)
    {
        end = Some(header.last_offset() + 1);
        position += header.total_len();
    }
    end
}

/// Whole batches from the one holding `offset`, at most `max_bytes` unless the first batch is
/// larger (KIP-74); under read_committed only those below the last stable offset.
pub(crate) fn read(
    partition: &Partition,
    offset: i64,
    max_bytes: usize,
    read_committed: bool,
) -> spate_log::Result<ReadResult> {
    if read_committed {
        partition.read_committed(offset, max_bytes)
    } else {
        partition.read(offset, max_bytes)
    }
}

/// `(producer id, first offset)` of the aborted transactions a read_committed reader of
/// `records` (read from `from_offset`) must drop, ordered by abort marker.
pub(crate) fn aborted_in(partition: &Partition, from_offset: i64, records: &[u8]) -> Vec<(i64, i64)> {
    end_offset(records).map_or_else(Vec::new, |end| partition.aborted_transactions(from_offset, end))
}
