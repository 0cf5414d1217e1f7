//! [`BrokerConfig`]: every setting of one broker, with Kafka's defaults. Kafka's property names
//! map onto it in `server_properties`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use spate_log::LogConfig;

use crate::listeners::ListenerConfig;
use crate::setting::Setting;
use spate_kafka_security::SaslMechanism;

/// Settings of one broker.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Listeners (`listeners`, `advertised.listeners`, `listener.security.protocol.map`), at
    /// least one; the first is the one [`crate::BrokerHandle::bootstrap_servers`] names. Port 0
    /// picks an ephemeral port (embedded use and tests).
    pub listeners: Vec<ListenerConfig>,
    /// Root of all durable state: `log/` holds topics, `broker/` the broker's own metadata.
    pub data_dir: PathBuf,
    pub node_id: i32,
    /// Create unknown topics on Metadata requests that allow it (`auto.create.topics.enable`).
    pub auto_create_topics: bool,
    /// Partition count of auto-created topics and of CreateTopics with -1 (`num.partitions`).
    pub default_partitions: i32,
    /// Broker-level defaults of topic configs.
    pub log: LogConfig,
    /// The background log cleaner (`log.cleaner.*`).
    pub cleaner: crate::log_cleaner::CleanerConfig,
    /// Expiry of idle producers and transactional ids (`producer.id.expiration.ms`,
    /// `transactional.id.expiration.ms` and their check intervals).
    pub expiration: crate::expiration::ExpirationConfig,
    /// Largest request frame accepted (`socket.request.max.bytes`); larger ones close the
    /// connection before anything is read into memory.
    pub max_request_bytes: usize,
    /// How often the background task fsyncs by interval and applies retention.
    pub maintenance_interval: Duration,
    /// Largest Fetch response (`fetch.max.bytes`, 55 MiB as in Kafka), whatever the client
    /// asks; the first batch is still returned whole when larger (KIP-74).
    pub fetch_max_bytes: usize,
    /// Incremental fetch sessions the broker keeps (`max.incremental.fetch.session.cache.slots`);
    /// 0 = none, every client sends full Fetch requests.
    pub fetch_session_cache_slots: usize,
    /// Reply bytes one connection may have built but not yet sent before the broker stops
    /// reading its requests (Kafka mutes such channels), so an unread client cannot make the
    /// broker build replies without bound.
    pub connection_reply_bytes: usize,
    /// Reply bytes all connections together may hold unsent; past it, fetches shrink to their
    /// first batch until replies drain.
    pub reply_memory_bytes: usize,
    /// Request bytes all connections together may hold while frames arrive (Kafka's
    /// `queued.max.request.bytes`). A frame's whole announced size is reserved before its body is
    /// read, so connections wait for room instead of the broker allocating what it was told.
    pub request_memory_bytes: usize,
    /// A connection with no traffic either way for this long is closed
    /// (`connections.max.idle.ms`, 10 minutes as in Kafka).
    pub connections_max_idle: Duration,
    /// A request frame that stops arriving mid-way for this long closes its connection.
    pub request_stall_timeout: Duration,
    /// Connections accepted from one IP address (`max.connections.per.ip`); more are closed at
    /// once.
    pub max_connections_per_ip: usize,
    /// Connections accepted in all (`max.connections`).
    pub max_connections: usize,
    /// Mechanisms offered on SASL listeners (`sasl.enabled.mechanisms`).
    pub sasl_mechanisms: Vec<SaslMechanism>,
    /// Largest request frame before a connection has authenticated
    /// (`sasl.server.max.receive.size`), so unauthenticated clients cannot make the broker
    /// reserve large buffers.
    pub sasl_max_receive_bytes: usize,
    /// How long a failed authentication waits before its error reply and the closing of the
    /// connection (`connection.failed.authentication.delay.ms`), which slows password guessing.
    pub failed_authentication_delay: Duration,
    /// What SASL/PLAIN password checks may cost: failures per client address and per user
    /// before guesses are refused unchecked, and how many key derivations run at once (no
    /// Kafka property: Kafka's PLAIN needs no key derivation per attempt).
    pub sasl_plain_limits: crate::sasl::failure_limiter::PlainLoginLimits,
    /// Principals (`User:NAME`) allowed everything (`super.users`).
    pub super_users: Vec<String>,
    /// Whether a resource without ACLs is open to everyone (`allow.everyone.if.no.acl.found`);
    /// `None` = Kafka's default.
    pub allow_everyone_if_no_acl_found: Option<bool>,
    /// Whether requests are authorized against ACLs (`authorizer.class.name`): `Some(true)` when
    /// it names Kafka's authorizer, `Some(false)` when it is set empty, `None` = on exactly when
    /// some listener authenticates its clients (SASL or TLS); see [`Self::authorizer_enabled`].
    pub authorizer: Option<bool>,
    /// TLS settings of SSL and SASL_SSL listeners as Kafka's properties write them, keyed
    /// `ssl.X` (every TLS listener) or `listener.name.<lower-case name>.ssl.X` (one listener;
    /// wins over `ssl.X`); read when the broker starts (see [`crate::tls`]).
    pub ssl: BTreeMap<String, Setting>,
    /// How client quota rates are measured (`quota.window.num` samples of
    /// `quota.window.size.seconds`, 11 × 1 s as in Kafka).
    pub quota_window: crate::quotas::QuotaWindow,
}

