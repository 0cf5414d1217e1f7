//! Listeners as Kafka names them: `NAME://HOST:PORT` endpoints, each with a security protocol
//! (`listener.security.protocol.map`) and the endpoint clients are told to use
//! (`advertised.listeners`).
//!
//! Contracts: listener names and ports are unique; a name without a protocol mapping is an
//! error. TLS listeners (SSL, SASL_SSL) take their certificates from the `ssl.*` properties
//! (see `tls::settings`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::tls::acceptor::TlsListener;

/// How a listener's connections are secured (Kafka's `SecurityProtocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityProtocol {
    /// No authentication, no encryption; every client is `User:ANONYMOUS`.
    Plaintext,
    /// SASL authentication (PLAIN, SCRAM) without encryption.
    SaslPlaintext,
    /// TLS; with `ssl.client.auth`, clients are who their certificate's subject says.
    Ssl,
    /// SASL authentication over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Kafka's name of the protocol.
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Whether clients must authenticate with SASL before anything but ApiVersions.
    pub fn uses_sasl(self) -> bool {
        matches!(self, SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl)
    }

    /// Whether connections start with a TLS handshake.
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SecurityProtocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Ok(SecurityProtocol::Plaintext),
            "SASL_PLAINTEXT" => Ok(SecurityProtocol::SaslPlaintext),
            "SSL" => Ok(SecurityProtocol::Ssl),
            "SASL_SSL" => Ok(SecurityProtocol::SaslSsl),
            other => Err(format!(
                "unknown security protocol {other:?} (expected PLAINTEXT, SASL_PLAINTEXT, SSL or SASL_SSL)"
            )),
        }
    }
}

/// One listener: where it binds, how it is secured, what clients are told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    /// Listener name (upper case, as Kafka normalizes it), e.g. `PLAINTEXT` or `EXTERNAL`.
    pub name: String,
    /// Security protocol of its connections.
    pub protocol: SecurityProtocol,
    /// Host or IP to bind; empty binds every interface.
    pub host: String,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    /// Host and port given to clients in Metadata and FindCoordinator; `None`, an empty host or
    /// port 0 take them from the bound address (127.0.0.1 for a wildcard bind).
    pub advertised: Option<(String, u16)>,
}

impl ListenerConfig {
    /// A PLAINTEXT listener named `PLAINTEXT` on `addr` (what `--listen` means).
    pub fn plaintext(addr: std::net::SocketAddr) -> ListenerConfig {
        ListenerConfig {
            name: "PLAINTEXT".to_string(),
            protocol: SecurityProtocol::Plaintext,
            host: addr.ip().to_string(),
            port: addr.port(),
            advertised: None,
        }
    }

    /// Parses the command line's `NAME=PROTOCOL://HOST:PORT` (or `PROTOCOL://HOST:PORT`, named
    /// after its protocol).
    pub fn parse_flag(spec: &str) -> Result<ListenerConfig, String> {
        let (name, endpoint) = match spec.split_once('=') {
            Some((name, endpoint)) => (Some(name.trim()), endpoint.trim()),
            None => (None, spec.trim()),
        };
        let ep = parse_endpoint(endpoint)?;
        let protocol: SecurityProtocol = ep.name.parse()?;
        let name = match name {
            Some(n) => validate_name(n)?,
            None => ep.name.clone(),
        };
        Ok(ListenerConfig {
            name,
            protocol,
            host: ep.host,
            port: ep.port,
            advertised: None,
        })
    }

    /// `NAME://HOST:PORT` as Kafka writes a listener.
    pub fn endpoint(&self) -> String {
        format!("{}://{}:{}", self.name, bracket(&self.host), self.port)
    }
}

/// A listener once bound: what connections accepted on it need to know.
#[derive(Debug)]
pub(crate) struct BoundListener {
    pub(crate) name: String,
    pub(crate) protocol: SecurityProtocol,
    pub(crate) local_addr: std::net::SocketAddr,
    /// Host and port in Metadata and FindCoordinator replies to this listener's clients.
    pub(crate) advertised_host: String,
    pub(crate) advertised_port: u16,
    /// The TLS side of SSL and SASL_SSL listeners.
    pub(crate) tls: Option<TlsListener>,
}

impl BoundListener {
    pub(crate) fn new(
        config: &ListenerConfig,
        local_addr: std::net::SocketAddr,
        tls: Option<TlsListener>,
    ) -> BoundListener {
        let (host, port) = config.advertised.clone().unwrap_or_default();
        let advertised_host = if host.is_empty() {
            default_advertised_host(local_addr)
        } else {
            host
        };
        let advertised_port = if port == 0 { local_addr.port() } else { port };
        BoundListener {
            name: config.name.clone(),
            protocol: config.protocol,
            local_addr,
            advertised_host,
            advertised_port,
            tls,
        }
    }

    /// `host:port` for a client's `bootstrap.servers`.
    pub(crate) fn bootstrap(&self) -> String {
        format!("{}:{}", bracket(&self.advertised_host), self.advertised_port)
    }
}

/// The bound IP, or 127.0.0.1 for a wildcard bind (which has no address a client could use).
fn default_advertised_host(local_addr: std::net::SocketAddr) -> String {
    let ip = local_addr.ip();
    if ip.is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        ip.to_string()
    }
}

/// A parsed `NAME://HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) name: String,
    pub(crate) host: String,
    pub(crate) port: u16,
}

