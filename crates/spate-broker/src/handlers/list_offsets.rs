//! ListOffsets: earliest (-2), latest (-1), max timestamp (-3) and by timestamp.

use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::error_codes::code_of;
use crate::state::BrokerState;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;

pub(crate) fn handle(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: ListOffsetsRequest,
    version: i16,
) -> ListOffsetsResponse {
    let read_committed = req.isolation_level == 1;
    let topics = req
        .topics
        .into_iter()
        .map(|lt| {
            let topic = state.store.topic(lt.name.0.as_str());
            let denied =
                !state
                    .authorizer
                    .allows(caller, Operation::Describe, Resource::topic(lt.name.0.as_str()));
            let partitions = lt
                .partitions
                .into_iter()
                .map(|lp| {
                    let mut r = ListOffsetsPartitionResponse::default()
                        .with_partition_index(lp.partition_index)
                        .with_timestamp(-1)
                        .with_offset(-1);
                    if denied {
                        r.error_code = ResponseError::TopicAuthorizationFailed.code();
                        return r;
                    }
                    let partition = topic.as_ref().and_then(|t| {
                        usize::try_from(lp.partition_index)
                            .ok()
                            .and_then(|i| t.partitions.get(i))
                    });
                    let Some(p) = partition else {
                        r.error_code = ResponseError::UnknownTopicOrPartition.code();
                        return r;
                    };
                    if version >= 4 {
                        r.leader_epoch = 0;
                    }
                    match lp.timestamp {
                        // read_committed consumers start at the last stable offset.
                        LATEST if read_committed => r.offset = p.last_stable_offset(),
                        LATEST => r.offset = p.high_watermark(),
                        EARLIEST => r.offset = p.log_start_offset(),
                        MAX_TIMESTAMP => {
                            let (ts, offset) = p.max_timestamp();
                            r.timestamp = ts;
                            r.offset = offset;
                        }
                        ts if ts < 0 => r.error_code = ResponseError::InvalidRequest.code(),
                        ts => match p.offset_for_timestamp(ts) {
                            Ok(Some((offset, found_ts))) => {
                                r.offset = offset;
                                r.timestamp = found_ts;
                            }
                            Ok(None) => {}
                            Err(e) => r.error_code = code_of(&e).code(),
                        },
                    }
                    r
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(lt.name)
                .with_partitions(partitions)
        })
        .collect();
    ListOffsetsResponse::default().with_topics(topics)
}
