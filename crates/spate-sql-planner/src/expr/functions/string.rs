//! String functions, with Flink's results on the edges (`SqlFunctionUtils` and
//! `BinaryStringDataUtil`): positions count characters from 1, `SUBSTRING` past either end is
//! empty, `LPAD` to a shorter length cuts, `SPLIT_INDEX` out of range is `NULL`, invalid
//! regular expressions give `NULL`. Results longer than [`MAX_RESULT_BYTES`] are an error
//! rather than an allocation that takes the process down.

use std::sync::Arc;

use super::{Arg, Call, charset, encoding, hash, inet, url};
use crate::error::Result;
use crate::expr::BoundExpr;
use crate::expr::context::EvalError;
use crate::expr::func::{Compiled, RegexKind, ScalarFunc};
use crate::expr::typing::{is_binary, is_integer, is_string};
use crate::types::{DataType, MAX_LENGTH, TypeKind};
use crate::value::Value;

/// The longest string a function builds (`REPEAT`, `LPAD`, `RPAD`, `CONCAT`).
pub(crate) const MAX_RESULT_BYTES: usize = 16 << 20;

/// A string function (arguments are strings and integers as each variant says; strict).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringFunc {
    /// `UPPER(s)`.
    Upper,
    /// `LOWER(s)`.
    Lower,
    /// `INITCAP(s)`: first letter of each word upper case, the rest lower (ASCII letters).
    InitCap,
    /// `TRIM`/`LTRIM`/`RTRIM`: `(s[, characters])`, removing any of the characters (default a
    /// space) from the chosen ends.
    Trim {
        /// From the start.
        leading: bool,
        /// From the end.
        trailing: bool,
    },
    /// `SUBSTRING(s, start[, length])`.
    Substring,
    /// `CHAR_LENGTH(s)`.
    CharLength,
    /// `REPLACE(s, search, replacement)`.
    Replace,
    /// `SPLIT_INDEX(s, separator, index)` (0-based).
    SplitIndex,
    /// `LPAD(s, length, pad)`.
    Lpad,
    /// `RPAD(s, length, pad)`.
    Rpad,
    /// `LOCATE(needle, s[, from])`, `POSITION(needle IN s)`: 1-based, 0 when absent.
    Locate,
    /// `LEFT(s, n)`.
    Left,
    /// `RIGHT(s, n)`.
    Right,
    /// `REVERSE(s)`.
    Reverse,
    /// `REPEAT(s, n)`.
    Repeat,
    /// `ASCII(s)`: the code of the first character (0 for an empty string).
    Ascii,
    /// `CHR(n)`: the character with code `n`.
    Chr,
    /// `MD5(s)`: lower-case hex.
    Md5,
    /// `SHA1(s)`.
    Sha1,
    /// `SHA256(s)`.
    Sha256,
    /// `SHA2(s, bits)` with 256 bits.
    Sha2,
    /// `HASH_CODE(s)`: Java's `String.hashCode`.
    HashCode,
    /// `INSTR(s, needle[, start[, occurrence]])`: 1-based position of the `occurrence`th
    /// `needle` searching from `start` (from the end when negative), 0 when absent.
    Instr,
    /// `OVERLAY(s PLACING r FROM start [FOR length])`.
    Overlay,
    /// `TO_BASE64(s)`: the UTF-8 bytes of a string (or the bytes of a `BYTES`) in base64.
    ToBase64,
    /// `FROM_BASE64(s)`: base64 text decoded into a string.
    FromBase64,
    /// `HEX(x)`: an integer's two's-complement digits or a string's UTF-8 bytes, upper case.
    Hex,
    /// `UNHEX(s)`: the bytes of hexadecimal text (Flink's `EncodingUtils.unhex`).
    Unhex,
    /// `ENCODE(s, charset)`: the text's bytes in a charset.
    Encode,
    /// `DECODE(bytes, charset)`: bytes in a charset as text.
    Decode,
    /// `INET_ATON(s)`: an IPv4 address (MySQL's short forms too) as a number.
    InetAton,
    /// `INET_NTOA(n)`: a number in `[0, 2^32)` as a dotted IPv4 address.
    InetNtoa,
    /// `PARSE_URL(url, part[, key])`.
    ParseUrl,
    /// `SPLIT(s, delimiter)`: `ARRAY<STRING>` of the pieces.
    Split,
    /// `STR_TO_MAP(s[, pair delimiter, key-value delimiter])`: `MAP<STRING, STRING>`.
    StrToMap,
    /// `TRANSLATE(s, from, to)`: each character of `from` in `s` becomes the one at its
    /// position in `to`, or is dropped when `to` is shorter.
    Translate,
    /// `SHA224(s)`, `SHA2(s, 224)`.
    Sha224,
    /// `SHA384(s)`, `SHA2(s, 384)`.
    Sha384,
    /// `SHA512(s)`, `SHA2(s, 512)`.
    Sha512,
    /// `STARTSWITH(s, prefix)`.
    StartsWith,
    /// `ENDSWITH(s, suffix)`.
    EndsWith,
    /// `URL_ENCODE(s)`: Java's `URLEncoder.encode(s, UTF-8)`.
    UrlEncode,
    /// `URL_DECODE(s)`: Java's `URLDecoder.decode(s, UTF-8)`, `NULL` where it throws.
    UrlDecode,
    /// `IS_ALPHA(s)` on a non-NULL string (the binder makes `NULL` `FALSE`): every character
    /// a letter (Java's `Character.isLetter`), and at least one.
    IsAlpha,
    /// `IS_DIGIT(s)`: every character a digit (`Character.isDigit`), and at least one.
    IsDigit,
    /// `IS_DECIMAL(s)`: whether Java's `Double.parseDouble` reads `s`.
    IsDecimal,
    /// `JSON_QUOTE(s)`: `s` as a JSON string literal, escaped as Flink escapes it.
    JsonQuote,
    /// `JSON_UNQUOTE(s)`: the text of a JSON string literal, `s` itself when it is none.
    JsonUnquote,
    /// `BIN(n)`: the two's-complement binary digits of a `BIGINT`.
    Bin,
}

impl StringFunc {
    /// All string functions are strict.
    pub fn is_strict(&self) -> bool {
        true
    }
}

