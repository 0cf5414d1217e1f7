//! Decompression of record sections: to validate the records of a produced compressed batch, and
//! to find record timestamps inside compressed batches. Produced batches are stored as they
//! came; only the log cleaner rewrites a batch that lost records, and [`compress`] re-compresses
//! its remaining records with the batch's own codec.

use std::io::Read;

use crate::{Error, Result};

/// Largest decompressed record section accepted, so a hostile batch cannot exhaust memory.
pub(crate) const MAX_DECOMPRESSED: usize = 256 << 20;

/// Upper bound on snappy's expansion ratio (its densest element, a 2-byte-offset copy, turns 3
/// bytes into 64), with a margin.
const SNAPPY_MAX_EXPANSION: usize = 24;

/// The 8-byte magic that opens snappy-java's (xerial) stream framing, which Kafka uses.
const XERIAL_MAGIC: &[u8; 8] = b"\x82SNAPPY\x00";

fn corrupt(codec: &str, why: impl std::fmt::Display) -> Error {
    Error::CorruptBatch(format!("cannot decompress {codec} records: {why}"))
}

fn read_capped(codec: &str, reader: impl Read, out: &mut Vec<u8>) -> Result<()> {
    reader
        .take(MAX_DECOMPRESSED as u64 + 1)
        .read_to_end(out)
        .map_err(|e| corrupt(codec, e))?;
    if out.len() > MAX_DECOMPRESSED {
        return Err(corrupt(codec, "decompressed size exceeds limit"));
    }
    Ok(())
}

fn snappy_raw(block: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let len = snap::raw::decompress_len(block).map_err(|e| corrupt("snappy", e))?;
    // No snappy element expands more than 22 times (a 3-byte copy of 64 bytes), so a larger
    // claimed length is a lie, and the buffer is zero-filled up front: without this check a
    // 20-byte block could make every produce allocate and touch 256 MiB.
    if len > block.len().saturating_mul(SNAPPY_MAX_EXPANSION) {
        return Err(corrupt(
            "snappy",
            format_args!("{len} bytes claimed from a {}-byte block", block.len()),
        ));
    }
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
fn snappy(data: &[u8], out: &mut Vec<u8>) -> Result<()> {
    if data.len() >= 16 && &data[..8] == XERIAL_MAGIC {
        let mut rest = &data[16..];
        while !rest.is_empty() {
            let Some(len_bytes) = rest.get(..4) else {
                return Err(corrupt("snappy", "truncated block length"));
            };
            let len = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize;
            let Some(block) = rest.get(4..).and_then(|r| r.get(..len)) else {
                return Err(corrupt("snappy", "truncated block"));
            };
            snappy_raw(block, out)?;
            rest = &rest[4 + len..];
        }
        Ok(())
    } else {
        snappy_raw(data, out)
    }
}

/// Decompresses the record section of a batch compressed with `codec` (attributes bits 0-2).
pub(crate) fn decompress(codec: u8, data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    decompress_into(codec, data, &mut out)?;
    Ok(out)
}

/// [`decompress`] into `out` (cleared first), so a caller can reuse one buffer across batches.
pub(crate) fn decompress_into(codec: u8, data: &[u8], out: &mut Vec<u8>) -> Result<()> {
    out.clear();
    match codec {
        0 => {
            out.extend_from_slice(data);
            Ok(())
        }
        1 => {
            // Java's GZIPInputStream reads concatenated members too.
            read_capped("gzip", flate2::read::MultiGzDecoder::new(data), out)
        }
        2 => snappy(data, out),
        3 => read_capped("lz4", lz4_flex::frame::FrameDecoder::new(data), out),
        4 => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(data).map_err(|e| corrupt("zstd", e))?;
            read_capped("zstd", decoder, out)
        }
        other => Err(Error::CorruptBatch(format!("unknown compression codec {other}"))),
    }
}

/// Raw snappy block size inside xerial framing (snappy-java's default).
const XERIAL_BLOCK: usize = 32 * 1024;

/// Compresses an uncompressed record section with `codec`, framed as Kafka clients frame it
/// (gzip member, xerial-framed snappy, LZ4 frame, zstd frame), so every client that reads what
/// producers write reads this too.
pub(crate) fn compress(codec: u8, data: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let failed =
        |codec: &str, e: std::io::Error| Error::CorruptBatch(format!("cannot compress {codec}: {e}"));
    match codec {
        0 => Ok(data.to_vec()),
        1 => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).map_err(|e| failed("gzip", e))?;
            e.finish().map_err(|e| failed("gzip", e))
        }
        2 => {
            let mut out = XERIAL_MAGIC.to_vec();
            // Version and minimum compatible version, as snappy-java writes them.
            out.extend_from_slice(&1i32.to_be_bytes());
            out.extend_from_slice(&1i32.to_be_bytes());
            let mut encoder = snap::raw::Encoder::new();
            for chunk in data.chunks(XERIAL_BLOCK) {
                let block = encoder
                    .compress_vec(chunk)
                    .map_err(|e| Error::CorruptBatch(format!("cannot compress snappy: {e}")))?;
                out.extend_from_slice(&(block.len() as u32).to_be_bytes());
                out.extend_from_slice(&block);
            }
            Ok(out)
        }
        3 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(data).map_err(|e| failed("lz4", e))?;
            e.finish()
                .map_err(|e| Error::CorruptBatch(format!("cannot compress lz4: {e}")))
        }
        4 => Ok(ruzstd::encoding::compress_to_vec(
            data,
            ruzstd::encoding::CompressionLevel::Fastest,
        )),
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
    fn snappy_length_beyond_any_possible_expansion_is_refused_before_allocating() {
        // A raw snappy block is a varint length and elements; claim 200 MiB in 5 bytes.
        let mut block = Vec::new();
        let mut len: u64 = 200 << 20;
        while len >= 0x80 {
            block.push((len as u8) | 0x80);
            len >>= 7;
        }
        block.push(len as u8);
        block.extend_from_slice(&[0; 16]);
        let err = decompress(2, &block).unwrap_err().to_string();
        assert!(err.contains("claimed"), "{err}");
        // The densest real input still decompresses.
        let data = vec![7u8; 1 << 20];
        let packed = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        assert!(packed.len() * SNAPPY_MAX_EXPANSION >= data.len());
        assert_eq!(decompress(2, &packed).unwrap(), data);
    }

    #[test]
    fn compress_round_trips_in_every_codec() {
        let data = sample();
        for codec in 0..=4 {
            let packed = compress(codec, &data).unwrap();
            assert_eq!(decompress(codec, &packed).unwrap(), data, "codec {codec}");
        }
        assert_eq!(&compress(2, &data).unwrap()[..8], XERIAL_MAGIC);
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
