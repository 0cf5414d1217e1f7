//! The Flink dialect for sqlparser: back-quoted identifiers, `=>` named arguments,
//! `FILTER (WHERE ..)`, `MAP[..]`, and `TABLE t [PARTITION BY ..]` as a window function's
//! argument.

use sqlparser::ast::{
    CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentClause,
    FunctionArgumentList, FunctionArguments, Ident, JsonNullClause, Map, MapEntry, ObjectName,
    TrimWhereField,
};
use sqlparser::dialect::Dialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// The identifier sqlparser's `Expr::Prefixed` carries for a `TABLE t` argument; the converter
/// turns it into [`crate::ast::WindowTvf::table`]. Never a valid identifier, so no user
/// expression looks like it.
pub(crate) const TABLE_ARG: &str = "\u{0}TABLE";

/// Prefix of the type text a `CAST` carries to the converter (see `parse_cast`).
pub(crate) const CAST_TYPE: &str = "\u{0}TYPE";

/// Prefix of the string argument that carries `JSON_EXISTS`' and `JSON_QUERY`'s clauses to the
/// converter (see `parse_json_query`): the clauses in a fixed form, separated by `;`.
pub(crate) const JSON_CLAUSES: &str = "\u{0}JSON";

/// Flink SQL as sqlparser's [`Dialect`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FlinkDialect;

