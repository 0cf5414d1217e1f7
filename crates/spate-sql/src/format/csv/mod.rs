//! Flink's `csv` format: one line of delimited fields per record, by position.
//!
//! Writing is byte-exact with Flink 2.3's CSV serialization schema (Jackson's CSV generator):
//! `NULL` is the `null-literal` or an empty field; a text field is quoted when it is longer
//! than 24 UTF-16 units or has a character below `max(delimiter, quote) + 1` (with `,` and `"`
//! that is anything below `-`: spaces, `!`, `#`, `+`, ...), the quote character or a backslash
//! (or the escape character when one is set); quotes inside are doubled and the escape
//! character is doubled. `ARRAY` and `ROW` values are their elements joined by
//! `array-element-delimiter`, quoted as one text. `DECIMAL` is written like JSON's
//! (`BigDecimal.stripTrailingZeros().toString()`), or with the type's scale when
//! `write-bigdecimal-in-scientific-notation` is false — as Flink's Kafka writer does; Flink's
//! filesystem writer ignores that option. No line terminator is appended.
//!
//! Reading follows Flink's converters: numbers are Java-parsed from the trimmed text (an empty
//! field is not a number: an error, or `NULL` with `ignore-parse-errors`), `BOOLEAN` is true
//! only for `true` (any case), an empty field is an empty `STRING`/`BYTES`/`ARRAY` and a `NULL`
//! `ROW`, dates use `java.sql.Date.valueOf` (`2026-1-1`, `2026-02-30` = March 2), timestamps
//! the JSON `SQL` form after trimming. A record with more or fewer fields than the schema is an
//! error (one trailing empty field is allowed by `allow-trailing-comma`, default on).
//! `MAP` and `MULTISET` columns are rejected, as Flink rejects them.
//!
//! Records: in a file, a record ends at a line break (LF or CRLF) outside quoted fields and not
//! escaped (`split.rs`), so a quoted field may hold line breaks; the escape character reads
//! `\n`, `\r`, `\t`, `\0` as control characters, anything else as itself (Jackson's
//! `_unescape`); with `allow-comments` a record starting with `#` is skipped. A Kafka message
//! is read up to its first record's end, the rest ignored, as Flink's `readValue` does.
//!
//! Where Spate differs: a lone CR outside quotes, which Flink's reader takes for the end of a
//! record, is an error in a file; a blank line in a file is skipped, where Flink fails ("Row
//! length mismatch"). `TIME` is written with milliseconds and
//! read truncated to its precision (Flink rejects `TIME(p > 3)` in CSV). Flink cannot read back
//! some of what it writes (a `NULL` `INT` without a `null-literal` is an empty field, which is
//! not a number); neither can Spate, on purpose.

mod decode;
mod encode;
mod split;

use std::collections::BTreeMap;

pub(crate) use split::Splitter;

use super::options::FormatOptions;
use super::{FormatError, FormatField};
use crate::error::SqlError;
use crate::types::{DataType, TypeKind};
use crate::value::Value;

/// The options Flink 2.3's `csv` format takes.
const OPTIONS: &[&str] = &[
    "field-delimiter",
    "disable-quote-character",
    "quote-character",
    "allow-comments",
    "ignore-parse-errors",
    "array-element-delimiter",
    "escape-character",
    "null-literal",
    "write-bigdecimal-in-scientific-notation",
    "trim-spaces",
    "ignore-trailing-unmappable",
    "allow-trailing-comma",
    "fail-on-missing-columns",
    "empty-string-as-null",
];

/// How one column (or array element, or nested row field) is read and written.
#[derive(Debug)]
pub(crate) enum Node {
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
    /// `TIME(p)`: read with at most millisecond precision, truncated to `p`.
    Time(u32),
    Timestamp,
    TimestampLtz,
    IntervalMonths,
    IntervalMillis,
    /// Elements split by the array element delimiter.
    Array(Box<Node>),
    /// Fields by position, split by the array element delimiter.
    Row(Vec<Node>),
}

/// A configured `csv` format.
#[derive(Debug)]
pub(crate) struct Csv {
    columns: Vec<Node>,
    delimiter: char,
    quote: Option<char>,
    escape: Option<char>,
    array_delimiter: String,
    null_literal: Option<String>,
    allow_comments: bool,
    ignore_errors: bool,
    scientific: bool,
    trim_spaces: bool,
    ignore_trailing: bool,
    allow_trailing_comma: bool,
    fail_on_missing: bool,
    empty_as_null: bool,
    /// Characters below this make a text field quoted.
    min_safe: u32,
}

