//! One member of a Kafka group on the classic group protocol (KIP-62 sessions, KIP-345 static
//! membership, KIP-394 member ids): FindCoordinator, JoinGroup, SyncGroup, Heartbeat and
//! LeaveGroup, with the leader's assignment computed by the caller.
//!
//! librdkafka hosts only its built-in assignors (librdkafka issue #2284), so a program that
//! assigns work of its own (Spate's distributed jobs assign *tasks*, not partitions) speaks
//! the protocol itself. The member is blocking and single-threaded: one owner calls
//! [`GroupMember::join`], [`GroupMember::sync`], then [`GroupMember::heartbeat`] every
//! heartbeat interval until it reports a rebalance, and joins again.
//!
//! Contracts:
//! - A JoinGroup is answered when the rebalance completes, which may take up to the rebalance
//!   timeout: `join` and a follower's `sync` wait that long, every other call the connection's
//!   timeout.
//! - The coordinator moving (`NOT_COORDINATOR`, `COORDINATOR_NOT_AVAILABLE`,
//!   `COORDINATOR_LOAD_IN_PROGRESS`) or a lost connection is handled here: the member finds the
//!   coordinator again and repeats the call, up to the rebalance timeout.
//! - Losing membership is an outcome, not an error: a heartbeat or sync answered with
//!   `REBALANCE_IN_PROGRESS`, `ILLEGAL_GENERATION` or `UNKNOWN_MEMBER_ID` tells the owner to
//!   give up its assignment and join again (an unknown member joins with a new id). Errors
//!   are what no rejoin cures: `FENCED_INSTANCE_ID` (another process has this static
//!   instance id), `INCONSISTENT_GROUP_PROTOCOL` (the group is used by another application),
//!   `GROUP_MAX_SIZE_REACHED`, authorization failures.

use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ApiKey, GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, SyncGroupRequest,
};
use kafka_protocol::protocol::StrBytes;

use crate::broker_connection::{check, is_coordinator_error, millis, str_bytes};
use crate::{BrokerConnection, ClientError, ClientSecurity};

/// Pause before asking again for a coordinator that is moving or loading.
const COORDINATOR_RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// How a member takes part in its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberConfig {
    /// The group (`group.id`).
    pub group_id: String,
    /// The static member id (`group.instance.id`): a member that restarts with it within the
    /// session timeout gets its assignment back without a rebalance.
    pub instance_id: Option<String>,
    /// Without a heartbeat for this long, the coordinator removes the member
    /// (`session.timeout.ms`).
    pub session_timeout: Duration,
    /// How long the coordinator waits for every member to rejoin in a rebalance
    /// (`max.poll.interval.ms`), which is how long a member has to give up its work.
    pub rebalance_timeout: Duration,
    /// The protocol type every member of the group shares; `consumer` keeps the group visible
    /// to Kafka's group tools.
    pub protocol_type: String,
    /// Where the member's requests say they come from (`client.id`).
    pub client_id: String,
}

impl MemberConfig {
    /// A dynamic member of `group_id` of protocol type `consumer`, with Kafka's default
    /// timeouts for it (45 s session, 5 min rebalance).
    pub fn consumer(group_id: &str) -> Self {
        MemberConfig {
            group_id: group_id.to_string(),
            instance_id: None,
            session_timeout: Duration::from_secs(45),
            rebalance_timeout: Duration::from_secs(300),
            protocol_type: "consumer".to_string(),
            client_id: "spate".to_string(),
        }
    }
}

/// One protocol (assignor) a member offers, with its subscription metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupProtocol {
    /// The protocol's name (for consumers, the assignor's name).
    pub name: String,
    /// The member's metadata for it (for consumers, a `ConsumerProtocolSubscription`).
    pub metadata: Bytes,
}

/// A member as the leader learns it from JoinGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMember {
    /// Its member id (the key of its assignment).
    pub member_id: String,
    /// Its static instance id, if it has one.
    pub instance_id: Option<String>,
    /// Its metadata for the chosen protocol.
    pub metadata: Bytes,
}

/// A completed JoinGroup: this member is in `generation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The generation the rebalance made.
    pub generation: i32,
    /// This member's id in it.
    pub member_id: String,
    /// The leader's member id.
    pub leader: String,
    /// The protocol the coordinator chose (one every member offered).
    pub protocol: String,
    /// Every member with its metadata, for the leader only (empty for the others).
    pub members: Vec<JoinedMember>,
}

impl Joined {
    /// Whether this member leads the generation (and must compute the assignment).
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader
    }
}

/// What a SyncGroup ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    /// The member's assignment in the generation it joined.
    Assigned(Bytes),
    /// The generation was superseded before it synced: join again.
    Rejoin,
}

