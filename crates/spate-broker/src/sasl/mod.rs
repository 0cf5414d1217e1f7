//! SASL authentication on SASL listeners: the per-connection exchange ([`authenticator`]),
//! PLAIN and SCRAM (the exchange itself and the mechanism names are `spate_kafka_security`'s), the credential store, and what bounds the cost of
//! PLAIN password checks ([`plain_verifier`]).

pub(crate) mod authenticator;
pub mod credentials;
#[cfg(test)]
mod exchange_proptest;
pub(crate) mod failure_limiter;
mod plain;
pub(crate) mod plain_verifier;
pub(crate) mod standalone;
mod verified_passwords;

pub use failure_limiter::PlainLoginLimits;
pub use spate_kafka_security::scram::ScramCredential;
pub use spate_kafka_security::{SaltedPassword, SaslMechanism, ScramClient};
