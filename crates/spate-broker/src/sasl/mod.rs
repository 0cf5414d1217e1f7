//! SASL authentication on SASL listeners: the per-connection exchange ([`authenticator`]),
//! PLAIN and SCRAM, the mechanism names, and the credential store.

pub(crate) mod authenticator;
pub mod credentials;
#[cfg(test)]
mod exchange_proptest;
pub(crate) mod mechanism;
mod plain;
pub(crate) mod scram;
pub mod scram_client;

pub use mechanism::SaslMechanism;
pub use scram::ScramCredential;
pub use scram_client::{SaltedPassword, ScramClient};
