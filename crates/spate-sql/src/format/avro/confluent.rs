//! Flink's `avro-confluent` format: Avro records in the Confluent wire format (the magic byte
//! `0`, a 4-byte schema id, the binary datum), with their schemas in a schema registry —
//! Spate's own or Confluent's.
//!
//! Reading: the writer schema is fetched once per id and resolved against the schema Flink
//! derives from the table ([`super::resolve`]), so a topic whose producers evolved their
//! schema is read as the table's row. Writing: the derived schema is registered under the
//! subject on the first record (or looked up, with `auto.register.schemas` off) and every
//! record carries its id. The kafka and upsert-kafka connectors default the subject to
//! `<topic>-value` / `<topic>-key`, as Flink does.
//!
//! Options (Flink's): `url` (required; several, comma-separated, are tried in order),
//! `subject`, `auto.register.schemas`, `basic-auth.credentials-source` (`USER_INFO` or `URL`)
//! with `basic-auth.user-info`, `bearer-auth.credentials-source` (`STATIC_TOKEN`) with
//! `bearer-auth.token`, `ssl.truststore.location` and `ssl.keystore.location`. Where Spate
//! differs: the TLS files are PEM (a truststore of CA certificates; a keystore holding the
//! client's certificate chain and unencrypted key), not JKS, so the `.password` options are
//! accepted and unused; `ignore-parse-errors` (a Spate extension, Flink's Avro formats have
//! none) skips records that are malformed, carry an unknown id or a schema the table cannot
//! read — but never records met while the registry is unreachable, which fail the job (its
//! restart retries them); `schema` (the user's schema, registered instead of the derived one)
//! must encode as the derived one does (same fields, union order, logical types — names,
//! namespaces, docs and defaults may differ), where Flink converts between the two;
//! `properties.*` is not supported yet.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use spate_registry_client::{RegistryClient, wire};

use super::super::options::FormatOptions;
use super::super::registry;
use super::super::{FormatError, FormatField};
use super::Avro;
use super::resolve::Plan;
use crate::error::SqlError;
use crate::types::DataType;
use crate::value::Value;

/// How one writer schema's records are read.
#[derive(Debug)]
enum Reading {
    /// The writer schema is the derived one: read by the table's own codec.
    Direct,
    Resolved(Plan),
    Unreadable(String),
}

/// A configured `avro-confluent` format.
#[derive(Debug)]
pub(crate) struct AvroConfluent {
    avro: Avro,
    /// The schema registered for writing (the derived one, or the user's `schema`), Java's form.
    registration: registry::Registration,
    canonical: String,
    client: RegistryClient,
    ignore_parse_errors: bool,
    readings: RwLock<HashMap<u32, Arc<Reading>>>,
    /// This format's key in each thread's [`LOCAL_READINGS`].
    instance: u64,
}

thread_local! {
    /// Each worker thread's copy of the readings it used ([`registry::with_local_reading`]).
    static LOCAL_READINGS: registry::LocalReadings<Reading> = const { RefCell::new(Vec::new()) };
}

impl AvroConfluent {
    pub(crate) fn new(fields: &[FormatField], options: &BTreeMap<String, String>) -> Result<Self, SqlError> {
        Self::named("avro-confluent", fields, options)
    }

    /// The format under the name `format` (`debezium-avro-confluent` wraps its envelope in
    /// one): options and messages carry that name.
    pub(crate) fn named(
        format: &'static str,
        fields: &[FormatField],
        options: &BTreeMap<String, String>,
    ) -> Result<Self, SqlError> {
        let known: Vec<&str> = registry::OPTIONS.iter().chain(&["schema"]).copied().collect();
        let opts = FormatOptions::new(format, options, &known)?;
        let client = registry::client(&opts)?;
        let avro = Avro::new(fields, &BTreeMap::new())
            .map_err(|e| opts.error(e.to_string().replace("format 'avro': ", "")))?;
        // Flink's `schema`: the user's own schema (names, namespace, docs) registered instead of
        // the derived one. Spate writes with the derived schema's codec, so the user's must
        // encode alike — only what never reaches the bytes may differ.
        let own = match opts.get("schema") {
            Some(text) => {
                let own = spate_avro::Schema::parse(text).map_err(|e| {
                    opts.error(format!(
                        "option '{}' is not an Avro schema: {e}",
                        opts.name("schema")
                    ))
                })?;
                own.encodes_like(&avro.schema).map_err(|why| {
                    opts.error(format!(
                        "the schema in '{}' does not match the table's columns ({why}); Spate writes \
                         {} and takes a schema that differs from it only in names, namespaces, docs \
                         and defaults",
                        opts.name("schema"),
                        avro.schema.to_java_string()
                    ))
                })?;
                Some(own)
            }
            None => None,
        };
        let registered = own.as_ref().unwrap_or(&avro.schema);
        let registration = registry::Registration::new(&opts, "AVRO", registered.to_java_string())?;
        let canonical = registered.canonical_form();
        Ok(AvroConfluent {
            avro,
            registration,
            canonical,
            client,
            ignore_parse_errors: opts.flag("ignore-parse-errors", false)?,
            readings: RwLock::default(),
            instance: registry::next_instance(),
        })
    }

    pub(crate) fn ignores_parse_errors(&self) -> bool {
        self.ignore_parse_errors
    }

    /// Whether a record that failed with `e` may be skipped: never when the registry could
    /// not be asked (the record itself may be fine).
    pub(crate) fn skippable(&self, e: &FormatError) -> bool {
        self.ignore_parse_errors && !registry::unavailable(e)
    }

    pub(crate) fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<bool, FormatError> {
        let (id, payload) = wire::split(bytes).map_err(|e| FormatError(e.to_string()))?;
        registry::with_local_reading(
            &LOCAL_READINGS,
            self.instance,
            id,
            || self.reading(id),
            |r| self.decode_with(id, r, payload, out),
        )
    }

    fn decode_with(
        &self,
        id: u32,
        reading: &Reading,
        payload: &[u8],
        out: &mut Vec<Value>,
    ) -> Result<bool, FormatError> {
        let result = match reading {
            Reading::Direct => self.avro.decode(payload, out).map(|_| ()),
            Reading::Resolved(plan) => plan.decode(payload, out),
            Reading::Unreadable(why) => {
                return Err(FormatError(format!(
                    "schema id {id} cannot be read as the table's row: {why}"
                )));
            }
        };
        result
            .map(|()| true)
            .map_err(|e| FormatError(format!("schema id {id}: {}", e.0)))
    }

    fn reading(&self, id: u32) -> Result<Arc<Reading>, FormatError> {
        if let Some(r) = self
            .readings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Ok(r.clone());
        }
        let registered = self
            .client
            .schema(id)
            .map_err(|e| registry::schema_error(id, &e))?;
        let reading = match &registered.avro {
            None => Reading::Unreadable(format!("it is a {} schema, not AVRO", registered.schema_type)),
            Some(writer) if writer.canonical_form() == self.canonical => Reading::Direct,
            Some(writer) => {
                let columns: Vec<(&str, &DataType)> = self
                    .avro
                    .fields
                    .iter()
                    .map(|f| (f.name.as_str(), &f.ty))
                    .collect();
                match Plan::new(writer.clone(), &columns) {
                    Ok(plan) => Reading::Resolved(plan),
                    Err(why) => Reading::Unreadable(why),
                }
            }
        };
        let reading = Arc::new(reading);
        self.readings
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, reading.clone());
        Ok(reading)
    }

    pub(crate) fn encode(&self, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        wire::write_header(self.registration.id(&self.client)?, out);
        self.avro.encode(values, out)
    }
}
