//! The request quota (KIP-124, `request_percentage`): which requests it applies to, and how a
//! request's time on the broker is measured.
//!
//! The time counted is what the broker spends on the request: decoding, handling and encoding
//! its reply, plus, for a reply that completes later, the time spent running that completion
//! (see [`busy_time`]) — not the time it waits (a long-polled Fetch for data, a JoinGroup for
//! the rebalance, an acks=all Produce for its fsync, coordinator work on the blocking pool) nor
//! the KIP-219 mute before it is read. That is Kafka's request handler thread time. Kafka also
//! counts its network threads' time on the request (socket reads and writes); Spate's happen
//! in the connection's tasks and are not counted, so a request costs a little less here.
//!
//! Kafka decides the throttle when it builds the reply, from the time recorded including the
//! request's own handler time. A Spate reply is encoded where it is built, so the throttle is
//! decided when the request is read, from the time recorded so far, and the request's own time
//! counts from the next request on: a client over its quota earns the same throttle, one
//! request later.

use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

use kafka_protocol::messages::RequestKind;

/// Whether a request is never throttled nor counted by the request quota:
/// - ApiVersions: a client sends it first on every connection, to learn how to talk at all,
///   and it costs next to nothing (Kafka exempts it while a SASL client authenticates, and
///   throttles it afterwards; Spate never does);
/// - SaslHandshake and SaslAuthenticate: authentication, which Kafka handles before its
///   request handlers (outside any quota), and whose failures are throttled on their own;
/// - WriteTxnMarkers and a replica's Fetch: inter-broker requests (Kafka's `clusterAction`
///   APIs, answered with `sendResponseExemptThrottle`);
/// - Produce with acks=0: there is no reply to carry a throttle time (Kafka's rule).
pub(crate) fn exempt(request: &RequestKind) -> bool {
    match request {
        RequestKind::ApiVersions(_)
        | RequestKind::SaslHandshake(_)
        | RequestKind::SaslAuthenticate(_)
        | RequestKind::WriteTxnMarkers(_) => true,
        RequestKind::Fetch(r) => r.replica_id.0 >= 0,
        RequestKind::Produce(r) => r.acks == 0,
        _ => false,
    }
}

/// Runs `work` to completion and returns its output with the time spent inside its `poll`
/// calls: the broker's own work on a deferred reply, without the time it waits (pending).
pub(crate) async fn busy_time<F: Future>(work: F) -> (F::Output, Duration) {
    let mut work = pin!(work);
    let mut busy = Duration::ZERO;
    let output = std::future::poll_fn(|cx| {
        let started = Instant::now();
        let polled = work.as_mut().poll(cx);
        busy += started.elapsed();
        polled
    })
    .await;
    (output, busy)
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::{
        ApiVersionsRequest, BrokerId, FetchRequest, MetadataRequest, ProduceRequest,
    };

    use super::*;

    #[test]
    fn exemptions() {
        assert!(exempt(&RequestKind::ApiVersions(ApiVersionsRequest::default())));
        assert!(!exempt(&RequestKind::Metadata(MetadataRequest::default())));
        let fetch = |replica| RequestKind::Fetch(FetchRequest::default().with_replica_id(BrokerId(replica)));
        assert!(exempt(&fetch(1)));
        assert!(!exempt(&fetch(-1)));
        let produce = |acks| RequestKind::Produce(ProduceRequest::default().with_acks(acks));
        assert!(exempt(&produce(0)));
        assert!(!exempt(&produce(1)));
        assert!(!exempt(&produce(-1)));
    }

    #[tokio::test]
    async fn waiting_is_not_busy_time() {
        let (out, busy) = busy_time(async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            std::thread::sleep(Duration::from_millis(30));
            7
        })
        .await;
        assert_eq!(out, 7);
        assert!(busy >= Duration::from_millis(30), "{busy:?}");
        assert!(busy < Duration::from_millis(150), "{busy:?}");
    }
}
