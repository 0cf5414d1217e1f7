//! [`bind`]: an AST expression → a typed [`BoundExpr`], with Flink's type rules.
//!
//! Special forms (`LIKE`, `CASE`, `CAST`, `BETWEEN`, `IN`, `EXTRACT`, `TRIM`, `ARRAY[..]`,
//! `x[i]`, ...) are bound here; infix operators in [`super::operators`]; literals in
//! [`super::literal`]; named functions in [`super::functions`]; the type algebra in
//! [`super::typing`]. Where Flink rejects an expression at validation, so does this
//! (`'1' + 1`, `1 = TRUE`, `ts - ts`, `1 + NULL`), with both types in the message.

use std::sync::Arc;

use super::BoundExpr;
use super::coerce::{coerce, fold};
use super::construct::{boolean, call, describe, expect_boolean, expect_string, logical, not, nullable_like};
use super::func::{Compiled, ScalarFunc};
use super::functions::{self, Call, StringFunc, TimeFunc};
use super::literal::{bind_literal, bind_literal_interval};
use super::operators::{bind_binary, comparable, pattern_regex};
use super::typing::{
    can_cast, common_type_of, is_datetime, is_integer, is_numeric, is_string, is_untyped_null,
};
use crate::ast::{BinaryOp, Expr, TimeUnit, TrimSide, UnaryOp};
use crate::error::{Result, SqlError};
use crate::ident::Ident;
use crate::types::{DataType, MAX_LENGTH, TypeKind};
use crate::value::Value;

/// Resolves the names an expression uses. The query binder implements it for each clause.
pub trait Scope {
    /// A column reference (`a`, `t.a`, `t.r.field`).
    fn column(&self, path: &[Ident]) -> Result<BoundExpr>;

    /// Called on every sub-expression before it is bound: `Some` replaces it (a group key in a
    /// grouped query's select list, an aggregate call, a window property). The default replaces
    /// nothing.
    fn substitute(&self, expr: &Expr) -> Option<Result<BoundExpr>> {
        let _ = expr;
        None
    }
}

/// Flink's aggregate functions that Spate does not implement.
const UNSUPPORTED_AGGREGATES: &[&str] = &[
    "SUM0",
    "COLLECT",
    "STDDEV",
    "STDDEV_POP",
    "STDDEV_SAMP",
    "VAR_POP",
    "VAR_SAMP",
    "VARIANCE",
    "ARRAY_AGG",
    "JSON_OBJECTAGG",
    "JSON_ARRAYAGG",
];

/// Aggregate and window-property functions: valid only where the query binder substitutes
/// them, so reaching the scalar binder means they were used where they are not allowed.
const AGGREGATES: &[&str] = &[
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "LISTAGG",
    "FIRST_VALUE",
    "LAST_VALUE",
    "TUMBLE_START",
    "TUMBLE_END",
    "TUMBLE_ROWTIME",
    "TUMBLE_PROCTIME",
    "HOP_START",
    "HOP_END",
    "HOP_ROWTIME",
    "SESSION_START",
    "SESSION_END",
    "SESSION_ROWTIME",
];

/// Binds `expr` in `scope`.
///
/// Calls of deterministic functions on constants are folded into literals (bottom up), except
/// when they evaluate to `NULL` (a folded `NULL` would read as an untyped one) or fail (the
/// failure is left to the row that reaches it, as in Flink).
pub fn bind(expr: &Expr, scope: &dyn Scope) -> Result<BoundExpr> {
    if let Some(done) = scope.substitute(expr) {
        return done;
    }
    bind_unfolded(expr, scope).map(fold).map_err(|e| match e {
        // Most type errors know no position of their own: point at the expression's first name.
        SqlError::Validation { message, pos: None } => SqlError::Validation {
            message,
            pos: first_position(expr),
        },
        other => other,
    })
}

fn first_of<'a>(exprs: impl IntoIterator<Item = &'a Expr>) -> Option<crate::error::Position> {
    exprs.into_iter().find_map(first_position)
}

