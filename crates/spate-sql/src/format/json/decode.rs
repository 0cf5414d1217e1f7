//! JSON bytes → rows, as Flink 2.3's `JsonParser`-based decoder reads them (see the module docs
//! above). Every conversion consumes its whole value, so a value that cannot be converted can
//! become `NULL` (with `ignore-parse-errors`) without losing the parser's place.

use super::scan::{Scanner, SyntaxError, Tok};
use super::{Json, Node, RowNode, encode};
use crate::base64;
use crate::format::{FormatError, datetime};
use crate::java_text::{self as text, DecimalText};
use crate::value::{Value, put_entry};

/// Most elements one multiset may expand to (counts are untrusted input).
const MAX_MULTISET: i64 = 1 << 20;

/// The values of each integer type, for both ways an integer is read (`read_plain` and
/// `integer`).
const TINYINT: (i64, i64) = (i8::MIN as i64, i8::MAX as i64);
const SMALLINT: (i64, i64) = (i16::MIN as i64, i16::MAX as i64);
const INT: (i64, i64) = (i32::MIN as i64, i32::MAX as i64);
const BIGINT: (i64, i64) = (i64::MIN, i64::MAX);

enum Fail {
    Syntax(SyntaxError),
    /// A value that cannot be converted: where (innermost first) and why.
    Convert {
        path: Vec<String>,
        message: String,
    },
}

impl From<SyntaxError> for Fail {
    fn from(e: SyntaxError) -> Self {
        Fail::Syntax(e)
    }
}

type Result<T> = std::result::Result<T, Fail>;

fn convert<T>(message: String) -> Result<T> {
    Err(Fail::Convert {
        path: Vec::new(),
        message,
    })
}

fn describe(t: &Tok<'_>) -> String {
    match t {
        Tok::Null => "null".into(),
        Tok::True => "true".into(),
        Tok::False => "false".into(),
        Tok::Num { text, .. } => text.to_string(),
        Tok::Str(s) => {
            let mut out = Vec::new();
            let shown: String = s.chars().take(40).collect();
            encode::write_string(&shown, &mut out);
            String::from_utf8(out).unwrap_or_default()
        }
        Tok::Obj => "an object".into(),
        Tok::Arr => "an array".into(),
    }
}

/// Decodes one record into `out`; `Ok(false)` when the record is empty.
pub(super) fn decode(
    json: &Json,
    bytes: &[u8],
    out: &mut Vec<Value>,
) -> std::result::Result<bool, FormatError> {
    if bytes.is_empty() {
        return Ok(false);
    }
    let mut d = Decoder {
        json,
        s: Scanner::new(bytes),
    };
    let result = (|| -> Result<()> {
        if d.s.peek() != Some(b'{') {
            if d.s.at_end() {
                return Err(SyntaxError {
                    at: bytes.len(),
                    message: "no JSON object in the record".into(),
                }
                .into());
            }
            let t = d.s.token()?;
            return convert(format!("the record is {}, not a JSON object", describe(&t)));
        }
        d.s.token()?;
        let base = out.len();
        out.extend(nulls(json.root.nodes.len()));
        // Flink reads the first object only and ignores whatever follows it.
        d.fields(&json.root, &mut out[base..])
    })();
    match result {
        Ok(()) => Ok(true),
        Err(Fail::Syntax(e)) => Err(FormatError(format!(
            "invalid JSON at byte {}: {}",
            e.at, e.message
        ))),
        Err(Fail::Convert { path, message }) if path.is_empty() => Err(FormatError(message)),
        Err(Fail::Convert { path, message }) => {
            let path: Vec<String> = path.into_iter().rev().collect();
            Err(FormatError(format!(
                "field \"{}\": {message}",
                path.join(".").replace(".[", "[")
            )))
        }
    }
}

/// `n` NULLs, written in place (`resize` clones a `Value` per slot, through its whole match).
fn nulls(n: usize) -> impl ExactSizeIterator<Item = Value> {
    (0..n).map(|_| Value::Null)
}

struct Decoder<'a, 'j> {
    json: &'j Json,
    s: Scanner<'a>,
}

