//! [`GroupCoordinator`]: every consumer group's membership (JoinGroup, SyncGroup, Heartbeat,
//! LeaveGroup under the classic protocol), their deadlines, and committed offsets, which it
//! stores through [`GroupStore`] in `__consumer_offsets`. One lock guards all groups; requests
//! that must wait get a oneshot receiver and wait outside it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::ResponseError;
use spate_log::{LogStore, Partition};
use tokio::sync::oneshot;

use super::group::{Group, GroupState, JoinOutcome, Member, SyncOutcome};
use super::records::{CommittedOffset, OffsetsRecord};
use super::store::GroupStore;
use crate::Result;

/// Coordinator settings (Kafka's `group.*` broker configs).
#[derive(Debug, Clone)]
pub(crate) struct GroupConfig {
    pub(crate) min_session_timeout: Duration,
    pub(crate) max_session_timeout: Duration,
    /// How long a new group waits for more members before its first generation
    /// (`group.initial.rebalance.delay.ms`; Kafka uses 3 s, which is what makes first joins slow).
    pub(crate) initial_rebalance_delay: Duration,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            min_session_timeout: Duration::from_millis(1000),
            max_session_timeout: Duration::from_secs(1800),
            initial_rebalance_delay: Duration::from_millis(100),
        }
    }
}

/// Who is asking, as every membership request names it.
#[derive(Debug, Clone)]
pub(crate) struct MemberRequest {
    pub(crate) group: String,
    pub(crate) member_id: String,
    pub(crate) instance_id: Option<String>,
    pub(crate) generation: i32,
}

/// Largest committed metadata accepted (`offset.metadata.max.bytes`).
const MAX_METADATA_BYTES: usize = 4096;

#[derive(Debug)]
pub(crate) struct GroupCoordinator {
    groups: Mutex<HashMap<String, Group>>,
    store: GroupStore,
    config: GroupConfig,
}

/// A JoinGroup answer: now, or once the rebalance completes.
pub(crate) enum JoinReply {
    Now(JoinOutcome),
    Wait(oneshot::Receiver<JoinOutcome>),
}

/// A SyncGroup answer: now, or once the leader's assignment arrives.
pub(crate) enum SyncReply {
    Now(SyncOutcome),
    Wait(oneshot::Receiver<SyncOutcome>),
}

/// Parameters of a JoinGroup.
#[derive(Debug)]
pub(crate) struct JoinRequest {
    pub(crate) who: MemberRequest,
    pub(crate) client_id: String,
    pub(crate) client_host: String,
    pub(crate) session_timeout_ms: i32,
    pub(crate) rebalance_timeout_ms: i32,
    pub(crate) protocol_type: String,
    pub(crate) protocols: Vec<(String, Bytes)>,
    /// JoinGroup v4+: a new dynamic member must first ask for a member id (KIP-394).
    pub(crate) require_known_member_id: bool,
}

impl GroupCoordinator {
    pub(crate) fn open(log: &LogStore, config: GroupConfig) -> Result<GroupCoordinator> {
        let (store, stored) = GroupStore::open(log)?;
        // A crash between a topic's deletion and its offsets' tombstones leaves offsets of a
        // partition that no longer exists; committing needs an existing partition, so any such
        // offset is stale.
        let purged = store.forget_offsets_where(|topic, partition| {
            log.topic(topic)
                .is_none_or(|t| usize::try_from(partition).map_or(true, |p| p >= t.partitions.len()))
        })?;
        if purged > 0 {
            tracing::warn!("removed {purged} committed offsets of partitions that no longer exist");
        }
        let now = Instant::now();
        let groups = stored
            .into_iter()
            .map(|(id, g)| {
                let group = Group::restore(&id, g, now);
                (id, group)
            })
            .collect();
        Ok(GroupCoordinator {
            groups: Mutex::new(groups),
            store,
            config,
        })
    }

    fn groups(&self) -> MutexGuard<'_, HashMap<String, Group>> {
        self.groups.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn persist(&self, group: &Group) {
        let value = Some(group.to_stored());
        let record = OffsetsRecord::Group {
            group: group.id.clone(),
            value,
        };
        if let Err(e) = self.store.append(&[record]) {
            tracing::error!(group = %group.id, "cannot persist group metadata: {e}");
        }
    }

