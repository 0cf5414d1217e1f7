//! The checkpointed position of a Kafka source subtask: per partition the next offset to read.
//!
//! Encoding (little endian): version byte `1`, entry count `u32`, then per entry the topic
//! (`u16` length + UTF-8), the partition `i32` and the next offset `i64`.

use crate::ConnectorError;
use crate::state_codec::{StateReader, StateWriter};

const VERSION: u8 = 1;

/// One partition's next offset: the engine's [`LogOffset`](spate_engine::LogOffset), which
/// is what a distributed job commits to its group for these positions.
pub use spate_engine::LogOffset as PartitionOffset;

/// Encodes positions.
pub fn encode(entries: &[PartitionOffset]) -> Result<Vec<u8>, ConnectorError> {
    let mut w = StateWriter::new(VERSION);
    w.count32(entries.len(), "partitions")?;
    for e in entries {
        w.str16(&e.topic, "topic name")?.i32(e.partition).i64(e.offset);
    }
    Ok(w.finish())
}

/// Decodes positions; an empty input (a subtask that never snapshotted) holds none.
pub fn decode(bytes: &[u8]) -> Result<Vec<PartitionOffset>, ConnectorError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = StateReader::new(bytes, VERSION, "kafka source position")?;
    let count = r.count32()?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        entries.push(PartitionOffset {
            topic: r.string16()?,
            partition: r.i32()?,
            offset: r.i64()?,
        });
    }
    r.end()?;
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(entries in proptest::collection::vec(("[a-z.-]{0,20}", any::<i32>(), any::<i64>()), 0..20)) {
            let entries: Vec<_> = entries.into_iter().map(|(topic, partition, offset)| PartitionOffset { topic, partition, offset }).collect();
            let bytes = encode(&entries).unwrap();
            prop_assert_eq!(decode(&bytes).unwrap(), entries);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn truncation_and_bad_version_are_errors() {
        let bytes = encode(&[PartitionOffset {
            topic: "t".into(),
            partition: 1,
            offset: 7,
        }])
        .unwrap();
        for cut in 1..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err());
        }
        let mut bad = bytes.clone();
        bad[0] = 9;
        assert!(decode(&bad).is_err());
        assert!(decode(&[]).unwrap().is_empty());
    }
}
