//! `json-confluent`: JSON records in Confluent's wire format (the magic byte `0`, a 4-byte
//! schema id, the JSON text), their JSON Schemas in a schema registry — what confluent-kafka's
//! `JSONSerializer` writes and Confluent Cloud's Flink reads as `json-registry`. Flink 2.3 has no
//! such format; this is Spate's, with `avro-confluent`'s registry options
//! ([`super::super::registry`]) and `json`'s own (`fail-on-missing-field`,
//! `timestamp-format.standard`, `map-null-key.*`, `encode.*`).
//!
//! Reading: the frame is checked and its schema id looked up once (an unknown id, or one whose
//! schema is not JSON, fails the record with the id), then the JSON is read by the table's
//! columns as `json` reads it. The records are not validated against the writer's schema:
//! JSON names its fields, so a reader needs nothing from it, and validation would cost more
//! than the decoding. Writing: a JSON Schema derived from the columns ([`schema_text`]) is
//! registered under the subject on the first record (Flink's default subjects, as for
//! `avro-confluent`), and each record is written as `json` writes it, which the derived schema
//! describes by construction.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use spate_registry_client::{RegistryClient, wire};

use super::super::options::FormatOptions;
use super::super::{FormatError, FormatField, registry};
use super::{Json, OPTIONS as JSON_OPTIONS};
use crate::error::SqlError;
use crate::types::{DataType, TypeKind};
use crate::value::Value;

/// A configured `json-confluent` format.
#[derive(Debug)]
pub(crate) struct JsonConfluent {
    json: Json,
    /// What every projection of this format shares.
    registry: Arc<Registry>,
}

#[derive(Debug)]
struct Registry {
    client: RegistryClient,
    registration: registry::Registration,
    /// Per schema id: `None` when it may be read, else why not.
    ids: RwLock<HashMap<u32, Option<String>>>,
    /// The last id found readable, plus one (0: none): checked without the lock, whose
    /// reference count two workers would otherwise bounce between them on every record (as
    /// `avro-confluent`'s readings did, a quarter of its source's time).
    last_readable: AtomicU64,
}

impl JsonConfluent {
    pub(crate) fn new(fields: &[FormatField], options: &BTreeMap<String, String>) -> Result<Self, SqlError> {
        let known: Vec<&str> = registry::OPTIONS
            .iter()
            .chain(JSON_OPTIONS.iter().filter(|o| **o != "ignore-parse-errors"))
            .copied()
            .collect();
        let opts = FormatOptions::new("json-confluent", options, &known)?;
        let json_options: BTreeMap<String, String> = options
            .iter()
            .filter(|(k, _)| JSON_OPTIONS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let json = Json::new(fields, &json_options)
            .map_err(|e| opts.error(e.to_string().replace("format 'json': ", "")))?;
        Ok(JsonConfluent {
            json,
            registry: Arc::new(Registry {
                client: registry::client(&opts)?,
                registration: registry::Registration::new(&opts, "JSON", schema_text(fields))?,
                ids: RwLock::default(),
                last_readable: AtomicU64::new(0),
            }),
        })
    }

    /// This format reading only the columns `used` names (see `Json::projected`).
    pub(crate) fn projected(&self, used: &[Option<crate::plan::ColumnUse>]) -> JsonConfluent {
        JsonConfluent {
            json: self.json.projected(used),
            registry: self.registry.clone(),
        }
    }

    pub(crate) fn ignores_parse_errors(&self) -> bool {
        self.json.ignores_parse_errors()
    }

    /// Whether a record that failed with `e` may be skipped: never when the registry could
    /// not be asked.
    pub(crate) fn skippable(&self, e: &FormatError) -> bool {
        self.ignores_parse_errors() && !registry::unavailable(e)
    }

    pub(crate) fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<bool, FormatError> {
        let (id, payload) = wire::split(bytes).map_err(|e| FormatError(e.to_string()))?;
        if let Some(why) = self.unreadable(id)? {
            return Err(FormatError(format!("schema id {id} cannot be read: {why}")));
        }
        self.json
            .decode(payload, out)
            .map_err(|e| FormatError(format!("schema id {id}: {}", e.0)))
    }

    /// Why records of schema `id` cannot be read, or `None`; asked of the registry once per id.
    fn unreadable(&self, id: u32) -> Result<Option<String>, FormatError> {
        let r = &self.registry;
        if r.last_readable.load(Ordering::Relaxed) == u64::from(id) + 1 {
            return Ok(None);
        }
        if let Some(known) = r.ids.read().unwrap_or_else(PoisonError::into_inner).get(&id) {
            if known.is_none() {
                r.last_readable.store(u64::from(id) + 1, Ordering::Relaxed);
            }
            return Ok(known.clone());
        }
        let registered = r.client.schema(id).map_err(|e| registry::schema_error(id, &e))?;
        let why = (registered.schema_type != "JSON")
            .then(|| format!("it is a {} schema, not JSON", registered.schema_type));
        r.ids
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, why.clone());
        Ok(why)
    }

