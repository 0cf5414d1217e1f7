//! File connectors: newline-delimited JSON and CSV sources, a Parquet source, and an
//! exactly-once file sink of lines or Parquet files.
//!
//! - [`FileSource`] reads a file or every visible file of a directory (names starting with
//!   `.` or `_` are skipped, as in Flink). Files are the splits: file `i` (in name order) goes
//!   to subtask `i % parallelism`. The position is `(file, byte offset, line)` per file, so a
//!   restore resumes right after the last emitted record, at any parallelism. A line that does
//!   not parse fails the job with `file:line`, or is skipped and counted with
//!   [`FileSource::skip_bad_lines`].
//! - [`FileSink`] writes lines into part files and makes them visible only when the checkpoint
//!   that covers them completes (rename on commit, as Flink's `FileSink`), so a restarted job
//!   leaves every record in exactly one final file. What a part file holds is a
//!   [`PartFormat`]'s business: lines ([`LineFormat`]) or Parquet ([`parquet::ParquetFormat`],
//!   rolled at every checkpoint since a Parquet file is only whole once its footer is written).
//! - [`ParquetSource`] reads Parquet files, splits and positions as [`FileSource`] (rows per
//!   file instead of byte offsets).
//!
//! ```
//! use spate_connectors::file::{FileSink, FileSource};
//! use spate_engine::{StreamEnvironment, WatermarkStrategy};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("in.csv"), "name,n\nann,1\nbob,2\n")?;
//! let env = StreamEnvironment::new();
//! env.add_source("csv", FileSource::csv(dir.path().join("in.csv")).with_header(), WatermarkStrategy::no_watermarks())
//!     .add_sink("out", FileSink::csv(dir.path().join("out"), |r: &Vec<String>| vec![r[1].clone(), r[0].clone()]));
//! env.execute()?;
//! assert_eq!(std::fs::read_to_string(dir.path().join("out/part-0-0.csv"))?, "1,ann\n2,bob\n");
//! # Ok(()) }
//! ```

pub mod csv;
pub mod parquet;
mod parquet_source;
mod part;
mod sink;
mod source;

pub use parquet_source::{BatchDecoder, ParquetSource};

pub use part::{ClosedPart, LineEncoder, LineFormat, PartFormat, PartWriter};
pub use sink::FileSink;
pub use source::{CsvDecoder, FileSource, LineDecoder, NdjsonDecoder};
