//! The table's options as Flink's Iceberg connector reads them: which catalog (`catalog-type`
//! or `catalog-impl`, `uri`, `warehouse`, `jdbc.*`, the REST catalog's `token`, `credential`,
//! `oauth2-server-uri`, `scope`, `prefix`, `rest.*`), which table in it (`catalog-database`,
//! default `default`; `catalog-table`, default the SQL table's name), and the properties a
//! table created from the DDL gets (`format-version`, `write.*`, `commit.*`, `flink.*`,
//! `read.*`).

use std::collections::BTreeMap;
use std::sync::Arc;

use spate_iceberg::{Catalog, HadoopCatalog, JdbcCatalog, RestCatalog, TableIdent};

use super::super::opts::Options;
use crate::error::SqlError;

/// Where the catalog is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CatalogKind {
    /// `catalog-type` = `hadoop`: a directory tree under `warehouse`.
    Hadoop { warehouse: String },
    /// `catalog-impl` = `org.apache.iceberg.jdbc.JdbcCatalog` with `uri` = `jdbc:sqlite:..` or
    /// `jdbc:postgresql:..`.
    Jdbc { uri: String, warehouse: String },
    /// `catalog-type` = `rest` with `uri` (and `warehouse`, `token` or `credential`, ...).
    Rest,
}

/// The catalog and table an `iceberg` table names, and what the sink needs of its options.
#[derive(Debug, Clone)]
pub(crate) struct IcebergOptions {
    pub(crate) catalog_name: String,
    pub(crate) kind: CatalogKind,
    /// Every option, as the catalog's properties (`jdbc.user`, `jdbc.password`, ...).
    pub(crate) catalog_properties: BTreeMap<String, String>,
    pub(crate) ident: TableIdent,
    /// Properties of a table created from the DDL.
    pub(crate) table_properties: BTreeMap<String, String>,
}

/// Option prefixes that become table properties of a created table.
const TABLE_PROPERTY_PREFIXES: &[&str] = &["write.", "commit.", "flink.", "read."];

impl IcebergOptions {
    pub(crate) fn of(options: Options<'_>) -> Result<Self, SqlError> {
        let table = options.table();
        let required = |key: &str| {
            options
                .get(key)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| options.error(format!("the option '{key}' is required")))
        };
        let catalog_name = required("catalog-name")?.to_string();
        let kind = match (options.get("catalog-type"), options.get("catalog-impl")) {
            (_, Some(_)) => CatalogKind::Jdbc {
                uri: required("uri")?.to_string(),
                warehouse: required("warehouse")?.to_string(),
            },
            (Some(t), None) if t.eq_ignore_ascii_case("rest") => {
                required("uri")?;
                CatalogKind::Rest
            }
            // Flink's default catalog type is hive; Spate has no Hive metastore.
            (Some(t), None) if t.eq_ignore_ascii_case("hadoop") => CatalogKind::Hadoop {
                warehouse: required("warehouse")?.to_string(),
            },
            (t, None) => {
                return Err(options.invalid(
                    "catalog-type",
                    format!(
                        "'{}' is not supported; use hadoop, or catalog-impl = 'org.apache.iceberg.jdbc.JdbcCatalog'",
                        t.unwrap_or("hive (the default)")
                    ),
                ));
            }
        };
        let mut catalog_properties = BTreeMap::new();
        let mut table_properties = BTreeMap::new();
        for o in &table.options {
            catalog_properties.insert(o.key.clone(), o.value.clone());
            if o.key == "format-version" || TABLE_PROPERTY_PREFIXES.iter().any(|p| o.key.starts_with(p)) {
                table_properties.insert(o.key.clone(), o.value.clone());
            }
        }
        let database = options.get("catalog-database").unwrap_or("default");
        let name = options.get("catalog-table").unwrap_or(table.name.base());
        Ok(Self {
            catalog_name,
            kind,
            catalog_properties,
            ident: TableIdent::new(database, name),
            table_properties,
        })
    }

    /// Opens the catalog (connects to the JDBC catalog's database).
    pub(crate) fn open(&self) -> Result<Arc<dyn Catalog>, spate_iceberg::IcebergError> {
        Ok(match &self.kind {
            CatalogKind::Hadoop { warehouse } => Arc::new(HadoopCatalog::new(&self.catalog_name, warehouse)?),
            CatalogKind::Jdbc { uri, warehouse } => Arc::new(JdbcCatalog::connect(
                &self.catalog_name,
                uri,
                warehouse,
                &self.catalog_properties,
            )?),
            CatalogKind::Rest => Arc::new(RestCatalog::connect(
                &self.catalog_name,
                &self.catalog_properties,
            )?),
        })
    }
}
