//! Flink's changelog (CDC) formats: `debezium-json`, `canal-json` and `maxwell-json`. One
//! record is one change event of a database table, which becomes zero, one or more changes of
//! the SQL table (`+I`, `-U`/`+U` for an update, `-D`); written, each change becomes one event.
//!
//! Reading is Flink's: the event is read as JSON through an envelope type (Debezium's
//! `ROW<before ROW<..>, after ROW<..>, op STRING>`, Canal's `ROW<data ARRAY<ROW<..>>, old
//! ARRAY<ROW<..>>, type STRING, database STRING, table STRING>`, Maxwell's `ROW<data ROW<..>,
//! old ROW<..>, type STRING>`) with the `json` format's conversions, so a field's value reads
//! exactly as `json` reads it (and with `ignore-parse-errors` a value that does not convert is
//! `NULL`). An empty record (a Kafka tombstone after a Debezium delete) holds no change. A
//! record that is not an event of the flavour (an unknown operation, an update without its
//! before-image, no JSON at all) is a [`FormatError`] carrying Flink's message, which
//! `ignore-parse-errors` turns into a skipped record.
//!
//! Writing is Flink's too: `+I` and `+U` are written as insertions, `-U` and `-D` as deletions
//! (Flink's serializers write no update events), the row with the `json` format's encoding.
//!
//! A Kafka table reads the formats' metadata (`value.ingestion-timestamp`, `value.source.*`,
//! `value.database`, ...) as Flink does: see `metadata.rs`.
//!
//! Where Spate differs from Flink 2.3: `canal-json.database.include`/`table.include` are Rust
//! regular expressions (the same as Java's for ordinary patterns; no look-around or
//! back-references), matched against the whole name as Java's `matches` does.

mod canal;
mod debezium;

pub(crate) use debezium::REPLICA_IDENTITY;
mod maxwell;
mod metadata;

use std::collections::BTreeMap;

use super::json::Json;
use super::options::FormatOptions;
use super::{FormatError, FormatField};
use crate::error::SqlError;
use crate::ident::Ident;
use crate::types::{DataType, RowField, TypeKind};
use crate::value::{RowKind, Value};

/// The options every JSON changelog format takes (prefixed with its name in a table), as
/// Flink 2.3 lists them; `json`'s of the same names mean the same.
const JSON_OPTIONS: &[&str] = &[
    "ignore-parse-errors",
    "timestamp-format.standard",
    "map-null-key.mode",
    "map-null-key.literal",
    "encode.decimal-as-plain-number",
    "encode.ignore-null-fields",
];

/// A configured changelog format.
#[derive(Debug, Clone)]
pub(crate) struct Changelog {
    /// The format's name (`debezium-json`, ...).
    name: &'static str,
    flavor: Flavor,
    /// Reads a whole event (the envelope's fields).
    envelope: Json,
    /// The fields of the event its changes are read from (before any metadata's are added).
    own: Vec<FormatField>,
    /// The `json` options the envelope is read with.
    json_options: BTreeMap<String, String>,
    /// The metadata keys a table asked for, when it asked for any.
    metadata: Option<metadata::MetadataReader>,
    /// Writes one row of the table (inside the event written around it).
    row: Json,
    /// The table's field names, for the update events that list changed fields only.
    names: Vec<String>,
    ignore_errors: bool,
    ignore_null_fields: bool,
}

#[derive(Debug, Clone)]
enum Flavor {
    Debezium { schema_include: bool },
    Canal(canal::Filter),
    Maxwell,
}

/// One change read from an event: its kind and the row's values.
pub(crate) type ChangeValues = (RowKind, Vec<Value>);

