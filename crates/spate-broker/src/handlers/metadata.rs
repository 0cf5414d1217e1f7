//! Metadata: the one broker, and topics (auto-created when allowed).
//!
//! Authorization as Kafka's: a listing of all topics leaves out those the caller may not
//! DESCRIBE; a topic asked for by name that it may not describe is TOPIC_AUTHORIZATION_FAILED
//! whether it exists or not (existence is not disclosed); auto-creation needs CREATE on the
//! cluster or on the topic.

use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use spate_log::Topic;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::error_codes::code_of;
use crate::listeners::BoundListener;
use crate::state::BrokerState;

/// Topics one Metadata request may auto-create. Creating a topic opens files and writes
/// metadata durably; a request naming thousands of unknown topics would otherwise stall the
/// connection's thread for seconds and eat file descriptors. The rest are answered
/// LEADER_NOT_AVAILABLE (retriable), so clients ask again and get them created then.
const MAX_AUTO_CREATE_PER_REQUEST: usize = 64;

/// This broker's node id and address as the listener a request came on advertises them:
/// clients must reconnect through that same listener. Metadata, DescribeCluster and
/// FindCoordinator all answer with it.
pub(crate) struct AdvertisedBroker {
    pub(crate) node: BrokerId,
    pub(crate) host: StrBytes,
    pub(crate) port: i32,
}

pub(crate) fn advertised_broker(state: &BrokerState, listener: &BoundListener) -> AdvertisedBroker {
    AdvertisedBroker {
        node: BrokerId(state.config.node_id),
        host: StrBytes::from_string(listener.advertised_host.clone()),
        port: i32::from(listener.advertised_port),
    }
}

/// Kafka's `cluster_authorized_operations` for a caller that asked for it: the bit field only
/// for a caller that may DESCRIBE the cluster, 0 otherwise (Metadata and DescribeCluster
/// answer the same).
pub(crate) fn cluster_authorized_operations(state: &BrokerState, caller: &Caller) -> i32 {
    let authorizer = &state.authorizer;
    if authorizer.allows(caller, Operation::Describe, Resource::cluster()) {
        authorizer.authorized_operations(caller, Resource::cluster())
    } else {
        0
    }
}

