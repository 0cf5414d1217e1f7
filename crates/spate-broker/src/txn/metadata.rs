//! The coordinator's record of one transactional id, and its durable encoding.
//!
//! File layout (big-endian; see `txn/mod.rs` for where it lives and when it is written):
//!
//! ```text
//! magic "SPTX" | version u16 = 2 | transactionalId: len u32, UTF-8 |
//! producerId i64 | producerEpoch i16 | timeoutMs i32 | state u8 | startedMs i64 |
//! lastUpdateMs i64 |
//! partitions: count u32 × (topic: len u16, UTF-8 | partition i32) |
//! groups:     count u32 × (group: len u16, UTF-8) |
//! offsets:    count u32 × (group: len u16 | topic: len u16 | partition i32 | offset i64 |
//!                          leaderEpoch i32 | metadata: len i32 (-1 = null), UTF-8) |
//! crc32c u32 over all preceding bytes
//! ```
//!
//! Version 1 has no `lastUpdateMs`; such records are still read, with the time unknown
//! ([`UNKNOWN_LAST_UPDATE`]) until the coordinator that loads them decides.

use std::collections::BTreeSet;

const MAGIC: &[u8; 4] = b"SPTX";
const VERSION: u16 = 2;
/// Records written before transactional ids expired: no `lastUpdateMs`.
const VERSION_WITHOUT_LAST_UPDATE: u16 = 1;
/// `last_update_ms` of a state read from a version-1 record.
pub(crate) const UNKNOWN_LAST_UPDATE: i64 = -1;

/// Kafka's transaction states (`TransactionState`), without `PrepareEpochFence` (fencing goes
/// straight to `PrepareAbort` with the bumped epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnState {
    /// No transaction since the producer id was issued or the last one completed.
    Empty,
    Ongoing,
    /// The outcome is decided and durable; markers may still be missing on some partitions.
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
    /// The id expired and was removed (`transactional.id.expiration.ms`); never persisted (a
    /// removal record is), only seen by requests that found the entry just before it went.
    Dead,
}

impl TxnState {
    fn code(self) -> u8 {
        match self {
            TxnState::Empty => 0,
            TxnState::Ongoing => 1,
            TxnState::PrepareCommit => 2,
            TxnState::PrepareAbort => 3,
            TxnState::CompleteCommit => 4,
            TxnState::CompleteAbort => 5,
            // Not decoded back: a dead state is never written (see the variant).
            TxnState::Dead => 6,
        }
    }
    fn from_code(code: u8) -> Option<TxnState> {
        Some(match code {
            0 => TxnState::Empty,
            1 => TxnState::Ongoing,
            2 => TxnState::PrepareCommit,
            3 => TxnState::PrepareAbort,
            4 => TxnState::CompleteCommit,
            5 => TxnState::CompleteAbort,
            _ => return None,
        })
    }
    /// The state's name as Kafka reports it (DescribeTransactions, ListTransactions).
    pub(crate) fn kafka_name(self) -> &'static str {
        match self {
            TxnState::Empty => "Empty",
            TxnState::Ongoing => "Ongoing",
            TxnState::PrepareCommit => "PrepareCommit",
            TxnState::PrepareAbort => "PrepareAbort",
            TxnState::CompleteCommit => "CompleteCommit",
            TxnState::CompleteAbort => "CompleteAbort",
            TxnState::Dead => "Dead",
        }
    }
    /// A new transaction may start (AddPartitionsToTxn / AddOffsetsToTxn move it to Ongoing).
    pub(crate) fn can_begin(self) -> bool {
        matches!(
            self,
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort
        )
    }
}

/// An offset staged by TxnOffsetCommit, applied to the group when the transaction commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StagedOffset {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TxnMetadata {
    pub transactional_id: String,
    pub producer_id: i64,
    /// The epoch every request must carry; markers are written with it.
    pub producer_epoch: i16,
    pub timeout_ms: i32,
    pub state: TxnState,
    /// Wall-clock ms at which the ongoing transaction began (for the timeout).
    pub started_ms: i64,
    /// Wall-clock ms of the last change of this state (Kafka's `txnLastUpdateTimestamp`), what
    /// `transactional.id.expiration.ms` counts from.
    pub last_update_ms: i64,
    pub partitions: BTreeSet<(String, i32)>,
    /// Consumer groups added by AddOffsetsToTxn.
    pub groups: BTreeSet<String>,
    pub offsets: Vec<StagedOffset>,
}

