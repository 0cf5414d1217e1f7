//! Flink SQL text → Spate's IR ([`crate::ast`]). The only module that touches sqlparser.
//!
//! sqlparser tokenizes and parses expressions and queries (with the [`dialect::FlinkDialect`]
//! hooks); the statements sqlparser does not know in Flink's form — `CREATE TABLE` with
//! watermarks, computed and metadata columns, Flink's types, statement sets, `SET`/`RESET` with
//! quoted keys — are parsed here on sqlparser's public token API. Its AST is converted into
//! Spate's IR right away (`convert.rs`); anything it accepts that Flink does not, or that Spate
//! does not support yet, is an error with a position, never a guess.

mod convert;
mod dialect;
mod hints;
mod split;
mod types;

use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::ast::{
    Column, ColumnKind, ConflictStrategy, CreateTable, CreateView, Drop, Explain, Insert, PrimaryKey, Query,
    Statement, TableDef, TableOption, Watermark,
};
use crate::error::{Position, Result, SqlError};
use crate::ident::{Ident, Loc, ObjectName};

pub use split::{StatementText, split_statements};

use dialect::FlinkDialect;
pub(crate) use hints::TableHints;

/// How deep expressions and queries may nest before the parser refuses (no stack overflow on
/// hostile input).
pub(crate) const RECURSION_LIMIT: usize = 64;

/// Parses a script of `;`-separated Flink SQL statements.
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    let mut p = FlinkParser::new(sql)?;
    let mut out = Vec::new();
    loop {
        while p.p.consume_token(&Token::SemiColon) {}
        if p.at_eof() {
            p.table_hints.check_all_taken()?;
            return Ok(out);
        }
        out.push(p.statement()?);
        p.end_of_statement()?;
    }
}

/// Parses exactly one statement (a trailing `;` is allowed).
pub fn parse_statement(sql: &str) -> Result<Statement> {
    let mut p = FlinkParser::new(sql)?;
    let stmt = p.statement()?;
    while p.p.consume_token(&Token::SemiColon) {}
    if !p.at_eof() {
        return Err(p.expected("end of input"));
    }
    p.table_hints.check_all_taken()?;
    Ok(stmt)
}

/// Converts a sqlparser error (whose message ends in " at Line: L, Column: C") into a
/// [`SqlError::Parse`] at that position, or at `fallback` when it carries none.
pub(crate) fn from_parser_error(e: ParserError, fallback: Position) -> SqlError {
    let msg = match e {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => {
            return SqlError::parse("the statement nests too deeply", fallback);
        }
    };
    let msg = msg.replace("found: EOF", "found: end of input");
    match split_location(&msg) {
        // sqlparser's end-of-input token has no position.
        Some((text, pos)) if pos.line > 0 => SqlError::parse(text, pos),
        Some((text, _)) => SqlError::parse(text, fallback),
        None => SqlError::parse(msg, fallback),
    }
}

fn split_location(msg: &str) -> Option<(String, Position)> {
    let at = msg.rfind(" at Line: ")?;
    let rest = &msg[at + " at Line: ".len()..];
    let (line, col) = rest.split_once(", Column: ")?;
    let line = line.trim().parse().ok()?;
    let col = col.trim().parse().ok()?;
    Some((msg[..at].to_string(), Position::new(line, col)))
}

fn position_of(t: &TokenWithSpan) -> Position {
    Position::new(t.span.start.line, t.span.start.column)
}

/// Tokens with positions; an unterminated string or comment is reported where it starts.
pub(crate) fn tokenize(sql: &str) -> Result<Vec<TokenWithSpan>> {
    Tokenizer::new(&DIALECT, sql)
        .tokenize_with_location()
        .map_err(|e| {
            let pos = unterminated_start(sql).unwrap_or(Position::new(e.location.line, e.location.column));
            SqlError::parse(e.message, pos)
        })
}

