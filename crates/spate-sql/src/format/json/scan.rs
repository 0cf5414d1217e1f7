//! A JSON tokenizer over bytes with Jackson's strictness as Flink configures it: standard JSON
//! (no comments, single quotes, `NaN`, leading zeros or `+`), except that control characters
//! may appear unescaped inside strings. Nesting deeper than 1000 is an error, as in Jackson.

use std::borrow::Cow;

/// Jackson's default `maxNestingDepth`.
const MAX_DEPTH: usize = 1000;
/// Jackson's default `maxNumberLength`.
const MAX_NUMBER_LEN: usize = 1000;

/// The first token of a value.
#[derive(Debug)]
pub(super) enum Tok<'a> {
    Null,
    True,
    False,
    /// A number's text; `float` when it has a fraction or an exponent.
    Num {
        text: &'a str,
        float: bool,
    },
    Str(Cow<'a, str>),
    /// `{` (consumed).
    Obj,
    /// `[` (consumed).
    Arr,
}

/// Malformed JSON at a byte offset.
#[derive(Debug)]
pub(super) struct SyntaxError {
    pub(super) at: usize,
    pub(super) message: String,
}

pub(super) type Result<T> = std::result::Result<T, SyntaxError>;

/// Whether a scalar may end before `next` (the end of input or a delimiter).
#[inline]
fn ends_scalar(next: Option<&u8>) -> bool {
    matches!(
        next,
        None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}' | b':')
    )
}