impl Changelog {
    /// The format `name` (`debezium-json`, `canal-json` or `maxwell-json`) over `fields`, configured by `options` (the table's
    /// options under the format's prefix).
    pub(crate) fn new(
        name: &'static str,
        fields: &[FormatField],
        options: &BTreeMap<String, String>,
    ) -> Result<Self, SqlError> {
        let own: &[&str] = match name {
            "debezium-json" => &["schema-include"],
            "canal-json" => &["database.include", "table.include"],
            _ => &[],
        };
        let known: Vec<&str> = JSON_OPTIONS.iter().chain(own).copied().collect();
        let opts = FormatOptions::new(name, options, &known)?;
        let json_options: BTreeMap<String, String> = options
            .iter()
            .filter(|(k, _)| JSON_OPTIONS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let row_type = row_type_of(fields);
        let (flavor, own) = match name {
            "debezium-json" => {
                let schema_include = opts.flag("schema-include", false)?;
                (Flavor::Debezium { schema_include }, debezium::envelope(&row_type))
            }
            "canal-json" => (
                Flavor::Canal(canal::Filter::new(&opts)?),
                canal::envelope(&row_type),
            ),
            _ => (Flavor::Maxwell, maxwell::envelope(&row_type)),
        };
        let envelope_fields = match flavor.wrap() {
            Some(wrap) => vec![wrap(own.clone())],
            None => own.clone(),
        };
        let envelope = Json::new(&envelope_fields, &json_options)?;
        let row = Json::new(fields, &json_options)?;
        Ok(Self {
            name,
            flavor,
            envelope,
            own,
            json_options,
            metadata: None,
            row,
            names: fields.iter().map(|f| f.name.clone()).collect(),
            ignore_errors: opts.flag("ignore-parse-errors", false)?,
            ignore_null_fields: opts.flag("encode.ignore-null-fields", false)?,
        })
    }

    pub(crate) fn ignores_parse_errors(&self) -> bool {
        self.ignore_errors
    }

    /// This format also reading the metadata `keys` (Flink's names, without `value.`) of each
    /// event, for [`decode_with_metadata`](Self::decode_with_metadata); an unknown key is an
    /// error.
    pub(crate) fn with_metadata(&self, keys: &[&str]) -> Result<Self, FormatError> {
        let (fields, reader) =
            metadata::envelope(self.name, self.own.clone(), self.flavor.wrap(), keys).map_err(FormatError)?;
        let envelope =
            Json::new(&fields, &self.json_options).map_err(|e| FormatError(e.message().to_string()))?;
        Ok(Self {
            envelope,
            metadata: Some(reader),
            ..self.clone()
        })
    }

    /// Why this format cannot write, if it cannot (Flink's message): Debezium events with a
    /// schema part are read only.
    pub(crate) fn unwritable(&self) -> Option<&'static str> {
        match self.flavor {
            Flavor::Debezium { schema_include: true } => Some(
                "Debezium JSON serialization doesn't support 'debezium-json.schema-include' option been set to true.",
            ),
            _ => None,
        }
    }

