//! OffsetCommit, OffsetFetch and OffsetDelete.

use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{
    ConsumerProtocolSubscription, OffsetCommitRequest, OffsetCommitResponse, OffsetDeleteRequest,
    OffsetDeleteResponse, OffsetFetchRequest, OffsetFetchResponse, ResponseKind, TopicName,
};
use kafka_protocol::protocol::{Decodable, StrBytes};

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::clock::now_ms;
use crate::codec::{self, RequestContext};
use crate::groups::MemberRequest;
use crate::groups::records::CommittedOffset;
use crate::reply::{self, Dispatched};
use crate::state::BrokerState;

pub(crate) fn commit(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: OffsetCommitRequest,
    ctx: RequestContext,
) -> Dispatched {
    let group = req.group_id.0.as_str().to_string();
    let group_denied = !state
        .authorizer
        .allows(caller, Operation::Read, Resource::group(&group));
    let who = MemberRequest {
        group: group.clone(),
        member_id: req.member_id.as_str().to_string(),
        instance_id: req.group_instance_id.as_ref().map(|i| i.as_str().to_string()),
        generation: req.generation_id_or_member_epoch,
    };
    let membership_error = state.groups.check_commit(&who);
    let now = now_ms();
    // Per partition: Some(error) decided here, or None = to be stored.
    let mut decided: Vec<(usize, i32, Option<ResponseError>)> = Vec::new();
    let mut entries = Vec::new();
    for (ti, t) in req.topics.iter().enumerate() {
        let topic = state.store.topic(t.name.0.as_str());
        let topic_denied = !group_denied
            && !state
                .authorizer
                .allows(caller, Operation::Read, Resource::topic(t.name.0.as_str()));
        for p in &t.partitions {
            let known = topic.as_ref().is_some_and(|tp| {
                p.partition_index >= 0 && (p.partition_index as usize) < tp.partitions.len()
            });
            let error = if group_denied {
                Some(ResponseError::GroupAuthorizationFailed)
            } else if topic_denied {
                Some(ResponseError::TopicAuthorizationFailed)
            } else {
                membership_error.or(if known {
                    None
                } else {
                    Some(ResponseError::UnknownTopicOrPartition)
                })
            };
            if error.is_none() {
                entries.push((
                    t.name.0.as_str().to_string(),
                    p.partition_index,
                    CommittedOffset {
                        offset: p.committed_offset,
                        leader_epoch: if ctx.version >= 6 {
                            p.committed_leader_epoch
                        } else {
                            -1
                        },
                        metadata: p.committed_metadata.as_ref().map(|m| m.as_str().to_string()),
                        commit_timestamp: now,
                    },
                ));
            }
            decided.push((ti, p.partition_index, error));
        }
    }
    let stored = if entries.is_empty() {
        Ok(None)
    } else {
        state.groups.commit_offsets(&group, entries).map(Some)
    };
    let (partition, store_errors) = match stored {
        Ok(Some((partition, errors))) => (Some(partition), errors),
        Ok(None) => (None, Vec::new()),
        Err(e) => {
            tracing::error!(%group, "offset commit failed: {e}");
            (None, vec![Some(ResponseError::KafkaStorageError); decided.len()])
        }
    };
    let mut store_errors = store_errors.into_iter();
    let mut topics: Vec<OffsetCommitResponseTopic> = req
        .topics
        .iter()
        .map(|t| OffsetCommitResponseTopic::default().with_name(t.name.clone()))
        .collect();
    for (ti, partition_index, error) in decided {
        let error = error.or_else(|| store_errors.next().flatten());
        topics[ti].partitions.push(
            OffsetCommitResponsePartition::default()
                .with_partition_index(partition_index)
                .with_error_code(error.map_or(0, |e| e.code())),
        );
    }
    let response = OffsetCommitResponse::default().with_topics(topics);
    let Some(partition) = partition else {
        return reply::encode(ctx, ResponseKind::OffsetCommit(response), 256);
    };
    // Acknowledge a commit only once it is on stable storage.
    let state = state.clone();
    Dispatched::Deferred(Box::pin(async move {
        let mut response = response;
        let synced = state.syncer.sync(vec![partition]).await;
        if synced.iter().any(Option::is_some) {
            for t in &mut response.topics {
                for p in &mut t.partitions {
                    if p.error_code == 0 {
                        p.error_code = ResponseError::KafkaStorageError.code();
                    }
                }
            }
        }
        codec::encode_frame(ctx, ResponseKind::OffsetCommit(response), 256)
    }))
}

