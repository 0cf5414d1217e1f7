//! A JSON tree that keeps object members in the order they were written.
//!
//! Avro schemas carry arbitrary properties, and Java Avro (whose `Schema.toString()` is the
//! text a Confluent registry hands back) prints them in insertion order. serde_json's own
//! `Value` sorts keys unless its `preserve_order` feature is on, and turning that on would
//! change every other crate's JSON through feature unification; so schemas are read through
//! serde_json's parser into this tree instead.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value; objects keep their members' order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number as serde_json read it (integers exactly up to 64 bits).
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, members in written order (a repeated name keeps its last value in place of
    /// the first, as Jackson's `ObjectNode` does).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses JSON text.
    pub fn parse(text: &str) -> Result<Json, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// An integer (written without a fraction or exponent) that fits `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// Compact JSON text, as Jackson writes it: no spaces, strings escaped minimally.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Appends the compact text to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => write_number(n, out),
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                comma_separated(items, out, |item, out| item.write(out));
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                comma_separated(members, out, |(k, v), out| {
                    write_string(k, out);
                    out.push(':');
                    v.write(out);
                });
                out.push('}');
            }
        }
    }
}

/// Writes each of `items` with `each`, a comma between two.
pub(crate) fn comma_separated<T>(
    items: impl IntoIterator<Item = T>,
    out: &mut String,
    mut each: impl FnMut(T, &mut String),
) {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(item, out);
    }
}

/// JSON string literals, a comma between two.
pub(crate) fn write_strings<'a>(items: impl IntoIterator<Item = &'a String>, out: &mut String) {
    comma_separated(items, out, |s, out| write_string(s, out));
}

/// A number as Jackson prints a parsed one: integers as written, others as Java's
/// `Double.toString` (`1.5`, `1.0E10`, `1.0E-5`).
fn write_number(n: &serde_json::Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        out.push_str(&i.to_string());
    } else if let Some(u) = n.as_u64() {
        out.push_str(&u.to_string());
    } else if let Some(f) = n.as_f64() {
        out.push_str(&java_double(f));
    }
}

/// Java's `Double.toString` for a finite double: plain between 10^-3 and 10^7, otherwise
/// one digit, a fraction and `E` with the exponent; always with a fraction.
pub(crate) fn java_double(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let abs = f.abs();
    if (1e-3..1e7).contains(&abs) {
        let s = format!("{f}");
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    // `{:e}` gives the shortest digits as `d.ddde±x`.
    let s = format!("{f:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    format!("{mantissa}E{exp}")
}

/// A JSON string literal as Jackson writes it: `"` and `\` escaped, control characters as
/// `\n`-style or `\u00XX` escapes, everything else as is.
pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members: Vec<(String, Json)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            match members.iter_mut().find(|(name, _)| *name == k) {
                Some(slot) => slot.1 = v,
                None => members.push((k, v)),
            }
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_their_order_and_print_compactly() {
        let j = Json::parse(r#"{ "z": 1, "a": [true, null, "x\"y"], "m": {"b": 2.5, "a": 1e10} }"#)
            .expect("valid");
        assert_eq!(
            j.to_text(),
            r#"{"z":1,"a":[true,null,"x\"y"],"m":{"b":2.5,"a":1.0E10}}"#
        );
    }

    #[test]
    fn a_repeated_member_keeps_its_first_place_and_last_value() {
        let j = Json::parse(r#"{"a":1,"b":2,"a":3}"#).expect("valid");
        assert_eq!(j.to_text(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn doubles_print_as_java_prints_them() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_double(0.0001), "1.0E-4");
        assert_eq!(java_double(1234567.0), "1234567.0");
        assert_eq!(java_double(12345678.0), "1.2345678E7");
        assert_eq!(java_double(-2.5e-7), "-2.5E-7");
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut out = String::new();
        write_string("a\u{1}\n", &mut out);
        assert_eq!(out, r#""a\u0001\n""#);
    }
}
