//! Iceberg's JDBC catalog (Java's `JdbcCatalog`, pyiceberg's `SqlCatalog`) on SQLite or
//! PostgreSQL. Two tables, created when missing in the shape both Java (schema V0) and
//! pyiceberg use:
//!
//! - `iceberg_tables(catalog_name, table_namespace, table_name, metadata_location,
//!   previous_metadata_location)`, primary key the first three; a table created by Java with
//!   schema V1 also has `iceberg_type` (`TABLE`/`VIEW`, null meaning table), which is honoured
//!   when present.
//! - `iceberg_namespace_properties(catalog_name, namespace, property_key, property_value)`;
//!   a namespace without properties is the row (`exists`, `true`).
//!
//! A commit writes `<location>/metadata/<NNNNN>-<uuid>.metadata.json`, then swaps the row's
//! `metadata_location` with `UPDATE ... WHERE metadata_location = <base>`: one row updated is
//! success, none a conflict.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::jdbc_postgres::PostgresConn;
use super::jdbc_sqlite::SqliteConn;
use super::sql_conn::{Row, SqlConn};
use super::{Catalog, Namespace, Table, TableIdent, read_metadata, with_log};
use crate::error::{IcebergError, Result};
use crate::io::FileIo;
use crate::metadata::{TableCreation, TableMetadata};

const CREATE_TABLES: &str = "CREATE TABLE IF NOT EXISTS iceberg_tables (\
    catalog_name VARCHAR(255) NOT NULL, \
    table_namespace VARCHAR(255) NOT NULL, \
    table_name VARCHAR(255) NOT NULL, \
    metadata_location VARCHAR(1000), \
    previous_metadata_location VARCHAR(1000), \
    PRIMARY KEY (catalog_name, table_namespace, table_name))";

const CREATE_NAMESPACES: &str = "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (\
    catalog_name VARCHAR(255) NOT NULL, \
    namespace VARCHAR(255) NOT NULL, \
    property_key VARCHAR(255), \
    property_value VARCHAR(1000), \
    PRIMARY KEY (catalog_name, namespace, property_key))";

/// The JDBC catalog.
pub struct JdbcCatalog {
    name: String,
    warehouse: String,
    io: FileIo,
    conn: Mutex<Box<dyn SqlConn>>,
    /// Whether `iceberg_tables` has Java's V1 `iceberg_type` column.
    typed: bool,
}

impl std::fmt::Debug for JdbcCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JdbcCatalog")
            .field("name", &self.name)
            .field("warehouse", &self.warehouse)
            .field("typed", &self.typed)
            .finish_non_exhaustive()
    }
}

impl JdbcCatalog {
    /// Connects as Flink users configure it: `uri` is `jdbc:sqlite:PATH` or
    /// `jdbc:postgresql://host[:port]/db`; `properties` may hold `jdbc.user` and
    /// `jdbc.password`. Creates the catalog tables when missing.
    pub fn connect(
        name: &str,
        uri: &str,
        warehouse: &str,
        properties: &BTreeMap<String, String>,
    ) -> Result<JdbcCatalog> {
        let fail = |message: String| IcebergError::Catalog {
            catalog: name.to_owned(),
            message,
        };
        let conn: Box<dyn SqlConn> = if let Some(path) = uri.strip_prefix("jdbc:sqlite:") {
            Box::new(SqliteConn::open(path).map_err(fail)?)
        } else if let Some(rest) = uri.strip_prefix("jdbc:postgresql:") {
            let user = properties.get("jdbc.user").map(String::as_str);
            let password = properties.get("jdbc.password").map(String::as_str);
            Box::new(PostgresConn::connect(rest, user, password).map_err(fail)?)
        } else {
            return Err(IcebergError::Unsupported(format!(
                "JDBC URI {uri:?} (jdbc:sqlite:PATH or jdbc:postgresql://host:port/db)"
            )));
        };
        let io = FileIo::local();
        io.local_path(warehouse)?;
        let mut catalog = JdbcCatalog {
            name: name.to_owned(),
            warehouse: warehouse.trim_end_matches('/').to_owned(),
            io,
            conn: Mutex::new(conn),
            typed: false,
        };
        catalog.execute(CREATE_TABLES, &[])?;
        catalog.execute(CREATE_NAMESPACES, &[])?;
        let columns = catalog.with_conn(|c| c.columns("iceberg_tables"))?;
        catalog.typed = columns.iter().any(|c| c.eq_ignore_ascii_case("iceberg_type"));
        Ok(catalog)
    }

    /// A new table's location (Java's JdbcCatalog default: `<warehouse>/<ns levels>/<table>`).
    pub fn default_location(&self, ident: &TableIdent) -> String {
        format!(
            "{}/{}/{}",
            self.warehouse,
            ident.namespace.0.join("/"),
            ident.name
        )
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut dyn SqlConn) -> std::result::Result<T, String>) -> Result<T> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| self.error("connection lock poisoned".into()))?;
        f(guard.as_mut()).map_err(|m| self.error(m))
    }

    fn error(&self, message: String) -> IcebergError {
        IcebergError::Catalog {
            catalog: self.name.clone(),
            message,
        }
    }

    fn query(&self, sql: &str, params: &[Option<&str>]) -> Result<Vec<Row>> {
        self.with_conn(|c| c.query(sql, params))
    }

    fn execute(&self, sql: &str, params: &[Option<&str>]) -> Result<u64> {
        self.with_conn(|c| c.execute(sql, params))
    }

    fn table_filter(&self) -> &'static str {
        if self.typed {
            " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)"
        } else {
            ""
        }
    }

    fn current_location(&self, ident: &TableIdent) -> Result<Option<String>> {
        let ns = ident.namespace.to_string();
        let sql = format!(
            "SELECT metadata_location FROM iceberg_tables \
             WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?{}",
            self.table_filter()
        );
        let rows = self.query(&sql, &[Some(&self.name), Some(&ns), Some(&ident.name)])?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }
}

