//! Avro object container files (the spec's "Object Container Files"): a header (magic
//! `Obj\x01`, a metadata map of byte strings holding `avro.schema` and `avro.codec`, a 16-byte
//! sync marker) followed by blocks of (datum count, byte size, the encoded datums, the sync
//! marker). Iceberg's manifests and manifest lists are such files.
//!
//! Codecs: `null` and `deflate` (raw RFC 1951, no zlib header) for writing and reading; they
//! are the two every Avro implementation has, and `deflate` is what Java Iceberg and pyiceberg
//! write by default. Whole files are built and parsed in memory (manifests are small); no I/O.

use crate::binary::{Reader, write_bytes, write_long};
use crate::datum::Datum;
use crate::error::{AvroError, Result};
use crate::schema::Schema;

/// The four bytes every container file starts with.
pub const MAGIC: [u8; 4] = *b"Obj\x01";

/// Uncompressed bytes a reader inflates one block to at most (a deflate bomb stops here).
const MAX_BLOCK_BYTES: usize = 256 << 20;

/// Datums of a zero-width schema one block may claim (each still costs a `Datum` in memory).
const MAX_EMPTY_DATUMS: i64 = 1 << 20;

/// Datums encoded into a block before it is closed (Java's default block size is ~64 KB of
/// bytes; a count is simpler and gives blocks of similar size for manifest entries).
const DATUMS_PER_BLOCK: usize = 1000;

/// A block compression codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Blocks stored as encoded.
    Null,
    /// Blocks compressed with raw deflate.
    Deflate,
}

impl Codec {
    /// The `avro.codec` metadata value.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Null => "null",
            Codec::Deflate => "deflate",
        }
    }

    fn from_name(name: &str) -> Result<Codec> {
        match name {
            "null" => Ok(Codec::Null),
            "deflate" => Ok(Codec::Deflate),
            other => Err(AvroError::Decode {
                at: 0,
                message: format!("unsupported container codec {other:?} (only null and deflate)"),
            }),
        }
    }

    fn compress(self, block: Vec<u8>) -> Vec<u8> {
        match self {
            Codec::Null => block,
            // Level 6: zlib's default, what Java's DeflateCodec uses unless told otherwise.
            Codec::Deflate => miniz_oxide::deflate::compress_to_vec(&block, 6),
        }
    }

    fn decompress(self, block: &[u8], at: usize) -> Result<Vec<u8>> {
        match self {
            Codec::Null => Ok(block.to_vec()),
            Codec::Deflate => miniz_oxide::inflate::decompress_to_vec_with_limit(block, MAX_BLOCK_BYTES)
                .map_err(|e| AvroError::Decode {
                    at,
                    message: format!("deflate block does not inflate: {e:?}"),
                }),
        }
    }
}

/// Builds a container file in memory.
#[derive(Debug)]
pub struct ContainerWriter<'s> {
    schema: &'s Schema,
    codec: Codec,
    sync: [u8; 16],
    out: Vec<u8>,
    block: Vec<u8>,
    in_block: usize,
}

impl<'s> ContainerWriter<'s> {
    /// Starts a file of `schema`, whose JSON text `schema_text` goes into `avro.schema` as
    /// given (so properties a generic printer might reorder, such as Iceberg's `field-id`,
    /// stay exactly as written). `metadata` are further header entries (keys starting with
    /// `avro.` are reserved and refused). `sync` must be random per file: readers find block
    /// boundaries by it.
    pub fn new(
        schema: &'s Schema,
        schema_text: &str,
        metadata: &[(&str, &[u8])],
        codec: Codec,
        sync: [u8; 16],
    ) -> Result<Self> {
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(&MAGIC);
        // The metadata map as one block; an empty map would still need the terminating 0.
        write_long(metadata.len() as i64 + 2, &mut out);
        write_bytes(b"avro.schema", &mut out);
        write_bytes(schema_text.as_bytes(), &mut out);
        write_bytes(b"avro.codec", &mut out);
        write_bytes(codec.name().as_bytes(), &mut out);
        for (key, value) in metadata {
            if key.starts_with("avro.") {
                return Err(AvroError::Encode(format!(
                    "metadata key {key:?} is reserved for Avro"
                )));
            }
            write_bytes(key.as_bytes(), &mut out);
            write_bytes(value, &mut out);
        }
        write_long(0, &mut out);
        out.extend_from_slice(&sync);
        Ok(ContainerWriter {
            schema,
            codec,
            sync,
            out,
            block: Vec::new(),
            in_block: 0,
        })
    }

    /// Appends one datum (checked against the schema as it is encoded).
    pub fn append(&mut self, datum: &Datum) -> Result<()> {
        self.schema.encode(datum, &mut self.block)?;
        self.in_block += 1;
        if self.in_block >= DATUMS_PER_BLOCK {
            self.flush_block();
        }
        Ok(())
    }

    fn flush_block(&mut self) {
        if self.in_block == 0 {
            return;
        }
        let data = self.codec.compress(std::mem::take(&mut self.block));
        write_long(self.in_block as i64, &mut self.out);
        write_long(data.len() as i64, &mut self.out);
        self.out.extend_from_slice(&data);
        self.out.extend_from_slice(&self.sync);
        self.in_block = 0;
    }

    /// Closes the last block and returns the file's bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.flush_block();
        self.out
    }
}

