//! Kafka's broker property names (`server.properties`, `--override`) applied to a
//! [`BrokerConfig`], so an operator's existing file means the same here.
//!
//! Contracts: settings apply in order and a later one replaces an earlier one of the same key
//! (a file, then `--set` overrides); each key is applied once, after merging, so precedences
//! such as `log.retention.ms` over `log.retention.hours` hold whatever the order; an invalid
//! value is an [`Error::Property`] naming the key and where it came from, and nothing is
//! applied then. Keys that mean nothing to a single-node broker (replication, thread counts,
//! ZooKeeper/KRaft) are reported as without effect; the rest that Spate does not know are
//! reported as unknown. The caller decides how to tell the operator.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::listeners::{self, ListenerConfig};
use crate::setting::Setting;
use crate::tls::settings::KeyKind;
use crate::{BrokerConfig, Error, Result, tls};
use spate_kafka_security::SaslMechanism;

/// Keys that were accepted but not applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotApplied {
    /// Known Kafka keys that have no effect on a single-node Spate broker.
    pub no_effect: Vec<String>,
    /// Keys Spate does not know (typos, or features it lacks).
    pub unknown: Vec<String>,
}

/// Kafka broker keys that a single node with no replication or separate thread pools ignores.
const NO_EFFECT: &[&str] = &[
    "broker.rack",
    "controller.listener.names",
    "controller.quorum.bootstrap.servers",
    "controller.quorum.voters",
    "default.replication.factor",
    "delete.topic.enable",
    "group.initial.rebalance.delay.ms",
    "inter.broker.listener.name",
    "log.cleaner.io.buffer.load.factor",
    "log.cleaner.io.buffer.size",
    "log.retention.check.interval.ms",
    "metadata.log.dir",
    "min.insync.replicas",
    "num.io.threads",
    "num.network.threads",
    "num.recovery.threads.per.data.dir",
    "num.replica.fetchers",
    "offsets.topic.num.partitions",
    "offsets.topic.replication.factor",
    "process.roles",
    "sasl.mechanism.inter.broker.protocol",
    "security.inter.broker.protocol",
    "socket.receive.buffer.bytes",
    "socket.send.buffer.bytes",
    "transaction.state.log.min.isr",
    "transaction.state.log.num.partitions",
    "transaction.state.log.replication.factor",
    "unclean.leader.election.enable",
    "zookeeper.connect",
    "zookeeper.connection.timeout.ms",
];

/// Broker-level log keys and the topic-level key they default (`log.segment.bytes` is the
/// default of `segment.bytes`). Retention and roll times in coarser units are handled apart.
const LOG_DEFAULTS: &[(&str, &str)] = &[
    ("log.segment.bytes", "segment.bytes"),
    ("log.retention.bytes", "retention.bytes"),
    ("message.max.bytes", "max.message.bytes"),
    ("log.index.interval.bytes", "index.interval.bytes"),
    ("log.flush.interval.messages", "flush.messages"),
    ("log.flush.interval.ms", "flush.ms"),
    ("log.message.timestamp.type", "message.timestamp.type"),
    ("log.cleanup.policy", "cleanup.policy"),
    ("log.cleaner.delete.retention.ms", "delete.retention.ms"),
    ("log.cleaner.min.cleanable.ratio", "min.cleanable.dirty.ratio"),
    ("log.cleaner.min.compaction.lag.ms", "min.compaction.lag.ms"),
    ("log.cleaner.max.compaction.lag.ms", "max.compaction.lag.ms"),
];

/// Time keys in a unit, most precise first: the first one present wins, as in Kafka.
const RETENTION_KEYS: &[(&str, u64)] = &[
    ("log.retention.ms", 1),
    ("log.retention.minutes", 60_000),
    ("log.retention.hours", 3_600_000),
];
const ROLL_KEYS: &[(&str, u64)] = &[("log.roll.ms", 1), ("log.roll.hours", 3_600_000)];

/// Kafka's authorizer classes; either turns on Spate's authorizer, which has their semantics.
const AUTHORIZER_CLASSES: &[&str] = &[
    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "kafka.security.authorizer.AclAuthorizer",
    "kafka.security.auth.SimpleAclAuthorizer",
];

