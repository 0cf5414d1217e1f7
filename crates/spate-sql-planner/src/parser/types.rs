//! Flink's data types on sqlparser tokens (`ARRAY<ROW<a INT>>`, `TIMESTAMP(3) WITH LOCAL TIME
//! ZONE`, ...). sqlparser's own type parser knows neither `MAP<..>` nor `ROW<..>` in Flink's form.

use sqlparser::tokenizer::Token;

use super::FlinkParser;
use crate::error::{Result, SqlError};
use crate::types::{DataType, MAX_DECIMAL_PRECISION, MAX_LENGTH, MAX_TIME_PRECISION, RowField, TypeKind};

/// Parses a Flink type written as text (used for `CAST` targets, which sqlparser parsed with its
/// own type grammar and prints back as text).
pub(crate) fn parse_type_text(text: &str, at: crate::error::Position) -> Result<DataType> {
    let mut p = FlinkParser::new(text).map_err(|_| bad_cast_type(text, at))?;
    let ty = p.data_type().map_err(|_| bad_cast_type(text, at))?;
    if !p.at_eof() || p.pending_gt {
        return Err(bad_cast_type(text, at));
    }
    Ok(ty)
}

fn bad_cast_type(text: &str, at: crate::error::Position) -> SqlError {
    SqlError::parse(format!("not a Flink type: {text}"), at)
}

