//! Helpers shared by the binary's integration tests: `spate` child processes.
#![allow(clippy::unwrap_used, dead_code)]

pub mod ids;
pub mod sql_runs;
pub mod word_windows;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Writes `input` to the child's stdin and closes it. A command that rejects its arguments
/// exits without reading its input, and the write can then meet a closed pipe: that is the
/// command's answer (its status and stderr say what), not a failure of the test.
pub fn feed_stdin(child: &mut Child, input: &[u8]) {
    let mut pipe = child.stdin.take().unwrap();
    match pipe.write_all(input) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => panic!("writing the command's stdin: {e}"),
    }
}

/// Runs `spate ARGS` with `stdin` written to it; returns (success, stdout, stderr).
pub fn run_spate(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    feed_stdin(&mut child, stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A `spate broker` child process, killed when dropped so a failing test leaves nothing behind.
pub struct Broker {
    child: Child,
    pub addr: String,
    /// The start-up line, whole.
    pub startup: String,
}

impl Broker {
    pub fn start(data_dir: &Path, log_path: &Path) -> Broker {
        let mut command = Command::new(env!("CARGO_BIN_EXE_spate"));
        command
            .args(["broker", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir);
        Broker::spawn(command, log_path)
    }

    /// A broker started with `args` after `broker --data-dir DIR` (e.g. its listeners).
    pub fn start_with_args(data_dir: &Path, log_path: &Path, args: &[&str]) -> Broker {
        let mut command = Command::new(env!("CARGO_BIN_EXE_spate"));
        command.arg("broker").arg("--data-dir").arg(data_dir).args(args);
        Broker::spawn(command, log_path)
    }

    /// The same under a hard open-file limit (`ulimit -Hn`), set by a shell that then execs it.
    pub fn start_with_file_limit(data_dir: &Path, log_path: &Path, nofile: u64) -> Broker {
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(format!(
                "ulimit -Sn {nofile} && ulimit -Hn {nofile} && exec \"$0\" broker --listen 127.0.0.1:0 --data-dir \"$1\""
            ))
            .arg(env!("CARGO_BIN_EXE_spate"))
            .arg(data_dir);
        Broker::spawn(command, log_path)
    }

    fn spawn(mut command: Command, log_path: &Path) -> Broker {
        let log = File::create(log_path).unwrap();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        // Read the start-up line on a thread so a broker that hangs fails the test instead of
        // blocking it.
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let addr = line
            .strip_prefix("spate broker listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned);
        let mut broker = Broker {
            child,
            addr: String::new(),
            startup: line.clone(),
        };
        match addr {
            Some(addr) => broker.addr = addr,
            None => {
                broker.kill();
                let log = std::fs::read_to_string(log_path).unwrap_or_default();
                panic!("no start-up line from the broker (got {line:?}); its stderr:\n{log}");
            }
        }
        broker
    }

    /// Sends `signal` (a `kill` name: `STOP`, `CONT`, ...) to the broker process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} of the broker");
    }

    /// SIGKILL: no chance to flush anything that was not already durable.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `spate server` child process (REST API on a free port), killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The start-up line.
    pub line: String,
    /// The second start-up line: the dashboard's URL (with `?token=` unless `--no-auth`).
    pub dashboard_line: String,
    /// The data directory (its `http-token` is what `spate jobs --data-dir` reads).
    pub data_dir: std::path::PathBuf,
    /// The server's token (`None` with `--no-auth`).
    pub token: Option<String>,
}

impl Server {
    /// Starts `spate server --data-dir DIR --http-listen 127.0.0.1:0` with `extra` arguments
    /// (`--bootstrap B`, or `--kafka-listen 127.0.0.1:0` for the embedded broker).
    pub fn start(data_dir: &Path, log_path: &Path, extra: &[&str]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_spate"));
        command.arg("server");
        Self::spawn(command, data_dir, log_path, extra)
    }

    /// The same under an open-file limit (soft and hard), set by a shell that then execs it.
    pub fn start_with_file_limit(data_dir: &Path, log_path: &Path, extra: &[&str], nofile: u64) -> Server {
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(format!(
                "ulimit -Sn {nofile} && ulimit -Hn {nofile} && exec \"$0\" server \"$@\""
            ))
            .arg(env!("CARGO_BIN_EXE_spate"));
        Self::spawn(command, data_dir, log_path, extra)
    }

    fn spawn(mut command: Command, data_dir: &Path, log_path: &Path, extra: &[&str]) -> Server {
        let log = File::options().create(true).append(true).open(log_path).unwrap();
        let mut child = command
            .args(["--http-listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let mut dashboard = String::new();
            let _ = reader.read_line(&mut line);
            let _ = reader.read_line(&mut dashboard);
            let _ = tx.send((line, dashboard));
        });
        let (line, dashboard_line) = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let url = line
            .strip_prefix("spate server: REST API on ")
            .and_then(|rest| rest.split(',').next())
            .map(str::to_owned);
        let Some(url) = url else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(log_path).unwrap_or_default();
            panic!("no start-up line from the server (got {line:?}); its stderr:\n{log}");
        };
        let token = std::fs::read_to_string(data_dir.join("http-token")).ok();
        Server {
            child,
            url,
            line,
            dashboard_line,
            data_dir: data_dir.to_path_buf(),
            token,
        }
    }

    /// A REST client of the server, with its token.
    pub fn client(&self) -> spate_server::Client {
        spate_server::Client::new(&self.url)
            .unwrap()
            .with_token(self.token.clone())
    }

    /// Runs `spate jobs ARGS --server URL --data-dir DIR` (the token read from the data
    /// directory); returns (success, stdout, stderr).
    pub fn jobs(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_spate"))
            .arg("jobs")
            .args(args)
            .args(["--server", &self.url])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Polls `spate jobs show ID` until its first line is `state` (60 s at most).
    pub fn wait_state(&self, id: &str, state: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let (ok, out, err) = self.jobs(&["show", id]);
            if ok && out.lines().next() == Some(state) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "job {id} never became {state}: {out}{err}"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits; returns whether it exited successfully.
    pub fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap().success()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `spate jobs group GROUP --json` against `addr`: a distributed job's members and tasks.
pub fn group_status(addr: &str, group: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["jobs", "group", group, "--json", "--bootstrap", addr])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "spate jobs group {group}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Waits up to `within` for `child` to exit successfully; fails with `logs()` otherwise.
pub fn wait_success(child: &mut Child, what: &str, within: Duration, logs: &dyn Fn() -> String) {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{what} failed: {status}\n{}", logs());
            return;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not finish within {within:?}\n{}", logs());
        }
        thread::sleep(Duration::from_millis(50));
    }
}
