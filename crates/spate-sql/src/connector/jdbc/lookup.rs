//! Lookups of a `jdbc` table (Flink's `JdbcRowDataLookupFunction`): the rows whose key columns
//! equal a probe row's values, `SELECT cols FROM t WHERE k1 = $1 AND k2 = $2`, prepared once
//! per connection, through the partial cache when the table has one (`cache.rs`).
//!
//! A batch of probe rows is looked up at once: the keys of the batch the cache does not hold go
//! in one query, `WHERE k = ANY($1)` with one key column, `WHERE (k1, k2) IN (SELECT * FROM
//! unnest($1::int4[], $2::text[]))` with several: one round trip instead of one per key
//! (Flink's lookup function queries once per probe row).
//!
//! Retries as Flink's: up to `lookup.max-retries` more attempts, sleeping `1000 * i` ms before
//! attempt `i` and reconnecting when the connection broke; like the sink, only failures a
//! retry may cure are retried (`writer::retryable`), the others fail the job at once.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Statement};

use super::bind::Param;
use super::cache::{CacheSpec, LookupCache};
use super::decode::{ReadColumn, check_columns, row_of};
use super::writer::{describe, retryable};
use crate::types::{DataType, TypeKind};
use crate::value::{Row, Value};

/// The rows found for one key.
pub(crate) type Found = Arc<[Row]>;

/// What every subtask's lookups share.
#[derive(Debug, Clone)]
pub(crate) struct LookupSpec {
    /// How messages name the table: Spate's name and PostgreSQL's.
    pub(crate) name: String,
    pub(crate) config: Config,
    pub(crate) table: String,
    /// The columns read, key columns among them.
    pub(crate) columns: Vec<ReadColumn>,
    /// The width of the table's rows.
    pub(crate) width: usize,
    /// The key columns: their names, types and places in the table's rows.
    pub(crate) keys: Vec<ReadColumn>,
    pub(crate) max_retries: u32,
    pub(crate) cache: Option<CacheSpec>,
}

/// One subtask's lookups.
pub(crate) struct JdbcLookup {
    spec: Arc<LookupSpec>,
    client: Option<Client>,
    /// `WHERE k1 = $1 AND ..` (a batch of one key), and the batched query.
    one: Option<Statement>,
    many: Option<Statement>,
    cache: Option<LookupCache>,
}

impl fmt::Debug for JdbcLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JdbcLookup")
            .field("table", &self.spec.name)
            .finish_non_exhaustive()
    }
}

/// A subtask's copy: no connection, an empty cache.
impl Clone for JdbcLookup {
    fn clone(&self) -> Self {
        Self::new(Arc::clone(&self.spec))
    }
}

/// A failed lookup: whether a retry may cure it, and why.
struct Failure {
    retry: bool,
    message: String,
}

impl From<postgres::Error> for Failure {
    fn from(e: postgres::Error) -> Self {
        Failure {
            retry: retryable(&e),
            message: describe(&e),
        }
    }
}

impl JdbcLookup {
    pub(crate) fn new(spec: Arc<LookupSpec>) -> Self {
        let cache = spec.cache.clone().map(LookupCache::new);
        Self {
            spec,
            client: None,
            one: None,
            many: None,
            cache,
        }
    }

    /// The rows of each of `keys` (a key with a `NULL` part finds nothing, as `=` never holds
    /// on `NULL`). `Err`: the job's failure message, naming the table.
    pub(crate) fn lookup_all(&mut self, keys: &[Vec<Value>]) -> Result<Vec<Found>, String> {
        let now = Instant::now();
        let empty: Found = Vec::new().into();
        let mut found: Vec<Option<Found>> = Vec::with_capacity(keys.len());
        let mut missing: Vec<&Vec<Value>> = Vec::new();
        let mut asked: HashSet<&Vec<Value>> = HashSet::new();
        for key in keys {
            let hit = if key.iter().any(|v| matches!(v, Value::Null)) {
                Some(Arc::clone(&empty))
            } else {
                self.cache.as_mut().and_then(|c| c.get(key, now))
            };
            if hit.is_none() && asked.insert(key) {
                missing.push(key);
            }
            found.push(hit);
        }
        if !missing.is_empty() {
            let answers = self.with_retries(&missing)?;
            let now = Instant::now();
            for (key, rows) in missing.iter().zip(&answers) {
                if let Some(cache) = self.cache.as_mut() {
                    cache.put((*key).clone(), Arc::clone(rows), now);
                }
            }
            let by_key: HashMap<&Vec<Value>, &Found> = missing.iter().copied().zip(&answers).collect();
            for (slot, key) in found.iter_mut().zip(keys) {
                if slot.is_none() {
                    *slot = by_key.get(key).map(|r| Arc::clone(r));
                }
            }
        }
        Ok(found
            .into_iter()
            .map(|f| f.unwrap_or_else(|| Arc::clone(&empty)))
            .collect())
    }

