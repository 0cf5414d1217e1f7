//! Decoding a request frame, routing it to its handler, encoding the reply.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, RequestKind, ResponseHeader, ResponseKind};
use kafka_protocol::protocol::Encodable;

pub(crate) use crate::codec::RequestContext;
use crate::codec::{DecodedRequest, decode_request};
use crate::handlers;
use crate::session::Session;
use crate::state::BrokerState;
use crate::txn;

/// What the connection does with a request.
pub(crate) enum Dispatched {
    /// The encoded reply frame, ready now.
    Reply(Bytes),
    /// The reply frame once the future completes (fsync, long poll); `None` = encoding failed.
    Deferred(Pin<Box<dyn Future<Output = Option<Bytes>> + Send>>),
    /// No reply at all (Produce with acks=0).
    NoReply,
    /// A request that cannot be answered within the protocol: close the connection, as Kafka does.
    Close(String),
}

/// API versions this broker speaks, advertised by ApiVersions.
pub(crate) const SUPPORTED_APIS: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 12),
    (ApiKey::Fetch, 4, 16),
    (ApiKey::ListOffsets, 1, 8),
    (ApiKey::Metadata, 0, 12),
    (ApiKey::ApiVersions, 0, 4),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::DeleteTopics, 1, 6),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::AlterConfigs, 0, 2),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
    (ApiKey::InitProducerId, 0, 5),
    (ApiKey::FindCoordinator, 0, 6),
    (ApiKey::JoinGroup, 0, 9),
    (ApiKey::SyncGroup, 0, 5),
    (ApiKey::Heartbeat, 0, 4),
    (ApiKey::LeaveGroup, 0, 5),
    (ApiKey::OffsetCommit, 2, 8),
    (ApiKey::OffsetFetch, 1, 8),
    (ApiKey::OffsetDelete, 0, 0),
    (ApiKey::ListGroups, 0, 5),
    (ApiKey::DescribeGroups, 0, 5),
    (ApiKey::DeleteGroups, 0, 2),
    // Transactions: client versions before KIP-890's implicit partition registration.
    (ApiKey::AddPartitionsToTxn, 0, 3),
    (ApiKey::AddOffsetsToTxn, 0, 3),
    (ApiKey::EndTxn, 0, 4),
    (ApiKey::TxnOffsetCommit, 0, 3),
    // KIP-664 (v1 of ListTransactions: KIP-994's duration filter).
    (ApiKey::DescribeTransactions, 0, 0),
    (ApiKey::ListTransactions, 0, 1),
    // Operators' tools for hanging transactions (`spate transactions`, kafka-transactions.sh).
    (ApiKey::WriteTxnMarkers, 1, 1),
    (ApiKey::DescribeProducers, 0, 0),
];

