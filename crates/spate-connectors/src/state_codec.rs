//! The one small binary encoding of the crate's checkpointed states (file and Kafka source
//! positions, sink states): a version byte, then little-endian integers and strings (`u32` or
//! `u16` length + UTF-8); every read is bounds-checked so corrupt checkpoint bytes give
//! [`ConnectorError::State`], never a panic.

use crate::error::ConnectorError;

/// Appends values to a byte vector.
#[derive(Debug, Default)]
pub(crate) struct StateWriter {
    pub(crate) bytes: Vec<u8>,
}

impl StateWriter {
    pub(crate) fn new(version: u8) -> Self {
        Self { bytes: vec![version] }
    }
    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub(crate) fn str(&mut self, s: &str) -> &mut Self {
        // Names and paths in states are far below 4 GiB; saturating keeps it panic-free and a
        // corrupt length is caught on read.
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(s.as_bytes());
        self
    }
    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub(crate) fn i16(&mut self, v: i16) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub(crate) fn i32(&mut self, v: i32) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub(crate) fn i64(&mut self, v: i64) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// A count as `u32` (formats that store counts that way).
    pub(crate) fn count32(&mut self, n: usize, what: &str) -> Result<&mut Self, ConnectorError> {
        let n = u32::try_from(n).map_err(|_| ConnectorError::State(format!("too many {what}")))?;
        Ok(self.u32(n))
    }

    /// A string with a `u16` length (topic names, transactional ids).
    pub(crate) fn str16(&mut self, s: &str, what: &str) -> Result<&mut Self, ConnectorError> {
        let len = u16::try_from(s.len())
            .map_err(|_| ConnectorError::State(format!("{what} of {} bytes", s.len())))?;
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(s.as_bytes());
        Ok(self)
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads what a [`StateWriter`] wrote.
#[derive(Debug)]
pub(crate) struct StateReader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> StateReader<'a> {
    /// Checks the version byte; `what` names the state in error messages.
    pub(crate) fn new(bytes: &'a [u8], version: u8, what: &'static str) -> Result<Self, ConnectorError> {
        match bytes.split_first() {
            Some((&v, rest)) if v == version => Ok(Self { bytes: rest, what }),
            Some((&v, _)) => Err(ConnectorError::State(format!(
                "{what}: unsupported version {v} (expected {version})"
            ))),
            None => Err(ConnectorError::State(format!("{what}: empty state"))),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ConnectorError> {
        if self.bytes.len() < n {
            return Err(ConnectorError::State(format!(
                "{}: truncated (needed {n} more bytes, {} left)",
                self.what,
                self.bytes.len()
            )));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ConnectorError> {
        let b = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    pub(crate) fn u64(&mut self) -> Result<u64, ConnectorError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn i16(&mut self) -> Result<i16, ConnectorError> {
        Ok(i16::from_le_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, ConnectorError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, ConnectorError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A `u32` count; like [`len`](Self::len) it must not exceed the remaining bytes.
    pub(crate) fn count32(&mut self) -> Result<usize, ConnectorError> {
        let n = u32::from_le_bytes(self.array()?);
        if n as usize > self.bytes.len() {
            return Err(ConnectorError::State(format!(
                "{}: count {n} exceeds the state size",
                self.what
            )));
        }
        Ok(n as usize)
    }

    /// A string written by [`StateWriter::str16`].
    pub(crate) fn string16(&mut self) -> Result<String, ConnectorError> {
        let len = u16::from_le_bytes(self.array()?) as usize;
        let raw = self.take(len)?;
        String::from_utf8(raw.to_vec())
            .map_err(|_| ConnectorError::State(format!("{}: a name is not UTF-8", self.what)))
    }

    pub(crate) fn len(&mut self) -> Result<usize, ConnectorError> {
        let n = self.u64()?;
        // Every element takes at least one byte, so a count above the remaining bytes is corrupt.
        if n > self.bytes.len() as u64 {
            return Err(ConnectorError::State(format!(
                "{}: count {n} exceeds the state size",
                self.what
            )));
        }
        Ok(n as usize)
    }

    pub(crate) fn string(&mut self) -> Result<String, ConnectorError> {
        let len = u32::from_le_bytes(self.array()?) as usize;
        let raw = self.take(len)?;
        String::from_utf8(raw.to_vec())
            .map_err(|_| ConnectorError::State(format!("{}: a name is not UTF-8", self.what)))
    }

    /// Fails unless every byte was consumed (trailing bytes mean a different format).
    pub(crate) fn end(self) -> Result<(), ConnectorError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(ConnectorError::State(format!(
                "{}: {} trailing bytes",
                self.what,
                self.bytes.len()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(items in proptest::collection::vec((any::<u64>(), ".{0,20}"), 0..20)) {
            let mut w = StateWriter::new(3);
            w.u64(items.len() as u64);
            for (n, s) in &items {
                w.u64(*n).str(s);
            }
            let bytes = w.finish();
            let mut r = StateReader::new(&bytes, 3, "test").unwrap();
            let n = r.len().unwrap();
            let mut back = Vec::new();
            for _ in 0..n {
                back.push((r.u64().unwrap(), r.string().unwrap()));
            }
            r.end().unwrap();
            prop_assert_eq!(back, items);
        }

        #[test]
        fn corrupt_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(mut r) = StateReader::new(&bytes, 1, "test")
                && let Ok(n) = r.len()
            {
                for _ in 0..n {
                    if r.u64().is_err() || r.string().is_err() {
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn wrong_version_and_truncation_are_errors() {
        let mut w = StateWriter::new(1);
        w.u64(5).str("abc");
        let bytes = w.finish();
        assert!(StateReader::new(&bytes, 2, "t").is_err());
        assert!(StateReader::new(&[], 1, "t").is_err());
        let mut r = StateReader::new(&bytes[..bytes.len() - 1], 1, "t").unwrap();
        assert_eq!(r.u64().unwrap(), 5);
        assert!(r.string().is_err());
    }
}
