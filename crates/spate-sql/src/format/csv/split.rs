//! Where a CSV record ends in a file, as Jackson's CSV parser (Flink's reader) finds it: at a
//! line break outside a quoted field, not escaped, and not inside a comment line.
//!
//! The grammar must be the decoder's (`decode.rs`): a quote opens a quoted field only at a
//! field's start (after spaces and tabs with `trim-spaces`), elsewhere it is text; inside a
//! quoted field a doubled quote is a quote; the escape character takes the next character
//! literally, a line break included, inside a quoted field or not; with `allow-comments` a
//! record starting with `#` is a comment line. A record cut anywhere else would be decoded
//! from a piece of itself, and its other lines taken for records of their own (or dropped).

use super::Csv;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    RecordStart,
    FieldStart,
    Unquoted,
    UnquotedEscape,
    Quoted,
    QuotedEscape,
    /// A quote inside a quoted field: closing it, or the first of a doubled quote.
    QuoteInQuoted,
    Comment,
}

/// Finds the ends of CSV records, one physical line at a time.
#[derive(Debug, Clone)]
pub(crate) struct Splitter {
    delimiter: char,
    quote: Option<char>,
    escape: Option<char>,
    comments: bool,
    trim_spaces: bool,
    state: State,
}

impl Splitter {
    pub(super) fn new(csv: &Csv) -> Self {
        Self {
            delimiter: csv.delimiter,
            quote: csv.quote,
            escape: csv.escape,
            comments: csv.allow_comments,
            trim_spaces: csv.trim_spaces,
            state: State::RecordStart,
        }
    }

    /// Whether the record read so far (`record`, whose newest line starts at `line_start`;
    /// 0 for a new record) goes on past its last line break.
    pub(crate) fn needs_more(&mut self, record: &[u8], line_start: usize) -> bool {
        if line_start == 0 {
            self.state = State::RecordStart;
        }
        let line = record.get(line_start..).unwrap_or_default();
        // Invalid UTF-8 becomes U+FFFD here; the decoder rejects it with its position.
        for c in String::from_utf8_lossy(line).chars() {
            self.state = self.next(c);
        }
        // Only a line break outside a field's text ends a record and goes back to its start.
        self.state != State::RecordStart
    }

    fn next(&self, c: char) -> State {
        let escape = Some(c) == self.escape;
        match self.state {
            State::RecordStart if self.comments && c == '#' => State::Comment,
            State::RecordStart | State::FieldStart => {
                if self.trim_spaces && (c == ' ' || c == '\t') {
                    State::FieldStart
                } else if Some(c) == self.quote {
                    State::Quoted
                } else if escape {
                    State::UnquotedEscape
                } else {
                    self.unquoted(c)
                }
            }
            State::Unquoted if escape => State::UnquotedEscape,
            State::Unquoted => self.unquoted(c),
            State::UnquotedEscape => State::Unquoted,
            State::Quoted if escape => State::QuotedEscape,
            State::Quoted if Some(c) == self.quote => State::QuoteInQuoted,
            State::Quoted | State::QuotedEscape => State::Quoted,
            // Text after a closing quote is an error for the decoder; the record still ends
            // at the line break, as Jackson goes on after it with the next line.
            State::QuoteInQuoted if Some(c) == self.quote => State::Quoted,
            State::QuoteInQuoted => self.unquoted(c),
            State::Comment if c == '\n' => State::RecordStart,
            State::Comment => State::Comment,
        }
    }

