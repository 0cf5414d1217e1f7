//! `spate example word-count --distributed`: two processes share one job through a `spate
//! broker`; one is killed with SIGKILL mid-run and started again with its instance id. The
//! committed output (read_committed) equals a single-process run of the same job on the same
//! input: nothing lost, nothing twice. A third process joins a running pair and leaves
//! again (2 → 3 → 2), and a paused process is fenced when it wakes.
#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::sql_runs::committed_records;
use crate::common::{Broker, group_status, wait_success};

const PARTITIONS: &str = "4";

fn word_count(bootstrap: &str, dir: &Path, extra: &[&str], log: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["example", "word-count", "--bootstrap", bootstrap, "--bounded"])
        .args(["--partitions", PARTITIONS, "--input", "words"])
        .args(["--checkpoint-interval", "200ms"])
        .arg("--checkpoint-dir")
        .arg(dir)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(dir.with_extension(log)).unwrap())
        .spawn()
        .unwrap()
}

fn process(bootstrap: &str, root: &Path, instance: &str, run: usize) -> Child {
    let dir = root.join(instance);
    word_count(
        bootstrap,
        &dir,
        &[
            "--output",
            "counts-dist",
            "--group",
            "wc-source",
            "--distributed",
            "wc",
            "--instance-id",
            instance,
            "--session-timeout",
            "6s",
        ],
        &format!("run{run}.log"),
    )
}

fn log(root: &Path, instance: &str, run: usize) -> String {
    std::fs::read_to_string(root.join(format!("{instance}.run{run}.log"))).unwrap_or_default()
}

fn wait(child: &mut Child, what: &str, logs: &dyn Fn() -> String) {
    wait_success(child, what, Duration::from_secs(180), logs);
}

fn sorted_values(addr: &str, topic: &str) -> Vec<String> {
    let mut v: Vec<String> = committed_records(addr, topic, 4)
        .into_iter()
        .map(|(_, value)| String::from_utf8(value.unwrap_or_default()).unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn a_killed_process_of_a_distributed_job_restarts_without_loss_or_duplicates() {
    let root = tempfile::tempdir().unwrap();
    let broker = Broker::start(&root.path().join("broker"), &root.path().join("broker.log"));
    let addr = broker.addr.clone();
    // The input, and the reference: one process, no --distributed.
    let mut single = word_count(
        &addr,
        &root.path().join("single"),
        &[
            "--generate",
            "3000000",
            "--output",
            "counts-single",
            "--group",
            "single",
        ],
        "log",
    );
    let single_log = || std::fs::read_to_string(root.path().join("single.log")).unwrap_or_default();
    wait(&mut single, "the single-process run", &single_log);
    let expected = sorted_values(&addr, "counts-single");
    assert!(expected.len() > 100, "{} windows", expected.len());

    let logs = || {
        format!(
            "p1:\n{}\np2 (killed):\n{}\np2 (again):\n{}",
            log(root.path(), "p1", 1),
            log(root.path(), "p2", 1),
            log(root.path(), "p2", 2)
        )
    };
    let mut p1 = process(&addr, root.path(), "p1", 1);
    let mut p2 = process(&addr, root.path(), "p2", 1);
    // p2 runs its share for a while before it is killed.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !log(root.path(), "p2", 1).contains("tasks assigned") {
        assert!(Instant::now() < deadline, "p2 got no tasks\n{}", logs());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        p2.try_wait().unwrap().is_none(),
        "p2 finished before the kill\n{}",
        logs()
    );
    p2.kill().unwrap();
    p2.wait().unwrap();
    let mut p2_again = process(&addr, root.path(), "p2", 2);
    wait(&mut p1, "p1", &logs);
    wait(&mut p2_again, "p2 restarted", &logs);
    let got = sorted_values(&addr, "counts-dist");
    assert_eq!(got.len(), expected.len(), "windows committed\n{}", logs());
    assert!(
        got == expected,
        "the committed windows differ from one process's\n{}",
        logs()
    );
}

fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal}");
}

