//! `decode_request` is total: random frames and mutated valid frames give a request or a
//! `DecodeError`, never a panic.
// Helper functions outside #[test] unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use crate::common;

use bytes::Bytes;
use common::raw::{batch, encode_frame, produce_request, topic_name};
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, CreateTopicsRequest, DescribeConfigsRequest, FetchRequest,
    InitProducerIdRequest, ListOffsetsRequest, MetadataRequest,
};
use kafka_protocol::protocol::StrBytes;
use proptest::prelude::*;
use spate_broker::codec::{DecodedRequest, decode_request};

/// Valid request frames (without the length prefix) across APIs and versions, flexible and not.
fn valid_frames() -> Vec<Bytes> {
    let mut frames = Vec::new();
    let mut push = |frame: bytes::BytesMut| frames.push(frame.freeze().slice(4..));
    let records = batch(&[b"a", b"bb", b"ccc"], 1_700_000_000_000, None);
    for version in [3, 8, 9, 11] {
        push(encode_frame(
            &produce_request("t", 0, records.clone(), -1),
            version,
            1,
        ));
    }
    let fetch = FetchRequest::default().with_max_wait_ms(100).with_topics(vec![
        FetchTopic::default()
            .with_topic(topic_name("t"))
            .with_partitions(vec![
                FetchPartition::default()
                    .with_partition(0)
                    .with_fetch_offset(5)
                    .with_partition_max_bytes(1 << 20),
            ]),
    ]);
    for version in [4, 11, 12] {
        push(encode_frame(&fetch, version, 2));
    }
    let metadata = MetadataRequest::default().with_topics(Some(vec![
        MetadataRequestTopic::default().with_name(Some(topic_name("t"))),
    ]));
    for version in [1, 4, 9, 12] {
        push(encode_frame(&metadata, version, 3));
    }
    for version in [0, 3] {
        push(encode_frame(&ApiVersionsRequest::default(), version, 4));
    }
    let list = ListOffsetsRequest::default().with_topics(vec![
        ListOffsetsTopic::default()
            .with_name(topic_name("t"))
            .with_partitions(vec![ListOffsetsPartition::default().with_timestamp(-2)]),
    ]);
    for version in [1, 7] {
        push(encode_frame(&list, version, 5));
    }
    let create = CreateTopicsRequest::default().with_topics(vec![
        CreatableTopic::default()
            .with_name(topic_name("new"))
            .with_num_partitions(3)
            .with_replication_factor(1)
            .with_configs(vec![
                CreatableTopicConfig::default()
                    .with_name(StrBytes::from_static_str("retention.ms"))
                    .with_value(Some(StrBytes::from_static_str("1000"))),
            ]),
    ]);
    for version in [2, 5, 7] {
        push(encode_frame(&create, version, 6));
    }
    push(encode_frame(&DescribeConfigsRequest::default(), 4, 7));
    push(encode_frame(
        &InitProducerIdRequest::default().with_producer_id((-1).into()),
        4,
        8,
    ));
    frames
}

#[test]
fn valid_frames_decode() {
    for frame in valid_frames() {
        match decode_request(frame.clone()) {
            Ok(DecodedRequest::Request { ctx, .. }) => {
                assert_eq!(ctx.api_key as i16, i16::from_be_bytes([frame[0], frame[1]]));
            }
            other => panic!("valid frame {:?} did not decode: {other:?}", &frame[..8]),
        }
    }
}

