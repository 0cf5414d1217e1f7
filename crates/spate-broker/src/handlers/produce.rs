//! Produce: validate and append each partition's batches; for acks=all (or a topic that fsyncs
//! every append) wait for the fsync before replying.

use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, ResponseKind};
use kafka_protocol::protocol::StrBytes;
use spate_log::batch::BatchHeader;
use spate_log::{AppendOutcome, Durability, FlushPolicy, Partition};

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::codec::{self, RequestContext};
use crate::error_codes::code_and_message;
use crate::groups::OFFSETS_TOPIC;
use crate::quotas::manager::QuotaKind;
use crate::reply::{self, Dispatched};
use crate::session::Session;
use crate::state::BrokerState;

/// Produce from a client: its request's bytes count against its `producer_byte_rate` quota
/// (the records are appended either way, as in Kafka; the reply then carries the throttle
/// time, the larger of this and the request quota's in `ctx`).
pub(crate) fn handle(
    state: &Arc<BrokerState>,
    session: &Session,
    client_id: &str,
    request_bytes: usize,
    req: ProduceRequest,
    ctx: RequestContext,
) -> Dispatched {
    // Without any produce quota: one atomic load, not even a clock read.
    let byte_throttle_ms = if state.quotas.enforces(QuotaKind::Produce) {
        state.quotas.record(
            QuotaKind::Produce,
            &session.caller.principal,
            client_id,
            request_bytes,
            crate::clock::now_ms(),
        )
    } else {
        0
    };
    let throttle_ms = byte_throttle_ms.max(ctx.request_throttle_ms());
    let dispatched = respond(state, &session.caller, req, ctx, throttle_ms);
    reply::throttled(dispatched, throttle_ms, ctx, &session.throttle)
}

fn respond(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: ProduceRequest,
    ctx: RequestContext,
    throttle_ms: u64,
) -> Dispatched {
    let acks = req.acks;
    let valid_acks = matches!(acks, -1..=1);
    let transactional_id = req.transactional_id.clone();
    // A transactional producer needs WRITE on its id for the whole request (Kafka's rule).
    let txn_denied = transactional_id.as_ref().is_some_and(|id| {
        !state.authorizer.allows(
            caller,
            Operation::Write,
            Resource::transactional_id(id.0.as_str()),
        )
    });
    // Transactional records need the producer's transactional id, or nothing could ever end their
    // transaction and read_committed readers would stop at them for good. Kafka refuses the whole
    // request with TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
    let refuse_all = transactional_id.is_none()
        && req.topic_data.iter().any(|t| {
            t.partition_data.iter().any(|pd| {
                pd.records
                    .as_deref()
                    .and_then(|r| BatchHeader::parse(r).ok())
                    .is_some_and(|h| h.is_transactional())
            })
        });
    // (topic index, partition index, partition) of appends still to be fsynced before the reply.
    let mut to_sync: Vec<(usize, usize, Arc<Partition>)> = Vec::new();
    let mut appended = false;
    let mut responses = Vec::with_capacity(req.topic_data.len());
    for (ti, topic_data) in req.topic_data.into_iter().enumerate() {
        let topic = if ctx.version >= 13 {
            state.store.topic_by_id(topic_data.topic_id.as_bytes())
        } else {
            state.store.topic(topic_data.name.0.as_str())
        };
        // (An unknown topic id has no name to check: it stays UNKNOWN_TOPIC_ID.)
        let name = match &topic {
            Some(t) => Some(t.name.as_str()),
            None if ctx.version >= 13 => None,
            None => Some(topic_data.name.0.as_str()),
        };
        let topic_denied = !txn_denied
            && name.is_some_and(|n| {
                !state
                    .authorizer
                    .allows(caller, Operation::Write, Resource::topic(n))
            });
        let mut partition_responses = Vec::with_capacity(topic_data.partition_data.len());
        for (pi, pd) in topic_data.partition_data.into_iter().enumerate() {
            let mut resp = PartitionProduceResponse::default()
                .with_index(pd.index)
                .with_base_offset(-1);
            let partition = topic
                .as_ref()
                .and_then(|t| usize::try_from(pd.index).ok().and_then(|i| t.partitions.get(i)));
            let outcome = if !valid_acks {
                Err((ResponseError::InvalidRequiredAcks.code(), None))
            } else if txn_denied {
                Err((ResponseError::TransactionalIdAuthorizationFailed.code(), None))
            } else if topic_denied {
                Err((ResponseError::TopicAuthorizationFailed.code(), None))
            } else if refuse_all {
                Err((
                    ResponseError::TransactionalIdAuthorizationFailed.code(),
                    Some("transactional records need the producer's transactional id".to_string()),
                ))
            } else {
                match (partition, pd.records) {
                    (None, _) => Err((
                        if ctx.version >= 13 && topic.is_none() {
                            ResponseError::UnknownTopicId.code()
                        } else {
                            ResponseError::UnknownTopicOrPartition.code()
                        },
                        None,
                    )),
                    (Some(_), None) => Err((
                        ResponseError::InvalidRecord.code(),
                        Some("no records".to_string()),
                    )),
                    (Some(p), Some(records)) => match append_checked(
                        state,
                        transactional_id.as_ref().map(|id| id.0.as_str()),
                        topic.as_ref().map_or("", |t| t.name.as_str()),
                        pd.index,
                        p,
                        &records,
                    ) {
                        Ok(out) => {
                            appended |= !out.duplicate;
                            // A duplicate is synced too: its first append may never have
                            // reached the disk (that request's fsync failed, or the connection
                            // dropped before it ran), and this reply is the acknowledgement.
                            // Syncing an already synced partition costs no fsync.
                            let sync = acks == -1 || p.config().flush == FlushPolicy::Always;
                            if sync {
                                to_sync.push((ti, pi, p.clone()));
                            }
                            Ok(out)
                        }
                        Err(e) => Err(e),
                    },
                }
            };
            match outcome {
                Ok(out) => {
                    crate::disk_full::recovered();
                    resp.base_offset = out.base_offset;
                    resp.log_append_time_ms = out.log_append_time;
                    if ctx.version >= 5 {
                        resp.log_start_offset = out.log_start_offset;
                    }
                }
                Err((code, message)) => {
                    resp.error_code = code;
                    if ctx.version >= 8 {
                        resp.error_message = message.map(StrBytes::from_string);
                    }
                }
            }
            partition_responses.push(resp);
        }
        let mut tr = TopicProduceResponse::default().with_partition_responses(partition_responses);
        if ctx.version >= 13 {
            tr.topic_id = topic_data.topic_id;
        } else {
            tr.name = topic_data.name;
        }
        responses.push(tr);
    }
    if appended {
        state.notify_appended();
    }
    if acks == 0 {
        // No reply to carry the error: close the connection, as Kafka does, so the client
        // notices (it reconnects, refreshes metadata, and its next sends surface the problem).
        let failed = responses
            .iter()
            .flat_map(|t| t.partition_responses.iter())
            .find(|p| p.error_code != 0);
        if let Some(p) = failed {
            return Dispatched::Close(format!(
                "acks=0 produce to partition {} failed with error code {}",
                p.index, p.error_code
            ));
        }
        return Dispatched::NoReply;
    }
    let mut response = ProduceResponse::default()
        .with_responses(responses)
        .with_throttle_time_ms(i32::try_from(throttle_ms).unwrap_or(i32::MAX));
    if to_sync.is_empty() {
        return reply::encode(ctx, ResponseKind::Produce(response), 256);
    }
    let state = state.clone();
    Dispatched::Deferred(Box::pin(async move {
        let (places, partitions): (Vec<(usize, usize)>, Vec<Arc<Partition>>) =
            to_sync.into_iter().map(|(ti, pi, p)| ((ti, pi), p)).unzip();
        let results = state.syncer.sync(partitions).await;
        for ((ti, pi), failure) in places.into_iter().zip(results) {
            if let Some((code, message)) = failure {
                // Not acknowledged as durable: the client retries (idempotence dedupes it).
                let r = &mut response.responses[ti].partition_responses[pi];
                r.error_code = code.code();
                r.base_offset = -1;
                if ctx.version >= 8 {
                    r.error_message = Some(StrBytes::from_string(message));
                }
            }
        }
        codec::encode_frame(ctx, ResponseKind::Produce(response), 256)
    }))
}

