//! The listening socket, the background maintenance task and graceful shutdown.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use spate_log::{LogStore, StoreConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::clock::now_ms;
use crate::expiration::{self, ExpiryChecks};
use crate::listeners::{self, BoundListener};
use crate::state::BrokerState;
use crate::tls::acceptor::TlsListener;
use crate::{BrokerConfig, Error, Result, connection, file_limits, tls};

/// A connection accepted on one of the listeners.
type Accepted = (TcpStream, SocketAddr, Arc<BoundListener>);

/// Entry point of the broker as a library.
#[derive(Debug)]
pub struct Broker;

impl Broker {
    /// Opens (recovering) the data directory, binds the listener and starts serving in the
    /// current tokio runtime. Returns once the broker accepts connections.
    pub async fn start(config: BrokerConfig) -> Result<BrokerHandle> {
        listeners::validate(&config.listeners).map_err(Error::Config)?;
        let mut bound = Vec::new();
        let mut sockets = Vec::new();
        for l in &config.listeners {
            // Certificates are read before anything binds: a bad file stops the start.
            let tls = if l.protocol.uses_tls() {
                let settings = tls::settings::for_listener(&config.ssl, &l.name)?;
                Some(TlsListener::build(&settings, config.request_stall_timeout)?)
            } else {
                None
            };
            let host = if l.host.is_empty() {
                "0.0.0.0"
            } else {
                l.host.as_str()
            };
            let bind_err = |source| Error::Bind {
                listener: l.endpoint(),
                source,
            };
            let socket = TcpListener::bind((host, l.port)).await.map_err(bind_err)?;
            let local_addr = socket.local_addr().map_err(bind_err)?;
            bound.push(Arc::new(BoundListener::new(l, local_addr, tls)));
            sockets.push(socket);
        }
        // Before recovery opens every segment.
        file_limits::raise_to_hard_limit();
        let log_dir = config.data_dir.join("log");
        let store_config = StoreConfig {
            default_log_config: config.log.clone(),
        };
        // Recovery reads and fsyncs files: keep it off the async worker threads.
        let store = tokio::task::spawn_blocking(move || LogStore::open(log_dir, store_config))
            .await
            .map_err(|e| Error::Config(format!("recovery task failed: {e}")))??;
        let state = Arc::new(BrokerState::new(config, Arc::new(store))?);
        // Before serving anyone: what expired, also while the broker was down, is gone for the
        // first request as it was for the last (expiry itself is not written down for producers).
        let started_ms = now_ms();
        expiration::expire(
            &state.config.expiration,
            &state.store,
            &state.txn,
            expiration::Due {
                producers: true,
                transactional_ids: true,
            },
            started_ms,
        );
        // In-process readers (the Kafka source's direct path) find this broker by any address
        // a client would be given; code in this process is trusted like the broker itself.
        let mut addresses: Vec<String> = bound
            .iter()
            .flat_map(|l| [l.local_addr.to_string(), l.bootstrap()])
            .collect();
        addresses.sort();
        addresses.dedup();
        crate::local::register(addresses, &state);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (accepted_tx, accepted_rx) = mpsc::channel(64);
        let mut acceptors = JoinSet::new();
        for (socket, listener) in sockets.into_iter().zip(&bound) {
            tracing::info!(
                listener = %listener.name,
                protocol = %listener.protocol,
                local_addr = %listener.local_addr,
                advertised = %listener.bootstrap(),
                "listening"
            );
            acceptors.spawn(accept(socket, listener.clone(), accepted_tx.clone()));
        }
        let task = tokio::spawn(serve(accepted_rx, acceptors, state.clone(), stop_rx));
        tracing::info!(data_dir = %state.config.data_dir.display(), "broker started");
        Ok(BrokerHandle {
            listeners: bound,
            state,
            stop_tx,
            task,
        })
    }
}

/// A running broker. Dropping it without [`BrokerHandle::shutdown`] stops serving when the
/// runtime ends, without the final fsync.
#[derive(Debug)]
pub struct BrokerHandle {
    /// In the configured order; never empty.
    listeners: Vec<Arc<BoundListener>>,
    state: Arc<BrokerState>,
    stop_tx: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl BrokerHandle {
    /// The address the first listener is bound to (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.listeners[0].local_addr
    }
    /// `host:port` of the first listener for a client's `bootstrap.servers`.
    pub fn bootstrap_servers(&self) -> String {
        self.listeners[0].bootstrap()
    }
    /// The address the listener named `name` is bound to.
    pub fn listener_addr(&self, name: &str) -> Option<SocketAddr> {
        self.listener(name).map(|l| l.local_addr)
    }
    /// `host:port` (as advertised) of the listener named `name`.
    pub fn bootstrap_servers_of(&self, name: &str) -> Option<String> {
        self.listener(name).map(|l| l.bootstrap())
    }
    /// Every listener as `NAME://host:port` with its advertised address, for start-up output.
    pub fn listener_summary(&self) -> Vec<(String, crate::SecurityProtocol, String)> {
        self.listeners
            .iter()
            .map(|l| (l.name.clone(), l.protocol, l.bootstrap()))
            .collect()
    }
    fn listener(&self, name: &str) -> Option<&Arc<BoundListener>> {
        let name = name.to_ascii_uppercase();
        self.listeners.iter().find(|l| l.name == name)
    }
    /// The broker's users and ACLs, for a front end in this process.
    pub fn access(&self) -> crate::BrokerAccess {
        crate::BrokerAccess::new(self.state.clone())
    }
    /// The storage under the broker (tests inspect it; the CLI reports from it).
    pub fn store(&self) -> &Arc<LogStore> {
        &self.state.store
    }
    /// Stops accepting, closes connections, fsyncs every partition and marks the shutdown clean.
    pub async fn shutdown(self) -> Result<()> {
        crate::local::unregister(&self.state);
        let _ = self.stop_tx.send(true);
        let _ = self.task.await;
        // No cleaning may run past the clean-shutdown marker.
        let state = self.state.clone();
        let _ = tokio::task::spawn_blocking(move || state.cleaner.stop()).await;
        let store = self.state.store.clone();
        // close(): fsync everything and leave the clean-shutdown marker, so the next start
        // trusts sealed segments instead of re-checking their CRCs.
        tokio::task::spawn_blocking(move || store.close())
            .await
            .map_err(|e| Error::Config(format!("final sync task failed: {e}")))??;
        tracing::info!("broker stopped; all partitions synced");
        Ok(())
    }
}

