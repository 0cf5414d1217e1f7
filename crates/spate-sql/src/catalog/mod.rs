//! The DDL catalog: tables and views by name, validated as Flink validates them.
//!
//! A `CREATE TABLE` is checked when it is registered: unique column names, the watermark's
//! column exists and is a `TIMESTAMP(p)`/`TIMESTAMP_LTZ(p)` with `p <= 3` (Flink's rule), the
//! primary key names physical columns, `PARTITIONED BY` names columns, and the `WITH` options fit
//! the connector (`options.rs`). Names are Flink's: `t`, `default_database.t` and
//! `default_catalog.default_database.t` are the same table; other catalogs and databases are not
//! supported yet.

mod options;
mod suggest;

use std::collections::BTreeMap;

use crate::ast::{ColumnKind, CreateTable, CreateView, Drop, Statement, TableDef};
use crate::error::{Result, SqlError};
use crate::ident::ObjectName;
use crate::types::TypeKind;

/// Flink's default catalog name.
pub const DEFAULT_CATALOG: &str = "default_catalog";
/// Flink's default database name.
pub const DEFAULT_DATABASE: &str = "default_database";

/// A registered view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewDef {
    /// The `CREATE VIEW` statement.
    pub def: CreateView,
}

/// What a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation<'a> {
    /// A table.
    Table(&'a TableDef),
    /// A view.
    View(&'a CreateView),
}

/// Tables and views of one session (Flink's `default_catalog.default_database`).
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    tables: BTreeMap<String, TableDef>,
    views: BTreeMap<String, CreateView>,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a DDL statement (`CREATE`/`DROP` of tables and views). Returns `false` for
    /// statements that are not DDL, which it leaves alone.
    pub fn apply(&mut self, stmt: &Statement) -> Result<bool> {
        match stmt {
            Statement::CreateTable(c) => self.create_table(c).map(|_| true),
            Statement::CreateView(v) => self.create_view(v).map(|_| true),
            Statement::DropTable(d) => self.drop_table(d).map(|_| true),
            Statement::DropView(d) => self.drop_view(d).map(|_| true),
            _ => Ok(false),
        }
    }

    /// Validates and registers a table. With `IF NOT EXISTS` an existing table (or view) of the
    /// same name is kept and this is a no-op.
    pub fn create_table(&mut self, c: &CreateTable) -> Result<()> {
        let key = local_name(&c.table.name, c.table.loc)?;
        if self.tables.contains_key(&key) || self.views.contains_key(&key) {
            if c.if_not_exists {
                return Ok(());
            }
            return Err(SqlError::validation(
                format!("table or view {key} already exists"),
                c.table.loc.pos(),
            ));
        }
        validate_table(&c.table)?;
        self.tables.insert(key, c.table.clone());
        Ok(())
    }

    /// Registers a view (its query is checked when it is planned).
    pub fn create_view(&mut self, v: &CreateView) -> Result<()> {
        let key = local_name(&v.name, v.loc)?;
        if self.tables.contains_key(&key) || self.views.contains_key(&key) {
            if v.if_not_exists {
                return Ok(());
            }
            return Err(SqlError::validation(
                format!("table or view {key} already exists"),
                v.loc.pos(),
            ));
        }
        self.views.insert(key, v.clone());
        Ok(())
    }

    /// `DROP TABLE`.
    pub fn drop_table(&mut self, d: &Drop) -> Result<()> {
        let key = local_name(&d.name, d.loc)?;
        if self.tables.remove(&key).is_some() || d.if_exists {
            return Ok(());
        }
        Err(self.unknown("table", &key, d.loc, self.tables.keys()))
    }

    /// `DROP VIEW`.
    pub fn drop_view(&mut self, d: &Drop) -> Result<()> {
        let key = local_name(&d.name, d.loc)?;
        if self.views.remove(&key).is_some() || d.if_exists {
            return Ok(());
        }
        Err(self.unknown("view", &key, d.loc, self.views.keys()))
    }

    /// The table or view `name` refers to; an unknown name is an error suggesting the nearest.
    pub fn resolve(&self, name: &ObjectName) -> Result<Relation<'_>> {
        let key = local_name(name, crate::ident::Loc::NONE)?;
        if let Some(t) = self.tables.get(&key) {
            return Ok(Relation::Table(t));
        }
        if let Some(v) = self.views.get(&key) {
            return Ok(Relation::View(v));
        }
        Err(self.unknown(
            "table or view",
            &key,
            crate::ident::Loc::NONE,
            self.tables.keys().chain(self.views.keys()),
        ))
    }

    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&TableDef> {
        self.tables.get(name)
    }

    /// The view named `name`.
    pub fn view(&self, name: &str) -> Option<&CreateView> {
        self.views.get(name)
    }

    /// Names of tables and views, sorted (what Flink's `SHOW TABLES` lists).
    pub fn table_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .tables
            .keys()
            .chain(self.views.keys())
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        names
    }

    fn unknown<'a>(
        &self,
        what: &str,
        name: &str,
        loc: crate::ident::Loc,
        candidates: impl Iterator<Item = &'a String>,
    ) -> SqlError {
        SqlError::validation(
            format!(
                "unknown {what} {name}{}",
                suggest::did_you_mean(name, candidates.map(String::as_str))
            ),
            loc.pos(),
        )
    }
}

