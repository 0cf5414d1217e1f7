//! Several members of one job's group, each on its own membership thread, against a real
//! broker: balanced and sticky assignments across joins, leaves, crashes and a member that
//! releases too late; what Kafka's group tools see; a member of another job refused.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use spate_broker::{Broker, BrokerConfig, BrokerHandle};
use spate_group::{GroupError, Membership, MembershipConfig, MembershipEvent, TaskId};
use spate_kafka_client::consumer_protocol::Assignment;

const WAIT: Duration = Duration::from_secs(20);

pub(crate) struct TestBroker {
    _runtime: tokio::runtime::Runtime,
    pub(crate) handle: BrokerHandle,
    _dir: tempfile::TempDir,
}

pub(crate) fn broker() -> TestBroker {
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let handle = runtime
        .block_on(Broker::start(BrokerConfig::ephemeral(dir.path())))
        .expect("broker starts");
    TestBroker {
        _runtime: runtime,
        handle,
        _dir: dir,
    }
}

/// Two stages of six tasks; stage 0's task `i` reads partition `i` of `input`.
fn tasks() -> Vec<TaskId> {
    (0..2)
        .flat_map(|s| (0..6).map(move |i| TaskId::new(s, i)))
        .collect()
}

fn config(broker: &TestBroker, group: &str, fingerprint: u64) -> MembershipConfig {
    let mut c = MembershipConfig::new(&broker.handle.bootstrap_servers(), group, fingerprint);
    c.session_timeout = Duration::from_secs(2);
    c.heartbeat_interval = Duration::from_millis(200);
    c.rebalance_timeout = Duration::from_secs(4);
    c.request_timeout = Duration::from_secs(5);
    c.topics = vec!["input".into()];
    c.task_partitions = (0..6)
        .map(|i| (TaskId::new(0, i), vec![("input".to_string(), i as i32)]))
        .collect();
    c
}

/// A member and the tasks it runs, as its job would track them.
struct Job {
    name: &'static str,
    membership: Membership,
    tasks: Vec<TaskId>,
    generation: i32,
}

impl Job {
    fn start(name: &'static str, config: MembershipConfig) -> Job {
        Job {
            name,
            membership: Membership::start(config, tasks()).expect("membership starts"),
            tasks: Vec::new(),
            generation: -1,
        }
    }

    /// Handles one event if one comes within `wait`: releases at once on a revoke or a loss.
    fn step(&mut self, wait: Duration) -> Option<MembershipEvent> {
        let event = self
            .membership
            .next_event(wait)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))?;
        match &event {
            MembershipEvent::Assigned { generation, tasks } => {
                self.generation = *generation;
                self.tasks = tasks.clone();
            }
            MembershipEvent::Revoke | MembershipEvent::Lost => {
                self.tasks.clear();
                self.membership.released();
            }
        }
        Some(event)
    }
}

