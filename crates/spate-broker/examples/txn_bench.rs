//! Transactional produce against idempotent produce, with librdkafka, on an in-process broker.
//!
//! ```text
//! cargo run --release -p spate-broker --example txn_bench -- [DATA_PARENT] [SECONDS] [ROUNDS]
//! ```
//!
//! `DATA_PARENT` (default `/tmp`) must be a real disk (not tmpfs): the point is fsync cost. Per
//! round, on fresh 1-partition topics: idempotent (`enable.idempotence=true`) producing 100-byte
//! values as fast as possible for `SECONDS` then `flush()`; transactional with one transaction
//! per 100 ms (begin, produce for 100 ms, `flush()`, `commit_transaction()`); then a latency run
//! of 200 one-record transactions over 1 and over 4 partitions (`commit_transaction()` after a
//! `flush()`, so it times the EndTxn round trip alone). msgs/s = acknowledged records / wall time
//! including the final flush or commit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use spate_broker::{Broker, BrokerConfig};

const TIMEOUT: Duration = Duration::from_secs(30);

fn producer(bootstrap: &str, transactional_id: Option<&str>) -> ThreadedProducer<DefaultProducerContext> {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("queue.buffering.max.messages", "1000000");
    if let Some(id) = transactional_id {
        c.set("transactional.id", id);
    }
    c.create().unwrap()
}

/// Sends 100-byte values to `partitions` round-robin until `deadline`; returns how many.
fn produce_until(
    p: &ThreadedProducer<DefaultProducerContext>,
    topic: &str,
    partitions: i32,
    deadline: Instant,
) -> u64 {
    let value = [b'x'; 100];
    let mut sent = 0u64;
    while Instant::now() < deadline {
        let record = BaseRecord::<(), _>::to(topic)
            .payload(&value[..])
            .partition((sent % partitions as u64) as i32);
        match p.send(record) {
            Ok(()) => sent += 1,
            Err((rdkafka::error::KafkaError::MessageProduction(_), _)) => {
                std::thread::sleep(Duration::from_micros(200));
            }
            Err((e, _)) => panic!("send failed: {e}"),
        }
    }
    sent
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let parent = args.get(1).map_or("/tmp", String::as_str);
    let seconds: u64 = args.get(2).map_or(10, |s| s.parse().expect("SECONDS"));
    let rounds: u32 = args.get(3).map_or(2, |s| s.parse().expect("ROUNDS"));
    let dir = tempfile::tempdir_in(parent).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let handle = runtime
        .block_on(Broker::start(BrokerConfig::ephemeral(dir.path())))
        .unwrap();
    let bootstrap = handle.bootstrap_servers();
    let store = handle.store().clone();
    let period = Duration::from_secs(seconds);
    let (mut idem_total, mut txn_total) = (0.0, 0.0);
    for round in 1..=rounds {
        let topic = format!("idem-{round}");
        store.create_topic(&topic, 1, &Default::default()).unwrap();
        let p = producer(&bootstrap, None);
        let start = Instant::now();
        let sent = produce_until(&p, &topic, 1, start + period);
        p.flush(TIMEOUT).unwrap();
        let idem = sent as f64 / start.elapsed().as_secs_f64();
        drop(p);

        let topic = format!("txn-{round}");
        store.create_topic(&topic, 1, &Default::default()).unwrap();
        let p = producer(&bootstrap, Some(&format!("bench-{round}")));
        p.init_transactions(TIMEOUT).unwrap();
        let start = Instant::now();
        let (mut sent, mut txns) = (0u64, 0u32);
        let mut commits = Vec::new();
        while start.elapsed() < period {
            p.begin_transaction().unwrap();
            sent += produce_until(&p, &topic, 1, Instant::now() + Duration::from_millis(100));
            p.flush(TIMEOUT).unwrap();
            let c = Instant::now();
            p.commit_transaction(TIMEOUT).unwrap();
            commits.push(c.elapsed());
            txns += 1;
        }
        let txn = sent as f64 / start.elapsed().as_secs_f64();
        commits.sort();
        println!(
            "round {round}: idempotent {idem:.0} msgs/s, transactional {txn:.0} msgs/s ({txns} txns, \
             commit p50 {:.1} ms), ratio {:.2}",
            percentile(&commits, 0.5),
            txn / idem
        );
        idem_total += idem;
        txn_total += txn;
        drop(p);
    }
    println!(
        "total: ratio transactional/idempotent {:.2}",
        txn_total / idem_total
    );

    for partitions in [1, 4] {
        let topic = format!("latency-{partitions}");
        store
            .create_topic(&topic, partitions, &Default::default())
            .unwrap();
        let p = producer(&bootstrap, Some(&format!("latency-{partitions}")));
        p.init_transactions(TIMEOUT).unwrap();
        let mut commits = Vec::new();
        for i in 0..200u32 {
            p.begin_transaction().unwrap();
            for partition in 0..partitions {
                p.send(
                    BaseRecord::<(), _>::to(&topic)
                        .payload(&b"v"[..])
                        .partition(partition),
                )
                .map_err(|(e, _)| e)
                .unwrap();
            }
            p.flush(TIMEOUT).unwrap();
            let c = Instant::now();
            p.commit_transaction(TIMEOUT).unwrap();
            if i >= 10 {
                commits.push(c.elapsed());
            }
        }
        commits.sort();
        println!(
            "commit_transaction() latency, {partitions} partition(s), 190 txns: p50 {:.2} ms, p90 {:.2} ms, \
             p99 {:.2} ms",
            percentile(&commits, 0.5),
            percentile(&commits, 0.9),
            percentile(&commits, 0.99)
        );
    }
    runtime.block_on(handle.shutdown()).unwrap();
}
