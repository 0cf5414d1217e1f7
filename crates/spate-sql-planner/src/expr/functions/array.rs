//! Flink 2.3's array and map functions: `ARRAY_APPEND`, `ARRAY_PREPEND`, `ARRAY_CONCAT`,
//! `ARRAY_DISTINCT`, `ARRAY_EXCEPT`, `ARRAY_INTERSECT`, `ARRAY_UNION`, `ARRAY_JOIN`,
//! `ARRAY_MAX`, `ARRAY_MIN`, `ARRAY_POSITION`, `ARRAY_REMOVE`, `ARRAY_REVERSE`, `ARRAY_SLICE`,
//! `ARRAY_SORT`, `ELEMENT`, `MAP_KEYS`, `MAP_VALUES`, `MAP_ENTRIES`, `MAP_FROM_ARRAYS`,
//! `MAP_UNION` — each as Flink's runtime function computes it (checked against Flink 2.3: the
//! `array_functions` golden case).
//!
//! Elements are compared with `=` (so `NaN` equals nothing), except that a `NULL` element equals
//! a `NULL` one where Flink's functions look for one (`ARRAY_DISTINCT` keeps one `NULL`,
//! `ARRAY_REMOVE(a, NULL)` removes them). The results that keep distinct elements keep each one's
//! first place. Maps keep their entries in order, as Spate's map values do; `MAP_UNION` puts the
//! later map's entries first, then the earlier map's other keys (Flink's `MapUnionFunction`).

use std::cmp::Ordering;

use super::Call;
use super::collection::{implicitly_casts, same};
use crate::error::Result;
use crate::expr::BoundExpr;
use crate::expr::coerce::coerce;
use crate::expr::context::EvalError;
use crate::expr::func::ScalarFunc;
use crate::expr::typing::{common_type, is_string, is_untyped_null};
use crate::ident::Ident;
use crate::types::{DataType, MAX_LENGTH, RowField, TypeKind};
use crate::value::Value;

/// One of this file's functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayFunc {
    /// `ARRAY_APPEND(array, value)`.
    Append,
    /// `ARRAY_PREPEND(array, value)`.
    Prepend,
    /// `ARRAY_CONCAT(array, ...)`.
    Concat,
    /// `ARRAY_DISTINCT(array)`.
    Distinct,
    /// `ARRAY_EXCEPT(array1, array2)`: distinct elements of the first not in the second.
    Except,
    /// `ARRAY_INTERSECT(array1, array2)`: distinct elements of the first also in the second.
    Intersect,
    /// `ARRAY_UNION(array1, array2)`: distinct elements of both.
    Union,
    /// `ARRAY_JOIN(array, delimiter[, null replacement])`.
    Join,
    /// `ARRAY_MAX(array)`: the largest non-NULL element.
    Max,
    /// `ARRAY_MIN(array)`: the smallest non-NULL element.
    Min,
    /// `ARRAY_POSITION(array, value)`: the first place (from 1) of the value, 0 if absent.
    Position,
    /// `ARRAY_REMOVE(array, value)`: every element equal to the value removed.
    Remove,
    /// `ARRAY_REVERSE(array)`.
    Reverse,
    /// `ARRAY_SLICE(array, start[, end])`.
    Slice,
    /// `ARRAY_SORT(array[, ascending[, nulls first]])`.
    Sort,
    /// `ELEMENT(array)`: the only element; `NULL` for an empty array, an error for more.
    Element,
    /// `MAP_KEYS(map)`.
    MapKeys,
    /// `MAP_VALUES(map)`.
    MapValues,
    /// `MAP_ENTRIES(map)`: `ROW(key, value)` per entry.
    MapEntries,
    /// `MAP_FROM_ARRAYS(keys, values)`.
    MapFromArrays,
    /// `MAP_UNION(map, ...)`.
    MapUnion,
}

/// The names bound here.
pub(super) const NAMES: &[&str] = &[
    "ARRAY_APPEND",
    "ARRAY_PREPEND",
    "ARRAY_CONCAT",
    "ARRAY_DISTINCT",
    "ARRAY_EXCEPT",
    "ARRAY_INTERSECT",
    "ARRAY_UNION",
    "ARRAY_JOIN",
    "ARRAY_MAX",
    "ARRAY_MIN",
    "ARRAY_POSITION",
    "ARRAY_REMOVE",
    "ARRAY_REVERSE",
    "ARRAY_SLICE",
    "ARRAY_SORT",
    "ELEMENT",
    "MAP_KEYS",
    "MAP_VALUES",
    "MAP_ENTRIES",
    "MAP_FROM_ARRAYS",
    "MAP_UNION",
];

