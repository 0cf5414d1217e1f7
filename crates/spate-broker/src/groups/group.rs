//! One consumer group's membership state machine (Kafka's classic protocol).
//!
//! States: `Empty` → `PreparingRebalance` (members (re)join) → `CompletingRebalance` (joins
//! answered, waiting for the leader's assignment) → `Stable`. A rebalance completes as soon as
//! every known member has rejoined — it waits for the rebalance timeout only for members that
//! do not come back, and a new group waits only a short initial delay for simultaneous joiners.

use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

use super::records::{StoredGroup, StoredMember};

/// What a waiting JoinGroup gets.
#[derive(Debug, Clone)]
pub(crate) struct JoinOutcome {
    pub(crate) error: Option<ResponseError>,
    pub(crate) generation: i32,
    pub(crate) protocol_type: Option<String>,
    pub(crate) protocol: Option<String>,
    pub(crate) leader: String,
    pub(crate) member_id: String,
    /// (member id, instance id, metadata) — only for the leader.
    pub(crate) members: Vec<(String, Option<String>, Bytes)>,
}

impl JoinOutcome {
    pub(crate) fn error(error: ResponseError, member_id: String) -> JoinOutcome {
        JoinOutcome {
            error: Some(error),
            generation: -1,
            protocol_type: None,
            protocol: None,
            leader: String::new(),
            member_id,
            members: Vec::new(),
        }
    }
}

/// What a waiting SyncGroup gets: the assignment, or an error.
pub(crate) type SyncOutcome = Result<(Option<String>, Option<String>, Bytes), ResponseError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl GroupState {
    pub(crate) fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
        }
    }
}

#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) instance_id: Option<String>,
    pub(crate) client_id: String,
    pub(crate) client_host: String,
    pub(crate) session_timeout: Duration,
    pub(crate) rebalance_timeout: Duration,
    /// (protocol name, metadata) in the member's order of preference.
    pub(crate) protocols: Vec<(String, Bytes)>,
    pub(crate) assignment: Bytes,
    pub(crate) last_seen: Instant,
    pub(crate) awaiting_join: Option<oneshot::Sender<JoinOutcome>>,
    pub(crate) awaiting_sync: Option<oneshot::Sender<SyncOutcome>>,
}

impl Member {
    fn metadata_for(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|(n, _)| n == protocol)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) state: GroupState,
    pub(crate) generation: i32,
    pub(crate) protocol_type: Option<String>,
    pub(crate) protocol: Option<String>,
    pub(crate) leader: Option<String>,
    /// In join order: the first is the leader of a new generation unless the leader rejoined.
    pub(crate) members: Vec<Member>,
    /// Member ids handed out with MEMBER_ID_REQUIRED (KIP-394), with when they were issued.
    pub(crate) pending: Vec<(String, Instant, Duration)>,
    pub(crate) rebalance_deadline: Option<Instant>,
    pub(crate) initial_delay_until: Option<Instant>,
}

impl Group {
    pub(crate) fn new(id: &str) -> Group {
        Group {
            id: id.to_string(),
            state: GroupState::Empty,
            generation: 0,
            protocol_type: None,
            protocol: None,
            leader: None,
            members: Vec::new(),
            pending: Vec::new(),
            rebalance_deadline: None,
            initial_delay_until: None,
        }
    }

    /// A group resumed from storage: members get a fresh session from now.
    pub(crate) fn restore(id: &str, stored: StoredGroup, now: Instant) -> Group {
        let members: Vec<Member> = stored
            .members
            .into_iter()
            .map(|m| Member {
                id: m.member_id,
                instance_id: m.instance_id,
                client_id: m.client_id,
                client_host: m.client_host,
                session_timeout: Duration::from_millis(m.session_timeout_ms.max(0) as u64),
                rebalance_timeout: Duration::from_millis(m.rebalance_timeout_ms.max(0) as u64),
                protocols: stored
                    .protocol
                    .clone()
                    .map(|p| vec![(p, m.subscription)])
                    .unwrap_or_default(),
                assignment: m.assignment,
                last_seen: now,
                awaiting_join: None,
                awaiting_sync: None,
            })
            .collect();
        Group {
            id: id.to_string(),
            state: if members.is_empty() {
                GroupState::Empty
            } else {
                GroupState::Stable
            },
            generation: stored.generation,
            protocol_type: Some(stored.protocol_type).filter(|t| !t.is_empty()),
            protocol: stored.protocol,
            leader: stored.leader,
            members,
            pending: Vec::new(),
            rebalance_deadline: None,
            initial_delay_until: None,
        }
    }

    pub(crate) fn to_stored(&self) -> StoredGroup {
        let protocol = self.protocol.clone().unwrap_or_default();
        StoredGroup {
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            generation: self.generation,
            protocol: self.protocol.clone(),
            leader: self.leader.clone(),
            members: self
                .members
                .iter()
                .map(|m| StoredMember {
                    member_id: m.id.clone(),
                    instance_id: m.instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    session_timeout_ms: m.session_timeout.as_millis() as i32,
                    rebalance_timeout_ms: m.rebalance_timeout.as_millis() as i32,
                    subscription: m.metadata_for(&protocol),
                    assignment: m.assignment.clone(),
                })
                .collect(),
        }
    }

