//! A bare Kafka-protocol connection: typed requests encoded with `kafka-protocol`, plus raw byte
//! access so tests can send frames no real client would.

use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::produce_response::PartitionProduceResponse;
use kafka_protocol::messages::{
    ApiKey, FetchRequest, InitProducerIdRequest, ListOffsetsRequest, ProduceRequest, RequestHeader,
    SaslAuthenticateRequest, SaslHandshakeRequest, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use spate_broker::{SaslMechanism, ScramClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const PRODUCE_VERSION: i16 = 9;
pub const FETCH_VERSION: i16 = 12;
pub const LIST_OFFSETS_VERSION: i16 = 7;

/// How long a test waits for a reply (or for the broker to close) before failing.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct RawConnection {
    stream: TcpStream,
    next_correlation_id: i32,
    /// The `client.id` in every request header.
    client_id: &'static str,
}

impl RawConnection {
    /// A connection whose requests carry the client id `spate-test`.
    pub async fn connect(bootstrap: &str) -> RawConnection {
        RawConnection::connect_as(bootstrap, "spate-test").await
    }

    /// A connection whose requests carry `client_id` (what client-id quotas match).
    pub async fn connect_as(bootstrap: &str, client_id: &'static str) -> RawConnection {
        let stream = TcpStream::connect(bootstrap).await.unwrap();
        stream.set_nodelay(true).unwrap();
        RawConnection {
            stream,
            next_correlation_id: 1,
            client_id,
        }
    }

    /// A request frame (length prefix included) for `req` at `version`; returns it with its
    /// correlation id.
    pub fn frame<R: Request>(&mut self, req: &R, version: i16) -> (i32, BytesMut) {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        (
            correlation_id,
            encode_frame_as(req, version, correlation_id, self.client_id),
        )
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Reads one response frame, checks its correlation id and returns the body after the header.
    pub async fn read_reply(&mut self, correlation_id: i32, header_version: i16) -> Bytes {
        let mut len = [0u8; 4];
        tokio::time::timeout(REPLY_TIMEOUT, self.stream.read_exact(&mut len))
            .await
            .expect("reply timed out")
            .expect("connection closed instead of a reply");
        let len = i32::from_be_bytes(len);
        assert!(len >= 4, "reply frame of {len} bytes");
        let mut body = vec![0u8; len as usize];
        tokio::time::timeout(REPLY_TIMEOUT, self.stream.read_exact(&mut body))
            .await
            .expect("reply body timed out")
            .unwrap();
        let mut body = Bytes::from(body);
        let header = kafka_protocol::messages::ResponseHeader::decode(&mut body, header_version).unwrap();
        assert_eq!(header.correlation_id, correlation_id, "replies out of order");
        body
    }

    pub async fn call<R: Request>(&mut self, req: &R, version: i16) -> R::Response {
        let (correlation_id, frame) = self.frame(req, version);
        self.send_raw(&frame).await;
        let mut body = self
            .read_reply(correlation_id, R::Response::header_version(version))
            .await;
        let response = R::Response::decode(&mut body, version).unwrap();
        assert!(
            !body.has_remaining(),
            "{} bytes left after the reply",
            body.remaining()
        );
        response
    }

    /// Asserts that the broker closes the connection (end of stream or reset) without replying.
    pub async fn expect_closed(mut self) {
        let mut buf = [0u8; 256];
        let read = tokio::time::timeout(REPLY_TIMEOUT, self.stream.read(&mut buf))
            .await
            .expect("broker kept the connection open");
        match read {
            Ok(0) => {}
            Ok(n) => panic!("expected a closed connection, got {n} bytes: {:?}", &buf[..n]),
            Err(e) => assert!(
                matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
                ),
                "unexpected error {e}"
            ),
        }
    }

    pub async fn produce(
        &mut self,
        topic: &str,
        partition: i32,
        records: Bytes,
        acks: i16,
    ) -> PartitionProduceResponse {
        let mut resp = self
            .call(&produce_request(topic, partition, records, acks), PRODUCE_VERSION)
            .await;
        assert_eq!(resp.responses.len(), 1);
        let mut topic_resp = resp.responses.remove(0);
        assert_eq!(topic_resp.name.0.as_str(), topic);
        assert_eq!(topic_resp.partition_responses.len(), 1);
        topic_resp.partition_responses.remove(0)
    }

    /// Every record of the partition from `offset` on, decoded from the fetched batches, with
    /// the partition's high watermark.
    pub async fn fetch_records(&mut self, topic: &str, partition: i32, offset: i64) -> (Vec<Record>, i64) {
        let req = FetchRequest::default()
            .with_max_wait_ms(0)
            .with_min_bytes(1)
            .with_max_bytes(64 << 20)
            .with_session_epoch(-1)
            .with_topics(vec![
                FetchTopic::default()
                    .with_topic(topic_name(topic))
                    .with_partitions(vec![
                        FetchPartition::default()
                            .with_partition(partition)
                            .with_fetch_offset(offset)
                            .with_partition_max_bytes(64 << 20),
                    ]),
            ]);
        let resp = self.call(&req, FETCH_VERSION).await;
        assert_eq!(resp.error_code, 0);
        let pd = &resp.responses[0].partitions[0];
        assert_eq!(pd.error_code, 0, "fetch error");
        let mut records = Vec::new();
        let mut bytes = pd.records.clone().unwrap_or_default();
        // Every returned batch must still be intact on disk.
        spate_log::batch::validate_batches(&bytes).unwrap();
        while bytes.has_remaining() {
            let set = RecordBatchDecoder::decode(&mut bytes).unwrap();
            records.extend(set.records);
        }
        records.retain(|r| r.offset >= offset);
        (records, pd.high_watermark)
    }

    pub async fn list_offset(&mut self, topic: &str, partition: i32, timestamp: i64) -> (i16, i64) {
        let req = ListOffsetsRequest::default()
            .with_replica_id((-1).into())
            .with_topics(vec![
                ListOffsetsTopic::default()
                    .with_name(topic_name(topic))
                    .with_partitions(vec![
                        ListOffsetsPartition::default()
                            .with_partition_index(partition)
                            .with_timestamp(timestamp),
                    ]),
            ]);
        let resp = self.call(&req, LIST_OFFSETS_VERSION).await;
        let p = &resp.topics[0].partitions[0];
        (p.error_code, p.offset)
    }

    /// A new idempotent producer id and epoch.
    pub async fn init_producer_id(&mut self) -> (i64, i16) {
        let req = InitProducerIdRequest::default()
            .with_transactional_id(None)
            .with_transaction_timeout_ms(60_000)
            .with_producer_id((-1).into())
            .with_producer_epoch(-1);
        let resp = self.call(&req, 4).await;
        assert_eq!(resp.error_code, 0);
        (resp.producer_id.0, resp.producer_epoch)
    }
}

pub fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

/// A whole request frame: 4-byte length, header (client id `spate-test`), body.
pub fn encode_frame<R: Request>(req: &R, version: i16, correlation_id: i32) -> BytesMut {
    encode_frame_as(req, version, correlation_id, "spate-test")
}

/// A whole request frame: 4-byte length, header with `client_id`, body.
pub fn encode_frame_as<R: Request>(
    req: &R,
    version: i16,
    correlation_id: i32,
    client_id: &'static str,
) -> BytesMut {
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    RequestHeader::default()
        .with_request_api_key(R::KEY)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str(client_id)))
        .encode(&mut buf, R::header_version(version))
        .unwrap();
    req.encode(&mut buf, version).unwrap();
    let len = (buf.len() - 4) as i32;
    buf[..4].copy_from_slice(&len.to_be_bytes());
    buf
}

