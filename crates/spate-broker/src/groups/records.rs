//! Records of the internal `__consumer_offsets` topic: committed offsets and group metadata.
//!
//! Keys and values are a small versioned binary format of our own (big-endian, strings as i16
//! length + UTF-8 with -1 for null, bytes as i32 length + data). A record with no value is a
//! tombstone. Replaying the topic from the start rebuilds every group and offset; the last
//! record for a key wins.
//!
//! ```text
//! offset key : i16 1 | str group | str topic | i32 partition
//! offset val : i16 1 | i64 offset | i32 leader_epoch | str? metadata | i64 commit_timestamp
//! group key  : i16 2 | str group
//! group val  : i16 1 | str protocol_type | i32 generation | str? protocol | str? leader
//!              | i32 n | n × (str member_id | str? instance_id | str client_id | str client_host
//!                         | i32 session_timeout_ms | i32 rebalance_timeout_ms
//!                         | bytes subscription | bytes assignment)
//! ```

use bytes::{BufMut, Bytes, BytesMut};

/// A committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommittedOffset {
    pub(crate) offset: i64,
    pub(crate) leader_epoch: i32,
    pub(crate) metadata: Option<String>,
    pub(crate) commit_timestamp: i64,
}

/// A group member as persisted (enough to resume a stable group after a restart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredMember {
    pub(crate) member_id: String,
    pub(crate) instance_id: Option<String>,
    pub(crate) client_id: String,
    pub(crate) client_host: String,
    pub(crate) session_timeout_ms: i32,
    pub(crate) rebalance_timeout_ms: i32,
    pub(crate) subscription: Bytes,
    pub(crate) assignment: Bytes,
}

/// A group's membership as persisted when it becomes stable or empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredGroup {
    pub(crate) protocol_type: String,
    pub(crate) generation: i32,
    pub(crate) protocol: Option<String>,
    pub(crate) leader: Option<String>,
    pub(crate) members: Vec<StoredMember>,
}

/// One decoded record of the offsets topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OffsetsRecord {
    Offset {
        group: String,
        topic: String,
        partition: i32,
        value: Option<CommittedOffset>,
    },
    Group {
        group: String,
        value: Option<StoredGroup>,
    },
}

const KEY_OFFSET: i16 = 1;
const KEY_GROUP: i16 = 2;
const VALUE_VERSION: i16 = 1;

fn put_str(b: &mut BytesMut, s: &str) {
    // Group ids, topics and member ids are far below 32 KiB; longer ones are cut by the length
    // check in the handlers before they get here.
    b.put_i16(s.len().min(i16::MAX as usize) as i16);
    b.put_slice(&s.as_bytes()[..s.len().min(i16::MAX as usize)]);
}

fn put_opt_str(b: &mut BytesMut, s: Option<&str>) {
    match s {
        Some(s) => put_str(b, s),
        None => b.put_i16(-1),
    }
}

fn put_bytes(b: &mut BytesMut, v: &[u8]) {
    b.put_i32(v.len() as i32);
    b.put_slice(v);
}

impl OffsetsRecord {
    /// The record's key and value (None for a tombstone).
    pub(crate) fn encode(&self) -> (Bytes, Option<Bytes>) {
        let mut key = BytesMut::new();
        match self {
            OffsetsRecord::Offset {
                group,
                topic,
                partition,
                value,
            } => {
                key.put_i16(KEY_OFFSET);
                put_str(&mut key, group);
                put_str(&mut key, topic);
                key.put_i32(*partition);
                let value = value.as_ref().map(|v| {
                    let mut b = BytesMut::new();
                    b.put_i16(VALUE_VERSION);
                    b.put_i64(v.offset);
                    b.put_i32(v.leader_epoch);
                    put_opt_str(&mut b, v.metadata.as_deref());
                    b.put_i64(v.commit_timestamp);
                    b.freeze()
                });
                (key.freeze(), value)
            }
            OffsetsRecord::Group { group, value } => {
                key.put_i16(KEY_GROUP);
                put_str(&mut key, group);
                let value = value.as_ref().map(|g| {
                    let mut b = BytesMut::new();
                    b.put_i16(VALUE_VERSION);
                    put_str(&mut b, &g.protocol_type);
                    b.put_i32(g.generation);
                    put_opt_str(&mut b, g.protocol.as_deref());
                    put_opt_str(&mut b, g.leader.as_deref());
                    b.put_i32(g.members.len() as i32);
                    for m in &g.members {
                        put_str(&mut b, &m.member_id);
                        put_opt_str(&mut b, m.instance_id.as_deref());
                        put_str(&mut b, &m.client_id);
                        put_str(&mut b, &m.client_host);
                        b.put_i32(m.session_timeout_ms);
                        b.put_i32(m.rebalance_timeout_ms);
                        put_bytes(&mut b, &m.subscription);
                        put_bytes(&mut b, &m.assignment);
                    }
                    b.freeze()
                });
                (key.freeze(), value)
            }
        }
    }

