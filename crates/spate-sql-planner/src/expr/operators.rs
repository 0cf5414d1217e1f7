//! Infix operators: comparisons (with Flink's implicit conversions and its errors naming both
//! types), arithmetic on numbers (result types from [`super::typing`]) and on dates, times and
//! intervals, `AND`/`OR`, `||`, and the `LIKE` pattern translation.

use super::BoundExpr;
use super::arith_op::ArithOp;
use super::coerce::coerce;
use super::construct::{boolean, call, describe, expect_boolean, logical, nullable_like};
use super::func::{CmpOp, ScalarFunc};
use super::typing::{
    as_decimal, common_kind, is_datetime, is_integer, is_numeric, is_string, is_untyped_null,
    numeric_arith_type,
};
use crate::ast::BinaryOp;
use crate::error::{Result, SqlError};
use crate::types::{DataType, MAX_LENGTH, TypeKind};

/// Two operands made comparable (`=`, `<`, `IS DISTINCT FROM`, `IN`): numbers meet at their
/// common type, a string next to a date/time is cast to it, an untyped `NULL` takes the other
/// side's type. Anything else is an error naming both types, as Flink's.
pub(super) fn comparable(l: BoundExpr, r: BoundExpr, op: &str) -> Result<(BoundExpr, BoundExpr)> {
    match (is_untyped_null(&l), is_untyped_null(&r)) {
        (true, true) => {
            let t = DataType::new(TypeKind::Boolean);
            return Ok((coerce(l, &t), coerce(r, &t)));
        }
        (true, false) => {
            let t = r.ty().clone();
            return Ok((coerce(l, &t), r));
        }
        (false, true) => {
            let t = l.ty().clone();
            return Ok((l, coerce(r, &t)));
        }
        _ => {}
    }
    let (lk, rk) = (&l.ty().kind, &r.ty().kind);
    let temporal = |k: &TypeKind| is_datetime(k) || matches!(k, TypeKind::Time(_));
    if is_string(lk) && temporal(rk) {
        let t = r.ty().clone();
        return Ok((coerce(l, &t), r));
    }
    if temporal(lk) && is_string(rk) {
        let t = l.ty().clone();
        return Ok((l, coerce(r, &t)));
    }
    let mixes_date = matches!(
        (lk, rk),
        (TypeKind::Date, TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_))
    ) || matches!(
        (rk, lk),
        (TypeKind::Date, TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_))
    );
    let common = if mixes_date { None } else { common_kind(lk, rk) };
    let Some(kind) = common else {
        return Err(SqlError::validation(
            format!("cannot apply '{op}' to arguments of type {lk} and {rk}"),
            None,
        ));
    };
    // Strings of any length, and timestamps with and without zone, compare without a cast.
    let needs_cast = |k: &TypeKind| {
        let same_family = (is_string(k) && is_string(&kind)) || (is_datetime(k) && is_datetime(&kind));
        !same_family && *k != kind
    };
    let t = DataType::new(kind.clone());
    let l = if needs_cast(lk) { coerce(l, &t) } else { l };
    let r = if needs_cast(&r.ty().kind) {
        coerce(r, &t)
    } else {
        r
    };
    Ok((l, r))
}

