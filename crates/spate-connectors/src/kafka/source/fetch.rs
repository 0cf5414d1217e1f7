//! The protocol read path ([`ReadPath::Fetch`](super::ReadPath::Fetch)): records from
//! `spate_kafka_client`'s batch fetcher, for any Kafka cluster. The fetcher's thread hands whole
//! record batches over as they arrived; they are decoded here, in the source task, by spate-log's
//! consumer cursor, as the direct path decodes the log's batches — no per-message client work.
//!
//! This file is the task's side: the consumer settings as the source reads them (its
//! `auto.offset.reset` default, read_committed unless told otherwise), the fetcher thread
//! started under the task's memory account, and one queue of fetched chunks per split.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use spate_kafka_client::fetcher::{
    self, Assignment, Chunk, FetchSettings as ClientSettings, OffsetOutOfRange,
};
use spate_log::consume::ConsumerCursor;

use super::batches::{self, SplitCursor};
use super::builder::Deserializer;
use crate::ConnectorError;
use crate::emit::Emitter;

/// How the fetcher reads (from the source's client properties).
#[derive(Debug, Clone)]
pub(super) struct FetchSettings(ClientSettings);

impl FetchSettings {
    pub(super) fn new(
        bootstrap: &str,
        default_reset: &str,
        properties: &[(String, String)],
    ) -> Result<Self, ConnectorError> {
        let reset: OffsetOutOfRange = batches::reset(properties, default_reset)?;
        let read_committed = batches::read_committed(properties)?;
        Ok(Self(ClientSettings::new(
            bootstrap,
            properties,
            read_committed,
            reset,
        )?))
    }
}

/// The task's handle on its fetcher thread, which stops when this is dropped.
#[derive(Debug)]
pub(super) struct Fetcher(fetcher::Fetcher);

/// One split's state on the fetch path.
#[derive(Debug, Default)]
pub(super) struct FetchSplit {
    cursor: ConsumerCursor,
    chunks: VecDeque<Chunk>,
    queued: Arc<AtomicUsize>,
    /// Handed to the fetcher.
    assigned: bool,
}

impl Fetcher {
    /// Starts the fetcher thread under the calling task's memory account.
    pub(super) fn start(settings: FetchSettings) -> Result<Self, ConnectorError> {
        let spawn = Box::new(|builder, run: Box<dyn FnOnce() + Send + 'static>| {
            spate_engine::memory::spawn_tagged(builder, run).map(drop)
        });
        Ok(Self(fetcher::Fetcher::start(settings.0, spawn)?))
    }

    /// Hands the splits not handed over yet to the fetcher.
    pub(super) fn assign<'a>(
        &self,
        splits: impl Iterator<Item = (usize, &'a str, i32, i64, Option<i64>, &'a mut FetchSplit)>,
    ) -> Result<(), ConnectorError> {
        let mut new = Vec::new();
        for (split, topic, partition, next, stop, state) in splits {
            if state.assigned {
                continue;
            }
            state.assigned = true;
            new.push(Assignment {
                split,
                topic: topic.to_string(),
                partition,
                offset: next,
                stop,
                queued: state.queued.clone(),
            });
        }
        Ok(self.0.assign(new)?)
    }

    /// The next chunk the fetcher fetched, if one is waiting.
    pub(super) fn next_chunk(&self) -> Result<Option<Chunk>, ConnectorError> {
        Ok(self.0.next_chunk()?)
    }
}

impl FetchSplit {
    /// Queues a chunk fetched for this split.
    pub(super) fn push(&mut self, chunk: Chunk) {
        self.chunks.push_back(chunk);
    }
}

/// Emits records of one split from its fetched chunks until `out` is full or none is left.
pub(super) fn poll_split<T>(
    mut at: SplitCursor<'_>,
    state: &mut FetchSplit,
    deserializer: &Deserializer<T>,
    out: &mut impl Emitter<T>,
) -> Result<(), ConnectorError> {
    while out.remaining() > 0 && !*at.done {
        if state.cursor.is_exhausted() {
            if at.reached_stop(*at.next) {
                *at.done = true;
                break;
            }
            let Some(chunk) = state.chunks.pop_front() else {
                break;
            };
            state.queued.fetch_sub(chunk.records.len(), Ordering::AcqRel);
            // The fetcher may have skipped ahead (an out-of-range offset reset).
            *at.next = (*at.next).max(chunk.from);
            state.cursor.reset(chunk.records, *at.next, chunk.aborted);
        }
        at.emit(&mut state.cursor, deserializer, out)?;
    }
    if at.reached_stop(*at.next) {
        *at.done = true;
    }
    Ok(())
}