    /// Decodes a record; `None` for anything malformed (it is skipped with a warning).
    pub(crate) fn decode(key: &[u8], value: Option<&[u8]>) -> Option<OffsetsRecord> {
        let mut k = Reader(key);
        match k.i16()? {
            KEY_OFFSET => {
                let group = k.string()?;
                let topic = k.string()?;
                let partition = k.i32()?;
                let value = match value {
                    None => None,
                    Some(v) => {
                        let mut r = Reader(v);
                        if r.i16()? != VALUE_VERSION {
                            return None;
                        }
                        Some(CommittedOffset {
                            offset: r.i64()?,
                            leader_epoch: r.i32()?,
                            metadata: r.opt_string()?,
                            commit_timestamp: r.i64()?,
                        })
                    }
                };
                Some(OffsetsRecord::Offset {
                    group,
                    topic,
                    partition,
                    value,
                })
            }
            KEY_GROUP => {
                let group = k.string()?;
                let value = match value {
                    None => None,
                    Some(v) => {
                        let mut r = Reader(v);
                        if r.i16()? != VALUE_VERSION {
                            return None;
                        }
                        let protocol_type = r.string()?;
                        let generation = r.i32()?;
                        let protocol = r.opt_string()?;
                        let leader = r.opt_string()?;
                        let n = usize::try_from(r.i32()?).ok()?;
                        let mut members = Vec::with_capacity(n.min(1024));
                        for _ in 0..n {
                            members.push(StoredMember {
                                member_id: r.string()?,
                                instance_id: r.opt_string()?,
                                client_id: r.string()?,
                                client_host: r.string()?,
                                session_timeout_ms: r.i32()?,
                                rebalance_timeout_ms: r.i32()?,
                                subscription: r.bytes()?,
                                assignment: r.bytes()?,
                            });
                        }
                        Some(StoredGroup {
                            protocol_type,
                            generation,
                            protocol,
                            leader,
                            members,
                        })
                    }
                };
                Some(OffsetsRecord::Group { group, value })
            }
            _ => None,
        }
    }
}

/// Bounds-checked big-endian reads: every read of untrusted bytes returns `None` past the end.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn i16(&mut self) -> Option<i16> {
        self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Option<i32> {
        self.take(4)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_be_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(i64::from_be_bytes)
    }
    fn opt_string(&mut self) -> Option<Option<String>> {
        let len = self.i16()?;
        if len < 0 {
            return Some(None);
        }
        let raw = self.take(len as usize)?;
        Some(Some(String::from_utf8(raw.to_vec()).ok()?))
    }
    fn string(&mut self) -> Option<String> {
        self.opt_string()?
    }
    fn bytes(&mut self) -> Option<Bytes> {
        let len = usize::try_from(self.i32()?).ok()?;
        self.take(len).map(Bytes::copy_from_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9._-]{0,40}"
    }

    fn member() -> impl Strategy<Value = StoredMember> {
        (
            text(),
            proptest::option::of(text()),
            text(),
            text(),
            any::<i32>(),
            any::<i32>(),
            proptest::collection::vec(any::<u8>(), 0..64),
            proptest::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(|(id, inst, client, host, s, r, sub, asg)| StoredMember {
                member_id: id,
                instance_id: inst,
                client_id: client,
                client_host: host,
                session_timeout_ms: s,
                rebalance_timeout_ms: r,
                subscription: Bytes::from(sub),
                assignment: Bytes::from(asg),
            })
    }

    fn record() -> impl Strategy<Value = OffsetsRecord> {
        let offset = (
            text(),
            text(),
            any::<i32>(),
            proptest::option::of((
                any::<i64>(),
                any::<i32>(),
                proptest::option::of(text()),
                any::<i64>(),
            )),
        )
            .prop_map(|(group, topic, partition, v)| OffsetsRecord::Offset {
                group,
                topic,
                partition,
                value: v.map(
                    |(offset, leader_epoch, metadata, commit_timestamp)| CommittedOffset {
                        offset,
                        leader_epoch,
                        metadata,
                        commit_timestamp,
                    },
                ),
            });
        let group = (
            text(),
            proptest::option::of((
                text(),
                any::<i32>(),
                proptest::option::of(text()),
                proptest::option::of(text()),
                proptest::collection::vec(member(), 0..5),
            )),
        )
            .prop_map(|(group, v)| OffsetsRecord::Group {
                group,
                value: v.map(
                    |(protocol_type, generation, protocol, leader, members)| StoredGroup {
                        protocol_type,
                        generation,
                        protocol,
                        leader,
                        members,
                    },
                ),
            });
        prop_oneof![offset, group]
    }

    proptest! {
        #[test]
        fn round_trip(r in record()) {
            let (k, v) = r.encode();
            prop_assert_eq!(OffsetsRecord::decode(&k, v.as_deref()), Some(r));
        }

        #[test]
        fn garbage_never_panics(k in proptest::collection::vec(any::<u8>(), 0..80),
                                v in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200))) {
            let _ = OffsetsRecord::decode(&k, v.as_deref());
        }

        #[test]
        fn truncation_is_rejected(r in record(), cut in 1usize..8) {
            let (k, v) = r.encode();
            if let Some(v) = v {
                let cut = cut.min(v.len());
                prop_assert_eq!(OffsetsRecord::decode(&k, Some(&v[..v.len() - cut])), None);
            }
        }
    }
}
