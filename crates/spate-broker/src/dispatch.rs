//! Routing: a decoded request to its handler (decoding and reply framing are the codec's).
//!
//! Every request passes the authorizer: those decided as a whole here
//! ([`handlers::refusals`]), the others per resource in their handlers.
//!
//! And every request but the exempt ones passes the request quota (KIP-124): its time is
//! measured here, and a client over its `request_percentage` gets the throttle time in its
//! reply and a muted connection (see [`crate::quotas::request_time`]).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::{
    ApiKey, RequestKind, ResponseKind, SaslAuthenticateResponse, SaslHandshakeResponse,
};
use kafka_protocol::protocol::StrBytes;

use crate::codec::{DecodedRequest, RequestContext, decode_request};
use crate::handlers;
use crate::handlers::blocking::reply_when_done;
use crate::quotas::manager::QuotaKind;
use crate::quotas::request_time;
use crate::reply::{self, Dispatched, encode};
use crate::session::Session;
use crate::state::BrokerState;

pub(crate) fn handle(state: &Arc<BrokerState>, frame: Bytes, session: &Session) -> Dispatched {
    // Under a request quota the time counts from here, decoding included; without any, this
    // is one atomic load and no clock read.
    let started = state.quotas.enforces(QuotaKind::Request).then(Instant::now);
    // What a produce quota counts (Kafka: the request's size).
    let request_bytes = frame.len();
    let (mut ctx, client_id, request) = match decode_request(frame) {
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
                throttle_time_ms: 0,
            };
            let body =
                handlers::api_versions::response().with_error_code(ResponseError::UnsupportedVersion.code());
            return encode(ctx, ResponseKind::ApiVersions(body), 256);
        }
        Err(e) => return Dispatched::Close(e.0),
    };
    let Some(started) = started.filter(|_| !request_time::exempt(&request)) else {
        return route(state, session, ctx, client_id, request_bytes, *request);
    };
    let principal = session.caller.principal.clone();
    let client = client_id.clone().unwrap_or_default();
    let throttle_ms = state
        .quotas
        .request_throttle_ms(&principal, &client, crate::clock::now_ms());
    ctx.throttle_time_ms = i32::try_from(throttle_ms).unwrap_or(i32::MAX);
    let dispatched = route(state, session, ctx, client_id, request_bytes, *request);
    let now = crate::clock::now_ms();
    state
        .quotas
        .record_request_time(&principal, &client, started.elapsed(), now);
    let dispatched = match dispatched {
        // The reply's completion runs later: its own time counts once it is done.
        Dispatched::Deferred(reply) => {
            let state = state.clone();
            Dispatched::Deferred(Box::pin(async move {
                let (frame, busy) = request_time::busy_time(reply).await;
                state
                    .quotas
                    .record_request_time(&principal, &client, busy, crate::clock::now_ms());
                frame
            }))
        }
        other => other,
    };
    match ctx.api_key {
        // They weigh it against their byte-rate throttle and apply the larger (Kafka's rule).
        ApiKey::Produce | ApiKey::Fetch => dispatched,
        _ => reply::throttled(dispatched, throttle_ms, ctx, &session.throttle),
    }
}