/// The version in a `NNNNN-<uuid>.metadata.json` name (Java's `parseVersion`; -1 if none).
fn version_of(location: &str) -> i64 {
    let file = location.rsplit('/').next().unwrap_or(location);
    file.split_once('-')
        .and_then(|(v, _)| v.parse().ok())
        .unwrap_or(-1)
}

fn metadata_file(location: &str, version: i64) -> String {
    format!(
        "{location}/metadata/{version:05}-{}.metadata.json",
        uuid::Uuid::new_v4()
    )
}

impl Catalog for JdbcCatalog {
    fn name(&self) -> &str {
        &self.name
    }

    fn io(&self) -> &FileIo {
        &self.io
    }

    fn create_namespace_if_missing(&self, namespace: &Namespace) -> Result<()> {
        if self.namespace_exists(namespace)? {
            return Ok(());
        }
        let ns = namespace.to_string();
        let inserted = self.execute(
            "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) \
             VALUES (?, ?, 'exists', 'true')",
            &[Some(&self.name), Some(&ns)],
        );
        // Another creator may have won the race: fine if the namespace is there now.
        match inserted {
            Ok(_) => Ok(()),
            Err(_) if self.namespace_exists(namespace)? => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn namespace_exists(&self, namespace: &Namespace) -> Result<bool> {
        let ns = namespace.to_string();
        let like = format!("{ns}.%");
        let p = [Some(self.name.as_str()), Some(ns.as_str()), Some(like.as_str())];
        let in_props = self.query(
            "SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND (namespace = ? OR namespace LIKE ?) LIMIT 1",
            &p,
        )?;
        if !in_props.is_empty() {
            return Ok(true);
        }
        let in_tables = self.query(
            "SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND (table_namespace = ? OR table_namespace LIKE ?) LIMIT 1",
            &p,
        )?;
        Ok(!in_tables.is_empty())
    }

    fn load_table(&self, ident: &TableIdent) -> Result<Option<Table>> {
        let Some(location) = self.current_location(ident)? else {
            return Ok(None);
        };
        Ok(Some(Table {
            ident: ident.clone(),
            metadata: read_metadata(&self.io, &location)?,
            metadata_location: location,
        }))
    }

    fn create_table(&self, ident: &TableIdent, creation: &TableCreation) -> Result<Table> {
        if !self.namespace_exists(&ident.namespace)? {
            return Err(IcebergError::NoSuchNamespace(ident.namespace.to_string()));
        }
        if self.current_location(ident)?.is_some() {
            return Err(IcebergError::TableAlreadyExists(ident.to_string()));
        }
        let location = creation
            .location
            .clone()
            .unwrap_or_else(|| self.default_location(ident));
        let metadata = TableMetadata::new(creation, &location)?;
        let file = metadata_file(&metadata.location, 0);
        self.io.write_new(&file, metadata.to_json()?.as_bytes())?;
        let ns = ident.namespace.to_string();
        let sql = if self.typed {
            "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, \
             previous_metadata_location, iceberg_type) VALUES (?, ?, ?, ?, NULL, 'TABLE')"
        } else {
            "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, \
             previous_metadata_location) VALUES (?, ?, ?, ?, NULL)"
        };
        if let Err(e) = self.execute(
            sql,
            &[Some(&self.name), Some(&ns), Some(&ident.name), Some(&file)],
        ) {
            // A primary-key violation: someone created it meanwhile.
            if self.current_location(ident)?.is_some() {
                return Err(IcebergError::TableAlreadyExists(ident.to_string()));
            }
            return Err(e);
        }
        Ok(Table {
            ident: ident.clone(),
            metadata_location: file,
            metadata,
        })
    }

    fn commit(&self, base: &Table, new: TableMetadata) -> Result<Table> {
        let new = with_log(base, new)?;
        let file = metadata_file(&new.location, version_of(&base.metadata_location) + 1);
        self.io.write_new(&file, new.to_json()?.as_bytes())?;
        let ns = base.ident.namespace.to_string();
        let sql = format!(
            "UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? \
             WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?{}",
            self.table_filter()
        );
        let old = base.metadata_location.as_str();
        let updated = self.execute(
            &sql,
            &[
                Some(&file),
                Some(old),
                Some(&self.name),
                Some(&ns),
                Some(&base.ident.name),
                Some(old),
            ],
        )?;
        if updated != 1 {
            // The file we wrote is an orphan no reader will see; leave it (Java does too).
            return Err(IcebergError::CommitConflict(base.ident.to_string()));
        }
        Ok(Table {
            ident: base.ident.clone(),
            metadata_location: file,
            metadata: new,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_java_does() {
        assert_eq!(version_of("/w/t/metadata/00007-abc-def.metadata.json"), 7);
        assert_eq!(version_of("/w/t/metadata/v3.metadata.json"), -1);
        assert!(metadata_file("/w/t", 12).starts_with("/w/t/metadata/00012-"));
    }
}