/// What a heartbeat learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeat {
    /// The generation goes on.
    Stable,
    /// A rebalance started: give up the assignment, then join again.
    Rebalance,
    /// The member is no longer in the group (its session expired, or a newer generation
    /// formed without it): its assignment is someone else's already; join again.
    Lost,
}

/// One member of a group (see the module docs).
#[derive(Debug)]
pub struct GroupMember {
    config: MemberConfig,
    bootstrap: String,
    security: ClientSecurity,
    timeout: Duration,
    coordinator: Option<BrokerConnection>,
    member_id: String,
    generation: i32,
    protocol: Option<String>,
}

impl GroupMember {
    /// A member of `config.group_id` that finds its coordinator through `bootstrap` (a
    /// comma-separated list) when it first needs it. `timeout` bounds every call that is not
    /// waiting for a rebalance.
    pub fn new(bootstrap: &str, security: ClientSecurity, config: MemberConfig, timeout: Duration) -> Self {
        GroupMember {
            config,
            bootstrap: bootstrap.to_string(),
            security,
            timeout,
            coordinator: None,
            member_id: String::new(),
            generation: -1,
            protocol: None,
        }
    }

    /// The member id the coordinator gave (empty before the first join).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The generation of the last completed join (-1 before it).
    pub fn generation(&self) -> i32 {
        self.generation
    }

    /// The member's configuration.
    pub fn config(&self) -> &MemberConfig {
        &self.config
    }

    /// Joins the group offering `protocols` and waits until the rebalance completes.
    pub fn join(&mut self, protocols: &[GroupProtocol]) -> Result<Joined, ClientError> {
        let wait = self.config.rebalance_timeout;
        let deadline = Instant::now() + wait + self.timeout;
        loop {
            let req = JoinGroupRequest::default()
                .with_group_id(GroupId(str_bytes(&self.config.group_id)))
                .with_session_timeout_ms(millis(self.config.session_timeout))
                .with_rebalance_timeout_ms(millis(self.config.rebalance_timeout))
                .with_member_id(str_bytes(&self.member_id))
                .with_group_instance_id(self.config.instance_id.as_deref().map(str_bytes))
                .with_protocol_type(str_bytes(&self.config.protocol_type))
                .with_protocols(
                    protocols
                        .iter()
                        .map(|p| {
                            JoinGroupRequestProtocol::default()
                                .with_name(str_bytes(&p.name))
                                .with_metadata(p.metadata.clone())
                        })
                        .collect(),
                );
            let resp = self.on_coordinator(deadline, |c| {
                let version = c.require(ApiKey::JoinGroup, (5, 9))?;
                c.call_waiting(&req, version, wait)
            })?;
            let error = ResponseError::try_from_code(resp.error_code);
            match error {
                None => {
                    self.member_id = resp.member_id.to_string();
                    self.generation = resp.generation_id;
                    let protocol = resp.protocol_name.map(|p| p.to_string()).unwrap_or_default();
                    self.protocol = Some(protocol.clone());
                    return Ok(Joined {
                        generation: resp.generation_id,
                        member_id: resp.member_id.to_string(),
                        leader: resp.leader.to_string(),
                        protocol,
                        members: resp
                            .members
                            .into_iter()
                            .map(|m| JoinedMember {
                                member_id: m.member_id.to_string(),
                                instance_id: m.group_instance_id.map(|i| i.to_string()),
                                metadata: m.metadata,
                            })
                            .collect(),
                    });
                }
                // KIP-394: a new dynamic member gets its id in an error and joins again with it.
                Some(ResponseError::MemberIdRequired) => self.member_id = resp.member_id.to_string(),
                Some(ResponseError::UnknownMemberId) => self.member_id.clear(),
                Some(ResponseError::RebalanceInProgress) => {}
                Some(_) => {
                    check(resp.error_code, &self.what("JoinGroup"))?;
                }
            }
            if Instant::now() >= deadline {
                return Err(ClientError::Unreachable(format!(
                    "{}: no generation formed within {wait:?}",
                    self.what("JoinGroup")
                )));
            }
        }
    }

