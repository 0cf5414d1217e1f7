//! Functions that build or search collections: `ARRAY_CONTAINS`, `SPLIT`, `STR_TO_MAP`.
//!
//! `STR_TO_MAP` is Flink's `SqlFunctionUtils.strToMap`: Java's `String.split` with the
//! delimiters as regular expressions (trailing empty pieces dropped, each piece cut once at the
//! key-value delimiter, a piece without one a key with a `NULL` value, a repeated key's last
//! value kept), into a `java.util.HashMap`, whose iteration order is what Flink writes: the
//! entries here come out in that order.

use regex::Regex;

use super::{Arg, Call, StringFunc, hash};
use crate::error::Result;
use crate::expr::BoundExpr;
use crate::expr::coerce::coerce;
use crate::expr::context::EvalError;
use crate::expr::func::ScalarFunc;
use crate::expr::typing::is_untyped_null;
use crate::types::{DataType, MAX_LENGTH, TypeKind};
use crate::value::{Value, put_entry};

/// The names bound here.
pub(super) const NAMES: &[&str] = &["ARRAY_CONTAINS", "SPLIT", "STR_TO_MAP"];

fn string() -> DataType {
    DataType::new(TypeKind::Varchar(MAX_LENGTH))
}

pub(super) fn bind(mut c: Call) -> Result<BoundExpr> {
    match c.name.as_str() {
        "ARRAY_CONTAINS" => bind_array_contains(c),
        "SPLIT" => {
            c.check(&[Arg::Str, Arg::Str], 2, "(STRING, STRING delimiter)")?;
            let kind = TypeKind::Array(Box::new(string()));
            Ok(c.done(ScalarFunc::String(StringFunc::Split), kind, false))
        }
        "STR_TO_MAP" => {
            // One argument or three: Flink refuses two ("Was expecting 1 arguments", run 4).
            let takes = "(STRING[, STRING pair delimiter, STRING key-value delimiter])";
            if c.args.len() == 2 {
                return Err(c.mismatch(takes));
            }
            c.check(&[Arg::Str, Arg::Str, Arg::Str], 1, takes)?;
            let kind = TypeKind::Map(Box::new(string()), Box::new(string()));
            // Flink types the map as nullable whatever the arguments (run 4).
            Ok(c.done(ScalarFunc::String(StringFunc::StrToMap), kind, true))
        }
        _ => Err(c.mismatch("no such signature")),
    }
}

/// `ARRAY_CONTAINS(array, needle)`: the needle must convert implicitly to the element type
/// (Flink run 5: an `INT` needle in an `ARRAY<BIGINT>` is fine, a `BIGINT` in an `ARRAY<INT>` is
/// refused) and is converted to it; `NULL` only for a `NULL` array.
fn bind_array_contains(mut c: Call) -> Result<BoundExpr> {
    let takes = "(ARRAY<T>, T)";
    if c.args.len() != 2 {
        return Err(c.mismatch(takes));
    }
    let TypeKind::Array(element) = &c.args[0].ty().kind else {
        return Err(c.mismatch(takes));
    };
    let element = (**element).clone();
    if !is_untyped_null(&c.args[1]) && !implicitly_casts(&c.args[1].ty().kind, &element.kind) {
        return Err(c.mismatch(&format!(
            "(ARRAY<T>, T): the value must convert implicitly to {}",
            element.kind
        )));
    }
    let needle = c.args.remove(1);
    c.args.push(coerce(needle, &element));
    let nullable = c.args[0].ty().nullable;
    Ok(BoundExpr::Call {
        func: ScalarFunc::ArrayContains,
        args: c.args,
        ty: DataType {
            kind: TypeKind::Boolean,
            nullable,
        },
    })
}

/// Flink's implicit casts (`LogicalTypeCasts.supportsImplicitCast`): numbers to wider numbers
/// (any `DECIMAL` to any other), strings to strings, timestamps to timestamps, and collections
/// of such.
pub(super) fn implicitly_casts(from: &TypeKind, to: &TypeKind) -> bool {
    use TypeKind as K;
    fn numeric_rank(k: &TypeKind) -> Option<u8> {
        Some(match k {
            K::TinyInt => 1,
            K::SmallInt => 2,
            K::Int => 3,
            K::BigInt => 4,
            K::Decimal { .. } => 5,
            K::Float => 6,
            K::Double => 7,
            _ => return None,
        })
    }
    match (from, to) {
        (a, b) if a == b => true,
        (K::Char(_) | K::Varchar(_), K::Char(_) | K::Varchar(_))
        | (K::Binary(_) | K::Varbinary(_), K::Binary(_) | K::Varbinary(_))
        | (K::Time(_), K::Time(_))
        | (K::Timestamp(_) | K::TimestampLtz(_), K::Timestamp(_) | K::TimestampLtz(_)) => true,
        (K::Array(a), K::Array(b)) | (K::Multiset(a), K::Multiset(b)) => implicitly_casts(&a.kind, &b.kind),
        (K::Map(k1, v1), K::Map(k2, v2)) => {
            implicitly_casts(&k1.kind, &k2.kind) && implicitly_casts(&v1.kind, &v2.kind)
        }
        (K::Row(a), K::Row(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| implicitly_casts(&x.ty.kind, &y.ty.kind))
        }
        _ => matches!((numeric_rank(from), numeric_rank(to)), (Some(f), Some(t)) if f <= t),
    }
}

