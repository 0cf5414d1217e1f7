//! DescribeTransactions (KIP-664): state, producer id and epoch, timeout, start time and
//! partitions of each requested transactional id.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_transactions_response::{TopicData, TransactionState};
use kafka_protocol::messages::{
    DescribeTransactionsRequest, DescribeTransactionsResponse, ProducerId, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::state::BrokerState;

pub(crate) fn handle(
    state: &BrokerState,
    caller: &Caller,
    req: DescribeTransactionsRequest,
) -> DescribeTransactionsResponse {
    let states = req
        .transactional_ids
        .into_iter()
        .map(|id| {
            let result = TransactionState::default().with_transactional_id(id.clone());
            if id.0.is_empty() {
                // As Kafka: an empty id is a malformed request, not an unknown id.
                return result.with_error_code(ResponseError::InvalidRequest.code());
            }
            if !state.authorizer.allows(
                caller,
                Operation::Describe,
                Resource::transactional_id(id.0.as_str()),
            ) {
                return result.with_error_code(ResponseError::TransactionalIdAuthorizationFailed.code());
            }
            let Some(view) = state.txn.describe(id.0.as_str()) else {
                return result.with_error_code(ResponseError::TransactionalIdNotFound.code());
            };
            let mut topics: Vec<TopicData> = Vec::new();
            // Only the topics the caller may describe, as Kafka answers.
            let visible = view.partitions.into_iter().filter(|(topic, _)| {
                state
                    .authorizer
                    .filters_in(caller, Operation::Describe, Resource::topic(topic))
            });
            for (topic, partition) in visible {
                match topics.last_mut() {
                    Some(t) if t.topic.0.as_str() == topic => t.partitions.push(partition),
                    _ => topics.push(
                        TopicData::default()
                            .with_topic(TopicName(StrBytes::from_string(topic)))
                            .with_partitions(vec![partition]),
                    ),
                }
            }
            result
                .with_transaction_state(StrBytes::from_static_str(view.state))
                .with_transaction_timeout_ms(view.timeout_ms)
                .with_transaction_start_time_ms(view.start_ms)
                .with_producer_id(ProducerId(view.producer_id))
                .with_producer_epoch(view.producer_epoch)
                .with_topics(topics)
        })
        .collect();
    DescribeTransactionsResponse::default().with_transaction_states(states)
}
