//! # spate-registry-client — a Confluent Schema Registry client
//!
//! What a format or a serializer needs from a schema registry, Spate's own (`spate broker
//! --schema-registry-listen`) or Confluent's: the schema behind a record's id, and the id of
//! the schema a writer uses, registered on first use. Blocking and synchronous, because it is
//! called from a format's decode or encode and only on a cache miss; the Confluent wire
//! format's 5-byte header is in [`wire`].
//!
//! ## Key types
//! - [`RegistryClient`]: the caches and the calls. A schema is fetched once per id (with its
//!   references, parsed for Avro); a registration or lookup once per subject and schema text.
//!   A failed id is asked again only after a few seconds.
//! - [`ClientConfig`] and [`Auth`]: URLs (tried in order), basic or bearer credentials, PEM
//!   trust and identity files for https.
//! - [`ClientError`]: the registry's own error (status, Confluent `error_code`, message), a
//!   transport failure naming the URL, or a record that is not framed.
//!
//! ## Example
//! ```no_run
//! use spate_registry_client::{ClientConfig, RegistryClient, wire};
//!
//! let client = RegistryClient::new(&ClientConfig::new("http://localhost:8081"))?;
//! let id = client.register("clicks-value", "AVRO", r#""long""#)?;
//! let mut record = Vec::new();
//! wire::write_header(id, &mut record);
//! record.push(84); // 42 as an Avro long
//! let (read_id, payload) = wire::split(&record)?;
//! let schema = client.schema(read_id)?;
//! assert_eq!(schema.avro.as_ref().map(|s| s.decode(payload).is_ok()), Some(true));
//! # Ok::<(), spate_registry_client::ClientError>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod config;
mod error;
mod http;
pub mod wire;

pub use client::{RegisteredSchema, RegistryClient};
pub use config::{Auth, ClientConfig};
pub use error::{ClientError, Result};
pub use http::segment as path_segment;
