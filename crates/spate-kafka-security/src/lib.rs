//! The Kafka security vocabulary both ends of a connection share: SASL mechanism names, SCRAM
//! (RFC 5802/7677) credentials and both halves of its exchange, the client side of TLS from
//! librdkafka's property names, and Kafka's ACL model with its wire codes.
//!
//! Spate's broker (`spate-broker`, the server side) and its raw-protocol client
//! (`spate-kafka-client`) both build on this crate, so neither depends on the other and a proof
//! is computed one way at both ends. Everything here is sans-io: no sockets, no files except the
//! PEM files a [`ClientTlsSettings`] names.
//!
//! Key types:
//! - [`SaslMechanism`]: `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`.
//! - [`scram::ScramCredential`] (what a broker stores) and [`scram::ScramServer`]; the client
//!   half is [`ScramClient`], and [`SaltedPassword`] makes a credential without sending the
//!   password (AlterUserScramCredentials).
//! - [`ClientTlsSettings`]: `ssl.ca.location`, `ssl.certificate.location`, ... to a rustls
//!   client configuration.
//! - [`acl`]: resource, pattern, operation and permission types, [`acl::AclBinding`] and
//!   [`acl::AclFilter`].
//!
//! ```
//! use spate_kafka_security::{SaslMechanism, ScramClient};
//! use spate_kafka_security::scram::{ScramCredential, ScramServer};
//!
//! let m: SaslMechanism = "SCRAM-SHA-256".parse().unwrap();
//! let stored = ScramCredential::from_password(m, "secret", b"salt", 4096);
//! let (mut server, mut client) = (ScramServer::new(m), ScramClient::new(m, "alice", "secret"));
//! let server_first = server
//!     .client_first(&client.client_first(), |_| Some(stored.clone()), |_| Vec::new(), "srv")
//!     .unwrap();
//! let client_final = client.client_final(&server_first).unwrap();
//! let (user, server_final) = server.client_final(&client_final).unwrap();
//! assert_eq!(user, "alice");
//! client.verify_server_final(&server_final).unwrap();
//! ```

pub mod acl;
mod client_tls;
mod sasl_mechanism;
pub mod scram;
mod scram_client;

pub use client_tls::ClientTlsSettings;
pub use sasl_mechanism::SaslMechanism;
pub use scram_client::{SaltedPassword, ScramClient};