/// Array lengths come off the wire: a tiny frame declaring billions of elements must be a
/// `DecodeError`. (kafka-protocol 0.18 reserved the declared capacity up front, and the failed
/// multi-GB allocation aborted the whole broker; see vendor/kafka-protocol/VENDORED.md.)
#[test]
fn huge_declared_array_lengths_are_errors_not_aborts() {
    let header = |key: i16, version: i16| {
        let mut f = Vec::new();
        f.extend_from_slice(&key.to_be_bytes());
        f.extend_from_slice(&version.to_be_bytes());
        f.extend_from_slice(&7i32.to_be_bytes());
        f
    };
    // Metadata v0 (non-flexible): client id null, topics array of i32::MAX entries.
    let mut metadata_v0 = header(3, 0);
    metadata_v0.extend_from_slice(&(-1i16).to_be_bytes());
    metadata_v0.extend_from_slice(&i32::MAX.to_be_bytes());
    // Metadata v12 (flexible): client id null, no header tags, compact topics array whose
    // varint length is u32::MAX.
    let mut metadata_v12 = header(3, 12);
    metadata_v12.extend_from_slice(&(-1i16).to_be_bytes());
    metadata_v12.push(0);
    metadata_v12.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    // Produce v3: null transactional id, acks, timeout, then a topic array of 2^30 entries.
    let mut produce_v3 = header(0, 3);
    produce_v3.extend_from_slice(&(-1i16).to_be_bytes());
    produce_v3.extend_from_slice(&(-1i16).to_be_bytes());
    produce_v3.extend_from_slice(&(-1i16).to_be_bytes());
    produce_v3.extend_from_slice(&30_000i32.to_be_bytes());
    produce_v3.extend_from_slice(&(1i32 << 30).to_be_bytes());
    for frame in [metadata_v0, metadata_v12, produce_v3] {
        let result = decode_request(Bytes::from(frame.clone()));
        assert!(result.is_err(), "{frame:?} decoded: {result:?}");
    }
}

/// A random frame that starts with a served API key and version, so the body parsers are
/// exercised rather than only the header checks.
fn plausible_frame() -> impl Strategy<Value = Vec<u8>> {
    let keys = [
        ApiKey::Produce,
        ApiKey::Fetch,
        ApiKey::ListOffsets,
        ApiKey::Metadata,
        ApiKey::ApiVersions,
        ApiKey::CreateTopics,
        ApiKey::DeleteTopics,
        ApiKey::DescribeConfigs,
        ApiKey::AlterConfigs,
        ApiKey::CreatePartitions,
        ApiKey::IncrementalAlterConfigs,
        ApiKey::InitProducerId,
    ];
    (
        prop::sample::select(keys.to_vec()),
        0i16..20,
        any::<i32>(),
        prop::collection::vec(any::<u8>(), 0..512),
    )
        .prop_map(|(key, version, correlation_id, body)| {
            let mut frame = Vec::with_capacity(8 + body.len());
            frame.extend_from_slice(&(key as i16).to_be_bytes());
            frame.extend_from_slice(&version.to_be_bytes());
            frame.extend_from_slice(&correlation_id.to_be_bytes());
            frame.extend_from_slice(&body);
            frame
        })
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    /// Overwrites 4 bytes with a large or negative length, the classic parser killer.
    SetLength(usize, i32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::SetByte(i, v)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Remove(i, n)),
        (
            any::<usize>(),
            prop_oneof![
                Just(-1i32),
                Just(i32::MAX),
                Just(i32::MIN),
                Just(0x7fff),
                any::<i32>()
            ]
        )
            .prop_map(|(i, v)| Mutation::SetLength(i, v)),
    ]
}

fn apply(frame: &mut Vec<u8>, m: &Mutation) {
    if frame.is_empty() {
        return;
    }
    let len = frame.len();
    match m {
        Mutation::FlipBit(i, b) => frame[i % len] ^= 1 << b,
        Mutation::SetByte(i, v) => frame[i % len] = *v,
        Mutation::Truncate(i) => frame.truncate(i % len),
        Mutation::Insert(i, bytes) => {
            let at = i % (len + 1);
            frame.splice(at..at, bytes.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let at = i % len;
            let end = (at + n).min(len);
            frame.drain(at..end);
        }
        Mutation::SetLength(i, v) => {
            let at = i % len;
            for (k, b) in v.to_be_bytes().iter().enumerate() {
                if at + k < frame.len() {
                    frame[at + k] = *b;
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(frame in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_request(Bytes::from(frame));
    }

    #[test]
    fn random_bodies_of_served_apis_never_panic(frame in plausible_frame()) {
        let _ = decode_request(Bytes::from(frame));
    }

    #[test]
    fn mutated_valid_frames_never_panic(
        which in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let frames = valid_frames();
        let mut frame = frames[which.index(frames.len())].to_vec();
        for m in &mutations {
            apply(&mut frame, m);
        }
        let _ = decode_request(Bytes::from(frame));
    }
}
