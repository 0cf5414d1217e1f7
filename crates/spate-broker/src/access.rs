//! [`BrokerAccess`]: the broker's users and ACLs, for a front end in the broker's process that
//! authenticates people and decides what they may do by the same rules as Kafka clients
//! (`spate server`'s REST API: HTTP basic authentication against the SCRAM users, REST actions
//! checked against the ACLs).
//!
//! Contracts: a password is checked exactly as a SASL/PLAIN login is, through the broker-wide
//! verifier, so guesses over HTTP count against the same per-address and per-user failure
//! limits and the same bound on concurrent key derivations as guesses over Kafka; a decision
//! is the authorizer's (super users, ACLs, `allow.everyone.if.no.acl.found`, and everything
//! allowed while the authorizer is off), read from the ACLs as they are at the call.

use std::net::IpAddr;
use std::sync::Arc;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::state::BrokerState;

/// A handle on a running broker's users and ACLs (cheap to clone; it keeps the broker's state
/// alive, not its listeners).
#[derive(Clone)]
pub struct BrokerAccess {
    state: Arc<BrokerState>,
}

impl std::fmt::Debug for BrokerAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerAccess")
            .field("authorizer", &self.state.authorizer.enabled())
            .finish_non_exhaustive()
    }
}

impl BrokerAccess {
    pub(crate) fn new(state: Arc<BrokerState>) -> BrokerAccess {
        BrokerAccess { state }
    }

    /// Whether any SCRAM user exists (users are added and removed while the broker runs).
    pub fn has_users(&self) -> bool {
        self.state.credentials.has_users()
    }

    /// The user that `user` and `password` authenticate, checked against the user's SCRAM
    /// credentials as a SASL/PLAIN login from `peer` is; `Err` says why not, for a log and never
    /// for the client (it tells unknown users from wrong passwords).
    pub async fn verify_password(&self, peer: IpAddr, user: &str, password: &str) -> Result<String, String> {
        if user.is_empty() || password.is_empty() {
            return Err("an empty user name or password".into());
        }
        self.state
            .plain_verifier
            .verify_password(
                &self.state.credentials,
                peer,
                user.to_string(),
                password.to_string(),
            )
            .await
    }

    /// Whether `local` (what [`crate::local::find`] gave for some bootstrap list) is this
    /// broker: a reader in this process then reads its partition logs directly, without a
    /// connection that the broker would authenticate, so a front end checks the rights itself.
    pub fn serves(&self, local: &crate::local::LocalBroker) -> bool {
        local.is(&self.state)
    }

    /// Whether requests are checked against ACLs at all; when not, [`Self::allows`] allows
    /// everything, as Kafka without an authorizer does.
    pub fn authorizer_enabled(&self) -> bool {
        self.state.authorizer.enabled()
    }

    /// Whether `principal` (`User:NAME`) from `host` may do `operation` on `resource`; a
    /// refusal is logged with the broker's own refusals (rate-limited).
    pub fn allows(
        &self,
        principal: &str,
        host: IpAddr,
        operation: Operation,
        resource: Resource<'_>,
    ) -> bool {
        self.state
            .authorizer
            .allows(&caller(principal, host), operation, resource)
    }

    /// [`Self::allows`] without the log line, for listings that leave out what the caller may
    /// not see (as Kafka's Metadata and ListGroups do).
    pub fn filters_in(
        &self,
        principal: &str,
        host: IpAddr,
        operation: Operation,
        resource: Resource<'_>,
    ) -> bool {
        self.state
            .authorizer
            .filters_in(&caller(principal, host), operation, resource)
    }
}

fn caller(principal: &str, host: IpAddr) -> Caller {
    Caller {
        principal: principal.into(),
        host: host.to_string().into(),
    }
}
