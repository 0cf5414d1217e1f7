//! The Avro schemas of manifests and manifest lists, format v2, as Java's `AvroSchemaUtil`
//! converts the spec's structs: every field carries its Iceberg `field-id`, optional fields are
//! `["null", T]` unions defaulting to null, int-keyed maps are arrays of `k<key-id>_v<value-id>`
//! records (`key`/`value`) with `"logicalType":"map"`, lists carry `element-id`, and the
//! records are named `manifest_entry`, `r2` (data_file), `r102` (partition), `manifest_file`
//! and `r508` (field_summary).

use serde_json::{Value as Json, json};

use crate::types::PrimitiveType;
use crate::value::decimal_required_bytes;

fn field(name: &str, id: i32, ty: Json) -> Json {
    json!({"name": name, "type": ty, "field-id": id})
}

fn optional(name: &str, id: i32, ty: Json) -> Json {
    json!({"name": name, "type": ["null", ty], "default": null, "field-id": id})
}

fn int_map(key_id: i32, value_id: i32, value: &str) -> Json {
    json!({
        "type": "array",
        "logicalType": "map",
        "items": {
            "type": "record",
            "name": format!("k{key_id}_v{value_id}"),
            "fields": [field("key", key_id, json!("int")), field("value", value_id, json!(value))],
        },
    })
}

fn list(element_id: i32, item: &str) -> Json {
    json!({"type": "array", "items": item, "element-id": element_id})
}

/// The Avro type of a primitive (names of fixed types carry `field_id` so two uuid or decimal
/// partition fields cannot clash).
pub(crate) fn avro_primitive(t: PrimitiveType, field_id: i32) -> Json {
    match t {
        PrimitiveType::Boolean => json!("boolean"),
        PrimitiveType::Int => json!("int"),
        PrimitiveType::Long => json!("long"),
        PrimitiveType::Float => json!("float"),
        PrimitiveType::Double => json!("double"),
        PrimitiveType::Date => json!({"type": "int", "logicalType": "date"}),
        PrimitiveType::Time => json!({"type": "long", "logicalType": "time-micros"}),
        PrimitiveType::Timestamp => {
            json!({"type": "long", "logicalType": "timestamp-micros", "adjust-to-utc": false})
        }
        PrimitiveType::Timestamptz => {
            json!({"type": "long", "logicalType": "timestamp-micros", "adjust-to-utc": true})
        }
        PrimitiveType::String => json!("string"),
        PrimitiveType::Binary => json!("bytes"),
        PrimitiveType::Uuid => {
            json!({"type": "fixed", "name": format!("uuid_fixed_{field_id}"), "size": 16, "logicalType": "uuid"})
        }
        PrimitiveType::Fixed(n) => json!({"type": "fixed", "name": format!("fixed_{field_id}"), "size": n}),
        PrimitiveType::Decimal { precision, scale } => json!({
            "type": "fixed",
            "name": format!("decimal_{field_id}"),
            "size": decimal_required_bytes(precision),
            "logicalType": "decimal",
            "precision": precision,
            "scale": scale,
        }),
    }
}

/// The `manifest_entry` schema for a spec whose partition fields are `(field id, name, type)`.
pub(crate) fn manifest_entry_schema(partition: &[(i32, String, PrimitiveType)]) -> String {
    let partition_fields: Vec<Json> = partition
        .iter()
        .map(|(id, name, t)| optional(name, *id, avro_primitive(*t, *id)))
        .collect();
    let data_file = json!({
        "type": "record",
        "name": "r2",
        "fields": [
            field("content", 134, json!("int")),
            field("file_path", 100, json!("string")),
            field("file_format", 101, json!("string")),
            field("partition", 102, json!({"type": "record", "name": "r102", "fields": partition_fields})),
            field("record_count", 103, json!("long")),
            field("file_size_in_bytes", 104, json!("long")),
            optional("column_sizes", 108, int_map(117, 118, "long")),
            optional("value_counts", 109, int_map(119, 120, "long")),
            optional("null_value_counts", 110, int_map(121, 122, "long")),
            optional("nan_value_counts", 137, int_map(138, 139, "long")),
            optional("lower_bounds", 125, int_map(126, 127, "bytes")),
            optional("upper_bounds", 128, int_map(129, 130, "bytes")),
            optional("key_metadata", 131, json!("bytes")),
            optional("split_offsets", 132, list(133, "long")),
            optional("equality_ids", 135, list(136, "int")),
            optional("sort_order_id", 140, json!("int")),
        ],
    });
    json!({
        "type": "record",
        "name": "manifest_entry",
        "fields": [
            field("status", 0, json!("int")),
            optional("snapshot_id", 1, json!("long")),
            optional("sequence_number", 3, json!("long")),
            optional("file_sequence_number", 4, json!("long")),
            field("data_file", 2, data_file),
        ],
    })
    .to_string()
}

/// The `manifest_file` schema of a v2 manifest list.
pub(crate) fn manifest_file_schema() -> String {
    let summary = json!({
        "type": "record",
        "name": "r508",
        "fields": [
            field("contains_null", 509, json!("boolean")),
            optional("contains_nan", 518, json!("boolean")),
            optional("lower_bound", 510, json!("bytes")),
            optional("upper_bound", 511, json!("bytes")),
        ],
    });
    json!({
        "type": "record",
        "name": "manifest_file",
        "fields": [
            field("manifest_path", 500, json!("string")),
            field("manifest_length", 501, json!("long")),
            field("partition_spec_id", 502, json!("int")),
            field("content", 517, json!("int")),
            field("sequence_number", 515, json!("long")),
            field("min_sequence_number", 516, json!("long")),
            field("added_snapshot_id", 503, json!("long")),
            field("added_files_count", 504, json!("int")),
            field("existing_files_count", 505, json!("int")),
            field("deleted_files_count", 506, json!("int")),
            field("added_rows_count", 512, json!("long")),
            field("existing_rows_count", 513, json!("long")),
            field("deleted_rows_count", 514, json!("long")),
            optional("partitions", 507, json!({"type": "array", "items": summary, "element-id": 508})),
            optional("key_metadata", 519, json!("bytes")),
        ],
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_parse_as_avro() {
        let partition = vec![
            (1000, "ts_day".to_owned(), PrimitiveType::Date),
            (1001, "u".to_owned(), PrimitiveType::Uuid),
            (
                1002,
                "d".to_owned(),
                PrimitiveType::Decimal {
                    precision: 9,
                    scale: 2,
                },
            ),
        ];
        spate_avro::Schema::parse(&manifest_entry_schema(&partition)).expect("manifest_entry parses");
        spate_avro::Schema::parse(&manifest_file_schema()).expect("manifest_file parses");
    }
}
