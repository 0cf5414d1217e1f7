//! One CSV record → a row, as Flink 2.3 reads it (Jackson's CSV parser, then Flink's
//! converters; see the module docs above).

use std::borrow::Cow;

use super::{Csv, Node};
use crate::base64;
use crate::format::{FormatError, datetime};
use crate::java_text::{self as text, DecimalText};
use crate::value::Value;

/// One field's text and whether it was quoted.
struct Field<'a> {
    text: Cow<'a, str>,
    quoted: bool,
}

/// Decodes the record at the start of `bytes`. With `whole`, `bytes` is one record as the file
/// splitter cut it, and a line break outside quotes is an error: what follows it would be lost.
/// Without, the rest is ignored, as Flink reads only the first record of a Kafka message.
pub(super) fn decode(
    csv: &Csv,
    bytes: &[u8],
    whole: bool,
    out: &mut Vec<Value>,
) -> Result<bool, FormatError> {
    let line = std::str::from_utf8(bytes).map_err(|e| {
        FormatError(format!(
            "invalid UTF-8 at byte {} of the CSV record",
            e.valid_up_to()
        ))
    })?;
    if csv.allow_comments && line.starts_with('#') {
        return Ok(false);
    }
    let mut fields = csv.split(line, whole)?;
    let arity = csv.columns.len();
    if fields.len() > arity {
        let trailing_empty =
            fields.len() == arity + 1 && fields.last().is_some_and(|f| f.text.is_empty() && !f.quoted);
        if csv.ignore_trailing || (csv.allow_trailing_comma && trailing_empty) {
            fields.truncate(arity);
        } else {
            return Err(FormatError(format!(
                "too many fields: expected {arity}, found {}",
                fields.len()
            )));
        }
    }
    if fields.len() < arity && (csv.fail_on_missing || !csv.ignore_errors) {
        return Err(FormatError(format!(
            "too few fields: expected {arity}, found {}",
            fields.len()
        )));
    }
    for (i, node) in csv.columns.iter().enumerate() {
        let v = match fields.get(i) {
            None => Value::Null,
            Some(f) => match csv.field_value(node, f) {
                Ok(v) => v,
                Err(_) if csv.ignore_errors => Value::Null,
                Err(m) => return Err(FormatError(format!("field {}: {m}", i + 1))),
            },
        };
        out.push(v);
    }
    Ok(true)
}

