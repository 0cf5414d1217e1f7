//! The on-disk form of the client quotas (`DATA_DIR/broker/client-quotas`): a header line, one
//! line per entity and key, and a trailer with the count and a CRC-32C of everything before it
//! (the ACL file's shape), so a truncated or edited file stops the start instead of quotas
//! silently disappearing.
//!
//! ```text
//! # spate client quotas v1: user, client id, key, value
//! =alice <default> producer_byte_rate 1048576
//! - =reporting consumer_byte_rate 2097152
//! end 2 1f0c33a7
//! ```
//!
//! A component is `-` (not part of the entity), `<default>`, or `=` and the escaped name (so a
//! client id spelled `<default>` or `-` stays a name).

use crate::acl::file_format::{escape, unescape};

use super::entity::{EntityName, QuotaEntity, QuotaKey};
use super::store::QuotaMap;

const HEADER: &str = "# spate client quotas v1: user, client id, key, value";

/// The file's text for `quotas`.
pub fn encode(quotas: &QuotaMap) -> String {
    let mut text = String::from(HEADER);
    text.push('\n');
    let mut count = 0usize;
    for (entity, values) in quotas {
        for (key, value) in values {
            let line = format!(
                "{} {} {} {value}\n",
                component(entity.user.as_ref()),
                component(entity.client_id.as_ref()),
                key.name()
            );
            text.push_str(&line);
            count += 1;
        }
    }
    let crc = crc32c::crc32c(text.as_bytes());
    text.push_str(&format!("end {count} {crc:08x}\n"));
    text
}

fn component(name: Option<&EntityName>) -> String {
    match name {
        None => "-".into(),
        Some(EntityName::Default) => "<default>".into(),
        Some(EntityName::Named(n)) => format!("={}", escape(n)),
    }
}

fn parse_component(field: &str) -> Result<Option<EntityName>, String> {
    match field {
        "-" => Ok(None),
        "<default>" => Ok(Some(EntityName::Default)),
        _ => match field.strip_prefix('=') {
            Some(escaped) => Ok(Some(EntityName::Named(unescape(escaped)?))),
            None => Err(format!("{field:?} is not an entity component")),
        },
    }
}

/// The quotas of a file's text, or why it is not a whole, valid quota file.
pub fn decode(text: &str) -> Result<QuotaMap, String> {
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
        .map_err(|_| format!("bad quota count {count:?} in the trailer"))?;
    let crc = u32::from_str_radix(crc, 16).map_err(|_| format!("bad checksum {crc:?} in the trailer"))?;
    let actual = crc32c::crc32c(body.as_bytes());
    if actual != crc {
        return Err(format!(
            "checksum mismatch (trailer {crc:08x}, contents {actual:08x}): the file was damaged or edited"
        ));
    }
    let mut lines = body.lines();
    if lines.next() != Some(HEADER) {
        return Err("the first line is not the spate client quotas v1 header".into());
    }
    let mut quotas = QuotaMap::new();
    let mut seen = 0usize;
    for (i, line) in lines.enumerate() {
        let at = |e: String| format!("line {}: {e}", i + 2);
        let fields: Vec<&str> = line.split(' ').collect();
        let [user, client_id, key, value] = fields[..] else {
            return Err(at(format!("{line:?} does not have 4 fields")));
        };
        let entity = QuotaEntity {
            user: parse_component(user).map_err(at)?,
            client_id: parse_component(client_id).map_err(at)?,
        };
        if entity.user.is_none() && entity.client_id.is_none() {
            return Err(at("an entity without components".into()));
        }
        let key = QuotaKey::parse(key).map_err(at)?;
        let value: f64 = value
            .parse()
            .map_err(|_| at(format!("{value:?} is not a number")))?;
        quotas.entry(entity).or_default().insert(key, value);
        seen += 1;
    }
    if seen != count {
        return Err(format!("the trailer counts {count} quotas, the file has {seen}"));
    }
    Ok(quotas)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let mut quotas = QuotaMap::new();
        let odd = QuotaEntity {
            user: Some(EntityName::Named("al ice".into())),
            client_id: Some(EntityName::Named("<default>".into())),
        };
        let default_client = QuotaEntity {
            user: None,
            client_id: Some(EntityName::Default),
        };
        quotas
            .entry(odd)
            .or_default()
            .insert(QuotaKey::ProducerByteRate, 1024.0);
        quotas
            .entry(default_client)
            .or_default()
            .insert(QuotaKey::RequestPercentage, 12.5);
        let text = encode(&quotas);
        assert_eq!(decode(&text).unwrap(), quotas);
        for cut in 0..text.len() - 1 {
            assert!(decode(&text[..cut]).is_err(), "cut at {cut} accepted");
        }
        assert!(
            decode(&text.replace("1024", "1025"))
                .unwrap_err()
                .contains("checksum")
        );
        assert_eq!(decode(&encode(&QuotaMap::new())).unwrap(), QuotaMap::new());
    }
}
