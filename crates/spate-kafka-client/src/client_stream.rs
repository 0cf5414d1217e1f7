//! The raw admin client's connection: a TCP socket, or a TLS session on one (rustls), as one
//! blocking `Read + Write`. The socket's read and write timeouts bound the TLS handshake too.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use rustls::ClientConnection;
use rustls_pki_types::ServerName;
use spate_kafka_security::ClientTlsSettings;

use crate::ClientError;

/// A connection to one broker.
#[derive(Debug)]
pub(crate) enum ClientStream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<ClientConnection, TcpStream>>),
}

impl ClientStream {
    /// Connects to `address` (`host:port`), with the TLS handshake done when `tls` is given.
    pub(crate) fn connect(
        address: &str,
        timeout: Duration,
        tls: Option<&ClientTlsSettings>,
    ) -> Result<ClientStream, ClientError> {
        let io = |e: std::io::Error| ClientError::Unreachable(format!("connecting to {address}: {e}"));
        let addr = address
            .to_socket_addrs()
            .map_err(io)?
            .next()
            .ok_or_else(|| ClientError::Protocol(format!("{address} resolves to no address")))?;
        let mut socket = TcpStream::connect_timeout(&addr, timeout).map_err(io)?;
        socket.set_read_timeout(Some(timeout)).map_err(io)?;
        socket.set_write_timeout(Some(timeout)).map_err(io)?;
        socket.set_nodelay(true).map_err(io)?;
        let Some(tls) = tls else {
            return Ok(ClientStream::Plain(socket));
        };
        let config = tls.client_config().map_err(ClientError::Config)?;
        let name = ServerName::try_from(host_of(address).to_string())
            .map_err(|e| ClientError::Config(format!("{address}: not a TLS server name: {e}")))?;
        let mut conn = ClientConnection::new(config, name)
            .map_err(|e| ClientError::Config(format!("TLS to {address}: {e}")))?;
        // The handshake now, so its failure (an untrusted or misnamed broker certificate, a
        // refused client certificate) is reported as such rather than by the first request.
        while conn.is_handshaking() {
            conn.complete_io(&mut socket)
                .map_err(|e| ClientError::Unreachable(format!("TLS handshake with {address} failed: {e}")))?;
        }
        Ok(ClientStream::Tls(Box::new(rustls::StreamOwned::new(
            conn, socket,
        ))))
    }
}

impl ClientStream {
    /// Changes how long a read may wait (a JoinGroup is answered only when the rebalance
    /// completes, far later than any other reply).
    pub(crate) fn set_read_timeout(&self, timeout: Duration) -> std::io::Result<()> {
        let socket = match self {
            ClientStream::Plain(s) => s,
            ClientStream::Tls(s) => s.get_ref(),
        };
        socket.set_read_timeout(Some(timeout))
    }
}

/// The host part of `host:port` or `[v6]:port`.
fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

impl Read for ClientStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            ClientStream::Plain(s) => s.read(buf),
            ClientStream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for ClientStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            ClientStream::Plain(s) => s.write(buf),
            ClientStream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            ClientStream::Plain(s) => s.flush(),
            ClientStream::Tls(s) => s.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_strips_port_and_brackets() {
        assert_eq!(host_of("localhost:9093"), "localhost");
        assert_eq!(host_of("127.0.0.1:1"), "127.0.0.1");
        assert_eq!(host_of("[::1]:9093"), "::1");
    }
}
