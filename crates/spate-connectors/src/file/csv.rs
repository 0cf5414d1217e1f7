//! The CSV record codec (RFC 4180): fields separated by a delimiter, quoted with `"` when they
//! contain the delimiter, a quote, or a line break; quotes inside quoted fields are doubled. A
//! quoted field may span lines, so a record may too.

/// Appends `fields` as one CSV record (without the line break) to `out`.
pub fn encode_record<S: AsRef<str>>(fields: &[S], delimiter: char, out: &mut String) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        let f = field.as_ref();
        // A record of one empty field would be an empty line, which readers skip.
        let quote = f.contains([delimiter, '"', '\n', '\r']) || (fields.len() == 1 && f.is_empty());
        if quote {
            out.push('"');
            for c in f.chars() {
                if c == '"' {
                    out.push('"');
                }
                out.push(c);
            }
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
}

/// Whether `text` (one or more physical lines) holds a complete record: its quotes balance.
pub fn is_complete(text: &[u8]) -> bool {
    text.iter().filter(|&&b| b == b'"').count() % 2 == 0
}

/// Splits one record (without its final line break) into fields.
pub fn decode_record(record: &str, delimiter: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = record.chars().peekable();
    loop {
        // Start of a field.
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted field".into()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(c) if c == delimiter => fields.push(std::mem::take(&mut field)),
                Some(c) => return Err(format!("unexpected {c:?} after a closing quote")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(c) if c == delimiter => {
                        fields.push(std::mem::take(&mut field));
                        break;
                    }
                    Some('"') => return Err("quote inside an unquoted field".into()),
                    Some(c) => field.push(c),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(fields in proptest::collection::vec("[a-c,;\"\n\r ]{0,6}", 1..6), semi in any::<bool>()) {
            let d = if semi { ';' } else { ',' };
            let mut line = String::new();
            encode_record(&fields, d, &mut line);
            prop_assert!(is_complete(line.as_bytes()));
            prop_assert!(!line.is_empty());
            prop_assert_eq!(decode_record(&line, d).unwrap(), fields);
        }

        #[test]
        fn garbage_never_panics(s in ".{0,30}") {
            let _ = decode_record(&s, ',');
        }
    }

    #[test]
    fn quoting_and_errors() {
        let mut s = String::new();
        encode_record(&["a,b", "say \"hi\"", "x\ny", "plain"], ',', &mut s);
        assert_eq!(s, "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",plain");
        assert_eq!(decode_record("a,,b", ',').unwrap(), vec!["a", "", "b"]);
        assert!(decode_record("a\"b", ',').is_err());
        assert!(decode_record("\"ab\"c", ',').is_err());
        assert!(decode_record("\"ab", ',').is_err());
        assert!(!is_complete(b"\"ab\n"));
    }
}