    /// Syncs the generation `joined` formed: the leader hands every member's assignment in
    /// (`assignments`, by member id), the others hand none and wait for theirs.
    pub fn sync(
        &mut self,
        joined: &Joined,
        assignments: Vec<(String, Bytes)>,
    ) -> Result<Synced, ClientError> {
        let wait = self.config.rebalance_timeout;
        let deadline = Instant::now() + wait + self.timeout;
        let req = SyncGroupRequest::default()
            .with_group_id(GroupId(str_bytes(&self.config.group_id)))
            .with_generation_id(joined.generation)
            .with_member_id(str_bytes(&joined.member_id))
            .with_group_instance_id(self.config.instance_id.as_deref().map(str_bytes))
            .with_protocol_type(Some(str_bytes(&self.config.protocol_type)))
            .with_protocol_name(Some(str_bytes(&joined.protocol)))
            .with_assignments(
                assignments
                    .into_iter()
                    .map(|(member, assignment)| {
                        SyncGroupRequestAssignment::default()
                            .with_member_id(str_bytes(&member))
                            .with_assignment(assignment)
                    })
                    .collect(),
            );
        let resp = self.on_coordinator(deadline, |c| {
            let version = c.require(ApiKey::SyncGroup, (3, 5))?;
            c.call_waiting(&req, version, wait)
        })?;
        match ResponseError::try_from_code(resp.error_code) {
            None => Ok(Synced::Assigned(resp.assignment)),
            Some(ResponseError::RebalanceInProgress | ResponseError::IllegalGeneration) => Ok(Synced::Rejoin),
            Some(ResponseError::UnknownMemberId) => {
                self.member_id.clear();
                Ok(Synced::Rejoin)
            }
            Some(_) => check(resp.error_code, &self.what("SyncGroup")).map(|()| Synced::Rejoin),
        }
    }

    /// Tells the coordinator the member is alive; call it well within the session timeout
    /// (Kafka's default interval is a third of it).
    pub fn heartbeat(&mut self) -> Result<Heartbeat, ClientError> {
        let deadline = Instant::now() + self.timeout;
        let req = HeartbeatRequest::default()
            .with_group_id(GroupId(str_bytes(&self.config.group_id)))
            .with_generation_id(self.generation)
            .with_member_id(str_bytes(&self.member_id))
            .with_group_instance_id(self.config.instance_id.as_deref().map(str_bytes));
        let resp = self.on_coordinator(deadline, |c| {
            let version = c.require(ApiKey::Heartbeat, (3, 4))?;
            c.call(&req, version)
        })?;
        match ResponseError::try_from_code(resp.error_code) {
            None => Ok(Heartbeat::Stable),
            Some(ResponseError::RebalanceInProgress) => Ok(Heartbeat::Rebalance),
            Some(ResponseError::IllegalGeneration) => Ok(Heartbeat::Lost),
            Some(ResponseError::UnknownMemberId) => {
                self.member_id.clear();
                Ok(Heartbeat::Lost)
            }
            Some(_) => check(resp.error_code, &self.what("Heartbeat")).map(|()| Heartbeat::Lost),
        }
    }

    /// Leaves the group now, so the others rebalance without waiting for the session to
    /// expire. A static member that will come back should not leave (its return within the
    /// session timeout costs no rebalance); Kafka's clients do not either.
    pub fn leave(&mut self) -> Result<(), ClientError> {
        if self.member_id.is_empty() {
            return Ok(());
        }
        let deadline = Instant::now() + self.timeout;
        let req = LeaveGroupRequest::default()
            .with_group_id(GroupId(str_bytes(&self.config.group_id)))
            .with_members(vec![
                MemberIdentity::default()
                    .with_member_id(str_bytes(&self.member_id))
                    .with_group_instance_id(self.config.instance_id.as_deref().map(str_bytes))
                    .with_reason(Some(StrBytes::from_static_str("the member is shutting down"))),
            ]);
        let resp = self.on_coordinator(deadline, |c| {
            let version = c.require(ApiKey::LeaveGroup, (3, 5))?;
            c.call(&req, version)
        })?;
        self.member_id.clear();
        self.generation = -1;
        check(resp.error_code, &self.what("LeaveGroup"))?;
        for m in &resp.members {
            match ResponseError::try_from_code(m.error_code) {
                None | Some(ResponseError::UnknownMemberId) => {}
                Some(_) => check(m.error_code, &self.what("LeaveGroup"))?,
            }
        }
        Ok(())
    }

    /// `call` on the group's coordinator, finding it (again) when it moved or the connection
    /// broke, until `deadline`.
    fn on_coordinator<T>(
        &mut self,
        deadline: Instant,
        mut call: impl FnMut(&mut BrokerConnection) -> Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        loop {
            let result = match self.coordinator.as_mut() {
                Some(c) => call(c),
                None => self.find_coordinator().and_then(|mut c| {
                    let r = call(&mut c);
                    self.coordinator = Some(c);
                    r
                }),
            };
            let retry = match &result {
                Err(ClientError::Unreachable(_)) => true,
                Err(ClientError::Code { code, .. }) => is_coordinator_error(*code),
                _ => false,
            };
            if !retry || Instant::now() >= deadline {
                return result;
            }
            self.coordinator = None;
            std::thread::sleep(COORDINATOR_RETRY_BACKOFF);
        }
    }

    fn find_coordinator(&self) -> Result<BrokerConnection, ClientError> {
        BrokerConnection::connect_group_coordinator(
            &self.bootstrap,
            &self.config.group_id,
            self.timeout,
            &self.security,
        )
    }

    fn what(&self, request: &str) -> String {
        format!("{request}(group {})", self.config.group_id)
    }
}
