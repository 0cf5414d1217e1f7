//! The state layout of the filesystem connector's per-directory parts (the sink's `FileSink`s
//! per partition, the source's `FileSource`s, the partition commit's pending partitions): a
//! list of named byte strings. Part of the checkpoint format.

use spate_engine::EngineError;

/// Per-directory states (the sink's `FileSink`s, the source's `FileSource`s): count, then per
/// directory its path relative to `path` and its state.
pub(super) fn encode_state(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (dir, state) in entries {
        for part in [dir.as_bytes(), state.as_slice()] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

pub(super) fn decode_state(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, EngineError> {
    fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], EngineError> {
        if rest.len() < n {
            return Err(EngineError::InvalidPosition(
                "filesystem sink state is truncated or corrupt".into(),
            ));
        }
        let (a, b) = rest.split_at(n);
        *rest = b;
        Ok(a)
    }
    fn len(rest: &mut &[u8]) -> Result<usize, EngineError> {
        let b = take(rest, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut rest = bytes;
    let n = len(&mut rest)?;
    let mut out = Vec::new();
    for _ in 0..n {
        let l = len(&mut rest)?;
        let dir = String::from_utf8(take(&mut rest, l)?.to_vec())
            .map_err(|_| EngineError::InvalidPosition("filesystem sink state: bad directory name".into()))?;
        let l = len(&mut rest)?;
        out.push((dir, take(&mut rest, l)?.to_vec()));
    }
    if !rest.is_empty() {
        return Err(EngineError::InvalidPosition(
            "filesystem sink state has trailing bytes".into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_state_round_trips_and_rejects_garbage() {
        let entries = vec![("k=1".to_string(), vec![1, 2, 3]), (String::new(), vec![])];
        assert_eq!(decode_state(&encode_state(&entries)).unwrap(), entries);
        assert!(decode_state(&[5, 0, 0, 0, 1]).is_err());
    }
}
