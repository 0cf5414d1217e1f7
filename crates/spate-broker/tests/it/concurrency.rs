//! Many connections at once: every one is served, appends to a partition from many connections
//! are serialized without loss or duplication, and offsets end exact.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeSet;

use common::TestBroker;
use common::raw::{RawConnection, batch};

const CONNECTIONS: usize = 200;
const BATCHES: usize = 10;
const RECORDS: usize = 5;
const PARTITIONS: i32 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_connections_append_concurrently_without_loss() {
    let broker = TestBroker::start().await;
    broker.create_topic("busy", PARTITIONS);
    let bootstrap = broker.bootstrap();
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let bootstrap = bootstrap.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = RawConnection::connect(&bootstrap).await;
            let partition = (c as i32) % PARTITIONS;
            for b in 0..BATCHES {
                let values: Vec<String> = (0..RECORDS).map(|r| format!("{c}/{b}/{r}")).collect();
                let refs: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
                let resp = conn
                    .produce("busy", partition, batch(&refs, 1_000, None), 1)
                    .await;
                assert_eq!(resp.error_code, 0, "connection {c} batch {b}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let per_partition = (CONNECTIONS / PARTITIONS as usize) * BATCHES * RECORDS;
    let mut conn = RawConnection::connect(&bootstrap).await;
    let mut seen = BTreeSet::new();
    for p in 0..PARTITIONS {
        assert_eq!(broker.log_end_offset("busy", p), per_partition as i64);
        let mut offset = 0;
        let mut offsets = Vec::new();
        while offset < per_partition as i64 {
            let (records, hw) = conn.fetch_records("busy", p, offset).await;
            assert_eq!(hw, per_partition as i64);
            assert!(!records.is_empty());
            for r in records.into_iter().filter(|r| r.offset >= offset) {
                offsets.push(r.offset);
                assert!(seen.insert(r.value.unwrap()), "a record stored twice");
            }
            offset = *offsets.last().unwrap() + 1;
        }
        assert_eq!(
            offsets,
            (0..per_partition as i64).collect::<Vec<_>>(),
            "offsets of partition {p}"
        );
    }
    assert_eq!(seen.len(), CONNECTIONS * BATCHES * RECORDS);
}
