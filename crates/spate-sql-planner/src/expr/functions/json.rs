//! `JSON_VALUE(json, path)`, `JSON_EXISTS` and `JSON_QUERY` with simple paths: `$`, `.key`,
//! `['key']`, `[n]`, an optional `lax`/`strict` mode word (in `strict` mode a missing member or
//! a step into the wrong kind of value is an error, in `lax` mode no result). The path is a constant parsed at bind time. A scalar at the path
//! is returned as text (strings unquoted, `true`, numbers as written: `1.50`; Flink normalizes
//! exponents, `1e2` is `1E+2` there); an object, array, `null`, a missing path or text that is
//! not JSON give `NULL` (Flink's default `NULL ON EMPTY`, `NULL ON ERROR`).

use super::{Arg, Call};
use crate::ast::{JsonExistsOnError, JsonKind, JsonQueryBehavior, JsonWrapper};
use crate::error::{Result, SqlError};
use crate::expr::BoundExpr;
use crate::expr::context::EvalError;
use crate::expr::func::ScalarFunc;
use crate::expr::typing::is_string;
use crate::types::{MAX_LENGTH, TypeKind};
use crate::value::Value;
use serde_json::value::RawValue;

/// A parsed JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    steps: Vec<Step>,
    strict: bool,
}

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
    let strict = p.starts_with("strict ");
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
            // `.*` is a wildcard, which these paths do not have (it is no member named `*`).
            if end == 0 || &r[..end] == "*" {
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
    Some(JsonPath { steps, strict })
}

/// `JSON_VALUE` of non-NULL `json` text. Walks the document as raw text, so a number comes
/// back as written (`1.50`, as Flink returns it).
pub(crate) fn eval(path: &JsonPath, json: &Value) -> Value {
    let Some(text) = json.as_str() else {
        return Value::Null;
    };
    let Ok(mut at) = serde_json::from_str::<&RawValue>(text) else {
        return Value::Null;
    };
    for step in &path.steps {
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

/// The path argument of `JSON_EXISTS`/`JSON_QUERY`: a literal of the simple form.
fn constant_path(path: &BoundExpr, what: &str) -> Result<JsonPath> {
    match path.constant_value() {
        Some(Value::String(p)) => parse_path(&p),
        _ => None,
    }
    .ok_or_else(|| {
        SqlError::validation(
            format!("{what} takes a path literal like '$.a.b[0]' or 'strict $.a' (keys and indexes only)"),
            None,
        )
    })
}

fn expect_json_text(json: &BoundExpr, what: &str) -> Result<()> {
    if is_string(&json.ty().kind) {
        Ok(())
    } else {
        Err(SqlError::validation(
            format!("{what} takes the JSON as a string, not {}", json.ty().kind),
            None,
        ))
    }
}

/// `JSON_EXISTS(json, path [.. ON ERROR])`: a nullable `BOOLEAN`.
pub(crate) fn bind_json_exists(
    json: BoundExpr,
    path: BoundExpr,
    on_error: JsonExistsOnError,
) -> Result<BoundExpr> {
    expect_json_text(&json, "JSON_EXISTS")?;
    let path = constant_path(&path, "JSON_EXISTS")?;
    Ok(BoundExpr::Call {
        func: ScalarFunc::JsonExists { path, on_error },
        args: vec![json],
        ty: crate::types::DataType::new(TypeKind::Boolean),
    })
}

/// `text IS [NOT] JSON kind`: a `BOOLEAN NOT NULL` (Flink 2.3: `NULL IS JSON` is `FALSE`).
pub(crate) fn bind_is_json(text: BoundExpr, kind: JsonKind, negated: bool) -> Result<BoundExpr> {
    expect_json_text(&text, "IS JSON")?;
    Ok(BoundExpr::Call {
        func: ScalarFunc::IsJson { kind, negated },
        args: vec![text],
        ty: crate::types::DataType::new(TypeKind::Boolean).not_null(),
    })
}

/// Whether `text` holds a JSON value of `kind`, read as Flink 2.3 reads it (Jackson, through
/// Calcite's `JsonFunctions.isJsonValue`): the first value decides and what follows it is not
/// looked at (`{"a":1}x`, `"a"x` and `1 ]` are JSON), except that a number or a literal must end
/// at a space or the end (`1x`, `1,2` and `truex` are not); a value must be whole (`[1,]`,
/// `{a:1}`, `01`, `NaN`, a byte-order mark and the empty text are not).
pub(crate) fn is_json(text: &str, kind: JsonKind) -> bool {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    let Some(Ok(first)) = values.next() else {
        return false;
    };
    let raw = first.get().trim_start();
    let delimited = raw.starts_with(['{', '[', '"']);
    let after = text.as_bytes().get(values.byte_offset());
    if !delimited && after.is_some_and(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
        return false;
    }
    match kind {
        JsonKind::Value => true,
        JsonKind::Object => raw.starts_with('{'),
        JsonKind::Array => raw.starts_with('['),
        JsonKind::Scalar => !raw.starts_with('{') && !raw.starts_with('['),
    }
}

/// `JSON_QUERY(json, path [wrapper] [.. ON EMPTY] [.. ON ERROR])`: a nullable `STRING`.
pub(crate) fn bind_json_query(
    json: BoundExpr,
    path: BoundExpr,
    wrapper: JsonWrapper,
    on_empty: JsonQueryBehavior,
    on_error: JsonQueryBehavior,
) -> Result<BoundExpr> {
    expect_json_text(&json, "JSON_QUERY")?;
    let path = constant_path(&path, "JSON_QUERY")?;
    Ok(BoundExpr::Call {
        func: ScalarFunc::JsonQuery {
            path,
            wrapper,
            on_empty,
            on_error,
        },
        args: vec![json],
        ty: crate::types::DataType::new(TypeKind::Varchar(MAX_LENGTH)),
    })
}

/// The value at `path` in `text`: `Ok(None)` when a `lax` path finds no such member or
/// element, `Err` for text that is not JSON, for a step into the wrong kind of value (a key of
/// an array: Flink run 9 answers EMPTY ARRAY ON ERROR there, in `lax` mode too) and for what a
/// `strict` path does not find.
fn lookup<'t>(path: &JsonPath, text: &'t str) -> std::result::Result<Option<&'t RawValue>, String> {
    let mut at: &RawValue = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    for step in &path.steps {
        let raw = at.get().trim_start();
        let next = match step {
            Step::Key(k) if !raw.starts_with('{') => {
                return Err(format!("member {k:?} of a value that is no object"));
            }
            Step::Index(i) if !raw.starts_with('[') => {
                return Err(format!("element {i} of a value that is no array"));
            }
            Step::Key(k) if raw.starts_with('{') => {
                serde_json::from_str::<std::collections::HashMap<String, &RawValue>>(at.get())
                    .map_err(|e| format!("not JSON: {e}"))?
                    .get(k.as_str())
                    .copied()
            }
            Step::Index(i) if raw.starts_with('[') => serde_json::from_str::<Vec<&RawValue>>(at.get())
                .map_err(|e| format!("not JSON: {e}"))?
                .get(*i)
                .copied(),
            _ => None,
        };
        match next {
            Some(n) => at = n,
            None if path.strict => return Err(format!("no result for the strict path at {step:?}")),
            None => return Ok(None),
        }
    }
    Ok(Some(at))
}

