//! Records into uncompressed v2 record batches, as this crate's producers send them (the
//! transactional producer, the produce load generator).

use bytes::{Bytes, BytesMut};
use kafka_protocol::records::{Compression, Record, RecordBatchEncoder, RecordEncodeOptions};

use crate::ClientError;

/// `records` as v2 batches without compression (the encoder starts a new batch where the
/// records' offset − sequence changes); `what` names them in an error.
pub(crate) fn encode_uncompressed(records: &[Record], what: &str) -> Result<Bytes, ClientError> {
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .map_err(|e| ClientError::Protocol(format!("encoding {what}: {e}")))?;
    Ok(buf.freeze())
}
