//! Manifests: the Avro files listing a snapshot's data or delete files, one `manifest_entry`
//! per file (schema in `avro_schema.rs`; header keys in DESIGN.md).

use std::cmp::Ordering;

use spate_avro::Datum;
use spate_avro::container::{Codec, ContainerWriter, read_container};

use crate::avro_datum::{Fields, datum_to_value, map_datum, opt, value_to_datum};
use crate::avro_schema::manifest_entry_schema;
use crate::data_file::{DataContent, DataFile};
use crate::error::{IcebergError, Result};
use crate::io::FileIo;
use crate::manifest_list::{FieldSummary, ManifestContent, ManifestFile};
use crate::metadata::TableMetadata;
use crate::partition::PartitionSpec;
use crate::schema::Schema;
use crate::types::PrimitiveType;
use crate::value::Value;

/// An entry's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    /// Carried over from an earlier snapshot.
    Existing = 0,
    /// Added by the manifest's snapshot.
    Added = 1,
    /// Removed by the manifest's snapshot.
    Deleted = 2,
}

/// One file of a manifest, with sequence numbers and snapshot id already inherited from the
/// manifest list where the entry left them null.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestEntry {
    /// Added, existing or deleted.
    pub status: EntryStatus,
    /// The snapshot that added (or deleted) the file.
    pub snapshot_id: i64,
    /// The file's data sequence number.
    pub sequence_number: i64,
    /// The sequence number of the snapshot that added the file.
    pub file_sequence_number: i64,
    /// The file.
    pub data_file: DataFile,
}

/// A manifest's partition field `(id, name, type)`s.
fn partition_fields(spec: &PartitionSpec, schema: &Schema) -> Result<Vec<(i32, String, PrimitiveType)>> {
    Ok(spec
        .fields
        .iter()
        .zip(spec.partition_types(schema)?)
        .map(|(f, t)| (f.field_id, f.name.clone(), t))
        .collect())
}

fn entry_datum(file: &DataFile, snapshot_id: i64, types: &[(i32, String, PrimitiveType)]) -> Result<Datum> {
    if file.partition.len() != types.len() {
        return Err(IcebergError::invalid(format!(
            "{} has {} partition values for a spec of {} fields",
            file.file_path,
            file.partition.len(),
            types.len()
        )));
    }
    let partition = file
        .partition
        .iter()
        .zip(types)
        .map(|(v, (_, _, t))| Ok(opt(v.as_ref().map(|v| value_to_datum(v, *t)).transpose()?)))
        .collect::<Result<Vec<_>>>()?;
    let longs = |v: &i64| Datum::Long(*v);
    let bytes = |v: &Vec<u8>| Datum::Bytes(v.clone());
    let data_file = Datum::Record(vec![
        Datum::Int(file.content as i32),
        Datum::String(file.file_path.clone()),
        Datum::String(file.file_format.clone()),
        Datum::Record(partition),
        Datum::Long(file.record_count),
        Datum::Long(file.file_size_in_bytes),
        map_datum(&file.column_sizes, longs),
        map_datum(&file.value_counts, longs),
        map_datum(&file.null_value_counts, longs),
        map_datum(&file.nan_value_counts, longs),
        map_datum(&file.lower_bounds, bytes),
        map_datum(&file.upper_bounds, bytes),
        opt(None),
        opt(file
            .split_offsets
            .as_ref()
            .map(|o| Datum::Array(o.iter().map(|v| Datum::Long(*v)).collect()))),
        opt(file
            .equality_ids
            .as_ref()
            .map(|o| Datum::Array(o.iter().map(|v| Datum::Int(*v)).collect()))),
        opt(file.sort_order_id.map(Datum::Int)),
    ]);
    // ADDED entries leave their sequence numbers null: they inherit the manifest list's, so
    // the same manifest stays valid when a conflicting commit forces a new sequence number.
    Ok(Datum::Record(vec![
        Datum::Int(EntryStatus::Added as i32),
        opt(Some(Datum::Long(snapshot_id))),
        opt(None),
        opt(None),
        data_file,
    ]))
}

