//! Incremental fetch sessions (KIP-227) with raw Fetch requests: a full request creates a
//! session, incremental ones answer only partitions with news, forgotten partitions are dropped,
//! wrong epochs and unknown ids are refused, epoch -1 closes, the cache is bounded by
//! `max.incremental.fetch.session.cache.slots`, and topic ids (Fetch v13+) work the same.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::{Duration, Instant};

use common::TestBroker;
use common::raw::{RawConnection, batch, topic_name};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic, ForgottenTopic};
use kafka_protocol::messages::{FetchRequest, FetchResponse};
use spate_broker::Setting;
use uuid::Uuid;

const TOPIC: &str = "sessions";
const NAMES_VERSION: i16 = 12;
const IDS_VERSION: i16 = 16;

/// How the test names the topic: by name below v13, by id from v13.
#[derive(Clone, Copy)]
enum Topic {
    Name,
    Id(Uuid),
}

fn fetch_topic(topic: Topic, partitions: &[(i32, i64)]) -> FetchTopic {
    let ft = match topic {
        Topic::Name => FetchTopic::default().with_topic(topic_name(TOPIC)),
        Topic::Id(id) => FetchTopic::default().with_topic_id(id),
    };
    ft.with_partitions(
        partitions
            .iter()
            .map(|&(partition, offset)| {
                FetchPartition::default()
                    .with_partition(partition)
                    .with_fetch_offset(offset)
                    .with_partition_max_bytes(1 << 20)
            })
            .collect(),
    )
}

fn forgotten(topic: Topic, partitions: &[i32]) -> ForgottenTopic {
    let f = match topic {
        Topic::Name => ForgottenTopic::default().with_topic(topic_name(TOPIC)),
        Topic::Id(id) => ForgottenTopic::default().with_topic_id(id),
    };
    f.with_partitions(partitions.to_vec())
}

struct Fetch {
    session_id: i32,
    epoch: i32,
    topics: Vec<FetchTopic>,
    forgotten: Vec<ForgottenTopic>,
    max_wait_ms: i32,
}

impl Fetch {
    fn new(session_id: i32, epoch: i32) -> Fetch {
        Fetch {
            session_id,
            epoch,
            topics: Vec::new(),
            forgotten: Vec::new(),
            max_wait_ms: 0,
        }
    }
    fn topics(mut self, topics: Vec<FetchTopic>) -> Fetch {
        self.topics = topics;
        self
    }
    fn forget(mut self, forgotten: Vec<ForgottenTopic>) -> Fetch {
        self.forgotten = forgotten;
        self
    }
    fn wait(mut self, ms: i32) -> Fetch {
        self.max_wait_ms = ms;
        self
    }
    async fn send(self, raw: &mut RawConnection, version: i16) -> FetchResponse {
        let req = FetchRequest::default()
            .with_max_wait_ms(self.max_wait_ms)
            .with_min_bytes(1)
            .with_max_bytes(16 << 20)
            .with_session_id(self.session_id)
            .with_session_epoch(self.epoch)
            .with_topics(self.topics)
            .with_forgotten_topics_data(self.forgotten);
        raw.call(&req, version).await
    }
}

/// `(partition, record bytes > 0, high watermark)` of every partition in the response.
fn answered(resp: &FetchResponse) -> Vec<(i32, bool, i64)> {
    assert_eq!(resp.error_code, 0, "top-level error");
    let mut out: Vec<_> = resp
        .responses
        .iter()
        .flat_map(|t| t.partitions.iter())
        .map(|p| {
            assert_eq!(p.error_code, 0, "partition {} error", p.partition_index);
            (
                p.partition_index,
                p.records.as_ref().is_some_and(|r| !r.is_empty()),
                p.high_watermark,
            )
        })
        .collect();
    out.sort();
    out
}

async fn produce(raw: &mut RawConnection, partition: i32, values: &[&[u8]]) {
    let resp = raw.produce(TOPIC, partition, batch(values, 0, None), -1).await;
    assert_eq!(resp.error_code, 0);
}

