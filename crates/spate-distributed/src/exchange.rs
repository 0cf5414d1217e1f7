//! [`KafkaExchange`]: the engine's exchanges across processes on repartition topics.
//!
//! Exchange `e` is the topic `<group>-exchange-<e>` with one partition per downstream task.
//! Every upstream task writes what it sends to a partition into the process's transaction
//! ([`ProcessTxn`]), so a downstream task, reading read_committed, sees an upstream task's
//! records only once the checkpoint they precede committed, and a restarted upstream task
//! (which replays from that checkpoint) never duplicates them. A record:
//!
//! ```text
//! key   = kind u8 | upstream task u32 big-endian
//! value = kind 0 (records):   the engine's encoded batch
//!         kind 1 (watermark): i64 big-endian
//!         kind 2 (idle):      one byte, 1 idle, 0 active
//!         kind 3 (end):       empty
//!         kind 4 (records):   the engine's encoded batch, LZ4 block with its length
//!                             (u32 little-endian) in front
//! ```
//!
//! Batches of [`COMPRESS_FROM`] bytes or more go compressed: the engine's batches repeat
//! their keys and field layout, so LZ4 makes the repartition topics several times smaller
//! for less CPU than the broker spends writing and serving the bytes it saves (BENCHMARKS.md,
//! "one job on several processes").
//!
//! A receiver's position is the next offset of its partition (u64 big-endian), checkpointed
//! by the engine as the exchange's operator state.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use spate_engine::EngineError;
use spate_engine::exchange::{ExchangeEvent, ExchangeReceiver, ExchangeSender, ExchangeTransport};
use spate_kafka_client::OutRecord;
use spate_kafka_client::fetcher::{Assignment, FetchSettings, Fetcher, OffsetOutOfRange};
use spate_log::consume::ConsumerCursor;

use crate::topics::{KafkaSettings, exchange_topic};
use crate::txn::ProcessTxn;

const RECORDS: u8 = 0;
const WATERMARK: u8 = 1;
const IDLE: u8 = 2;
const END: u8 = 3;
const RECORDS_LZ4: u8 = 4;

/// Encoded batches from this size on are compressed.
pub const COMPRESS_FROM: usize = 256;
/// The largest batch a compressed record may claim to hold (the engine's batches are far
/// smaller): a corrupt length is refused instead of allocated.
const MAX_BATCH: usize = 256 << 20;

/// The exchanges of one process's attempt on Kafka (see the module docs).
#[derive(Debug, Clone)]
pub struct KafkaExchange {
    settings: KafkaSettings,
    txn: Arc<ProcessTxn>,
}

impl KafkaExchange {
    /// Exchanges of `settings.group`'s job through `txn`.
    pub fn new(settings: KafkaSettings, txn: Arc<ProcessTxn>) -> Self {
        Self { settings, txn }
    }
}

/// A receiver's position as checkpointed (see the module docs).
pub fn decode_position(bytes: &[u8]) -> Option<i64> {
    let raw = <[u8; 8]>::try_from(bytes).ok()?;
    i64::try_from(u64::from_be_bytes(raw)).ok()
}

impl ExchangeTransport for KafkaExchange {
    fn sender(
        &self,
        exchange: usize,
        from: usize,
        partitions: usize,
    ) -> Result<Box<dyn ExchangeSender>, EngineError> {
        Ok(Box::new(KafkaSender {
            txn: self.txn.clone(),
            topic: exchange_topic(&self.settings.group, exchange).into(),
            from: u32::try_from(from).map_err(|_| EngineError::InvalidConfig("too many subtasks".into()))?,
            partitions,
            after: self.txn.published(),
        }))
    }

