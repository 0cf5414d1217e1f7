//! How a table's columns are read from and written to one Protobuf message: compiled once per
//! message (per writer schema for `protobuf-confluent`), then walked for every record.
//!
//! Columns match fields by name, as Flink's `protobuf` format matches them; nested `ROW`s match
//! nested messages the same way. Types map as Flink maps them (`INT` ↔ the 32-bit integer
//! kinds, `BIGINT` ↔ the 64-bit ones, `STRING` ↔ `string` or an enum's value name, `INT`/`BIGINT`
//! ↔ an enum's number, `BYTES` ↔ `bytes`, `ARRAY` ↔ `repeated`, `MAP` ↔ `map`, `ROW` ↔ a
//! message), plus two Spate extensions: `TIMESTAMP`/`TIMESTAMP_LTZ` ↔
//! `google.protobuf.Timestamp` (Flink reads it only as `ROW<seconds, nanos>`, which works too)
//! and `DECIMAL` ↔ `confluent.type.Decimal`.
//!
//! Nulls, as Flink: a field that can say it is absent (a message, proto2 `optional`, proto3
//! `optional`, a oneof member) is `NULL` when absent, or its default with
//! `read-default-values`; a proto3 scalar without presence reads its default (`0`, `""`).
//! Writing, a `NULL` column leaves its field unset; a `NULL` inside an array or map — which
//! Protobuf cannot hold — is written as the element's default, a string as the
//! `write-null-string-literal` option.

use prost::Message as _;
use spate_protobuf::prost_reflect::{
    DynamicMessage, EnumDescriptor, FieldDescriptor, Kind, MapKey, MessageDescriptor, Value as Pb,
};

use super::super::{FormatError, FormatField};
use crate::types::{DataType, TypeKind};
use crate::value::Value;

/// Deepest nesting of messages followed (a recursive message type would otherwise recurse
/// forever at plan time).
const MAX_DEPTH: usize = 32;

/// What a plan does with a column that has no field of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missing {
    /// Refuse the plan (Flink's `protobuf`: the table must match its message).
    Refuse,
    /// Read the column as `NULL` if it is nullable (a writer schema from before the column).
    ReadNull,
}

/// Reading and writing options.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) read_default_values: bool,
    pub(crate) null_string_literal: String,
}

/// A compiled mapping between columns and a message.
#[derive(Debug)]
pub(crate) struct Plan {
    root: MessagePlan,
    settings: Settings,
}

#[derive(Debug)]
struct MessagePlan {
    message: MessageDescriptor,
    /// One per column; `None`: the message has no such field (read as `NULL`).
    fields: Vec<Option<FieldPlan>>,
}

#[derive(Debug)]
struct FieldPlan {
    field: FieldDescriptor,
    conv: Conv,
}

#[derive(Debug)]
enum Conv {
    Bool,
    /// A 32-bit integer kind (`unsigned`: `uint32`/`fixed32`, reinterpreted as Java's `int`
    /// in an `INT` column, as Flink does).
    Int32 {
        unsigned: bool,
    },
    Int64 {
        unsigned: bool,
    },
    Float,
    Double,
    String,
    Bytes,
    EnumName(EnumDescriptor),
    EnumNumber(EnumDescriptor),
    Timestamp(MessageDescriptor),
    Decimal {
        scale: u32,
        precision: u32,
        message: MessageDescriptor,
    },
    Row(Box<MessagePlan>),
    Array(Box<Conv>),
    Map(Box<Conv>, Box<Conv>),
}

impl Plan {
    /// The plan for `fields` against `message`; the error says which column does not fit.
    pub(crate) fn new(
        message: &MessageDescriptor,
        fields: &[FormatField],
        missing: Missing,
        settings: Settings,
    ) -> Result<Plan, String> {
        let columns: Vec<(&str, &DataType)> = fields.iter().map(|f| (f.name.as_str(), &f.ty)).collect();
        Ok(Plan {
            root: MessagePlan::new(message, &columns, missing, "", 0)?,
            settings,
        })
    }

