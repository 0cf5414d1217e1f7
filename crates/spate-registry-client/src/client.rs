use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use spate_avro::Schema;
use spate_protobuf::ProtoSchema;

use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::http::{Endpoint, Response, Transport, segment};

/// A schema id that failed is asked again only after this long, so a topic full of records
/// with an unknown id (skipped with `ignore-parse-errors`) does not become one registry call
/// per record.
const FAILURE_TTL: Duration = Duration::from_secs(5);

/// Deepest chain of schema references followed.
const MAX_REFERENCE_DEPTH: usize = 32;

/// A schema as the registry holds it under an id.
#[derive(Debug)]
pub struct RegisteredSchema {
    /// The global id.
    pub id: u32,
    /// `AVRO`, `PROTOBUF` or `JSON`.
    pub schema_type: String,
    /// The schema text.
    pub text: String,
    /// For `AVRO`, the parsed schema with its references resolved (shared by whatever the
    /// caller derives from it, without a copy).
    pub avro: Option<Arc<Schema>>,
    /// For `PROTOBUF`, the compiled file with its references (imports) resolved.
    pub protobuf: Option<ProtoSchema>,
}

/// A blocking registry client with Confluent's caches: a schema is fetched once per id, a
/// registration or lookup is made once per subject and schema text. Shared by reference
/// between threads.
#[derive(Debug)]
pub struct RegistryClient {
    endpoints: Vec<Endpoint>,
    transport: Transport,
    by_id: RwLock<HashMap<u32, Arc<RegisteredSchema>>>,
    ids: Mutex<HashMap<(String, String, String), u32>>,
    failures: Mutex<HashMap<u32, (Instant, String)>>,
    requests: AtomicU64,
}

impl RegistryClient {
    /// A client; nothing is sent until a schema is asked for.
    pub fn new(config: &ClientConfig) -> Result<RegistryClient> {
        if config.urls.is_empty() {
            return Err(ClientError::Config("no registry URL".into()));
        }
        let endpoints = config
            .urls
            .iter()
            .map(|u| Endpoint::parse(u))
            .collect::<Result<Vec<_>>>()?;
        let tls = if endpoints.iter().any(Endpoint::is_tls) {
            Some(config.tls_config()?)
        } else {
            None
        };
        Ok(RegistryClient {
            endpoints,
            transport: Transport {
                authorization: config.auth.header(),
                tls,
                timeout: config.timeout,
            },
            by_id: RwLock::default(),
            ids: Mutex::default(),
            failures: Mutex::default(),
            requests: AtomicU64::new(0),
        })
    }

