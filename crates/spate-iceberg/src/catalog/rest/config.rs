//! The catalog's properties as Java's `RESTSessionCatalog` and pyiceberg resolve them: the
//! server's `GET /v1/config` `defaults`, then the client's own properties, then the server's
//! `overrides`; from the result the base `uri`, the `prefix` every other route carries, and
//! the `namespace-separator` for multi-level namespaces in paths.

use std::collections::BTreeMap;
use std::time::Duration;

use super::http::{Endpoint, Timeouts, decode, encode};
use super::model::ConfigResponse;
use crate::catalog::Namespace;

/// Property: the catalog's base URL.
pub const URI: &str = "uri";
/// Property: the warehouse, sent to `GET /v1/config` as the `warehouse` query parameter.
pub const WAREHOUSE: &str = "warehouse";
/// Property (usually from the server): the path segment after `/v1/` of every route.
pub const PREFIX: &str = "prefix";
/// Property: a bearer token sent with every request.
pub const TOKEN: &str = "token";
/// Property: OAuth2 client credentials, `client_id:client_secret` (or just the secret).
pub const CREDENTIAL: &str = "credential";
/// Property: the OAuth2 token endpoint (default: the deprecated `<uri>/v1/oauth/tokens`).
pub const OAUTH2_SERVER_URI: &str = "oauth2-server-uri";
/// Property: the OAuth2 scope (default `catalog`).
pub const SCOPE: &str = "scope";
/// Property: the url-encoded separator of namespace levels in paths (default `%1F`).
pub const NAMESPACE_SEPARATOR: &str = "namespace-separator";
/// Property: a PEM file of the CA certificates to trust for https (pyiceberg's
/// `ssl: {cabundle: ...}`, flattened); the system bundle when unset.
pub const CA_BUNDLE: &str = "ssl.cabundle";
/// Property: the TCP connect timeout in milliseconds (Java's name; default 10 s).
pub const CONNECT_TIMEOUT_MS: &str = "rest.client.connection-timeout-ms";
/// Property: the read and write timeout in milliseconds (Java's name; default 120 s).
pub const SOCKET_TIMEOUT_MS: &str = "rest.client.socket-timeout-ms";

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RestConfig {
    /// The merged properties.
    pub(crate) properties: BTreeMap<String, String>,
    /// The base URL.
    pub(crate) endpoint: Endpoint,
    /// `/v1` or `/v1/<prefix>`.
    pub(crate) routes: String,
    /// The separator as it goes into a path (url-encoded).
    separator: String,
}

/// The timeouts the properties set.
pub(crate) fn timeouts(properties: &BTreeMap<String, String>) -> Timeouts {
    let ms = |key: &str, default: u64| {
        Duration::from_millis(
            properties
                .get(key)
                .and_then(|v| v.parse().ok())
                .unwrap_or(default),
        )
    };
    Timeouts {
        connect: ms(CONNECT_TIMEOUT_MS, 10_000),
        socket: ms(SOCKET_TIMEOUT_MS, 120_000),
    }
}

/// The query of `GET /v1/config`: the warehouse, if the client names one.
pub(crate) fn config_path(properties: &BTreeMap<String, String>) -> String {
    match properties.get(WAREHOUSE) {
        Some(w) => format!("/v1/config?warehouse={}", encode(w)),
        None => "/v1/config".into(),
    }
}

impl RestConfig {
    /// Merges the server's answer with the client's `properties`.
    pub(crate) fn resolve(
        client: &BTreeMap<String, String>,
        server: ConfigResponse,
    ) -> Result<RestConfig, String> {
        let mut properties = server.defaults;
        properties.extend(client.iter().map(|(k, v)| (k.clone(), v.clone())));
        properties.extend(server.overrides);
        let uri = properties.get(URI).ok_or("no `uri` property")?;
        let endpoint = Endpoint::parse(uri)?;
        let routes = match properties.get(PREFIX).map(|p| p.trim_matches('/')) {
            Some(p) if !p.is_empty() => format!("/v1/{p}"),
            _ => "/v1".into(),
        };
        let separator = match properties.get(NAMESPACE_SEPARATOR) {
            Some(s) if !s.is_empty() => encode(&decode(s)),
            Some(_) => return Err("an empty namespace-separator".into()),
            None => "%1F".into(),
        };
        Ok(RestConfig {
            properties,
            endpoint,
            routes,
            separator,
        })
    }

    /// `/v1/{prefix}/namespaces`.
    pub(crate) fn namespaces(&self) -> String {
        format!("{}/namespaces", self.routes)
    }

    /// `/v1/{prefix}/namespaces/{namespace}`, each level url-encoded and joined by the
    /// separator.
    pub(crate) fn namespace(&self, ns: &Namespace) -> String {
        let levels: Vec<String> = ns.0.iter().map(|l| encode(l)).collect();
        format!("{}/{}", self.namespaces(), levels.join(&self.separator))
    }

    /// `/v1/{prefix}/namespaces/{namespace}/tables`.
    pub(crate) fn tables(&self, ns: &Namespace) -> String {
        format!("{}/tables", self.namespace(ns))
    }

    /// `/v1/{prefix}/namespaces/{namespace}/tables/{table}`.
    pub(crate) fn table(&self, ns: &Namespace, name: &str) -> String {
        format!("{}/{}", self.tables(ns), encode(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn server_defaults_then_client_then_overrides() {
        let client = props(&[("uri", "http://h:1"), ("a", "client"), ("b", "client")]);
        let server = ConfigResponse {
            defaults: props(&[("a", "default"), ("c", "default")]),
            overrides: props(&[("b", "override"), ("prefix", "/wh1/")]),
        };
        let c = RestConfig::resolve(&client, server).expect("resolves");
        assert_eq!(c.properties["a"], "client");
        assert_eq!(c.properties["b"], "override");
        assert_eq!(c.properties["c"], "default");
        let ns = Namespace(vec!["a b".into(), "c/d".into()]);
        assert_eq!(c.namespace(&ns), "/v1/wh1/namespaces/a%20b%1Fc%2Fd");
        assert_eq!(c.table(&ns, "t"), "/v1/wh1/namespaces/a%20b%1Fc%2Fd/tables/t");
        assert_eq!(c.endpoint.url(&c.namespaces()), "http://h:1/v1/wh1/namespaces");
    }

    #[test]
    fn the_server_may_move_the_uri_and_the_separator() {
        let client = props(&[("uri", "http://h:1")]);
        let server = ConfigResponse {
            defaults: BTreeMap::new(),
            overrides: props(&[("uri", "http://other:2/api"), ("namespace-separator", "%2E")]),
        };
        let c = RestConfig::resolve(&client, server).expect("resolves");
        assert_eq!(c.routes, "/v1");
        let ns = Namespace(vec!["a".into(), "b".into()]);
        assert_eq!(
            c.endpoint.url(&c.namespace(&ns)),
            "http://other:2/api/v1/namespaces/a.b"
        );
        assert!(RestConfig::resolve(&BTreeMap::new(), ConfigResponse::default()).is_err());
    }

    #[test]
    fn config_query_and_timeouts() {
        assert_eq!(
            config_path(&props(&[("warehouse", "s3://b/w x")])),
            "/v1/config?warehouse=s3%3A%2F%2Fb%2Fw%20x"
        );
        assert_eq!(config_path(&BTreeMap::new()), "/v1/config");
        let t = timeouts(&props(&[(CONNECT_TIMEOUT_MS, "250")]));
        assert_eq!(
            (t.connect, t.socket),
            (Duration::from_millis(250), Duration::from_secs(120))
        );
    }
}