/// Where the quote or comment that never closes opens, if one does not.
fn unterminated_start(sql: &str) -> Option<Position> {
    let (mut line, mut col) = (1u64, 1u64);
    let mut open: Option<(char, Position)> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        let here = Position::new(line, col);
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
        match open {
            Some(('-', _)) if c == '\n' => open = None,
            Some(('*', _)) if c == '*' && chars.peek() == Some(&'/') => {
                chars.next();
                col += 1;
                open = None;
            }
            Some((q, _)) if (q == '\'' || q == '`' || q == '"') && c == q => {
                if chars.peek() == Some(&q) {
                    chars.next();
                    col += 1;
                } else {
                    open = None;
                }
            }
            Some(_) => {}
            None => match c {
                '\'' | '`' | '"' => open = Some((c, here)),
                '-' if chars.peek() == Some(&'-') => open = Some(('-', here)),
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    col += 1;
                    open = Some(('*', here));
                }
                _ => {}
            },
        }
    }
    match open {
        Some(('-', _)) | None => None,
        Some((_, pos)) => Some(pos),
    }
}

/// Most infix operators (set operations and joins included) one statement may have. sqlparser
/// parses an operator chain (`a + b + c ...`) without recursion but builds a tree one level
/// deeper per operator, which is converted and dropped recursively; this bounds that depth far
/// beyond any real statement.
const MAX_OPERATORS: usize = 5_000;

fn check_operator_chains(tokens: &[TokenWithSpan]) -> Result<()> {
    let mut count = 0usize;
    for t in tokens {
        match &t.token {
            Token::SemiColon => count = 0,
            Token::Plus
            | Token::Minus
            | Token::Mul
            | Token::Div
            | Token::Mod
            | Token::StringConcat
            | Token::Eq
            | Token::Neq
            | Token::Lt
            | Token::LtEq
            | Token::Gt
            | Token::GtEq
            | Token::LBracket => count += 1,
            // Set operations and joins nest the same way (`.. UNION ALL .. UNION ALL ..`).
            Token::Word(w)
                if w.quote_style.is_none()
                    && ["AND", "OR", "UNION", "INTERSECT", "EXCEPT", "MINUS", "JOIN"]
                        .iter()
                        .any(|k| w.value.eq_ignore_ascii_case(k)) =>
            {
                count += 1;
            }
            _ => {}
        }
        if count > MAX_OPERATORS {
            return Err(SqlError::parse(
                format!("the statement has more than {MAX_OPERATORS} operators"),
                position_of(t),
            ));
        }
    }
    Ok(())
}

/// sqlparser's parser plus the Flink statements it lacks.
pub(crate) struct FlinkParser<'a> {
    pub(crate) p: Parser<'a>,
    /// A `>` still owed to the type parser after it split a `>>` token (`ARRAY<ARRAY<INT>>`).
    pub(crate) pending_gt: bool,
    /// How deep the type parser is in nested types (bounded like expressions).
    pub(crate) type_depth: usize,
    /// Just after the last token: where "end of input" errors point.
    eof: Position,
    /// The `OPTIONS` hints after table names, taken by the tables they follow.
    pub(crate) table_hints: TableHints,
}

static DIALECT: FlinkDialect = FlinkDialect;

/// Hint comments Spate runs stand after `SELECT` (`STATE_TTL`) and after a table's name
/// (`OPTIONS`, returned by where that name ends, for the converter to attach to the table); the
/// other hints change what a query reads or how it joins, and a tokenizer drops comments, so
/// they are refused rather than silently ignored.
fn check_hint_comments(tokens: &[TokenWithSpan]) -> Result<TableHints> {
    let mut previous: Option<&TokenWithSpan> = None;
    let table_hints = TableHints::default();
    for t in tokens {
        match &t.token {
            Token::Whitespace(Whitespace::MultiLineComment(c)) if c.starts_with('+') => {
                let after = previous.map(|p| &p.token);
                let after_select = matches!(after, Some(Token::Word(w)) if w.keyword == sqlparser::keywords::Keyword::SELECT);
                let after_word = matches!(after, Some(Token::Word(_))) && !after_select;
                let parsed =
                    hints::parse_hints(&c[1..]).map_err(|why| SqlError::unsupported(why, position_of(t)))?;
                let (options, others): (Vec<_>, Vec<_>) = parsed
                    .into_iter()
                    .partition(|h| h.name == "OPTIONS" && after_word);
                hints::check_hints(&others, after_select)
                    .map_err(|why| SqlError::unsupported(why, position_of(t)))?;
                if let Some(name_end) = previous.map(|p| p.span.end) {
                    for h in options {
                        let options = hints::table_options(&h)
                            .map_err(|why| SqlError::validation(why, Some(position_of(t))))?;
                        table_hints.add(name_end, options, position_of(t));
                    }
                }
            }
            Token::Whitespace(_) => {}
            _ => previous = Some(t),
        }
    }
    Ok(table_hints)
}

