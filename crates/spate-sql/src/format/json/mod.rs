//! Flink's `json` format: one JSON object per record, fields by name.
//!
//! Writing is byte-exact with Flink 2.3 (Jackson): fields in schema order, no spaces
//! (`{"a":1,"b":"x"}`), `DECIMAL` as `BigDecimal.stripTrailingZeros().toString()` (`12.5`,
//! `1E+2`) or, with `encode.decimal-as-plain-number`, with the type's scale (`100.00`);
//! `FLOAT`/`DOUBLE` as Java prints them (`1.0E-5`), NaN and infinities as strings (`"NaN"`);
//! `BYTES` as base64; `TIME` and timestamps with the fraction only as long as needed; `MAP` keys
//! must be strings; `MULTISET` is an object of element → count; characters outside the BMP are
//! written as two `\uXXXX` escapes (Jackson's UTF-8 writer does not combine surrogates).
//!
//! Reading follows Flink's `JsonParser`-based decoder: fields are found by exact name, unknown
//! fields are skipped, missing ones are `NULL` (or an error with `fail-on-missing-field`);
//! numbers given as strings and strings given as numbers are converted as Flink converts them
//! (`"7"` is an `INT`, `7.9` is the `INT` 7, `123` is the `STRING` `"123"`, an object read as
//! `STRING` is its compact JSON text); a `DECIMAL` too large for its precision is `NULL`. With
//! `ignore-parse-errors`, a value that cannot be converted is `NULL` (Flink sets fields, array
//! elements and map values to null), while malformed JSON fails the record, which the connector
//! then skips.
//!
//! Where Spate differs from Flink 2.3 on purpose:
//! - An object or array where a scalar, `ARRAY`, `MAP` or `ROW` of another shape is expected is
//!   skipped whole and fails the field (`NULL` with `ignore-parse-errors`); Flink's parser loses
//!   its place there and drops the record or misreads the fields after it.
//! - `TIMESTAMP(p > 6)` keeps microseconds (Spate's timestamps); Flink keeps nanoseconds.
//! - Floats print the shortest round-tripping digits, as `Double.toString` does since JDK 19
//!   (JDK 17 prints a longer form for a few values); Java's hex floats (`0x1p3`) are not read.
//! - A `\uD800`-style lone surrogate reads as U+FFFD; a `MULTISET` count that is `NULL` or
//!   negative holds no element, and more than 2^20 elements in one multiset are an error.
//! - The first JSON object of a record is read and anything after it ignored, as in Flink.
//! - With projection push-down (`Json::projected`: the planner says which columns and `ROW`
//!   fields a query reads) values nobody reads are skipped as JSON without being converted, so
//!   one that would not convert fails nothing, also inside a `ROW` whose other fields are read;
//!   malformed JSON anywhere in the record still fails it.

pub(super) mod confluent;
mod decode;
mod encode;
mod scan;

pub(crate) use encode::{value_kind, write_string};

use std::collections::BTreeMap;

use super::options::FormatOptions;
use super::{FormatError, FormatField};
use crate::error::SqlError;
use crate::plan::ColumnUse;
use crate::types::{DataType, TypeKind};
use crate::value::Value;

/// The options Flink 2.3's `json` format takes.
pub(super) const OPTIONS: &[&str] = &[
    "fail-on-missing-field",
    "ignore-parse-errors",
    "timestamp-format.standard",
    "map-null-key.mode",
    "map-null-key.literal",
    "encode.decimal-as-plain-number",
    "encode.ignore-null-fields",
    "decode.json-parser.enabled",
];

/// What to do with a `NULL` map key when writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NullKey {
    /// Fail the record (Flink's default).
    Fail,
    /// Leave the entry out.
    Drop,
    /// Write it under this key.
    Literal(String),
}