/// Whether `e` is a `JSON_OBJECT` or `JSON_ARRAY` call, whose value another one nests as JSON.
fn is_json_constructor(e: &Expr) -> bool {
    matches!(
        e.without_parentheses(),
        Expr::JsonObject { .. } | Expr::JsonArray { .. }
    )
}

/// Where the first column or function name of `expr` was written.
fn first_position(expr: &Expr) -> Option<crate::error::Position> {
    match expr {
        Expr::Column(path) => path.first().and_then(|i| i.loc.pos()),
        Expr::Function(f) => f
            .name
            .0
            .first()
            .and_then(|i| i.loc.pos())
            .or_else(|| first_of(&f.args)),
        Expr::Literal(_) | Expr::Interval { .. } | Expr::Unit(_) | Expr::Wildcard => None,
        Expr::Unary { expr, .. }
        | Expr::Nested(expr)
        | Expr::Cast { expr, .. }
        | Expr::IsNull { expr, .. }
        | Expr::IsUnknown { expr, .. }
        | Expr::IsBool { expr, .. }
        | Expr::IsJson { expr, .. }
        | Expr::Extract { expr, .. }
        | Expr::FloorCeil { expr, .. }
        | Expr::InSubquery { expr, .. } => first_position(expr),
        Expr::Binary { left, right, .. } | Expr::IsDistinctFrom { left, right, .. } => {
            first_position(left).or_else(|| first_position(right))
        }
        Expr::Between { expr, low, high, .. } => first_of([&**expr, &**low, &**high]),
        Expr::InList { expr, list, .. } => first_position(expr).or_else(|| first_of(list)),
        Expr::Like { expr, pattern, .. } => first_position(expr).or_else(|| first_position(pattern)),
        Expr::Position { needle, haystack } => first_position(needle).or_else(|| first_position(haystack)),
        Expr::JsonObject { entries, .. } => entries
            .iter()
            .find_map(|(k, v)| first_position(k).or_else(|| first_position(v))),
        Expr::JsonArray { values, .. } | Expr::Overlaps(values) => first_of(values),
        Expr::JsonExists { json, path, .. } | Expr::JsonQuery { json, path, .. } => {
            first_position(json).or_else(|| first_position(path))
        }
        Expr::Overlay {
            expr,
            placing,
            from,
            length,
        } => first_of(
            [&**expr, &**placing, &**from]
                .into_iter()
                .chain(length.as_deref()),
        ),
        Expr::Trim { chars, expr, .. } => {
            first_position(expr).or_else(|| chars.as_deref().and_then(first_position))
        }
        Expr::Array(items) | Expr::Map(items) => first_of(items),
        Expr::Index { expr, index } => first_position(expr).or_else(|| first_position(index)),
        Expr::Case {
            operand,
            whens,
            else_result,
        } => operand
            .as_deref()
            .and_then(first_position)
            .or_else(|| {
                whens
                    .iter()
                    .find_map(|(c, r)| first_position(c).or_else(|| first_position(r)))
            })
            .or_else(|| else_result.as_deref().and_then(first_position)),
        Expr::Exists { .. } | Expr::Subquery(_) => None,
    }
}

