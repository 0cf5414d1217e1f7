//! Manifest lists: the Avro file a snapshot's `manifest-list` names, one `manifest_file`
//! record per manifest (see `avro_schema.rs` for the schema, DESIGN.md for the header).

use spate_avro::Datum;
use spate_avro::container::{Codec, ContainerWriter, read_container};

use crate::avro_datum::{Fields, opt};
use crate::avro_schema::manifest_file_schema;
use crate::error::{IcebergError, Result};
use crate::io::FileIo;

/// What a manifest holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestContent {
    /// Data files.
    Data = 0,
    /// Delete files.
    Deletes = 1,
}

/// A partition field's summary over a manifest's files.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSummary {
    /// Whether some file's value is null.
    pub contains_null: bool,
    /// Whether some value is NaN (float/double fields only).
    pub contains_nan: Option<bool>,
    /// The least value, single-value serialized.
    pub lower_bound: Option<Vec<u8>>,
    /// The greatest value, single-value serialized.
    pub upper_bound: Option<Vec<u8>>,
}

/// One manifest of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestFile {
    /// Its location.
    pub manifest_path: String,
    /// Its size in bytes.
    pub manifest_length: i64,
    /// The spec its files were written with.
    pub partition_spec_id: i32,
    /// Data or deletes.
    pub content: ManifestContent,
    /// The sequence number of the snapshot that added it.
    pub sequence_number: i64,
    /// The least data sequence number of its live files.
    pub min_sequence_number: i64,
    /// The snapshot that added it.
    pub added_snapshot_id: i64,
    /// Entries with status ADDED.
    pub added_files_count: i32,
    /// Entries with status EXISTING.
    pub existing_files_count: i32,
    /// Entries with status DELETED.
    pub deleted_files_count: i32,
    /// Rows in ADDED files.
    pub added_rows_count: i64,
    /// Rows in EXISTING files.
    pub existing_rows_count: i64,
    /// Rows in DELETED files.
    pub deleted_rows_count: i64,
    /// Per partition field summaries.
    pub partitions: Option<Vec<FieldSummary>>,
    /// Encryption key metadata.
    pub key_metadata: Option<Vec<u8>>,
}

fn to_datum(m: &ManifestFile) -> Datum {
    let partitions = m.partitions.as_ref().map(|ps| {
        Datum::Array(
            ps.iter()
                .map(|p| {
                    Datum::Record(vec![
                        Datum::Boolean(p.contains_null),
                        opt(p.contains_nan.map(Datum::Boolean)),
                        opt(p.lower_bound.clone().map(Datum::Bytes)),
                        opt(p.upper_bound.clone().map(Datum::Bytes)),
                    ])
                })
                .collect(),
        )
    });
    Datum::Record(vec![
        Datum::String(m.manifest_path.clone()),
        Datum::Long(m.manifest_length),
        Datum::Int(m.partition_spec_id),
        Datum::Int(m.content as i32),
        Datum::Long(m.sequence_number),
        Datum::Long(m.min_sequence_number),
        Datum::Long(m.added_snapshot_id),
        Datum::Int(m.added_files_count),
        Datum::Int(m.existing_files_count),
        Datum::Int(m.deleted_files_count),
        Datum::Long(m.added_rows_count),
        Datum::Long(m.existing_rows_count),
        Datum::Long(m.deleted_rows_count),
        opt(partitions),
        opt(m.key_metadata.clone().map(Datum::Bytes)),
    ])
}

fn from_fields(f: &Fields<'_>) -> Result<ManifestFile> {
    let content = match f.opt_int(517)?.unwrap_or(0) {
        0 => ManifestContent::Data,
        1 => ManifestContent::Deletes,
        other => return Err(IcebergError::invalid(format!("manifest content {other}"))),
    };
    Ok(ManifestFile {
        manifest_path: f.string(500)?,
        manifest_length: f.long(501)?,
        partition_spec_id: f.int(502)?,
        content,
        // v1 lists have no sequence numbers: everything is sequence 0.
        sequence_number: f.opt_long(515)?.unwrap_or(0),
        min_sequence_number: f.opt_long(516)?.unwrap_or(0),
        added_snapshot_id: f.long(503)?,
        added_files_count: f.opt_int(504)?.unwrap_or(0),
        existing_files_count: f.opt_int(505)?.unwrap_or(0),
        deleted_files_count: f.opt_int(506)?.unwrap_or(0),
        added_rows_count: f.opt_long(512)?.unwrap_or(0),
        existing_rows_count: f.opt_long(513)?.unwrap_or(0),
        deleted_rows_count: f.opt_long(514)?.unwrap_or(0),
        partitions: read_summaries(f)?,
        key_metadata: f.opt_bytes(519),
    })
}

/// The header of a manifest list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManifestListHeader {
    /// The snapshot it belongs to.
    pub snapshot_id: i64,
    /// That snapshot's parent.
    pub parent_snapshot_id: Option<i64>,
    /// That snapshot's sequence number.
    pub sequence_number: i64,
}

/// Writes a v2 manifest list at `location` (a new file).
pub fn write_manifest_list(
    io: &FileIo,
    location: &str,
    header: ManifestListHeader,
    manifests: &[ManifestFile],
) -> Result<()> {
    let text = manifest_file_schema();
    let schema = spate_avro::Schema::parse(&text)?;
    let snapshot_id = header.snapshot_id.to_string();
    let parent = header
        .parent_snapshot_id
        .map_or_else(|| "null".to_owned(), |p| p.to_string());
    let seq = header.sequence_number.to_string();
    let meta: [(&str, &[u8]); 4] = [
        ("snapshot-id", snapshot_id.as_bytes()),
        ("parent-snapshot-id", parent.as_bytes()),
        ("sequence-number", seq.as_bytes()),
        ("format-version", b"2"),
    ];
    let mut w = ContainerWriter::new(
        &schema,
        &text,
        &meta,
        Codec::Deflate,
        *uuid::Uuid::new_v4().as_bytes(),
    )?;
    for m in manifests {
        w.append(&to_datum(m))?;
    }
    io.write_new(location, &w.finish())
}

/// Reads the manifests of a manifest list (v1 or v2).
pub fn read_manifest_list(io: &FileIo, location: &str) -> Result<Vec<ManifestFile>> {
    let c = read_container(&io.read(location)?)?;
    c.datums
        .iter()
        .map(|d| {
            let fields = Fields::of(&c.schema, c.schema.root(), d, "manifest_file")?;
            from_fields(&fields)
        })
        .collect()
}

fn read_summaries(f: &Fields<'_>) -> Result<Option<Vec<FieldSummary>>> {
    let Some(elems) = f.array(507) else {
        return Ok(None);
    };
    let schema = f.schema();
    elems
        .into_iter()
        .map(|(ty, d)| {
            let s = Fields::of(schema, ty, d, "field_summary")?;
            Ok(FieldSummary {
                contains_null: s.opt_bool(509).unwrap_or(false),
                contains_nan: s.opt_bool(518),
                lower_bound: s.opt_bytes(510),
                upper_bound: s.opt_bytes(511),
            })
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}
