//! Protobuf serialization for typed DataStream records in the Confluent wire format, with the
//! same registry client as SQL's `protobuf-confluent` format: a writer registers its type's
//! schema once and frames each record with the id and the message's indexes; a reader fetches
//! each writer schema once per id and checks that the record's message is the type's own (by
//! full name) before decoding it with the type.
//!
//! Protobuf evolves by field numbers, so a record written by an older or newer version of the
//! same message decodes as today's type: fields it lacks take their defaults, fields the type
//! does not know are skipped. A record of another message — a topic shared by two types — is
//! refused by name instead of being misread.
//!
//! The type is a `prost` message (generated, or a hand-written `#[derive(prost::Message)]`)
//! given with the `.proto` text of its file and its full name: prost types carry no schema,
//! so the text is what gets registered, and nothing can check that it matches the type.
//!
//! ```no_run
//! use std::sync::Arc;
//! use spate_connectors::kafka::protobuf::ProtobufSerde;
//! use spate_connectors::kafka::{KafkaSink, KafkaSource};
//! use spate_registry_client::{ClientConfig, RegistryClient};
//!
//! #[derive(Clone, PartialEq, prost::Message)]
//! struct Click {
//!     #[prost(int64, tag = "1")]
//!     user: i64,
//! }
//!
//! const CLICK_PROTO: &str = "syntax = \"proto3\";\npackage shop;\nmessage Click { int64 user = 1; }\n";
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = Arc::new(RegistryClient::new(&ClientConfig::new("http://127.0.0.1:8081"))?);
//! let serde = Arc::new(ProtobufSerde::<Click>::new(registry, "clicks-value", CLICK_PROTO, "shop.Click")?);
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

use std::borrow::Cow;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use spate_protobuf::prost_reflect::MessageDescriptor;
use spate_protobuf::{ProtoSchema, indexes};
use spate_registry_client::{RegistryClient, wire};

use super::message::KafkaMessage;
use crate::error::ConnectorError;

/// What a reader knows of one writer schema: where the reader's message sits in it.
#[derive(Debug)]
struct Writer {
    schema: ProtoSchema,
    /// The indexes of the reader's message in the writer's file; `None` when the writer's file
    /// does not define it (every record of that id is then another type).
    expected: Option<Vec<i32>>,
}

/// Serializer and deserializer of `T` with a schema registry; share one per job (`Arc`).
#[derive(Debug)]
pub struct ProtobufSerde<T> {
    client: Arc<RegistryClient>,
    subject: String,
    /// The schema as registered.
    text: String,
    /// `T`'s full name (what a writer's message must be called).
    message: String,
    /// `T`'s indexes in its file (what a record is framed with).
    indexes: Vec<i32>,
    id: OnceLock<u32>,
    /// This serde's key in each thread's [`LOCAL_WRITERS`] (unique, never reused, unlike an
    /// address).
    instance: u64,
    _type: PhantomData<fn() -> T>,
}

static INSTANCES: AtomicU64 = AtomicU64::new(0);

/// Entries of one thread's writer cache at most (then it starts over).
const LOCAL_CAPACITY: usize = 64;

thread_local! {
    /// Each thread's writer schemas by (serde instance, schema id): a record finds its writer
    /// without a shared lock, whose cache line two workers would otherwise bounce between them
    /// on every record. A miss asks the registry client, whose own cache makes it one fetch per
    /// id in the process.
    static LOCAL_WRITERS: RefCell<Vec<(u64, u32, Writer)>> = const { RefCell::new(Vec::new()) };
}

fn format_error(location: String, message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Format {
        location,
        message: message.to_string(),
    }
}

impl<T: prost::Message + Default> ProtobufSerde<T> {
    /// A serde registering `schema` (the `.proto` text of `T`'s file, without imports other
    /// than Google's and Confluent's own) under `subject` on the first write; `message` is
    /// `T`'s name in it (full, or relative to the file's package).
    pub fn new(
        client: Arc<RegistryClient>,
        subject: impl Into<String>,
        schema: &str,
        message: &str,
    ) -> Result<Self, ConnectorError> {
        let compiled = ProtoSchema::parse(schema, &[]).map_err(|e| schema_error::<T>(e))?;
        let descriptor = compiled.message(message).map_err(|e| schema_error::<T>(e))?;
        Self::with(client, subject.into(), schema.to_string(), &compiled, &descriptor)
    }

    /// A serde for the message `message` (full name) of an encoded `FileDescriptorSet` (what
    /// `protoc --descriptor_set_out --include_imports` writes, or what a build script generating
    /// `T` saves), registering its file as a base64 `FileDescriptorProto`.
    pub fn from_descriptor_set(
        client: Arc<RegistryClient>,
        subject: impl Into<String>,
        descriptor_set: &[u8],
        message: &str,
    ) -> Result<Self, ConnectorError> {
        let (compiled, descriptor) =
            ProtoSchema::from_descriptor_set(descriptor_set, message).map_err(|e| schema_error::<T>(e))?;
        // The registry resolves imports from references, which this serde does not register:
        // only the files every Confluent client knows without them can be imported.
        if let Some(other) = compiled
            .imports()
            .into_iter()
            .find(|i| !i.starts_with("google/protobuf/") && !i.starts_with("confluent/"))
        {
            return Err(schema_error::<T>(format!(
                "'{}' imports '{other}', and schema references are not supported",
                compiled.file().name()
            )));
        }
        Self::with(
            client,
            subject.into(),
            compiled.serialized(),
            &compiled,
            &descriptor,
        )
    }