/// Steps every job until all are assigned in one generation and their tasks cover `tasks()`
/// exactly once.
fn settle(jobs: &mut [&mut Job]) -> i32 {
    let deadline = Instant::now() + WAIT;
    loop {
        for j in jobs.iter_mut() {
            j.step(Duration::from_millis(20));
        }
        let generations: BTreeSet<i32> = jobs.iter().map(|j| j.generation).collect();
        let mut all: Vec<TaskId> = jobs.iter().flat_map(|j| j.tasks.iter().copied()).collect();
        all.sort_unstable();
        if generations.len() == 1 && all == tasks() {
            // Quiet for a moment: no member is about to revoke.
            let quiet = Instant::now() + Duration::from_millis(600);
            let mut moved = false;
            while Instant::now() < quiet {
                for j in jobs.iter_mut() {
                    moved |= j.step(Duration::from_millis(20)).is_some();
                }
            }
            if !moved {
                return jobs[0].generation;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no settled assignment: {:?}",
            jobs.iter()
                .map(|j| (j.name, j.generation, j.tasks.clone()))
                .collect::<Vec<_>>()
        );
    }
}

fn sizes(jobs: &[&Job]) -> Vec<usize> {
    jobs.iter().map(|j| j.tasks.len()).collect()
}

#[test]
fn members_share_tasks_evenly_and_keep_them_across_rebalances() {
    let broker = broker();
    let mut a = Job::start("a", config(&broker, "share", 7));
    let mut b = Job::start("b", config(&broker, "share", 7));
    let mut c = Job::start("c", config(&broker, "share", 7));
    settle(&mut [&mut a, &mut b, &mut c]);
    assert_eq!(sizes(&[&a, &b, &c]), [4, 4, 4]);
    for j in [&a, &b, &c] {
        assert_eq!(
            j.tasks.iter().filter(|t| t.stage == 0).count(),
            2,
            "{}: {:?}",
            j.name,
            j.tasks
        );
    }

    // c leaves: a and b keep theirs and split c's.
    let (a_before, b_before) = (a.tasks.clone(), b.tasks.clone());
    c.membership.close(true);
    settle(&mut [&mut a, &mut b]);
    assert_eq!(sizes(&[&a, &b]), [6, 6]);
    assert!(
        a_before.iter().all(|t| a.tasks.contains(t)),
        "{a_before:?} -> {:?}",
        a.tasks
    );
    assert!(
        b_before.iter().all(|t| b.tasks.contains(t)),
        "{b_before:?} -> {:?}",
        b.tasks
    );

    // d joins: it takes a third, and only from the others' tasks.
    let (a_before, b_before) = (a.tasks.clone(), b.tasks.clone());
    let mut d = Job::start("d", config(&broker, "share", 7));
    settle(&mut [&mut a, &mut b, &mut d]);
    assert_eq!(sizes(&[&a, &b, &d]), [4, 4, 4]);
    assert!(a.tasks.iter().all(|t| a_before.contains(t)));
    assert!(b.tasks.iter().all(|t| b_before.contains(t)));
}

#[test]
fn a_crashed_member_loses_its_tasks_after_the_session_timeout() {
    let broker = broker();
    let mut a = Job::start("a", config(&broker, "crash", 7));
    let mut b = Job::start("b", config(&broker, "crash", 7));
    let first = settle(&mut [&mut a, &mut b]);
    // b stops heartbeating without leaving, as a killed process does.
    let crashed = Instant::now();
    b.membership.close(false);
    let second = settle(&mut [&mut a]);
    assert!(second > first);
    assert_eq!(a.tasks, tasks());
    let took = crashed.elapsed();
    assert!(
        took >= Duration::from_millis(1500),
        "the tasks moved before the session timeout ({took:?})"
    );
}

#[test]
fn a_member_that_releases_too_late_is_dropped_and_its_generation_is_stale() {
    let broker = broker();
    let mut a = Job::start("a", config(&broker, "late", 7));
    let first = settle(&mut [&mut a]);
    assert_eq!(a.identity_generation(), first);

    // b joins; a is told to revoke but does not release (a paused job).
    let mut b = Job::start("b", config(&broker, "late", 7));
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(Some(MembershipEvent::Revoke)) = a.membership.next_event(Duration::from_millis(20)) {
            break;
        }
        b.step(Duration::from_millis(20));
        assert!(Instant::now() < deadline, "a was never asked to revoke");
    }
    // The rebalance completes without a after the rebalance timeout: b has every task in a
    // newer generation, while a still holds its old generation.
    let deadline = Instant::now() + WAIT;
    while b.tasks != tasks() {
        b.step(Duration::from_millis(50));
        assert!(Instant::now() < deadline, "b never got a's tasks: {:?}", b.tasks);
    }
    assert!(b.generation > first);
    // a is out of the group: its generation is stale, so its offset commits are fenced.
    let deadline = Instant::now() + WAIT;
    while a.identity_generation() != -1 {
        std::thread::sleep(Duration::from_millis(50));
        assert!(Instant::now() < deadline, "a never noticed it was dropped");
    }
    // Released at last, a joins again as a new member and gets its share back.
    a.membership.released();
    settle(&mut [&mut a, &mut b]);
    assert_eq!(sizes(&[&a, &b]), [6, 6]);
}

impl Job {
    fn identity_generation(&self) -> i32 {
        self.membership.identity().generation_id
    }
}

#[test]
fn kafka_tools_see_a_consumer_group_with_the_tasks_partitions() {
    let broker = broker();
    let mut a = Job::start("a", config(&broker, "visible", 7));
    let mut b = Job::start("b", config(&broker, "visible", 7));
    settle(&mut [&mut a, &mut b]);
    let admin: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.handle.bootstrap_servers())
        .create()
        .expect("client");
    let list = admin
        .fetch_group_list(Some("visible"), Duration::from_secs(10))
        .expect("describe groups");
    let group = list
        .groups()
        .iter()
        .find(|g| g.name() == "visible")
        .expect("group listed");
    assert_eq!(group.protocol_type(), "consumer");
    assert_eq!(group.protocol(), "spate-tasks");
    assert_eq!(group.state(), "Stable");
    let mut partitions: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for m in group.members() {
        let assignment =
            Assignment::decode(m.assignment().expect("assignment")).expect("consumer assignment");
        for (topic, ps) in assignment.partitions {
            assert_eq!(topic, "input");
            partitions.entry(m.id().to_string()).or_default().extend(ps);
        }
    }
    let mut all: Vec<i32> = partitions.values().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..6).collect::<Vec<_>>());
    assert!(partitions.values().all(|ps| ps.len() == 3), "{partitions:?}");
}

#[test]
fn a_member_of_another_job_is_refused_and_the_others_go_on() {
    let broker = broker();
    let mut a = Job::start("a", config(&broker, "mixed", 7));
    settle(&mut [&mut a]);
    let stranger = Membership::start(config(&broker, "mixed", 8), tasks()).expect("starts");
    let deadline = Instant::now() + WAIT;
    let err = loop {
        a.step(Duration::from_millis(20));
        match stranger.next_event(Duration::from_millis(20)) {
            Err(e) => break e,
            Ok(event) => assert!(
                !matches!(event, Some(MembershipEvent::Assigned { .. })),
                "the stranger got tasks: {event:?}"
            ),
        }
        assert!(Instant::now() < deadline, "the stranger was never refused");
    };
    assert!(matches!(err, GroupError::MemberData { .. }), "{err}");
    assert!(err.to_string().contains("another job"), "{err}");
    stranger.close(true);
    settle(&mut [&mut a]);
    assert_eq!(a.tasks, tasks());
}
