//! [`Principal`]: who a request to the REST API comes from, as the guard
//! ([`crate::rest::guard`]) established it.
//!
//! - **The administrator**: a request with the server's token (`DATA_DIR/http-token`), or any
//!   request when the server runs with `--no-auth`. It may do everything, as Flink's REST API
//!   lets anyone who reaches it.
//! - **A user** of the embedded broker: HTTP basic authentication against the broker's SCRAM
//!   users (the password a SASL/PLAIN login would take), or a client certificate on a TLS port
//!   with `ssl.client.auth`. Its rights are the broker's ACLs for `User:NAME` from its address
//!   ([`crate::rights`]).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The holder of the server's token (everything is allowed).
    Admin,
    /// A user of the broker.
    User(Owner),
}

/// A user principal with the address it came from (ACLs name hosts): also what a job keeps of
/// who submitted it, so each of its runs is allowed what its owner is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// `User:NAME`.
    pub principal: String,
    /// The client's address.
    pub host: IpAddr,
}

impl Principal {
    /// A user principal `User:<name>` from `host`.
    pub fn user(name: &str, host: IpAddr) -> Self {
        Self::User(Owner {
            principal: format!("User:{name}"),
            host,
        })
    }

    /// What a job submitted by this principal records as its owner (`None`: the administrator).
    pub fn owner(&self) -> Option<Owner> {
        match self {
            Self::Admin => None,
            Self::User(o) => Some(o.clone()),
        }
    }

    /// `User:NAME`, or `admin`.
    pub fn name(&self) -> &str {
        match self {
            Self::Admin => "admin",
            Self::User(o) => &o.principal,
        }
    }
}
