//! The registry's state and its rules, with no I/O: every change is computed as records for
//! the `_schemas` topic ([`Write`]), and the state changes only when those records are
//! [`applied`](Registry::apply) — after they were written, or while the topic is replayed at
//! start. So the topic is the truth and a restart rebuilds exactly what was acknowledged.

use std::collections::{BTreeMap, HashMap};

use crate::error::{RegistryError, Result};
use crate::records::{
    Compatibility, ConfigValue, Key, Mode, ModeValue, Reference, SchemaType, SchemaValue, SubjectDeleteValue,
};
use crate::types::Parsed;

/// One record to write to the topic: a key and a value, or a tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// The record's key.
    pub key: Key,
    /// Its value's JSON, or `None` for a tombstone.
    pub value: Option<Vec<u8>>,
}

impl Write {
    fn of<T: serde::Serialize>(key: Key, value: &T) -> Write {
        Write {
            key,
            value: Some(serde_json::to_vec(value).unwrap_or_default()),
        }
    }
}

/// A schema under its global id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSchema {
    /// Its type.
    pub schema_type: SchemaType,
    /// Its canonical text.
    pub schema: String,
    /// What it refers to.
    pub references: Vec<Reference>,
}

/// One version of a subject, as the REST API returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectVersion {
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
    /// The schema's id.
    pub id: i32,
    /// The schema.
    pub schema: StoredSchema,
    /// Soft-deleted.
    pub deleted: bool,
}

/// Which version a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSpec {
    /// `latest` or `-1`.
    Latest,
    /// A number (1 ..).
    Number(i32),
}

