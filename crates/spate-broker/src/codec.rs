//! Request frames to typed requests: the one place untrusted bytes are parsed (the fuzz target
//! drives [`decode_request`] directly).

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, RequestHeader, RequestKind};
use kafka_protocol::protocol::Decodable;

use crate::dispatch::SUPPORTED_APIS;

/// Who asked, for the reply's header and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestContext {
    pub api_key: ApiKey,
    pub version: i16,
    pub correlation_id: i32,
}

/// A request frame, decoded.
#[derive(Debug)]
pub enum DecodedRequest {
    /// A request this broker serves.
    Request {
        ctx: RequestContext,
        /// The client's `client.id`, from the request header.
        client_id: Option<String>,
        request: Box<RequestKind>,
    },
    /// ApiVersions at a version this broker does not know: answered in v0 (KIP-511).
    UnsupportedApiVersions { correlation_id: i32 },
}

/// Why a frame cannot be answered within the protocol (the connection is then closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// Decodes one request frame (without its 4-byte length prefix). Never panics, whatever the bytes.
pub fn decode_request(frame: Bytes) -> Result<DecodedRequest, DecodeError> {
    if frame.len() < 8 {
        return Err(DecodeError(format!(
            "request frame of {} bytes is too short",
            frame.len()
        )));
    }
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let api_key = ApiKey::try_from(raw_key).map_err(|_| DecodeError(format!("unknown API key {raw_key}")))?;
    let (min, max) = SUPPORTED_APIS
        .iter()
        .find(|(k, _, _)| *k == api_key)
        .map(|&(_, min, max)| (min, max))
        .ok_or_else(|| DecodeError(format!("unsupported API {api_key:?}")))?;
    if version < min || version > max {
        if api_key == ApiKey::ApiVersions {
            return Ok(DecodedRequest::UnsupportedApiVersions { correlation_id });
        }
        return Err(DecodeError(format!(
            "{api_key:?} v{version} is not supported (v{min}..=v{max})"
        )));
    }
    let mut body = frame;
    let header = RequestHeader::decode(&mut body, api_key.request_header_version(version))
        .map_err(|e| DecodeError(format!("malformed {api_key:?} v{version} request header: {e}")))?;
    let request = RequestKind::decode(api_key, &mut body, version)
        .map_err(|e| DecodeError(format!("malformed {api_key:?} v{version} request: {e}")))?;
    Ok(DecodedRequest::Request {
        ctx: RequestContext {
            api_key,
            version,
            correlation_id,
        },
        client_id: header.client_id.map(|c| c.as_str().to_string()),
        request: Box::new(request),
    })
}