    fn with(
        client: Arc<RegistryClient>,
        subject: String,
        text: String,
        compiled: &ProtoSchema,
        descriptor: &MessageDescriptor,
    ) -> Result<Self, ConnectorError> {
        // Indexes are positions in the registered file; a message found in one of its imports
        // has none there.
        if descriptor.parent_file() != *compiled.file() {
            return Err(schema_error::<T>(format!(
                "'{}' is defined in the imported '{}', not in the schema's own file",
                descriptor.full_name(),
                descriptor.parent_file().name()
            )));
        }
        Ok(ProtobufSerde {
            client,
            subject,
            text,
            message: descriptor.full_name().to_string(),
            indexes: ProtoSchema::indexes_of(descriptor),
            id: OnceLock::new(),
            instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
            _type: PhantomData,
        })
    }

    /// `T`'s full Protobuf name, as given at construction.
    pub fn message_name(&self) -> &str {
        &self.message
    }

    /// Appends `value` framed with its schema's id (registered on the first call) and its
    /// message indexes.
    pub fn serialize(&self, value: &T, out: &mut Vec<u8>) -> Result<(), ConnectorError> {
        let id = match self.id.get() {
            Some(id) => *id,
            None => {
                let id = self
                    .client
                    .register(&self.subject, "PROTOBUF", &self.text)
                    .map_err(|e| {
                        ConnectorError::Config(format!("registering under '{}': {e}", self.subject))
                    })?;
                *self.id.get_or_init(|| id)
            }
        };
        let start = out.len();
        wire::write_header(id, out);
        indexes::write(&self.indexes, out);
        if let Err(e) = value.encode(out) {
            out.truncate(start);
            return Err(format_error(format!("subject {}", self.subject), e));
        }
        Ok(())
    }

    /// The value of a framed record (`location` names it in errors).
    pub fn deserialize(&self, bytes: &[u8], location: impl Fn() -> String) -> Result<T, ConnectorError> {
        let (id, framed) = wire::split(bytes).map_err(|e| format_error(location(), e))?;
        let (path, used) =
            read_indexes(framed).map_err(|e| format_error(location(), format!("schema id {id}: {e}")))?;
        self.check_writer(id, &path)
            .map_err(|e| format_error(location(), e))?;
        T::decode(&framed[used..]).map_err(|e| {
            format_error(
                location(),
                format!("schema id {id}: not a valid {}: {e}", self.message),
            )
        })
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
            None => Err(format_error(location(), "a tombstone has no Protobuf value")),
        }
    }

    /// Whether a record of schema `id` at message `path` is a `T`; the writer schema comes from
    /// this thread's cache, else from the registry client (then cached here).
    fn check_writer(&self, id: u32, path: &[i32]) -> Result<(), String> {
        let cached = LOCAL_WRITERS.with_borrow(|cache| {
            cache
                .iter()
                .find(|(instance, i, _)| *instance == self.instance && *i == id)
                .map(|(_, _, w)| self.check(id, w, path))
        });
        if let Some(verdict) = cached {
            return verdict;
        }
        let writer = self.writer(id)?;
        let verdict = self.check(id, &writer, path);
        LOCAL_WRITERS.with_borrow_mut(|cache| {
            if cache.len() >= LOCAL_CAPACITY {
                cache.clear();
            }
            cache.push((self.instance, id, writer));
        });
        verdict
    }

    fn check(&self, id: u32, writer: &Writer, path: &[i32]) -> Result<(), String> {
        if writer.expected.as_deref() == Some(path) {
            return Ok(());
        }
        match writer.schema.message_at(path) {
            Ok(other) => Err(format!(
                "schema id {id}: the record is a {} (message indexes {path:?}), not a {}",
                other.full_name(),
                self.message
            )),
            Err(e) => Err(format!("schema id {id}: {e}")),
        }
    }

    fn writer(&self, id: u32) -> Result<Writer, String> {
        let registered = self.client.schema(id).map_err(|e| e.to_string())?;
        let Some(schema) = &registered.protobuf else {
            return Err(format!(
                "schema id {id} is {}, not PROTOBUF",
                registered.schema_type
            ));
        };
        let expected = schema
            .pool()
            .get_message_by_name(&self.message)
            .filter(|m| m.parent_file() == *schema.file())
            .map(|m| ProtoSchema::indexes_of(&m));
        Ok(Writer {
            schema: schema.clone(),
            expected,
        })
    }
}

/// The message indexes at the front of a record's payload and the bytes they took.
fn read_indexes(framed: &[u8]) -> Result<(Cow<'static, [i32]>, usize), spate_protobuf::ProtoError> {
    // Nearly every record is of its file's first message, written as the single byte 0: read
    // without the general path's allocation.
    if framed.first() == Some(&0) {
        return Ok((Cow::Borrowed(&[0]), 1));
    }
    indexes::read(framed).map(|(path, used)| (Cow::Owned(path), used))
}

fn schema_error<T>(e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Config(format!(
        "the Protobuf schema of {}: {e}",
        std::any::type_name::<T>()
    ))
}
