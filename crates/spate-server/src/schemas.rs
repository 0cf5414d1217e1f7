//! The schema registry as the dashboard's Schemas page reads it: a page of subjects (each with
//! its latest version, id, type and compatibility level) and one subject's versions with their
//! schema text.
//!
//! How the page gets its data: the binary serves the registry on a port of its own
//! (`--schema-registry-listen`), and hands the same in-process state ([`Service`]) to the
//! server ([`RegistrySlot::attach`]). The server's own read-only routes (`GET /schemas`,
//! `GET /schemas/subjects/{subject}`) answer from it, behind the server's guard and rights like
//! every other read route. The browser never calls the registry's port: that would be a
//! cross-origin request, with another authentication (basic auth against broker users, no
//! dashboard cookie) and no CORS headers. The registry starts after the server (it keeps its
//! state in the cluster's `_schemas` topic, and the cluster may be the server's embedded
//! broker), so the state is attached late, once; until then, and on a server without a
//! registry, the routes say there is none.
//!
//! Everything here is pure over a [`Registry`], so the shapes are tested without a server.

use std::sync::{Arc, OnceLock};

use serde::Serialize;
use spate_schema_registry::{Reference, Registry, RegistryError, Service, VersionSpec};

use crate::error::{Result, ServerError};

/// Subjects (or versions) in one answer unless the request asks for fewer.
pub const DEFAULT_LIMIT: usize = 100;
/// The most subjects (or versions) one answer holds: a registry with thousands of subjects
/// is paged, never sent whole.
pub const MAX_LIMIT: usize = 1000;

/// The registry the server reads, attached once after start (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct RegistrySlot(Arc<OnceLock<Arc<Service>>>);

impl RegistrySlot {
    /// Makes `service` the registry the routes read; a second registry is refused.
    pub fn attach(&self, service: Arc<Service>) -> Result<()> {
        self.0
            .set(service)
            .map_err(|_| ServerError::Start("the server already has a schema registry".into()))
    }

    /// The attached registry, if any.
    pub fn get(&self) -> Option<Arc<Service>> {
        self.0.get().cloned()
    }
}

/// Which part of a list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Items skipped.
    pub offset: usize,
    /// Items returned at most (1 ..= [`MAX_LIMIT`]).
    pub limit: usize,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            offset: 0,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// A compatibility level and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Level {
    /// `BACKWARD`, `FULL_TRANSITIVE`, ...
    pub level: &'static str,
    /// `subject` (set on the subject), `global` (set for the registry) or `default` (neither:
    /// Confluent's default, BACKWARD).
    pub source: &'static str,
}

/// One subject in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectSummary {
    /// The subject.
    pub subject: String,
    /// How many live versions it has.
    pub versions: usize,
    /// Its newest live version.
    pub latest_version: i32,
    /// That version's schema id.
    pub latest_id: i32,
    /// That version's schema type (`AVRO`, `JSON`, `PROTOBUF`).
    pub schema_type: &'static str,
    /// The level its new versions are checked against.
    pub compatibility: Level,
}

/// `GET /schemas`: a page of the subjects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectList {
    /// Whether the server has a registry (without one the rest is empty).
    pub registry: bool,
    /// The registry-wide level (`None` without a registry).
    pub compatibility: Option<Level>,
    /// Subjects matching the filter that the caller may see, on every page.
    pub total: usize,
    /// The page's first subject's position in those.
    pub offset: usize,
    /// The page size asked for.
    pub limit: usize,
    /// The page, sorted by name.
    pub subjects: Vec<SubjectSummary>,
}

impl SubjectList {
    /// The answer of a server without a registry: not an error, the page says so.
    pub fn without_registry(window: Window) -> Self {
        Self {
            registry: false,
            compatibility: None,
            total: 0,
            offset: window.offset,
            limit: window.limit,
            subjects: Vec::new(),
        }
    }
}

/// One version of a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionView {
    /// The version number.
    pub version: i32,
    /// Its schema's global id.
    pub id: i32,
    /// `AVRO`, `JSON` or `PROTOBUF`.
    pub schema_type: &'static str,
    /// The schema's text as registered (canonical); the page pretty-prints JSON and Avro.
    pub schema: String,
    /// Schemas it refers to.
    pub references: Vec<Reference>,
}