/// Writes a manifest of newly added `files` (all data, or all deletes) for snapshot
/// `snapshot_id` at `location`, and returns its manifest-list record (sequence numbers unset,
/// -1, until the commit assigns them).
pub fn write_manifest(
    io: &FileIo,
    location: &str,
    metadata: &TableMetadata,
    snapshot_id: i64,
    files: &[DataFile],
) -> Result<ManifestFile> {
    let schema = metadata.current_schema();
    let spec = metadata.default_spec();
    let deletes = files.iter().any(|f| f.content != DataContent::Data);
    if deletes && files.iter().any(|f| f.content == DataContent::Data) {
        return Err(IcebergError::invalid(
            "a manifest holds data files or delete files, not both",
        ));
    }
    let types = partition_fields(spec, schema)?;
    let text = manifest_entry_schema(&types);
    let avro = spate_avro::Schema::parse(&text)?;
    let schema_json = serde_json::to_string(schema).map_err(|e| IcebergError::Json(e.to_string()))?;
    let spec_json = serde_json::to_string(&spec.fields).map_err(|e| IcebergError::Json(e.to_string()))?;
    let schema_id = schema.schema_id.to_string();
    let spec_id = spec.spec_id.to_string();
    let meta: [(&str, &[u8]); 6] = [
        ("schema", schema_json.as_bytes()),
        ("schema-id", schema_id.as_bytes()),
        ("partition-spec", spec_json.as_bytes()),
        ("partition-spec-id", spec_id.as_bytes()),
        ("format-version", b"2"),
        ("content", if deletes { b"deletes" } else { b"data" }),
    ];
    let mut w = ContainerWriter::new(
        &avro,
        &text,
        &meta,
        Codec::Deflate,
        *uuid::Uuid::new_v4().as_bytes(),
    )?;
    for file in files {
        w.append(&entry_datum(file, snapshot_id, &types)?)?;
    }
    let bytes = w.finish();
    io.write_new(location, &bytes)?;
    Ok(ManifestFile {
        manifest_path: location.to_owned(),
        manifest_length: bytes.len() as i64,
        partition_spec_id: spec.spec_id,
        content: if deletes {
            ManifestContent::Deletes
        } else {
            ManifestContent::Data
        },
        sequence_number: -1,
        min_sequence_number: -1,
        added_snapshot_id: snapshot_id,
        added_files_count: files.len() as i32,
        existing_files_count: 0,
        deleted_files_count: 0,
        added_rows_count: files.iter().map(|f| f.record_count).sum(),
        existing_rows_count: 0,
        deleted_rows_count: 0,
        partitions: Some(summaries(files, &types)),
        key_metadata: None,
    })
}

