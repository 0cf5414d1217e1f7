//! Iceberg's types and their JSON form in table metadata (spec "Schemas and Data Types",
//! Appendix C): primitives are strings (`"long"`, `"decimal(9,2)"`, `"fixed[16]"`), nested types
//! objects carrying the ids of their fields, elements, keys and values.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use crate::error::{IcebergError, Result};

/// A primitive type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrimitiveType {
    /// `boolean`.
    Boolean,
    /// `int`: 32-bit signed.
    Int,
    /// `long`: 64-bit signed.
    Long,
    /// `float`: IEEE 754 single.
    Float,
    /// `double`: IEEE 754 double.
    Double,
    /// `decimal(P,S)`: fixed point, precision at most 38.
    Decimal {
        /// Digits in all.
        precision: u32,
        /// Digits after the point.
        scale: u32,
    },
    /// `date`: days since 1970-01-01.
    Date,
    /// `time`: microseconds since midnight.
    Time,
    /// `timestamp`: microseconds since the epoch, without a zone.
    Timestamp,
    /// `timestamptz`: microseconds since the epoch, an instant (UTC).
    Timestamptz,
    /// `string`: UTF-8.
    String,
    /// `uuid`.
    Uuid,
    /// `fixed[L]`: L bytes.
    Fixed(u32),
    /// `binary`: any bytes.
    Binary,
}

impl PrimitiveType {
    /// The JSON (and human) name.
    pub fn name(self) -> String {
        match self {
            PrimitiveType::Boolean => "boolean".into(),
            PrimitiveType::Int => "int".into(),
            PrimitiveType::Long => "long".into(),
            PrimitiveType::Float => "float".into(),
            PrimitiveType::Double => "double".into(),
            PrimitiveType::Decimal { precision, scale } => format!("decimal({precision}, {scale})"),
            PrimitiveType::Date => "date".into(),
            PrimitiveType::Time => "time".into(),
            PrimitiveType::Timestamp => "timestamp".into(),
            PrimitiveType::Timestamptz => "timestamptz".into(),
            PrimitiveType::String => "string".into(),
            PrimitiveType::Uuid => "uuid".into(),
            PrimitiveType::Fixed(n) => format!("fixed[{n}]"),
            PrimitiveType::Binary => "binary".into(),
        }
    }

    /// Parses a JSON name; decimal and fixed take spaces as Java's parser does.
    pub fn parse(name: &str) -> Result<PrimitiveType> {
        let bad = || IcebergError::Json(format!("unknown primitive type {name:?}"));
        Ok(match name.trim() {
            "boolean" => PrimitiveType::Boolean,
            "int" => PrimitiveType::Int,
            "long" => PrimitiveType::Long,
            "float" => PrimitiveType::Float,
            "double" => PrimitiveType::Double,
            "date" => PrimitiveType::Date,
            "time" => PrimitiveType::Time,
            "timestamp" => PrimitiveType::Timestamp,
            "timestamptz" => PrimitiveType::Timestamptz,
            "string" => PrimitiveType::String,
            "uuid" => PrimitiveType::Uuid,
            "binary" => PrimitiveType::Binary,
            other => {
                if let Some(inner) = other.strip_prefix("decimal(").and_then(|s| s.strip_suffix(')')) {
                    let (p, s) = inner.split_once(',').ok_or_else(bad)?;
                    let precision = p.trim().parse().map_err(|_| bad())?;
                    let scale = s.trim().parse().map_err(|_| bad())?;
                    if precision == 0 || precision > 38 || scale > precision {
                        return Err(bad());
                    }
                    PrimitiveType::Decimal { precision, scale }
                } else if let Some(n) = other.strip_prefix("fixed[").and_then(|s| s.strip_suffix(']')) {
                    PrimitiveType::Fixed(n.trim().parse().map_err(|_| bad())?)
                } else {
                    return Err(bad());
                }
            }
        })
    }
}

/// A field of a struct: id, name, optionality, type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NestedField {
    /// The field id, unique in the schema.
    pub id: i32,
    /// The name.
    pub name: String,
    /// `false` for optional (nullable) fields.
    pub required: bool,
    /// The type.
    #[serde(rename = "type")]
    pub field_type: Type,
    /// Documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

impl NestedField {
    /// A required field.
    pub fn required(id: i32, name: impl Into<String>, field_type: impl Into<Type>) -> Self {
        NestedField {
            id,
            name: name.into(),
            required: true,
            field_type: field_type.into(),
            doc: None,
        }
    }

    /// An optional field.
    pub fn optional(id: i32, name: impl Into<String>, field_type: impl Into<Type>) -> Self {
        NestedField {
            required: false,
            ..NestedField::required(id, name, field_type)
        }
    }
}

/// Any Iceberg type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Json", into = "Json")]
pub enum Type {
    /// A primitive.
    Primitive(PrimitiveType),
    /// A struct of fields.
    Struct(Vec<NestedField>),
    /// A list.
    List {
        /// The element's field id.
        element_id: i32,
        /// Whether elements are non-null.
        element_required: bool,
        /// The element type.
        element: Box<Type>,
    },
    /// A map.
    Map {
        /// The key's field id.
        key_id: i32,
        /// The key type (keys are never null).
        key: Box<Type>,
        /// The value's field id.
        value_id: i32,
        /// Whether values are non-null.
        value_required: bool,
        /// The value type.
        value: Box<Type>,
    },
}

