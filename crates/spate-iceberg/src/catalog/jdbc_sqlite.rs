//! The JDBC catalog's SQLite connection (rusqlite, SQLite built in).

use std::time::Duration;

use rusqlite::{Connection, params_from_iter};

use super::sql_conn::{Row, SqlConn};

/// A SQLite database file.
pub(crate) struct SqliteConn(Connection);

impl SqliteConn {
    /// Opens (creating) the database at `path`; waits up to 5 s on another writer's lock, as
    /// pyiceberg and Java writers hold it only for one statement.
    pub(crate) fn open(path: &str) -> Result<SqliteConn, String> {
        let conn = Connection::open(path).map_err(|e| format!("opening SQLite {path}: {e}"))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        Ok(SqliteConn(conn))
    }
}

impl SqlConn for SqliteConn {
    fn query(&mut self, sql: &str, params: &[Option<&str>]) -> Result<Vec<Row>, String> {
        let mut stmt = self.0.prepare(sql).map_err(|e| e.to_string())?;
        let n = stmt.column_count();
        let rows = stmt
            .query_map(params_from_iter(params.iter()), |row| {
                (0..n)
                    .map(|i| {
                        // `SELECT 1` gives an integer; everything the catalog reads is text.
                        let v: rusqlite::types::Value = row.get(i)?;
                        Ok(match v {
                            rusqlite::types::Value::Null => None,
                            rusqlite::types::Value::Text(s) => Some(s),
                            rusqlite::types::Value::Integer(i) => Some(i.to_string()),
                            other => Some(format!("{other:?}")),
                        })
                    })
                    .collect::<rusqlite::Result<Row>>()
            })
            .map_err(|e| e.to_string())?;
        rows.collect::<rusqlite::Result<Vec<Row>>>()
            .map_err(|e| e.to_string())
    }

    fn execute(&mut self, sql: &str, params: &[Option<&str>]) -> Result<u64, String> {
        self.0
            .execute(sql, params_from_iter(params.iter()))
            .map(|n| n as u64)
            .map_err(|e| e.to_string())
    }

    fn columns(&mut self, table: &str) -> Result<Vec<String>, String> {
        let stmt = self
            .0
            .prepare(&format!("SELECT * FROM {table} WHERE 1 = 0"))
            .map_err(|e| e.to_string())?;
        Ok(stmt.column_names().map(str::to_owned).collect())
    }
}
