//! A small blocking Kafka-protocol client for the transaction requests librdkafka does not
//! expose: finishing or aborting *another* producer instance's transaction after a crash.
//!
//! It speaks to the transaction coordinator of a transactional id (found with FindCoordinator,
//! key type 1) over TCP or TLS (`client_stream`), encoding requests with the `kafka-protocol` crate at
//! the highest version both sides support (learned with ApiVersions), so flexible versions get
//! request header v2 and compact encodings automatically.
//!
//! Requests: DescribeTransactions (api key 65), ListTransactions (66), EndTxn (26) and
//! InitProducerId (22, used to fence an id and abort its open transaction when the cluster has
//! no ListTransactions); for operators (`spate transactions`), Metadata (3), DescribeProducers
//! (61) and WriteTxnMarkers (27), which end a hanging transaction on one partition; for the
//! Kafka sink, DescribeConfigs (32) of a topic's `max.message.bytes`; for `spate topics`,
//! CreateTopics (19) and DeleteTopics (20), whose errors keep the broker's message (rdkafka drops
//! it). Every call has a timeout; errors name the Kafka error code.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::metadata_response::{MetadataResponseBroker, MetadataResponseTopic};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, BrokerId, CreateTopicsRequest, DeleteTopicsRequest,
    DescribeConfigsRequest, DescribeProducersRequest, DescribeTransactionsRequest, EndTxnRequest,
    FindCoordinatorRequest, InitProducerIdRequest, ListOffsetsRequest, ListTransactionsRequest,
    MetadataRequest, ProducerId, RequestHeader, ResponseHeader, SaslAuthenticateRequest,
    SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse, TopicName, TransactionalId,
    WriteTxnMarkersRequest, create_topics_request, describe_configs_request, describe_producers_request,
    list_offsets_request, write_txn_markers_request,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};

use spate_kafka_security::{SaslMechanism, ScramClient};

use crate::ClientError;
use crate::client_security::{ClientSecurity, SaslLogin};
use crate::client_stream::ClientStream;
use crate::reply_buffers::ReplyBuffers;

/// FindCoordinator key type of groups.
const COORDINATOR_KEY_GROUP: i8 = 0;
/// FindCoordinator key type of transactional ids.
const COORDINATOR_KEY_TRANSACTION: i8 = 1;
/// Largest reply accepted (a ListTransactions of a big cluster stays far below this).
const MAX_REPLY_BYTES: usize = 64 << 20;

/// What the coordinator knows about one transactional id (DescribeTransactions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionDescription {
    /// The transactional id.
    pub transactional_id: String,
    /// `Empty`, `Ongoing`, `PrepareCommit`, `PrepareAbort`, `CompleteCommit`, `CompleteAbort`,
    /// `Dead` or `PrepareEpochFence`.
    pub state: String,
    /// The current producer id.
    pub producer_id: i64,
    /// The current producer epoch.
    pub producer_epoch: i16,
}

/// One entry of ListTransactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTransaction {
    /// The transactional id.
    pub transactional_id: String,
    /// Its current producer id.
    pub producer_id: i64,
    /// Its state (see [`TransactionDescription::state`]).
    pub state: String,
}

/// One producer a partition knows of (DescribeProducers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveProducer {
    /// The producer id.
    pub producer_id: i64,
    /// Its epoch.
    pub producer_epoch: i16,
    /// Sequence number of its last record, -1 if unknown.
    pub last_sequence: i32,
    /// Epoch of the coordinator that wrote its last marker, -1 if unknown.
    pub coordinator_epoch: i32,
    /// First offset of its ongoing transaction on the partition, if it has one.
    pub current_txn_start_offset: Option<i64>,
}

/// A connection to the transaction coordinator of a cluster.
///
/// The single-connection model assumes one coordinator for the ids it is used with (true for
/// Spate's single-node broker); [`BrokerConnection::connect`] takes the coordinator of a sample id.
#[derive(Debug)]
pub struct BrokerConnection {
    stream: ClientStream,
    timeout: Duration,
    next_correlation_id: i32,
    /// Supported version range per api key, from ApiVersions.
    versions: HashMap<i16, (i16, i16)>,
    /// Where reply frames are read (fetch replies are megabytes).
    replies: ReplyBuffers,
}