/// A decoded request to its handler, the authorizer's refusals first.
fn route(
    state: &Arc<BrokerState>,
    session: &Session,
    ctx: RequestContext,
    client_id: Option<String>,
    request_bytes: usize,
    request: RequestKind,
) -> Dispatched {
    let version = ctx.version;
    let caller = &session.caller;
    if let Some(refused) = handlers::refusals::refusal(state, caller, &request) {
        return encode(ctx, refused, 256);
    }
    match request {
        RequestKind::ApiVersions(_) => encode(
            ctx,
            ResponseKind::ApiVersions(handlers::api_versions::response()),
            1024,
        ),
        RequestKind::Metadata(r) => reply(
            ctx,
            handlers::metadata::handle(state, caller, &session.listener, r, version)
                .map(ResponseKind::Metadata),
        ),
        RequestKind::DescribeCluster(r) => reply(
            ctx,
            Ok(ResponseKind::DescribeCluster(handlers::describe_cluster::handle(
                state,
                caller,
                &session.listener,
                r,
            ))),
        ),
        RequestKind::Produce(r) => handlers::produce::handle(
            state,
            session,
            client_id.as_deref().unwrap_or_default(),
            request_bytes,
            r,
            ctx,
        ),
        RequestKind::Fetch(r) => {
            handlers::fetch::handle(state, r, ctx, session, client_id.as_deref().unwrap_or_default())
        }
        RequestKind::ListOffsets(r) => reply(
            ctx,
            Ok(ResponseKind::ListOffsets(handlers::list_offsets::handle(
                state, caller, r, version,
            ))),
        ),
        RequestKind::CreateTopics(r) => reply(
            ctx,
            Ok(ResponseKind::CreateTopics(handlers::topics::create(
                state, caller, r, version,
            ))),
        ),
        RequestKind::DeleteTopics(r) => reply(
            ctx,
            Ok(ResponseKind::DeleteTopics(handlers::topics::delete(
                state, caller, r, version,
            ))),
        ),
        RequestKind::CreatePartitions(r) => reply(
            ctx,
            Ok(ResponseKind::CreatePartitions(
                handlers::topics::create_partitions(state, caller, r),
            )),
        ),
        RequestKind::DescribeConfigs(r) => reply(
            ctx,
            Ok(ResponseKind::DescribeConfigs(handlers::configs::describe(
                state, caller, r, version,
            ))),
        ),
        RequestKind::AlterConfigs(r) => reply(
            ctx,
            Ok(ResponseKind::AlterConfigs(handlers::configs::alter(
                state, caller, r,
            ))),
        ),
        RequestKind::IncrementalAlterConfigs(r) => reply(
            ctx,
            Ok(ResponseKind::IncrementalAlterConfigs(
                handlers::configs::incremental_alter(state, caller, r),
            )),
        ),
        RequestKind::FindCoordinator(r) => reply(
            ctx,
            Ok(ResponseKind::FindCoordinator(handlers::find_coordinator::handle(
                state,
                caller,
                &session.listener,
                r,
                version,
            ))),
        ),
        RequestKind::InitProducerId(r) if r.transactional_id.is_some() => {
            reply_when_done(state, ctx, move |s| {
                ResponseKind::InitProducerId(handlers::init_producer_id::transactional(s, r, version))
            })
        }
        RequestKind::AddPartitionsToTxn(r) => {
            let caller = caller.clone();
            reply_when_done(state, ctx, move |s| {
                ResponseKind::AddPartitionsToTxn(handlers::add_partitions_to_txn::handle(
                    s, &caller, r, version,
                ))
            })
        }
        RequestKind::AddOffsetsToTxn(r) => reply_when_done(state, ctx, move |s| {
            ResponseKind::AddOffsetsToTxn(handlers::add_offsets_to_txn::handle(s, r, version))
        }),
        RequestKind::EndTxn(r) => reply_when_done(state, ctx, move |s| {
            ResponseKind::EndTxn(handlers::end_txn::handle(s, r, version))
        }),
        RequestKind::TxnOffsetCommit(r) => {
            let caller = caller.clone();
            reply_when_done(state, ctx, move |s| {
                ResponseKind::TxnOffsetCommit(handlers::txn_offset_commit::handle(s, &caller, r, version))
            })
        }
        // They wait for the ids' state locks, which EndTxn holds while it writes markers.
        RequestKind::DescribeTransactions(r) => {
            let caller = caller.clone();
            reply_when_done(state, ctx, move |s| {
                ResponseKind::DescribeTransactions(handlers::describe_transactions::handle(s, &caller, r))
            })
        }
        RequestKind::ListTransactions(r) => {
            let caller = caller.clone();
            reply_when_done(state, ctx, move |s| {
                ResponseKind::ListTransactions(handlers::list_transactions::handle(
                    s,
                    &caller,
                    r,
                    crate::clock::now_ms(),
                ))
            })
        }
        // Markers are fsynced: off the async workers.
        RequestKind::WriteTxnMarkers(r) => {
            let caller = caller.clone();
            reply_when_done(state, ctx, move |s| {
                ResponseKind::WriteTxnMarkers(handlers::write_txn_markers::handle(s, &caller, r))
            })
        }
        RequestKind::DescribeProducers(r) => reply(
            ctx,
            Ok(ResponseKind::DescribeProducers(
                handlers::describe_producers::handle(state, caller, r),
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
                state, caller, r, version,
            ))),
        ),
        RequestKind::DescribeGroups(r) => reply(
            ctx,
            Ok(ResponseKind::DescribeGroups(handlers::groups::describe(
                state, caller, r, version,
            ))),
        ),
        RequestKind::DeleteGroups(r) => reply(
            ctx,
            Ok(ResponseKind::DeleteGroups(handlers::groups::delete(
                state, caller, r,
            ))),
        ),
        RequestKind::OffsetCommit(r) => handlers::offsets::commit(state, caller, r, ctx),
        RequestKind::OffsetFetch(r) => reply(
            ctx,
            Ok(ResponseKind::OffsetFetch(handlers::offsets::fetch(
                state, caller, r, version,
            ))),
        ),
        RequestKind::OffsetDelete(r) => reply(
            ctx,
            Ok(ResponseKind::OffsetDelete(handlers::offsets::delete(
                state, caller, r,
            ))),
        ),
        // The exchange happens before dispatch, on SASL listeners only (Kafka's answer here).
        RequestKind::SaslHandshake(_) => encode(
            ctx,
            ResponseKind::SaslHandshake(
                SaslHandshakeResponse::default().with_error_code(ResponseError::IllegalSaslState.code()),
            ),
            64,
        ),
        RequestKind::SaslAuthenticate(_) => encode(
            ctx,
            ResponseKind::SaslAuthenticate(
                SaslAuthenticateResponse::default()
                    .with_error_code(ResponseError::IllegalSaslState.code())
                    .with_error_message(Some(StrBytes::from_static_str(
                        "not expected: the connection is not in a SASL exchange",
                    ))),
            ),
            128,
        ),
        // Credential changes are fsynced: off the async workers.
        RequestKind::AlterUserScramCredentials(r) => {
            let caller = caller.clone();
            reply_when_done(state, ctx, move |s| {
                ResponseKind::AlterUserScramCredentials(handlers::scram_credentials::alter(s, &caller, r))
            })
        }
        RequestKind::DescribeUserScramCredentials(r) => reply(
            ctx,
            Ok(ResponseKind::DescribeUserScramCredentials(
                handlers::scram_credentials::describe(state, caller, r),
            )),
        ),
        // ACL changes are fsynced: off the async workers.
        RequestKind::CreateAcls(r) => {
            let caller = caller.clone();
            reply_when_done(state, ctx, move |s| {
                ResponseKind::CreateAcls(handlers::acls::create(s, &caller, r))
            })
        }
        RequestKind::DeleteAcls(r) => {
            let caller = caller.clone();
            reply_when_done(state, ctx, move |s| {
                ResponseKind::DeleteAcls(handlers::acls::delete(s, &caller, r))
            })
        }
        // Quota changes are fsynced: off the async workers.
        RequestKind::AlterClientQuotas(r) => {
            let caller = caller.clone();
            reply_when_done(state, ctx, move |s| {
                ResponseKind::AlterClientQuotas(handlers::client_quotas::alter(s, &caller, r))
            })
        }
        RequestKind::DescribeClientQuotas(r) => reply(
            ctx,
            Ok(ResponseKind::DescribeClientQuotas(
                handlers::client_quotas::describe(state, caller, r),
            )),
        ),
        RequestKind::DescribeAcls(r) => reply(
            ctx,
            Ok(ResponseKind::DescribeAcls(handlers::acls::describe(
                state, caller, r,
            ))),
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
