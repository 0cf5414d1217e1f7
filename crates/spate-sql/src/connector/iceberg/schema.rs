//! SQL columns as an Iceberg schema (Flink's `FlinkSchemaUtil`): a created table's schema,
//! the check of the columns against an existing table's (Flink's `TypeUtil.validateWriteSchema`:
//! same types or Iceberg's promotions, nothing nullable into a required field, no column the
//! table lacks), the Parquet field ids of the columns, and a value as a partition source value.
//!
//! TINYINT and SMALLINT are Iceberg `int` and are written as INT32; nested fields are optional;
//! BINARY(n) is `binary` (Flink makes it `fixed[n]`); TIMESTAMP(p) of any precision is
//! microseconds; INTERVAL types have no Iceberg type.

use spate_iceberg::{NestedField, PrimitiveType, Schema, Type, Value as IcebergValue};

use crate::format::FormatField;
use crate::format::parquet::FieldIds;
use crate::types::{DataType, RowField, TypeKind};
use crate::value::Value;

/// The Iceberg type of a SQL type (ids 0; [`Schema::with_fresh_ids`] numbers them).
pub(crate) fn iceberg_type(ty: &DataType) -> Result<Type, String> {
    let p = |t: PrimitiveType| Ok(Type::Primitive(t));
    match &ty.kind {
        TypeKind::Boolean => p(PrimitiveType::Boolean),
        TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int => p(PrimitiveType::Int),
        TypeKind::BigInt => p(PrimitiveType::Long),
        TypeKind::Float => p(PrimitiveType::Float),
        TypeKind::Double => p(PrimitiveType::Double),
        TypeKind::Decimal { precision, scale } => p(PrimitiveType::Decimal {
            precision: *precision,
            scale: *scale,
        }),
        TypeKind::Char(_) | TypeKind::Varchar(_) => p(PrimitiveType::String),
        TypeKind::Binary(_) | TypeKind::Varbinary(_) => p(PrimitiveType::Binary),
        TypeKind::Date => p(PrimitiveType::Date),
        TypeKind::Time(_) => p(PrimitiveType::Time),
        TypeKind::Timestamp(_) => p(PrimitiveType::Timestamp),
        TypeKind::TimestampLtz(_) => p(PrimitiveType::Timestamptz),
        TypeKind::Array(element) => Ok(Type::List {
            element_id: 0,
            element_required: false,
            element: Box::new(iceberg_type(element)?),
        }),
        TypeKind::Map(key, value) => Ok(Type::Map {
            key_id: 0,
            key: Box::new(iceberg_type(key)?),
            value_id: 0,
            value_required: false,
            value: Box::new(iceberg_type(value)?),
        }),
        // Flink's FlinkSchemaUtil: a multiset is a map from element to its count.
        TypeKind::Multiset(element) => Ok(Type::Map {
            key_id: 0,
            key: Box::new(iceberg_type(element)?),
            value_id: 0,
            value_required: false,
            value: Box::new(Type::Primitive(PrimitiveType::Int)),
        }),
        TypeKind::Row(fields) => Ok(Type::Struct(
            fields
                .iter()
                .map(|f| Ok(NestedField::optional(0, f.name.as_str(), iceberg_type(&f.ty)?)))
                .collect::<Result<_, String>>()?,
        )),
        TypeKind::IntervalDayTime | TypeKind::IntervalYearMonth => {
            Err(format!("the type {ty} has no Iceberg type"))
        }
    }
}

