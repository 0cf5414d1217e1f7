//! [`HttpsAcceptor`]: TLS for a server in the broker's process that is not a Kafka listener
//! (`spate server`'s REST API), from the same `ssl.*` properties as the broker's listeners, so
//! one certificate and one CA bundle serve Kafka and HTTP. `listener.name.<name>.ssl.X` wins over
//! `ssl.X` as for a listener named `<name>`.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use super::acceptor::TlsListener;
use super::settings::for_listener;
use crate::{Result, Setting};

/// The server side of TLS for one non-Kafka listener.
#[derive(Debug, Clone)]
pub struct HttpsAcceptor {
    listener: TlsListener,
}

impl HttpsAcceptor {
    /// Reads the certificate, key and CA files that `ssl` (as in [`crate::BrokerConfig::ssl`])
    /// names for the listener `name`; an error names the property at fault. A handshake must
    /// finish within `handshake_timeout`.
    pub fn from_properties(
        ssl: &BTreeMap<String, Setting>,
        name: &str,
        handshake_timeout: Duration,
    ) -> Result<HttpsAcceptor> {
        let settings = for_listener(ssl, name)?;
        Ok(HttpsAcceptor {
            listener: TlsListener::build(&settings, handshake_timeout)?,
        })
    }

    /// Runs the handshake: the stream, and the principal name (without `User:`) of a verified
    /// client certificate by `ssl.principal.mapping.rules`, when `ssl.client.auth` asked for
    /// one and the client gave it.
    pub async fn accept(&self, socket: TcpStream) -> std::io::Result<(TlsStream<TcpStream>, Option<String>)> {
        self.listener.accept(socket).await
    }
}
