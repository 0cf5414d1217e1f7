//! EndTxn: commit or abort the producer's transaction (markers on every partition in it).

use kafka_protocol::messages::{EndTxnRequest, EndTxnResponse};

use crate::state::BrokerState;
use crate::txn::fenced_for_version;

pub(crate) fn handle(state: &BrokerState, req: EndTxnRequest, version: i16) -> EndTxnResponse {
    let result = state.txn.end_txn(
        &state.store,
        &state.groups,
        req.transactional_id.0.as_str(),
        req.producer_id.0,
        req.producer_epoch,
        req.committed,
    );
    // Long-polling read_committed fetches wait for the LSO to move.
    state.notify_appended();
    EndTxnResponse::default().with_error_code(
        result
            .err()
            .map_or(0, |e| fenced_for_version(e, version, 2).code()),
    )
}
