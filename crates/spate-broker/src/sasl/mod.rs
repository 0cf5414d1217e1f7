//! SASL authentication on SASL listeners: the per-connection exchange ([`authenticator`]),
//! PLAIN and SCRAM, the mechanism names, the credential store, and what bounds the cost of
//! PLAIN password checks ([`plain_verifier`]).

pub(crate) mod authenticator;
pub mod credentials;
#[cfg(test)]
mod exchange_proptest;
pub(crate) mod failure_limiter;
pub(crate) mod mechanism;
mod plain;
pub(crate) mod plain_verifier;
pub(crate) mod scram;
pub mod scram_client;
pub(crate) mod standalone;
mod verified_passwords;

pub use failure_limiter::PlainLoginLimits;
pub use mechanism::SaslMechanism;
pub use scram::ScramCredential;
pub use scram_client::{SaltedPassword, ScramClient};