impl<'a> FlinkParser<'a> {
    fn new(sql: &'a str) -> Result<Self> {
        let tokens = tokenize(sql)?;
        check_operator_chains(&tokens)?;
        let table_hints = check_hint_comments(&tokens)?;
        let eof = tokens
            .iter()
            .rev()
            .find(|t| !matches!(t.token, Token::Whitespace(_)))
            .map_or(Position::new(1, 1), |t| {
                Position::new(t.span.end.line, t.span.end.column)
            });
        let p = Parser::new(&DIALECT)
            .with_recursion_limit(RECURSION_LIMIT)
            .with_tokens_with_locations(tokens);
        Ok(Self {
            p,
            pending_gt: false,
            type_depth: 0,
            eof,
            table_hints,
        })
    }

    // ---- token helpers ----------------------------------------------------------------------

    /// The next token's position (the end of the text at the end of input).
    pub(crate) fn pos(&self) -> Position {
        let t = self.p.peek_token_ref();
        if t.token == Token::EOF || t.span.start.line == 0 {
            self.eof
        } else {
            position_of(t)
        }
    }

    pub(crate) fn at_eof(&self) -> bool {
        self.p.peek_token_ref().token == Token::EOF
    }

    /// An error "Expected: `what`, found: <next token>" at the next token.
    pub(crate) fn expected(&self, what: &str) -> SqlError {
        let t = self.p.peek_token_ref();
        let found = if t.token == Token::EOF {
            "end of input".to_string()
        } else {
            t.token.to_string()
        };
        SqlError::parse(format!("Expected: {what}, found: {found}"), self.pos())
    }

    pub(crate) fn lift<T>(&self, r: std::result::Result<T, ParserError>) -> Result<T> {
        r.map_err(|e| {
            let e = from_parser_error(e, self.eof);
            // An error at the end of input has the end of the text as its position.
            match e {
                SqlError::Parse { message, pos } if pos.line == 0 => SqlError::parse(message, self.eof),
                other => other,
            }
        })
    }

    fn is_word_at(&self, n: usize, w: &str) -> bool {
        matches!(&self.p.peek_nth_token_ref(n).token,
            Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(w))
    }

    pub(crate) fn peek_word(&self, w: &str) -> bool {
        self.is_word_at(0, w)
    }

    /// Consumes the word `w` (unquoted, any case) if it is next.
    pub(crate) fn word(&mut self, w: &str) -> bool {
        if self.peek_word(w) {
            self.p.next_token();
            true
        } else {
            false
        }
    }

    /// Consumes all of `ws` if they are next, else nothing.
    pub(crate) fn words(&mut self, ws: &[&str]) -> bool {
        if ws.iter().enumerate().all(|(i, w)| self.is_word_at(i, w)) {
            for _ in ws {
                self.p.next_token();
            }
            true
        } else {
            false
        }
    }

    pub(crate) fn expect_word(&mut self, w: &str) -> Result<()> {
        if self.word(w) {
            Ok(())
        } else {
            Err(self.expected(w))
        }
    }

    pub(crate) fn expect_token(&mut self, t: &Token) -> Result<()> {
        if self.p.consume_token(t) {
            Ok(())
        } else {
            Err(self.expected(&format!("'{t}'")))
        }
    }