/// (offset, leader epoch, metadata) of a partition, -1 when nothing is committed.
fn fetch_one(state: &BrokerState, group: &str, topic: &str, partition: i32) -> (i64, i32, Option<StrBytes>) {
    match state.groups.committed(group, topic, partition) {
        Some(c) => (
            c.offset,
            c.leader_epoch,
            Some(StrBytes::from_string(c.metadata.unwrap_or_default())),
        ),
        None => (-1, -1, Some(StrBytes::from_static_str(""))),
    }
}

/// One partition's committed offset and error code for OffsetFetch. With `require_stable`
/// (v7+, KIP-447), an offset an open or deciding transaction has staged for the partition is
/// unstable: `UNSTABLE_OFFSET_COMMIT`, and the client asks again once the transaction ended,
/// so a task taking over a partition never starts from a position its previous owner is about
/// to move.
fn fetch_partition(
    state: &BrokerState,
    group: &str,
    topic: &str,
    partition: i32,
    allowed: bool,
    require_stable: bool,
) -> ((i64, i32, Option<StrBytes>), i16) {
    if !allowed {
        return (TOPIC_DENIED, ResponseError::TopicAuthorizationFailed.code());
    }
    if require_stable && state.txn.has_pending_offset(group, topic, partition) {
        return (
            (-1, -1, Some(StrBytes::from_static_str(""))),
            ResponseError::UnstableOffsetCommit.code(),
        );
    }
    (fetch_one(state, group, topic, partition), 0)
}

/// Requested (topic, partitions, may describe) of one group, or every committed partition of
/// the topics the caller may describe when `None`.
fn requested(
    state: &BrokerState,
    caller: &Caller,
    group: &str,
    topics: Option<Vec<(TopicName, Vec<i32>)>>,
) -> Vec<(TopicName, Vec<i32>, bool)> {
    let may_describe = |topic: &str| {
        state
            .authorizer
            .allows(caller, Operation::Describe, Resource::topic(topic))
    };
    match topics {
        Some(t) => t
            .into_iter()
            .map(|(name, parts)| {
                let allowed = may_describe(name.0.as_str());
                (name, parts, allowed)
            })
            .collect(),
        None => {
            let mut out: Vec<(TopicName, Vec<i32>)> = Vec::new();
            for ((topic, partition), _) in state.groups.all_committed(group) {
                match out.last_mut() {
                    Some((name, parts)) if name.0.as_str() == topic => parts.push(partition),
                    _ => out.push((TopicName(StrBytes::from_string(topic)), vec![partition])),
                }
            }
            out.into_iter()
                .filter(|(name, _)| {
                    state
                        .authorizer
                        .filters_in(caller, Operation::Describe, Resource::topic(name.0.as_str()))
                })
                .map(|(name, parts)| (name, parts, true))
                .collect()
        }
    }
}

const TOPIC_DENIED: (i64, i32, Option<StrBytes>) = (-1, -1, None);