impl<'a> Decoder<'a, '_> {
    /// Converts one value into `slot`; with `ignore-parse-errors` a value that cannot be
    /// converted is `NULL`.
    fn slot(&mut self, node: &Node, slot: &mut Value, segment: impl FnOnce() -> String) -> Result<()> {
        let Some(t) = self.read_plain(node, slot)? else {
            return Ok(());
        };
        match self.value(node, t) {
            Ok(v) => *slot = v,
            Err(Fail::Convert { .. }) if self.json.ignore_errors => *slot = Value::Null,
            Err(Fail::Convert { mut path, message }) => {
                path.push(segment());
                return Err(Fail::Convert { path, message });
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Reads the common leaves straight into `slot`: an integer written plainly, a string, a
    /// timestamp string that parses. Neither a token nor a `Value` passes through memory on the
    /// way (in profiles, the loads of those returned values stalled on the stores that wrote
    /// them, a third of all decoding time). Anything else — `null`, a number with a fraction,
    /// an integer out of range, text that is not a timestamp, a container — is returned as the
    /// next token for [`value`](Self::value), which judges it as before: `None` means `slot`
    /// holds the value.
    #[inline]
    fn read_plain(&mut self, node: &Node, slot: &mut Value) -> Result<Option<Tok<'a>>> {
        let range = match node {
            Node::TinyInt => Some(TINYINT),
            Node::SmallInt => Some(SMALLINT),
            Node::Int => Some(INT),
            Node::BigInt => Some(BIGINT),
            _ => None,
        };
        if let Some((min, max)) = range {
            if let Some(v) = self.s.plain_integer(min, max) {
                *slot = Value::Int(v);
                return Ok(None);
            }
        } else if self.s.peek() == Some(b'"') {
            match node {
                Node::String => {
                    *slot = Value::String(self.s.string()?.into_owned());
                    return Ok(None);
                }
                Node::Timestamp | Node::TimestampLtz => {
                    let s = self.s.string()?;
                    let ltz = matches!(node, Node::TimestampLtz);
                    return Ok(match datetime::parse_json_timestamp(&s, self.json.iso, ltz) {
                        Some(v) => {
                            *slot = Value::Timestamp(v);
                            None
                        }
                        None => Some(Tok::Str(s)),
                    });
                }
                _ => {}
            }
        }
        Ok(Some(self.s.token()?))
    }

    /// The members of an object (its `{` consumed) into `slots`, as Flink's row converter
    /// reads them: by exact name; after as many matches as there are fields, the rest are
    /// skipped (so of a repeated name, the later value wins only while fields remain).
    fn fields(&mut self, row: &RowNode, slots: &mut [Value]) -> Result<()> {
        let arity = row.nodes.len();
        let mut matched = 0;
        let mut seen = if self.json.fail_on_missing {
            vec![false; arity]
        } else {
            Vec::new()
        };
        let mut hint = 0;
        if !self.s.empty(b'}') {
            loop {
                // Members usually come in schema order: the expected name is tried as bytes
                // before the name is read as a string and looked up.
                let expected = match row.quoted_name(hint) {
                    Some(quoted) if matched < arity => self.s.key_is(quoted)?,
                    _ => false,
                };
                let index = if expected {
                    Some(hint)
                } else {
                    let key = self.s.key()?;
                    row.index_of(&key, hint).filter(|_| matched < arity)
                };
                match index {
                    Some(i) => {
                        if let Node::Skip = row.nodes[i] {
                            self.s.skip_value()?;
                        } else {
                            self.slot(&row.nodes[i], &mut slots[i], || row.names[i].clone())?;
                        }
                        matched += 1;
                        hint = i + 1;
                        if let Some(s) = seen.get_mut(i) {
                            *s = true;
                        }
                    }
                    None => self.s.skip_value()?,
                }
                if !self.s.more(b'}')? {
                    break;
                }
            }
        }
        if self.json.fail_on_missing && matched < arity {
            let missing = seen
                .iter()
                .position(|s| !s)
                .map_or("?", |i| row.names[i].as_str());
            return convert(format!(
                "field \"{missing}\" is missing (json.fail-on-missing-field is set)"
            ));
        }
        Ok(())
    }

    /// Skips the rest of `t` and fails with "expected `what`, found ...".
    fn wrong<T>(&mut self, what: &str, t: Tok<'a>) -> Result<T> {
        let found = describe(&t);
        self.s.skip(t)?;
        convert(format!("expected {what}, found {found}"))
    }

    /// The text Flink's `getText()` gives a scalar token (`None` for objects and arrays).
    fn text<'t>(t: &'t Tok<'a>) -> Option<&'t str> {
        match t {
            Tok::Str(s) => Some(s),
            Tok::Num { text, .. } => Some(text),
            Tok::True => Some("true"),
            Tok::False => Some("false"),
            Tok::Null => Some("null"),
            Tok::Obj | Tok::Arr => None,
        }
    }

    fn value(&mut self, node: &Node, t: Tok<'a>) -> Result<Value> {
        if matches!(t, Tok::Null) {
            return Ok(Value::Null);
        }
        Ok(match node {
            Node::Skip => {
                self.s.skip(t)?;
                Value::Null
            }
            Node::Boolean => match &t {
                Tok::True => Value::Boolean(true),
                Tok::False => Value::Boolean(false),
                // Boolean.parseBoolean: anything but "true" (any case) is false.
                Tok::Str(s) => Value::Boolean(text::java_trim(s).eq_ignore_ascii_case("true")),
                Tok::Num { .. } => Value::Boolean(false),
                _ => return self.wrong("a BOOLEAN", t),
            },
            Node::TinyInt => Value::Int(self.integer(t, TINYINT, false, "a TINYINT")?),
            Node::SmallInt => Value::Int(self.integer(t, SMALLINT, false, "a SMALLINT")?),
            Node::Int => Value::Int(self.integer(t, INT, true, "an INT")?),
            Node::BigInt => Value::Int(self.integer(t, BIGINT, true, "a BIGINT")?),
            Node::Float => {
                let v = match &t {
                    Tok::Num { text, .. } => text.parse::<f32>().ok(),
                    Tok::Str(s) => text::parse_java_float(text::java_trim(s)),
                    _ => None,
                };
                match v {
                    Some(v) => Value::Float(f64::from(v)),
                    None => return self.wrong("a FLOAT", t),
                }
            }
            Node::Double => {
                let v = match &t {
                    Tok::Num { text, .. } => text.parse::<f64>().ok(),
                    Tok::Str(s) => text::parse_java_double(text::java_trim(s)),
                    _ => None,
                };
                match v {
                    Some(v) => Value::Float(v),
                    None => return self.wrong("a DOUBLE", t),
                }
            }
            Node::Decimal { precision, scale } => {
                let parsed = match &t {
                    Tok::Num { text, .. } => Some(text::parse_java_decimal(text, *precision, *scale)),
                    Tok::Str(s) => Some(text::parse_java_decimal(text::java_trim(s), *precision, *scale)),
                    _ => None,
                };
                match parsed {
                    Some(DecimalText::Value(u)) => Value::Decimal(u),
                    // Flink's DecimalData.fromBigDecimal gives null when the precision overflows.
                    Some(DecimalText::Overflow) => Value::Null,
                    _ => return self.wrong(&format!("a DECIMAL({precision}, {scale})"), t),
                }
            }
            Node::String => match t {
                Tok::Str(s) => Value::String(s.into_owned()),
                Tok::Obj | Tok::Arr => {
                    let tree = self.s.tree(t, 1)?;
                    let mut buf = Vec::new();
                    encode::write_tree(&tree, &mut buf);
                    Value::String(String::from_utf8(buf).unwrap_or_default())
                }
                other => Value::String(Self::text(&other).unwrap_or_default().to_string()),
            },
            Node::Bytes => match &t {
                Tok::Str(s) => match base64::decode_lenient(s.as_bytes()) {
                    Some(b) => Value::Bytes(b),
                    None => return self.wrong("base64 for BYTES", t),
                },
                _ => return self.wrong("a base64 string", t),
            },
            Node::Date => match Self::text(&t).and_then(datetime::parse_json_date) {
                Some(d) => Value::Date(d),
                None => return self.wrong("a DATE (yyyy-MM-dd)", t),
            },
            Node::Time => match Self::text(&t).and_then(datetime::parse_json_time) {
                Some(n) => Value::Time(n),
                None => return self.wrong("a TIME (HH:mm:ss)", t),
            },
            Node::Timestamp | Node::TimestampLtz => {
                let ltz = matches!(node, Node::TimestampLtz);
                match Self::text(&t).and_then(|s| datetime::parse_json_timestamp(s, self.json.iso, ltz)) {
                    Some(v) => Value::Timestamp(v),
                    None => {
                        let what = match (self.json.iso, ltz) {
                            (false, false) => "a TIMESTAMP (yyyy-MM-dd HH:mm:ss)",
                            (false, true) => "a TIMESTAMP_LTZ (yyyy-MM-dd HH:mm:ssZ)",
                            (true, false) => "a TIMESTAMP (yyyy-MM-ddTHH:mm:ss)",
                            (true, true) => "a TIMESTAMP_LTZ (yyyy-MM-ddTHH:mm:ssZ)",
                        };
                        return self.wrong(what, t);
                    }
                }
            }
            Node::Array(elem) => {
                if !matches!(t, Tok::Arr) {
                    return self.wrong("an array", t);
                }
                let mut items = Vec::new();
                if !self.s.empty(b']') {
                    loop {
                        let mut v = Value::Null;
                        let n = items.len() + 1;
                        self.slot(elem, &mut v, || format!("[{n}]"))?;
                        items.push(v);
                        if !self.s.more(b']')? {
                            break;
                        }
                    }
                }
                Value::Array(items)
            }
            Node::Map(val) => {
                if !matches!(t, Tok::Obj) {
                    return self.wrong("an object for a MAP", t);
                }
                let mut entries: Vec<(Value, Value)> = Vec::new();
                if !self.s.empty(b'}') {
                    loop {
                        let key = self.s.key()?.into_owned();
                        let mut v = Value::Null;
                        self.slot(val, &mut v, || format!("['{key}']"))?;
                        // A repeated key replaces the earlier value (Flink reads into a HashMap).
                        put_entry(&mut entries, Value::String(key), v);
                        if !self.s.more(b'}')? {
                            break;
                        }
                    }
                }
                Value::Map(entries)
            }
            Node::Multiset => {
                if !matches!(t, Tok::Obj) {
                    return self.wrong("an object for a MULTISET", t);
                }
                let mut counts: Vec<(String, i64)> = Vec::new();
                if !self.s.empty(b'}') {
                    loop {
                        let key = self.s.key()?.into_owned();
                        let mut v = Value::Null;
                        self.slot(&Node::Int, &mut v, || format!("['{key}']"))?;
                        // A NULL count (Flink keeps it) holds no element here.
                        let n = v.as_i64().unwrap_or(0).max(0);
                        put_entry(&mut counts, key, n);
                        if !self.s.more(b'}')? {
                            break;
                        }
                    }
                }
                if counts.iter().map(|(_, n)| *n).sum::<i64>() > MAX_MULTISET {
                    return convert(format!("a MULTISET of more than {MAX_MULTISET} elements"));
                }
                let mut items = Vec::new();
                for (k, n) in counts {
                    for _ in 0..n {
                        items.push(Value::String(k.clone()));
                    }
                }
                Value::Array(items)
            }
            Node::Row(row) => {
                if !matches!(t, Tok::Obj) {
                    return self.wrong("an object for a ROW", t);
                }
                let mut values: Vec<Value> = nulls(row.nodes.len()).collect();
                self.fields(row, &mut values)?;
                Value::Row(values)
            }
        })
    }

    /// An integer type from a number token (`float_ok`: INT and BIGINT truncate `7.9` to 7,
    /// as Jackson's `getIntValue` does; TINYINT and SMALLINT reject it) or from a string
    /// (`Integer.parseInt` of the trimmed text).
    fn integer(&mut self, t: Tok<'a>, (min, max): (i64, i64), float_ok: bool, name: &str) -> Result<i64> {
        let v = match &t {
            Tok::Num { text, float: false } => text.parse::<i64>().ok(),
            Tok::Num { text, float: true } if float_ok => text
                .parse::<f64>()
                .ok()
                .filter(|d| *d >= min as f64 && *d <= max as f64)
                .map(|d| d as i64),
            Tok::Str(s) => text::parse_java_long(text::java_trim(s)),
            _ => None,
        };
        match v {
            Some(v) if (min..=max).contains(&v) => Ok(v),
            _ => self.wrong(name, t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn json(ignore_errors: bool, iso: bool) -> Json {
        Json {
            root: RowNode::new(std::iter::empty()),
            fail_on_missing: false,
            ignore_errors,
            iso,
            null_key: super::super::NullKey::Fail,
            decimal_plain: false,
            ignore_null_fields: false,
        }
    }

    /// What a value's text decodes to through `slot` (the plain reads first), and through the
    /// token and [`Decoder::value`] alone: the value, or that it failed, and where the scanner
    /// stopped.
    fn both(json: &Json, node: &Node, text: &str) -> [(std::result::Result<Value, ()>, usize); 2] {
        let bytes = text.as_bytes();
        let mut plain = Decoder {
            json,
            s: Scanner::new(bytes),
        };
        let mut slot = Value::Null;
        let via_slot = plain
            .slot(node, &mut slot, String::new)
            .map(|()| slot)
            .map_err(drop);
        let mut general = Decoder {
            json,
            s: Scanner::new(bytes),
        };
        let via_token = match general.s.token() {
            Ok(t) => match general.value(node, t) {
                Ok(v) => Ok(v),
                Err(Fail::Convert { .. }) if json.ignore_errors => Ok(Value::Null),
                Err(_) => Err(()),
            },
            Err(_) => Err(()),
        };
        [(via_slot, plain.s.position()), (via_token, general.s.position())]
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|v| v.to_string()),
            any::<i8>().prop_map(|v| v.to_string()),
            any::<i32>().prop_map(|v| v.to_string()),
            // Digits of every length around i64's, with signs, leading zeros, fractions,
            // exponents and whatever may follow.
            "-?[0-9]{0,21}(\\.[0-9]{0,2})?([eE][+-]?[0-9]{0,2})?[ ,}\\]:x.]?",
            "-?0[0-9]{1,3}",
            "[1-9][0-9]{16,19}",
            Just("-".to_string()),
            Just("-0".to_string()),
            Just("9223372036854775808".to_string()),
            Just("-9223372036854775808".to_string()),
        ]
    }

    proptest! {
        /// Integers read in place are what the token path reads: the same values, the same
        /// failures (out of range, fractions of small types, malformed numbers), the same
        /// position after them, for every integer type, with and without ignore-parse-errors.
        #[test]
        fn plain_integers_read_as_the_token_path_reads_them(
            text in prop_oneof![number(), "\"[ 0-9-]{0,4}\"", Just("null".to_string())],
            node in 0usize..4,
            ignore_errors in any::<bool>(),
        ) {
            let node = [Node::TinyInt, Node::SmallInt, Node::Int, Node::BigInt][node].clone();
            let [a, b] = both(&json(ignore_errors, false), &node, &text);
            prop_assert_eq!(a, b, "{:?}", text);
        }

        /// Strings and timestamps read in place are what the token path reads, escapes,
        /// malformed strings and text that is no timestamp included.
        #[test]
        fn plain_strings_and_timestamps_read_as_the_token_path_reads_them(
            text in prop_oneof![
                "\"[a-z\\\\\"é]{0,6}\"?",
                "\"2026-11-0[1-9][ T]0[0-9]:[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?Z?\"",
                Just("12".to_string()),
                Just("null".to_string()),
            ],
            node in 0usize..3,
            ignore_errors in any::<bool>(),
            iso in any::<bool>(),
        ) {
            let node = [Node::String, Node::Timestamp, Node::TimestampLtz][node].clone();
            let [a, b] = both(&json(ignore_errors, iso), &node, &text);
            prop_assert_eq!(a, b, "{:?}", text);
        }
    }
}
