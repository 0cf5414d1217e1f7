//! One process's membership in its job's group, on a thread of its own.
//!
//! The thread joins, syncs (assigning as the leader), then heartbeats every heartbeat
//! interval. The job learns what happens through [`MembershipEvent`]s:
//!
//! 1. `Assigned { generation, tasks }`: run these tasks; commit with this generation.
//! 2. `Revoke`: a rebalance started. The job stops its tasks, commits what it has (the
//!    generation is still valid until every member rejoined) and calls
//!    [`Membership::released`]; only then does the member rejoin, offering the tasks it owned
//!    so the assignor can give them back (eager rebalancing, as Kafka Streams before KIP-429).
//! 3. `Lost`: the member is out of the group (its session expired, e.g. after a pause): its
//!    tasks are someone else's already and a commit would be a zombie's, so the job aborts,
//!    calls `released`, and the member joins as new.
//!
//! Heartbeats go on while the job releases, so a slow release does not cost the session.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use spate_kafka_client::consumer_protocol::{Assignment, Subscription};
use spate_kafka_client::{
    ClientError, ClientSecurity, GroupMember, GroupMetadata, GroupProtocol, Heartbeat, Joined, MemberConfig,
    Synced,
};

use crate::assignor::{AssignorMember, assign};
use crate::error::GroupError;
use crate::member_data::{MemberAssignment, MemberSubscription};
use crate::task::TaskId;

/// The assignor's protocol name in JoinGroup (what `kafka-consumer-groups.sh` shows as the
/// group's assignment strategy).
pub const ASSIGNOR_NAME: &str = "spate-tasks";
/// The generation in an assignment the leader refuses (the member runs another job).
const REFUSED_GENERATION: i32 = -2;
/// How often a waiting thread looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(20);
/// How long [`Membership::close`] waits for the thread before leaving it to finish alone.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// How a process takes part in its job's group.
#[derive(Debug, Clone)]
pub struct MembershipConfig {
    /// Where to find the group's coordinator (comma-separated `host:port`s).
    pub bootstrap: String,
    /// TLS and SASL for the coordinator connection.
    pub security: ClientSecurity,
    /// The group (the job's `--distributed GROUP`).
    pub group: String,
    /// A static member id (`group.instance.id`) for rolling restarts without rebalances.
    pub instance_id: Option<String>,
    /// Kafka's `session.timeout.ms`: how long a silent process keeps its tasks.
    pub session_timeout: Duration,
    /// How long the group waits for every process to release its tasks and rejoin.
    pub rebalance_timeout: Duration,
    /// How often the member heartbeats (at most a third of the session timeout is usual).
    pub heartbeat_interval: Duration,
    /// Timeout of every request that does not wait for a rebalance.
    pub request_timeout: Duration,
    /// The fingerprint of the job's plan; every member must have the same.
    pub fingerprint: u64,
    /// Who this process is, for people (shown with its tasks).
    pub process: String,
    /// The topics the job reads (the subscription's topics, for Kafka's tools).
    pub topics: Vec<String>,
    /// The partitions each task reads (what Kafka's tools show as a member's assignment).
    pub task_partitions: BTreeMap<TaskId, Vec<(String, i32)>>,
}

impl MembershipConfig {
    /// A dynamic member of `group` with Kafka Streams' timeouts (45 s session, 3 s
    /// heartbeats, a 5 min rebalance), no topics and no partitions per task.
    pub fn new(bootstrap: &str, group: &str, fingerprint: u64) -> Self {
        MembershipConfig {
            bootstrap: bootstrap.to_string(),
            security: ClientSecurity::plaintext(),
            group: group.to_string(),
            instance_id: None,
            session_timeout: Duration::from_secs(45),
            rebalance_timeout: Duration::from_secs(300),
            heartbeat_interval: Duration::from_secs(3),
            request_timeout: Duration::from_secs(30),
            fingerprint,
            process: format!("pid {}", std::process::id()),
            topics: Vec::new(),
            task_partitions: BTreeMap::new(),
        }
    }
}

/// What the job must do (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipEvent {
    /// Run these tasks (sorted) in `generation`.
    Assigned {
        /// The generation (what the job's transactional offset commits carry).
        generation: i32,
        /// The tasks.
        tasks: Vec<TaskId>,
    },
    /// A rebalance started: stop, commit, then call [`Membership::released`].
    Revoke,
    /// The member was dropped from the group: stop, abort, then call
    /// [`Membership::released`].
    Lost,
}