pub(crate) fn fetch(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: OffsetFetchRequest,
    version: i16,
) -> OffsetFetchResponse {
    let group_denied = |group: &str| {
        !state
            .authorizer
            .allows(caller, Operation::Describe, Resource::group(group))
    };
    let require_stable = version >= 7 && req.require_stable;
    if version >= 8 {
        let groups = req
            .groups
            .into_iter()
            .map(|g| {
                let group = g.group_id.0.as_str().to_string();
                if group_denied(&group) {
                    return OffsetFetchResponseGroup::default()
                        .with_group_id(g.group_id)
                        .with_error_code(ResponseError::GroupAuthorizationFailed.code());
                }
                let wanted = g
                    .topics
                    .map(|ts| ts.into_iter().map(|t| (t.name, t.partition_indexes)).collect());
                let topics = requested(state, caller, &group, wanted)
                    .into_iter()
                    .map(|(name, parts, allowed)| {
                        let partitions = parts
                            .into_iter()
                            .map(|p| {
                                let ((offset, epoch, metadata), code) = fetch_partition(
                                    state,
                                    &group,
                                    name.0.as_str(),
                                    p,
                                    allowed,
                                    require_stable,
                                );
                                OffsetFetchResponsePartitions::default()
                                    .with_partition_index(p)
                                    .with_committed_offset(offset)
                                    .with_committed_leader_epoch(epoch)
                                    .with_metadata(metadata)
                                    .with_error_code(code)
                            })
                            .collect();
                        OffsetFetchResponseTopics::default()
                            .with_name(name)
                            .with_partitions(partitions)
                    })
                    .collect();
                OffsetFetchResponseGroup::default()
                    .with_group_id(g.group_id)
                    .with_topics(topics)
            })
            .collect();
        return OffsetFetchResponse::default().with_groups(groups);
    }
    let group = req.group_id.0.as_str().to_string();
    let denied = group_denied(&group);
    if denied && version >= 2 {
        return OffsetFetchResponse::default()
            .with_error_code(ResponseError::GroupAuthorizationFailed.code());
    }
    if denied {
        // Version 1 (the oldest served) has no top-level error: as Kafka does, every requested
        // partition carries it (v1 always names its topics).
        let code = ResponseError::GroupAuthorizationFailed.code();
        let topics = req
            .topics
            .unwrap_or_default()
            .into_iter()
            .map(|t| {
                let partitions = t
                    .partition_indexes
                    .into_iter()
                    .map(|p| {
                        OffsetFetchResponsePartition::default()
                            .with_partition_index(p)
                            .with_committed_offset(-1)
                            .with_metadata(Some(StrBytes::default()))
                            .with_error_code(code)
                    })
                    .collect();
                OffsetFetchResponseTopic::default()
                    .with_name(t.name)
                    .with_partitions(partitions)
            })
            .collect();
        return OffsetFetchResponse::default().with_topics(topics);
    }
    let wanted = req
        .topics
        .map(|ts| ts.into_iter().map(|t| (t.name, t.partition_indexes)).collect());
    let topics = requested(state, caller, &group, wanted)
        .into_iter()
        .map(|(name, parts, allowed)| {
            let partitions = parts
                .into_iter()
                .map(|p| {
                    let ((offset, epoch, metadata), code) =
                        fetch_partition(state, &group, name.0.as_str(), p, allowed, require_stable);
                    let mut r = OffsetFetchResponsePartition::default()
                        .with_partition_index(p)
                        .with_committed_offset(offset)
                        .with_metadata(metadata)
                        .with_error_code(code);
                    if version >= 5 {
                        r.committed_leader_epoch = epoch;
                    }
                    r
                })
                .collect();
            OffsetFetchResponseTopic::default()
                .with_name(name)
                .with_partitions(partitions)
        })
        .collect();
    OffsetFetchResponse::default().with_topics(topics)
}

/// Topics a consumer-protocol member subscribes to (empty when the metadata is not that format).
fn subscribed_topics(metadata: &bytes::Bytes) -> Vec<String> {
    let mut buf = metadata.clone();
    if buf.len() < 2 {
        return Vec::new();
    }
    let version = i16::from_be_bytes([buf[0], buf[1]]);
    let _ = bytes::Buf::get_i16(&mut buf);
    ConsumerProtocolSubscription::decode(&mut buf, version.clamp(0, 3))
        .map(|s| s.topics.into_iter().map(|t| t.as_str().to_string()).collect())
        .unwrap_or_default()
}

pub(crate) fn delete(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: OffsetDeleteRequest,
) -> OffsetDeleteResponse {
    let group = req.group_id.0.as_str();
    if !state
        .authorizer
        .allows(caller, Operation::Delete, Resource::group(group))
    {
        return OffsetDeleteResponse::default()
            .with_error_code(ResponseError::GroupAuthorizationFailed.code());
    }
    let readable: Vec<bool> = req
        .topics
        .iter()
        .map(|t| {
            state
                .authorizer
                .allows(caller, Operation::Read, Resource::topic(t.name.0.as_str()))
        })
        .collect();
    let partitions: Vec<(String, i32)> = req
        .topics
        .iter()
        .zip(&readable)
        .filter(|(_, readable)| **readable)
        .flat_map(|(t, _)| {
            t.partitions
                .iter()
                .map(|p| (t.name.0.as_str().to_string(), p.partition_index))
        })
        .collect();
    match state.groups.delete_offsets(group, &partitions, subscribed_topics) {
        Ok(Ok(errors)) => {
            let mut errors = errors.into_iter();
            let topics = req
                .topics
                .into_iter()
                .zip(readable)
                .map(|(t, readable)| {
                    let partitions = t
                        .partitions
                        .iter()
                        .map(|p| {
                            let code = if readable {
                                errors.next().flatten().map_or(0, |e| e.code())
                            } else {
                                ResponseError::TopicAuthorizationFailed.code()
                            };
                            OffsetDeleteResponsePartition::default()
                                .with_partition_index(p.partition_index)
                                .with_error_code(code)
                        })
                        .collect();
                    OffsetDeleteResponseTopic::default()
                        .with_name(t.name)
                        .with_partitions(partitions)
                })
                .collect();
            OffsetDeleteResponse::default().with_topics(topics)
        }
        Ok(Err(e)) => OffsetDeleteResponse::default().with_error_code(e.code()),
        Err(e) => {
            tracing::error!(%group, "offset delete failed: {e}");
            OffsetDeleteResponse::default().with_error_code(ResponseError::KafkaStorageError.code())
        }
    }
}
