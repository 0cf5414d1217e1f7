//! What a handler knows of the connection a request came on.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::memory_budget::MemoryBudget;

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) peer: SocketAddr,
    /// Bytes of this connection's replies built but not yet written to the socket.
    pub(crate) replies: Arc<MemoryBudget>,
}
