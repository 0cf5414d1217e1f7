//! The `.proto` schema `protobuf-confluent` writes a table's rows with when it registers one:
//! a message `Row` in package `spate.generated` (Confluent Cloud's Flink derives one the same
//! way), one field per column numbered in column order.
//!
//! Nullable scalar columns are proto3 `optional` so that `NULL` and `0`/`""` stay apart;
//! `ROW`s become nested messages (`<Column>Row`), `ARRAY` `repeated`, `MAP` `map`,
//! `TIMESTAMP`/`TIMESTAMP_LTZ` `google.protobuf.Timestamp` and `DECIMAL` `confluent.type.Decimal`,
//! which Confluent's clients read without a registered reference. Types Protobuf has no form
//! for here (`DATE`, `TIME`, intervals, `MULTISET`, nested arrays and maps) are refused with the
//! column's name.

use std::fmt::Write as _;

use super::super::FormatField;
use crate::types::{DataType, TypeKind};

/// The derived schema's package and message.
pub(crate) const PACKAGE: &str = "spate.generated";
pub(crate) const MESSAGE: &str = "Row";

/// The `.proto` text for `fields`.
pub(crate) fn schema_text(fields: &[FormatField]) -> Result<String, String> {
    let columns: Vec<(&str, &DataType)> = fields.iter().map(|f| (f.name.as_str(), &f.ty)).collect();
    let mut body = String::new();
    let mut imports = Imports::default();
    message(MESSAGE, &columns, 0, &mut imports, &mut body)?;
    let mut out = String::from("syntax = \"proto3\";\n");
    let _ = writeln!(out, "package {PACKAGE};");
    if imports.timestamp {
        out.push_str("import \"google/protobuf/timestamp.proto\";\n");
    }
    if imports.decimal {
        out.push_str("import \"confluent/type/decimal.proto\";\n");
    }
    out.push('\n');
    out.push_str(&body);
    Ok(out)
}

#[derive(Default)]
struct Imports {
    timestamp: bool,
    decimal: bool,
}

fn message(
    name: &str,
    columns: &[(&str, &DataType)],
    depth: usize,
    imports: &mut Imports,
    out: &mut String,
) -> Result<(), String> {
    let pad = "  ".repeat(depth);
    let _ = writeln!(out, "{pad}message {name} {{");
    let mut nested = String::new();
    for (i, (column, ty)) in columns.iter().enumerate() {
        let number = i + 1;
        let (label, type_name) = match &ty.kind {
            TypeKind::Array(element) => {
                let t = field_type(column, element, depth, imports, &mut nested)?;
                ("repeated ", t)
            }
            TypeKind::Map(k, v) => {
                let key = scalar(&k.kind).filter(|k| !matches!(*k, "float" | "double" | "bytes"));
                let key = key.ok_or_else(|| {
                    format!("column '{column}': a map key of type {k} has no Protobuf form")
                })?;
                let value = field_type(column, v, depth, imports, &mut nested)?;
                ("", format!("map<{key}, {value}>"))
            }
            kind => {
                let t = field_type(column, ty, depth, imports, &mut nested)?;
                let optional = ty.nullable && scalar(kind).is_some();
                (if optional { "optional " } else { "" }, t)
            }
        };
        let _ = writeln!(out, "{pad}  {label}{type_name} {column} = {number};");
    }
    out.push_str(&nested);
    let _ = writeln!(out, "{pad}}}");
    Ok(())
}

/// The type of one (non-repeated) value of `ty`, writing a nested message for a `ROW`.
fn field_type(
    column: &str,
    ty: &DataType,
    depth: usize,
    imports: &mut Imports,
    nested: &mut String,
) -> Result<String, String> {
    if let Some(s) = scalar(&ty.kind) {
        return Ok(s.to_string());
    }
    match &ty.kind {
        TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_) => {
            imports.timestamp = true;
            Ok(".google.protobuf.Timestamp".into())
        }
        TypeKind::Decimal { .. } => {
            imports.decimal = true;
            Ok(".confluent.type.Decimal".into())
        }
        TypeKind::Row(fields) => {
            let name = format!("{}Row", camel(column));
            let columns: Vec<(&str, &DataType)> = fields.iter().map(|f| (f.name.as_str(), &f.ty)).collect();
            message(&name, &columns, depth + 1, imports, nested)?;
            Ok(name)
        }
        _ => Err(format!(
            "column '{column}': type {ty} has no Protobuf form in Spate's derived schema"
        )),
    }
}

fn scalar(kind: &TypeKind) -> Option<&'static str> {
    Some(match kind {
        TypeKind::Boolean => "bool",
        TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int => "int32",
        TypeKind::BigInt => "int64",
        TypeKind::Float => "float",
        TypeKind::Double => "double",
        TypeKind::Char(_) | TypeKind::Varchar(_) => "string",
        TypeKind::Binary(_) | TypeKind::Varbinary(_) => "bytes",
        _ => return None,
    })
}

fn camel(s: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