fn bracket(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

fn validate_name(name: &str) -> Result<String, String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "listener name {name:?} must be letters, digits, '_' or '-'"
        ));
    }
    Ok(name.to_ascii_uppercase())
}

/// Parses one `NAME://HOST:PORT` (host may be empty or a bracketed IPv6 address).
pub(crate) fn parse_endpoint(s: &str) -> Result<Endpoint, String> {
    let (name, rest) = s
        .trim()
        .split_once("://")
        .ok_or_else(|| format!("{s:?} is not NAME://HOST:PORT"))?;
    let name = validate_name(name)?;
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{s:?}: unclosed '[' in the host"))?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| format!("{s:?} has no port"))?;
        (host, port)
    } else {
        rest.rsplit_once(':')
            .ok_or_else(|| format!("{s:?} has no port"))?
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("{s:?}: port {port:?} is not a number in 0..=65535"))?;
    Ok(Endpoint {
        name,
        host: host.to_string(),
        port,
    })
}

/// Parses a comma-separated endpoint list (`listeners`, `advertised.listeners`), names unique.
pub(crate) fn parse_endpoints(s: &str) -> Result<Vec<Endpoint>, String> {
    let mut out: Vec<Endpoint> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let ep = parse_endpoint(part)?;
        if out.iter().any(|e| e.name == ep.name) {
            return Err(format!("listener name {} appears twice", ep.name));
        }
        out.push(ep);
    }
    Ok(out)
}

/// Parses `listener.security.protocol.map` (`NAME:PROTOCOL,...`).
pub(crate) fn parse_protocol_map(s: &str) -> Result<BTreeMap<String, SecurityProtocol>, String> {
    let mut map = BTreeMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, protocol) = part
            .split_once(':')
            .ok_or_else(|| format!("{part:?} is not NAME:PROTOCOL"))?;
        map.insert(validate_name(name.trim())?, protocol.parse()?);
    }
    Ok(map)
}

/// Kafka's default protocol map: each protocol's own name maps to it.
pub(crate) fn default_protocol(name: &str) -> Option<SecurityProtocol> {
    name.parse().ok()
}

/// Checks a whole set of listeners: at least one, unique names and non-zero ports.
pub(crate) fn validate(listeners: &[ListenerConfig]) -> Result<(), String> {
    if listeners.is_empty() {
        return Err("at least one listener is needed".to_string());
    }
    for (i, l) in listeners.iter().enumerate() {
        for other in &listeners[..i] {
            if other.name == l.name {
                return Err(format!("listener name {} appears twice", l.name));
            }
            if l.port != 0 && other.port == l.port {
                return Err(format!(
                    "listeners {} and {} use the same port",
                    other.endpoint(),
                    l.endpoint()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_with_empty_and_ipv6_hosts() {
        let eps =
            parse_endpoints("PLAINTEXT://:9092, sasl_plaintext://[::1]:9093,EXT://host.example:0").unwrap();
        assert_eq!(
            eps,
            vec![
                Endpoint {
                    name: "PLAINTEXT".into(),
                    host: "".into(),
                    port: 9092
                },
                Endpoint {
                    name: "SASL_PLAINTEXT".into(),
                    host: "::1".into(),
                    port: 9093
                },
                Endpoint {
                    name: "EXT".into(),
                    host: "host.example".into(),
                    port: 0
                },
            ]
        );
        for bad in [
            "PLAINTEXT:9092",
            "PLAINTEXT://host",
            "PLAINTEXT://host:99999",
            "PLAINTEXT://[::1:9092",
            "A B://h:1",
            "A://h:1,A://h:2",
        ] {
            assert!(parse_endpoints(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flags_name_the_listener_or_take_the_protocol_name() {
        let l = ListenerConfig::parse_flag("external=SASL_PLAINTEXT://0.0.0.0:9093").unwrap();
        assert_eq!(l.name, "EXTERNAL");
        assert_eq!(l.protocol, SecurityProtocol::SaslPlaintext);
        assert_eq!(l.endpoint(), "EXTERNAL://0.0.0.0:9093");
        let l = ListenerConfig::parse_flag("PLAINTEXT://127.0.0.1:0").unwrap();
        assert_eq!(
            (l.name.as_str(), l.protocol),
            ("PLAINTEXT", SecurityProtocol::Plaintext)
        );
        assert!(ListenerConfig::parse_flag("X=GOPHER://h:1").is_err());
        assert!(ListenerConfig::parse_flag("INTERNAL://h:1").is_err());
    }

    #[test]
    fn validation_rejects_duplicates_and_nothing() {
        let ok = ListenerConfig::parse_flag("A=PLAINTEXT://h:1").unwrap();
        let tls = ListenerConfig::parse_flag("B=SASL_SSL://h:2").unwrap();
        validate(&[ok.clone(), tls]).unwrap();
        let same_port = ListenerConfig::parse_flag("C=PLAINTEXT://h:1").unwrap();
        assert!(
            validate(&[ok.clone(), same_port])
                .unwrap_err()
                .contains("same port")
        );
        assert!(validate(&[ok.clone(), ok.clone()]).unwrap_err().contains("twice"));
        assert!(validate(&[]).is_err());
        let map = parse_protocol_map("INTERNAL:PLAINTEXT, EXTERNAL:sasl_plaintext").unwrap();
        assert_eq!(map["EXTERNAL"], SecurityProtocol::SaslPlaintext);
        assert!(parse_protocol_map("INTERNAL").is_err());
    }
}