fn array_of(element: DataType, nullable: bool) -> DataType {
    DataType {
        kind: TypeKind::Array(Box::new(element)),
        nullable,
    }
}

/// The element type of argument `i`, when it is an array.
fn element(c: &Call, i: usize) -> Option<DataType> {
    match &c.args.get(i)?.ty().kind {
        TypeKind::Array(e) if !is_untyped_null(&c.args[i]) => Some((**e).clone()),
        _ => None,
    }
}

/// The key and value types of argument `i`, when it is a map.
fn entry_types(c: &Call, i: usize) -> Option<(DataType, DataType)> {
    match &c.args.get(i)?.ty().kind {
        TypeKind::Map(k, v) if !is_untyped_null(&c.args[i]) => Some(((**k).clone(), (**v).clone())),
        _ => None,
    }
}

fn call(c: Call, f: ArrayFunc, ty: DataType) -> BoundExpr {
    BoundExpr::Call {
        func: ScalarFunc::Array(f),
        args: c.args,
        ty,
    }
}

pub(super) fn bind(c: Call) -> Result<BoundExpr> {
    let name = c.name.clone();
    match name.as_str() {
        "ARRAY_APPEND" => bind_with_value(c, ArrayFunc::Append),
        "ARRAY_PREPEND" => bind_with_value(c, ArrayFunc::Prepend),
        "ARRAY_REMOVE" => bind_with_value(c, ArrayFunc::Remove),
        "ARRAY_POSITION" => bind_with_value(c, ArrayFunc::Position),
        "ARRAY_CONCAT" => bind_arrays(c, ArrayFunc::Concat, 1, usize::MAX, "(ARRAY<T>, ...)"),
        "ARRAY_UNION" => bind_arrays(c, ArrayFunc::Union, 2, 2, "(ARRAY<T>, ARRAY<T>)"),
        "ARRAY_INTERSECT" => bind_arrays(c, ArrayFunc::Intersect, 2, 2, "(ARRAY<T>, ARRAY<T>)"),
        "ARRAY_EXCEPT" => bind_arrays(c, ArrayFunc::Except, 2, 2, "(ARRAY<T>, ARRAY<T>)"),
        "ARRAY_DISTINCT" | "ARRAY_REVERSE" | "ARRAY_MAX" | "ARRAY_MIN" | "ELEMENT" => bind_one_array(c),
        "ARRAY_SLICE" => bind_array_and_options(c, ArrayFunc::Slice, 1..=2, is_int, "(ARRAY<T>, INT[, INT])"),
        "ARRAY_SORT" => bind_array_and_options(
            c,
            ArrayFunc::Sort,
            0..=2,
            is_boolean,
            "(ARRAY<T>[, BOOLEAN ascending[, BOOLEAN nulls first]])",
        ),
        "ARRAY_JOIN" => bind_join(c),
        "MAP_KEYS" | "MAP_VALUES" | "MAP_ENTRIES" => bind_map_parts(c),
        "MAP_FROM_ARRAYS" => bind_map_from_arrays(c),
        "MAP_UNION" => bind_map_union(c),
        _ => Err(c.mismatch("no such signature")),
    }
}

/// `(ARRAY<T>, T)`: the value must convert implicitly to the element type (Flink refuses
/// `ARRAY_APPEND(ARRAY<INT>, BIGINT)`) and is converted to it.
fn bind_with_value(mut c: Call, f: ArrayFunc) -> Result<BoundExpr> {
    let takes = "(ARRAY<T>, T)";
    let (Some(elem), 2) = (element(&c, 0), c.args.len()) else {
        return Err(c.mismatch(takes));
    };
    if !is_untyped_null(&c.args[1]) && !implicitly_casts(&c.args[1].ty().kind, &elem.kind) {
        return Err(c.mismatch(takes));
    }
    let value = c.args.remove(1);
    c.args.push(coerce(value, &elem));
    let (array_null, value_null) = (c.args[0].ty().nullable, c.args[1].ty().nullable);
    let ty = match f {
        ArrayFunc::Position => DataType {
            kind: TypeKind::Int,
            nullable: array_null || value_null,
        },
        ArrayFunc::Remove => c.args[0].ty().clone(),
        _ => array_of(
            DataType {
                nullable: elem.nullable || value_null,
                ..elem
            },
            array_null,
        ),
    };
    Ok(call(c, f, ty))
}