    pub(crate) fn join(&self, req: JoinRequest) -> JoinReply {
        let now = Instant::now();
        let fail = |e: ResponseError, id: &str| JoinReply::Now(JoinOutcome::error(e, id.to_string()));
        if req.who.group.is_empty() {
            return fail(ResponseError::InvalidGroupId, &req.who.member_id);
        }
        let session = Duration::from_millis(req.session_timeout_ms.max(0) as u64);
        if session < self.config.min_session_timeout || session > self.config.max_session_timeout {
            return fail(ResponseError::InvalidSessionTimeout, &req.who.member_id);
        }
        // Before v1 there is no rebalance timeout: it equals the session timeout.
        let rebalance = if req.rebalance_timeout_ms > 0 {
            Duration::from_millis(req.rebalance_timeout_ms as u64)
        } else {
            session
        };
        let mut groups = self.groups();
        let group = groups
            .entry(req.who.group.clone())
            .or_insert_with(|| Group::new(&req.who.group));
        if req.protocols.is_empty() || !group.supports(&req.protocol_type, &req.protocols) {
            return fail(ResponseError::InconsistentGroupProtocol, &req.who.member_id);
        }
        group
            .pending
            .retain(|(_, at, timeout)| now.duration_since(*at) < *timeout);

        let mut member_id = req.who.member_id.clone();
        // A member added by this request always needs a rebalance, whatever its metadata.
        let mut added = false;
        if member_id.is_empty() {
            if let Some(instance) = &req.who.instance_id {
                // A static member (re)joining: it replaces its previous incarnation.
                let new_id = format!("{instance}-{}", uuid::Uuid::new_v4());
                if let Some(old_id) = group.static_member_id(instance).map(str::to_string) {
                    let unchanged = group
                        .member(&old_id)
                        .is_some_and(|m| m.protocols == req.protocols);
                    let was_leader = group.leader.as_deref() == Some(old_id.as_str());
                    if let Some(m) = group.member_mut(&old_id) {
                        m.id = new_id.clone();
                        m.last_seen = now;
                        m.session_timeout = session;
                        m.rebalance_timeout = rebalance;
                        if let Some(tx) = m.awaiting_join.take() {
                            let _ = tx.send(JoinOutcome::error(
                                ResponseError::FencedInstanceId,
                                old_id.clone(),
                            ));
                        }
                        if let Some(tx) = m.awaiting_sync.take() {
                            let _ = tx.send(Err(ResponseError::FencedInstanceId));
                        }
                    }
                    if was_leader {
                        group.leader = Some(new_id.clone());
                    }
                    if group.state == GroupState::Stable && unchanged {
                        // KIP-345: a static member coming back unchanged causes no rebalance.
                        let outcome = JoinOutcome {
                            error: None,
                            generation: group.generation,
                            protocol_type: group.protocol_type.clone(),
                            protocol: group.protocol.clone(),
                            leader: group.leader.clone().unwrap_or_default(),
                            member_id: new_id,
                            members: Vec::new(),
                        };
                        self.persist(group);
                        return JoinReply::Now(outcome);
                    }
                    member_id = new_id;
                } else {
                    member_id = new_id;
                    add_member(group, &member_id, &req, session, rebalance, now);
                    added = true;
                }
            } else if req.require_known_member_id {
                let new_id = format!("{}-{}", req.client_id, uuid::Uuid::new_v4());
                group.pending.push((new_id.clone(), now, session));
                return JoinReply::Now(JoinOutcome::error(ResponseError::MemberIdRequired, new_id));
            } else {
                member_id = format!("{}-{}", req.client_id, uuid::Uuid::new_v4());
                add_member(group, &member_id, &req, session, rebalance, now);
                added = true;
            }
        } else {
            if let Some(instance) = &req.who.instance_id
                && group.static_member_id(instance).is_some_and(|id| id != member_id)
            {
                return fail(ResponseError::FencedInstanceId, &member_id);
            }
            if let Some(pos) = group.pending.iter().position(|(id, _, _)| *id == member_id) {
                group.pending.remove(pos);
                add_member(group, &member_id, &req, session, rebalance, now);
                added = true;
            } else if group.member(&member_id).is_none() {
                return fail(ResponseError::UnknownMemberId, &member_id);
            }
        }

        let is_leader = group.leader.as_deref() == Some(member_id.as_str());
        let state = group.state;
        let Some(member) = group.member_mut(&member_id) else {
            return fail(ResponseError::UnknownMemberId, &member_id);
        };
        let unchanged = member.protocols == req.protocols;
        member.last_seen = now;
        member.session_timeout = session;
        member.rebalance_timeout = rebalance;
        member.protocols = req.protocols;
        // A member already in the current generation that rejoins unchanged (e.g. its join
        // response was lost) just gets the current generation back.
        if unchanged
            && !added
            && !is_leader
            && matches!(state, GroupState::Stable | GroupState::CompletingRebalance)
        {
            return JoinReply::Now(JoinOutcome {
                error: None,
                generation: group.generation,
                protocol_type: group.protocol_type.clone(),
                protocol: group.protocol.clone(),
                leader: group.leader.clone().unwrap_or_default(),
                member_id,
                members: Vec::new(),
            });
        }
        let (tx, rx) = oneshot::channel();
        if let Some(old) = member.awaiting_join.replace(tx) {
            let _ = old.send(JoinOutcome::error(
                ResponseError::UnknownMemberId,
                member_id.clone(),
            ));
        }
        if group.protocol_type.is_none() {
            group.protocol_type = Some(req.protocol_type);
        }
        if group.state != GroupState::PreparingRebalance {
            group.prepare_rebalance(now, self.config.initial_rebalance_delay);
        }
        if group.try_complete_join(now) {
            self.persist(group);
        }
        JoinReply::Wait(rx)
    }