/// A configured `json` format.
#[derive(Debug, Clone)]
pub(crate) struct Json {
    root: RowNode,
    fail_on_missing: bool,
    ignore_errors: bool,
    iso: bool,
    null_key: NullKey,
    decimal_plain: bool,
    ignore_null_fields: bool,
}

/// How one type is read and written.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A value no query reads: skipped when reading, so it is `NULL` (never written: only
    /// [`Json::projected`] makes it).
    Skip,
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Decimal {
        precision: u32,
        scale: u32,
    },
    String,
    Bytes,
    Date,
    Time,
    Timestamp,
    TimestampLtz,
    Array(Box<Node>),
    /// A map with string keys.
    Map(Box<Node>),
    /// A multiset of strings: an object of element → count.
    Multiset,
    Row(RowNode),
}

/// A row's fields: names, their pre-encoded `"name":` prefixes and types.
#[derive(Debug, Clone)]
pub(crate) struct RowNode {
    names: Vec<String>,
    prefixes: Vec<Vec<u8>>,
    nodes: Vec<Node>,
}

impl RowNode {
    fn new(fields: impl Iterator<Item = (String, Node)>) -> Self {
        let mut names = Vec::new();
        let mut prefixes = Vec::new();
        let mut nodes = Vec::new();
        for (name, node) in fields {
            let mut p = Vec::with_capacity(name.len() + 3);
            encode::write_string(&name, &mut p);
            p.push(b':');
            names.push(name);
            prefixes.push(p);
            nodes.push(node);
        }
        Self {
            names,
            prefixes,
            nodes,
        }
    }

    fn projected(&self, used: &[Option<ColumnUse>]) -> RowNode {
        let nodes = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| match (used.get(i), node) {
                (Some(None), _) => Node::Skip,
                (Some(Some(ColumnUse::Fields(fields))), Node::Row(row)) => Node::Row(row.projected(fields)),
                _ => node.clone(),
            })
            .collect();
        RowNode {
            names: self.names.clone(),
            prefixes: self.prefixes.clone(),
            nodes,
        }
    }

    /// Field `i`'s name as JSON writes it, quotes included (its `"name":` prefix without the
    /// colon).
    #[inline]
    fn quoted_name(&self, i: usize) -> Option<&[u8]> {
        self.prefixes.get(i).map(|p| &p[..p.len() - 1])
    }

    /// The index of the field named `name` (trying `hint` first: fields usually come in
    /// schema order).
    fn index_of(&self, name: &str, hint: usize) -> Option<usize> {
        if self.names.get(hint).is_some_and(|n| n == name) {
            return Some(hint);
        }
        self.names.iter().position(|n| n == name)
    }
}

fn node(ty: &DataType) -> Result<Node, String> {
    Ok(match &ty.kind {
        TypeKind::Boolean => Node::Boolean,
        TypeKind::TinyInt => Node::TinyInt,
        TypeKind::SmallInt => Node::SmallInt,
        TypeKind::Int | TypeKind::IntervalYearMonth => Node::Int,
        TypeKind::BigInt | TypeKind::IntervalDayTime => Node::BigInt,
        TypeKind::Float => Node::Float,
        TypeKind::Double => Node::Double,
        TypeKind::Decimal { precision, scale } => Node::Decimal {
            precision: *precision,
            scale: *scale,
        },
        TypeKind::Char(_) | TypeKind::Varchar(_) => Node::String,
        TypeKind::Binary(_) | TypeKind::Varbinary(_) => Node::Bytes,
        TypeKind::Date => Node::Date,
        TypeKind::Time(_) => Node::Time,
        TypeKind::Timestamp(_) => Node::Timestamp,
        TypeKind::TimestampLtz(_) => Node::TimestampLtz,
        TypeKind::Array(t) => Node::Array(Box::new(node(t)?)),
        TypeKind::Map(k, v) => {
            if !is_string(k) {
                return Err(format!(
                    "JSON format doesn't support non-string as key type of map. The type is: {}",
                    ty.kind
                ));
            }
            Node::Map(Box::new(node(v)?))
        }
        TypeKind::Multiset(t) => {
            if !is_string(t) {
                return Err(format!(
                    "JSON format doesn't support non-string as key type of map. The type is: {}",
                    ty.kind
                ));
            }
            Node::Multiset
        }
        TypeKind::Row(fields) => Node::Row(RowNode::new(
            fields
                .iter()
                .map(|f| Ok((f.name.as_str().to_string(), node(&f.ty)?)))
                .collect::<Result<Vec<_>, String>>()?
                .into_iter(),
        )),
    })
}

