//! FindCoordinator: this broker coordinates every group and transactional id.

use std::sync::Arc;

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;

use crate::listeners::BoundListener;
use crate::state::BrokerState;

/// Answers with the broker's address on the listener the request came on.
pub(crate) fn handle(
    state: &Arc<BrokerState>,
    listener: &BoundListener,
    req: FindCoordinatorRequest,
    version: i16,
) -> FindCoordinatorResponse {
    let node = BrokerId(state.config.node_id);
    let host = StrBytes::from_string(listener.advertised_host.clone());
    let port = i32::from(listener.advertised_port);
    if version >= 4 {
        // v4+ asks for a batch of keys and answers per key.
        let coordinators = req
            .coordinator_keys
            .into_iter()
            .map(|key| {
                Coordinator::default()
                    .with_key(key)
                    .with_node_id(node)
                    .with_host(host.clone())
                    .with_port(port)
            })
            .collect();
        FindCoordinatorResponse::default().with_coordinators(coordinators)
    } else {
        FindCoordinatorResponse::default()
            .with_node_id(node)
            .with_host(host)
            .with_port(port)
    }
}
