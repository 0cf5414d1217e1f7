//! The on-disk form of the ACLs (`DATA_DIR/broker/acls`): a header line, one line per ACL, and
//! a trailer with the count and a CRC-32C of everything before it, so a truncated or edited
//! file is an error at start, never ACLs silently lost.
//!
//! ```text
//! # spate ACLs v1: resource type, pattern type, resource name, principal, host, operation, permission
//! TOPIC LITERAL orders User:alice * READ ALLOW
//! end 1 5c1a9e0f
//! ```
//!
//! Fields are separated by one space; `%`, spaces and control characters in names are written
//! as `%XX` (UTF-8 bytes), so any resource name or principal survives the round trip.

use super::model::{AclBinding, Operation, PatternType, Permission, ResourceType};

const HEADER: &str =
    "# spate ACLs v1: resource type, pattern type, resource name, principal, host, operation, permission";

/// The file's text for `acls`.
pub fn encode(acls: &[AclBinding]) -> String {
    let mut text = String::with_capacity(64 * (acls.len() + 2));
    text.push_str(HEADER);
    text.push('\n');
    for a in acls {
        let fields = [
            a.resource_type.name().to_string(),
            a.pattern_type.name().to_string(),
            escape(&a.resource_name),
            escape(&a.principal),
            escape(&a.host),
            a.operation.name().to_string(),
            a.permission.name().to_string(),
        ];
        text.push_str(&fields.join(" "));
        text.push('\n');
    }
    let crc = crc32c::crc32c(text.as_bytes());
    text.push_str(&format!("end {} {crc:08x}\n", acls.len()));
    text
}

/// The ACLs of a file's text, or why it is not a whole, valid ACL file.
pub fn decode(text: &str) -> Result<Vec<AclBinding>, String> {
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
        .map_err(|_| format!("bad ACL count {count:?} in the trailer"))?;
    let crc = u32::from_str_radix(crc, 16).map_err(|_| format!("bad checksum {crc:?} in the trailer"))?;
    let actual = crc32c::crc32c(body.as_bytes());
    if actual != crc {
        return Err(format!(
            "checksum mismatch (trailer {crc:08x}, contents {actual:08x}): the file was damaged or edited"
        ));
    }
    let mut lines = body.lines();
    if lines.next() != Some(HEADER) {
        return Err("the first line is not the spate ACLs v1 header".into());
    }
    let acls = lines
        .enumerate()
        .map(|(i, line)| decode_line(line).map_err(|e| format!("line {}: {e}", i + 2)))
        .collect::<Result<Vec<_>, _>>()?;
    if acls.len() != count {
        return Err(format!(
            "the trailer counts {count} ACLs, the file has {}",
            acls.len()
        ));
    }
    Ok(acls)
}

fn decode_line(line: &str) -> Result<AclBinding, String> {
    let fields: Vec<&str> = line.split(' ').collect();
    let [
        resource_type,
        pattern_type,
        name,
        principal,
        host,
        operation,
        permission,
    ] = fields[..]
    else {
        return Err(format!("expected 7 fields, found {}", fields.len()));
    };
    Ok(AclBinding {
        resource_type: strict::<ResourceType>(resource_type, ResourceType::name)?,
        pattern_type: strict::<PatternType>(pattern_type, PatternType::name)?,
        resource_name: unescape(name)?,
        principal: unescape(principal)?,
        host: unescape(host)?,
        operation: strict::<Operation>(operation, Operation::name)?,
        permission: strict::<Permission>(permission, Permission::name)?,
    })
}

/// Parses an enum written by [`encode`], which only ever writes the exact name.
fn strict<T: std::str::FromStr<Err = String> + Copy>(
    text: &str,
    name: fn(T) -> &'static str,
) -> Result<T, String> {
    let value: T = text.parse()?;
    if name(value) != text {
        return Err(format!("{text:?} is not as written by spate"));
    }
    Ok(value)
}

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

    fn acl(name: &str) -> AclBinding {
        AclBinding {
            resource_type: ResourceType::Topic,
            resource_name: name.into(),
            pattern_type: PatternType::Prefixed,
            principal: "User:al ice%".into(),
            host: "*".into(),
            operation: Operation::DescribeConfigs,
            permission: Permission::Deny,
        }
    }

    #[test]
    fn damage_is_an_error() {
        let text = encode(&[acl("orders"), acl("pay\nments")]);
        assert_eq!(decode(&text).unwrap(), [acl("orders"), acl("pay\nments")]);
        assert!(text.contains("User:al%20ice%25"), "{text}");
        // Truncated at every byte: never a shorter list.
        for cut in 0..text.len() - 1 {
            assert!(decode(&text[..cut]).is_err(), "cut at {cut} accepted");
        }
        let edited = text.replace("orders", "orderz");
        assert!(decode(&edited).unwrap_err().contains("checksum"));
        assert!(decode("").is_err());
        assert_eq!(decode(&encode(&[])).unwrap(), []);
    }
}
