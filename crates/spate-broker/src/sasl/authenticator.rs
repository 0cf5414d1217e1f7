//! The SASL exchange of one connection on a SASL listener, before it is authenticated:
//! ApiVersions, then SaslHandshake (v1) naming a mechanism, then SaslAuthenticate rounds.
//!
//! Contracts: any other request before authentication closes the connection (as Kafka does);
//! a malformed request or token fails the exchange without panicking; a failed authentication
//! is answered SASL_AUTHENTICATION_FAILED with a generic message (the reason is only logged), and
//! the caller delays that reply and then closes the connection. PLAIN passwords are checked by
//! the broker-wide [`PlainVerifier`], which bounds what guessing can cost.

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::{
    ApiKey, RequestKind, ResponseKind, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::StrBytes;

use base64::Engine as _;

use super::credentials::CredentialStore;
use super::plain_verifier::PlainVerifier;
use crate::codec::{DecodedRequest, RequestContext, decode_request, encode_frame};
use spate_kafka_security::SaslMechanism;
use spate_kafka_security::scram::{ScramFailure, ScramServer, hmac};

/// What the connection does after a request on an unauthenticated SASL connection.
#[derive(Debug)]
pub enum Step {
    /// Not part of the exchange but allowed before it (ApiVersions): handle it as usual.
    Dispatch(Bytes),
    /// Send this reply; the exchange goes on.
    Reply(Bytes),
    /// Send this reply; the connection is now `User:{user}`.
    Authenticated { reply: Bytes, user: String },
    /// Send this reply after the failed-authentication delay, then close.
    Failed { reply: Bytes, reason: String },
    /// Close without a reply (a request that has no place here, or a malformed one).
    Close(String),
}

#[derive(Debug)]
enum Stage {
    Start,
    Chosen(SaslMechanism),
    Scram(Box<ScramServer>),
}

/// What the exchange needs of the broker.
#[derive(Debug)]
pub(crate) struct SaslSettings<'a> {
    pub(crate) credentials: &'a Arc<CredentialStore>,
    /// `sasl.enabled.mechanisms`.
    pub(crate) mechanisms: &'a [SaslMechanism],
    /// Keys the made-up salts of unknown users.
    pub(crate) secret: &'a [u8],
    /// Checks PLAIN passwords.
    pub(crate) plain: &'a PlainVerifier,
    /// The client's address (what PLAIN failures are counted against).
    pub(crate) peer: IpAddr,
}

/// The exchange so far.
#[derive(Debug)]
pub(crate) struct Authenticator {
    stage: Stage,
}

impl Authenticator {
    pub(crate) fn new() -> Authenticator {
        Authenticator { stage: Stage::Start }
    }

    /// Handles one request frame of an unauthenticated connection.
    pub(crate) async fn handle(&mut self, settings: &SaslSettings<'_>, frame: Bytes) -> Step {
        if frame.len() >= 2 && i16::from_be_bytes([frame[0], frame[1]]) == ApiKey::ApiVersions as i16 {
            return Step::Dispatch(frame);
        }
        let (ctx, request) = match decode_request(frame) {
            Ok(DecodedRequest::Request { ctx, request, .. }) => (ctx, request),
            Ok(DecodedRequest::UnsupportedApiVersions { .. }) => {
                return Step::Close("unexpected ApiVersions".into());
            }
            Err(e) => return Step::Close(e.0),
        };
        match (*request, std::mem::replace(&mut self.stage, Stage::Start)) {
            (RequestKind::SaslHandshake(r), Stage::Start) => self.handshake(settings.mechanisms, ctx, r),
            (RequestKind::SaslAuthenticate(r), Stage::Chosen(SaslMechanism::Plain)) => {
                let verdict = settings
                    .plain
                    .verify(settings.credentials, settings.peer, &r.auth_bytes)
                    .await;
                match verdict {
                    Ok(user) => authenticated(ctx, Bytes::new(), user),
                    Err(reason) => failed(ctx, SaslMechanism::Plain, reason),
                }
            }
            (RequestKind::SaslAuthenticate(r), Stage::Chosen(mechanism)) => {
                let mut server = ScramServer::new(mechanism);
                let reply = server.client_first(
                    &r.auth_bytes,
                    |user| settings.credentials.get(user, mechanism),
                    |user| fake_salt(settings.secret, user),
                    &server_nonce(),
                );
                match reply {
                    Ok(server_first) => {
                        self.stage = Stage::Scram(Box::new(server));
                        reply_with(ctx, Bytes::from(server_first))
                    }
                    Err(ScramFailure(reason)) => failed(ctx, mechanism, reason),
                }
            }
            (RequestKind::SaslAuthenticate(r), Stage::Scram(mut server)) => {
                let mechanism = server.mechanism();
                match server.client_final(&r.auth_bytes) {
                    Ok((user, server_final)) => authenticated(ctx, Bytes::from(server_final), user),
                    Err(ScramFailure(reason)) => failed(ctx, mechanism, reason),
                }
            }
            (other, _) => Step::Close(format!(
                "unexpected {:?} during SASL authentication",
                api_key_of(&other)
            )),
        }
    }