    /// HTTP requests sent so far (what the caches saved shows against the records handled).
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// One call of the REST API: `path` starts with `/`, segments already encoded. The
    /// answer's JSON, or the registry's error.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let body = body.map(|b| b.to_string().into_bytes());
        let mut last = None;
        for endpoint in &self.endpoints {
            self.requests.fetch_add(1, Ordering::Relaxed);
            match self.transport.send(endpoint, method, path, body.as_deref()) {
                Ok(response) => return answer(&endpoint.url, path, response),
                // Another URL of the same registry may answer.
                Err(e @ ClientError::Transport { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| ClientError::Config("no registry URL".into())))
    }

    /// The schema registered under `id`, from the cache or the registry.
    pub fn schema(&self, id: u32) -> Result<Arc<RegisteredSchema>> {
        if let Some(s) = self.by_id.read().unwrap_or_else(PoisonError::into_inner).get(&id) {
            return Ok(s.clone());
        }
        {
            let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((at, message)) = failures.get(&id)
                && at.elapsed() < FAILURE_TTL
            {
                return Err(ClientError::Schema {
                    id,
                    message: message.clone(),
                });
            }
        }
        match self.fetch(id) {
            Ok(s) => {
                let s = Arc::new(s);
                self.by_id
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id, s.clone());
                Ok(s)
            }
            Err(e) => {
                self.failures
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id, (Instant::now(), e.to_string()));
                Err(e)
            }
        }
    }

    fn fetch(&self, id: u32) -> Result<RegisteredSchema> {
        let body = self.call("GET", &format!("/schemas/ids/{id}"), None)?;
        let (schema_type, text, references) = schema_fields(&body, &format!("/schemas/ids/{id}"))?;
        let avro = if schema_type == "AVRO" {
            let refs = self.avro_references(&references, 0)?;
            Some(Arc::new(Schema::parse_with_references(&text, &refs).map_err(
                |e| ClientError::Schema {
                    id,
                    message: e.to_string(),
                },
            )?))
        } else {
            None
        };
        let protobuf = if schema_type == "PROTOBUF" {
            let mut refs = Vec::new();
            self.named_references(&references, 0, &mut refs)?;
            Some(ProtoSchema::parse(&text, &refs).map_err(|e| ClientError::Schema {
                id,
                message: e.to_string(),
            })?)
        } else {
            None
        };
        Ok(RegisteredSchema {
            id,
            schema_type,
            text,
            avro,
            protobuf,
        })
    }

    /// The `(name, text)` of the schemas `references` name, transitively, dependencies first:
    /// what a Protobuf file imports by those names.
    fn named_references(
        &self,
        references: &[Value],
        depth: usize,
        out: &mut Vec<(String, String)>,
    ) -> Result<()> {
        if references.is_empty() {
            return Ok(());
        }
        if depth >= MAX_REFERENCE_DEPTH {
            return Err(ClientError::Config(format!(
                "schema references nested deeper than {MAX_REFERENCE_DEPTH}"
            )));
        }
        for r in references {
            let name = r.get("name").and_then(Value::as_str);
            let subject = r.get("subject").and_then(Value::as_str);
            let version = r.get("version").and_then(Value::as_i64);
            let (Some(name), Some(subject), Some(version)) = (name, subject, version) else {
                return Err(ClientError::Protocol {
                    url: self.endpoints[0].url.clone(),
                    message: format!("a schema reference without name, subject and version: {r}"),
                });
            };
            let path = format!("/subjects/{}/versions/{version}", segment(subject));
            let body = self.call("GET", &path, None)?;
            let (_, text, nested) = schema_fields(&body, &path)?;
            self.named_references(&nested, depth + 1, out)?;
            if !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_string(), text));
            }
        }
        Ok(())
    }

    /// The referenced schemas, each parsed with its own references, in the order given.
    fn avro_references(&self, references: &[Value], depth: usize) -> Result<Vec<Schema>> {
        if references.is_empty() {
            return Ok(Vec::new());
        }
        if depth >= MAX_REFERENCE_DEPTH {
            return Err(ClientError::Config(format!(
                "schema references nested deeper than {MAX_REFERENCE_DEPTH}"
            )));
        }
        let mut out = Vec::with_capacity(references.len());
        for r in references {
            let subject = r.get("subject").and_then(Value::as_str);
            let version = r.get("version").and_then(Value::as_i64);
            let (Some(subject), Some(version)) = (subject, version) else {
                return Err(ClientError::Protocol {
                    url: self.endpoints[0].url.clone(),
                    message: format!("a schema reference without subject and version: {r}"),
                });
            };
            let path = format!("/subjects/{}/versions/{version}", segment(subject));
            let body = self.call("GET", &path, None)?;
            let (_, text, nested) = schema_fields(&body, &path)?;
            let nested = self.avro_references(&nested, depth + 1)?;
            let schema =
                Schema::parse_with_references(&text, &nested).map_err(|e| ClientError::Protocol {
                    url: format!("{}{path}", self.endpoints[0].url),
                    message: format!("referenced schema does not parse: {e}"),
                })?;
            out.push(schema);
        }
        Ok(out)
    }

    /// Registers `schema` under `subject` (or finds it there) and returns its id; asked once
    /// per subject and text.
    pub fn register(&self, subject: &str, schema_type: &str, schema: &str) -> Result<u32> {
        self.id_of("register", subject, schema_type, schema, || {
            format!("/subjects/{}/versions", segment(subject))
        })
    }

    /// The id of `schema` if it is registered under `subject` (Confluent's lookup, for
    /// writers with `auto.register.schemas` off); 40403 when it is not.
    pub fn lookup(&self, subject: &str, schema_type: &str, schema: &str) -> Result<u32> {
        self.id_of("lookup", subject, schema_type, schema, || {
            format!("/subjects/{}", segment(subject))
        })
    }

    fn id_of(
        &self,
        how: &str,
        subject: &str,
        schema_type: &str,
        schema: &str,
        path: impl FnOnce() -> String,
    ) -> Result<u32> {
        let key = (how.to_string(), subject.to_string(), schema.to_string());
        if let Some(id) = self.ids.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(*id);
        }
        let mut body = json!({ "schema": schema });
        if schema_type != "AVRO" {
            body["schemaType"] = json!(schema_type);
        }
        let path = path();
        let answer = self.call("POST", &path, Some(&body))?;
        let id = answer
            .get("id")
            .and_then(Value::as_u64)
            .and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| ClientError::Protocol {
                url: format!("{}{path}", self.endpoints[0].url),
                message: format!("no id in {answer}"),
            })?;
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, id);
        Ok(id)
    }
}

/// `schemaType` (absent: AVRO), `schema` and `references` of a schema answer.
fn schema_fields(body: &Value, path: &str) -> Result<(String, String, Vec<Value>)> {
    let text = body
        .get("schema")
        .and_then(Value::as_str)
        .ok_or_else(|| ClientError::Protocol {
            url: path.to_string(),
            message: format!("no schema in {body}"),
        })?;
    let schema_type = body
        .get("schemaType")
        .and_then(Value::as_str)
        .unwrap_or("AVRO")
        .to_string();
    let references = body
        .get("references")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok((schema_type, text.to_string(), references))
}

fn answer(base: &str, path: &str, response: Response) -> Result<Value> {
    let url = format!("{base}{path}");
    let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();
    if (200..300).contains(&response.status) {
        return parsed.ok_or_else(|| ClientError::Protocol {
            url,
            message: format!("a body that is not JSON: {}", excerpt(&response.body)),
        });
    }
    let code = parsed
        .as_ref()
        .and_then(|b| b.get("error_code"))
        .and_then(Value::as_i64)
        .unwrap_or(i64::from(response.status));
    let message = parsed
        .as_ref()
        .and_then(|b| b.get("message"))
        .and_then(Value::as_str)
        .map_or_else(|| excerpt(&response.body), str::to_string);
    Err(ClientError::Registry {
        url,
        status: response.status,
        code,
        message,
    })
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.into_owned(),
    }
}
