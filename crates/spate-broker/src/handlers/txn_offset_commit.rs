//! TxnOffsetCommit: offsets staged in the transaction, applied to the group when it commits.

use kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafka_protocol::messages::{TxnOffsetCommitRequest, TxnOffsetCommitResponse};

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::groups::MemberRequest;
use crate::state::BrokerState;
use crate::txn::{StagedOffset, fenced_for_version};
use kafka_protocol::ResponseError;

pub(crate) fn handle(
    state: &BrokerState,
    caller: &Caller,
    req: TxnOffsetCommitRequest,
    version: i16,
) -> TxnOffsetCommitResponse {
    let group = req.group_id.0.to_string();
    // WRITE on the transactional id, READ on the group (each for the whole request), READ on
    // each topic; nothing is staged unless all of it is allowed.
    let refused = if !state.authorizer.allows(
        caller,
        Operation::Write,
        Resource::transactional_id(req.transactional_id.0.as_str()),
    ) {
        Some(ResponseError::TransactionalIdAuthorizationFailed)
    } else if !state
        .authorizer
        .allows(caller, Operation::Read, Resource::group(&group))
    {
        Some(ResponseError::GroupAuthorizationFailed)
    } else {
        None
    };
    let denied_topics: Vec<String> = match refused {
        Some(_) => Vec::new(),
        None => req
            .topics
            .iter()
            .map(|t| t.name.0.to_string())
            .filter(|t| {
                !state
                    .authorizer
                    .allows(caller, Operation::Read, Resource::topic(t))
            })
            .collect(),
    };
    let offsets: Vec<StagedOffset> = req
        .topics
        .iter()
        .flat_map(|t| {
            let group = &group;
            t.partitions.iter().map(move |p| StagedOffset {
                group: group.clone(),
                topic: t.name.0.to_string(),
                partition: p.partition_index,
                offset: p.committed_offset,
                leader_epoch: p.committed_leader_epoch,
                metadata: p.committed_metadata.as_ref().map(|m| m.to_string()),
            })
        })
        .collect();
    // Membership is checked as Kafka checks it from v3 on (the request carries the group's
    // generation, member id and instance id only from then; older versions send defaults,
    // which pass as "no group management").
    let membership_error = match refused {
        None if denied_topics.is_empty() => state.groups.check_txn_commit(&MemberRequest {
            group: group.clone(),
            member_id: req.member_id.as_str().to_string(),
            instance_id: req.group_instance_id.as_ref().map(|i| i.as_str().to_string()),
            generation: req.generation_id,
        }),
        _ => None,
    };
    let code = if let Some(refusal) = refused {
        refusal.code()
    } else if !denied_topics.is_empty() {
        ResponseError::OperationNotAttempted.code()
    } else if let Some(e) = membership_error {
        e.code()
    } else {
        let result = state.txn.stage_offsets(
            req.transactional_id.0.as_str(),
            req.producer_id.0,
            req.producer_epoch,
            &group,
            offsets,
        );
        result
            .err()
            .map_or(0, |e| fenced_for_version(e, version, 3).code())
    };
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let code = if denied_topics.iter().any(|d| d.as_str() == t.name.0.as_str()) {
                ResponseError::TopicAuthorizationFailed.code()
            } else {
                code
            };
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    TxnOffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code)
                })
                .collect();
            TxnOffsetCommitResponseTopic::default()
                .with_name(t.name)
                .with_partitions(partitions)
        })
        .collect();
    TxnOffsetCommitResponse::default().with_topics(topics)
}