impl BrokerConnection {
    /// Connects to a bootstrap server, asks it for the coordinator of `transactional_id` and
    /// connects there.
    pub fn connect(
        bootstrap_servers: &str,
        transactional_id: &str,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        Self::connect_with(
            bootstrap_servers,
            transactional_id,
            timeout,
            &ClientSecurity::plaintext(),
        )
    }

    /// [`Self::connect`] over TLS and/or with a SASL login, as `security` says (both the
    /// bootstrap and the coordinator connection).
    pub fn connect_with(
        bootstrap_servers: &str,
        transactional_id: &str,
        timeout: Duration,
        security: &ClientSecurity,
    ) -> Result<Self, ClientError> {
        Self::connect_to_coordinator(
            bootstrap_servers,
            transactional_id,
            COORDINATOR_KEY_TRANSACTION,
            timeout,
            security,
        )
    }

    /// Connects to the coordinator of group `group` (found through any bootstrap server).
    pub fn connect_group_coordinator(
        bootstrap_servers: &str,
        group: &str,
        timeout: Duration,
        security: &ClientSecurity,
    ) -> Result<Self, ClientError> {
        Self::connect_to_coordinator(bootstrap_servers, group, COORDINATOR_KEY_GROUP, timeout, security)
    }

    fn connect_to_coordinator(
        bootstrap_servers: &str,
        key: &str,
        key_type: i8,
        timeout: Duration,
        security: &ClientSecurity,
    ) -> Result<Self, ClientError> {
        let mut last_error = ClientError::Config("empty bootstrap.servers".into());
        for server in bootstrap_servers
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match Self::connect_secured(server, timeout, security).and_then(|mut c| {
                let (host, port) = c.find_coordinator_of(key, key_type)?;
                Self::connect_secured(&format!("{host}:{port}"), timeout, security)
            }) {
                Ok(c) => return Ok(c),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// Connects to one broker and learns its api versions.
    pub fn connect_to(address: &str, timeout: Duration) -> Result<Self, ClientError> {
        Self::connect_secured(address, timeout, &ClientSecurity::plaintext())
    }

    /// [`Self::connect_to`] as `security` says: the TLS handshake first (SSL, SASL_SSL), then on
    /// SASL the handshake and exchange (PLAIN, or SCRAM with the server's signature checked)
    /// before anything else.
    pub fn connect_secured(
        address: &str,
        timeout: Duration,
        security: &ClientSecurity,
    ) -> Result<Self, ClientError> {
        let stream = ClientStream::connect(address, timeout, security.tls.as_ref())?;
        let mut client = Self {
            stream,
            timeout,
            next_correlation_id: 1,
            versions: HashMap::new(),
            replies: ReplyBuffers::default(),
        };
        // v0 is understood by every broker and needs no flexible header.
        let resp: ApiVersionsResponse = client.call(&ApiVersionsRequest::default(), 0)?;
        check(resp.error_code, "ApiVersions")?;
        client.versions = resp
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        if let Some(SaslLogin {
            mechanism,
            username,
            password,
        }) = &security.sasl
        {
            client.login(*mechanism, username, password)?;
        }
        Ok(client)
    }

    fn login(&mut self, mechanism: SaslMechanism, user: &str, password: &str) -> Result<(), ClientError> {
        let handshake: SaslHandshakeResponse = self.call(
            &SaslHandshakeRequest::default().with_mechanism(str_bytes(mechanism.name())),
            1,
        )?;
        check(handshake.error_code, &format!("SaslHandshake({mechanism})"))?;
        let version = self.require(ApiKey::SaslAuthenticate, (0, 2))?;
        let mut exchange = |token: Vec<u8>| -> Result<Bytes, ClientError> {
            let r: SaslAuthenticateResponse = self.call(
                &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(token)),
                version,
            )?;
            check_with_message(
                r.error_code,
                r.error_message.as_ref(),
                &format!("SASL {mechanism} login of {user}"),
            )?;
            Ok(r.auth_bytes)
        };
        if mechanism == SaslMechanism::Plain {
            exchange(format!("\0{user}\0{password}").into_bytes())?;
            return Ok(());
        }
        let mut scram = ScramClient::new(mechanism, user, password);
        let server_first = exchange(scram.client_first())?;
        let client_final = scram
            .client_final(&server_first)
            .map_err(|e| ClientError::Protocol(format!("SCRAM login of {user}: {e}")))?;
        let server_final = exchange(client_final)?;
        scram
            .verify_server_final(&server_final)
            .map_err(|e| ClientError::Protocol(format!("SCRAM login of {user}: {e}")))
    }

    /// The highest version of `key` in `ours` that the broker supports, if any.
    fn version(&self, key: ApiKey, ours: (i16, i16)) -> Option<i16> {
        let (min, max) = *self.versions.get(&(key as i16))?;
        let v = max.min(ours.1);
        (v >= min.max(ours.0)).then_some(v)
    }

    pub(crate) fn require(&self, key: ApiKey, ours: (i16, i16)) -> Result<i16, ClientError> {
        self.version(key, ours).ok_or_else(|| {
            ClientError::Protocol(format!(
                "the broker does not support {key:?} versions {}..={}",
                ours.0, ours.1
            ))
        })
    }

    /// Whether the broker answers DescribeTransactions and ListTransactions.
    pub fn supports_transaction_listing(&self) -> bool {
        self.version(ApiKey::DescribeTransactions, (0, 0)).is_some()
            && self.version(ApiKey::ListTransactions, (0, 0)).is_some()
    }

    /// `(host, port)` of the coordinator of `transactional_id`.
    pub fn find_coordinator(&mut self, transactional_id: &str) -> Result<(String, i32), ClientError> {
        self.find_coordinator_of(transactional_id, COORDINATOR_KEY_TRANSACTION)
    }

    /// `(host, port)` of the coordinator of group `group`.
    pub fn find_group_coordinator(&mut self, group: &str) -> Result<(String, i32), ClientError> {
        self.find_coordinator_of(group, COORDINATOR_KEY_GROUP)
    }

    fn find_coordinator_of(&mut self, key: &str, key_type: i8) -> Result<(String, i32), ClientError> {
        // v1..=3 carry one key; v4+ batches keys and answers per key.
        let version = self.require(ApiKey::FindCoordinator, (1, 3))?;
        let req = FindCoordinatorRequest::default()
            .with_key(str_bytes(key))
            .with_key_type(key_type);
        let resp = self.call(&req, version)?;
        check(resp.error_code, &format!("FindCoordinator({key})"))?;
        Ok((resp.host.to_string(), resp.port))
    }

    /// DescribeTransactions of one id.
    pub fn describe(&mut self, transactional_id: &str) -> Result<TransactionDescription, ClientError> {
        let version = self.require(ApiKey::DescribeTransactions, (0, 0))?;
        let req = DescribeTransactionsRequest::default()
            .with_transactional_ids(vec![TransactionalId(str_bytes(transactional_id))]);
        let resp = self.call(&req, version)?;
        let state = resp
            .transaction_states
            .into_iter()
            .find(|s| s.transactional_id.0.as_str() == transactional_id)
            .ok_or_else(|| {
                ClientError::Protocol(format!("DescribeTransactions: no entry for {transactional_id}"))
            })?;
        check(
            state.error_code,
            &format!("DescribeTransactions({transactional_id})"),
        )?;
        Ok(TransactionDescription {
            transactional_id: transactional_id.to_string(),
            state: state.transaction_state.to_string(),
            producer_id: state.producer_id.0,
            producer_epoch: state.producer_epoch,
        })
    }

    /// ListTransactions filtered by states (empty: all states).
    pub fn list(&mut self, states: &[&str]) -> Result<Vec<ListedTransaction>, ClientError> {
        let version = self.require(ApiKey::ListTransactions, (0, 0))?;
        let req = ListTransactionsRequest::default()
            .with_state_filters(states.iter().map(|s| str_bytes(s)).collect())
            .with_duration_filter(-1);
        let resp = self.call(&req, version)?;
        check(resp.error_code, "ListTransactions")?;
        Ok(resp
            .transaction_states
            .into_iter()
            .map(|t| ListedTransaction {
                transactional_id: t.transactional_id.0.to_string(),
                producer_id: t.producer_id.0,
                state: t.transaction_state.to_string(),
            })
            .collect())
    }

    /// EndTxn for the transaction of `transactional_id` owned by producer id/epoch.
    pub fn end_txn(
        &mut self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        commit: bool,
    ) -> Result<(), ClientError> {
        // v4+ is for transaction protocol v2 (epoch bumped per transaction); not ours.
        let version = self.require(ApiKey::EndTxn, (1, 3))?;
        let req = EndTxnRequest::default()
            .with_transactional_id(TransactionalId(str_bytes(transactional_id)))
            .with_producer_id(ProducerId(producer_id))
            .with_producer_epoch(producer_epoch)
            .with_committed(commit);
        let resp = self.call(&req, version)?;
        let what = if commit { "commit" } else { "abort" };
        check(resp.error_code, &format!("EndTxn({what} {transactional_id})"))
    }

    /// InitProducerId for `transactional_id`: completes a prepared transaction, aborts an open
    /// one and bumps the epoch (fencing every older instance). Returns `(producer id, epoch)`;
    /// epoch 0 means the id was never used before.
    pub fn init_producer_id(
        &mut self,
        transactional_id: &str,
        transaction_timeout_ms: i32,
    ) -> Result<(i64, i16), ClientError> {
        let version = self.require(ApiKey::InitProducerId, (0, 4))?;
        let req = InitProducerIdRequest::default()
            .with_transactional_id(Some(TransactionalId(str_bytes(transactional_id))))
            .with_transaction_timeout_ms(transaction_timeout_ms)
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1);
        let resp = self.call(&req, version)?;
        check(resp.error_code, &format!("InitProducerId({transactional_id})"))?;
        Ok((resp.producer_id.0, resp.producer_epoch))
    }