struct Shared {
    /// Who the member is in which generation: what its transactional offset commits carry
    /// for the coordinator to fence a zombie (member id empty and generation -1 while
    /// joining).
    identity: Mutex<GroupMetadata>,
    released: Mutex<bool>,
    released_cv: Condvar,
    stop: AtomicBool,
    leave: AtomicBool,
}

impl Shared {
    fn identity(&self) -> MutexGuard<'_, GroupMetadata> {
        self.identity.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn released(&self) -> MutexGuard<'_, bool> {
        self.released.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A process's membership (see the module docs).
pub struct Membership {
    events: Receiver<Result<MembershipEvent, GroupError>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Membership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Membership")
            .field("identity", &self.identity())
            .finish_non_exhaustive()
    }
}

impl Membership {
    /// Starts the membership thread for a job of `tasks` (every task of the job; the leader
    /// assigns them).
    pub fn start(config: MembershipConfig, tasks: Vec<TaskId>) -> Result<Self, GroupError> {
        let shared = Arc::new(Shared {
            identity: Mutex::new(GroupMetadata {
                group_id: config.group.clone(),
                generation_id: -1,
                member_id: String::new(),
                group_instance_id: config.instance_id.clone(),
            }),
            released: Mutex::new(false),
            released_cv: Condvar::new(),
            stop: AtomicBool::new(false),
            leave: AtomicBool::new(true),
        });
        let (tx, events) = mpsc::channel();
        let thread_shared = shared.clone();
        let group = config.group.clone();
        let thread = std::thread::Builder::new()
            .name(format!("group-{group}"))
            .spawn(move || {
                let mut worker = Worker::new(config, tasks, thread_shared, tx);
                worker.run();
            })
            .map_err(|e| GroupError::Kafka {
                group,
                source: ClientError::Protocol(format!("cannot start the membership thread: {e}")),
            })?;
        Ok(Membership {
            events,
            shared,
            thread: Some(thread),
        })
    }

    /// The next event, waiting up to `timeout` (`None` if none came). An error is what the
    /// membership thread stopped on.
    pub fn next_event(&self, timeout: Duration) -> Result<Option<MembershipEvent>, GroupError> {
        match self.events.recv_timeout(timeout) {
            Ok(event) => event.map(Some),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(GroupError::Stopped(self.identity().group_id)),
        }
    }

    /// The job gave up the tasks of the last `Revoke` or `Lost`: the member may rejoin.
    pub fn released(&self) {
        *self.shared.released() = true;
        self.shared.released_cv.notify_all();
    }

    /// The member's identity in its current generation, as a transactional offset commit
    /// carries it (`ConsumerGroupMetadata` in Kafka's clients).
    pub fn identity(&self) -> GroupMetadata {
        self.shared.identity().clone()
    }

    /// [`Self::identity`] for another thread (a checkpoint publisher asks at every commit).
    pub fn identity_source(&self) -> Box<dyn Fn() -> GroupMetadata + Send + Sync> {
        let shared = self.shared.clone();
        Box::new(move || shared.identity().clone())
    }

    /// Stops the membership; with `leave` the member leaves the group at once (the others
    /// rebalance now rather than after the session timeout). A static member that will come
    /// back should not leave.
    pub fn close(mut self, leave: bool) {
        self.stop(leave);
    }

    fn stop(&mut self, leave: bool) {
        self.shared.leave.store(leave, Ordering::SeqCst);
        self.shared.stop.store(true, Ordering::SeqCst);
        self.released();
        let Some(thread) = self.thread.take() else {
            return;
        };
        // A thread waiting in a JoinGroup answers only when the rebalance completes; do not
        // hold the caller for that.
        let deadline = Instant::now() + CLOSE_WAIT;
        while !thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(STOP_POLL);
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let leave = self.shared.leave.load(Ordering::SeqCst);
            self.stop(leave);
        }
    }
}

/// The membership thread's state.
struct Worker {
    config: MembershipConfig,
    tasks: Vec<TaskId>,
    shared: Arc<Shared>,
    events: Sender<Result<MembershipEvent, GroupError>>,
    member: GroupMember,
    owned: Vec<TaskId>,
    owned_generation: i32,
}

/// Why the heartbeat loop ended.
enum Ended {
    Rejoin,
    Stop,
}