    pub(crate) fn sync(
        &self,
        who: &MemberRequest,
        protocol_type: Option<&str>,
        protocol: Option<&str>,
        assignments: Vec<(String, Bytes)>,
    ) -> SyncReply {
        let now = Instant::now();
        let mut groups = self.groups();
        let group = match validate(&mut groups, who) {
            Ok(g) => g,
            Err(e) => return SyncReply::Now(Err(e)),
        };
        if protocol_type.is_some_and(|t| group.protocol_type.as_deref() != Some(t))
            || protocol.is_some_and(|p| group.protocol.as_deref() != Some(p))
        {
            return SyncReply::Now(Err(ResponseError::InconsistentGroupProtocol));
        }
        match group.state {
            GroupState::Empty => SyncReply::Now(Err(ResponseError::UnknownMemberId)),
            GroupState::PreparingRebalance => SyncReply::Now(Err(ResponseError::RebalanceInProgress)),
            GroupState::Stable => {
                let assignment = group
                    .member(&who.member_id)
                    .map(|m| m.assignment.clone())
                    .unwrap_or_default();
                SyncReply::Now(Ok((
                    group.protocol_type.clone(),
                    group.protocol.clone(),
                    assignment,
                )))
            }
            GroupState::CompletingRebalance => {
                let (tx, rx) = oneshot::channel();
                if let Some(m) = group.member_mut(&who.member_id) {
                    m.last_seen = now;
                    if let Some(old) = m.awaiting_sync.replace(tx) {
                        let _ = old.send(Err(ResponseError::RebalanceInProgress));
                    }
                }
                if group.leader.as_deref() == Some(who.member_id.as_str()) {
                    group.complete_sync(assignments);
                    self.persist(group);
                }
                SyncReply::Wait(rx)
            }
        }
    }

    pub(crate) fn heartbeat(&self, who: &MemberRequest) -> Option<ResponseError> {
        let mut groups = self.groups();
        let group = match validate(&mut groups, who) {
            Ok(g) => g,
            Err(e) => return Some(e),
        };
        match group.state {
            GroupState::Empty => Some(ResponseError::UnknownMemberId),
            GroupState::PreparingRebalance => Some(ResponseError::RebalanceInProgress),
            GroupState::CompletingRebalance | GroupState::Stable => None,
        }
    }

    /// Removes members (by member id, or by instance id when the member id is empty).
    /// Returns one error per member (None = left).
    pub(crate) fn leave(
        &self,
        group_id: &str,
        members: &[(String, Option<String>)],
    ) -> Vec<Option<ResponseError>> {
        let now = Instant::now();
        let mut groups = self.groups();
        let Some(group) = groups.get_mut(group_id) else {
            return members
                .iter()
                .map(|_| Some(ResponseError::UnknownMemberId))
                .collect();
        };
        let results = members
            .iter()
            .map(|(member_id, instance_id)| {
                let resolved = match instance_id {
                    Some(inst) => match group.static_member_id(inst) {
                        Some(id) if member_id.is_empty() || id == member_id => Some(id.to_string()),
                        Some(_) => return Some(ResponseError::FencedInstanceId),
                        None => None,
                    },
                    None => group.member(member_id).map(|m| m.id.clone()),
                };
                match resolved {
                    Some(id) => {
                        group.remove_member(&id, now);
                        None
                    }
                    None => Some(ResponseError::UnknownMemberId),
                }
            })
            .collect();
        if group.try_complete_join(now) {
            self.persist(group);
        }
        results
    }