/// `t`, `default_database.t` or `default_catalog.default_database.t` → `t`.
fn local_name(name: &ObjectName, loc: crate::ident::Loc) -> Result<String> {
    let parts: Vec<&str> = name.0.iter().map(|i| i.as_str()).collect();
    match parts.as_slice() {
        [t] => Ok((*t).to_string()),
        [DEFAULT_DATABASE, t] | [DEFAULT_CATALOG, DEFAULT_DATABASE, t] => Ok((*t).to_string()),
        _ => Err(SqlError::validation(
            format!(
                "{name}: only the default catalog and database ({DEFAULT_CATALOG}.{DEFAULT_DATABASE}) are supported"
            ),
            loc.pos(),
        )),
    }
}

/// Checks a table definition as Flink does at `CREATE TABLE`.
pub fn validate_table(t: &TableDef) -> Result<()> {
    let err = |msg: String, loc: crate::ident::Loc| {
        SqlError::validation(format!("table {}: {msg}", t.name), loc.pos().or(t.loc.pos()))
    };
    if t.columns.is_empty() {
        return Err(err("a table needs at least one column".into(), t.loc));
    }
    for (i, c) in t.columns.iter().enumerate() {
        if t.columns[..i].iter().any(|o| o.name == c.name) {
            return Err(err(format!("duplicate column {}", c.name), c.loc));
        }
    }
    let names = || t.columns.iter().map(|c| c.name.as_str());
    let unknown_column = |name: &str, role: &str, loc| {
        err(
            format!(
                "{role} column {name} is not a column of the table{}",
                suggest::did_you_mean(name, names())
            ),
            loc,
        )
    };
    if let Some(w) = &t.watermark {
        let Some(col) = t.column(w.column.as_str()) else {
            return Err(unknown_column(w.column.as_str(), "the watermark", w.loc));
        };
        let ty = match &col.kind {
            ColumnKind::Physical(ty) | ColumnKind::Metadata { ty, .. } => Some(ty),
            // The type of a computed column is known after binding; the binder checks it.
            ColumnKind::Computed(_) => None,
        };
        if let Some(ty) = ty {
            let ok = matches!(ty.kind, TypeKind::Timestamp(p) | TypeKind::TimestampLtz(p) if p <= 3);
            if !ok {
                return Err(err(
                    format!(
                        "the watermark column {} is {}, but a rowtime column must be TIMESTAMP(p) or TIMESTAMP_LTZ(p) with p <= 3 (usually TIMESTAMP(3))",
                        w.column, ty
                    ),
                    w.loc,
                ));
            }
        }
    }
    if let Some(pk) = &t.primary_key {
        for (i, k) in pk.columns.iter().enumerate() {
            if pk.columns[..i].contains(k) {
                return Err(err(
                    format!("column {k} appears twice in the primary key"),
                    pk.loc,
                ));
            }
            match t.column(k.as_str()) {
                None => return Err(unknown_column(k.as_str(), "the primary key", pk.loc)),
                Some(c) if !matches!(c.kind, ColumnKind::Physical(_)) => {
                    return Err(err(
                        format!("the primary key column {k} must be a physical column"),
                        pk.loc,
                    ));
                }
                Some(_) => {}
            }
        }
    }
    for p in &t.partitioned_by {
        if t.column(p.as_str()).is_none() {
            return Err(unknown_column(p.as_str(), "the partition", t.loc));
        }
    }
    options::validate_options(t)
}
