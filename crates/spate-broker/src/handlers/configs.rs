//! DescribeConfigs, AlterConfigs and IncrementalAlterConfigs for topics (broker configs are
//! described, read-only).

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse as IncrementalResourceResponse;
use kafka_protocol::messages::{
    AlterConfigsRequest, AlterConfigsResponse, DescribeConfigsRequest, DescribeConfigsResponse,
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};
use kafka_protocol::protocol::StrBytes;
use spate_log::LogConfig;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::error_codes::code_and_message;
use crate::state::BrokerState;

const RESOURCE_TOPIC: i8 = 2;
const RESOURCE_BROKER: i8 = 4;
const RESOURCE_BROKER_LOGGER: i8 = 8;

/// Whether `caller` may `operation` (DESCRIBE_CONFIGS, ALTER_CONFIGS) a config resource: a
/// topic's configs are the topic's, broker configs the cluster's (Kafka's rules).
fn may(
    state: &BrokerState,
    caller: &Caller,
    operation: Operation,
    resource_type: i8,
    name: &str,
) -> Result<(), (ResponseError, String)> {
    let (resource, code) = match resource_type {
        RESOURCE_TOPIC => (Resource::topic(name), ResponseError::TopicAuthorizationFailed),
        RESOURCE_BROKER | RESOURCE_BROKER_LOGGER => {
            (Resource::cluster(), ResponseError::ClusterAuthorizationFailed)
        }
        _ => return Ok(()),
    };
    if state.authorizer.allows(caller, operation, resource) {
        Ok(())
    } else {
        Err((
            code,
            format!("{} may not {operation} of {resource}", caller.principal),
        ))
    }
}

// Kafka's ConfigSource values.
const SOURCE_DYNAMIC_TOPIC: i8 = 1;
const SOURCE_STATIC_BROKER: i8 = 4;
const SOURCE_DEFAULT: i8 = 5;

// Kafka's ConfigType values (DescribeConfigs v3+).
const TYPE_STRING: i8 = 2;
const TYPE_INT: i8 = 3;
const TYPE_LONG: i8 = 5;
const TYPE_LIST: i8 = 7;
const TYPE_BOOLEAN: i8 = 1;
const TYPE_DOUBLE: i8 = 6;

/// One config as described to clients.
#[derive(Debug, Clone)]
pub(crate) struct ConfigEntry {
    pub(crate) name: &'static str,
    pub(crate) value: String,
    pub(crate) source: i8,
    pub(crate) config_type: i8,
    pub(crate) read_only: bool,
}

fn config_type(key: &str) -> i8 {
    match key {
        "max.message.bytes" | "index.interval.bytes" => TYPE_INT,
        "message.timestamp.type" => TYPE_STRING,
        "cleanup.policy" => TYPE_LIST,
        "min.cleanable.dirty.ratio" => TYPE_DOUBLE,
        _ => TYPE_LONG,
    }
}

/// Every topic config with its effective value and whether it is overridden.
pub(crate) fn topic_config_entries(
    config: &LogConfig,
    overrides: &BTreeMap<String, String>,
) -> Vec<ConfigEntry> {
    LogConfig::KEYS
        .iter()
        .filter_map(|&key| {
            config.value_of(key).map(|value| ConfigEntry {
                name: key,
                value,
                source: if overrides.contains_key(key) {
                    SOURCE_DYNAMIC_TOPIC
                } else {
                    SOURCE_DEFAULT
                },
                config_type: config_type(key),
                read_only: false,
            })
        })
        .collect()
}