    /// Deadlines: initial delay and rebalance timeout, session expiry of members and of member
    /// ids handed out but never used.
    pub(crate) fn tick(&self) {
        let now = Instant::now();
        let mut groups = self.groups();
        for group in groups.values_mut() {
            group
                .pending
                .retain(|(_, at, timeout)| now.duration_since(*at) < *timeout);
            let expired: Vec<String> = group
                .members
                .iter()
                .filter(|m| m.awaiting_join.is_none() && now.duration_since(m.last_seen) > m.session_timeout)
                .map(|m| m.id.clone())
                .collect();
            for id in expired {
                tracing::info!(group = %group.id, member = %id, "member session expired");
                group.remove_member(&id, now);
            }
            if group.try_complete_join(now) {
                self.persist(group);
            }
        }
    }

    /// Validates an OffsetCommit's membership: `None` if the commit may proceed.
    pub(crate) fn check_commit(&self, who: &MemberRequest) -> Option<ResponseError> {
        let mut groups = self.groups();
        // generation -1 with no member id: a commit from outside any group (assign() users).
        if who.generation < 0 && who.member_id.is_empty() {
            return match groups.get(&who.group) {
                Some(g) if g.state != GroupState::Empty => Some(ResponseError::UnknownMemberId),
                _ => None,
            };
        }
        match validate(&mut groups, who) {
            Err(e) => Some(e),
            Ok(g) if g.state == GroupState::CompletingRebalance => Some(ResponseError::RebalanceInProgress),
            Ok(_) => None,
        }
    }

    /// Validates a TxnOffsetCommit's membership (Kafka's `validateOffsetCommit` for
    /// transactional commits): `None` if the offsets may be staged.
    ///
    /// Generation -1 with no member or instance id is a producer that names only the group
    /// (EOS v1's `sendOffsetsToTransaction(offsets, groupId)`), allowed whatever the group
    /// does. Anyone else must be a member of the current generation: this is what fences a
    /// zombie under EOS v2, whose tasks moved to another member in a later generation. Unlike
    /// OffsetCommit, a group completing a rebalance does not refuse it (the transaction is
    /// already open).
    pub(crate) fn check_txn_commit(&self, who: &MemberRequest) -> Option<ResponseError> {
        if who.generation < 0 && who.member_id.is_empty() && who.instance_id.is_none() {
            return None;
        }
        let mut groups = self.groups();
        if !groups.contains_key(&who.group) {
            return Some(ResponseError::IllegalGeneration);
        }
        validate(&mut groups, who).err()
    }

    /// Stores offsets (the caller validated membership). Returns the partition to fsync before
    /// acknowledging, and a per-entry error.
    pub(crate) fn commit_offsets(
        &self,
        group: &str,
        entries: Vec<(String, i32, CommittedOffset)>,
    ) -> Result<(Arc<Partition>, Vec<Option<ResponseError>>)> {
        let mut errors = Vec::with_capacity(entries.len());
        let mut records = Vec::with_capacity(entries.len());
        for (topic, partition, value) in entries {
            if value
                .metadata
                .as_ref()
                .is_some_and(|m| m.len() > MAX_METADATA_BYTES)
            {
                errors.push(Some(ResponseError::OffsetMetadataTooLarge));
                continue;
            }
            errors.push(None);
            records.push(OffsetsRecord::Offset {
                group: group.to_string(),
                topic,
                partition,
                value: Some(value),
            });
        }
        let partition = self.store.append(&records)?;
        Ok((partition, errors))
    }

    /// Removes (durably) every group's committed offsets of `topic`, which was just deleted.
    pub(crate) fn forget_topic(&self, topic: &str) -> Result<usize> {
        self.store.forget_offsets_where(|t, _| t == topic)
    }

    pub(crate) fn committed(&self, group: &str, topic: &str, partition: i32) -> Option<CommittedOffset> {
        self.store.committed(group, topic, partition)
    }

    pub(crate) fn all_committed(&self, group: &str) -> Vec<((String, i32), CommittedOffset)> {
        self.store.all_committed(group)
    }

    /// OffsetDelete: refused for topics a stable group is subscribed to.
    pub(crate) fn delete_offsets(
        &self,
        group: &str,
        partitions: &[(String, i32)],
        subscribed: impl Fn(&Bytes) -> Vec<String>,
    ) -> Result<Result<Vec<Option<ResponseError>>, ResponseError>> {
        let groups = self.groups();
        let live = groups.get(group).filter(|g| !g.members.is_empty());
        if live.is_none() && !self.store.has_offsets(group) {
            return Ok(Err(ResponseError::GroupIdNotFound));
        }
        let subscribed_topics: Vec<String> = live
            .map(|g| {
                g.members
                    .iter()
                    .flat_map(|m| m.protocols.iter().flat_map(|(_, md)| subscribed(md)))
                    .collect()
            })
            .unwrap_or_default();
        let mut errors = Vec::new();
        let mut records = Vec::new();
        for (topic, partition) in partitions {
            if subscribed_topics.contains(topic) {
                errors.push(Some(ResponseError::GroupSubscribedToTopic));
                continue;
            }
            errors.push(None);
            records.push(OffsetsRecord::Offset {
                group: group.to_string(),
                topic: topic.clone(),
                partition: *partition,
                value: None,
            });
        }
        drop(groups);
        self.store.append(&records)?;
        Ok(Ok(errors))
    }

