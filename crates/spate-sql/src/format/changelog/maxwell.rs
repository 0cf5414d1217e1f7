//! `maxwell-json`: `{"database": "db", "table": "t", "type": "update", "data": {..}, "old":
//! {..}, ...}`. `insert` inserts `data`, `delete` deletes it, `update` retracts the old image
//! (`old` holds only the fields that changed) and inserts `data`.

use super::{
    ChangeValues, FormatError, FormatField, field, fill_unchanged, old_names, row_of, shown, string_of,
    string_type,
};
use crate::types::DataType;
use crate::value::{RowKind, Value};

/// The fields Flink reads an event through.
pub(super) fn envelope(row: &DataType) -> Vec<FormatField> {
    vec![
        field("data", row.clone()),
        field("old", row.clone()),
        field("type", string_type()),
    ]
}

/// The changes of one decoded envelope.
pub(super) fn changes(
    envelope: Vec<Value>,
    names: &[String],
    bytes: &[u8],
    out: &mut Vec<ChangeValues>,
) -> Result<(), FormatError> {
    let corrupt = |cause: &str| {
        FormatError(format!(
            "Corrupt Maxwell JSON message '{}': {cause}",
            shown(bytes)
        ))
    };
    let mut parts = envelope.into_iter();
    let (Some(data), Some(old), Some(kind)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(corrupt("the envelope lacks fields"));
    };
    let Some(kind) = string_of(&kind).map(str::to_string) else {
        return Err(corrupt("the \"type\" field is null"));
    };
    let data = row_of(data);
    match kind.as_str() {
        "insert" | "delete" => {
            let row = data.ok_or_else(|| corrupt("the \"data\" field is null"))?;
            let row_kind = if kind == "insert" {
                RowKind::Insert
            } else {
                RowKind::Delete
            };
            out.push((row_kind, row));
        }
        "update" => {
            let after = data.ok_or_else(|| corrupt("the \"data\" field is null"))?;
            let mut before = row_of(old).ok_or_else(|| corrupt("the \"old\" field of an update is null"))?;
            let changed = old_names(bytes).map_err(|e| corrupt(&e))?;
            fill_unchanged(&mut before, &after, names, &changed);
            out.push((RowKind::UpdateBefore, before));
            out.push((RowKind::UpdateAfter, after));
        }
        other => {
            return Err(FormatError(format!(
                "Unknown \"type\" value \"{other}\". The Maxwell JSON message is '{}'",
                shown(bytes)
            )));
        }
    }
    Ok(())
}
