//! ListTransactions (KIP-664; v1 adds KIP-994's duration filter): every transactional id with
//! its producer id and state, filtered by state names, producer ids and minimum age.

use std::collections::HashSet;

use kafka_protocol::messages::list_transactions_response::TransactionState;
use kafka_protocol::messages::{
    ListTransactionsRequest, ListTransactionsResponse, ProducerId, TransactionalId,
};
use kafka_protocol::protocol::StrBytes;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::state::BrokerState;
use crate::txn::KAFKA_STATE_NAMES;

pub(crate) fn handle(
    state: &BrokerState,
    caller: &Caller,
    req: ListTransactionsRequest,
    now_ms: i64,
) -> ListTransactionsResponse {
    // As Kafka's TransactionStateManager: names it does not know are reported back and do not
    // filter; an empty filter (or one of unknown names only) admits every state.
    let (known, unknown): (Vec<StrBytes>, Vec<StrBytes>) = req
        .state_filters
        .into_iter()
        .partition(|name| KAFKA_STATE_NAMES.contains(&name.as_str()));
    let states: HashSet<&str> = known.iter().map(|s| s.as_str()).collect();
    let producer_ids: HashSet<i64> = req.producer_id_filters.iter().map(|p| p.0).collect();
    // -1 (and v0, which decodes as -1) means no duration filter; as Kafka, a transaction must
    // have run for longer than the filter (ids without one count from -1, so they pass).
    let min_duration_ms = req.duration_filter;
    let views = state.txn.list(|producer_id, name, start_ms| {
        (producer_ids.is_empty() || producer_ids.contains(&producer_id))
            && (states.is_empty() || states.contains(name))
            && (min_duration_ms < 0 || now_ms.saturating_sub(start_ms) > min_duration_ms)
    });
    // Only the ids the caller may describe, as Kafka lists them.
    let transaction_states = views
        .into_iter()
        .filter(|v| {
            state.authorizer.filters_in(
                caller,
                Operation::Describe,
                Resource::transactional_id(&v.transactional_id),
            )
        })
        .map(|v| {
            TransactionState::default()
                .with_transactional_id(TransactionalId(StrBytes::from_string(v.transactional_id)))
                .with_producer_id(ProducerId(v.producer_id))
                .with_transaction_state(StrBytes::from_static_str(v.state))
        })
        .collect();
    ListTransactionsResponse::default()
        .with_unknown_state_filters(unknown)
        .with_transaction_states(transaction_states)
}
