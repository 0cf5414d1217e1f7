//! Members in separate OS processes against a broker in the test process, as a distributed
//! job's processes are: scale 2 → 3 → 2, kill -9, and a member paused (SIGSTOP) until its
//! tasks moved, then resumed (SIGCONT). Every member commits, every 100 ms, a transaction with
//! one output record per task it runs (`member generation task`) and its tasks' offsets; a
//! zombie's commits must be fenced, so in the committed output each task's generations never
//! go back.
//!
//! A member is this test binary run again on the ignored test `member_process` with its
//! settings in the environment.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use spate_group::{Membership, MembershipConfig, MembershipEvent, TaskId};
use spate_kafka_client::{BrokerConnection, OutRecord, TransactionalProducer, TxnProducerConfig};

use crate::membership::broker;

const TASKS: u32 = 6;
const WAIT: Duration = Duration::from_secs(30);

/// One member process and the lines it printed.
struct Member {
    name: String,
    child: Child,
    lines: Receiver<String>,
    tasks: Vec<u32>,
    generation: i32,
    /// Everything it printed, for a failure's message.
    printed: Vec<String>,
}

impl Member {
    fn spawn(bootstrap: &str, name: &str) -> Member {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "processes::member_process",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("SPATE_GROUP_MEMBER", name)
            .env("SPATE_GROUP_BOOTSTRAP", bootstrap)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn a member");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Member {
            name: name.to_string(),
            child,
            lines,
            tasks: Vec::new(),
            generation: -1,
            printed: Vec::new(),
        }
    }

    /// Reads what the member printed: its latest assignment.
    fn pump(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.printed.push(line.clone());
            // libtest prints `test <name> ... ` before the test's own first line.
            let text = line.rsplit_once("... ").map_or(line.as_str(), |(_, t)| t);
            let mut words = text.split_whitespace();
            match words.next() {
                Some("ASSIGNED") => {
                    self.generation = words.next().and_then(|g| g.parse().ok()).unwrap_or(-1);
                    self.tasks = words.filter_map(|t| t.parse().ok()).collect();
                }
                Some("REVOKED" | "LOST") => self.tasks.clear(),
                _ => {}
            }
        }
    }

    /// Asks the member to stop between transactions (its stdin closes) and waits for it.
    fn stop(mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + WAIT;
        while self.child.try_wait().ok().flatten().is_none() {
            assert!(Instant::now() < deadline, "member {} did not stop", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} {}", self.name);
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the members' assignments cover every task once in one generation, with the
/// task counts `sizes` (in member order).
fn settle(members: &mut [&mut Member], sizes: &[usize]) {
    let deadline = Instant::now() + WAIT;
    loop {
        for m in members.iter_mut() {
            m.pump();
        }
        let generations: BTreeSet<i32> = members.iter().map(|m| m.generation).collect();
        let mut all: Vec<u32> = members.iter().flat_map(|m| m.tasks.clone()).collect();
        all.sort_unstable();
        let counts: Vec<usize> = members.iter().map(|m| m.tasks.len()).collect();
        if generations.len() == 1 && all == (0..TASKS).collect::<Vec<_>>() && counts == sizes {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no settled assignment: {:?}",
            members
                .iter()
                .map(|m| (
                    &m.name,
                    m.generation,
                    &m.tasks,
                    &m.printed[m.printed.len().saturating_sub(4)..]
                ))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The committed output: per task, the generations of its records in commit order.
fn committed_generations(bootstrap: &str) -> BTreeMap<u32, Vec<i32>> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "checker")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("out", 0, Offset::Beginning)
        .expect("partition");
    c.assign(&tpl).expect("assign");
    let mut out: BTreeMap<u32, Vec<i32>> = BTreeMap::new();
    let deadline = Instant::now() + WAIT;
    loop {
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                let text = String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned();
                let words: Vec<&str> = text.split_whitespace().collect();
                let (generation, task) = (
                    words[1].parse().expect("generation"),
                    words[2].parse().expect("task"),
                );
                out.entry(task).or_default().push(generation);
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => return out,
            Some(Err(e)) => panic!("consume: {e}"),
            None => assert!(Instant::now() < deadline, "out was not read to its end"),
        }
    }
}

#[test]
fn processes_share_tasks_through_crashes_scaling_and_a_zombie() {
    let broker = broker();
    let bootstrap = broker.handle.bootstrap_servers();
    broker
        .handle
        .store()
        .create_topic("out", 1, &Default::default())
        .expect("topic");
    broker
        .handle
        .store()
        .create_topic("input", TASKS as i32, &Default::default())
        .expect("topic");

    let mut a = Member::spawn(&bootstrap, "a");
    let mut b = Member::spawn(&bootstrap, "b");
    settle(&mut [&mut a, &mut b], &[3, 3]);
    // Scale out to three.
    let mut c = Member::spawn(&bootstrap, "c");
    settle(&mut [&mut a, &mut b, &mut c], &[2, 2, 2]);
    // kill -9: c's tasks move to a and b after the session timeout.
    c.signal("-KILL");
    settle(&mut [&mut a, &mut b], &[3, 3]);
    let mut d = Member::spawn(&bootstrap, "d");
    settle(&mut [&mut a, &mut b, &mut d], &[2, 2, 2]);
    // d pauses past the session timeout: a and b take its tasks; it resumes as a zombie.
    d.signal("-STOP");
    settle(&mut [&mut a, &mut b], &[3, 3]);
    std::thread::sleep(Duration::from_millis(500));
    d.signal("-CONT");
    // It rejoins as a new member: three again.
    settle(&mut [&mut a, &mut b, &mut d], &[2, 2, 2]);
    std::thread::sleep(Duration::from_millis(500));
    for m in [a, b, d] {
        m.stop();
    }
    // The killed member's last transaction stays open until its timeout aborts it.
    let mut leader = BrokerConnection::connect_to(&bootstrap, Duration::from_secs(5)).expect("connect");
    let deadline = Instant::now() + WAIT;
    while leader.list_offset("out", 0, -1, true).expect("lso")
        != leader.list_offset("out", 0, -1, false).expect("hw")
    {
        assert!(Instant::now() < deadline, "a transaction on out stayed open");
        std::thread::sleep(Duration::from_millis(100));
    }

    let committed = committed_generations(&bootstrap);
    assert_eq!(
        committed.keys().copied().collect::<Vec<_>>(),
        (0..TASKS).collect::<Vec<_>>()
    );
    for (task, generations) in &committed {
        assert!(
            generations.windows(2).all(|w| w[0] <= w[1]),
            "task {task}: a commit of an older generation after a newer one: {generations:?}"
        );
    }
    let group_offsets = {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", "processes")
            .create()
            .expect("consumer");
        let mut tpl = TopicPartitionList::new();
        for t in 0..TASKS {
            tpl.add_partition("input", t as i32);
        }
        c.committed_offsets(tpl, Duration::from_secs(10))
            .expect("offsets")
    };
    for t in 0..TASKS {
        let offset = group_offsets
            .find_partition("input", t as i32)
            .expect("partition")
            .offset();
        assert!(
            matches!(offset, Offset::Offset(n) if n > 0),
            "task {t}: {offset:?}"
        );
    }
}

/// A member process (see the module docs); run by the test above, not on its own.
#[test]
#[ignore = "a member process of processes_share_tasks_through_crashes_scaling_and_a_zombie"]
fn member_process() {
    let (Ok(name), Ok(bootstrap)) = (
        std::env::var("SPATE_GROUP_MEMBER"),
        std::env::var("SPATE_GROUP_BOOTSTRAP"),
    ) else {
        return;
    };
    let mut config = MembershipConfig::new(&bootstrap, "processes", 1);
    config.session_timeout = Duration::from_secs(2);
    config.heartbeat_interval = Duration::from_millis(200);
    config.rebalance_timeout = Duration::from_secs(4);
    config.request_timeout = Duration::from_secs(5);
    config.process = format!("member {name}");
    let membership =
        Membership::start(config, (0..TASKS).map(|i| TaskId::new(0, i)).collect()).expect("membership");
    let mut producer = TransactionalProducer::init(TxnProducerConfig {
        bootstrap,
        security: Default::default(),
        transactional_id: format!("processes-{name}"),
        transaction_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(5),
    })
    .expect("producer");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_on_eof = stop.clone();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
        stop_on_eof.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let mut tasks: Vec<TaskId> = Vec::new();
    let mut generation = -1;
    let mut round: i64 = 0;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        match membership
            .next_event(Duration::from_millis(100))
            .expect("membership")
        {
            Some(MembershipEvent::Assigned {
                generation: g,
                tasks: t,
            }) => {
                generation = g;
                tasks = t;
                let list: Vec<String> = tasks.iter().map(|t| t.index.to_string()).collect();
                println!("ASSIGNED {g} {}", list.join(" "));
            }
            Some(MembershipEvent::Revoke) => {
                tasks.clear();
                membership.released();
                println!("REVOKED");
            }
            Some(MembershipEvent::Lost) => {
                tasks.clear();
                membership.released();
                println!("LOST");
            }
            None => {}
        }
        if tasks.is_empty() {
            continue;
        }
        round += 1;
        let identity = membership.identity();
        let mut attempt = || -> Result<(), spate_kafka_client::ClientError> {
            producer.begin()?;
            for t in &tasks {
                producer.send(
                    "out",
                    0,
                    OutRecord {
                        value: Some(Bytes::from(format!("{name} {generation} {}", t.index))),
                        ..OutRecord::default()
                    },
                )?;
            }
            let offsets: Vec<(String, i32, i64, Option<String>)> = tasks
                .iter()
                .map(|t| ("input".to_string(), t.index as i32, round, None))
                .collect();
            producer.send_offsets(&identity, &offsets)?;
            producer.commit()
        };
        match attempt() {
            Ok(()) => println!("COMMITTED {generation}"),
            Err(e) => {
                let _ = producer.abort();
                println!("FENCED {e}");
            }
        }
    }
    membership.close(true);
}
