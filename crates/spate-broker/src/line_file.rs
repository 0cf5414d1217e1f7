//! The text form the broker's small metadata files share (ACLs, client quotas): a header line
//! naming the format, one record per line with fields separated by one space, and a trailer
//! `end COUNT CRC` — the record count and a CRC-32C (hex) of everything before it — so a
//! truncated or edited file is an error at start, never records silently lost.
//!
//! Fields that hold names are written with [`escape`]: `%`, spaces and control characters
//! become `%XX` (their UTF-8 bytes), so any name survives the round trip.

/// The file's text: `header`, the `records` (one line each, without the newline), the trailer.
pub(crate) fn encode(header: &str, records: impl IntoIterator<Item = String>) -> String {
    let mut text = String::from(header);
    text.push('\n');
    let mut count = 0usize;
    for record in records {
        text.push_str(&record);
        text.push('\n');
        count += 1;
    }
    let crc = crc32c::crc32c(text.as_bytes());
    text.push_str(&format!("end {count} {crc:08x}\n"));
    text
}

/// The record lines of `text` with their line numbers (the first record is line 2), once the
/// trailer, checksum, `header` and record count check out; `what` names the records in errors
/// ("ACLs").
pub(crate) fn decode<'t>(text: &'t str, header: &str, what: &str) -> Result<Vec<(usize, &'t str)>, String> {
    let body_end = text
        .trim_end_matches('\n')
        .rfind('\n')
        .map(|i| i + 1)
        .ok_or("no trailer line: the file is truncated")?;
    let (body, trailer) = text.split_at(body_end);
    let trailer = trailer.trim_end_matches('\n');
    let mut parts = trailer.split(' ');
    let (Some("end"), Some(count), Some(crc), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!(
            "last line {trailer:?} is not the trailer: the file is truncated"
        ));
    };
    let count: usize = count
        .parse()
        .map_err(|_| format!("bad {what} count {count:?} in the trailer"))?;
    let crc = u32::from_str_radix(crc, 16).map_err(|_| format!("bad checksum {crc:?} in the trailer"))?;
    let actual = crc32c::crc32c(body.as_bytes());
    if actual != crc {
        return Err(format!(
            "checksum mismatch (trailer {crc:08x}, contents {actual:08x}): the file was damaged or edited"
        ));
    }
    let mut lines = body.lines();
    if lines.next() != Some(header) {
        return Err(format!("the first line is not the header {header:?}"));
    }
    let records: Vec<(usize, &str)> = lines.enumerate().map(|(i, line)| (i + 2, line)).collect();
    if records.len() != count {
        return Err(format!(
            "the trailer counts {count} {what}, the file has {}",
            records.len()
        ));
    }
    Ok(records)
}

/// `s` with `%`, spaces and control characters written as `%XX`.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '%' || c == ' ' || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The text [`escape`] was given.
pub(crate) fn unescape(s: &str) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = tail
                .get(..2)
                .ok_or_else(|| format!("truncated escape in {s:?}"))?;
            let hex = std::str::from_utf8(hex).map_err(|_| format!("bad escape in {s:?}"))?;
            bytes.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad escape in {s:?}"))?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).map_err(|_| format!("{s:?} is not UTF-8 once unescaped"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "# test v1";

    #[test]
    fn records_round_trip_and_any_damage_is_an_error() {
        let text = encode(H, ["a b".to_string(), escape("x y%\n")]);
        let records = decode(&text, H, "records").unwrap();
        assert_eq!(records, [(2, "a b"), (3, "x%20y%25%0A")]);
        assert_eq!(unescape(records[1].1).unwrap(), "x y%\n");
        for cut in 0..text.len() - 1 {
            assert!(
                decode(&text[..cut], H, "records").is_err(),
                "cut at {cut} accepted"
            );
        }
        let edited = text.replacen("a b", "a c", 1);
        assert!(decode(&edited, H, "records").unwrap_err().contains("checksum"));
        assert!(
            decode(&text, "# other v1", "records")
                .unwrap_err()
                .contains("header")
        );
        assert_eq!(decode(&encode(H, []), H, "records").unwrap(), []);
    }

    #[test]
    fn bad_escapes_are_errors() {
        for bad in ["%", "%4", "%zz", "%ff"] {
            assert!(unescape(bad).is_err(), "{bad}");
        }
    }
}
