//! The REST API's listener: HTTP/1.1 connections with bounds, so that clients holding
//! connections open cannot starve the broker and the jobs, which share the process's file
//! descriptors, nor lock other clients out.
//!
//! - At most [`HttpLimits::max_connections`] connections, and none that would leave fewer than
//!   [`HttpLimits::reserved_files`] descriptors under the open-file limit. A connection beyond
//!   either bound takes the place of the connection idle the longest (open, no request being
//!   answered); when every one is answering a request, the new one is closed at once.
//! - On an HTTPS port, the TLS handshake runs in the connection's own task (never in the
//!   accept loop) within the header timeout; a failed one closes only that connection.
//! - Each request carries a [`ConnectionInfo`] (the client's address, a client certificate's
//!   user) for the guard.
//! - A request's head must arrive within [`HttpLimits::header_timeout`] of the connection's
//!   opening or of the previous answer (so an idle keep-alive connection closes after it too),
//!   and a request (its body read, its answer built) must be done within
//!   [`HttpLimits::request_timeout`] (503 otherwise).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use spate_broker::tls::HttpsAcceptor;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot, watch};

use super::error_response;
use super::guard::ConnectionInfo;

/// The listener's bounds.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Descriptors kept free for the broker and the jobs.
    pub reserved_files: u64,
    /// Time for a request's head, from the connection's opening or the previous answer.
    pub header_timeout: Duration,
    /// Time for a whole request.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: 128,
            reserved_files: 1024,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
        }
    }
}

struct Open {
    /// Requests being answered on it.
    busy: Arc<AtomicUsize>,
    /// Closes it (its place is taken by a newer connection).
    close: Arc<Notify>,
}

#[derive(Default)]
struct Table {
    next: u64,
    open: BTreeMap<u64, Open>,
}

/// The open connections.
#[derive(Clone, Default)]
struct Connections(Arc<Mutex<Table>>);

impl Connections {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes room for one more connection within the bounds: `None` when every open one is
    /// answering a request.
    fn admit(&self, limits: &HttpLimits) -> Option<(u64, Arc<AtomicUsize>, Arc<Notify>)> {
        let mut table = self.lock();
        let full = table.open.len() >= limits.max_connections || !files_to_spare(limits.reserved_files);
        // One connection is always let in: it costs one descriptor, and without it the
        // server could not be asked why it refuses.
        if full && !table.open.is_empty() {
            let idle = table
                .open
                .iter()
                .find(|(_, c)| c.busy.load(Ordering::Acquire) == 0)
                .map(|(id, _)| *id)?;
            if let Some(evicted) = table.open.remove(&idle) {
                evicted.close.notify_one();
            }
        }
        let id = table.next;
        table.next += 1;
        let busy = Arc::new(AtomicUsize::new(0));
        let close = Arc::new(Notify::new());
        table.open.insert(
            id,
            Open {
                busy: busy.clone(),
                close: close.clone(),
            },
        );
        Some((id, busy, close))
    }

    fn remove(&self, id: u64) {
        self.lock().open.remove(&id);
    }

    fn count(&self) -> usize {
        self.lock().open.len()
    }
}

/// Whether one more descriptor leaves `reserved` free under the soft open-file limit (at most
/// half of a small limit is reserved); true where the count cannot be read.
fn files_to_spare(reserved: u64) -> bool {
    let Some(limit) = rustix::process::getrlimit(rustix::process::Resource::Nofile).current else {
        return true;
    };
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return true;
    };
    let open = fds.count() as u64;
    open.saturating_add(1).saturating_add(reserved.min(limit / 2)) <= limit
}

/// Serves `app` on `listener` (over TLS with `tls`) until `stop` fires; then lets requests in
/// progress finish (5 s at most) and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    tls: Option<HttpsAcceptor>,
    mut stop: oneshot::Receiver<()>,
) {
    let connections = Connections::default();
    let (stopping, stopped) = watch::channel(false);
    let mut refused_logged: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // EMFILE and friends: the connection stays queued; try again shortly.
                if refused_logged.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    tracing::warn!("the REST API cannot accept a connection: {e}");
                    refused_logged = Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some((id, busy, close)) = connections.admit(&limits) else {
            if refused_logged.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                tracing::warn!(
                    "the REST API refused a connection: all {} are answering requests",
                    connections.count()
                );
                refused_logged = Some(Instant::now());
            }
            drop(stream);
            continue;
        };
        let app = app.clone();
        let limits = limits.clone();
        let stopped = stopped.clone();
        let table = connections.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            match tls {
                None => {
                    let info = ConnectionInfo {
                        peer,
                        certificate_user: None,
                    };
                    serve_one(stream, info, app, &limits, busy, close, stopped).await;
                }
                Some(tls) => {
                    let handshake = tokio::time::timeout(limits.header_timeout, tls.accept(stream));
                    match handshake.await {
                        Ok(Ok((stream, certificate_user))) => {
                            let info = ConnectionInfo {
                                peer,
                                certificate_user,
                            };
                            serve_one(stream, info, app, &limits, busy, close, stopped).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, "REST TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!(%peer, "REST TLS handshake timed out"),
                    }
                }
            }
            table.remove(id);
        });
    }
    let _ = stopping.send(true);
    let deadline = Instant::now() + Duration::from_secs(5);
    while connections.count() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn serve_one<S>(
    stream: S,
    info: ConnectionInfo,
    app: Router,
    limits: &HttpLimits,
    busy: Arc<AtomicUsize>,
    close: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let router = TowerToHyperService::new(app);
    let request_timeout = limits.request_timeout;
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(info.clone());
        // Routers that know nothing of ConnectionInfo (the schema registry's) read axum's.
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(info.peer));
        let router = router.clone();
        let busy = busy.clone();
        busy.fetch_add(1, Ordering::AcqRel);
        async move {
            let answered =
                tokio::time::timeout(request_timeout, hyper::service::Service::call(&router, request)).await;
            busy.fetch_sub(1, Ordering::AcqRel);
            match answered {
                Ok(response) => response,
                Err(_) => Ok(error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("the request was not done within {} s", request_timeout.as_secs()),
                )),
            }
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let stopping = async move {
        let _ = stopped.wait_for(|s| *s).await.map(|_| ());
    };
    let server_stops = tokio::select! {
        _ = connection.as_mut() => false,
        _ = close.notified() => false,
        () = stopping => true,
    };
    if server_stops {
        connection.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(Duration::from_secs(5), connection).await;
    }
}
