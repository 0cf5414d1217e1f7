//! SASL authentication on SASL listeners.

mod mechanism;

pub use mechanism::SaslMechanism;