/// `ARRAY_CONTAINS` of an evaluated array and needle: `NULL` for a `NULL` array; a `NULL`
/// needle is found where the array holds a `NULL`; values are compared with `=` (`NaN` equals
/// nothing).
pub(crate) fn array_contains(array: &Value, needle: &Value) -> Value {
    let Value::Array(items) = array else {
        return Value::Null;
    };
    Value::Boolean(items.iter().any(|item| same(item, needle)))
}

/// Whether two elements are the same one: `=`, or both `NULL` (so `ARRAY_CONTAINS` finds a
/// `NULL`, `ARRAY_DISTINCT` keeps one, `ARRAY_REMOVE(a, NULL)` removes them).
pub(super) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        _ => crate::expr::compare(a, b) == Some(std::cmp::Ordering::Equal),
    }
}

/// `SPLIT(s, delimiter)` on non-NULL arguments (Flink's `SplitFunction`): every piece between
/// delimiters, empty ones included; an empty delimiter gives each character; an empty `s` gives
/// an empty array.
pub(crate) fn split(s: &str, delimiter: &str) -> Value {
    let piece = |p: &str| Value::String(p.to_string());
    Value::Array(if delimiter.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else if s.is_empty() {
        Vec::new()
    } else {
        s.split(delimiter).map(piece).collect()
    })
}

/// A delimiter of Java's `String.split`: a regular expression, except that one character that is
/// no regex operator (or one escaped character) is matched as itself without one.
enum Delimiter<'d> {
    Literal(&'d str),
    Pattern(Regex),
}

impl<'d> Delimiter<'d> {
    fn new(d: &'d str, what: &str) -> std::result::Result<Self, EvalError> {
        const OPERATORS: &str = ".$|()[{^?*+\\";
        let mut chars = d.chars();
        let literal = match (chars.next(), chars.next(), chars.next()) {
            // Text without an operator matches itself (Java's fast path, and `::`).
            _ if !d.is_empty() && !d.contains(|c| OPERATORS.contains(c)) => Some(d),
            (Some('\\'), Some(c), None) if c.is_ascii() && !c.is_ascii_alphanumeric() => Some(&d[1..]),
            _ => None,
        };
        Ok(match literal {
            Some(l) => Delimiter::Literal(l),
            // Flink fails the job on a pattern Java cannot compile (run 4: '(').
            None => Delimiter::Pattern(Regex::new(d).map_err(|e| {
                EvalError(format!(
                    "STR_TO_MAP: the {what} delimiter is not a valid regular expression: {e}"
                ))
            })?),
        })
    }

    /// The first match at or after byte `from`.
    fn find_at(&self, s: &str, from: usize) -> Option<(usize, usize)> {
        match self {
            Delimiter::Literal(l) => s[from..].find(l).map(|i| (from + i, from + i + l.len())),
            Delimiter::Pattern(re) => re.find_at(s, from).map(|m| (m.start(), m.end())),
        }
    }
}

/// Java's `String.split(regex, limit)` (`Pattern.split`): matches are found as `Matcher.find`
/// finds them (an empty match right after a non-empty one counts), an empty match at the start
/// cuts nothing, at most `limit` pieces when `limit` > 0, and with `limit` 0 trailing empty
/// pieces are dropped.
fn java_split<'s>(s: &'s str, delimiter: &Delimiter<'_>, limit: usize) -> Vec<&'s str> {
    let mut pieces = Vec::new();
    let (mut index, mut from) = (0, 0);
    while from <= s.len() {
        let Some((start, end)) = delimiter.find_at(s, from) else {
            break;
        };
        // After an empty match the next search starts one character on.
        from = if start == end {
            match s[end..].chars().next() {
                Some(c) => end + c.len_utf8(),
                None => s.len() + 1,
            }
        } else {
            end
        };
        if limit == 0 || pieces.len() + 1 < limit {
            if index == 0 && start == 0 && end == 0 {
                continue;
            }
            pieces.push(&s[index..start]);
            index = end;
        } else {
            pieces.push(&s[index..]);
            index = end;
            break;
        }
    }
    if index == 0 {
        return vec![s];
    }
    if limit == 0 || pieces.len() < limit {
        pieces.push(&s[index..]);
    }
    if limit == 0 {
        while pieces.last().is_some_and(|p| p.is_empty()) {
            pieces.pop();
        }
    }
    pieces
}