impl Dialect for FlinkDialect {
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        ch == '`'
    }

    fn identifier_quote_style(&self, _identifier: &str) -> Option<char> {
        Some('`')
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        ch.is_alphabetic() || ch == '_'
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        ch.is_alphanumeric() || ch == '_' || ch == '$'
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        true
    }

    fn supports_named_fn_args_with_rarrow_operator(&self) -> bool {
        true
    }

    /// `GROUPING SETS (..)`, `ROLLUP (..)`, `CUBE (..)` and `()` in `GROUP BY`.
    fn supports_group_by_expr(&self) -> bool {
        true
    }

    /// `SELECT /*+ STATE_TTL(..) */`: the hint reaches the converter (`hints.rs`).
    fn supports_comment_optimizer_hint(&self) -> bool {
        true
    }

    fn require_interval_qualifier(&self) -> bool {
        true
    }

    /// Parsed so the converter can name it as not supported yet (rather than a parse error).
    /// `ARRAY_AGG(x IGNORE NULLS)` (the converter refuses it on other functions).
    fn supports_window_function_null_treatment_arg(&self) -> bool {
        true
    }

    fn supports_match_recognize(&self) -> bool {
        true
    }

    /// `name FOR SYSTEM_TIME AS OF expr` (temporal joins). sqlparser's other versioning forms
    /// (`AT(..)`, `CHANGES(..)`, `TIMESTAMP AS OF`) come along and the converter refuses them.
    fn supports_table_versioning(&self) -> bool {
        true
    }

    /// `TABLE name [PARTITION BY key | PARTITION BY (key, ...)]` in expression position, which is
    /// only valid as the data argument of a window table function. It becomes
    /// `Prefixed { prefix: TABLE_ARG, value: Tuple([name, Tuple(keys)]) }`.
    fn parse_prefix(&self, parser: &mut Parser<'_>) -> Option<Result<Expr, ParserError>> {
        if let Token::Word(w) = &parser.peek_token_ref().token
            && w.quote_style.is_none()
            && (w.keyword == Keyword::CAST || w.keyword == Keyword::TRY_CAST)
            && parser.peek_nth_token_ref(1).token == Token::LParen
        {
            let kind = if w.keyword == Keyword::CAST {
                CastKind::Cast
            } else {
                CastKind::TryCast
            };
            parser.next_token();
            return Some(parse_cast(parser, kind));
        }
        // `JSON_OBJECT(KEY k VALUE v ...)` and `JSON_ARRAY(v ...)` with `NULL`/`ABSENT ON NULL`,
        // which sqlparser reads only in other dialects' forms.
        if let Token::Word(w) = &parser.peek_token_ref().token
            && w.quote_style.is_none()
            && (w.value.eq_ignore_ascii_case("JSON_OBJECT") || w.value.eq_ignore_ascii_case("JSON_ARRAY"))
            && parser.peek_nth_token_ref(1).token == Token::LParen
        {
            let object = w.value.eq_ignore_ascii_case("JSON_OBJECT");
            let name = parser.next_token();
            return Some(parse_json_constructor(parser, object, name));
        }
        // `JSON_EXISTS(j, p TRUE ON ERROR)`, `JSON_QUERY(j, p WITH WRAPPER EMPTY ARRAY ON EMPTY)`.
        if let Token::Word(w) = &parser.peek_token_ref().token
            && w.quote_style.is_none()
            && (w.value.eq_ignore_ascii_case("JSON_EXISTS") || w.value.eq_ignore_ascii_case("JSON_QUERY"))
            && parser.peek_nth_token_ref(1).token == Token::LParen
        {
            let name = parser.next_token();
            return Some(parse_json_query(parser, name));
        }
        // `MAP[k1, v1, k2, v2, ..]`, Flink's map constructor; sqlparser reads only other
        // dialects' map literals.
        if let Token::Word(w) = &parser.peek_token_ref().token
            && w.quote_style.is_none()
            && w.keyword == Keyword::MAP
            && parser.peek_nth_token_ref(1).token == Token::LBracket
        {
            parser.next_token();
            parser.next_token();
            return Some(parse_map_constructor(parser));
        }
        // `TRIM(LEADING FROM s)`: a side without characters, which sqlparser's TRIM lacks.
        if let Token::Word(w) = &parser.peek_token_ref().token
            && w.quote_style.is_none()
            && w.keyword == Keyword::TRIM
            && parser.peek_nth_token_ref(1).token == Token::LParen
            && let Token::Word(side) = &parser.peek_nth_token_ref(2).token
            && let Some(side) = match side.keyword {
                Keyword::BOTH => Some(TrimWhereField::Both),
                Keyword::LEADING => Some(TrimWhereField::Leading),
                Keyword::TRAILING => Some(TrimWhereField::Trailing),
                _ => None,
            }
            && matches!(&parser.peek_nth_token_ref(3).token, Token::Word(f) if f.keyword == Keyword::FROM)
        {
            for _ in 0..4 {
                parser.next_token();
            }
            return Some(parser.parse_expr().and_then(|expr| {
                parser.expect_token(&Token::RParen)?;
                Ok(Expr::Trim {
                    expr: Box::new(expr),
                    trim_where: Some(side),
                    trim_what: None,
                    trim_characters: None,
                })
            }));
        }
        let is_table = matches!(&parser.peek_token_ref().token,
            Token::Word(w) if w.keyword == Keyword::TABLE && w.quote_style.is_none());
        let then_name = matches!(&parser.peek_nth_token_ref(1).token, Token::Word(_));
        if !(is_table && then_name) {
            return None;
        }
        parser.next_token();
        Some(parse_table_arg(parser))
    }
}

/// The entries of `MAP[..]` after the `[`: keys and values in turn, as sqlparser's map
/// literal (which the Flink dialect never parses otherwise).
fn parse_map_constructor(parser: &mut Parser<'_>) -> Result<Expr, ParserError> {
    let mut entries = Vec::new();
    loop {
        let key = parser.parse_expr()?;
        let comma = parser.next_token();
        if comma.token != Token::Comma {
            return parser.expected(
                "',' and a value after each key: MAP[..] takes an even number of arguments (MAP[key, value, ..])",
                comma,
            );
        }
        let value = parser.parse_expr()?;
        entries.push(MapEntry {
            key: Box::new(key),
            value: Box::new(value),
        });
        if !parser.consume_token(&Token::Comma) {
            parser.expect_token(&Token::RBracket)?;
            return Ok(Expr::Map(Map { entries }));
        }
    }
}

