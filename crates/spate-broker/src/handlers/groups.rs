//! JoinGroup, SyncGroup, Heartbeat, LeaveGroup, ListGroups, DescribeGroups, DeleteGroups.

use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{
    DeleteGroupsRequest, DeleteGroupsResponse, DescribeGroupsRequest, DescribeGroupsResponse, GroupId,
    HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
    LeaveGroupResponse, ListGroupsRequest, ListGroupsResponse, ResponseKind, SyncGroupRequest,
    SyncGroupResponse,
};
use kafka_protocol::protocol::StrBytes;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::codec::{self, RequestContext};
use crate::groups::coordinator::{JoinReply, JoinRequest, SyncReply};
use crate::groups::{JoinOutcome, MemberRequest, SyncOutcome};
use crate::reply::{self, Dispatched};
use crate::state::BrokerState;

fn s(v: impl Into<String>) -> StrBytes {
    StrBytes::from_string(v.into())
}

fn code(e: Option<ResponseError>) -> i16 {
    e.map_or(0, |e| e.code())
}

pub(crate) fn join(
    state: &Arc<BrokerState>,
    req: JoinGroupRequest,
    ctx: RequestContext,
    client_id: String,
    client_host: String,
) -> Dispatched {
    let version = ctx.version;
    let request = JoinRequest {
        who: MemberRequest {
            group: req.group_id.0.as_str().to_string(),
            member_id: req.member_id.as_str().to_string(),
            instance_id: req.group_instance_id.as_ref().map(|i| i.as_str().to_string()),
            generation: -1,
        },
        client_id,
        client_host,
        session_timeout_ms: req.session_timeout_ms,
        rebalance_timeout_ms: if version >= 1 {
            req.rebalance_timeout_ms
        } else {
            -1
        },
        protocol_type: req.protocol_type.as_str().to_string(),
        protocols: req
            .protocols
            .into_iter()
            .map(|p| (p.name.as_str().to_string(), p.metadata))
            .collect(),
        require_known_member_id: version >= 4,
    };
    match state.groups.join(request) {
        JoinReply::Now(outcome) => {
            reply::encode(ctx, ResponseKind::JoinGroup(join_response(outcome, version)), 512)
        }
        JoinReply::Wait(rx) => Dispatched::Deferred(Box::pin(async move {
            let outcome = rx
                .await
                .unwrap_or_else(|_| JoinOutcome::error(ResponseError::UnknownMemberId, String::new()));
            codec::encode_frame(
                ctx,
                ResponseKind::JoinGroup(join_response(outcome, version)),
                4096,
            )
        })),
    }
}

fn join_response(o: JoinOutcome, version: i16) -> JoinGroupResponse {
    let mut r = JoinGroupResponse::default()
        .with_error_code(code(o.error))
        .with_generation_id(o.generation)
        .with_protocol_name(Some(s(o.protocol.unwrap_or_default())))
        .with_leader(s(o.leader))
        .with_member_id(s(o.member_id))
        .with_members(
            o.members
                .into_iter()
                .map(|(id, instance, metadata)| {
                    let mut m = JoinGroupResponseMember::default()
                        .with_member_id(s(id))
                        .with_metadata(metadata);
                    if version >= 5 {
                        m.group_instance_id = instance.map(s);
                    }
                    m
                })
                .collect(),
        );
    if version >= 7 {
        r.protocol_type = o.protocol_type.map(s);
    }
    r
}

fn member_request(
    group: &GroupId,
    member_id: &StrBytes,
    instance: &Option<StrBytes>,
    generation: i32,
) -> MemberRequest {
    MemberRequest {
        group: group.0.as_str().to_string(),
        member_id: member_id.as_str().to_string(),
        instance_id: instance.as_ref().map(|i| i.as_str().to_string()),
        generation,
    }
}

pub(crate) fn sync(state: &Arc<BrokerState>, req: SyncGroupRequest, ctx: RequestContext) -> Dispatched {
    let who = member_request(
        &req.group_id,
        &req.member_id,
        &req.group_instance_id,
        req.generation_id,
    );
    let assignments = req
        .assignments
        .into_iter()
        .map(|a| (a.member_id.as_str().to_string(), a.assignment))
        .collect();
    let version = ctx.version;
    let reply = state.groups.sync(
        &who,
        req.protocol_type.as_ref().map(|p| p.as_str()),
        req.protocol_name.as_ref().map(|p| p.as_str()),
        assignments,
    );
    match reply {
        SyncReply::Now(outcome) => {
            reply::encode(ctx, ResponseKind::SyncGroup(sync_response(outcome, version)), 512)
        }
        SyncReply::Wait(rx) => Dispatched::Deferred(Box::pin(async move {
            let outcome = rx.await.unwrap_or(Err(ResponseError::RebalanceInProgress));
            codec::encode_frame(
                ctx,
                ResponseKind::SyncGroup(sync_response(outcome, version)),
                1024,
            )
        })),
    }
}

fn sync_response(outcome: SyncOutcome, version: i16) -> SyncGroupResponse {
    match outcome {
        Ok((protocol_type, protocol, assignment)) => {
            let mut r = SyncGroupResponse::default().with_assignment(assignment);
            if version >= 5 {
                r.protocol_type = protocol_type.map(s);
                r.protocol_name = protocol.map(s);
            }
            r
        }
        Err(e) => SyncGroupResponse::default().with_error_code(e.code()),
    }
}

