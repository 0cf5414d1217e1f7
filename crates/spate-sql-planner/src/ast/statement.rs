//! Statements: DDL (`CREATE TABLE`, views, `DROP`), `INSERT` and statement sets, `SET`,
//! `EXPLAIN`, and how each prints as Flink SQL.

use std::fmt;

use super::expr::Expr;
use super::{Query, comma_list};
use crate::ident::{Ident, Loc, ObjectName, Quoted};
use crate::types::DataType;

/// One statement of a Flink SQL script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// `CREATE [TEMPORARY] TABLE [IF NOT EXISTS] ...`.
    CreateTable(CreateTable),
    /// `CREATE [TEMPORARY] VIEW [IF NOT EXISTS] v [(cols)] [COMMENT '..'] AS query`.
    CreateView(CreateView),
    /// `INSERT INTO t [(cols)] query`.
    Insert(Insert),
    /// `EXECUTE STATEMENT SET BEGIN insert; ... END` (or `BEGIN STATEMENT SET; ... END`): the
    /// inserts run as one job.
    StatementSet(Vec<Insert>),
    /// `SET 'key' = 'value'`, or `SET` alone (list the settings).
    Set(Option<(String, String)>),
    /// `RESET 'key'`, or `RESET` alone (all keys).
    Reset(Option<String>),
    /// `EXPLAIN [PLAN FOR | detail, ...] statement`.
    Explain(Explain),
    /// `SHOW TABLES`.
    ShowTables,
    /// `DESCRIBE t` / `DESC t`.
    Describe(ObjectName),
    /// `DROP [TEMPORARY] TABLE [IF EXISTS] t`.
    DropTable(Drop),
    /// `DROP [TEMPORARY] VIEW [IF EXISTS] v`.
    DropView(Drop),
    /// A query on its own (`SELECT ...`, `WITH ...`, `VALUES ...`).
    Select(Query),
}

/// `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTable {
    /// `TEMPORARY`.
    pub temporary: bool,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// The table's schema and options.
    pub table: TableDef,
}

/// A table's definition: what `CREATE TABLE` declares and the catalog keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// The table's name.
    pub name: ObjectName,
    /// Columns in declaration order (physical, computed and metadata).
    pub columns: Vec<Column>,
    /// `WATERMARK FOR col AS expr`.
    pub watermark: Option<Watermark>,
    /// `PRIMARY KEY (..) NOT ENFORCED` (table- or column-level).
    pub primary_key: Option<PrimaryKey>,
    /// `COMMENT '..'` after the column list.
    pub comment: Option<String>,
    /// `PARTITIONED BY (..)`.
    pub partitioned_by: Vec<Ident>,
    /// `WITH ('k' = 'v', ...)`, in order.
    pub options: Vec<TableOption>,
    /// The table name's position.
    pub loc: Loc,
}

impl TableDef {
    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name.as_str() == name)
    }

    /// The columns an INSERT writes, in order: physical ones and metadata columns that are
    /// not `VIRTUAL` (a query is conformed to these, by position).
    pub fn persisted_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| match &c.kind {
            ColumnKind::Physical(_) => true,
            ColumnKind::Metadata { is_virtual, .. } => !is_virtual,
            ColumnKind::Computed(_) => false,
        })
    }

    /// The value of option `key` (the last one if it is given twice, as in Flink).
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .rfind(|o| o.key == key)
            .map(|o| o.value.as_str())
    }
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column's name.
    pub name: Ident,
    /// Physical, computed or metadata.
    pub kind: ColumnKind,
    /// `COMMENT '..'`.
    pub comment: Option<String>,
    /// The name's position.
    pub loc: Loc,
}

/// What kind of column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    /// `c TYPE [NOT NULL]`: read from and written to the connector.
    Physical(DataType),
    /// `c AS expr`: computed from the other columns, never written.
    Computed(Expr),
    /// `c TYPE METADATA [FROM 'key'] [VIRTUAL]`: connector metadata (e.g. Kafka's `timestamp`);
    /// the key defaults to the column name; `VIRTUAL` columns are read-only.
    Metadata {
        /// The column's type.
        ty: DataType,
        /// `FROM 'key'`.
        key: Option<String>,
        /// `VIRTUAL`.
        is_virtual: bool,
    },
}