/// `StringEscapeUtils.unescapeJava`, for `field-delimiter` (`\t` is a tab).
fn unescape_java(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn node(ty: &DataType, nested: bool, field: &str) -> Result<Node, String> {
    let unsupported = || format!("Unsupported type '{}' for field '{field}'", ty.kind);
    Ok(match &ty.kind {
        TypeKind::Boolean => Node::Boolean,
        TypeKind::TinyInt => Node::TinyInt,
        TypeKind::SmallInt => Node::SmallInt,
        TypeKind::Int => Node::Int,
        TypeKind::BigInt => Node::BigInt,
        TypeKind::Float => Node::Float,
        TypeKind::Double => Node::Double,
        TypeKind::Decimal { precision, scale } => Node::Decimal {
            precision: *precision,
            scale: *scale,
        },
        TypeKind::Char(_) | TypeKind::Varchar(_) => Node::String,
        TypeKind::Binary(_) | TypeKind::Varbinary(_) => Node::Bytes,
        TypeKind::Date => Node::Date,
        TypeKind::Time(p) => Node::Time(*p),
        TypeKind::Timestamp(_) => Node::Timestamp,
        TypeKind::TimestampLtz(_) => Node::TimestampLtz,
        TypeKind::IntervalYearMonth => Node::IntervalMonths,
        TypeKind::IntervalDayTime => Node::IntervalMillis,
        TypeKind::Array(_) | TypeKind::Row(_) if nested => {
            return Err(format!(
                "Only simple types are supported in the second level nesting of fields '{field}' but was: {}",
                ty.kind
            ));
        }
        TypeKind::Array(t) => Node::Array(Box::new(node(t, true, field)?)),
        TypeKind::Row(fields) => Node::Row(
            fields
                .iter()
                .map(|f| node(&f.ty, true, field))
                .collect::<Result<_, _>>()?,
        ),
        TypeKind::Map(..) | TypeKind::Multiset(_) => return Err(unsupported()),
    })
}

impl Csv {
    pub(crate) fn new(fields: &[FormatField], options: &BTreeMap<String, String>) -> Result<Self, SqlError> {
        let opts = FormatOptions::new("csv", options, OPTIONS)?;
        let single = |key: &str, value: &str| -> Result<char, SqlError> {
            let mut it = value.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => Ok(c),
                _ => Err(opts.error(format!(
                    "Option '{}' must be a string with single character, but was: {value}",
                    opts.name(key)
                ))),
            }
        };
        let delimiter = match opts.get("field-delimiter") {
            Some(d) => single("field-delimiter", &unescape_java(d)).map_err(|_| {
                opts.error(format!(
                    "Option '{}' must be a string with single character, but was: {d}",
                    opts.name("field-delimiter")
                ))
            })?,
            None => ',',
        };
        let disable_quote = opts.flag("disable-quote-character", false)?;
        if disable_quote && opts.get("quote-character").is_some() {
            return Err(opts.error(
                "Format cannot define a quote character and disabled quote character at the same time."
                    .into(),
            ));
        }
        let quote = match opts.get("quote-character") {
            _ if disable_quote => None,
            Some(q) => Some(single("quote-character", q)?),
            None => Some('"'),
        };
        let array_delimiter = match opts.get("array-element-delimiter") {
            Some(d) => single("array-element-delimiter", d)?.to_string(),
            None => ";".to_string(),
        };
        let escape = match opts.get("escape-character") {
            Some(e) => Some(single("escape-character", e)?),
            None => None,
        };
        let mut columns = Vec::with_capacity(fields.len());
        for f in fields {
            columns.push(node(&f.ty, false, &f.name).map_err(|m| opts.error(m))?);
        }
        let min_safe = u32::from(delimiter).max(quote.map_or(0, u32::from)) + 1;
        Ok(Self {
            columns,
            delimiter,
            quote,
            escape,
            array_delimiter,
            null_literal: opts.get("null-literal").map(str::to_string),
            allow_comments: opts.flag("allow-comments", false)?,
            ignore_errors: opts.flag("ignore-parse-errors", false)?,
            scientific: opts.flag("write-bigdecimal-in-scientific-notation", true)?,
            trim_spaces: opts.flag("trim-spaces", false)?,
            ignore_trailing: opts.flag("ignore-trailing-unmappable", false)?,
            allow_trailing_comma: opts.flag("allow-trailing-comma", true)?,
            fail_on_missing: opts.flag("fail-on-missing-columns", false)?,
            empty_as_null: opts.flag("empty-string-as-null", false)?,
            min_safe,
        })
    }

    pub(crate) fn ignores_parse_errors(&self) -> bool {
        self.ignore_errors
    }

    /// Decodes the first record of `bytes` (the rest is ignored, as in a Kafka message);
    /// `Ok(false)` for a comment line (with `allow-comments`).
    pub(crate) fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<bool, FormatError> {
        decode::decode(self, bytes, false, out)
    }

    /// Decodes `bytes` as exactly one record, as [`Splitter`] cut it from a file.
    pub(crate) fn decode_whole(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<bool, FormatError> {
        decode::decode(self, bytes, true, out)
    }

    /// A splitter of this format's records in a file.
    pub(crate) fn splitter(&self) -> Splitter {
        Splitter::new(self)
    }

    pub(crate) fn encode(&self, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        encode::encode(self, values, out)
    }
}