    /// The changes of one event, in the order Flink emits them (an update's `-U` before its
    /// `+U`). An empty record holds none.
    pub(crate) fn decode(&self, bytes: &[u8], out: &mut Vec<ChangeValues>) -> Result<(), FormatError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let mut envelope = Vec::with_capacity(5);
        let start = out.len();
        let result = match self.envelope.decode(bytes, &mut envelope) {
            Ok(false) => Ok(()),
            Ok(true) => self.changes(envelope, bytes, out),
            Err(FormatError(cause)) => Err(self.corrupt(bytes, &cause)),
        };
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// [`decode`](Self::decode), and when the event holds changes the values of the metadata
    /// keys [`with_metadata`](Self::with_metadata) asked for, in order, appended to `metadata`
    /// (one set for all the event's changes). On an error nothing is appended to either.
    pub(crate) fn decode_with_metadata(
        &self,
        bytes: &[u8],
        out: &mut Vec<ChangeValues>,
        metadata: &mut Vec<Value>,
    ) -> Result<(), FormatError> {
        // A separate path, so that reading no metadata costs nothing.
        let Some(reader) = &self.metadata else {
            return self.decode(bytes, out);
        };
        if bytes.is_empty() {
            return Ok(());
        }
        let mut envelope = Vec::with_capacity(5);
        let start = out.len();
        let result = match self.envelope.decode(bytes, &mut envelope) {
            Ok(false) => Ok(()),
            Ok(true) => {
                let mut fields = reader.take_fields(&mut envelope);
                self.changes(envelope, bytes, out).and_then(|()| {
                    // Flink makes the metadata of each change it emits: an event without
                    // changes makes none, and one value that cannot be made makes the event
                    // corrupt.
                    if out.len() == start {
                        return Ok(());
                    }
                    let made = metadata.len();
                    reader.make(&mut fields, metadata).map_err(|cause| {
                        metadata.truncate(made);
                        self.corrupt(bytes, &cause)
                    })
                })
            }
            Err(FormatError(cause)) => Err(self.corrupt(bytes, &cause)),
        };
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// Flink's error for an event it cannot read.
    fn corrupt(&self, bytes: &[u8], cause: &str) -> FormatError {
        FormatError(format!(
            "Corrupt {} JSON message '{}': {cause}",
            self.flavor.title(),
            shown(bytes)
        ))
    }

    /// The changes of a decoded envelope.
    fn changes(
        &self,
        envelope: Vec<Value>,
        bytes: &[u8],
        out: &mut Vec<ChangeValues>,
    ) -> Result<(), FormatError> {
        match &self.flavor {
            Flavor::Debezium { schema_include } => debezium::changes(envelope, *schema_include, bytes, out),
            Flavor::Canal(filter) => canal::changes(envelope, filter, &self.names, bytes, out),
            Flavor::Maxwell => maxwell::changes(envelope, &self.names, bytes, out),
        }
    }

    /// Appends the event of one change.
    pub(crate) fn encode(
        &self,
        kind: RowKind,
        values: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<(), FormatError> {
        let write = Writer {
            row: &self.row,
            ignore_null_fields: self.ignore_null_fields,
        };
        let insert = kind.is_accumulate();
        // Flink's serializers write no update events: `+U` is an insertion, `-U` a deletion.
        match &self.flavor {
            Flavor::Debezium { .. } => {
                let (before, after, op) = if insert {
                    (None, Some(values), "c")
                } else {
                    (Some(values), None, "d")
                };
                let members = [
                    Member::Row("before", before),
                    Member::Row("after", after),
                    Member::Text("op", op),
                ];
                write.event(&members, out)
            }
            Flavor::Canal(_) => {
                let kind = if insert { "INSERT" } else { "DELETE" };
                write.event(&[Member::OneRow("data", values), Member::Text("type", kind)], out)
            }
            Flavor::Maxwell => {
                let kind = if insert { "insert" } else { "delete" };
                write.event(
                    &[Member::Row("data", Some(values)), Member::Text("type", kind)],
                    out,
                )
            }
        }
    }
}

impl Flavor {
    /// How the event's own fields sit in the envelope: inside Debezium's `payload` member with
    /// `schema-include`, else at the top.
    fn wrap(&self) -> Option<fn(Vec<FormatField>) -> FormatField> {
        match self {
            Flavor::Debezium { schema_include: true } => Some(debezium::in_payload),
            _ => None,
        }
    }

    /// The name Flink's messages give the flavour.
    fn title(&self) -> &'static str {
        match self {
            Flavor::Debezium { .. } => "Debezium",
            Flavor::Canal(_) => "Canal",
            Flavor::Maxwell => "Maxwell",
        }
    }
}

/// Writes the parts of an event: members in order, a row as the `json` format writes it.
struct Writer<'a> {
    row: &'a Json,
    ignore_null_fields: bool,
}

/// One member of an event as the writers make them.
enum Member<'v> {
    /// A row, or `null`.
    Row(&'static str, Option<&'v [Value]>),
    /// An array of one row.
    OneRow(&'static str, &'v [Value]),
    /// A string.
    Text(&'static str, &'static str),
}

