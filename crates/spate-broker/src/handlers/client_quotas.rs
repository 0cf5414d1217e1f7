//! AlterClientQuotas and DescribeClientQuotas (KIP-546): client quotas managed over the
//! protocol, as `kafka-configs.sh --entity-type users|clients` and admin clients do.
//!
//! Who may: ALTER_CONFIGS (to change) or DESCRIBE_CONFIGS (to list) on the cluster, as in
//! Kafka (everyone when the authorizer is off). Alter validates every entry first (Kafka's
//! rules: entity types and combinations, known keys, whole byte rates) and applies the valid
//! ones in one durable write before answering; `validate_only` stops after the checks.
//! Describe matches Kafka's filters: per component an exact name, the default, or any entity
//! that has the type; `strict` leaves out entities with other components.

use std::collections::BTreeSet;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_client_quotas_response::{EntityData, EntryData, ValueData};
use kafka_protocol::messages::{
    AlterClientQuotasRequest, AlterClientQuotasResponse, DescribeClientQuotasRequest,
    DescribeClientQuotasResponse, alter_client_quotas_response,
};
use kafka_protocol::protocol::StrBytes;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::quotas::entity::{CLIENT_ID, IP, USER};
use crate::quotas::store::QuotaChanges;
use crate::quotas::{EntityName, QuotaEntity, QuotaKey};
use crate::state::BrokerState;

/// DescribeClientQuotas match types.
const MATCH_EXACT: i8 = 0;
const MATCH_DEFAULT: i8 = 1;
const MATCH_SPECIFIED: i8 = 2;

type Failure = (ResponseError, String);
/// One entity's checked changes (a key to its new value, `None` to remove it).
type EntityChange = (QuotaEntity, Vec<(QuotaKey, Option<f64>)>);

pub(crate) fn alter(
    state: &BrokerState,
    caller: &Caller,
    req: AlterClientQuotasRequest,
) -> AlterClientQuotasResponse {
    let allowed = state
        .authorizer
        .allows(caller, Operation::AlterConfigs, Resource::cluster());
    let mut seen: BTreeSet<QuotaEntity> = BTreeSet::new();
    // Per entry: the entity as sent (for the answer) and its changes or why they cannot apply.
    let mut outcomes: Vec<(
        Vec<alter_client_quotas_response::EntityData>,
        Result<EntityChange, Failure>,
    )> = Vec::with_capacity(req.entries.len());
    for entry in req.entries {
        let echoed = entry
            .entity
            .iter()
            .map(|e| {
                alter_client_quotas_response::EntityData::default()
                    .with_entity_type(e.entity_type.clone())
                    .with_entity_name(e.entity_name.clone())
            })
            .collect();
        let checked = if allowed {
            check_entry(&entry, &mut seen)
        } else {
            Err((
                ResponseError::ClusterAuthorizationFailed,
                "ALTER_CONFIGS on the cluster is needed to alter client quotas".to_string(),
            ))
        };
        outcomes.push((echoed, checked));
    }
    let changes: QuotaChanges = outcomes
        .iter()
        .filter_map(|(_, o)| o.as_ref().ok().cloned())
        .collect();
    let write_failure = if req.validate_only || changes.is_empty() {
        None
    } else {
        match state.quotas.alter(&changes) {
            Ok(()) => {
                for (entity, ops) in &changes {
                    let ops: Vec<String> = ops
                        .iter()
                        .map(|(k, v)| match v {
                            Some(v) => format!("{k}={v}"),
                            None => format!("-{k}"),
                        })
                        .collect();
                    tracing::info!(principal = %caller.principal, %entity, "client quotas altered: {}", ops.join(","));
                }
                None
            }
            Err(e) => {
                tracing::error!("writing client quotas failed: {e}");
                Some(e.to_string())
            }
        }
    };
    let entries = outcomes
        .into_iter()
        .map(|(entity, outcome)| {
            let entry = alter_client_quotas_response::EntryData::default().with_entity(entity);
            let failure = match outcome {
                Err(f) => Some(f),
                Ok(_) => write_failure
                    .clone()
                    .map(|m| (ResponseError::UnknownServerError, m)),
            };
            match failure {
                None => entry,
                Some((code, message)) => entry
                    .with_error_code(code.code())
                    .with_error_message(Some(StrBytes::from_string(message))),
            }
        })
        .collect();
    AlterClientQuotasResponse::default().with_entries(entries)
}

fn invalid(message: String) -> Failure {
    (ResponseError::InvalidRequest, message)
}

fn check_entry(
    entry: &kafka_protocol::messages::alter_client_quotas_request::EntryData,
    seen: &mut BTreeSet<QuotaEntity>,
) -> Result<EntityChange, Failure> {
    let entity = QuotaEntity::from_components(
        entry
            .entity
            .iter()
            .map(|e| (e.entity_type.as_str(), e.entity_name.as_ref().map(|n| n.as_str()))),
    )
    .map_err(invalid)?;
    if !seen.insert(entity.clone()) {
        return Err(invalid(format!(
            "the entity {entity} is altered twice in one request"
        )));
    }
    let mut keys = BTreeSet::new();
    let mut ops = Vec::with_capacity(entry.ops.len());
    for op in &entry.ops {
        let key = QuotaKey::parse(op.key.as_str()).map_err(invalid)?;
        if !keys.insert(key) {
            return Err(invalid(format!("the key {key} is altered twice for {entity}")));
        }
        if op.remove {
            ops.push((key, None));
        } else {
            key.check_value(op.value).map_err(invalid)?;
            ops.push((key, Some(op.value)));
        }
    }
    Ok((entity, ops))
}

