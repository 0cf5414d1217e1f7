//! The `iceberg` connector (Apache Iceberg's Flink connector): its sink writes a query into an
//! Iceberg format-v2 table, exactly once, one snapshot per checkpoint. Without a primary key it
//! appends (insert-only queries); with one, rows and row-level deletes by the key
//! (`delta_files.rs`): `write.upsert.enabled` makes every row replace its key's, and updating
//! queries' changes become deletes and rows.
//!
//! - Catalogs (`options.rs`): `catalog-type` = `hadoop` with `warehouse`, or `catalog-impl` =
//!   `org.apache.iceberg.jdbc.JdbcCatalog` with `uri` = `jdbc:sqlite:..` / `jdbc:postgresql:..`
//!   (`jdbc.user`, `jdbc.password`) and `warehouse`, or `catalog-type` = `rest` with `uri`
//!   (`warehouse`, `token` or `credential`); the table is `catalog-database`.
//!   `catalog-table` (defaults `default` and the SQL table's name).
//! - At planning the namespace and table are created when missing, from the columns
//!   (`schema.rs`), the primary key as identifier fields, `PARTITIONED BY` columns as identity
//!   partitions, `format-version`/`write.*`/`commit.*` options as table properties. An existing
//!   table is checked against the columns; its partition spec (any transform) is used as it is.
//! - Data and delete files (`data_files.rs`, `delta_files.rs`, `position_deletes.rs`): Parquet (`write.parquet.compression-codec`, default zstd as
//!   in Iceberg; `write.parquet.row-group-size-bytes`, ...) with field ids, one per partition
//!   and subtask, closed at every checkpoint.
//! - Commits (`committer.rs`, `sink.rs`, `state.rs`): as Flink's `IcebergFilesCommitter`, with
//!   `flink.job-id`, `flink.operator-id` and `flink.max-committed-checkpoint-id` in every
//!   snapshot's summary, so a restored job commits exactly the checkpoints the table lacks.
//!   Files written after the last completed checkpoint of a crashed run are left behind,
//!   uncommitted (Iceberg's orphan-file cleanup removes such files; Spate does not compact).
//!
//! - Source (`source.rs`): bounded, the current snapshot's data files.
//!
//! - Column metrics (`metrics.rs`): counts and `truncate(16)` bounds from each file's footer.
//!
//! Not yet: reading new snapshots as they come (`streaming`); reading tables with row-level
//! deletes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use spate_connectors::file::PartFormat;
use spate_connectors::file::parquet::{ParquetCompression, ParquetOptions};
use spate_engine::{DataStream, SinkContext};
use spate_iceberg::flink::{FlinkCommitter, MAX_CONTINUOUS_EMPTY_COMMITS};
use spate_iceberg::{TableCreation, Transform, UnboundPartitionField, load_or_create_table};

use super::columns::Columns;
use super::opts::Options;
use super::sink_input::SinkInput;
use crate::error::SqlError;
use crate::format::FormatField;
use crate::format::parquet::{FieldIds, Layout, Parquet};
use crate::option_values::parse_positive_size;
use crate::value::Value;

mod committer;
mod data_files;
mod delta_files;
mod metrics;
mod options;
mod position_deletes;
mod schema;
mod sink;
mod source;
mod state;

pub(crate) use source::scan;

use data_files::{FileLayout, PartRecord};
use delta_files::DeltaSettings;
use sink::{DeltaLayout, IcebergSink, Target};