/// The names bound here.
pub(super) const NAMES: &[&str] = &[
    "UPPER",
    "LOWER",
    "INITCAP",
    "LTRIM",
    "RTRIM",
    "BTRIM",
    "SUBSTRING",
    "SUBSTR",
    "CONCAT",
    "CONCAT_WS",
    "CHAR_LENGTH",
    "CHARACTER_LENGTH",
    "REPLACE",
    "REGEXP_EXTRACT",
    "REGEXP_REPLACE",
    "REGEXP",
    "SPLIT_INDEX",
    "LPAD",
    "RPAD",
    "POSITION",
    "LOCATE",
    "LEFT",
    "RIGHT",
    "REVERSE",
    "REPEAT",
    "ASCII",
    "CHR",
    "MD5",
    "SHA1",
    "SHA256",
    "SHA2",
    "INSTR",
    "OVERLAY",
    "TO_BASE64",
    "FROM_BASE64",
    "HEX",
    "UNHEX",
    "ENCODE",
    "DECODE",
    "INET_ATON",
    "INET_NTOA",
    "PARSE_URL",
    "TRANSLATE",
    "SHA224",
    "SHA384",
    "SHA512",
    "STARTSWITH",
    "ENDSWITH",
    "URL_ENCODE",
    "URL_DECODE",
    "IS_ALPHA",
    "IS_DIGIT",
    "IS_DECIMAL",
    "JSON_QUOTE",
    "JSON_UNQUOTE",
    "BIN",
    "ELT",
    "REGEXP_COUNT",
    "REGEXP_INSTR",
    "REGEXP_SUBSTR",
    "REGEXP_EXTRACT_ALL",
];

fn string() -> TypeKind {
    TypeKind::Varchar(MAX_LENGTH)
}

/// The declared length of a `CHAR`/`VARCHAR` argument.
fn string_length(e: &BoundExpr) -> Option<u32> {
    match e.ty().kind {
        TypeKind::Char(n) | TypeKind::Varchar(n) => Some(n),
        _ => None,
    }
}

