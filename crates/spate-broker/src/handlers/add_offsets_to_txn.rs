//! AddOffsetsToTxn: the consumer group's offsets may be committed with the transaction.

use kafka_protocol::messages::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse};

use crate::clock::now_ms;
use crate::state::BrokerState;
use crate::txn::fenced_for_version;

pub(crate) fn handle(
    state: &BrokerState,
    req: AddOffsetsToTxnRequest,
    version: i16,
) -> AddOffsetsToTxnResponse {
    let result = state.txn.add_offsets(
        req.transactional_id.0.as_str(),
        req.producer_id.0,
        req.producer_epoch,
        req.group_id.0.as_str(),
        now_ms(),
    );
    AddOffsetsToTxnResponse::default().with_error_code(
        result
            .err()
            .map_or(0, |e| fenced_for_version(e, version, 2).code()),
    )
}