#[test]
fn a_paused_process_is_fenced_when_it_wakes_after_its_tasks_moved() {
    let root = tempfile::tempdir().unwrap();
    let broker = Broker::start(&root.path().join("broker"), &root.path().join("broker.log"));
    let addr = broker.addr.clone();
    let mut single = word_count(
        &addr,
        &root.path().join("single"),
        &[
            "--generate",
            "3000000",
            "--output",
            "counts-single",
            "--group",
            "single",
        ],
        "log",
    );
    let single_log = || std::fs::read_to_string(root.path().join("single.log")).unwrap_or_default();
    wait(&mut single, "the single-process run", &single_log);
    let expected = sorted_values(&addr, "counts-single");

    let logs = || {
        format!(
            "p1:\n{}\np2 (paused):\n{}",
            log(root.path(), "p1", 1),
            log(root.path(), "p2", 1)
        )
    };
    let mut p1 = process(&addr, root.path(), "p1", 1);
    let mut p2 = process(&addr, root.path(), "p2", 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !log(root.path(), "p2", 1).contains("tasks assigned") {
        assert!(Instant::now() < deadline, "p2 got no tasks\n{}", logs());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        p2.try_wait().unwrap().is_none(),
        "p2 finished before the pause\n{}",
        logs()
    );
    // Paused past its 6 s session: the group drops p2 and p1 takes its tasks over.
    signal(&p2, "STOP");
    let deadline = Instant::now() + Duration::from_secs(60);
    while log(root.path(), "p1", 1).matches("tasks assigned").count() < 3
        && !log(root.path(), "p1", 1).contains("tasks=4")
    {
        assert!(Instant::now() < deadline, "p1 never took p2's tasks\n{}", logs());
        std::thread::sleep(Duration::from_millis(50));
    }
    signal(&p2, "CONT");
    wait(&mut p1, "p1", &logs);
    wait(&mut p2, "p2 after the pause", &logs);
    let got = sorted_values(&addr, "counts-dist");
    assert!(
        got == expected,
        "{} windows committed, {} expected\n{}",
        got.len(),
        expected.len(),
        logs()
    );
}

/// A dynamic member (no instance id: it leaves the group when it stops) of job `wc` at
/// parallelism 3 (six tasks).
fn dynamic_process(bootstrap: &str, root: &Path, name: &str) -> Child {
    word_count(
        bootstrap,
        &root.join(name),
        &[
            "--parallelism",
            "3",
            "--output",
            "counts-dist",
            "--group",
            "wc-source",
            "--distributed",
            "wc",
            "--session-timeout",
            "6s",
        ],
        "log",
    )
}

/// The tasks each member owns, once the group is stable with `members` members that own
/// every task between them.
fn wait_members(addr: &str, members: usize, logs: &dyn Fn() -> String) -> Vec<usize> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = group_status(addr, "wc");
        let owned: Vec<usize> = status["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["tasks"].as_array().unwrap().len())
            .collect();
        if status["state"] == "Stable" && owned.len() == members && owned.iter().sum::<usize>() == 6 {
            return owned;
        }
        assert!(
            Instant::now() < deadline,
            "never {members} members owning the six tasks: {status:#}\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn processes_join_and_leave_a_running_job_without_loss_or_duplicates() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let broker = Broker::start(&dir.join("broker"), &dir.join("broker.log"));
    let addr = broker.addr.clone();
    let mut single = word_count(
        &addr,
        &dir.join("single"),
        &[
            "--generate",
            "5000000",
            "--output",
            "counts-single",
            "--group",
            "single",
        ],
        "log",
    );
    let single_log = || std::fs::read_to_string(dir.join("single.log")).unwrap_or_default();
    wait(&mut single, "the single-process run", &single_log);
    let expected = sorted_values(&addr, "counts-single");

    let read = |name: &str| std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
    let logs = || {
        ["a", "b", "c"]
            .iter()
            .map(|n| format!("{n}:\n{}", read(n)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut a = dynamic_process(&addr, dir, "a");
    let mut b = dynamic_process(&addr, dir, "b");
    assert_eq!(wait_members(&addr, 2, &logs), vec![3, 3], "{}", logs());
    // A third process joins: two tasks each.
    let mut c = dynamic_process(&addr, dir, "c");
    assert_eq!(wait_members(&addr, 3, &logs), vec![2, 2, 2], "{}", logs());
    std::thread::sleep(Duration::from_millis(500));
    for (name, p) in [("a", &mut a), ("b", &mut b), ("c", &mut c)] {
        assert!(
            p.try_wait().unwrap().is_none(),
            "{name} finished before c left\n{}",
            logs()
        );
    }
    // It leaves (SIGTERM: its tasks stop with a committed checkpoint, it leaves the group).
    signal(&c, "TERM");
    wait(&mut c, "c after SIGTERM", &logs);
    assert_eq!(wait_members(&addr, 2, &logs), vec![3, 3], "{}", logs());
    assert!(
        a.try_wait().unwrap().is_none() && b.try_wait().unwrap().is_none(),
        "the job finished before it was back on two processes\n{}",
        logs()
    );
    wait(&mut a, "a", &logs);
    wait(&mut b, "b", &logs);
    let got = sorted_values(&addr, "counts-dist");
    assert!(
        got == expected,
        "{} windows committed, {} expected\n{}",
        got.len(),
        expected.len(),
        logs()
    );
}
