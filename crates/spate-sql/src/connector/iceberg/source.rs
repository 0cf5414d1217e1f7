//! The bounded `iceberg` source (Flink's Iceberg source in batch mode, `streaming` = false):
//! the live data files of the table's current snapshot, listed when the job is built, read as
//! Parquet with the query's columns matched by name; files are splits spread over the
//! subtasks, and the position is rows per file, so a restored job resumes each file where it
//! stopped. A table with row-level deletes is refused (see `spate_iceberg::live_data_files`).

use spate_connectors::file::ParquetSource;
use spate_engine::{DataStream, EngineError, SourceContext, SourceStatus, StreamEnvironment};
use spate_iceberg::live_data_files;

use super::super::columns::Columns;
use super::super::opts::Options;
use super::super::source::{RowOut, RowReader, add_source};
use super::super::{ConnectorContext, ScanPlan};
use super::options::IcebergOptions;
use crate::error::SqlError;
use crate::format::FormatField;
use crate::format::parquet::ParquetRowDecoder;
use crate::value::Row;

#[derive(Clone)]
struct DataFileReader {
    source: ParquetSource<ParquetRowDecoder>,
}

impl RowReader for DataFileReader {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        Ok(self.source.open_subtask(ctx)?)
    }

    fn poll(&mut self, out: &mut RowOut<'_>) -> Result<SourceStatus, EngineError> {
        Ok(self.source.poll_into(out)?)
    }

    fn snapshot(&mut self, _checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        Ok(self.source.position())
    }

    fn restore(&mut self, _ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        Ok(self.source.restore(positions)?)
    }
}

/// Adds an `iceberg` table's source.
pub(crate) fn scan(
    env: &StreamEnvironment,
    plan: &ScanPlan,
    ctx: &ConnectorContext,
    parallelism: Option<usize>,
) -> Result<DataStream<Row>, SqlError> {
    let options = Options::new(&plan.table);
    if let Some(v) = options
        .get("streaming")
        .filter(|v| v.eq_ignore_ascii_case("true"))
    {
        return Err(options.invalid("streaming", format!("'{v}': reading new snapshots as they come is not supported yet; the source reads the current snapshot")));
    }
    let opts = IcebergOptions::of(options)?;
    let fail = |e: spate_iceberg::IcebergError| {
        options.error(format!(
            "Iceberg table {} in catalog {}: {e}",
            opts.ident, opts.catalog_name
        ))
    };
    let catalog = opts.open().map_err(fail)?;
    let table = catalog.load_table(&opts.ident).map_err(fail)?.ok_or_else(|| {
        options.error(format!(
            "Iceberg table {} does not exist in catalog {}",
            opts.ident, opts.catalog_name
        ))
    })?;
    let columns = Columns::of(&plan.table);
    if let Some(m) = columns.metadata.first() {
        return Err(options.error(format!(
            "the iceberg connector has no metadata column '{}'",
            m.key
        )));
    }
    let schema = table.metadata.current_schema();
    let mut fields: Vec<FormatField> = Vec::new();
    let mut targets = Vec::new();
    for (index, f) in &columns.physical {
        if schema.field_by_name(&f.name).is_none() {
            return Err(options.error(format!(
                "column {}: the Iceberg table {} has no such column",
                f.name, opts.ident
            )));
        }
        if plan.reads(*index) {
            fields.push(f.clone());
            targets.push(*index);
        }
    }
    let files = live_data_files(catalog.io(), &table.metadata)
        .map_err(fail)?
        .into_iter()
        .map(|f| {
            if !f.file_format.eq_ignore_ascii_case("parquet") {
                return Err(options.error(format!(
                    "Iceberg table {}: data file {} is {}; Spate reads Parquet data files only",
                    opts.ident, f.file_path, f.file_format
                )));
            }
            let path = catalog.io().local_path(&f.file_path).map_err(fail)?;
            Ok((f.file_path, path))
        })
        .collect::<Result<Vec<_>, SqlError>>()?;
    let decoder = ParquetRowDecoder::new(fields, &targets, columns.width);
    let reader = DataFileReader {
        source: ParquetSource::of_files(files, decoder),
    };
    add_source(env, plan, ctx, reader, parallelism)
}