fn broker_config_entries(state: &BrokerState) -> Vec<ConfigEntry> {
    let c = &state.config;
    let entry = |name: &'static str, value: String, config_type: i8| ConfigEntry {
        name,
        value,
        source: SOURCE_STATIC_BROKER,
        config_type,
        read_only: true,
    };
    vec![
        entry("broker.id", c.node_id.to_string(), TYPE_INT),
        entry("num.partitions", c.default_partitions.to_string(), TYPE_INT),
        entry(
            "auto.create.topics.enable",
            c.auto_create_topics.to_string(),
            TYPE_BOOLEAN,
        ),
        entry(
            "socket.request.max.bytes",
            c.max_request_bytes.to_string(),
            TYPE_INT,
        ),
        entry("message.max.bytes", c.log.max_message_bytes.to_string(), TYPE_INT),
        entry("log.cleaner.enable", c.cleaner.enable.to_string(), TYPE_BOOLEAN),
        entry("log.cleaner.threads", c.cleaner.threads.to_string(), TYPE_INT),
        entry(
            "log.cleaner.io.max.bytes.per.second",
            format!("{:?}", c.cleaner.io_max_bytes_per_second),
            TYPE_DOUBLE,
        ),
        entry(
            "log.cleaner.backoff.ms",
            c.cleaner.backoff.as_millis().to_string(),
            TYPE_LONG,
        ),
        entry(
            "log.cleaner.dedupe.buffer.size",
            c.cleaner.dedupe_buffer_bytes.to_string(),
            TYPE_LONG,
        ),
        entry(
            "producer.id.expiration.ms",
            c.expiration.producer_id_expiration.as_millis().to_string(),
            TYPE_INT,
        ),
        entry(
            "producer.id.expiration.check.interval.ms",
            c.expiration.producer_id_check_interval.as_millis().to_string(),
            TYPE_INT,
        ),
        entry(
            "transactional.id.expiration.ms",
            c.expiration.transactional_id_expiration.as_millis().to_string(),
            TYPE_INT,
        ),
        entry(
            "transaction.remove.expired.transaction.cleanup.interval.ms",
            c.expiration
                .transactional_id_check_interval
                .as_millis()
                .to_string(),
            TYPE_INT,
        ),
        entry(
            "max.incremental.fetch.session.cache.slots",
            c.fetch_session_cache_slots.to_string(),
            TYPE_INT,
        ),
        entry(
            "log.cleaner.delete.retention.ms",
            c.log.delete_retention_ms.to_string(),
            TYPE_LONG,
        ),
        entry(
            "log.cleaner.min.cleanable.ratio",
            c.log.min_cleanable_dirty_ratio().to_string(),
            TYPE_DOUBLE,
        ),
        entry(
            "log.cleaner.min.compaction.lag.ms",
            c.log.min_compaction_lag_ms.to_string(),
            TYPE_LONG,
        ),
        entry(
            "log.cleaner.max.compaction.lag.ms",
            c.log.max_compaction_lag_ms.to_string(),
            TYPE_LONG,
        ),
        entry(
            "log.cleanup.policy",
            c.log.value_of("cleanup.policy").unwrap_or_default(),
            TYPE_LIST,
        ),
        entry(
            "log.dirs",
            c.data_dir.join("log").display().to_string(),
            TYPE_STRING,
        ),
    ]
}

pub(crate) fn describe(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: DescribeConfigsRequest,
    version: i16,
) -> DescribeConfigsResponse {
    let results = req
        .resources
        .into_iter()
        .map(|res| {
            let mut result = DescribeConfigsResult::default()
                .with_resource_type(res.resource_type)
                .with_resource_name(res.resource_name.clone());
            let allowed = may(
                state,
                caller,
                Operation::DescribeConfigs,
                res.resource_type,
                res.resource_name.as_str(),
            );
            let entries = match res.resource_type {
                _ if allowed.is_err() => allowed.map(|()| Vec::new()),
                RESOURCE_TOPIC => match state.store.topic(res.resource_name.as_str()) {
                    Some(t) => Ok(topic_config_entries(&t.config, &t.overrides)),
                    None => Err((
                        ResponseError::UnknownTopicOrPartition,
                        format!("unknown topic {}", res.resource_name.as_str()),
                    )),
                },
                RESOURCE_BROKER => Ok(broker_config_entries(state)),
                other => Err((
                    ResponseError::InvalidRequest,
                    format!("unsupported resource type {other}"),
                )),
            };
            match entries {
                Ok(entries) => {
                    let keys = res.configuration_keys.as_ref();
                    result.configs = entries
                        .into_iter()
                        .filter(|e| keys.is_none_or(|k| k.iter().any(|k| k.as_str() == e.name)))
                        .map(|e| {
                            let mut r = DescribeConfigsResourceResult::default()
                                .with_name(StrBytes::from_string(e.name.to_string()))
                                .with_value(Some(StrBytes::from_string(e.value.clone())))
                                .with_read_only(e.read_only)
                                .with_config_source(e.source);
                            if req.include_synonyms {
                                r.synonyms = vec![
                                    DescribeConfigsSynonym::default()
                                        .with_name(StrBytes::from_string(e.name.to_string()))
                                        .with_value(Some(StrBytes::from_string(e.value)))
                                        .with_source(e.source),
                                ];
                            }
                            if version >= 3 {
                                r.config_type = e.config_type;
                            }
                            r
                        })
                        .collect();
                }
                Err((code, message)) => {
                    result.error_code = code.code();
                    result.error_message = Some(StrBytes::from_string(message));
                }
            }
            result
        })
        .collect();
    DescribeConfigsResponse::default().with_results(results)
}

