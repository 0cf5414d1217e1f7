//! [`JobId`]: a job's identity, 16 random bytes shown as 32 lower-case hex digits as Flink
//! shows its job ids, so ids from different runs of the server never collide in practice.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::ServerError;

/// A job's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId([u8; 16]);

impl JobId {
    /// A fresh random id. The randomness is std's per-process random hash keys (no extra
    /// crate), mixed with the time and a counter so two ids of one process always differ.
    pub fn generate() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut bytes = [0u8; 16];
        for (i, half) in bytes.chunks_mut(8).enumerate() {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(n);
            h.write_u128(nanos);
            h.write_usize(i);
            half.copy_from_slice(&h.finish().to_be_bytes());
        }
        Self(bytes)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl FromStr for JobId {
    type Err = ServerError;

    /// Parses 32 hex digits (either case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ServerError::BadRequest(format!("'{s}' is not a job id (32 hex digits)"));
        if s.len() != 32 || !s.is_ascii() {
            return Err(bad());
        }
        let mut bytes = [0u8; 16];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_are_32_hex_digits_distinct_and_parse_back() {
        let a = JobId::generate();
        let b = JobId::generate();
        assert_ne!(a, b);
        let text = a.to_string();
        assert_eq!(text.len(), 32);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(text.parse::<JobId>().unwrap(), a);
        assert_eq!(text.to_uppercase().parse::<JobId>().unwrap(), a);
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in ["", "abc", &"g".repeat(32), &"a".repeat(33), "ééééééééééééééééa"] {
            assert!(bad.parse::<JobId>().is_err(), "{bad}");
        }
    }
}
