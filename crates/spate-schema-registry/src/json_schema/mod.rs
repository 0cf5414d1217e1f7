//! Confluent's `JSON` schema type: JSON Schema documents, stored as Confluent stores them and
//! checked for compatibility with Confluent's rules.
//!
//! Applications that use confluent-kafka's `JSONSerializer` register their JSON Schemas here;
//! for them to work unchanged the registry has to accept what Confluent accepts, return the
//! same text, and refuse the same evolutions with the same words. So:
//! - [`parse`] reads a schema the way Confluent's loader (Everit) classifies it;
//! - the canonical text is Confluent's `canonicalString()`: the JSON written compactly with
//!   members in written order (read through [`spate_avro::Json`], which keeps the order
//!   without serde_json's workspace-wide `preserve_order` feature);
//! - [`compat`] is Confluent's `SchemaDiff`, [`difference`] its kinds and messages.
//!
//! Limits: draft 2019-09/2020-12 keywords (`unevaluatedProperties`, `$defs` anchors, `$anchor`)
//! are read as draft 7 reads them; `$ref`s resolve within the document and to references by
//! name, not to remote URLs or embedded `$id`s; keyword families left over beside an explicit
//! `type` are ignored; only Confluent's default ("strict") policy is implemented.

mod compat;
mod difference;
mod parse;

use spate_avro::Json;

use parse::{Document, Graph};

/// A parsed JSON Schema with the references it uses.
#[derive(Debug, Clone)]
pub struct JsonSchema {
    json: Json,
    graph: Graph,
}

