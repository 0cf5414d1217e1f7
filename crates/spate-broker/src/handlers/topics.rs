//! CreateTopics, DeleteTopics, CreatePartitions on a single-node cluster.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::create_topics_response::{CreatableTopicConfigs, CreatableTopicResult};
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{
    CreatePartitionsRequest, CreatePartitionsResponse, CreateTopicsRequest, CreateTopicsResponse,
    DeleteTopicsRequest, DeleteTopicsResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::error_codes::code_and_message;
use crate::groups::OFFSETS_TOPIC;
use crate::handlers::configs::topic_config_entries;
use crate::state::BrokerState;

fn err(code: ResponseError, message: impl Into<String>) -> (i16, Option<StrBytes>) {
    (code.code(), Some(StrBytes::from_string(message.into())))
}

pub(crate) fn create(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: CreateTopicsRequest,
    version: i16,
) -> CreateTopicsResponse {
    let node = state.config.node_id;
    // CREATE on the cluster covers every topic; otherwise CREATE on each topic (Kafka's order).
    let may_create_any = state
        .authorizer
        .filters_in(caller, Operation::Create, Resource::cluster());
    let topics = req
        .topics
        .into_iter()
        .map(|ct| {
            let name = ct.name.0.as_str().to_string();
            let mut result = CreatableTopicResult::default().with_name(ct.name.clone());
            let overrides: BTreeMap<String, String> = ct
                .configs
                .iter()
                .filter_map(|c| {
                    c.value
                        .as_ref()
                        .map(|v| (c.name.as_str().to_string(), v.as_str().to_string()))
                })
                .collect();
            let partitions = if !ct.assignments.is_empty() {
                ct.assignments.len() as i32
            } else if ct.num_partitions == -1 {
                state.config.default_partitions
            } else {
                ct.num_partitions
            };
            let checked = if !may_create_any
                && !state.authorizer.allows(caller, Operation::Create, Resource::topic(&name))
            {
                Err(err(
                    ResponseError::TopicAuthorizationFailed,
                    format!("{} may not create topic {name}", caller.principal),
                ))
            } else if !matches!(ct.replication_factor, -1 | 1) {
                Err(err(
                    ResponseError::InvalidReplicationFactor,
                    format!(
                        "replication factor {} is not possible on a single broker",
                        ct.replication_factor
                    ),
                ))
            } else if ct
                .assignments
                .iter()
                .any(|a| a.broker_ids.iter().any(|b| b.0 != node))
            {
                Err(err(
                    ResponseError::InvalidReplicaAssignment,
                    format!("only broker {node} exists"),
                ))
            } else if let Some(existing) = crate::internal_topics::colliding_topic(&state.store, &name) {
                Err(err(
                    ResponseError::InvalidTopicException,
                    format!("topic '{name}' collides with existing topic '{existing}' ('.' and '_' are treated alike)"),
                ))
            } else if let Err(message) = crate::file_limits::check_room_for(partitions.max(0) as u64) {
                Err(err(ResponseError::PolicyViolation, message))
            } else if req.validate_only {
                state
                    .store
                    .validate_new_topic(&name, partitions, &overrides)
                    .map(|()| None)
                    .map_err(|e| code_and_message(&e))
            } else {
                state
                    .store
                    .create_topic(&name, partitions, &overrides)
                    .map(Some)
                    .map_err(|e| code_and_message(&e))
            };
            match checked {
                Ok(created) => {
                    if version >= 5 {
                        result.num_partitions = partitions;
                        result.replication_factor = 1;
                        let config = match &created {
                            Some(t) => t.config.clone(),
                            None => state
                                .store
                                .default_log_config()
                                .with_overrides(&overrides)
                                .unwrap_or_else(|_| state.store.default_log_config().clone()),
                        };
                        result.configs = Some(
                            topic_config_entries(&config, &overrides)
                                .into_iter()
                                .map(|e| {
                                    CreatableTopicConfigs::default()
                                        .with_name(StrBytes::from_string(e.name.to_string()))
                                        .with_value(Some(StrBytes::from_string(e.value)))
                                        .with_config_source(e.source)
                                })
                                .collect(),
                        );
                    }
                    if let (true, Some(t)) = (version >= 7, created) {
                        result.topic_id = uuid::Uuid::from_bytes(t.id);
                    }
                }
                Err((code, message)) => {
                    result.error_code = code;
                    result.error_message = message;
                    if version >= 5 {
                        result.num_partitions = -1;
                        result.replication_factor = -1;
                    }
                }
            }
            result
        })
        .collect();
    CreateTopicsResponse::default().with_topics(topics)
}

pub(crate) fn delete(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: DeleteTopicsRequest,
    version: i16,
) -> DeleteTopicsResponse {
    // v6 names topics by name or id; earlier versions by name only.
    let wanted: Vec<(Option<String>, uuid::Uuid)> = if version >= 6 {
        req.topics
            .into_iter()
            .map(|t| (t.name.map(|n| n.0.as_str().to_string()), t.topic_id))
            .collect()
    } else {
        req.topic_names
            .into_iter()
            .map(|n| (Some(n.0.as_str().to_string()), uuid::Uuid::nil()))
            .collect()
    };
    let responses = wanted
        .into_iter()
        .map(|(name, id)| {
            let topic = match &name {
                Some(n) => state.store.topic(n),
                None => state.store.topic_by_id(id.as_bytes()),
            };
            let mut r = DeletableTopicResult::default();
            if version >= 6 {
                r.topic_id = topic.as_ref().map(|t| uuid::Uuid::from_bytes(t.id)).unwrap_or(id);
            }
            r.name = name
                .clone()
                .or_else(|| topic.as_ref().map(|t| t.name.clone()))
                .map(|n| TopicName(StrBytes::from_string(n)));
            let named = name.clone().or_else(|| topic.as_ref().map(|t| t.name.clone()));
            let denied = named.as_deref().is_some_and(|n| {
                !state
                    .authorizer
                    .allows(caller, Operation::Delete, Resource::topic(n))
            });
            let outcome = match topic {
                _ if denied => Err(err(
                    ResponseError::TopicAuthorizationFailed,
                    format!("{} may not delete this topic", caller.principal),
                )),
                None if name.is_none() => Err(err(ResponseError::UnknownTopicId, "unknown topic id")),
                None => Err(err(ResponseError::UnknownTopicOrPartition, "unknown topic")),
                Some(t) if t.name == OFFSETS_TOPIC => Err(err(
                    ResponseError::InvalidRequest,
                    format!(
                        "{OFFSETS_TOPIC} is an internal topic holding committed offsets; it cannot be deleted"
                    ),
                )),
                Some(t) => state
                    .store
                    .delete_topic(&t.name)
                    .map_err(|e| code_and_message(&e))
                    .and_then(|()| {
                        // Offsets of the deleted partitions go too (durably), or a topic
                        // recreated under the name would resume from the old positions.
                        state.groups.forget_topic(&t.name).map(|_| ()).map_err(|e| {
                            tracing::error!(topic = %t.name, "removing committed offsets: {e}");
                            err(
                                ResponseError::KafkaStorageError,
                                format!("topic deleted, but its committed offsets could not be removed: {e}"),
                            )
                        })
                    }),
            };
            if let Err((code, message)) = outcome {
                r.error_code = code;
                if version >= 5 {
                    r.error_message = message;
                }
            }
            r
        })
        .collect();
    DeleteTopicsResponse::default().with_responses(responses)
}

pub(crate) fn create_partitions(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    let node = state.config.node_id;
    let results = req
        .topics
        .into_iter()
        .map(|t| {
            let name = t.name.0.as_str().to_string();
            let mut r = CreatePartitionsTopicResult::default().with_name(t.name);
            let outcome = match state.store.topic(&name) {
                _ if !state
                    .authorizer
                    .allows(caller, Operation::Alter, Resource::topic(&name)) =>
                {
                    Err(err(
                        ResponseError::TopicAuthorizationFailed,
                        format!("{} may not alter topic {name}", caller.principal),
                    ))
                }
                None => Err(err(
                    ResponseError::UnknownTopicOrPartition,
                    format!("unknown topic {name}"),
                )),
                Some(_) if crate::internal_topics::is_internal(&name) => Err(err(
                    ResponseError::InvalidPartitions,
                    format!("{name} is an internal topic; its partition count is the broker's"),
                )),
                Some(_)
                    if t.assignments
                        .iter()
                        .flatten()
                        .any(|a| a.broker_ids.iter().any(|b| b.0 != node)) =>
                {
                    Err(err(
                        ResponseError::InvalidReplicaAssignment,
                        format!("only broker {node} exists"),
                    ))
                }
                Some(topic) if t.count <= topic.partitions.len() as i32 => Err(err(
                    ResponseError::InvalidPartitions,
                    format!(
                        "topic {name} has {} partitions; the count can only grow (asked for {})",
                        topic.partitions.len(),
                        t.count
                    ),
                )),
                Some(topic)
                    if let Err(message) = crate::file_limits::check_room_for(
                        (t.count as u64).saturating_sub(topic.partitions.len() as u64),
                    ) =>
                {
                    Err(err(ResponseError::PolicyViolation, message))
                }
                Some(_) if req.validate_only => Ok(()),
                Some(_) => state
                    .store
                    .create_partitions(&name, t.count)
                    .map(|_| ())
                    .map_err(|e| code_and_message(&e)),
            };
            if let Err((code, message)) = outcome {
                r.error_code = code;
                r.error_message = message;
            }
            r
        })
        .collect();
    CreatePartitionsResponse::default().with_results(results)
}