    pub(crate) fn encode(&self, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        let r = &self.registry;
        let id = r.registration.id(&r.client)?;
        let start = out.len();
        wire::write_header(id, out);
        let result = self.json.encode(values, out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}

/// The JSON Schema (draft 7) of the records `json` writes for `fields`: an object with one
/// property per column in column order, a nullable column as `oneOf` null and its type (as
/// Kafka Connect's JSON Schema converter writes them), `NOT NULL` columns required, and an open
/// content model (so adding a nullable column later stays BACKWARD compatible).
pub(crate) fn schema_text(fields: &[FormatField]) -> String {
    let columns: Vec<(&str, &DataType)> = fields.iter().map(|f| (f.name.as_str(), &f.ty)).collect();
    let object = object(&columns);
    // Built as text: serde_json's map here sorts its keys, and the schema reads best (and is
    // registered) with the columns in their order.
    format!(
        r#"{{"$schema":"http://json-schema.org/draft-07/schema#","title":"Row",{}"#,
        &object[1..]
    )
}

fn object(columns: &[(&str, &DataType)]) -> String {
    let properties: Vec<String> = columns
        .iter()
        .map(|(name, ty)| format!("{}:{}", quoted(name), nullable(ty)))
        .collect();
    let required: Vec<String> = columns
        .iter()
        .filter(|(_, ty)| !ty.nullable)
        .map(|(name, _)| quoted(name))
        .collect();
    let mut out = format!(r#"{{"type":"object","properties":{{{}}}"#, properties.join(","));
    if !required.is_empty() {
        out.push_str(&format!(r#","required":[{}]"#, required.join(",")));
    }
    out.push('}');
    out
}

fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn nullable(ty: &DataType) -> String {
    let inner = value_schema(ty);
    if ty.nullable {
        format!(r#"{{"oneOf":[{{"type":"null"}},{inner}]}}"#)
    } else {
        inner
    }
}

fn value_schema(ty: &DataType) -> String {
    match &ty.kind {
        TypeKind::Boolean => r#"{"type":"boolean"}"#.into(),
        TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt => {
            r#"{"type":"integer"}"#.into()
        }
        TypeKind::Float | TypeKind::Double | TypeKind::Decimal { .. } => r#"{"type":"number"}"#.into(),
        TypeKind::Array(element) => format!(r#"{{"type":"array","items":{}}}"#, nullable(element)),
        // `json` writes a multiset as a map from element to count.
        TypeKind::Multiset(_) => r#"{"type":"object","additionalProperties":{"type":"integer"}}"#.into(),
        TypeKind::Map(_, value) => format!(
            r#"{{"type":"object","additionalProperties":{}}}"#,
            nullable(value)
        ),
        TypeKind::Row(fields) => {
            let columns: Vec<(&str, &DataType)> = fields.iter().map(|f| (f.name.as_str(), &f.ty)).collect();
            object(&columns)
        }
        // Strings, and what `json` writes as strings: bytes (base64), dates, times,
        // timestamps, intervals.
        _ => r#"{"type":"string"}"#.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::Ident;
    use crate::types::RowField;

    #[test]
    fn derived_schemas_are_json_and_follow_the_columns() {
        let t = |kind| DataType::new(kind);
        let fields = vec![
            FormatField::new("id", t(TypeKind::BigInt).not_null()),
            FormatField::new("at", t(TypeKind::Timestamp(3))),
            FormatField::new("tags", t(TypeKind::Array(Box::new(t(TypeKind::Int))))),
            FormatField::new(
                "attrs",
                t(TypeKind::Map(
                    Box::new(t(TypeKind::Varchar(10))),
                    Box::new(t(TypeKind::Double)),
                )),
            ),
            FormatField::new("bag", t(TypeKind::Multiset(Box::new(t(TypeKind::Varchar(10)))))),
            FormatField::new(
                "where \"x\"",
                t(TypeKind::Row(vec![RowField {
                    name: Ident::new("ok"),
                    ty: t(TypeKind::Boolean).not_null(),
                    description: None,
                }])),
            ),
        ];
        let text = schema_text(&fields);
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let props = &parsed["properties"];
        assert_eq!(props["id"], serde_json::json!({"type": "integer"}));
        assert_eq!(props["at"]["oneOf"][1], serde_json::json!({"type": "string"}));
        assert_eq!(
            props["tags"]["oneOf"][1]["items"]["oneOf"][1],
            serde_json::json!({"type": "integer"})
        );
        assert_eq!(
            props["attrs"]["oneOf"][1]["additionalProperties"]["oneOf"][1],
            serde_json::json!({"type": "number"})
        );
        assert_eq!(
            props["bag"]["oneOf"][1],
            serde_json::json!({"type": "object", "additionalProperties": {"type": "integer"}})
        );
        assert_eq!(
            props["where \"x\""]["oneOf"][1]["required"],
            serde_json::json!(["ok"])
        );
        assert_eq!(parsed["required"], serde_json::json!(["id"]));
        // Columns keep their order in the text.
        let order: Vec<usize> = ["\"id\"", "\"at\"", "\"tags\"", "\"attrs\"", "\"bag\""]
            .iter()
            .map(|k| text.find(k).expect("present"))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
