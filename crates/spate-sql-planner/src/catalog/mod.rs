//! The DDL catalog: tables and views by name, validated as Flink validates them.
//!
//! A `CREATE TABLE` is checked when it is registered: unique column names, the watermark's
//! column exists and is a `TIMESTAMP(p)`/`TIMESTAMP_LTZ(p)` with `p <= 3` (Flink's rule), the
//! primary key names physical columns, `PARTITIONED BY` names columns, and the `WITH` options fit
//! the connector (`options.rs`), metadata columns read keys the table offers (`metadata.rs`). Names are Flink's: `t`, `default_database.t` and
//! `default_catalog.default_database.t` are the same table; other catalogs and databases are not
//! supported yet.

mod metadata;
mod options;

pub use metadata::{VALUE_PREFIX, format_metadata, readable_metadata};
pub use options::UPSERT_KAFKA_NEEDS_A_KEY;

use std::collections::BTreeMap;

use crate::ast::{ColumnKind, CreateTable, CreateView, Drop, Statement, TableDef};
use crate::error::{Result, SqlError};
use crate::ident::{Loc, ObjectName};
use crate::suggest;
use crate::types::TypeKind;

/// Flink's default catalog name.
pub const DEFAULT_CATALOG: &str = "default_catalog";
/// Flink's default database name.
pub const DEFAULT_DATABASE: &str = "default_database";

/// What a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation<'a> {
    /// A table.
    Table(&'a TableDef),
    /// A view.
    View(&'a CreateView),
}

#[derive(Debug, Clone)]
enum Entry {
    Table(TableDef),
    View(CreateView),
}

impl Entry {
    fn relation(&self) -> Relation<'_> {
        match self {
            Entry::Table(t) => Relation::Table(t),
            Entry::View(v) => Relation::View(v),
        }
    }
}