pub(super) fn bind(mut c: Call) -> Result<BoundExpr> {
    use Arg::{Int, Str};
    use StringFunc as F;
    let simple =
        |mut c: Call, f: StringFunc, sig: &[Arg], req: usize, takes: &str, kind: TypeKind, null: bool| {
            c.check(sig, req, takes)?;
            Ok(c.done(ScalarFunc::String(f), kind, null))
        };
    match c.name.as_str() {
        // These keep their argument's type (`UPPER('aBc')` is a `CHAR(3)` in Flink).
        "UPPER" | "LOWER" | "INITCAP" => {
            c.check(&[Str], 1, "(STRING)")?;
            let f = match c.name.as_str() {
                "UPPER" => F::Upper,
                "LOWER" => F::Lower,
                _ => F::InitCap,
            };
            let kind = c.args[0].ty().kind.clone();
            Ok(c.done(ScalarFunc::String(f), kind, false))
        }
        "LTRIM" | "RTRIM" | "BTRIM" => {
            let f = F::Trim {
                leading: c.name != "RTRIM",
                trailing: c.name != "LTRIM",
            };
            simple(c, f, &[Str, Str], 1, "(STRING[, STRING])", string(), false)
        }
        "SUBSTRING" | "SUBSTR" => simple(
            c,
            F::Substring,
            &[Str, Int, Int],
            2,
            "(STRING, INT[, INT])",
            string(),
            true,
        ),
        "CHAR_LENGTH" | "CHARACTER_LENGTH" => {
            simple(c, F::CharLength, &[Str], 1, "(STRING)", TypeKind::Int, false)
        }
        "REPLACE" => simple(
            c,
            F::Replace,
            &[Str, Str, Str],
            3,
            "(STRING, STRING, STRING)",
            string(),
            false,
        ),
        "SPLIT_INDEX" => simple(
            c,
            F::SplitIndex,
            &[Str, Str, Int],
            3,
            "(STRING, STRING, INT)",
            string(),
            true,
        ),
        "LPAD" => simple(
            c,
            F::Lpad,
            &[Str, Int, Str],
            3,
            "(STRING, INT, STRING)",
            string(),
            true,
        ),
        "RPAD" => simple(
            c,
            F::Rpad,
            &[Str, Int, Str],
            3,
            "(STRING, INT, STRING)",
            string(),
            true,
        ),
        "POSITION" => simple(
            c,
            F::Locate,
            &[Str, Str],
            2,
            "(STRING, STRING)",
            TypeKind::Int,
            false,
        ),
        "LOCATE" => simple(
            c,
            F::Locate,
            &[Str, Str, Int],
            2,
            "(STRING, STRING[, INT])",
            TypeKind::Int,
            false,
        ),
        "INSTR" => simple(
            c,
            F::Instr,
            &[Str, Str, Int, Int],
            2,
            "(STRING, STRING[, INT[, INT]])",
            TypeKind::Int,
            false,
        ),
        "OVERLAY" => {
            c.check(
                &[Str, Str, Int, Int],
                3,
                "(STRING PLACING STRING FROM INT [FOR INT])",
            )?;
            // Flink: VARCHAR of both lengths together (run 4: VARCHAR(12) for 11 + 1).
            let kind = match (string_length(&c.args[0]), string_length(&c.args[1])) {
                (Some(a), Some(b)) => TypeKind::Varchar(a.saturating_add(b).min(MAX_LENGTH)),
                _ => string(),
            };
            Ok(c.done(ScalarFunc::String(F::Overlay), kind, false))
        }
        "TO_BASE64" | "FROM_BASE64" => {
            // Flink takes BYTES as well as strings here (run 4).
            let takes = "(STRING or BYTES)";
            if c.args.len() != 1 || !(is_string(&c.args[0].ty().kind) || is_binary(&c.args[0].ty().kind)) {
                c.check(&[Str], 1, takes)?;
                return Err(c.mismatch(takes));
            }
            let f = if c.name == "TO_BASE64" {
                F::ToBase64
            } else {
                F::FromBase64
            };
            Ok(c.done(ScalarFunc::String(f), string(), false))
        }
        "HEX" => {
            // Integers or strings; Flink refuses DECIMAL, DOUBLE and BYTES (run 4).
            let takes = "(BIGINT or STRING)";
            if c.args.len() != 1 || !(is_string(&c.args[0].ty().kind) || is_integer(&c.args[0].ty().kind)) {
                c.check(&[Str], 1, takes)?;
                return Err(c.mismatch(takes));
            }
            Ok(c.done(ScalarFunc::String(F::Hex), string(), false))
        }
        "UNHEX" => {
            c.check(&[Str], 1, "(STRING)")?;
            Ok(c.done(
                ScalarFunc::String(F::Unhex),
                TypeKind::Varbinary(MAX_LENGTH),
                true,
            ))
        }
        "ENCODE" => {
            c.check(&[Str, Str], 2, "(STRING, STRING charset)")?;
            Ok(c.done(
                ScalarFunc::String(F::Encode),
                TypeKind::Varbinary(MAX_LENGTH),
                false,
            ))
        }
        "DECODE" => {
            let takes = "(BYTES, STRING charset)";
            if c.args.len() != 2 || !is_binary(&c.args[0].ty().kind) || !is_string(&c.args[1].ty().kind) {
                return Err(c.mismatch(takes));
            }
            Ok(c.done(ScalarFunc::String(F::Decode), string(), false))
        }
        "INET_ATON" => {
            c.check(&[Str], 1, "(STRING)")?;
            Ok(c.done(ScalarFunc::String(F::InetAton), TypeKind::BigInt, true))
        }
        "INET_NTOA" => {
            let takes = "(INTEGER)";
            c.check(&[Arg::Int], 1, takes)?;
            Ok(c.done(ScalarFunc::String(F::InetNtoa), string(), true))
        }
        "PARSE_URL" => simple(
            c,
            F::ParseUrl,
            &[Str, Str, Str],
            2,
            "(STRING url, STRING part[, STRING key])",
            string(),
            true,
        ),
        "TRANSLATE" => {
            c.check(&[Str, Str, Str], 3, "(STRING, STRING, STRING)")?;
            // Flink 2.3 (probe of 2026-11-26): a NULL `from` translates nothing and a NULL `to`
            // drops every character of `from`, as empty strings do; only a NULL `s` is NULL.
            for arg in c.args.iter_mut().skip(1) {
                if arg.ty().nullable {
                    let mut ty = arg.ty().clone();
                    ty.nullable = false;
                    let empty = BoundExpr::Literal {
                        value: Value::String(String::new()),
                        ty: ty.clone(),
                    };
                    let nullable = std::mem::replace(arg, empty.clone());
                    *arg = BoundExpr::Call {
                        func: ScalarFunc::Coalesce,
                        args: vec![nullable, empty],
                        ty,
                    };
                }
            }
            Ok(c.done(ScalarFunc::String(F::Translate), string(), false))
        }
        "LEFT" => simple(c, F::Left, &[Str, Int], 2, "(STRING, INT)", string(), false),
        "RIGHT" => simple(c, F::Right, &[Str, Int], 2, "(STRING, INT)", string(), false),
        "REVERSE" => simple(c, F::Reverse, &[Str], 1, "(STRING)", string(), false),
        "REPEAT" => simple(c, F::Repeat, &[Str, Int], 2, "(STRING, INT)", string(), false),
        "ASCII" => simple(c, F::Ascii, &[Str], 1, "(STRING)", TypeKind::Int, false),
        "CHR" => simple(c, F::Chr, &[Int], 1, "(INT)", string(), false),
        "MD5" => simple(c, F::Md5, &[Str], 1, "(STRING)", TypeKind::Char(32), false),
        "SHA1" => simple(c, F::Sha1, &[Str], 1, "(STRING)", TypeKind::Char(40), false),
        "SHA256" => simple(c, F::Sha256, &[Str], 1, "(STRING)", TypeKind::Char(64), false),
        "SHA224" => simple(c, F::Sha224, &[Str], 1, "(STRING)", TypeKind::Char(56), false),
        "SHA384" => simple(c, F::Sha384, &[Str], 1, "(STRING)", TypeKind::Char(96), false),
        "SHA512" => simple(c, F::Sha512, &[Str], 1, "(STRING)", TypeKind::Char(128), false),
        "SHA2" => {
            c.check(&[Str, Int], 2, "(STRING, INT)")?;
            // Flink fails the job on any other length ("Unsupported algorithm", 2026-11-27);
            // Spate needs the length to be a constant and says so when planning.
            let f = match c.args[1].constant_value().as_ref() {
                Some(Value::Int(224)) => F::Sha224,
                Some(Value::Int(256)) => F::Sha2,
                Some(Value::Int(384)) => F::Sha384,
                Some(Value::Int(512)) => F::Sha512,
                _ => {
                    return Err(c.mismatch(
                        "(STRING, 224, 256, 384 or 512): the length must be one of those constants",
                    ));
                }
            };
            c.args.truncate(1);
            Ok(c.done(ScalarFunc::String(f), TypeKind::Varchar(128), false))
        }
        "STARTSWITH" | "ENDSWITH" => {
            let f = if c.name == "STARTSWITH" {
                F::StartsWith
            } else {
                F::EndsWith
            };
            simple(c, f, &[Str, Str], 2, "(STRING, STRING)", TypeKind::Boolean, false)
        }
        "URL_ENCODE" => simple(c, F::UrlEncode, &[Str], 1, "(STRING)", string(), true),
        "URL_DECODE" => simple(c, F::UrlDecode, &[Str], 1, "(STRING)", string(), true),
        "IS_ALPHA" | "IS_DIGIT" | "IS_DECIMAL" => {
            let f = match c.name.as_str() {
                "IS_ALPHA" => F::IsAlpha,
                "IS_DIGIT" => F::IsDigit,
                _ => F::IsDecimal,
            };
            c.check(&[Str], 1, "(STRING)")?;
            // Flink 2.3: `FALSE` for `NULL`, typed `BOOLEAN NOT NULL` (2026-11-27).
            let test = c.done(ScalarFunc::String(f), TypeKind::Boolean, false);
            let never_null = DataType::new(TypeKind::Boolean).not_null();
            Ok(BoundExpr::Call {
                func: ScalarFunc::Coalesce,
                args: vec![
                    test,
                    BoundExpr::Literal {
                        value: Value::Boolean(false),
                        ty: never_null.clone(),
                    },
                ],
                ty: never_null,
            })
        }
        "JSON_QUOTE" => simple(c, F::JsonQuote, &[Str], 1, "(STRING)", string(), false),
        "JSON_UNQUOTE" => simple(c, F::JsonUnquote, &[Str], 1, "(STRING)", string(), false),
        "BIN" => simple(c, F::Bin, &[Int], 1, "(BIGINT)", string(), false),
        "ELT" => bind_elt(c),
        "CONCAT" => {
            c.check_all(Str, 1, "(STRING, ...)")?;
            Ok(c.done(ScalarFunc::Concat, string(), false))
        }
        "CONCAT_WS" => {
            c.check_all(Str, 2, "(STRING separator, STRING, ...)")?;
            let nullable = c.args[0].ty().nullable;
            let mut e = c.done(ScalarFunc::ConcatWs, string(), false);
            if let BoundExpr::Call { ty, .. } = &mut e {
                ty.nullable = nullable;
            }
            Ok(e)
        }
        "REGEXP" => bind_regex(c, RegexKind::Matches, TypeKind::Boolean),
        "REGEXP_EXTRACT" => bind_regex(c, RegexKind::Extract, string()),
        "REGEXP_REPLACE" => bind_regex(c, RegexKind::Replace, string()),
        "REGEXP_COUNT" => bind_regex(c, RegexKind::Count, TypeKind::Int),
        "REGEXP_INSTR" => bind_regex(c, RegexKind::Instr, TypeKind::Int),
        "REGEXP_SUBSTR" => bind_regex(c, RegexKind::Substr, string()),
        "REGEXP_EXTRACT_ALL" => bind_regex(
            c,
            RegexKind::ExtractAll,
            TypeKind::Array(Box::new(DataType::new(string()))),
        ),
        _ => Err(c.mismatch("no such signature")),
    }
}