fn bind_unfolded(expr: &Expr, scope: &dyn Scope) -> Result<BoundExpr> {
    match expr {
        Expr::Column(path) => scope.column(path),
        Expr::Nested(e) => bind(e, scope),
        Expr::Literal(lit) => bind_literal(lit),
        Expr::Interval { value, unit, to } => bind_literal_interval(value, *unit, *to),
        // A unit argument (TIMESTAMPADD/TIMESTAMPDIFF) travels as its name.
        Expr::Unit(u) => Ok(BoundExpr::Literal {
            value: Value::String(u.name().to_string()),
            ty: DataType::new(TypeKind::Varchar(MAX_LENGTH)).not_null(),
        }),
        Expr::Unary { op, expr } => bind_unary(op, expr, scope),
        Expr::Binary { left, op, right } => {
            let l = bind(left, scope)?;
            let r = bind(right, scope)?;
            bind_binary(*op, l, r)
        }
        Expr::IsNull { expr, negated } | Expr::IsUnknown { expr, negated } => {
            let e = bind(expr, scope)?;
            let f = if *negated {
                ScalarFunc::IsNotNull
            } else {
                ScalarFunc::IsNull
            };
            Ok(call(f, vec![e], boolean(false)))
        }
        Expr::IsBool { expr, value, negated } => {
            let e = expect_boolean(bind(expr, scope)?, "IS TRUE/FALSE")?;
            Ok(call(
                ScalarFunc::IsBool {
                    value: *value,
                    negated: *negated,
                },
                vec![e],
                boolean(false),
            ))
        }
        Expr::IsDistinctFrom { left, right, negated } => {
            let (l, r) = comparable(bind(left, scope)?, bind(right, scope)?, "IS DISTINCT FROM")?;
            Ok(call(
                ScalarFunc::IsDistinctFrom { negated: *negated },
                vec![l, r],
                boolean(false),
            ))
        }
        Expr::Cast { expr, ty, try_cast } => {
            let e = bind(expr, scope)?;
            if !is_untyped_null(&e) && !can_cast(&e.ty().kind, &ty.kind) {
                return Err(SqlError::validation(cast_error(&e.ty().kind, &ty.kind), None));
            }
            // Flink types a CAST as its operand's NULL-ability, even to a DECIMAL that may not
            // fit (which then gives NULL).
            let mut to = ty.clone();
            to.nullable = e.ty().nullable || *try_cast || is_untyped_null(&e);
            Ok(call(ScalarFunc::Cast { try_cast: *try_cast }, vec![e], to))
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let e = bind(expr, scope)?;
            let lo = numeric_literal(bind(low, scope)?, &e);
            let hi = numeric_literal(bind(high, scope)?, &e);
            let ge = bind_binary(BinaryOp::GtEq, e.clone(), lo)?;
            let le = bind_binary(BinaryOp::LtEq, e, hi)?;
            let both = logical(ScalarFunc::And, vec![ge, le]);
            Ok(if *negated { not(both) } else { both })
        }
        Expr::InList { expr, list, negated } => {
            let e = bind(expr, scope)?;
            let mut alternatives = Vec::with_capacity(list.len());
            for item in list {
                let item = numeric_literal(bind(item, scope)?, &e);
                alternatives.push(bind_binary(BinaryOp::Eq, e.clone(), item)?);
            }
            let any = logical(ScalarFunc::Or, alternatives);
            Ok(if *negated { not(any) } else { any })
        }
        Expr::Case {
            operand,
            whens,
            else_result,
        } => bind_case(operand.as_deref(), whens, else_result.as_deref(), scope),
        Expr::Function(f) => bind_function_call(f, scope),
        Expr::Extract { unit, expr } => bind_extract(unit, expr, scope),
        Expr::Position { needle, haystack } => {
            let n = expect_string(bind(needle, scope)?, "POSITION")?;
            let h = expect_string(bind(haystack, scope)?, "POSITION")?;
            let ty = nullable_like(TypeKind::Int, &[&n, &h]);
            Ok(call(ScalarFunc::String(StringFunc::Locate), vec![n, h], ty))
        }
        Expr::Overlay {
            expr,
            placing,
            from,
            length,
        } => bind_overlay(expr, placing, from, length, scope),
        Expr::JsonObject {
            entries,
            absent_on_null,
        } => {
            let mut args = Vec::with_capacity(entries.len() * 2);
            for (k, v) in entries {
                args.push(bind(k, scope)?);
                args.push(bind(v, scope)?);
            }
            let raw = entries.iter().map(|(_, v)| is_json_constructor(v)).collect();
            functions::bind_json_object(args, *absent_on_null, raw)
        }
        Expr::JsonArray {
            values,
            absent_on_null,
        } => {
            let args = values
                .iter()
                .map(|v| bind(v, scope))
                .collect::<Result<Vec<_>>>()?;
            let raw = values.iter().map(is_json_constructor).collect();
            functions::bind_json_array(args, *absent_on_null, raw)
        }
        Expr::IsJson { expr, kind, negated } => functions::bind_is_json(bind(expr, scope)?, *kind, *negated),
        Expr::Overlaps(points) => bind_overlaps(points, scope),
        Expr::JsonExists { json, path, on_error } => {
            let (json, path) = (bind(json, scope)?, bind(path, scope)?);
            functions::bind_json_exists(json, path, *on_error)
        }
        Expr::JsonQuery {
            json,
            path,
            wrapper,
            on_empty,
            on_error,
        } => {
            let (json, path) = (bind(json, scope)?, bind(path, scope)?);
            functions::bind_json_query(json, path, *wrapper, *on_empty, *on_error)
        }
        Expr::Trim { side, chars, expr } => {
            let e = expect_string(bind(expr, scope)?, "TRIM")?;
            let mut args = vec![e];
            if let Some(c) = chars {
                args.push(expect_string(bind(c, scope)?, "TRIM")?);
            }
            let side = side.unwrap_or(TrimSide::Both);
            let f = StringFunc::Trim {
                leading: side != TrimSide::Trailing,
                trailing: side != TrimSide::Leading,
            };
            let refs: Vec<&BoundExpr> = args.iter().collect();
            let ty = nullable_like(TypeKind::Varchar(MAX_LENGTH), &refs);
            Ok(call(ScalarFunc::String(f), args, ty))
        }
        Expr::FloorCeil { ceil, expr, unit } => bind_floor_ceil(ceil, expr, unit, scope),
        Expr::Array(items) => bind_array(items, scope),
        Expr::Map(items) => bind_map(items, scope),
        Expr::Index { expr, index } => bind_index(expr, index, scope),
        Expr::Like {
            expr,
            negated,
            similar,
            pattern,
            escape,
        } => bind_like(expr, *negated, *similar, pattern, escape, scope),
        Expr::Subquery(_) | Expr::InSubquery { .. } | Expr::Exists { .. } => Err(SqlError::validation(
            "subqueries are not supported in this expression",
            None,
        )),
        Expr::Wildcard => Err(SqlError::validation(
            "'*' is only valid in COUNT(*) and SELECT *",
            None,
        )),
    }
}