/// Whether values of both types are held alike, so that collections of one serve as
/// collections of the other without converting their elements: the same type, strings, or
/// integers.
fn held_alike(a: &TypeKind, b: &TypeKind) -> bool {
    use TypeKind as K;
    let integer = |k: &TypeKind| matches!(k, K::TinyInt | K::SmallInt | K::Int | K::BigInt);
    a == b || (is_string(a) && is_string(b)) || (integer(a) && integer(b))
}

/// The common type of `types`, when all are held alike (Flink 2.3 accepts
/// `ARRAY_CONCAT(ARRAY<INT>, ARRAY<BIGINT>)` and fails at run time; other mixes are refused).
fn common_of(types: &[DataType]) -> Option<DataType> {
    let first = types.first()?;
    if !types.iter().all(|t| held_alike(&first.kind, &t.kind)) {
        return None;
    }
    common_type(types.iter(), "").ok()
}

/// Arrays of one element type (strings of any length, integers of any width).
fn bind_arrays(c: Call, f: ArrayFunc, min: usize, max: usize, takes: &str) -> Result<BoundExpr> {
    if c.args.len() < min || c.args.len() > max {
        return Err(c.mismatch(takes));
    }
    let Some(elems) = (0..c.args.len())
        .map(|i| element(&c, i))
        .collect::<Option<Vec<_>>>()
    else {
        return Err(c.mismatch(takes));
    };
    let Some(common) = common_of(&elems) else {
        return Err(c.mismatch(takes));
    };
    let elem_nullable = match f {
        ArrayFunc::Intersect | ArrayFunc::Except => elems[0].nullable,
        _ => elems.iter().any(|e| e.nullable),
    };
    let nullable = c.any_nullable();
    let ty = array_of(
        DataType {
            nullable: elem_nullable,
            ..common
        },
        nullable,
    );
    Ok(call(c, f, ty))
}

fn bind_one_array(c: Call) -> Result<BoundExpr> {
    let takes = "(ARRAY<T>)";
    let (Some(elem), 1) = (element(&c, 0), c.args.len()) else {
        return Err(c.mismatch(takes));
    };
    let (f, ty) = match c.name.as_str() {
        "ARRAY_DISTINCT" => (ArrayFunc::Distinct, c.args[0].ty().clone()),
        "ARRAY_REVERSE" => (ArrayFunc::Reverse, c.args[0].ty().clone()),
        "ARRAY_MAX" => (ArrayFunc::Max, DataType::new(elem.kind)),
        "ARRAY_MIN" => (ArrayFunc::Min, DataType::new(elem.kind)),
        _ => (ArrayFunc::Element, DataType::new(elem.kind)),
    };
    Ok(call(c, f, ty))
}

fn is_int(e: &BoundExpr) -> bool {
    matches!(
        e.ty().kind,
        TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int
    ) || is_untyped_null(e)
}

/// An array and then `options` more arguments that `accepts` takes; the array's type.
fn bind_array_and_options(
    c: Call,
    f: ArrayFunc,
    options: std::ops::RangeInclusive<usize>,
    accepts: fn(&BoundExpr) -> bool,
    takes: &str,
) -> Result<BoundExpr> {
    let more = c.args.len().checked_sub(1);
    if element(&c, 0).is_none()
        || !more.is_some_and(|m| options.contains(&m))
        || !c.args[1..].iter().all(accepts)
    {
        return Err(c.mismatch(takes));
    }
    let nullable = c.any_nullable();
    let ty = DataType {
        nullable,
        ..c.args[0].ty().clone()
    };
    Ok(call(c, f, ty))
}

fn is_boolean(e: &BoundExpr) -> bool {
    e.ty().kind == TypeKind::Boolean || is_untyped_null(e)
}

fn is_text(e: &BoundExpr) -> bool {
    is_string(&e.ty().kind) || is_untyped_null(e)
}

fn bind_join(c: Call) -> Result<BoundExpr> {
    let takes = "(ARRAY<STRING>, STRING delimiter[, STRING null replacement])";
    let strings = element(&c, 0).is_some_and(|e| is_string(&e.kind));
    if !strings || !(2..=3).contains(&c.args.len()) || !c.args[1..].iter().all(is_text) {
        return Err(c.mismatch(takes));
    }
    let nullable = c.any_nullable();
    Ok(call(
        c,
        ArrayFunc::Join,
        DataType {
            kind: TypeKind::Varchar(MAX_LENGTH),
            nullable,
        },
    ))
}