/// Validates and (unless `validate_only`) applies a topic's new override set.
fn apply_overrides(
    state: &BrokerState,
    caller: &Caller,
    resource_type: i8,
    name: &str,
    change: impl FnOnce(&BTreeMap<String, String>) -> Result<BTreeMap<String, String>, (i16, Option<StrBytes>)>,
    validate_only: bool,
) -> Result<(), (i16, Option<StrBytes>)> {
    let fail = |code: ResponseError, message: String| (code.code(), Some(StrBytes::from_string(message)));
    may(state, caller, Operation::AlterConfigs, resource_type, name).map_err(|(c, m)| fail(c, m))?;
    if resource_type != RESOURCE_TOPIC {
        return Err(fail(
            ResponseError::InvalidRequest,
            format!("only topic configs can be altered (resource type {resource_type})"),
        ));
    }
    let Some(topic) = state.store.topic(name) else {
        return Err(fail(
            ResponseError::UnknownTopicOrPartition,
            format!("unknown topic {name}"),
        ));
    };
    let overrides = change(&topic.overrides)?;
    if let Some(key) = crate::internal_topics::protected_change(name, &topic.overrides, &overrides) {
        return Err(fail(
            ResponseError::InvalidConfig,
            format!(
                "{key} of internal topic {name} cannot be changed: it decides what of the broker's own state is kept"
            ),
        ));
    }
    if validate_only {
        state
            .store
            .default_log_config()
            .with_overrides(&overrides)
            .map(|_| ())
            .map_err(|e| fail(ResponseError::InvalidConfig, e.to_string()))
    } else {
        state
            .store
            .set_topic_overrides(name, overrides)
            .map(|_| ())
            .map_err(|e| code_and_message(&e))
    }
}

pub(crate) fn alter(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: AlterConfigsRequest,
) -> AlterConfigsResponse {
    let responses = req
        .resources
        .into_iter()
        .map(|res| {
            // AlterConfigs replaces the whole override set with the given one.
            let new: BTreeMap<String, String> = res
                .configs
                .iter()
                .filter_map(|c| {
                    c.value
                        .as_ref()
                        .map(|v| (c.name.as_str().to_string(), v.as_str().to_string()))
                })
                .collect();
            let outcome = apply_overrides(
                state,
                caller,
                res.resource_type,
                res.resource_name.as_str(),
                |_| Ok(new),
                req.validate_only,
            );
            let mut r = AlterConfigsResourceResponse::default()
                .with_resource_type(res.resource_type)
                .with_resource_name(res.resource_name);
            if let Err((code, message)) = outcome {
                r.error_code = code;
                r.error_message = message;
            }
            r
        })
        .collect();
    AlterConfigsResponse::default().with_responses(responses)
}

pub(crate) fn incremental_alter(
    state: &Arc<BrokerState>,
    caller: &Caller,
    req: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let responses = req
        .resources
        .into_iter()
        .map(|res| {
            let ops = res.configs;
            let outcome = apply_overrides(
                state,
                caller,
                res.resource_type,
                res.resource_name.as_str(),
                |current| {
                    let mut next = current.clone();
                    for op in &ops {
                        let key = op.name.as_str().to_string();
                        match (op.config_operation, &op.value) {
                            (0, Some(v)) => {
                                next.insert(key, v.as_str().to_string());
                            }
                            (1, _) => {
                                next.remove(&key);
                            }
                            (0, None) => {
                                return Err((
                                    ResponseError::InvalidRequest.code(),
                                    Some(StrBytes::from_string(format!("SET of {key} without a value"))),
                                ));
                            }
                            (2 | 3, _) => {
                                return Err((
                                    ResponseError::InvalidConfig.code(),
                                    Some(StrBytes::from_string(format!(
                                        "APPEND/SUBTRACT are not supported for {key}"
                                    ))),
                                ));
                            }
                            (other, _) => {
                                return Err((
                                    ResponseError::InvalidRequest.code(),
                                    Some(StrBytes::from_string(format!("unknown config operation {other}"))),
                                ));
                            }
                        }
                    }
                    Ok(next)
                },
                req.validate_only,
            );
            let mut r = IncrementalResourceResponse::default()
                .with_resource_type(res.resource_type)
                .with_resource_name(res.resource_name);
            if let Err((code, message)) = outcome {
                r.error_code = code;
                r.error_message = message;
            }
            r
        })
        .collect();
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}