fn is_json_null(v: &RawValue) -> bool {
    v.get().trim() == "null"
}

/// `JSON_EXISTS` of non-NULL `json`: whether the path leads to a value other than `null`
/// (Flink run 7: `$.n` of `{"n":null}` is FALSE); errors give `on_error`'s answer.
pub(crate) fn json_exists(
    path: &JsonPath,
    json: &Value,
    on_error: JsonExistsOnError,
) -> std::result::Result<Value, EvalError> {
    match lookup(path, json.as_str().unwrap_or("")) {
        Ok(found) => Ok(Value::Boolean(found.is_some_and(|v| !is_json_null(v)))),
        Err(e) => match on_error {
            JsonExistsOnError::True => Ok(Value::Boolean(true)),
            JsonExistsOnError::False => Ok(Value::Boolean(false)),
            JsonExistsOnError::Unknown => Ok(Value::Null),
            JsonExistsOnError::Error => Err(EvalError(format!("JSON_EXISTS: {e}"))),
        },
    }
}

/// `JSON_QUERY` of non-NULL `json`: the object or array at the path as compact JSON with sorted
/// keys (as Flink's Jackson writes it), wrapped in an array as `wrapper` says; a scalar without
/// a wrapper is an error. Flink 2.3 gives `NULL` for a path that finds nothing or `null`
/// whatever `ON EMPTY` says (run 7), and so does this; errors give `on_error`'s answer.
pub(crate) fn json_query(
    path: &JsonPath,
    json: &Value,
    wrapper: JsonWrapper,
    on_empty: JsonQueryBehavior,
    on_error: JsonQueryBehavior,
) -> std::result::Result<Value, EvalError> {
    let _ = on_empty;
    let result = lookup(path, json.as_str().unwrap_or("")).and_then(|found| {
        let Some(v) = found.filter(|v| !is_json_null(v)) else {
            return Ok(None);
        };
        let mut text = String::new();
        normalize(v.get(), &mut text)?;
        let container = text.starts_with('{') || text.starts_with('[');
        Ok(Some(match wrapper {
            JsonWrapper::Without if container => text,
            JsonWrapper::Without => {
                return Err(format!("the value at the path is no array or object: {text}"));
            }
            JsonWrapper::Conditional if text.starts_with('[') => text,
            JsonWrapper::Conditional | JsonWrapper::Unconditional => format!("[{text}]"),
        }))
    });
    match result {
        Ok(text) => Ok(text.map_or(Value::Null, Value::String)),
        Err(e) => match on_error {
            JsonQueryBehavior::Null => Ok(Value::Null),
            JsonQueryBehavior::EmptyArray => Ok(Value::String("[]".into())),
            JsonQueryBehavior::EmptyObject => Ok(Value::String("{}".into())),
            JsonQueryBehavior::Error => Err(EvalError(format!("JSON_QUERY: {e}"))),
        },
    }
}