/// Describes the broker as the listener the request came on advertises it.
pub(crate) fn handle(
    state: &Arc<BrokerState>,
    caller: &Caller,
    listener: &BoundListener,
    req: MetadataRequest,
    version: i16,
) -> Result<MetadataResponse, String> {
    let advertised = advertised_broker(state, listener);
    let node = advertised.node;
    let broker = MetadataResponseBroker::default()
        .with_node_id(node)
        .with_host(advertised.host)
        .with_port(advertised.port);
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    let all = match &req.topics {
        None => true,
        Some(t) => version == 0 && t.is_empty(),
    };
    let auto_create = state.config.auto_create_topics && (version < 4 || req.allow_auto_topic_creation);
    let topic_operations = version >= 8 && req.include_topic_authorized_operations;
    let cluster_operations = (8..=10).contains(&version) && req.include_cluster_authorized_operations;
    let mut topics: Vec<MetadataResponseTopic> = if all {
        state
            .store
            .topics()
            .iter()
            .filter(|t| {
                state
                    .authorizer
                    .filters_in(caller, Operation::Describe, Resource::topic(&t.name))
            })
            .map(|t| describe_topic(t, node, version))
            .collect()
    } else {
        let mut auto_create_left = MAX_AUTO_CREATE_PER_REQUEST;
        req.topics
            .unwrap_or_default()
            .into_iter()
            .map(|wanted| {
                let by_name = wanted.name.as_ref().map(|n| n.0.as_str().to_string());
                let found = match &by_name {
                    Some(name) => state.store.topic(name),
                    None => state.store.topic_by_id(wanted.topic_id.as_bytes()),
                };
                let name_to_check = by_name.clone().or_else(|| found.as_ref().map(|t| t.name.clone()));
                if let Some(name) = &name_to_check
                    && !state
                        .authorizer
                        .allows(caller, Operation::Describe, Resource::topic(name))
                {
                    let shown = by_name.map(|n| TopicName(StrBytes::from_string(n)));
                    return MetadataResponseTopic::default()
                        .with_error_code(ResponseError::TopicAuthorizationFailed.code())
                        .with_name(shown)
                        .with_topic_id(wanted.topic_id);
                }
                match (found, by_name) {
                    (Some(t), _) => describe_topic(&t, node, version),
                    (None, Some(name))
                        if auto_create
                            && !state.authorizer.filters_in(
                                caller,
                                Operation::Create,
                                Resource::cluster(),
                            )
                            && !state.authorizer.allows(
                                caller,
                                Operation::Create,
                                Resource::topic(&name),
                            ) =>
                    {
                        missing(Some(name), ResponseError::TopicAuthorizationFailed)
                    }
                    (None, Some(name)) if auto_create && auto_create_left == 0 => {
                        missing(Some(name), ResponseError::LeaderNotAvailable)
                    }
                    (None, Some(name)) if auto_create => {
                        auto_create_left -= 1;
                        if crate::internal_topics::colliding_topic(&state.store, &name).is_some() {
                            return missing(Some(name), ResponseError::InvalidTopicException);
                        }
                        if let Err(message) =
                            crate::file_limits::check_room_for(state.config.default_partitions.max(0) as u64)
                        {
                            tracing::warn!(topic = %name, "not auto-creating: {message}");
                            return missing(Some(name), ResponseError::PolicyViolation);
                        }
                        match state.store.create_topic(
                            &name,
                            state.config.default_partitions,
                            &Default::default(),
                        ) {
                            Ok(t) => describe_topic(&t, node, version),
                            // Another request created it in between: describe what is there.
                            Err(spate_log::Error::TopicExists(_)) => match state.store.topic(&name) {
                                Some(t) => describe_topic(&t, node, version),
                                None => missing(Some(name), ResponseError::UnknownTopicOrPartition),
                            },
                            Err(e) => missing(Some(name), code_of(&e)),
                        }
                    }
                    (None, Some(name)) => missing(Some(name), ResponseError::UnknownTopicOrPartition),
                    (None, None) => MetadataResponseTopic::default()
                        .with_error_code(ResponseError::UnknownTopicId.code())
                        .with_topic_id(wanted.topic_id),
                }
            })
            .collect()
    };
    if topic_operations {
        for t in topics.iter_mut().filter(|t| t.error_code == 0) {
            if let Some(name) = &t.name {
                t.topic_authorized_operations = state
                    .authorizer
                    .authorized_operations(caller, Resource::topic(name.0.as_str()));
            }
        }
    }
    let mut resp = MetadataResponse::default()
        .with_brokers(vec![broker])
        .with_topics(topics);
    if cluster_operations {
        resp.cluster_authorized_operations = cluster_authorized_operations(state, caller);
    }
    if version >= 1 {
        resp.controller_id = node;
    }
    if version >= 2 {
        resp.cluster_id = Some(StrBytes::from_string(state.cluster_id.clone()));
    }
    Ok(resp)
}

fn missing(name: Option<String>, code: ResponseError) -> MetadataResponseTopic {
    MetadataResponseTopic::default()
        .with_error_code(code.code())
        .with_name(name.map(|n| TopicName(StrBytes::from_string(n))))
}

fn describe_topic(t: &Topic, node: BrokerId, version: i16) -> MetadataResponseTopic {
    let partitions = (0..t.partitions.len() as i32)
        .map(|p| {
            let mut mp = MetadataResponsePartition::default()
                .with_partition_index(p)
                .with_leader_id(node)
                .with_replica_nodes(vec![node])
                .with_isr_nodes(vec![node]);
            if version >= 7 {
                mp.leader_epoch = 0;
            }
            mp
        })
        .collect();
    let mut topic = MetadataResponseTopic::default()
        .with_name(Some(TopicName(StrBytes::from_string(t.name.clone()))))
        .with_partitions(partitions);
    if version >= 1 {
        topic.is_internal = crate::internal_topics::is_internal(&t.name);
    }
    if version >= 10 {
        topic.topic_id = uuid::Uuid::from_bytes(t.id);
    }
    topic
}
