//! What a handler hands back to the connection: a reply frame now, later, none, or a reason to
//! close.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, ResponseKind};

use crate::codec::{RequestContext, encode_frame};

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

/// Encodes a reply frame; `capacity` is a size hint.
pub(crate) fn encode(ctx: RequestContext, response: ResponseKind, capacity: usize) -> Dispatched {
    match encode_frame(ctx, response, capacity) {
        Some(bytes) => Dispatched::Reply(bytes),
        None => Dispatched::Close(format!(
            "could not encode {:?} v{} reply",
            ctx.api_key, ctx.version
        )),
    }
}

/// A reply of a client over a quota (`throttle_ms` > 0, already in the reply's
/// `throttle_time_ms` where its version has the field): the connection is muted for that long
/// and, for request versions before KIP-219 (see [`client_throttles_itself`]), the reply itself
/// waits that long too, since those clients do not back off on their own.
pub(crate) fn throttled(
    dispatched: Dispatched,
    throttle_ms: u64,
    ctx: RequestContext,
    throttle: &crate::throttle::Throttle,
) -> Dispatched {
    if throttle_ms == 0 {
        return dispatched;
    }
    throttle.mute_for(throttle_ms);
    if client_throttles_itself(ctx.api_key, ctx.version) {
        return dispatched;
    }
    let delay = std::time::Duration::from_millis(throttle_ms);
    match dispatched {
        Dispatched::Reply(bytes) => Dispatched::Deferred(Box::pin(async move {
            tokio::time::sleep(delay).await;
            Some(bytes)
        })),
        Dispatched::Deferred(reply) => Dispatched::Deferred(Box::pin(async move {
            let bytes = reply.await;
            tokio::time::sleep(delay).await;
            bytes
        })),
        other => other,
    }
}

/// Whether a client backs off on the response's `throttle_time_ms` itself (KIP-219), by the
/// first version of each response after which Kafka's clients do (their
/// `shouldClientThrottle`); responses Kafka's clients never throttle on are delayed instead.
pub(crate) fn client_throttles_itself(api: ApiKey, version: i16) -> bool {
    let first = match api {
        ApiKey::IncrementalAlterConfigs
        | ApiKey::OffsetDelete
        | ApiKey::AlterUserScramCredentials
        | ApiKey::DescribeUserScramCredentials => 0,
        ApiKey::AddOffsetsToTxn
        | ApiKey::AddPartitionsToTxn
        | ApiKey::AlterConfigs
        | ApiKey::CreateAcls
        | ApiKey::CreatePartitions
        | ApiKey::DeleteAcls
        | ApiKey::DeleteGroups
        | ApiKey::DescribeAcls
        | ApiKey::EndTxn
        | ApiKey::InitProducerId
        | ApiKey::TxnOffsetCommit => 1,
        ApiKey::ApiVersions
        | ApiKey::DeleteTopics
        | ApiKey::DescribeConfigs
        | ApiKey::DescribeGroups
        | ApiKey::FindCoordinator
        | ApiKey::Heartbeat
        | ApiKey::LeaveGroup
        | ApiKey::ListGroups
        | ApiKey::SyncGroup => 2,
        ApiKey::CreateTopics | ApiKey::JoinGroup | ApiKey::ListOffsets => 3,
        ApiKey::OffsetCommit | ApiKey::OffsetFetch => 4,
        ApiKey::Metadata | ApiKey::Produce => 6,
        ApiKey::Fetch => 8,
        _ => return false,
    };
    version >= first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kip_219_versions() {
        assert!(!client_throttles_itself(ApiKey::Produce, 5));
        assert!(client_throttles_itself(ApiKey::Produce, 6));
        assert!(!client_throttles_itself(ApiKey::Fetch, 7));
        assert!(client_throttles_itself(ApiKey::Fetch, 8));
        assert!(!client_throttles_itself(ApiKey::Metadata, 5));
        assert!(client_throttles_itself(ApiKey::Metadata, 12));
        assert!(client_throttles_itself(ApiKey::OffsetDelete, 0));
        // Kafka's clients never throttle on these themselves.
        assert!(!client_throttles_itself(ApiKey::DescribeClientQuotas, 1));
        assert!(!client_throttles_itself(ApiKey::DescribeCluster, 2));
    }
}
