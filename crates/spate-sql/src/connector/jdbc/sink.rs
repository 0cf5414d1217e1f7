//! The engine sink of a `jdbc` table: changes into the buffer, the buffer into PostgreSQL when
//! `sink.buffer-flush.max-rows` changes wait, every `sink.buffer-flush.interval`, before each
//! checkpoint completes and at the end of input (Flink's `JdbcOutputFormat`).
//!
//! Flushing in `snapshot_state` makes the sink at-least-once: whatever came before a
//! checkpoint's barrier is committed in PostgreSQL before the checkpoint can complete, so a
//! restore replays only changes after it. With a primary key that is exactly the query's
//! result once the replay is written (upserts and deletes are idempotent); without one a
//! replayed row is inserted again, as in Flink.

use spate_engine::{EngineError, Record, Sink, SinkContext, Timestamp};

use super::buffer::Buffer;
use super::writer::Writer;
use crate::connector::sink_input::SinkInput;

/// One subtask's sink.
#[derive(Debug, Clone)]
pub(crate) struct JdbcSink {
    pub(crate) writer: Writer,
    pub(crate) buffer: Buffer,
    pub(crate) max_rows: Option<usize>,
    pub(crate) interval_ms: Option<i64>,
    /// When the buffer was last written (`None` before the first tick).
    pub(crate) last_flush: Option<Timestamp>,
}

impl JdbcSink {
    fn flush(&mut self, now: Timestamp) -> Result<(), EngineError> {
        self.last_flush = Some(now);
        if self.buffer.is_empty() {
            return Ok(());
        }
        let batch = self.buffer.take();
        self.writer.flush(&batch)
    }
}

impl<T: SinkInput> Sink<T> for JdbcSink {
    fn open(&mut self, _ctx: &SinkContext) -> Result<(), EngineError> {
        self.writer.connect()
    }

    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError> {
        for r in records.drain(..) {
            let (row, kind) = r.value.into_parts();
            let taken = self.buffer.put(kind, row);
            if self.max_rows.is_some_and(|max| taken >= max) {
                self.flush(spate_engine::clock::now_millis())?;
            }
        }
        Ok(())
    }

    fn on_processing_time(&mut self, now: Timestamp) -> Result<(), EngineError> {
        let Some(interval) = self.interval_ms else {
            return Ok(());
        };
        match self.last_flush {
            None => self.last_flush = Some(now),
            Some(last) if now >= last.saturating_add(interval) => self.flush(now)?,
            Some(_) => {}
        }
        Ok(())
    }

    fn snapshot_state(&mut self, _checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        self.flush(spate_engine::clock::now_millis())?;
        Ok(Vec::new())
    }

    fn finish(&mut self) -> Result<(), EngineError> {
        self.flush(spate_engine::clock::now_millis())
    }
}
