//! Confluent's Schema Registry REST API over a [`Service`], as an axum router: the paths,
//! bodies, query parameters, status codes and error bodies its clients expect
//! (`{"error_code":40401,"message":"..."}`), JSON with Confluent's content type, request
//! bodies bounded, and HTTP basic authentication when an [`Authenticator`] is given.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::{self, Authorizer, Need, SubjectOperation};
use crate::error::{RegistryError, Result};
use crate::records::{Compatibility, Mode, Reference, SchemaType};
use crate::service::Service;
use crate::state::{NewSchema, Registry, SubjectVersion, VersionSpec};

/// Confluent's media type for every JSON response.
const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
/// The largest request body taken (a 413 beyond it): schemas are small, a client that sends
/// more is refused before its body is buffered.
pub const MAX_BODY: usize = 8 << 20;

/// What [`Authenticator::check`] returns: whether the credentials hold.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// Checks HTTP basic credentials (the broker's SASL users, when it has any).
///
/// Contract: called once per request before any handler runs; `peer` is the client's address
/// when the server that runs the router records it (axum's `ConnectInfo`), so a checker can
/// throttle guessing per address as the broker's SASL/PLAIN logins are.
pub trait Authenticator: Send + Sync {
    /// Whether `user` with `password`, from `peer`, may use the registry.
    fn check<'a>(&'a self, peer: Option<IpAddr>, user: &'a str, password: &'a str) -> CheckFuture<'a>;
}

struct Shared {
    service: Arc<Service>,
    auth: Option<Arc<dyn Authenticator>>,
    authorizer: Option<Arc<dyn Authorizer>>,
}

/// The REST API over `service`; with `auth`, every request needs valid basic credentials.
pub fn router(service: Arc<Service>, auth: Option<Arc<dyn Authenticator>>) -> Router {
    secured_router(service, auth, None)
}

/// [`router`] whose authenticated users are also checked by `authorizer` per subject (it is
/// only asked when `auth` is given).
pub fn secured_router(
    service: Arc<Service>,
    auth: Option<Arc<dyn Authenticator>>,
    authorizer: Option<Arc<dyn Authorizer>>,
) -> Router {
    let shared = Arc::new(Shared {
        service,
        auth,
        authorizer,
    });
    Router::new()
        .route("/", get(|| async { json_response(StatusCode::OK, json!({})) }))
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(version_schema),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/schema", get(schema_text_by_id))
        .route("/schemas/ids/{id}/subjects", get(subjects_by_id))
        .route("/schemas/ids/{id}/versions", get(versions_by_id))
        .route(
            "/schemas/types",
            get(|| async { json_response(StatusCode::OK, json!(["JSON", "PROTOBUF", "AVRO"])) }),
        )
        .route("/config", get(global_config).put(put_global_config))
        .route(
            "/config/{subject}",
            get(subject_config)
                .put(put_subject_config)
                .delete(delete_subject_config),
        )
        .route("/mode", get(global_mode).put(put_global_mode))
        .route(
            "/mode/{subject}",
            get(subject_mode)
                .put(put_subject_mode)
                .delete(delete_subject_mode),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility_with),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compatibility_with_all),
        )
        // Unknown paths (also the associations API of Confluent 8, which clients probe and fall
        // back from on any 404) answer as Confluent's JAX-RS does.
        .fallback(|| async {
            json_response(
                StatusCode::NOT_FOUND,
                json!({"error_code": 404, "message": "HTTP 404 Not Found"}),
            )
        })
        .layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

type Shared_ = State<Arc<Shared>>;
type Params = Query<HashMap<String, String>>;

fn json_response(status: StatusCode, body: Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    r
}

fn error(e: &RegistryError, status: StatusCode, code: u32) -> Response {
    json_response(status, json!({"error_code": code, "message": e.to_string()}))
}

fn refused(e: RegistryError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    error(&e, status, e.code())
}

fn answer(r: Result<Value>) -> Response {
    match r {
        Ok(v) => json_response(StatusCode::OK, v),
        Err(e) => refused(e),
    }
}

