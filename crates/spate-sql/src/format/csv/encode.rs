//! Rows → one CSV line (no terminator), byte-exact with Flink 2.3 (see the module docs above).

use super::{Csv, Node};
use crate::format::json::value_kind;
use crate::format::{FormatError, datetime};
use crate::value::Value;
use crate::{base64, java_text as text};

/// Jackson checks at most this many characters before quoting a text anyway.
const MAX_QUOTE_CHECK: usize = 24;

pub(super) fn encode(csv: &Csv, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
    let mut scratch = Vec::new();
    let mut delim = [0u8; 4];
    let delim = csv.delimiter.encode_utf8(&mut delim).as_bytes();
    for (i, (node, v)) in csv.columns.iter().zip(values).enumerate() {
        if i > 0 {
            out.extend_from_slice(delim);
        }
        csv.field(node, v, out, &mut scratch)
            .map_err(|m| FormatError(format!("field {}: {m}", i + 1)))?;
    }
    Ok(())
}

impl Csv {
    fn field(&self, node: &Node, v: &Value, out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Result<(), String> {
        match (node, v) {
            (_, Value::Null) => {
                if let Some(n) = &self.null_literal {
                    out.extend_from_slice(n.as_bytes());
                }
            }
            // Jackson writes numbers and booleans bare.
            (Node::Boolean, Value::Boolean(b)) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            (Node::TinyInt | Node::SmallInt | Node::Int | Node::BigInt, Value::Int(i)) => {
                text::write_int(*i, out)
            }
            (Node::IntervalMonths, Value::IntervalMonths(m)) => text::write_int(i64::from(*m), out),
            (Node::IntervalMillis, Value::IntervalMillis(m)) => text::write_int(*m, out),
            (Node::Float, Value::Float(f)) => text::write_float(*f, out),
            (Node::Double, Value::Float(f)) => text::write_double(*f, out),
            (Node::Decimal { scale, .. }, Value::Decimal(u)) => self.decimal(*u, *scale, out),
            // A string is its own text: quoted as needed, without a copy through `scratch`.
            (Node::String, Value::String(s)) => self.text(s, out),
            (Node::Array(_) | Node::Row(_), _) => {
                scratch.clear();
                self.elements(node, v, scratch)?;
                let s = std::str::from_utf8(scratch).map_err(|e| e.to_string())?;
                self.text(s, out);
            }
            _ => {
                scratch.clear();
                self.scalar_text(node, v, scratch)?;
                let s = std::str::from_utf8(scratch).map_err(|e| e.to_string())?;
                self.text(s, out);
            }
        }
        Ok(())
    }

    fn decimal(&self, u: i128, scale: u32, out: &mut Vec<u8>) {
        if self.scientific {
            text::write_decimal_stripped(u, scale, out);
        } else {
            text::write_decimal_plain(u, scale, out);
        }
    }

    /// The text of a value that Jackson writes as a string (or, inside arrays, any value).
    fn scalar_text(&self, node: &Node, v: &Value, out: &mut Vec<u8>) -> Result<(), String> {
        match (node, v) {
            (_, Value::Null) => {
                if let Some(n) = &self.null_literal {
                    out.extend_from_slice(n.as_bytes());
                }
            }
            (Node::Boolean, Value::Boolean(b)) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            (Node::TinyInt | Node::SmallInt | Node::Int | Node::BigInt, Value::Int(i)) => {
                text::write_int(*i, out)
            }
            (Node::IntervalMonths, Value::IntervalMonths(m)) => text::write_int(i64::from(*m), out),
            (Node::IntervalMillis, Value::IntervalMillis(m)) => text::write_int(*m, out),
            (Node::Float, Value::Float(f)) => text::write_float(*f, out),
            (Node::Double, Value::Float(f)) => text::write_double(*f, out),
            (Node::Decimal { scale, .. }, Value::Decimal(u)) => self.decimal(*u, *scale, out),
            (Node::String, Value::String(s)) => out.extend_from_slice(s.as_bytes()),
            (Node::Bytes, Value::Bytes(b)) => base64::encode(b, out),
            (Node::Date, Value::Date(d)) => datetime::write_date(i64::from(*d), out),
            (Node::Time(_), Value::Time(n)) => datetime::write_time(n / 1_000_000 * 1_000_000, out),
            (Node::Timestamp, Value::Timestamp(t)) => datetime::write_timestamp(*t, b' ', out),
            (Node::TimestampLtz, Value::Timestamp(t)) => {
                datetime::write_timestamp(*t, b' ', out);
                out.push(b'Z');
            }
            _ => return Err(format!("cannot write {} as {node:?}", value_kind(v))),
        }
        Ok(())
    }

    /// An array's or row's elements joined by the array element delimiter (no quoting inside).
    fn elements(&self, node: &Node, v: &Value, out: &mut Vec<u8>) -> Result<(), String> {
        let delim = self.array_delimiter.as_bytes();
        match (node, v) {
            (Node::Array(elem), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(delim);
                    }
                    self.scalar_text(elem, item, out)?;
                }
            }
            (Node::Row(nodes), Value::Row(values)) if nodes.len() == values.len() => {
                for (i, (n, item)) in nodes.iter().zip(values).enumerate() {
                    if i > 0 {
                        out.extend_from_slice(delim);
                    }
                    self.scalar_text(n, item, out)?;
                }
            }
            _ => return Err(format!("cannot write {} as {node:?}", value_kind(v))),
        }
        Ok(())
    }

    /// Appends a text value, quoted when Jackson's loose check says it may need it.
    fn text(&self, s: &str, out: &mut Vec<u8>) {
        let Some(q) = self.quote else {
            out.extend_from_slice(s.as_bytes());
            return;
        };
        if !self.needs_quotes(s, q) {
            out.extend_from_slice(s.as_bytes());
            return;
        }
        let mut qb = [0u8; 4];
        let qs = q.encode_utf8(&mut qb).as_bytes();
        out.extend_from_slice(qs);
        // Both are doubled: the quote by itself (Jackson's default), the escape too.
        let doubled = |c: char| c == q || Some(c) == self.escape;
        let mut run = 0;
        for (i, c) in s.char_indices() {
            if doubled(c) {
                out.extend_from_slice(&s.as_bytes()[run..i + c.len_utf8()]);
                run = i;
            }
        }
        out.extend_from_slice(&s.as_bytes()[run..]);
        out.extend_from_slice(qs);
    }

    fn needs_quotes(&self, s: &str, q: char) -> bool {
        // UTF-16 units never outnumber UTF-8 bytes.
        if s.len() > MAX_QUOTE_CHECK && (s.is_ascii() || s.encode_utf16().nth(MAX_QUOTE_CHECK).is_some()) {
            return true;
        }
        let control_escape = self.escape.unwrap_or('\\');
        s.chars()
            .any(|c| (c as u32) < self.min_safe || c == control_escape || (self.escape.is_none() && c == q))
    }
}
