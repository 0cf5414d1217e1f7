//! [`bind`]: an AST expression → a typed [`BoundExpr`], with Flink's type rules.

use super::BoundExpr;
use super::func::{ArithOp, CmpOp, ScalarFunc};
use crate::ast::{BinaryOp, Expr, Literal, TimeUnit, UnaryOp};
use crate::error::{Result, SqlError};
use crate::ident::Ident;
use crate::types::{DataType, TypeKind};
use crate::value::Value;
use crate::{decimal, temporal};

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

/// Binds `expr` in `scope`.
pub fn bind(expr: &Expr, scope: &dyn Scope) -> Result<BoundExpr> {
    if let Some(done) = scope.substitute(expr) {
        return done;
    }
    match expr {
        Expr::Column(path) => scope.column(path),
        Expr::Nested(e) => bind(e, scope),
        Expr::Literal(lit) => bind_literal(lit),
        Expr::Interval { value, unit, to } => bind_literal_interval(value, *unit, *to),
        Expr::Unary { op, expr } => {
            let e = bind(expr, scope)?;
            match op {
                UnaryOp::Not => Ok(call(
                    ScalarFunc::Not,
                    vec![expect_boolean(e, "NOT")?],
                    boolean(true),
                )),
                UnaryOp::Plus => Ok(e),
                UnaryOp::Minus => {
                    let ty = e.ty().clone();
                    Ok(call(ScalarFunc::Negate, vec![e], ty))
                }
            }
        }
        Expr::Binary { left, op, right } => {
            let l = bind(left, scope)?;
            let r = bind(right, scope)?;
            bind_binary(*op, l, r)
        }
        Expr::IsNull { expr, negated } => {
            let e = bind(expr, scope)?;
            let f = if *negated {
                ScalarFunc::IsNotNull
            } else {
                ScalarFunc::IsNull
            };
            Ok(call(f, vec![e], boolean(false)))
        }
        Expr::Cast { expr, ty, try_cast } => {
            let e = bind(expr, scope)?;
            let mut to = ty.clone();
            to.nullable = to.nullable || e.ty().nullable || *try_cast;
            Ok(call(ScalarFunc::Cast { try_cast: *try_cast }, vec![e], to))
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let e = bind(expr, scope)?;
            let lo = bind(low, scope)?;
            let hi = bind(high, scope)?;
            let ge = bind_binary(BinaryOp::GtEq, e.clone(), lo)?;
            let le = bind_binary(BinaryOp::LtEq, e, hi)?;
            let both = logical(ScalarFunc::And, vec![ge, le]);
            Ok(if *negated { not(both) } else { both })
        }
        Expr::InList { expr, list, negated } => {
            let e = bind(expr, scope)?;
            let mut alternatives = Vec::with_capacity(list.len());
            for item in list {
                alternatives.push(bind_binary(BinaryOp::Eq, e.clone(), bind(item, scope)?)?);
            }
            let any = logical(ScalarFunc::Or, alternatives);
            Ok(if *negated { not(any) } else { any })
        }
        Expr::Case {
            operand,
            whens,
            else_result,
        } => {
            let operand = operand.as_ref().map(|o| bind(o, scope)).transpose()?;
            let mut args = Vec::new();
            let mut results = Vec::new();
            for (cond, result) in whens {
                let c = bind(cond, scope)?;
                let c = match &operand {
                    Some(o) => bind_binary(BinaryOp::Eq, o.clone(), c)?,
                    None => expect_boolean(c, "CASE WHEN")?,
                };
                args.push(c);
                results.push(bind(result, scope)?);
            }
            let else_result = else_result.as_ref().map(|e| bind(e, scope)).transpose()?;
            let mut all: Vec<&BoundExpr> = results.iter().collect();
            all.extend(else_result.iter());
            let mut ty = common_type(all.iter().map(|e| e.ty()), "CASE")?;
            ty.nullable = all.iter().any(|e| e.ty().nullable) || else_result.is_none();
            let mut out = Vec::with_capacity(args.len() * 2 + 1);
            for (c, r) in args.into_iter().zip(results) {
                out.push(c);
                out.push(coerce(r, &ty));
            }
            if let Some(e) = else_result {
                out.push(coerce(e, &ty));
            }
            Ok(call(ScalarFunc::Case, out, ty))
        }
        Expr::Function(f) => {
            let name = f.name.to_string().to_ascii_uppercase();
            let args = f
                .args
                .iter()
                .map(|a| bind(a, scope))
                .collect::<Result<Vec<_>>>()?;
            let pos = f.name.0.first().and_then(|i| i.loc.pos());
            match name.as_str() {
                "COALESCE" if !args.is_empty() => {
                    let mut ty = common_type(args.iter().map(|e| e.ty()), "COALESCE")?;
                    ty.nullable = args.iter().all(|a| a.ty().nullable);
                    let args = args.into_iter().map(|a| coerce(a, &ty)).collect();
                    Ok(call(ScalarFunc::Coalesce, args, ty))
                }
                "PROCTIME" if args.is_empty() => Ok(call(
                    ScalarFunc::Proctime,
                    vec![],
                    DataType::new(TypeKind::TimestampLtz(3)).not_null(),
                )),
                "CURRENT_WATERMARK" if args.len() == 1 => {
                    let ty = DataType::new(args[0].ty().kind.clone());
                    Ok(call(ScalarFunc::CurrentWatermark, args, ty))
                }
                _ => Err(SqlError::validation(
                    format!("no function named '{name}' taking {} argument(s)", args.len()),
                    pos,
                )),
            }
        }
        other => Err(SqlError::validation(
            format!("expression not supported here: {other}"),
            None,
        )),
    }
}

