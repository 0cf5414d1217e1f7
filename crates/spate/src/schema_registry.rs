//! The schema registry as the binary serves it: beside `spate broker` and `spate server` on
//! `--schema-registry-listen`, and beside the embedded broker of `spate sql`, `spate demo` and
//! the examples on a free local port. Its state is the cluster's `_schemas` topic; it is
//! served by the same hardened HTTP loop as the server's REST API (connection and time limits)
//! over TLS from the broker's `ssl.*` PEM settings when the broker has a TLS listener, and
//! asks for HTTP basic auth against the broker's SASL users when the broker has a SASL
//! listener, each subject then checked against the broker's ACLs ([`BrokerAcls`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::{Context, Result};
use spate_broker::acl::{Operation, Resource, ResourceType};
use spate_broker::tls::HttpsAcceptor;
use spate_broker::{BrokerAccess, BrokerConfig, SecurityProtocol};
use spate_schema_registry::Service;
use spate_schema_registry::access::{Authorizer, SubjectOperation, topic_of};
use spate_schema_registry::http::{self, Authenticator, CheckFuture};
use spate_schema_registry::kafka_log::{DEFAULT_TOPIC, KafkaLog};
use spate_server::HttpLimits;
use tokio::sync::oneshot;

/// A registry being served; it stops when this is dropped.
#[derive(Debug)]
pub struct RegistryServer {
    /// `http://HOST:PORT` or `https://...`.
    pub url: String,
    /// The registry's state, which `spate server` also hands to its dashboard.
    pub service: Arc<Service>,
    _stop: oneshot::Sender<()>,
}

/// How the registry is exposed: TLS, and whose passwords it checks.
#[derive(Debug, Default)]
pub struct Exposure {
    pub tls: Option<HttpsAcceptor>,
    pub users: Option<BrokerAccess>,
}

impl Exposure {
    /// What a broker with `config` implies: https with its PEM settings when it has a TLS
    /// listener, basic auth against `access`'s users when it has a SASL listener.
    pub fn of_broker(config: &BrokerConfig, access: BrokerAccess) -> Result<Exposure> {
        let protocols: Vec<SecurityProtocol> = config.listeners.iter().map(|l| l.protocol).collect();
        let tls = if protocols
            .iter()
            .any(|p| matches!(p, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl))
        {
            Some(
                HttpsAcceptor::from_properties(
                    &config.ssl,
                    "schema_registry",
                    HttpLimits::default().header_timeout,
                )
                .context("TLS for the schema registry (the broker's ssl.* settings)")?,
            )
        } else {
            None
        };
        let sasl = protocols
            .iter()
            .any(|p| matches!(p, SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl));
        Ok(Exposure {
            tls,
            users: sasl.then_some(access),
        })
    }
}

/// The broker's SCRAM users, checked as SASL/PLAIN logins are (with their throttling).
struct BrokerUsers(BrokerAccess);

impl Authenticator for BrokerUsers {
    fn check<'a>(&'a self, peer: Option<IpAddr>, user: &'a str, password: &'a str) -> CheckFuture<'a> {
        let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Box::pin(async move {
            match self.0.verify_password(peer, user, password).await {
                Ok(_) => true,
                Err(why) => {
                    tracing::info!(%peer, "schema registry login refused: {why}");
                    false
                }
            }
        })
    }
}

/// Subjects checked against the broker's ACLs on the topic each subject is named after
/// (Confluent's TopicNameStrategy: `orders-value` and `orders-key` belong to `orders`; any other
/// subject to the topic of its own name): reading a subject needs DESCRIBE on that topic
/// (which READ and WRITE imply), registering WRITE, deleting DELETE, setting its level or mode
/// ALTER_CONFIGS; the registry-wide level and mode need ALTER_CONFIGS on the cluster.
struct BrokerAcls(BrokerAccess);

impl Authorizer for BrokerAcls {
    fn allows(
        &self,
        user: &str,
        peer: Option<IpAddr>,
        operation: SubjectOperation,
        subject: Option<&str>,
    ) -> bool {
        let principal = format!("User:{user}");
        let host = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let kafka_operation = match operation {
            SubjectOperation::Read => Operation::Describe,
            SubjectOperation::Write => Operation::Write,
            SubjectOperation::Delete => Operation::Delete,
            SubjectOperation::Configure => Operation::AlterConfigs,
        };
        let resource = match subject {
            Some(s) => Resource::topic(topic_of(s)),
            None => Resource {
                resource_type: ResourceType::Cluster,
                name: "kafka-cluster",
            },
        };
        if operation == SubjectOperation::Read {
            // Reads also filter lists: no log line per subject left out.
            self.0.filters_in(&principal, host, kafka_operation, resource)
        } else {
            self.0.allows(&principal, host, kafka_operation, resource)
        }
    }
}

/// Opens the registry's state in the `_schemas` topic of the cluster at `bootstrap` (client
/// `properties` added) and serves it on `addr`.
pub async fn start(
    bootstrap: &str,
    properties: &[(String, String)],
    addr: SocketAddr,
    exposure: Exposure,
) -> Result<RegistryServer> {
    let mut client = rdkafka::ClientConfig::new();
    client.set("bootstrap.servers", bootstrap);
    for (k, v) in properties {
        client.set(k, v);
    }
    let service = tokio::task::spawn_blocking(move || {
        let log = KafkaLog::open(&client, DEFAULT_TOPIC)?;
        Service::open(Box::new(log))
    })
    .await
    .context("the schema registry's start-up thread")?
    .context("cannot open the schema registry's _schemas topic")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for the schema registry on {addr}"))?;
    let scheme = if exposure.tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}", listener.local_addr()?);
    let authorizer = exposure
        .users
        .clone()
        .map(|a| Arc::new(BrokerAcls(a)) as Arc<dyn Authorizer>);
    let auth = exposure
        .users
        .map(|a| Arc::new(BrokerUsers(a)) as Arc<dyn Authenticator>);
    let service = Arc::new(service);
    let router = http::secured_router(service.clone(), auth, authorizer);
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(spate_server::rest::connections::serve(
        listener,
        router,
        HttpLimits::default(),
        exposure.tls,
        stopped,
    ));
    Ok(RegistryServer {
        url,
        service,
        _stop: stop,
    })
}
