//! `table.exec.sink.not-null-enforcer`: what happens to a row that would write `NULL` into a
//! sink's `NOT NULL` column. Flink's default `ERROR` fails the job with Flink's message; `DROP`
//! drops the row silently (Flink's `ConstraintEnforcer`).

use spate_engine::DataStream;

use crate::ast::{ColumnKind, TableDef};
use crate::connector::{NOT_NULL_ENFORCER, NotNullEnforcer};
use crate::value::Row;

/// `rows` (in the order of `table`'s persisted columns) with the `NOT NULL` columns enforced;
/// `rows` itself when the table has none.
pub(crate) fn enforce(
    rows: &DataStream<Row>,
    table: &TableDef,
    enforcer: NotNullEnforcer,
) -> DataStream<Row> {
    // Persisted columns, in the order the rows hold them (see `conform_to_sink`).
    let persisted = table.columns.iter().filter_map(|c| match &c.kind {
        ColumnKind::Physical(ty) => Some((ty, c)),
        ColumnKind::Metadata { ty, is_virtual, .. } if !is_virtual => Some((ty, c)),
        _ => None,
    });
    let not_null: Vec<(usize, String)> = persisted
        .enumerate()
        .filter(|(_, (ty, _))| !ty.nullable)
        .map(|(i, (_, c))| (i, c.name.value.clone()))
        .collect();
    if not_null.is_empty() {
        return rows.clone();
    }
    rows.filter(move |row: &Row| {
        let Some((_, name)) = not_null
            .iter()
            .find(|(i, _)| row.get(*i).is_none_or(crate::value::Value::is_null))
        else {
            return true;
        };
        match enforcer {
            NotNullEnforcer::Drop => false,
            // A task's panic fails the job with its message (see `fail.rs`).
            NotNullEnforcer::Error => std::panic::resume_unwind(Box::new(violation(name))),
        }
    })
}

/// Flink's message for a `NULL` written into `NOT NULL` column `name`.
pub(crate) fn violation(name: &str) -> String {
    format!(
        "Column '{name}' is NOT NULL, however, a null value is being written into it. You can \
         set job configuration '{NOT_NULL_ENFORCER}'='DROP' to suppress this exception and drop \
         such records silently."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flinks_values_in_either_case() {
        assert_eq!(NotNullEnforcer::parse("error").ok(), Some(NotNullEnforcer::Error));
        assert_eq!(NotNullEnforcer::parse(" DROP ").ok(), Some(NotNullEnforcer::Drop));
        assert!(NotNullEnforcer::parse("IGNORE").is_err());
    }

    #[test]
    fn the_message_is_flinks() {
        assert_eq!(
            violation("x"),
            "Column 'x' is NOT NULL, however, a null value is being written into it. You can set \
             job configuration 'table.exec.sink.not-null-enforcer'='DROP' to suppress this \
             exception and drop such records silently."
        );
    }
}