/// The tokenizer.
pub(super) struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    /// `b` as text when all of it is valid UTF-8 (nearly always): strings are then sliced
    /// from it, one validation per record instead of one per string.
    text: Option<&'a str>,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(b: &'a [u8]) -> Self {
        Self {
            b,
            i: 0,
            text: std::str::from_utf8(b).ok(),
        }
    }

    /// How many bytes have been consumed.
    #[cfg(test)]
    pub(super) fn position(&self) -> usize {
        self.i
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T> {
        Err(SyntaxError {
            at: self.i,
            message: message.into(),
        })
    }

    fn unexpected<T>(&self, what: &str) -> Result<T> {
        match self.b.get(self.i) {
            None => self.err(format!("unexpected end of input, expected {what}")),
            Some(&c) if c.is_ascii_graphic() => {
                self.err(format!("unexpected character '{}', expected {what}", c as char))
            }
            Some(&c) => self.err(format!("unexpected byte 0x{c:02x}, expected {what}")),
        }
    }

    pub(super) fn skip_ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// The next non-space byte, not consumed.
    pub(super) fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.b.get(self.i).copied()
    }

    pub(super) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Consumes `c` (after spaces) or fails.
    pub(super) fn expect(&mut self, c: u8, what: &str) -> Result<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            self.unexpected(what)
        }
    }

    /// After a member or element: `true` when another follows (`,` consumed), `false` at the
    /// closing `close` (consumed).
    pub(super) fn more(&mut self, close: u8) -> Result<bool> {
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ => self.unexpected(if close == b'}' { "',' or '}'" } else { "',' or ']'" }),
        }
    }

    /// At the start of a container's contents: `true` when it is empty (closing consumed).
    pub(super) fn empty(&mut self, close: u8) -> bool {
        if self.peek() == Some(close) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// An object member's name and its `:`.
    pub(super) fn key(&mut self) -> Result<Cow<'a, str>> {
        if self.peek() != Some(b'"') {
            return self.unexpected("a field name in double quotes");
        }
        let k = self.string()?;
        self.expect(b':', "':'")?;
        Ok(k)
    }

    /// Consumes the member name whose exact bytes are `quoted` (with its quotes) and its `:`
    /// when it is next; `false` (nothing consumed) otherwise. Equal bytes are the same name, so
    /// a match needs no string scan, validation or comparison of its own; anything else (another
    /// name, the same one written with other escapes) is left for [`key`](Self::key).
    #[inline]
    pub(super) fn key_is(&mut self, quoted: &[u8]) -> Result<bool> {
        self.skip_ws();
        if self.b[self.i..].starts_with(quoted) {
            self.i += quoted.len();
            self.expect(b':', "':'")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// The next value when it is an integer within `min..=max` written plainly — an optional
    /// `-`, at most 18 digits without a leading zero, then a delimiter — consumed. `None`, with
    /// only the spaces before it consumed, for anything else, which [`token`](Self::token) then
    /// reads and judges (so both give the same integers and the same errors).
    #[inline]
    pub(super) fn plain_integer(&mut self, min: i64, max: i64) -> Option<i64> {
        self.skip_ws();
        let b = self.b;
        let negative = b.get(self.i) == Some(&b'-');
        let start = self.i + usize::from(negative);
        let mut i = start;
        let mut v: i64 = 0;
        while let Some(&c) = b.get(i)
            && c.is_ascii_digit()
        {
            // 18 digits stay below 10^18: no overflow check per digit.
            if i - start == 18 {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || (digits > 1 && b[start] == b'0') {
            return None;
        }
        if !ends_scalar(b.get(i)) {
            return None;
        }
        let v = if negative { -v } else { v };
        if !(min..=max).contains(&v) {
            return None;
        }
        self.i = i;
        Some(v)
    }

    /// The first token of the next value.
    pub(super) fn token(&mut self) -> Result<Tok<'a>> {
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                Ok(Tok::Obj)
            }
            Some(b'[') => {
                self.i += 1;
                Ok(Tok::Arr)
            }
            Some(b'"') => Ok(Tok::Str(self.string()?)),
            Some(b't') => self.word(b"true", Tok::True),
            Some(b'f') => self.word(b"false", Tok::False),
            Some(b'n') => self.word(b"null", Tok::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.unexpected("a value"),
        }
    }

    fn word(&mut self, w: &[u8], t: Tok<'a>) -> Result<Tok<'a>> {
        if self.b[self.i..].starts_with(w) {
            self.i += w.len();
            self.end_of_scalar()?;
            Ok(t)
        } else {
            self.err("unrecognized token, expected 'true', 'false' or 'null'")
        }
    }

    /// Jackson rejects `1x`, `truex`: a scalar must end at a delimiter.
    fn end_of_scalar(&self) -> Result<()> {
        if ends_scalar(self.b.get(self.i)) {
            Ok(())
        } else {
            self.unexpected("a delimiter after the value")
        }
    }

    fn number(&mut self) -> Result<Tok<'a>> {
        let start = self.i;
        let b = self.b;
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == int_start {
            self.i = i;
            return self.unexpected("a digit");
        }
        if b[int_start] == b'0' && i - int_start > 1 {
            self.i = int_start;
            return self.err("leading zeroes are not allowed in numbers");
        }
        let mut float = false;
        if b.get(i) == Some(&b'.') {
            float = true;
            i += 1;
            let f = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == f {
                self.i = i;
                return self.unexpected("a digit after the decimal point");
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            float = true;
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let e = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == e {
                self.i = i;
                return self.unexpected("a digit in the exponent");
            }
        }
        if i - start > MAX_NUMBER_LEN {
            return self.err(format!("number longer than {MAX_NUMBER_LEN} characters"));
        }
        self.i = i;
        self.end_of_scalar()?;
        // Only ASCII digits and signs were consumed.
        let text = std::str::from_utf8(&b[start..i]).unwrap_or_default();
        Ok(Tok::Num { text, float })
    }

    /// A string (the opening quote is next); borrowed when it has no escapes.
    pub(super) fn string(&mut self) -> Result<Cow<'a, str>> {
        self.i += 1;
        let start = self.i;
        let b = self.b;
        self.i = self.run_end(self.i);
        if self.i >= b.len() {
            return self.err("unterminated string");
        }
        if b[self.i] == b'"' {
            let s = self.utf8(start, self.i)?;
            self.i += 1;
            return Ok(Cow::Borrowed(s));
        }
        let mut owned = String::from(self.utf8(start, self.i)?);
        loop {
            match b.get(self.i) {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    let esc = b.get(self.i + 1).copied();
                    self.i += 2;
                    let c = match esc {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            self.unicode(hi)?
                        }
                        _ => {
                            self.i -= 1;
                            return self.err("invalid escape in string");
                        }
                    };
                    owned.push(c);
                }
                Some(_) => {
                    let run = self.i;
                    self.i = self.run_end(self.i);
                    owned.push_str(self.utf8(run, self.i)?);
                }
            }
        }
    }

    /// Where the run of plain string bytes from `from` ends: the next `"` or `\\`, or the end.
    fn run_end(&self, from: usize) -> usize {
        // Names and most values are short: a plain look at the first bytes costs less than
        // setting up the vector search.
        let b = self.b;
        let near = b.len().min(from.saturating_add(16));
        let mut i = from;
        while i < near {
            if b[i] == b'"' || b[i] == b'\\' {
                return i;
            }
            i += 1;
        }
        b.get(i..)
            .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
            .map_or(b.len(), |n| i + n)
    }

    /// Skips a string (the opening quote is next) with the checks [`string`](Self::string)
    /// makes, without building it.
    fn skip_string(&mut self) -> Result<()> {
        self.i += 1;
        let start = self.i;
        loop {
            self.i = self.run_end(self.i);
            match self.b.get(self.i) {
                None => return self.err("unterminated string"),
                Some(b'"') => break,
                _ => {
                    let esc = self.b.get(self.i + 1).copied();
                    self.i += 2;
                    match esc {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                        Some(b'u') => {
                            self.hex4()?;
                        }
                        _ => {
                            self.i -= 1;
                            return self.err("invalid escape in string");
                        }
                    }
                }
            }
        }
        // A record that is not all valid UTF-8 has its strings checked one by one.
        if self.text.is_none() {
            self.utf8(start, self.i)?;
        }
        self.i += 1;
        Ok(())
    }

    /// Skips the next value whole (checking its syntax), building no string.
    pub(super) fn skip_value(&mut self) -> Result<()> {
        if self.peek() == Some(b'"') {
            return self.skip_string();
        }
        let t = self.token()?;
        self.skip(t)
    }

    /// The next value's first token, with a string skipped rather than built (its token is an
    /// empty string).
    fn token_skipping_strings(&mut self) -> Result<Tok<'a>> {
        if self.peek() == Some(b'"') {
            self.skip_string()?;
            return Ok(Tok::Str(Cow::Borrowed("")));
        }
        self.token()
    }

    fn hex4(&mut self) -> Result<u32> {
        let Some(h) = self.b.get(self.i..self.i + 4) else {
            return self.err("incomplete \\u escape");
        };
        let mut v = 0u32;
        for &c in h {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return self.err("invalid hex digit in \\u escape"),
            };
            v = v * 16 + u32::from(d);
        }
        self.i += 4;
        Ok(v)
    }

    /// The character of a `\uXXXX` (and of its low surrogate); a lone surrogate, which Rust
    /// strings cannot hold, becomes U+FFFD.
    fn unicode(&mut self, hi: u32) -> Result<char> {
        if (0xD800..0xDC00).contains(&hi) && self.b.get(self.i..self.i + 2) == Some(b"\\u") {
            let save = self.i;
            self.i += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            self.i = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'))
    }

    fn utf8(&self, from: usize, to: usize) -> Result<&'a str> {
        // `get` is `None` off a character boundary; the scanner only cuts at ASCII bytes, but
        // the slow path below stays the single judge of bad input.
        if let Some(s) = self.text.and_then(|t| t.get(from..to)) {
            return Ok(s);
        }
        std::str::from_utf8(&self.b[from..to]).map_err(|e| SyntaxError {
            at: from + e.valid_up_to(),
            message: "invalid UTF-8".into(),
        })
    }

    /// Skips the rest of a value whose first token was `t` (checking its syntax).
    pub(super) fn skip(&mut self, t: Tok<'a>) -> Result<()> {
        let mut depth: usize = match t {
            Tok::Obj => 1,
            Tok::Arr => 1,
            _ => return Ok(()),
        };
        // Each level remembers whether it is an object (its members need keys).
        let mut in_object = vec![matches!(t, Tok::Obj)];
        let mut first = true;
        while depth > 0 {
            let obj = in_object[depth - 1];
            let close = if obj { b'}' } else { b']' };
            if first {
                first = false;
                if self.empty(close) {
                    depth -= 1;
                    in_object.pop();
                    if depth > 0 {
                        self.after_value(&mut depth, &mut in_object)?;
                    }
                    continue;
                }
            }
            if obj {
                if self.peek() != Some(b'"') {
                    return self.unexpected("a field name in double quotes");
                }
                self.skip_string()?;
                self.expect(b':', "':'")?;
            }
            match self.token_skipping_strings()? {
                Tok::Obj | Tok::Arr if depth >= MAX_DEPTH => {
                    return self.err(format!("nesting deeper than {MAX_DEPTH}"));
                }
                Tok::Obj => {
                    depth += 1;
                    in_object.push(true);
                    first = true;
                }
                Tok::Arr => {
                    depth += 1;
                    in_object.push(false);
                    first = true;
                }
                _ => self.after_value(&mut depth, &mut in_object)?,
            }
        }
        Ok(())
    }

    /// After a value inside a container being skipped: `,` continues, the closing bracket
    /// pops (possibly several levels).
    fn after_value(&mut self, depth: &mut usize, in_object: &mut Vec<bool>) -> Result<()> {
        while *depth > 0 {
            let close = if in_object[*depth - 1] { b'}' } else { b']' };
            if self.more(close)? {
                return Ok(());
            }
            *depth -= 1;
            in_object.pop();
        }
        Ok(())
    }

    /// Reads the rest of a value whose first token was `t` as a tree (for a `STRING` field
    /// given an object or array), `depth` levels deep already.
    pub(super) fn tree(&mut self, t: Tok<'a>, depth: usize) -> Result<Tree> {
        Ok(match t {
            Tok::Null => Tree::Null,
            Tok::True => Tree::Bool(true),
            Tok::False => Tree::Bool(false),
            Tok::Num { text, float } => Tree::Num(text.to_string(), float),
            Tok::Str(s) => Tree::Str(s.into_owned()),
            Tok::Obj | Tok::Arr if depth >= MAX_DEPTH => {
                return self.err(format!("nesting deeper than {MAX_DEPTH}"));
            }
            Tok::Arr => {
                let mut items = Vec::new();
                if !self.empty(b']') {
                    loop {
                        let t = self.token()?;
                        items.push(self.tree(t, depth + 1)?);
                        if !self.more(b']')? {
                            break;
                        }
                    }
                }
                Tree::Arr(items)
            }
            Tok::Obj => {
                let mut members: Vec<(String, Tree)> = Vec::new();
                if !self.empty(b'}') {
                    loop {
                        let k = self.key()?.into_owned();
                        let t = self.token()?;
                        let v = self.tree(t, depth + 1)?;
                        // Jackson's ObjectNode keeps the first position and the last value.
                        match members.iter_mut().find(|(n, _)| *n == k) {
                            Some(slot) => slot.1 = v,
                            None => members.push((k, v)),
                        }
                        if !self.more(b'}')? {
                            break;
                        }
                    }
                }
                Tree::Obj(members)
            }
        })
    }
}

/// A JSON value held whole, for re-serializing it as Jackson's `JsonNode.toString()` does.
pub(super) enum Tree {
    Null,
    Bool(bool),
    Num(String, bool),
    Str(String),
    Arr(Vec<Tree>),
    Obj(Vec<(String, Tree)>),
}
