//! Can data written with one schema be read with another? Java Avro's
//! `SchemaCompatibility.checkReaderWriterCompatibility`, the rule under every compatibility
//! level of a schema registry: the same walk, the same incompatibility kinds, locations and
//! messages, and the same tolerance of recursive types (a pair already being checked counts
//! as compatible).

use std::collections::HashMap;

use crate::schema::{Node, Primitive, Schema, TypeId};

/// Why a reader cannot read a writer's data (Java's `SchemaIncompatibilityType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncompatibilityKind {
    /// A named type's name differs (and no reader alias names the writer's).
    NameMismatch,
    /// Fixed types of different sizes.
    FixedSizeMismatch,
    /// The writer's enum has symbols the reader's lacks, and the reader has no default.
    MissingEnumSymbols,
    /// A reader field the writer lacks has no default.
    ReaderFieldMissingDefaultValue,
    /// Types that do not resolve (and no promotion applies).
    TypeMismatch,
    /// A writer's type (or union branch) that no branch of the reader's union reads.
    MissingUnionBranch,
}

impl IncompatibilityKind {
    /// Java's constant name, as registries print it.
    pub fn name(self) -> &'static str {
        match self {
            IncompatibilityKind::NameMismatch => "NAME_MISMATCH",
            IncompatibilityKind::FixedSizeMismatch => "FIXED_SIZE_MISMATCH",
            IncompatibilityKind::MissingEnumSymbols => "MISSING_ENUM_SYMBOLS",
            IncompatibilityKind::ReaderFieldMissingDefaultValue => "READER_FIELD_MISSING_DEFAULT_VALUE",
            IncompatibilityKind::TypeMismatch => "TYPE_MISMATCH",
            IncompatibilityKind::MissingUnionBranch => "MISSING_UNION_BRANCH",
        }
    }
}

/// One reason a reader cannot read a writer's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incompatibility {
    /// The kind.
    pub kind: IncompatibilityKind,
    /// Where in the reader schema, as a JSON-pointer-like path (`/fields/1/type`).
    pub location: String,
    /// Java's message (`expected: ns.R`, `reader type: INT not compatible with writer type:
    /// STRING`, the field name, the missing symbols `[C, D]`).
    pub message: String,
}

/// Every reason `reader` cannot read data written with `writer`; empty when it can.
pub fn reader_writer_incompatibilities(reader: &Schema, writer: &Schema) -> Vec<Incompatibility> {
    let mut c = Checker {
        reader,
        writer,
        memo: HashMap::new(),
        location: Vec::new(),
    };
    c.compatibility(reader.root(), writer.root())
}

/// What a pair being checked, or checked already, came to.
enum Memo {
    InProgress,
    Done(Vec<Incompatibility>),
}

struct Checker<'s> {
    reader: &'s Schema,
    writer: &'s Schema,
    memo: HashMap<(TypeId, TypeId), Memo>,
    /// Path segments from the root to the current pair.
    location: Vec<String>,
}

/// Java's `Schema.Type` constant of a type, for messages.
fn type_constant(schema: &Schema, id: TypeId) -> &'static str {
    schema.node(id).kind_constant()
}

