//! What both batch read paths (the in-process log, `direct.rs`, and the protocol fetcher,
//! `fetch.rs`) do with whole record batches: the consumer settings they honour as the client
//! would (`isolation.level`, `auto.offset.reset`), and handing out a cursor's records as engine
//! records.

use spate_engine::Timestamp;
use spate_kafka_client::client_security::property;
use spate_log::consume::ConsumerCursor;

use super::builder::Deserializer;
use crate::ConnectorError;
use crate::emit::Emitter;
use crate::kafka::message::KafkaMessage;

/// Where an out-of-range offset restarts (`auto.offset.reset`).
pub(super) use spate_kafka_client::fetcher::OffsetOutOfRange as Reset;

/// `isolation.level`: whether only committed records are read (the source's default).
pub(super) fn read_committed(properties: &[(String, String)]) -> Result<bool, ConnectorError> {
    match property(properties, "isolation.level").unwrap_or("read_committed") {
        "read_committed" => Ok(true),
        "read_uncommitted" => Ok(false),
        other => Err(ConnectorError::Config(format!(
            "isolation.level `{other}` (read_committed or read_uncommitted)"
        ))),
    }
}

/// `auto.offset.reset`, `default` when the properties do not set it.
pub(super) fn reset(properties: &[(String, String)], default: &str) -> Result<Reset, ConnectorError> {
    Ok(Reset::parse(
        property(properties, "auto.offset.reset").unwrap_or(default),
    )?)
}

/// One partition's place while its batches are handed out.
pub(super) struct SplitCursor<'a> {
    pub(super) topic: &'a str,
    pub(super) partition: i32,
    /// Offset of the next record to hand out; advanced past every record handed out.
    pub(super) next: &'a mut i64,
    /// Bounded mode: the end offset.
    pub(super) stop: Option<i64>,
    pub(super) done: &'a mut bool,
}

impl SplitCursor<'_> {
    pub(super) fn reached_stop(&self, offset: i64) -> bool {
        self.stop.is_some_and(|s| offset >= s)
    }

    /// Hands out `cursor`'s records until `out` is full, the cursor is used up or the stop
    /// offset is reached.
    pub(super) fn emit<T>(
        &mut self,
        cursor: &mut ConsumerCursor,
        deserializer: &Deserializer<T>,
        out: &mut impl Emitter<T>,
    ) -> Result<(), ConnectorError> {
        let (topic, partition) = (self.topic, self.partition);
        while out.remaining() > 0 {
            let record = cursor.next_record().map_err(|e| ConnectorError::Format {
                location: format!("{topic}-{partition}@{}", self.next),
                message: e.to_string(),
            })?;
            let Some(record) = record else {
                break;
            };
            if self.stop.is_some_and(|s| record.offset >= s) {
                *self.done = true;
                break;
            }
            let view = KafkaMessage::from_log(topic, partition, &record);
            let value = deserializer(&view).map_err(|e| ConnectorError::Format {
                location: format!("{topic}-{partition}@{}", record.offset),
                message: e.to_string(),
            })?;
            let timestamp: Timestamp = view.timestamp().unwrap_or(spate_engine::NO_TIMESTAMP);
            out.emit(value, timestamp);
            *self.next = record.offset + 1;
        }
        if cursor.is_exhausted() {
            // Markers and aborted batches after the last record are passed over once.
            *self.next = (*self.next).max(cursor.next_offset());
        }
        Ok(())
    }
}