impl From<PrimitiveType> for Type {
    fn from(p: PrimitiveType) -> Self {
        Type::Primitive(p)
    }
}

impl Type {
    /// The primitive inside, if this is one.
    pub fn as_primitive(&self) -> Option<PrimitiveType> {
        match self {
            Type::Primitive(p) => Some(*p),
            _ => None,
        }
    }

    /// Calls `f` on every field, element, key and value below this type (depth first), with
    /// its id.
    pub(crate) fn visit_ids(&self, f: &mut dyn FnMut(i32, &Type)) {
        match self {
            Type::Primitive(_) => {}
            Type::Struct(fields) => {
                for field in fields {
                    f(field.id, &field.field_type);
                    field.field_type.visit_ids(f);
                }
            }
            Type::List {
                element_id, element, ..
            } => {
                f(*element_id, element);
                element.visit_ids(f);
            }
            Type::Map {
                key_id,
                key,
                value_id,
                value,
                ..
            } => {
                f(*key_id, key);
                key.visit_ids(f);
                f(*value_id, value);
                value.visit_ids(f);
            }
        }
    }
}

impl From<Type> for Json {
    fn from(t: Type) -> Json {
        match t {
            Type::Primitive(p) => Json::String(p.name()),
            Type::Struct(fields) => json!({"type": "struct", "fields": fields}),
            Type::List {
                element_id,
                element_required,
                element,
            } => json!({
                "type": "list",
                "element-id": element_id,
                "element": Json::from(*element),
                "element-required": element_required,
            }),
            Type::Map {
                key_id,
                key,
                value_id,
                value_required,
                value,
            } => json!({
                "type": "map",
                "key-id": key_id,
                "key": Json::from(*key),
                "value-id": value_id,
                "value": Json::from(*value),
                "value-required": value_required,
            }),
        }
    }
}

fn member<'a>(obj: &'a Map<String, Json>, key: &str) -> Result<&'a Json> {
    obj.get(key)
        .ok_or_else(|| IcebergError::Json(format!("type object lacks {key:?}")))
}

fn int_member(obj: &Map<String, Json>, key: &str) -> Result<i32> {
    member(obj, key)?
        .as_i64()
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| IcebergError::Json(format!("{key:?} is not an int")))
}

fn bool_member(obj: &Map<String, Json>, key: &str) -> Result<bool> {
    member(obj, key)?
        .as_bool()
        .ok_or_else(|| IcebergError::Json(format!("{key:?} is not a boolean")))
}

impl TryFrom<Json> for Type {
    type Error = IcebergError;

    fn try_from(json: Json) -> Result<Type> {
        let obj = match json {
            Json::String(name) => return Ok(Type::Primitive(PrimitiveType::parse(&name)?)),
            Json::Object(obj) => obj,
            other => {
                return Err(IcebergError::Json(format!(
                    "a type is a string or an object, not {other}"
                )));
            }
        };
        let sub =
            |key: &str| -> Result<Box<Type>> { Ok(Box::new(Type::try_from(member(&obj, key)?.clone())?)) };
        match member(&obj, "type")?.as_str() {
            Some("struct") => {
                let fields = serde_json::from_value(member(&obj, "fields")?.clone())
                    .map_err(|e| IcebergError::Json(format!("struct fields: {e}")))?;
                Ok(Type::Struct(fields))
            }
            Some("list") => Ok(Type::List {
                element_id: int_member(&obj, "element-id")?,
                element_required: bool_member(&obj, "element-required")?,
                element: sub("element")?,
            }),
            Some("map") => Ok(Type::Map {
                key_id: int_member(&obj, "key-id")?,
                key: sub("key")?,
                value_id: int_member(&obj, "value-id")?,
                value_required: bool_member(&obj, "value-required")?,
                value: sub("value")?,
            }),
            other => Err(IcebergError::Json(format!("unknown nested type {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitive_names_round_trip() {
        for p in [
            PrimitiveType::Boolean,
            PrimitiveType::Decimal {
                precision: 9,
                scale: 2,
            },
            PrimitiveType::Fixed(16),
            PrimitiveType::Timestamptz,
            PrimitiveType::Uuid,
        ] {
            assert_eq!(PrimitiveType::parse(&p.name()).expect("parses"), p);
        }
        assert_eq!(
            PrimitiveType::parse("decimal(9,2)").expect("no space"),
            PrimitiveType::Decimal {
                precision: 9,
                scale: 2
            }
        );
        assert!(PrimitiveType::parse("decimal(40,2)").is_err());
        assert!(PrimitiveType::parse("varchar").is_err());
    }

    #[test]
    fn nested_types_round_trip_through_json() {
        let t = Type::Struct(vec![
            NestedField::required(1, "id", PrimitiveType::Long),
            NestedField::optional(
                2,
                "tags",
                Type::Map {
                    key_id: 3,
                    key: Box::new(PrimitiveType::String.into()),
                    value_id: 4,
                    value_required: false,
                    value: Box::new(Type::List {
                        element_id: 5,
                        element_required: true,
                        element: Box::new(PrimitiveType::Int.into()),
                    }),
                },
            ),
        ]);
        let text = serde_json::to_string(&t).expect("serializes");
        assert!(text.contains(r#""element-id":5"#), "{text}");
        let back: Type = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, t);
    }
}