pub(crate) fn heartbeat(state: &Arc<BrokerState>, req: HeartbeatRequest) -> HeartbeatResponse {
    let who = member_request(
        &req.group_id,
        &req.member_id,
        &req.group_instance_id,
        req.generation_id,
    );
    HeartbeatResponse::default().with_error_code(code(state.groups.heartbeat(&who)))
}

pub(crate) fn leave(state: &Arc<BrokerState>, req: LeaveGroupRequest, version: i16) -> LeaveGroupResponse {
    let group = req.group_id.0.as_str();
    if version < 3 {
        let errors = state
            .groups
            .leave(group, &[(req.member_id.as_str().to_string(), None)]);
        return LeaveGroupResponse::default().with_error_code(code(errors.into_iter().next().flatten()));
    }
    let members: Vec<(String, Option<String>)> = req
        .members
        .iter()
        .map(|m| {
            (
                m.member_id.as_str().to_string(),
                m.group_instance_id.as_ref().map(|i| i.as_str().to_string()),
            )
        })
        .collect();
    let errors = state.groups.leave(group, &members);
    let responses = req
        .members
        .into_iter()
        .zip(errors)
        .map(|(m, e)| {
            MemberResponse::default()
                .with_member_id(m.member_id)
                .with_group_instance_id(m.group_instance_id)
                .with_error_code(code(e))
        })
        .collect();
    LeaveGroupResponse::default().with_members(responses)
}

pub(crate) fn list(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: ListGroupsRequest,
    version: i16,
) -> ListGroupsResponse {
    // DESCRIBE on the cluster lists every group; otherwise those the caller may describe.
    let all = state
        .authorizer
        .filters_in(caller, Operation::Describe, Resource::cluster());
    let groups = state
        .groups
        .list()
        .into_iter()
        .filter(|(id, _, _)| {
            all || state
                .authorizer
                .filters_in(caller, Operation::Describe, Resource::group(id))
        })
        .filter(|(_, _, st)| {
            version < 4
                || req.states_filter.is_empty()
                || req
                    .states_filter
                    .iter()
                    .any(|f| f.as_str().eq_ignore_ascii_case(st))
        })
        .filter(|_| {
            version < 5
                || req.types_filter.is_empty()
                || req
                    .types_filter
                    .iter()
                    .any(|t| t.as_str().eq_ignore_ascii_case("classic"))
        })
        .map(|(id, protocol_type, st)| {
            let mut g = ListedGroup::default()
                .with_group_id(GroupId(s(id)))
                .with_protocol_type(s(protocol_type));
            if version >= 4 {
                g.group_state = s(st);
            }
            if version >= 5 {
                g.group_type = s("classic");
            }
            g
        })
        .collect();
    ListGroupsResponse::default().with_groups(groups)
}

pub(crate) fn describe(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: DescribeGroupsRequest,
    version: i16,
) -> DescribeGroupsResponse {
    let operations = version >= 3 && req.include_authorized_operations;
    let mut groups: Vec<DescribedGroup> = req
        .groups
        .into_iter()
        .map(|id| match state.groups.describe(id.0.as_str()) {
            _ if !state
                .authorizer
                .allows(caller, Operation::Describe, Resource::group(id.0.as_str())) =>
            {
                DescribedGroup::default()
                    .with_group_id(id)
                    .with_error_code(ResponseError::GroupAuthorizationFailed.code())
            }
            // Kafka describes an unknown group as Dead, without an error.
            None => DescribedGroup::default()
                .with_group_id(id)
                .with_group_state(s("Dead")),
            Some(d) => DescribedGroup::default()
                .with_group_id(id)
                .with_group_state(s(d.state))
                .with_protocol_type(s(d.protocol_type))
                .with_protocol_data(s(d.protocol))
                .with_members(
                    d.members
                        .into_iter()
                        .map(|m| {
                            let mut dm = DescribedGroupMember::default()
                                .with_member_id(s(m.member_id))
                                .with_client_id(s(m.client_id))
                                .with_client_host(s(m.client_host))
                                .with_member_metadata(m.metadata)
                                .with_member_assignment(m.assignment);
                            if version >= 4 {
                                dm.group_instance_id = m.instance_id.map(s);
                            }
                            dm
                        })
                        .collect(),
                ),
        })
        .collect();
    if operations {
        for g in groups.iter_mut().filter(|g| g.error_code == 0) {
            g.authorized_operations = state
                .authorizer
                .authorized_operations(caller, Resource::group(g.group_id.0.as_str()));
        }
    }
    DescribeGroupsResponse::default().with_groups(groups)
}

pub(crate) fn delete(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: DeleteGroupsRequest,
) -> DeleteGroupsResponse {
    let results = req
        .groups_names
        .into_iter()
        .map(|id| {
            let allowed = state
                .authorizer
                .allows(caller, Operation::Delete, Resource::group(id.0.as_str()));
            let deleted = if allowed {
                state.groups.delete_group(id.0.as_str())
            } else {
                Ok(Some(ResponseError::GroupAuthorizationFailed))
            };
            let error = match deleted {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!("deleting group {}: {e}", id.0.as_str());
                    Some(ResponseError::KafkaStorageError)
                }
            };
            DeletableGroupResult::default()
                .with_group_id(id)
                .with_error_code(code(error))
        })
        .collect();
    DeleteGroupsResponse::default().with_results(results)
}