/// Tables and views of one session (Flink's `default_catalog.default_database`).
///
/// As in Flink, temporary objects live beside permanent ones and shadow them: a name may be both
/// (`CREATE TEMPORARY TABLE t` over a permanent `t`), lookups see the temporary one, `DROP
/// TEMPORARY` drops only temporary objects, and a plain `DROP` refuses while a temporary object
/// of that name exists. A table and a view never share a name within one kind. (Spate keeps no
/// catalog between runs, so "permanent" means "until the session ends" for now.)
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    temporary: BTreeMap<String, Entry>,
    permanent: BTreeMap<String, Entry>,
    functions: crate::expr::udf::Functions,
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
            Statement::DropTable(d) => self.drop(d, Kind::Table).map(|_| true),
            Statement::DropView(d) => self.drop(d, Kind::View).map(|_| true),
            _ => Ok(false),
        }
    }

    fn layer(&mut self, temporary: bool) -> &mut BTreeMap<String, Entry> {
        if temporary {
            &mut self.temporary
        } else {
            &mut self.permanent
        }
    }

    /// Validates and registers a table. With `IF NOT EXISTS` an existing table (or view) of the
    /// same name and kind (temporary or not) is kept and this is a no-op.
    pub fn create_table(&mut self, c: &CreateTable) -> Result<()> {
        let key = local_name(&c.table.name, c.table.loc)?;
        if self.layer(c.temporary).contains_key(&key) {
            return exists(&key, c.temporary, c.if_not_exists, c.table.loc);
        }
        validate_table(&c.table)?;
        self.layer(c.temporary).insert(key, Entry::Table(c.table.clone()));
        Ok(())
    }

    /// Registers a temporary table whose rows come from a stream
    /// (`spate_sql::stream_table`): checked as DDL is, except for its connector, which DDL
    /// cannot name.
    pub fn register_stream_table(&mut self, c: &CreateTable) -> Result<()> {
        let key = local_name(&c.table.name, c.table.loc)?;
        if self.temporary.contains_key(&key) {
            return exists(&key, true, false, c.table.loc);
        }
        validate_schema(&c.table)?;
        self.temporary.insert(key, Entry::Table(c.table.clone()));
        Ok(())
    }

    /// Registers a view (its query is checked when it is planned).
    pub fn create_view(&mut self, v: &CreateView) -> Result<()> {
        let key = local_name(&v.name, v.loc)?;
        if self.layer(v.temporary).contains_key(&key) {
            return exists(&key, v.temporary, v.if_not_exists, v.loc);
        }
        self.layer(v.temporary).insert(key, Entry::View(v.clone()));
        Ok(())
    }

    /// `DROP [TEMPORARY] TABLE|VIEW [IF EXISTS]`, with Flink's rules.
    fn drop(&mut self, d: &Drop, kind: Kind) -> Result<()> {
        let key = local_name(&d.name, d.loc)?;
        let is_kind = |e: &Entry| kind.matches(e);
        if d.temporary {
            if self.temporary.get(&key).is_some_and(is_kind) {
                self.temporary.remove(&key);
                return Ok(());
            }
            if d.if_exists {
                return Ok(());
            }
            return Err(SqlError::validation(
                format!("temporary {} {key} does not exist", kind.name()),
                d.loc.pos(),
            ));
        }
        if self.temporary.get(&key).is_some_and(is_kind) {
            return Err(SqlError::validation(
                format!(
                    "temporary {0} {key} exists; drop it first (DROP TEMPORARY {1} {key}) before removing the permanent {0}",
                    kind.name(),
                    kind.name().to_ascii_uppercase()
                ),
                d.loc.pos(),
            ));
        }
        if self.permanent.get(&key).is_some_and(is_kind) {
            self.permanent.remove(&key);
            return Ok(());
        }
        if d.if_exists {
            return Ok(());
        }
        let candidates: Vec<&str> = self
            .permanent
            .iter()
            .filter(|(_, e)| kind.matches(e))
            .map(|(k, _)| k.as_str())
            .collect();
        Err(SqlError::validation(
            format!(
                "{} {key} does not exist{}",
                kind.name(),
                suggest::did_you_mean(&key, candidates)
            ),
            d.loc.pos(),
        ))
    }

    fn entry(&self, key: &str) -> Option<&Entry> {
        self.temporary.get(key).or_else(|| self.permanent.get(key))
    }

    /// The table or view `name` refers to (a temporary one first); an unknown name is an error
    /// suggesting the nearest.
    pub fn resolve(&self, name: &ObjectName) -> Result<Relation<'_>> {
        let loc = name.0.first().map_or(Loc::NONE, |i| i.loc);
        let key = local_name(name, loc)?;
        if let Some(e) = self.entry(&key) {
            return Ok(e.relation());
        }
        Err(SqlError::validation(
            format!(
                "unknown table or view {key}{}",
                suggest::did_you_mean(&key, self.table_names())
            ),
            loc.pos(),
        ))
    }

    /// Registers a user-defined scalar function (replacing one of the same name).
    pub fn register_function(&mut self, function: crate::expr::ScalarUdf) {
        self.functions
            .insert(function.name.clone(), std::sync::Arc::new(function));
    }

    /// The user-defined functions, by upper-case name.
    pub fn functions(&self) -> &crate::expr::udf::Functions {
        &self.functions
    }

    /// The table named `name` (a temporary one first).
    pub fn table(&self, name: &str) -> Option<&TableDef> {
        match self.entry(name)? {
            Entry::Table(t) => Some(t),
            Entry::View(_) => None,
        }
    }

    /// The view named `name` (a temporary one first).
    pub fn view(&self, name: &str) -> Option<&CreateView> {
        match self.entry(name)? {
            Entry::View(v) => Some(v),
            Entry::Table(_) => None,
        }
    }

    /// Names of tables and views, sorted and once each (what Flink's `SHOW TABLES` lists).
    pub fn table_names(&self) -> Vec<&str> {
        let names: std::collections::BTreeSet<&str> = self
            .temporary
            .keys()
            .chain(self.permanent.keys())
            .map(String::as_str)
            .collect();
        names.into_iter().collect()
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Table,
    View,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::View => "view",
        }
    }

    fn matches(self, e: &Entry) -> bool {
        matches!(
            (self, e),
            (Kind::Table, Entry::Table(_)) | (Kind::View, Entry::View(_))
        )
    }
}

fn exists(key: &str, temporary: bool, if_not_exists: bool, loc: Loc) -> Result<()> {
    if if_not_exists {
        return Ok(());
    }
    Err(SqlError::validation(
        format!(
            "{}table or view {key} already exists",
            if temporary { "temporary " } else { "" }
        ),
        loc.pos(),
    ))
}

/// `t`, `default_database.t` or `default_catalog.default_database.t` → `t`.
fn local_name(name: &ObjectName, loc: Loc) -> Result<String> {
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
    validate_schema(t)?;
    options::validate_options(t)
}

/// The columns, watermark, primary key and partitioning of `t` (everything but its options).
fn validate_schema(t: &TableDef) -> Result<()> {
    let err = |msg: String, loc: Loc| {
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
    Ok(())
}