fn bind_regex(mut c: Call, kind: RegexKind, result: TypeKind) -> Result<BoundExpr> {
    let (sig, req, takes): (&[Arg], usize, &str) = match kind {
        RegexKind::Matches => (&[Arg::Str, Arg::Str], 2, "(STRING, STRING)"),
        RegexKind::Extract => (&[Arg::Str, Arg::Str, Arg::Int], 2, "(STRING, STRING[, INT])"),
        RegexKind::Replace => (&[Arg::Str, Arg::Str, Arg::Str], 3, "(STRING, STRING, STRING)"),
        RegexKind::Count | RegexKind::Instr | RegexKind::Substr => {
            (&[Arg::Str, Arg::Str], 2, "(STRING, STRING)")
        }
        RegexKind::ExtractAll => (&[Arg::Str, Arg::Str, Arg::Int], 2, "(STRING, STRING[, INT])"),
    };
    c.check(sig, req, takes)?;
    let compiled = match c.args[1].constant_value().as_ref() {
        Some(Value::String(p)) => regex::Regex::new(p).ok().map(|r| Compiled(Arc::new(r))),
        _ => None,
    };
    // Flink gives NULL for an invalid pattern and for no match.
    Ok(c.done(ScalarFunc::Regex { kind, compiled }, result, true))
}

/// `ELT(index, e1, e2, ...)` as `CASE index WHEN 1 THEN e1 WHEN 2 THEN e2 END`: the
/// `index`th expression, `NULL` for a `NULL` index or one out of range; the expressions are
/// strings (or binary strings) of a common type.
fn bind_elt(c: Call) -> Result<BoundExpr> {
    let takes = "(INT index, STRING, STRING...)";
    if c.args.len() < 2 || !is_integer(&c.args[0].ty().kind) {
        return Err(c.mismatch(takes));
    }
    let kinds_fit = c.args[1..].iter().all(|a| {
        let k = &a.ty().kind;
        crate::expr::typing::is_untyped_null(a) || is_string(k) || is_binary(k)
    });
    if !kinds_fit {
        return Err(c.mismatch(takes));
    }
    let exprs: Vec<&BoundExpr> = c.args[1..].iter().collect();
    let Some(mut ty) = crate::expr::typing::common_type_of(&exprs, "ELT")? else {
        return Err(c.mismatch(takes));
    };
    ty.nullable = true;
    let mut args = c.args.into_iter();
    let index = args
        .next()
        .ok_or_else(|| crate::error::SqlError::validation("ELT needs an index", c.pos))?;
    let mut case = Vec::new();
    for (i, e) in args.enumerate() {
        let position = BoundExpr::Literal {
            value: Value::Int(i as i64 + 1),
            ty: DataType::new(index.ty().kind.clone()).not_null(),
        };
        case.push(BoundExpr::Call {
            func: ScalarFunc::Compare(crate::expr::func::CmpOp::Eq),
            args: vec![index.clone(), position],
            ty: DataType {
                kind: TypeKind::Boolean,
                nullable: index.ty().nullable,
            },
        });
        case.push(crate::expr::coerce::coerce(e, &ty));
    }
    case.push(BoundExpr::Literal {
        value: Value::Null,
        ty: ty.clone(),
    });
    Ok(BoundExpr::Call {
        func: ScalarFunc::Case,
        args: case,
        ty,
    })
}

type EvalResult = std::result::Result<Value, EvalError>;

