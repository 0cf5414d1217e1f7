//! Coordinator requests write and fsync the state log and markers: they run on the blocking
//! pool, and the connection sends the reply (in request order) when they finish.

use std::sync::Arc;

use kafka_protocol::messages::ResponseKind;

use crate::codec::{self, RequestContext};
use crate::reply::Dispatched;
use crate::state::BrokerState;

pub(crate) fn reply_when_done(
    state: &Arc<BrokerState>,
    ctx: RequestContext,
    work: impl FnOnce(&BrokerState) -> ResponseKind + Send + 'static,
) -> Dispatched {
    let state = state.clone();
    Dispatched::Deferred(Box::pin(async move {
        let response = tokio::task::spawn_blocking(move || work(&state)).await;
        match response {
            Ok(response) => codec::encode_frame(ctx, response, 512),
            Err(e) => {
                tracing::error!("{:?} handler failed: {e}", ctx.api_key);
                None
            }
        }
    }))
}