impl Csv {
    /// Splits the first record of `line` into fields (quoted fields may span lines); with
    /// `whole`, `line` must be that record and nothing more.
    fn split<'a>(&self, line: &'a str, whole: bool) -> Result<Vec<Field<'a>>, FormatError> {
        let mut fields = Vec::with_capacity(self.columns.len());
        let mut rest = line;
        loop {
            if self.trim_spaces {
                rest = rest.trim_start_matches([' ', '\t']);
            }
            let (field, after) = match rest.chars().next() {
                Some(c) if Some(c) == self.quote => self.quoted(rest, fields.len())?,
                _ => self.unquoted(rest),
            };
            fields.push(field);
            let mut chars = after.chars();
            match chars.next() {
                Some(c) if c == self.delimiter => rest = chars.as_str(),
                None => break,
                // Only a line break ends a field without a delimiter. Files are cut at LF
                // outside quotes, so this is a lone CR, which Flink's reader takes for the
                // end of a record.
                Some(c) if whole => {
                    return Err(FormatError(format!(
                        "field {}: line break {c:?} outside quotes inside the record; Spate ends \
                         records at LF or CRLF only",
                        fields.len()
                    )));
                }
                // The end of the first record: the rest is not read.
                Some(_) => break,
            }
        }
        Ok(fields)
    }

    fn unquoted<'a>(&self, s: &'a str) -> (Field<'a>, &'a str) {
        let end = s
            .char_indices()
            .find(|&(_, c)| c == self.delimiter || c == '\n' || c == '\r' || Some(c) == self.escape)
            .map_or(s.len(), |(i, _)| i);
        if s[end..].chars().next().is_some_and(|c| Some(c) == self.escape) {
            // Escapes in unquoted text: the escape makes the next character literal.
            let mut text = String::from(&s[..end]);
            let mut chars = s[end..].char_indices();
            while let Some((i, c)) = chars.next() {
                if Some(c) == self.escape {
                    if let Some((_, next)) = chars.next() {
                        text.push(unescaped(next));
                    }
                } else if c == self.delimiter || c == '\n' || c == '\r' {
                    return (self.finish(Cow::Owned(text), false), &s[end + i..]);
                } else {
                    text.push(c);
                }
            }
            return (self.finish(Cow::Owned(text), false), "");
        }
        (self.finish(Cow::Borrowed(&s[..end]), false), &s[end..])
    }

    fn finish<'a>(&self, text: Cow<'a, str>, quoted: bool) -> Field<'a> {
        let text = if self.trim_spaces && !quoted {
            match text {
                Cow::Borrowed(t) => Cow::Borrowed(t.trim_end_matches([' ', '\t'])),
                Cow::Owned(t) => Cow::Owned(t.trim_end_matches([' ', '\t']).to_string()),
            }
        } else {
            text
        };
        Field { text, quoted }
    }

    /// A quoted field (`s` starts with the quote): doubled quotes and escapes resolved; after
    /// the closing quote only the delimiter or the line's end may follow.
    fn quoted<'a>(&self, s: &'a str, index: usize) -> Result<(Field<'a>, &'a str), FormatError> {
        let q = self.quote.unwrap_or('"');
        let body = &s[q.len_utf8()..];
        // Common case: no doubled quote and no escape, so the text can be borrowed.
        if let Some(end) = body.find(q) {
            let text = &body[..end];
            let after = &body[end + q.len_utf8()..];
            if !after.starts_with(q) && !self.escape.is_some_and(|e| text.contains(e)) {
                return self.after_quote(Cow::Borrowed(text), after, index);
            }
        }
        let mut text = String::new();
        let mut chars = s.char_indices().skip(1).peekable();
        while let Some((i, c)) = chars.next() {
            if Some(c) == self.escape {
                if let Some((_, next)) = chars.next() {
                    text.push(unescaped(next));
                }
                continue;
            }
            if c != q {
                text.push(c);
                continue;
            }
            if let Some(&(_, next)) = chars.peek()
                && next == q
            {
                text.push(q);
                chars.next();
                continue;
            }
            return self.after_quote(Cow::Owned(text), &s[i + c.len_utf8()..], index);
        }
        Err(FormatError(format!("field {}: missing closing quote", index + 1)))
    }

    /// After a closing quote only the delimiter or the line's end may follow.
    fn after_quote<'a>(
        &self,
        text: Cow<'a, str>,
        mut after: &'a str,
        index: usize,
    ) -> Result<(Field<'a>, &'a str), FormatError> {
        if self.trim_spaces {
            after = after.trim_start_matches([' ', '\t']);
        }
        match after.chars().next() {
            None | Some('\n' | '\r') => Ok((Field { text, quoted: true }, after)),
            Some(d) if d == self.delimiter => Ok((Field { text, quoted: true }, after)),
            Some(other) => Err(FormatError(format!(
                "field {}: unexpected character '{other}' after the closing quote, expected the field \
                 delimiter or the end of the line",
                index + 1
            ))),
        }
    }

    /// The value of one field.
    fn field_value(&self, node: &Node, f: &Field<'_>) -> Result<Value, String> {
        let t: &str = &f.text;
        if self.null_literal.as_deref() == Some(t) || (self.empty_as_null && t.is_empty()) {
            return Ok(Value::Null);
        }
        match node {
            Node::Array(elem) => {
                if t.is_empty() {
                    return Ok(Value::Array(Vec::new()));
                }
                let mut items = Vec::new();
                for (i, part) in t.split(self.array_delimiter.as_str()).enumerate() {
                    items.push(
                        self.element(elem, part)
                            .map_err(|m| format!("element {}: {m}", i + 1))?,
                    );
                }
                Ok(Value::Array(items))
            }
            Node::Row(nodes) => {
                if t.is_empty() {
                    return Ok(Value::Null);
                }
                let parts: Vec<&str> = t.split(self.array_delimiter.as_str()).collect();
                if parts.len() != nodes.len() && !self.ignore_errors {
                    return Err(format!(
                        "a row of {} fields expected, found {}",
                        nodes.len(),
                        parts.len()
                    ));
                }
                let mut values = Vec::with_capacity(nodes.len());
                for (i, n) in nodes.iter().enumerate() {
                    values.push(match parts.get(i) {
                        None => Value::Null,
                        Some(p) => self
                            .element(n, p)
                            .map_err(|m| format!("row field {}: {m}", i + 1))?,
                    });
                }
                Ok(Value::Row(values))
            }
            _ => scalar(node, t),
        }
    }

    /// An array element or nested row field: with `ignore-parse-errors` one that cannot be
    /// converted is `NULL`.
    fn element(&self, node: &Node, t: &str) -> Result<Value, String> {
        if self.null_literal.as_deref() == Some(t) {
            return Ok(Value::Null);
        }
        match scalar(node, t) {
            Err(_) if self.ignore_errors => Ok(Value::Null),
            other => other,
        }
    }
}

