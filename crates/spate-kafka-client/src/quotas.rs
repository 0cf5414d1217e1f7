//! AlterClientQuotas and DescribeClientQuotas (KIP-546) on the raw admin client ([`BrokerConnection`]),
//! which `spate quotas` uses: the `rdkafka` crate does not wrap librdkafka's client-quota calls.
//! Entity types and keys are passed through as strings, so the same calls manage any Kafka
//! cluster's quotas (keys Spate does not know included).

use kafka_protocol::messages::alter_client_quotas_request::{EntityData, EntryData, OpData};
use kafka_protocol::messages::describe_client_quotas_request::ComponentData;
use kafka_protocol::messages::{
    AlterClientQuotasRequest, AlterClientQuotasResponse, ApiKey, DescribeClientQuotasRequest,
    DescribeClientQuotasResponse,
};
use kafka_protocol::protocol::StrBytes;

use crate::ClientError;
use crate::broker_connection::{BrokerConnection, check_with_message};

/// Versions of both APIs this client speaks (v1 is the flexible form of v0).
const VERSIONS: (i16, i16) = (0, 1);

/// `(entity type, name)`; `None` is the default entity of that type.
pub type QuotaComponent = (String, Option<String>);

/// How a DescribeClientQuotas filter component matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaMatch {
    /// This name.
    Exact(String),
    /// The default entity.
    Default,
    /// Any entity of the type, named or default.
    Any,
}

/// One entity's quotas as described.
#[derive(Debug, Clone, PartialEq)]
pub struct DescribedQuota {
    pub entity: Vec<QuotaComponent>,
    pub values: Vec<(String, f64)>,
}

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

impl BrokerConnection {
    /// Sets (`Some`) or removes (`None`) quota keys of one entity; `validate_only` only checks.
    pub fn alter_client_quotas(
        &mut self,
        entity: &[QuotaComponent],
        ops: &[(String, Option<f64>)],
        validate_only: bool,
    ) -> Result<(), ClientError> {
        let version = self.require(ApiKey::AlterClientQuotas, VERSIONS)?;
        let entity_data = entity
            .iter()
            .map(|(t, n)| {
                EntityData::default()
                    .with_entity_type(text(t))
                    .with_entity_name(n.as_deref().map(text))
            })
            .collect();
        let ops = ops
            .iter()
            .map(|(key, value)| {
                let op = OpData::default().with_key(text(key));
                match value {
                    Some(v) => op.with_value(*v),
                    None => op.with_remove(true),
                }
            })
            .collect();
        let req = AlterClientQuotasRequest::default()
            .with_validate_only(validate_only)
            .with_entries(vec![EntryData::default().with_entity(entity_data).with_ops(ops)]);
        let r: AlterClientQuotasResponse = self.call(&req, version)?;
        let entry = r
            .entries
            .first()
            .ok_or_else(|| ClientError::Protocol("AlterClientQuotas: no result for the entity".into()))?;
        check_with_message(
            entry.error_code,
            entry.error_message.as_ref(),
            "AlterClientQuotas",
        )
    }

    /// The entities the filter selects with their quotas; `strict` leaves out entities with
    /// components the filter does not name. No components: every entity.
    pub fn describe_client_quotas(
        &mut self,
        components: &[(String, QuotaMatch)],
        strict: bool,
    ) -> Result<Vec<DescribedQuota>, ClientError> {
        let version = self.require(ApiKey::DescribeClientQuotas, VERSIONS)?;
        let components = components
            .iter()
            .map(|(t, m)| {
                let c = ComponentData::default().with_entity_type(text(t));
                match m {
                    QuotaMatch::Exact(name) => c.with_match_type(0).with_match(Some(text(name))),
                    QuotaMatch::Default => c.with_match_type(1).with_match(None),
                    QuotaMatch::Any => c.with_match_type(2).with_match(None),
                }
            })
            .collect();
        let req = DescribeClientQuotasRequest::default()
            .with_components(components)
            .with_strict(strict);
        let r: DescribeClientQuotasResponse = self.call(&req, version)?;
        check_with_message(r.error_code, r.error_message.as_ref(), "DescribeClientQuotas")?;
        Ok(r.entries
            .unwrap_or_default()
            .into_iter()
            .map(|e| DescribedQuota {
                entity: e
                    .entity
                    .into_iter()
                    .map(|c| (c.entity_type.to_string(), c.entity_name.map(|n| n.to_string())))
                    .collect(),
                values: e
                    .values
                    .into_iter()
                    .map(|v| (v.key.to_string(), v.value))
                    .collect(),
            })
            .collect())
    }
}
