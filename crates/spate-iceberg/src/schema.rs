//! A table schema: a struct with an id, identifier (primary-key) field ids, and its fields.
//! JSON: `{"type":"struct","schema-id":0,"identifier-field-ids":[1],"fields":[...]}`.

use serde::{Deserialize, Serialize};

use crate::error::{IcebergError, Result};
use crate::types::{NestedField, Type};

/// One schema of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Schema {
    /// Always `"struct"`.
    #[serde(rename = "type", default = "struct_name")]
    kind: String,
    /// The schema's id among the table's schemas.
    #[serde(default)]
    pub schema_id: i32,
    /// The fields that identify a row (a Flink PRIMARY KEY); equality deletes use them.
    #[serde(default)]
    pub identifier_field_ids: Vec<i32>,
    /// The top-level fields.
    pub fields: Vec<NestedField>,
}

fn struct_name() -> String {
    "struct".into()
}

impl Schema {
    /// A schema of `fields`, with the ids they carry. Use [`Schema::with_fresh_ids`] to number
    /// them as Java Iceberg does when it creates a table.
    pub fn new(schema_id: i32, fields: Vec<NestedField>, identifier_field_ids: Vec<i32>) -> Result<Schema> {
        let schema = Schema {
            kind: struct_name(),
            schema_id,
            identifier_field_ids,
            fields,
        };
        schema.validate()?;
        Ok(schema)
    }

    /// A schema of `fields` renumbered 1, 2, ... the way Java's `TypeUtil.assignFreshIds` does:
    /// a struct's own fields first, then what is nested in each, in order. Identifier fields
    /// are given by top-level name.
    pub fn with_fresh_ids(fields: Vec<NestedField>, identifier_names: &[&str]) -> Result<Schema> {
        let mut next = 0;
        let fields = renumber_struct(fields, &mut next);
        let mut ids = Vec::new();
        for name in identifier_names {
            let field = fields
                .iter()
                .find(|f| f.name == *name)
                .ok_or_else(|| IcebergError::invalid(format!("identifier field {name:?} is not a column")))?;
            ids.push(field.id);
        }
        Schema::new(0, fields, ids)
    }

    fn validate(&self) -> Result<()> {
        let mut seen = std::collections::BTreeSet::new();
        let mut dup = None;
        Type::Struct(self.fields.clone()).visit_ids(&mut |id, _| {
            if !seen.insert(id) {
                dup = Some(id);
            }
        });
        if let Some(id) = dup {
            return Err(IcebergError::invalid(format!(
                "field id {id} used twice in a schema"
            )));
        }
        for id in &self.identifier_field_ids {
            match self.fields.iter().find(|f| f.id == *id) {
                Some(f) if f.required && f.field_type.as_primitive().is_some() => {}
                _ => {
                    return Err(IcebergError::invalid(format!(
                        "identifier field {id} must be a required primitive top-level field"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The highest field id anywhere in the schema (the table's `last-column-id`).
    pub fn highest_field_id(&self) -> i32 {
        let mut max = 0;
        Type::Struct(self.fields.clone()).visit_ids(&mut |id, _| max = max.max(id));
        max
    }

    /// The type of the field with `id`, at any depth.
    pub fn field_type(&self, id: i32) -> Option<Type> {
        let mut found = None;
        Type::Struct(self.fields.clone()).visit_ids(&mut |i, t| {
            if i == id && found.is_none() {
                found = Some(t.clone());
            }
        });
        found
    }

    /// The top-level field named `name`.
    pub fn field_by_name(&self, name: &str) -> Option<&NestedField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The top-level field with `id`.
    pub fn field(&self, id: i32) -> Option<&NestedField> {
        self.fields.iter().find(|f| f.id == id)
    }
}

fn renumber_struct(fields: Vec<NestedField>, next: &mut i32) -> Vec<NestedField> {
    let ids: Vec<i32> = fields
        .iter()
        .map(|_| {
            *next += 1;
            *next
        })
        .collect();
    fields
        .into_iter()
        .zip(ids)
        .map(|(f, id)| NestedField {
            id,
            field_type: renumber(f.field_type, next),
            ..f
        })
        .collect()
}

fn renumber(t: Type, next: &mut i32) -> Type {
    let mut fresh = || {
        *next += 1;
        *next
    };
    match t {
        Type::Primitive(_) => t,
        Type::Struct(fields) => Type::Struct(renumber_struct(fields, next)),
        Type::List {
            element_required,
            element,
            ..
        } => {
            let element_id = fresh();
            Type::List {
                element_id,
                element_required,
                element: Box::new(renumber(*element, next)),
            }
        }
        Type::Map {
            key,
            value_required,
            value,
            ..
        } => {
            let key_id = fresh();
            let value_id = fresh();
            Type::Map {
                key_id,
                key: Box::new(renumber(*key, next)),
                value_id,
                value_required,
                value: Box::new(renumber(*value, next)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::PrimitiveType as P;

    #[test]
    fn fresh_ids_follow_java_order() {
        let s = Schema::with_fresh_ids(
            vec![
                NestedField::required(0, "id", P::Long),
                NestedField::optional(
                    0,
                    "point",
                    Type::Struct(vec![
                        NestedField::required(0, "x", P::Double),
                        NestedField::required(0, "y", P::Double),
                    ]),
                ),
                NestedField::optional(0, "name", P::String),
            ],
            &["id"],
        )
        .expect("valid");
        let ids: Vec<_> = s.fields.iter().map(|f| f.id).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(s.highest_field_id(), 5);
        assert_eq!(s.field_type(5), Some(Type::Primitive(P::Double)));
        assert_eq!(s.identifier_field_ids, [1]);
        let json = serde_json::to_string(&s).expect("json");
        assert!(
            json.starts_with(r#"{"type":"struct","schema-id":0,"identifier-field-ids":[1],"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Schema>(&json).expect("parses"), s);
    }

    #[test]
    fn optional_identifier_is_refused() {
        let fields = vec![NestedField::optional(1, "id", P::Long)];
        assert!(Schema::new(0, fields, vec![1]).is_err());
    }
}
