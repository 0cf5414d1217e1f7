//! What a handler hands back to the connection: a reply frame now, later, none, or a reason to
//! close.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use kafka_protocol::messages::ResponseKind;

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
    match encode_frame(ctx, &response, capacity) {
        Some(bytes) => Dispatched::Reply(bytes),
        None => Dispatched::Close(format!(
            "could not encode {:?} v{} reply",
            ctx.api_key, ctx.version
        )),
    }
}