/// `STR_TO_MAP(s[, list delimiter, key-value delimiter])` on non-NULL arguments (`,` and `=`
/// by default).
pub(crate) fn str_to_map(
    s: &str,
    list: Option<&str>,
    kv: Option<&str>,
) -> std::result::Result<Value, EvalError> {
    if s.is_empty() {
        return Ok(Value::Map(Vec::new()));
    }
    let list = Delimiter::new(list.unwrap_or(","), "pair")?;
    let kv = Delimiter::new(kv.unwrap_or("="), "key-value")?;
    let pairs = java_split(s, &list, 0);
    let mut entries: Vec<(&str, Option<&str>)> = Vec::with_capacity(pairs.len());
    for pair in &pairs {
        let (key, value) = match java_split(pair, &kv, 2).as_slice() {
            [key, value] => (*key, Some(*value)),
            _ => (*pair, None),
        };
        put_entry(&mut entries, key, value);
    }
    let order = hash_map_order(entries.iter().map(|(k, _)| *k), pairs.len());
    Ok(Value::Map(
        order
            .into_iter()
            .map(|i| {
                let (k, v) = entries[i];
                (
                    Value::String(k.to_string()),
                    v.map_or(Value::Null, |v| Value::String(v.to_string())),
                )
            })
            .collect(),
    ))
}

