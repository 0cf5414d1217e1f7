//! What a handler knows of the connection a request came on.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::listeners::BoundListener;
use crate::memory_budget::MemoryBudget;

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) peer: SocketAddr,
    /// The listener it was accepted on (what Metadata advertises to it, how it authenticates).
    pub(crate) listener: Arc<BoundListener>,
    /// Bytes of this connection's replies built but not yet written to the socket.
    pub(crate) replies: Arc<MemoryBudget>,
}
