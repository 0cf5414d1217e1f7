//! The Iceberg REST catalog (the OpenAPI spec `rest-catalog-open-api.yaml`; Java's
//! `RESTSessionCatalog` and pyiceberg's `RestCatalog` for behaviour). The server owns the
//! table pointers and writes the metadata files: a commit sends the spec's
//! `CommitTableRequest` (requirements + updates, see `commit.rs`) and the server applies it as
//! a compare-and-swap, answering 409 when a requirement fails, which becomes
//! [`IcebergError::CommitConflict`] so `commit_files` reloads and retries. Manifests and
//! manifest lists are still written by this crate into the table's location, which must be
//! on the local filesystem (object stores and vended credentials are not supported). Plain
//! http and https (rustls, trusting `ssl.cabundle` or the system's CAs).

mod auth;
mod commit;
pub mod config;
mod http;
mod model;
mod tls;

use std::collections::BTreeMap;

use serde_json::Value as Json;

use self::auth::Auth;
use self::config::RestConfig;
use self::http::{Body, Endpoint, Response, Transport};
use self::model::{ConfigResponse, CreateNamespaceRequest, CreateTableRequest, ErrorResponse, TableResult};
use crate::catalog::{Catalog, Namespace, Table, TableIdent};
use crate::error::{IcebergError, Result};
use crate::io::FileIo;
use crate::metadata::{TableCreation, TableMetadata};

/// A catalog behind an Iceberg REST server.
pub struct RestCatalog {
    name: String,
    config: RestConfig,
    auth: Auth,
    transport: Transport,
    io: FileIo,
}

impl std::fmt::Debug for RestCatalog {
    // The merged properties may hold `token` or `credential`: not printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestCatalog")
            .field("name", &self.name)
            .field("uri", &self.config.endpoint.url(&self.config.routes))
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl RestCatalog {
    /// Connects as Flink and pyiceberg users configure it: `uri` (required), `warehouse`,
    /// `token` or `credential` (+ `oauth2-server-uri`, `scope`), and the timeouts in
    /// [`config`]. Asks the server's `GET /v1/config` and merges its defaults and overrides
    /// (which may set `prefix` or move `uri`).
    pub fn connect(name: &str, properties: &BTreeMap<String, String>) -> Result<RestCatalog> {
        let fail = |message: String| IcebergError::Catalog {
            catalog: name.to_owned(),
            message,
        };
        let uri = properties
            .get(config::URI)
            .ok_or_else(|| fail("the REST catalog needs a `uri` property".into()))?;
        let config = RestConfig::resolve(properties, ConfigResponse::default()).map_err(fail)?;
        let auth = Auth::from_properties(properties).map_err(fail)?;
        let endpoints = [Some(&config.endpoint), auth.endpoint()];
        let mut catalog = RestCatalog {
            name: name.to_owned(),
            transport: Transport {
                timeouts: config::timeouts(properties),
                tls: tls_if_needed(&endpoints, properties, None).map_err(fail)?,
            },
            config,
            auth,
            io: FileIo::local(),
        };
        let path = config::config_path(properties);
        let response = catalog.call("GET", &path, None)?;
        if response.status != 200 {
            return Err(catalog.status_error("GET", &path, &response));
        }
        let server: ConfigResponse = catalog.parse(&path, &response)?;
        let merged = RestConfig::resolve(properties, server).map_err(|e| fail(format!("{uri}: {e}")))?;
        // The server may move the catalog to https or set timeouts.
        catalog.transport = Transport {
            timeouts: config::timeouts(&merged.properties),
            tls: tls_if_needed(
                &[Some(&merged.endpoint)],
                &merged.properties,
                catalog.transport.tls.take(),
            )
            .map_err(fail)?,
        };
        catalog.config = merged;
        Ok(catalog)
    }

    /// The properties in force: the server's defaults, the client's, the server's overrides.
    pub fn properties(&self) -> &BTreeMap<String, String> {
        &self.config.properties
    }

    fn error(&self, message: String) -> IcebergError {
        IcebergError::Catalog {
            catalog: self.name.clone(),
            message,
        }
    }

    /// One exchange; transport failures (refused, timed out, garbled) are errors here, any
    /// HTTP status is the caller's to judge. A 401 on a fetched OAuth2 token fetches a new
    /// one and tries once more: the server refused the request before acting on it, so even
    /// a commit is safe to resend.
    fn call(&self, method: &str, path: &str, body: Option<&Json>) -> Result<Response> {
        let response = self.call_once(method, path, body)?;
        if response.status == 401 && self.auth.forget_token() {
            return self.call_once(method, path, body);
        }
        Ok(response)
    }

    fn call_once(&self, method: &str, path: &str, body: Option<&Json>) -> Result<Response> {
        let url = self.config.endpoint.url(path);
        let authorization = self.auth.header(&self.transport).map_err(|e| self.error(e))?;
        let bytes = body.map(|b| b.to_string().into_bytes());
        http::send(
            &self.transport,
            &self.config.endpoint,
            method,
            path,
            authorization.as_deref(),
            bytes.as_deref().map(Body::Json),
        )
        .map_err(|e| {
            self.error(format!(
                "{method} {url}: the REST server could not be reached: {e}"
            ))
        })
    }

    /// An unexpected status, with the spec's error model (`type: message`) when the body has it.
    fn status_error(&self, method: &str, path: &str, response: &Response) -> IcebergError {
        let why = match serde_json::from_slice::<ErrorResponse>(&response.body) {
            Ok(e) => e.describe(response.status),
            Err(_) => String::from_utf8_lossy(&response.body)
                .chars()
                .take(300)
                .collect(),
        };
        let url = self.config.endpoint.url(path);
        self.error(format!("{method} {url}: HTTP {}: {why}", response.status))
    }

    fn parse<T: serde::de::DeserializeOwned>(&self, path: &str, response: &Response) -> Result<T> {
        serde_json::from_slice(&response.body).map_err(|e| {
            self.error(format!(
                "{}: unexpected response body: {e}",
                self.config.endpoint.url(path)
            ))
        })
    }

    /// A `LoadTableResult` or `CommitTableResponse` as a table.
    fn table_from(&self, ident: &TableIdent, path: &str, response: &Response) -> Result<Table> {
        let result: TableResult = self.parse(path, response)?;
        let metadata_location = result
            .metadata_location
            .ok_or_else(|| self.error(format!("{ident}: the server sent no metadata-location")))?;
        Ok(Table {
            ident: ident.clone(),
            metadata: TableMetadata::from_json(&result.metadata.to_string())?,
            metadata_location,
        })
    }

    /// Creates one namespace; `false` when it was there already.
    fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
        let path = self.config.namespaces();
        let body = serde_json::to_value(CreateNamespaceRequest {
            namespace: &namespace.0,
            properties: BTreeMap::new(),
        })
        .map_err(|e| IcebergError::Json(e.to_string()))?;
        let response = self.call("POST", &path, Some(&body))?;
        match response.status {
            200 | 204 => Ok(true),
            409 => Ok(false),
            _ => Err(self.status_error("POST", &path, &response)),
        }
    }
}

