//! The on-disk form of the client quotas (`DATA_DIR/broker/client-quotas`): a header line, one
//! line per entity and key, and a trailer with the count and a CRC-32C of everything before it
//! ([`crate::line_file`], as the ACL file), so a truncated or edited file stops the start
//! instead of quotas silently disappearing.
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

use crate::line_file::{self, escape, unescape};

use super::entity::{EntityName, QuotaEntity, QuotaKey, QuotaMap};

const HEADER: &str = "# spate client quotas v1: user, client id, key, value";

/// The file's text for `quotas`.
pub fn encode(quotas: &QuotaMap) -> String {
    let records = quotas.iter().flat_map(|(entity, values)| {
        values.iter().map(move |(key, value)| {
            format!(
                "{} {} {} {value}",
                component(entity.user.as_ref()),
                component(entity.client_id.as_ref()),
                key.name()
            )
        })
    });
    line_file::encode(HEADER, records)
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
    let mut quotas = QuotaMap::new();
    for (n, line) in line_file::decode(text, HEADER, "quotas")? {
        let at = |e: String| format!("line {n}: {e}");
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