    /// (group id, protocol type, state) of every known group, including groups that only have
    /// committed offsets (they are Empty).
    pub(crate) fn list(&self) -> Vec<(String, String, &'static str)> {
        let groups = self.groups();
        let mut out: Vec<(String, String, &'static str)> = groups
            .values()
            .map(|g| {
                (
                    g.id.clone(),
                    g.protocol_type.clone().unwrap_or_default(),
                    g.state.name(),
                )
            })
            .collect();
        for id in self.store.groups_with_offsets() {
            if !groups.contains_key(&id) {
                out.push((id, "consumer".to_string(), GroupState::Empty.name()));
            }
        }
        out.sort();
        out
    }

    /// DescribeGroups of one group: state, protocol type and name, members.
    pub(crate) fn describe(&self, group: &str) -> Option<GroupDescription> {
        let groups = self.groups();
        match groups.get(group) {
            Some(g) => {
                let protocol = g.protocol.clone().unwrap_or_default();
                Some(GroupDescription {
                    state: g.state.name(),
                    protocol_type: g.protocol_type.clone().unwrap_or_default(),
                    protocol: if g.state == GroupState::Stable {
                        protocol.clone()
                    } else {
                        String::new()
                    },
                    members: g
                        .members
                        .iter()
                        .map(|m| MemberDescription {
                            member_id: m.id.clone(),
                            instance_id: m.instance_id.clone(),
                            client_id: m.client_id.clone(),
                            client_host: m.client_host.clone(),
                            metadata: m
                                .protocols
                                .iter()
                                .find(|(n, _)| *n == protocol)
                                .map(|(_, md)| md.clone())
                                .unwrap_or_default(),
                            assignment: m.assignment.clone(),
                        })
                        .collect(),
                })
            }
            None if self.store.has_offsets(group) => Some(GroupDescription {
                state: GroupState::Empty.name(),
                protocol_type: "consumer".to_string(),
                protocol: String::new(),
                members: Vec::new(),
            }),
            None => None,
        }
    }

    /// DeleteGroups of one group: only empty groups; its offsets go too.
    pub(crate) fn delete_group(&self, group: &str) -> Result<Option<ResponseError>> {
        let mut groups = self.groups();
        let known = groups.contains_key(group) || self.store.has_offsets(group);
        if !known {
            return Ok(Some(ResponseError::GroupIdNotFound));
        }
        if groups.get(group).is_some_and(|g| !g.members.is_empty()) {
            return Ok(Some(ResponseError::NonEmptyGroup));
        }
        let mut records: Vec<OffsetsRecord> = self
            .store
            .all_committed(group)
            .into_iter()
            .map(|((topic, partition), _)| OffsetsRecord::Offset {
                group: group.to_string(),
                topic,
                partition,
                value: None,
            })
            .collect();
        records.push(OffsetsRecord::Group {
            group: group.to_string(),
            value: None,
        });
        self.store.append(&records)?;
        groups.remove(group);
        Ok(None)
    }
}

/// A described group.
#[derive(Debug)]
pub(crate) struct GroupDescription {
    pub(crate) state: &'static str,
    pub(crate) protocol_type: String,
    pub(crate) protocol: String,
    pub(crate) members: Vec<MemberDescription>,
}

#[derive(Debug)]
pub(crate) struct MemberDescription {
    pub(crate) member_id: String,
    pub(crate) instance_id: Option<String>,
    pub(crate) client_id: String,
    pub(crate) client_host: String,
    pub(crate) metadata: Bytes,
    pub(crate) assignment: Bytes,
}

fn add_member(
    group: &mut Group,
    id: &str,
    req: &JoinRequest,
    session: Duration,
    rebalance: Duration,
    now: Instant,
) {
    group.members.push(Member {
        id: id.to_string(),
        instance_id: req.who.instance_id.clone(),
        client_id: req.client_id.clone(),
        client_host: req.client_host.clone(),
        session_timeout: session,
        rebalance_timeout: rebalance,
        protocols: req.protocols.clone(),
        assignment: Bytes::new(),
        last_seen: now,
        awaiting_join: None,
        awaiting_sync: None,
    });
}

/// Checks group, member, instance and generation of a request from a member; refreshes its
/// session on success.
fn validate<'a>(
    groups: &'a mut HashMap<String, Group>,
    who: &MemberRequest,
) -> Result<&'a mut Group, ResponseError> {
    let group = groups.get_mut(&who.group).ok_or(ResponseError::UnknownMemberId)?;
    if let Some(instance) = &who.instance_id
        && group
            .static_member_id(instance)
            .is_some_and(|id| id != who.member_id)
    {
        return Err(ResponseError::FencedInstanceId);
    }
    let generation = group.generation;
    let member = group
        .member_mut(&who.member_id)
        .ok_or(ResponseError::UnknownMemberId)?;
    member.last_seen = Instant::now();
    if who.generation != generation {
        return Err(ResponseError::IllegalGeneration);
    }
    Ok(group)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spate_log::StoreConfig;

    fn coordinator(dir: &std::path::Path) -> GroupCoordinator {
        let log = LogStore::open(dir, StoreConfig::default()).unwrap();
        // Committed offsets name existing partitions (offsets of vanished ones are dropped at
        // open): the tests commit to topic "t".
        if log.topic("t").is_none() {
            log.create_topic("t", 2, &Default::default()).unwrap();
        }
        GroupCoordinator::open(
            &log,
            GroupConfig {
                initial_rebalance_delay: Duration::ZERO,
                ..GroupConfig::default()
            },
        )
        .unwrap()
    }

    fn join_req(group: &str, member: &str, instance: Option<&str>) -> JoinRequest {
        JoinRequest {
            who: MemberRequest {
                group: group.into(),
                member_id: member.into(),
                instance_id: instance.map(str::to_string),
                generation: -1,
            },
            client_id: "c".into(),
            client_host: "127.0.0.1".into(),
            session_timeout_ms: 10_000,
            rebalance_timeout_ms: 10_000,
            protocol_type: "consumer".into(),
            protocols: vec![("range".into(), Bytes::from_static(b"sub"))],
            require_known_member_id: true,
        }
    }

    fn now(reply: JoinReply) -> JoinOutcome {
        match reply {
            JoinReply::Now(o) => o,
            JoinReply::Wait(mut rx) => rx.try_recv().expect("join should have completed"),
        }
    }

    fn who(group: &str, member: &str, generation: i32) -> MemberRequest {
        MemberRequest {
            group: group.into(),
            member_id: member.into(),
            instance_id: None,
            generation,
        }
    }

    /// Joins a new dynamic member through the KIP-394 round trip.
    fn join_new(c: &GroupCoordinator, group: &str) -> JoinOutcome {
        let first = now(c.join(join_req(group, "", None)));
        assert_eq!(first.error, Some(ResponseError::MemberIdRequired));
        now(c.join(join_req(group, &first.member_id, None)))
    }

    #[test]
    fn single_member_joins_syncs_and_heartbeats() {
        let dir = tempfile::tempdir().unwrap();
        let c = coordinator(dir.path());
        let joined = join_new(&c, "g");
        assert_eq!(joined.error, None);
        assert_eq!(joined.generation, 1);
        assert_eq!(joined.leader, joined.member_id);
        assert_eq!(joined.members.len(), 1);
        let assignment = vec![(joined.member_id.clone(), Bytes::from_static(b"a0"))];
        match c.sync(&who("g", &joined.member_id, 1), None, None, assignment) {
            SyncReply::Wait(mut rx) => {
                assert_eq!(rx.try_recv().unwrap().unwrap().2, Bytes::from_static(b"a0"))
            }
            SyncReply::Now(r) => panic!("leader sync should complete the rebalance, got {r:?}"),
        }
        assert_eq!(c.heartbeat(&who("g", &joined.member_id, 1)), None);
        assert_eq!(
            c.heartbeat(&who("g", &joined.member_id, 0)),
            Some(ResponseError::IllegalGeneration)
        );
        assert_eq!(
            c.heartbeat(&who("g", "nobody", 1)),
            Some(ResponseError::UnknownMemberId)
        );
        assert_eq!(c.describe("g").unwrap().state, "Stable");
    }

    #[test]
    fn txn_offset_commits_are_fenced_by_generation_but_not_by_a_rebalance() {
        let dir = tempfile::tempdir().unwrap();
        let c = coordinator(dir.path());
        // A producer naming only the group (EOS v1) needs no membership, even of a group
        // that does not exist.
        assert_eq!(c.check_txn_commit(&who("nogroup", "", -1)), None);
        assert_eq!(
            c.check_txn_commit(&who("nogroup", "m", 1)),
            Some(ResponseError::IllegalGeneration)
        );
        let a = join_new(&c, "g");
        let _ = c.sync(&who("g", &a.member_id, 1), None, None, vec![]);
        assert_eq!(c.check_txn_commit(&who("g", &a.member_id, 1)), None);
        assert_eq!(c.check_txn_commit(&who("g", "", -1)), None);
        // b joins; a's tasks move in generation 2: a's commit of generation 1 is a zombie's.
        let b_id = now(c.join(join_req("g", "", None))).member_id;
        let JoinReply::Wait(mut b_rx) = c.join(join_req("g", &b_id, None)) else {
            panic!("b must wait for a")
        };
        let a2 = now(c.join(join_req("g", &a.member_id, None)));
        let b2 = b_rx.try_recv().unwrap();
        assert_eq!((a2.generation, b2.generation), (2, 2));
        // Completing the rebalance: OffsetCommit is refused, TxnOffsetCommit is not.
        assert_eq!(
            c.check_commit(&who("g", &a.member_id, 2)),
            Some(ResponseError::RebalanceInProgress)
        );
        assert_eq!(c.check_txn_commit(&who("g", &a.member_id, 2)), None);
        assert_eq!(
            c.check_txn_commit(&who("g", &a.member_id, 1)),
            Some(ResponseError::IllegalGeneration)
        );
        assert_eq!(
            c.check_txn_commit(&who("g", "gone", 2)),
            Some(ResponseError::UnknownMemberId)
        );
        let mut static_who = who("g", &b_id, 2);
        static_who.instance_id = Some("other".into());
        assert_eq!(
            c.check_txn_commit(&static_who),
            None,
            "an unknown instance id is not fenced"
        );
    }

    #[test]
    fn second_member_triggers_rebalance_that_completes_when_all_rejoin() {
        let dir = tempfile::tempdir().unwrap();
        let c = coordinator(dir.path());
        let a = join_new(&c, "g");
        let _ = c.sync(&who("g", &a.member_id, 1), None, None, vec![]);
        // b joins: the group waits for a to rejoin; a learns it from its heartbeat.
        let b_id = now(c.join(join_req("g", "", None))).member_id;
        let JoinReply::Wait(mut b_rx) = c.join(join_req("g", &b_id, None)) else {
            panic!("b must wait for a")
        };
        assert!(b_rx.try_recv().is_err());
        assert_eq!(
            c.heartbeat(&who("g", &a.member_id, 1)),
            Some(ResponseError::RebalanceInProgress)
        );
        let a2 = now(c.join(join_req("g", &a.member_id, None)));
        let b2 = b_rx.try_recv().unwrap();
        assert_eq!((a2.generation, b2.generation), (2, 2));
        assert_eq!(a2.leader, a.member_id, "the old leader stays leader");
        assert_eq!(a2.members.len(), 2);
        assert!(b2.members.is_empty());
        // A follower's sync waits for the leader's; a stale generation is refused.
        assert!(matches!(
            c.sync(&who("g", &b_id, 1), None, None, vec![]),
            SyncReply::Now(Err(ResponseError::IllegalGeneration))
        ));
        let SyncReply::Wait(mut b_sync) = c.sync(&who("g", &b_id, 2), None, None, vec![]) else {
            panic!("follower waits")
        };
        let assignments = vec![
            (a.member_id.clone(), Bytes::from_static(b"A")),
            (b_id.clone(), Bytes::from_static(b"B")),
        ];
        let _ = c.sync(&who("g", &a.member_id, 2), None, None, assignments);
        assert_eq!(b_sync.try_recv().unwrap().unwrap().2, Bytes::from_static(b"B"));
    }

    #[test]
    fn leave_and_session_expiry_remove_members() {
        let dir = tempfile::tempdir().unwrap();
        let c = coordinator(dir.path());
        let a = join_new(&c, "g");
        let _ = c.sync(&who("g", &a.member_id, 1), None, None, vec![]);
        assert_eq!(c.leave("g", &[(a.member_id.clone(), None)]), vec![None]);
        assert_eq!(c.describe("g").unwrap().state, "Empty");
        assert_eq!(
            c.leave("g", &[(a.member_id.clone(), None)]),
            vec![Some(ResponseError::UnknownMemberId)]
        );

        let mut req = join_req("h", "", None);
        req.session_timeout_ms = 1000;
        let id = now(c.join(req)).member_id;
        let mut req = join_req("h", &id, None);
        req.session_timeout_ms = 1000;
        let joined = now(c.join(req));
        let _ = c.sync(&who("h", &joined.member_id, 1), None, None, vec![]);
        std::thread::sleep(Duration::from_millis(1100));
        c.tick();
        assert_eq!(c.describe("h").unwrap().state, "Empty");
    }

    #[test]
    fn static_member_rejoin_fences_old_id_without_rebalance() {
        let dir = tempfile::tempdir().unwrap();
        let c = coordinator(dir.path());
        let first = now(c.join(join_req("g", "", Some("i1"))));
        assert_eq!(first.error, None, "static members skip MEMBER_ID_REQUIRED");
        let _ = c.sync(
            &who("g", &first.member_id, 1),
            None,
            None,
            vec![(first.member_id.clone(), Bytes::from_static(b"x"))],
        );
        let again = now(c.join(join_req("g", "", Some("i1"))));
        assert_eq!(again.error, None);
        assert_eq!(again.generation, 1, "no rebalance for an unchanged static member");
        assert_ne!(again.member_id, first.member_id);
        let mut old = who("g", &first.member_id, 1);
        old.instance_id = Some("i1".into());
        assert_eq!(c.heartbeat(&old), Some(ResponseError::FencedInstanceId));
    }

    #[test]
    fn offsets_and_groups_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let c = coordinator(dir.path());
            let a = join_new(&c, "g");
            let _ = c.sync(
                &who("g", &a.member_id, 1),
                None,
                None,
                vec![(a.member_id.clone(), Bytes::from_static(b"x"))],
            );
            let offset = |o| CommittedOffset {
                offset: o,
                leader_epoch: -1,
                metadata: Some("m".into()),
                commit_timestamp: 1,
            };
            let (p, errors) = c
                .commit_offsets("g", vec![("t".into(), 0, offset(5)), ("t".into(), 1, offset(7))])
                .unwrap();
            p.sync().unwrap();
            assert_eq!(errors, vec![None, None]);
            let (_, errors) = c.commit_offsets("g", vec![("t".into(), 0, offset(9))]).unwrap();
            assert_eq!(errors, vec![None]);
        }
        let c = coordinator(dir.path());
        assert_eq!(c.committed("g", "t", 0).unwrap().offset, 9, "last commit wins");
        assert_eq!(c.committed("g", "t", 1).unwrap().metadata.as_deref(), Some("m"));
        let d = c.describe("g").unwrap();
        assert_eq!((d.state, d.members.len()), ("Stable", 1));
        assert_eq!(c.delete_group("g").unwrap(), Some(ResponseError::NonEmptyGroup));
    }

    #[test]
    fn offsets_of_deleted_topics_are_gone_after_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let value = CommittedOffset {
            offset: 3,
            leader_epoch: -1,
            metadata: None,
            commit_timestamp: 0,
        };
        {
            let c = coordinator(dir.path());
            let (p, _) = c
                .commit_offsets("g", vec![("t".into(), 0, value.clone()), ("t".into(), 1, value)])
                .unwrap();
            p.sync().unwrap();
        }
        // The topic goes while the broker is down (a crash between deletion and tombstones).
        LogStore::open(dir.path(), StoreConfig::default())
            .unwrap()
            .delete_topic("t")
            .unwrap();
        let log = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
        let c = GroupCoordinator::open(&log, GroupConfig::default()).unwrap();
        assert!(c.committed("g", "t", 0).is_none());
        assert!(c.all_committed("g").is_empty());
        drop(c);
        // Durably: the tombstones were written, so a reopen with the topic back finds nothing.
        log.create_topic("t", 2, &Default::default()).unwrap();
        let c = GroupCoordinator::open(&log, GroupConfig::default()).unwrap();
        assert!(c.committed("g", "t", 0).is_none());
    }

    #[test]
    fn delete_group_removes_offsets_durably() {
        let dir = tempfile::tempdir().unwrap();
        {
            let c = coordinator(dir.path());
            let value = CommittedOffset {
                offset: 3,
                leader_epoch: -1,
                metadata: None,
                commit_timestamp: 0,
            };
            c.commit_offsets("solo", vec![("t".into(), 0, value)]).unwrap();
            assert_eq!(
                c.list(),
                vec![("solo".to_string(), "consumer".to_string(), "Empty")]
            );
            assert_eq!(c.delete_group("solo").unwrap(), None);
            assert_eq!(
                c.delete_group("solo").unwrap(),
                Some(ResponseError::GroupIdNotFound)
            );
        }
        let c = coordinator(dir.path());
        assert!(c.committed("solo", "t", 0).is_none());
        assert!(c.list().is_empty());
    }
}