impl Writer<'_> {
    /// `{` the members `}`; on an error `out` is left as it was.
    fn event(&self, members: &[Member<'_>], out: &mut Vec<u8>) -> Result<(), FormatError> {
        let start = out.len();
        let mut first = true;
        out.push(b'{');
        for m in members {
            let written = match m {
                Member::Row(name, row) => self.member_row(name, *row, &mut first, out),
                Member::OneRow(name, row) => {
                    self.name(name, &mut first, out);
                    out.push(b'[');
                    let r = self.row.encode(row, out);
                    out.push(b']');
                    r
                }
                Member::Text(name, text) => {
                    self.member_str(name, text, &mut first, out);
                    Ok(())
                }
            };
            if let Err(e) = written {
                out.truncate(start);
                return Err(e);
            }
        }
        out.push(b'}');
        Ok(())
    }

    /// `"name":` and a row, or `null` (left out with `encode.ignore-null-fields`, as Jackson
    /// leaves out every null member then); `first` says whether a comma goes before.
    fn member_row(
        &self,
        name: &str,
        row: Option<&[Value]>,
        first: &mut bool,
        out: &mut Vec<u8>,
    ) -> Result<(), FormatError> {
        if row.is_none() && self.ignore_null_fields {
            return Ok(());
        }
        self.name(name, first, out);
        match row {
            Some(values) => self.row.encode(values, out),
            None => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    fn member_str(&self, name: &str, value: &str, first: &mut bool, out: &mut Vec<u8>) {
        self.name(name, first, out);
        super::json::write_string(value, out);
    }

    fn name(&self, name: &str, first: &mut bool, out: &mut Vec<u8>) {
        if !std::mem::take(first) {
            out.push(b',');
        }
        super::json::write_string(name, out);
        out.push(b':');
    }
}

/// The event's text for a message (Flink quotes the whole message; a long one is cut here).
/// The fields as one `ROW` (a CDC envelope's `before` and `after`).
pub(crate) fn row_type_of(fields: &[FormatField]) -> DataType {
    DataType::new(TypeKind::Row(
        fields
            .iter()
            .map(|f| RowField {
                name: Ident::new(f.name.clone()),
                ty: f.ty.clone(),
                description: None,
            })
            .collect(),
    ))
}

fn shown(bytes: &[u8]) -> String {
    const MAX: usize = 1000;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)]).into_owned();
    if bytes.len() > MAX {
        format!("{text}...")
    } else {
        text
    }
}

/// A ROW value's fields, `None` for `NULL` (anything else: the envelope's type makes it a row).
fn row_of(v: Value) -> Option<Vec<Value>> {
    match v {
        Value::Row(fields) => Some(fields),
        _ => None,
    }
}

/// A STRING value's text, `None` for `NULL`.
fn string_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// An envelope field of `ty`.
fn field(name: &str, ty: DataType) -> FormatField {
    FormatField::new(name, ty)
}

fn string_type() -> DataType {
    DataType::new(TypeKind::Varchar(u32::MAX))
}

/// The names found anywhere in `old` (the members of every object at any depth), which is what
/// Flink's `JsonNode.findValue(name) != null` asks of an update event's `old` part: a field
/// named there changed (its value there is the old one, even `null`); any other did not, and
/// its old value is the new one.
fn names_in(old: &serde_json::Value, into: &mut Vec<String>) {
    match old {
        serde_json::Value::Object(members) => {
            for (k, v) in members {
                into.push(k.clone());
                names_in(v, into);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| names_in(v, into)),
        _ => {}
    }
}

/// The names in the top-level `old` member of `bytes` (see [`names_in`]).
fn old_names(bytes: &[u8]) -> Result<Vec<String>, String> {
    let root: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    if let Some(old) = root.get("old") {
        names_in(old, &mut names);
    }
    Ok(names)
}

/// An update's before-image from the event's `old` values: a field `old` does not name keeps
/// the new value (Flink fills only fields that are `NULL` in `old` and not named there).
fn fill_unchanged(before: &mut [Value], after: &[Value], names: &[String], old_names: &[String]) {
    for ((b, a), name) in before.iter_mut().zip(after).zip(names) {
        if b.is_null() && !old_names.iter().any(|n| n == name) {
            *b = a.clone();
        }
    }
}

#[cfg(test)]
mod tests;
