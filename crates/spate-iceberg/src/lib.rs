//! # spate-iceberg — Apache Iceberg tables (format v2) without an engine
//!
//! Writes and reads what the Iceberg spec puts on disk so that pyiceberg, Java Iceberg (Flink,
//! Spark, Trino) read Spate's tables and Spate extends theirs: table metadata JSON, manifests
//! and manifest lists (Avro container files from `spate-avro`), fast-append and row-delta
//! snapshots (data files with equality and position deletes) with Flink's exactly-once summary
//! keys, and three catalogs (hadoop, JDBC, REST). It writes no data or delete files: the caller
//! (the SQL sink) writes Parquet with Iceberg field ids and hands over [`DataFile`]s.
//!
//! ## Key types
//! - [`Schema`], [`Type`], [`PartitionSpec`] ([`Transform`]: identity, year, month, day, hour),
//!   [`Value`] with the spec's single-value serialization for bounds.
//! - [`TableMetadata`] (JSON in and out, unknown fields kept), [`Snapshot`], [`DataFile`].
//! - [`Catalog`]: [`HadoopCatalog`] (directory tree, `v<N>.metadata.json` committed by a
//!   no-replace hard link), [`JdbcCatalog`] (`jdbc:sqlite:` / `jdbc:postgresql:`, the
//!   `iceberg_tables` compare-and-swap pyiceberg's `SqlCatalog` uses too) and [`RestCatalog`]
//!   (the Iceberg REST catalog over http or https: `GET /v1/config` with `prefix`, bearer `token`
//!   or OAuth2 `credential`; a commit is the spec's requirements + updates, which the server
//!   applies as a compare-and-swap; property names in [`rest_config`]).
//! - [`live_data_files`]: the data files a full scan of the current snapshot reads.
//! - [`commit_files`]: one snapshot per call (an append, or a row delta when some files are
//!   [`DataContent::EqualityDeletes`] or [`DataContent::PositionDeletes`]; see
//!   [`PendingSnapshot`] for why consecutive deltas are separate snapshots), retried on
//!   conflicts; with a
//!   [`CheckpointCommit`] it records `flink.job-id`, `flink.operator-id`,
//!   `flink.max-committed-checkpoint-id` and never commits a checkpoint twice
//!   ([`flink::max_committed_checkpoint_id`] is what a restoring sink asks).
//!
//! Everything is synchronous; call it from a blocking thread.
//!
//! ## Example
//! ```
//! use std::collections::BTreeMap;
//! use spate_iceberg::flink::FlinkCommitter;
//! use spate_iceberg::*;
//!
//! let dir = tempfile::tempdir()?;
//! let catalog = HadoopCatalog::new("lake", dir.path().to_str().unwrap_or("/"))?;
//! let schema = Schema::with_fresh_ids(
//!     vec![
//!         NestedField::required(0, "id", PrimitiveType::Long),
//!         NestedField::optional(0, "ts", PrimitiveType::Timestamptz),
//!     ],
//!     &["id"],
//! )?;
//! let mut creation = TableCreation::new(schema);
//! creation.partition = vec![UnboundPartitionField::new("ts", Transform::Day)];
//! let ident = TableIdent::new("db", "events");
//! let table = load_or_create_table(&catalog, &ident, &creation)?;
//!
//! // The sink wrote a Parquet file of 10 rows, all on 2024-03-05, into the partition's directory.
//! let spec = table.metadata.default_spec();
//! let partition = spec.partition_of(|_| Some(Value::Timestamptz(1_709_650_800_000_000)))?;
//! let path = format!("{}/data/{}/00000-0-x.parquet", table.metadata.location, spec.partition_path(&partition)?);
//! assert!(path.ends_with("/data/ts_day=2024-03-05/00000-0-x.parquet"));
//! let file = DataFile::parquet(path, partition, 10, 1234);
//!
//! let checkpoint = CheckpointCommit {
//!     committer: FlinkCommitter { job_id: "job".into(), operator_id: "sink".into() },
//!     checkpoint_id: 7,
//! };
//! let outcome = commit_files(&catalog, &ident, vec![file], &BTreeMap::new(), Some(&checkpoint), None)?;
//! assert_eq!(checkpoint.committer.max_committed(&outcome.table().metadata, MAIN_BRANCH), 7);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod avro_datum;
mod avro_schema;
mod catalog;
mod commit;
mod data_file;
mod error;
pub mod flink;
mod io;
mod manifest;
mod manifest_list;
mod metadata;
mod partition;
mod pending_snapshot;
mod scan;
mod schema;
mod snapshot;
mod transform;
mod types;
mod value;

pub use catalog::rest::config as rest_config;
pub use catalog::{
    Catalog, HadoopCatalog, JdbcCatalog, Namespace, RestCatalog, Table, TableIdent, load_or_create_table,
};
pub use commit::{CheckpointCommit, CommitOutcome, RetryPolicy, commit_files};
pub use data_file::{DataContent, DataFile};
pub use error::{IcebergError, Result};
pub use io::FileIo;
pub use manifest::{EntryStatus, ManifestEntry, read_manifest, write_manifest};
pub use manifest_list::{
    FieldSummary, ManifestContent, ManifestFile, ManifestListHeader, read_manifest_list, write_manifest_list,
};
pub use metadata::{MAIN_BRANCH, MetadataLogEntry, SnapshotLogEntry, TableCreation, TableMetadata};
pub use partition::{FIRST_PARTITION_FIELD_ID, PartitionField, PartitionSpec, UnboundPartitionField};
pub use pending_snapshot::{PendingSnapshot, new_snapshot_id};
pub use scan::live_data_files;
pub use schema::Schema;
pub use snapshot::{
    OPERATION_APPEND, OPERATION_DELETE, OPERATION_OVERWRITE, Snapshot, SnapshotRef, summary_keys,
};
pub use transform::Transform;
pub use types::{NestedField, PrimitiveType, Type};
pub use value::Value;
