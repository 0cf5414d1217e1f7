//! [`Server`]: one process hosting Spate's broker (unless a Kafka cluster is given), the job
//! manager and the REST API. Start-up resumes the jobs that were running; [`Server::shutdown`]
//! stops every running job with a savepoint, then the HTTP server, then flushes the broker.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use spate_broker::tls::HttpsAcceptor;
use spate_broker::{BrokerConfig, BrokerHandle};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::allowed_dirs::AllowedDirs;
use crate::cluster::Cluster;
use crate::error::{Result, ServerError};
use crate::graph::GraphCache;
use crate::manager::JobManager;
use crate::preview::Previews;
use crate::rest::connections::{HttpLimits, serve};
use crate::rest::guard::Guard;
use crate::rest::{AppState, router};
use crate::rights::Rights;
use crate::schemas::RegistrySlot;
use crate::{embedded, token};

/// Jobs a server runs at once unless told otherwise.
pub const DEFAULT_MAX_JOBS: usize = 32;

/// How the server starts.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Broker data in `broker/`, jobs in `jobs/`.
    pub data_dir: PathBuf,
    /// Where the embedded broker listens (ignored with `bootstrap` or `broker`).
    pub kafka_listen: SocketAddr,
    /// The embedded broker's settings (`server.properties`: listeners, SASL, `ssl.*`,
    /// `super.users`, ...); its data directory is always `<data_dir>/broker`. `None`: the
    /// defaults with one PLAINTEXT listener on `kafka_listen`.
    pub broker: Option<BrokerConfig>,
    /// Serve the REST API over HTTPS with the certificate of `broker`'s `ssl.*` settings
    /// (`listener.name.http.ssl.*` first, as for a listener named `http`).
    pub http_tls: bool,
    /// Where the REST API listens.
    pub http_listen: SocketAddr,
    /// An external Kafka cluster instead of the embedded broker.
    pub bootstrap: Option<String>,
    /// The checkpoint interval of jobs whose script sets none.
    pub checkpoint_interval: Duration,
    /// Whether requests need the token (`<data_dir>/http-token`); off only when asked.
    pub auth: bool,
    /// Host names the REST API answers besides IP literals and `localhost` (`*`: any).
    pub allowed_hosts: Vec<String>,
    /// The REST listener's connection bounds and timeouts.
    pub http_limits: HttpLimits,
    /// Flink's `web.submit.enable`: whether jobs and SQL previews may be submitted.
    pub web_submit: bool,
    /// Flink's `web.cancel.enable`: whether jobs may be cancelled or stopped.
    pub web_cancel: bool,
    /// Directories submitted scripts may read and write and savepoints may go to.
    pub allowed_dirs: Vec<PathBuf>,
    /// Jobs running at once (Flink refuses jobs beyond its slots).
    pub max_jobs: usize,
    /// The bytes each job (and each SQL preview) may hold; over it the job fails alone and
    /// its restart strategy decides what follows (`spate_engine::memory`). `None`: unbounded.
    pub job_memory: Option<u64>,
}

impl ServerConfig {
    /// Defaults: Kafka on 127.0.0.1:9092, REST on 127.0.0.1:8081 (Flink's port), the embedded
    /// broker, checkpoints every 10 s, token authentication, submit and cancel enabled, no
    /// directory allowed, [`DEFAULT_MAX_JOBS`] jobs.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            kafka_listen: ([127, 0, 0, 1], 9092).into(),
            broker: None,
            http_tls: false,
            http_listen: ([127, 0, 0, 1], 8081).into(),
            bootstrap: None,
            checkpoint_interval: Duration::from_secs(10),
            auth: true,
            allowed_hosts: Vec::new(),
            http_limits: HttpLimits::default(),
            web_submit: true,
            web_cancel: true,
            allowed_dirs: Vec::new(),
            max_jobs: DEFAULT_MAX_JOBS,
            job_memory: None,
        }
    }
}

/// The host names the REST API answers to: the ones given and the machine's own name (a
/// DNS-rebinding page cannot make a browser use that name for its own origin).
fn allowed_hosts(given: &[String]) -> Vec<String> {
    let mut hosts = given.to_vec();
    if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname")
        && !name.trim().is_empty()
    {
        hosts.push(name.trim().to_string());
    }
    hosts
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    http_addr: SocketAddr,
    scheme: &'static str,
    bootstrap: String,
    cluster: Cluster,
    broker: Option<BrokerHandle>,
    manager: Arc<JobManager>,
    stop_http: oneshot::Sender<()>,
    http: JoinHandle<()>,
    sampler: JoinHandle<()>,
    previews: Arc<Previews>,
    schemas: RegistrySlot,
    resumed: usize,
    token: Option<String>,
}