/// The character an escape stands for: Jackson's `CsvDecoder._unescape` reads `\n`, `\r`,
/// `\t` and `\0` as control characters and anything else as itself.
fn unescaped(c: char) -> char {
    match c {
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        '0' => '\0',
        other => other,
    }
}

fn show(t: &str) -> String {
    let shown: String = t.chars().take(40).collect();
    format!("{shown:?}")
}

/// A scalar from its text, as Flink's CSV converters read it.
fn scalar(node: &Node, t: &str) -> Result<Value, String> {
    let expected = |what: &str| format!("expected {what}, found {}", show(t));
    let int = |min: i64, max: i64, what: &str| {
        text::parse_java_long(text::java_trim(t))
            .filter(|v| (min..=max).contains(v))
            .ok_or_else(|| expected(what))
    };
    Ok(match node {
        Node::Boolean => Value::Boolean(text::java_trim(t).eq_ignore_ascii_case("true")),
        Node::TinyInt => Value::Int(int(i64::from(i8::MIN), i64::from(i8::MAX), "a TINYINT")?),
        Node::SmallInt => Value::Int(int(i64::from(i16::MIN), i64::from(i16::MAX), "a SMALLINT")?),
        Node::Int => Value::Int(int(i64::from(i32::MIN), i64::from(i32::MAX), "an INT")?),
        Node::BigInt => Value::Int(int(i64::MIN, i64::MAX, "a BIGINT")?),
        Node::IntervalMonths => {
            Value::IntervalMonths(int(i64::from(i32::MIN), i64::from(i32::MAX), "an INT")? as i32)
        }
        Node::IntervalMillis => Value::IntervalMillis(int(i64::MIN, i64::MAX, "a BIGINT")?),
        Node::Float => Value::Float(f64::from(
            text::parse_java_float(text::java_trim(t)).ok_or_else(|| expected("a FLOAT"))?,
        )),
        Node::Double => {
            Value::Float(text::parse_java_double(text::java_trim(t)).ok_or_else(|| expected("a DOUBLE"))?)
        }
        Node::Decimal { precision, scale } => match text::parse_java_decimal(t, *precision, *scale) {
            DecimalText::Value(u) => Value::Decimal(u),
            DecimalText::Overflow => Value::Null,
            DecimalText::Invalid => return Err(expected(&format!("a DECIMAL({precision}, {scale})"))),
        },
        Node::String => Value::String(t.to_string()),
        Node::Bytes => {
            Value::Bytes(base64::decode(t.as_bytes()).ok_or_else(|| expected("base64 for BYTES"))?)
        }
        Node::Date => {
            Value::Date(datetime::parse_csv_date(t).ok_or_else(|| expected("a DATE (yyyy-MM-dd)"))?)
        }
        Node::Time(p) => {
            Value::Time(datetime::parse_csv_time(t, *p).ok_or_else(|| expected("a TIME (HH:mm:ss)"))?)
        }
        Node::Timestamp => Value::Timestamp(
            datetime::parse_csv_timestamp(t, false)
                .ok_or_else(|| expected("a TIMESTAMP (yyyy-MM-dd HH:mm:ss)"))?,
        ),
        Node::TimestampLtz => Value::Timestamp(
            datetime::parse_csv_timestamp(t, true)
                .ok_or_else(|| expected("a TIMESTAMP_LTZ (yyyy-MM-dd HH:mm:ssZ)"))?,
        ),
        Node::Array(_) | Node::Row(_) => return Err("nested collections are not supported".into()),
    })
}