/// `WATERMARK FOR column AS expr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    /// The rowtime column.
    pub column: Ident,
    /// The watermark strategy expression (e.g. `ts - INTERVAL '5' SECOND`).
    pub expr: Expr,
    /// Position of the column name after `FOR`.
    pub loc: Loc,
}

/// `[CONSTRAINT name] PRIMARY KEY (cols) NOT ENFORCED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryKey {
    /// `CONSTRAINT name`.
    pub name: Option<Ident>,
    /// The key's columns.
    pub columns: Vec<Ident>,
    /// Position of `PRIMARY` (or `CONSTRAINT`).
    pub loc: Loc,
}

/// One `'key' = 'value'` of a `WITH` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOption {
    /// The option's name, verbatim.
    pub key: String,
    /// Its value, verbatim.
    pub value: String,
    /// Position of the key.
    pub loc: Loc,
}

/// `CREATE VIEW`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateView {
    /// `TEMPORARY`.
    pub temporary: bool,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// The view's name.
    pub name: ObjectName,
    /// `(a, b)` column names.
    pub columns: Vec<Ident>,
    /// `COMMENT '..'`.
    pub comment: Option<String>,
    /// The view's query.
    pub query: Query,
    /// The name's position.
    pub loc: Loc,
}

/// `INSERT INTO t [(cols)] query [ON CONFLICT DO ..]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insert {
    /// The target table.
    pub table: ObjectName,
    /// Explicit target columns.
    pub columns: Vec<Ident>,
    /// The rows.
    pub query: Query,
    /// `ON CONFLICT DO ERROR | NOTHING | DEDUPLICATE` (Flink 2.3).
    pub on_conflict: Option<ConflictStrategy>,
    /// The table name's position.
    pub loc: Loc,
}

/// What an upsert sink does when rows of different upsert keys of the query map to one of its
/// primary keys (Flink 2.3's `ON CONFLICT` clause).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictStrategy {
    /// `DO ERROR`: the job fails.
    Error,
    /// `DO NOTHING`: the first row kept stays.
    Nothing,
    /// `DO DEDUPLICATE`: the latest row wins; when it is retracted, the one before it.
    Deduplicate,
}

impl ConflictStrategy {
    /// Flink's name (`ERROR`, `NOTHING`, `DEDUPLICATE`).
    pub fn name(self) -> &'static str {
        match self {
            ConflictStrategy::Error => "ERROR",
            ConflictStrategy::Nothing => "NOTHING",
            ConflictStrategy::Deduplicate => "DEDUPLICATE",
        }
    }
}

/// `EXPLAIN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explain {
    /// Flink's explain details (`ESTIMATED_COST`, `CHANGELOG_MODE`, `JSON_EXECUTION_PLAN`,
    /// `PLAN_ADVICE`), upper case.
    pub details: Vec<String>,
    /// The explained statement: a query, an insert or a statement set.
    pub statement: Box<Statement>,
}

/// `DROP TABLE` / `DROP VIEW`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drop {
    /// `TEMPORARY`.
    pub temporary: bool,
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// What to drop.
    pub name: ObjectName,
    /// The name's position.
    pub loc: Loc,
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::CreateTable(c) => c.fmt(f),
            Statement::CreateView(v) => v.fmt(f),
            Statement::Insert(i) => i.fmt(f),
            Statement::StatementSet(inserts) => {
                f.write_str("EXECUTE STATEMENT SET\nBEGIN\n")?;
                for i in inserts {
                    writeln!(f, "{i};")?;
                }
                f.write_str("END")
            }
            Statement::Set(None) => f.write_str("SET"),
            Statement::Set(Some((k, v))) => write!(f, "SET {} = {}", Quoted(k), Quoted(v)),
            Statement::Reset(None) => f.write_str("RESET"),
            Statement::Reset(Some(k)) => write!(f, "RESET {}", Quoted(k)),
            Statement::Explain(e) => {
                f.write_str("EXPLAIN ")?;
                if !e.details.is_empty() {
                    comma_list(f, &e.details, ", ")?;
                    f.write_str(" ")?;
                }
                e.statement.fmt(f)
            }
            Statement::ShowTables => f.write_str("SHOW TABLES"),
            Statement::Describe(n) => write!(f, "DESCRIBE {n}"),
            Statement::DropTable(d) => write_drop(f, "TABLE", d),
            Statement::DropView(d) => write_drop(f, "VIEW", d),
            Statement::Select(q) => q.fmt(f),
        }
    }
}

