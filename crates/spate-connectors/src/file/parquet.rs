//! Parquet part files: records turned into Arrow columns a batch at a time, written by
//! arrow-rs's `ArrowWriter`.
//!
//! A part file is one Parquet file: row groups are cut when the encoded, still buffered row
//! group reaches [`ParquetOptions::row_group_bytes`] (Flink's `parquet.block.size`), and the
//! footer is written when the sink closes the part at a checkpoint, which is also when the
//! part becomes visible. The buffered row group is the sink's memory: about one row group per
//! open part file.
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{Int64Array, RecordBatch, StringArray};
//! use arrow_schema::{DataType, Field, Schema};
//! use spate_connectors::file::FileSink;
//! use spate_connectors::file::parquet::{ParquetFormat, ParquetOptions};
//! use spate_engine::{Record, StreamEnvironment, WatermarkStrategy};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("user", DataType::Utf8, false),
//!     Field::new("clicks", DataType::Int64, false),
//! ]));
//! let format = ParquetFormat::new(schema.clone(), ParquetOptions::default(), move |records: &[Record<(String, i64)>]| {
//!     let users = StringArray::from_iter_values(records.iter().map(|r| r.value.0.as_str()));
//!     let clicks = Int64Array::from_iter_values(records.iter().map(|r| r.value.1));
//!     RecordBatch::try_new(schema.clone(), vec![Arc::new(users), Arc::new(clicks)]).map_err(|e| e.to_string())
//! });
//! let env = StreamEnvironment::new();
//! env.from_collection(vec![("ann".to_string(), 3i64), ("bob".to_string(), 5)])
//!     .add_sink("clicks", FileSink::with_format(dir.path().join("out"), Arc::new(format)));
//! env.execute()?;
//! assert!(dir.path().join("out/part-0-0.parquet").exists());
//! # Ok(()) }
//! ```

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter, arrow_writer::ArrowWriterOptions};
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::schema::types::SchemaDescriptor;
use spate_engine::Record;

use super::part::{ClosedPart, PartFormat, PartWriter};
use crate::error::ConnectorError;

/// Turns a batch of records into Arrow columns of the format's schema.
pub type ToBatch<T> = Arc<dyn Fn(&[Record<T>]) -> Result<RecordBatch, String> + Send + Sync>;

/// How Parquet files are written: Flink's `parquet.*` options that arrow-rs can honour.
#[derive(Debug, Clone)]
pub struct ParquetOptions {
    /// `parquet.compression` (Flink's default: SNAPPY).
    pub compression: ParquetCompression,
    /// `parquet.block.size`: a row group is cut when its buffered size reaches this (128 MB).
    pub row_group_bytes: usize,
    /// `parquet.page.size` (1 MB).
    pub page_bytes: usize,
    /// `parquet.enable.dictionary` (true).
    pub dictionary: bool,
    /// `parquet.dictionary.page.size` (1 MB).
    pub dictionary_page_bytes: usize,
    /// `parquet.writer.version`: `PARQUET_2_0` when true (Flink's default is `PARQUET_1_0`).
    pub writer_v2: bool,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        Self {
            compression: ParquetCompression::Snappy,
            row_group_bytes: 128 * 1024 * 1024,
            page_bytes: 1024 * 1024,
            dictionary: true,
            dictionary_page_bytes: 1024 * 1024,
            writer_v2: false,
        }
    }
}

/// The codecs of Flink's `parquet.compression` that are written (LZO and BROTLI are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParquetCompression {
    /// `UNCOMPRESSED` (also `none`).
    Uncompressed,
    /// `SNAPPY`.
    Snappy,
    /// `GZIP`.
    Gzip,
    /// `ZSTD`.
    Zstd,
    /// `LZ4`: the frame-less LZ4_RAW codec, which current readers expect (parquet-mr's old
    /// Hadoop-framed `LZ4` is deprecated in the format).
    Lz4,
}

impl ParquetCompression {
    /// Flink's names, any case; `none` as Flink's filesystem options also say it.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "UNCOMPRESSED" | "NONE" => Self::Uncompressed,
            "SNAPPY" => Self::Snappy,
            "GZIP" => Self::Gzip,
            "ZSTD" => Self::Zstd,
            "LZ4" | "LZ4_RAW" => Self::Lz4,
            _ => return None,
        })
    }

    fn codec(self) -> Compression {
        match self {
            Self::Uncompressed => Compression::UNCOMPRESSED,
            Self::Snappy => Compression::SNAPPY,
            Self::Gzip => Compression::GZIP(GzipLevel::default()),
            Self::Zstd => Compression::ZSTD(ZstdLevel::default()),
            Self::Lz4 => Compression::LZ4_RAW,
        }
    }
}

impl ParquetOptions {
    fn properties(&self) -> WriterProperties {
        WriterProperties::builder()
            .set_compression(self.compression.codec())
            .set_data_page_size_limit(self.page_bytes)
            .set_dictionary_enabled(self.dictionary)
            .set_dictionary_page_size_limit(self.dictionary_page_bytes)
            .set_writer_version(if self.writer_v2 {
                WriterVersion::PARQUET_2_0
            } else {
                WriterVersion::PARQUET_1_0
            })
            // Row groups are cut by size, as parquet-mr cuts them by `parquet.block.size`,
            // not by a row count (arrow-rs's default).
            .set_max_row_group_row_count(None)
            .set_max_row_group_bytes(Some(self.row_group_bytes.max(1)))
            .build()
    }
}