    fn unquoted(&self, c: char) -> State {
        if c == '\n' {
            State::RecordStart
        } else if c == self.delimiter {
            State::FieldStart
        } else {
            State::Unquoted
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use crate::format::{FormatField, RowFormat};
    use crate::types::{DataType, TypeKind};
    use crate::value::Value;

    fn csv(options: &[(&str, &str)]) -> RowFormat {
        let fields = vec![
            FormatField::new("id", DataType::new(TypeKind::Int)),
            FormatField::new("s", DataType::new(TypeKind::Varchar(u32::MAX))),
            FormatField::new("t", DataType::new(TypeKind::Varchar(u32::MAX))),
        ];
        let options: BTreeMap<String, String> = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RowFormat::new("csv", fields, &options).unwrap()
    }

    /// Reads `file` as the file source does: lines fed to the splitter until a record is
    /// whole, its final LF or CRLF removed, decoded whole. `Err` for a record that fails.
    fn read(f: &RowFormat, file: &str) -> Vec<Result<Vec<Value>, String>> {
        let mut splitter = f.record_splitter();
        let mut rows = Vec::new();
        let mut record = String::new();
        let mut lines = file.split_inclusive('\n').peekable();
        while let Some(line) = lines.next() {
            let start = record.len();
            record.push_str(line);
            if splitter.needs_more(record.as_bytes(), start) && lines.peek().is_some() {
                continue;
            }
            let text = record.strip_suffix('\n').unwrap_or(&record);
            let text = text.strip_suffix('\r').unwrap_or(text);
            let mut out = Vec::new();
            match f.decode_file_record(text.as_bytes(), &mut out) {
                Ok(true) => rows.push(Ok(out)),
                Ok(false) => {}
                Err(e) => rows.push(Err(e.0)),
            }
            record.clear();
        }
        rows
    }

    fn row(id: i64, s: &str, t: &str) -> Result<Vec<Value>, String> {
        Ok(vec![
            Value::Int(id),
            Value::String(s.into()),
            Value::String(t.into()),
        ])
    }

    #[test]
    fn an_escaped_quote_does_not_swallow_the_records_after_it() {
        // The Flink run of tests/flink/csv_records: `2,"es\"c"` is `es"c`, and 3 and 4 follow.
        let f = csv(&[("escape-character", "\\")]);
        let got = read(&f, "2,\"es\\\"c\",x\n3,z,y\n4,w,v\n");
        assert_eq!(
            got,
            vec![row(2, "es\"c", "x"), row(3, "z", "y"), row(4, "w", "v")]
        );
        // Without an escape character the same quote closes the field: an error, not a loss.
        let plain = csv(&[]);
        let got = read(&plain, "2,\"es\\\"c\",x\n3,z,y\n");
        assert!(got.iter().any(Result::is_err), "{got:?}");
    }

    #[test]
    fn quoted_line_breaks_stay_in_their_field() {
        let f = csv(&[("field-delimiter", ";"), ("quote-character", "'")]);
        let got = read(&f, "1;'multi\nline';a\r\n2;'x\r\ny\r\n';b\r\n3;\"q;c\n");
        assert_eq!(
            got,
            vec![
                row(1, "multi\nline", "a"),
                row(2, "x\r\ny\r\n", "b"),
                // `"` is text when the quote character is `'`.
                row(3, "\"q", "c"),
            ]
        );
    }

    #[test]
    fn escapes_continue_lines_and_read_control_characters() {
        // Flink 2.3 (Jackson's _unescape): `\n` `\t` `\0` are control characters, an escaped
        // line break is part of the field, in quotes or not.
        let f = csv(&[("escape-character", "\\")]);
        let got = read(
            &f,
            "1,a\\nb,\"c\\td\"\n2,\"e\\\nf\",g\\\nh\n3,\\\\,\\0\n4,a\\,b,c\n",
        );
        assert_eq!(
            got,
            vec![
                row(1, "a\nb", "c\td"),
                row(2, "e\nf", "g\nh"),
                row(3, "\\", "\0"),
                // The field after an escaped delimiter starts where the delimiter after it is.
                row(4, "a,b", "c"),
            ]
        );
    }

    #[test]
    fn comment_lines_are_skipped_even_with_quotes_in_them() {
        let f = csv(&[("allow-comments", "true")]);
        let got = read(&f, "# it's \"open\n1,x,\"y\n# not a comment\"\n#2,y,z\n3,a,b\n");
        assert_eq!(got, vec![row(1, "x", "y\n# not a comment"), row(3, "a", "b")]);
        // Without the option a `#` line is a record like any other.
        let got = read(&csv(&[]), "# c\n1,x,y\n");
        assert_eq!(got.len(), 2);
        assert!(got[0].is_err());
    }

    #[test]
    fn without_quotes_every_line_is_a_record() {
        // Flink 2.3 with disable-quote-character read `2,"x` as `"x` and the next line apart.
        let f = csv(&[("disable-quote-character", "true")]);
        let got = read(&f, "2,\"x,y\n3,n\",z\n");
        assert_eq!(got, vec![row(2, "\"x", "y"), row(3, "n\"", "z")]);
    }

    #[test]
    fn what_the_splitter_cannot_cut_fails_instead_of_vanishing() {
        // A lone CR ends a record for Flink; Spate cuts at LF only, so the record fails.
        let got = read(&csv(&[]), "1,a,b\r2,c,d\n");
        assert_eq!(got.len(), 1);
        assert!(
            got[0].as_ref().is_err_and(|e| e.contains("line break")),
            "{got:?}"
        );
        // An unterminated quote takes the rest of the file, and fails with it.
        let got = read(&csv(&[]), "1,a,b\n2,\"c,d\n3,e,f\n");
        assert_eq!(got[0], row(1, "a", "b"));
        assert_eq!(got.len(), 2);
        assert!(
            got[1]
                .as_ref()
                .is_err_and(|e| e.contains("missing closing quote"))
        );
        // Text after a closing quote fails that record only; the next line is a new one.
        let got = read(&csv(&[]), "1,\"a\"x,b\n2,c,d\n");
        assert!(got[0].is_err());
        assert_eq!(got[1], row(2, "c", "d"));
    }

    #[test]
    fn a_kafka_message_is_read_up_to_its_first_record() {
        let f = csv(&[]);
        let mut out = Vec::new();
        assert!(f.decode_record(b"1,a,b\r\n2,c,d", &mut out).unwrap());
        assert_eq!(Ok(out), row(1, "a", "b"));
        assert!(f.decode_file_record(b"1,a,b\r2,c,d", &mut Vec::new()).is_err());
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[ab,;\"'\\\\\n\r# \tn0é]{0,10}").unwrap()
    }

    proptest! {
        /// What the encoder writes, records joined by LF or CRLF, the splitter and decoder
        /// read back, whatever the delimiter, quote and escape characters.
        #[test]
        fn reads_back_what_the_encoder_wrote(
            rows in proptest::collection::vec((any::<i32>(), text(), text()), 1..6),
            semicolon in any::<bool>(),
            apostrophe in any::<bool>(),
            escape in any::<bool>(),
            comments in any::<bool>(),
            crlf in any::<bool>(),
        ) {
            let mut options = vec![("allow-comments", if comments { "true" } else { "false" })];
            if semicolon {
                options.push(("field-delimiter", ";"));
            }
            if apostrophe {
                options.push(("quote-character", "'"));
            }
            if escape {
                options.push(("escape-character", "\\"));
            }
            let f = csv(&options);
            let mut file = Vec::new();
            let mut expected = Vec::new();
            for (id, s, t) in &rows {
                let values = vec![Value::Int(i64::from(*id)), Value::String(s.clone()), Value::String(t.clone())];
                f.encode(&values, &mut file).unwrap();
                file.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                expected.push(Ok(values));
            }
            let file = String::from_utf8(file).unwrap();
            prop_assert_eq!(read(&f, &file), expected, "{:?}", file);
        }

        /// Any text: every record is a row or an error, never a panic.
        #[test]
        fn garbage_is_rows_or_errors(file in "[a,\"\\\\\n\r#]{0,30}", escape in any::<bool>()) {
            let f = csv(if escape { &[("escape-character", "\\")] } else { &[] });
            let _ = read(&f, &file);
        }
    }
}
