//! Flink's `debezium-avro-confluent` format: Debezium change events as Avro in the Confluent
//! wire format, their schemas in a registry. An event is the envelope `{before, after, op}`
//! (Debezium's own adds `source`, `ts_ms`, `transaction`, which are skipped by name); `c` and
//! `r` insert `after`, `u` retracts `before` and inserts `after`, `d` deletes `before`.
//! Written: an insertion or update-after as `op` = `c` with `after`, an update-before or
//! delete as `d` with `before` (Flink's `DebeziumAvroSerializationSchema`), under the schema
//! Flink derives for the envelope. Options are `avro-confluent`'s under this format's name.

use std::collections::BTreeMap;

use super::super::changelog::{REPLICA_IDENTITY, row_type_of};
use super::super::{ChangeValues, FormatError, FormatField};
use super::confluent::AvroConfluent;
use crate::error::SqlError;
use crate::types::{DataType, TypeKind};
use crate::value::{RowKind, Value};

/// A configured `debezium-avro-confluent` format.
#[derive(Debug)]
pub(crate) struct DebeziumAvro {
    envelope: AvroConfluent,
    width: usize,
}

impl DebeziumAvro {
    pub(crate) fn new(fields: &[FormatField], options: &BTreeMap<String, String>) -> Result<Self, SqlError> {
        let row = row_type_of(fields);
        let envelope = [
            FormatField::new("before", row.clone()),
            FormatField::new("after", row),
            FormatField::new("op", DataType::new(TypeKind::Varchar(u32::MAX))),
        ];
        Ok(DebeziumAvro {
            envelope: AvroConfluent::named("debezium-avro-confluent", &envelope, options)?,
            width: fields.len(),
        })
    }

    pub(crate) fn ignores_parse_errors(&self) -> bool {
        self.envelope.ignores_parse_errors()
    }

    pub(crate) fn skippable(&self, e: &FormatError) -> bool {
        self.envelope.skippable(e)
    }

    /// Appends the changes of one event.
    pub(crate) fn decode(&self, bytes: &[u8], out: &mut Vec<ChangeValues>) -> Result<(), FormatError> {
        let mut values = Vec::with_capacity(3);
        self.envelope.decode(bytes, &mut values)?;
        let mut parts = values.into_iter();
        let (Some(before), Some(after), Some(op)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(FormatError(
                "internal error: an envelope without its three fields".into(),
            ));
        };
        let row = |v: Value| match v {
            Value::Row(r) => Some(r),
            _ => None,
        };
        let corrupt = |cause: String| FormatError(format!("Corrupt Debezium Avro message: {cause}"));
        let op = match op {
            Value::String(op) => op,
            _ => return Err(corrupt("the \"op\" field is null".into())),
        };
        let (before, after) = (row(before), row(after));
        match op.as_str() {
            "c" | "r" => {
                let after =
                    after.ok_or_else(|| corrupt("the \"after\" field of an insert is null".into()))?;
                out.push((RowKind::Insert, after));
            }
            "u" => {
                let before = before.ok_or_else(|| corrupt(REPLICA_IDENTITY.replace("{}", "UPDATE")))?;
                let after =
                    after.ok_or_else(|| corrupt("the \"after\" field of an update is null".into()))?;
                out.push((RowKind::UpdateBefore, before));
                out.push((RowKind::UpdateAfter, after));
            }
            "d" => {
                let before = before.ok_or_else(|| corrupt(REPLICA_IDENTITY.replace("{}", "DELETE")))?;
                out.push((RowKind::Delete, before));
            }
            other => {
                return Err(FormatError(format!(
                    "Unknown \"op\" value \"{other}\". The Debezium Avro message is not a change event"
                )));
            }
        }
        Ok(())
    }

    /// Appends one change as an event.
    pub(crate) fn encode(
        &self,
        kind: RowKind,
        values: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<(), FormatError> {
        if values.len() != self.width {
            return Err(FormatError(format!(
                "{} values for the {} fields of format 'debezium-avro-confluent'",
                values.len(),
                self.width
            )));
        }
        let row = Value::Row(values.to_vec());
        let envelope = match kind {
            RowKind::Insert | RowKind::UpdateAfter => [Value::Null, row, Value::String("c".into())],
            RowKind::UpdateBefore | RowKind::Delete => [row, Value::Null, Value::String("d".into())],
        };
        self.envelope.encode(&envelope, out)
    }
}
