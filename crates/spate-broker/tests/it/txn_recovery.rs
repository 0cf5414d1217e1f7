//! DescribeTransactions and ListTransactions (KIP-664), and what they are for: a process that
//! lost its transactional producer (a crashed sink) finds its lingering transaction and ends it
//! with a raw EndTxn from another connection, using the producer id and epoch described.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::raw::{RawConnection, topic_name};
use common::{TestBroker, consume_all, values};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::describe_transactions_response::TransactionState;
use kafka_protocol::messages::{
    AddPartitionsToTxnRequest, ApiKey, ApiVersionsRequest, DescribeTransactionsRequest, EndTxnRequest,
    InitProducerIdRequest, ListTransactionsRequest, ListTransactionsResponse, TransactionalId,
};
use kafka_protocol::protocol::StrBytes;
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

const PARTITIONS: i32 = 2;
const TIMEOUT: Duration = Duration::from_secs(10);
const END_TXN_VERSION: i16 = 3;

fn txn_id(id: &str) -> TransactionalId {
    TransactionalId(StrBytes::from_string(id.to_string()))
}

async fn describe(raw: &mut RawConnection, ids: &[&str]) -> Vec<TransactionState> {
    let req = DescribeTransactionsRequest::default()
        .with_transactional_ids(ids.iter().map(|id| txn_id(id)).collect());
    raw.call(&req, 0).await.transaction_states
}

async fn end_txn(raw: &mut RawConnection, id: &str, pid: i64, epoch: i16, commit: bool, version: i16) -> i16 {
    let req = EndTxnRequest::default()
        .with_transactional_id(txn_id(id))
        .with_producer_id(pid.into())
        .with_producer_epoch(epoch)
        .with_committed(commit);
    raw.call(&req, version).await.error_code
}

/// A transactional producer that has sent `values` (acknowledged, across both partitions) in
/// an open transaction it never ends: the state a crashed sink leaves behind.
fn open_transaction(
    bootstrap: &str,
    id: &str,
    topic: &str,
    values: &[String],
) -> ThreadedProducer<DefaultProducerContext> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("transactional.id", id)
        .set("transaction.timeout.ms", "60000")
        .set("linger.ms", "0")
        .create()
        .unwrap();
    producer.init_transactions(TIMEOUT).unwrap();
    producer.begin_transaction().unwrap();
    for (i, v) in values.iter().enumerate() {
        producer
            .send(
                BaseRecord::<(), _>::to(topic)
                    .payload(v)
                    .partition(i as i32 % PARTITIONS),
            )
            .map_err(|(e, _)| e)
            .unwrap();
    }
    producer.flush(TIMEOUT).unwrap();
    producer
}

