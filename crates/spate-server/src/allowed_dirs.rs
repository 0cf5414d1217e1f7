//! [`AllowedDirs`]: the directories that scripts submitted over the REST API may read and
//! write (filesystem tables, Kafka client key stores, `execution.savepoint.path`) and that
//! savepoints may be written into. Without it anyone who may submit a job reads and writes
//! every file of the server's OS user. The check runs on the parsed script before it is
//! planned, and refuses with 403 and the option and path that are outside.
//!
//! A path is resolved before it is compared: made absolute against the server's working
//! directory, `.` and `..` removed, and its longest existing ancestor canonicalized, so
//! neither `..` nor a symbolic link inside an allowed directory leads out of it. The server's
//! own `jobs/` directory is always allowed for savepoints (each job's default `savepoints/`
//! lives there), never for tables.

use std::path::{Component, Path, PathBuf};

use spate_sql::Statement;

use crate::error::{Result, ServerError};

/// Kafka client properties that run code or commands on the server: never allowed in a
/// server-submitted script (librdkafka loads plugins and engines as shared libraries and runs
/// the kinit command through a shell).
const FORBIDDEN_CLIENT_PROPERTIES: &[&str] = &[
    "plugin.library.paths",
    "ssl.engine.location",
    "sasl.kerberos.kinit.cmd",
];

/// The directories server-submitted jobs may use.
#[derive(Debug, Clone, Default)]
pub struct AllowedDirs {
    /// Given with `--allowed-dir`, resolved.
    dirs: Vec<PathBuf>,
    /// The server's `jobs/` directory, resolved (savepoints only).
    jobs_dir: Option<PathBuf>,
}

impl AllowedDirs {
    /// The allow-list `dirs` (each must exist), plus `jobs_dir` for savepoints.
    pub fn new(dirs: &[PathBuf], jobs_dir: &Path) -> Result<Self> {
        let dirs = dirs
            .iter()
            .map(|d| {
                std::fs::canonicalize(d)
                    .map_err(|e| ServerError::Start(format!("allowed directory {}: {e}", d.display())))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            dirs,
            jobs_dir: Some(resolve(jobs_dir)),
        })
    }

