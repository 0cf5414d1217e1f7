//! What the registry needs of each schema type: parse the text (with its references) into a
//! canonical form, and say why one schema cannot read another's data.

use spate_avro::Schema as AvroSchema;
use spate_avro::compat::{IncompatibilityKind, reader_writer_incompatibilities};
use spate_protobuf::ProtoSchema;

use crate::error::{RegistryError, Result};
use crate::json_schema::JsonSchema;
use crate::records::SchemaType;

/// A schema parsed by its type's rules.
#[derive(Debug, Clone)]
pub enum Parsed {
    /// An Avro schema.
    Avro(AvroSchema),
    /// A JSON Schema (Confluent's `JSON` type).
    Json(JsonSchema),
    /// A Protobuf file, with its canonical text printed once (printing walks the whole file).
    Protobuf {
        /// The compiled file (imports by reference name).
        schema: ProtoSchema,
        /// Its canonical `.proto` text.
        canonical: String,
    },
}

impl Parsed {
    /// Parses `text` of `ty`; `references` are the (name, text) of the schemas it refers to,
    /// those it depends on first.
    pub fn parse(ty: SchemaType, text: &str, references: &[(String, String)]) -> Result<Parsed> {
        match ty {
            SchemaType::Avro => {
                let mut refs = Vec::with_capacity(references.len());
                let mut seen: Vec<&String> = Vec::new();
                // Avro names its types itself: a text reached under two names is one schema.
                for (_, r) in references.iter().filter(|(_, r)| {
                    let new = !seen.contains(&r);
                    seen.push(r);
                    new
                }) {
                    // Each reference may use the ones before it.
                    let parsed = AvroSchema::parse_with_references(r, &refs).map_err(|e| {
                        RegistryError::InvalidSchema(format!("Invalid schema of type AVRO, details: {e}"))
                    })?;
                    refs.push(parsed);
                }
                AvroSchema::parse_with_references(text, &refs)
                    .map(Parsed::Avro)
                    .map_err(|e| {
                        RegistryError::InvalidSchema(format!("Invalid schema of type AVRO, details: {e}"))
                    })
            }
            SchemaType::Json => JsonSchema::parse(text, references)
                .map(Parsed::Json)
                .map_err(|e| {
                    RegistryError::InvalidSchema(format!("Invalid schema of type JSON, details: {e}"))
                }),
            SchemaType::Protobuf => {
                let invalid = |e: spate_protobuf::ProtoError| {
                    RegistryError::InvalidSchema(format!("Invalid schema of type PROTOBUF, details: {e}"))
                };
                let schema = ProtoSchema::parse(text, references).map_err(invalid)?;
                let canonical =
                    spate_protobuf::print::canonical(schema.descriptor_proto()).map_err(invalid)?;
                Ok(Parsed::Protobuf { schema, canonical })
            }
        }
    }

    /// The text the registry stores and returns: for Avro, Java's `Schema.toString()`; for
    /// JSON, the compact JSON in written order.
    pub fn canonical(&self) -> String {
        match self {
            Parsed::Avro(s) => s.to_java_string(),
            Parsed::Json(s) => s.canonical(),
            Parsed::Protobuf { canonical, .. } => canonical.clone(),
        }
    }

    /// The schema as a base64 `FileDescriptorProto` (Protobuf's `format=serialized`); `None`
    /// for types that have no such form.
    pub fn serialized(&self) -> Option<String> {
        match self {
            Parsed::Protobuf { schema, .. } => Some(schema.serialized()),
            Parsed::Avro(_) | Parsed::Json(_) => None,
        }
    }

    /// Why `self` (the reader) cannot read data written with `writer`, as Confluent words it
    /// (`new_is_reader` says which of the two is the schema being registered).
    pub fn incompatibilities(&self, writer: &Parsed, new_is_reader: bool) -> Vec<String> {
        let (new, old) = if new_is_reader {
            ("new", "old")
        } else {
            ("old", "new")
        };
        let (reader, w) = match (self, writer) {
            (Parsed::Avro(reader), Parsed::Avro(w)) => (reader, w),
            (Parsed::Json(reader), Parsed::Json(w)) => return reader.incompatibilities(w, new, old),
            // Confluent's Protobuf rules compare the writer's file (the original) with the
            // reader's (the update): what a reader built from `self` makes of `writer`'s data.
            (Parsed::Protobuf { schema: reader, .. }, Parsed::Protobuf { schema: w, .. }) => {
                return spate_protobuf::compat::incompatibilities(w, reader, new_is_reader);
            }
            // The registry compares only schemas of one type (it says so before asking).
            _ => return vec!["Incompatible because of different schema type".to_string()],
        };
        reader_writer_incompatibilities(reader, w)
            .into_iter()
            .map(|i| {
                let path = &i.location;
                let description = match i.kind {
                    IncompatibilityKind::ReaderFieldMissingDefaultValue => format!(
                        "The field '{}' at path '{path}' in the {new} schema has no default value and is missing in the {old} schema",
                        i.message
                    ),
                    IncompatibilityKind::TypeMismatch => format!(
                        "The type (path '{path}') of a field in the {new} schema does not match with the {old} schema"
                    ),
                    IncompatibilityKind::NameMismatch => {
                        format!("The name of the schema has changed (path '{path}')")
                    }
                    IncompatibilityKind::FixedSizeMismatch => format!(
                        "The size of FIXED type field at path '{path}' in the {new} schema does not match with the {old} schema"
                    ),
                    IncompatibilityKind::MissingEnumSymbols => format!(
                        "The {new} schema is missing enum symbols '{}' at path '{path}' in the {old} schema",
                        i.message
                    ),
                    IncompatibilityKind::MissingUnionBranch => format!(
                        "The {new} schema is missing a type inside a union field at path '{path}' in the {old} schema"
                    ),
                };
                format!(
                    "{{errorType:'{}', description:'{description}', additionalInfo:'{}'}}",
                    i.kind.name(),
                    i.message
                )
            })
            .collect()
    }
}
