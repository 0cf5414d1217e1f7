//! The SQL text Flink's PostgreSQL dialect writes (`PostgresDialect`), as multi-row statements.
//!
//! - insert: `INSERT INTO t(c1, c2) VALUES ($1, $2), ($3, $4)`
//! - upsert: the same with `ON CONFLICT (k) DO UPDATE SET c2=EXCLUDED.c2` (every column not in
//!   the key; `DO NOTHING` when every column is in it, where Flink would write invalid SQL)
//! - delete: `DELETE FROM t WHERE k1 = $1 AND k2 = $2`, one key per execution
//!
//! Identifiers are written as declared, unquoted, as Flink's dialect does
//! (`quoteIdentifier` returns its argument): PostgreSQL folds them to lower case, so a column
//! `userId` in Spate's table writes PostgreSQL's `userid`, and a name that needs quotes (a
//! reserved word, a space) cannot be written. `table-name` may be `schema.table`.
//!
//! Flink binds one row per execution and batches executions in the driver; one statement of
//! many rows does the same work in one round trip and one plan (up to PostgreSQL's 65535
//! parameters per statement).

use std::fmt::Write;

/// PostgreSQL's limit on the parameters of one statement (the protocol's 16-bit count).
pub(crate) const MAX_PARAMETERS: usize = 65_535;

/// The statements of one table.
#[derive(Debug, Clone)]
pub(crate) struct Dialect {
    table: String,
    columns: Vec<String>,
    /// Positions of the primary key's columns in `columns` (empty: append-only).
    keys: Vec<usize>,
}

impl Dialect {
    pub(crate) fn new(table: &str, columns: Vec<String>, keys: Vec<usize>) -> Self {
        Self {
            table: table.to_string(),
            columns,
            keys,
        }
    }

    /// Whether rows are written as upserts by key (the table has a primary key).
    pub(crate) fn upserts(&self) -> bool {
        !self.keys.is_empty()
    }

    /// The key's column positions.
    pub(crate) fn keys(&self) -> &[usize] {
        &self.keys
    }

    /// How many rows one statement may carry.
    pub(crate) fn max_rows_per_statement(&self) -> usize {
        (MAX_PARAMETERS / self.columns.len().max(1)).max(1)
    }

    /// `INSERT` of `rows` rows, with `ON CONFLICT` when the table has a key.
    pub(crate) fn write(&self, rows: usize) -> String {
        let mut sql = format!("INSERT INTO {}({}) VALUES ", self.table, self.columns.join(", "));
        let width = self.columns.len();
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                let _ = write!(sql, "${}", r * width + c + 1);
            }
            sql.push(')');
        }
        if self.upserts() {
            let keys: Vec<&str> = self.keys.iter().map(|&k| self.columns[k].as_str()).collect();
            let updates: Vec<String> = (0..width)
                .filter(|c| !self.keys.contains(c))
                .map(|c| format!("{0}=EXCLUDED.{0}", self.columns[c]))
                .collect();
            let _ = write!(sql, " ON CONFLICT ({})", keys.join(", "));
            if updates.is_empty() {
                sql.push_str(" DO NOTHING");
            } else {
                let _ = write!(sql, " DO UPDATE SET {}", updates.join(", "));
            }
        }
        sql
    }

    /// `DELETE` of one key.
    pub(crate) fn delete(&self) -> String {
        let conditions: Vec<String> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, &k)| format!("{} = ${}", self.columns[k], i + 1))
            .collect();
        format!("DELETE FROM {} WHERE {}", self.table, conditions.join(" AND "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn append_only_tables_insert() {
        let d = Dialect::new("public.t", cols(&["a", "b"]), vec![]);
        assert_eq!(d.write(1), "INSERT INTO public.t(a, b) VALUES ($1, $2)");
        assert_eq!(d.write(2), "INSERT INTO public.t(a, b) VALUES ($1, $2), ($3, $4)");
        assert_eq!(d.max_rows_per_statement(), 32_767);
    }

    #[test]
    fn keyed_tables_upsert_and_delete_as_flinks_postgres_dialect() {
        let d = Dialect::new("t", cols(&["k1", "v", "k2", "w"]), vec![0, 2]);
        assert_eq!(
            d.write(1),
            "INSERT INTO t(k1, v, k2, w) VALUES ($1, $2, $3, $4) ON CONFLICT (k1, k2) DO UPDATE SET v=EXCLUDED.v, w=EXCLUDED.w"
        );
        assert_eq!(d.delete(), "DELETE FROM t WHERE k1 = $1 AND k2 = $2");
        let all_keys = Dialect::new("t", cols(&["k"]), vec![0]);
        assert_eq!(
            all_keys.write(2),
            "INSERT INTO t(k) VALUES ($1), ($2) ON CONFLICT (k) DO NOTHING"
        );
    }
}
