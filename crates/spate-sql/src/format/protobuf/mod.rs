//! Flink's `protobuf` format: each record is one Protobuf message (no framing), of a message
//! type the table names; and [`confluent`], the same messages in Confluent's wire format with
//! their schemas in a schema registry.
//!
//! Options (Flink's): `message-class-name` (required), `ignore-parse-errors`,
//! `read-default-values`, `write-null-string-literal`. Where Spate differs: Flink loads a
//! generated Java class; Spate compiles the schema itself, so the table names its source with
//! `protobuf.proto-file` (a `.proto` file, its imports looked up beside it and in Google's
//! well-known types) or `protobuf.descriptor-file` (a descriptor set, as `protoc
//! --include_imports --descriptor_set_out` writes it), and `message-class-name` is the
//! message's Protobuf full name (`shop.Order`) or its Java class name as Flink users write it
//! (`com.shop.OrderProto$Order`, `com.shop.Order` with `java_multiple_files`). The type mapping
//! and null rules are in [`plan`]'s docs.

pub(super) mod confluent;
mod derive;
mod plan;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use spate_protobuf::ProtoSchema;
use spate_protobuf::prost_reflect::{DescriptorPool, MessageDescriptor};

use super::options::FormatOptions;
use super::{FormatError, FormatField};
use crate::error::SqlError;
use crate::value::Value;
use plan::{Missing, Plan, Settings};

const OPTIONS: &[&str] = &[
    "message-class-name",
    "proto-file",
    "descriptor-file",
    "ignore-parse-errors",
    "read-default-values",
    "write-null-string-literal",
];

/// A configured `protobuf` format.
#[derive(Debug)]
pub(crate) struct Protobuf {
    plan: Plan,
    ignore_parse_errors: bool,
}

impl Protobuf {
    pub(crate) fn new(fields: &[FormatField], options: &BTreeMap<String, String>) -> Result<Self, SqlError> {
        let opts = FormatOptions::new("protobuf", options, OPTIONS)?;
        let name = opts.get("message-class-name").ok_or_else(|| {
            opts.error(format!(
                "Could not find required option '{}'.",
                opts.name("message-class-name")
            ))
        })?;
        let pool = match (opts.get("proto-file"), opts.get("descriptor-file")) {
            (Some(path), None) => ProtoSchema::from_proto_file(Path::new(path)).map(|schema| schema.pool().clone()),
            (None, Some(path)) => std::fs::read(path)
                .map_err(|e| spate_protobuf::ProtoError::File {
                    path: path.to_string(),
                    message: e.to_string(),
                })
                .and_then(|bytes| {
                    DescriptorPool::decode(bytes.as_slice()).map_err(|e| {
                        spate_protobuf::ProtoError::Schema(format!("{path} is not a descriptor set: {e}"))
                    })
                }),
            _ => {
                return Err(opts.error(format!(
                    "Spate compiles the message itself: set exactly one of '{}' (a .proto file) and '{}' (a descriptor set)",
                    opts.name("proto-file"),
                    opts.name("descriptor-file")
                )));
            }
        }
        .map_err(|e| opts.error(e.to_string()))?;
        let message = find_message(&pool, name).ok_or_else(|| {
            opts.error(format!(
                "no message '{name}' (a Protobuf full name or a Java class name) in the schema"
            ))
        })?;
        let plan =
            Plan::new(&message, fields, Missing::Refuse, settings(&opts)?).map_err(|e| opts.error(e))?;
        Ok(Protobuf {
            plan,
            ignore_parse_errors: opts.flag("ignore-parse-errors", false)?,
        })
    }

    pub(crate) fn ignores_parse_errors(&self) -> bool {
        self.ignore_parse_errors
    }

    pub(crate) fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<bool, FormatError> {
        self.plan.decode(bytes, out).map(|()| true)
    }

    pub(crate) fn encode(&self, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        self.plan.encode(values, out)
    }
}

/// The reading and writing options both formats take.
fn settings(opts: &FormatOptions<'_>) -> Result<Settings, SqlError> {
    Ok(Settings {
        read_default_values: opts.flag("read-default-values", false)?,
        null_string_literal: opts
            .get("write-null-string-literal")
            .unwrap_or_default()
            .to_string(),
    })
}

/// The message `name` names: a Protobuf full name, or the Java class protoc generates for it.
fn find_message(pool: &DescriptorPool, name: &str) -> Option<MessageDescriptor> {
    pool.get_message_by_name(name)
        .or_else(|| pool.all_messages().find(|m| java_class_name(m) == name))
}

/// The Java class name protoc gives `m`: the file's `java_package` (else its package), then
/// the outer class unless `java_multiple_files`, then the message's nesting joined by `$`.
fn java_class_name(m: &MessageDescriptor) -> String {
    let file = m.parent_file();
    let proto = file.file_descriptor_proto();
    let options = proto.options.clone().unwrap_or_default();
    let package = options
        .java_package
        .clone()
        .unwrap_or_else(|| file.package_name().to_string());
    let mut nesting = Vec::new();
    let mut current = Some(m.clone());
    while let Some(c) = current {
        nesting.push(c.name().to_string());
        current = c.parent_message();
    }
    nesting.reverse();
    let mut class = nesting.join("$");
    if !options.java_multiple_files() {
        let outer = options.java_outer_classname.clone().unwrap_or_else(|| {
            let base = file
                .name()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(".proto");
            let camel = camel_case(base);
            // protoc appends "OuterClass" when a message has the file's class name.
            if file.messages().any(|top| top.name() == camel) {
                format!("{camel}OuterClass")
            } else {
                camel
            }
        });
        class = format!("{outer}${class}");
    }
    if package.is_empty() {
        class
    } else {
        format!("{package}.{class}")
    }
}

/// protoc's file-name-to-class rule: letters after `_`, `-`, `.` or a digit upper-cased.
fn camel_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = true;
    for c in s.chars() {
        if c.is_ascii_alphabetic() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else if c.is_ascii_digit() {
            out.push(c);
            upper = true;
        } else {
            upper = true;
        }
    }
    out
}
