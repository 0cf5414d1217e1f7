//! `debezium-json`: `{"before": {..}, "after": {..}, "op": "c", ...}`, or with
//! `debezium-json.schema-include` the same inside `{"schema": .., "payload": {..}}` (Kafka
//! Connect's JSON converter with schemas enabled). `c` (create) and `r` (a snapshot read) insert
//! `after`; `u` retracts `before` and inserts `after`; `d` deletes `before`.

use super::{ChangeValues, FormatError, FormatField, field, row_of, shown, string_of, string_type};
use crate::ident::Ident;
use crate::types::{DataType, RowField, TypeKind};
use crate::value::{RowKind, Value};

/// Flink's message for an update or delete without its before-image.
pub(crate) const REPLICA_IDENTITY: &str = "The \"before\" field of {} message is null, if you are using Debezium Postgres \
     Connector, please check the Postgres table has been set REPLICA IDENTITY to FULL level.";

/// The fields Flink reads an event's changes through (the payload's, with `schema-include`).
pub(super) fn envelope(row: &DataType) -> Vec<FormatField> {
    vec![
        field("before", row.clone()),
        field("after", row.clone()),
        field("op", string_type()),
    ]
}

/// The envelope of an event with `schema-include`: the payload's fields in its `payload`
/// member.
pub(super) fn in_payload(payload: Vec<FormatField>) -> FormatField {
    let fields = payload
        .into_iter()
        .map(|f| RowField {
            name: Ident::new(f.name),
            ty: f.ty,
            description: None,
        })
        .collect();
    field("payload", DataType::new(TypeKind::Row(fields)))
}

/// The changes of one decoded envelope.
pub(super) fn changes(
    envelope: Vec<Value>,
    schema_include: bool,
    bytes: &[u8],
    out: &mut Vec<ChangeValues>,
) -> Result<(), FormatError> {
    let corrupt = |cause: &str| {
        FormatError(format!(
            "Corrupt Debezium JSON message '{}': {cause}",
            shown(bytes)
        ))
    };
    let payload = if schema_include {
        match envelope.into_iter().next().and_then(row_of) {
            Some(p) => p,
            None => return Err(corrupt("the \"payload\" field is null")),
        }
    } else {
        envelope
    };
    let mut parts = payload.into_iter();
    let (Some(before), Some(after), Some(op)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(corrupt("the envelope lacks fields"));
    };
    let Some(op) = string_of(&op).map(str::to_string) else {
        return Err(corrupt("the \"op\" field is null"));
    };
    let (before, after) = (row_of(before), row_of(after));
    match op.as_str() {
        "c" | "r" => {
            let after = after.ok_or_else(|| corrupt("the \"after\" field of an insert is null"))?;
            out.push((RowKind::Insert, after));
        }
        "u" => {
            let before = before.ok_or_else(|| corrupt(&REPLICA_IDENTITY.replace("{}", "UPDATE")))?;
            let after = after.ok_or_else(|| corrupt("the \"after\" field of an update is null"))?;
            out.push((RowKind::UpdateBefore, before));
            out.push((RowKind::UpdateAfter, after));
        }
        "d" => {
            let before = before.ok_or_else(|| corrupt(&REPLICA_IDENTITY.replace("{}", "DELETE")))?;
            out.push((RowKind::Delete, before));
        }
        other => {
            return Err(FormatError(format!(
                "Unknown \"op\" value \"{other}\". The Debezium JSON message is '{}'",
                shown(bytes)
            )));
        }
    }
    Ok(())
}