/// One filter component, checked.
enum Component {
    /// The entity has this type with this name (`None`: the default).
    Exactly(&'static str, Option<String>),
    /// The entity has this type, whatever its name.
    HasType(&'static str),
}

pub(crate) fn describe(
    state: &BrokerState,
    caller: &Caller,
    req: DescribeClientQuotasRequest,
) -> DescribeClientQuotasResponse {
    let failed = |(code, message): Failure| {
        DescribeClientQuotasResponse::default()
            .with_error_code(code.code())
            .with_error_message(Some(StrBytes::from_string(message)))
            .with_entries(None)
    };
    if !state
        .authorizer
        .allows(caller, Operation::DescribeConfigs, Resource::cluster())
    {
        return failed((
            ResponseError::ClusterAuthorizationFailed,
            "DESCRIBE_CONFIGS on the cluster is needed to describe client quotas".to_string(),
        ));
    }
    let components = match filter(&req) {
        Ok(Some(c)) => c,
        // An ip filter: Spate keeps no ip quotas.
        Ok(None) => return DescribeClientQuotasResponse::default().with_entries(Some(Vec::new())),
        Err(f) => return failed(f),
    };
    let quotas = state.quotas.snapshot();
    let entries = quotas
        .iter()
        .filter(|(entity, _)| matches(entity, &components, req.strict))
        .map(|(entity, values)| {
            let entity_data = entity
                .components()
                .into_iter()
                .map(|(t, n)| {
                    EntityData::default()
                        .with_entity_type(StrBytes::from_static_str(t))
                        .with_entity_name(n.map(|n| StrBytes::from_string(n.to_string())))
                })
                .collect();
            let values = values
                .iter()
                .map(|(k, v)| {
                    ValueData::default()
                        .with_key(StrBytes::from_static_str(k.name()))
                        .with_value(*v)
                })
                .collect();
            EntryData::default().with_entity(entity_data).with_values(values)
        })
        .collect();
    DescribeClientQuotasResponse::default().with_entries(Some(entries))
}

/// The request's components, `None` for a filter on ip quotas, or Kafka's INVALID_REQUEST.
fn filter(req: &DescribeClientQuotasRequest) -> Result<Option<Vec<Component>>, Failure> {
    let mut types = BTreeSet::new();
    let mut components = Vec::with_capacity(req.components.len());
    let mut has_ip = false;
    for c in &req.components {
        let entity_type: &'static str = match c.entity_type.as_str() {
            USER => USER,
            CLIENT_ID => CLIENT_ID,
            IP => {
                has_ip = true;
                IP
            }
            "" => return Err(invalid("Invalid empty entity type.".into())),
            other => {
                return Err((
                    ResponseError::UnsupportedVersion,
                    format!("Unsupported entity type {other}"),
                ));
            }
        };
        if !types.insert(entity_type) {
            return Err(invalid(format!(
                "Entity type {entity_type} cannot appear more than once in the filter"
            )));
        }
        let name = c._match.as_ref().map(|m| m.to_string());
        components.push(match (c.match_type, name) {
            (MATCH_EXACT, Some(name)) => Component::Exactly(entity_type, Some(name)),
            (MATCH_EXACT, None) => {
                return Err(invalid(
                    "Request specified MATCH_TYPE_EXACT, but set match string to null".into(),
                ));
            }
            (MATCH_DEFAULT, None) => Component::Exactly(entity_type, None),
            (MATCH_SPECIFIED, None) => Component::HasType(entity_type),
            (MATCH_DEFAULT | MATCH_SPECIFIED, Some(_)) => {
                return Err(invalid(format!(
                    "Request specified match type {}, but also specified a match string",
                    c.match_type
                )));
            }
            (other, _) => return Err(invalid(format!("Unknown match type {other}"))),
        });
    }
    if has_ip {
        if types.len() > 1 {
            return Err(invalid(
                "Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component."
                    .into(),
            ));
        }
        return Ok(None);
    }
    Ok(Some(components))
}

fn matches(entity: &QuotaEntity, components: &[Component], strict: bool) -> bool {
    let part = |t: &str| match t {
        USER => entity.user.as_ref(),
        _ => entity.client_id.as_ref(),
    };
    if strict && entity.components().len() != components.len() {
        return false;
    }
    components.iter().all(|c| match c {
        Component::HasType(t) => part(t).is_some(),
        Component::Exactly(t, name) => match (part(t), name) {
            (Some(EntityName::Default), None) => true,
            (Some(EntityName::Named(n)), Some(wanted)) => n == wanted,
            _ => false,
        },
    })
}
