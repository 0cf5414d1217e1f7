//! WriteTxnMarkers: transaction markers sent to the partition leader. Kafka's coordinator uses
//! it between brokers; here the coordinator writes its markers itself, so this serves operators
//! (`spate transactions abort`, Kafka's `kafka-transactions.sh abort`): the one way to end a
//! transaction that no coordinator knows of and that holds read_committed readers back.
//! Markers are fsynced before the reply; a marker for a producer with no ongoing transaction
//! changes nothing, so repeating one is harmless.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::write_txn_markers_response::{
    WritableTxnMarkerPartitionResult, WritableTxnMarkerResult, WritableTxnMarkerTopicResult,
};
use kafka_protocol::messages::{WriteTxnMarkersRequest, WriteTxnMarkersResponse};

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::error_codes::code_of;
use crate::state::BrokerState;

pub(crate) fn handle(
    state: &BrokerState,
    caller: &Caller,
    req: WriteTxnMarkersRequest,
) -> WriteTxnMarkersResponse {
    // Kafka's rule: ALTER on the cluster (operators' tools), else CLUSTER_ACTION (brokers).
    let allowed = state
        .authorizer
        .filters_in(caller, Operation::Alter, Resource::cluster())
        || state
            .authorizer
            .allows(caller, Operation::ClusterAction, Resource::cluster());
    let mut wrote = false;
    let markers = req
        .markers
        .into_iter()
        .map(|marker| {
            let topics = marker
                .topics
                .into_iter()
                .map(|t| {
                    let name = t.name.0.as_str().to_string();
                    let partitions = t
                        .partition_indexes
                        .into_iter()
                        .map(|index| {
                            let code = match state.store.partition(&name, index) {
                                _ if !allowed => ResponseError::ClusterAuthorizationFailed.code(),
                                None => ResponseError::UnknownTopicOrPartition.code(),
                                Some(p) => match p.append_control(
                                    marker.producer_id.0,
                                    marker.producer_epoch,
                                    marker.transaction_result,
                                    marker.coordinator_epoch,
                                ) {
                                    Ok(offset) => {
                                        wrote = true;
                                        tracing::warn!(
                                            topic = %name,
                                            partition = index,
                                            producer_id = marker.producer_id.0,
                                            producer_epoch = marker.producer_epoch,
                                            offset,
                                            "wrote a {} marker on request (WriteTxnMarkers)",
                                            if marker.transaction_result { "commit" } else { "abort" }
                                        );
                                        0
                                    }
                                    Err(e) => code_of(&e).code(),
                                },
                            };
                            WritableTxnMarkerPartitionResult::default()
                                .with_partition_index(index)
                                .with_error_code(code)
                        })
                        .collect();
                    WritableTxnMarkerTopicResult::default()
                        .with_name(t.name)
                        .with_partitions(partitions)
                })
                .collect();
            WritableTxnMarkerResult::default()
                .with_producer_id(marker.producer_id)
                .with_topics(topics)
        })
        .collect();
    if wrote {
        state.notify_appended();
    }
    WriteTxnMarkersResponse::default().with_markers(markers)
}
