//! What the formats that keep their schemas in a schema registry share (`avro-confluent`,
//! `debezium-avro-confluent`, `protobuf-confluent`): Flink's registry options, the client they
//! configure, the writer's schema id, and which failures are the registry's rather than the
//! record's.
//!
//! Options (Flink's): `url` (required; several, comma-separated, are tried in order),
//! `subject`, `auto.register.schemas`, `basic-auth.credentials-source` (`USER_INFO` or `URL`)
//! with `basic-auth.user-info`, `bearer-auth.credentials-source` (`STATIC_TOKEN`) with
//! `bearer-auth.token`, `ssl.truststore.location` and `ssl.keystore.location` (PEM files, not
//! JKS: the `.password` options are accepted and unused).

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::LocalKey;

use spate_registry_client::{Auth, ClientConfig, ClientError, RegistryClient};

use super::FormatError;
use super::options::FormatOptions;
use crate::error::SqlError;

/// The options every registry format takes.
pub(super) const OPTIONS: &[&str] = &[
    "url",
    "schema-registry.url",
    "subject",
    "schema-registry.subject",
    "auto.register.schemas",
    "basic-auth.credentials-source",
    "basic-auth.user-info",
    "bearer-auth.credentials-source",
    "bearer-auth.token",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ignore-parse-errors",
];

/// The start of every error that comes from the registry's absence rather than from the
/// record: such a record is never skipped, even with `ignore-parse-errors`.
const UNAVAILABLE: &str = "schema registry unavailable: ";

/// Whether `e` is the registry's absence (see [`UNAVAILABLE`]).
pub(super) fn unavailable(e: &FormatError) -> bool {
    e.0.starts_with(UNAVAILABLE)
}

/// The client the options configure.
pub(super) fn client(opts: &FormatOptions<'_>) -> Result<RegistryClient, SqlError> {
    let url = opts
        .get("url")
        .or_else(|| opts.get("schema-registry.url"))
        .ok_or_else(|| opts.error(format!("Could not find required option '{}'.", opts.name("url"))))?;
    let mut config = ClientConfig::new(url);
    config.auth = auth(opts, &mut config.urls)?;
    config.trust_pem = opts.get("ssl.truststore.location").map(PathBuf::from);
    config.identity_pem = opts.get("ssl.keystore.location").map(PathBuf::from);
    RegistryClient::new(&config).map_err(|e| opts.error(e.to_string()))
}

/// The subject the writer registers under, when the options (or the connector's default) name
/// one.
fn subject(opts: &FormatOptions<'_>) -> Option<String> {
    opts.get("subject")
        .or_else(|| opts.get("schema-registry.subject"))
        .map(str::to_string)
}

/// A writer's schema and the id it has under its subject, asked of the registry once (on the
/// first record written, so that a table only read never registers anything).
#[derive(Debug)]
pub(super) struct Registration {
    subject: Option<String>,
    subject_option: String,
    auto_register: bool,
    schema_type: &'static str,
    text: String,
    id: OnceLock<u32>,
}

impl Registration {
    /// The registration of `text` (of `schema_type`) as the options configure it.
    pub(super) fn new(
        opts: &FormatOptions<'_>,
        schema_type: &'static str,
        text: String,
    ) -> Result<Registration, SqlError> {
        Ok(Registration {
            subject: subject(opts),
            subject_option: opts.name("subject"),
            auto_register: opts.flag("auto.register.schemas", true)?,
            schema_type,
            text,
            id: OnceLock::new(),
        })
    }

    /// The schema's id: registered (or looked up) on the first call.
    pub(super) fn id(&self, client: &RegistryClient) -> Result<u32, FormatError> {
        if let Some(id) = self.id.get() {
            return Ok(*id);
        }
        let id = writer_id(
            client,
            self.subject.as_deref(),
            &self.subject_option,
            self.auto_register,
            self.schema_type,
            &self.text,
        )?;
        Ok(*self.id.get_or_init(|| id))
    }
}

/// One thread's copies of the readings (how one writer schema's records are read) it used, by
/// (format instance, schema id); each format keeps one such `thread_local!`.
pub(super) type LocalReadings<R> = RefCell<Vec<(u64, u32, Arc<R>)>>;

/// Entries of one thread's reading cache at most (then it starts over).
const LOCAL_CAPACITY: usize = 64;

static INSTANCES: AtomicU64 = AtomicU64::new(0);

/// A key for a format instance in its [`LocalReadings`]: unique per instance and never reused,
/// unlike an address.
pub(super) fn next_instance() -> u64 {
    INSTANCES.fetch_add(1, Ordering::Relaxed)
}

