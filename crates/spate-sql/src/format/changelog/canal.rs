//! `canal-json`: `{"data": [{..}, ..], "old": [{..}, ..], "type": "UPDATE", "database": "db",
//! "table": "t", ...}`. One event holds a batch of rows: `INSERT` inserts each of `data`,
//! `DELETE` deletes each, `UPDATE` retracts each row's old image and inserts its new one,
//! where `old[i]` holds only the fields that changed; `CREATE` (a DDL event) holds no change.
//! `canal-json.database.include` and `canal-json.table.include` keep only the events of the
//! databases and tables whose names match.

use regex::Regex;

use super::{
    ChangeValues, FormatError, FormatField, field, fill_unchanged, old_names, shown, string_of, string_type,
};
use crate::error::SqlError;
use crate::format::options::FormatOptions;
use crate::types::{DataType, TypeKind};
use crate::value::{RowKind, Value};

/// Which events a table reads (`None`: all).
#[derive(Debug, Clone, Default)]
pub(super) struct Filter {
    database: Option<Regex>,
    table: Option<Regex>,
}

impl Filter {
    pub(super) fn new(opts: &FormatOptions<'_>) -> Result<Self, SqlError> {
        let pattern = |key: &str| -> Result<Option<Regex>, SqlError> {
            opts.get(key)
                .map(|p| {
                    // Java's `Matcher.matches`: the whole name.
                    Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                        opts.error(format!(
                            "option '{}': not a regular expression: {e}",
                            opts.name(key)
                        ))
                    })
                })
                .transpose()
        };
        Ok(Self {
            database: pattern("database.include")?,
            table: pattern("table.include")?,
        })
    }

    /// Whether an event of `database`.`table` is read; a name the event lacks fails it when a
    /// pattern asks for it (Flink's filter reads the name first).
    fn keeps(&self, database: &Value, table: &Value) -> Result<bool, String> {
        for (pattern, value, what) in [
            (&self.database, database, "database"),
            (&self.table, table, "table"),
        ] {
            let Some(pattern) = pattern else { continue };
            let Some(name) = string_of(value) else {
                return Err(format!("the \"{what}\" field is null"));
            };
            if !pattern.is_match(name) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The fields Flink reads an event through.
pub(super) fn envelope(row: &DataType) -> Vec<FormatField> {
    let rows = DataType::new(TypeKind::Array(Box::new(row.clone())));
    vec![
        field("data", rows.clone()),
        field("old", rows),
        field("type", string_type()),
        field("database", string_type()),
        field("table", string_type()),
    ]
}

/// The rows of an ARRAY value (`None` for `NULL`); a `NULL` element is an error.
fn rows_of(v: Value) -> Option<Vec<Option<Vec<Value>>>> {
    match v {
        Value::Array(items) => Some(items.into_iter().map(super::row_of).collect()),
        _ => None,
    }
}

/// The changes of one decoded envelope.
pub(super) fn changes(
    envelope: Vec<Value>,
    filter: &Filter,
    names: &[String],
    bytes: &[u8],
    out: &mut Vec<ChangeValues>,
) -> Result<(), FormatError> {
    let corrupt =
        |cause: &str| FormatError(format!("Corrupt Canal JSON message '{}': {cause}", shown(bytes)));
    let mut parts = envelope.into_iter();
    let (Some(data), Some(old), Some(kind), Some(database), Some(table)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(corrupt("the envelope lacks fields"));
    };
    if !filter.keeps(&database, &table).map_err(|e| corrupt(&e))? {
        return Ok(());
    }
    let Some(kind) = string_of(&kind).map(str::to_string) else {
        return Err(corrupt("the \"type\" field is null"));
    };
    let row_kind = match kind.as_str() {
        "INSERT" => RowKind::Insert,
        "DELETE" => RowKind::Delete,
        "UPDATE" => RowKind::UpdateAfter,
        // A DDL event: no rows.
        "CREATE" => return Ok(()),
        other => {
            return Err(FormatError(format!(
                "Unknown \"type\" value \"{other}\". The Canal JSON message is '{}'",
                shown(bytes)
            )));
        }
    };
    let data = rows_of(data).ok_or_else(|| corrupt("the \"data\" field is null"))?;
    if row_kind != RowKind::UpdateAfter {
        for row in data {
            out.push((row_kind, row.ok_or_else(|| corrupt("a row of \"data\" is null"))?));
        }
        return Ok(());
    }
    let old = rows_of(old).ok_or_else(|| corrupt("the \"old\" field of an update is null"))?;
    let changed = old_names(bytes).map_err(|e| corrupt(&e))?;
    let mut old = old.into_iter();
    for after in data {
        let after = after.ok_or_else(|| corrupt("a row of \"data\" is null"))?;
        let mut before = old
            .next()
            .flatten()
            .ok_or_else(|| corrupt("\"old\" has fewer rows than \"data\""))?;
        fill_unchanged(&mut before, &after, names, &changed);
        out.push((RowKind::UpdateBefore, before));
        out.push((RowKind::UpdateAfter, after));
    }
    Ok(())
}