/// A named function call: an aggregate here is refused by name; user functions first, then the built-ins.
fn bind_function_call(f: &crate::ast::Function, scope: &dyn Scope) -> Result<BoundExpr> {
    let name = f.name.base().to_ascii_uppercase();
    let pos = f.name.0.last().and_then(|i| i.loc.pos());
    if f.over.is_some() {
        return Err(SqlError::not_yet_in_streaming(
            format!("the OVER window function call {f}"),
            pos,
        ));
    }
    // Flink's aggregates that Spate has not got say so, not that they are misplaced.
    if UNSUPPORTED_AGGREGATES.contains(&name.as_str()) {
        return Err(SqlError::validation(
            format!("aggregate function {name} is not supported yet"),
            pos,
        ));
    }
    if AGGREGATES.contains(&name.as_str()) {
        return Err(SqlError::validation(
            format!("aggregate or window function {name} is not valid here"),
            pos,
        ));
    }
    if f.distinct || f.filter.is_some() {
        return Err(SqlError::validation(
            format!("DISTINCT and FILTER apply only to aggregate functions, not to {name}"),
            pos,
        ));
    }
    let args = f
        .args
        .iter()
        .map(|a| bind(a, scope))
        .collect::<Result<Vec<_>>>()?;
    if let Some(udf) = super::udf::lookup(&name) {
        return bind_udf(&udf, args, pos);
    }
    functions::bind_function(Call { name, args, pos })
}