    fn receiver(
        &self,
        exchange: usize,
        to: usize,
        upstreams: usize,
        position: Option<&[u8]>,
    ) -> Result<Box<dyn ExchangeReceiver>, EngineError> {
        let topic = exchange_topic(&self.settings.group, exchange);
        let offset = match position {
            None => 0,
            Some(p) => decode_position(p).ok_or_else(|| {
                EngineError::Checkpoint(format!(
                    "exchange {exchange} into task {to}: a checkpointed position of {} bytes",
                    p.len()
                ))
            })?,
        };
        let partition =
            i32::try_from(to).map_err(|_| EngineError::InvalidConfig("too many subtasks".into()))?;
        let fetch = FetchSettings::with_security(
            &self.settings.bootstrap,
            self.settings.security.clone(),
            true,
            OffsetOutOfRange::Fail,
        );
        let fetcher = Fetcher::start(fetch, Box::new(|builder, run| builder.spawn(run).map(|_| ())))
            .map_err(|e| EngineError::Fatal(format!("exchange {topic}-{partition}: {e}").into()))?;
        let queued = Arc::new(AtomicUsize::new(0));
        fetcher
            .assign(vec![Assignment {
                split: 0,
                topic: topic.clone(),
                partition,
                offset,
                stop: None,
                queued: queued.clone(),
            }])
            .map_err(|e| EngineError::Fatal(format!("exchange {topic}-{partition}: {e}").into()))?;
        Ok(Box::new(KafkaReceiver {
            fetcher,
            queued,
            cursor: ConsumerCursor::new(),
            next: offset,
            place: Place {
                topic,
                partition,
                upstreams,
            },
        }))
    }
}

struct KafkaSender {
    txn: Arc<ProcessTxn>,
    topic: Arc<str>,
    from: u32,
    partitions: usize,
    /// The last barrier this task passed (see [`ProcessTxn`]).
    after: u64,
}

impl KafkaSender {
    fn send(&self, partition: usize, kind: u8, value: Bytes) -> Result<(), EngineError> {
        let mut key = [0u8; 5];
        key[0] = kind;
        key[1..].copy_from_slice(&self.from.to_be_bytes());
        let record = OutRecord {
            key: Some(Bytes::copy_from_slice(&key)),
            value: Some(value),
            headers: Vec::new(),
            timestamp: now_ms(),
        };
        let partition =
            i32::try_from(partition).map_err(|_| EngineError::InvalidConfig("too many subtasks".into()))?;
        Ok(self.txn.send(self.after, &self.topic, partition, record)?)
    }
}

impl ExchangeSender for KafkaSender {
    fn records(&mut self, partition: usize, encoded: Bytes) -> Result<(), EngineError> {
        if encoded.len() < COMPRESS_FROM {
            return self.send(partition, RECORDS, encoded);
        }
        let compressed = lz4_flex::block::compress_prepend_size(&encoded);
        self.send(partition, RECORDS_LZ4, Bytes::from(compressed))
    }

    fn broadcast(&mut self, event: ExchangeEvent) -> Result<(), EngineError> {
        let (kind, value) = match event {
            ExchangeEvent::Records(_) => {
                return Err(EngineError::Fatal(
                    "records cannot be broadcast as an event".into(),
                ));
            }
            ExchangeEvent::Watermark(w) => (WATERMARK, Bytes::copy_from_slice(&w.to_be_bytes())),
            ExchangeEvent::Idle(idle) => (IDLE, Bytes::copy_from_slice(&[u8::from(idle)])),
            ExchangeEvent::End => (END, Bytes::new()),
        };
        for p in 0..self.partitions {
            self.send(p, kind, value.clone())?;
        }
        Ok(())
    }

    fn flush(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        self.after = self.after.max(checkpoint_id);
        Ok(())
    }
}

struct KafkaReceiver {
    fetcher: Fetcher,
    queued: Arc<AtomicUsize>,
    cursor: ConsumerCursor,
    /// The next offset to hand out.
    next: i64,
    place: Place,
}

/// Which partition a receiver reads, from how many upstream tasks.
struct Place {
    topic: String,
    partition: i32,
    upstreams: usize,
}

impl Place {
    fn corrupt(&self, offset: i64, what: &str) -> EngineError {
        EngineError::Fatal(
            format!(
                "repartition topic {}-{} offset {offset}: {what}",
                self.topic, self.partition
            )
            .into(),
        )
    }

    fn decompress(&self, offset: i64, value: &[u8]) -> Result<Bytes, EngineError> {
        let (size, _) = lz4_flex::block::uncompressed_size(value)
            .map_err(|e| self.corrupt(offset, &format!("a compressed batch: {e}")))?;
        // LZ4 expands at most ~255 times; anything claiming more is corrupt.
        if size > MAX_BATCH || size > value.len().saturating_mul(255) {
            return Err(self.corrupt(offset, &format!("a compressed batch claiming {size} bytes")));
        }
        lz4_flex::block::decompress_size_prepended(value)
            .map(Bytes::from)
            .map_err(|e| self.corrupt(offset, &format!("a compressed batch: {e}")))
    }

