//! Decompression of record sections, used only to find record timestamps inside compressed
//! batches. Stored and served batches are never decompressed or recompressed.

use std::io::Read;

use crate::{Error, Result};

/// Largest decompressed record section accepted, so a hostile batch cannot exhaust memory.
pub(crate) const MAX_DECOMPRESSED: usize = 256 << 20;

/// The 8-byte magic that opens snappy-java's (xerial) stream framing, which Kafka uses.
const XERIAL_MAGIC: &[u8; 8] = b"\x82SNAPPY\x00";

fn corrupt(codec: &str, why: impl std::fmt::Display) -> Error {
    Error::CorruptBatch(format!("cannot decompress {codec} records: {why}"))
}

fn read_capped(codec: &str, reader: impl Read) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    reader
        .take(MAX_DECOMPRESSED as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| corrupt(codec, e))?;
    if out.len() > MAX_DECOMPRESSED {
        return Err(corrupt(codec, "decompressed size exceeds limit"));
    }
    Ok(out)
}

fn snappy_raw(block: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let len = snap::raw::decompress_len(block).map_err(|e| corrupt("snappy", e))?;
    if out.len() + len > MAX_DECOMPRESSED {
        return Err(corrupt("snappy", "decompressed size exceeds limit"));
    }
    let start = out.len();
    out.resize(start + len, 0);
    snap::raw::Decoder::new()
        .decompress(block, &mut out[start..])
        .map_err(|e| corrupt("snappy", e))?;
    Ok(())
}

/// Snappy as Kafka clients write it: xerial framing (magic, version, compat, then blocks of
/// `[i32 length][raw snappy]`), or a single raw snappy block from clients that skip the framing.
fn snappy(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    if data.len() >= 16 && &data[..8] == XERIAL_MAGIC {
        let mut rest = &data[16..];
        while !rest.is_empty() {
            let Some(len_bytes) = rest.get(..4) else {
                return Err(corrupt("snappy", "truncated block length"));
            };
            let len = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize;
            let Some(block) = rest.get(4..4 + len) else {
                return Err(corrupt("snappy", "truncated block"));
            };
            snappy_raw(block, &mut out)?;
            rest = &rest[4 + len..];
        }
    } else {
        snappy_raw(data, &mut out)?;
    }
    Ok(out)
}

/// Decompresses the record section of a batch compressed with `codec` (attributes bits 0-2).
pub(crate) fn decompress(codec: u8, data: &[u8]) -> Result<Vec<u8>> {
    match codec {
        0 => Ok(data.to_vec()),
        1 => read_capped("gzip", flate2::read::GzDecoder::new(data)),
        2 => snappy(data),
        3 => read_capped("lz4", lz4_flex::frame::FrameDecoder::new(data)),
        4 => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(data).map_err(|e| corrupt("zstd", e))?;
            read_capped("zstd", decoder)
        }
        other => Err(Error::CorruptBatch(format!("unknown compression codec {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sample() -> Vec<u8> {
        (0..5000u32).flat_map(|i| (i % 251).to_le_bytes()).collect()
    }

    #[test]
    fn every_codec_round_trips() {
        let data = sample();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&data).unwrap();
        assert_eq!(decompress(1, &gz.finish().unwrap()).unwrap(), data);

        let raw = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        assert_eq!(decompress(2, &raw).unwrap(), data);
        let mut xerial = XERIAL_MAGIC.to_vec();
        xerial.extend_from_slice(&1i32.to_be_bytes());
        xerial.extend_from_slice(&1i32.to_be_bytes());
        for chunk in data.chunks(3000) {
            let block = snap::raw::Encoder::new().compress_vec(chunk).unwrap();
            xerial.extend_from_slice(&(block.len() as u32).to_be_bytes());
            xerial.extend_from_slice(&block);
        }
        assert_eq!(decompress(2, &xerial).unwrap(), data);

        let mut lz = lz4_flex::frame::FrameEncoder::new(Vec::new());
        lz.write_all(&data).unwrap();
        assert_eq!(decompress(3, &lz.finish().unwrap()).unwrap(), data);

        let zs = ruzstd::encoding::compress_to_vec(&data[..], ruzstd::encoding::CompressionLevel::Fastest);
        assert_eq!(decompress(4, &zs).unwrap(), data);
    }

    #[test]
    fn garbage_is_an_error() {
        for codec in 1..=5 {
            assert!(
                decompress(codec, b"definitely not compressed").is_err(),
                "codec {codec}"
            );
        }
    }
}