/// The order the `java.util.HashMap` Flink fills iterates the distinct `keys` (given in
/// first-insertion order) in: by bucket, the spread `String.hashCode` masked by the table size,
/// and within a bucket by insertion. Flink sizes the map for `pieces` entries
/// (`CollectionUtil.newHashMapWithExpectedSize`: `pieces + 1` up to 2, else `pieces / 0.75`
/// rounded up; Java rounds that up to a power of two) and Java doubles the table while the keys
/// pass three quarters of it. The order is Flink's output, so it is pinned: with a table of 8,
/// not 16, the map of 7 pieces `z=1,a=2,m=3,b=4,=5,solo,a=6` would list `z` before `b` (Flink
/// run 6). (A bucket of 8 colliding keys would make Java grow the table or turn the bucket into
/// a tree; not copied.)
fn hash_map_order<'k>(keys: impl Iterator<Item = &'k str>, pieces: usize) -> Vec<usize> {
    let buckets: Vec<u32> = keys
        .map(|k| {
            let h = hash::java_hash_code(k) as u32;
            h ^ (h >> 16)
        })
        .collect();
    let requested = if pieces <= 2 {
        pieces + 1
    } else {
        (pieces as f64 / 0.75).ceil() as usize
    };
    let mut table = requested.max(1).next_power_of_two();
    while buckets.len() > table * 3 / 4 {
        table *= 2;
    }
    let mask = (table - 1) as u32;
    let mut order: Vec<usize> = (0..buckets.len()).collect();
    // A stable sort keeps insertion order within a bucket.
    order.sort_by_key(|&i| buckets[i] & mask);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_text(s: &str, list: Option<&str>, kv: Option<&str>) -> String {
        match str_to_map(s, list, kv) {
            Ok(Value::Map(entries)) => {
                let shown: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}={}", k.as_str().unwrap_or("?"), v.as_str().unwrap_or("NULL")))
                    .collect();
                format!("{{{}}}", shown.join(", "))
            }
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn str_to_map_like_flink() {
        // Flink runs 4 and 5 (CAST(STR_TO_MAP(..) AS STRING)): Java's split and HashMap order.
        let cases: &[(&str, Option<&str>, Option<&str>, &str)] = &[
            ("a=1,b=2", None, None, "{a=1, b=2}"),
            ("a:1;b:2", Some(";"), Some(":"), "{a=1, b=2}"),
            ("", None, None, "{}"),
            ("a", None, None, "{a=NULL}"),
            ("a=,=b,a=3", None, None, "{=b, a=3}"),
            ("z=1,a=2,m=3,b=4", None, None, "{a=2, z=1, b=4, m=3}"),
            ("a=1,,b=2,", None, None, "{=NULL, a=1, b=2}"),
            (
                "a=1|b=2",
                Some("|"),
                Some("="),
                "{=, a=NULL, 1=NULL, b=NULL, 2=NULL, |=NULL}",
            ),
            ("a.1.b", Some("."), Some("="), "{}"),
            ("k=v=w", None, None, "{k=v=w}"),
            (",a=1", None, None, "{=NULL, a=1}"),
            ("a1b2c", Some("[0-9]"), Some("="), "{a=NULL, b=NULL, c=NULL}"),
            ("a=1", Some(""), Some(""), "{a=, ==, 1=}"),
            (
                "one=1,two=2,three=3,four=4,five=5,six=6,seven=7,eight=8,nine=9,ten=10,Aa=x,BB=y",
                None,
                None,
                "{Aa=x, BB=y, nine=9, six=6, four=4, one=1, seven=7, ten=10, two=2, three=3, five=5, eight=8}",
            ),
            ("héllo=1,wörld=2", None, None, "{wörld=2, héllo=1}"),
            (
                "x=1,y=2,z=3,w=4,v=5,u=6,t=7",
                None,
                None,
                "{t=7, u=6, v=5, w=4, x=1, y=2, z=3}",
            ),
            ("a=1&&b=2", Some("&"), Some("="), "{=NULL, a=1, b=2}"),
            (",,,", Some(","), Some("="), "{}"),
            ("a=1,", Some(","), Some("="), "{a=1}"),
            ("ab", Some(""), Some("="), "{a=NULL, b=NULL}"),
            ("a=1", Some(","), Some(""), "{a==1}"),
            (" a = 1 ", None, None, "{ a = 1 }"),
            ("a\\,b=1", Some("\\\\,"), Some("="), "{a=NULL, b=1}"),
            ("a=1", Some("a*"), Some("="), "{=, 1=NULL}"),
            ("aXbXc", Some("X*"), Some("="), "{=NULL, a=NULL, b=NULL, c=NULL}"),
            ("ba=1", Some("a"), Some("="), "{=1, b=NULL}"),
            // Flink run 6 (the `collection_functions` golden case).
            (
                "z=1,a=2,m=3,b=4,=5,solo,a=6",
                None,
                None,
                "{=5, a=6, b=4, z=1, solo=NULL, m=3}",
            ),
            ("q=1&r=2&&s", Some("&"), Some("="), "{=NULL, q=1, r=2, s=NULL}"),
            (
                "k = v , k2=v2=x",
                Some("\\s*,\\s*"),
                Some("\\s*=\\s*"),
                "{k=v, k2=v2=x}",
            ),
        ];
        let mut wrong = Vec::new();
        for (s, list, kv, want) in cases {
            let got = map_text(s, *list, *kv);
            if got != *want {
                wrong.push(format!(
                    "STR_TO_MAP({s:?}, {list:?}, {kv:?}): got {got}, Flink gives {want}"
                ));
            }
        }
        assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
        assert!(str_to_map("a=1", Some("("), Some("=")).is_err());
    }

    #[test]
    fn split_like_flink() {
        let pieces = |s: &str, d: &str| match split(s, d) {
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().unwrap_or("?").to_string())
                .collect(),
            _ => Vec::<String>::new(),
        };
        // Flink run 4.
        assert_eq!(pieces("a,,b,", ","), ["a", "", "b", ""]);
        assert_eq!(pieces("", ","), Vec::<String>::new());
        assert_eq!(pieces("", ""), Vec::<String>::new());
        assert_eq!(pieces("héllo", ""), ["h", "é", "l", "l", "o"]);
        assert_eq!(pieces("a::::b", ":::"), ["a", ":b"]);
        assert_eq!(pieces(",", ","), ["", ""]);
        assert_eq!(pieces("a.b", "."), ["a", "b"]);
    }

    #[test]
    fn implicit_casts_widen_only() {
        use TypeKind as K;
        assert!(implicitly_casts(&K::Int, &K::BigInt));
        assert!(!implicitly_casts(&K::BigInt, &K::Int));
        assert!(implicitly_casts(&K::TinyInt, &K::Int));
        assert!(implicitly_casts(
            &K::Decimal {
                precision: 4,
                scale: 2
            },
            &K::Decimal {
                precision: 2,
                scale: 1
            }
        ));
        assert!(!implicitly_casts(
            &K::Decimal {
                precision: 2,
                scale: 1
            },
            &K::Int
        ));
        assert!(implicitly_casts(&K::Float, &K::Double));
        assert!(!implicitly_casts(&K::Date, &K::Timestamp(0)));
        assert!(!implicitly_casts(&K::Int, &K::Varchar(MAX_LENGTH)));
    }
}