    fn decode(
        &self,
        offset: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Result<(usize, ExchangeEvent), EngineError> {
        let key = key
            .filter(|k| k.len() == 5)
            .ok_or_else(|| self.corrupt(offset, "not an exchange record"))?;
        let from = u32::from_be_bytes([key[1], key[2], key[3], key[4]]) as usize;
        if from >= self.upstreams {
            return Err(self.corrupt(
                offset,
                &format!("from upstream task {from} of {}", self.upstreams),
            ));
        }
        let value = value.unwrap_or_default();
        let event = match key[0] {
            RECORDS => ExchangeEvent::Records(Bytes::copy_from_slice(value)),
            RECORDS_LZ4 => ExchangeEvent::Records(self.decompress(offset, value)?),
            WATERMARK => {
                let raw = <[u8; 8]>::try_from(value)
                    .map_err(|_| self.corrupt(offset, "a watermark of the wrong size"))?;
                ExchangeEvent::Watermark(i64::from_be_bytes(raw))
            }
            IDLE => ExchangeEvent::Idle(value.first().is_some_and(|b| *b != 0)),
            END => ExchangeEvent::End,
            other => return Err(self.corrupt(offset, &format!("unknown kind {other}"))),
        };
        Ok((from, event))
    }
}

impl ExchangeReceiver for KafkaReceiver {
    fn poll(&mut self, out: &mut Vec<(usize, ExchangeEvent)>) -> Result<(), EngineError> {
        let Some(chunk) = self.fetcher.next_chunk().map_err(|e| {
            EngineError::Fatal(
                format!(
                    "repartition topic {}-{}: {e}",
                    self.place.topic, self.place.partition
                )
                .into(),
            )
        })?
        else {
            return Ok(());
        };
        self.queued.fetch_sub(chunk.records.len(), Ordering::Relaxed);
        self.cursor.reset(chunk.records, chunk.from, chunk.aborted);
        loop {
            let next = self
                .cursor
                .next_record()
                .map_err(|e| self.place.corrupt(self.next, &e.to_string()))?;
            let Some(r) = next else { break };
            if r.offset < self.next {
                continue;
            }
            let (offset, key, value) = (r.offset, r.record.key, r.record.value);
            let event = self.place.decode(offset, key, value)?;
            out.push(event);
            self.next = offset + 1;
        }
        // Past transaction markers and aborted records too.
        self.next = self.next.max(self.cursor.next_offset());
        Ok(())
    }

    fn position(&self) -> Vec<u8> {
        (self.next.max(0) as u64).to_be_bytes().to_vec()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place() -> Place {
        Place {
            topic: "g-exchange-0".into(),
            partition: 0,
            upstreams: 2,
        }
    }

    fn key(kind: u8, from: u32) -> Vec<u8> {
        let mut k = vec![kind];
        k.extend_from_slice(&from.to_be_bytes());
        k
    }

    #[test]
    fn compressed_batches_read_back() {
        let batch: Vec<u8> = (0..10_000u32).flat_map(|i| (i % 97).to_le_bytes()).collect();
        let value = lz4_flex::block::compress_prepend_size(&batch);
        assert!(
            value.len() < batch.len() / 4,
            "{} of {}",
            value.len(),
            batch.len()
        );
        let (from, event) = place()
            .decode(7, Some(&key(RECORDS_LZ4, 1)), Some(&value))
            .expect("decode");
        assert_eq!(from, 1);
        assert!(matches!(event, ExchangeEvent::Records(b) if b.as_ref() == batch.as_slice()));
    }

    #[test]
    fn corrupt_compressed_batches_are_refused_not_allocated() {
        // A length far beyond what the bytes can hold.
        let mut lying = (u32::MAX).to_le_bytes().to_vec();
        lying.extend_from_slice(&[0x10, 0x41]);
        let e = place()
            .decode(3, Some(&key(RECORDS_LZ4, 0)), Some(&lying))
            .expect_err("refused");
        assert!(e.to_string().contains("g-exchange-0-0 offset 3"), "{e}");
        // Arbitrary bytes: an error or a batch, never a panic.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let _ = place().decode(0, Some(&key(RECORDS_LZ4, 0)), Some(&bytes));
        }
    }
}