/// `e [NOT] LIKE pattern [ESCAPE c]` and `e [NOT] SIMILAR TO pattern [ESCAPE c]`: a constant
/// pattern compiles to a regular expression once.
fn bind_like(
    expr: &Expr,
    negated: bool,
    similar: bool,
    pattern: &Expr,
    escape: &Option<String>,
    scope: &dyn Scope,
) -> Result<BoundExpr> {
    let what = if similar { "SIMILAR TO" } else { "LIKE" };
    let e = expect_string(bind(expr, scope)?, what)?;
    let p = expect_string(bind(pattern, scope)?, what)?;
    let escape = match escape.as_deref() {
        None => None,
        Some(s) => {
            let mut cs = s.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => Some(c),
                _ => {
                    return Err(SqlError::validation(
                        format!("the ESCAPE of {what} is one character, not '{s}'"),
                        None,
                    ));
                }
            }
        }
    };
    let compiled = match p.constant_value().as_ref() {
        Some(Value::String(text)) => {
            let re = pattern_regex(text, escape, similar).map_err(|m| SqlError::validation(m, None))?;
            Some(Compiled(Arc::new(re)))
        }
        _ => None,
    };
    let ty = nullable_like(TypeKind::Boolean, &[&e, &p]);
    Ok(call(
        ScalarFunc::Like {
            negated,
            similar,
            escape,
            compiled,
        },
        vec![e, p],
        ty,
    ))
}

/// `OVERLAY(e PLACING s FROM i [FOR n])`.
fn bind_overlay(
    expr: &Expr,
    placing: &Expr,
    from: &Expr,
    length: &Option<Box<Expr>>,
    scope: &dyn Scope,
) -> Result<BoundExpr> {
    let args = [expr, placing, from]
        .into_iter()
        .chain(length.as_deref())
        .map(|a| bind(a, scope))
        .collect::<Result<Vec<_>>>()?;
    functions::bind_function(Call {
        name: "OVERLAY".into(),
        args,
        pos: first_position(expr),
    })
}

/// `NOT e`, `+e`, `-e`.
fn bind_unary(op: &UnaryOp, expr: &Expr, scope: &dyn Scope) -> Result<BoundExpr> {
    let e = bind(expr, scope)?;
    match op {
        UnaryOp::Not => Ok(not(expect_boolean(e, "NOT")?)),
        UnaryOp::Plus => Ok(e),
        UnaryOp::Minus => {
            let k = &e.ty().kind;
            if !(is_numeric(k) || matches!(k, TypeKind::IntervalDayTime | TypeKind::IntervalYearMonth)) {
                return Err(SqlError::validation(
                    format!("cannot apply '-' to an argument of type {}", describe(&e)),
                    None,
                ));
            }
            let ty = e.ty().clone();
            Ok(call(ScalarFunc::Negate, vec![e], ty))
        }
    }
}

/// `EXTRACT(unit FROM e)`: a date, time, timestamp or interval; a `TIME` only for time units.
fn bind_extract(unit: &TimeUnit, expr: &Expr, scope: &dyn Scope) -> Result<BoundExpr> {
    let e = bind(expr, scope)?;
    let k = &e.ty().kind;
    let ok = is_datetime(k)
        || matches!(
            k,
            TypeKind::Time(_) | TypeKind::IntervalDayTime | TypeKind::IntervalYearMonth
        );
    if !ok {
        return Err(SqlError::validation(
            format!(
                "EXTRACT({} FROM ..) takes a date, time, timestamp or interval, not {}",
                unit.name(),
                describe(&e)
            ),
            None,
        ));
    }
    let time_unit = matches!(
        unit,
        TimeUnit::Hour | TimeUnit::Minute | TimeUnit::Second | TimeUnit::Millisecond | TimeUnit::Microsecond
    );
    if matches!(k, TypeKind::Time(_)) && !time_unit {
        return Err(SqlError::validation(
            format!("EXTRACT({} FROM ..) cannot be applied to a TIME", unit.name()),
            None,
        ));
    }
    let ty = nullable_like(TypeKind::BigInt, &[&e]);
    Ok(call(ScalarFunc::Time(TimeFunc::Extract(*unit)), vec![e], ty))
}