fn call(func: ScalarFunc, args: Vec<BoundExpr>, ty: DataType) -> BoundExpr {
    BoundExpr::Call { func, args, ty }
}

fn boolean(nullable: bool) -> DataType {
    DataType {
        kind: TypeKind::Boolean,
        nullable,
    }
}

fn not(e: BoundExpr) -> BoundExpr {
    let ty = e.ty().clone();
    call(ScalarFunc::Not, vec![e], ty)
}

fn logical(f: ScalarFunc, args: Vec<BoundExpr>) -> BoundExpr {
    let nullable = args.iter().any(|a| a.ty().nullable);
    call(f, args, boolean(nullable))
}

fn expect_boolean(e: BoundExpr, what: &str) -> Result<BoundExpr> {
    match e.ty().kind {
        TypeKind::Boolean => Ok(e),
        _ => Err(SqlError::validation(
            format!("{what} takes a BOOLEAN, not {}", e.ty()),
            None,
        )),
    }
}

/// `e` converted to `ty` (a no-op when it has that type already, NULL-ability aside).
pub(crate) fn coerce(e: BoundExpr, ty: &DataType) -> BoundExpr {
    if e.ty().kind == ty.kind {
        return e;
    }
    let mut to = ty.clone();
    to.nullable = e.ty().nullable;
    call(ScalarFunc::Cast { try_cast: false }, vec![e], to)
}

fn numeric_rank(k: &TypeKind) -> Option<u8> {
    Some(match k {
        TypeKind::TinyInt => 1,
        TypeKind::SmallInt => 2,
        TypeKind::Int => 3,
        TypeKind::BigInt => 4,
        TypeKind::Decimal { .. } => 5,
        TypeKind::Float => 6,
        TypeKind::Double => 7,
        _ => return None,
    })
}