pub(super) fn bind_binary(op: BinaryOp, l: BoundExpr, r: BoundExpr) -> Result<BoundExpr> {
    let cmp = |c: CmpOp, l: BoundExpr, r: BoundExpr| -> Result<BoundExpr> {
        let (l, r) = comparable(l, r, op.symbol())?;
        let nullable = l.ty().nullable || r.ty().nullable;
        Ok(call(ScalarFunc::Compare(c), vec![l, r], boolean(nullable)))
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
        BinaryOp::Eq => cmp(CmpOp::Eq, l, r),
        BinaryOp::NotEq => cmp(CmpOp::NotEq, l, r),
        BinaryOp::Lt => cmp(CmpOp::Lt, l, r),
        BinaryOp::LtEq => cmp(CmpOp::LtEq, l, r),
        BinaryOp::Gt => cmp(CmpOp::Gt, l, r),
        BinaryOp::GtEq => cmp(CmpOp::GtEq, l, r),
        BinaryOp::Plus => bind_arith(ArithOp::Plus, l, r),
        BinaryOp::Minus => bind_arith(ArithOp::Minus, l, r),
        BinaryOp::Multiply => bind_arith(ArithOp::Multiply, l, r),
        BinaryOp::Divide => bind_arith(ArithOp::Divide, l, r),
        BinaryOp::Modulo => bind_arith(ArithOp::Modulo, l, r),
        BinaryOp::Concat => {
            let cannot = || {
                SqlError::validation(
                    format!(
                        "cannot apply '||' to arguments of type {} and {} ('||' takes two strings)",
                        describe(&l),
                        describe(&r)
                    ),
                    None,
                )
            };
            let len = |k: &TypeKind| match k {
                TypeKind::Char(n) | TypeKind::Varchar(n) => Some(*n),
                _ => None,
            };
            let (Some(a), Some(b)) = (len(&l.ty().kind), len(&r.ty().kind)) else {
                return Err(cannot());
            };
            if is_untyped_null(&l) || is_untyped_null(&r) {
                return Err(cannot());
            }
            let n = a.saturating_add(b).min(MAX_LENGTH);
            let kind = match (&l.ty().kind, &r.ty().kind) {
                (TypeKind::Char(_), TypeKind::Char(_)) => TypeKind::Char(n),
                _ => TypeKind::Varchar(n),
            };
            let ty = nullable_like(kind, &[&l, &r]);
            Ok(call(ScalarFunc::Concat, vec![l, r], ty))
        }
    }
}

/// Arithmetic: numbers (Flink's result types, see [`super::typing`]), and date/time ±
/// interval, interval ± interval, interval × number.
fn bind_arith(op: ArithOp, l: BoundExpr, r: BoundExpr) -> Result<BoundExpr> {
    let cannot = |extra: &str| {
        SqlError::validation(
            format!(
                "cannot apply '{}' to arguments of type {} and {}{extra}",
                op.symbol(),
                describe(&l),
                describe(&r)
            ),
            None,
        )
    };
    if is_untyped_null(&l) || is_untyped_null(&r) {
        return Err(cannot(" (an untyped NULL needs a CAST here)"));
    }
    let (lk, rk) = (l.ty().kind.clone(), r.ty().kind.clone());
    let nullable = l.ty().nullable || r.ty().nullable;
    let is_interval = |k: &TypeKind| matches!(k, TypeKind::IntervalDayTime | TypeKind::IntervalYearMonth);
    let is_moment = |k: &TypeKind| is_datetime(k) || matches!(k, TypeKind::Time(_));
    let kind = match op {
        ArithOp::Plus | ArithOp::Minus if is_moment(&lk) && is_interval(&rk) => lk.clone(),
        ArithOp::Plus if is_interval(&lk) && is_moment(&rk) => rk.clone(),
        ArithOp::Plus | ArithOp::Minus if is_interval(&lk) && lk == rk => lk.clone(),
        ArithOp::Multiply if is_interval(&lk) && is_numeric(&rk) => lk.clone(),
        ArithOp::Multiply if is_numeric(&lk) && is_interval(&rk) => rk.clone(),
        ArithOp::Divide if is_interval(&lk) && is_numeric(&rk) => lk.clone(),
        _ if is_moment(&lk) && is_moment(&rk) && op == ArithOp::Minus => {
            return Err(cannot(
                "; use TIMESTAMPDIFF(unit, a, b) for the time between two moments",
            ));
        }
        _ if is_numeric(&lk) && is_numeric(&rk) => {
            let exact = |k: &TypeKind| is_integer(k) || matches!(k, TypeKind::Decimal { .. });
            if op == ArithOp::Modulo && !(exact(&lk) && exact(&rk)) {
                return Err(cannot(" ('%' takes exact numerics)"));
            }
            let kind = numeric_arith_type(op, &lk, &rk).ok_or_else(|| cannot(""))?;
            let (l, r) = match &kind {
                // Decimal operands keep their own scales (the evaluator aligns them); integers
                // become the DECIMAL they are.
                TypeKind::Decimal { .. } => (to_decimal(l), to_decimal(r)),
                TypeKind::Float | TypeKind::Double => {
                    let t = DataType::new(kind.clone());
                    (coerce(l, &t), coerce(r, &t))
                }
                _ => (l, r),
            };
            return Ok(call(
                ScalarFunc::Arith(op),
                vec![l, r],
                DataType { kind, nullable },
            ));
        }
        _ => return Err(cannot("")),
    };
    Ok(call(
        ScalarFunc::Arith(op),
        vec![l, r],
        DataType { kind, nullable },
    ))
}