const LISTENER_KEYS: &[&str] = &[
    "listeners",
    "advertised.listeners",
    "listener.security.protocol.map",
];

impl BrokerConfig {
    /// Applies Kafka broker properties (see the module docs for the rules). On error nothing is
    /// applied.
    pub fn apply_properties(&mut self, settings: &[Setting]) -> Result<NotApplied> {
        let mut merged: BTreeMap<&str, &Setting> = BTreeMap::new();
        for s in settings {
            merged.insert(s.key.trim(), s);
        }
        let mut next = self.clone();
        let mut not_applied = NotApplied::default();
        let mut log_overrides: Vec<(&Setting, String, String)> = Vec::new();
        for (&key, &setting) in &merged {
            let value = setting.value.trim();
            let bad = |reason: String| property_error(setting, reason);
            match key {
                "log.dirs" | "log.dir" => {
                    if key == "log.dir" && merged.contains_key("log.dirs") {
                        continue; // log.dirs wins, as in Kafka
                    }
                    let dirs = list(value);
                    match dirs.as_slice() {
                        [one] => next.data_dir = PathBuf::from(one),
                        [] => return Err(bad("no directory given".into())),
                        _ => {
                            return Err(bad(
                                "Spate keeps its data in one directory; give exactly one".into()
                            ));
                        }
                    }
                }
                "node.id" | "broker.id" => {
                    if key == "broker.id" && merged.contains_key("node.id") {
                        continue;
                    }
                    next.node_id = int(value, 0, i64::from(i32::MAX)).map_err(bad)? as i32;
                }
                "num.partitions" => {
                    next.default_partitions = int(value, 1, i64::from(i32::MAX)).map_err(bad)? as i32
                }
                "auto.create.topics.enable" => next.auto_create_topics = boolean(value).map_err(bad)?,
                "socket.request.max.bytes" => {
                    next.max_request_bytes = int(value, 8, i64::from(i32::MAX)).map_err(bad)? as usize
                }
                "queued.max.request.bytes" => {
                    // Kafka's -1 means unbounded; keep a bound anyway, the largest frame.
                    let n = int(value, -1, i64::MAX).map_err(bad)?;
                    next.request_memory_bytes = usize::try_from(n).unwrap_or(usize::MAX);
                }
                "fetch.max.bytes" => {
                    next.fetch_max_bytes = int(value, 1024, i64::from(i32::MAX)).map_err(bad)? as usize
                }
                "max.incremental.fetch.session.cache.slots" => {
                    next.fetch_session_cache_slots = int(value, 0, i64::from(i32::MAX)).map_err(bad)? as usize
                }
                "quota.window.num" => {
                    next.quota_window.samples = int(value, 2, i64::from(i32::MAX)).map_err(bad)? as u32
                }
                "quota.window.size.seconds" => {
                    next.quota_window.window_ms = int(value, 1, i64::from(i32::MAX)).map_err(bad)? * 1000
                }
                "connections.max.idle.ms" => next.connections_max_idle = millis(value).map_err(bad)?,
                "max.connections.per.ip" => {
                    next.max_connections_per_ip = int(value, 0, i64::from(i32::MAX)).map_err(bad)? as usize
                }
                "max.connections" => {
                    next.max_connections = int(value, 0, i64::from(i32::MAX)).map_err(bad)? as usize
                }
                "sasl.enabled.mechanisms" => {
                    let mut mechanisms = Vec::new();
                    for name in list(value) {
                        let m: SaslMechanism = name.parse().map_err(bad)?;
                        if !mechanisms.contains(&m) {
                            mechanisms.push(m);
                        }
                    }
                    next.sasl_mechanisms = mechanisms;
                }
                "sasl.server.max.receive.size" => {
                    next.sasl_max_receive_bytes = int(value, 64, i64::from(i32::MAX)).map_err(bad)? as usize
                }
                "connection.failed.authentication.delay.ms" => {
                    next.failed_authentication_delay = millis(value).map_err(bad)?
                }
                "super.users" => {
                    let mut users = Vec::new();
                    for p in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                        if !p.contains(':') {
                            return Err(bad(format!("{p:?} is not a principal such as User:alice")));
                        }
                        users.push(p.to_string());
                    }
                    next.super_users = users;
                }
                "authorizer.class.name" => {
                    next.authorizer = match value {
                        "" => Some(false),
                        v if AUTHORIZER_CLASSES.contains(&v) => Some(true),
                        v => {
                            return Err(bad(format!(
                                "{v} is not an authorizer Spate has; use {} (both mean Spate's ACL authorizer) or leave it empty for none",
                                AUTHORIZER_CLASSES.join(" or ")
                            )));
                        }
                    }
                }
                "allow.everyone.if.no.acl.found" => {
                    next.allow_everyone_if_no_acl_found = Some(boolean(value).map_err(bad)?)
                }
                "log.cleaner.enable" => next.cleaner.enable = boolean(value).map_err(bad)?,
                "log.cleaner.threads" => next.cleaner.threads = int(value, 1, 1024).map_err(bad)? as usize,
                "log.cleaner.io.max.bytes.per.second" => {
                    next.cleaner.io_max_bytes_per_second = match value.parse::<f64>() {
                        Ok(rate) if rate > 0.0 => rate,
                        _ => return Err(bad("expected a positive number of bytes per second".into())),
                    }
                }
                "log.cleaner.backoff.ms" => next.cleaner.backoff = millis(value).map_err(bad)?,
                "log.cleaner.dedupe.buffer.size" => {
                    next.cleaner.dedupe_buffer_bytes = int(value, 1 << 20, i64::MAX).map_err(bad)? as usize
                }
                "producer.id.expiration.ms" => {
                    next.expiration.producer_id_expiration = positive_int_millis(value).map_err(bad)?
                }
                "producer.id.expiration.check.interval.ms" => {
                    next.expiration.producer_id_check_interval = positive_int_millis(value).map_err(bad)?
                }
                "transactional.id.expiration.ms" => {
                    next.expiration.transactional_id_expiration = positive_int_millis(value).map_err(bad)?
                }
                "transaction.remove.expired.transaction.cleanup.interval.ms" => {
                    next.expiration.transactional_id_check_interval =
                        positive_int_millis(value).map_err(bad)?
                }
                k if LISTENER_KEYS.contains(&k) => {} // together below
                k if tls::settings::split_key(k).is_some() => {
                    let Some((listener, ssl_key)) = tls::settings::split_key(k) else {
                        continue;
                    };
                    match tls::settings::kind(ssl_key) {
                        KeyKind::Applied => {
                            tls::settings::check(ssl_key, setting)?;
                            let key = match listener {
                                Some(name) => format!("listener.name.{name}.{ssl_key}"),
                                None => ssl_key.to_string(),
                            };
                            next.ssl.insert(key, setting.clone());
                        }
                        KeyKind::NoEffect => not_applied.no_effect.push(k.to_string()),
                        KeyKind::Unknown => not_applied.unknown.push(k.to_string()),
                    }
                }
                k if RETENTION_KEYS.iter().chain(ROLL_KEYS).any(|(name, _)| *name == k) => {}
                k => {
                    if let Some((_, topic_key)) = LOG_DEFAULTS.iter().find(|(b, _)| *b == k) {
                        log_overrides.push((setting, topic_key.to_string(), value.to_string()));
                    } else if NO_EFFECT.contains(&k) {
                        not_applied.no_effect.push(k.to_string());
                    } else {
                        not_applied.unknown.push(k.to_string());
                    }
                }
            }
        }
        for (keys, topic_key) in [(RETENTION_KEYS, "retention.ms"), (ROLL_KEYS, "segment.ms")] {
            if let Some((setting, ms)) = first_time(&merged, keys)? {
                log_overrides.push((setting, topic_key.to_string(), ms));
            }
        }
        for (setting, topic_key, value) in log_overrides {
            let one = BTreeMap::from([(topic_key, value)]);
            next.log = next
                .log
                .with_overrides(&one)
                .map_err(|e| property_error(setting, e.reason))?;
        }
        if LISTENER_KEYS.iter().any(|k| merged.contains_key(k)) {
            next.listeners = listeners_from(&merged, &next.listeners)?;
        }
        *self = next;
        Ok(not_applied)
    }
}

