//! The `consumer` protocol type's embedded messages: what a member of a consumer group puts in
//! JoinGroup (a `ConsumerProtocolSubscription`) and what the leader hands each member in
//! SyncGroup (a `ConsumerProtocolAssignment`), each a 2-byte version followed by the message.
//!
//! A group that speaks them is listed and described by Kafka's group tools
//! (`kafka-consumer-groups.sh --describe --members --verbose` shows each member's partitions),
//! whatever its assignor puts in `user_data`.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as AssignedTopic;
use kafka_protocol::messages::{ConsumerProtocolAssignment, ConsumerProtocolSubscription, TopicName};
use kafka_protocol::protocol::{Decodable, Encodable};

use crate::ClientError;
use crate::broker_connection::str_bytes;

/// The version written: v1 (KIP-429's owned partitions are not used; v0 readers skip nothing
/// they need).
const WRITTEN_VERSION: i16 = 1;
/// Newest version read (Kafka 3.x writes v3 with rack ids).
const NEWEST_READ: i16 = 3;

/// A member's subscription: the topics it reads and its assignor's data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscription {
    /// Topics the member reads.
    pub topics: Vec<String>,
    /// The assignor's data about the member.
    pub user_data: Bytes,
}

/// A member's assignment: the partitions it reads and the assignor's data for it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    /// `(topic, partitions)` the member reads.
    pub partitions: Vec<(String, Vec<i32>)>,
    /// The assignor's data for the member.
    pub user_data: Bytes,
}

impl Subscription {
    /// The JoinGroup metadata bytes.
    pub fn encode(&self) -> Result<Bytes, ClientError> {
        let msg = ConsumerProtocolSubscription::default()
            .with_topics(self.topics.iter().map(|t| str_bytes(t)).collect())
            .with_user_data(Some(self.user_data.clone()));
        versioned(&msg, WRITTEN_VERSION)
    }

    /// Reads JoinGroup metadata (any version a Kafka client writes).
    pub fn decode(bytes: &[u8]) -> Result<Self, ClientError> {
        let (msg, _): (ConsumerProtocolSubscription, i16) = unversioned(bytes, "subscription")?;
        Ok(Subscription {
            topics: msg.topics.iter().map(ToString::to_string).collect(),
            user_data: msg.user_data.unwrap_or_default(),
        })
    }
}

impl Assignment {
    /// The SyncGroup assignment bytes.
    pub fn encode(&self) -> Result<Bytes, ClientError> {
        let msg = ConsumerProtocolAssignment::default()
            .with_assigned_partitions(
                self.partitions
                    .iter()
                    .map(|(t, ps)| {
                        AssignedTopic::default()
                            .with_topic(TopicName(str_bytes(t)))
                            .with_partitions(ps.clone())
                    })
                    .collect(),
            )
            .with_user_data(Some(self.user_data.clone()));
        versioned(&msg, WRITTEN_VERSION)
    }

    /// Reads a SyncGroup assignment; an empty one (a member the leader gave nothing) is the
    /// empty assignment.
    pub fn decode(bytes: &[u8]) -> Result<Self, ClientError> {
        if bytes.is_empty() {
            return Ok(Assignment::default());
        }
        let (msg, _): (ConsumerProtocolAssignment, i16) = unversioned(bytes, "assignment")?;
        Ok(Assignment {
            partitions: msg
                .assigned_partitions
                .into_iter()
                .map(|t| (t.topic.0.to_string(), t.partitions))
                .collect(),
            user_data: msg.user_data.unwrap_or_default(),
        })
    }
}

fn versioned<M: Encodable>(msg: &M, version: i16) -> Result<Bytes, ClientError> {
    let mut buf = BytesMut::new();
    buf.put_i16(version);
    msg.encode(&mut buf, version)
        .map_err(|e| ClientError::Protocol(format!("encoding the consumer protocol: {e}")))?;
    Ok(buf.freeze())
}

fn unversioned<M: Decodable>(bytes: &[u8], what: &str) -> Result<(M, i16), ClientError> {
    let bad = |e: String| ClientError::Protocol(format!("a member's consumer-protocol {what}: {e}"));
    let mut buf = Bytes::copy_from_slice(bytes);
    if buf.remaining() < 2 {
        return Err(bad("shorter than its version".into()));
    }
    let version = buf.get_i16();
    if version < 0 {
        return Err(bad(format!("version {version}")));
    }
    // A newer version than we know starts with the fields of the newest we know (the
    // protocol's compatibility rule), so it is read as that one.
    let msg = M::decode(&mut buf, version.min(NEWEST_READ)).map_err(|e| bad(e.to_string()))?;
    Ok((msg, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_what_it_writes_and_what_newer_clients_write() {
        let s = Subscription {
            topics: vec!["a".into(), "b".into()],
            user_data: Bytes::from_static(b"\x01\x02"),
        };
        assert_eq!(Subscription::decode(&s.encode().unwrap()).unwrap(), s);
        // A v3 subscription as a Kafka 3.x consumer writes it (rack id, generation).
        let v3 = ConsumerProtocolSubscription::default()
            .with_topics(vec![str_bytes("t")])
            .with_generation_id(4)
            .with_rack_id(Some(str_bytes("r1")));
        let read = Subscription::decode(&versioned(&v3, 3).unwrap()).unwrap();
        assert_eq!(read.topics, vec!["t".to_string()]);
        let a = Assignment {
            partitions: vec![("t".into(), vec![0, 3])],
            user_data: Bytes::from_static(b"x"),
        };
        assert_eq!(Assignment::decode(&a.encode().unwrap()).unwrap(), a);
        assert_eq!(Assignment::decode(&[]).unwrap(), Assignment::default());
    }

    #[test]
    fn bad_bytes_are_errors() {
        assert!(Subscription::decode(&[0]).is_err());
        assert!(Subscription::decode(&[0xff, 0xff, 1, 2]).is_err());
        assert!(Assignment::decode(&[0, 1, 0, 0, 0, 9]).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = Subscription::decode(&bytes);
            let _ = Assignment::decode(&bytes);
        }

        #[test]
        fn assignments_round_trip(
            parts in proptest::collection::vec(("[a-z]{1,8}", proptest::collection::vec(0i32..100, 0..5)), 0..4),
            data in proptest::collection::vec(any::<u8>(), 0..32),
        ) {
            let a = Assignment { partitions: parts, user_data: Bytes::from(data) };
            prop_assert_eq!(Assignment::decode(&a.encode().unwrap()).unwrap(), a);
        }
    }
}