    pub(crate) fn ident(&mut self) -> Result<Ident> {
        match &self.p.peek_token_ref().token {
            Token::Word(w) if w.quote_style.is_none() && crate::ident::is_reserved(&w.value) => {
                Err(self.expected("an identifier (quote reserved words with back quotes)"))
            }
            Token::Word(w) => {
                let i = Ident::at(w.value.clone(), Loc(Some(self.pos())));
                self.p.next_token();
                Ok(i)
            }
            _ => Err(self.expected("an identifier")),
        }
    }

    fn ident_list(&mut self) -> Result<Vec<Ident>> {
        self.expect_token(&Token::LParen)?;
        let mut out = vec![self.ident()?];
        while self.p.consume_token(&Token::Comma) {
            out.push(self.ident()?);
        }
        self.expect_token(&Token::RParen)?;
        Ok(out)
    }

    pub(crate) fn object_name(&mut self) -> Result<ObjectName> {
        let mut parts = vec![self.ident()?];
        while self.p.consume_token(&Token::Period) {
            parts.push(self.ident()?);
        }
        Ok(ObjectName(parts))
    }

    pub(crate) fn string(&mut self) -> Result<String> {
        match &self.p.peek_token_ref().token {
            Token::SingleQuotedString(s) => {
                let s = s.clone();
                self.p.next_token();
                Ok(s)
            }
            _ => Err(self.expected("a string literal")),
        }
    }

    fn end_of_statement(&mut self) -> Result<()> {
        if self.at_eof() || self.p.consume_token(&Token::SemiColon) {
            Ok(())
        } else {
            Err(self.expected("';' or end of statement"))
        }
    }

    // ---- statements -------------------------------------------------------------------------

    fn statement(&mut self) -> Result<Statement> {
        let start = self.pos();
        if self.word("CREATE") {
            let temporary = self.word("TEMPORARY");
            if self.word("TABLE") {
                return self.create_table(temporary);
            }
            if self.word("VIEW") {
                return self.create_view(temporary);
            }
            if self.peek_word("FUNCTION")
                || self.peek_word("CATALOG")
                || self.peek_word("DATABASE")
                || self.peek_word("SYSTEM")
            {
                return Err(SqlError::unsupported(
                    format!("CREATE {} is not supported yet", self.p.peek_token_ref().token),
                    self.pos(),
                ));
            }
            return Err(self.expected("TABLE or VIEW after CREATE"));
        }
        if self.peek_word("INSERT") {
            return Ok(Statement::Insert(self.insert()?));
        }
        if self.words(&["EXECUTE", "STATEMENT", "SET"]) {
            self.expect_word("BEGIN")?;
            return self.statement_set_body(start);
        }
        if self.words(&["BEGIN", "STATEMENT", "SET"]) {
            self.expect_token(&Token::SemiColon)?;
            return self.statement_set_body(start);
        }
        if self.word("SET") {
            if self.at_eof() || self.p.peek_token_ref().token == Token::SemiColon {
                return Ok(Statement::Set(None));
            }
            let quoted = |p: &mut Self| {
                p.string()
                    .map_err(|_| p.expected("a quoted key and value: SET 'key' = 'value'"))
            };
            let key = quoted(self)?;
            self.expect_token(&Token::Eq)?;
            let value = quoted(self)?;
            return Ok(Statement::Set(Some((key, value))));
        }
        if self.word("RESET") {
            if self.at_eof() || self.p.peek_token_ref().token == Token::SemiColon {
                return Ok(Statement::Reset(None));
            }
            let key = self
                .string()
                .map_err(|_| self.expected("a quoted key: RESET 'key'"))?;
            return Ok(Statement::Reset(Some(key)));
        }
        if self.word("EXPLAIN") {
            return self.explain();
        }
        // Flink statements Spate does not run (yet): named, not a parse error.
        for word in [
            "USE", "ALTER", "ANALYZE", "LOAD", "UNLOAD", "ADD", "REMOVE", "TRUNCATE", "CALL", "DELETE",
            "UPDATE",
        ] {
            if self.peek_word(word) {
                return Err(SqlError::unsupported(
                    format!("{word} statements are not supported yet"),
                    start,
                ));
            }
        }
        if self.word("SHOW") {
            if self.word("TABLES") {
                return Ok(Statement::ShowTables);
            }
            return Err(SqlError::unsupported("only SHOW TABLES is supported", self.pos()));
        }
        if self.word("DESCRIBE") || self.word("DESC") {
            return Ok(Statement::Describe(self.object_name()?));
        }
        if self.word("DROP") {
            let temporary = self.word("TEMPORARY");
            let table = if self.word("TABLE") {
                true
            } else if self.word("VIEW") {
                false
            } else {
                return Err(self.expected("TABLE or VIEW after DROP"));
            };
            let if_exists = self.words(&["IF", "EXISTS"]);
            let loc = Loc(Some(self.pos()));
            let name = self.object_name()?;
            let d = Drop {
                temporary,
                if_exists,
                name,
                loc,
            };
            return Ok(if table {
                Statement::DropTable(d)
            } else {
                Statement::DropView(d)
            });
        }
        if self.starts_query() {
            return Ok(Statement::Select(self.query()?));
        }
        Err(self.expected("a Flink SQL statement"))
    }