pub(crate) fn handle(state: &Arc<BrokerState>, frame: Bytes, session: &Session) -> Dispatched {
    let (ctx, client_id, request) = match decode_request(frame) {
        Ok(DecodedRequest::Request {
            ctx,
            client_id,
            request,
        }) => (ctx, client_id, request),
        Ok(DecodedRequest::UnsupportedApiVersions { correlation_id }) => {
            // KIP-511: answer an unknown ApiVersions version in v0 so the client can retry.
            let ctx = RequestContext {
                api_key: ApiKey::ApiVersions,
                version: 0,
                correlation_id,
            };
            let body =
                handlers::api_versions::response().with_error_code(ResponseError::UnsupportedVersion.code());
            return encode(ctx, ResponseKind::ApiVersions(body), 256);
        }
        Err(e) => return Dispatched::Close(e.0),
    };
    let version = ctx.version;
    match *request {
        RequestKind::ApiVersions(_) => encode(
            ctx,
            ResponseKind::ApiVersions(handlers::api_versions::response()),
            1024,
        ),
        RequestKind::Metadata(r) => reply(
            ctx,
            handlers::metadata::handle(state, r, version).map(ResponseKind::Metadata),
        ),
        RequestKind::Produce(r) => handlers::produce::handle(state, r, ctx),
        RequestKind::Fetch(r) => handlers::fetch::handle(state, r, ctx, session),
        RequestKind::ListOffsets(r) => reply(
            ctx,
            Ok(ResponseKind::ListOffsets(handlers::list_offsets::handle(
                state, r, version,
            ))),
        ),
        RequestKind::CreateTopics(r) => reply(
            ctx,
            Ok(ResponseKind::CreateTopics(handlers::topics::create(
                state, r, version,
            ))),
        ),
        RequestKind::DeleteTopics(r) => reply(
            ctx,
            Ok(ResponseKind::DeleteTopics(handlers::topics::delete(
                state, r, version,
            ))),
        ),
        RequestKind::CreatePartitions(r) => reply(
            ctx,
            Ok(ResponseKind::CreatePartitions(
                handlers::topics::create_partitions(state, r),
            )),
        ),
        RequestKind::DescribeConfigs(r) => reply(
            ctx,
            Ok(ResponseKind::DescribeConfigs(handlers::configs::describe(
                state, r, version,
            ))),
        ),
        RequestKind::AlterConfigs(r) => reply(
            ctx,
            Ok(ResponseKind::AlterConfigs(handlers::configs::alter(state, r))),
        ),
        RequestKind::IncrementalAlterConfigs(r) => reply(
            ctx,
            Ok(ResponseKind::IncrementalAlterConfigs(
                handlers::configs::incremental_alter(state, r),
            )),
        ),
        RequestKind::FindCoordinator(r) => reply(
            ctx,
            Ok(ResponseKind::FindCoordinator(handlers::find_coordinator::handle(
                state, r, version,
            ))),
        ),
        RequestKind::InitProducerId(r) if r.transactional_id.is_some() => {
            txn::reply_when_done(state, ctx, move |s| {
                ResponseKind::InitProducerId(handlers::init_producer_id::transactional(s, r, version))
            })
        }
        RequestKind::AddPartitionsToTxn(r) => txn::reply_when_done(state, ctx, move |s| {
            ResponseKind::AddPartitionsToTxn(handlers::add_partitions_to_txn::handle(s, r, version))
        }),
        RequestKind::AddOffsetsToTxn(r) => txn::reply_when_done(state, ctx, move |s| {
            ResponseKind::AddOffsetsToTxn(handlers::add_offsets_to_txn::handle(s, r, version))
        }),
        RequestKind::EndTxn(r) => txn::reply_when_done(state, ctx, move |s| {
            ResponseKind::EndTxn(handlers::end_txn::handle(s, r, version))
        }),
        RequestKind::TxnOffsetCommit(r) => txn::reply_when_done(state, ctx, move |s| {
            ResponseKind::TxnOffsetCommit(handlers::txn_offset_commit::handle(s, r, version))
        }),
        // They wait for the ids' state locks, which EndTxn holds while it writes markers.
        RequestKind::DescribeTransactions(r) => txn::reply_when_done(state, ctx, move |s| {
            ResponseKind::DescribeTransactions(handlers::describe_transactions::handle(s, r))
        }),
        RequestKind::ListTransactions(r) => txn::reply_when_done(state, ctx, move |s| {
            ResponseKind::ListTransactions(handlers::list_transactions::handle(s, r, crate::server::now_ms()))
        }),
        // Markers are fsynced: off the async workers.
        RequestKind::WriteTxnMarkers(r) => txn::reply_when_done(state, ctx, move |s| {
            ResponseKind::WriteTxnMarkers(handlers::write_txn_markers::handle(s, r))
        }),
        RequestKind::DescribeProducers(r) => reply(
            ctx,
            Ok(ResponseKind::DescribeProducers(
                handlers::describe_producers::handle(state, r),
            )),
        ),
        RequestKind::InitProducerId(r) => reply(
            ctx,
            Ok(ResponseKind::InitProducerId(handlers::init_producer_id::handle(
                state, r,
            ))),
        ),
        RequestKind::JoinGroup(r) => handlers::groups::join(
            state,
            r,
            ctx,
            client_id.unwrap_or_default(),
            session.peer.ip().to_string(),
        ),
        RequestKind::SyncGroup(r) => handlers::groups::sync(state, r, ctx),
        RequestKind::Heartbeat(r) => reply(
            ctx,
            Ok(ResponseKind::Heartbeat(handlers::groups::heartbeat(state, r))),
        ),
        RequestKind::LeaveGroup(r) => reply(
            ctx,
            Ok(ResponseKind::LeaveGroup(handlers::groups::leave(
                state, r, version,
            ))),
        ),
        RequestKind::ListGroups(r) => reply(
            ctx,
            Ok(ResponseKind::ListGroups(handlers::groups::list(
                state, r, version,
            ))),
        ),
        RequestKind::DescribeGroups(r) => reply(
            ctx,
            Ok(ResponseKind::DescribeGroups(handlers::groups::describe(
                state, r, version,
            ))),
        ),
        RequestKind::DeleteGroups(r) => reply(
            ctx,
            Ok(ResponseKind::DeleteGroups(handlers::groups::delete(state, r))),
        ),
        RequestKind::OffsetCommit(r) => handlers::offsets::commit(state, r, ctx),
        RequestKind::OffsetFetch(r) => reply(
            ctx,
            Ok(ResponseKind::OffsetFetch(handlers::offsets::fetch(
                state, r, version,
            ))),
        ),
        RequestKind::OffsetDelete(r) => reply(
            ctx,
            Ok(ResponseKind::OffsetDelete(handlers::offsets::delete(state, r))),
        ),
        other => Dispatched::Close(format!("no handler for {:?}", std::mem::discriminant(&other))),
    }
}

fn reply(ctx: RequestContext, response: Result<ResponseKind, String>) -> Dispatched {
    match response {
        Ok(r) => encode(ctx, r, 4096),
        Err(reason) => Dispatched::Close(reason),
    }
}

/// Encodes a reply frame; `capacity` is a size hint.
pub(crate) fn encode(ctx: RequestContext, response: ResponseKind, capacity: usize) -> Dispatched {
    match encode_frame(ctx, &response, capacity) {
        Some(bytes) => Dispatched::Reply(bytes),
        None => Dispatched::Close(format!(
            "could not encode {:?} v{} reply",
            ctx.api_key, ctx.version
        )),
    }
}

pub(crate) fn encode_frame(ctx: RequestContext, response: &ResponseKind, capacity: usize) -> Option<Bytes> {
    let mut buf = BytesMut::with_capacity(capacity + 16);
    buf.put_i32(0);
    let header = ResponseHeader::default().with_correlation_id(ctx.correlation_id);
    let result = header
        .encode(&mut buf, ctx.api_key.response_header_version(ctx.version))
        .and_then(|_| response.encode(&mut buf, ctx.version));
    if let Err(e) = result {
        // A reply that the version cannot carry is a broker bug: log it loudly.
        tracing::error!("encoding {:?} v{} reply failed: {e}", ctx.api_key, ctx.version);
        return None;
    }
    let len = (buf.len() - 4) as i32;
    buf[0..4].copy_from_slice(&len.to_be_bytes());
    Some(buf.freeze())
}

pub(crate) fn supported_api_versions() -> Vec<ApiVersion> {
    SUPPORTED_APIS
        .iter()
        .map(|&(key, min, max)| {
            ApiVersion::default()
                .with_api_key(key as i16)
                .with_min_version(min)
                .with_max_version(max)
        })
        .collect()
}