/// The TLS configuration when one of `endpoints` is https (`have` when already built).
fn tls_if_needed(
    endpoints: &[Option<&Endpoint>],
    properties: &BTreeMap<String, String>,
    have: Option<std::sync::Arc<rustls::ClientConfig>>,
) -> std::result::Result<Option<std::sync::Arc<rustls::ClientConfig>>, String> {
    match have {
        Some(tls) => Ok(Some(tls)),
        None if endpoints.iter().flatten().any(|e| e.is_tls()) => tls::client_config(properties).map(Some),
        None => Ok(None),
    }
}

impl Catalog for RestCatalog {
    fn name(&self) -> &str {
        &self.name
    }

    fn io(&self) -> &FileIo {
        &self.io
    }

    fn create_namespace_if_missing(&self, namespace: &Namespace) -> Result<()> {
        // Parents first: servers with real hierarchies (Polaris, Java's JDBC adapter) refuse
        // a child whose parent is missing; a 409 means another creator won, which is fine.
        for depth in 1..=namespace.0.len() {
            let level = Namespace(namespace.0[..depth].to_vec());
            if !self.namespace_exists(&level)? {
                self.create_namespace(&level)?;
            }
        }
        Ok(())
    }

    fn namespace_exists(&self, namespace: &Namespace) -> Result<bool> {
        // GET rather than HEAD: every server has `loadNamespaceMetadata`, not every one HEAD.
        let path = self.config.namespace(namespace);
        let response = self.call("GET", &path, None)?;
        match response.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(self.status_error("GET", &path, &response)),
        }
    }

    fn load_table(&self, ident: &TableIdent) -> Result<Option<Table>> {
        let path = self.config.table(&ident.namespace, &ident.name);
        let response = self.call("GET", &path, None)?;
        match response.status {
            200 => self.table_from(ident, &path, &response).map(Some),
            // NoSuchTableException or NoSuchNamespaceException: either way, no such table.
            404 => Ok(None),
            _ => Err(self.status_error("GET", &path, &response)),
        }
    }

    fn create_table(&self, ident: &TableIdent, creation: &TableCreation) -> Result<Table> {
        // Bind the schema and spec here (fresh ids, partition source ids) so the request
        // carries what the server would otherwise have to guess; the server still assigns
        // ids of its own, as Java's does.
        let draft = TableMetadata::new(creation, creation.location.as_deref().unwrap_or("/"))?;
        let body = serde_json::to_value(CreateTableRequest {
            name: &ident.name,
            location: creation.location.as_deref(),
            schema: draft.current_schema(),
            partition_spec: draft.default_spec(),
            properties: &creation.properties,
        })
        .map_err(|e| IcebergError::Json(e.to_string()))?;
        let path = self.config.tables(&ident.namespace);
        let response = self.call("POST", &path, Some(&body))?;
        match response.status {
            200 => self.table_from(ident, &path, &response),
            409 => Err(IcebergError::TableAlreadyExists(ident.to_string())),
            404 => Err(IcebergError::NoSuchNamespace(ident.namespace.to_string())),
            _ => Err(self.status_error("POST", &path, &response)),
        }
    }

    fn commit(&self, base: &Table, new: TableMetadata) -> Result<Table> {
        let body = commit::commit_request(base, &new)?;
        let path = self.config.table(&base.ident.namespace, &base.ident.name);
        let response = self.call("POST", &path, Some(&body))?;
        match response.status {
            200 => self.table_from(&base.ident, &path, &response),
            409 => Err(IcebergError::CommitConflict(base.ident.to_string())),
            404 => Err(IcebergError::NoSuchTable(base.ident.to_string())),
            // Java's table-commit error handler: the server may have applied the commit, so
            // it is not a conflict to blindly retry.
            500 | 502 | 503 | 504 => {
                let e = self.status_error("POST", &path, &response);
                Err(self.error(format!(
                    "commit state unknown (check the table before retrying): {e}"
                )))
            }
            _ => Err(self.status_error("POST", &path, &response)),
        }
    }
}