/// `TRANSLATE`'s characters are code points (Flink 2.3: `TRANSLATE('a😀b', 'a😀', 'xy')` is
/// `xyb`); the first mapping of a character repeated in `from` wins.
fn translate(s: &str, from: &str, to: &str) -> String {
    let mut mapping: Vec<(char, Option<char>)> = Vec::new();
    let mut replacements = to.chars();
    for c in from.chars() {
        let replacement = replacements.next();
        if !mapping.iter().any(|(seen, _)| *seen == c) {
            mapping.push((c, replacement));
        }
    }
    // A linear search: `from` is a handful of characters in practice.
    s.chars()
        .filter_map(|c| match mapping.iter().find(|(from, _)| *from == c) {
            Some((_, replacement)) => *replacement,
            None => Some(c),
        })
        .collect()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Java's `Character.isDigit`: a decimal digit of any script (`Nd`).
fn is_java_digit(c: char) -> bool {
    c.is_ascii_digit() || is_nd(c)
}

/// Whether a non-ASCII character is a decimal digit (`Nd`): Unicode's decimal digits come in
/// runs of ten starting at a zero; Rust's `is_numeric` also takes `Nl` and `No`
/// (Roman numerals, fractions), which Java's `isDigit` does not.
fn is_nd(c: char) -> bool {
    const ZEROS: &[u32] = &[
        0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
        0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
        0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
        0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0,
        0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8,
        0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
    ];
    let u = c as u32;
    ZEROS.iter().any(|&z| (z..z + 10).contains(&u))
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// The separator's only character, when it has exactly one.
/// `SPLIT_INDEX(s, sep, index)` on non-NULL arguments: the `index`th piece (from 0) of `s`
/// cut at `sep` (at runs of whitespace for an empty `sep`), `None` past the last piece, for a
/// negative index or an empty `s`.
pub(crate) fn split_index<'s>(s: &'s str, sep: &str, index: i64) -> Option<&'s str> {
    let n = usize::try_from(index).ok()?;
    if s.is_empty() {
        None
    } else if sep.is_empty() {
        s.split_whitespace().nth(n)
    } else if let [byte] = sep.as_bytes() {
        // A one-byte separator (`'/'` in Nexmark q22) is found by `memchr`, not the two-way
        // substring search: the same pieces, several times faster. An ASCII byte never occurs
        // inside a multibyte character, so every cut is on a character boundary.
        let (mut start, mut piece) = (0, 0);
        for at in memchr::memchr_iter(*byte, s.as_bytes()) {
            if piece == n {
                return s.get(start..at);
            }
            start = at + 1;
            piece += 1;
        }
        // The last piece runs to the end.
        if piece == n { s.get(start..) } else { None }
    } else if let Some(c) = single_char(sep) {
        s.split(c).nth(n)
    } else {
        s.split(sep).nth(n)
    }
}