fn bind_map_parts(c: Call) -> Result<BoundExpr> {
    let (Some((key, value)), 1) = (entry_types(&c, 0), c.args.len()) else {
        return Err(c.mismatch("(MAP<K, V>)"));
    };
    let nullable = c.any_nullable();
    let (f, elem) = match c.name.as_str() {
        "MAP_KEYS" => (ArrayFunc::MapKeys, key),
        "MAP_VALUES" => (ArrayFunc::MapValues, value),
        _ => (
            ArrayFunc::MapEntries,
            DataType::new(TypeKind::Row(vec![
                RowField {
                    name: Ident::new("key"),
                    ty: key,
                    description: None,
                },
                RowField {
                    name: Ident::new("value"),
                    ty: value,
                    description: None,
                },
            ])),
        ),
    };
    Ok(call(c, f, array_of(elem, nullable)))
}

fn bind_map_from_arrays(c: Call) -> Result<BoundExpr> {
    let (Some(key), Some(value), 2) = (element(&c, 0), element(&c, 1), c.args.len()) else {
        return Err(c.mismatch("(ARRAY<K>, ARRAY<V>)"));
    };
    let nullable = c.any_nullable();
    let ty = DataType {
        kind: TypeKind::Map(Box::new(key), Box::new(value)),
        nullable,
    };
    Ok(call(c, ArrayFunc::MapFromArrays, ty))
}

fn bind_map_union(c: Call) -> Result<BoundExpr> {
    let takes = "(MAP<K, V>, ...)";
    let Some(types) = (0..c.args.len())
        .map(|i| entry_types(&c, i))
        .collect::<Option<Vec<_>>>()
    else {
        return Err(c.mismatch(takes));
    };
    let (keys, values): (Vec<DataType>, Vec<DataType>) = types.into_iter().unzip();
    let (Some(key), Some(value)) = (common_of(&keys), common_of(&values)) else {
        return Err(c.mismatch(takes));
    };
    let nullable = c.any_nullable();
    let ty = DataType {
        kind: TypeKind::Map(Box::new(key), Box::new(value)),
        nullable,
    };
    Ok(call(c, ArrayFunc::MapUnion, ty))
}

fn items(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Array(items) => Some(items),
        _ => None,
    }
}

/// The distinct elements of `from`, first places kept, that `keep` lets through.
fn distinct(from: impl IntoIterator<Item = Value>, keep: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for v in from {
        if keep(&v) && !out.iter().any(|o| same(o, &v)) {
            out.push(v);
        }
    }
    out
}

fn int_arg(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

/// `ARRAY_SLICE` on a non-NULL array and offsets (Flink's `ArraySliceFunction`): negative
/// offsets count from the end, a start before the first element is the first, an end of 0 is
/// the first element, an end past the last is the last.
fn slice(items: &[Value], start: i64, end: i64) -> Vec<Value> {
    if items.is_empty() {
        return Vec::new();
    }
    let n = items.len() as i64;
    let start = (if start < 0 { start + n + 1 } else { start }).max(1);
    let end = if end < 0 { end + n + 1 } else { end };
    let end = if end == 0 { 1 } else { end.min(n) };
    if end < start {
        return Vec::new();
    }
    items[(start - 1) as usize..end as usize].to_vec()
}

/// `ARRAY_SORT`: a stable sort, `NULL`s first or last as asked (first by default when
/// ascending, last when descending).
fn sort(items: &[Value], ascending: bool, nulls_first: bool) -> Vec<Value> {
    let mut out = items.to_vec();
    out.sort_by(|a, b| match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) if nulls_first => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, true) if nulls_first => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            let o = crate::expr::compare(a, b).unwrap_or(Ordering::Equal);
            if ascending { o } else { o.reverse() }
        }
    });
    out
}

/// The largest (`max`) or smallest non-NULL element.
fn extreme(items: &[Value], max: bool) -> Value {
    let mut best: Option<&Value> = None;
    for v in items.iter().filter(|v| !v.is_null()) {
        let better = best.is_none_or(|b| {
            let o = crate::expr::compare(v, b).unwrap_or(Ordering::Equal);
            if max {
                o == Ordering::Greater
            } else {
                o == Ordering::Less
            }
        });
        if better {
            best = Some(v);
        }
    }
    best.cloned().unwrap_or(Value::Null)
}

