//! Requests that one authorization decides as a whole (Kafka's rules): the group membership
//! calls need READ on the group, EndTxn and AddOffsetsToTxn WRITE on the transactional id (and
//! the latter READ on the group), InitProducerId WRITE on its transactional id or, for an
//! idempotent producer, IDEMPOTENT_WRITE on the cluster or WRITE on some topic. A refusal is
//! the API's own error response; the handler never runs.
//!
//! Requests with many resources (Produce, Fetch, Metadata, ...) are checked per resource in
//! their handlers, so the allowed part still succeeds.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::{
    AddOffsetsToTxnResponse, EndTxnResponse, HeartbeatResponse, InitProducerIdResponse, JoinGroupResponse,
    LeaveGroupResponse, ProducerId, RequestKind, ResponseKind, SyncGroupResponse,
};
use kafka_protocol::protocol::StrBytes;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource, ResourceType};
use crate::state::BrokerState;

/// The refusal to answer `request` with, or `None` when the caller may send it.
pub(crate) fn refusal(state: &BrokerState, caller: &Caller, request: &RequestKind) -> Option<ResponseKind> {
    let authz = &state.authorizer;
    if !authz.enabled() {
        return None;
    }
    let may_read_group = |group: &str| authz.allows(caller, Operation::Read, Resource::group(group));
    let may_write_id = |id: &str| authz.allows(caller, Operation::Write, Resource::transactional_id(id));
    let group_refused = ResponseError::GroupAuthorizationFailed.code();
    let id_refused = ResponseError::TransactionalIdAuthorizationFailed.code();
    match request {
        RequestKind::JoinGroup(r) if !may_read_group(r.group_id.0.as_str()) => Some(ResponseKind::JoinGroup(
            JoinGroupResponse::default()
                .with_error_code(group_refused)
                .with_generation_id(-1)
                .with_protocol_name(Some(StrBytes::from_static_str(""))),
        )),
        RequestKind::SyncGroup(r) if !may_read_group(r.group_id.0.as_str()) => Some(ResponseKind::SyncGroup(
            SyncGroupResponse::default().with_error_code(group_refused),
        )),
        RequestKind::Heartbeat(r) if !may_read_group(r.group_id.0.as_str()) => Some(ResponseKind::Heartbeat(
            HeartbeatResponse::default().with_error_code(group_refused),
        )),
        RequestKind::LeaveGroup(r) if !may_read_group(r.group_id.0.as_str()) => Some(
            ResponseKind::LeaveGroup(LeaveGroupResponse::default().with_error_code(group_refused)),
        ),
        RequestKind::EndTxn(r) if !may_write_id(r.transactional_id.0.as_str()) => Some(ResponseKind::EndTxn(
            EndTxnResponse::default().with_error_code(id_refused),
        )),
        RequestKind::AddOffsetsToTxn(r) => {
            let code = if !may_write_id(r.transactional_id.0.as_str()) {
                id_refused
            } else if !may_read_group(r.group_id.0.as_str()) {
                group_refused
            } else {
                return None;
            };
            Some(ResponseKind::AddOffsetsToTxn(
                AddOffsetsToTxnResponse::default().with_error_code(code),
            ))
        }
        RequestKind::InitProducerId(r) => {
            let code = match &r.transactional_id {
                Some(id) if !may_write_id(id.0.as_str()) => id_refused,
                Some(_) => return None,
                None if authz.filters_in(caller, Operation::IdempotentWrite, Resource::cluster())
                    || authz.allows_some(caller, Operation::Write, ResourceType::Topic) =>
                {
                    return None;
                }
                None => ResponseError::ClusterAuthorizationFailed.code(),
            };
            Some(ResponseKind::InitProducerId(
                InitProducerIdResponse::default()
                    .with_error_code(code)
                    .with_producer_id(ProducerId(-1))
                    .with_producer_epoch(-1),
            ))
        }
        _ => None,
    }
}
