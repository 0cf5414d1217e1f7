//! The checkpointed position of a Kafka source subtask: per partition the next offset to read.
//!
//! Encoding (little endian): version byte `1`, entry count `u32`, then per entry the topic
//! (`u16` length + UTF-8), the partition `i32` and the next offset `i64`.

use crate::ConnectorError;

const VERSION: u8 = 1;

/// One partition's next offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionOffset {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset of the next record to read.
    pub offset: i64,
}

/// Encodes positions.
pub fn encode(entries: &[PartitionOffset]) -> Result<Vec<u8>, ConnectorError> {
    let mut out = Vec::with_capacity(5 + entries.len() * 24);
    out.push(VERSION);
    let count =
        u32::try_from(entries.len()).map_err(|_| ConnectorError::State("too many partitions".into()))?;
    out.extend_from_slice(&count.to_le_bytes());
    for e in entries {
        let len = u16::try_from(e.topic.len())
            .map_err(|_| ConnectorError::State(format!("topic name of {} bytes", e.topic.len())))?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(e.topic.as_bytes());
        out.extend_from_slice(&e.partition.to_le_bytes());
        out.extend_from_slice(&e.offset.to_le_bytes());
    }
    Ok(out)
}

/// Decodes positions; an empty input (a subtask that never snapshotted) holds none.
pub fn decode(bytes: &[u8]) -> Result<Vec<PartitionOffset>, ConnectorError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = Reader { bytes, at: 0 };
    let version = r.take::<1>()?[0];
    if version != VERSION {
        return Err(ConnectorError::State(format!(
            "kafka source position version {version}, expected {VERSION}"
        )));
    }
    let count = u32::from_le_bytes(r.take()?) as usize;
    // Every entry needs at least 14 bytes: do not trust the count for the allocation.
    let mut entries = Vec::with_capacity(count.min(bytes.len() / 14));
    for _ in 0..count {
        let len = u16::from_le_bytes(r.take()?) as usize;
        let topic = std::str::from_utf8(r.slice(len)?)
            .map_err(|_| ConnectorError::State("topic name is not UTF-8".into()))?
            .to_string();
        let partition = i32::from_le_bytes(r.take()?);
        let offset = i64::from_le_bytes(r.take()?);
        entries.push(PartitionOffset {
            topic,
            partition,
            offset,
        });
    }
    if r.at != bytes.len() {
        return Err(ConnectorError::State(format!(
            "{} bytes after the positions",
            bytes.len() - r.at
        )));
    }
    Ok(entries)
}

/// A bounds-checked cursor shared by the connector's small binary codecs.
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn slice(&mut self, n: usize) -> Result<&'a [u8], ConnectorError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| ConnectorError::State(format!("truncated at byte {}", self.at)))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    pub(crate) fn take<const N: usize>(&mut self) -> Result<[u8; N], ConnectorError> {
        let s = self.slice(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
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