/// Accepts connections on one listener and hands them to [`serve`] until it stops listening.
async fn accept(socket: TcpListener, listener: Arc<BoundListener>, to: mpsc::Sender<Accepted>) {
    loop {
        match socket.accept().await {
            Ok((stream, peer)) => {
                if to.send((stream, peer, listener.clone())).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(listener = %listener.name, "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// One accepted connection: the TLS handshake on TLS listeners (a failed one closes only this
/// connection and is logged, at most once per client address per few seconds), then the Kafka
/// protocol.
async fn serve_connection(
    socket: TcpStream,
    peer: SocketAddr,
    listener: Arc<BoundListener>,
    state: Arc<BrokerState>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let Some(tls) = &listener.tls else {
        return connection::serve(socket, peer, crate::session::ANONYMOUS, listener, state, stop).await;
    };
    match tls.accept(socket).await {
        Ok((stream, subject)) => {
            let principal = match subject {
                Some(subject) => {
                    let principal = format!("User:{subject}");
                    tracing::info!(%peer, listener = %listener.name, %principal, "TLS client certificate accepted");
                    principal
                }
                None => crate::session::ANONYMOUS.to_string(),
            };
            connection::serve(stream, peer, &principal, listener, state, stop).await
        }
        Err(e) => {
            if let Some(unlogged) = state
                .handshake_failures
                .admit(peer.ip(), std::time::Instant::now())
            {
                tracing::warn!(
                    %peer,
                    listener = %listener.name,
                    unlogged_earlier_failures = unlogged,
                    "TLS handshake failed, closing: {e}"
                );
            }
            Ok(())
        }
    }
}

async fn serve(
    mut accepted: mpsc::Receiver<Accepted>,
    mut acceptors: JoinSet<()>,
    state: Arc<BrokerState>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    // Open connections per client address (max.connections.per.ip); a connection task returns
    // its address when it ends.
    let mut per_ip: HashMap<IpAddr, usize> = HashMap::new();
    let mut maintenance = tokio::time::interval(state.config.maintenance_interval);
    maintenance.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut maintenance_running: Option<tokio::task::JoinHandle<()>> = None;
    let mut expiry_checks = ExpiryChecks::new(state.config.expiration, now_ms());
    // Group deadlines (joins, sessions) need a finer clock than storage maintenance.
    let mut group_tick = tokio::time::interval(Duration::from_millis(20));
    group_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            next = accepted.recv() => match next {
                Some((socket, peer, listener)) => {
                    let from_ip = per_ip.get(&peer.ip()).copied().unwrap_or(0);
                    if from_ip >= state.config.max_connections_per_ip
                        || connections.len() >= state.config.max_connections
                    {
                        // Dropping the socket closes it, as Kafka does past its quotas.
                        tracing::warn!(
                            %peer,
                            from_ip,
                            total = connections.len(),
                            "refusing connection: max.connections.per.ip is {}, max.connections is {}",
                            state.config.max_connections_per_ip,
                            state.config.max_connections
                        );
                        continue;
                    }
                    per_ip.insert(peer.ip(), from_ip + 1);
                    let _ = socket.set_nodelay(true);
                    let state = state.clone();
                    let stop = stop.clone();
                    connections.spawn(async move {
                        if let Err(e) = serve_connection(socket, peer, listener, state, stop).await {
                            tracing::debug!(%peer, "connection closed: {e}");
                        }
                        peer.ip()
                    });
                }
                None => break,
            },
            _ = maintenance.tick() => {
                if maintenance_running.as_ref().is_none_or(|t| t.is_finished()) {
                    let state = state.clone();
                    let expiry_due = expiry_checks.due(now_ms());
                    maintenance_running = Some(tokio::task::spawn_blocking(move || {
                        if let Err(e) = state.store.maintenance(now_ms()) {
                            tracing::error!("log maintenance failed: {e}");
                        }
                        expiration::expire(
                            &state.config.expiration,
                            &state.store,
                            &state.txn,
                            expiry_due,
                            now_ms(),
                        );
                        // Transaction timeouts, and markers a failed EndTxn left to write.
                        if state.txn.resolve(&state.store, &state.groups, now_ms()) {
                            state.notify_appended();
                        }
                    }));
                }
            },
            _ = group_tick.tick() => state.groups.tick(),
            Some(ended) = connections.join_next(), if !connections.is_empty() => {
                if let Ok(ip) = ended
                    && let Some(n) = per_ip.get_mut(&ip)
                {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        per_ip.remove(&ip);
                    }
                }
            }
        }
    }
    // Stop listening: the sockets close with their acceptor tasks.
    acceptors.shutdown().await;
    drop(accepted);
    // Connections stop reading at the stop signal and finish the requests they have; give them a
    // moment before cutting the rest off.
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain).await.is_err() {
        connections.shutdown().await;
    }
    if let Some(t) = maintenance_running {
        let _ = t.await;
    }
}
