//! Hand-encoded Kafka v2 record batches for tests.

use std::io::Write;

use spate_log::{LogConfig, Partition};

pub const GZIP: u8 = 1;
pub const SNAPPY: u8 = 2;
pub const LZ4: u8 = 3;
pub const ZSTD: u8 = 4;

/// A batch to encode; `records` are (timestamp, value).
#[derive(Debug, Clone)]
pub struct TestBatch {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub codec: u8,
    /// Snappy only: use the xerial framing Kafka's Java client writes.
    pub xerial: bool,
    /// Sets attribute bit 4 (part of a transaction).
    pub transactional: bool,
    pub records: Vec<(i64, Vec<u8>)>,
}

impl TestBatch {
    pub fn new(records: Vec<(i64, Vec<u8>)>) -> Self {
        TestBatch {
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            codec: 0,
            xerial: false,
            transactional: false,
            records,
        }
    }
    /// `n` records with values `value-<i>` and timestamps `ts, ts+1, ...`.
    pub fn simple(n: usize, ts: i64) -> Self {
        Self::new(
            (0..n)
                .map(|i| (ts + i as i64, format!("value-{i}").into_bytes()))
                .collect(),
        )
    }
    pub fn idempotent(mut self, producer_id: i64, epoch: i16, sequence: i32) -> Self {
        self.producer_id = producer_id;
        self.producer_epoch = epoch;
        self.base_sequence = sequence;
        self
    }
    /// A transactional batch of producer `producer_id`.
    pub fn transactional(mut self, producer_id: i64, epoch: i16, sequence: i32) -> Self {
        self.transactional = true;
        self.idempotent(producer_id, epoch, sequence)
    }
    pub fn codec(mut self, codec: u8) -> Self {
        self.codec = codec;
        self
    }
    pub fn xerial(mut self) -> Self {
        self.xerial = true;
        self
    }
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }
}

pub fn varint(value: i64, out: &mut Vec<u8>) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn compress(codec: u8, xerial: bool, data: &[u8]) -> Vec<u8> {
    match codec {
        0 => data.to_vec(),
        GZIP => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        SNAPPY if xerial => {
            let mut out = b"\x82SNAPPY\x00".to_vec();
            out.extend_from_slice(&1i32.to_be_bytes());
            out.extend_from_slice(&1i32.to_be_bytes());
            for chunk in data.chunks(32 * 1024) {
                let block = snap::raw::Encoder::new().compress_vec(chunk).unwrap();
                out.extend_from_slice(&(block.len() as u32).to_be_bytes());
                out.extend_from_slice(&block);
            }
            out
        }
        SNAPPY => snap::raw::Encoder::new().compress_vec(data).unwrap(),
        LZ4 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        ZSTD => ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest),
        other => panic!("codec {other}"),
    }
}

pub fn encode(b: &TestBatch) -> Vec<u8> {
    assert!(!b.records.is_empty());
    let base_ts = b.records.iter().map(|r| r.0).min().unwrap();
    let max_ts = b.records.iter().map(|r| r.0).max().unwrap();
    let mut records = Vec::new();
    for (i, (ts, value)) in b.records.iter().enumerate() {
        let mut body = vec![0u8]; // attributes
        varint(ts - base_ts, &mut body);
        varint(i as i64, &mut body);
        varint(-1, &mut body); // null key
        varint(value.len() as i64, &mut body);
        body.extend_from_slice(value);
        varint(0, &mut body); // no headers
        varint(body.len() as i64, &mut records);
        records.extend_from_slice(&body);
    }
    let records = compress(b.codec, b.xerial, &records);
    let mut out = Vec::with_capacity(61 + records.len());
    out.extend_from_slice(&0i64.to_be_bytes());
    out.extend_from_slice(&((49 + records.len()) as i32).to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes()); // partition leader epoch
    out.push(2);
    out.extend_from_slice(&[0; 4]); // crc, filled below
    let attributes = i16::from(b.codec) | if b.transactional { 0x10 } else { 0 };
    out.extend_from_slice(&attributes.to_be_bytes());
    out.extend_from_slice(&(b.records.len() as i32 - 1).to_be_bytes());
    out.extend_from_slice(&base_ts.to_be_bytes());
    out.extend_from_slice(&max_ts.to_be_bytes());
    out.extend_from_slice(&b.producer_id.to_be_bytes());
    out.extend_from_slice(&b.producer_epoch.to_be_bytes());
    out.extend_from_slice(&b.base_sequence.to_be_bytes());
    out.extend_from_slice(&(b.records.len() as i32).to_be_bytes());
    out.extend_from_slice(&records);
    let crc = crc32c::crc32c(&out[21..]);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    out
}

/// Small segments and dense indexes so tests exercise rolls and index lookups quickly.
pub fn small_config(segment_bytes: u64) -> LogConfig {
    LogConfig {
        segment_bytes,
        index_interval_bytes: 256,
        ..LogConfig::default()
    }
}

/// Reads the whole partition from `from`, returning each batch's bytes.
pub fn read_all(p: &Partition, from: i64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut offset = from;
    while offset < p.log_end_offset() {
        let r = p.read(offset, 4096).unwrap();
        assert!(
            !r.records.is_empty(),
            "no data at {offset} below LEO {}",
            p.log_end_offset()
        );
        let headers = spate_log::batch::validate_batches(&r.records).unwrap();
        let mut pos = 0;
        for h in headers {
            out.push(r.records[pos..pos + h.total_len()].to_vec());
            pos += h.total_len();
            offset = h.last_offset() + 1;
        }
    }
    out
}

/// `original` with its base offset set to `base`, as the log stores it.
pub fn with_base_offset(original: &[u8], base: i64) -> Vec<u8> {
    let mut b = original.to_vec();
    b[..8].copy_from_slice(&base.to_be_bytes());
    b
}