/// `CAST(expr AS type)` with the type kept as text for Spate's own type parser (sqlparser's
/// knows neither `MAP<K, V>` nor `ROW<..>` in Flink's form): the type travels as
/// `DataType::Custom` named [`CAST_TYPE`] + the type's tokens.
fn parse_cast(parser: &mut Parser<'_>, kind: CastKind) -> Result<Expr, ParserError> {
    parser.expect_token(&Token::LParen)?;
    let expr = parser.parse_expr()?;
    parser.expect_keyword_is(Keyword::AS)?;
    let mut text = String::from(CAST_TYPE);
    let mut depth = 0usize;
    loop {
        let t = parser.next_token();
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => break,
            Token::RParen => depth -= 1,
            Token::EOF => return parser.expected("')' after the type of CAST", t),
            _ => {}
        }
        text.push(' ');
        // Token's Display does not re-escape quotes inside strings and quoted identifiers.
        match &t.token {
            Token::SingleQuotedString(s) => {
                text.push_str(&format!("'{}'", s.replace('\'', "''")));
            }
            Token::Word(w) => match w.quote_style {
                Some(q) => text.push_str(&format!("{q}{}{q}", w.value.replace(q, &format!("{q}{q}")))),
                None => text.push_str(&w.value),
            },
            other => text.push_str(&other.to_string()),
        }
    }
    Ok(Expr::Cast {
        kind,
        expr: Box::new(expr),
        data_type: DataType::Custom(ObjectName::from(vec![Ident::new(text)]), vec![]),
        format: None,
    })
}

/// The arguments of `JSON_OBJECT` (keys and values in turn) or `JSON_ARRAY` after the name,
/// as a function call whose only clause is the `ON NULL` one when written.
fn parse_json_constructor(
    parser: &mut Parser<'_>,
    object: bool,
    name: sqlparser::tokenizer::TokenWithSpan,
) -> Result<Expr, ParserError> {
    fn on_null(parser: &mut Parser<'_>) -> Option<JsonNullClause> {
        if parser.parse_keywords(&[Keyword::NULL, Keyword::ON, Keyword::NULL]) {
            Some(JsonNullClause::NullOnNull)
        } else if parser.parse_keywords(&[Keyword::ABSENT, Keyword::ON, Keyword::NULL]) {
            Some(JsonNullClause::AbsentOnNull)
        } else {
            None
        }
    }
    parser.expect_token(&Token::LParen)?;
    let mut args = Vec::new();
    let mut clause = on_null(parser);
    if clause.is_none() && !parser.consume_token(&Token::RParen) {
        loop {
            if object {
                // `KEY` is optional before a key.
                let _ = parser.parse_keyword(Keyword::KEY);
                args.push(parser.parse_expr()?);
                parser.expect_keyword_is(Keyword::VALUE)?;
            }
            args.push(parser.parse_expr()?);
            if !parser.consume_token(&Token::Comma) {
                clause = on_null(parser);
                break;
            }
        }
        parser.expect_token(&Token::RParen)?;
    } else if clause.is_some() {
        parser.expect_token(&Token::RParen)?;
    }
    let Token::Word(w) = name.token else {
        return parser.expected("JSON_OBJECT or JSON_ARRAY", name);
    };
    let clauses = clause
        .map(FunctionArgumentClause::JsonNullClause)
        .into_iter()
        .collect();
    Ok(function_call(Ident::with_span(name.span, w.value), args, clauses))
}

/// The plain call `name(args clauses)` that sqlparser would have parsed for a function whose
/// arguments need Flink's own syntax.
fn function_call(name: Ident, args: Vec<Expr>, clauses: Vec<FunctionArgumentClause>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![name]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
                .collect(),
            clauses,
        }),
        within_group: Vec::new(),
        filter: None,
        null_treatment: None,
        over: None,
    })
}

/// Consumes the word `w` (any case, not quoted) if it comes next.
fn word(parser: &mut Parser<'_>, w: &str) -> bool {
    let next = matches!(&parser.peek_token_ref().token,
        Token::Word(t) if t.quote_style.is_none() && t.value.eq_ignore_ascii_case(w));
    if next {
        parser.next_token();
    }
    next
}

