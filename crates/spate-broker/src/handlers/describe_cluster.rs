//! DescribeCluster (KIP-700): the cluster id, the controller and the brokers, which admin
//! clients (Kafka's `describeCluster`, librdkafka's `DescribeCluster`) ask instead of Metadata.
//!
//! As Kafka's broker answers it: anyone may ask (no ACL is checked for the request itself);
//! `cluster_authorized_operations` is Kafka's "not asked" value unless the request asks for it,
//! then the bit field for a caller that may DESCRIBE the cluster and 0 for one that may not.
//! This broker is a broker endpoint: a request for controllers is MISMATCHED_ENDPOINT_TYPE.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::protocol::StrBytes;

use crate::acl::authorizer::Caller;
use crate::handlers::metadata::{advertised_broker, cluster_authorized_operations};
use crate::listeners::BoundListener;
use crate::state::BrokerState;

/// KIP-919's endpoint types a DescribeCluster request may ask for.
const ENDPOINT_BROKERS: i8 = 1;
const ENDPOINT_CONTROLLERS: i8 = 2;

/// Kafka's value for "authorized operations not asked for".
const OPERATIONS_NOT_ASKED: i32 = i32::MIN;

pub(crate) fn handle(
    state: &BrokerState,
    caller: &Caller,
    listener: &BoundListener,
    req: DescribeClusterRequest,
) -> DescribeClusterResponse {
    if let Some(refused) = endpoint_type_refusal(req.endpoint_type) {
        return refused;
    }
    let broker = advertised_broker(state, listener);
    let operations = if req.include_cluster_authorized_operations {
        cluster_authorized_operations(state, caller)
    } else {
        OPERATIONS_NOT_ASKED
    };
    DescribeClusterResponse::default()
        .with_endpoint_type(ENDPOINT_BROKERS)
        .with_cluster_id(StrBytes::from_string(state.cluster_id.clone()))
        .with_controller_id(broker.node)
        .with_brokers(vec![
            DescribeClusterBroker::default()
                .with_broker_id(broker.node)
                .with_host(broker.host)
                .with_port(broker.port),
        ])
        .with_cluster_authorized_operations(operations)
}

/// Kafka's answer to an endpoint type other than brokers. v0 requests carry no endpoint type
/// (the codec fills in brokers), so the v0-only INVALID_REQUEST variant never arises here.
fn endpoint_type_refusal(endpoint_type: i8) -> Option<DescribeClusterResponse> {
    let (error, message) = match endpoint_type {
        ENDPOINT_BROKERS => return None,
        ENDPOINT_CONTROLLERS => (
            ResponseError::MismatchedEndpointType,
            "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"
                .to_string(),
        ),
        other => (
            ResponseError::UnsupportedEndpointType,
            format!("Unsupported endpoint type {other}"),
        ),
    };
    Some(
        DescribeClusterResponse::default()
            .with_error_code(error.code())
            .with_error_message(Some(StrBytes::from_string(message))),
    )
}