fn write_drop(f: &mut fmt::Formatter<'_>, what: &str, d: &Drop) -> fmt::Result {
    f.write_str("DROP ")?;
    if d.temporary {
        f.write_str("TEMPORARY ")?;
    }
    write!(f, "{what} ")?;
    if d.if_exists {
        f.write_str("IF EXISTS ")?;
    }
    write!(f, "{}", d.name)
}

impl fmt::Display for CreateTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.temporary {
            f.write_str("TEMPORARY ")?;
        }
        f.write_str("TABLE ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        self.table.fmt(f)
    }
}

impl fmt::Display for TableDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (", self.name)?;
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            f.write_str(if first { "\n  " } else { ",\n  " })?;
            first = false;
            Ok(())
        };
        for c in &self.columns {
            sep(f)?;
            c.fmt(f)?;
        }
        if let Some(w) = &self.watermark {
            sep(f)?;
            write!(f, "WATERMARK FOR {} AS {}", w.column, w.expr)?;
        }
        if let Some(pk) = &self.primary_key {
            sep(f)?;
            if let Some(n) = &pk.name {
                write!(f, "CONSTRAINT {n} ")?;
            }
            f.write_str("PRIMARY KEY (")?;
            comma_list(f, &pk.columns, ", ")?;
            f.write_str(") NOT ENFORCED")?;
        }
        f.write_str("\n)")?;
        if let Some(c) = &self.comment {
            write!(f, " COMMENT {}", Quoted(c))?;
        }
        if !self.partitioned_by.is_empty() {
            f.write_str(" PARTITIONED BY (")?;
            comma_list(f, &self.partitioned_by, ", ")?;
            f.write_str(")")?;
        }
        if !self.options.is_empty() {
            f.write_str(" WITH (")?;
            for (i, o) in self.options.iter().enumerate() {
                f.write_str(if i == 0 { "\n  " } else { ",\n  " })?;
                write!(f, "{} = {}", Quoted(&o.key), Quoted(&o.value))?;
            }
            f.write_str("\n)")?;
        }
        Ok(())
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.name)?;
        match &self.kind {
            ColumnKind::Physical(ty) => write!(f, "{ty}")?,
            ColumnKind::Computed(e) => write!(f, "AS {e}")?,
            ColumnKind::Metadata { ty, key, is_virtual } => {
                write!(f, "{ty} METADATA")?;
                if let Some(k) = key {
                    write!(f, " FROM {}", Quoted(k))?;
                }
                if *is_virtual {
                    f.write_str(" VIRTUAL")?;
                }
            }
        }
        if let Some(c) = &self.comment {
            write!(f, " COMMENT {}", Quoted(c))?;
        }
        Ok(())
    }
}

impl fmt::Display for CreateView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.temporary {
            f.write_str("TEMPORARY ")?;
        }
        f.write_str("VIEW ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(f, "{}", self.name)?;
        if !self.columns.is_empty() {
            f.write_str(" (")?;
            comma_list(f, &self.columns, ", ")?;
            f.write_str(")")?;
        }
        if let Some(c) = &self.comment {
            write!(f, " COMMENT {}", Quoted(c))?;
        }
        write!(f, " AS\n{}", self.query)
    }
}

impl fmt::Display for Insert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INSERT INTO {}", self.table)?;
        if !self.columns.is_empty() {
            f.write_str(" (")?;
            comma_list(f, &self.columns, ", ")?;
            f.write_str(")")?;
        }
        write!(f, "\n{}", self.query)?;
        if let Some(strategy) = self.on_conflict {
            write!(f, "\nON CONFLICT DO {}", strategy.name())?;
        }
        Ok(())
    }
}
