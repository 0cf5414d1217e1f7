//! Kafka error handling shared by the source and the sink: a client error wrapped with what was
//! being done, kept whole so [`ConnectorError::is_fatal`] can tell a fenced producer (no restart
//! cures it) from a broken connection.

use rdkafka::error::KafkaError;

use crate::error::ConnectorError;

/// A Kafka client error with what was being done (`what`), kept for [`ConnectorError::is_fatal`].
pub(crate) fn kafka_error(what: &str, e: KafkaError) -> ConnectorError {
    ConnectorError::KafkaClient {
        what: what.to_string(),
        source: e,
    }
}
