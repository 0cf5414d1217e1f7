//! DescribeProducers (KIP-664): the producers a partition tracks, with the first offset of each
//! one's ongoing transaction — how an operator finds what holds a last stable offset back.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_producers_response::{
    PartitionResponse, ProducerState, TopicResponse,
};
use kafka_protocol::messages::{DescribeProducersRequest, DescribeProducersResponse, ProducerId};

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::state::BrokerState;

pub(crate) fn handle(
    state: &BrokerState,
    caller: &Caller,
    req: DescribeProducersRequest,
) -> DescribeProducersResponse {
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let topic = state.store.topic(t.name.0.as_str());
            let denied =
                !state
                    .authorizer
                    .allows(caller, Operation::Read, Resource::topic(t.name.0.as_str()));
            let partitions = t
                .partition_indexes
                .into_iter()
                .map(|index| {
                    let response = PartitionResponse::default().with_partition_index(index);
                    if denied {
                        return response.with_error_code(ResponseError::TopicAuthorizationFailed.code());
                    }
                    let partition = topic
                        .as_ref()
                        .and_then(|tp| usize::try_from(index).ok().and_then(|i| tp.partitions.get(i)));
                    let Some(partition) = partition else {
                        return response.with_error_code(ResponseError::UnknownTopicOrPartition.code());
                    };
                    let producers = partition
                        .producers()
                        .into_iter()
                        .map(|p| {
                            ProducerState::default()
                                .with_producer_id(ProducerId(p.producer_id))
                                .with_producer_epoch(i32::from(p.epoch))
                                .with_last_sequence(p.last_sequence)
                                .with_last_timestamp(p.last_timestamp)
                                // Not tracked per producer: Kafka's "unknown" value.
                                .with_coordinator_epoch(-1)
                                .with_current_txn_start_offset(p.current_txn_start_offset.unwrap_or(-1))
                        })
                        .collect();
                    response.with_active_producers(producers)
                })
                .collect();
            TopicResponse::default()
                .with_name(t.name)
                .with_partitions(partitions)
        })
        .collect();
    DescribeProducersResponse::default().with_topics(topics)
}