/// The type every one of `types` converts to implicitly (Flink's least restrictive type).
pub(crate) fn common_type<'a>(types: impl Iterator<Item = &'a DataType>, what: &str) -> Result<DataType> {
    let mut acc: Option<DataType> = None;
    for t in types {
        acc = Some(match acc {
            None => t.clone(),
            Some(a) => {
                let nullable = a.nullable || t.nullable;
                let kind = match (&a.kind, &t.kind) {
                    (x, y) if x == y => x.clone(),
                    (
                        TypeKind::Decimal {
                            precision: p1,
                            scale: s1,
                        },
                        TypeKind::Decimal {
                            precision: p2,
                            scale: s2,
                        },
                    ) => {
                        let scale = (*s1).max(*s2);
                        let int = (p1 - s1).max(p2 - s2);
                        TypeKind::Decimal {
                            precision: (int + scale).min(38),
                            scale,
                        }
                    }
                    (TypeKind::Varchar(x) | TypeKind::Char(x), TypeKind::Varchar(y) | TypeKind::Char(y)) => {
                        TypeKind::Varchar((*x).max(*y))
                    }
                    (TypeKind::Timestamp(x), TypeKind::Timestamp(y)) => TypeKind::Timestamp((*x).max(*y)),
                    (TypeKind::TimestampLtz(x), TypeKind::TimestampLtz(y)) => {
                        TypeKind::TimestampLtz((*x).max(*y))
                    }
                    (x, y) => match (numeric_rank(x), numeric_rank(y)) {
                        (Some(rx), Some(ry)) => {
                            let (hi, lo) = if rx >= ry { (x, y) } else { (y, x) };
                            match (hi, lo) {
                                (TypeKind::Decimal { precision, scale }, lo) => {
                                    let int_digits = integer_digits(lo);
                                    TypeKind::Decimal {
                                        precision: (int_digits + scale).max(*precision).min(38),
                                        scale: *scale,
                                    }
                                }
                                (hi, _) => hi.clone(),
                            }
                        }
                        _ => {
                            return Err(SqlError::validation(
                                format!("{what}: {} and {} have no common type", a.kind, t.kind),
                                None,
                            ));
                        }
                    },
                };
                DataType { kind, nullable }
            }
        });
    }
    acc.ok_or_else(|| SqlError::validation(format!("{what} needs at least one argument"), None))
}

fn integer_digits(k: &TypeKind) -> u32 {
    match k {
        TypeKind::TinyInt => 3,
        TypeKind::SmallInt => 5,
        TypeKind::Int => 10,
        TypeKind::BigInt => 19,
        _ => 0,
    }
}

fn bind_binary(op: BinaryOp, l: BoundExpr, r: BoundExpr) -> Result<BoundExpr> {
    let cmp = |c: CmpOp| -> Result<BoundExpr> {
        let common = common_type([l.ty(), r.ty()].into_iter(), "comparison")?;
        let nullable = l.ty().nullable || r.ty().nullable;
        Ok(call(
            ScalarFunc::Compare(c),
            vec![coerce(l.clone(), &common), coerce(r.clone(), &common)],
            boolean(nullable),
        ))
    };
    let arith = |a: ArithOp| -> Result<BoundExpr> {
        let (lk, rk) = (&l.ty().kind, &r.ty().kind);
        if numeric_rank(lk).is_none() || numeric_rank(rk).is_none() {
            return Err(SqlError::validation(
                format!(
                    "cannot apply '{}' to arguments of type {} and {}",
                    op_symbol(a),
                    l.ty(),
                    r.ty()
                ),
                None,
            ));
        }
        let common = common_type([l.ty(), r.ty()].into_iter(), "arithmetic")?;
        let nullable = l.ty().nullable || r.ty().nullable || matches!(a, ArithOp::Divide | ArithOp::Modulo);
        let ty = DataType {
            kind: common.kind.clone(),
            nullable,
        };
        Ok(call(
            ScalarFunc::Arith(a),
            vec![coerce(l.clone(), &common), coerce(r.clone(), &common)],
            ty,
        ))
    };
    match op {
        BinaryOp::And => Ok(logical(
            ScalarFunc::And,
            vec![expect_boolean(l, "AND")?, expect_boolean(r, "AND")?],
        )),
        BinaryOp::Or => Ok(logical(
            ScalarFunc::Or,
            vec![expect_boolean(l, "OR")?, expect_boolean(r, "OR")?],
        )),
        BinaryOp::Eq => cmp(CmpOp::Eq),
        BinaryOp::NotEq => cmp(CmpOp::NotEq),
        BinaryOp::Lt => cmp(CmpOp::Lt),
        BinaryOp::LtEq => cmp(CmpOp::LtEq),
        BinaryOp::Gt => cmp(CmpOp::Gt),
        BinaryOp::GtEq => cmp(CmpOp::GtEq),
        BinaryOp::Plus => arith(ArithOp::Plus),
        BinaryOp::Minus => arith(ArithOp::Minus),
        BinaryOp::Multiply => arith(ArithOp::Multiply),
        BinaryOp::Divide => arith(ArithOp::Divide),
        BinaryOp::Modulo => arith(ArithOp::Modulo),
        BinaryOp::Concat => Err(SqlError::validation("'||' is not implemented yet", None)),
    }
}

