//! What one client can make the broker hold is bounded: unread fetch replies, announced but
//! unsent request bodies, stalled frames, idle connections, connections per address; and an
//! acks=0 producer learns of an error by its connection closing.
// Helper functions outside #[test] unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use bytes::BufMut;
use common::TestBroker;
use common::raw::{RawConnection, batch, encode_frame, produce_request, topic_name};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{ApiVersionsRequest, FetchRequest};
use kafka_protocol::protocol::StrBytes;
use spate_log::Durability;

const MIB: usize = 1024 * 1024;

/// A field of /proc/self/status in bytes (VmRSS, VmSize).
fn proc_status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib * 1024
}

fn api_versions() -> ApiVersionsRequest {
    ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("spate-test"))
        .with_client_software_version(StrBytes::from_static_str("1"))
}

/// Pipelined Fetch requests whose replies are never read: before the fix each one built a
/// reply of the whole partition (24 × 150 MB took the broker to 3.5 GiB). Now replies are capped
/// at fetch.max.bytes and the connection stops reading requests once its unsent replies fill
/// its budget (64 MiB), so the broker holds about one budget plus one reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_pipelined_fetches_keep_memory_bounded() {
    let broker = TestBroker::start().await;
    broker.create_topic("big", 1);
    let partition = broker.handle.store().partition("big", 0).unwrap();
    let value = vec![b'x'; 1000];
    let values: Vec<&[u8]> = (0..500).map(|_| value.as_slice()).collect();
    let one = batch(&values, 0, None);
    while partition.size_bytes() < 150 * MIB as u64 {
        partition.append(&one, Durability::Async).unwrap();
    }
    drop(one);

    let before = proc_status_bytes("VmRSS:");
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let req = FetchRequest::default()
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(i32::MAX)
        .with_session_epoch(-1)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(topic_name("big"))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(0)
                        .with_partition_max_bytes(i32::MAX),
                ]),
        ]);
    for _ in 0..24 {
        let (_, frame) = conn.frame(&req, 12);
        conn.send_raw(&frame).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let grown = proc_status_bytes("VmRSS:").saturating_sub(before);
    assert!(
        grown < 200 * MIB,
        "24 unread fetches grew RSS by {} MiB (bound 200 MiB)",
        grown / MIB
    );
    drop(conn);
}

/// Request frames that announce 100 MiB and send nothing more: memory is reserved from a
/// broker-wide budget (not allocated) and the buffer grows only as bytes arrive. Before the fix
/// each 4-byte header allocated the whole announced size (30 of them: 3 GB of address space).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announced_but_unsent_frames_allocate_nothing() {
    let broker = TestBroker::start().await;
    let before = proc_status_bytes("VmSize:");
    let mut conns = Vec::new();
    for _ in 0..30 {
        let mut conn = RawConnection::connect(&broker.bootstrap()).await;
        conn.send_raw(&((100 * MIB) as i32).to_be_bytes()).await;
        conn.send_raw(&[0u8; 100]).await;
        conns.push(conn);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let grown = proc_status_bytes("VmSize:").saturating_sub(before);
    assert!(
        grown < 1024 * MIB,
        "30 announced 100 MiB frames grew the address space by {} MiB",
        grown / MIB
    );
    // The broker still serves others.
    let mut other = RawConnection::connect(&broker.bootstrap()).await;
    let resp = other.call(&api_versions(), 3).await;
    assert_eq!(resp.error_code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_that_stalls_mid_way_closes_its_connection() {
    let broker = TestBroker::start_with(|c| c.request_stall_timeout = Duration::from_millis(300)).await;
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let (_, frame) = conn.frame(&api_versions(), 3);
    conn.send_raw(&frame[..frame.len() - 3]).await;
    conn.expect_closed().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed() {
    let broker = TestBroker::start_with(|c| c.connections_max_idle = Duration::from_millis(300)).await;
    let mut busy = RawConnection::connect(&broker.bootstrap()).await;
    let idle = RawConnection::connect(&broker.bootstrap()).await;
    // A connection with traffic stays open past the idle time.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(busy.call(&api_versions(), 3).await.error_code, 0);
    }
    idle.expect_closed().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_address_are_limited() {
    let broker = TestBroker::start_with(|c| c.max_connections_per_ip = 3).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut conn = RawConnection::connect(&broker.bootstrap()).await;
        assert_eq!(conn.call(&api_versions(), 3).await.error_code, 0);
        open.push(conn);
    }
    let mut fourth = RawConnection::connect(&broker.bootstrap()).await;
    let (_, frame) = fourth.frame(&api_versions(), 3);
    fourth.send_raw(&frame).await;
    fourth.expect_closed().await;
    // Once one closes, a new connection is served again.
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = RawConnection::connect(&broker.bootstrap()).await;
    assert_eq!(again.call(&api_versions(), 3).await.error_code, 0);
}

/// Kafka closes the connection of an acks=0 producer whose request failed: there is no reply to
/// carry the error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_acks_zero_produce_closes_the_connection() {
    let broker = TestBroker::start().await;
    broker.create_topic("t", 1);
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    // Success: no reply, the connection stays usable.
    let ok = encode_frame(&produce_request("t", 0, batch(&[b"a"], 0, None), 0), 9, 1);
    conn.send_raw(&ok).await;
    assert_eq!(conn.call(&api_versions(), 3).await.error_code, 0);
    // Failure (no partition 5): closed.
    let mut bad = bytes::BytesMut::new();
    bad.put_slice(&encode_frame(
        &produce_request("t", 5, batch(&[b"b"], 0, None), 0),
        9,
        7,
    ));
    conn.send_raw(&bad).await;
    conn.expect_closed().await;
    assert_eq!(broker.log_end_offset("t", 0), 1);
}