fn property_error(setting: &Setting, reason: String) -> Error {
    setting.error(reason)
}

/// The first of `keys` present, converted to milliseconds.
fn first_time<'a>(
    merged: &BTreeMap<&str, &'a Setting>,
    keys: &[(&str, u64)],
) -> Result<Option<(&'a Setting, String)>> {
    let Some((setting, unit)) = keys
        .iter()
        .find_map(|(k, unit)| merged.get(k).map(|s| (*s, *unit)))
    else {
        return Ok(None);
    };
    let n = int(setting.value.trim(), -1, i64::MAX).map_err(|r| property_error(setting, r))?;
    let ms = if n < 0 {
        -1
    } else {
        n.checked_mul(unit as i64)
            .ok_or_else(|| property_error(setting, "too large".into()))?
    };
    Ok(Some((setting, ms.to_string())))
}

/// Builds the listeners from `listeners`, `advertised.listeners` and the protocol map; a key
/// not given keeps what `current` has.
fn listeners_from(
    merged: &BTreeMap<&str, &Setting>,
    current: &[ListenerConfig],
) -> Result<Vec<ListenerConfig>> {
    let map = match merged.get("listener.security.protocol.map") {
        Some(s) => Some((
            *s,
            listeners::parse_protocol_map(&s.value).map_err(|r| property_error(s, r))?,
        )),
        None => None,
    };
    let protocol_of = |name: &str| match &map {
        Some((_, m)) => m.get(name).copied(),
        None => listeners::default_protocol(name),
    };
    let mut out: Vec<ListenerConfig> = match merged.get("listeners") {
        Some(s) => {
            let mut v = Vec::new();
            for ep in listeners::parse_endpoints(&s.value).map_err(|r| property_error(s, r))? {
                let protocol = protocol_of(&ep.name).ok_or_else(|| {
                    property_error(
                        s,
                        format!(
                            "listener {} has no security protocol; add it to listener.security.protocol.map",
                            ep.name
                        ),
                    )
                })?;
                v.push(ListenerConfig {
                    name: ep.name,
                    protocol,
                    host: ep.host,
                    port: ep.port,
                    advertised: None,
                });
            }
            v
        }
        None => current.to_vec(),
    };
    if let (None, Some((s, m))) = (merged.get("listeners"), &map) {
        // A map without listeners re-maps the current ones.
        for l in &mut out {
            l.protocol = *m
                .get(&l.name)
                .ok_or_else(|| property_error(s, format!("listener {} is not in the map", l.name)))?;
        }
    }
    if let Some(s) = merged.get("advertised.listeners") {
        for ep in listeners::parse_endpoints(&s.value).map_err(|r| property_error(s, r))? {
            let l = out
                .iter_mut()
                .find(|l| l.name == ep.name)
                .ok_or_else(|| property_error(s, format!("{} is not one of the listeners", ep.name)))?;
            if ep.port == 0 {
                return Err(property_error(
                    s,
                    format!("advertised listener {} needs a port", ep.name),
                ));
            }
            l.advertised = Some((ep.host, ep.port));
        }
    }
    let origin = merged
        .get("listeners")
        .or_else(|| merged.get("listener.security.protocol.map"))
        .or_else(|| merged.get("advertised.listeners"));
    if let Err(reason) = listeners::validate(&out) {
        return Err(match origin {
            Some(s) => property_error(s, reason),
            None => Error::Config(reason),
        });
    }
    Ok(out)
}

