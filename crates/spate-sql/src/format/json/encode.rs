//! Rows → JSON bytes, byte-exact with Flink 2.3's `json` format (see the module docs above).

use std::collections::HashMap;

use super::scan::Tree;
use super::{Json, Node, NullKey, RowNode};
use crate::format::{FormatError, datetime};
use crate::value::Value;
use crate::{base64, java_text as text};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `s` as a JSON string the way Jackson's UTF-8 writer escapes it: `"` and `\`,
/// control characters (short forms for `\b \t \n \f \r`, else `\u00XX`), and characters outside
/// the BMP as a `\uXXXX\uXXXX` surrogate pair; everything else as UTF-8.
pub(crate) fn write_string(s: &str, out: &mut Vec<u8>) {
    write_string_with(s, true, out);
}

/// `write_string`, optionally writing characters outside the BMP as UTF-8 (as Jackson's
/// `JsonNode.toString()` does, unlike its byte writer).
fn write_string_with(s: &str, escape_supplementary: bool, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let needs = c < 0x20 || c == b'"' || c == b'\\' || (escape_supplementary && c >= 0xF0);
        if !needs {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[run..i]);
        if c >= 0xF0 {
            // A 4-byte UTF-8 sequence: one supplementary character.
            let ch = s[i..].chars().next().map_or(0xFFFD, u32::from);
            let v = ch - 0x10000;
            push_u_escape(0xD800 + (v >> 10), out);
            push_u_escape(0xDC00 + (v & 0x3FF), out);
            i += 4;
        } else {
            match c {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x09 => out.extend_from_slice(b"\\t"),
                0x0A => out.extend_from_slice(b"\\n"),
                0x0C => out.extend_from_slice(b"\\f"),
                0x0D => out.extend_from_slice(b"\\r"),
                _ => push_u_escape(u32::from(c), out),
            }
            i += 1;
        }
        run = i;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

fn push_u_escape(v: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((v >> shift) & 0xF) as usize]);
    }
}

/// Appends a tree as Jackson's `JsonNode.toString()` prints it: compact, floats as Java
/// doubles (`1e2` → `100.0`, `1.50` → `1.5`), integers normalized (`-0` → `0`).
pub(super) fn write_tree(t: &Tree, out: &mut Vec<u8>) {
    match t {
        Tree::Null => out.extend_from_slice(b"null"),
        Tree::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Tree::Num(n, true) => text::write_double(n.parse().unwrap_or(f64::NAN), out),
        Tree::Num(n, false) => text::write_json_int_normalized(n, out),
        Tree::Str(s) => write_string_with(s, false, out),
        Tree::Arr(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_tree(item, out);
            }
            out.push(b']');
        }
        Tree::Obj(members) => {
            out.push(b'{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string_with(k, false, out);
                out.push(b':');
                write_tree(v, out);
            }
            out.push(b'}');
        }
    }
}

/// Why a value could not be written, and where (innermost last, reversed on the way out).
struct Fail {
    path: Vec<String>,
    message: String,
}

type Result<T> = std::result::Result<T, Fail>;

fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(Fail {
        path: Vec::new(),
        message: message.into(),
    })
}

fn mismatch<T>(node: &Node, v: &Value) -> Result<T> {
    fail(format!("cannot write {} as {node:?}", value_kind(v)))
}

pub(crate) fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Boolean(_) => "a BOOLEAN value",
        Value::Int(_) => "an integer value",
        Value::Float(_) => "a floating-point value",
        Value::Decimal(_) => "a DECIMAL value",
        Value::String(_) => "a string value",
        Value::Bytes(_) => "a binary value",
        Value::Date(_) => "a DATE value",
        Value::Time(_) => "a TIME value",
        Value::Timestamp(_) => "a TIMESTAMP value",
        Value::IntervalMillis(_) => "a day-time interval",
        Value::IntervalMonths(_) => "a year-month interval",
        Value::Array(_) => "an ARRAY value",
        Value::Map(_) => "a MAP value",
        Value::Row(_) => "a ROW value",
    }
}

/// Encodes one row.
pub(super) fn encode(
    json: &Json,
    values: &[Value],
    out: &mut Vec<u8>,
) -> std::result::Result<(), FormatError> {
    let w = Writer { json };
    w.row(&json.root, values, out).map_err(|f| {
        let path: Vec<String> = f.path.into_iter().rev().collect();
        FormatError(format!("field \"{}\": {}", path.join("."), f.message))
    })
}

struct Writer<'a> {
    json: &'a Json,
}