    /// One config value of a topic (DescribeConfigs, resource type 2), `None` when the broker
    /// does not report it. The Kafka sink reads `max.message.bytes` with it, to catch a record
    /// the topic would reject before sending it.
    pub fn topic_config(&mut self, topic: &str, name: &str) -> Result<Option<String>, ClientError> {
        const RESOURCE_TOPIC: i8 = 2;
        let version = self.require(ApiKey::DescribeConfigs, (1, 4))?;
        let req = DescribeConfigsRequest::default().with_resources(vec![
            describe_configs_request::DescribeConfigsResource::default()
                .with_resource_type(RESOURCE_TOPIC)
                .with_resource_name(str_bytes(topic))
                .with_configuration_keys(Some(vec![str_bytes(name)])),
        ]);
        let resp = self.call(&req, version)?;
        let Some(result) = resp
            .results
            .into_iter()
            .find(|r| r.resource_name.as_str() == topic)
        else {
            return Ok(None);
        };
        check(result.error_code, &format!("DescribeConfigs({topic})"))?;
        Ok(result
            .configs
            .into_iter()
            .find(|c| c.name.as_str() == name)
            .and_then(|c| c.value)
            .map(|v| v.to_string()))
    }

    /// CreateTopics of one topic (replication factor 1 unless `replication_factor` says
    /// otherwise; -1: the broker's default). The error keeps the broker's message.
    pub fn create_topic(
        &mut self,
        topic: &str,
        partitions: i32,
        replication_factor: i16,
        configs: &[(&str, &str)],
    ) -> Result<(), ClientError> {
        let version = self.require(ApiKey::CreateTopics, (2, 7))?;
        let timeout_ms = millis(self.timeout);
        let req = CreateTopicsRequest::default()
            .with_topics(vec![
                create_topics_request::CreatableTopic::default()
                    .with_name(TopicName(str_bytes(topic)))
                    .with_num_partitions(partitions)
                    .with_replication_factor(replication_factor)
                    .with_configs(
                        configs
                            .iter()
                            .map(|(k, v)| {
                                create_topics_request::CreatableTopicConfig::default()
                                    .with_name(str_bytes(k))
                                    .with_value(Some(str_bytes(v)))
                            })
                            .collect(),
                    ),
            ])
            .with_timeout_ms(timeout_ms);
        let resp = self.call(&req, version)?;
        let result = resp
            .topics
            .iter()
            .find(|t| t.name.0.as_str() == topic)
            .ok_or_else(|| ClientError::Protocol(format!("CreateTopics: no entry for {topic}")))?;
        check_with_message(
            result.error_code,
            result.error_message.as_ref(),
            &format!("CreateTopics({topic})"),
        )
    }