/// `read` applied to the reading of schema `id` for format `instance`: this thread's copy when
/// it has one, else `fetch`'s (the shared map or the registry), then kept for this thread. The
/// copy is found without touching the shared lock or reference count, whose cache line two
/// workers otherwise bounce between them on every record (a quarter of an Avro source's time
/// in a profile).
pub(super) fn with_local_reading<R, T>(
    local: &'static LocalKey<LocalReadings<R>>,
    instance: u64,
    id: u32,
    fetch: impl FnOnce() -> Result<Arc<R>, FormatError>,
    mut read: impl FnMut(&R) -> Result<T, FormatError>,
) -> Result<T, FormatError> {
    let found = local.with_borrow(|cache| {
        cache
            .iter()
            .find(|(i, schema, _)| *i == instance && *schema == id)
            .map(|(_, _, r)| read(r))
    });
    if let Some(result) = found {
        return result;
    }
    let reading = fetch()?;
    let result = read(&reading);
    local.with_borrow_mut(|cache| {
        if cache.len() >= LOCAL_CAPACITY {
            cache.clear();
        }
        cache.push((instance, id, reading));
    });
    result
}

/// The id of the writer's schema `text` under `subject`: registered, or looked up when
/// `auto_register` is off. `subject_option` names the option in the error when there is no
/// subject.
fn writer_id(
    client: &RegistryClient,
    subject: Option<&str>,
    subject_option: &str,
    auto_register: bool,
    schema_type: &str,
    text: &str,
) -> Result<u32, FormatError> {
    let Some(subject) = subject else {
        return Err(FormatError(format!(
            "Option {subject_option} is required for serialization"
        )));
    };
    let result = if auto_register {
        client.register(subject, schema_type, text)
    } else {
        client.lookup(subject, schema_type, text)
    };
    result.map_err(|e| {
        let what = if auto_register {
            "registering"
        } else {
            "looking up"
        };
        let message = format!("{what} the table's schema under subject '{subject}': {e}");
        match e {
            ClientError::Registry { .. } => FormatError(message),
            _ => FormatError(format!("{UNAVAILABLE}{message}")),
        }
    })
}

/// A registry error while fetching schema `id`: the id's own fault (unknown, unparsable),
/// or the registry's absence.
pub(super) fn schema_error(id: u32, e: &ClientError) -> FormatError {
    match e {
        ClientError::Registry { code: 40403, .. } => FormatError(format!("unknown schema id {id}: {e}")),
        ClientError::Schema { .. } => FormatError(format!("schema id {id} does not parse: {e}")),
        _ => FormatError(format!("{UNAVAILABLE}fetching schema id {id}: {e}")),
    }
}

/// The credentials the options give; `URL` takes them from the URLs' `user:password@`.
fn auth(opts: &FormatOptions<'_>, urls: &mut [String]) -> Result<Auth, SqlError> {
    let source = opts.get("basic-auth.credentials-source");
    let bearer = opts.get("bearer-auth.credentials-source");
    if let Some(b) = bearer
        && !b.eq_ignore_ascii_case("STATIC_TOKEN")
    {
        return Err(opts.error(format!(
            "option '{}': '{b}' is not supported; Spate supports STATIC_TOKEN",
            opts.name("bearer-auth.credentials-source")
        )));
    }
    if let Some(token) = opts.get("bearer-auth.token") {
        return Ok(Auth::Bearer(token.to_string()));
    }
    if bearer.is_some() {
        return Err(opts.error(format!("option '{}' is missing", opts.name("bearer-auth.token"))));
    }
    match source.map(str::to_ascii_uppercase).as_deref() {
        None | Some("USER_INFO") => match opts.get("basic-auth.user-info") {
            Some(info) => {
                let (user, password) = info.split_once(':').ok_or_else(|| {
                    opts.error(format!(
                        "option '{}' takes 'user:password'",
                        opts.name("basic-auth.user-info")
                    ))
                })?;
                Ok(Auth::Basic {
                    user: user.to_string(),
                    password: password.to_string(),
                })
            }
            None if source.is_some() => Err(opts.error(format!(
                "option '{}' is missing",
                opts.name("basic-auth.user-info")
            ))),
            None => Ok(Auth::None),
        },
        Some("URL") => {
            let mut found = None;
            for url in urls.iter_mut() {
                let Some((scheme, rest)) = url.split_once("://") else {
                    continue;
                };
                let authority_end = rest.find('/').unwrap_or(rest.len());
                if let Some(at) = rest[..authority_end].rfind('@') {
                    let info = &rest[..at];
                    if let Some((user, password)) = info.split_once(':') {
                        found = Some(Auth::Basic {
                            user: user.to_string(),
                            password: password.to_string(),
                        });
                    }
                    *url = format!("{scheme}://{}", &rest[at + 1..]);
                }
            }
            found.ok_or_else(|| {
                opts.error(format!(
                    "basic-auth.credentials-source URL needs 'user:password@' in {}",
                    opts.name("url")
                ))
            })
        }
        Some(other) => Err(opts.error(format!(
            "option '{}': '{other}' is not supported; Spate supports USER_INFO and URL",
            opts.name("basic-auth.credentials-source")
        ))),
    }
}
