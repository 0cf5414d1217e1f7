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

use crate::line_file::{self, escape, unescape};
use spate_kafka_security::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};

const HEADER: &str =
    "# spate ACLs v1: resource type, pattern type, resource name, principal, host, operation, permission";

/// The file's text for `acls`.
pub fn encode(acls: &[AclBinding]) -> String {
    let records = acls.iter().map(|a| {
        [
            a.resource_type.name().to_string(),
            a.pattern_type.name().to_string(),
            escape(&a.resource_name),
            escape(&a.principal),
            escape(&a.host),
            a.operation.name().to_string(),
            a.permission.name().to_string(),
        ]
        .join(" ")
    });
    line_file::encode(HEADER, records)
}

/// The ACLs of a file's text, or why it is not a whole, valid ACL file.
pub fn decode(text: &str) -> Result<Vec<AclBinding>, String> {
    line_file::decode(text, HEADER, "ACLs")?
        .into_iter()
        .map(|(n, line)| decode_line(line).map_err(|e| format!("line {n}: {e}")))
        .collect()
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