/// One of this file's functions on evaluated arguments.
pub(crate) fn eval(f: ArrayFunc, args: Vec<Value>) -> std::result::Result<Value, EvalError> {
    let mut args = args.into_iter();
    let first = args.next().unwrap_or(Value::Null);
    let rest: Vec<Value> = args.collect();
    if first.is_null() {
        return Ok(Value::Null);
    }
    // Only the appended, prepended or removed value may be NULL without making the result NULL.
    let value_may_be_null = matches!(f, ArrayFunc::Append | ArrayFunc::Prepend | ArrayFunc::Remove);
    if !value_may_be_null && rest.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    if let Value::Map(entries) = &first {
        return Ok(map_function(f, entries, rest));
    }
    let Some(items) = items(&first) else {
        return Ok(Value::Null);
    };
    let value = rest.first().cloned().unwrap_or(Value::Null);
    Ok(match f {
        ArrayFunc::Append => Value::Array(items.iter().cloned().chain([value]).collect()),
        ArrayFunc::Prepend => Value::Array([value].into_iter().chain(items.iter().cloned()).collect()),
        ArrayFunc::Remove => Value::Array(items.iter().filter(|v| !same(v, &value)).cloned().collect()),
        ArrayFunc::Position => Value::Int(
            items
                .iter()
                .position(|v| same(v, &value))
                .map_or(0, |p| p as i64 + 1),
        ),
        ArrayFunc::Concat => {
            let mut out = items.to_vec();
            for a in &rest {
                out.extend(self::items(a).unwrap_or_default().iter().cloned());
            }
            Value::Array(out)
        }
        ArrayFunc::Distinct => Value::Array(distinct(items.iter().cloned(), |_| true)),
        ArrayFunc::Union => {
            let other = self::items(&value).unwrap_or_default();
            Value::Array(distinct(items.iter().chain(other).cloned(), |_| true))
        }
        ArrayFunc::Intersect | ArrayFunc::Except => {
            let other = self::items(&value).unwrap_or_default();
            let want = f == ArrayFunc::Intersect;
            Value::Array(distinct(items.iter().cloned(), |v| {
                other.iter().any(|o| same(o, v)) == want
            }))
        }
        ArrayFunc::Reverse => Value::Array(items.iter().rev().cloned().collect()),
        ArrayFunc::Slice => {
            let start = int_arg(&value).unwrap_or(1);
            let end = rest.get(1).and_then(int_arg).unwrap_or(items.len() as i64);
            Value::Array(slice(items, start, end))
        }
        ArrayFunc::Sort => {
            let ascending = !matches!(rest.first(), Some(Value::Boolean(false)));
            let nulls_first = match rest.get(1) {
                Some(Value::Boolean(b)) => *b,
                _ => ascending,
            };
            Value::Array(sort(items, ascending, nulls_first))
        }
        ArrayFunc::Max | ArrayFunc::Min => extreme(items, f == ArrayFunc::Max),
        ArrayFunc::Element => match items {
            [] => Value::Null,
            [only] => only.clone(),
            _ => return Err(EvalError("Array has more than one element.".into())),
        },
        ArrayFunc::Join => {
            let delimiter = value.as_str().unwrap_or_default();
            let replacement = rest.get(1).and_then(Value::as_str);
            let parts: Vec<&str> = items
                .iter()
                .filter_map(|v| match v {
                    Value::Null => replacement,
                    v => v.as_str(),
                })
                .collect();
            Value::String(parts.join(delimiter))
        }
        ArrayFunc::MapFromArrays => {
            let values = self::items(&value).unwrap_or_default();
            if values.len() != items.len() {
                return Err(EvalError(format!(
                    "Invalid function MAP_FROM_ARRAYS call:\nThe length of the keys array {} is not equal to the length of the values array {}",
                    items.len(),
                    values.len()
                )));
            }
            // Flink keeps every pair, a repeated key too.
            Value::Map(items.iter().cloned().zip(values.iter().cloned()).collect())
        }
        ArrayFunc::MapKeys | ArrayFunc::MapValues | ArrayFunc::MapEntries | ArrayFunc::MapUnion => {
            Value::Null
        }
    })
}