    /// DeleteTopics of one topic by name. The error keeps the broker's message.
    pub fn delete_topic(&mut self, topic: &str) -> Result<(), ClientError> {
        // v6 names topics in another field (and by id); v1..=5 by name is enough here.
        let version = self.require(ApiKey::DeleteTopics, (1, 5))?;
        let timeout_ms = millis(self.timeout);
        let req = DeleteTopicsRequest::default()
            .with_topic_names(vec![TopicName(str_bytes(topic))])
            .with_timeout_ms(timeout_ms);
        let resp = self.call(&req, version)?;
        let result = resp
            .responses
            .iter()
            .find(|t| t.name.as_ref().is_some_and(|n| n.0.as_str() == topic))
            .ok_or_else(|| ClientError::Protocol(format!("DeleteTopics: no entry for {topic}")))?;
        check_with_message(
            result.error_code,
            result.error_message.as_ref(),
            &format!("DeleteTopics({topic})"),
        )
    }

    /// The number of partitions of `topic` (Metadata).
    pub fn partition_count(&mut self, topic: &str) -> Result<i32, ClientError> {
        let (t, _) = self.topic_metadata(topic)?;
        Ok(i32::try_from(t.partitions.len()).unwrap_or(i32::MAX))
    }

    /// One topic's Metadata entry (checked) and the brokers listed with it.
    fn topic_metadata(
        &mut self,
        topic: &str,
    ) -> Result<(MetadataResponseTopic, Vec<MetadataResponseBroker>), ClientError> {
        let version = self.require(ApiKey::Metadata, (1, 12))?;
        let req = MetadataRequest::default()
            .with_topics(Some(vec![
                MetadataRequestTopic::default().with_name(Some(TopicName(str_bytes(topic)))),
            ]))
            .with_allow_auto_topic_creation(false);
        let resp = self.call(&req, version)?;
        let t = resp
            .topics
            .into_iter()
            .find(|t| t.name.as_ref().is_some_and(|n| n.0.as_str() == topic))
            .ok_or_else(|| ClientError::Protocol(format!("Metadata: no entry for topic {topic}")))?;
        check(t.error_code, &format!("Metadata({topic})"))?;
        Ok((t, resp.brokers))
    }

