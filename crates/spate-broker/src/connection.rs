//! One client connection: length-prefixed frames in, responses out in request order.
//!
//! Requests are handled as they arrive (so appends to a partition happen in the order the client
//! sent them), while the slow parts — fsync before an acks=all reply, a long-polling fetch — run
//! concurrently. A writer task sends the replies strictly in request order, as Kafka clients
//! require.
//!
//! What one client can make the broker hold is bounded:
//! - at most [`MAX_IN_FLIGHT`] replies pending, and at most `connection_reply_bytes` of built,
//!   unsent replies: past either the connection stops reading requests (Kafka mutes the channel);
//! - a request frame's announced size is reserved from the broker-wide request budget before its
//!   body is read, and the buffer grows only as bytes arrive;
//! - a frame that stops arriving mid-way for `request_stall_timeout` closes the connection, and
//!   so does `connections_max_idle` without traffic either way.
//!
//! A client over a quota (byte rate or request time) is muted as Kafka mutes its channel
//! (KIP-219): dispatch or the handler sets the connection's [`Throttle`], and the next request
//! waits until it ends (that wait is not request time).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::acl::authorizer::Caller;
use crate::dispatch;
use crate::listeners::BoundListener;
use crate::memory_budget::{Grant, MemoryBudget};
use crate::reply::Dispatched;
use crate::sasl::authenticator::{Authenticator, SaslSettings, Step};
use crate::session::Session;
use crate::state::BrokerState;
use crate::throttle::Throttle;
use crate::transport::Transport;

const MAX_IN_FLIGHT: usize = 64;
/// How much the receive buffer grows per read while a large frame arrives.
const READ_CHUNK: usize = 64 * 1024;

type PendingReply = oneshot::Receiver<Option<Bytes>>;

/// Milliseconds since the connection started of its last traffic, either way.
#[derive(Debug)]
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn touch(&self) {
        self.last_ms
            .store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
    fn idle_deadline(&self, max_idle: Duration) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed)) + max_idle
    }
}