    pub(crate) fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }
    pub(crate) fn member_mut(&mut self, id: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.id == id)
    }
    pub(crate) fn static_member_id(&self, instance_id: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|m| m.instance_id.as_deref() == Some(instance_id))
            .map(|m| m.id.as_str())
    }

    /// Whether `protocols` share at least one protocol with every current member.
    pub(crate) fn supports(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.members.is_empty() {
            return true;
        }
        if self.protocol_type.as_deref().is_some_and(|t| t != protocol_type) {
            return false;
        }
        protocols.iter().any(|(name, _)| {
            self.members
                .iter()
                .all(|m| m.protocols.iter().any(|(n, _)| n == name))
        })
    }

    /// Starts a rebalance: members must rejoin; syncs in flight are told to rejoin.
    pub(crate) fn prepare_rebalance(&mut self, now: Instant, initial_delay: Duration) {
        for m in &mut self.members {
            if let Some(tx) = m.awaiting_sync.take() {
                let _ = tx.send(Err(ResponseError::RebalanceInProgress));
            }
        }
        let was_empty = self.state == GroupState::Empty;
        if self.state != GroupState::PreparingRebalance {
            let timeout = self
                .members
                .iter()
                .map(|m| m.rebalance_timeout)
                .max()
                .unwrap_or(Duration::from_secs(60));
            self.rebalance_deadline = Some(now + timeout);
        }
        if was_empty && !initial_delay.is_zero() {
            self.initial_delay_until = Some(now + initial_delay);
        }
        self.state = GroupState::PreparingRebalance;
    }

    /// Completes the join phase when every member has rejoined (or the deadline passed).
    /// Returns true when the group changed in a way that should be persisted.
    pub(crate) fn try_complete_join(&mut self, now: Instant) -> bool {
        if self.state != GroupState::PreparingRebalance {
            return false;
        }
        let deadline_passed = self.rebalance_deadline.is_some_and(|d| now >= d);
        let all_joined = self.members.iter().all(|m| m.awaiting_join.is_some());
        let delay_over = self.initial_delay_until.is_none_or(|d| now >= d);
        if !(deadline_passed || (all_joined && delay_over)) {
            return false;
        }
        if deadline_passed {
            // Members that did not rejoin within the rebalance timeout are out.
            self.members.retain(|m| m.awaiting_join.is_some());
        }
        self.initial_delay_until = None;
        self.rebalance_deadline = None;
        self.generation += 1;
        if self.members.is_empty() {
            self.state = GroupState::Empty;
            self.protocol = None;
            self.leader = None;
            return true;
        }
        self.protocol = self.select_protocol();
        if self.leader.as_ref().is_none_or(|l| self.member(l).is_none()) {
            self.leader = self.members.first().map(|m| m.id.clone());
        }
        self.state = GroupState::CompletingRebalance;
        let protocol = self.protocol.clone().unwrap_or_default();
        let leader = self.leader.clone().unwrap_or_default();
        let all: Vec<(String, Option<String>, Bytes)> = self
            .members
            .iter()
            .map(|m| (m.id.clone(), m.instance_id.clone(), m.metadata_for(&protocol)))
            .collect();
        for m in &mut self.members {
            m.last_seen = now;
            if let Some(tx) = m.awaiting_join.take() {
                let _ = tx.send(JoinOutcome {
                    error: None,
                    generation: self.generation,
                    protocol_type: self.protocol_type.clone(),
                    protocol: self.protocol.clone(),
                    leader: leader.clone(),
                    member_id: m.id.clone(),
                    members: if m.id == leader { all.clone() } else { Vec::new() },
                });
            }
        }
        false
    }

    /// Kafka's vote: each member votes for its most preferred protocol that all members support.
    fn select_protocol(&self) -> Option<String> {
        let candidates: Vec<&str> = self
            .members
            .first()?
            .protocols
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| {
                self.members
                    .iter()
                    .all(|m| m.protocols.iter().any(|(p, _)| p == n))
            })
            .collect();
        let mut votes: Vec<(&str, usize)> = candidates.iter().map(|c| (*c, 0)).collect();
        for m in &self.members {
            if let Some((name, _)) = m.protocols.iter().find(|(n, _)| candidates.contains(&n.as_str()))
                && let Some(v) = votes.iter_mut().find(|(c, _)| *c == name)
            {
                v.1 += 1;
            }
        }
        votes
            .iter()
            .fold(None::<(&str, usize)>, |best, &(c, n)| match best {
                Some((_, bn)) if bn >= n => best,
                _ => Some((c, n)),
            })
            .map(|(c, _)| c.to_string())
    }

    /// The leader's assignment arrived: the group becomes stable and waiting syncs are answered.
    pub(crate) fn complete_sync(&mut self, assignments: Vec<(String, Bytes)>) {
        for m in &mut self.members {
            m.assignment = assignments
                .iter()
                .find(|(id, _)| *id == m.id)
                .map(|(_, a)| a.clone())
                .unwrap_or_default();
        }
        self.state = GroupState::Stable;
        for m in &mut self.members {
            if let Some(tx) = m.awaiting_sync.take() {
                let _ = tx.send(Ok((
                    self.protocol_type.clone(),
                    self.protocol.clone(),
                    m.assignment.clone(),
                )));
            }
        }
    }

    /// Removes a member; answers its waiting requests; starts a rebalance if others remain.
    pub(crate) fn remove_member(&mut self, id: &str, now: Instant) {
        let Some(pos) = self.members.iter().position(|m| m.id == id) else {
            return;
        };
        let m = self.members.remove(pos);
        if let Some(tx) = m.awaiting_join {
            let _ = tx.send(JoinOutcome::error(ResponseError::UnknownMemberId, m.id.clone()));
        }
        if let Some(tx) = m.awaiting_sync {
            let _ = tx.send(Err(ResponseError::UnknownMemberId));
        }
        if self.leader.as_deref() == Some(id) {
            self.leader = None;
        }
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(now, Duration::ZERO)
            }
            GroupState::PreparingRebalance | GroupState::Empty => {}
        }
        if self.members.is_empty() && self.state == GroupState::PreparingRebalance {
            // Nobody left to wait for: the rebalance ends with an empty group.
            self.rebalance_deadline = Some(now);
        }
    }
}