fn list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn int(value: &str, min: i64, max: i64) -> std::result::Result<i64, String> {
    let n: i64 = value
        .parse()
        .map_err(|_| format!("expected an integer, got {value:?}"))?;
    if n < min || n > max {
        return Err(format!("{n} is outside [{min}, {max}]"));
    }
    Ok(n)
}

fn millis(value: &str) -> std::result::Result<Duration, String> {
    Ok(Duration::from_millis(int(value, 0, i64::MAX)? as u64))
}

/// Kafka's `INT` milliseconds with `atLeast(1)`, as its expiration settings are.
fn positive_int_millis(value: &str) -> std::result::Result<Duration, String> {
    Ok(Duration::from_millis(int(value, 1, i64::from(i32::MAX))? as u64))
}

fn boolean(value: &str) -> std::result::Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("expected true or false, got {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listeners::SecurityProtocol;
    use crate::properties;

    fn from_file(text: &str) -> Vec<Setting> {
        properties::parse(text)
            .unwrap()
            .into_iter()
            .map(|p| Setting::new(p.key, p.value, format!("server.properties line {}", p.line)))
            .collect()
    }

    fn applied(text: &str) -> (BrokerConfig, NotApplied) {
        let mut c = BrokerConfig::new("/tmp/x");
        let n = c.apply_properties(&from_file(text)).unwrap();
        (c, n)
    }

    fn error_of(text: &str) -> String {
        let mut c = BrokerConfig::new("/tmp/x");
        let before = format!("{c:?}");
        let e = c.apply_properties(&from_file(text)).unwrap_err().to_string();
        assert_eq!(format!("{c:?}"), before, "nothing applied on error");
        e
    }

    #[test]
    fn a_kafka_server_properties_file_applies() {
        let (c, n) = applied(
            "broker.id=3\nnum.network.threads=3\nlog.dirs=/var/lib/kafka\nnum.partitions=6\n\
             auto.create.topics.enable=FALSE\nlog.retention.hours=168\nlog.retention.minutes=5\n\
             log.segment.bytes=1048576\nlog.retention.bytes = 1000\nzookeeper.connect=zk:2181\n\
             sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN\nsuper.users=User:admin;User:ops\n\
             allow.everyone.if.no.acl.found=true\nlog.flush.interval.messages=1\nfancy.feature=on\n",
        );
        assert_eq!(c.node_id, 3);
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/kafka"));
        assert_eq!(c.default_partitions, 6);
        assert!(!c.auto_create_topics);
        // Minutes beat hours, as in Kafka.
        assert_eq!(c.log.retention_ms, Some(300_000));
        assert_eq!(c.log.segment_bytes, 1_048_576);
        assert_eq!(c.log.retention_bytes, Some(1000));
        assert_eq!(c.log.flush, spate_log::FlushPolicy::Always);
        assert_eq!(
            c.sasl_mechanisms,
            [SaslMechanism::ScramSha512, SaslMechanism::Plain]
        );
        assert_eq!(c.super_users, ["User:admin", "User:ops"]);
        assert_eq!(c.allow_everyone_if_no_acl_found, Some(true));
        assert_eq!(c.authorizer, None);
        assert!(!c.authorizer_enabled(), "PLAINTEXT only: off by default");
        assert_eq!(n.no_effect, ["num.network.threads", "zookeeper.connect"]);
        assert_eq!(n.unknown, ["fancy.feature"]);
    }

    #[test]
    fn log_cleaner_properties_apply() {
        let (c, n) = applied(
            "log.cleaner.enable=false\nlog.cleaner.threads=2\nlog.cleaner.io.max.bytes.per.second=1048576\n\
             log.cleaner.backoff.ms=500\nlog.cleaner.dedupe.buffer.size=16777216\n\
             log.cleaner.delete.retention.ms=1000\nlog.cleaner.min.cleanable.ratio=0.1\n\
             log.cleaner.min.compaction.lag.ms=5\nlog.cleaner.max.compaction.lag.ms=60000\n\
             log.cleanup.policy=compact,delete\nlog.cleaner.io.buffer.size=524288\n",
        );
        assert!(!c.cleaner.enable);
        assert_eq!(c.cleaner.threads, 2);
        assert_eq!(c.cleaner.io_max_bytes_per_second, 1_048_576.0);
        assert_eq!(c.cleaner.backoff, Duration::from_millis(500));
        assert_eq!(c.cleaner.dedupe_buffer_bytes, 16 << 20);
        assert_eq!(c.log.delete_retention_ms, 1000);
        assert_eq!(c.log.value_of("min.cleanable.dirty.ratio").unwrap(), "0.1");
        assert_eq!(c.log.min_compaction_lag_ms, 5);
        assert_eq!(c.log.max_compaction_lag_ms, 60_000);
        assert!(c.log.cleanup_compact && c.log.cleanup_delete);
        assert_eq!(n.no_effect, vec!["log.cleaner.io.buffer.size".to_string()]);
        assert!(n.unknown.is_empty(), "{n:?}");
    }

    #[test]
    fn expiration_properties_apply_and_are_checked() {
        let (c, n) = applied("");
        assert_eq!(c.expiration, crate::ExpirationConfig::default());
        assert_eq!(
            c.expiration.producer_id_expiration,
            Duration::from_millis(86_400_000)
        );
        assert_eq!(
            c.expiration.transactional_id_expiration,
            Duration::from_millis(604_800_000)
        );
        assert!(n.unknown.is_empty());
        let (c, n) = applied(
            "producer.id.expiration.ms=1000
producer.id.expiration.check.interval.ms=100
             transactional.id.expiration.ms=2000
             transaction.remove.expired.transaction.cleanup.interval.ms=200
",
        );
        assert_eq!(
            c.expiration,
            crate::ExpirationConfig {
                producer_id_expiration: Duration::from_millis(1000),
                producer_id_check_interval: Duration::from_millis(100),
                transactional_id_expiration: Duration::from_millis(2000),
                transactional_id_check_interval: Duration::from_millis(200),
            }
        );
        assert!(n.unknown.is_empty() && n.no_effect.is_empty(), "{n:?}");
        for bad in [
            "producer.id.expiration.ms=0",
            "producer.id.expiration.ms=2147483648",
            "transactional.id.expiration.ms=-1",
            "transactional.id.expiration.ms=7d",
            "producer.id.expiration.check.interval.ms=0",
            "transaction.remove.expired.transaction.cleanup.interval.ms=0",
            "max.incremental.fetch.session.cache.slots=-1",
        ] {
            let key = bad.split('=').next().unwrap();
            let e = error_of(&format!("{bad}\n"));
            assert!(e.contains(key) && e.contains("line 1"), "{bad}: {e}");
        }
    }

    #[test]
    fn quota_windows_as_kafka_names_them() {
        let mut c = BrokerConfig::new("/tmp/x");
        let n = c
            .apply_properties(&from_file("quota.window.num=3\nquota.window.size.seconds=2\n"))
            .unwrap();
        assert!(n.unknown.is_empty(), "{n:?}");
        assert_eq!(
            c.quota_window,
            crate::quotas::QuotaWindow {
                samples: 3,
                window_ms: 2000
            }
        );
        for bad in ["quota.window.num=1", "quota.window.size.seconds=0"] {
            let key = bad.split('=').next().unwrap();
            let e = error_of(&format!("{bad}\n"));
            assert!(e.contains(key), "{bad}: {e}");
        }
    }

    #[test]
    fn later_settings_replace_earlier_ones() {
        let mut c = BrokerConfig::new("/tmp/x");
        let mut settings = from_file("num.partitions=2\nlog.retention.ms=10\n");
        settings.push(Setting::new("num.partitions", "9", "--set"));
        settings.push(Setting::new("log.retention.hours", "1", "--set"));
        c.apply_properties(&settings).unwrap();
        assert_eq!(c.default_partitions, 9);
        // ms still wins over hours, wherever it was written.
        assert_eq!(c.log.retention_ms, Some(10));
        let mut c = BrokerConfig::new("/tmp/x");
        c.apply_properties(&[Setting::new("log.retention.ms", "-1", "--set")])
            .unwrap();
        assert_eq!(c.log.retention_ms, None);
    }

    #[test]
    fn invalid_values_name_key_and_line() {
        let e = error_of("num.partitions=1\n\nnum.partitions=0\n");
        assert!(e.contains("num.partitions") && e.contains("line 3"), "{e}");
        let e = error_of("log.segment.bytes=ten\n");
        assert!(e.contains("log.segment.bytes") && e.contains("line 1"), "{e}");
        let e = error_of("auto.create.topics.enable=yes\n");
        assert!(e.contains("auto.create.topics.enable"), "{e}");
        let e = error_of("log.cleanup.policy=shred\n");
        assert!(e.contains("log.cleanup.policy"), "{e}");
        let e = error_of("log.cleaner.io.max.bytes.per.second=fast\n");
        assert!(e.contains("log.cleaner.io.max.bytes.per.second"), "{e}");
        let e = error_of("log.cleaner.min.cleanable.ratio=2\n");
        assert!(e.contains("log.cleaner.min.cleanable.ratio"), "{e}");
        let e = error_of("sasl.enabled.mechanisms=GSSAPI\n");
        assert!(e.contains("GSSAPI"), "{e}");
        let e = error_of("log.dirs=/a,/b\n");
        assert!(e.contains("one directory"), "{e}");
        let e = error_of("log.retention.hours=99999999999999999\n");
        assert!(e.contains("log.retention.hours"), "{e}");
        let e = error_of("authorizer.class.name=com.example.Custom\n");
        assert!(e.contains("StandardAuthorizer"), "{e}");
        let e = error_of("super.users=admin\n");
        assert!(e.contains("super.users"), "{e}");
    }

    #[test]
    fn ssl_keys_are_kept_per_listener_and_checked() {
        let (c, n) = applied(
            "listeners=SSL://:9093\nssl.keystore.type=PEM\nssl.keystore.location=/etc/k.pem\n\
             listener.name.SSL.ssl.client.auth=required\nssl.keystore.password=x\nssl.foo=1\n",
        );
        assert_eq!(c.ssl["ssl.keystore.location"].value, "/etc/k.pem");
        assert_eq!(c.ssl["listener.name.ssl.ssl.client.auth"].value, "required");
        assert_eq!(n.no_effect, ["ssl.keystore.password"]);
        assert_eq!(n.unknown, ["ssl.foo"]);
        let e = error_of("ssl.keystore.type=JKS\n");
        assert!(e.contains("ssl.keystore.type") && e.contains("line 1"), "{e}");
        let e = error_of("listener.name.external.ssl.truststore.type=PKCS12\n");
        assert!(e.contains("listener.name.external.ssl.truststore.type"), "{e}");
        let e = error_of("ssl.client.auth=maybe\n");
        assert!(e.contains("ssl.client.auth"), "{e}");
        let e = error_of("listener.name.ssl.ssl.principal.mapping.rules=RULE:^CN=(.*)$/$1/X\n");
        assert!(
            e.contains("ssl.principal.mapping.rules") && e.contains("line 1"),
            "{e}"
        );
    }

    #[test]
    fn authorizer_class_names() {
        let (c, _) =
            applied("authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n");
        assert!(c.authorizer_enabled());
        let (c, _) = applied("authorizer.class.name=kafka.security.authorizer.AclAuthorizer\n");
        assert!(c.authorizer_enabled());
        // On by default with a SASL listener, off when set empty.
        let (c, _) = applied("listeners=SASL_PLAINTEXT://:9093\n");
        assert!(c.authorizer_enabled());
        let (c, _) = applied("listeners=SASL_PLAINTEXT://:9093\nauthorizer.class.name=\n");
        assert!(!c.authorizer_enabled());
    }

    #[test]
    fn listeners_map_and_advertise() {
        let (c, _) = applied(
            "listeners=INTERNAL://127.0.0.1:9092,EXTERNAL://:9093\n\
             listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:SASL_PLAINTEXT\n\
             advertised.listeners=EXTERNAL://broker.example:19093\n",
        );
        assert_eq!(c.listeners.len(), 2);
        assert_eq!(c.listeners[0].name, "INTERNAL");
        assert_eq!(c.listeners[0].protocol, SecurityProtocol::Plaintext);
        assert_eq!(c.listeners[0].advertised, None);
        assert_eq!(c.listeners[1].protocol, SecurityProtocol::SaslPlaintext);
        assert_eq!(c.listeners[1].host, "");
        assert_eq!(
            c.listeners[1].advertised,
            Some(("broker.example".to_string(), 19093))
        );
        // Without a map, names are protocols.
        let (c, _) = applied("listeners=PLAINTEXT://:1,SASL_PLAINTEXT://:2\n");
        assert_eq!(c.listeners[1].protocol, SecurityProtocol::SaslPlaintext);
        let e = error_of("listeners=INTERNAL://:9092\n");
        assert!(
            e.contains("listener.security.protocol.map") && e.contains("line 1"),
            "{e}"
        );
        let (c, _) = applied("listeners=SSL://:9093,SASL_SSL://:9094\n");
        assert_eq!(c.listeners[1].protocol, SecurityProtocol::SaslSsl);
        let e = error_of("listeners=PLAINTEXT://:1\nadvertised.listeners=OTHER://h:2\n");
        assert!(e.contains("advertised.listeners") && e.contains("line 2"), "{e}");
    }
}
