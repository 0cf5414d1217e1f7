//! The Confluent wire format: a record is the magic byte `0`, the schema id as a 4-byte
//! big-endian integer, then the payload (Avro binary; for Protobuf the message indexes come
//! first, which the Protobuf format reads).

use crate::error::{ClientError, Result};

/// The first byte of every framed record.
pub const MAGIC: u8 = 0;

/// Bytes before the payload.
pub const HEADER_LEN: usize = 5;

/// Appends the header of a record written with schema `id`.
pub fn write_header(id: u32, out: &mut Vec<u8>) {
    out.push(MAGIC);
    out.extend_from_slice(&id.to_be_bytes());
}

/// The schema id and the payload of a framed record.
pub fn split(record: &[u8]) -> Result<(u32, &[u8])> {
    match record {
        [] => Err(ClientError::Wire("an empty record has no schema id".into())),
        [m, ..] if *m != MAGIC => Err(ClientError::Wire(format!(
            "unknown magic byte {m} (a Confluent-framed record starts with 0)"
        ))),
        [_, a, b, c, d, payload @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), payload)),
        _ => Err(ClientError::Wire(format!(
            "a record of {} bytes is shorter than the 5-byte Confluent header",
            record.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_bad_frames_are_errors() {
        let mut out = Vec::new();
        write_header(0x0102_0304, &mut out);
        out.push(42);
        assert_eq!(out, [0, 1, 2, 3, 4, 42]);
        assert_eq!(split(&out).expect("framed"), (0x0102_0304, &[42u8][..]));
        assert_eq!(split(&[0, 0, 0, 0, 7]).expect("framed").0, 7);
        assert!(split(&[]).unwrap_err().to_string().contains("empty"));
        assert!(
            split(&[1, 0, 0, 0, 1])
                .unwrap_err()
                .to_string()
                .contains("magic byte 1")
        );
        assert!(split(&[0, 0, 1]).unwrap_err().to_string().contains("3 bytes"));
    }
}
