//! One client connection: length-prefixed frames in, responses out in request order.
//!
//! Requests are handled as they arrive (so appends to a partition happen in the order the client
//! sent them), while the slow parts — fsync before an acks=all reply, a long-polling fetch — run
//! concurrently. A writer task sends the replies strictly in request order, as Kafka clients
//! require. At most [`MAX_IN_FLIGHT`] replies may be pending; past that the connection stops
//! reading, which backpressures the client.

use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot, watch};

use crate::dispatch::{self, Dispatched};
use crate::state::BrokerState;

const MAX_IN_FLIGHT: usize = 64;

type PendingReply = oneshot::Receiver<Option<Bytes>>;

pub(crate) async fn serve(
    socket: TcpStream,
    state: Arc<BrokerState>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let peer = socket.peer_addr()?;
    let (mut rd, wr) = socket.into_split();
    let (tx, rx) = mpsc::channel::<PendingReply>(MAX_IN_FLIGHT);
    let writer = tokio::spawn(write_replies(wr, rx));
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let result = loop {
        let frame = tokio::select! {
            _ = stop.changed() => break Ok(()),
            frame = read_frame(&mut rd, &mut buf, state.config.max_request_bytes) => frame,
        };
        let frame = match frame {
            Ok(Some(frame)) => frame,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        let (reply_tx, reply_rx) = oneshot::channel();
        match dispatch::handle(&state, frame, &peer) {
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
                tracing::info!("closing connection: {reason}");
                break Ok(());
            }
        }
        if tx.send(reply_rx).await.is_err() {
            break Ok(()); // writer gone: the client closed or a write failed
        }
    };
    drop(tx);
    match writer.await {
        Ok(Err(e)) if result.is_ok() => Err(e),
        _ => result,
    }
}

/// Reads one frame (without its 4-byte length). `None` on a clean end of stream between frames.
async fn read_frame(
    rd: &mut OwnedReadHalf,
    buf: &mut BytesMut,
    max: usize,
) -> std::io::Result<Option<Bytes>> {
    loop {
        if buf.len() >= 4 {
            let len = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
            // A request needs at least api key, version and correlation id.
            if len < 8 || len as usize > max {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("request frame of {len} bytes is outside [8, {max}] (socket.request.max.bytes)"),
                ));
            }
            let need = 4 + len as usize;
            if buf.len() >= need {
                buf.advance(4);
                return Ok(Some(buf.split_to(len as usize).freeze()));
            }
            buf.reserve(need - buf.len());
        } else {
            buf.reserve(64 * 1024);
        }
        if rd.read_buf(buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
    }
}

async fn write_replies(wr: OwnedWriteHalf, mut rx: mpsc::Receiver<PendingReply>) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(64 * 1024, wr);
    while let Some(pending) = rx.recv().await {
        match pending.await {
            Ok(Some(bytes)) => w.write_all(&bytes).await?,
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
