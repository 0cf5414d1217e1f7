//! The wire codec, both ways: request frames to typed requests (the one place untrusted bytes
//! are parsed; the fuzz target drives [`decode_request`] directly), typed replies to frames, and
//! the table of API versions this broker speaks.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, RequestHeader, RequestKind, ResponseHeader, ResponseKind};
use kafka_protocol::protocol::{Decodable, Encodable};

/// API versions this broker speaks, advertised by ApiVersions.
pub const SUPPORTED_APIS: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 12),
    (ApiKey::Fetch, 4, 16),
    (ApiKey::ListOffsets, 1, 8),
    (ApiKey::Metadata, 0, 12),
    // KIP-700/919 (v2: fenced brokers, of which there are none).
    (ApiKey::DescribeCluster, 0, 2),
    (ApiKey::ApiVersions, 0, 4),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::DeleteTopics, 1, 6),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::AlterConfigs, 0, 2),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
    (ApiKey::InitProducerId, 0, 5),
    (ApiKey::FindCoordinator, 0, 6),
    (ApiKey::JoinGroup, 0, 9),
    (ApiKey::SyncGroup, 0, 5),
    (ApiKey::Heartbeat, 0, 4),
    (ApiKey::LeaveGroup, 0, 5),
    (ApiKey::OffsetCommit, 2, 8),
    (ApiKey::OffsetFetch, 1, 8),
    (ApiKey::OffsetDelete, 0, 0),
    (ApiKey::ListGroups, 0, 5),
    (ApiKey::DescribeGroups, 0, 5),
    (ApiKey::DeleteGroups, 0, 2),
    // Transactions: client versions before KIP-890's implicit partition registration.
    (ApiKey::AddPartitionsToTxn, 0, 3),
    (ApiKey::AddOffsetsToTxn, 0, 3),
    (ApiKey::EndTxn, 0, 4),
    (ApiKey::TxnOffsetCommit, 0, 3),
    // KIP-664 (v1 of ListTransactions: KIP-994's duration filter).
    (ApiKey::DescribeTransactions, 0, 0),
    (ApiKey::ListTransactions, 0, 1),
    // Operators' tools for hanging transactions (`spate transactions`, kafka-transactions.sh).
    (ApiKey::WriteTxnMarkers, 1, 1),
    (ApiKey::DescribeProducers, 0, 0),
    // SASL: v0 of SaslHandshake (raw tokens after it) is not spoken; clients use v1 with
    // SaslAuthenticate when the broker offers it.
    (ApiKey::SaslHandshake, 1, 1),
    (ApiKey::SaslAuthenticate, 0, 2),
    (ApiKey::DescribeUserScramCredentials, 0, 0),
    (ApiKey::AlterUserScramCredentials, 0, 0),
    // ACLs (v0 is gone from Kafka 4 and from the codec; every client speaks v1).
    (ApiKey::DescribeAcls, 1, 3),
    (ApiKey::CreateAcls, 1, 3),
    (ApiKey::DeleteAcls, 1, 3),
    // Client quotas (KIP-546; v1 is flexible).
    (ApiKey::DescribeClientQuotas, 0, 1),
    (ApiKey::AlterClientQuotas, 0, 1),
];

/// Who asked, for the reply's header and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestContext {
    pub api_key: ApiKey,
    pub version: i16,
    pub correlation_id: i32,
    /// The request quota's throttle time for this request (KIP-124), 0 when not throttled:
    /// [`encode_frame`] puts it in the reply's `throttle_time_ms` unless a larger (byte-rate)
    /// throttle is there already, so every reply that has the field carries it.
    pub throttle_time_ms: i32,
}

impl RequestContext {
    /// The request quota's throttle time in ms (see `throttle_time_ms`).
    pub(crate) fn request_throttle_ms(&self) -> u64 {
        u64::try_from(self.throttle_time_ms).unwrap_or(0)
    }
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
            throttle_time_ms: 0,
        },
        client_id: header.client_id.map(|c| c.as_str().to_string()),
        request: Box::new(request),
    })
}

/// Frames a reply: length prefix, response header of the request's version, body. `None` (and
/// a loud log) when the body cannot be encoded at that version, which is a broker bug.
pub fn encode_frame(ctx: RequestContext, mut response: ResponseKind, capacity: usize) -> Option<Bytes> {
    if ctx.throttle_time_ms > 0 {
        raise_throttle_time(&mut response, ctx.throttle_time_ms);
    }
    let mut buf = BytesMut::with_capacity(capacity + 16);
    buf.put_i32(0);
    let header = ResponseHeader::default().with_correlation_id(ctx.correlation_id);
    let result = header
        .encode(&mut buf, ctx.api_key.response_header_version(ctx.version))
        .and_then(|_| response.encode(&mut buf, ctx.version));
    if let Err(e) = result {
        // A reply that the version cannot carry is a broker bug: log it loudly.
        tracing::error!("encoding {:?} v{} reply failed: {e}", ctx.api_key, ctx.version);
        return None;
    }
    let len = (buf.len() - 4) as i32;
    buf[0..4].copy_from_slice(&len.to_be_bytes());
    Some(buf.freeze())
}