    /// `keys`' rows, with Flink's retries (see the module docs).
    fn with_retries(&mut self, keys: &[&Vec<Value>]) -> Result<Vec<Found>, String> {
        let mut attempt: u32 = 0;
        loop {
            let failure = match self.attempt(keys) {
                Ok(rows) => return Ok(rows),
                Err(f) => f,
            };
            if !failure.retry {
                return Err(format!("{}: lookup failed: {}", self.spec.name, failure.message));
            }
            if attempt >= self.spec.max_retries {
                return Err(format!(
                    "{}: lookup failed after {} retries: {}",
                    self.spec.name, self.spec.max_retries, failure.message
                ));
            }
            if self.client.as_ref().is_none_or(Client::is_closed) {
                self.client = None;
            }
            std::thread::sleep(Duration::from_millis(1000 * u64::from(attempt)));
            attempt += 1;
        }
    }

    fn attempt(&mut self, keys: &[&Vec<Value>]) -> Result<Vec<Found>, Failure> {
        self.prepare()?;
        let spec = Arc::clone(&self.spec);
        let read = |rows: Vec<postgres::Row>| -> Result<Vec<Row>, Failure> {
            rows.iter()
                .map(|r| row_of(r, &spec.columns, spec.width))
                .collect::<Result<_, _>>()
                .map_err(|message| Failure {
                    retry: false,
                    message,
                })
        };
        match (self.many.clone(), keys) {
            (Some(many), [_, _, ..]) => {
                // One array per key column: the i-th elements make the i-th key.
                let arrays: Vec<(Value, TypeKind)> = spec
                    .keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        let values = keys.iter().map(|key| key[i].clone()).collect();
                        (
                            Value::Array(values),
                            TypeKind::Array(Box::new(DataType::new(k.ty.clone()))),
                        )
                    })
                    .collect();
                let params: Vec<Param<'_>> = arrays.iter().map(|(value, ty)| Param { value, ty }).collect();
                let refs: Vec<&(dyn ToSql + Sync)> =
                    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
                let rows = read(self.client()?.query(&many, &refs)?)?;
                let mut by_key: HashMap<Vec<Value>, Vec<Row>> = HashMap::new();
                for row in rows {
                    let key = spec.keys.iter().map(|k| row[k.index].clone()).collect();
                    by_key.entry(key).or_default().push(row);
                }
                Ok(keys
                    .iter()
                    .map(|k| by_key.remove(*k).unwrap_or_default().into())
                    .collect())
            }
            _ => {
                let one = self.one.clone().ok_or_else(|| Failure {
                    retry: false,
                    message: "internal error: the lookup statement is not prepared".into(),
                })?;
                let mut out = Vec::with_capacity(keys.len());
                for key in keys {
                    let params: Vec<Param<'_>> = key
                        .iter()
                        .zip(&spec.keys)
                        .map(|(value, k)| Param { value, ty: &k.ty })
                        .collect();
                    let refs: Vec<&(dyn ToSql + Sync)> =
                        params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
                    out.push(read(self.client()?.query(&one, &refs)?)?.into());
                }
                Ok(out)
            }
        }
    }

    fn client(&mut self) -> Result<&mut Client, Failure> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.one = None;
            self.many = None;
            let client = self.spec.config.connect(NoTls).map_err(|e| Failure {
                retry: retryable(&e),
                message: format!("cannot connect to PostgreSQL: {}", describe(&e)),
            })?;
            self.client = Some(client);
        }
        self.client.as_mut().ok_or_else(|| Failure {
            retry: true,
            message: "no connection".into(),
        })
    }

    /// Prepares the statements once per connection, checking the columns' types.
    fn prepare(&mut self) -> Result<(), Failure> {
        self.client()?;
        if self.one.is_some() {
            return Ok(());
        }
        let spec = Arc::clone(&self.spec);
        let names: Vec<&str> = spec.columns.iter().map(|c| c.name.as_str()).collect();
        let select = format!("SELECT {} FROM {}", names.join(", "), spec.table);
        let conditions: Vec<String> = spec
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{} = ${}", k.name, i + 1))
            .collect();
        let one = self
            .client()?
            .prepare(&format!("{select} WHERE {}", conditions.join(" AND ")))?;
        check_columns(&spec.columns, &one).map_err(|message| Failure {
            retry: false,
            message,
        })?;
        let many = match spec.keys.as_slice() {
            [key] => format!("{select} WHERE {} = ANY($1)", key.name),
            // Several columns: the keys as parallel arrays, typed as PostgreSQL typed the
            // single lookup's parameters (`unnest` of untyped parameters has no type).
            keys => {
                let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
                let arrays: Vec<String> = one
                    .params()
                    .iter()
                    .enumerate()
                    .map(|(i, ty)| format!("${}::\"{}\".\"{}\"[]", i + 1, ty.schema(), ty.name()))
                    .collect();
                format!(
                    "{select} WHERE ({}) IN (SELECT * FROM unnest({}))",
                    names.join(", "),
                    arrays.join(", ")
                )
            }
        };
        self.many = Some(self.client()?.prepare(&many)?);
        self.one = Some(one);
        Ok(())
    }
}
