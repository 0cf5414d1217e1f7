//! The borrowed view of a consumed message that deserializers read, and the ready-made owned
//! [`KafkaRecord`].

use rdkafka::message::{BorrowedMessage, Headers, Message};

/// A consumed message, borrowed from the client's buffer: deserializers build their value from
/// it without an intermediate copy.
#[derive(Debug)]
pub struct KafkaMessage<'a> {
    inner: &'a BorrowedMessage<'a>,
}

impl<'a> KafkaMessage<'a> {
    pub(crate) fn new(inner: &'a BorrowedMessage<'a>) -> Self {
        Self { inner }
    }
    /// The key (`None` for a null key).
    pub fn key(&self) -> Option<&'a [u8]> {
        self.inner.key()
    }
    /// The value (`None` for a null value, a tombstone).
    pub fn value(&self) -> Option<&'a [u8]> {
        self.inner.payload()
    }
    /// The record timestamp in milliseconds, if it has one.
    pub fn timestamp(&self) -> Option<i64> {
        self.inner.timestamp().to_millis()
    }
    /// The kind of the record timestamp, as Kafka names it: `CreateTime`, `LogAppendTime`, or
    /// `NoTimestampType` for a record without one.
    pub fn timestamp_type(&self) -> &'static str {
        match self.inner.timestamp() {
            rdkafka::Timestamp::NotAvailable => "NoTimestampType",
            rdkafka::Timestamp::CreateTime(_) => "CreateTime",
            rdkafka::Timestamp::LogAppendTime(_) => "LogAppendTime",
        }
    }
    /// The topic.
    pub fn topic(&self) -> &'a str {
        self.inner.topic()
    }
    /// The partition.
    pub fn partition(&self) -> i32 {
        self.inner.partition()
    }
    /// The offset.
    pub fn offset(&self) -> i64 {
        self.inner.offset()
    }
    /// The headers in order: name and value (`None` for a null value).
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, Option<&'a [u8]>)> + 'a {
        self.inner
            .headers()
            .into_iter()
            .flat_map(|h| h.iter().map(|h| (h.key, h.value)))
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
