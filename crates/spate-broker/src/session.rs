//! What a handler knows of the connection a request came on.

/// The principal of connections on PLAINTEXT listeners (Kafka's name).
pub(crate) const ANONYMOUS: &str = "User:ANONYMOUS";

use std::net::SocketAddr;
use std::sync::Arc;

use crate::acl::authorizer::Caller;
use crate::listeners::BoundListener;
use crate::memory_budget::MemoryBudget;
use crate::throttle::Throttle;

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) peer: SocketAddr,
    /// The listener it was accepted on (what Metadata advertises to it, how it authenticates).
    pub(crate) listener: Arc<BoundListener>,
    /// Who the client is — `User:ANONYMOUS` on PLAINTEXT listeners and for TLS clients without
    /// a certificate, `User:<subject>` (RFC 2253, e.g. `User:CN=alice,O=Example`) for a TLS
    /// client certificate, `User:NAME` once a SASL
    /// exchange succeeded (nothing but ApiVersions is dispatched before that) — and its host,
    /// as the authorizer sees them.
    pub(crate) caller: Caller,
    /// Bytes of this connection's replies built but not yet written to the socket.
    pub(crate) replies: Arc<MemoryBudget>,
    /// Quota throttling: until when no further request of this connection is read.
    pub(crate) throttle: Arc<Throttle>,
}

impl Session {
    /// Sets who the client is (at connect, and once SASL authenticated it).
    pub(crate) fn set_principal(&mut self, principal: &str) {
        self.caller.principal = principal.into();
    }
}
