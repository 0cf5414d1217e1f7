//! The borrowed view of a consumed message that deserializers read (from librdkafka or straight
//! from the in-process broker's log), and the ready-made owned [`KafkaRecord`].

use rdkafka::message::{BorrowedMessage, Headers, Message};
use spate_log::consume::ConsumedRecord;

/// A consumed message, borrowed from the client's buffer or from the log's stored batch:
/// deserializers build their value from it without an intermediate copy.
#[derive(Debug)]
pub struct KafkaMessage<'a> {
    inner: Inner<'a>,
}

#[derive(Debug)]
enum Inner<'a> {
    /// Read through librdkafka.
    Client(&'a BorrowedMessage<'a>),
    /// Read from the partition log of the broker in this process.
    Log {
        topic: &'a str,
        partition: i32,
        record: &'a ConsumedRecord<'a>,
    },
}

impl<'a> KafkaMessage<'a> {
    pub(crate) fn new(inner: &'a BorrowedMessage<'a>) -> Self {
        Self {
            inner: Inner::Client(inner),
        }
    }
    pub(crate) fn from_log(topic: &'a str, partition: i32, record: &'a ConsumedRecord<'a>) -> Self {
        Self {
            inner: Inner::Log {
                topic,
                partition,
                record,
            },
        }
    }
    /// The key (`None` for a null key).
    pub fn key(&self) -> Option<&'a [u8]> {
        match &self.inner {
            Inner::Client(m) => m.key(),
            Inner::Log { record, .. } => record.record.key,
        }
    }
    /// The value (`None` for a null value, a tombstone).
    pub fn value(&self) -> Option<&'a [u8]> {
        match &self.inner {
            Inner::Client(m) => m.payload(),
            Inner::Log { record, .. } => record.record.value,
        }
    }
    /// The record timestamp in milliseconds, if it has one.
    pub fn timestamp(&self) -> Option<i64> {
        match &self.inner {
            Inner::Client(m) => m.timestamp().to_millis(),
            // Kafka's "no timestamp" is -1, which librdkafka reports as not available.
            Inner::Log { record, .. } => (record.timestamp >= 0).then_some(record.timestamp),
        }
    }
    /// The kind of the record timestamp, as Kafka names it: `CreateTime`, `LogAppendTime`, or
    /// `NoTimestampType` for a record without one.
    pub fn timestamp_type(&self) -> &'static str {
        match &self.inner {
            Inner::Client(m) => match m.timestamp() {
                rdkafka::Timestamp::NotAvailable => "NoTimestampType",
                rdkafka::Timestamp::CreateTime(_) => "CreateTime",
                rdkafka::Timestamp::LogAppendTime(_) => "LogAppendTime",
            },
            Inner::Log { record, .. } if record.timestamp < 0 => "NoTimestampType",
            Inner::Log { record, .. } if record.log_append_time => "LogAppendTime",
            Inner::Log { .. } => "CreateTime",
        }
    }
    /// The topic.
    pub fn topic(&self) -> &'a str {
        match &self.inner {
            Inner::Client(m) => m.topic(),
            Inner::Log { topic, .. } => topic,
        }
    }
    /// The partition.
    pub fn partition(&self) -> i32 {
        match &self.inner {
            Inner::Client(m) => m.partition(),
            Inner::Log { partition, .. } => *partition,
        }
    }
    /// The offset.
    pub fn offset(&self) -> i64 {
        match &self.inner {
            Inner::Client(m) => m.offset(),
            Inner::Log { record, .. } => record.offset,
        }
    }
    /// The headers in order: name and value (`None` for a null value). A header whose name is
    /// not UTF-8 is left out.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, Option<&'a [u8]>)> + 'a {
        let (client, log) = match &self.inner {
            Inner::Client(m) => (Some(m.headers()), None),
            Inner::Log { record, .. } => (None, Some(record.record.headers())),
        };
        let client = client
            .flatten()
            .into_iter()
            .flat_map(|h| h.iter().map(|h| (h.key, h.value)));
        let log = log
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((std::str::from_utf8(k).ok()?, v)));
        client.chain(log)
    }
}

/// An owned copy of a consumed message (the deserializer of [`KafkaRecord::deserialize`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaRecord {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The record timestamp in milliseconds, if any.
    pub timestamp: Option<i64>,
    /// The key.
    pub key: Option<Vec<u8>>,
    /// The value.
    pub value: Option<Vec<u8>>,
    /// The headers in order.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl KafkaRecord {
    /// Copies a message; usable as a source deserializer (`.deserializer(KafkaRecord::deserialize)`).
    pub fn deserialize(m: &KafkaMessage<'_>) -> Result<KafkaRecord, crate::ConnectorError> {
        Ok(KafkaRecord {
            topic: m.topic().to_string(),
            partition: m.partition(),
            offset: m.offset(),
            timestamp: m.timestamp(),
            key: m.key().map(<[u8]>::to_vec),
            value: m.value().map(<[u8]>::to_vec),
            headers: m
                .headers()
                .map(|(k, v)| (k.to_string(), v.map(<[u8]>::to_vec)))
                .collect(),
        })
    }
}