    /// `(host, port)` of the leader of a partition (Metadata).
    pub fn leader_of(&mut self, topic: &str, partition: i32) -> Result<(String, i32), ClientError> {
        let (t, brokers) = self.topic_metadata(topic)?;
        let leader = t
            .partitions
            .iter()
            .find(|p| p.partition_index == partition)
            .ok_or_else(|| ClientError::Protocol(format!("topic {topic} has no partition {partition}")))?
            .leader_id;
        let broker = brokers.iter().find(|b| b.node_id == leader).ok_or_else(|| {
            ClientError::Protocol(format!(
                "leader {} of {topic}-{partition} is not listed",
                leader.0
            ))
        })?;
        Ok((broker.host.to_string(), broker.port))
    }

    /// ListOffsets of one partition on its leader: `timestamp` -1 is the end (the last stable
    /// offset when `read_committed`), -2 the start.
    pub fn list_offset(
        &mut self,
        topic: &str,
        partition: i32,
        timestamp: i64,
        read_committed: bool,
    ) -> Result<i64, ClientError> {
        let version = self.require(ApiKey::ListOffsets, (2, 7))?;
        let req = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_isolation_level(i8::from(read_committed))
            .with_topics(vec![
                list_offsets_request::ListOffsetsTopic::default()
                    .with_name(TopicName(str_bytes(topic)))
                    .with_partitions(vec![
                        list_offsets_request::ListOffsetsPartition::default()
                            .with_partition_index(partition)
                            .with_current_leader_epoch(-1)
                            .with_timestamp(timestamp),
                    ]),
            ]);
        let resp = self.call(&req, version)?;
        let p = resp
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition_index == partition)
            .ok_or_else(|| ClientError::Protocol(format!("ListOffsets: no entry for {topic}-{partition}")))?;
        check(p.error_code, &format!("ListOffsets({topic}-{partition})"))?;
        Ok(p.offset)
    }

    /// DescribeProducers of one partition (send it to the partition's leader).
    pub fn describe_producers(
        &mut self,
        topic: &str,
        partition: i32,
    ) -> Result<Vec<ActiveProducer>, ClientError> {
        let version = self.require(ApiKey::DescribeProducers, (0, 0))?;
        let req = DescribeProducersRequest::default().with_topics(vec![
            describe_producers_request::TopicRequest::default()
                .with_name(TopicName(str_bytes(topic)))
                .with_partition_indexes(vec![partition]),
        ]);
        let resp = self.call(&req, version)?;
        let p = resp
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition_index == partition)
            .ok_or_else(|| {
                ClientError::Protocol(format!("DescribeProducers: no entry for {topic}-{partition}"))
            })?;
        check(p.error_code, &format!("DescribeProducers({topic}-{partition})"))?;
        Ok(p.active_producers
            .iter()
            .map(|a| ActiveProducer {
                producer_id: a.producer_id.0,
                producer_epoch: i16::try_from(a.producer_epoch).unwrap_or(i16::MAX),
                last_sequence: a.last_sequence,
                coordinator_epoch: a.coordinator_epoch,
                current_txn_start_offset: (a.current_txn_start_offset >= 0)
                    .then_some(a.current_txn_start_offset),
            })
            .collect())
    }

    /// Writes an abort marker for `producer`'s transaction on one partition (WriteTxnMarkers,
    /// sent to the partition's leader): Kafka's `kafka-transactions.sh abort`, the way out of a
    /// transaction no coordinator will ever end.
    pub fn abort_on_partition(
        &mut self,
        topic: &str,
        partition: i32,
        producer: &ActiveProducer,
    ) -> Result<(), ClientError> {
        let version = self.require(ApiKey::WriteTxnMarkers, (1, 1))?;
        let req = WriteTxnMarkersRequest::default().with_markers(vec![
            write_txn_markers_request::WritableTxnMarker::default()
                .with_producer_id(ProducerId(producer.producer_id))
                .with_producer_epoch(producer.producer_epoch)
                .with_transaction_result(false)
                .with_coordinator_epoch(producer.coordinator_epoch)
                .with_topics(vec![
                    write_txn_markers_request::WritableTxnMarkerTopic::default()
                        .with_name(TopicName(str_bytes(topic)))
                        .with_partition_indexes(vec![partition]),
                ]),
        ]);
        let resp = self.call(&req, version)?;
        let code = resp
            .markers
            .iter()
            .flat_map(|m| m.topics.iter())
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition_index == partition)
            .map(|p| p.error_code)
            .ok_or_else(|| {
                ClientError::Protocol(format!("WriteTxnMarkers: no entry for {topic}-{partition}"))
            })?;
        check(code, &format!("WriteTxnMarkers(abort {topic}-{partition})"))
    }

    /// [`Self::call`] for a request the broker may hold for up to `wait` before answering
    /// (JoinGroup, a follower's SyncGroup): the read timeout is `wait` plus the connection's
    /// own timeout for this call only.
    pub(crate) fn call_waiting<R: Request>(
        &mut self,
        req: &R,
        version: i16,
        wait: Duration,
    ) -> Result<R::Response, ClientError> {
        let longer = wait + self.timeout;
        let io = |e: std::io::Error| ClientError::Unreachable(format!("{:?}: {e}", R::KEY));
        self.stream.set_read_timeout(longer).map_err(io)?;
        let reply = self.call(req, version);
        self.stream.set_read_timeout(self.timeout).map_err(io)?;
        reply
    }

    pub(crate) fn call<R: Request>(&mut self, req: &R, version: i16) -> Result<R::Response, ClientError> {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let api = ApiKey::try_from(R::KEY).map_or_else(|()| format!("API {}", R::KEY), |k| format!("{k:?}"));
        let codec = |e: String| ClientError::Protocol(format!("{api} v{version}: {e}"));
        let mut buf = BytesMut::new();
        buf.put_i32(0);
        RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("spate-connectors")))
            .encode(&mut buf, R::header_version(version))
            .map_err(|e| codec(e.to_string()))?;
        req.encode(&mut buf, version).map_err(|e| codec(e.to_string()))?;
        let len = i32::try_from(buf.len() - 4).map_err(|_| codec("request too large".to_string()))?;
        buf[..4].copy_from_slice(&len.to_be_bytes());
        let io = |e: std::io::Error| {
            let timeout = self.timeout;
            if matches!(
                e.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
            ) {
                // What a listener does to a client that skipped its TLS handshake or SASL login.
                return ClientError::Unreachable(format!(
                    "{api}: the broker closed the connection (a listener that wants TLS or a SASL \
                     login closes plaintext or unauthenticated connections)"
                ));
            }
            ClientError::Unreachable(format!("{api}: {e} (timeout {timeout:?})"))
        };
        self.stream.write_all(&buf).map_err(io)?;
        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).map_err(io)?;
        let len = usize::try_from(i32::from_be_bytes(len)).unwrap_or(usize::MAX);
        if !(4..=MAX_REPLY_BYTES).contains(&len) {
            return Err(codec(format!("reply frame of {len} bytes")));
        }
        let stream = &mut self.stream;
        let mut body = self
            .replies
            .read(len, |frame| stream.read_exact(frame))
            .map_err(io)?;
        let header = ResponseHeader::decode(&mut body, R::Response::header_version(version))
            .map_err(|e| codec(e.to_string()))?;
        if header.correlation_id != correlation_id {
            return Err(codec(format!(
                "reply for correlation id {} instead of {correlation_id}",
                header.correlation_id
            )));
        }
        let resp = R::Response::decode(&mut body, version).map_err(|e| codec(e.to_string()))?;
        if body.has_remaining() {
            return Err(codec(format!("{} bytes left after the reply", body.remaining())));
        }
        Ok(resp)
    }
}