/// Orders two values of one type (`None` for incomparable kinds).
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    use Value as V;
    match (a, b) {
        (V::Boolean(x), V::Boolean(y)) => Some(x.cmp(y)),
        (V::Int(x), V::Int(y)) | (V::Date(x), V::Date(y)) => Some(x.cmp(y)),
        (V::Long(x), V::Long(y))
        | (V::Time(x), V::Time(y))
        | (V::Timestamp(x), V::Timestamp(y))
        | (V::Timestamptz(x), V::Timestamptz(y)) => Some(x.cmp(y)),
        (V::Float(x), V::Float(y)) => x.partial_cmp(y),
        (V::Double(x), V::Double(y)) => x.partial_cmp(y),
        (V::String(x), V::String(y)) => Some(x.cmp(y)),
        (V::Uuid(x), V::Uuid(y)) => Some(x.cmp(y)),
        (V::Fixed(x), V::Fixed(y)) | (V::Binary(x), V::Binary(y)) => Some(x.cmp(y)),
        (V::Decimal(x), V::Decimal(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn summaries(files: &[DataFile], types: &[(i32, String, PrimitiveType)]) -> Vec<FieldSummary> {
    (0..types.len())
        .map(|i| {
            let t = types[i].2;
            let floating = matches!(t, PrimitiveType::Float | PrimitiveType::Double);
            let is_nan = |v: &Value| {
                matches!(v, Value::Float(f) if f.is_nan()) || matches!(v, Value::Double(d) if d.is_nan())
            };
            let values = files.iter().map(|f| f.partition.get(i).cloned().flatten());
            let mut s = FieldSummary {
                contains_null: false,
                contains_nan: floating.then_some(false),
                lower_bound: None,
                upper_bound: None,
            };
            let (mut lo, mut hi): (Option<Value>, Option<Value>) = (None, None);
            for v in values {
                match v {
                    None => s.contains_null = true,
                    Some(v) if is_nan(&v) => s.contains_nan = Some(true),
                    Some(v) => {
                        if lo.as_ref().is_none_or(|l| compare(&v, l) == Some(Ordering::Less)) {
                            lo = Some(v.clone());
                        }
                        if hi
                            .as_ref()
                            .is_none_or(|h| compare(&v, h) == Some(Ordering::Greater))
                        {
                            hi = Some(v);
                        }
                    }
                }
            }
            s.lower_bound = lo.map(|v| v.to_bytes());
            s.upper_bound = hi.map(|v| v.to_bytes());
            s
        })
        .collect()
}

/// Reads a manifest's entries, typing partition values by the spec the manifest was written
/// with, and filling null snapshot ids and sequence numbers from the manifest-list record.
pub fn read_manifest(
    io: &FileIo,
    manifest: &ManifestFile,
    metadata: &TableMetadata,
) -> Result<Vec<ManifestEntry>> {
    let spec = metadata
        .partition_specs
        .iter()
        .find(|s| s.spec_id == manifest.partition_spec_id)
        .ok_or_else(|| {
            IcebergError::invalid(format!("manifest spec id {} unknown", manifest.partition_spec_id))
        })?;
    let types = partition_fields(spec, metadata.current_schema())?;
    let c = read_container(&io.read(&manifest.manifest_path)?)?;
    let mut entries = Vec::with_capacity(c.datums.len());
    for d in &c.datums {
        let e = Fields::of(&c.schema, c.schema.root(), d, "manifest_entry")?;
        let status = match e.int(0)? {
            0 => EntryStatus::Existing,
            1 => EntryStatus::Added,
            2 => EntryStatus::Deleted,
            other => return Err(IcebergError::invalid(format!("manifest entry status {other}"))),
        };
        let inherit_seq = |v: Option<i64>| match v {
            Some(v) => Ok(v),
            None if status == EntryStatus::Added => Ok(manifest.sequence_number),
            None => Err(IcebergError::invalid(
                "a non-added entry without a sequence number",
            )),
        };
        let f = e.record(2, "data_file")?;
        let p = f.record(102, "partition")?;
        let partition = types
            .iter()
            .map(|(id, _, t)| p.get(*id).map(|(_, d)| datum_to_value(d, *t)).transpose())
            .collect::<Result<Vec<_>>>()?;
        let content = DataContent::from_i32(f.opt_int(134)?.unwrap_or(0))
            .ok_or_else(|| IcebergError::invalid("unknown data file content"))?;
        let ints = |id| -> Result<Option<Vec<i32>>> {
            f.array(id)
                .map(|elems| {
                    elems
                        .into_iter()
                        .map(|(_, d)| match d {
                            Datum::Int(v) => Ok(*v),
                            Datum::Long(v) => {
                                i32::try_from(*v).map_err(|_| IcebergError::invalid("id out of range"))
                            }
                            _ => Err(IcebergError::invalid("list element is not an int")),
                        })
                        .collect()
                })
                .transpose()
        };
        let split_offsets = f.array(132).map(|elems| {
            elems
                .into_iter()
                .filter_map(|(_, d)| if let Datum::Long(v) = d { Some(*v) } else { None })
                .collect()
        });
        let sequence_number = inherit_seq(e.opt_long(3)?)?;
        entries.push(ManifestEntry {
            status,
            snapshot_id: e.opt_long(1)?.unwrap_or(manifest.added_snapshot_id),
            sequence_number,
            file_sequence_number: inherit_seq(e.opt_long(4)?)?,
            data_file: DataFile {
                content,
                file_path: f.string(100)?,
                file_format: f.string(101)?,
                partition,
                record_count: f.long(103)?,
                file_size_in_bytes: f.long(104)?,
                column_sizes: f.long_map(108)?,
                value_counts: f.long_map(109)?,
                null_value_counts: f.long_map(110)?,
                nan_value_counts: f.long_map(137)?,
                lower_bounds: f.bytes_map(125)?,
                upper_bounds: f.bytes_map(128)?,
                split_offsets,
                equality_ids: ints(135)?,
                sort_order_id: f.opt_int(140)?,
            },
        });
    }
    Ok(entries)
}