impl Writer<'_> {
    fn row(&self, row: &RowNode, values: &[Value], out: &mut Vec<u8>) -> Result<()> {
        if values.len() != row.nodes.len() {
            return fail(format!(
                "a row of {} values for {} fields",
                values.len(),
                row.nodes.len()
            ));
        }
        out.push(b'{');
        let mut first = true;
        for (i, v) in values.iter().enumerate() {
            if self.json.ignore_null_fields && v.is_null() {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(&row.prefixes[i]);
            self.value(&row.nodes[i], v, out).map_err(|mut f| {
                f.path.push(row.names[i].clone());
                f
            })?;
        }
        out.push(b'}');
        Ok(())
    }

    fn value(&self, node: &Node, v: &Value, out: &mut Vec<u8>) -> Result<()> {
        if v.is_null() {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        match (node, v) {
            (Node::Boolean, Value::Boolean(b)) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            (Node::TinyInt | Node::SmallInt | Node::Int | Node::BigInt, Value::Int(i)) => {
                text::write_int(*i, out)
            }
            (Node::Int, Value::IntervalMonths(m)) => text::write_int(i64::from(*m), out),
            (Node::BigInt, Value::IntervalMillis(m)) => text::write_int(*m, out),
            (Node::Float | Node::Double, Value::Float(f)) if !f.is_finite() => {
                // Jackson quotes non-finite numbers (QUOTE_NON_NUMERIC_NUMBERS).
                out.push(b'"');
                out.extend_from_slice(text::non_finite(*f).as_bytes());
                out.push(b'"');
            }
            (Node::Float, Value::Float(f)) => text::write_float(*f, out),
            (Node::Double, Value::Float(f)) => text::write_double(*f, out),
            (Node::Decimal { scale, .. }, Value::Decimal(u)) => {
                if self.json.decimal_plain {
                    text::write_decimal_plain(*u, *scale, out);
                } else {
                    text::write_decimal_stripped(*u, *scale, out);
                }
            }
            (Node::String, Value::String(s)) => write_string(s, out),
            (Node::Bytes, Value::Bytes(b)) => {
                out.push(b'"');
                base64::encode(b, out);
                out.push(b'"');
            }
            (Node::Date, Value::Date(d)) => {
                out.push(b'"');
                datetime::write_date(i64::from(*d), out);
                out.push(b'"');
            }
            (Node::Time, Value::Time(nanos)) => {
                // Flink's TIME holds milliseconds.
                out.push(b'"');
                datetime::write_time(nanos / 1_000_000 * 1_000_000, out);
                out.push(b'"');
            }
            (Node::Timestamp, Value::Timestamp(t)) => {
                out.push(b'"');
                datetime::write_timestamp(*t, if self.json.iso { b'T' } else { b' ' }, out);
                out.push(b'"');
            }
            (Node::TimestampLtz, Value::Timestamp(t)) => {
                out.push(b'"');
                datetime::write_timestamp(*t, if self.json.iso { b'T' } else { b' ' }, out);
                out.extend_from_slice(b"Z\"");
            }
            (Node::Array(elem), Value::Array(items)) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.value(elem, item, out).map_err(|mut f| {
                        f.path.push(format!("[{}]", i + 1));
                        f
                    })?;
                }
                out.push(b']');
            }
            (Node::Map(val), Value::Map(entries)) => {
                let entries: Vec<(&Value, &Value)> = entries.iter().map(|(k, v)| (k, v)).collect();
                self.object(&entries, val, out)?;
            }
            (Node::Multiset, Value::Array(items)) => {
                let mut counts: Vec<(&Value, Value)> = Vec::new();
                for item in items {
                    match counts.iter_mut().find(|(k, _)| *k == item) {
                        Some((_, Value::Int(n))) => *n += 1,
                        _ => counts.push((item, Value::Int(1))),
                    }
                }
                let entries: Vec<(&Value, &Value)> = counts.iter().map(|(k, n)| (*k, n)).collect();
                self.object(&entries, &Node::Int, out)?;
            }
            (Node::Row(row), Value::Row(values)) => self.row(row, values, out)?,
            _ => return mismatch(node, v),
        }
        Ok(())
    }

    /// A map as an object, as Jackson's `ObjectNode` builds it: a repeated key keeps its first
    /// position and takes the last value; `NULL` keys follow `map-null-key.mode`.
    fn object(&self, entries: &[(&Value, &Value)], val: &Node, out: &mut Vec<u8>) -> Result<()> {
        let mut keyed: Vec<(&str, &Value)> = Vec::with_capacity(entries.len());
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (k, v) in entries {
            let key = match k {
                Value::String(s) => s.as_str(),
                Value::Null => match &self.json.null_key {
                    NullKey::Fail => {
                        return fail(
                            "JSON format doesn't support to serialize map data with null keys. You can drop \
                             null key entries or encode null in literals by specifying map-null-key.mode option.",
                        );
                    }
                    NullKey::Drop => continue,
                    NullKey::Literal(l) => l.as_str(),
                },
                other => return fail(format!("map key is {}, not a string", value_kind(other))),
            };
            let slot = if keyed.len() < 16 && index.is_empty() {
                keyed.iter().position(|(n, _)| *n == key)
            } else {
                if index.is_empty() {
                    index.extend(keyed.iter().enumerate().map(|(i, (n, _))| (*n, i)));
                }
                index.get(key).copied()
            };
            match slot {
                Some(i) => keyed[i].1 = v,
                None => {
                    if !index.is_empty() {
                        index.insert(key, keyed.len());
                    }
                    keyed.push((key, v));
                }
            }
        }
        out.push(b'{');
        for (i, (k, v)) in keyed.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_string(k, out);
            out.push(b':');
            self.value(val, v, out).map_err(|mut f| {
                f.path.push(format!("['{k}']"));
                f
            })?;
        }
        out.push(b'}');
        Ok(())
    }
}