pub(crate) fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// Errors that mean "ask for the coordinator again".
pub(crate) fn is_coordinator_error(code: i16) -> bool {
    matches!(
        ResponseError::try_from_code(code),
        Some(
            ResponseError::NotCoordinator
                | ResponseError::CoordinatorNotAvailable
                | ResponseError::CoordinatorLoadInProgress
        )
    )
}

/// A duration as the protocol's `int32` milliseconds (saturating).
pub(crate) fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// The Kafka error code as an error with its name, or `Ok` for 0.
pub(crate) fn check(code: i16, what: &str) -> Result<(), ClientError> {
    if code == 0 {
        return Ok(());
    }
    Err(ClientError::Code {
        request: what.to_string(),
        code,
        name: error_name(code),
        message: None,
    })
}

/// [`check`], keeping the broker's error message.
pub(crate) fn check_with_message(
    code: i16,
    message: Option<&StrBytes>,
    what: &str,
) -> Result<(), ClientError> {
    check(code, what).map_err(|e| match e {
        ClientError::Code {
            request, code, name, ..
        } => ClientError::Code {
            request,
            code,
            name,
            message: message.map(|m| m.to_string()).filter(|m| !m.is_empty()),
        },
        other => other,
    })
}

/// `PRODUCER_FENCED`-style name of a Kafka error code.
pub fn error_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        Some(ResponseError::Unknown(_)) | None => format!("UNKNOWN_ERROR_CODE_{code}"),
        Some(e) => screaming_snake(&format!("{e:?}")),
    }
}

fn screaming_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_the_broker_closes_says_so_and_names_the_request() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let closer = std::thread::spawn(move || {
            // Reads the request, then hangs up, as a SASL listener does to a plaintext request.
            let (mut conn, _) = listener.accept().expect("accept");
            let mut len = [0u8; 4];
            std::io::Read::read_exact(&mut conn, &mut len).expect("length");
            let mut request = vec![0u8; i32::from_be_bytes(len) as usize];
            std::io::Read::read_exact(&mut conn, &mut request).expect("request");
        });
        let Err(e) = BrokerConnection::connect_to(&address, Duration::from_secs(5)) else {
            panic!("a connection the peer closed was accepted");
        };
        closer.join().expect("closer");
        let text = e.to_string();
        assert!(
            text.contains("ApiVersions: the broker closed the connection"),
            "{text}"
        );
        assert!(text.contains("TLS or a SASL"), "{text}");
    }

    #[test]
    fn error_names_are_kafka_style() {
        assert_eq!(error_name(0x5A), "PRODUCER_FENCED");
        assert_eq!(error_name(48), "INVALID_TXN_STATE");
        assert_eq!(error_name(-7000), "UNKNOWN_ERROR_CODE_-7000");
    }
}