/// Parquet part files of records made into Arrow batches by a function (see the module docs).
pub struct ParquetFormat<T> {
    schema: SchemaRef,
    parquet_schema: Option<Arc<SchemaDescriptor>>,
    /// Whether the Arrow schema is embedded (`ARROW:schema`), as arrow-rs does by default.
    arrow_metadata: bool,
    to_batch: ToBatch<T>,
    properties: WriterProperties,
}

impl<T> std::fmt::Debug for ParquetFormat<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetFormat")
            .field("schema", &self.schema)
            .field("properties", &self.properties)
            .finish_non_exhaustive()
    }
}

impl<T> ParquetFormat<T> {
    /// Files of `schema`'s columns, made by `to_batch` from each batch of records.
    pub fn new(
        schema: SchemaRef,
        options: ParquetOptions,
        to_batch: impl Fn(&[Record<T>]) -> Result<RecordBatch, String> + Send + Sync + 'static,
    ) -> Self {
        let properties = options.properties();
        Self {
            schema,
            parquet_schema: None,
            arrow_metadata: true,
            to_batch: Arc::new(to_batch),
            properties,
        }
    }

    /// Writes the columns with this Parquet schema instead of the one arrow-rs derives from the
    /// Arrow schema (Flink writes every DECIMAL as a fixed-length byte array, for one); it must
    /// describe the same columns.
    pub fn with_parquet_schema(mut self, schema: SchemaDescriptor) -> Self {
        self.parquet_schema = Some(Arc::new(schema));
        self
    }

    /// Leaves the Arrow schema out of the files' key-value metadata, as parquet-mr (Java
    /// Iceberg's writer) does: readers then derive the Arrow schema from the Parquet schema,
    /// field ids included (iceberg-rust's delete-file loader takes the embedded schema,
    /// which has none, and fails).
    pub fn without_arrow_metadata(mut self) -> Self {
        self.arrow_metadata = false;
        self
    }

    /// The Parquet schema the files get.
    pub fn parquet_schema(&self) -> Result<SchemaDescriptor, ConnectorError> {
        match &self.parquet_schema {
            Some(s) => Ok(s.as_ref().clone()),
            None => ArrowSchemaConverter::new()
                .convert(&self.schema)
                .map_err(|e| ConnectorError::Config(format!("the Parquet schema: {e}"))),
        }
    }
}

impl<T: Send + 'static> PartFormat<T> for ParquetFormat<T> {
    fn suffix(&self) -> &str {
        ".parquet"
    }

    fn create(&self, file: File, path: &Path) -> Result<Box<dyn PartWriter<T>>, ConnectorError> {
        let mut options = ArrowWriterOptions::new()
            .with_properties(self.properties.clone())
            .with_skip_arrow_metadata(!self.arrow_metadata);
        if let Some(schema) = &self.parquet_schema {
            options = options.with_parquet_schema(schema.as_ref().clone());
        }
        let writer = ArrowWriter::try_new_with_options(
            BufWriter::with_capacity(256 * 1024, file),
            self.schema.clone(),
            options,
        )
        .map_err(|e| parquet_error(path, e))?;
        Ok(Box::new(ParquetWriter {
            writer,
            to_batch: self.to_batch.clone(),
            path: path.to_path_buf(),
            records: 0,
        }))
    }
}

fn parquet_error(path: &Path, e: parquet::errors::ParquetError) -> ConnectorError {
    match e {
        parquet::errors::ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => ConnectorError::Io {
                path: path.to_path_buf(),
                source: *io,
            },
            Err(other) => ConnectorError::Format {
                location: path.display().to_string(),
                message: other.to_string(),
            },
        },
        other => ConnectorError::Format {
            location: path.display().to_string(),
            message: other.to_string(),
        },
    }
}

struct ParquetWriter<T> {
    writer: ArrowWriter<BufWriter<File>>,
    to_batch: ToBatch<T>,
    path: PathBuf,
    records: u64,
}