impl Server {
    /// Starts the broker (unless `bootstrap` is given), resumes the stored jobs that were
    /// running and serves the REST API. Returns once both listen.
    pub async fn start(config: ServerConfig) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| ServerError::io(&config.data_dir, e))?;
        let broker_config = config.broker.clone().unwrap_or_else(|| {
            BrokerConfig::new(config.data_dir.join("broker")).with_listen(config.kafka_listen)
        });
        let https = match config.http_tls {
            false => None,
            true => Some(
                HttpsAcceptor::from_properties(&broker_config.ssl, "http", config.http_limits.header_timeout)
                    .map_err(|e| ServerError::Start(format!("TLS for the REST API: {e}")))?,
            ),
        };
        let (cluster, broker) = match &config.bootstrap {
            Some(b) => (Cluster::plain(b.clone()), None),
            None => {
                let broker_config = BrokerConfig {
                    data_dir: config.data_dir.join("broker"),
                    ..broker_config
                };
                let (broker, cluster) = embedded::start(broker_config).await?;
                (cluster, Some(broker))
            }
        };
        let bootstrap = cluster.bootstrap.clone();
        let access = broker.as_ref().map(BrokerHandle::access);
        let rights = Rights::new(access.clone());
        let listener = tokio::net::TcpListener::bind(config.http_listen)
            .await
            .map_err(|e| {
                ServerError::Start(format!("binding the REST API to {}: {e}", config.http_listen))
            })?;
        let http_addr = listener
            .local_addr()
            .map_err(|e| ServerError::Start(format!("the REST API's address: {e}")))?;
        let token = if config.auth {
            Some(token::load_or_create(&config.data_dir)?)
        } else {
            None
        };
        let scheme = if https.is_some() { "https" } else { "http" };
        let allowed_dirs = AllowedDirs::new(&config.allowed_dirs, &config.data_dir.join("jobs"))?;
        let manager = Arc::new(JobManager::open(
            &config.data_dir,
            Some(cluster.clone()),
            rights.clone(),
            config.checkpoint_interval,
            config.max_jobs,
            config.job_memory,
        )?);
        let resumed = {
            let m = manager.clone();
            tokio::task::spawn_blocking(move || m.recover())
                .await
                .map_err(|e| ServerError::Start(format!("resuming jobs: {e}")))??
        };
        let previews = Arc::new(Previews::new(
            Some(cluster.clone()),
            rights.clone(),
            config.job_memory,
        ));
        let schemas = RegistrySlot::default();
        let app = router(Arc::new(AppState {
            manager: manager.clone(),
            cluster: cluster.clone(),
            rights,
            previews: previews.clone(),
            graphs: GraphCache::default(),
            guard: Guard::new(
                token.clone(),
                http_addr.port(),
                &allowed_hosts(&config.allowed_hosts),
            )
            .with_users(scheme, access),
            allowed_dirs,
            schemas: schemas.clone(),
            web_submit: config.web_submit,
            web_cancel: config.web_cancel,
        }));
        let (stop_http, stopped) = oneshot::channel::<()>();
        let http = tokio::spawn(serve(listener, app, config.http_limits.clone(), https, stopped));
        let sampled = manager.clone();
        let expired = previews.clone();
        let sampler = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                sampled.sample();
                expired.expire();
            }
        });
        Ok(Self {
            http_addr,
            scheme,
            bootstrap,
            cluster,
            broker,
            manager,
            stop_http,
            http,
            sampler,
            previews,
            schemas,
            resumed,
            token,
        })
    }

    /// How the server's own clients reach its cluster (address and client properties).
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// The embedded broker's users and ACLs (`None` with an external cluster).
    pub fn broker_access(&self) -> Option<spate_broker::BrokerAccess> {
        self.broker.as_ref().map(BrokerHandle::access)
    }

    /// Where the schema registry the dashboard's Schemas page reads is attached: the binary
    /// starts the registry after the server (its `_schemas` topic may live in the server's
    /// embedded broker) and attaches its state here ([`RegistrySlot::attach`]).
    pub fn schema_registry(&self) -> &RegistrySlot {
        &self.schemas
    }

    /// The token requests need (`None` when authentication is off).
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The dashboard's address, with the token when one is needed (Jupyter's way: opening it
    /// logs the browser in).
    pub fn dashboard_url(&self) -> String {
        match &self.token {
            Some(t) => format!("{}://{}/?token={t}", self.scheme, self.http_addr),
            None => format!("{}://{}/", self.scheme, self.http_addr),
        }
    }

    /// The REST API's base URL (`http://` or `https://` and the address).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.http_addr)
    }

    /// Where the REST API listens.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The Kafka cluster's bootstrap servers (the embedded broker's, or the given ones).
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// Whether the broker runs in this process.
    pub fn embeds_broker(&self) -> bool {
        self.broker.is_some()
    }

    /// How many stored jobs were resumed at start.
    pub fn resumed_jobs(&self) -> usize {
        self.resumed
    }

    /// The job manager.
    pub fn manager(&self) -> &Arc<JobManager> {
        &self.manager
    }

    /// Stops every running job with a savepoint (they resume on the next start), stops the
    /// REST API and shuts the broker down (every partition fsynced, shutdown marked clean).
    pub async fn shutdown(self) -> Result<()> {
        self.previews.cancel_all();
        let manager = self.manager.clone();
        tokio::task::spawn_blocking(move || manager.shutdown())
            .await
            .map_err(|e| ServerError::Job(format!("stopping jobs: {e}")))?;
        self.sampler.abort();
        let _ = self.stop_http.send(());
        let _ = self.http.await;
        if let Some(broker) = self.broker {
            broker
                .shutdown()
                .await
                .map_err(|e| ServerError::Start(format!("shutting the broker down: {e}")))?;
        }
        Ok(())
    }
}
