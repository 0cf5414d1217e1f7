//! A private PostgreSQL server for the jdbc connector's tests: `initdb` into a temporary
//! directory, `pg_ctl start` on a free port of 127.0.0.1 with its Unix socket in that
//! directory and `trust` authentication, stopped (`immediate`) when dropped. It never touches
//! the machine's own clusters.
//!
//! The binaries come from `PG_BIN` or Debian's `/usr/lib/postgresql/<version>/bin` (the
//! `postgresql` package, which `scripts/install-deps.sh` installs); without them the test fails
//! saying so, since CI has them. PostgreSQL refuses to run as root, so under root (CI) the
//! directory is given to the `postgres` user the package creates and the commands run as it
//! through `runuser`. It needs no client crate (`psql` does the talking), so the `spate`
//! crate's crash tests include this file too.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};

use tempfile::TempDir;

/// A running private server.
pub struct PgServer {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PgServer {
    /// Starts a fresh server (panics with the reason when it cannot).
    pub fn start() -> PgServer {
        let bin = binaries();
        let dir = tempfile::tempdir().expect("tempdir");
        let as_postgres = is_root();
        if as_postgres {
            run_checked(Command::new("chown").arg("-R").arg("postgres").arg(dir.path()));
        }
        let data = dir.path().join("data");
        let mut server = PgServer {
            dir,
            bin,
            port: 0,
            as_postgres,
        };
        let mut initdb = server.command("initdb");
        run_checked(initdb.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]));
        // A free port can be taken by another test between the probe and the start: try again.
        for _ in 0..5 {
            server.port = free_port();
            if server.pg_ctl_start() {
                return server;
            }
        }
        let log = std::fs::read_to_string(server.dir.path().join("server.log")).unwrap_or_default();
        panic!("PostgreSQL did not start; its log:\n{log}");
    }

    /// Starts the server of the data directory on `self.port`; whether it came up.
    fn pg_ctl_start(&self) -> bool {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let mut start = self.command("pg_ctl");
        start
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"]);
        start.output().expect("pg_ctl").status.success()
    }

    /// Kills the server (as a crash would) and starts it again on the same port and data.
    pub fn restart(&self) {
        self.kill();
        assert!(self.pg_ctl_start(), "PostgreSQL did not start again");
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JDBC URL of its `postgres` database (user `postgres`, no password).
    pub fn url(&self) -> String {
        format!("jdbc:postgresql://127.0.0.1:{}/postgres", self.port)
    }

    /// Runs SQL statements (DDL, fixtures) through `psql`, stopping at the first error.
    pub fn execute(&self, sql: &str) {
        run_checked(self.psql_command().args(["-v", "ON_ERROR_STOP=1", "-c", sql]));
    }

    fn psql_command(&self) -> Command {
        let mut c = Command::new(self.bin.join("psql"));
        c.args([
            "-X",
            "-At",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-p",
        ])
        .arg(self.port.to_string());
        c
    }

    /// The rows of `query` as `psql -At` prints them (`|` between columns, empty for NULL).
    pub fn psql(&self, query: &str) -> Vec<String> {
        let out = run_checked(
            Command::new(self.bin.join("psql"))
                .args([
                    "-X",
                    "-At",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-p",
                ])
                .arg(self.port.to_string())
                .args(["-c", query]),
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Stops the server at once (as a crash would), keeping its directory.
    pub fn kill(&self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The directory of PostgreSQL's server binaries.
fn binaries() -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.retain(|p| p.join("initdb").exists() && p.join("pg_ctl").exists());
    versions.sort();
    versions.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL's server binaries were not found (no /usr/lib/postgresql/*/bin/initdb, no PG_BIN): \
             install Debian's postgresql and postgresql-client packages (scripts/install-deps.sh does)"
        )
    })
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn run_checked(command: &mut Command) -> Output {
    let out = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