pub fn produce_request(topic: &str, partition: i32, records: Bytes, acks: i16) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(10_000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(topic_name(topic))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(partition)
                        .with_records(Some(records)),
                ]),
        ])
}

/// Idempotent producer fields of a batch.
#[derive(Debug, Clone, Copy)]
pub struct ProducerFields {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
}

/// One uncompressed v2 batch holding `values` (keys `k<i>`, timestamps from `base_timestamp`).
pub fn batch(values: &[&[u8]], base_timestamp: i64, producer: Option<ProducerFields>) -> Bytes {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: producer.map_or(-1, |p| p.producer_id),
            producer_epoch: producer.map_or(-1, |p| p.producer_epoch),
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder starts a new batch wherever offset - sequence changes, so records
            // without a producer count up from -1 too; the batch's base sequence stays -1.
            sequence: producer.map_or(-1, |p| p.base_sequence) + i as i32,
            timestamp: base_timestamp + i as i64,
            key: Some(Bytes::from(format!("k{i}"))),
            value: Some(Bytes::copy_from_slice(v)),
            headers: Default::default(),
        })
        .collect();
    encode_records(&records)
}

/// One uncompressed v2 batch of `records` (the encoder takes the batch fields from them).
pub fn encode_records(records: &[Record]) -> Bytes {
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    buf.freeze()
}

/// AlterConfigs (v1) of one topic config over a raw connection: rdkafka 0.39's `alter_configs`
/// drops per-resource error codes. Returns the error code and message.
pub async fn alter_topic_config(
    conn: &mut RawConnection,
    topic: &str,
    key: &str,
    value: &str,
) -> (i16, Option<String>) {
    use kafka_protocol::messages::AlterConfigsRequest;
    use kafka_protocol::messages::alter_configs_request::{AlterConfigsResource, AlterableConfig};
    let req = AlterConfigsRequest::default().with_resources(vec![
        AlterConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name(StrBytes::from_string(topic.to_string()))
            .with_configs(vec![
                AlterableConfig::default()
                    .with_name(StrBytes::from_string(key.to_string()))
                    .with_value(Some(StrBytes::from_string(value.to_string()))),
            ]),
    ]);
    let resp = conn.call(&req, 1).await;
    let r = &resp.responses[0];
    (r.error_code, r.error_message.as_ref().map(|m| m.to_string()))
}

pub fn api_key_of<R: Request>() -> ApiKey {
    ApiKey::try_from(R::KEY).unwrap()
}

/// A raw connection logged in with SCRAM-SHA-512.
pub async fn scram_login(sasl: &str, user: &str, password: &str) -> RawConnection {
    let mut conn = RawConnection::connect(sasl).await;
    let r = conn
        .call(
            &SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str("SCRAM-SHA-512")),
            1,
        )
        .await;
    assert_eq!(r.error_code, 0);
    let mut scram = ScramClient::new(SaslMechanism::ScramSha512, user, password);
    let first = conn
        .call(
            &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(scram.client_first())),
            2,
        )
        .await;
    assert_eq!(first.error_code, 0);
    let client_final = scram.client_final(&first.auth_bytes).unwrap();
    let last = conn
        .call(
            &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(client_final)),
            2,
        )
        .await;
    assert_eq!(last.error_code, 0, "{:?}", last.error_message);
    scram.verify_server_final(&last.auth_bytes).unwrap();
    conn
}