    fn starts_query(&self) -> bool {
        self.peek_word("SELECT")
            || self.peek_word("WITH")
            || self.peek_word("VALUES")
            || self.p.peek_token_ref().token == Token::LParen
    }

    pub(crate) fn query(&mut self) -> Result<Query> {
        let start = self.pos();
        let q = self.p.parse_query();
        let q = self.lift(q)?;
        convert::query(&q, start, &self.table_hints)
    }

    fn explain(&mut self) -> Result<Statement> {
        let mut details = Vec::new();
        if self.words(&["PLAN", "FOR"]) {
            // Flink's older spelling; same meaning as a bare EXPLAIN.
        } else {
            const DETAILS: [&str; 4] = [
                "ESTIMATED_COST",
                "CHANGELOG_MODE",
                "JSON_EXECUTION_PLAN",
                "PLAN_ADVICE",
            ];
            while let Some(d) = DETAILS.iter().find(|d| self.peek_word(d)) {
                details.push((*d).to_string());
                self.p.next_token();
                if !self.p.consume_token(&Token::Comma) {
                    break;
                }
            }
        }
        let start = self.pos();
        let statement = if self.peek_word("INSERT") {
            Statement::Insert(self.insert()?)
        } else if self.words(&["STATEMENT", "SET"]) || self.words(&["EXECUTE", "STATEMENT", "SET"]) {
            self.expect_word("BEGIN")?;
            self.statement_set_body(start)?
        } else if self.starts_query() {
            Statement::Select(self.query()?)
        } else {
            return Err(self.expected("a query, INSERT or STATEMENT SET after EXPLAIN"));
        };
        Ok(Statement::Explain(Explain {
            details,
            statement: Box::new(statement),
        }))
    }

    /// The inserts of a statement set after its `BEGIN` (and `;` in the old form), up to `END`.
    fn statement_set_body(&mut self, start: Position) -> Result<Statement> {
        let mut inserts = Vec::new();
        loop {
            while self.p.consume_token(&Token::SemiColon) {}
            if self.word("END") {
                break;
            }
            if !self.peek_word("INSERT") {
                return Err(self.expected("INSERT or END in a statement set"));
            }
            inserts.push(self.insert()?);
            if !self.p.consume_token(&Token::SemiColon) {
                return Err(self.expected("';' after an INSERT in a statement set"));
            }
        }
        if inserts.is_empty() {
            return Err(SqlError::parse(
                "a statement set needs at least one INSERT",
                start,
            ));
        }
        Ok(Statement::StatementSet(inserts))
    }

