//! SASL authentication on SASL listeners: the per-connection exchange ([`authenticator`]),
//! PLAIN and SCRAM, and the mechanism names.

pub(crate) mod authenticator;
mod mechanism;
mod plain;
pub(crate) mod scram;

pub use mechanism::SaslMechanism;
pub use scram::ScramCredential;