impl Worker {
    fn new(
        config: MembershipConfig,
        tasks: Vec<TaskId>,
        shared: Arc<Shared>,
        events: Sender<Result<MembershipEvent, GroupError>>,
    ) -> Self {
        let member_config = MemberConfig {
            group_id: config.group.clone(),
            instance_id: config.instance_id.clone(),
            session_timeout: config.session_timeout,
            rebalance_timeout: config.rebalance_timeout,
            protocol_type: "consumer".to_string(),
            client_id: format!("spate-{}", config.group),
        };
        let member = GroupMember::new(
            &config.bootstrap,
            config.security.clone(),
            member_config,
            config.request_timeout,
        );
        Worker {
            config,
            tasks,
            shared,
            events,
            member,
            owned: Vec::new(),
            owned_generation: -1,
        }
    }

    fn run(&mut self) {
        if let Err(e) = self.rounds() {
            let _ = self.events.send(Err(e));
        }
        if self.shared.leave.load(Ordering::SeqCst)
            && let Err(e) = self.member.leave()
        {
            tracing::warn!(group = %self.config.group, "leaving the group failed: {e}");
        }
    }

    fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    /// Joins and heartbeats until stopped or failed.
    fn rounds(&mut self) -> Result<(), GroupError> {
        while !self.stopping() {
            let joined = self.member.join(&[self.protocol()?]).map_err(|e| self.kafka(e))?;
            let assignments = if joined.is_leader() {
                self.lead(&joined)?
            } else {
                Vec::new()
            };
            let bytes = match self
                .member
                .sync(&joined, assignments)
                .map_err(|e| self.kafka(e))?
            {
                Synced::Assigned(bytes) => bytes,
                Synced::Rejoin => continue,
            };
            let assigned = self.read_assignment(&bytes)?;
            if assigned.generation == REFUSED_GENERATION {
                return Err(GroupError::MemberData {
                    group: self.config.group.clone(),
                    message: format!(
                        "the leader refused this process (plan fingerprint {:016x}): the group runs another job",
                        self.config.fingerprint
                    ),
                });
            }
            {
                let mut identity = self.shared.identity();
                identity.member_id = joined.member_id.clone();
                identity.generation_id = joined.generation;
            }
            *self.shared.released() = false;
            self.owned = assigned.tasks.clone();
            self.owned_generation = joined.generation;
            tracing::info!(
                group = %self.config.group,
                generation = joined.generation,
                "assigned {} tasks",
                assigned.tasks.len()
            );
            if self
                .events
                .send(Ok(MembershipEvent::Assigned {
                    generation: joined.generation,
                    tasks: assigned.tasks,
                }))
                .is_err()
            {
                return Ok(());
            }
            match self.heartbeats()? {
                Ended::Rejoin => {}
                Ended::Stop => return Ok(()),
            }
        }
        Ok(())
    }

    /// Heartbeats through a generation; on a rebalance or a loss, tells the job and keeps
    /// heartbeating until it released its tasks.
    fn heartbeats(&mut self) -> Result<Ended, GroupError> {
        loop {
            if self.sleep(self.config.heartbeat_interval) {
                return Ok(Ended::Stop);
            }
            let event = match self.member.heartbeat().map_err(|e| self.kafka(e))? {
                Heartbeat::Stable => continue,
                Heartbeat::Rebalance => MembershipEvent::Revoke,
                Heartbeat::Lost => {
                    self.lose();
                    MembershipEvent::Lost
                }
            };
            if self.events.send(Ok(event)).is_err() {
                return Ok(Ended::Stop);
            }
            return self.await_release();
        }
    }

    /// Waits for [`Membership::released`], heartbeating meanwhile.
    fn await_release(&mut self) -> Result<Ended, GroupError> {
        let mut next_beat = Instant::now() + self.config.heartbeat_interval;
        loop {
            {
                let released = self.shared.released();
                let (released, _) = self
                    .shared
                    .released_cv
                    .wait_timeout(released, STOP_POLL)
                    .unwrap_or_else(|e| e.into_inner());
                if *released {
                    break;
                }
            }
            if self.stopping() {
                return Ok(Ended::Stop);
            }
            if Instant::now() >= next_beat {
                next_beat = Instant::now() + self.config.heartbeat_interval;
                if self.member.heartbeat().map_err(|e| self.kafka(e))? == Heartbeat::Lost {
                    // Kicked out while releasing: what the job commits now would be fenced.
                    self.lose();
                }
            }
        }
        Ok(if self.stopping() {
            Ended::Stop
        } else {
            Ended::Rejoin
        })
    }

