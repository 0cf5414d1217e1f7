//! The records of the `_schemas` topic, byte-compatible with Confluent's registry: a JSON key
//! naming what the record is about (`keytype`, `subject`, `version`, `magic`) and a JSON value
//! (or a tombstone, which compaction then removes). The topic is compacted, so the latest
//! record per key is the state; replaying it from the start rebuilds the registry.

use serde::{Deserialize, Serialize};

/// A schema's type, as the registry names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    /// Apache Avro (the default: Confluent leaves the field out for it).
    #[default]
    Avro,
    /// Protocol Buffers (`.proto` text).
    Protobuf,
    /// JSON Schema.
    Json,
}

impl SchemaType {
    /// The name in requests and responses.
    pub fn name(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }

    /// The type a request names (`None` = AVRO); unknown names are `None` in the result.
    pub fn parse(name: Option<&str>) -> Option<SchemaType> {
        match name.map(str::to_ascii_uppercase).as_deref() {
            None | Some("AVRO") => Some(SchemaType::Avro),
            Some("PROTOBUF") => Some(SchemaType::Protobuf),
            Some("JSON") => Some(SchemaType::Json),
            Some(_) => None,
        }
    }

    fn is_avro(&self) -> bool {
        *self == SchemaType::Avro
    }
}

/// A reference from one schema to a version of another subject's schema, under the name the
/// referring schema uses for it (an Avro full name, a `.proto` import path, a JSON `$ref`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    /// The name the referring schema uses.
    pub name: String,
    /// The referenced subject.
    pub subject: String,
    /// The referenced version.
    pub version: i32,
}

/// A compatibility level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compatibility {
    /// No check.
    None,
    /// The new schema reads data of the latest version.
    Backward,
    /// ... of every version.
    BackwardTransitive,
    /// The latest version reads data of the new schema.
    Forward,
    /// ... every version does.
    ForwardTransitive,
    /// Both ways with the latest version.
    Full,
    /// Both ways with every version.
    FullTransitive,
}

impl Compatibility {
    /// The level a request names (any case).
    pub fn parse(name: &str) -> Option<Compatibility> {
        Some(match name.to_ascii_uppercase().as_str() {
            "NONE" => Compatibility::None,
            "BACKWARD" => Compatibility::Backward,
            "BACKWARD_TRANSITIVE" => Compatibility::BackwardTransitive,
            "FORWARD" => Compatibility::Forward,
            "FORWARD_TRANSITIVE" => Compatibility::ForwardTransitive,
            "FULL" => Compatibility::Full,
            "FULL_TRANSITIVE" => Compatibility::FullTransitive,
            _ => return None,
        })
    }

    /// The name in responses.
    pub fn name(self) -> &'static str {
        match self {
            Compatibility::None => "NONE",
            Compatibility::Backward => "BACKWARD",
            Compatibility::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Compatibility::Forward => "FORWARD",
            Compatibility::ForwardTransitive => "FORWARD_TRANSITIVE",
            Compatibility::Full => "FULL",
            Compatibility::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether every earlier version is checked, not only the latest.
    pub fn transitive(self) -> bool {
        matches!(
            self,
            Compatibility::BackwardTransitive
                | Compatibility::ForwardTransitive
                | Compatibility::FullTransitive
        )
    }

    /// Whether the new schema must read old data.
    pub fn backward(self) -> bool {
        matches!(
            self,
            Compatibility::Backward
                | Compatibility::BackwardTransitive
                | Compatibility::Full
                | Compatibility::FullTransitive
        )
    }

    /// Whether old schemas must read the new schema's data.
    pub fn forward(self) -> bool {
        matches!(
            self,
            Compatibility::Forward
                | Compatibility::ForwardTransitive
                | Compatibility::Full
                | Compatibility::FullTransitive
        )
    }
}

/// A registry's (or a subject's) mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    /// Reads and writes (the default).
    Readwrite,
    /// Reads only.
    Readonly,
    /// Reads only, and no override below.
    ReadonlyOverride,
    /// Writes with given ids and versions (migrations).
    Import,
}

impl Mode {
    /// The mode a request names (any case).
    pub fn parse(name: &str) -> Option<Mode> {
        Some(match name.to_ascii_uppercase().as_str() {
            "READWRITE" => Mode::Readwrite,
            "READONLY" => Mode::Readonly,
            "READONLY_OVERRIDE" => Mode::ReadonlyOverride,
            "IMPORT" => Mode::Import,
            _ => return None,
        })
    }