    fn insert(&mut self) -> Result<Insert> {
        self.expect_word("INSERT")?;
        if self.peek_word("OVERWRITE") {
            return Err(SqlError::unsupported(
                "INSERT OVERWRITE is not supported (streaming sinks only append)",
                self.pos(),
            ));
        }
        self.expect_word("INTO")?;
        let loc = Loc(Some(self.pos()));
        let table = self.object_name()?;
        if self.peek_word("PARTITION") {
            return Err(SqlError::unsupported(
                "static partitions in INSERT (PARTITION (..)) are not supported yet",
                self.pos(),
            ));
        }
        let mut columns = Vec::new();
        // `(` starts either the column list or a parenthesized query.
        if self.p.peek_token_ref().token == Token::LParen
            && !matches!(&self.p.peek_nth_token_ref(1).token,
                Token::Word(w) if w.quote_style.is_none()
                    && (w.value.eq_ignore_ascii_case("SELECT") || w.value.eq_ignore_ascii_case("WITH") || w.value.eq_ignore_ascii_case("VALUES")))
        {
            columns = self.ident_list()?;
        }
        if !self.starts_query() {
            return Err(self.expected("SELECT, WITH or VALUES"));
        }
        let query = self.query()?;
        let on_conflict = if self.words(&["ON", "CONFLICT"]) {
            self.expect_word("DO")?;
            let strategy = [
                ("ERROR", ConflictStrategy::Error),
                ("NOTHING", ConflictStrategy::Nothing),
                ("DEDUPLICATE", ConflictStrategy::Deduplicate),
            ]
            .into_iter()
            .find_map(|(w, strategy)| self.word(w).then_some(strategy));
            Some(strategy.ok_or_else(|| self.expected("ERROR, NOTHING or DEDUPLICATE"))?)
        } else {
            None
        };
        Ok(Insert {
            table,
            columns,
            query,
            on_conflict,
            loc,
        })
    }

    fn create_view(&mut self, temporary: bool) -> Result<Statement> {
        let if_not_exists = self.words(&["IF", "NOT", "EXISTS"]);
        let loc = Loc(Some(self.pos()));
        let name = self.object_name()?;
        let columns = if self.p.peek_token_ref().token == Token::LParen {
            self.ident_list()?
        } else {
            Vec::new()
        };
        let comment = if self.word("COMMENT") {
            Some(self.string()?)
        } else {
            None
        };
        self.expect_word("AS")?;
        let query = self.query()?;
        Ok(Statement::CreateView(CreateView {
            temporary,
            if_not_exists,
            name,
            columns,
            comment,
            query,
            loc,
        }))
    }

    // ---- CREATE TABLE -----------------------------------------------------------------------

    fn create_table(&mut self, temporary: bool) -> Result<Statement> {
        let if_not_exists = self.words(&["IF", "NOT", "EXISTS"]);
        let loc = Loc(Some(self.pos()));
        let name = self.object_name()?;
        let mut table = TableDef {
            name,
            columns: Vec::new(),
            watermark: None,
            primary_key: None,
            comment: None,
            partitioned_by: Vec::new(),
            options: Vec::new(),
            loc,
        };
        if self.p.peek_token_ref().token != Token::LParen {
            if self.peek_word("WITH") || self.peek_word("AS") || self.peek_word("LIKE") {
                return Err(SqlError::unsupported(
                    "CREATE TABLE without a column list (CREATE TABLE AS SELECT, LIKE) is not supported yet",
                    self.pos(),
                ));
            }
            return Err(self.expected("'(' and the column list"));
        }
        self.p.next_token();
        loop {
            self.table_element(&mut table)?;
            if self.p.consume_token(&Token::Comma) {
                continue;
            }
            self.expect_token(&Token::RParen)?;
            break;
        }
        if self.word("COMMENT") {
            table.comment = Some(self.string()?);
        }
        if self.word("DISTRIBUTED") {
            return Err(SqlError::unsupported(
                "DISTRIBUTED BY is not supported yet",
                self.pos(),
            ));
        }
        if self.words(&["PARTITIONED", "BY"]) {
            table.partitioned_by = self.ident_list()?;
        }
        if self.word("WITH") {
            self.expect_token(&Token::LParen)?;
            loop {
                let loc = Loc(Some(self.pos()));
                let key = self.string()?;
                self.expect_token(&Token::Eq)?;
                let value = self.string()?;
                table.options.push(TableOption { key, value, loc });
                if self.p.consume_token(&Token::Comma) {
                    continue;
                }
                self.expect_token(&Token::RParen)?;
                break;
            }
        }
        if self.peek_word("LIKE") || self.peek_word("AS") {
            return Err(SqlError::unsupported(
                format!(
                    "CREATE TABLE ... {} is not supported yet",
                    self.p.peek_token_ref().token
                ),
                self.pos(),
            ));
        }
        Ok(Statement::CreateTable(CreateTable {
            temporary,
            if_not_exists,
            table,
        }))
    }