impl FlinkParser<'_> {
    /// A type with an optional `NOT NULL` / `NULL` suffix.
    pub(crate) fn data_type(&mut self) -> Result<DataType> {
        if self.type_depth >= super::RECURSION_LIMIT {
            return Err(SqlError::parse("the type nests too deeply", self.pos()));
        }
        self.type_depth += 1;
        let kind = self.type_kind();
        self.type_depth -= 1;
        let mut kind = kind?;
        // Postfix collection types: `INT ARRAY`, `STRING MULTISET`.
        while !self.pending_gt {
            if self.word("ARRAY") {
                kind = TypeKind::Array(Box::new(DataType::new(kind)));
            } else if self.word("MULTISET") {
                kind = TypeKind::Multiset(Box::new(DataType::new(kind)));
            } else {
                break;
            }
        }
        let mut ty = DataType::new(kind);
        if !self.pending_gt {
            if self.words(&["NOT", "NULL"]) {
                ty.nullable = false;
            } else {
                self.word("NULL");
            }
        }
        Ok(ty)
    }

    fn type_kind(&mut self) -> Result<TypeKind> {
        let pos = self.pos();
        let name = match &self.p.peek_token_ref().token {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            _ => return Err(self.expected("a data type")),
        };
        self.p.next_token();
        let kind = match name.as_str() {
            "BOOLEAN" => TypeKind::Boolean,
            "TINYINT" => TypeKind::TinyInt,
            "SMALLINT" => TypeKind::SmallInt,
            "INT" | "INTEGER" => TypeKind::Int,
            "BIGINT" => TypeKind::BigInt,
            "FLOAT" => TypeKind::Float,
            "DOUBLE" => {
                self.word("PRECISION");
                TypeKind::Double
            }
            "DECIMAL" | "DEC" | "NUMERIC" => {
                let (precision, scale) = match self.type_params(2)?.as_slice() {
                    [] => (10, 0),
                    [p] => (*p, 0),
                    [p, s] => (*p, *s),
                    _ => unreachable_params(pos)?,
                };
                if !(1..=MAX_DECIMAL_PRECISION).contains(&precision) {
                    return Err(SqlError::parse(
                        format!(
                            "DECIMAL precision must be between 1 and {MAX_DECIMAL_PRECISION}, got {precision}"
                        ),
                        pos,
                    ));
                }
                if scale > precision {
                    return Err(SqlError::parse(
                        format!(
                            "DECIMAL scale must be between 0 and the precision ({precision}), got {scale}"
                        ),
                        pos,
                    ));
                }
                TypeKind::Decimal { precision, scale }
            }
            "CHAR" | "CHARACTER" => {
                if self.word("VARYING") {
                    TypeKind::Varchar(self.length(MAX_LENGTH, pos)?)
                } else {
                    TypeKind::Char(self.length(1, pos)?)
                }
            }
            // Without a length Flink's VARCHAR is STRING and VARBINARY is BYTES (unlike CHAR and
            // BINARY, whose default length is 1), as Flink 2.3's DESCRIBE shows.
            "VARCHAR" => TypeKind::Varchar(self.length(MAX_LENGTH, pos)?),
            "STRING" => TypeKind::Varchar(MAX_LENGTH),
            "BINARY" => TypeKind::Binary(self.length(1, pos)?),
            "VARBINARY" => TypeKind::Varbinary(self.length(MAX_LENGTH, pos)?),
            "BYTES" => TypeKind::Varbinary(MAX_LENGTH),
            "DATE" => TypeKind::Date,
            "TIME" => {
                let p = self.precision(0, pos)?;
                self.words(&["WITHOUT", "TIME", "ZONE"]);
                TypeKind::Time(p)
            }
            "TIMESTAMP" => {
                let p = self.precision(6, pos)?;
                if self.words(&["WITH", "LOCAL", "TIME", "ZONE"]) {
                    TypeKind::TimestampLtz(p)
                } else if self.peek_word("WITH") && self.is_time_zone_next() {
                    return Err(SqlError::unsupported(
                        "TIMESTAMP WITH TIME ZONE is not supported by Flink; use TIMESTAMP_LTZ",
                        self.pos(),
                    ));
                } else {
                    self.words(&["WITHOUT", "TIME", "ZONE"]);
                    TypeKind::Timestamp(p)
                }
            }
            "TIMESTAMP_LTZ" => TypeKind::TimestampLtz(self.precision(6, pos)?),
            "ARRAY" => {
                self.open_angle()?;
                let t = self.data_type()?;
                self.close_angle()?;
                TypeKind::Array(Box::new(t))
            }
            "MULTISET" => {
                self.open_angle()?;
                let t = self.data_type()?;
                self.close_angle()?;
                TypeKind::Multiset(Box::new(t))
            }
            "MAP" => {
                self.open_angle()?;
                let k = self.data_type()?;
                self.expect_token(&Token::Comma)?;
                let v = self.data_type()?;
                self.close_angle()?;
                TypeKind::Map(Box::new(k), Box::new(v))
            }
            "ROW" => TypeKind::Row(self.row_fields()?),
            _ => {
                return Err(SqlError::parse(format!("unknown data type {name}"), pos));
            }
        };
        Ok(kind)
    }

    fn is_time_zone_next(&self) -> bool {
        matches!(&self.p.peek_nth_token_ref(1).token,
            Token::Word(w) if w.value.eq_ignore_ascii_case("TIME"))
    }

    /// `ROW<a T ['desc'], ...>` or `ROW(a T ['desc'], ...)`.
    fn row_fields(&mut self) -> Result<Vec<RowField>> {
        // `ROW<>` tokenizes as `ROW` `<>`.
        if self.p.consume_token(&Token::Neq) {
            return Ok(Vec::new());
        }
        let angle = if self.p.consume_token(&Token::LParen) {
            false
        } else {
            self.open_angle()?;
            true
        };
        let mut fields = Vec::new();
        let closes = |p: &Self| {
            if angle {
                p.pending_gt || matches!(p.p.peek_token_ref().token, Token::Gt | Token::ShiftRight)
            } else {
                p.p.peek_token_ref().token == Token::RParen
            }
        };
        if !closes(self) {
            loop {
                let name = self.ident()?;
                let ty = self.data_type()?;
                let description = if self.pending_gt {
                    None
                } else if let Token::SingleQuotedString(_) = self.p.peek_token_ref().token {
                    Some(self.string()?)
                } else {
                    None
                };
                if fields.iter().any(|f: &RowField| f.name == name) {
                    return Err(SqlError::parse(
                        format!("duplicate field {name} in ROW type"),
                        self.pos(),
                    ));
                }
                fields.push(RowField {
                    name,
                    ty,
                    description,
                });
                if self.pending_gt || !self.p.consume_token(&Token::Comma) {
                    break;
                }
            }
        }
        if angle {
            self.close_angle()?;
        } else {
            self.expect_token(&Token::RParen)?;
        }
        Ok(fields)
    }

    fn open_angle(&mut self) -> Result<()> {
        self.expect_token(&Token::Lt)
    }

    /// A `>`, splitting a `>>` token into two.
    fn close_angle(&mut self) -> Result<()> {
        if self.pending_gt {
            self.pending_gt = false;
            return Ok(());
        }
        match self.p.peek_token_ref().token {
            Token::Gt => {
                self.p.next_token();
                Ok(())
            }
            Token::ShiftRight => {
                self.p.next_token();
                self.pending_gt = true;
                Ok(())
            }
            _ => Err(self.expected("'>'")),
        }
    }

    /// `(n)` with at most `max` comma-separated unsigned integers, or nothing.
    fn type_params(&mut self, max: usize) -> Result<Vec<u32>> {
        if self.pending_gt || !self.p.consume_token(&Token::LParen) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        loop {
            let pos = self.pos();
            let n = match &self.p.peek_token_ref().token {
                Token::Number(n, _) => n
                    .parse::<u32>()
                    .map_err(|_| SqlError::parse(format!("expected a type parameter, found {n}"), pos))?,
                _ => return Err(self.expected("an unsigned integer")),
            };
            self.p.next_token();
            out.push(n);
            if out.len() < max && self.p.consume_token(&Token::Comma) {
                continue;
            }
            self.expect_token(&Token::RParen)?;
            return Ok(out);
        }
    }

    /// A length for CHAR/VARCHAR/BINARY/VARBINARY (at least 1).
    fn length(&mut self, default: u32, pos: crate::error::Position) -> Result<u32> {
        let n = self.type_params(1)?.first().copied().unwrap_or(default);
        if n == 0 || n > MAX_LENGTH {
            return Err(SqlError::parse(
                format!("length must be between 1 and {MAX_LENGTH}, got {n}"),
                pos,
            ));
        }
        Ok(n)
    }

    fn precision(&mut self, default: u32, pos: crate::error::Position) -> Result<u32> {
        let p = self.type_params(1)?.first().copied().unwrap_or(default);
        if p > MAX_TIME_PRECISION {
            return Err(SqlError::parse(
                format!("precision must be between 0 and {MAX_TIME_PRECISION}, got {p}"),
                pos,
            ));
        }
        Ok(p)
    }
}

fn unreachable_params<T>(pos: crate::error::Position) -> Result<T> {
    Err(SqlError::parse("too many type parameters", pos))
}