/// `FLOOR(e TO unit)` / `CEIL(e TO unit)` of a date or timestamp.
fn bind_floor_ceil(ceil: &bool, expr: &Expr, unit: &TimeUnit, scope: &dyn Scope) -> Result<BoundExpr> {
    let e = bind(expr, scope)?;
    if !is_datetime(&e.ty().kind) {
        return Err(SqlError::validation(
            format!(
                "{}(.. TO {}) takes a date or timestamp, not {}",
                if *ceil { "CEIL" } else { "FLOOR" },
                unit.name(),
                describe(&e)
            ),
            None,
        ));
    }
    let ty = e.ty().clone();
    Ok(call(
        ScalarFunc::Time(TimeFunc::FloorCeil {
            ceil: *ceil,
            unit: *unit,
        }),
        vec![e],
        ty,
    ))
}

/// `ARRAY[a, b, ..]`: the elements widened to their common type.
fn bind_array(items: &[Expr], scope: &dyn Scope) -> Result<BoundExpr> {
    let items = items.iter().map(|i| bind(i, scope)).collect::<Result<Vec<_>>>()?;
    let refs: Vec<&BoundExpr> = items.iter().collect();
    let el = common_type_of(&refs, "ARRAY[..]")?
        .ok_or_else(|| SqlError::validation("ARRAY[..] needs an element with a type", None))?;
    let items = items.into_iter().map(|i| coerce(i, &el)).collect();
    Ok(call(
        ScalarFunc::ArrayCtor,
        items,
        DataType::new(TypeKind::Array(Box::new(el))).not_null(),
    ))
}

/// `e[i]`: an array element (1-based), a map value or a row field.
fn bind_index(expr: &Expr, index: &Expr, scope: &dyn Scope) -> Result<BoundExpr> {
    let e = bind(expr, scope)?;
    let i = bind(index, scope)?;
    let (el, i) = match &e.ty().kind {
        TypeKind::Array(el) => {
            if !(is_integer(&i.ty().kind) || is_untyped_null(&i)) {
                return Err(SqlError::validation(
                    format!("an ARRAY index is an integer, not {}", describe(&i)),
                    None,
                ));
            }
            // A literal below 1 is refused at plan time, as Flink does; a computed
            // one fails the job when it is evaluated.
            if let BoundExpr::Literal {
                value: Value::Int(n), ..
            } = &i
                && *n < 1
            {
                return Err(SqlError::validation(
                    format!("array index {n} is out of bounds: ARRAY elements are numbered from 1"),
                    first_position(index),
                ));
            }
            ((**el).clone(), i)
        }
        TypeKind::Map(k, v) => {
            let key = (**k).clone();
            let (_, i) = comparable(
                BoundExpr::Literal {
                    value: Value::Null,
                    ty: key.clone(),
                },
                i,
                "MAP key",
            )?;
            ((**v).clone(), coerce(i, &key))
        }
        _ => {
            return Err(SqlError::validation(
                format!("only an ARRAY or a MAP can be indexed, not {}", describe(&e)),
                None,
            ));
        }
    };
    let ty = DataType {
        kind: el.kind,
        nullable: true,
    };
    Ok(call(ScalarFunc::Index, vec![e, i], ty))
}

fn bind_case(
    operand: Option<&Expr>,
    whens: &[(Expr, Expr)],
    else_result: Option<&Expr>,
    scope: &dyn Scope,
) -> Result<BoundExpr> {
    let operand = operand.map(|o| bind(o, scope)).transpose()?;
    let mut conds = Vec::with_capacity(whens.len());
    let mut results = Vec::with_capacity(whens.len() + 1);
    for (cond, result) in whens {
        let c = bind(cond, scope)?;
        let c = match &operand {
            Some(o) => bind_binary(BinaryOp::Eq, o.clone(), c)?,
            None => expect_boolean(c, "CASE WHEN")?,
        };
        conds.push(c);
        results.push(bind(result, scope)?);
    }
    let has_else = else_result.is_some();
    if let Some(e) = else_result {
        results.push(bind(e, scope)?);
    }
    let refs: Vec<&BoundExpr> = results.iter().collect();
    let mut ty = common_type_of(&refs, "CASE")?
        .ok_or_else(|| SqlError::validation("CASE needs a result with a type, not only NULLs", None))?;
    ty.nullable = ty.nullable || !has_else || results.iter().any(is_untyped_null);
    let mut results = results.into_iter().map(|r| coerce(r, &ty));
    let mut out = Vec::with_capacity(conds.len() * 2 + 1);
    for c in conds {
        out.push(c);
        out.extend(results.next());
    }
    out.extend(results.next());
    Ok(call(ScalarFunc::Case, out, ty))
}

