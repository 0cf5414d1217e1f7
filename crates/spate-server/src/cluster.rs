//! [`Cluster`]: the Kafka cluster that the server's jobs, previews and views use for tables
//! and requests that name no other: its bootstrap servers and the client properties that get
//! in (the server's own SASL identity on an embedded broker that authenticates its clients).

use rdkafka::ClientConfig;

/// A Kafka cluster and how to connect to it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    /// `bootstrap.servers`.
    pub bootstrap: String,
    /// Client properties (librdkafka names: `security.protocol`, `sasl.*`).
    pub properties: Vec<(String, String)>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<(&str, &str)> = self
            .properties
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    if k.contains("password") {
                        "<hidden>"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("Cluster")
            .field("bootstrap", &self.bootstrap)
            .field("properties", &shown)
            .finish()
    }
}

impl Cluster {
    /// A cluster reached without any client property.
    pub fn plain(bootstrap: impl Into<String>) -> Self {
        Self {
            bootstrap: bootstrap.into(),
            properties: Vec::new(),
        }
    }

    /// An rdkafka client configuration with the bootstrap servers and the properties.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.bootstrap);
        for (k, v) in &self.properties {
            config.set(k, v);
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_debug_output() {
        let c = Cluster {
            bootstrap: "h:1".into(),
            properties: vec![("sasl.password".into(), "s3cret".into())],
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret") && shown.contains("<hidden>"), "{shown}");
    }
}
