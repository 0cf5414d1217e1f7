//! What a client quota is attached to and what it limits, with Kafka's rules for both: an entity
//! is a user, a client id, or a user with a client id, each named or the `<default>` (a null
//! name on the wire); the keys are Kafka's `QuotaConfigs` names for users and client ids.

use std::collections::BTreeMap;
use std::fmt;

/// Kafka's entity type names, as AlterClientQuotas and DescribeClientQuotas spell them.
pub const USER: &str = "user";
pub const CLIENT_ID: &str = "client-id";
/// Kafka's third type, IP connection-rate quotas, which Spate does not enforce.
pub const IP: &str = "ip";

/// One component's name: a given user or client id, or the default for every one without its
/// own quota.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityName {
    Default,
    Named(String),
}

impl EntityName {
    /// The wire form: `None` is the default.
    pub fn from_wire(name: Option<&str>) -> EntityName {
        match name {
            None => EntityName::Default,
            Some(n) => EntityName::Named(n.to_string()),
        }
    }

    pub fn as_wire(&self) -> Option<&str> {
        match self {
            EntityName::Default => None,
            EntityName::Named(n) => Some(n),
        }
    }
}

impl fmt::Display for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityName::Default => f.write_str("<default>"),
            EntityName::Named(n) => f.write_str(n),
        }
    }
}

/// A quota entity: at least one of the two components (Kafka's valid combinations).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QuotaEntity {
    pub user: Option<EntityName>,
    pub client_id: Option<EntityName>,
}

impl QuotaEntity {
    /// The entity of `(type, name)` pairs, or Kafka's INVALID_REQUEST message.
    pub fn from_components<'a>(
        components: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> Result<QuotaEntity, String> {
        let mut entity = QuotaEntity {
            user: None,
            client_id: None,
        };
        let mut empty = true;
        for (entity_type, name) in components {
            empty = false;
            let slot = match entity_type {
                USER => &mut entity.user,
                CLIENT_ID => &mut entity.client_id,
                IP => return Err("ip quotas (connection_creation_rate) are not supported".into()),
                other => return Err(format!("Unhandled client quota entity type: {other}")),
            };
            if slot.is_some() {
                return Err(format!(
                    "Invalid client quota entity, duplicate entity entry {entity_type}"
                ));
            }
            if name == Some("") {
                return Err(format!("Empty {entity_type} not supported"));
            }
            *slot = Some(EntityName::from_wire(name));
        }
        if empty {
            return Err("Invalid empty client quota entity".into());
        }
        Ok(entity)
    }

    /// `(type, name)` pairs in Kafka's order (user first).
    pub fn components(&self) -> Vec<(&'static str, Option<&str>)> {
        let mut out = Vec::with_capacity(2);
        if let Some(u) = &self.user {
            out.push((USER, u.as_wire()));
        }
        if let Some(c) = &self.client_id {
            out.push((CLIENT_ID, c.as_wire()));
        }
        out
    }
}

impl fmt::Display for QuotaEntity {
    /// Kafka's config path form: `users/alice/clients/<default>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.user, &self.client_id) {
            (Some(u), Some(c)) => write!(f, "users/{u}/clients/{c}"),
            (Some(u), None) => write!(f, "users/{u}"),
            (None, Some(c)) => write!(f, "clients/{c}"),
            (None, None) => f.write_str("(no entity)"),
        }
    }
}

/// Every configured quota: per entity, its keys and values (an entity has at least one).
pub type QuotaMap = BTreeMap<QuotaEntity, BTreeMap<QuotaKey, f64>>;

/// The quota keys Spate stores and enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QuotaKey {
    /// Bytes per second of Produce requests.
    ProducerByteRate,
    /// Bytes per second of Fetch responses.
    ConsumerByteRate,
    /// Percentage of one thread's time spent handling the client's requests (Kafka's request
    /// quota, KIP-124).
    RequestPercentage,
}

impl QuotaKey {
    pub const ALL: [QuotaKey; 3] = [
        QuotaKey::ProducerByteRate,
        QuotaKey::ConsumerByteRate,
        QuotaKey::RequestPercentage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            QuotaKey::ProducerByteRate => "producer_byte_rate",
            QuotaKey::ConsumerByteRate => "consumer_byte_rate",
            QuotaKey::RequestPercentage => "request_percentage",
        }
    }

    /// The key of a wire name, or Kafka's INVALID_REQUEST message.
    pub fn parse(name: &str) -> Result<QuotaKey, String> {
        QuotaKey::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| format!("Invalid configuration key {name}"))
    }

    /// Whether `value` is acceptable: byte rates are whole numbers (Kafka's LONG keys), and
    /// every quota is positive (a zero or negative rate would throttle for ever).
    pub fn check_value(self, value: f64) -> Result<(), String> {
        if !value.is_finite() || value <= 0.0 {
            return Err(format!(
                "Configuration {} must be a positive number, not {value}",
                self.name()
            ));
        }
        let whole = matches!(self, QuotaKey::ProducerByteRate | QuotaKey::ConsumerByteRate);
        if whole && (value - value.round()).abs() > 1e-6 {
            return Err(format!("Configuration {} must be a Long value", self.name()));
        }
        Ok(())
    }
}

impl fmt::Display for QuotaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_entity_rules() {
        let e = QuotaEntity::from_components([(USER, Some("alice")), (CLIENT_ID, None)]).unwrap();
        assert_eq!(e.to_string(), "users/alice/clients/<default>");
        assert_eq!(e.components(), [(USER, Some("alice")), (CLIENT_ID, None)]);
        assert!(QuotaEntity::from_components([]).is_err());
        assert!(QuotaEntity::from_components([(USER, None), (USER, Some("a"))]).is_err());
        assert!(QuotaEntity::from_components([(USER, Some(""))]).is_err());
        assert!(QuotaEntity::from_components([("topic", Some("t"))]).is_err());
        assert!(QuotaEntity::from_components([(IP, Some("1.2.3.4"))]).is_err());
    }

    #[test]
    fn kafka_key_rules() {
        assert_eq!(
            QuotaKey::parse("producer_byte_rate"),
            Ok(QuotaKey::ProducerByteRate)
        );
        assert!(
            QuotaKey::parse("producer_byte_rat")
                .unwrap_err()
                .contains("Invalid configuration key")
        );
        assert!(QuotaKey::ProducerByteRate.check_value(1024.0).is_ok());
        assert!(QuotaKey::ProducerByteRate.check_value(10.5).is_err());
        assert!(QuotaKey::RequestPercentage.check_value(10.5).is_ok());
        assert!(QuotaKey::ConsumerByteRate.check_value(0.0).is_err());
        assert!(QuotaKey::ConsumerByteRate.check_value(f64::NAN).is_err());
    }
}