/// `GET /schemas/subjects/{subject}`: a subject's level and a page of its versions, newest
/// first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectDetail {
    /// The subject.
    pub subject: String,
    /// The level its new versions are checked against.
    pub compatibility: Level,
    /// How many live versions it has.
    pub total: usize,
    /// The page's first version's position (0: the newest).
    pub offset: usize,
    /// The page size asked for.
    pub limit: usize,
    /// The page, newest first.
    pub versions: Vec<VersionView>,
}

/// The registry-wide level.
pub fn global_level(registry: &Registry) -> Level {
    Level {
        level: registry.compatibility(None).name(),
        source: match registry.own_compatibility(None) {
            Some(_) => "global",
            None => "default",
        },
    }
}

/// The level that applies to `subject`, saying whose it is.
pub fn subject_level(registry: &Registry, subject: &str) -> Level {
    match registry.own_compatibility(Some(subject)) {
        Some(own) => Level {
            level: own.name(),
            source: "subject",
        },
        None => global_level(registry),
    }
}

/// The subjects whose name contains `filter` (ignoring case) and that `visible` lets the
/// caller see, `window` of them.
pub fn list(
    registry: &Registry,
    visible: &dyn Fn(&str) -> bool,
    filter: Option<&str>,
    window: Window,
) -> Result<SubjectList, RegistryError> {
    let needle = filter.map(str::to_lowercase).filter(|f| !f.is_empty());
    let matching: Vec<String> = registry
        .subjects(false)
        .into_iter()
        .filter(|s| needle.as_ref().is_none_or(|n| s.to_lowercase().contains(n)))
        .filter(|s| visible(s))
        .collect();
    let subjects = matching
        .iter()
        .skip(window.offset)
        .take(window.limit)
        .map(|s| summary(registry, s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SubjectList {
        registry: true,
        compatibility: Some(global_level(registry)),
        total: matching.len(),
        offset: window.offset,
        limit: window.limit,
        subjects,
    })
}

fn summary(registry: &Registry, subject: &str) -> Result<SubjectSummary, RegistryError> {
    let versions = registry.versions(subject, false)?;
    let latest = registry.version(subject, VersionSpec::Latest, false)?;
    Ok(SubjectSummary {
        subject: subject.to_string(),
        versions: versions.len(),
        latest_version: latest.version,
        latest_id: latest.id,
        schema_type: latest.schema.schema_type.name(),
        compatibility: subject_level(registry, subject),
    })
}

/// `subject`'s level and `window` of its live versions, newest first; an unknown (or wholly
/// deleted) subject is the registry's `SubjectNotFound`.
pub fn detail(registry: &Registry, subject: &str, window: Window) -> Result<SubjectDetail, RegistryError> {
    let numbers = registry.versions(subject, false)?;
    let versions = numbers
        .iter()
        .rev()
        .skip(window.offset)
        .take(window.limit)
        .map(|n| {
            let v = registry.version(subject, VersionSpec::Number(*n), false)?;
            Ok(VersionView {
                version: v.version,
                id: v.id,
                schema_type: v.schema.schema_type.name(),
                schema: v.schema.schema,
                references: v.schema.references,
            })
        })
        .collect::<Result<Vec<_>, RegistryError>>()?;
    Ok(SubjectDetail {
        subject: subject.to_string(),
        compatibility: subject_level(registry, subject),
        total: numbers.len(),
        offset: window.offset,
        limit: window.limit,
        versions,
    })
}

/// A registry refusal as the REST API answers it: what does not exist is a 404, anything else
/// (a poisoned state) a 500.
pub fn registry_error(e: RegistryError) -> ServerError {
    match e.status() {
        404 => ServerError::NotFound(e.to_string()),
        _ => ServerError::SchemaRegistry(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use spate_schema_registry::{Compatibility, NewSchema, SchemaType};

    use super::*;

    fn avro(schema: &str) -> NewSchema {
        NewSchema {
            schema_type: SchemaType::Avro,
            schema: schema.into(),
            references: vec![],
        }
    }

    fn register(registry: &mut Registry, subject: &str, schema: &str) -> i32 {
        let (id, writes) = registry.register(subject, &avro(schema)).unwrap();
        registry.apply_all(&writes);
        id
    }

    fn sample() -> Registry {
        let mut r = Registry::new();
        register(&mut r, "clicks-value", r#""string""#);
        let record = r#"{"type":"record","name":"O","fields":[{"name":"a","type":"long"}]}"#;
        register(&mut r, "orders-value", record);
        let grown = r#"{"type":"record","name":"O","fields":[{"name":"a","type":"long"},{"name":"b","type":"string","default":""}]}"#;
        register(&mut r, "orders-value", grown);
        let writes = r.set_compatibility(Some("clicks-value"), Some(Compatibility::Full));
        r.apply_all(&writes);
        r
    }

    #[test]
    fn subjects_are_listed_with_latest_version_and_whose_level_applies() {
        let r = sample();
        let page = list(&r, &|_| true, None, Window::default()).unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(page.compatibility.as_ref().unwrap().source, "default");
        let names: Vec<&str> = page.subjects.iter().map(|s| s.subject.as_str()).collect();
        assert_eq!(names, ["clicks-value", "orders-value"]);
        let clicks = &page.subjects[0];
        assert_eq!((clicks.versions, clicks.latest_id), (1, 1));
        assert_eq!(clicks.compatibility.level, "FULL");
        assert_eq!(clicks.compatibility.source, "subject");
        let orders = &page.subjects[1];
        assert_eq!(
            (orders.versions, orders.latest_version, orders.latest_id),
            (2, 2, 3)
        );
        assert_eq!(orders.schema_type, "AVRO");
        assert_eq!(
            orders.compatibility,
            Level {
                level: "BACKWARD",
                source: "default"
            }
        );
    }

    #[test]
    fn a_global_level_is_named_as_such() {
        let mut r = sample();
        let writes = r.set_compatibility(None, Some(Compatibility::None));
        r.apply_all(&writes);
        let orders = detail(&r, "orders-value", Window::default()).unwrap();
        assert_eq!(
            orders.compatibility,
            Level {
                level: "NONE",
                source: "global"
            }
        );
    }

    #[test]
    fn lists_are_paged_filtered_and_keep_only_visible_subjects() {
        let mut r = Registry::new();
        for i in 0..2500 {
            register(&mut r, &format!("t{i:04}-value"), r#""string""#);
        }
        let page = list(
            &r,
            &|_| true,
            None,
            Window {
                offset: 100,
                limit: 50,
            },
        )
        .unwrap();
        assert_eq!((page.total, page.subjects.len()), (2500, 50));
        assert_eq!(page.subjects[0].subject, "t0100-value");
        let filtered = list(&r, &|_| true, Some("T24"), Window::default()).unwrap();
        assert_eq!(filtered.total, 100);
        let visible = list(&r, &|s| s.starts_with("t000"), None, Window::default()).unwrap();
        assert_eq!(visible.total, 10);
        let past = list(
            &r,
            &|_| true,
            None,
            Window {
                offset: 9999,
                limit: 10,
            },
        )
        .unwrap();
        assert!(past.subjects.is_empty());
    }

    #[test]
    fn a_subject_shows_its_versions_newest_first() {
        let r = sample();
        let d = detail(&r, "orders-value", Window::default()).unwrap();
        assert_eq!(d.total, 2);
        let shown: Vec<(i32, i32)> = d.versions.iter().map(|v| (v.version, v.id)).collect();
        assert_eq!(shown, [(2, 3), (1, 2)]);
        assert!(d.versions[0].schema.contains("\"b\""), "{:?}", d.versions[0]);
        let one = detail(&r, "orders-value", Window { offset: 1, limit: 1 }).unwrap();
        assert_eq!(one.versions[0].version, 1);
    }

    #[test]
    fn an_unknown_subject_is_a_404() {
        let e = detail(&sample(), "nosuch", Window::default()).unwrap_err();
        assert_eq!(registry_error(e).status(), 404);
    }
}