    /// The name in responses.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Readwrite => "READWRITE",
            Mode::Readonly => "READONLY",
            Mode::ReadonlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
        }
    }
}

/// What a record of the topic is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "keytype", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Key {
    /// One version of a subject.
    Schema {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
        /// Confluent writes 1.
        magic: i32,
    },
    /// The compatibility level of a subject, or the global one (no subject; registries
    /// before Confluent 6.0.3 wrote `"subject":null`).
    Config {
        /// The subject, or `None` for the global level.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        /// Confluent writes 0.
        magic: i32,
    },
    /// The mode of a subject, or the global one.
    Mode {
        /// The subject, or `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        /// Confluent writes 0.
        magic: i32,
    },
    /// A subject soft-deleted up to a version.
    DeleteSubject {
        /// The subject.
        subject: String,
        /// Confluent writes 0.
        magic: i32,
    },
    /// A subject's soft-deleted versions removed for good.
    ClearSubject {
        /// The subject.
        subject: String,
        /// Confluent writes 0.
        magic: i32,
    },
    /// Written to read the topic up to here (no state).
    Noop {
        /// Confluent writes 0.
        magic: i32,
    },
}

/// The value of a [`Key::Schema`] record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaValue {
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
    /// The schema's global id.
    pub id: i32,
    /// The type; left out for AVRO, as Confluent writes it.
    #[serde(rename = "schemaType", default, skip_serializing_if = "SchemaType::is_avro")]
    pub schema_type: SchemaType,
    /// The schemas it refers to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// The schema text, in its type's canonical form.
    pub schema: String,
    /// Soft-deleted.
    #[serde(default)]
    pub deleted: bool,
}

/// The value of a [`Key::Config`] record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigValue {
    /// The subject (absent for the global level and in old records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The level.
    #[serde(rename = "compatibilityLevel")]
    pub compatibility: Compatibility,
}

/// The value of a [`Key::Mode`] record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeValue {
    /// The subject (absent for the global mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The mode.
    pub mode: Mode,
}

/// The value of a [`Key::DeleteSubject`] or [`Key::ClearSubject`] record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectDeleteValue {
    /// The subject.
    pub subject: String,
    /// The latest version deleted (a CLEAR_SUBJECT record has none: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

impl Key {
    /// The key's JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A key read from the topic; `None` for one this registry does not know (skipped, as
    /// Confluent skips unknown key types).
    pub fn from_bytes(bytes: &[u8]) -> Option<Key> {
        serde_json::from_slice(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_are_confluents_json() {
        let k = Key::Schema {
            subject: "orders-value".into(),
            version: 2,
            magic: 1,
        };
        assert_eq!(
            String::from_utf8(k.to_bytes()).expect("utf-8"),
            r#"{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}"#
        );
        let k = Key::Config {
            subject: None,
            magic: 0,
        };
        assert_eq!(
            String::from_utf8(k.to_bytes()).expect("utf-8"),
            r#"{"keytype":"CONFIG","magic":0}"#
        );
        // Registries before Confluent 6.0.3 wrote the global key with a null subject.
        assert_eq!(
            Key::from_bytes(br#"{"keytype":"CONFIG","subject":null,"magic":0}"#),
            Some(k)
        );
        assert_eq!(
            Key::from_bytes(br#"{"keytype":"NOOP","magic":0}"#),
            Some(Key::Noop { magic: 0 })
        );
        assert_eq!(Key::from_bytes(br#"{"keytype":"SOMETHING_NEW","magic":0}"#), None);
        let v = SchemaValue {
            subject: "s".into(),
            version: 1,
            id: 7,
            schema_type: SchemaType::Avro,
            references: Vec::new(),
            schema: "\"int\"".into(),
            deleted: false,
        };
        let text = serde_json::to_string(&v).expect("serializes");
        assert_eq!(
            text,
            r#"{"subject":"s","version":1,"id":7,"schema":"\"int\"","deleted":false}"#
        );
        let back: SchemaValue = serde_json::from_str(
            r#"{"subject":"s","version":1,"id":7,"schemaType":"PROTOBUF","schema":"x"}"#,
        )
        .expect("parses");
        assert_eq!(back.schema_type, SchemaType::Protobuf);
        assert!(!back.deleted);
        let c: ConfigValue =
            serde_json::from_str(r#"{"compatibilityLevel":"FULL_TRANSITIVE"}"#).expect("parses");
        assert_eq!(c.compatibility, Compatibility::FullTransitive);
    }
}