    /// The member is out of the group: it owns nothing any more.
    fn lose(&mut self) {
        self.owned.clear();
        self.owned_generation = -1;
        self.shared.identity().generation_id = -1;
    }

    /// Sleeps `d` in short steps; true if asked to stop meanwhile.
    fn sleep(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        while Instant::now() < deadline {
            if self.stopping() {
                return true;
            }
            std::thread::sleep(STOP_POLL.min(deadline.saturating_duration_since(Instant::now())));
        }
        self.stopping()
    }

    fn protocol(&self) -> Result<GroupProtocol, GroupError> {
        let user_data = MemberSubscription {
            fingerprint: self.config.fingerprint,
            process: self.config.process.clone(),
            owned_generation: self.owned_generation,
            owned: self.owned.clone(),
        }
        .encode();
        let metadata = Subscription {
            topics: self.config.topics.clone(),
            user_data,
        }
        .encode()
        .map_err(|e| self.kafka(e))?;
        Ok(GroupProtocol {
            name: ASSIGNOR_NAME.to_string(),
            metadata,
        })
    }

    /// The leader's work: every member's assignment.
    fn lead(&self, joined: &Joined) -> Result<Vec<(String, Bytes)>, GroupError> {
        let mut members = Vec::new();
        let mut refused = Vec::new();
        for m in &joined.members {
            let subscription = Subscription::decode(&m.metadata)
                .map_err(|e| self.member_data(&m.member_id, &e.to_string()))?;
            let data = MemberSubscription::decode(&subscription.user_data)
                .map_err(|e| self.member_data(&m.member_id, &e))?;
            if data.fingerprint != self.config.fingerprint {
                tracing::warn!(
                    "{}",
                    GroupError::DifferentJobs {
                        group: self.config.group.clone(),
                        member: format!("{} ({})", m.member_id, data.process),
                        theirs: data.fingerprint,
                        ours: self.config.fingerprint,
                    }
                );
                refused.push(m.member_id.clone());
                continue;
            }
            members.push(AssignorMember {
                member_id: m.member_id.clone(),
                owned_generation: data.owned_generation,
                owned: data.owned,
            });
        }
        let plan = assign(&self.tasks, &members);
        let mut out = Vec::with_capacity(plan.len() + refused.len());
        for (member, tasks) in plan {
            let assignment = self.consumer_assignment(joined.generation, tasks)?;
            out.push((member, assignment));
        }
        for member in refused {
            let refusal = Assignment {
                partitions: Vec::new(),
                user_data: MemberAssignment {
                    generation: REFUSED_GENERATION,
                    tasks: Vec::new(),
                }
                .encode(),
            };
            out.push((member, refusal.encode().map_err(|e| self.kafka(e))?));
        }
        Ok(out)
    }

    /// A member's assignment as the consumer protocol carries it: its tasks' partitions, and
    /// the tasks themselves in the user data.
    fn consumer_assignment(&self, generation: i32, tasks: Vec<TaskId>) -> Result<Bytes, GroupError> {
        let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for t in &tasks {
            for (topic, partition) in self.config.task_partitions.get(t).into_iter().flatten() {
                by_topic.entry(topic).or_default().push(*partition);
            }
        }
        let partitions = by_topic
            .into_iter()
            .map(|(t, mut ps)| {
                ps.sort_unstable();
                ps.dedup();
                (t.to_string(), ps)
            })
            .collect();
        Assignment {
            partitions,
            user_data: MemberAssignment { generation, tasks }.encode(),
        }
        .encode()
        .map_err(|e| self.kafka(e))
    }

    fn read_assignment(&self, bytes: &[u8]) -> Result<MemberAssignment, GroupError> {
        let who = self.member.member_id().to_string();
        let assignment = Assignment::decode(bytes).map_err(|e| self.member_data(&who, &e.to_string()))?;
        if assignment.user_data.is_empty() {
            // The leader had nothing for us (e.g. it assigned before we joined).
            return Ok(MemberAssignment::default());
        }
        MemberAssignment::decode(&assignment.user_data).map_err(|e| self.member_data(&who, &e))
    }

    fn kafka(&self, source: ClientError) -> GroupError {
        GroupError::Kafka {
            group: self.config.group.clone(),
            source,
        }
    }

    fn member_data(&self, member: &str, message: &str) -> GroupError {
        GroupError::MemberData {
            group: self.config.group.clone(),
            message: format!("member {member}: {message}"),
        }
    }
}