/// A container file read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    /// The writer's schema, parsed from `avro.schema`.
    pub schema: Schema,
    /// The `avro.schema` text as stored.
    pub schema_text: String,
    /// Every header entry (including `avro.schema` and `avro.codec`), in file order.
    pub metadata: Vec<(String, Vec<u8>)>,
    /// The codec the blocks use.
    pub codec: Codec,
    /// The datums of all blocks, in order.
    pub datums: Vec<Datum>,
}

impl Container {
    /// A header entry as UTF-8 text, if present and valid.
    pub fn meta_str(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }
}

/// Parses a whole container file. Every length is checked against the bytes left, each
/// block's sync marker must match the header's, and the last block must end the file.
pub fn read_container(bytes: &[u8]) -> Result<Container> {
    let mut r = Reader::new(bytes);
    if r.take(4)? != MAGIC {
        return r.fail("not an Avro container file (bad magic)");
    }
    let mut metadata = Vec::new();
    loop {
        let n = r.block(2)?;
        if n == 0 {
            break;
        }
        for _ in 0..n {
            let key = r.string()?.to_owned();
            let value = r.bytes()?.to_vec();
            metadata.push((key, value));
        }
    }
    let sync: [u8; 16] = r.take(16)?.try_into().map_err(|_| AvroError::Decode {
        at: r.position(),
        message: "short sync marker".into(),
    })?;
    let meta = |key: &str| metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice());
    let schema_text = match meta("avro.schema").map(std::str::from_utf8) {
        Some(Ok(text)) => text.to_owned(),
        Some(Err(_)) => return r.fail("avro.schema is not UTF-8"),
        None => return r.fail("header has no avro.schema"),
    };
    let codec = match meta("avro.codec") {
        None => Codec::Null,
        Some(name) => Codec::from_name(&String::from_utf8_lossy(name))?,
    };
    let schema = Schema::parse(&schema_text)?;
    let mut datums = Vec::new();
    while r.remaining() > 0 {
        let count = r.long()?;
        let size = r.long()?;
        let at = r.position();
        if count < 0 || size < 0 {
            return r.fail("negative block count or size");
        }
        let raw = r.take(size as usize)?;
        let data = codec.decompress(raw, at)?;
        // A datum takes at least a byte unless its schema has no width at all (records of
        // no fields, fixed(0)); then every datum is empty, and only the count bounds the loop.
        if count as u64 > data.len() as u64 && count > MAX_EMPTY_DATUMS {
            return r.fail(format!("block claims {count} datums in {} bytes", data.len()));
        }
        let mut pos = 0;
        for _ in 0..count {
            let (datum, used) = schema.decode(&data[pos..]).map_err(|e| AvroError::Decode {
                at,
                message: format!("in block at byte {at}: {e}"),
            })?;
            pos += used;
            datums.push(datum);
        }
        if pos != data.len() {
            return r.fail(format!(
                "block has {} bytes after its {count} datums",
                data.len() - pos
            ));
        }
        if r.take(16)? != sync {
            return r.fail("block's sync marker differs from the header's");
        }
    }
    Ok(Container {
        schema,
        schema_text,
        metadata,
        codec,
        datums,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"{"type":"record","name":"r","fields":[{"name":"a","type":"long","field-id":1},{"name":"b","type":["null","string"],"default":null}]}"#;

    fn rows(n: i64) -> Vec<Datum> {
        (0..n)
            .map(|i| {
                Datum::Record(vec![
                    Datum::Long(i * 7 - 3),
                    if i % 3 == 0 {
                        Datum::Union(0, Box::new(Datum::Null))
                    } else {
                        Datum::Union(1, Box::new(Datum::String(format!("row {i}"))))
                    },
                ])
            })
            .collect()
    }

    fn write(codec: Codec, datums: &[Datum]) -> Vec<u8> {
        let schema = Schema::parse(SCHEMA).expect("schema");
        let mut w = ContainerWriter::new(&schema, SCHEMA, &[("k", b"v")], codec, [7; 16]).expect("writer");
        for d in datums {
            w.append(d).expect("append");
        }
        w.finish()
    }

    #[test]
    fn round_trips_across_blocks_and_codecs() {
        for codec in [Codec::Null, Codec::Deflate] {
            let datums = rows(2500);
            let c = read_container(&write(codec, &datums)).expect("read");
            assert_eq!(c.datums, datums);
            assert_eq!(c.codec, codec);
            assert_eq!(c.schema_text, SCHEMA);
            assert_eq!(c.meta_str("k"), Some("v"));
        }
    }

    #[test]
    fn empty_file_has_header_only() {
        let c = read_container(&write(Codec::Deflate, &[])).expect("read");
        assert!(c.datums.is_empty());
    }

    #[test]
    fn corruption_is_an_error_not_a_panic() {
        let bytes = write(Codec::Null, &rows(10));
        let mut bad_sync = bytes.clone();
        let last = bad_sync.len() - 1;
        bad_sync[last] ^= 1;
        assert!(read_container(&bad_sync).is_err());
        // A cut at a block boundary leaves a valid, shorter file; any other cut is an error.
        let header = write(Codec::Null, &[]).len();
        for cut in (0..bytes.len()).filter(|&c| c != header) {
            assert!(read_container(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(read_container(b"Obj\x02").is_err());
    }

    #[test]
    fn reserved_keys_are_refused() {
        let schema = Schema::parse(SCHEMA).expect("schema");
        assert!(ContainerWriter::new(&schema, SCHEMA, &[("avro.x", b"")], Codec::Null, [0; 16]).is_err());
    }
}