impl Checker<'_> {
    fn here(&self) -> String {
        format!("/{}", self.location.join("/"))
    }

    fn incompatible(&self, kind: IncompatibilityKind, message: String) -> Vec<Incompatibility> {
        vec![Incompatibility {
            kind,
            location: self.here(),
            message,
        }]
    }

    /// The pair under an extra path segment.
    fn under(&mut self, segment: &str, reader: TypeId, writer: TypeId) -> Vec<Incompatibility> {
        self.location.push(segment.to_string());
        let r = self.compatibility(reader, writer);
        self.location.pop();
        r
    }

    fn compatibility(&mut self, reader: TypeId, writer: TypeId) -> Vec<Incompatibility> {
        match self.memo.get(&(reader, writer)) {
            Some(Memo::InProgress) => return Vec::new(),
            Some(Memo::Done(r)) => return r.clone(),
            None => {}
        }
        self.memo.insert((reader, writer), Memo::InProgress);
        let r = self.calculate(reader, writer);
        self.memo.insert((reader, writer), Memo::Done(r.clone()));
        r
    }

    fn type_mismatch(&self, reader: TypeId, writer: TypeId) -> Vec<Incompatibility> {
        self.incompatible(
            IncompatibilityKind::TypeMismatch,
            format!(
                "reader type: {} not compatible with writer type: {}",
                type_constant(self.reader, reader),
                type_constant(self.writer, writer)
            ),
        )
    }

    fn calculate(&mut self, reader: TypeId, writer: TypeId) -> Vec<Incompatibility> {
        let (r, w) = (self.reader.node(reader), self.writer.node(writer));
        match (r, w) {
            (Node::Primitive { kind: a, .. }, Node::Primitive { kind: b, .. }) if a == b => Vec::new(),
            (Node::Array { items: a, .. }, Node::Array { items: b, .. }) => self.under("items", *a, *b),
            (Node::Map { values: a, .. }, Node::Map { values: b, .. }) => self.under("values", *a, *b),
            (Node::Fixed(a), Node::Fixed(b)) => {
                let mut out = self.names(reader, writer);
                if a.size != b.size {
                    self.location.push("size".into());
                    out.extend(self.incompatible(
                        IncompatibilityKind::FixedSizeMismatch,
                        format!("expected: {}, found: {}", b.size, a.size),
                    ));
                    self.location.pop();
                }
                out
            }
            (Node::Enum(a), Node::Enum(b)) => {
                let mut out = self.names(reader, writer);
                let mut missing: Vec<&String> = b.symbols.iter().filter(|s| !a.symbols.contains(s)).collect();
                missing.sort();
                let defaulted = a.default.as_ref().is_some_and(|d| a.symbols.contains(d));
                if !missing.is_empty() && !defaulted {
                    self.location.push("symbols".into());
                    let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                    out.extend(self.incompatible(
                        IncompatibilityKind::MissingEnumSymbols,
                        format!("[{}]", list.join(", ")),
                    ));
                    self.location.pop();
                }
                out
            }
            (Node::Record(_), Node::Record(_)) => {
                let mut out = self.names(reader, writer);
                out.extend(self.fields(reader, writer));
                out
            }
            (Node::Union(_), Node::Union(branches)) => self.writer_union_branches(reader, branches),
            // Different kinds from here on.
            (_, Node::Union(branches)) => {
                // A reader that reads every branch of the writer's union reads the union; each
                // branch's problems are located under its index (Avro 1.12, AVRO-3612).
                let branches = branches.clone();
                let mut out = Vec::new();
                for (i, b) in branches.iter().enumerate() {
                    out.extend(self.under(&i.to_string(), reader, *b));
                }
                out
            }
            (Node::Union(branches), _) => {
                let branches = branches.clone();
                if branches.iter().any(|b| self.compatibility(*b, writer).is_empty()) {
                    Vec::new()
                } else {
                    self.incompatible(
                        IncompatibilityKind::MissingUnionBranch,
                        format!(
                            "reader union lacking writer type: {}",
                            type_constant(self.writer, writer)
                        ),
                    )
                }
            }
            (Node::Primitive { kind: a, .. }, Node::Primitive { kind: b, .. }) if promotes(*b, *a) => {
                Vec::new()
            }
            _ => self.type_mismatch(reader, writer),
        }
    }

    /// Each branch of the writer's union must be read by the reader's union.
    fn writer_union_branches(&mut self, reader: TypeId, branches: &[TypeId]) -> Vec<Incompatibility> {
        let mut out = Vec::new();
        for (i, b) in branches.iter().enumerate() {
            self.location.push(i.to_string());
            if !self.compatibility(reader, *b).is_empty() {
                out.extend(self.incompatible(
                    IncompatibilityKind::MissingUnionBranch,
                    format!(
                        "reader union lacking writer type: {}",
                        type_constant(self.writer, *b)
                    ),
                ));
            }
            self.location.pop();
        }
        out
    }

    /// Java's `schemaNameEquals`: the simple names, or a reader alias naming the writer's
    /// full name.
    fn names(&mut self, reader: TypeId, writer: TypeId) -> Vec<Incompatibility> {
        let (Some(r), Some(w)) = (self.reader.name_of(reader), self.writer.name_of(writer)) else {
            return Vec::new();
        };
        let aliases: &[String] = match self.reader.node(reader) {
            Node::Record(x) => &x.aliases,
            Node::Enum(x) => &x.aliases,
            Node::Fixed(x) => &x.aliases,
            _ => &[],
        };
        if r.name == w.name || aliases.contains(&w.full()) {
            return Vec::new();
        }
        self.location.push("name".into());
        let out = self.incompatible(
            IncompatibilityKind::NameMismatch,
            format!("expected: {}", w.full()),
        );
        self.location.pop();
        out
    }

    fn fields(&mut self, reader: TypeId, writer: TypeId) -> Vec<Incompatibility> {
        let (Node::Record(r), Node::Record(w)) = (self.reader.node(reader), self.writer.node(writer)) else {
            return Vec::new();
        };
        let (r, w) = (r.clone(), w.clone());
        let mut out = Vec::new();
        self.location.push("fields".into());
        for (pos, field) in r.fields.iter().enumerate() {
            self.location.push(pos.to_string());
            // By name, then by the reader field's aliases.
            let partner = w
                .fields
                .iter()
                .find(|f| f.name == field.name)
                .or_else(|| w.fields.iter().find(|f| field.aliases.contains(&f.name)));
            match partner {
                Some(wf) => out.extend(self.under("type", field.ty, wf.ty)),
                None if field.default.is_some() => {}
                None => {
                    let enum_default =
                        matches!(self.reader.node(field.ty), Node::Enum(e) if e.default.is_some());
                    if enum_default {
                        out.extend(self.under("type", field.ty, writer));
                    } else {
                        out.extend(self.incompatible(
                            IncompatibilityKind::ReaderFieldMissingDefaultValue,
                            field.name.clone(),
                        ));
                    }
                }
            }
            self.location.pop();
        }
        self.location.pop();
        out
    }
}