impl BrokerConfig {
    /// Defaults for a broker whose state lives in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> BrokerConfig {
        BrokerConfig {
            listeners: vec![ListenerConfig::plaintext(SocketAddr::from((
                [127, 0, 0, 1],
                9092,
            )))],
            data_dir: data_dir.into(),
            node_id: 0,
            auto_create_topics: true,
            default_partitions: 1,
            log: LogConfig::default(),
            cleaner: crate::log_cleaner::CleanerConfig::default(),
            expiration: crate::expiration::ExpirationConfig::default(),
            max_request_bytes: 100 * 1024 * 1024,
            maintenance_interval: Duration::from_millis(100),
            fetch_max_bytes: 55 * 1024 * 1024,
            fetch_session_cache_slots: crate::fetch_sessions::DEFAULT_SLOTS,
            connection_reply_bytes: 64 * 1024 * 1024,
            reply_memory_bytes: 512 * 1024 * 1024,
            request_memory_bytes: 256 * 1024 * 1024,
            connections_max_idle: Duration::from_secs(600),
            request_stall_timeout: Duration::from_secs(30),
            max_connections_per_ip: 1_000,
            max_connections: 10_000,
            sasl_mechanisms: SaslMechanism::ALL.to_vec(),
            sasl_max_receive_bytes: 512 * 1024,
            failed_authentication_delay: Duration::from_millis(100),
            sasl_plain_limits: crate::sasl::failure_limiter::PlainLoginLimits::default(),
            super_users: Vec::new(),
            allow_everyone_if_no_acl_found: None,
            authorizer: None,
            ssl: BTreeMap::new(),
            quota_window: crate::quotas::QuotaWindow::default(),
        }
    }

    /// Whether the ACL authorizer is on: as `authorizer.class.name` says, and by default when
    /// any listener is not PLAINTEXT (a broker that asks who clients are also checks what
    /// they may do; with only PLAINTEXT listeners everyone is `User:ANONYMOUS` anyway).
    pub fn authorizer_enabled(&self) -> bool {
        self.authorizer.unwrap_or_else(|| {
            self.listeners
                .iter()
                .any(|l| l.protocol != crate::listeners::SecurityProtocol::Plaintext)
        })
    }

    /// The same with an ephemeral port on 127.0.0.1: what tests and the embedded mode use.
    pub fn ephemeral(data_dir: impl Into<PathBuf>) -> BrokerConfig {
        BrokerConfig {
            listeners: vec![ListenerConfig::plaintext(SocketAddr::from(([127, 0, 0, 1], 0)))],
            ..BrokerConfig::new(data_dir)
        }
    }

    /// Replaces the listeners with one PLAINTEXT listener on `addr` (the `--listen` flag).
    pub fn with_listen(mut self, addr: SocketAddr) -> BrokerConfig {
        self.listeners = vec![ListenerConfig::plaintext(addr)];
        self
    }
}
