//! InitProducerId for idempotent producers (transactional ids come with the transactions issue).

use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};

use crate::state::BrokerState;

pub(crate) fn handle(state: &Arc<BrokerState>, req: InitProducerIdRequest) -> InitProducerIdResponse {
    let fail = |code: ResponseError| {
        InitProducerIdResponse::default()
            .with_error_code(code.code())
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1)
    };
    if req.transactional_id.is_some() {
        return fail(ResponseError::TransactionalIdAuthorizationFailed);
    }
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