/// An exact numeric as the `DECIMAL` it is (`INT` → `DECIMAL(10, 0)`).
fn to_decimal(e: BoundExpr) -> BoundExpr {
    match as_decimal(&e.ty().kind) {
        Some((precision, scale)) if is_integer(&e.ty().kind) => {
            coerce(e, &DataType::new(TypeKind::Decimal { precision, scale }))
        }
        _ => e,
    }
}

/// The regular expression a `LIKE` pattern means (`%` any run, `_` one character, `escape`
/// makes the next character literal).
/// The regular expression of a `LIKE` or (`similar`) `SIMILAR TO` pattern.
pub(crate) fn pattern_regex(
    pattern: &str,
    escape: Option<char>,
    similar: bool,
) -> std::result::Result<regex::Regex, String> {
    if similar {
        similar_regex(pattern, escape)
    } else {
        like_regex(pattern, escape)
    }
}

/// The characters with a meaning in a `SIMILAR TO` pattern (Calcite's `SQL_SIMILAR_SPECIALS`).
const SIMILAR_SPECIALS: &str = "[]()|^-+*_%?{}";

/// The POSIX classes a `SIMILAR TO` bracket expression may name, as the characters Java's
/// classes that Calcite maps them to take (ASCII only, as Java's `\p{Alpha}` and `\d` are).
const SIMILAR_CLASSES: [(&str, &str); 14] = [
    ("[:ALPHA:]", "a-zA-Z"),
    ("[:alpha:]", "a-zA-Z"),
    ("[:UPPER:]", "A-Z"),
    ("[:upper:]", "A-Z"),
    ("[:LOWER:]", "a-z"),
    ("[:lower:]", "a-z"),
    ("[:DIGIT:]", "0-9"),
    ("[:digit:]", "0-9"),
    ("[:SPACE:]", " "),
    ("[:space:]", " "),
    ("[:WHITESPACE:]", " \\t\\n\\x0B\\f\\r"),
    ("[:whitespace:]", " \\t\\n\\x0B\\f\\r"),
    ("[:ALNUM:]", "a-zA-Z0-9"),
    ("[:alnum:]", "a-zA-Z0-9"),
];