/// Avro's promotions: a writer's `from` read as `to`.
fn promotes(from: Primitive, to: Primitive) -> bool {
    use Primitive::*;
    matches!(
        (from, to),
        (Int, Long | Float | Double)
            | (Long, Float | Double)
            | (Float, Double)
            | (String, Bytes)
            | (Bytes, String)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(reader: &str, writer: &str) -> Vec<(String, String, String)> {
        let r = Schema::parse(reader).expect("reader");
        let w = Schema::parse(writer).expect("writer");
        reader_writer_incompatibilities(&r, &w)
            .into_iter()
            .map(|i| (i.kind.name().to_string(), i.location, i.message))
            .collect()
    }

    fn rec(fields: &str) -> String {
        format!(r#"{{"type":"record","name":"R","fields":[{fields}]}}"#)
    }

    #[test]
    fn a_new_field_needs_a_default() {
        let old = rec(r#"{"name":"a","type":"int"}"#);
        let new = rec(r#"{"name":"a","type":"int"},{"name":"b","type":"string"}"#);
        assert_eq!(
            check(&new, &old),
            vec![(
                "READER_FIELD_MISSING_DEFAULT_VALUE".into(),
                "/fields/1".into(),
                "b".into()
            )]
        );
        let new = rec(r#"{"name":"a","type":"int"},{"name":"b","type":"string","default":""}"#);
        assert!(check(&new, &old).is_empty());
        // A removed field is fine for the reader.
        assert!(check(&old, &new).is_empty());
    }

    #[test]
    fn promotions_go_one_way() {
        let int = rec(r#"{"name":"a","type":"int"}"#);
        let long = rec(r#"{"name":"a","type":"long"}"#);
        assert!(check(&long, &int).is_empty());
        assert_eq!(
            check(&int, &long),
            vec![(
                "TYPE_MISMATCH".into(),
                "/fields/0/type".into(),
                "reader type: INT not compatible with writer type: LONG".into()
            )]
        );
        assert!(check(r#""bytes""#, r#""string""#).is_empty());
        assert!(check(r#""string""#, r#""bytes""#).is_empty());
    }

    #[test]
    fn enums_unions_fixed_and_names() {
        let e = |s: &str, d: &str| format!(r#"{{"type":"enum","name":"E","symbols":[{s}]{d}}}"#);
        assert_eq!(
            check(&e(r#""A""#, ""), &e(r#""A","C","B""#, "")),
            vec![("MISSING_ENUM_SYMBOLS".into(), "/symbols".into(), "[B, C]".into())]
        );
        assert!(check(&e(r#""A""#, r#","default":"A""#), &e(r#""A","B""#, "")).is_empty());
        assert_eq!(
            check(r#"["null","int"]"#, r#"["null","string"]"#),
            vec![(
                "MISSING_UNION_BRANCH".into(),
                "/1".into(),
                "reader union lacking writer type: STRING".into()
            )]
        );
        assert!(check(r#"["null","long"]"#, r#""int""#).is_empty());
        assert_eq!(
            check(r#""int""#, r#"["null","int"]"#),
            vec![(
                "TYPE_MISMATCH".into(),
                "/0".into(),
                "reader type: INT not compatible with writer type: NULL".into()
            )]
        );
        assert_eq!(
            check(
                r#"{"type":"fixed","name":"F","size":4}"#,
                r#"{"type":"fixed","name":"G","size":8}"#
            ),
            vec![
                ("NAME_MISMATCH".into(), "/name".into(), "expected: G".into()),
                (
                    "FIXED_SIZE_MISMATCH".into(),
                    "/size".into(),
                    "expected: 8, found: 4".into()
                )
            ]
        );
        assert!(
            check(
                r#"{"type":"fixed","name":"a.F","size":4,"aliases":["b.G"]}"#,
                r#"{"type":"fixed","name":"b.G","size":4}"#
            )
            .is_empty()
        );
    }

    #[test]
    fn recursive_types_terminate() {
        let list = |extra: &str| {
            format!(
                r#"{{"type":"record","name":"L","fields":[{{"name":"v","type":"int"}},{{"name":"next","type":["null","L"]}}{extra}]}}"#
            )
        };
        assert!(check(&list(""), &list("")).is_empty());
        assert_eq!(check(&list(r#",{"name":"x","type":"int"}"#), &list("")).len(), 1);
    }
}
