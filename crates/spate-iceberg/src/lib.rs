//! # spate-iceberg — Apache Iceberg tables (format v2) without an engine
//!
//! (Crate docs are completed with the catalogs.)
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod append;
mod avro_datum;
mod avro_schema;
mod data_file;
mod error;
mod io;
mod manifest;
mod manifest_list;
mod metadata;
mod partition;
mod schema;
mod snapshot;
mod transform;
mod types;
mod value;

pub use append::{PendingAppend, new_snapshot_id};
pub use data_file::{DataContent, DataFile};
pub use error::{IcebergError, Result};
pub use io::FileIo;
pub use manifest::{EntryStatus, ManifestEntry, read_manifest, write_manifest};
pub use manifest_list::{
    FieldSummary, ManifestContent, ManifestFile, ManifestListHeader, read_manifest_list, write_manifest_list,
};
pub use metadata::{MAIN_BRANCH, MetadataLogEntry, SnapshotLogEntry, TableCreation, TableMetadata};
pub use partition::{FIRST_PARTITION_FIELD_ID, PartitionField, PartitionSpec, UnboundPartitionField};
pub use schema::Schema;
pub use snapshot::{OPERATION_APPEND, Snapshot, SnapshotRef, summary_keys};
pub use transform::Transform;
pub use types::{NestedField, PrimitiveType, Type};
pub use value::Value;
