//! Partition specs (`{"spec-id":0,"fields":[{"source-id":3,"field-id":1000,"name":"ts_day",
//! "transform":"day"}]}`), the partition tuple of a data file, and its Hive-style path
//! (`ts_day=2024-03-05/kind=a%2Fb`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{IcebergError, Result};
use crate::schema::Schema;
use crate::transform::Transform;
use crate::types::PrimitiveType;
use crate::value::Value;

/// Partition field ids start here (Java's `PartitionSpec.PARTITION_DATA_ID_START`).
pub const FIRST_PARTITION_FIELD_ID: i32 = 1000;

/// One field of a partition spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PartitionField {
    /// The source column's field id.
    pub source_id: i32,
    /// The partition field's id (1000 and up).
    pub field_id: i32,
    /// The partition field's name (the path's `name=`).
    pub name: String,
    /// The transform.
    #[serde(serialize_with = "ser_transform", deserialize_with = "de_transform")]
    pub transform: Transform,
}

fn ser_transform<S: Serializer>(t: &Transform, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&t.name())
}

fn de_transform<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Transform, D::Error> {
    let name = String::deserialize(d)?;
    Transform::parse(&name).map_err(serde::de::Error::custom)
}

/// A partition spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PartitionSpec {
    /// Its id among the table's specs.
    pub spec_id: i32,
    /// Its fields, in partition-tuple order.
    pub fields: Vec<PartitionField>,
}

/// A partition field as a user asks for it: a source column name and a transform.
#[derive(Debug, Clone, PartialEq)]
pub struct UnboundPartitionField {
    /// The source column (top level).
    pub source: String,
    /// The transform.
    pub transform: Transform,
    /// The partition field's name; by default the column's name for identity and
    /// `<column>_<transform>` otherwise, as Java names them.
    pub name: Option<String>,
}

impl UnboundPartitionField {
    /// `transform(source)` with the default name.
    pub fn new(source: impl Into<String>, transform: Transform) -> Self {
        UnboundPartitionField {
            source: source.into(),
            transform,
            name: None,
        }
    }
}

impl PartitionSpec {
    /// The spec of an unpartitioned table.
    pub fn unpartitioned() -> PartitionSpec {
        PartitionSpec {
            spec_id: 0,
            fields: Vec::new(),
        }
    }