    fn handshake(&mut self, enabled: &[SaslMechanism], ctx: RequestContext, r: SaslHandshakeRequest) -> Step {
        let mechanisms = enabled
            .iter()
            .map(|m| StrBytes::from_static_str(m.name()))
            .collect();
        let chosen = r
            .mechanism
            .as_str()
            .parse::<SaslMechanism>()
            .ok()
            .filter(|m| enabled.contains(m));
        let mut response = SaslHandshakeResponse::default().with_mechanisms(mechanisms);
        let Some(mechanism) = chosen else {
            response.error_code = ResponseError::UnsupportedSaslMechanism.code();
            let reason = format!("mechanism {:?} is not enabled", r.mechanism.as_str());
            return match encode_frame(ctx, ResponseKind::SaslHandshake(response), 128) {
                Some(reply) => Step::Failed { reply, reason },
                None => Step::Close(reason),
            };
        };
        self.stage = Stage::Chosen(mechanism);
        match encode_frame(ctx, ResponseKind::SaslHandshake(response), 128) {
            Some(reply) => Step::Reply(reply),
            None => Step::Close("could not encode SaslHandshake".into()),
        }
    }
}

fn api_key_of(request: &RequestKind) -> String {
    format!("{:?}", std::mem::discriminant(request))
}

fn reply_with(ctx: RequestContext, auth_bytes: Bytes) -> Step {
    let response = SaslAuthenticateResponse::default().with_auth_bytes(auth_bytes);
    match encode_frame(ctx, ResponseKind::SaslAuthenticate(response), 256) {
        Some(reply) => Step::Reply(reply),
        None => Step::Close("could not encode SaslAuthenticate".into()),
    }
}

fn authenticated(ctx: RequestContext, auth_bytes: Bytes, user: String) -> Step {
    match reply_with(ctx, auth_bytes) {
        Step::Reply(reply) => Step::Authenticated { reply, user },
        other => other,
    }
}

fn failed(ctx: RequestContext, mechanism: SaslMechanism, reason: String) -> Step {
    // Kafka's wording; the reason stays in the broker's log.
    let message = format!(
        "Authentication failed during authentication due to invalid credentials with SASL mechanism {mechanism}"
    );
    let response = SaslAuthenticateResponse::default()
        .with_error_code(ResponseError::SaslAuthenticationFailed.code())
        .with_error_message(Some(StrBytes::from_string(message)));
    match encode_frame(ctx, ResponseKind::SaslAuthenticate(response), 256) {
        Some(reply) => Step::Failed { reply, reason },
        None => Step::Close(reason),
    }
}

/// 32 random bytes, base64 (printable, no commas).
fn server_nonce() -> String {
    let mut bytes = uuid::Uuid::new_v4().as_bytes().to_vec();
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

/// A salt for a user without a credential that is the same on every attempt (while the broker
/// runs), so probing cannot tell unknown users from known ones by their salt.
fn fake_salt(secret: &[u8], user: &str) -> Vec<u8> {
    let mut salt = hmac(SaslMechanism::ScramSha256, secret, user.as_bytes());
    salt.truncate(16);
    salt
}
