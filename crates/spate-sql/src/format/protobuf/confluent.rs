//! `protobuf-confluent`: Protobuf messages in Confluent's wire format (the magic byte `0`, a
//! 4-byte schema id, the message indexes, the message), their schemas in a schema registry —
//! what confluent-kafka's `ProtobufSerializer` writes and Confluent Cloud's Flink reads as
//! `proto-registry`. Flink 2.3 has no such format; this is Spate's, with the options of
//! `avro-confluent` ([`super::super::registry`]) and of `protobuf` (`read-default-values`,
//! `write-null-string-literal`).
//!
//! Reading: each record's writer schema is fetched once per id, the message its indexes name
//! is found in it, and the table's columns are matched to that message's fields by name (a
//! column the writer's message lacks reads `NULL`; one whose type does not fit makes that
//! schema's records unreadable, with the reason). Writing: the schema derived from the table
//! ([`super::derive`]) is registered under the subject on the first record and every record
//! carries its id and the indexes `[0]`.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use spate_protobuf::{ProtoSchema, indexes};
use spate_registry_client::{RegistryClient, wire};

use super::super::options::FormatOptions;
use super::super::{FormatError, FormatField, registry};
use super::derive;
use super::plan::{Missing, Plan, Settings};
use crate::error::SqlError;
use crate::value::Value;

const OWN_OPTIONS: &[&str] = &["read-default-values", "write-null-string-literal"];

/// A writer's message: its schema id and the message indexes within that schema.
type WriterMessage = (u32, Vec<i32>);

/// How the records of one writer schema and message are read.
#[derive(Debug)]
enum Reading {
    Plan(Plan),
    Unreadable(String),
}

/// A configured `protobuf-confluent` format.
#[derive(Debug)]
pub(crate) struct ProtobufConfluent {
    fields: Vec<FormatField>,
    settings: Settings,
    client: RegistryClient,
    ignore_parse_errors: bool,
    /// The derived schema, and the plan that writes rows as its message.
    registration: registry::Registration,
    write_plan: Plan,
    readings: RwLock<HashMap<WriterMessage, Arc<Reading>>>,
    /// This format's key in each thread's [`LOCAL_READINGS`].
    instance: u64,
}

thread_local! {
    /// Each worker thread's readings of first messages (indexes `[0]`, the common case)
    /// ([`registry::with_local_reading`]).
    static LOCAL_READINGS: registry::LocalReadings<Reading> = const { RefCell::new(Vec::new()) };
}

impl ProtobufConfluent {
    pub(crate) fn new(fields: &[FormatField], options: &BTreeMap<String, String>) -> Result<Self, SqlError> {
        let known: Vec<&str> = registry::OPTIONS.iter().chain(OWN_OPTIONS).copied().collect();
        let opts = FormatOptions::new("protobuf-confluent", options, &known)?;
        let client = registry::client(&opts)?;
        let settings = super::settings(&opts)?;
        let text = derive::schema_text(fields).map_err(|e| opts.error(e))?;
        let schema = ProtoSchema::parse(&text, &[]).map_err(|e| {
            opts.error(format!(
                "the schema derived from the table does not compile ({e}):\n{text}"
            ))
        })?;
        let message = schema
            .message(&format!("{}.{}", derive::PACKAGE, derive::MESSAGE))
            .map_err(|e| opts.error(e.to_string()))?;
        let write_plan =
            Plan::new(&message, fields, Missing::Refuse, settings.clone()).map_err(|e| opts.error(e))?;
        Ok(ProtobufConfluent {
            fields: fields.to_vec(),
            settings,
            client,
            ignore_parse_errors: opts.flag("ignore-parse-errors", false)?,
            registration: registry::Registration::new(&opts, "PROTOBUF", text)?,
            write_plan,
            readings: RwLock::default(),
            instance: registry::next_instance(),
        })
    }

    pub(crate) fn ignores_parse_errors(&self) -> bool {
        self.ignore_parse_errors
    }

    /// Whether a record that failed with `e` may be skipped: never when the registry could
    /// not be asked.
    pub(crate) fn skippable(&self, e: &FormatError) -> bool {
        self.ignore_parse_errors && !registry::unavailable(e)
    }

    pub(crate) fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<bool, FormatError> {
        let (id, payload) = wire::split(bytes).map_err(|e| FormatError(e.to_string()))?;
        if payload.first() == Some(&0) {
            // The file's first message, `[0]` written as one zero byte.
            return registry::with_local_reading(
                &LOCAL_READINGS,
                self.instance,
                id,
                || self.reading(id, vec![0]),
                |r| self.decode_with(id, r, &payload[1..], out),
            );
        }
        let (path, used) = indexes::read(payload).map_err(|e| FormatError(format!("schema id {id}: {e}")))?;
        let reading = self.reading(id, path)?;
        self.decode_with(id, &reading, &payload[used..], out)
    }

    fn decode_with(
        &self,
        id: u32,
        reading: &Reading,
        message: &[u8],
        out: &mut Vec<Value>,
    ) -> Result<bool, FormatError> {
        match reading {
            Reading::Plan(plan) => plan
                .decode(message, out)
                .map(|()| true)
                .map_err(|e| FormatError(format!("schema id {id}: {}", e.0))),
            Reading::Unreadable(why) => Err(FormatError(format!(
                "schema id {id} cannot be read as the table's row: {why}"
            ))),
        }
    }

    fn reading(&self, id: u32, path: Vec<i32>) -> Result<Arc<Reading>, FormatError> {
        let key = (id, path);
        if let Some(r) = self
            .readings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(r.clone());
        }
        let registered = self
            .client
            .schema(id)
            .map_err(|e| registry::schema_error(id, &e))?;
        let reading = match &registered.protobuf {
            None => Reading::Unreadable(format!("it is a {} schema, not PROTOBUF", registered.schema_type)),
            Some(schema) => match schema.message_at(&key.1) {
                Err(e) => Reading::Unreadable(e.to_string()),
                Ok(message) => {
                    match Plan::new(&message, &self.fields, Missing::ReadNull, self.settings.clone()) {
                        Ok(plan) => Reading::Plan(plan),
                        Err(why) => Reading::Unreadable(why),
                    }
                }
            },
        };
        let reading = Arc::new(reading);
        self.readings
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, reading.clone());
        Ok(reading)
    }

    pub(crate) fn encode(&self, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        let id = self.registration.id(&self.client)?;
        let start = out.len();
        wire::write_header(id, out);
        indexes::write(&[0], out);
        let result = self.write_plan.encode(values, out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}
