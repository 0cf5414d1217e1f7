//! What a connection runs over: a plain TCP socket or a TLS stream on one, split into halves
//! so requests are read while replies are written.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_rustls::server::TlsStream;

/// A byte stream a connection serves.
pub(crate) trait Transport: Send + 'static {
    type Read: AsyncRead + Unpin + Send + 'static;
    type Write: AsyncWrite + Unpin + Send + 'static;
    fn into_halves(self) -> (Self::Read, Self::Write);
}

impl Transport for TcpStream {
    type Read = OwnedReadHalf;
    type Write = OwnedWriteHalf;
    // The socket's own split: no lock between the halves on the plaintext path.
    fn into_halves(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        self.into_split()
    }
}

impl Transport for TlsStream<TcpStream> {
    type Read = tokio::io::ReadHalf<TlsStream<TcpStream>>;
    type Write = tokio::io::WriteHalf<TlsStream<TcpStream>>;
    // One TLS session state serves both directions, so the halves share it.
    fn into_halves(self) -> (Self::Read, Self::Write) {
        tokio::io::split(self)
    }
}