/// The session life cycle on one topic of two partitions, by `topic` and `version`.
async fn session_life_cycle(topic: Topic, version: i16, broker: &TestBroker) {
    let mut raw = RawConnection::connect(&broker.bootstrap()).await;
    produce(&mut raw, 0, &[b"a", b"b"]).await;
    produce(&mut raw, 1, &[b"c"]).await;

    // Full, epoch 0: everything, and a session.
    let full = Fetch::new(0, 0)
        .topics(vec![fetch_topic(topic, &[(0, 0), (1, 0)])])
        .send(&mut raw, version)
        .await;
    assert_eq!(answered(&full), [(0, true, 2), (1, true, 1)]);
    let id = full.session_id;
    assert_ne!(id, 0, "a full request with epoch 0 gets a session");

    // Epoch 1 moves both positions to the end: nothing new, nothing answered.
    let quiet = Fetch::new(id, 1)
        .topics(vec![fetch_topic(topic, &[(0, 2), (1, 1)])])
        .send(&mut raw, version)
        .await;
    assert_eq!(quiet.session_id, id);
    assert_eq!(answered(&quiet), []);

    // New data on partition 1 only: epoch 2 names no partition (positions unchanged) and gets
    // just that one.
    produce(&mut raw, 1, &[b"d"]).await;
    let news = Fetch::new(id, 2).send(&mut raw, version).await;
    assert_eq!(answered(&news), [(1, true, 2)]);

    // A repeated or skipped epoch is refused and changes nothing; so is an unknown id.
    for epoch in [2, 4] {
        let stale = Fetch::new(id, epoch).send(&mut raw, version).await;
        assert_eq!(stale.error_code, ResponseError::InvalidFetchSessionEpoch.code());
        assert_eq!(stale.session_id, 0);
        assert!(stale.responses.is_empty());
    }
    let unknown = Fetch::new(id.wrapping_add(1).max(1), 1)
        .send(&mut raw, version)
        .await;
    assert_eq!(unknown.error_code, ResponseError::FetchSessionIdNotFound.code());

    // Epoch 3 forgets partition 1 and moves partition 1's... nothing: only partition 0 is left,
    // so new data on partition 1 is not answered any more, on partition 0 it is.
    produce(&mut raw, 1, &[b"e"]).await;
    let forgot = Fetch::new(id, 3)
        .forget(vec![forgotten(topic, &[1])])
        .send(&mut raw, version)
        .await;
    assert_eq!(answered(&forgot), []);
    produce(&mut raw, 0, &[b"f"]).await;
    let after = Fetch::new(id, 4).send(&mut raw, version).await;
    assert_eq!(answered(&after), [(0, true, 3)]);

    // A long poll on the session wakes up for the session's partition.
    let mut producer = RawConnection::connect(&broker.bootstrap()).await;
    let started = Instant::now();
    let write_later = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        produce(&mut producer, 0, &[b"g"]).await;
    };
    let (polled, ()) = tokio::join!(
        Fetch::new(id, 5)
            .topics(vec![fetch_topic(topic, &[(0, 3)])])
            .wait(5_000)
            .send(&mut raw, version),
        write_later
    );
    assert_eq!(answered(&polled), [(0, true, 4)]);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );

    // Epoch -1 closes the session and answers in full, without a session.
    let closing = Fetch::new(id, -1)
        .topics(vec![fetch_topic(topic, &[(0, 0), (1, 0)])])
        .send(&mut raw, version)
        .await;
    assert_eq!(closing.session_id, 0);
    assert_eq!(answered(&closing), [(0, true, 4), (1, true, 3)]);
    let closed = Fetch::new(id, 6).send(&mut raw, version).await;
    assert_eq!(closed.error_code, ResponseError::FetchSessionIdNotFound.code());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_by_topic_name() {
    let broker = TestBroker::start().await;
    broker.create_topic(TOPIC, 2);
    session_life_cycle(Topic::Name, NAMES_VERSION, &broker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_by_topic_id_and_no_mixing() {
    let broker = TestBroker::start().await;
    broker.create_topic(TOPIC, 2);
    let id = Uuid::from_bytes(broker.handle.store().topic(TOPIC).unwrap().id);
    session_life_cycle(Topic::Id(id), IDS_VERSION, &broker).await;

    // A session made with topic ids cannot go on with names, and the other way round.
    let mut raw = RawConnection::connect(&broker.bootstrap()).await;
    let by_id = Fetch::new(0, 0)
        .topics(vec![fetch_topic(Topic::Id(id), &[(0, 0)])])
        .send(&mut raw, IDS_VERSION)
        .await;
    let by_name = Fetch::new(by_id.session_id, 1)
        .send(&mut raw, NAMES_VERSION)
        .await;
    assert_eq!(by_name.error_code, ResponseError::InvalidFetchSessionEpoch.code());
    let named = Fetch::new(0, 0)
        .topics(vec![fetch_topic(Topic::Name, &[(0, 0)])])
        .send(&mut raw, NAMES_VERSION)
        .await;
    let mixed = Fetch::new(named.session_id, 1).send(&mut raw, IDS_VERSION).await;
    assert_eq!(mixed.error_code, ResponseError::FetchSessionTopicIdError.code());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cache_is_bounded_by_its_slots() {
    let broker = TestBroker::start_with(|c| {
        c.apply_properties(&[Setting::new(
            "max.incremental.fetch.session.cache.slots",
            "1",
            "test",
        )])
        .unwrap();
    })
    .await;
    broker.create_topic(TOPIC, 2);
    let mut raw = RawConnection::connect(&broker.bootstrap()).await;
    let full =
        |partitions: &[(i32, i64)]| Fetch::new(0, 0).topics(vec![fetch_topic(Topic::Name, partitions)]);
    let first = full(&[(0, 0)]).send(&mut raw, NAMES_VERSION).await;
    assert_ne!(first.session_id, 0);
    // No slot for a session no larger than the one there (which is not idle): answered in
    // full without a session.
    let second = full(&[(1, 0)]).send(&mut raw, NAMES_VERSION).await;
    assert_eq!(second.session_id, 0);
    assert_eq!(answered(&second).len(), 1);
    // A larger one takes the slot.
    let larger = full(&[(0, 0), (1, 0)]).send(&mut raw, NAMES_VERSION).await;
    assert_ne!(larger.session_id, 0);
    let evicted = Fetch::new(first.session_id, 1)
        .send(&mut raw, NAMES_VERSION)
        .await;
    assert_eq!(evicted.error_code, ResponseError::FetchSessionIdNotFound.code());
    let kept = Fetch::new(larger.session_id, 1)
        .send(&mut raw, NAMES_VERSION)
        .await;
    assert_eq!(kept.error_code, 0);
}