/// Flink's message for a cast it does not have (with its advice where it gives one).
fn cast_error(from: &TypeKind, to: &TypeKind) -> String {
    let numeric = is_numeric(from);
    match (from, to) {
        (TypeKind::Timestamp(_), t) if is_numeric(t) => format!(
            "the cast from {from} to {to} is not allowed; use UNIX_TIMESTAMP(CAST(ts AS STRING)) instead"
        ),
        (_, TypeKind::Timestamp(_)) if numeric => format!(
            "the cast from {from} to {to} is not allowed; use TO_TIMESTAMP(FROM_UNIXTIME(seconds)) instead"
        ),
        (_, TypeKind::TimestampLtz(_)) if numeric => {
            format!("the cast from {from} to {to} is not allowed; use TO_TIMESTAMP_LTZ(n, precision) instead")
        }
        _ => format!("the cast from {from} to {to} is not allowed"),
    }
}

/// The field `name` of a `ROW`-typed expression (`t.r.name`): scopes call it for the parts of
/// a column path past the column. The error for a missing field names the nearest one.
pub fn bind_field(base: BoundExpr, name: &str) -> Result<BoundExpr> {
    let TypeKind::Row(fields) = &base.ty().kind else {
        return Err(SqlError::validation(
            format!(
                "'{name}' is a field access, but the value is a {}, not a ROW",
                base.ty().kind
            ),
            None,
        ));
    };
    let Some(index) = fields.iter().position(|f| f.name.as_str() == name) else {
        let names = fields.iter().map(|f| f.name.as_str());
        return Err(SqlError::validation(
            format!(
                "the ROW has no field '{name}'{}",
                crate::suggest::did_you_mean(name, names)
            ),
            None,
        ));
    };
    let mut ty = fields[index].ty.clone();
    ty.nullable = ty.nullable || base.ty().nullable;
    Ok(call(ScalarFunc::Field(index), vec![base], ty))
}

/// A call of a user-defined function: the arguments cast to its declared types.
fn bind_udf(
    udf: &std::sync::Arc<super::udf::ScalarUdf>,
    args: Vec<BoundExpr>,
    pos: Option<crate::error::Position>,
) -> Result<BoundExpr> {
    if args.len() != udf.args.len() {
        return Err(SqlError::validation(
            format!(
                "{} takes {} argument(s) ({}), got {}",
                udf.name,
                udf.args.len(),
                udf.args
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                args.len()
            ),
            pos,
        ));
    }
    let args = args
        .into_iter()
        .zip(&udf.args)
        .map(|(a, ty)| super::coerce(a, ty))
        .collect();
    Ok(BoundExpr::Call {
        func: ScalarFunc::Udf(udf.clone()),
        args,
        ty: udf.returns.clone(),
    })
}

/// A character-string literal compared with a number in `IN (..)` or `BETWEEN`, cast to the
/// number's type: Flink (Calcite's coercion of those operators) accepts `i IN ('5', '-3')` and
/// `i BETWEEN '0' AND '9'` on an `INT` column and compares numbers, while `i = '5'` stays an
/// error. Anything else is left as it is.
fn numeric_literal(item: BoundExpr, number: &BoundExpr) -> BoundExpr {
    let is_text_literal =
        matches!(&item, BoundExpr::Literal { ty, value } if is_string(&ty.kind) && !value.is_null());
    if !is_text_literal || !is_numeric(&number.ty().kind) {
        return item;
    }
    let mut to = number.ty().clone();
    to.nullable = item.ty().nullable;
    call(ScalarFunc::Cast { try_cast: false }, vec![item], to)
}

