//! The direct read path: records straight from the partition logs of a Spate broker running in
//! this process (found through `spate_log::in_process`, which the broker implements; this crate
//! never sees the broker's types), decoded from the stored batches with spate-log's
//! consumer cursor — no socket, no per-message client work.
//!
//! Only the data plane differs from the client path. Partition assignment, starting offsets,
//! bounded end offsets, discovery, checkpointed positions (the next offset per partition) and
//! the group commit on checkpoint completion are the source's own code on both paths, so a job
//! can switch paths and resume from the same checkpoint. What the client would do on its own is
//! done here the same way:
//! - isolation: `isolation.level` (read_committed unless a property says otherwise), with the
//!   broker's Fetch logic for the last stable offset and aborted transactions;
//! - an offset out of range (retention deleted it) restarts at the start or end of the log as
//!   `auto.offset.reset` says (`error` fails the source);
//! - a stopped broker is looked up again by address, so a broker restarted in this process on
//!   the same address is read again.
//!
//! Waiting: a partition whose last read found nothing is read again only once the broker's
//! append generation changed (the engine polls an idle source every few milliseconds; this
//! makes such a poll a couple of atomic loads).

use std::sync::Arc;

use spate_log::consume::ConsumerCursor;
use spate_log::in_process::{self, Isolation, LocalLogs};

use super::batches::{self, Reset, SplitCursor};
use super::builder::Deserializer;
use crate::ConnectorError;
use crate::emit::Emitter;

/// Bytes of stored batches read per partition at a time.
const READ_BYTES: usize = 1 << 20;

/// The direct reader of one source subtask.
#[derive(Debug)]
pub(super) struct DirectReader {
    bootstrap: String,
    broker: Arc<dyn LocalLogs>,
    /// Bumped when `broker` is replaced by a restarted broker: generations of different
    /// broker instances are unrelated numbers (a new broker counts from zero again).
    instance: u64,
    isolation: Isolation,
    reset: Reset,
}

impl DirectReader {
    /// The reader when `bootstrap` names a broker in this process, else `None`.
    pub(super) fn find(
        bootstrap: &str,
        default_reset: &str,
        properties: &[(String, String)],
    ) -> Result<Option<Self>, ConnectorError> {
        let Some(broker) = in_process::find(bootstrap) else {
            return Ok(None);
        };
        let isolation = if batches::read_committed(properties)? {
            Isolation::ReadCommitted
        } else {
            Isolation::ReadUncommitted
        };
        let reset = batches::reset(properties, default_reset)?;
        Ok(Some(Self {
            bootstrap: bootstrap.to_string(),
            broker,
            instance: 0,
            isolation,
            reset,
        }))
    }
}

/// One partition's read state on the direct path.
#[derive(Debug, Default)]
pub(super) struct DirectSplit {
    cursor: ConsumerCursor,
    /// The broker instance and its append generation when a read last found nothing.
    idle_at: Option<(u64, u64)>,
}

/// Emits records of one split until `out` is full or nothing more is readable now.
pub(super) fn poll_split<T>(
    reader: &mut DirectReader,
    mut at: SplitCursor<'_>,
    state: &mut DirectSplit,
    deserializer: &Deserializer<T>,
    out: &mut impl Emitter<T>,
) -> Result<(), ConnectorError> {
    let (topic, partition) = (at.topic, at.partition);
    while out.remaining() > 0 && !*at.done {
        if state.cursor.is_exhausted() {
            if at.reached_stop(*at.next) {
                *at.done = true;
                break;
            }
            let generation = (reader.instance, reader.broker.append_generation());
            if state.idle_at == Some(generation) {
                break;
            }
            match reader
                .broker
                .read(topic, partition, *at.next, READ_BYTES, reader.isolation)
            {
                Ok(read) if read.records.is_empty() => {
                    state.idle_at = Some(generation);
                    break;
                }
                Ok(read) => {
                    state.idle_at = None;
                    state.cursor.reset(read.records, *at.next, read.aborted);
                }
                Err(spate_log::Error::OffsetOutOfRange {
                    log_start, log_end, ..
                }) => {
                    *at.next = match reader.reset {
                        Reset::Earliest => log_start,
                        Reset::Latest => log_end,
                        Reset::Fail => {
                            return Err(ConnectorError::Kafka(format!(
                                "offset {} of {topic}-{partition} is out of range \
                                 [{log_start}, {log_end}] and auto.offset.reset is `error`",
                                at.next
                            )));
                        }
                    };
                    continue;
                }
                Err(spate_log::Error::Stopped) => {
                    // A restarted broker on the same address is read again; until then there
                    // is nothing to read, as for a client whose broker is down.
                    if let Some(broker) = in_process::find(&reader.bootstrap) {
                        reader.broker = broker;
                        reader.instance += 1;
                    }
                    break;
                }
                // A partition being created (discovery saw it in the metadata first).
                Err(spate_log::Error::UnknownPartition { .. }) => break,
                Err(e) => {
                    return Err(ConnectorError::Kafka(format!(
                        "reading {topic}-{partition} from the log: {e}"
                    )));
                }
            }
        }
        at.emit(&mut state.cursor, deserializer, out)?;
    }
    if at.reached_stop(*at.next) {
        *at.done = true;
    }
    Ok(())
}