impl JsonSchema {
    /// Parses `text`; `references` are the (name, text) of the schemas it may `$ref` by name.
    pub fn parse(text: &str, references: &[(String, String)]) -> Result<JsonSchema, String> {
        let json = Json::parse(text)?;
        if !matches!(json, Json::Object(_) | Json::Bool(_)) {
            return Err(format!(
                "Invalid JSON schema: expected an object or boolean at the root, found {}",
                json.to_text()
            ));
        }
        let refs = references
            .iter()
            .map(|(name, text)| Json::parse(text).map(|j| (name.as_str(), j)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut docs = vec![Document {
            name: None,
            json: &json,
        }];
        docs.extend(refs.iter().map(|(name, j)| Document {
            name: Some(name),
            json: j,
        }));
        let graph = parse::load(&docs)?;
        Ok(JsonSchema { json, graph })
    }

    /// Confluent's canonical text: compact, members in written order.
    pub fn canonical(&self) -> String {
        self.json.to_text()
    }

    /// Why `self` (the reader) cannot read data written with `writer`, in Confluent's words:
    /// Confluent diffs the writer as the original against the reader as the update. `reader`
    /// and `writer` name the two in the messages ("new" / "old").
    pub fn incompatibilities(&self, writer: &JsonSchema, reader: &str, writer_name: &str) -> Vec<String> {
        compat::compare(&writer.graph, &self.graph)
            .into_iter()
            .filter(|d| !d.kind.compatible())
            .map(|d| d.message(reader, writer_name))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> JsonSchema {
        JsonSchema::parse(text, &[]).expect("a valid schema")
    }

    /// The incompatibility kinds of reading `old` data with `new`.
    fn problems(old: &str, new: &str) -> Vec<String> {
        let (old, new) = (schema(old), schema(new));
        compat::compare(&old.graph, &new.graph)
            .into_iter()
            .filter(|d| !d.kind.compatible())
            .map(|d| format!("{} {}", d.kind.name(), d.path))
            .collect()
    }

    #[test]
    fn the_canonical_text_keeps_written_order_and_drops_whitespace() {
        let s =
            schema("{ \"type\": \"object\",\n \"properties\": { \"z\": {\"type\":\"string\"}, \"a\": {} } }");
        assert_eq!(
            s.canonical(),
            r#"{"type":"object","properties":{"z":{"type":"string"},"a":{}}}"#
        );
    }

    #[test]
    fn non_schemas_are_refused() {
        for text in ["[1]", "\"string\"", "{", "{\"type\":\"strin\"}"] {
            assert!(JsonSchema::parse(text, &[]).is_err(), "{text}");
        }
        assert!(JsonSchema::parse("true", &[]).is_ok());
    }

    #[test]
    fn open_and_closed_content_models_decide_additions_and_removals() {
        let open_a = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
        let open_ab = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#;
        let closed_a =
            r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#;
        let closed_ab = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}"#;
        assert_eq!(
            problems(open_a, open_ab),
            ["OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/b"]
        );
        assert!(problems(open_ab, open_a).is_empty());
        assert!(problems(closed_a, closed_ab).is_empty());
        assert_eq!(
            problems(closed_ab, closed_a),
            ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/b"]
        );
    }

    #[test]
    fn integers_widen_to_numbers_but_not_back() {
        let int = r#"{"type":"integer"}"#;
        let num = r#"{"type":"number"}"#;
        assert!(problems(int, num).is_empty());
        assert_eq!(problems(num, int), ["TYPE_NARROWED #/"]);
        assert_eq!(problems(int, r#"{"type":"string"}"#), ["TYPE_CHANGED #/"]);
    }

    #[test]
    fn a_union_reads_what_one_branch_reads() {
        let s = r#"{"type":"string"}"#;
        assert!(problems(s, r#"{"type":["string","null"]}"#).is_empty());
        assert!(problems(s, r#"{"oneOf":[{"type":"null"},{"type":"string"}]}"#).is_empty());
        assert_eq!(problems(r#"{"type":["string","null"]}"#, s), ["TYPE_CHANGED #/"]);
    }

    #[test]
    fn bounds_are_compatible_only_when_they_loosen() {
        let len = |n: u32| format!(r#"{{"type":"string","maxLength":{n}}}"#);
        assert!(problems(&len(5), &len(6)).is_empty());
        assert_eq!(problems(&len(6), &len(5)), ["MAX_LENGTH_DECREASED #/maxLength"]);
        let min = |n: u32| format!(r#"{{"type":"number","minimum":{n}}}"#);
        assert!(problems(&min(6), &min(5)).is_empty());
        assert_eq!(problems(&min(5), &min(6)), ["MINIMUM_INCREASED #/minimum"]);
        assert_eq!(
            problems(r#"{"type":"array"}"#, r#"{"type":"array","maxItems":3}"#),
            ["MAX_ITEMS_ADDED #/maxItems"]
        );
    }

    #[test]
    fn enums_may_grow_but_not_shrink() {
        let e = |v: &str| format!(r#"{{"enum":[{v}]}}"#);
        assert!(problems(&e(r#""a""#), &e(r#""a","b""#)).is_empty());
        assert_eq!(
            problems(&e(r#""a","b""#), &e(r#""a""#)),
            ["ENUM_ARRAY_NARROWED #/enum"]
        );
    }

    #[test]
    fn required_properties_need_a_default_to_be_added() {
        let base = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
        let required = r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}"#;
        let with_default =
            r#"{"type":"object","properties":{"a":{"type":"string","default":"x"}},"required":["a"]}"#;
        assert_eq!(
            problems(base, required),
            ["REQUIRED_ATTRIBUTE_ADDED #/required/a"]
        );
        assert!(problems(base, with_default).is_empty());
        assert!(problems(required, base).is_empty());
    }

    #[test]
    fn recursive_schemas_compare_in_finite_time() {
        let tree = r##"{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#"}}}}"##;
        let wider = r##"{"type":"object","properties":{"v":{"type":"number"},"kids":{"type":"array","items":{"$ref":"#"}}}}"##;
        assert!(problems(tree, wider).is_empty());
        assert_eq!(problems(wider, tree), ["TYPE_NARROWED #/properties/v"]);
    }

    #[test]
    fn refs_to_references_are_compared_through() {
        let refs = [(
            "address.json".to_string(),
            r#"{"type":"object","properties":{"zip":{"type":"string"}},"additionalProperties":false}"#
                .to_string(),
        )];
        let old = JsonSchema::parse(
            r#"{"type":"object","properties":{"to":{"$ref":"address.json"}}}"#,
            &refs,
        )
        .expect("valid");
        let new = JsonSchema::parse(
            r#"{"type":"object","properties":{"to":{"type":"object","properties":{"zip":{"type":"integer"}},"additionalProperties":false}}}"#,
            &[],
        )
        .expect("valid");
        assert_eq!(
            new.incompatibilities(&old, "new", "old"),
            [
                "{errorType:\"TYPE_CHANGED\", description:\"A type at path '#/properties/to/properties/zip' is different between the new schema and the old schema'}"
            ]
        );
    }
}