fn is_string(ty: &DataType) -> bool {
    matches!(ty.kind, TypeKind::Char(_) | TypeKind::Varchar(_))
}

impl Json {
    pub(crate) fn new(fields: &[FormatField], options: &BTreeMap<String, String>) -> Result<Self, SqlError> {
        let opts = FormatOptions::new("json", options, OPTIONS)?;
        let fail_on_missing = opts.flag("fail-on-missing-field", false)?;
        let ignore_errors = opts.flag("ignore-parse-errors", false)?;
        if fail_on_missing && ignore_errors {
            return Err(
                opts.error("fail-on-missing-field and ignore-parse-errors shouldn't both be true".into())
            );
        }
        // Flink compares the standard case-sensitively and the null-key mode in upper case.
        let iso = match opts.get("timestamp-format.standard") {
            None | Some("SQL") => false,
            Some("ISO-8601") => true,
            Some(other) => {
                return Err(opts.error(format!(
                    "unsupported value '{other}' for {}; supported values are [SQL, ISO-8601]",
                    opts.name("timestamp-format.standard")
                )));
            }
        };
        let literal = opts.get("map-null-key.literal").unwrap_or("null").to_string();
        let null_key = match opts
            .get("map-null-key.mode")
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            None | Some("FAIL") => NullKey::Fail,
            Some("DROP") => NullKey::Drop,
            Some("LITERAL") => NullKey::Literal(literal),
            Some(_) => {
                return Err(opts.error(format!(
                    "unsupported value '{}' for option {}; supported values are [LITERAL, FAIL, DROP]",
                    opts.get("map-null-key.mode").unwrap_or_default(),
                    opts.name("map-null-key.mode")
                )));
            }
        };
        // `decode.json-parser.enabled` picks between two Flink decoders that read the same JSON
        // the same way; it is accepted and has no effect here.
        opts.flag("decode.json-parser.enabled", true)?;
        let decimal_plain = opts.flag("encode.decimal-as-plain-number", false)?;
        let ignore_null_fields = opts.flag("encode.ignore-null-fields", false)?;
        let mut nodes = Vec::with_capacity(fields.len());
        for f in fields {
            nodes.push((
                f.name.clone(),
                node(&f.ty).map_err(|m| opts.error(format!("column '{}': {m}", f.name)))?,
            ));
        }
        Ok(Self {
            root: RowNode::new(nodes.into_iter()),
            fail_on_missing,
            ignore_errors,
            iso,
            null_key,
            decimal_plain,
            ignore_null_fields,
        })
    }

    /// This format reading only what `used` says of each field (one entry per field): the
    /// rest is skipped as JSON and left `NULL`, never converted, so an unread value that would
    /// not convert fails nothing.
    pub(crate) fn projected(&self, used: &[Option<ColumnUse>]) -> Json {
        Json {
            root: self.root.projected(used),
            ..self.clone()
        }
    }

    pub(crate) fn ignores_parse_errors(&self) -> bool {
        self.ignore_errors
    }

    /// Decodes one record; `Ok(false)` for an empty record, which Flink skips silently.
    pub(crate) fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<bool, FormatError> {
        decode::decode(self, bytes, out)
    }

    pub(crate) fn encode(&self, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        encode::encode(self, values, out)
    }
}
