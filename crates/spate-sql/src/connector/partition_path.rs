//! Partition directory names as Flink writes them (`dt=2026-11-25/hm=12%3A00`): values escaped
//! by `PartitionPathUtils.escapePathName`, and read back.

/// Flink's `PartitionPathUtils.escapePathName`: control characters and `"#%'*/:=?\{[]^` and DEL
/// become `%XX`.
pub(super) fn escape_partition(value: &str, out: &mut String) {
    for c in value.chars() {
        let escape = matches!(
            c,
            '\u{1}'
                ..='\u{1f}'
                    | '"'
                    | '#'
                    | '%'
                    | '\''
                    | '*'
                    | '/'
                    | ':'
                    | '='
                    | '?'
                    | '\\'
                    | '\u{7f}'
                    | '{'
                    | '['
                    | ']'
                    | '^'
        );
        if escape {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
}

/// Undoes Flink's `escapePathName` (`%XX` of a character below 0x80).
pub(super) fn unescape_partition(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let hex = rest
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) if b.is_ascii() => {
                out.push(char::from(b));
                rest = &rest[i + 3..];
            }
            _ => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn partition_values_are_escaped_as_flink_does() {
        let mut s = String::new();
        escape_partition("a/b=c:d%", &mut s);
        assert_eq!(s, "a%2Fb%3Dc%3Ad%25");
    }

    proptest! {
        #[test]
        fn unescape_undoes_the_escape(s in "[ -~é]{0,12}") {
            let mut escaped = String::new();
            escape_partition(&s, &mut escaped);
            prop_assert_eq!(unescape_partition(&escaped), s);
        }
    }
}