impl VersionSpec {
    /// A path segment: `latest`, `-1` or a positive number.
    pub fn parse(text: &str) -> Result<VersionSpec> {
        if text.eq_ignore_ascii_case("latest") {
            return Ok(VersionSpec::Latest);
        }
        match text.parse::<i32>() {
            Ok(-1) => Ok(VersionSpec::Latest),
            Ok(n) if n >= 1 => Ok(VersionSpec::Number(n)),
            _ => Err(RegistryError::InvalidVersion(text.to_string())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    id: i32,
    deleted: bool,
}

/// The whole registry.
#[derive(Debug, Default)]
pub struct Registry {
    schemas: BTreeMap<i32, StoredSchema>,
    subjects: BTreeMap<String, BTreeMap<i32, Entry>>,
    /// `None` is the global level.
    configs: HashMap<Option<String>, Compatibility>,
    modes: HashMap<Option<String>, Mode>,
}

/// A schema to register or look up, as a request gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSchema {
    /// Its type.
    pub schema_type: SchemaType,
    /// Its text.
    pub schema: String,
    /// What it refers to.
    pub references: Vec<Reference>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Applies one record read from (or just written to) the topic. Records that do not parse
    /// are skipped, as Confluent's store skips them.
    pub fn apply(&mut self, key: &Key, value: Option<&[u8]>) {
        match key {
            Key::Schema { subject, version, .. } => {
                match value.and_then(|v| serde_json::from_slice::<SchemaValue>(v).ok()) {
                    // An id already holding another schema keeps it: such a record is
                    // ignored, as Confluent's followers ignore it.
                    Some(v) if self.schemas.get(&v.id).is_some_and(|s| s.schema != v.schema) => {}
                    Some(v) => {
                        self.schemas.entry(v.id).or_insert_with(|| StoredSchema {
                            schema_type: v.schema_type,
                            schema: v.schema.clone(),
                            references: v.references.clone(),
                        });
                        self.subjects.entry(v.subject.clone()).or_default().insert(
                            v.version,
                            Entry {
                                id: v.id,
                                deleted: v.deleted,
                            },
                        );
                    }
                    None if value.is_none() => {
                        if let Some(versions) = self.subjects.get_mut(subject) {
                            versions.remove(version);
                            if versions.is_empty() {
                                self.subjects.remove(subject);
                            }
                        }
                    }
                    None => {}
                }
            }
            Key::Config { subject, .. } => {
                match value.and_then(|v| serde_json::from_slice::<ConfigValue>(v).ok()) {
                    Some(c) => {
                        self.configs.insert(subject.clone(), c.compatibility);
                    }
                    None => {
                        self.configs.remove(subject);
                    }
                }
            }
            Key::Mode { subject, .. } => {
                match value.and_then(|v| serde_json::from_slice::<ModeValue>(v).ok()) {
                    Some(m) => {
                        self.modes.insert(subject.clone(), m.mode);
                    }
                    None => {
                        self.modes.remove(subject);
                    }
                }
            }
            Key::DeleteSubject { subject, .. } => {
                if let Some(d) = value.and_then(|v| serde_json::from_slice::<SubjectDeleteValue>(v).ok())
                    && let Some(versions) = self.subjects.get_mut(subject)
                {
                    for (_, e) in versions.range_mut(..=d.version.unwrap_or(i32::MAX)) {
                        e.deleted = true;
                    }
                }
            }
            Key::ClearSubject { subject, .. } => {
                if let Some(d) = value.and_then(|v| serde_json::from_slice::<SubjectDeleteValue>(v).ok())
                    && let Some(versions) = self.subjects.get_mut(subject)
                {
                    versions.retain(|v, e| !(e.deleted && *v <= d.version.unwrap_or(i32::MAX)));
                    if versions.is_empty() {
                        self.subjects.remove(subject);
                    }
                }
            }
            Key::Noop { .. } => {}
        }
    }

    /// Applies records this registry computed (in tests and in a registry without a topic).
    pub fn apply_all(&mut self, writes: &[Write]) {
        for w in writes {
            self.apply(&w.key, w.value.as_deref());
        }
    }

    /// The highest id given so far (0 when none).
    pub fn max_id(&self) -> i32 {
        self.schemas.keys().next_back().copied().unwrap_or(0)
    }

    /// Subjects with a live version (with `deleted`, soft-deleted ones too), sorted.
    pub fn subjects(&self, deleted: bool) -> Vec<String> {
        self.subjects
            .iter()
            .filter(|(_, v)| deleted || v.values().any(|e| !e.deleted))
            .map(|(s, _)| s.clone())
            .collect()
    }

    fn versions_of(&self, subject: &str, deleted: bool) -> Result<Vec<(i32, Entry)>> {
        let list: Vec<(i32, Entry)> = self
            .subjects
            .get(subject)
            .map(|v| {
                v.iter()
                    .filter(|(_, e)| deleted || !e.deleted)
                    .map(|(n, e)| (*n, *e))
                    .collect()
            })
            .unwrap_or_default();
        if list.is_empty() {
            return Err(RegistryError::SubjectNotFound(subject.to_string()));
        }
        Ok(list)
    }

    /// A subject's version numbers.
    pub fn versions(&self, subject: &str, deleted: bool) -> Result<Vec<i32>> {
        Ok(self
            .versions_of(subject, deleted)?
            .into_iter()
            .map(|(n, _)| n)
            .collect())
    }

    fn subject_version(&self, subject: &str, version: i32, e: Entry) -> Result<SubjectVersion> {
        let schema = self
            .schemas
            .get(&e.id)
            .cloned()
            .ok_or_else(|| RegistryError::SchemaNotFound(format!("Schema {} not found", e.id)))?;
        Ok(SubjectVersion {
            subject: subject.to_string(),
            version,
            id: e.id,
            schema,
            deleted: e.deleted,
        })
    }

    /// One version of a subject (`latest`: the highest live one).
    pub fn version(&self, subject: &str, spec: VersionSpec, deleted: bool) -> Result<SubjectVersion> {
        let list = self.versions_of(subject, deleted)?;
        let found = match spec {
            VersionSpec::Latest => list.last().copied(),
            VersionSpec::Number(n) => list.iter().find(|(v, _)| *v == n).copied(),
        };
        let Some((v, e)) = found else {
            let shown = match spec {
                VersionSpec::Latest => "latest".to_string(),
                VersionSpec::Number(n) => n.to_string(),
            };
            return Err(RegistryError::VersionNotFound(shown));
        };
        self.subject_version(subject, v, e)
    }

    /// A schema by id.
    pub fn schema(&self, id: i32) -> Result<&StoredSchema> {
        self.schemas
            .get(&id)
            .ok_or_else(|| RegistryError::SchemaNotFound(format!("Schema {id} not found")))
    }

    /// Every (subject, version) holding the schema `id`.
    pub fn subject_versions_of(&self, id: i32, deleted: bool) -> Result<Vec<(String, i32)>> {
        self.schema(id)?;
        Ok(self
            .subjects
            .iter()
            .flat_map(|(s, versions)| {
                versions
                    .iter()
                    .filter(move |(_, e)| e.id == id && (deleted || !e.deleted))
                    .map(move |(v, _)| (s.clone(), *v))
            })
            .collect())
    }

    /// Ids of the schemas that refer to `subject`'s `version`.
    pub fn referenced_by(&self, subject: &str, version: i32) -> Vec<i32> {
        self.schemas
            .iter()
            .filter(|(_, s)| {
                s.references
                    .iter()
                    .any(|r| r.subject == subject && r.version == version)
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// The (name, text) of the schemas `references` name, transitively, dependencies first.
    fn reference_texts(
        &self,
        references: &[Reference],
        out: &mut Vec<(String, String)>,
        depth: usize,
    ) -> Result<()> {
        if depth > 32 {
            return Err(RegistryError::InvalidSchema(
                "references nested deeper than 32".into(),
            ));
        }
        for r in references {
            let v = self.reference(r)?;
            self.reference_texts(&v.schema.references, out, depth + 1)?;
            let named = (r.name.clone(), v.schema.schema);
            if !out.contains(&named) {
                out.push(named);
            }
        }
        Ok(())
    }

    /// The version a reference names (`-1`: the latest).
    fn reference(&self, r: &Reference) -> Result<SubjectVersion> {
        let spec = if r.version == -1 {
            VersionSpec::Latest
        } else {
            VersionSpec::Number(r.version)
        };
        self.version(&r.subject, spec, true).map_err(|_| {
            RegistryError::InvalidSchema(format!(
                "Invalid schema, details: No schema reference found for subject \"{}\" and version {}",
                r.subject, r.version
            ))
        })
    }

    /// References as stored: a `-1` version resolved to the number it means now.
    fn resolve_references(&self, references: &[Reference]) -> Result<Vec<Reference>> {
        references
            .iter()
            .map(|r| {
                Ok(Reference {
                    version: self.reference(r)?.version,
                    ..r.clone()
                })
            })
            .collect()
    }

    fn parse(&self, ty: SchemaType, text: &str, references: &[Reference]) -> Result<Parsed> {
        let mut texts = Vec::new();
        self.reference_texts(references, &mut texts, 0)?;
        Parsed::parse(ty, text, &texts)
    }

    /// The text of `schema` in the form a client asks for (`?format=`): for Protobuf,
    /// `serialized` is the base64 `FileDescriptorProto` confluent-kafka's clients decode; any
    /// other format, or type, is the stored text.
    pub fn formatted(&self, schema: &StoredSchema, format: Option<&str>) -> Result<String> {
        match (schema.schema_type, format) {
            (SchemaType::Protobuf, Some("serialized")) => {
                let parsed = self.parse(schema.schema_type, &schema.schema, &schema.references)?;
                Ok(parsed.serialized().unwrap_or_else(|| schema.schema.clone()))
            }
            _ => Ok(schema.schema.clone()),
        }
    }

    /// The version of `subject` whose schema is `new` (compared in canonical form).
    pub fn lookup(&self, subject: &str, new: &NewSchema, deleted: bool) -> Result<SubjectVersion> {
        let list = self.versions_of(subject, deleted)?;
        let parsed = self.parse(new.schema_type, &new.schema, &new.references)?;
        self.find_in(subject, list, &stored_form(new, &parsed))
    }

    /// The newest of `list` (versions of `subject`) holding `candidate`.
    fn find_in(
        &self,
        subject: &str,
        list: Vec<(i32, Entry)>,
        candidate: &StoredSchema,
    ) -> Result<SubjectVersion> {
        for (v, e) in list.into_iter().rev() {
            let sv = self.subject_version(subject, v, e)?;
            if sv.schema == *candidate {
                return Ok(sv);
            }
        }
        Err(RegistryError::SchemaNotFound("Schema not found".into()))
    }

    /// The compatibility level that applies to `subject`: its own, else the global one, else
    /// BACKWARD (Confluent's default).
    pub fn compatibility(&self, subject: Option<&str>) -> Compatibility {
        subject
            .and_then(|s| self.configs.get(&Some(s.to_string())))
            .or_else(|| self.configs.get(&None))
            .copied()
            .unwrap_or(Compatibility::Backward)
    }

    /// The level set on exactly this subject (or globally for `None`).
    pub fn own_compatibility(&self, subject: Option<&str>) -> Option<Compatibility> {
        self.configs.get(&subject.map(str::to_string)).copied()
    }

    /// The mode set on exactly this subject.
    pub fn own_mode(&self, subject: &str) -> Option<Mode> {
        self.modes.get(&Some(subject.to_string())).copied()
    }

    /// The mode that applies to `subject` (READWRITE by default).
    pub fn mode(&self, subject: Option<&str>) -> Mode {
        subject
            .and_then(|s| self.modes.get(&Some(s.to_string())))
            .or_else(|| self.modes.get(&None))
            .copied()
            .unwrap_or(Mode::Readwrite)
    }

    /// Sets (or with `None` removes) a compatibility level.
    pub fn set_compatibility(&self, subject: Option<&str>, level: Option<Compatibility>) -> Vec<Write> {
        let key = Key::Config {
            subject: subject.map(str::to_string),
            magic: 0,
        };
        match level {
            Some(compatibility) => vec![Write::of(
                key,
                &ConfigValue {
                    subject: subject.map(str::to_string),
                    compatibility,
                },
            )],
            None => vec![Write { key, value: None }],
        }
    }

    /// Sets (or with `None` removes) a mode.
    pub fn set_mode(&self, subject: Option<&str>, mode: Option<Mode>) -> Vec<Write> {
        let key = Key::Mode {
            subject: subject.map(str::to_string),
            magic: 0,
        };
        match mode {
            Some(mode) => vec![Write::of(
                key,
                &ModeValue {
                    subject: subject.map(str::to_string),
                    mode,
                },
            )],
            None => vec![Write { key, value: None }],
        }
    }

    fn writable(&self, subject: &str) -> Result<()> {
        match self.mode(Some(subject)) {
            Mode::Readwrite | Mode::Import => Ok(()),
            // Confluent names the context, empty for the default one (hence two spaces).
            Mode::Readonly | Mode::ReadonlyOverride => Err(RegistryError::OperationNotPermitted(format!(
                "Subject {subject} in context  is in read-only mode"
            ))),
        }
    }

    /// Why `new` may not join `subject` under its level: Confluent's messages, empty when it
    /// may. `against` limits the check to one version (the compatibility endpoint).
    pub fn check(&self, subject: &str, new: &NewSchema, against: Option<VersionSpec>) -> Result<Vec<String>> {
        let parsed = self.parse(new.schema_type, &new.schema, &new.references)?;
        self.check_parsed(subject, &parsed, new.schema_type, against)
    }

    /// [`check`](Self::check) of a schema already parsed.
    fn check_parsed(
        &self,
        subject: &str,
        parsed: &Parsed,
        schema_type: SchemaType,
        against: Option<VersionSpec>,
    ) -> Result<Vec<String>> {
        let level = self.compatibility(Some(subject));
        let live = self.versions_of(subject, false).unwrap_or_default();
        // (version, id), newest first.
        let previous: Vec<(i32, i32)> = match against {
            Some(spec) => {
                let v = self.version(subject, spec, false)?;
                vec![(v.version, v.id)]
            }
            None if level.transitive() => live.iter().rev().map(|(v, e)| (*v, e.id)).collect(),
            None => live.last().map(|(v, e)| (*v, e.id)).into_iter().collect(),
        };
        if level == Compatibility::None {
            return Ok(Vec::new());
        }
        for (version, id) in previous {
            let old = self.schema(id)?;
            let mut messages = Vec::new();
            if old.schema_type != schema_type {
                messages.push("Incompatible because of different schema type".to_string());
            } else {
                let old_parsed = self.parse(old.schema_type, &old.schema, &old.references)?;
                // Confluent's order for FULL: the forward problems, then the backward ones.
                if level.forward() {
                    messages.extend(old_parsed.incompatibilities(parsed, false));
                }
                if level.backward() {
                    messages.extend(parsed.incompatibilities(&old_parsed, true));
                }
            }
            if !messages.is_empty() {
                messages.push(format!("{{oldSchemaVersion: {version}}}"));
                messages.push(old_schema_message(&old.schema));
                messages.push(format!(
                    "{{validateFields: 'false', compatibility: '{}'}}",
                    level.name()
                ));
                // Transitive levels stop at the newest version that fails.
                return Ok(messages);
            }
        }
        Ok(Vec::new())
    }

    /// Registers `new` under `subject`: the existing version when the subject already has this
    /// schema; else, when compatible, a new version with the id this schema has anywhere in the
    /// registry, or the next free id.
    pub fn register(&self, subject: &str, new: &NewSchema) -> Result<(i32, Vec<Write>)> {
        valid_subject(subject)?;
        self.writable(subject)?;
        let resolved = NewSchema {
            references: self.resolve_references(&new.references)?,
            ..new.clone()
        };
        let new = &resolved;
        let parsed = self.parse(new.schema_type, &new.schema, &new.references)?;
        let candidate = stored_form(new, &parsed);
        if let Ok(list) = self.versions_of(subject, false)
            && let Ok(existing) = self.find_in(subject, list, &candidate)
        {
            return Ok((existing.id, Vec::new()));
        }
        let messages = self.check_parsed(subject, &parsed, new.schema_type, None)?;
        if !messages.is_empty() {
            return Err(RegistryError::Incompatible(format!(
                "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
                messages.join(", ")
            )));
        }
        let id = self
            .schemas
            .iter()
            .find(|(_, s)| **s == candidate)
            .map(|(id, _)| *id)
            .unwrap_or(self.max_id() + 1);
        // Versions keep rising past deleted ones.
        let version = self
            .subjects
            .get(subject)
            .and_then(|v| v.keys().next_back().copied())
            .unwrap_or(0)
            + 1;
        let value = SchemaValue {
            subject: subject.to_string(),
            version,
            id,
            schema_type: candidate.schema_type,
            references: candidate.references,
            schema: candidate.schema,
            deleted: false,
        };
        let key = Key::Schema {
            subject: subject.to_string(),
            version,
            magic: 1,
        };
        Ok((id, vec![Write::of(key, &value)]))
    }

    /// Deletes one version: soft (marked deleted) or, after a soft delete, permanently.
    pub fn delete_version(
        &self,
        subject: &str,
        spec: VersionSpec,
        permanent: bool,
    ) -> Result<(i32, Vec<Write>)> {
        self.writable(subject)?;
        // `latest` is the latest live version; a number may name a soft-deleted one.
        let v = match spec {
            VersionSpec::Latest => self.version(subject, spec, false)?,
            VersionSpec::Number(_) => self.version(subject, spec, true)?,
        };
        if v.deleted && !permanent {
            return Err(RegistryError::VersionSoftDeleted {
                subject: subject.to_string(),
                version: v.version,
            });
        }
        if !self.referenced_by(subject, v.version).is_empty() {
            return Err(RegistryError::ReferenceExists {
                subject: subject.to_string(),
                version: v.version,
            });
        }
        let key = Key::Schema {
            subject: subject.to_string(),
            version: v.version,
            magic: 1,
        };
        if permanent {
            if !v.deleted {
                return Err(RegistryError::VersionNotSoftDeleted {
                    subject: subject.to_string(),
                    version: v.version,
                });
            }
            return Ok((v.version, vec![Write { key, value: None }]));
        }
        let value = SchemaValue {
            subject: subject.to_string(),
            version: v.version,
            id: v.id,
            schema_type: v.schema.schema_type,
            references: v.schema.references,
            schema: v.schema.schema,
            deleted: true,
        };
        Ok((v.version, vec![Write::of(key, &value)]))
    }

    /// Deletes a subject: soft (every version marked deleted) or, after a soft delete,
    /// permanently (every version removed, and its level and mode).
    pub fn delete_subject(&self, subject: &str, permanent: bool) -> Result<(Vec<i32>, Vec<Write>)> {
        self.writable(subject)?;
        let all = self.versions_of(subject, true)?;
        let live: Vec<i32> = all.iter().filter(|(_, e)| !e.deleted).map(|(v, _)| *v).collect();
        for (v, _) in &all {
            if !self.referenced_by(subject, *v).is_empty() {
                return Err(RegistryError::ReferenceExists {
                    subject: subject.to_string(),
                    version: *v,
                });
            }
        }
        if permanent {
            if !live.is_empty() {
                return Err(RegistryError::SubjectNotSoftDeleted(subject.to_string()));
            }
            let mut writes: Vec<Write> = all
                .iter()
                .map(|(v, _)| Write {
                    key: Key::Schema {
                        subject: subject.to_string(),
                        version: *v,
                        magic: 1,
                    },
                    value: None,
                })
                .collect();
            if self.own_compatibility(Some(subject)).is_some() {
                writes.extend(self.set_compatibility(Some(subject), None));
            }
            if self.modes.contains_key(&Some(subject.to_string())) {
                writes.extend(self.set_mode(Some(subject), None));
            }
            return Ok((all.iter().map(|(v, _)| *v).collect(), writes));
        }
        if live.is_empty() {
            return Err(RegistryError::SubjectSoftDeleted(subject.to_string()));
        }
        let latest = live.last().copied().unwrap_or(0);
        let key = Key::DeleteSubject {
            subject: subject.to_string(),
            magic: 0,
        };
        let value = SubjectDeleteValue {
            subject: subject.to_string(),
            version: Some(latest),
        };
        Ok((live, vec![Write::of(key, &value)]))
    }
}

/// The old schema in a compatibility message; Confluent truncates it past 10240 characters.
fn old_schema_message(schema: &str) -> String {
    const LIMIT: usize = 10240;
    match schema.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{{oldSchema: <truncated> '{}...'}}", &schema[..cut]),
        None => format!("{{oldSchema: '{schema}'}}"),
    }
}

/// Confluent's subject rule: no control characters, not a reserved name.
pub(crate) fn valid_subject(subject: &str) -> Result<()> {
    if subject.chars().any(char::is_control) || subject == "__GLOBAL" || subject == "__EMPTY" {
        return Err(RegistryError::InvalidSubject(subject.to_string()));
    }
    Ok(())
}

/// `new` as the registry would store it (its canonical text), to compare with stored schemas.
fn stored_form(new: &NewSchema, parsed: &Parsed) -> StoredSchema {
    StoredSchema {
        schema_type: new.schema_type,
        schema: parsed.canonical(),
        references: new.references.clone(),
    }
}