    /// The directories given, resolved.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    fn allows(&self, path: &Path, savepoint: bool) -> bool {
        let path = resolve(path);
        self.dirs.iter().any(|d| path.starts_with(d))
            || (savepoint && self.jobs_dir.as_ref().is_some_and(|d| path.starts_with(d)))
    }

    fn refuse(&self, what: &str, path: &str) -> ServerError {
        let allowed = if self.dirs.is_empty() {
            "no directory is allowed (start the server with --allowed-dir DIR)".to_string()
        } else {
            let list: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
            format!("allowed: {}", list.join(", "))
        };
        ServerError::Forbidden(format!(
            "{what} '{path}' is outside the directories this server's jobs may use; {allowed}"
        ))
    }

    /// Refuses a savepoint directory outside the allow-list (and the server's `jobs/`).
    pub fn check_savepoint_dir(&self, dir: &Path) -> Result<()> {
        if self.allows(dir, true) {
            Ok(())
        } else {
            Err(self.refuse("savepoint directory", &dir.display().to_string()))
        }
    }

    /// Refuses a script whose statements name files outside the allow-list, or set a Kafka
    /// client property that runs code. A script that does not parse passes: planning it
    /// reports the error with its position.
    pub fn check_script(&self, sql: &str) -> Result<()> {
        let Ok(statements) = spate_sql::parse(sql) else {
            return Ok(());
        };
        for stmt in &statements {
            match stmt {
                Statement::CreateTable(c) => self.check_table(&c.table)?,
                Statement::Set(Some((key, value)))
                    if key == "execution.savepoint.path"
                        && !self.allows(Path::new(strip_file_scheme(value)), true) =>
                {
                    return Err(self.refuse("'execution.savepoint.path'", value));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check_table(&self, table: &spate_sql::ast::TableDef) -> Result<()> {
        let name = &table.name;
        for option in &table.options {
            let key = option.key.as_str();
            let value = option.value.as_str();
            let client_key = key.strip_prefix("properties.");
            if let Some(k) = client_key
                && FORBIDDEN_CLIENT_PROPERTIES.contains(&k)
            {
                return Err(ServerError::Forbidden(format!(
                    "table {name}: option '{key}' is not allowed in jobs submitted to the server \
                     (it makes the Kafka client run code on the server)"
                )));
            }
            let names_file = match client_key {
                Some(k) => k.ends_with(".location") || k.contains("keytab") || k.ends_with(".file"),
                // Whatever the connector: a file connector added later is covered too.
                None => key == "path",
            };
            if names_file && !self.allows(Path::new(strip_file_scheme(value)), false) {
                return Err(self.refuse(&format!("table {name}: option '{key}'"), value));
            }
        }
        Ok(())
    }
}

fn strip_file_scheme(path: &str) -> &str {
    path.strip_prefix("file://")
        .or_else(|| path.strip_prefix("file:"))
        .unwrap_or(path)
}

/// `path` absolute, without `.` and `..`, its longest existing ancestor canonicalized.
fn resolve(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut lexical = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return lexical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(path: &str) -> String {
        format!(
            "CREATE TABLE t (line STRING) WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'raw');"
        )
    }

    #[test]
    fn filesystem_tables_and_savepoints_stay_inside_the_allowed_dirs() {
        let root = tempfile::tempdir().unwrap();
        let allowed = root.path().join("allowed");
        let jobs = root.path().join("data/jobs");
        std::fs::create_dir_all(&allowed).unwrap();
        std::fs::create_dir_all(&jobs).unwrap();
        let dirs = AllowedDirs::new(std::slice::from_ref(&allowed), &jobs).unwrap();
        let inside = allowed.join("out/part");
        assert!(dirs.check_script(&table(&inside.display().to_string())).is_ok());
        assert!(
            dirs.check_script(&table(&format!("file://{}", inside.display())))
                .is_ok()
        );
        for outside in [
            "/etc/passwd".to_string(),
            format!("{}/../secret", allowed.display()),
            format!("{}/data/jobs/x", root.path().display()),
        ] {
            match dirs.check_script(&table(&outside)) {
                Err(ServerError::Forbidden(m)) => {
                    assert!(m.contains("'path'") && m.contains("outside"), "{m}")
                }
                other => panic!("{outside}: {other:?}"),
            }
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc", allowed.join("etc")).unwrap();
            let through_link = allowed.join("etc/passwd");
            assert!(
                dirs.check_script(&table(&through_link.display().to_string()))
                    .is_err()
            );
        }
        assert!(dirs.check_savepoint_dir(&jobs.join("abc/savepoints")).is_ok());
        assert!(dirs.check_savepoint_dir(&allowed.join("sp")).is_ok());
        assert!(dirs.check_savepoint_dir(Path::new("/tmp/../etc")).is_err());
        let set = "SET 'execution.savepoint.path' = '/etc';";
        assert!(dirs.check_script(set).is_err());
    }

    #[test]
    fn kafka_client_files_and_code_loading_properties_are_checked() {
        let root = tempfile::tempdir().unwrap();
        let dirs = AllowedDirs::new(&[], root.path()).unwrap();
        let kafka = |option: &str| {
            format!(
                "CREATE TABLE k (v STRING) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'raw', {option});"
            )
        };
        for option in [
            "'properties.sasl.kerberos.kinit.cmd' = 'touch /tmp/pwned'",
            "'properties.plugin.library.paths' = '/tmp/evil.so'",
            "'properties.ssl.ca.location' = '/etc/shadow'",
            "'properties.sasl.kerberos.keytab' = '/etc/krb5.keytab'",
        ] {
            assert!(
                matches!(dirs.check_script(&kafka(option)), Err(ServerError::Forbidden(_))),
                "{option}"
            );
        }
        assert!(dirs.check_script(&kafka("'properties.acks' = 'all'")).is_ok());
        assert!(
            dirs.check_script(&kafka(
                "'properties.ssl.endpoint.identification.algorithm' = 'none'"
            ))
            .is_ok()
        );
        // 'path' is a file whatever the connector says it is.
        let other = "CREATE TABLE g (n INT) WITH ('connector' = 'FileSystem', 'path' = '/etc');";
        assert!(dirs.check_script(other).is_err());
    }
}
