//! Avro serialization for typed DataStream records in the Confluent wire format, with the
//! same registry client as SQL's `avro-confluent` format: a writer registers its schema once
//! and frames each record with the id; a reader fetches each writer schema once per id and
//! resolves it against its own ([`spate_avro::Schema::resolve`]), so producers that evolved
//! their schema compatibly are read as today's type.
//!
//! ```no_run
//! use std::sync::Arc;
//! use spate_avro::Datum;
//! use spate_connectors::kafka::avro::{AvroRecord, AvroSerde};
//! use spate_connectors::kafka::{KafkaSink, KafkaSource};
//! use spate_registry_client::{ClientConfig, RegistryClient};
//!
//! #[derive(Debug, Clone)]
//! struct Click { user: i64 }
//!
//! impl AvroRecord for Click {
//!     const SCHEMA: &'static str =
//!         r#"{"type":"record","name":"Click","fields":[{"name":"user","type":"long"}]}"#;
//!     fn to_datum(&self) -> Datum { Datum::Record(vec![Datum::Long(self.user)]) }
//!     fn from_datum(d: Datum) -> Result<Self, String> {
//!         match d {
//!             Datum::Record(f) => match f.as_slice() {
//!                 [Datum::Long(user)] => Ok(Click { user: *user }),
//!                 _ => Err(format!("not a Click: {f:?}")),
//!             },
//!             other => Err(format!("not a record: {other:?}")),
//!         }
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = Arc::new(RegistryClient::new(&ClientConfig::new("http://127.0.0.1:8081"))?);
//! let serde = Arc::new(AvroSerde::<Click>::new(registry, "clicks-value")?);
//! let reader = serde.clone();
//! let source = KafkaSource::builder("127.0.0.1:9092", "clicks-job", move |m| reader.deserialize_message(m))
//!     .topics(["clicks"])
//!     .build()?;
//! let sink = KafkaSink::builder_with("127.0.0.1:9092", "clicks-out", move |c: &Click, out| {
//!     serde.serialize(c, out.value_mut())
//! })
//! .build()?;
//! # let _ = (source, sink);
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use spate_avro::{Datum, Schema};
use spate_registry_client::{RegistryClient, wire};

use super::message::KafkaMessage;
use crate::error::ConnectorError;

/// A Rust type written and read as one Avro value.
///
/// Contract: `to_datum` returns a value of [`SCHEMA`](Self::SCHEMA); `from_datum` takes a
/// value of that schema (a writer's value already resolved into it) and says in its error
/// what did not fit.
pub trait AvroRecord: Sized {
    /// The type's Avro schema (JSON): what a writer registers and a reader resolves into.
    const SCHEMA: &'static str;
    /// The value to write.
    fn to_datum(&self) -> Datum;
    /// The value read.
    fn from_datum(datum: Datum) -> Result<Self, String>;
}

/// A writer schema seen on a record, and whether it is the type's own.
#[derive(Debug)]
struct Writer {
    schema: Arc<Schema>,
    same: bool,
}

/// Serializer and deserializer of `T` with a schema registry; share one per job (`Arc`).
#[derive(Debug)]
pub struct AvroSerde<T> {
    client: Arc<RegistryClient>,
    subject: String,
    schema: Schema,
    canonical: String,
    id: OnceLock<u32>,
    writers: RwLock<HashMap<u32, Arc<Writer>>>,
    _type: PhantomData<fn() -> T>,
}

fn format_error(location: String, message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Format {
        location,
        message: message.to_string(),
    }
}

impl<T: AvroRecord> AvroSerde<T> {
    /// A serde registering `T`'s schema under `subject` (on the first write).
    pub fn new(client: Arc<RegistryClient>, subject: impl Into<String>) -> Result<Self, ConnectorError> {
        let schema = Schema::parse(T::SCHEMA).map_err(|e| {
            ConnectorError::Config(format!("the Avro schema of {}: {e}", std::any::type_name::<T>()))
        })?;
        Ok(AvroSerde {
            client,
            subject: subject.into(),
            canonical: schema.canonical_form(),
            schema,
            id: OnceLock::new(),
            writers: RwLock::default(),
            _type: PhantomData,
        })
    }

    /// Appends `value` framed with its schema's id (registered on the first call).
    pub fn serialize(&self, value: &T, out: &mut Vec<u8>) -> Result<(), ConnectorError> {
        let id = match self.id.get() {
            Some(id) => *id,
            None => {
                let id = self
                    .client
                    .register(&self.subject, "AVRO", T::SCHEMA)
                    .map_err(|e| {
                        ConnectorError::Config(format!("registering under '{}': {e}", self.subject))
                    })?;
                *self.id.get_or_init(|| id)
            }
        };
        let start = out.len();
        wire::write_header(id, out);
        if let Err(e) = self.schema.encode(&value.to_datum(), out) {
            out.truncate(start);
            return Err(format_error(format!("subject {}", self.subject), e));
        }
        Ok(())
    }

    /// The value of a framed record (`location` names it in errors).
    pub fn deserialize(&self, bytes: &[u8], location: impl Fn() -> String) -> Result<T, ConnectorError> {
        let (id, payload) = wire::split(bytes).map_err(|e| format_error(location(), e))?;
        let writer = self.writer(id).map_err(|e| format_error(location(), e))?;
        let (datum, used) = writer
            .schema
            .decode(payload)
            .map_err(|e| format_error(location(), format!("schema id {id}: {e}")))?;
        if used != payload.len() {
            return Err(format_error(
                location(),
                format!(
                    "schema id {id}: {} bytes after the Avro value",
                    payload.len() - used
                ),
            ));
        }
        let datum = if writer.same {
            datum
        } else {
            self.schema
                .resolve(&writer.schema, datum)
                .map_err(|e| format_error(location(), format!("schema id {id}: {e}")))?
        };
        T::from_datum(datum).map_err(|e| format_error(location(), format!("schema id {id}: {e}")))
    }

    /// [`deserialize`](Self::deserialize) of a Kafka message's value, errors naming its topic,
    /// partition and offset: what [`KafkaSource::builder`](super::KafkaSource::builder) takes.
    pub fn deserialize_message(&self, m: &KafkaMessage<'_>) -> Result<T, ConnectorError> {
        let location = || {
            format!(
                "topic {}, partition {}, offset {}",
                m.topic(),
                m.partition(),
                m.offset()
            )
        };
        match m.value() {
            Some(bytes) => self.deserialize(bytes, location),
            None => Err(format_error(location(), "a tombstone has no Avro value")),
        }
    }

    fn writer(&self, id: u32) -> Result<Arc<Writer>, String> {
        if let Some(w) = self
            .writers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Ok(w.clone());
        }
        let registered = self.client.schema(id).map_err(|e| e.to_string())?;
        let Some(schema) = &registered.avro else {
            return Err(format!("schema id {id} is {}, not AVRO", registered.schema_type));
        };
        let writer = Arc::new(Writer {
            same: schema.canonical_form() == self.canonical,
            schema: schema.clone(),
        });
        self.writers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, writer.clone());
        Ok(writer)
    }
}