fn flag(q: &HashMap<String, String>, name: &str) -> bool {
    q.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Basic authentication: a 401 with `WWW-Authenticate` unless the credentials check out.
async fn authenticate(State(s): Shared_, req: axum::extract::Request, next: Next) -> Response {
    let Some(auth) = &s.auth else {
        return next.run(req).await;
    };
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some((user, password)) = basic_credentials(req.headers())
        && auth.check(peer, &user, &password).await
    {
        return match &s.authorizer {
            None => next.run(req).await,
            Some(authz) => authorize(&s, authz.as_ref(), &user, peer, req, next).await,
        };
    }
    let mut r = refused(RegistryError::Unauthorized);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"spate-schema-registry\""),
    );
    r
}

/// Runs the request if `user` may make it; lists come back with only what the user may read.
async fn authorize(
    s: &Shared,
    authz: &dyn Authorizer,
    user: &str,
    peer: Option<IpAddr>,
    req: axum::extract::Request,
    next: Next,
) -> Response {
    let may_read = |subject: &str| authz.allows(user, peer, SubjectOperation::Read, Some(subject));
    match access::need(req.method(), req.uri().path()) {
        Need::Nothing => next.run(req).await,
        Need::Operation(op, subject) => {
            if authz.allows(user, peer, op, subject.as_deref()) {
                next.run(req).await
            } else {
                forbidden(user, op, subject.as_deref())
            }
        }
        Need::SubjectList => keep_readable(next.run(req).await, &may_read).await,
        Need::SchemaId(id) => {
            let holders = s
                .service
                .read(|r| Ok(r.subject_versions_of(id, true).unwrap_or_default()))
                .unwrap_or_default();
            if !holders.is_empty() && !holders.iter().any(|(subject, _)| may_read(subject)) {
                return forbidden(
                    user,
                    SubjectOperation::Read,
                    holders.first().map(|(s, _)| s.as_str()),
                );
            }
            keep_readable(next.run(req).await, &may_read).await
        }
    }
}

/// Confluent's 403.
fn forbidden(user: &str, op: SubjectOperation, subject: Option<&str>) -> Response {
    let on = match subject {
        Some(s) => format!("Subject: {s}"),
        None => "the registry".to_string(),
    };
    json_response(
        StatusCode::FORBIDDEN,
        json!({"error_code": 40301, "message": format!("User {user} is denied operation {} on {on}", op.name())}),
    )
}

/// A successful JSON list answer with only the entries (subject names, or objects with a
/// `subject`) that `may_read` allows; anything else unchanged.
async fn keep_readable(response: Response, may_read: &(dyn Fn(&str) -> bool + Sync)) -> Response {
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error_code": 50001, "message": "answer lost"}),
        );
    };
    let Ok(Value::Array(mut list)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    list.retain(|v| {
        let subject = v.as_str().or_else(|| v.get("subject").and_then(Value::as_str));
        subject.is_none_or(may_read)
    });
    let mut parts = parts;
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(Value::Array(list).to_string()))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// A registration or lookup body: `{"schema": "...", "schemaType": "AVRO", "references": []}`.
#[derive(Deserialize)]
struct SchemaBody {
    schema: Option<String>,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Option<Vec<Reference>>,
}

fn new_schema(body: &Bytes) -> Result<NewSchema> {
    let b: SchemaBody = serde_json::from_slice(body).map_err(|e| RegistryError::BadRequest(e.to_string()))?;
    let schema_type = SchemaType::parse(b.schema_type.as_deref()).ok_or_else(|| {
        RegistryError::InvalidSchema(format!(
            "Invalid schema type {}",
            b.schema_type.unwrap_or_default()
        ))
    })?;
    let Some(schema) = b.schema else {
        return Err(RegistryError::InvalidSchema("Empty schema".into()));
    };
    Ok(NewSchema {
        schema_type,
        schema,
        references: b.references.unwrap_or_default(),
    })
}

/// A version as the API shows it; `schemaType` only when not AVRO, `references` only when
/// there are some, as Confluent writes them.
/// `format` is the request's `?format=` (see [`Registry::formatted`]).
fn version_json(r: &Registry, v: &SubjectVersion, format: Option<&str>) -> Result<Value> {
    let mut o = json!({"subject": v.subject, "version": v.version, "id": v.id});
    if v.schema.schema_type != SchemaType::Avro {
        o["schemaType"] = json!(v.schema.schema_type.name());
    }
    if !v.schema.references.is_empty() {
        o["references"] = json!(v.schema.references);
    }
    o["schema"] = json!(r.formatted(&v.schema, format)?);
    Ok(o)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RegistryError::Store(format!("the registry's worker failed: {e}")))?
}