/// A JSON value as Flink's Jackson tree writes it back: compact, keys sorted (a repeated key's
/// last value), strings escaped as Jackson does, integers as written, other numbers as
/// `BigDecimal.toString` (`1e2` is `1E+2`, `1.50` stays).
fn normalize(raw: &str, out: &mut String) -> std::result::Result<(), String> {
    let raw = raw.trim();
    let bad = |e: serde_json::Error| format!("not JSON: {e}");
    match raw.as_bytes().first() {
        Some(b'{') => {
            let map: std::collections::BTreeMap<String, &RawValue> =
                serde_json::from_str(raw).map_err(bad)?;
            let mut entries: Vec<(&String, &&RawValue)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                super::json_build::write_string(k, out);
                out.push(':');
                normalize(v.get(), out)?;
            }
            out.push('}');
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(raw).map_err(bad)?;
            out.push('[');
            for (i, v) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                normalize(v.get(), out)?;
            }
            out.push(']');
        }
        Some(b'"') => {
            super::json_build::write_string(&serde_json::from_str::<String>(raw).map_err(bad)?, out)
        }
        Some(b't' | b'f' | b'n') => out.push_str(raw),
        Some(_) if raw.contains(['.', 'e', 'E']) => {
            let (mantissa, exp) = match raw.find(['e', 'E']) {
                Some(i) => (
                    &raw[..i],
                    raw[i + 1..]
                        .parse::<i64>()
                        .map_err(|e| format!("a bad number: {e}"))?,
                ),
                None => (raw, 0),
            };
            super::json_build::write_as_big_decimal(mantissa, exp, out);
        }
        Some(_) => {
            if raw.trim_start_matches('-').bytes().all(|b| b == b'0') {
                out.push('0');
            } else {
                out.push_str(raw);
            }
        }
        None => return Err("no JSON value".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jv(json: &str, path: &str) -> Value {
        let p = parse_path(path).unwrap_or(JsonPath {
            steps: vec![Step::Key("\u{0}".into())],
            strict: false,
        });
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

    #[test]
    fn is_json_reads_the_first_value_as_flink_does() {
        use crate::ast::JsonKind;
        // Flink 2.3 runs of `s IS JSON [SCALAR|ARRAY|OBJECT]` (session 41).
        let json = [
            "{\"a\":1}",
            "[1, 2]",
            "1",
            "\"x\"",
            "  {\"a\":1,\"a\":2}  ",
            "true",
            "null",
            "1 2",
            "{\"a\":1}x",
            "[1]x",
            "\"a\"x",
            "{}",
            "[]",
            "1 ]",
            "-0",
            "1.5e3",
            "\"\\u00e9\"",
            "[1] [2]",
            "1\n",
        ];
        let not_json = [
            "{a:1}",
            "",
            "[1,]",
            "01",
            "NaN",
            "1x",
            "truex",
            "1,2",
            " ",
            "\"a\\qb\"",
            "{\"a\":}",
            "tru",
            "nul",
            "\u{feff}1",
        ];
        for t in json {
            assert!(super::is_json(t, JsonKind::Value), "{t:?} is JSON");
        }
        for t in not_json {
            assert!(!super::is_json(t, JsonKind::Value), "{t:?} is not JSON");
        }
        assert!(super::is_json("[1]x", JsonKind::Array) && !super::is_json("[1]x", JsonKind::Scalar));
        assert!(super::is_json("null", JsonKind::Scalar) && super::is_json("\"a\"x", JsonKind::Scalar));
        assert!(super::is_json("{\"a\":1}x", JsonKind::Object) && !super::is_json("[]", JsonKind::Object));
    }
}
