//! A group's committed offsets as a task taking over partitions must read them: with
//! `require_stable` (OffsetFetch v7, KIP-447), so an offset that an open transaction of the
//! previous owner has staged is waited for (the broker answers `UNSTABLE_OFFSET_COMMIT` until
//! the transaction ends) instead of read stale.

use std::time::{Duration, Instant};

use kafka_protocol::ResponseError;
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::{ApiKey, GroupId, OffsetFetchRequest, TopicName};

use crate::broker_connection::{check, str_bytes};
use crate::{BrokerConnection, ClientError, ClientSecurity};

/// Pause before asking again while an offset is unstable.
const UNSTABLE_BACKOFF: Duration = Duration::from_millis(20);

/// A committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    /// The next offset to read.
    pub offset: i64,
    /// The metadata committed with it.
    pub metadata: String,
}

/// The committed offsets of `group` for `partitions` (in that order; `None` where nothing is
/// committed), waiting up to `timeout` for offsets pending in open transactions.
pub fn fetch_committed_offsets(
    bootstrap: &str,
    security: &ClientSecurity,
    group: &str,
    partitions: &[(String, i32)],
    timeout: Duration,
) -> Result<Vec<Option<CommittedOffset>>, ClientError> {
    let deadline = Instant::now() + timeout;
    let mut coordinator = BrokerConnection::connect_group_coordinator(bootstrap, group, timeout, security)?;
    let version = coordinator.require(ApiKey::OffsetFetch, (7, 7))?;
    let mut topics: Vec<OffsetFetchRequestTopic> = Vec::new();
    for (topic, partition) in partitions {
        match topics.iter_mut().find(|t| t.name.0.as_str() == topic) {
            Some(t) => t.partition_indexes.push(*partition),
            None => topics.push(
                OffsetFetchRequestTopic::default()
                    .with_name(TopicName(str_bytes(topic)))
                    .with_partition_indexes(vec![*partition]),
            ),
        }
    }
    let req = OffsetFetchRequest::default()
        .with_group_id(GroupId(str_bytes(group)))
        .with_topics(Some(topics))
        .with_require_stable(true);
    loop {
        let resp = coordinator.call(&req, version)?;
        check(resp.error_code, &format!("OffsetFetch(group {group})"))?;
        let mut out = Vec::with_capacity(partitions.len());
        let mut unstable = false;
        for (topic, partition) in partitions {
            let p = resp
                .topics
                .iter()
                .filter(|t| t.name.0.as_str() == topic)
                .flat_map(|t| t.partitions.iter())
                .find(|p| p.partition_index == *partition)
                .ok_or_else(|| {
                    ClientError::Protocol(format!(
                        "OffsetFetch(group {group}): no entry for {topic}-{partition}"
                    ))
                })?;
            if ResponseError::try_from_code(p.error_code) == Some(ResponseError::UnstableOffsetCommit) {
                unstable = true;
                break;
            }
            check(
                p.error_code,
                &format!("OffsetFetch(group {group}, {topic}-{partition})"),
            )?;
            out.push((p.committed_offset >= 0).then(|| CommittedOffset {
                offset: p.committed_offset,
                metadata: p.metadata.as_ref().map(ToString::to_string).unwrap_or_default(),
            }));
        }
        if !unstable {
            return Ok(out);
        }
        if Instant::now() >= deadline {
            return check(
                ResponseError::UnstableOffsetCommit.code(),
                &format!("OffsetFetch(group {group}) within {timeout:?}"),
            )
            .map(|()| Vec::new());
        }
        std::thread::sleep(UNSTABLE_BACKOFF);
    }
}

/// Every offset `group` has committed, by topic and partition (OffsetFetch without a topic
/// list; offsets pending in open transactions are not waited for: this is for people, not
/// for a task taking partitions over).
pub fn fetch_all_committed_offsets(
    bootstrap: &str,
    security: &ClientSecurity,
    group: &str,
    timeout: Duration,
) -> Result<Vec<(String, i32, CommittedOffset)>, ClientError> {
    let mut coordinator = BrokerConnection::connect_group_coordinator(bootstrap, group, timeout, security)?;
    // Version 2 is the first that reads "all topics" from a null topic list.
    let version = coordinator.require(ApiKey::OffsetFetch, (2, 7))?;
    let req = OffsetFetchRequest::default()
        .with_group_id(GroupId(str_bytes(group)))
        .with_topics(None);
    let resp = coordinator.call(&req, version)?;
    check(resp.error_code, &format!("OffsetFetch(group {group})"))?;
    let mut out = Vec::new();
    for t in &resp.topics {
        for p in &t.partitions {
            check(
                p.error_code,
                &format!("OffsetFetch(group {group}, {}-{})", t.name.0, p.partition_index),
            )?;
            if p.committed_offset >= 0 {
                out.push((
                    t.name.0.to_string(),
                    p.partition_index,
                    CommittedOffset {
                        offset: p.committed_offset,
                        metadata: p.metadata.as_ref().map(ToString::to_string).unwrap_or_default(),
                    },
                ));
            }
        }
    }
    out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    Ok(out)
}