impl<T: Send> PartWriter<T> for ParquetWriter<T> {
    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), ConnectorError> {
        if records.is_empty() {
            return Ok(());
        }
        let batch = (self.to_batch)(records).map_err(|message| ConnectorError::Encode {
            location: self.path.display().to_string(),
            message,
        })?;
        self.writer
            .write(&batch)
            .map_err(|e| parquet_error(&self.path, e))?;
        self.records += records.len() as u64;
        records.clear();
        Ok(())
    }

    fn close(self: Box<Self>) -> Result<ClosedPart, ConnectorError> {
        let ParquetWriter {
            writer,
            path,
            records,
            ..
        } = *self;
        // Writes the last row group and the footer.
        let out = writer.into_inner().map_err(|e| parquet_error(&path, e))?;
        let file = out.into_inner().map_err(|e| ConnectorError::Io {
            path: path.clone(),
            source: e.into_error(),
        })?;
        Ok(ClosedPart { file, records })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::VecBatch;
    use crate::file::{BatchDecoder, FileSink, ParquetSource};
    use arrow_array::Int64Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    use arrow_schema::{DataType, Field, Schema};
    use spate_engine::{Sink, SinkContext, SourceContext, SourceStatus};

    fn format() -> Arc<ParquetFormat<i64>> {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        let options = ParquetOptions {
            // Several row groups per file.
            row_group_bytes: 64,
            ..ParquetOptions::default()
        };
        Arc::new(ParquetFormat::new(
            schema.clone(),
            options,
            move |records: &[Record<i64>]| {
                let values = Int64Array::from_iter_values(records.iter().map(|r| r.value));
                RecordBatch::try_new(schema.clone(), vec![Arc::new(values)]).map_err(|e| e.to_string())
            },
        ))
    }

    #[derive(Clone)]
    struct Values;

    impl BatchDecoder for Values {
        type Item = i64;
        fn columns(&self) -> Vec<String> {
            vec!["v".into()]
        }
        fn decode(&mut self, batch: &RecordBatch, out: &mut Vec<i64>) -> Result<(), String> {
            let column = batch.column_by_name("v").ok_or("no column v")?;
            out.extend(column.as_primitive::<Int64Type>().values().iter().copied());
            Ok(())
        }
    }

    fn sink_ctx() -> SinkContext {
        SinkContext {
            subtask: 0,
            parallelism: 1,
            attempt: 0,
        }
    }

    fn source_ctx() -> SourceContext {
        SourceContext {
            subtask: 0,
            parallelism: 1,
        }
    }

    fn records(range: std::ops::Range<i64>) -> Vec<Record<i64>> {
        range.map(|v| Record::new(0, v)).collect()
    }

    /// Everything the committed files hold, read through `ParquetSource`, `limit` rows per poll.
    fn read_all(source: &mut ParquetSource<Values>, limit: usize) -> Vec<i64> {
        let mut got = Vec::new();
        loop {
            let mut batch = VecBatch::new(limit);
            let status = source.poll_into(&mut batch).unwrap();
            got.extend(batch.into_values());
            if status == SourceStatus::Finished {
                return got;
            }
        }
    }

    #[test]
    fn a_crash_between_checkpoint_and_commit_leaves_every_row_once_in_readable_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = FileSink::with_format(dir.path(), format());
        a.open(&sink_ctx()).unwrap();
        a.write(&mut records(0..10)).unwrap();
        a.snapshot_state(1).unwrap();
        a.notify_checkpoint_complete(1).unwrap();
        a.write(&mut records(10..20)).unwrap();
        let state = a.snapshot_state(2).unwrap();
        a.write(&mut records(20..25)).unwrap(); // after checkpoint 2: replayed after restore
        drop(a); // crash: checkpoint 2 completed but its notification was lost

        let mut b = FileSink::with_format(dir.path(), format());
        b.open(&sink_ctx()).unwrap();
        b.restore_state(&sink_ctx(), &[state]).unwrap();
        b.write(&mut records(20..30)).unwrap();
        b.finish().unwrap();

        let mut source = ParquetSource::new(dir.path(), Values);
        source.open_subtask(&source_ctx()).unwrap();
        let mut got = read_all(&mut source, 7);
        got.sort_unstable();
        assert_eq!(got, (0..30).collect::<Vec<_>>());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| n.ends_with(".parquet") && !n.starts_with('.')),
            "{names:?}"
        );
    }

    #[test]
    fn a_restored_source_resumes_after_the_rows_it_emitted() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = FileSink::with_format(dir.path(), format());
        sink.open(&sink_ctx()).unwrap();
        for (i, range) in [0..40, 40..100, 100..130].into_iter().enumerate() {
            sink.write(&mut records(range)).unwrap();
            sink.snapshot_state(i as u64 + 1).unwrap();
        }
        sink.finish().unwrap();

        let mut first = ParquetSource::new(dir.path(), Values);
        first.open_subtask(&source_ctx()).unwrap();
        let mut got = Vec::new();
        for _ in 0..5 {
            let mut batch = VecBatch::new(11);
            first.poll_into(&mut batch).unwrap();
            got.extend(batch.into_values());
        }
        let position = first.position();
        let mut second = ParquetSource::new(dir.path(), Values);
        second.open_subtask(&source_ctx()).unwrap();
        second.restore(&[position]).unwrap();
        got.extend(read_all(&mut second, 13));
        got.sort_unstable();
        assert_eq!(got, (0..130).collect::<Vec<_>>());
    }

    #[test]
    fn a_file_that_is_not_parquet_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("junk.parquet"), b"not parquet at all").unwrap();
        let mut source = ParquetSource::new(dir.path(), Values);
        source.open_subtask(&source_ctx()).unwrap();
        let e = source.poll_into(&mut VecBatch::new(10)).unwrap_err().to_string();
        assert!(e.contains("junk.parquet"), "{e}");
    }
}
