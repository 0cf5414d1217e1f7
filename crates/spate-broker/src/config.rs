use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use spate_log::LogConfig;

/// Settings of one broker.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Address to listen on; port 0 picks an ephemeral port (embedded use and tests).
    pub listen: SocketAddr,
    /// Host name given to clients in Metadata; defaults to the listen IP (127.0.0.1 when the
    /// listen IP is unspecified).
    pub advertised_host: Option<String>,
    /// Root of all durable state: `log/` holds topics, `broker/` the broker's own metadata.
    pub data_dir: PathBuf,
    pub node_id: i32,
    /// Create unknown topics on Metadata requests that allow it (`auto.create.topics.enable`).
    pub auto_create_topics: bool,
    /// Partition count of auto-created topics and of CreateTopics with -1 (`num.partitions`).
    pub default_partitions: i32,
    /// Broker-level defaults of topic configs.
    pub log: LogConfig,
    /// Largest request frame accepted (`socket.request.max.bytes`); larger ones close the
    /// connection before anything is read into memory.
    pub max_request_bytes: usize,
    /// How often the background task fsyncs by interval and applies retention.
    pub maintenance_interval: Duration,
}

impl BrokerConfig {
    /// Defaults for a broker whose state lives in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> BrokerConfig {
        BrokerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9092)),
            advertised_host: None,
            data_dir: data_dir.into(),
            node_id: 0,
            auto_create_topics: true,
            default_partitions: 1,
            log: LogConfig::default(),
            max_request_bytes: 100 * 1024 * 1024,
            maintenance_interval: Duration::from_millis(100),
        }
    }

    /// The same with an ephemeral port on 127.0.0.1: what tests and the embedded mode use.
    pub fn ephemeral(data_dir: impl Into<PathBuf>) -> BrokerConfig {
        BrokerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..BrokerConfig::new(data_dir)
        }
    }
}
