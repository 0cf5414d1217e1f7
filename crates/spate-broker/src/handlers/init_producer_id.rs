//! InitProducerId: idempotent producers get a fresh id; transactional ids go to the
//! transaction coordinator (epoch bump, fencing, completion of an unfinished transaction).

use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};

use crate::state::BrokerState;
use crate::txn::fenced_for_version;

pub(crate) fn handle(state: &Arc<BrokerState>, req: InitProducerIdRequest) -> InitProducerIdResponse {
    let fail = |code: ResponseError| {
        InitProducerIdResponse::default()
            .with_error_code(code.code())
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1)
    };
    // KIP-360: a known idempotent producer may ask for an epoch bump to reset its sequences.
    if req.producer_id.0 >= 0 && req.producer_epoch >= 0 && req.producer_epoch < i16::MAX - 1 {
        return InitProducerIdResponse::default()
            .with_producer_id(req.producer_id)
            .with_producer_epoch(req.producer_epoch + 1);
    }
    match state.producer_ids.allocate() {
        Ok(id) => InitProducerIdResponse::default()
            .with_producer_id(ProducerId(id))
            .with_producer_epoch(0),
        Err(e) => {
            tracing::error!("producer id allocation failed: {e}");
            fail(ResponseError::KafkaStorageError)
        }
    }
}

/// InitProducerId with a transactional id (runs on the blocking pool: it may write markers).
pub(crate) fn transactional(
    state: &BrokerState,
    req: InitProducerIdRequest,
    version: i16,
) -> InitProducerIdResponse {
    let Some(transactional_id) = req.transactional_id else {
        return InitProducerIdResponse::default()
            .with_error_code(ResponseError::InvalidRequest.code())
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1);
    };
    // KIP-360: a producer that already has an id says which one it believes is current.
    let expected = (req.producer_id.0 >= 0).then_some((req.producer_id.0, req.producer_epoch));
    let result = state.txn.init_producer_id(
        &state.store,
        &state.groups,
        &state.producer_ids,
        transactional_id.0.as_str(),
        req.transaction_timeout_ms,
        expected,
    );
    state.notify_appended();
    match result {
        Ok((producer_id, epoch)) => InitProducerIdResponse::default()
            .with_producer_id(ProducerId(producer_id))
            .with_producer_epoch(epoch),
        Err(e) => InitProducerIdResponse::default()
            .with_error_code(fenced_for_version(e, version, 4).code())
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1),
    }
}