/// The map functions on a non-NULL map and non-NULL further maps.
fn map_function(f: ArrayFunc, entries: &[(Value, Value)], rest: Vec<Value>) -> Value {
    match f {
        ArrayFunc::MapKeys => Value::Array(entries.iter().map(|(k, _)| k.clone()).collect()),
        ArrayFunc::MapValues => Value::Array(entries.iter().map(|(_, v)| v.clone()).collect()),
        ArrayFunc::MapEntries => Value::Array(
            entries
                .iter()
                .map(|(k, v)| Value::Row(vec![k.clone(), v.clone()]))
                .collect(),
        ),
        ArrayFunc::MapUnion => {
            let mut union = entries.to_vec();
            for map in rest {
                let Value::Map(later) = map else {
                    return Value::Null;
                };
                if later.is_empty() {
                    continue;
                }
                // The later map's entries, then the earlier's keys it does not have (a NULL key
                // only when it has none).
                let has_null_key = later.iter().any(|(k, _)| k.is_null());
                let earlier = std::mem::replace(&mut union, later);
                for (k, v) in earlier {
                    let taken = if k.is_null() {
                        has_null_key
                    } else {
                        union.iter().any(|(l, _)| same(l, &k))
                    };
                    if !taken {
                        union.push((k, v));
                    }
                }
            }
            Value::Map(union)
        }
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[Option<i64>]) -> Value {
        Value::Array(v.iter().map(|i| i.map_or(Value::Null, Value::Int)).collect())
    }

    #[test]
    fn slices_as_flink_cuts_them() {
        let a: Vec<Value> = (1..=5).map(Value::Int).collect();
        let cut = |s, e| slice(&a, s, e).len();
        // Flink 2.3 (array_functions probe): (2, 3), (-2), (0, 10), (4, 2), (-10, -3), (-1, 0),
        // (6), (-6).
        assert_eq!(slice(&a, 2, 3), vec![Value::Int(2), Value::Int(3)]);
        assert_eq!(slice(&a, -2, 5), vec![Value::Int(4), Value::Int(5)]);
        assert_eq!(cut(0, 10), 5);
        assert_eq!(cut(4, 2), 0);
        assert_eq!(slice(&a, -10, -3).len(), 3);
        assert_eq!(cut(-1, 0), 0);
        assert_eq!(cut(6, 5), 0);
        assert_eq!(cut(-6, 5), 5);
        assert_eq!(slice(&a, 1, 0), vec![Value::Int(1)]);
    }

    #[test]
    fn distinct_sets_keep_first_places_and_one_null() {
        let a = ints(&[Some(3), Some(1), Some(2), Some(1), None]);
        let b = ints(&[Some(2), Some(5), None]);
        let run = |f, args: Vec<Value>| eval(f, args).unwrap_or(Value::Null);
        assert_eq!(
            run(ArrayFunc::Distinct, vec![a.clone()]),
            ints(&[Some(3), Some(1), Some(2), None])
        );
        assert_eq!(
            run(ArrayFunc::Union, vec![a.clone(), b.clone()]),
            ints(&[Some(3), Some(1), Some(2), None, Some(5)])
        );
        assert_eq!(
            run(ArrayFunc::Intersect, vec![a.clone(), b.clone()]),
            ints(&[Some(2), None])
        );
        assert_eq!(
            run(ArrayFunc::Except, vec![a.clone(), b]),
            ints(&[Some(3), Some(1)])
        );
        assert_eq!(
            run(ArrayFunc::Remove, vec![a.clone(), Value::Null]),
            ints(&[Some(3), Some(1), Some(2), Some(1)])
        );
        assert_eq!(
            run(ArrayFunc::Position, vec![a.clone(), Value::Null]),
            Value::Null
        );
        assert_eq!(
            run(ArrayFunc::Sort, vec![a.clone()]),
            ints(&[None, Some(1), Some(1), Some(2), Some(3)])
        );
        assert_eq!(
            run(ArrayFunc::Sort, vec![a.clone(), Value::Boolean(false)]),
            ints(&[Some(3), Some(2), Some(1), Some(1), None])
        );
        assert!(eval(ArrayFunc::Element, vec![a]).is_err());
    }

    #[test]
    fn map_union_puts_the_later_maps_entries_first() {
        let s = |t: &str| Value::String(t.into());
        let m1 = Value::Map(vec![(s("k1"), Value::Int(1)), (s("k2"), Value::Int(2))]);
        let m2 = Value::Map(vec![(s("k2"), Value::Int(20)), (s("k9"), Value::Int(9))]);
        assert_eq!(
            eval(ArrayFunc::MapUnion, vec![m1, m2]).unwrap_or(Value::Null),
            Value::Map(vec![
                (s("k2"), Value::Int(20)),
                (s("k9"), Value::Int(9)),
                (s("k1"), Value::Int(1))
            ])
        );
    }
}