fn single_char(sep: &str) -> Option<char> {
    let mut chars = sep.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

fn too_long(what: &str, bytes: usize) -> EvalError {
    EvalError(format!(
        "{what} would build a string of {bytes} bytes, more than the limit of {MAX_RESULT_BYTES}"
    ))
}

/// Evaluates `f` on non-NULL arguments.
pub(crate) fn eval(f: StringFunc, v: &[&Value]) -> EvalResult {
    use StringFunc as F;
    let s = v.first().copied().map(text).unwrap_or("");
    Ok(match f {
        F::Upper => Value::String(s.to_uppercase()),
        F::Lower => Value::String(s.to_lowercase()),
        F::InitCap => Value::String(initcap(s)),
        F::Trim { leading, trailing } => {
            let chars = v.get(1).copied().map_or(" ", text);
            let is_trimmed = |c: char| chars.contains(c);
            let mut t = s;
            if leading {
                t = t.trim_start_matches(is_trimmed);
            }
            if trailing {
                t = t.trim_end_matches(is_trimmed);
            }
            Value::String(t.to_string())
        }
        F::Substring => {
            let len = v.get(2).copied().map(int);
            // A negative length is NULL in Flink (run 1: SUBSTRING('hello', 2, -1)).
            if len.is_some_and(|l| l < 0) {
                return Ok(Value::Null);
            }
            Value::String(substring(s, int(v[1]), len).to_string())
        }
        F::CharLength => Value::Int(s.chars().count() as i64),
        F::Replace => {
            let (from, to) = (text(v[1]), text(v[2]));
            let count = if from.is_empty() {
                s.chars().count() + 1
            } else {
                s.matches(from).count()
            };
            let bytes = s.len() + count.saturating_mul(to.len());
            if bytes > MAX_RESULT_BYTES {
                return Err(too_long("REPLACE", bytes));
            }
            Value::String(s.replace(from, to))
        }
        F::SplitIndex => {
            split_index(s, text(v[1]), int(v[2])).map_or(Value::Null, |p| Value::String(p.to_string()))
        }
        F::Lpad | F::Rpad => pad(s, int(v[1]), text(v[2]), f == F::Lpad)?,
        F::Locate => {
            let needle = s;
            let hay = text(v[1]);
            let from = v.get(2).copied().map_or(1, int);
            Value::Int(locate(needle, hay, from))
        }
        F::Left => {
            let n = int(v[1]);
            Value::String(if n <= 0 {
                String::new()
            } else {
                prefix_chars(s, n as u64).to_string()
            })
        }
        F::Right => {
            let n = int(v[1]);
            let len = s.chars().count() as i64;
            Value::String(if n <= 0 {
                String::new()
            } else if n >= len {
                s.to_string()
            } else {
                s.chars().skip((len - n) as usize).collect()
            })
        }
        F::Reverse => Value::String(s.chars().rev().collect()),
        F::Translate => Value::String(translate(s, text(v[1]), text(v[2]))),
        F::Sha224 => Value::String(hash::hex(&hash::sha224(s.as_bytes()))),
        F::Sha384 => Value::String(hash::hex(&hash::sha384(s.as_bytes()))),
        F::Sha512 => Value::String(hash::hex(&hash::sha512(s.as_bytes()))),
        F::StartsWith => Value::Boolean(s.starts_with(text(v[1]))),
        F::EndsWith => Value::Boolean(s.ends_with(text(v[1]))),
        F::UrlEncode => Value::String(encoding::url_encode(s)),
        F::UrlDecode => encoding::url_decode(s).map_or(Value::Null, Value::String),
        F::IsAlpha => Value::Boolean(!s.is_empty() && s.chars().all(char::is_alphabetic)),
        F::IsDigit => Value::Boolean(!s.is_empty() && s.chars().all(is_java_digit)),
        F::IsDecimal => {
            Value::Boolean(crate::java_text::parse_java_double(crate::java_text::java_trim(s)).is_some())
        }
        F::JsonQuote => Value::String(encoding::json_quote(s)),
        F::JsonUnquote => Value::String(encoding::json_unquote(s).unwrap_or_else(|| s.to_string())),
        F::Bin => Value::String(format!("{:b}", v[0].as_i64().unwrap_or(0))),
        F::Repeat => {
            let n = int(v[1]);
            if n <= 0 || s.is_empty() {
                Value::String(String::new())
            } else {
                let bytes = (s.len() as u128) * (n as u128);
                if bytes > MAX_RESULT_BYTES as u128 {
                    return Err(too_long("REPEAT", usize::try_from(bytes).unwrap_or(usize::MAX)));
                }
                Value::String(s.repeat(n as usize))
            }
        }
        F::Ascii => Value::Int(s.chars().next().map_or(0, |c| i64::from(u32::from(c)))),
        F::Chr => {
            let n = int(v[0]);
            match u32::try_from(n).ok().and_then(char::from_u32) {
                Some(c) if n < 256 => Value::String(c.to_string()),
                _ => Value::String(String::new()),
            }
        }
        F::Md5 => Value::String(hash::hex(&hash::md5(s.as_bytes()))),
        F::Sha1 => Value::String(hash::hex(&hash::sha1(s.as_bytes()))),
        F::Sha256 | F::Sha2 => Value::String(hash::hex(&hash::sha256(s.as_bytes()))),
        F::HashCode => Value::Int(i64::from(hash::java_hash_code(s))),
        F::Instr => {
            let start = v.get(2).copied().map_or(1, int);
            let occurrence = v.get(3).copied().map_or(1, int);
            Value::Int(instr(s, text(v[1]), start, occurrence)?)
        }
        F::Overlay => {
            let placing = text(v[1]);
            let length = v.get(3).copied().map(int);
            Value::String(overlay(s, placing, int(v[2]), length))
        }
        F::ToBase64 => Value::String(encoding::to_base64(bytes_of(v[0]))),
        F::FromBase64 => encoding::from_base64(bytes_of(v[0]))?,
        F::Hex => match v[0] {
            Value::Int(i) => Value::String(format!("{:X}", *i as u64)),
            other => Value::String(hash::hex(text(other).as_bytes()).to_ascii_uppercase()),
        },
        F::Unhex => encoding::unhex(s.as_bytes()).map_or(Value::Null, Value::Bytes),
        F::Encode => Value::Bytes(charset::encode(s, text(v[1]))?),
        F::Decode => Value::String(charset::decode(bytes_of(v[0]), text(v[1]))?),
        F::InetAton => inet::aton(s.as_bytes()).map_or(Value::Null, Value::Int),
        F::InetNtoa => match v[0] {
            Value::Int(n) => inet::ntoa(*n).map_or(Value::Null, Value::String),
            _ => Value::Null,
        },
        F::ParseUrl => url::parse_url(s, text(v[1]), v.get(2).copied().map(text))
            .map_or(Value::Null, |p| Value::String(p.into_owned())),
        F::Split => super::collection::split(s, text(v[1])),
        F::StrToMap => {
            super::collection::str_to_map(s, v.get(1).copied().map(text), v.get(2).copied().map(text))?
        }
    })
}

/// A string's UTF-8 bytes or a `BYTES` value.
fn bytes_of(v: &Value) -> &[u8] {
    match v {
        Value::Bytes(b) => b,
        other => text(other).as_bytes(),
    }
}

/// Flink's `SqlFunctionUtils.instr` (positions in characters): the `occurrence`th match at or
/// after `start`, or, for a negative `start`, the `occurrence`th match ending at or before the
/// `-start`th character from the end; 0 for `start` 0 or no such match. An empty `needle` is
/// found at once wherever the search starts (`BinaryStringData.indexOf` answers 0 for it).
fn instr(s: &str, needle: &str, start: i64, occurrence: i64) -> Result<i64, EvalError> {
    if occurrence <= 0 {
        // Flink fails the job: IllegalArgumentException "nthAppearance must be positive!".
        return Err(EvalError(format!(
            "INSTR: the occurrence must be positive, not {occurrence}"
        )));
    }
    if start == 0 {
        return Ok(0);
    }
    if start > 0 {
        return Ok(nth_index(s, needle, start, occurrence));
    }
    // From the end: the same search over both strings reversed, mapped back.
    let reversed: String = s.chars().rev().collect();
    let needle_reversed: String = needle.chars().rev().collect();
    let at = nth_index(&reversed, &needle_reversed, start.saturating_neg(), occurrence);
    Ok(if at == 0 {
        0
    } else {
        let chars = s.chars().count() as i64;
        chars + 2 - at - needle.chars().count() as i64
    })
}

/// The 1-based character position of the `occurrence`th `needle` in `s`, the first searched
/// from character `start` (at least 1) and each next one from the character after the last; 0
/// when there are fewer.
fn nth_index(s: &str, needle: &str, start: i64, occurrence: i64) -> i64 {
    let mut from = start;
    let mut at = 0;
    for _ in 0..occurrence {
        at = index_of(s, needle, from - 1) + 1;
        if at == 0 {
            return 0;
        }
        // An empty needle is found at 0 whatever `from` is, so every further search is too.
        if needle.is_empty() {
            return at;
        }
        from = at + 1;
    }
    at
}

/// `BinaryStringData.indexOf`: the 0-based character index of `needle` at or after character
/// `from` (below 0 counts as 0), -1 if absent; 0 for an empty `needle`.
fn index_of(s: &str, needle: &str, from: i64) -> i64 {
    if needle.is_empty() {
        return 0;
    }
    let from = from.max(0);
    let Ok(skip) = usize::try_from(from) else {
        return -1;
    };
    let Some((byte, _)) = s.char_indices().nth(skip) else {
        return -1;
    };
    match s[byte..].find(needle) {
        Some(found) => from + s[byte..byte + found].chars().count() as i64,
        None => -1,
    }
}

/// Flink's `SqlFunctionUtils.overlay` on Java strings: positions count UTF-16 units; a `start`
/// outside `1..=len(s)` leaves `s` as it is; the rest of `s` after the replaced span is kept only
/// when the span ends inside `s` and `length` is positive (so `FOR 0` drops the tail, as in
/// Flink). `length` defaults to the length of `placing`.
fn overlay(s: &str, placing: &str, start: i64, length: Option<i64>) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    let n = units.len() as i64;
    if start <= 0 || start > n {
        return s.to_string();
    }
    let length = length.unwrap_or_else(|| placing.encode_utf16().count() as i64);
    let head = (start - 1) as usize;
    let mut out = String::from_utf16_lossy(&units[..head]);
    out.push_str(placing);
    if length > 0 && start.saturating_add(length) <= n {
        out.push_str(&String::from_utf16_lossy(&units[head + length as usize..]));
    }
    out
}

