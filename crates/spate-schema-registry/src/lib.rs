//! # spate-schema-registry — a Confluent-compatible schema registry
//!
//! Spate serves the registry itself, so the embedded default needs no third service: subjects,
//! versions, global ids and compatibility levels, kept as Confluent keeps them — records of a
//! compacted `_schemas` topic, replayed at start — and checked by each schema type's rules.
//!
//! ## Key types
//! - [`Registry`]: the state and its rules, without I/O. Every change is computed as
//!   [`Write`]s (records for the topic); the state changes only when a record is
//!   [`applied`](Registry::apply), after it was written or while the topic is replayed. So
//!   what a client was told is what a restart rebuilds.
//! - [`records`]: the topic's keys and values, byte-compatible with Confluent's
//!   (`{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}`), and the vocabulary of the
//!   REST API ([`SchemaType`], [`Compatibility`], [`Mode`]).
//! - [`RegistryError`]: every refusal with Confluent's HTTP status and `error_code`.
//! - [`Parsed`]: a schema read by its type's rules — Avro, or [`JsonSchema`] (Confluent's
//!   `JSON` type, checked with Confluent's JSON Schema compatibility rules).
//!
//! ## Contracts
//! - Ids are global and stable: a schema registered again, under any subject, gets the id it
//!   already has; a new one gets the highest id so far plus one.
//! - Versions of a subject only rise, also past deleted ones.
//! - A soft delete hides a version; a permanent delete needs the soft one first.
//!
//! ## Example
//! ```
//! use spate_schema_registry::{NewSchema, Registry, SchemaType};
//!
//! let mut registry = Registry::new();
//! let v1 = NewSchema {
//!     schema_type: SchemaType::Avro,
//!     schema: r#"{"type":"record","name":"Click","fields":[{"name":"user","type":"long"}]}"#.into(),
//!     references: vec![],
//! };
//! let (id, writes) = registry.register("clicks-value", &v1)?;
//! registry.apply_all(&writes); // in a server: after the records are in `_schemas`
//! assert_eq!(id, 1);
//! // A field without a default breaks BACKWARD, the default level.
//! let v2 = NewSchema {
//!     schema: r#"{"type":"record","name":"Click","fields":[{"name":"user","type":"long"},{"name":"page","type":"string"}]}"#.into(),
//!     ..v1.clone()
//! };
//! let refused = registry.register("clicks-value", &v2).unwrap_err();
//! assert_eq!((refused.status(), refused.code()), (409, 40901));
//! # Ok::<(), spate_schema_registry::RegistryError>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
mod error;
pub mod http;
mod json_schema;
pub mod kafka_log;
pub mod records;
mod service;
mod state;
mod types;

pub use error::{RegistryError, Result};
pub use json_schema::JsonSchema;
pub use records::{Compatibility, Mode, Reference, SchemaType};
pub use service::{LogRecord, MemoryLog, SchemaLog, Service};
pub use state::{NewSchema, Registry, StoredSchema, SubjectVersion, VersionSpec, Write};
pub use types::Parsed;