    /// Appends one value per column read from `bytes` (one whole message).
    pub(crate) fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<(), FormatError> {
        let message = DynamicMessage::decode(self.root.message.clone(), bytes).map_err(|e| {
            FormatError(format!(
                "not a valid {} message: {e}",
                self.root.message.full_name()
            ))
        })?;
        let start = out.len();
        let result = self.root.read(&message, &self.settings, out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// Appends the encoding of one row (one value per column).
    pub(crate) fn encode(&self, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        let message = self.root.build(values, &self.settings)?;
        message
            .encode(out)
            .map_err(|e| FormatError(format!("cannot encode the message: {e}")))
    }
}

impl MessagePlan {
    fn new(
        message: &MessageDescriptor,
        columns: &[(&str, &DataType)],
        missing: Missing,
        path: &str,
        depth: usize,
    ) -> Result<MessagePlan, String> {
        if depth > MAX_DEPTH {
            return Err(format!("'{path}' nests messages deeper than {MAX_DEPTH}"));
        }
        let mut fields = Vec::with_capacity(columns.len());
        for (name, ty) in columns {
            let at = if path.is_empty() {
                (*name).to_string()
            } else {
                format!("{path}.{name}")
            };
            match message.get_field_by_name(name) {
                Some(field) => {
                    let conv = Conv::of_field(&field, ty, missing, &at, depth)?;
                    fields.push(Some(FieldPlan { field, conv }));
                }
                None if missing == Missing::ReadNull && ty.nullable => fields.push(None),
                None => {
                    return Err(format!(
                        "column '{at}' is not a field of message {} (fields: {})",
                        message.full_name(),
                        message
                            .fields()
                            .map(|f| f.name().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
        Ok(MessagePlan {
            message: message.clone(),
            fields,
        })
    }

    fn read(
        &self,
        message: &DynamicMessage,
        settings: &Settings,
        out: &mut Vec<Value>,
    ) -> Result<(), FormatError> {
        for plan in &self.fields {
            let Some(plan) = plan else {
                out.push(Value::Null);
                continue;
            };
            let f = &plan.field;
            if f.supports_presence() && !message.has_field(f) && !settings.read_default_values {
                out.push(Value::Null);
                continue;
            }
            let value = message.get_field(f);
            out.push(
                plan.conv
                    .read(&value, settings)
                    .map_err(|e| FormatError(format!("field '{}': {}", f.name(), e.0)))?,
            );
        }
        Ok(())
    }

    fn build(&self, values: &[Value], settings: &Settings) -> Result<DynamicMessage, FormatError> {
        let mut message = DynamicMessage::new(self.message.clone());
        for (plan, value) in self.fields.iter().zip(values) {
            let Some(plan) = plan else { continue };
            if value.is_null() {
                continue;
            }
            let pb = plan
                .conv
                .write(value, settings)
                .map_err(|e| FormatError(format!("field '{}': {}", plan.field.name(), e.0)))?;
            message.set_field(&plan.field, pb);
        }
        Ok(message)
    }
}

impl Conv {
    fn of_field(
        field: &FieldDescriptor,
        ty: &DataType,
        missing: Missing,
        path: &str,
        depth: usize,
    ) -> Result<Conv, String> {
        if field.is_map() {
            let (TypeKind::Map(k, v), Kind::Message(entry)) = (&ty.kind, field.kind()) else {
                return Err(mismatch(path, ty, "a map field"));
            };
            let (kf, vf) = (entry.map_entry_key_field(), entry.map_entry_value_field());
            let key = Conv::of_kind(&kf.kind(), k.as_ref(), missing, &format!("{path}.key"), depth)?;
            let value = Conv::of_kind(&vf.kind(), v.as_ref(), missing, &format!("{path}.value"), depth)?;
            return Ok(Conv::Map(Box::new(key), Box::new(value)));
        }
        if field.is_list() {
            let TypeKind::Array(element) = &ty.kind else {
                return Err(mismatch(path, ty, "a repeated field"));
            };
            let conv = Conv::of_kind(&field.kind(), element, missing, path, depth)?;
            return Ok(Conv::Array(Box::new(conv)));
        }
        Conv::of_kind(&field.kind(), ty, missing, path, depth)
    }

    fn of_kind(
        kind: &Kind,
        ty: &DataType,
        missing: Missing,
        path: &str,
        depth: usize,
    ) -> Result<Conv, String> {
        use TypeKind as T;
        let conv = match (&ty.kind, kind) {
            (T::Boolean, Kind::Bool) => Conv::Bool,
            (T::TinyInt | T::SmallInt | T::Int | T::BigInt, Kind::Int32 | Kind::Sint32 | Kind::Sfixed32) => {
                Conv::Int32 { unsigned: false }
            }
            (T::TinyInt | T::SmallInt | T::Int | T::BigInt, Kind::Uint32 | Kind::Fixed32) => {
                Conv::Int32 { unsigned: true }
            }
            (T::BigInt, Kind::Int64 | Kind::Sint64 | Kind::Sfixed64) => Conv::Int64 { unsigned: false },
            (T::BigInt, Kind::Uint64 | Kind::Fixed64) => Conv::Int64 { unsigned: true },
            (T::Float | T::Double, Kind::Float) => Conv::Float,
            (T::Double, Kind::Double) => Conv::Double,
            (T::Char(_) | T::Varchar(_), Kind::String) => Conv::String,
            (T::Char(_) | T::Varchar(_), Kind::Enum(e)) => Conv::EnumName(e.clone()),
            (T::Int | T::BigInt, Kind::Enum(e)) => Conv::EnumNumber(e.clone()),
            (T::Binary(_) | T::Varbinary(_), Kind::Bytes) => Conv::Bytes,
            (T::Timestamp(_) | T::TimestampLtz(_), Kind::Message(m))
                if m.full_name() == "google.protobuf.Timestamp" =>
            {
                Conv::Timestamp(m.clone())
            }
            (T::Decimal { precision, scale }, Kind::Message(m))
                if m.full_name() == "confluent.type.Decimal" =>
            {
                Conv::Decimal {
                    scale: *scale,
                    precision: *precision,
                    message: m.clone(),
                }
            }
            (T::Row(fields), Kind::Message(m)) => {
                let columns: Vec<(&str, &DataType)> =
                    fields.iter().map(|f| (f.name.as_str(), &f.ty)).collect();
                Conv::Row(Box::new(MessagePlan::new(m, &columns, missing, path, depth + 1)?))
            }
            _ => return Err(mismatch(path, ty, &kind_name(kind))),
        };
        Ok(conv)
    }

    fn read(&self, v: &Pb, settings: &Settings) -> Result<Value, FormatError> {
        Ok(match (self, v) {
            (Conv::Bool, Pb::Bool(b)) => Value::Boolean(*b),
            (Conv::Int32 { .. }, Pb::I32(i)) => Value::Int(i64::from(*i)),
            // Flink reads unsigned 32-bit kinds into INT as Java's int: the same 32 bits.
            (Conv::Int32 { .. }, Pb::U32(u)) => Value::Int(i64::from(*u as i32)),
            (Conv::Int64 { .. }, Pb::I64(i)) => Value::Int(*i),
            (Conv::Int64 { .. }, Pb::U64(u)) => Value::Int(*u as i64),
            (Conv::Float, Pb::F32(f)) => Value::Float(f64::from(*f)),
            (Conv::Double, Pb::F64(f)) => Value::Float(*f),
            (Conv::String, Pb::String(s)) => Value::String(s.clone()),
            (Conv::Bytes, Pb::Bytes(b)) => Value::Bytes(b.to_vec()),
            (Conv::EnumName(e), Pb::EnumNumber(n)) => match e.get_value(*n) {
                Some(v) => Value::String(v.name().to_string()),
                // A number the reader's enum does not know (a newer writer): its digits.
                None => Value::String(n.to_string()),
            },
            (Conv::EnumNumber(_), Pb::EnumNumber(n)) => Value::Int(i64::from(*n)),
            (Conv::Timestamp(_), Pb::Message(m)) => {
                let (seconds, nanos) = timestamp_parts(m);
                Value::Timestamp(seconds.saturating_mul(1_000_000).saturating_add(nanos / 1_000))
            }
            (Conv::Decimal { scale, .. }, Pb::Message(m)) => Value::Decimal(read_decimal(m, *scale)?),
            (Conv::Row(plan), Pb::Message(m)) => {
                let mut row = Vec::with_capacity(plan.fields.len());
                plan.read(m, settings, &mut row)?;
                Value::Row(row)
            }
            (Conv::Array(element), Pb::List(items)) => Value::Array(
                items
                    .iter()
                    .map(|i| element.read(i, settings))
                    .collect::<Result<_, _>>()?,
            ),
            (Conv::Map(k, v), Pb::Map(entries)) => {
                // A map's wire order is not kept by the decoder; key order makes the row
                // the same on every read.
                let mut sorted: Vec<(&MapKey, &Pb)> = entries.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(b.0));
                let mut out = Vec::with_capacity(sorted.len());
                for (key, value) in sorted {
                    out.push((k.read(&map_key_value(key), settings)?, v.read(value, settings)?));
                }
                Value::Map(out)
            }
            (conv, v) => {
                return Err(FormatError(format!(
                    "internal error: a {v:?} value for a {conv:?} column"
                )));
            }
        })
    }

    fn write(&self, v: &Value, settings: &Settings) -> Result<Pb, FormatError> {
        Ok(match (self, v) {
            (_, Value::Null) => self.default(settings),
            (Conv::Bool, Value::Boolean(b)) => Pb::Bool(*b),
            (Conv::Int32 { unsigned: false }, Value::Int(i)) => Pb::I32(narrow(*i)?),
            (Conv::Int32 { unsigned: true }, Value::Int(i)) => Pb::U32(narrow::<i32>(*i)? as u32),
            (Conv::Int64 { unsigned: false }, Value::Int(i)) => Pb::I64(*i),
            (Conv::Int64 { unsigned: true }, Value::Int(i)) => Pb::U64(*i as u64),
            (Conv::EnumNumber(_), Value::Int(i)) => Pb::EnumNumber(narrow(*i)?),
            (Conv::Float, Value::Float(f)) => Pb::F32(*f as f32),
            (Conv::Double, Value::Float(f)) => Pb::F64(*f),
            (Conv::String, Value::String(s)) => Pb::String(s.clone()),
            (Conv::Bytes, Value::Bytes(b)) => Pb::Bytes(b.clone().into()),
            (Conv::EnumName(e), Value::String(s)) => match e.get_value_by_name(s) {
                Some(v) => Pb::EnumNumber(v.number()),
                None => {
                    return Err(FormatError(format!(
                        "'{s}' is not a value of enum {}",
                        e.full_name()
                    )));
                }
            },
            (Conv::Timestamp(m), Value::Timestamp(micros)) => {
                let mut message = DynamicMessage::new(m.clone());
                message.set_field_by_name("seconds", Pb::I64(micros.div_euclid(1_000_000)));
                message.set_field_by_name("nanos", Pb::I32((micros.rem_euclid(1_000_000) * 1_000) as i32));
                Pb::Message(message)
            }
            (
                Conv::Decimal {
                    scale,
                    precision,
                    message,
                },
                Value::Decimal(unscaled),
            ) => {
                let mut m = DynamicMessage::new(message.clone());
                m.set_field_by_name("value", Pb::Bytes(decimal_bytes(*unscaled).into()));
                m.set_field_by_name("precision", Pb::U32(*precision));
                m.set_field_by_name("scale", Pb::I32(i32::try_from(*scale).unwrap_or(i32::MAX)));
                Pb::Message(m)
            }
            (Conv::Row(plan), Value::Row(values)) => Pb::Message(plan.build(values, settings)?),
            (Conv::Array(element), Value::Array(items)) => Pb::List(
                items
                    .iter()
                    .map(|i| element.write(i, settings))
                    .collect::<Result<_, _>>()?,
            ),
            (Conv::Map(k, v), Value::Map(entries)) => {
                let mut map = std::collections::HashMap::with_capacity(entries.len());
                for (key, value) in entries {
                    let key = match k.write(key, settings)? {
                        Pb::Bool(b) => MapKey::Bool(b),
                        Pb::I32(i) => MapKey::I32(i),
                        Pb::I64(i) => MapKey::I64(i),
                        Pb::U32(i) => MapKey::U32(i),
                        Pb::U64(i) => MapKey::U64(i),
                        Pb::String(s) => MapKey::String(s),
                        other => return Err(FormatError(format!("{other:?} cannot key a map"))),
                    };
                    map.insert(key, v.write(value, settings)?);
                }
                Pb::Map(map)
            }
            (conv, v) => {
                return Err(FormatError(format!(
                    "a {v:?} value cannot be written as {conv:?}"
                )));
            }
        })
    }
}

impl Conv {
    /// What a `NULL` array element or map entry is written as: Protobuf has no null there.
    fn default(&self, settings: &Settings) -> Pb {
        match self {
            Conv::Bool => Pb::Bool(false),
            Conv::Int32 { unsigned: false } => Pb::I32(0),
            Conv::Int32 { unsigned: true } => Pb::U32(0),
            Conv::Int64 { unsigned: false } => Pb::I64(0),
            Conv::Int64 { unsigned: true } => Pb::U64(0),
            Conv::Float => Pb::F32(0.0),
            Conv::Double => Pb::F64(0.0),
            Conv::String => Pb::String(settings.null_string_literal.clone()),
            Conv::Bytes => Pb::Bytes(Default::default()),
            Conv::EnumName(e) | Conv::EnumNumber(e) => Pb::EnumNumber(e.default_value().number()),
            Conv::Timestamp(m) | Conv::Decimal { message: m, .. } => {
                Pb::Message(DynamicMessage::new(m.clone()))
            }
            Conv::Row(plan) => Pb::Message(DynamicMessage::new(plan.message.clone())),
            Conv::Array(_) => Pb::List(Vec::new()),
            Conv::Map(..) => Pb::Map(Default::default()),
        }
    }
}

/// An integer column's value into a narrower field, or an error naming it.
fn narrow<T: TryFrom<i64>>(i: i64) -> Result<T, FormatError> {
    T::try_from(i).map_err(|_| FormatError(format!("{i} does not fit the field's 32 bits")))
}

fn timestamp_parts(m: &DynamicMessage) -> (i64, i64) {
    let seconds = match m.get_field_by_name("seconds").as_deref() {
        Some(Pb::I64(s)) => *s,
        _ => 0,
    };
    let nanos = match m.get_field_by_name("nanos").as_deref() {
        Some(Pb::I32(n)) => i64::from(*n),
        _ => 0,
    };
    (seconds, nanos)
}

/// A `confluent.type.Decimal` (big-endian two's-complement unscaled bytes and their scale) at
/// the column's scale, rounded half up when the writer kept more digits.
fn read_decimal(m: &DynamicMessage, scale: u32) -> Result<i128, FormatError> {
    let bytes = match m.get_field_by_name("value").as_deref() {
        Some(Pb::Bytes(b)) => b.clone(),
        _ => Default::default(),
    };
    let from_scale = match m.get_field_by_name("scale").as_deref() {
        Some(Pb::I32(s)) => *s,
        _ => 0,
    };
    if bytes.len() > 16 {
        return Err(FormatError(format!(
            "a decimal of {} bytes is wider than 38 digits",
            bytes.len()
        )));
    }
    let mut unscaled: i128 = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        -1
    } else {
        0
    };
    for b in bytes.iter() {
        unscaled = (unscaled << 8) | i128::from(*b);
    }
    let shift = i64::from(scale) - i64::from(from_scale);
    let overflow = || {
        FormatError(format!(
            "decimal {unscaled}e-{from_scale} does not fit the column's scale {scale}"
        ))
    };
    if shift >= 0 {
        let factor = 10i128
            .checked_pow(u32::try_from(shift).map_err(|_| overflow())?)
            .ok_or_else(overflow)?;
        unscaled.checked_mul(factor).ok_or_else(overflow)
    } else {
        let factor = 10i128
            .checked_pow(u32::try_from(-shift).map_err(|_| overflow())?)
            .ok_or_else(overflow)?;
        let (q, r) = (unscaled / factor, unscaled % factor);
        Ok(if r.abs() * 2 >= factor {
            q + unscaled.signum()
        } else {
            q
        })
    }
}

/// The unscaled value as the shortest big-endian two's-complement bytes (Java's
/// `BigInteger.toByteArray`).
fn decimal_bytes(unscaled: i128) -> Vec<u8> {
    let bytes = unscaled.to_be_bytes();
    let sign = if unscaled < 0 { 0xff } else { 0 };
    let mut start = 0;
    while start < 15 && bytes[start] == sign && (bytes[start + 1] & 0x80) == (sign & 0x80) {
        start += 1;
    }
    bytes[start..].to_vec()
}

fn map_key_value(key: &MapKey) -> Pb {
    match key {
        MapKey::Bool(b) => Pb::Bool(*b),
        MapKey::I32(i) => Pb::I32(*i),
        MapKey::I64(i) => Pb::I64(*i),
        MapKey::U32(i) => Pb::U32(*i),
        MapKey::U64(i) => Pb::U64(*i),
        MapKey::String(s) => Pb::String(s.clone()),
    }
}

fn kind_name(kind: &Kind) -> String {
    match kind {
        Kind::Message(m) => format!("message {}", m.full_name()),
        Kind::Enum(e) => format!("enum {}", e.full_name()),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn mismatch(path: &str, ty: &DataType, what: &str) -> String {
    format!("column '{path}' of type {ty} does not match the Protobuf field's type ({what})")
}