/// A `SIMILAR TO` pattern as a regular expression matched against the whole string, translated
/// as Calcite's `Like.sqlToRegexSimilar` translates it for Flink: `%` is any text (line breaks
/// too), `_` any one character but a line break; `|`, `*`, `+`, `?`, `{m,n}`, groups and
/// `[...]` (with `[:ALPHA:]`-style classes) keep their regular-expression meaning, and so do
/// `.` and `^`, which SQL does not give one but Calcite passes through; `\` and `$` are
/// literal. The escape character (none unless `ESCAPE` names one) makes the special character
/// after it (or itself) literal; before any other character it is an error, as are an
/// unbalanced `[` or `]` and a special character inside brackets.
pub(crate) fn similar_regex(
    pattern: &str,
    escape: Option<char>,
) -> std::result::Result<regex::Regex, String> {
    let invalid_escape = || format!("Invalid escape sequence '{pattern}'");
    let invalid = || format!("Invalid regular expression '{pattern}'");
    let literal = |c: char, re: &mut String| re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
    let chars: Vec<char> = pattern.chars().collect();
    let mut re = String::with_capacity(pattern.len() + 16);
    re.push_str("^(?:");
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if Some(c) == escape {
            let next = *chars.get(i + 1).ok_or_else(invalid_escape)?;
            if SIMILAR_SPECIALS.contains(next) || Some(next) == escape {
                literal(next, &mut re);
            } else {
                return Err(invalid_escape());
            }
            i += 2;
            continue;
        }
        match c {
            '_' => re.push_str("(?-s:.)"),
            '%' => re.push_str("(?s:.*)"),
            '[' => {
                re.push('[');
                i += 1;
                loop {
                    let Some(&c) = chars.get(i) else {
                        return Err(invalid());
                    };
                    if c == ']' {
                        re.push(']');
                        break;
                    }
                    if Some(c) == escape {
                        let next = *chars.get(i + 1).ok_or_else(invalid)?;
                        if SIMILAR_SPECIALS.contains(next) || Some(next) == escape {
                            literal(next, &mut re);
                        } else {
                            return Err(invalid());
                        }
                        i += 2;
                        continue;
                    }
                    if c == '-' || c == '^' {
                        re.push(c);
                    } else if c == '[' && chars.get(i + 1) == Some(&':') {
                        let rest: String = chars[i..].iter().take(16).collect();
                        let (name, class) = SIMILAR_CLASSES
                            .iter()
                            .find(|(name, _)| rest.starts_with(name))
                            .ok_or_else(invalid)?;
                        re.push_str(class);
                        i += name.chars().count();
                        continue;
                    } else if SIMILAR_SPECIALS.contains(c) {
                        return Err(invalid());
                    } else {
                        literal(c, &mut re);
                    }
                    i += 1;
                }
            }
            ']' => return Err(invalid()),
            '\\' | '$' => literal(c, &mut re),
            '.' => re.push_str("(?-s:.)"),
            _ => {
                if c.is_alphanumeric() || c.is_whitespace() || "()|^+*?{},-".contains(c) {
                    re.push(c);
                } else {
                    literal(c, &mut re);
                }
            }
        }
        i += 1;
    }
    re.push_str(")$");
    regex::Regex::new(&re).map_err(|e| format!("Invalid regular expression '{pattern}': {e}"))
}

pub(crate) fn like_regex(pattern: &str, escape: Option<char>) -> std::result::Result<regex::Regex, String> {
    let mut re = String::with_capacity(pattern.len() + 8);
    re.push_str("^(?s:");
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            match chars.next() {
                Some(n) => re.push_str(&regex::escape(n.encode_utf8(&mut [0; 4]))),
                None => return Err(format!("LIKE pattern '{pattern}' ends with its escape character")),
            }
        } else if c == '%' {
            re.push_str(".*");
        } else if c == '_' {
            re.push('.');
        } else {
            re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
        }
    }
    re.push_str(")$");
    regex::Regex::new(&re).map_err(|e| format!("LIKE pattern '{pattern}' is too large: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn similar(s: &str, p: &str, escape: Option<char>) -> Result<bool, String> {
        similar_regex(p, escape).map(|re| re.is_match(s))
    }

    #[test]
    fn similar_to_like_flink() {
        // Flink 2.3 (2026-11-27).
        assert_eq!(similar("a\nb", "a%", None), Ok(true));
        assert_eq!(similar("a\nb", "a_b", None), Ok(false));
        assert_eq!(similar("axb", "a.b", None), Ok(true));
        assert_eq!(similar("a^b", "a^b", None), Ok(false));
        assert_eq!(similar("a$b", "a$b", None), Ok(true));
        assert_eq!(similar("a\\b", "a\\b", None), Ok(true));
        assert_eq!(similar("ABC", "[[:upper:]]+", None), Ok(true));
        assert_eq!(similar("é", "[[:alpha:]]", None), Ok(false));
        assert_eq!(similar("ab", "a|b", None), Ok(false));
        assert_eq!(similar("a*", "a!*", None), Ok(false));
        assert_eq!(similar("a*", "a!*", Some('!')), Ok(true));
        assert_eq!(similar("a!", "a!!", Some('!')), Ok(true));
        assert!(similar("ab", "a!b", Some('!')).is_err());
        assert!(similar("ab", "a!", Some('!')).is_err());
        assert!(similar("ab", "a[b", None).is_err());
        assert!(similar("a]", "a]", None).is_err());
        assert!(similar("b", "[a_c]", None).is_err());
        assert!(similar("ab", "(ab", None).is_err());
    }
}