/// Calcite's `initcap`: words are runs of ASCII letters and digits.
fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if start {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            });
            start = false;
        } else {
            out.push(c);
            start = true;
        }
    }
    out
}

/// The first `n` characters of `s`.
fn prefix_chars(s: &str, n: u64) -> &str {
    match usize::try_from(n).ok().and_then(|n| s.char_indices().nth(n)) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// The characters of `s` from index `from` on.
fn skip_chars(s: &str, from: usize) -> &str {
    match s.char_indices().nth(from) {
        Some((at, _)) => &s[at..],
        None => "",
    }
}

/// Flink's `SUBSTRING(s, pos[, len])`: positions from 1, a negative `pos` counts from the end,
/// 0 is 1; past either end is empty.
pub(crate) fn substring(s: &str, pos: i64, len: Option<i64>) -> &str {
    let chars = s.chars().count() as i64;
    let start = if pos > 0 {
        pos - 1
    } else if pos < 0 {
        chars + pos
    } else {
        0
    };
    if start < 0 || start >= chars {
        return "";
    }
    let rest = skip_chars(s, start as usize);
    match len {
        None => rest,
        Some(l) if l <= 0 => "",
        Some(l) => prefix_chars(rest, l as u64),
    }
}

/// 1-based character position of `needle` in `hay` at or after character `from` (below 1
/// counts as 1, as Flink's `LOCATE('b', 'abcb', 0)` is 2); 0 if absent.
fn locate(needle: &str, hay: &str, from: i64) -> i64 {
    if needle.is_empty() {
        // Flink run 2: LOCATE('', 'abc', 5) and POSITION('' IN '') are 1.
        return 1;
    }
    let from = from.max(1);
    let tail = skip_chars(hay, (from - 1) as usize);
    if tail.is_empty() && !needle.is_empty() {
        return 0;
    }
    match tail.find(needle) {
        Some(byte) => from + tail[..byte].chars().count() as i64,
        None => 0,
    }
}

/// Flink's `lpad`/`rpad`: `NULL` for a negative length or an empty pad; the result has exactly
/// `len` characters (the string is cut when longer).
fn pad(s: &str, len: i64, padding: &str, left: bool) -> EvalResult {
    if len < 0 || padding.is_empty() {
        return Ok(Value::Null);
    }
    let len = len as u64;
    if len > MAX_RESULT_BYTES as u64 {
        return Err(too_long(if left { "LPAD" } else { "RPAD" }, len as usize));
    }
    let len = len as usize;
    let n = s.chars().count();
    let fill = len.saturating_sub(n);
    let body = prefix_chars(s, len as u64);
    let mut out = String::with_capacity(len);
    if !left {
        out.push_str(body);
    }
    out.extend(padding.chars().cycle().take(fill));
    if left {
        out.push_str(body);
    }
    Ok(Value::String(out))
}

/// `s || t || ...` of non-NULL strings.
pub(crate) fn concat<'a>(parts: impl Iterator<Item = &'a str> + Clone) -> EvalResult {
    let bytes: usize = parts.clone().map(str::len).sum();
    if bytes > MAX_RESULT_BYTES {
        return Err(too_long("CONCAT", bytes));
    }
    let mut out = String::with_capacity(bytes);
    parts.for_each(|p| out.push_str(p));
    Ok(Value::String(out))
}

/// `REGEXP`, `REGEXP_EXTRACT`, `REGEXP_REPLACE` on non-NULL arguments; `re` is the compiled
/// pattern when it was constant. An invalid pattern gives `NULL`, as in Flink.
pub(crate) fn eval_regex(kind: RegexKind, re: Option<&regex::Regex>, v: &[&Value]) -> EvalResult {
    let compiled;
    let re = match re {
        Some(r) => r,
        None => match regex::Regex::new(text(v[1])) {
            Ok(r) => {
                compiled = r;
                &compiled
            }
            // Flink run 3: an invalid pattern makes REGEXP false, the others NULL.
            Err(_) if kind == RegexKind::Matches => return Ok(Value::Boolean(false)),
            Err(_) => return Ok(Value::Null),
        },
    };
    let s = text(v[0]);
    Ok(match kind {
        RegexKind::Matches => Value::Boolean(re.is_match(s)),
        RegexKind::Extract => {
            // The whole match by default (Flink run 1: REGEXP_EXTRACT(s, p) = group 0).
            let group = v.get(2).copied().map_or(0, int);
            regex_extract(re, s, group).map_or(Value::Null, |m| Value::String(m.to_string()))
        }
        // The replacement is literal text: Flink quotes it (`$1` stays `$1`, run 1).
        RegexKind::Replace => Value::String(replace_all_like_java(re, s, text(v[2]))?),
        RegexKind::Count => Value::Int(re.find_iter(s).count() as i64),
        // Positions in UTF-16 units from 1, as Java's `Matcher.start()` counts.
        RegexKind::Instr => Value::Int(
            re.find(s)
                .map_or(0, |m| s[..m.start()].encode_utf16().count() as i64 + 1),
        ),
        RegexKind::Substr => re
            .find(s)
            .map_or(Value::Null, |m| Value::String(m.as_str().to_string())),
        RegexKind::ExtractAll => {
            // Group 1 by default; a group the pattern lacks (or a negative one) is NULL.
            let group = v.get(2).copied().map_or(1, int);
            let Ok(group) = usize::try_from(group) else {
                return Ok(Value::Null);
            };
            if group >= re.captures_len() {
                return Ok(Value::Null);
            }
            Value::Array(
                re.captures_iter(s)
                    .map(|c| {
                        c.get(group)
                            .map_or(Value::Null, |m| Value::String(m.as_str().to_string()))
                    })
                    .collect(),
            )
        }
    })
}

/// `REGEXP_EXTRACT(s, re, group)` on non-NULL arguments: the text of `group` in the first
/// match (`0`: the whole match); `None` without a match, for a group that does not exist or
/// did not take part in the match.
pub(crate) fn regex_extract<'s>(re: &regex::Regex, s: &'s str, group: i64) -> Option<&'s str> {
    let group = usize::try_from(group).ok()?;
    Some(re.captures(s)?.get(group)?.as_str())
}

