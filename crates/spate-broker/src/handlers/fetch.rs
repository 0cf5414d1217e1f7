//! Fetch: whole stored batches from each requested partition, long-polling until `min_bytes`
//! are available or `max_wait_ms` passes.
//!
//! Size limits follow KIP-74: `partition_max_bytes` and the response's `max_bytes` bound what is
//! returned, except that the first batch of the first partition with data is returned whole even
//! when larger, so a consumer always makes progress.
//!
//! Errors carry an empty record set, never a null one, as Kafka's do: librdkafka cannot parse a
//! null set, so it would never apply `auto.offset.reset` to OFFSET_OUT_OF_RANGE and retry forever.
//!
//! Isolation: read_uncommitted returns data up to the high watermark; read_committed only below
//! the last stable offset, with the aborted transactions overlapping the returned range so the
//! consumer drops their records.
//!
//! Sessions (KIP-227, Fetch v7+, [`crate::fetch_sessions`], `fetch_session.rs`): an incremental request is turned
//! into the full list of its session's partitions before anything is read, and its response is
//! cut down to the partitions with news only when it is sent, so long polls and size limits
//! work the same for every kind of request.

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::fetch_response::{AbortedTransaction, FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{FetchRequest, FetchResponse, ProducerId, ResponseKind};
use tokio::time::Instant;

use bytes::Bytes;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::codec::{self, RequestContext};
use crate::error_codes::code_of;
use crate::handlers::fetch_session::{SessionContext, for_session, session_context};
use crate::isolation;
use crate::memory_budget::{Grant, MemoryBudget, hold_until_sent};
use crate::quotas::manager::QuotaKind;
use crate::reply::{self, Dispatched};
use crate::session::Session;
use crate::state::BrokerState;

/// Longest long poll honoured, whatever the client asks.
const MAX_WAIT_CAP: Duration = Duration::from_secs(30);
const READ_COMMITTED: i8 = 1;
/// The first Fetch version that names topics by id.
const FIRST_TOPIC_ID_VERSION: i16 = 13;
pub(crate) fn handle(
    state: &Arc<BrokerState>,
    req: FetchRequest,
    ctx: RequestContext,
    session: &Session,
    client_id: &str,
) -> Dispatched {
    // Over its request quota (decided in dispatch), the client gets the empty throttled
    // answer at once: nothing is worth waiting for.
    let request_throttle_ms = ctx.request_throttle_ms();
    let (mut req, context) = match session_context(state, req, ctx.version) {
        Ok(found) => found,
        Err(error) => {
            let response = FetchResponse::default().with_error_code(error.code());
            return match encode_held(ctx, response, 0, Vec::new()) {
                Some(frame) => reply::throttled(
                    Dispatched::Reply(frame),
                    request_throttle_ms,
                    ctx,
                    &session.throttle,
                ),
                None => Dispatched::Close(format!("could not encode Fetch v{} reply", ctx.version)),
            };
        }
    };
    // Replicas are not clients: no quota (Kafka's rule). Without any consume quota this is
    // one atomic load.
    let quota = (req.replica_id.0 < 0 && state.quotas.enforces(QuotaKind::Fetch)).then(|| ConsumeQuota {
        principal: session.caller.principal.clone(),
        client_id: client_id.to_string(),
    });
    if let Some(cap) = quota
        .as_ref()
        .and_then(|q| state.quotas.max_fetch_bytes(&q.principal, &q.client_id))
    {
        // More than the quota allows in a whole window would be throttled for sure (Kafka caps
        // the fetch the same way).
        let cap = i32::try_from(cap).unwrap_or(i32::MAX);
        req.max_bytes = if req.max_bytes > 0 {
            req.max_bytes.min(cap)
        } else {
            cap
        };
    }
    let replies = session.replies.clone();
    let denied = Arc::new(denied_topics(state, &session.caller, &req, ctx.version));
    let (response, bytes, grants) = read_all(state, &req, ctx.version, &replies, &denied);
    let min_bytes = req.min_bytes.max(1) as usize;
    if bytes >= min_bytes || req.max_wait_ms <= 0 || has_error(&response) || request_throttle_ms > 0 {
        let (frame, throttle_ms) = answer(state, ctx, context, &req, response, bytes, grants, quota.as_ref());
        return match frame {
            Some(frame) => reply::throttled(Dispatched::Reply(frame), throttle_ms, ctx, &session.throttle),
            None => Dispatched::Close(format!("could not encode Fetch v{} reply", ctx.version)),
        };
    }
    drop(grants);
    let state = state.clone();
    let throttle = session.throttle.clone();
    let wait = Duration::from_millis(req.max_wait_ms as u64).min(MAX_WAIT_CAP);
    let deadline = Instant::now() + wait;
    let mut appends = state.subscribe_appends();
    Dispatched::Deferred(Box::pin(async move {
        // Set once the wait is over (timed out, or the broker is shutting down): the next read
        // is answered with what there is.
        let mut last_read = false;
        let (frame, throttle_ms) = loop {
            // Marks the current state as seen; an append after the read wakes us up.
            appends.borrow_and_update();
            let (response, bytes, grants) = read_all(&state, &req, ctx.version, &replies, &denied);
            let timed_out = Instant::now() >= deadline;
            if last_read || bytes >= min_bytes || timed_out || has_error(&response) {
                break answer(
                    &state,
                    ctx,
                    context,
                    &req,
                    response,
                    bytes,
                    grants,
                    quota.as_ref(),
                );
            }
            drop(grants);
            last_read = !matches!(
                tokio::time::timeout_at(deadline, appends.changed()).await,
                Ok(Ok(()))
            );
        };
        if throttle_ms > 0 {
            throttle.mute_for(throttle_ms);
            if !reply::client_throttles_itself(ctx.api_key, ctx.version) {
                tokio::time::sleep(Duration::from_millis(throttle_ms)).await;
            }
        }
        frame
    }))
}

/// Who a consumer's fetch counts against.
struct ConsumeQuota {
    principal: Arc<str>,
    client_id: String,
}

/// The reply frame and the throttle time it carries: the response cut to the session's news,
/// or, for a client over its `consumer_byte_rate` or its request quota (the larger throttle
/// applies), an empty response with the throttle time (Kafka's: the bytes read are taken back
/// from its rate, since they are not sent).
#[allow(clippy::too_many_arguments)]
fn answer(
    state: &BrokerState,
    ctx: RequestContext,
    context: SessionContext,
    req: &FetchRequest,
    response: FetchResponse,
    bytes: usize,
    grants: Vec<Grant>,
    quota: Option<&ConsumeQuota>,
) -> (Option<Bytes>, u64) {
    let request_throttle_ms = ctx.request_throttle_ms();
    let throttle_ms = match quota {
        Some(q) => {
            let now = crate::clock::now_ms();
            let ms = state
                .quotas
                .record(QuotaKind::Fetch, &q.principal, &q.client_id, bytes, now)
                .max(request_throttle_ms);
            if ms > 0 {
                state
                    .quotas
                    .unrecord(QuotaKind::Fetch, &q.principal, &q.client_id, bytes, now);
            }
            ms
        }
        None => request_throttle_ms,
    };
    let throttle_time_ms = i32::try_from(throttle_ms).unwrap_or(i32::MAX);
    if throttle_ms > 0 {
        drop(grants);
        let session_id = match context {
            SessionContext::Incremental { id } => id,
            SessionContext::Sessionless | SessionContext::Full => 0,
        };
        let empty = FetchResponse::default()
            .with_throttle_time_ms(throttle_time_ms)
            .with_session_id(session_id);
        return (encode_held(ctx, empty, 0, Vec::new()), throttle_ms);
    }
    let response = for_session(state, context, req, ctx.version, response);
    (encode_held(ctx, response, bytes, grants), 0)
}

/// Per requested topic, whether the caller may not read it: READ on the topic for consumers,
/// CLUSTER_ACTION for a replica's fetch (Kafka's rules). Decided once per request, so a long
/// poll does not ask (and log) again on every wake-up.
fn denied_topics(state: &BrokerState, caller: &Caller, req: &FetchRequest, version: i16) -> Vec<bool> {
    if req.replica_id.0 >= 0 {
        let allowed = state
            .authorizer
            .allows(caller, Operation::ClusterAction, Resource::cluster());
        return vec![!allowed; req.topics.len()];
    }
    req.topics
        .iter()
        .map(|ft| {
            let name = if version >= FIRST_TOPIC_ID_VERSION {
                state
                    .store
                    .topic_by_id(ft.topic_id.as_bytes())
                    .map(|t| t.name.clone())
            } else {
                Some(ft.topic.0.to_string())
            };
            // An unknown topic id has no name to check: it stays UNKNOWN_TOPIC_ID.
            name.is_some_and(|n| {
                !state
                    .authorizer
                    .allows(caller, Operation::Read, Resource::topic(&n))
            })
        })
        .collect()
}

/// The reply frame, holding the memory grants of its records until the connection sent it.
fn encode_held(
    ctx: RequestContext,
    response: FetchResponse,
    bytes: usize,
    grants: Vec<Grant>,
) -> Option<Bytes> {
    let frame = codec::encode_frame(ctx, ResponseKind::Fetch(response), bytes + 1024)?;
    Some(hold_until_sent(frame, grants))
}

fn has_error(r: &FetchResponse) -> bool {
    r.error_code != 0
        || r.responses
            .iter()
            .any(|t| t.partitions.iter().any(|p| p.error_code != 0))
}

/// Reads every requested partition once; returns the response, the record bytes in it and the
/// grants that account for them (the connection's and the broker's reply budgets).
///
/// The response is capped at `fetch.max.bytes` and at what both budgets have left; when they
/// have nothing left the first batch still comes back whole (KIP-74), so consumers progress.
fn read_all(
    state: &BrokerState,
    req: &FetchRequest,
    version: i16,
    connection_replies: &Arc<MemoryBudget>,
    denied: &[bool],
) -> (FetchResponse, usize, Vec<Grant>) {
    let asked = if req.max_bytes > 0 {
        req.max_bytes as usize
    } else {
        usize::MAX
    };
    let mut connection_grant = connection_replies.take_up_to(asked.min(state.config.fetch_max_bytes));
    let mut broker_grant = state.reply_memory.take_up_to(connection_grant.bytes());
    let mut remaining = broker_grant.bytes();
    let mut total = 0usize;
    let read_committed = req.isolation_level == READ_COMMITTED;
    let mut responses = Vec::with_capacity(req.topics.len());
    for (ti, ft) in req.topics.iter().enumerate() {
        let topic = if version >= FIRST_TOPIC_ID_VERSION {
            state.store.topic_by_id(ft.topic_id.as_bytes())
        } else {
            state.store.topic(ft.topic.0.as_str())
        };
        let mut partitions = Vec::with_capacity(ft.partitions.len());
        for fp in &ft.partitions {
            let mut pd = PartitionData::default()
                .with_partition_index(fp.partition)
                .with_high_watermark(-1);
            let partition = topic.as_ref().and_then(|t| {
                usize::try_from(fp.partition)
                    .ok()
                    .and_then(|i| t.partitions.get(i))
            });
            if denied.get(ti).copied().unwrap_or(false) {
                pd.error_code = ResponseError::TopicAuthorizationFailed.code();
                pd.records = Some(Default::default());
                partitions.push(pd);
                continue;
            }
            let Some(partition) = partition else {
                pd.error_code = if version >= FIRST_TOPIC_ID_VERSION && topic.is_none() {
                    ResponseError::UnknownTopicId.code()
                } else {
                    ResponseError::UnknownTopicOrPartition.code()
                };
                pd.records = Some(Default::default());
                partitions.push(pd);
                continue;
            };
            let limit = (fp.partition_max_bytes.max(0) as usize).min(remaining);
            // Once the response is full only its first partition could still exceed the limit, so
            // reading a batch here would just throw it away: report positions without reading.
            // (Offsets out of range still go through the read, which reports the error.)
            if total > 0
                && limit == 0
                && (partition.log_start_offset()..=partition.high_watermark()).contains(&fp.fetch_offset)
            {
                pd.high_watermark = partition.high_watermark();
                pd.last_stable_offset = partition.last_stable_offset();
                pd.log_start_offset = partition.log_start_offset();
                pd.records = Some(Default::default());
                if read_committed {
                    pd.aborted_transactions = Some(Vec::new());
                }
                partitions.push(pd);
                continue;
            }
            let read = isolation::read(partition, fp.fetch_offset, limit, read_committed);
            match read {
                Ok(read) => {
                    let first_data = total == 0;
                    let len = read.records.len();
                    pd.high_watermark = read.high_watermark;
                    pd.last_stable_offset = read.last_stable_offset;
                    pd.log_start_offset = read.log_start_offset;
                    let mut aborted = Vec::new();
                    // Only the first partition with data may exceed the limits (KIP-74).
                    if len > 0 && (first_data || len <= limit) {
                        total += len;
                        remaining = remaining.saturating_sub(len);
                        if read_committed {
                            aborted = isolation::aborted_in(partition, fp.fetch_offset, &read.records)
                                .into_iter()
                                .map(|(producer_id, first_offset)| {
                                    AbortedTransaction::default()
                                        .with_producer_id(ProducerId(producer_id))
                                        .with_first_offset(first_offset)
                                })
                                .collect();
                        }
                        pd.records = Some(read.records);
                    } else {
                        pd.records = Some(Default::default());
                    }
                    if read_committed {
                        pd.aborted_transactions = Some(aborted);
                    }
                }
                Err(e) => {
                    pd.error_code = code_of(&e).code();
                    pd.high_watermark = partition.high_watermark();
                    pd.last_stable_offset = partition.last_stable_offset();
                    pd.log_start_offset = partition.log_start_offset();
                    pd.records = Some(Default::default());
                }
            }
            partitions.push(pd);
        }
        let mut tr = FetchableTopicResponse::default().with_partitions(partitions);
        if version >= FIRST_TOPIC_ID_VERSION {
            tr.topic_id = ft.topic_id;
        } else {
            tr.topic = ft.topic.clone();
        }
        responses.push(tr);
    }
    connection_grant.resize(total);
    broker_grant.resize(total);
    (
        FetchResponse::default().with_responses(responses),
        total,
        vec![connection_grant, broker_grant],
    )
}