async fn subjects(State(s): Shared_, Query(q): Params) -> Response {
    let deleted = flag(&q, "deleted");
    let prefix = q.get("subjectPrefix").cloned().unwrap_or_default();
    answer(s.service.read(|r| {
        Ok(json!(
            r.subjects(deleted)
                .into_iter()
                .filter(|x| x.starts_with(&prefix))
                .collect::<Vec<_>>()
        ))
    }))
}

async fn versions(State(s): Shared_, Path(subject): Path<String>, Query(q): Params) -> Response {
    answer(
        s.service
            .read(|r| Ok(json!(r.versions(&subject, flag(&q, "deleted"))?))),
    )
}

async fn version(
    State(s): Shared_,
    Path((subject, v)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    answer(s.service.read(|r| {
        let spec = VersionSpec::parse(&v)?;
        version_json(r, &r.version(&subject, spec, flag(&q, "deleted"))?, format(&q))
    }))
}

async fn version_schema(
    State(s): Shared_,
    Path((subject, v)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    match s.service.read(|r| {
        let spec = VersionSpec::parse(&v)?;
        Ok(r.version(&subject, spec, flag(&q, "deleted"))?.schema.schema)
    }) {
        Ok(text) => json_text(text),
        Err(e) => refused(e),
    }
}

/// A schema's text as the body (Confluent answers the `/schema` paths with it as is).
fn json_text(text: String) -> Response {
    let mut r = (StatusCode::OK, text).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    r
}

async fn referenced_by(State(s): Shared_, Path((subject, v)): Path<(String, String)>) -> Response {
    answer(s.service.read(|r| {
        let spec = VersionSpec::parse(&v)?;
        let found = r.version(&subject, spec, true)?;
        Ok(json!(r.referenced_by(&subject, found.version)))
    }))
}

async fn register(State(s): Shared_, Path(subject): Path<String>, body: Bytes) -> Response {
    let service = s.service.clone();
    answer(
        blocking(move || {
            let new = new_schema(&body)?;
            let id = service.write(|r| r.register(&subject, &new))?;
            Ok(json!({"id": id}))
        })
        .await,
    )
}

async fn lookup(State(s): Shared_, Path(subject): Path<String>, Query(q): Params, body: Bytes) -> Response {
    answer(s.service.read(|r| {
        let new = new_schema(&body)?;
        version_json(r, &r.lookup(&subject, &new, flag(&q, "deleted"))?, format(&q))
    }))
}

async fn delete_version(
    State(s): Shared_,
    Path((subject, v)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    let service = s.service.clone();
    let permanent = flag(&q, "permanent");
    answer(
        blocking(move || {
            let spec = VersionSpec::parse(&v)?;
            Ok(json!(
                service.write(|r| r.delete_version(&subject, spec, permanent))?
            ))
        })
        .await,
    )
}

async fn delete_subject(State(s): Shared_, Path(subject): Path<String>, Query(q): Params) -> Response {
    let service = s.service.clone();
    let permanent = flag(&q, "permanent");
    answer(blocking(move || Ok(json!(service.write(|r| r.delete_subject(&subject, permanent))?))).await)
}

fn parse_id(id: &str) -> Result<i32> {
    id.parse::<i32>()
        .map_err(|_| RegistryError::SchemaNotFound(format!("Schema {id} not found")))
}

async fn schema_by_id(State(s): Shared_, Path(id): Path<String>, Query(q): Params) -> Response {
    answer(s.service.read(|r| {
        let stored = r.schema(parse_id(&id)?)?;
        let mut o = json!({});
        if stored.schema_type != SchemaType::Avro {
            o["schemaType"] = json!(stored.schema_type.name());
        }
        if !stored.references.is_empty() {
            o["references"] = json!(stored.references);
        }
        o["schema"] = json!(r.formatted(stored, format(&q))?);
        Ok(o)
    }))
}

/// The request's `?format=`.
fn format(q: &HashMap<String, String>) -> Option<&str> {
    q.get("format").map(String::as_str)
}

async fn schema_text_by_id(State(s): Shared_, Path(id): Path<String>) -> Response {
    match s.service.read(|r| Ok(r.schema(parse_id(&id)?)?.schema.clone())) {
        Ok(text) => json_text(text),
        Err(e) => refused(e),
    }
}

async fn subjects_by_id(State(s): Shared_, Path(id): Path<String>, Query(q): Params) -> Response {
    answer(s.service.read(|r| {
        let mut subjects: Vec<String> = r
            .subject_versions_of(parse_id(&id)?, flag(&q, "deleted"))
            .map_err(|_| RegistryError::SchemaNotFound("Schema not found".into()))?
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        subjects.dedup();
        Ok(json!(subjects))
    }))
}

async fn versions_by_id(State(s): Shared_, Path(id): Path<String>, Query(q): Params) -> Response {
    answer(s.service.read(|r| {
        let list: Vec<Value> = r
            .subject_versions_of(parse_id(&id)?, flag(&q, "deleted"))
            .map_err(|_| RegistryError::SchemaNotFound("Schema not found".into()))?
            .into_iter()
            .map(|(subject, version)| json!({"subject": subject, "version": version}))
            .collect();
        Ok(json!(list))
    }))
}

/// `{"compatibility": "FULL"}`: the request field (responses to GET say `compatibilityLevel`,
/// which a PUT ignores, as Confluent's does); `None` when the body sets no level.
fn compatibility_body(body: &Bytes) -> Result<Option<Compatibility>> {
    let v: Value = serde_json::from_slice(body).map_err(|e| RegistryError::BadRequest(e.to_string()))?;
    match v.get("compatibility") {
        None | Some(Value::Null) => Ok(None),
        Some(level) => level
            .as_str()
            .and_then(Compatibility::parse)
            .map(Some)
            .ok_or(RegistryError::InvalidCompatibility),
    }
}

async fn global_config(State(s): Shared_) -> Response {
    answer(
        s.service
            .read(|r| Ok(json!({"compatibilityLevel": r.compatibility(None).name()}))),
    )
}

async fn put_global_config(State(s): Shared_, body: Bytes) -> Response {
    put_config(s, None, body).await
}

async fn put_subject_config(State(s): Shared_, Path(subject): Path<String>, body: Bytes) -> Response {
    put_config(s, Some(subject), body).await
}

async fn put_config(s: Arc<Shared>, subject: Option<String>, body: Bytes) -> Response {
    let service = s.service.clone();
    answer(
        blocking(move || {
            if let Some(s) = &subject {
                crate::state::valid_subject(s)?;
            }
            let level = service.write(|r| match compatibility_body(&body)? {
                Some(level) => Ok((level, r.set_compatibility(subject.as_deref(), Some(level)))),
                // A partial update that sets nothing: the level in force stays.
                None => Ok((r.compatibility(subject.as_deref()), Vec::new())),
            })?;
            Ok(json!({"compatibility": level.name()}))
        })
        .await,
    )
}

async fn subject_config(State(s): Shared_, Path(subject): Path<String>, Query(q): Params) -> Response {
    answer(s.service.read(|r| {
        let level = if flag(&q, "defaultToGlobal") {
            Some(r.compatibility(Some(&subject)))
        } else {
            r.own_compatibility(Some(&subject))
        };
        let level = level.ok_or_else(|| RegistryError::SubjectConfigNotFound(subject.clone()))?;
        Ok(json!({"compatibilityLevel": level.name()}))
    }))
}

async fn delete_subject_config(State(s): Shared_, Path(subject): Path<String>) -> Response {
    let service = s.service.clone();
    answer(
        blocking(move || {
            let old = service.write(|r| {
                let old = r
                    .own_compatibility(Some(&subject))
                    .ok_or_else(|| RegistryError::SubjectNotFound(subject.clone()))?;
                Ok((old, r.set_compatibility(Some(&subject), None)))
            })?;
            Ok(json!({"compatibilityLevel": old.name()}))
        })
        .await,
    )
}

fn mode_body(body: &Bytes) -> Result<Mode> {
    let v: Value = serde_json::from_slice(body).map_err(|e| RegistryError::BadRequest(e.to_string()))?;
    v.get("mode")
        .and_then(Value::as_str)
        .and_then(Mode::parse)
        .ok_or(RegistryError::InvalidMode)
}

async fn global_mode(State(s): Shared_) -> Response {
    answer(s.service.read(|r| Ok(json!({"mode": r.mode(None).name()}))))
}

async fn subject_mode(State(s): Shared_, Path(subject): Path<String>, Query(q): Params) -> Response {
    answer(s.service.read(|r| {
        let mode = if flag(&q, "defaultToGlobal") {
            Some(r.mode(Some(&subject)))
        } else {
            r.own_mode(&subject)
        };
        let mode = mode.ok_or_else(|| RegistryError::SubjectModeNotFound(subject.clone()))?;
        Ok(json!({"mode": mode.name()}))
    }))
}

async fn put_global_mode(State(s): Shared_, body: Bytes) -> Response {
    put_mode(s, None, body).await
}

async fn put_subject_mode(State(s): Shared_, Path(subject): Path<String>, body: Bytes) -> Response {
    put_mode(s, Some(subject), body).await
}

async fn put_mode(s: Arc<Shared>, subject: Option<String>, body: Bytes) -> Response {
    let service = s.service.clone();
    answer(
        blocking(move || {
            if let Some(s) = &subject {
                crate::state::valid_subject(s)?;
            }
            let mode = mode_body(&body)?;
            service.write(|r| Ok(((), r.set_mode(subject.as_deref(), Some(mode)))))?;
            Ok(json!({"mode": mode.name()}))
        })
        .await,
    )
}

async fn delete_subject_mode(State(s): Shared_, Path(subject): Path<String>) -> Response {
    let service = s.service.clone();
    answer(
        blocking(move || {
            let old = service.write(|r| {
                let old = r
                    .own_mode(&subject)
                    .ok_or_else(|| RegistryError::SubjectNotFound(subject.clone()))?;
                Ok((old, r.set_mode(Some(&subject), None)))
            })?;
            Ok(json!({"mode": old.name()}))
        })
        .await,
    )
}

/// A check's answer; with `verbose`, a schema that does not parse is incompatible with its
/// reason as the message (Confluent's behaviour), otherwise a 422.
fn checked(result: Result<Vec<String>>, verbose: bool) -> Result<Value> {
    match result {
        Ok(messages) => Ok(compatibility_answer(messages, verbose)),
        Err(RegistryError::InvalidSchema(m)) if verbose => {
            Ok(json!({"is_compatible": false, "messages": [m]}))
        }
        Err(e) => Err(e),
    }
}

fn compatibility_answer(messages: Vec<String>, verbose: bool) -> Value {
    let mut o = json!({"is_compatible": messages.is_empty()});
    if verbose {
        o["messages"] = json!(messages);
    }
    o
}

async fn compatibility_with(
    State(s): Shared_,
    Path((subject, v)): Path<(String, String)>,
    Query(q): Params,
    body: Bytes,
) -> Response {
    let verbose = flag(&q, "verbose");
    answer(s.service.read(|r| {
        let new = new_schema(&body)?;
        let spec = VersionSpec::parse(&v)?;
        // Nothing to be compatible with: `latest` of an unknown subject is compatible, a
        // numbered version that does not exist is a 40402.
        if spec == VersionSpec::Latest && r.versions(&subject, false).is_err() {
            return Ok(compatibility_answer(Vec::new(), verbose));
        }
        if let VersionSpec::Number(n) = spec
            && r.version(&subject, spec, false).is_err()
        {
            return Err(RegistryError::VersionNotFound(n.to_string()));
        }
        checked(r.check(&subject, &new, Some(spec)), verbose)
    }))
}

async fn compatibility_with_all(
    State(s): Shared_,
    Path(subject): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Response {
    let verbose = flag(&q, "verbose");
    answer(s.service.read(|r| {
        let new = new_schema(&body)?;
        checked(r.check(&subject, &new, None), verbose)
    }))
}

/// Serves the REST API on `listener` until the future is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    auth: Option<Arc<dyn Authenticator>>,
) -> std::io::Result<()> {
    axum::serve(listener, router(service, auth)).await
}

/// Serves `router` on a free port of 127.0.0.1 from a thread of its own (a single-threaded
/// runtime) for as long as the process lives; returns `http://127.0.0.1:PORT`. For tools and
/// tests that want a registry beside them without an async runtime of their own.
pub fn serve_in_background(router: Router) -> std::io::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("schema-registry".into())
        .spawn(move || {
            runtime.block_on(async move {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => {
                        if let Err(e) = axum::serve(listener, router).await {
                            eprintln!("schema registry on {addr} stopped: {e}");
                        }
                    }
                    Err(e) => eprintln!("schema registry on {addr}: {e}"),
                }
            });
        })?;
    Ok(format!("http://{addr}"))
}