/// `MAP[k1, v1, ..]`: a `MAP<K, V> NOT NULL` of the keys' and the values' common types.
fn bind_map(items: &[Expr], scope: &dyn Scope) -> Result<BoundExpr> {
    let items = items.iter().map(|i| bind(i, scope)).collect::<Result<Vec<_>>>()?;
    let keys: Vec<&BoundExpr> = items.iter().step_by(2).collect();
    let values: Vec<&BoundExpr> = items.iter().skip(1).step_by(2).collect();
    if keys.is_empty() || keys.len() != values.len() {
        return Err(SqlError::validation(
            "MAP[..] takes keys and values in pairs: MAP[key1, value1, key2, value2, ..]",
            None,
        ));
    }
    let key_ty = common_type_of(&keys, "the keys of MAP[..]")?
        .ok_or_else(|| SqlError::validation("MAP[..] needs a key with a type", None))?;
    let value_ty = common_type_of(&values, "the values of MAP[..]")?
        .ok_or_else(|| SqlError::validation("MAP[..] needs a value with a type", None))?;
    let items = items
        .into_iter()
        .enumerate()
        .map(|(i, e)| coerce(e, if i % 2 == 0 { &key_ty } else { &value_ty }))
        .collect();
    Ok(call(
        ScalarFunc::MapCtor,
        items,
        DataType::new(TypeKind::Map(Box::new(key_ty), Box::new(value_ty))).not_null(),
    ))
}

/// `(p0, t0) OVERLAPS (p1, t1)` as Calcite's `convertOverlaps` writes it, which Flink runs: each
/// period's end is its second value, or its start plus it when it is an interval; each period's
/// ends are put in order (`CASE WHEN start <= end ..`, so a `NULL` end makes the start the end);
/// the periods overlap when each ends at or after the other starts.
fn bind_overlaps(points: &[Expr], scope: &dyn Scope) -> Result<BoundExpr> {
    let [p0, t0, p1, t1] = points else {
        return Err(SqlError::validation(
            "OVERLAPS takes two periods of two values each",
            None,
        ));
    };
    let (s0, e0) = overlaps_period(p0, t0, scope)?;
    let (s1, e1) = overlaps_period(p1, t1, scope)?;
    let left = bind_binary(BinaryOp::GtEq, e0, s1)?;
    let right = bind_binary(BinaryOp::GtEq, e1, s0)?;
    bind_binary(BinaryOp::And, left, right)
}

/// A period's start and end, in order.
fn overlaps_period(point: &Expr, temporal: &Expr, scope: &dyn Scope) -> Result<(BoundExpr, BoundExpr)> {
    let start = bind(point, scope)?;
    let temporal = bind(temporal, scope)?;
    let time_point = |k: &TypeKind| is_datetime(k) || matches!(k, TypeKind::Time(_));
    if !time_point(&start.ty().kind) {
        return Err(SqlError::validation(
            format!(
                "OVERLAPS takes periods that start at a date, time or timestamp, not {}",
                start.ty().kind
            ),
            first_position(point),
        ));
    }
    let end = match temporal.ty().kind {
        TypeKind::IntervalDayTime | TypeKind::IntervalYearMonth => {
            bind_binary(BinaryOp::Plus, start.clone(), temporal)?
        }
        _ => temporal,
    };
    let ty = common_type_of(&[&start, &end], "OVERLAPS")?.unwrap_or_else(|| start.ty().clone());
    let (start, end) = (coerce(start, &ty), coerce(end, &ty));
    let in_order = bind_binary(BinaryOp::LtEq, start.clone(), end.clone())?;
    let first = call(
        ScalarFunc::Case,
        vec![in_order.clone(), start.clone(), end.clone()],
        ty.clone(),
    );
    let last = call(ScalarFunc::Case, vec![in_order, end, start], ty);
    Ok((first, last))
}