/// `JSON_EXISTS(json, path [clause])` / `JSON_QUERY(json, path [clauses])` after the name: a call
/// of the two arguments and, when clauses are written, a third string argument starting with
/// [`JSON_CLAUSES`] that lists them in a fixed form (`ON ERROR TRUE`, `WRAPPER CONDITIONAL`,
/// `ON EMPTY EMPTY ARRAY`).
fn parse_json_query(
    parser: &mut Parser<'_>,
    name: sqlparser::tokenizer::TokenWithSpan,
) -> Result<Expr, ParserError> {
    let Token::Word(name_word) = &name.token else {
        return parser.expected("JSON_EXISTS or JSON_QUERY", name);
    };
    let exists = name_word.value.eq_ignore_ascii_case("JSON_EXISTS");
    parser.expect_token(&Token::LParen)?;
    let json = parser.parse_expr()?;
    parser.expect_token(&Token::Comma)?;
    let path = parser.parse_expr()?;
    let mut clauses: Vec<String> = Vec::new();
    loop {
        if exists {
            let Some(b) = ["TRUE", "FALSE", "UNKNOWN", "ERROR"]
                .into_iter()
                .find(|b| word(parser, b))
            else {
                break;
            };
            parser.expect_keyword_is(Keyword::ON)?;
            if !word(parser, "ERROR") {
                return parser.expected("ON ERROR", parser.peek_token());
            }
            clauses.push(format!("ON ERROR {b}"));
            continue;
        }
        if word(parser, "WITHOUT") {
            let _ = word(parser, "ARRAY");
            if !word(parser, "WRAPPER") {
                return parser.expected("WRAPPER", parser.peek_token());
            }
            clauses.push("WRAPPER WITHOUT".into());
            continue;
        }
        if word(parser, "WITH") {
            let kind = if word(parser, "CONDITIONAL") {
                "CONDITIONAL"
            } else {
                let _ = word(parser, "UNCONDITIONAL");
                "UNCONDITIONAL"
            };
            let _ = word(parser, "ARRAY");
            if !word(parser, "WRAPPER") {
                return parser.expected("WRAPPER", parser.peek_token());
            }
            clauses.push(format!("WRAPPER {kind}"));
            continue;
        }
        let behavior = if word(parser, "NULL") {
            "NULL"
        } else if word(parser, "ERROR") {
            "ERROR"
        } else if word(parser, "EMPTY") {
            if word(parser, "ARRAY") {
                "EMPTY ARRAY"
            } else if word(parser, "OBJECT") {
                "EMPTY OBJECT"
            } else {
                return parser.expected("ARRAY or OBJECT after EMPTY", parser.peek_token());
            }
        } else {
            break;
        };
        parser.expect_keyword_is(Keyword::ON)?;
        let when = if word(parser, "EMPTY") {
            "EMPTY"
        } else if word(parser, "ERROR") {
            "ERROR"
        } else {
            return parser.expected("ON EMPTY or ON ERROR", parser.peek_token());
        };
        clauses.push(format!("ON {when} {behavior}"));
    }
    parser.expect_token(&Token::RParen)?;
    let mut args = vec![json, path];
    if !clauses.is_empty() {
        args.push(Expr::Value(
            sqlparser::ast::Value::SingleQuotedString(format!("{JSON_CLAUSES}{}", clauses.join(";"))).into(),
        ));
    }
    Ok(function_call(
        Ident::with_span(name.span, name_word.value.clone()),
        args,
        Vec::new(),
    ))
}

fn parse_table_arg(parser: &mut Parser<'_>) -> Result<Expr, ParserError> {
    let name = parser.parse_object_name(false)?;
    let mut keys = Vec::new();
    if parser.parse_keywords(&[Keyword::PARTITION, Keyword::BY]) {
        if parser.consume_token(&Token::LParen) {
            keys = parser.parse_comma_separated(|p| p.parse_identifier())?;
            parser.expect_token(&Token::RParen)?;
        } else {
            keys.push(parser.parse_identifier()?);
        }
    }
    let name_parts = name
        .0
        .into_iter()
        .map(|part| match part.as_ident() {
            Some(i) => Ok(i.clone()),
            None => Err(ParserError::ParserError(
                "Expected: a table name after TABLE".into(),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Expr::Prefixed {
        prefix: Ident::new(TABLE_ARG),
        value: Box::new(Expr::Tuple(vec![
            Expr::CompoundIdentifier(name_parts),
            Expr::Tuple(keys.into_iter().map(Expr::Identifier).collect()),
        ])),
    })
}