fn op_symbol(a: ArithOp) -> &'static str {
    match a {
        ArithOp::Plus => "+",
        ArithOp::Minus => "-",
        ArithOp::Multiply => "*",
        ArithOp::Divide => "/",
        ArithOp::Modulo => "%",
    }
}

fn bind_literal(lit: &Literal) -> Result<BoundExpr> {
    let lit_of = |value: Value, kind: TypeKind| BoundExpr::Literal {
        value,
        ty: DataType::new(kind).not_null(),
    };
    Ok(match lit {
        Literal::Null => BoundExpr::Literal {
            value: Value::Null,
            // Flink's untyped NULL; it takes the type of its context through `coerce`.
            ty: DataType::new(TypeKind::Varchar(1)),
        },
        Literal::Boolean(b) => lit_of(Value::Boolean(*b), TypeKind::Boolean),
        Literal::String(s) => lit_of(
            Value::String(s.clone()),
            TypeKind::Char(s.chars().count().max(1) as u32),
        ),
        Literal::Number(text) => {
            if text.contains(['e', 'E']) {
                let f: f64 = text
                    .parse()
                    .map_err(|_| SqlError::validation(format!("bad number '{text}'"), None))?;
                lit_of(Value::Float(f), TypeKind::Double)
            } else if let Some((int, frac)) = text.split_once('.') {
                let scale = frac.len() as u32;
                let precision = (int.trim_start_matches('0').len() as u32 + scale).max(1);
                let d = decimal::parse(text, 38, scale)
                    .ok_or_else(|| SqlError::validation(format!("number out of range: {text}"), None))?;
                lit_of(Value::Decimal(d), TypeKind::Decimal { precision, scale })
            } else {
                match text.parse::<i64>() {
                    Ok(i) if i32::try_from(i).is_ok() => lit_of(Value::Int(i), TypeKind::Int),
                    Ok(i) => lit_of(Value::Int(i), TypeKind::BigInt),
                    Err(_) => {
                        let d = decimal::parse(text, 38, 0).ok_or_else(|| {
                            SqlError::validation(format!("number out of range: {text}"), None)
                        })?;
                        lit_of(
                            Value::Decimal(d),
                            TypeKind::Decimal {
                                precision: text.len() as u32,
                                scale: 0,
                            },
                        )
                    }
                }
            }
        }
        Literal::Date(s) => lit_of(
            Value::Date(temporal::parse_date(s).ok_or_else(|| bad_literal("DATE", s))?),
            TypeKind::Date,
        ),
        Literal::Time(s) => lit_of(
            Value::Time(temporal::parse_time(s).ok_or_else(|| bad_literal("TIME", s))?),
            TypeKind::Time(0),
        ),
        Literal::Timestamp(s) => {
            let precision = s.split_once('.').map_or(0, |(_, f)| f.len() as u32).min(9);
            lit_of(
                Value::Timestamp(temporal::parse_timestamp(s).ok_or_else(|| bad_literal("TIMESTAMP", s))?),
                TypeKind::Timestamp(precision),
            )
        }
    })
}

