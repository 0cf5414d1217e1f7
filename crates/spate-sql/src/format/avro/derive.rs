//! The Avro schema Flink derives from a table's columns (`AvroSchemaConverter.convertToSchema`):
//! a record `org.apache.flink.avro.generated.record`, nested rows named after their path
//! (`record_address`), a nullable column as the union `["null", T]` with `null` as its
//! default, and Flink's legacy timestamp mapping unless `avro.timestamp_mapping.legacy` is off.

use spate_avro::write_json_string as write_string;

use super::super::FormatField;
use crate::types::{DataType, TypeKind};

/// Flink's name of the top-level record.
const ROOT: &str = "org.apache.flink.avro.generated.record";

/// The schema text for `fields`, or the reason a column has no Avro form (Flink's message).
pub(super) fn schema_text(fields: &[FormatField], legacy_timestamps: bool) -> Result<String, String> {
    let mut out = String::new();
    record(
        fields.iter().map(|f| (f.name.as_str(), &f.ty)),
        ROOT,
        legacy_timestamps,
        &mut out,
    )?;
    Ok(out)
}

fn record<'a>(
    fields: impl Iterator<Item = (&'a str, &'a DataType)>,
    name: &str,
    legacy: bool,
    out: &mut String,
) -> Result<(), String> {
    out.push_str(r#"{"type":"record","name":"#);
    write_string(name, out);
    out.push_str(r#","fields":["#);
    for (i, (field, ty)) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r#"{"name":"#);
        write_string(field, out);
        out.push_str(r#","type":"#);
        of(ty, &format!("{name}_{field}"), legacy, out)?;
        if ty.nullable {
            out.push_str(r#","default":null"#);
        }
        out.push('}');
    }
    out.push_str("]}");
    Ok(())
}

/// `ty` as Avro; `row_name` names a record it is or holds.
fn of(ty: &DataType, row_name: &str, legacy: bool, out: &mut String) -> Result<(), String> {
    if ty.nullable {
        out.push_str(r#"["null","#);
    }
    match &ty.kind {
        TypeKind::Boolean => out.push_str(r#""boolean""#),
        TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int => out.push_str(r#""int""#),
        TypeKind::BigInt => out.push_str(r#""long""#),
        TypeKind::Float => out.push_str(r#""float""#),
        TypeKind::Double => out.push_str(r#""double""#),
        TypeKind::Char(_) | TypeKind::Varchar(_) => out.push_str(r#""string""#),
        TypeKind::Binary(_) | TypeKind::Varbinary(_) => out.push_str(r#""bytes""#),
        TypeKind::Decimal { precision, scale } => out.push_str(&format!(
            r#"{{"type":"bytes","logicalType":"decimal","precision":{precision},"scale":{scale}}}"#
        )),
        TypeKind::Date => out.push_str(r#"{"type":"int","logicalType":"date"}"#),
        TypeKind::Time(p) if *p <= 3 => out.push_str(r#"{"type":"int","logicalType":"time-millis"}"#),
        TypeKind::Time(p) => {
            return Err(format!(
                "Avro does not support TIME type with precision: {p}, it only supports precision less than 3."
            ));
        }
        TypeKind::Timestamp(p) if legacy && *p <= 3 => {
            out.push_str(r#"{"type":"long","logicalType":"timestamp-millis"}"#)
        }
        TypeKind::Timestamp(p) if legacy => {
            return Err(format!(
                "Avro does not support TIMESTAMP type with precision: {p}, it only supports precision less than 3."
            ));
        }
        TypeKind::Timestamp(p) if *p <= 3 => {
            out.push_str(r#"{"type":"long","logicalType":"local-timestamp-millis"}"#)
        }
        TypeKind::Timestamp(_) => out.push_str(r#"{"type":"long","logicalType":"local-timestamp-micros"}"#),
        TypeKind::TimestampLtz(p) if !legacy && *p <= 3 => {
            out.push_str(r#"{"type":"long","logicalType":"timestamp-millis"}"#)
        }
        TypeKind::TimestampLtz(_) if !legacy => {
            out.push_str(r#"{"type":"long","logicalType":"timestamp-micros"}"#)
        }
        TypeKind::Row(fields) => {
            record(
                fields.iter().map(|f| (f.name.as_str(), &f.ty)),
                row_name,
                legacy,
                out,
            )?;
        }
        TypeKind::Array(element) => {
            out.push_str(r#"{"type":"array","items":"#);
            of(element, row_name, legacy, out)?;
            out.push('}');
        }
        TypeKind::Map(key, value) => {
            if !matches!(key.kind, TypeKind::Char(_) | TypeKind::Varchar(_)) {
                return Err(format!(
                    "Avro format doesn't support non-string as key type of map. The key type is: {key}"
                ));
            }
            out.push_str(r#"{"type":"map","values":"#);
            of(value, row_name, legacy, out)?;
            out.push('}');
        }
        other => return Err(format!("Unsupported to derive Schema for type: {other}")),
    }
    if ty.nullable {
        out.push(']');
    }
    Ok(())
}