    /// One element of the column list: a column, `WATERMARK FOR`, or a primary key.
    fn table_element(&mut self, table: &mut TableDef) -> Result<()> {
        let start = self.pos();
        if self.is_word_at(0, "WATERMARK") && self.is_word_at(1, "FOR") {
            self.p.next_token();
            self.p.next_token();
            if table.watermark.is_some() {
                return Err(SqlError::parse("a table can have only one WATERMARK", start));
            }
            let loc = Loc(Some(self.pos()));
            let column = self.ident()?;
            self.expect_word("AS")?;
            let expr = self.expr()?;
            table.watermark = Some(Watermark { column, expr, loc });
            return Ok(());
        }
        let constraint_name = if self.is_word_at(0, "CONSTRAINT") && !self.is_word_at(1, "PRIMARY") {
            self.p.next_token();
            Some(self.ident()?)
        } else {
            if self.is_word_at(0, "CONSTRAINT") {
                return Err(self.expected("a constraint name"));
            }
            None
        };
        if constraint_name.is_some() || (self.is_word_at(0, "PRIMARY") && self.is_word_at(1, "KEY")) {
            self.expect_word("PRIMARY")?;
            self.expect_word("KEY")?;
            let columns = self.ident_list()?;
            self.not_enforced()?;
            return self.set_primary_key(
                table,
                PrimaryKey {
                    name: constraint_name,
                    columns,
                    loc: Loc(Some(start)),
                },
            );
        }
        if self.is_word_at(0, "PERIOD") && self.is_word_at(1, "FOR") {
            return Err(SqlError::unsupported("PERIOD FOR is not supported", start));
        }
        let loc = Loc(Some(start));
        let name = self.ident()?;
        let kind = if self.word("AS") {
            ColumnKind::Computed(self.expr()?)
        } else {
            let ty = self.data_type()?;
            if self.word("METADATA") {
                let key = if self.word("FROM") {
                    Some(self.string()?)
                } else {
                    None
                };
                let is_virtual = self.word("VIRTUAL");
                ColumnKind::Metadata { ty, key, is_virtual }
            } else {
                let pk_start = self.pos();
                if self.words(&["PRIMARY", "KEY"]) {
                    self.not_enforced()?;
                    self.set_primary_key(
                        table,
                        PrimaryKey {
                            name: None,
                            columns: vec![name.clone()],
                            loc: Loc(Some(pk_start)),
                        },
                    )?;
                }
                ColumnKind::Physical(ty)
            }
        };
        let comment = if self.word("COMMENT") {
            Some(self.string()?)
        } else {
            None
        };
        table.columns.push(Column {
            name,
            kind,
            comment,
            loc,
        });
        Ok(())
    }

    fn not_enforced(&mut self) -> Result<()> {
        if self.words(&["NOT", "ENFORCED"]) {
            return Ok(());
        }
        let pos = self.pos();
        if self.peek_word("ENFORCED") {
            return Err(SqlError::parse(
                "Flink supports only PRIMARY KEY ... NOT ENFORCED (it does not own the data, so it cannot enforce the key)",
                pos,
            ));
        }
        Err(self.expected("NOT ENFORCED after PRIMARY KEY"))
    }

    fn set_primary_key(&mut self, table: &mut TableDef, pk: PrimaryKey) -> Result<()> {
        if table.primary_key.is_some() {
            return Err(SqlError::parse(
                "a table can have only one PRIMARY KEY",
                pk.loc.pos().unwrap_or(self.pos()),
            ));
        }
        table.primary_key = Some(pk);
        Ok(())
    }

    pub(crate) fn expr(&mut self) -> Result<crate::ast::Expr> {
        let start = self.pos();
        let e = self.p.parse_expr();
        let e = self.lift(e)?;
        convert::expr(&e, start, &self.table_hints)
    }
}