/// Serves one connection over `stream` (a TCP socket, or a TLS stream after its handshake)
/// until the client leaves, the broker stops or the connection breaks a limit. `principal` is
/// who the client is before any SASL exchange: `User:ANONYMOUS`, or `User:<subject>` of a TLS
/// client certificate.
pub(crate) async fn serve<S: Transport>(
    stream: S,
    peer: std::net::SocketAddr,
    principal: &str,
    listener: Arc<BoundListener>,
    state: Arc<BrokerState>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    // SASL listeners: only the exchange until it succeeds, and small frames until then.
    let mut authenticator = listener.protocol.uses_sasl().then(Authenticator::new);
    let mut session = Session {
        peer,
        caller: Caller {
            principal: principal.into(),
            host: peer.ip().to_string().into(),
        },
        listener,
        replies: MemoryBudget::new(state.config.connection_reply_bytes),
        throttle: Arc::new(Throttle::new()),
    };
    let activity = Arc::new(Activity {
        start: Instant::now(),
        last_ms: AtomicU64::new(0),
    });
    let (mut rd, wr) = stream.into_halves();
    let (tx, rx) = mpsc::channel::<PendingReply>(MAX_IN_FLIGHT);
    let mut writer = tokio::spawn(write_replies(wr, rx, activity.clone()));
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let max_idle = state.config.connections_max_idle;
    // One timer for the connection's life: when it fires early (there was traffic since it was
    // set) it is moved to the new deadline, so requests never touch the timer wheel.
    let idle = tokio::time::sleep_until(activity.idle_deadline(max_idle));
    tokio::pin!(idle);
    let result = loop {
        // Muted while its unsent replies fill the connection's budget.
        let frame = tokio::select! {
            _ = stop.changed() => break Ok(()),
            _ = &mut idle, if buf.is_empty() => {
                let deadline = activity.idle_deadline(max_idle);
                if deadline <= Instant::now() {
                    tracing::info!(%peer, "closing connection idle for {max_idle:?} (connections.max.idle.ms)");
                    writer.abort();
                    break Ok(());
                }
                idle.as_mut().reset(deadline);
                continue;
            }
            frame = async {
                session.replies.wait_below_limit().await;
                let max = if authenticator.is_some() {
                    state.config.sasl_max_receive_bytes
                } else {
                    state.config.max_request_bytes
                };
                read_frame(&mut rd, &mut buf, max, &state, &activity).await
            } => frame,
        };
        let (frame, _request_bytes) = match frame {
            Ok(Some(frame)) => frame,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        let (reply_tx, reply_rx) = oneshot::channel();
        let frame = match authenticator.as_mut() {
            None => frame,
            Some(auth) => match auth.handle(&sasl_settings(&state, peer.ip()), frame).await {
                Step::Dispatch(frame) => frame,
                Step::Reply(reply) => {
                    let _ = reply_tx.send(Some(reply));
                    if tx.send(reply_rx).await.is_err() {
                        break Ok(());
                    }
                    continue;
                }
                Step::Authenticated { reply, user } => {
                    tracing::info!(%peer, listener = %session.listener.name, %user, "authenticated");
                    session.set_principal(&format!("User:{user}"));
                    authenticator = None;
                    let _ = reply_tx.send(Some(reply));
                    if tx.send(reply_rx).await.is_err() {
                        break Ok(());
                    }
                    continue;
                }
                Step::Failed { reply, reason } => {
                    let now = std::time::Instant::now();
                    if let Some(unlogged) = state.handshake_failures.admit(peer.ip(), now) {
                        tracing::warn!(
                            %peer,
                            listener = %session.listener.name,
                            unlogged_earlier_failures = unlogged,
                            "authentication failed: {reason}"
                        );
                    }
                    // Throttles guessing: one try per connection, each answered late.
                    tokio::time::sleep(state.config.failed_authentication_delay).await;
                    let _ = reply_tx.send(Some(reply));
                    let _ = tx.send(reply_rx).await;
                    break Ok(());
                }
                Step::Close(reason) => {
                    tracing::info!(%peer, "closing unauthenticated connection: {reason}");
                    break Ok(());
                }
            },
        };
        // A throttled client's next request waits out its throttle time (Kafka mutes the
        // channel); checked after the read so a mute set by a deferred reply also counts.
        if let Some(until) = session.throttle.muted_until() {
            tokio::select! {
                _ = stop.changed() => break Ok(()),
                _ = tokio::time::sleep_until(until) => {}
            }
        }
        match dispatch::handle(&state, frame, &session) {
            Dispatched::Reply(bytes) => {
                let _ = reply_tx.send(Some(bytes));
            }
            Dispatched::NoReply => continue,
            Dispatched::Deferred(fut) => {
                tokio::spawn(async move {
                    // No reply means encoding failed: dropping the sender closes the connection.
                    if let Some(bytes) = fut.await {
                        let _ = reply_tx.send(Some(bytes));
                    }
                });
            }
            Dispatched::Close(reason) => {
                tracing::info!(%peer, "closing connection: {reason}");
                break Ok(());
            }
        }
        if tx.send(reply_rx).await.is_err() {
            break Ok(()); // writer gone: the client closed or a write failed
        }
    };
    drop(tx);
    // A client that reads nothing would keep the writer blocked: bound the wait for it.
    let drained = tokio::time::timeout(state.config.request_stall_timeout, &mut writer).await;
    match drained {
        Ok(Ok(Err(e))) if result.is_ok() => Err(e),
        Ok(_) => result,
        Err(_) => {
            writer.abort();
            result
        }
    }
}

/// Reads one frame (without its 4-byte length) and the reservation of its bytes in the
/// broker-wide request budget, held until the request was handled. `None` on a clean end of
/// stream between frames.
///
/// Cancel-safe (it runs inside `select!`): bytes read stay in `buf`, and a dropped reservation
/// is taken again on the next call.
async fn read_frame(
    rd: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
    max: usize,
    state: &BrokerState,
    activity: &Activity,
) -> std::io::Result<Option<(Bytes, Grant)>> {
    while buf.len() < 4 {
        buf.reserve(READ_CHUNK);
        if !read_more(rd, buf, state, activity).await? {
            return Ok(None);
        }
    }
    let len = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    // A request needs at least api key, version and correlation id.
    if len < 8 || len as usize > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "request frame of {len} bytes is outside [8, {max}] (socket.request.max.bytes, or \
                 sasl.server.max.receive.size before authentication)"
            ),
        ));
    }
    let need = 4 + len as usize;
    let grant = state.request_memory.take_exactly(need).await;
    while buf.len() < need {
        // Grow with what has arrived (doubling from READ_CHUNK), not by the announced size: a
        // few reads and reallocations per large frame, and an idle 4-byte header costs nothing.
        buf.reserve((need - buf.len()).min(buf.len().max(READ_CHUNK)));
        if !read_more(rd, buf, state, activity).await? {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    buf.advance(4);
    Ok(Some((buf.split_to(len as usize).freeze(), grant)))
}

/// One read into `buf`; `false` at end of stream. Between frames the idle timeout (in the
/// caller) applies; within a frame a read that brings nothing for `request_stall_timeout` fails.
async fn read_more(
    rd: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
    state: &BrokerState,
    activity: &Activity,
) -> std::io::Result<bool> {
    let read = if buf.is_empty() {
        rd.read_buf(buf).await?
    } else {
        let stall = state.config.request_stall_timeout;
        match tokio::time::timeout(stall, rd.read_buf(buf)).await {
            Ok(read) => read?,
            Err(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "request frame stalled for {stall:?} with {} bytes received",
                        buf.len()
                    ),
                ));
            }
        }
    };
    activity.touch();
    if read == 0 && !buf.is_empty() {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(read > 0)
}

fn sasl_settings(state: &BrokerState, peer: std::net::IpAddr) -> SaslSettings<'_> {
    SaslSettings {
        plain: &state.plain_verifier,
        peer,
        credentials: &state.credentials,
        mechanisms: &state.config.sasl_mechanisms,
        secret: &state.sasl_secret,
    }
}

async fn write_replies(
    wr: impl AsyncWrite + Unpin,
    mut rx: mpsc::Receiver<PendingReply>,
    activity: Arc<Activity>,
) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(64 * 1024, wr);
    while let Some(pending) = rx.recv().await {
        match pending.await {
            Ok(Some(bytes)) => {
                w.write_all(&bytes).await?;
                activity.touch();
            }
            Ok(None) => {}
            // The handler failed to produce a reply: the stream can no longer stay in order.
            Err(_) => break,
        }
        if rx.is_empty() {
            w.flush().await?;
        }
    }
    w.flush().await?;
    w.shutdown().await
}
