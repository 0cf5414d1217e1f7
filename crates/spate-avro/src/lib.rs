//! # spate-avro — Apache Avro schemas and data, as Java Avro reads them
//!
//! The part of Avro a Kafka shop needs from a schema registry and its formats, with no I/O:
//! schema text is parsed with Java Avro's rules and messages ([`Schema::parse`]), printed back
//! in Java's `Schema.toString()` form (what a Confluent registry stores and returns) and in the
//! specification's Parsing Canonical Form with its Rabin [`Schema::fingerprint`]; values
//! ([`Datum`]) are encoded and decoded in Avro's binary form; and two schemas are checked for
//! reader/writer compatibility with Java's `SchemaCompatibility` rules, which is what the
//! registry's compatibility levels are made of.
//!
//! Container files (the `.avro` files Iceberg manifests are) are built and parsed in memory by
//! [`container`].
//!
//! ## Key types
//! - [`Schema`]: a parsed schema. Its types live in one arena ([`Node`] by [`TypeId`]), so a
//!   named type used twice, or recursively, is one node.
//! - [`Json`]: the order-keeping JSON tree schemas are read into (properties print back in
//!   their written order, as Java keeps them).
//! - [`Datum`] and [`binary::Reader`]: values and the binary codec. Decoding is for untrusted
//!   bytes: lengths are checked before allocation, depth is bounded, errors say at which byte.
//!
//! ## Example
//! ```
//! use spate_avro::{Datum, Schema};
//!
//! let schema = Schema::parse(
//!     r#"{"type":"record","name":"Click","namespace":"shop",
//!         "fields":[{"name":"user","type":"long"},{"name":"page","type":["null","string"]}]}"#,
//! )?;
//! let click = Datum::Record(vec![
//!     Datum::Long(42),
//!     Datum::Union(1, Box::new(Datum::String("/cart".into()))),
//! ]);
//! let mut bytes = Vec::new();
//! schema.encode(&click, &mut bytes)?;
//! assert_eq!(bytes, [84, 2, 10, b'/', b'c', b'a', b'r', b't']);
//! assert_eq!(schema.decode(&bytes)?.0, click);
//! assert_eq!(
//!     schema.to_java_string(),
//!     r#"{"type":"record","name":"Click","namespace":"shop","fields":[{"name":"user","type":"long"},{"name":"page","type":["null","string"]}]}"#
//! );
//! # Ok::<(), spate_avro::AvroError>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod binary;
pub mod compat;
pub mod container;
mod datum;
mod error;
mod json;
mod parse;
mod print;
mod resolve;
mod schema;
mod shape;

pub use datum::Datum;
pub use error::{AvroError, Result};
pub use json::{Json, write_string as write_json_string};
pub use print::rabin;
pub use schema::{Enum, Field, Fixed, Logical, Name, Node, Order, Primitive, Props, Record, Schema, TypeId};
