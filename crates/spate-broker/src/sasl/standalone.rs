//! The pre-authentication exchange of one connection without a socket or a running broker, for
//! the fuzzer (`fuzz/fuzz_targets/sasl_exchange.rs`): the same [`Authenticator`] and PLAIN
//! checks a SASL listener runs, against a given credential store, from a loopback address,
//! without the failed-authentication delay (that is the connection's).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bytes::Bytes;

use super::authenticator::{Authenticator, SaslSettings, Step};
use super::credentials::CredentialStore;
use super::failure_limiter::PlainLoginLimits;
use super::plain_verifier::PlainVerifier;
use spate_kafka_security::SaslMechanism;

/// One connection's SASL exchange, frame by frame.
#[derive(Debug)]
pub struct SaslExchange {
    credentials: Arc<CredentialStore>,
    mechanisms: Vec<SaslMechanism>,
    plain: PlainVerifier,
    secret: [u8; 16],
    authenticator: Authenticator,
}

impl SaslExchange {
    /// A fresh exchange offering `mechanisms` against `credentials`, with the default PLAIN
    /// limits.
    pub fn new(credentials: Arc<CredentialStore>, mechanisms: &[SaslMechanism]) -> SaslExchange {
        SaslExchange {
            credentials,
            mechanisms: mechanisms.to_vec(),
            plain: PlainVerifier::new(&PlainLoginLimits::default()),
            secret: *b"standalone-salts",
            authenticator: Authenticator::new(),
        }
    }

    /// Handles one request frame (without its length prefix) as an unauthenticated connection
    /// would. Needs a tokio runtime (PLAIN checks run on its blocking pool).
    pub async fn handle(&mut self, frame: Bytes) -> Step {
        let settings = SaslSettings {
            credentials: &self.credentials,
            mechanisms: &self.mechanisms,
            secret: &self.secret,
            plain: &self.plain,
            peer: IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        self.authenticator.handle(&settings, frame).await
    }
}