/// Appends; a transactional producer is first checked against its coordinator (current
/// epoch, partition added to the ongoing transaction).
fn append_checked(
    state: &BrokerState,
    transactional_id: Option<&str>,
    topic: &str,
    index: i32,
    partition: &Partition,
    records: &[u8],
) -> Result<AppendOutcome, (i16, Option<String>)> {
    let storage_error = |e: spate_log::Error| {
        let (code, msg) = code_and_message(&e);
        (code, msg.map(|m| m.to_string()))
    };
    // Only the group coordinator writes the offsets topic: a client's records there could forge
    // committed offsets (Kafka refuses these appends too).
    if topic == OFFSETS_TOPIC {
        return Err((
            ResponseError::InvalidTopicException.code(),
            Some(format!(
                "{topic} is an internal topic; clients cannot produce to it"
            )),
        ));
    }
    let header = BatchHeader::parse(records).map_err(storage_error)?;
    // Since produce v3 a partition's data is exactly one batch (Kafka: INVALID_RECORD); the
    // checks below look at that batch's header only, so a second one must not ride along. (A
    // batch shorter than its length field, or bytes after it that are no batch, are left to the
    // log's validation: CORRUPT_MESSAGE.)
    let another_batch = records
        .get(header.total_len()..)
        .is_some_and(|rest| !rest.is_empty() && BatchHeader::parse(rest).is_ok());
    if another_batch {
        return Err((
            ResponseError::InvalidRecord.code(),
            Some(format!(
                "a partition's records must be exactly one batch ({} bytes sent, the first batch is {})",
                records.len(),
                header.total_len()
            )),
        ));
    }
    // Markers are the transaction coordinator's to write (Kafka's LogValidator refuses them too).
    if header.is_control() {
        return Err((
            ResponseError::InvalidRecord.code(),
            Some("clients cannot write control batches".to_string()),
        ));
    }
    let Some(transactional_id) = transactional_id else {
        return partition
            .append(records, Durability::Async)
            .map_err(storage_error);
    };
    // A transactional id with a non-transactional (idempotent) batch appends outside the
    // transaction, as Kafka allows; only transactional batches must belong to it.
    if !header.is_transactional() {
        return partition
            .append(records, Durability::Async)
            .map_err(storage_error);
    }
    state
        .txn
        .with_transactional_append(
            transactional_id,
            header.producer_id,
            header.producer_epoch,
            topic,
            index,
            || partition.append(records, Durability::Async),
        )
        .map_err(|e| {
            (
                e.code(),
                Some(format!("transactional id {transactional_id}: {e:?}")),
            )
        })?
        .map_err(storage_error)
}