/// The sink's recovery: describe the lingering transaction, check it is the open one the dead
/// producer left, refuse a wrong epoch, then end it with the described id and epoch.
async fn end_lingering_transaction(commit: bool) {
    let broker = TestBroker::start().await;
    let topic = if commit { "recover-commit" } else { "recover-abort" };
    broker.create_topic(topic, PARTITIONS);
    let id = format!("sink-{topic}");
    let sent = values(topic, 6);
    let bootstrap = broker.bootstrap();
    let producer = tokio::task::block_in_place(|| open_transaction(&bootstrap, &id, topic, &sent));

    let mut raw = RawConnection::connect(&bootstrap).await;
    let described = describe(&mut raw, &[&id]).await;
    assert_eq!(described.len(), 1);
    let t = &described[0];
    assert_eq!(t.error_code, 0);
    assert_eq!(t.transactional_id.0.as_str(), id);
    assert_eq!(t.transaction_state.as_str(), "Ongoing");
    assert_eq!(t.transaction_timeout_ms, 60_000);
    assert!(
        t.transaction_start_time_ms > 0,
        "an open transaction has a start time"
    );
    assert!(t.producer_id.0 >= 0);
    assert_eq!(t.topics.len(), 1);
    assert_eq!(t.topics[0].topic.0.as_str(), topic);
    assert_eq!(t.topics[0].partitions, vec![0, 1]);
    let (pid, epoch) = (t.producer_id.0, t.producer_epoch);

    // Nothing is visible to read_committed while the transaction is open.
    let bootstrap2 = bootstrap.clone();
    let committed_view = move || consume_all(&bootstrap2, topic, "read_committed", PARTITIONS);
    assert_eq!(tokio::task::block_in_place(&committed_view), Vec::<String>::new());

    // A wrong epoch is fenced (the error older clients know instead below EndTxn v2), and
    // changes nothing; so is a wrong producer id.
    let fenced = ResponseError::ProducerFenced.code();
    let invalid_epoch = ResponseError::InvalidProducerEpoch.code();
    assert_eq!(
        end_txn(&mut raw, &id, pid, epoch + 1, commit, END_TXN_VERSION).await,
        fenced
    );
    assert_eq!(
        end_txn(&mut raw, &id, pid, epoch - 1, commit, 1).await,
        invalid_epoch
    );
    assert_eq!(
        end_txn(&mut raw, &id, pid + 1, epoch, commit, END_TXN_VERSION).await,
        ResponseError::InvalidProducerIdMapping.code()
    );
    assert_eq!(
        describe(&mut raw, &[&id]).await[0].transaction_state.as_str(),
        "Ongoing"
    );

    // The right id and epoch, from this connection that never produced, end it; a retry agrees.
    assert_eq!(
        end_txn(&mut raw, &id, pid, epoch, commit, END_TXN_VERSION).await,
        0
    );
    assert_eq!(
        end_txn(&mut raw, &id, pid, epoch, commit, END_TXN_VERSION).await,
        0
    );
    let t = &describe(&mut raw, &[&id]).await[0];
    let expected_state = if commit { "CompleteCommit" } else { "CompleteAbort" };
    assert_eq!(t.transaction_state.as_str(), expected_state);
    assert!(t.topics.is_empty(), "a complete transaction has no partitions");
    assert_eq!(t.transaction_start_time_ms, -1);
    assert_eq!((t.producer_id.0, t.producer_epoch), (pid, epoch));

    let mut expected = if commit { sent.clone() } else { Vec::new() };
    expected.sort();
    assert_eq!(tokio::task::block_in_place(&committed_view), expected);
    let mut all = sent.clone();
    all.sort();
    assert_eq!(
        tokio::task::block_in_place(|| consume_all(&bootstrap, topic, "read_uncommitted", PARTITIONS)),
        all,
        "the records were written either way"
    );
    for p in 0..PARTITIONS {
        let partition = broker.handle.store().partition(topic, p).unwrap();
        assert_eq!(partition.last_stable_offset(), partition.high_watermark());
    }
    tokio::task::block_in_place(|| drop(producer));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_end_txn_from_another_connection_commits_a_lingering_transaction() {
    end_lingering_transaction(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_end_txn_from_another_connection_aborts_a_lingering_transaction() {
    end_lingering_transaction(false).await;
}

async fn init_transactional(raw: &mut RawConnection, id: &str) -> (i64, i16) {
    let req = InitProducerIdRequest::default()
        .with_transactional_id(Some(txn_id(id)))
        .with_transaction_timeout_ms(30_000)
        .with_producer_id((-1).into())
        .with_producer_epoch(-1);
    let resp = raw.call(&req, 4).await;
    assert_eq!(resp.error_code, 0);
    (resp.producer_id.0, resp.producer_epoch)
}

async fn add_partition(raw: &mut RawConnection, id: &str, (pid, epoch): (i64, i16), topic: &str) {
    let req = AddPartitionsToTxnRequest::default()
        .with_v3_and_below_transactional_id(txn_id(id))
        .with_v3_and_below_producer_id(pid.into())
        .with_v3_and_below_producer_epoch(epoch)
        .with_v3_and_below_topics(vec![
            AddPartitionsToTxnTopic::default()
                .with_name(topic_name(topic))
                .with_partitions(vec![0]),
        ]);
    let resp = raw.call(&req, 3).await;
    let code = resp.results_by_topic_v3_and_below[0].results_by_partition[0].partition_error_code;
    assert_eq!(code, 0);
}

async fn list(
    raw: &mut RawConnection,
    version: i16,
    states: &[&str],
    pids: &[i64],
    duration: i64,
) -> ListTransactionsResponse {
    let mut req = ListTransactionsRequest::default()
        .with_state_filters(
            states
                .iter()
                .map(|s| StrBytes::from_string(s.to_string()))
                .collect(),
        )
        .with_producer_id_filters(pids.iter().map(|&p| p.into()).collect());
    if version >= 1 {
        req = req.with_duration_filter(duration);
    }
    let resp = raw.call(&req, version).await;
    assert_eq!(resp.error_code, 0);
    resp
}

/// (id, producer id, state) of each listed transaction, sorted by id.
fn listed(resp: &ListTransactionsResponse) -> Vec<(String, i64, String)> {
    let mut out: Vec<_> = resp
        .transaction_states
        .iter()
        .map(|t| {
            (
                t.transactional_id.0.to_string(),
                t.producer_id.0,
                t.transaction_state.to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_transactions_filters_by_state_producer_id_and_duration() {
    let broker = TestBroker::start().await;
    broker.create_topic("listed", 1);
    let mut raw = RawConnection::connect(&broker.bootstrap()).await;
    let empty = init_transactional(&mut raw, "app-empty").await;
    let ongoing = init_transactional(&mut raw, "app-ongoing").await;
    add_partition(&mut raw, "app-ongoing", ongoing, "listed").await;
    let done = init_transactional(&mut raw, "app-done").await;
    add_partition(&mut raw, "app-done", done, "listed").await;
    assert_eq!(
        end_txn(&mut raw, "app-done", done.0, done.1, true, END_TXN_VERSION).await,
        0
    );

    let all = vec![
        ("app-done".to_string(), done.0, "CompleteCommit".to_string()),
        ("app-empty".to_string(), empty.0, "Empty".to_string()),
        ("app-ongoing".to_string(), ongoing.0, "Ongoing".to_string()),
    ];
    for version in [0, 1] {
        let resp = list(&mut raw, version, &[], &[], -1).await;
        assert_eq!(listed(&resp), all, "v{version}: no filter lists every id");
        assert!(resp.unknown_state_filters.is_empty());
    }
    let resp = list(&mut raw, 0, &["Ongoing", "Bogus"], &[], -1).await;
    assert_eq!(listed(&resp), vec![all[2].clone()]);
    assert_eq!(
        resp.unknown_state_filters,
        vec![StrBytes::from_static_str("Bogus")]
    );
    let resp = list(&mut raw, 0, &["Ongoing", "CompleteCommit"], &[], -1).await;
    assert_eq!(listed(&resp), vec![all[0].clone(), all[2].clone()]);
    // Known to Kafka, never entered here: matches nothing, and is not "unknown".
    let resp = list(&mut raw, 0, &["PrepareEpochFence", "Dead"], &[], -1).await;
    assert_eq!(listed(&resp), vec![]);
    assert!(resp.unknown_state_filters.is_empty());
    let resp = list(&mut raw, 0, &[], &[empty.0, done.0], -1).await;
    assert_eq!(listed(&resp), vec![all[0].clone(), all[1].clone()]);
    let resp = list(&mut raw, 0, &["Ongoing"], &[done.0], -1).await;
    assert_eq!(listed(&resp), vec![]);
    // v1: only transactions running for longer than the filter (the open one began just now).
    let resp = list(&mut raw, 1, &["Ongoing"], &[], 3_600_000).await;
    assert_eq!(listed(&resp), vec![]);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let resp = list(&mut raw, 1, &["Ongoing"], &[], 1).await;
    assert_eq!(listed(&resp), vec![all[2].clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_transactions_of_unknown_and_empty_ids_and_api_versions() {
    let broker = TestBroker::start().await;
    let mut raw = RawConnection::connect(&broker.bootstrap()).await;
    let known = init_transactional(&mut raw, "known").await;
    let states = describe(&mut raw, &["nope", "", "known"]).await;
    let codes: Vec<(String, i16)> = states
        .iter()
        .map(|t| (t.transactional_id.0.to_string(), t.error_code))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("nope".to_string(), ResponseError::TransactionalIdNotFound.code()),
            (String::new(), ResponseError::InvalidRequest.code()),
            ("known".to_string(), 0),
        ]
    );
    let k = &states[2];
    assert_eq!(k.transaction_state.as_str(), "Empty");
    assert_eq!((k.producer_id.0, k.producer_epoch), known);
    assert_eq!(
        (k.transaction_timeout_ms, k.transaction_start_time_ms),
        (30_000, -1)
    );

    let versions = raw.call(&ApiVersionsRequest::default(), 0).await;
    let range = |key: ApiKey| {
        versions
            .api_keys
            .iter()
            .find(|v| v.api_key == key as i16)
            .map(|v| (v.min_version, v.max_version))
    };
    assert_eq!(range(ApiKey::DescribeTransactions), Some((0, 0)));
    assert_eq!(range(ApiKey::ListTransactions), Some((0, 1)));
}
