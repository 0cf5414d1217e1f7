//! Catalogs: where a table's current metadata file is recorded, and the compare-and-swap
//! that makes a commit atomic. All are synchronous (the PostgreSQL client runs its own
//! runtime, the REST client blocks on its socket): call them from a blocking thread, not
//! from inside an async task.

mod hadoop;
mod jdbc;
mod jdbc_postgres;
mod jdbc_sqlite;
pub mod rest;
mod sql_conn;

use std::fmt;

pub use hadoop::HadoopCatalog;
pub use jdbc::JdbcCatalog;
pub use rest::RestCatalog;

use crate::error::{IcebergError, Result};
use crate::io::FileIo;
use crate::metadata::{TableCreation, TableMetadata};

/// A namespace: one or more levels (`db`, or `a.b`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Namespace(pub Vec<String>);

impl Namespace {
    /// A namespace from dot-separated levels.
    pub fn parse(dotted: &str) -> Namespace {
        Namespace(dotted.split('.').map(str::to_owned).collect())
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

/// A table's name in its catalog.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableIdent {
    /// Its namespace.
    pub namespace: Namespace,
    /// Its name.
    pub name: String,
}

impl TableIdent {
    /// `namespace.name`, the namespace dot-separated.
    pub fn new(namespace: &str, name: &str) -> TableIdent {
        TableIdent {
            namespace: Namespace::parse(namespace),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for TableIdent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.namespace, self.name)
    }
}

/// A loaded table: its name, the metadata file the catalog points at, and that metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Its name.
    pub ident: TableIdent,
    /// The current metadata file's location.
    pub metadata_location: String,
    /// The current metadata.
    pub metadata: TableMetadata,
}

/// What every catalog does.
pub trait Catalog: fmt::Debug + Send + Sync {
    /// The catalog's name (the JDBC rows' `catalog_name`; messages).
    fn name(&self) -> &str;

    /// The files of the catalog's tables.
    fn io(&self) -> &FileIo;

    /// Creates `namespace` unless it exists.
    fn create_namespace_if_missing(&self, namespace: &Namespace) -> Result<()>;

    /// Whether `namespace` exists.
    fn namespace_exists(&self, namespace: &Namespace) -> Result<bool>;

    /// The table, or `None` when the catalog has no such table.
    fn load_table(&self, ident: &TableIdent) -> Result<Option<Table>>;

    /// Creates a table (its namespace must exist); [`IcebergError::TableAlreadyExists`] when
    /// it is there.
    fn create_table(&self, ident: &TableIdent, creation: &TableCreation) -> Result<Table>;

    /// Makes `new` the table's metadata if the table is still at `base` (optimistic
    /// concurrency); [`IcebergError::CommitConflict`] when another commit came first.
    fn commit(&self, base: &Table, new: TableMetadata) -> Result<Table>;
}

/// Loads the table, creating its namespace and the table when missing (what Flink's
/// connector does with `CREATE TABLE ... WITH ('connector'='iceberg')`). A concurrent
/// creator winning the race is fine: its table is loaded.
pub fn load_or_create_table(
    catalog: &dyn Catalog,
    ident: &TableIdent,
    creation: &TableCreation,
) -> Result<Table> {
    if let Some(t) = catalog.load_table(ident)? {
        return Ok(t);
    }
    catalog.create_namespace_if_missing(&ident.namespace)?;
    match catalog.create_table(ident, creation) {
        Err(IcebergError::TableAlreadyExists(_)) => catalog
            .load_table(ident)?
            .ok_or_else(|| IcebergError::NoSuchTable(ident.to_string())),
        other => other,
    }
}

/// The metadata to write for a commit: `new` with the base's file pushed onto the
/// `metadata-log` (every catalog that writes metadata files does this).
pub(crate) fn with_log(base: &Table, mut new: TableMetadata) -> Result<TableMetadata> {
    if new.table_uuid != base.metadata.table_uuid {
        return Err(IcebergError::invalid("a commit cannot change the table's UUID"));
    }
    new.push_metadata_log(&base.metadata_location, base.metadata.last_updated_ms);
    Ok(new)
}

/// Reads and parses a metadata file.
pub(crate) fn read_metadata(io: &FileIo, location: &str) -> Result<TableMetadata> {
    let bytes = io.read(location)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| IcebergError::Json(format!("{location} is not UTF-8")))?;
    TableMetadata::from_json(text)
}