/// The schema of a table created for `fields`, with the primary key as identifier fields.
pub(crate) fn create_schema(fields: &[FormatField], key: &[String]) -> Result<Schema, String> {
    let nested = fields
        .iter()
        .map(|f| {
            let t = iceberg_type(&f.ty).map_err(|e| format!("column {}: {e}", f.name))?;
            Ok(NestedField {
                required: !f.ty.nullable,
                ..NestedField::optional(0, f.name.clone(), t)
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let key: Vec<&str> = key.iter().map(String::as_str).collect();
    Schema::with_fresh_ids(nested, &key).map_err(|e| e.to_string())
}

/// The type a column is written as: TINYINT and SMALLINT widened to INT (Iceberg's `int`),
/// nested fields nullable (Spate's Iceberg structs, lists and maps hold optional fields).
pub(crate) fn written_type(ty: &DataType) -> DataType {
    let kind = match &ty.kind {
        TypeKind::TinyInt | TypeKind::SmallInt => TypeKind::Int,
        TypeKind::Array(e) => TypeKind::Array(Box::new(nested(e))),
        TypeKind::Multiset(e) => TypeKind::Multiset(Box::new(nested(e))),
        TypeKind::Map(k, v) => TypeKind::Map(Box::new(written_type(k)), Box::new(nested(v))),
        TypeKind::Row(fields) => TypeKind::Row(
            fields
                .iter()
                .map(|f| RowField {
                    ty: nested(&f.ty),
                    ..f.clone()
                })
                .collect(),
        ),
        other => other.clone(),
    };
    DataType {
        kind,
        nullable: ty.nullable,
    }
}

fn nested(ty: &DataType) -> DataType {
    DataType {
        nullable: true,
        ..written_type(ty)
    }
}

/// Checks that `fields` can be written into `schema` (see the module docs) and returns each
/// column's Parquet field ids.
pub(crate) fn check_write_schema(fields: &[FormatField], schema: &Schema) -> Result<Vec<FieldIds>, String> {
    fields
        .iter()
        .map(|f| {
            let target = schema.field_by_name(&f.name).ok_or_else(|| {
                format!("column {}: the Iceberg table has no such column", f.name)
            })?;
            if target.required && f.ty.nullable {
                return Err(format!(
                    "column {}: the Iceberg column is required, and the SQL column is nullable (declare it NOT NULL)",
                    f.name
                ));
            }
            field_ids(&f.ty, target.id, &target.field_type).map_err(|e| format!("column {}: {e}", f.name))
        })
        .collect()
}

/// The ids of a value of SQL type `ty` written into the Iceberg field `id` of type `target`.
fn field_ids(ty: &DataType, id: i32, target: &Type) -> Result<FieldIds, String> {
    let mismatch = || {
        Err(format!(
            "{ty} cannot be written into the Iceberg type {}",
            type_name(target)
        ))
    };
    let leaf = |children| Ok(FieldIds { id, children });
    match (&ty.kind, target) {
        (
            TypeKind::Array(e),
            Type::List {
                element_id, element, ..
            },
        ) => leaf(vec![field_ids(e, *element_id, element)?]),
        (
            TypeKind::Map(k, v),
            Type::Map {
                key_id,
                key,
                value_id,
                value,
                ..
            },
        ) => leaf(vec![field_ids(k, *key_id, key)?, field_ids(v, *value_id, value)?]),
        (
            TypeKind::Multiset(e),
            Type::Map {
                key_id,
                key,
                value_id,
                value,
                ..
            },
        ) => leaf(vec![
            field_ids(e, *key_id, key)?,
            field_ids(&DataType::new(TypeKind::Int), *value_id, value)?,
        ]),
        (TypeKind::Row(sql), Type::Struct(fields)) => {
            let mut children = Vec::with_capacity(sql.len());
            for f in sql {
                let t = fields
                    .iter()
                    .find(|t| t.name == f.name.as_str())
                    .ok_or_else(|| format!("the Iceberg struct has no field {}", f.name))?;
                if t.required && f.ty.nullable {
                    return Err(format!("the Iceberg field {} is required", f.name));
                }
                children.push(field_ids(&f.ty, t.id, &t.field_type)?);
            }
            leaf(children)
        }
        (_, Type::Primitive(target)) => match iceberg_type(ty)?.as_primitive() {
            Some(written) if promotable(written, *target) => leaf(Vec::new()),
            _ => mismatch(),
        },
        _ => mismatch(),
    }
}

/// Whether a file column of type `written` reads as `target` (equal, or one of Iceberg's
/// promotions: int → long, float → double, a decimal's precision widened).
fn promotable(written: PrimitiveType, target: PrimitiveType) -> bool {
    use PrimitiveType as P;
    match (written, target) {
        (a, b) if a == b => true,
        (P::Int, P::Long) | (P::Float, P::Double) => true,
        (
            P::Decimal {
                precision: p1,
                scale: s1,
            },
            P::Decimal {
                precision: p2,
                scale: s2,
            },
        ) => s1 == s2 && p1 <= p2,
        _ => false,
    }
}

fn type_name(t: &Type) -> String {
    match t {
        Type::Primitive(p) => p.name(),
        Type::Struct(_) => "struct".into(),
        Type::List { .. } => "list".into(),
        Type::Map { .. } => "map".into(),
    }
}

/// A column's value as an Iceberg partition source value of type `t` (`None` for NULL, or a
/// value that does not fit: the transform then files it under the null partition).
pub(crate) fn source_value(v: &Value, t: PrimitiveType) -> Option<IcebergValue> {
    use PrimitiveType as P;
    Some(match (v, t) {
        (Value::Boolean(b), P::Boolean) => IcebergValue::Boolean(*b),
        (Value::Int(i), P::Int) => IcebergValue::Int(i32::try_from(*i).ok()?),
        (Value::Int(i), P::Long) => IcebergValue::Long(*i),
        (Value::Float(f), P::Float) => IcebergValue::Float(*f as f32),
        (Value::Float(f), P::Double) => IcebergValue::Double(*f),
        (Value::Decimal(d), P::Decimal { .. }) => IcebergValue::Decimal(*d),
        (Value::String(s), P::String) => IcebergValue::String(s.to_string()),
        (Value::Bytes(b), P::Binary) => IcebergValue::Binary(b.to_vec()),
        (Value::Date(d), P::Date) => IcebergValue::Date(*d),
        (Value::Time(nanos), P::Time) => IcebergValue::Time(nanos.div_euclid(1000)),
        (Value::Timestamp(micros), P::Timestamp) => IcebergValue::Timestamp(*micros),
        (Value::Timestamp(micros), P::Timestamptz) => IcebergValue::Timestamptz(*micros),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, kind: TypeKind, nullable: bool) -> FormatField {
        FormatField {
            name: name.into(),
            ty: DataType { kind, nullable },
        }
    }

    #[test]
    fn created_schemas_number_nested_fields_and_key_the_primary_key() {
        let fields = vec![
            field("id", TypeKind::BigInt, false),
            field(
                "tags",
                TypeKind::Array(Box::new(DataType::new(TypeKind::Varchar(u32::MAX)))),
                true,
            ),
            field("n", TypeKind::SmallInt, true),
        ];
        let s = create_schema(&fields, &["id".into()]).expect("schema");
        assert_eq!(s.identifier_field_ids, [1]);
        assert!(s.fields[0].required);
        assert_eq!(s.fields[2].field_type, Type::Primitive(PrimitiveType::Int));
        let ids = check_write_schema(&fields, &s).expect("fits its own schema");
        assert_eq!(
            ids[1],
            FieldIds {
                id: 2,
                children: vec![FieldIds {
                    id: 4,
                    children: vec![]
                }]
            }
        );
    }

    #[test]
    fn writes_are_checked_against_the_table() {
        let table = create_schema(
            &[
                field("id", TypeKind::BigInt, false),
                field("x", TypeKind::Int, true),
            ],
            &[],
        )
        .expect("schema");
        // int into long is a promotion; a nullable column into a required one is not.
        assert!(check_write_schema(&[field("id", TypeKind::Int, false)], &table).is_ok());
        let e = check_write_schema(&[field("id", TypeKind::BigInt, true)], &table).unwrap_err();
        assert!(e.contains("required"), "{e}");
        let e = check_write_schema(&[field("x", TypeKind::Varchar(10), true)], &table).unwrap_err();
        assert!(e.contains("cannot be written into the Iceberg type int"), "{e}");
        let e = check_write_schema(&[field("y", TypeKind::Int, true)], &table).unwrap_err();
        assert!(e.contains("no such column"), "{e}");
    }
}
