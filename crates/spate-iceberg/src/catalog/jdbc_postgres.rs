//! The JDBC catalog's PostgreSQL connection (the synchronous `postgres` client, no TLS).

use postgres::{Client, Config, NoTls};

use super::sql_conn::{Row, SqlConn};

/// A PostgreSQL session.
pub(crate) struct PostgresConn(Client);

impl PostgresConn {
    /// Connects to `//host[:port]/db[?…]` (the part of a `jdbc:postgresql:` URL after the
    /// scheme; URL parameters other than `user` and `password` are ignored).
    pub(crate) fn connect(
        url: &str,
        user: Option<&str>,
        password: Option<&str>,
    ) -> Result<PostgresConn, String> {
        let rest = url
            .strip_prefix("//")
            .ok_or_else(|| format!("jdbc:postgresql:{url} is not jdbc:postgresql://host:port/db"))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (hostport, db) = rest.split_once('/').unwrap_or((rest, "postgres"));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("bad port in {url}"))?),
            None => (hostport, 5432),
        };
        let mut config = Config::new();
        config
            .host(if host.is_empty() { "localhost" } else { host })
            .port(port)
            .dbname(db);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("user", v)) => {
                    config.user(v);
                }
                Some(("password", v)) => {
                    config.password(v);
                }
                _ => {}
            }
        }
        if let Some(u) = user {
            config.user(u);
        }
        if let Some(p) = password {
            config.password(p);
        }
        let client = config
            .connect(NoTls)
            .map_err(|e| format!("connecting to PostgreSQL {url}: {e}"))?;
        Ok(PostgresConn(client))
    }
}

/// `?` placeholders as PostgreSQL's `$1, $2, ...` (the catalog's SQL has no `?` in literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

fn params<'a>(p: &'a [Option<&'a str>]) -> Vec<&'a (dyn postgres::types::ToSql + Sync)> {
    p.iter()
        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

impl SqlConn for PostgresConn {
    fn query(&mut self, sql: &str, p: &[Option<&str>]) -> Result<Vec<Row>, String> {
        let rows = self
            .0
            .query(&numbered(sql), &params(p))
            .map_err(|e| e.to_string())?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        // `SELECT 1` is an int4; the catalog's columns are text.
                        if let Ok(v) = row.try_get::<_, Option<String>>(i) {
                            return Ok(v);
                        }
                        row.try_get::<_, Option<i32>>(i)
                            .map(|v| v.map(|v| v.to_string()))
                            .map_err(|e| e.to_string())
                    })
                    .collect()
            })
            .collect()
    }

    fn execute(&mut self, sql: &str, p: &[Option<&str>]) -> Result<u64, String> {
        self.0
            .execute(&numbered(sql), &params(p))
            .map_err(|e| e.to_string())
    }

    fn columns(&mut self, table: &str) -> Result<Vec<String>, String> {
        let stmt = self
            .0
            .prepare(&format!("SELECT * FROM {table} WHERE 1 = 0"))
            .map_err(|e| e.to_string())?;
        Ok(stmt.columns().iter().map(|c| c.name().to_owned()).collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(super::numbered("a = ? AND b = ?"), "a = $1 AND b = $2");
    }
}
