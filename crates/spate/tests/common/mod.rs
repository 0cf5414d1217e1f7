//! Helpers shared by the binary's integration tests: `spate` child processes.
#![allow(clippy::unwrap_used, dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// A `spate broker` child process, killed when dropped so a failing test leaves nothing behind.
pub struct Broker {
    child: Child,
    pub addr: String,
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