/// Adds an `iceberg` table's sink after `input`: appends without a primary key; with one,
/// rows and deletes by the key (`delta_files.rs`), the input keyed by it.
pub(crate) fn write<T: SinkInput>(
    input: &DataStream<T>,
    options: Options<'_>,
    parallelism: Option<usize>,
) -> Result<(), SqlError> {
    let table = options.table();
    let opts = options::IcebergOptions::of(options)?;
    let columns = Columns::of(table);
    let layout = columns.sink_layout();
    if let Some((key, _)) = layout.metadata.first() {
        return Err(options.error(format!("the iceberg connector has no metadata column '{key}'")));
    }
    let key: Vec<String> = table
        .primary_key
        .iter()
        .flat_map(|pk| pk.columns.iter().map(|c| c.as_str().to_string()))
        .collect();
    // Primary key columns are NOT NULL, as Flink's resolved schema makes them: Iceberg's
    // identifier fields are required.
    let fields: Vec<FormatField> = columns
        .physical
        .iter()
        .map(|(_, f)| {
            let mut ty = schema::written_type(&f.ty);
            if key.contains(&f.name) {
                ty.nullable = false;
            }
            FormatField {
                name: f.name.clone(),
                ty,
            }
        })
        .collect();
    let iceberg_error = |e: spate_iceberg::IcebergError| {
        options.error(format!(
            "Iceberg table {} in catalog {}: {e}",
            opts.ident, opts.catalog_name
        ))
    };
    let catalog = opts.open().map_err(iceberg_error)?;
    let mut creation =
        TableCreation::new(schema::create_schema(&fields, &key).map_err(|e| options.error(e))?);
    creation.partition = table
        .partitioned_by
        .iter()
        .map(|c| UnboundPartitionField::new(c.as_str(), Transform::Identity))
        .collect();
    creation.properties = opts.table_properties.clone();
    let loaded = load_or_create_table(catalog.as_ref(), &opts.ident, &creation).map_err(iceberg_error)?;
    let metadata = &loaded.metadata;
    let ids = schema::check_write_schema(&fields, metadata.current_schema())
        .map_err(|e| options.error(format!("Iceberg table {}: {e}", opts.ident)))?;
    let spec = metadata.default_spec().clone();
    let mut sources = Vec::new();
    for f in &spec.fields {
        let column = metadata.current_schema().field(f.source_id).ok_or_else(|| {
            options.error(format!(
                "Iceberg table {}: partition source {} is not a column",
                opts.ident, f.source_id
            ))
        })?;
        let pos = fields.iter().position(|c| c.name == column.name).ok_or_else(|| {
            options.error(format!(
                "Iceberg table {}: the partition column {} is not written",
                opts.ident, column.name
            ))
        })?;
        let t = column.field_type.as_primitive().ok_or_else(|| {
            options.error(format!(
                "Iceberg table {}: partition column {} is not a primitive",
                opts.ident, column.name
            ))
        })?;
        sources.push((f.source_id, layout.physical[pos], t));
    }
    let parquet_options = parquet_options(options, &metadata.properties)?;
    let format = iceberg_format(fields.clone(), &ids, &parquet_options).map_err(|e| options.error(e))?;
    let empty_every = metadata
        .properties
        .get(MAX_CONTINUOUS_EMPTY_COMMITS)
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(10);
    let name = options.table_name();
    let data_layout = Arc::new(FileLayout {
        format,
        data_location: format!("{}/data", metadata.location.trim_end_matches('/')),
        spec,
        sources,
        columns: layout.physical.clone(),
        schema: metadata.current_schema().clone(),
    });
    let delta = if key.is_empty() {
        None
    } else {
        let upsert = ["upsert-enabled", "write.upsert.enabled"]
            .iter()
            .find_map(|k| {
                options
                    .get(k)
                    .or_else(|| metadata.properties.get(*k).map(String::as_str))
            })
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let keyed = KeyColumns::of(&key, &fields, &ids, &layout.physical).map_err(|e| options.error(e))?;
        Some(
            delta_layout(&data_layout, &keyed, upsert, &parquet_options)
                .map_err(|e| options.error(format!("Iceberg table {}: {e}", opts.ident)))?,
        )
    };
    let key_positions = delta.as_ref().map(|d| d.settings.key.clone());
    let target = Target {
        catalog,
        ident: opts.ident.clone(),
        layout: data_layout,
        delta,
        committer: FlinkCommitter {
            job_id: fresh_job_id(),
            operator_id: format!("spate-iceberg-sink-{name}"),
        },
        empty_every,
    };
    let sink = IcebergSink {
        target: Arc::new(target),
        shared: Arc::new(Mutex::new(committer::Committer::default())),
        ctx: SinkContext {
            subtask: 0,
            parallelism: 1,
            attempt: 0,
        },
        files: None,
        pending: BTreeMap::new(),
    };
    // All changes of a key go to one subtask (Flink keys its Iceberg writers by the equality
    // fields): two subtasks' rows of a key would both survive a checkpoint.
    let mut s = match key_positions {
        None => input.add_sink(&name, sink),
        Some(key) => input
            .key_by(move |t: &T| -> Vec<Value> {
                let (row, _) = t.parts();
                key.iter()
                    .map(|&c| row.get(c).cloned().unwrap_or_default())
                    .collect()
            })
            .add_sink(&name, sink),
    };
    if let Some(p) = parallelism {
        s = s.set_parallelism(p);
    }
    let _ = s;
    Ok(())
}

/// How the sink's files of one kind are encoded.
type IcebergFormat = Arc<dyn PartFormat<PartRecord>>;

/// Parquet files of `fields` with Iceberg's layout and field ids `ids`.
fn iceberg_format(
    fields: Vec<FormatField>,
    ids: &[FieldIds],
    options: &ParquetOptions,
) -> Result<IcebergFormat, String> {
    let format = Parquet::with_layout(fields, options.clone(), Layout::iceberg(), Some(ids))?.part_format();
    Ok(Arc::new(format))
}

