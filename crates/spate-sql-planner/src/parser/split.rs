//! Splitting a script into statement texts at `;`, on tokens, so a `;` inside a string, a quoted
//! identifier or a comment does not split, and a statement set (`EXECUTE STATEMENT SET BEGIN
//! ...; ...; END;`) stays one statement.

use sqlparser::tokenizer::Token;

use crate::error::{Position, Result};

/// One statement's text in a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementText {
    /// The statement from its first token to just before its `;` (comments before it excluded).
    pub text: String,
    /// Where it starts in the script.
    pub start: Position,
    /// Byte offset of `start` in the script.
    pub offset: usize,
}

/// Splits a script into statements. Fails only on text that cannot be tokenized (an unterminated
/// string or comment).
///
/// ```
/// let s = spate_sql_planner::split_statements("SET 'a' = ';'; -- x;\nSELECT 1;").unwrap();
/// assert_eq!(s.len(), 2);
/// assert_eq!(s[1].text, "SELECT 1");
/// assert_eq!(s[1].start, spate_sql_planner::Position::new(2, 1));
/// ```
pub fn split_statements(sql: &str) -> Result<Vec<StatementText>> {
    let tokens = super::tokenize(sql)?;
    let lines = LineIndex::new(sql);
    let mut out = Vec::new();
    // The current statement: its start, its first significant words, and statement-set state.
    let mut start: Option<(Position, usize)> = None;
    let mut words: Vec<String> = Vec::new();
    let mut in_set = false;
    let mut set_ended = false;
    // Inside a set, `END` closes it only right after `BEGIN` or a `;` (not a CASE's END).
    let mut end_may_follow = false;
    for t in &tokens {
        let significant = !matches!(t.token, Token::Whitespace(_));
        // Comments are whitespace tokens: a `;` inside one never gets here.
        let end = match t.token {
            Token::SemiColon => Some(lines.offset(t.span.start.line, t.span.start.column)),
            _ => None,
        };
        if let Some(end) = end {
            let splits = !in_set || set_ended;
            if splits {
                if let Some((pos, offset)) = start.take() {
                    let text = sql[offset..end.max(offset)].trim_end().to_string();
                    out.push(StatementText {
                        text,
                        start: pos,
                        offset,
                    });
                }
                words.clear();
                in_set = false;
                set_ended = false;
                end_may_follow = false;
                continue;
            }
            end_may_follow = true;
            continue;
        }
        if !significant {
            continue;
        }
        let offset = lines.offset(t.span.start.line, t.span.start.column);
        if start.is_none() {
            start = Some((Position::new(t.span.start.line, t.span.start.column), offset));
        }
        let mut next_end_may_follow = false;
        if let Token::Word(w) = &t.token
            && w.quote_style.is_none()
        {
            let upper = w.value.to_ascii_uppercase();
            if in_set && end_may_follow && upper == "END" {
                set_ended = true;
            }
            if words.len() < 4 {
                words.push(upper.clone());
                if words.windows(2).any(|p| p[0] == "STATEMENT" && p[1] == "SET") {
                    in_set = true;
                }
            }
            next_end_may_follow = in_set && upper == "BEGIN";
        }
        end_may_follow = next_end_may_follow;
    }
    if let Some((pos, offset)) = start {
        out.push(StatementText {
            text: sql[offset..].trim_end().to_string(),
            start: pos,
            offset,
        });
    }
    Ok(out)
}

/// Line/column (1-based, columns in characters) → byte offset.
struct LineIndex<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        for (i, b) in src.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        Self { src, starts }
    }

    fn offset(&self, line: u64, column: u64) -> usize {
        let l = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
        let Some(&start) = self.starts.get(l) else {
            return self.src.len();
        };
        let col = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
        self.src[start..]
            .char_indices()
            .nth(col)
            .map_or(self.src.len(), |(i, _)| start + i)
    }
}