    /// Binds `fields` to `schema`, numbering partition fields from 1000.
    pub fn bind(schema: &Schema, fields: &[UnboundPartitionField]) -> Result<PartitionSpec> {
        let mut out = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            let source = schema.field_by_name(&f.source).ok_or_else(|| {
                IcebergError::invalid(format!(
                    "partition source column {:?} not in the schema",
                    f.source
                ))
            })?;
            let source_type = source.field_type.as_primitive().ok_or_else(|| {
                IcebergError::invalid(format!("partition source {:?} is not a primitive", f.source))
            })?;
            f.transform.result_type(source_type)?;
            let name = f.name.clone().unwrap_or_else(|| match f.transform {
                Transform::Identity => f.source.clone(),
                Transform::Bucket(n) => format!("{}_bucket_{n}", f.source),
                Transform::Truncate(w) => format!("{}_trunc_{w}", f.source),
                other => format!("{}_{}", f.source, other.name()),
            });
            if out.iter().any(|p: &PartitionField| p.name == name) {
                return Err(IcebergError::invalid(format!("partition field {name:?} twice")));
            }
            out.push(PartitionField {
                source_id: source.id,
                field_id: FIRST_PARTITION_FIELD_ID + i as i32,
                name,
                transform: f.transform,
            });
        }
        Ok(PartitionSpec {
            spec_id: 0,
            fields: out,
        })
    }

    /// Whether the spec has no fields.
    pub fn is_unpartitioned(&self) -> bool {
        self.fields.is_empty()
    }

    /// The highest partition field id (999 when unpartitioned, Java's convention for
    /// `last-partition-id`).
    pub fn last_field_id(&self) -> i32 {
        self.fields
            .iter()
            .map(|f| f.field_id)
            .max()
            .unwrap_or(FIRST_PARTITION_FIELD_ID - 1)
    }

    /// Each partition field's value type under `schema`.
    pub fn partition_types(&self, schema: &Schema) -> Result<Vec<PrimitiveType>> {
        self.fields
            .iter()
            .map(|f| {
                let source = schema
                    .field_type(f.source_id)
                    .and_then(|t| t.as_primitive())
                    .ok_or_else(|| {
                        IcebergError::invalid(format!(
                            "partition source id {} is not a primitive column",
                            f.source_id
                        ))
                    })?;
                f.transform.result_type(source)
            })
            .collect()
    }

    /// The partition tuple of a row, given each source column's value by field id.
    pub fn partition_of(&self, source_value: impl Fn(i32) -> Option<Value>) -> Result<Vec<Option<Value>>> {
        self.fields
            .iter()
            .map(|f| f.transform.apply(source_value(f.source_id).as_ref()))
            .collect()
    }

    /// The Hive-style relative directory of a partition tuple (`""` when unpartitioned):
    /// `name=value` per field joined by `/`, values URL-encoded as Java's `URLEncoder` does.
    pub fn partition_path(&self, values: &[Option<Value>]) -> Result<String> {
        if values.len() != self.fields.len() {
            return Err(IcebergError::invalid(format!(
                "partition tuple has {} values for {} fields",
                values.len(),
                self.fields.len()
            )));
        }
        let parts: Vec<String> = self
            .fields
            .iter()
            .zip(values)
            .map(|(f, v)| {
                format!(
                    "{}={}",
                    url_encode(&f.name),
                    url_encode(&f.transform.human_string(v.as_ref()))
                )
            })
            .collect();
        Ok(parts.join("/"))
    }
}

/// `application/x-www-form-urlencoded` as Java's `URLEncoder.encode(s, UTF_8)`: letters,
/// digits and `.-*_` stay, space becomes `+`, every other byte `%XX`.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::NestedField;

    fn schema() -> Schema {
        Schema::with_fresh_ids(
            vec![
                NestedField::required(0, "id", PrimitiveType::Long),
                NestedField::optional(0, "kind", PrimitiveType::String),
                NestedField::optional(0, "ts", PrimitiveType::Timestamptz),
            ],
            &[],
        )
        .expect("valid")
    }

    #[test]
    fn binds_and_paths() {
        let s = schema();
        let spec = PartitionSpec::bind(
            &s,
            &[
                UnboundPartitionField::new("ts", Transform::Day),
                UnboundPartitionField::new("kind", Transform::Identity),
            ],
        )
        .expect("binds");
        assert_eq!(spec.fields[0].name, "ts_day");
        assert_eq!(spec.fields[1].field_id, 1001);
        assert_eq!(spec.last_field_id(), 1001);
        assert_eq!(
            spec.partition_types(&s).expect("types"),
            [PrimitiveType::Date, PrimitiveType::String]
        );
        let values = spec
            .partition_of(|id| match id {
                2 => Some(Value::String("a/b c".into())),
                3 => Some(Value::Timestamptz(1_709_650_800_000_000)),
                _ => None,
            })
            .expect("applies");
        assert_eq!(
            spec.partition_path(&values).expect("path"),
            "ts_day=2024-03-05/kind=a%2Fb+c"
        );
        assert_eq!(
            spec.partition_path(&[None, None]).expect("path"),
            "ts_day=null/kind=null"
        );
        let json = serde_json::to_string(&spec).expect("json");
        assert!(
            json.contains(r#"{"source-id":3,"field-id":1000,"name":"ts_day","transform":"day"}"#),
            "{json}"
        );
        assert_eq!(
            serde_json::from_str::<PartitionSpec>(&json).expect("parses"),
            spec
        );
        assert!(PartitionSpec::bind(&s, &[UnboundPartitionField::new("id", Transform::Hour)]).is_err());
        assert_eq!(PartitionSpec::unpartitioned().last_field_id(), 999);
    }
}
