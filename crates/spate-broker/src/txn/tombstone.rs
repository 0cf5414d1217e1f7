//! The state log's record of a removed transactional id (expired after
//! `transactional.id.expiration.ms`), Kafka's tombstone in `__transaction_state`. After it, the
//! id's earlier records mean nothing; compaction drops them and it together.
//!
//! Layout (big-endian): `magic "SPTR" | version u16 = 1 | transactionalId: len u32, UTF-8 |
//! crc32c u32` over all preceding bytes.

const MAGIC: &[u8; 4] = b"SPTR";
const VERSION: u16 = 1;
const HEADER: usize = 4 + 2 + 4;

pub(crate) fn encode(transactional_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + transactional_id.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_be_bytes());
    out.extend_from_slice(&(transactional_id.len() as u32).to_be_bytes());
    out.extend_from_slice(transactional_id.as_bytes());
    let crc = crc32c::crc32c(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// Whether `payload` is meant to be a removal record (its magic), whatever else it holds.
pub(crate) fn is_tombstone(payload: &[u8]) -> bool {
    payload.starts_with(MAGIC)
}

/// The removed id; `Err` says what is wrong with a record that has the magic.
pub(crate) fn decode(payload: &[u8]) -> Result<String, String> {
    let body_len = payload.len().checked_sub(4).ok_or("record too short")?;
    let (body, crc) = payload.split_at(body_len);
    if crc32c::crc32c(body).to_be_bytes() != crc {
        return Err("checksum mismatch".to_string());
    }
    let header = body.get(..HEADER).ok_or("record too short")?;
    if &header[..4] != MAGIC {
        return Err("bad magic".to_string());
    }
    let version = u16::from_be_bytes([header[4], header[5]]);
    if version != VERSION {
        return Err(format!("unknown removal record version {version}"));
    }
    let len = u32::from_be_bytes([header[6], header[7], header[8], header[9]]) as usize;
    let id = &body[HEADER..];
    if id.len() != len {
        return Err("length does not match".to_string());
    }
    String::from_utf8(id.to_vec()).map_err(|_| "invalid UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip_and_damage_is_an_error(id in "\\PC{0,30}") {
            let bytes = encode(&id);
            prop_assert!(is_tombstone(&bytes));
            prop_assert_eq!(decode(&bytes), Ok(id));
            for cut in [0, 5, bytes.len() - 1] {
                prop_assert!(decode(&bytes[..cut]).is_err());
            }
            let mut flipped = bytes.clone();
            let last = flipped.len() - 5;
            flipped[last] ^= 1;
            prop_assert!(decode(&flipped).is_err());
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = decode(&bytes);
        }
    }
}