/// Whether every match of `re` has a text for `group`, so that `REGEXP_EXTRACT(s, re, group)`
/// is `NULL` exactly when `re` does not match `s` (and `IS NOT NULL` of it is `is_match`). True
/// for group 0 and for a group reached from the top of the pattern through concatenations,
/// other groups and repetitions of at least one; false under an alternation or an optional
/// repetition, for a group that does not exist, and for a pattern this crate's parser reads
/// otherwise than the regex crate did (never expected: both parse with the same defaults).
pub(crate) fn group_in_every_match(re: &regex::Regex, group: i64) -> bool {
    use regex_syntax::hir::{Hir, HirKind};
    fn reaches(hir: &Hir, group: u32) -> bool {
        match hir.kind() {
            HirKind::Capture(c) => c.index == group || reaches(&c.sub, group),
            HirKind::Concat(parts) => parts.iter().any(|p| reaches(p, group)),
            HirKind::Repetition(r) => r.min >= 1 && reaches(&r.sub, group),
            HirKind::Alternation(_)
            | HirKind::Empty
            | HirKind::Literal(_)
            | HirKind::Class(_)
            | HirKind::Look(_) => false,
        }
    }
    match u32::try_from(group) {
        Ok(0) => true,
        Ok(g) if (g as usize) < re.captures_len() => {
            regex_syntax::parse(re.as_str()).is_ok_and(|hir| reaches(&hir, g))
        }
        _ => false,
    }
}

/// Java's `replaceAll` with a literal replacement: unlike the `regex` crate, Java also
/// replaces an empty match right after a non-empty one (Flink run 2:
/// `REGEXP_REPLACE('aaa', 'a*', 'b')` is `bb`).
fn replace_all_like_java(re: &regex::Regex, s: &str, replacement: &str) -> Result<String, EvalError> {
    let mut out = String::with_capacity(s.len());
    let (mut last, mut pos) = (0, 0);
    while pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else { break };
        out.push_str(&s[last..m.start()]);
        out.push_str(replacement);
        if out.len() > MAX_RESULT_BYTES {
            return Err(too_long("REGEXP_REPLACE", out.len()));
        }
        last = m.end();
        pos = if m.is_empty() {
            match s[m.end()..].chars().next() {
                Some(c) => m.end() + c.len_utf8(),
                None => break,
            }
        } else {
            m.end()
        };
    }
    out.push_str(&s[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_in_every_match_are_the_ones_no_alternation_or_optional_repetition_holds() {
        let every = |pattern: &str| -> Vec<i64> {
            let re = regex::Regex::new(pattern).unwrap_or_else(|e| panic!("{e}"));
            (-1..5).filter(|&g| group_in_every_match(&re, g)).collect()
        };
        // Nexmark q21's pattern: the alternation is inside group 1, which itself always matches.
        assert_eq!(every("(&|^)channel_id=([^&]*)"), [0, 1, 2]);
        assert_eq!(every("(a)?(b)*(c)+"), [0, 3]);
        assert_eq!(every("(a)|(b)"), [0]);
        assert_eq!(every("((a){2}|b)(?:(c))"), [0, 1, 3]);
        assert_eq!(every("(?x) ( a ) # a comment"), [0, 1]);
        assert_eq!(every("a"), [0]);
    }

    #[test]
    fn substring_edges_do_not_panic() {
        assert_eq!(substring("abc", -5, Some(100)), "");
        assert_eq!(substring("hello", 2, None), "ello");
        assert_eq!(substring("hello", -2, None), "lo");
        assert_eq!(substring("hello", 10, None), "");
        assert_eq!(substring("héllo", 2, Some(2)), "él");
        assert_eq!(substring("hello", i64::MIN, Some(i64::MAX)), "");
        assert_eq!(substring("hello", i64::MAX, Some(i64::MIN)), "");
    }

    #[test]
    fn padding_and_locate() {
        assert_eq!(pad("hi", 5, "xy", true), Ok(Value::String("xyxhi".into())));
        assert_eq!(pad("hi", 5, "xy", false), Ok(Value::String("hixyx".into())));
        assert_eq!(pad("hello", 2, "x", true), Ok(Value::String("he".into())));
        assert_eq!(pad("hi", -1, "x", true), Ok(Value::Null));
        assert!(pad("hi", i64::MAX, "x", true).is_err());
        assert_eq!(locate("b", "abcb", 1), 2);
        assert_eq!(locate("b", "abcb", 3), 4);
        assert_eq!(locate("z", "abc", 1), 0);
        assert_eq!(initcap("hello wORLD foo_bar 1a"), "Hello World Foo_Bar 1a");
    }

    #[test]
    fn regexp_replace_handles_empty_matches_as_java() {
        let re = |p: &str| regex::Regex::new(p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(replace_all_like_java(&re("a*"), "aaa", "b"), Ok("bb".into()));
        assert_eq!(replace_all_like_java(&re("x*"), "abc", "-"), Ok("-a-b-c-".into()));
        assert_eq!(replace_all_like_java(&re("oo|ar"), "foobar", ""), Ok("fb".into()));
        // As Java: the empty match at the end follows the match of "é".
        assert_eq!(replace_all_like_java(&re("é*"), "aé", "-"), Ok("-a--".into()));
    }

    #[test]
    fn repeat_is_bounded() {
        let (ab, max, three) = (Value::String("ab".into()), Value::Int(i64::MAX), Value::Int(3));
        assert!(eval(StringFunc::Repeat, &[&ab, &max]).is_err());
        assert_eq!(
            eval(StringFunc::Repeat, &[&ab, &three]),
            Ok(Value::String("ababab".into()))
        );
    }

    proptest::proptest! {
        /// The pieces are `str::split`'s (Flink's `SPLIT_INDEX` over a non-empty separator), for
        /// one-byte, multibyte and longer separators, empty pieces and indexes past the end.
        #[test]
        fn split_index_gives_the_split_pieces(
            parts in proptest::collection::vec("[a/é]{0,3}", 0..4),
            sep in proptest::prop_oneof![proptest::strategy::Just("/"), proptest::strategy::Just("é"), proptest::strategy::Just("a/")],
            index in -1i64..6,
        ) {
            let s = parts.join(sep);
            let expected = if s.is_empty() || index < 0 {
                None
            } else {
                s.split(sep).nth(index as usize)
            };
            proptest::prop_assert_eq!(split_index(&s, sep, index), expected, "{:?} {:?} {}", s, sep, index);
        }
    }
}
