//! Who may do what: each request classified as an operation on a subject (or on the whole
//! registry), asked of an [`Authorizer`], and lists answered with only what the caller may see.
//!
//! The operations are the registry's own; the binary maps them onto the broker's ACLs (see
//! docs/broker.md). A request the caller may not make is refused with Confluent's 403 body
//! (`{"error_code":40301,"message":"User is denied operation Write on Subject: s"}`).

use std::net::IpAddr;

use axum::http::Method;

/// What a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectOperation {
    /// Read a subject's versions, schemas, level or mode; look a schema up; test one.
    Read,
    /// Register a schema under a subject.
    Write,
    /// Delete a subject or a version.
    Delete,
    /// Set or clear a subject's compatibility level or mode (the registry's, without one).
    Configure,
}

impl SubjectOperation {
    /// As Confluent's messages name it.
    pub fn name(self) -> &'static str {
        match self {
            SubjectOperation::Read => "Read",
            SubjectOperation::Write => "Write",
            SubjectOperation::Delete => "Delete",
            SubjectOperation::Configure => "AlterConfigs",
        }
    }
}

/// Decides what an authenticated user may do.
///
/// Contract: `subject` is `None` for the registry as a whole (its global level and mode).
/// Must not block: it runs on the request's task.
pub trait Authorizer: Send + Sync {
    /// Whether `user` from `peer` may do `operation` on `subject`.
    fn allows(
        &self,
        user: &str,
        peer: Option<IpAddr>,
        operation: SubjectOperation,
        subject: Option<&str>,
    ) -> bool;
}

/// The Kafka topic whose ACLs govern `subject` (Confluent's TopicNameStrategy: `orders-value`
/// and `orders-key` belong to `orders`; any other subject to the topic of its own name). One
/// definition, so the registry's own port and the server's dashboard grant the same subjects.
pub fn topic_of(subject: &str) -> &str {
    subject
        .strip_suffix("-value")
        .or_else(|| subject.strip_suffix("-key"))
        .unwrap_or(subject)
}

/// What a request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Need {
    /// Nothing beyond logging in (`/`, `/schemas/types`, the global level and mode read).
    Nothing,
    /// One operation on one subject (`None`: the registry).
    Operation(SubjectOperation, Option<String>),
    /// `/subjects`: the answer lists only subjects the user may read.
    SubjectList,
    /// `/schemas/ids/{id}...`: some subject holding the id must be readable; lists of
    /// subjects or versions keep only readable ones.
    SchemaId(i32),
}

/// What `method` on `path` (still percent-encoded) needs.
pub(crate) fn need(method: &Method, path: &str) -> Need {
    let segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let read = *method == Method::GET;
    use SubjectOperation::*;
    let on = |op, subject: &str| Need::Operation(op, Some(subject.to_string()));
    match (method.as_str(), seg.as_slice()) {
        (_, ["subjects"]) => Need::SubjectList,
        ("POST", ["subjects", s]) => on(Read, s),
        ("DELETE", ["subjects", s, ..]) => on(Delete, s),
        ("POST", ["subjects", s, "versions"]) => on(Write, s),
        (_, ["subjects", s, ..]) => on(Read, s),
        (_, ["schemas", "ids", id, ..]) => id.parse().map_or(Need::Nothing, Need::SchemaId),
        (_, ["config" | "mode", s]) => on(if read { Read } else { Configure }, s),
        (_, ["config" | "mode"]) if !read => Need::Operation(Configure, None),
        (_, ["compatibility", "subjects", s, ..]) => on(Read, s),
        _ => Need::Nothing,
    }
}

fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubjectOperation::*;

    fn op(o: SubjectOperation, s: &str) -> Need {
        Need::Operation(o, Some(s.to_string()))
    }

    #[test]
    fn requests_are_classified_by_method_and_path() {
        let cases = [
            (Method::GET, "/subjects", Need::SubjectList),
            (Method::GET, "/subjects/a-value/versions", op(Read, "a-value")),
            (Method::POST, "/subjects/a-value/versions", op(Write, "a-value")),
            (Method::POST, "/subjects/a-value", op(Read, "a-value")),
            (Method::DELETE, "/subjects/a-value", op(Delete, "a-value")),
            (
                Method::DELETE,
                "/subjects/a-value/versions/2",
                op(Delete, "a-value"),
            ),
            (
                Method::GET,
                "/subjects/a%2Fb/versions/latest/schema",
                op(Read, "a/b"),
            ),
            (Method::GET, "/schemas/ids/7/versions", Need::SchemaId(7)),
            (Method::GET, "/config/a-value", op(Read, "a-value")),
            (Method::PUT, "/config/a-value", op(Configure, "a-value")),
            (Method::DELETE, "/mode/a-value", op(Configure, "a-value")),
            (Method::PUT, "/config", Need::Operation(Configure, None)),
            (Method::GET, "/config", Need::Nothing),
            (
                Method::POST,
                "/compatibility/subjects/a-value/versions/latest",
                op(Read, "a-value"),
            ),
            (Method::GET, "/schemas/types", Need::Nothing),
        ];
        for (method, path, need_) in cases {
            assert_eq!(need(&method, path), need_, "{method} {path}");
        }
    }
}
