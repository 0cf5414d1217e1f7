//! # spate-protobuf — Protocol Buffers schemas, as a registry and a format need them
//!
//! Protobuf schemas reach Spate three ways: as `.proto` text registered with the schema
//! registry or named in a table's DDL, as a base64 `FileDescriptorProto` (what
//! confluent-kafka's serializers register), and as a descriptor set written by `protoc`. This
//! crate compiles all three in Rust ([`ProtoSchema`]; no `protoc` needed), prints a compiled
//! file back as one canonical `.proto` text ([`print`](mod@print)) — the form the registry stores, returns
//! and compares — and reads and writes Confluent's message indexes ([`indexes`]), the path
//! after the schema id that says which message of the file a record holds. [`compat`] decides,
//! by Confluent's rules and in its words, whether a new version of a schema may follow an
//! older one under a subject's compatibility level.
//!
//! ## Key types
//! - [`ProtoSchema`]: one compiled file and its imports (a [`prost_reflect::FileDescriptor`]);
//!   messages by name or by Confluent's index path.
//! - [`ProtoError`]: the crate's errors; schema errors say `file:line:column`.
//! - [`compat::Difference`]: one change between two schema versions, as Confluent's registry
//!   names and locates it; [`compat::incompatibilities`] gives the messages it refuses with.
//!
//! ## Example
//! ```
//! use spate_protobuf::{ProtoSchema, indexes, print};
//!
//! let schema = ProtoSchema::parse(
//!     "syntax = \"proto3\"; package shop; message Click { int64 user = 1; string page = 2; }",
//!     &[],
//! )?;
//! let click = schema.message("Click")?;
//! assert_eq!(ProtoSchema::indexes_of(&click), [0]);
//! let text = print::canonical(schema.descriptor_proto())?;
//! assert!(text.contains("message Click {\n  int64 user = 1;\n  string page = 2;\n}"));
//!
//! let mut framing = Vec::new();
//! indexes::write(&[0], &mut framing);
//! assert_eq!(framing, [0]);
//! # Ok::<(), spate_protobuf::ProtoError>(())
//! ```

pub mod compat;
mod error;
pub mod indexes;
pub mod print;
mod schema;

pub use error::{ProtoError, Result};
pub use prost_reflect;
pub use schema::{DEFAULT_FILE_NAME, ProtoSchema};