/// Raises the response's `throttle_time_ms` to `ms` (the larger of a byte-rate and a request
/// throttle is what Kafka reports). Every response of [`SUPPORTED_APIS`] has the field but
/// SaslHandshake, SaslAuthenticate and WriteTxnMarkers (never throttled); a version without it
/// does not encode it.
fn raise_throttle_time(response: &mut ResponseKind, ms: i32) {
    macro_rules! raise {
        ($($api:ident),* $(,)?) => {
            match response {
                $(ResponseKind::$api(r) => r.throttle_time_ms = r.throttle_time_ms.max(ms),)*
                _ => {}
            }
        };
    }
    raise!(
        Produce,
        Fetch,
        ListOffsets,
        Metadata,
        DescribeCluster,
        ApiVersions,
        CreateTopics,
        DeleteTopics,
        DescribeConfigs,
        AlterConfigs,
        CreatePartitions,
        IncrementalAlterConfigs,
        InitProducerId,
        FindCoordinator,
        JoinGroup,
        SyncGroup,
        Heartbeat,
        LeaveGroup,
        OffsetCommit,
        OffsetFetch,
        OffsetDelete,
        ListGroups,
        DescribeGroups,
        DeleteGroups,
        AddPartitionsToTxn,
        AddOffsetsToTxn,
        EndTxn,
        TxnOffsetCommit,
        DescribeTransactions,
        ListTransactions,
        DescribeProducers,
        DescribeUserScramCredentials,
        AlterUserScramCredentials,
        DescribeAcls,
        CreateAcls,
        DeleteAcls,
        DescribeClientQuotas,
        AlterClientQuotas,
    );
}

pub(crate) fn supported_api_versions() -> Vec<ApiVersion> {
    SUPPORTED_APIS
        .iter()
        .map(|&(key, min, max)| {
            ApiVersion::default()
                .with_api_key(key as i16)
                .with_min_version(min)
                .with_max_version(max)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::{MetadataResponse, ProduceResponse, SaslHandshakeResponse};

    use super::*;

    fn decoded<T: Decodable>(frame: Bytes, ctx: RequestContext) -> T {
        let mut body = frame.slice(4..);
        ResponseHeader::decode(&mut body, ctx.api_key.response_header_version(ctx.version)).unwrap();
        T::decode(&mut body, ctx.version).unwrap()
    }

    #[test]
    fn the_request_throttle_reaches_every_reply_with_the_field() {
        let ctx = |api_key, version| RequestContext {
            api_key,
            version,
            correlation_id: 7,
            throttle_time_ms: 300,
        };
        let metadata = ctx(ApiKey::Metadata, 12);
        let frame = encode_frame(metadata, ResponseKind::Metadata(MetadataResponse::default()), 64).unwrap();
        assert_eq!(decoded::<MetadataResponse>(frame, metadata).throttle_time_ms, 300);
        // The larger of a byte-rate throttle already there and the request's.
        let produce = ctx(ApiKey::Produce, 9);
        let byte_throttled = ProduceResponse::default().with_throttle_time_ms(900);
        let frame = encode_frame(produce, ResponseKind::Produce(byte_throttled), 64).unwrap();
        assert_eq!(decoded::<ProduceResponse>(frame, produce).throttle_time_ms, 900);
        let frame = encode_frame(produce, ResponseKind::Produce(ProduceResponse::default()), 64).unwrap();
        assert_eq!(decoded::<ProduceResponse>(frame, produce).throttle_time_ms, 300);
        // Versions and responses without the field encode as before.
        let old = ctx(ApiKey::Metadata, 2);
        let frame = encode_frame(old, ResponseKind::Metadata(MetadataResponse::default()), 64).unwrap();
        assert_eq!(decoded::<MetadataResponse>(frame, old).throttle_time_ms, 0);
        let sasl = ctx(ApiKey::SaslHandshake, 1);
        let frame = encode_frame(
            sasl,
            ResponseKind::SaslHandshake(SaslHandshakeResponse::default()),
            64,
        );
        assert!(frame.is_some());
    }
}