/// The primary key's columns among the written ones.
struct KeyColumns {
    /// Their formats and field ids, in key order.
    fields: Vec<FormatField>,
    ids: Vec<FieldIds>,
    /// Their positions in the sink's input rows.
    positions: Vec<usize>,
}

impl KeyColumns {
    fn of(
        key: &[String],
        fields: &[FormatField],
        ids: &[FieldIds],
        physical: &[usize],
    ) -> Result<Self, String> {
        let mut k = KeyColumns {
            fields: Vec::new(),
            ids: Vec::new(),
            positions: Vec::new(),
        };
        for name in key {
            let at = fields
                .iter()
                .position(|f| f.name == *name)
                .ok_or_else(|| format!("the primary key column {name} is not a physical column"))?;
            k.fields.extend(fields.get(at).cloned());
            k.ids.extend(ids.get(at).cloned());
            k.positions.extend(physical.get(at).copied());
        }
        Ok(k)
    }
}

/// The delete files' layouts of a keyed table: equality deletes hold the key in upsert mode
/// (so every partition column must be a key column, as Flink requires: the deleted row's
/// partition is known from its key alone) and the whole old row otherwise.
fn delta_layout(
    data: &Arc<FileLayout>,
    key: &KeyColumns,
    upsert: bool,
    parquet: &ParquetOptions,
) -> Result<DeltaLayout, String> {
    let equality = if upsert {
        let sources = data
            .sources
            .iter()
            .map(|&(id, pos, t)| {
                let at = key.positions.iter().position(|&p| p == pos).ok_or_else(|| {
                    let name = data
                        .schema
                        .field(id)
                        .map_or_else(|| id.to_string(), |f| f.name.clone());
                    format!("in upsert mode, the partition column {name} must be a primary key column")
                })?;
                Ok((id, at, t))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Arc::new(FileLayout {
            format: iceberg_format(key.fields.clone(), &key.ids, parquet)?,
            data_location: data.data_location.clone(),
            spec: data.spec.clone(),
            sources,
            columns: (0..key.positions.len()).collect(),
            schema: data.schema.clone(),
        })
    } else {
        data.clone()
    };
    let (pos_fields, pos_ids) = position_deletes::fields();
    let positions = Arc::new(FileLayout {
        format: iceberg_format(pos_fields, &pos_ids, parquet)?,
        data_location: data.data_location.clone(),
        spec: data.spec.clone(),
        sources: Vec::new(),
        columns: vec![0, 1],
        schema: data.schema.clone(),
    });
    Ok(DeltaLayout {
        equality,
        positions,
        settings: Arc::new(DeltaSettings {
            key: key.positions.clone().into(),
            equality_ids: key.ids.iter().map(|i| i.id).collect(),
            upsert,
        }),
    })
}

/// A job id as Flink writes them (32 hex digits), new for every run.
fn fresh_job_id() -> String {
    format!(
        "{:016x}{:016x}",
        spate_iceberg::new_snapshot_id(),
        spate_iceberg::new_snapshot_id()
    )
}

/// Parquet settings from the table's properties, overridden by the SQL options (as Flink's
/// `FlinkWriteConf`): `write.parquet.compression-codec` (zstd, Iceberg's default) or
/// `compression-codec`, `write.parquet.row-group-size-bytes` (128 MB),
/// `write.parquet.page-size-bytes`, `write.parquet.dict-size-bytes`.
fn parquet_options(
    options: Options<'_>,
    properties: &BTreeMap<String, String>,
) -> Result<ParquetOptions, SqlError> {
    let get = |key: &str| {
        options
            .get(key)
            .or_else(|| properties.get(key).map(String::as_str))
    };
    let mut o = ParquetOptions {
        compression: ParquetCompression::Zstd,
        ..ParquetOptions::default()
    };
    if let Some(c) = options
        .get("compression-codec")
        .or_else(|| get("write.parquet.compression-codec"))
    {
        o.compression = ParquetCompression::parse(c).ok_or_else(|| {
            options.error(format!(
                "compression codec '{c}': one of uncompressed, snappy, gzip, zstd, lz4"
            ))
        })?;
    }
    let size = |key: &str, default: usize| -> Result<usize, SqlError> {
        match get(key) {
            None => Ok(default),
            Some(v) => parse_positive_size(v)
                .ok_or_else(|| options.error(format!("'{key}' = '{v}' is not a positive size in bytes"))),
        }
    };
    o.row_group_bytes = size("write.parquet.row-group-size-bytes", o.row_group_bytes)?;
    o.page_bytes = size("write.parquet.page-size-bytes", o.page_bytes)?;
    o.dictionary_page_bytes = size("write.parquet.dict-size-bytes", o.dictionary_page_bytes)?;
    Ok(o)
}
