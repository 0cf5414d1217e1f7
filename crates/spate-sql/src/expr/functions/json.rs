//! `JSON_VALUE(json, path)` with simple paths: `$`, `.key`, `['key']`, `[n]`, an optional
//! `lax`/`strict` mode word. The path is a constant parsed at bind time. A scalar at the path
//! is returned as text (strings unquoted, `true`, numbers as written: `1.50`; Flink normalizes
//! exponents, `1e2` is `1E+2` there); an object, array, `null`, a missing path or text that is
//! not JSON give `NULL` (Flink's default `NULL ON EMPTY`, `NULL ON ERROR`).

use super::{Arg, Call};
use crate::error::Result;
use crate::expr::BoundExpr;
use crate::expr::func::ScalarFunc;
use crate::types::{MAX_LENGTH, TypeKind};
use crate::value::Value;

/// A parsed JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath(Vec<Step>);

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The names bound here.
pub(super) const NAMES: &[&str] = &["JSON_VALUE", "JSON_STRING"];

pub(super) fn bind(mut c: Call) -> Result<BoundExpr> {
    if c.name == "JSON_STRING" {
        return super::json_build::bind_json_string(c);
    }
    c.check(&[Arg::Str, Arg::Str], 2, "(STRING json, STRING path literal)")?;
    let path = match c.args[1].constant_value().as_ref() {
        Some(Value::String(p)) => parse_path(p),
        _ => None,
    };
    let Some(path) = path else {
        return Err(c.mismatch("(STRING json, a path literal like '$.a.b[0]')"));
    };
    c.args.truncate(1);
    Ok(c.done(ScalarFunc::JsonValue(path), TypeKind::Varchar(MAX_LENGTH), true))
}

fn parse_path(p: &str) -> Option<JsonPath> {
    let p = p.trim();
    let p = p
        .strip_prefix("lax ")
        .or_else(|| p.strip_prefix("strict "))
        .unwrap_or(p)
        .trim_start();
    let mut rest = p.strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return None;
            }
            steps.push(Step::Key(r[..end].to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = r[..end].trim();
            let quoted = inner
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
            steps.push(match quoted {
                Some(k) => Step::Key(k.to_string()),
                None => Step::Index(inner.parse().ok()?),
            });
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(JsonPath(steps))
}

/// `JSON_VALUE` of non-NULL `json` text. Walks the document as raw text, so a number comes
/// back as written (`1.50`, as Flink returns it).
pub(crate) fn eval(path: &JsonPath, json: &Value) -> Value {
    use serde_json::value::RawValue;
    let Some(text) = json.as_str() else {
        return Value::Null;
    };
    let Ok(mut at) = serde_json::from_str::<&RawValue>(text) else {
        return Value::Null;
    };
    for step in &path.0 {
        let next = match step {
            Step::Key(k) => serde_json::from_str::<std::collections::HashMap<String, &RawValue>>(at.get())
                .ok()
                .and_then(|m| m.get(k.as_str()).copied()),
            Step::Index(i) => serde_json::from_str::<Vec<&RawValue>>(at.get())
                .ok()
                .and_then(|v| v.get(*i).copied()),
        };
        match next {
            Some(n) => at = n,
            None => return Value::Null,
        }
    }
    let raw = at.get().trim();
    match raw.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(raw).map_or(Value::Null, Value::String),
        // Objects, arrays and null are no scalar value.
        Some(b'{' | b'[' | b'n') | None => Value::Null,
        Some(_) => Value::String(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jv(json: &str, path: &str) -> Value {
        let p = parse_path(path).unwrap_or(JsonPath(vec![Step::Key("\u{0}".into())]));
        eval(&p, &Value::String(json.into()))
    }

    #[test]
    fn json_value_like_flink() {
        // Flink run 1.
        assert_eq!(jv(r#"{"a":{"b":1}}"#, "$.a.b"), Value::String("1".into()));
        assert_eq!(jv(r#"{"a":[1,2]}"#, "$.a[1]"), Value::String("2".into()));
        assert_eq!(jv(r#"{"a":{"b":1}}"#, "$.a"), Value::Null);
        assert_eq!(jv(r#"{"a":"x y"}"#, "$.a"), Value::String("x y".into()));
        assert_eq!(jv(r#"{"a":true}"#, "$.a"), Value::String("true".into()));
        assert_eq!(jv(r#"{"a":null}"#, "$.a"), Value::Null);
        assert_eq!(jv("not json", "$.a"), Value::Null);
        assert_eq!(jv(r#"{"a b":1}"#, "$['a b']"), Value::String("1".into()));
        assert_eq!(jv(r#"{"a":1}"#, "$.missing"), Value::Null);
        assert_eq!(parse_path("a.b"), None);
    }
}