impl TxnMetadata {
    pub(crate) fn new(
        transactional_id: String,
        producer_id: i64,
        timeout_ms: i32,
        now_ms: i64,
    ) -> TxnMetadata {
        TxnMetadata {
            transactional_id,
            producer_id,
            producer_epoch: 0,
            timeout_ms,
            state: TxnState::Empty,
            started_ms: -1,
            last_update_ms: now_ms,
            partitions: BTreeSet::new(),
            groups: BTreeSet::new(),
            offsets: Vec::new(),
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.partitions.len() * 24);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_be_bytes());
        put_str32(&mut out, &self.transactional_id);
        out.extend_from_slice(&self.producer_id.to_be_bytes());
        out.extend_from_slice(&self.producer_epoch.to_be_bytes());
        out.extend_from_slice(&self.timeout_ms.to_be_bytes());
        out.push(self.state.code());
        out.extend_from_slice(&self.started_ms.to_be_bytes());
        out.extend_from_slice(&self.last_update_ms.to_be_bytes());
        out.extend_from_slice(&(self.partitions.len() as u32).to_be_bytes());
        for (topic, partition) in &self.partitions {
            put_str16(&mut out, topic);
            out.extend_from_slice(&partition.to_be_bytes());
        }
        out.extend_from_slice(&(self.groups.len() as u32).to_be_bytes());
        for group in &self.groups {
            put_str16(&mut out, group);
        }
        out.extend_from_slice(&(self.offsets.len() as u32).to_be_bytes());
        for o in &self.offsets {
            put_str16(&mut out, &o.group);
            put_str16(&mut out, &o.topic);
            out.extend_from_slice(&o.partition.to_be_bytes());
            out.extend_from_slice(&o.offset.to_be_bytes());
            out.extend_from_slice(&o.leader_epoch.to_be_bytes());
            match &o.metadata {
                None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(m) => {
                    out.extend_from_slice(&(m.len() as i32).to_be_bytes());
                    out.extend_from_slice(m.as_bytes());
                }
            }
        }
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }

    /// `Err` says what is wrong; the caller refuses to start rather than lose the state.
    pub(crate) fn decode(bytes: &[u8]) -> Result<TxnMetadata, String> {
        let (body, crc) = bytes
            .split_at_checked(bytes.len().checked_sub(4).ok_or("file too short")?)
            .ok_or("file too short")?;
        if crc32c::crc32c(body).to_be_bytes() != crc {
            return Err("checksum mismatch".to_string());
        }
        let mut r = Reader { buf: body };
        if r.take(4)? != MAGIC {
            return Err("bad magic".to_string());
        }
        let version = u16::from_be_bytes(r.array()?);
        if version != VERSION && version != VERSION_WITHOUT_LAST_UPDATE {
            return Err(format!("unknown version {version}"));
        }
        let transactional_id = r.str32()?;
        let producer_id = i64::from_be_bytes(r.array()?);
        let producer_epoch = i16::from_be_bytes(r.array()?);
        let timeout_ms = i32::from_be_bytes(r.array()?);
        let state = TxnState::from_code(r.take(1)?[0]).ok_or("unknown state")?;
        let started_ms = i64::from_be_bytes(r.array()?);
        let last_update_ms = if version == VERSION {
            i64::from_be_bytes(r.array()?)
        } else {
            UNKNOWN_LAST_UPDATE
        };
        let mut partitions = BTreeSet::new();
        for _ in 0..u32::from_be_bytes(r.array()?) {
            let topic = r.str16()?;
            partitions.insert((topic, i32::from_be_bytes(r.array()?)));
        }
        let mut groups = BTreeSet::new();
        for _ in 0..u32::from_be_bytes(r.array()?) {
            groups.insert(r.str16()?);
        }
        let mut offsets = Vec::new();
        for _ in 0..u32::from_be_bytes(r.array()?) {
            let group = r.str16()?;
            let topic = r.str16()?;
            let partition = i32::from_be_bytes(r.array()?);
            let offset = i64::from_be_bytes(r.array()?);
            let leader_epoch = i32::from_be_bytes(r.array()?);
            let len = i32::from_be_bytes(r.array()?);
            let metadata = if len < 0 {
                None
            } else {
                Some(r.string(len as usize)?)
            };
            offsets.push(StagedOffset {
                group,
                topic,
                partition,
                offset,
                leader_epoch,
                metadata,
            });
        }
        if !r.buf.is_empty() {
            return Err("trailing bytes".to_string());
        }
        Ok(TxnMetadata {
            transactional_id,
            producer_id,
            producer_epoch,
            timeout_ms,
            state,
            started_ms,
            last_update_ms,
            partitions,
            groups,
            offsets,
        })
    }
}