fn bad_literal(what: &str, s: &str) -> SqlError {
    SqlError::validation(format!("invalid {what} literal '{s}'"), None)
}

/// An `INTERVAL 'value' unit [TO unit]` literal (`INTERVAL '5' SECOND`, `INTERVAL '1' DAY`).
/// Day-time intervals are milliseconds, year-month intervals months.
pub fn bind_literal_interval(value: &str, unit: TimeUnit, to: Option<TimeUnit>) -> Result<BoundExpr> {
    let bad = || SqlError::validation(format!("invalid interval '{value}' {}", unit.name()), None);
    let text = value.trim();
    let (neg, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let sign = if neg { -1 } else { 1 };
    let ms_per = |u: TimeUnit| -> Option<i64> {
        Some(match u {
            TimeUnit::Day => 86_400_000,
            TimeUnit::Hour => 3_600_000,
            TimeUnit::Minute => 60_000,
            TimeUnit::Second => 1000,
            TimeUnit::Millisecond => 1,
            _ => return None,
        })
    };
    let interval = |kind: TypeKind, value: Value| BoundExpr::Literal {
        value,
        ty: DataType::new(kind).not_null(),
    };
    match (unit, to) {
        (TimeUnit::Year | TimeUnit::Month, _) => {
            let months = match (unit, to) {
                (TimeUnit::Year, Some(TimeUnit::Month)) => {
                    let (y, m) = text.split_once('-').ok_or_else(bad)?;
                    y.parse::<i32>().map_err(|_| bad())? * 12 + m.parse::<i32>().map_err(|_| bad())?
                }
                (TimeUnit::Year, None) => text.parse::<i32>().map_err(|_| bad())? * 12,
                (TimeUnit::Month, None) => text.parse::<i32>().map_err(|_| bad())?,
                _ => return Err(bad()),
            };
            Ok(interval(
                TypeKind::IntervalYearMonth,
                Value::IntervalMonths(sign as i32 * months),
            ))
        }
        (u, None) => {
            let per = ms_per(u).ok_or_else(bad)?;
            let millis = if u == TimeUnit::Second {
                let secs: f64 = text.parse().map_err(|_| bad())?;
                (secs * 1000.0).round() as i64
            } else {
                text.parse::<i64>()
                    .map_err(|_| bad())?
                    .checked_mul(per)
                    .ok_or_else(bad)?
            };
            Ok(interval(
                TypeKind::IntervalDayTime,
                Value::IntervalMillis(sign * millis),
            ))
        }
        (_, Some(_)) => {
            // `'1 10:00:00' DAY TO SECOND` and the like: days, then a time of day.
            let (days, time) = match text.split_once(' ') {
                Some((d, t)) => (d.parse::<i64>().map_err(|_| bad())?, t),
                None => (0, text),
            };
            let mut parts = time.split(':');
            let mut millis = days * 86_400_000;
            let units = [3_600_000i64, 60_000, 1000];
            let start = match unit {
                TimeUnit::Day | TimeUnit::Hour => 0,
                TimeUnit::Minute => 1,
                _ => 2,
            };
            for per in &units[start..] {
                match parts.next() {
                    Some(p) => millis += (p.parse::<f64>().map_err(|_| bad())? * *per as f64).round() as i64,
                    None => break,
                }
            }
            Ok(interval(
                TypeKind::IntervalDayTime,
                Value::IntervalMillis(sign * millis),
            ))
        }
    }
}

/// The milliseconds of a constant day-time interval expression (window sizes, gaps, offsets,
/// watermark delays).
pub(crate) fn interval_millis(e: &BoundExpr) -> Option<i64> {
    match e.as_literal() {
        Some(Value::IntervalMillis(ms)) => Some(*ms),
        _ => None,
    }
}
