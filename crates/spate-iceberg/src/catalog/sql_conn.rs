//! The one interface the JDBC catalog needs from a database, so SQLite and PostgreSQL plug in
//! alike.

/// A row's columns as text (`None` for SQL NULL).
pub(crate) type Row = Vec<Option<String>>;

/// One database connection. SQL uses `?` placeholders; parameters are text or NULL.
pub(crate) trait SqlConn: Send {
    /// Runs a query.
    fn query(&mut self, sql: &str, params: &[Option<&str>]) -> std::result::Result<Vec<Row>, String>;
    /// Runs a statement; the rows it changed.
    fn execute(&mut self, sql: &str, params: &[Option<&str>]) -> std::result::Result<u64, String>;
    /// The column names of `table`.
    fn columns(&mut self, table: &str) -> std::result::Result<Vec<String>, String>;
}