fn put_str16(out: &mut Vec<u8>, s: &str) {
    // Topic and group names are far below 64 KiB (Kafka's protocol limits them to i16 lengths).
    let len = s.len().min(usize::from(u16::MAX));
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&s.as_bytes()[..len]);
}

fn put_str32(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let (head, rest) = self.buf.split_at_checked(n).ok_or("truncated")?;
        self.buf = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        self.take(N)?.try_into().map_err(|_| "truncated".to_string())
    }
    fn string(&mut self, len: usize) -> Result<String, String> {
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| "invalid UTF-8".to_string())
    }
    fn str16(&mut self) -> Result<String, String> {
        let len = u16::from_be_bytes(self.array()?);
        self.string(usize::from(len))
    }
    fn str32(&mut self) -> Result<String, String> {
        let len = u32::from_be_bytes(self.array()?);
        self.string(len as usize)
    }
}

#[cfg(test)]
impl TxnMetadata {
    /// The record in the version-1 layout (no lastUpdateMs after startedMs), as brokers
    /// before transactional-id expiry wrote it.
    pub(crate) fn encode_as_version_1(&self) -> Vec<u8> {
        let v2 = self.encode();
        let started_end = 4 + 2 + 4 + self.transactional_id.len() + 8 + 2 + 4 + 1 + 8;
        let mut v1 = v2[..v2.len() - 4].to_vec();
        v1[4..6].copy_from_slice(&1u16.to_be_bytes());
        v1.drain(started_end..started_end + 8);
        let crc = crc32c::crc32c(&v1);
        v1.extend_from_slice(&crc.to_be_bytes());
        v1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn metadata() -> impl Strategy<Value = TxnMetadata> {
        (
            "\\PC{0,20}",
            any::<i64>(),
            any::<i16>(),
            any::<i32>(),
            0u8..6,
            (any::<i64>(), any::<i64>()),
            proptest::collection::btree_set(("[a-z.]{1,10}", 0i32..100), 0..5),
            proptest::collection::btree_set("[a-z]{1,10}", 0..3),
            proptest::collection::vec(
                (
                    "[a-z]{1,5}",
                    "[a-z]{1,5}",
                    any::<i32>(),
                    any::<i64>(),
                    any::<i32>(),
                    proptest::option::of("\\PC{0,10}"),
                ),
                0..4,
            ),
        )
            .prop_map(
                |(id, pid, epoch, timeout, state, (started, last_update), partitions, groups, offsets)| {
                    TxnMetadata {
                        transactional_id: id,
                        producer_id: pid,
                        producer_epoch: epoch,
                        timeout_ms: timeout,
                        state: TxnState::from_code(state).unwrap(),
                        started_ms: started,
                        last_update_ms: last_update,
                        partitions,
                        groups,
                        offsets: offsets
                            .into_iter()
                            .map(
                                |(group, topic, partition, offset, leader_epoch, metadata)| StagedOffset {
                                    group,
                                    topic,
                                    partition,
                                    offset,
                                    leader_epoch,
                                    metadata,
                                },
                            )
                            .collect(),
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn round_trip(m in metadata()) {
            let bytes = m.encode();
            prop_assert_eq!(TxnMetadata::decode(&bytes).unwrap(), m);
            for cut in [0, 5, bytes.len() / 2, bytes.len() - 1] {
                prop_assert!(TxnMetadata::decode(&bytes[..cut]).is_err());
            }
            let mut flipped = bytes.clone();
            let i = bytes.len() / 3;
            flipped[i] ^= 0x40;
            prop_assert!(TxnMetadata::decode(&flipped).is_err());
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = TxnMetadata::decode(&bytes);
        }
    }

    #[test]
    fn version_1_records_load_with_an_unknown_last_update() {
        let mut m = TxnMetadata::new("old".to_string(), 3, 60_000, 1_234);
        m.partitions.insert(("t".to_string(), 0));
        let v1 = m.encode_as_version_1();
        m.last_update_ms = UNKNOWN_LAST_UPDATE;
        assert_eq!(TxnMetadata::decode(&v1), Ok(m));
    }
}
