//! TLS for SSL and SASL_SSL listeners (rustls on the `ring` provider) and for Spate's own
//! raw-protocol client: Kafka's `ssl.*` properties (`settings`), the server side and its
//! handshake (`acceptor`), the principal taken from a client certificate's subject
//! (`subject`, then `principal_mapping` for `ssl.principal.mapping.rules`) and (re-exported from
//! `spate_kafka_security`) the client configuration from librdkafka's property names, and TLS for a non-Kafka
//! listener in the broker's process from the same properties ([`HttpsAcceptor`]).
//!
//! Contracts: a listener's TLS configuration is built (files read) when the broker starts, so a
//! bad file stops the start with an error naming the key; a connection whose handshake fails or
//! does not finish within the time limit is closed and logged, and nothing else is affected.

pub(crate) mod acceptor;
mod https;
pub(crate) mod principal_mapping;
pub(crate) mod settings;
pub(crate) mod subject;

pub use https::HttpsAcceptor;
pub use spate_kafka_security::ClientTlsSettings;
