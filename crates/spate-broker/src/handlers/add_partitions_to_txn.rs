//! AddPartitionsToTxn, client versions v0-v3: partitions join the producer's transaction.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
};
use kafka_protocol::messages::{AddPartitionsToTxnRequest, AddPartitionsToTxnResponse};

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::clock::now_ms;
use crate::state::BrokerState;
use crate::txn::fenced_for_version;

pub(crate) fn handle(
    state: &BrokerState,
    caller: &Caller,
    req: AddPartitionsToTxnRequest,
    version: i16,
) -> AddPartitionsToTxnResponse {
    // WRITE on the transactional id for all of it, then WRITE on each topic; when anything is
    // refused nothing is added and the rest is OPERATION_NOT_ATTEMPTED (Kafka's answer).
    let id_denied = !state.authorizer.allows(
        caller,
        Operation::Write,
        Resource::transactional_id(req.v3_and_below_transactional_id.0.as_str()),
    );
    let denied_topics: Vec<String> = if id_denied {
        Vec::new()
    } else {
        req.v3_and_below_topics
            .iter()
            .map(|t| t.name.0.to_string())
            .filter(|t| {
                !state
                    .authorizer
                    .allows(caller, Operation::Write, Resource::topic(t))
            })
            .collect()
    };
    let requested: Vec<(String, i32)> = req
        .v3_and_below_topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|&p| (t.name.0.to_string(), p)))
        .collect();
    let unknown = |(topic, p): &(String, i32)| state.store.partition(topic, *p).is_none();
    let any_unknown = requested.iter().any(unknown);
    let common = if id_denied {
        Some(ResponseError::TransactionalIdAuthorizationFailed.code())
    } else if any_unknown || !denied_topics.is_empty() {
        None
    } else {
        let result = state.txn.add_partitions(
            req.v3_and_below_transactional_id.0.as_str(),
            req.v3_and_below_producer_id.0,
            req.v3_and_below_producer_epoch,
            &requested,
            now_ms(),
        );
        Some(
            result
                .err()
                .map_or(0, |e| fenced_for_version(e, version, 2).code()),
        )
    };
    let results = req
        .v3_and_below_topics
        .into_iter()
        .map(|t| {
            let topic = t.name.0.to_string();
            let partitions = t
                .partitions
                .iter()
                .map(|&p| {
                    let code = common.unwrap_or_else(|| {
                        if denied_topics.contains(&topic) {
                            ResponseError::TopicAuthorizationFailed.code()
                        } else if unknown(&(topic.clone(), p)) {
                            ResponseError::UnknownTopicOrPartition.code()
                        } else {
                            ResponseError::OperationNotAttempted.code()
                        }
                    });
                    AddPartitionsToTxnPartitionResult::default()
                        .with_partition_index(p)
                        .with_partition_error_code(code)
                })
                .collect();
            AddPartitionsToTxnTopicResult::default()
                .with_name(t.name)
                .with_results_by_partition(partitions)
        })
        .collect();
    AddPartitionsToTxnResponse::default().with_results_by_topic_v3_and_below(results)
}
