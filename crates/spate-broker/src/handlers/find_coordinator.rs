//! FindCoordinator: this broker coordinates every group and transactional id.

use std::sync::Arc;

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};

use kafka_protocol::ResponseError;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::handlers::metadata::{AdvertisedBroker, advertised_broker};
use crate::listeners::BoundListener;
use crate::state::BrokerState;

/// FindCoordinator's key types.
const KEY_GROUP: i8 = 0;
const KEY_TRANSACTION: i8 = 1;

/// The error for a key the caller may not DESCRIBE (Kafka's rule), if it may not.
fn refusal(state: &BrokerState, caller: &Caller, key_type: i8, key: &str) -> Option<ResponseError> {
    let (resource, error) = match key_type {
        KEY_GROUP => (Resource::group(key), ResponseError::GroupAuthorizationFailed),
        KEY_TRANSACTION => (
            Resource::transactional_id(key),
            ResponseError::TransactionalIdAuthorizationFailed,
        ),
        _ => return None,
    };
    (!state.authorizer.allows(caller, Operation::Describe, resource)).then_some(error)
}

/// Answers with the broker's address on the listener the request came on.
pub(crate) fn handle(
    state: &Arc<BrokerState>,
    caller: &Caller,
    listener: &BoundListener,
    req: FindCoordinatorRequest,
    version: i16,
) -> FindCoordinatorResponse {
    let AdvertisedBroker { node, host, port } = advertised_broker(state, listener);
    if version >= 4 {
        // v4+ asks for a batch of keys and answers per key.
        let coordinators = req
            .coordinator_keys
            .into_iter()
            .map(|key| {
                if let Some(error) = refusal(state, caller, req.key_type, key.as_str()) {
                    return Coordinator::default()
                        .with_key(key)
                        .with_node_id(BrokerId(-1))
                        .with_port(-1)
                        .with_error_code(error.code());
                }
                Coordinator::default()
                    .with_key(key)
                    .with_node_id(node)
                    .with_host(host.clone())
                    .with_port(port)
            })
            .collect();
        FindCoordinatorResponse::default().with_coordinators(coordinators)
    } else if let Some(error) = refusal(state, caller, req.key_type, req.key.as_str()) {
        FindCoordinatorResponse::default()
            .with_error_code(error.code())
            .with_node_id(BrokerId(-1))
            .with_port(-1)
    } else {
        FindCoordinatorResponse::default()
            .with_node_id(node)
            .with_host(host)
            .with_port(port)
    }
}
