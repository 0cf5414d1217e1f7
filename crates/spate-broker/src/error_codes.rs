//! Storage errors as Kafka error codes.

use kafka_protocol::ResponseError;
use spate_log::Error;

/// The Kafka code of a storage error. Every storage failure a client hears of passes here, so
/// this is also where a full disk is noticed (and logged once per episode).
pub(crate) fn code_of(e: &Error) -> ResponseError {
    crate::disk_full::observe(e);
    match e {
        Error::Io { .. } | Error::CorruptMetadata { .. } => ResponseError::KafkaStorageError,
        Error::CorruptBatch(_) | Error::CrcMismatch { .. } => ResponseError::CorruptMessage,
        Error::InvalidRecord(_) => ResponseError::InvalidRecord,
        Error::UnsupportedMagic(_) => ResponseError::UnsupportedForMessageFormat,
        Error::BatchTooLarge { .. } => ResponseError::MessageTooLarge,
        Error::OffsetOutOfRange { .. } => ResponseError::OffsetOutOfRange,
        Error::OutOfOrderSequence { .. } => ResponseError::OutOfOrderSequenceNumber,
        Error::InvalidProducerEpoch { .. } => ResponseError::InvalidProducerEpoch,
        Error::InvalidTxnState(_) => ResponseError::InvalidTxnState,
        Error::UnknownTopic(_) | Error::UnknownPartition { .. } => ResponseError::UnknownTopicOrPartition,
        // Only in-process reads see a stopped broker; a client's connection is closed instead.
        Error::Stopped => ResponseError::BrokerNotAvailable,
        Error::TopicExists(_) => ResponseError::TopicAlreadyExists,
        Error::InvalidTopicName { .. } => ResponseError::InvalidTopicException,
        Error::InvalidPartitions(_) => ResponseError::InvalidPartitions,
        Error::InvalidConfig(_) => ResponseError::InvalidConfig,
    }
}

/// Error code and message for a response.
pub(crate) fn code_and_message(e: &Error) -> (i16, Option<kafka_protocol::protocol::StrBytes>) {
    (
        code_of(e).code(),
        Some(kafka_protocol::protocol::StrBytes::from_string(e.to_string())),
    )
}
