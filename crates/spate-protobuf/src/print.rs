//! A compiled file printed back as `.proto` text: the registry's canonical form.
//!
//! The registry stores, returns and compares one text per schema, whichever way it arrived
//! (`.proto` source with its own spacing and comments, or a base64 descriptor from a client), so
//! the text is printed from the descriptor: fixed layout, type names fully qualified (`.pkg.T`,
//! which needs no scope rules to read back), maps and proto3 `optional` in their source
//! spelling, and only the options a descriptor keeps as fields. Printing the text's own
//! compilation gives the same text again (tested), which is what makes lookups by content work.
//!
//! Not carried: custom options (extensions of `*Options`, kept by `prost-types` only as unknown
//! bytes), groups and editions — refused with [`ProtoError::Unsupported`] rather than printed
//! wrongly.

use std::fmt::Write as _;

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto, ServiceDescriptorProto,
};

use crate::error::{ProtoError, Result};

/// Field numbers end below this; `to max` in a range means it.
const MAX_FIELD_NUMBER: i32 = 536_870_912;

/// The canonical `.proto` text of `file`.
pub fn canonical(file: &FileDescriptorProto) -> Result<String> {
    let mut out = String::new();
    let proto3 = match file.syntax.as_deref() {
        None | Some("") | Some("proto2") => false,
        Some("proto3") => true,
        Some(other) => return Err(ProtoError::Unsupported(format!("syntax '{other}' (editions)"))),
    };
    let _ = writeln!(out, "syntax = \"{}\";", if proto3 { "proto3" } else { "proto2" });
    if let Some(package) = file.package.as_deref().filter(|p| !p.is_empty()) {
        let _ = writeln!(out, "package {package};");
    }
    for (i, dep) in file.dependency.iter().enumerate() {
        let i = i32::try_from(i).unwrap_or(i32::MAX);
        let kind = if file.public_dependency.contains(&i) {
            "public "
        } else if file.weak_dependency.contains(&i) {
            "weak "
        } else {
            ""
        };
        let _ = writeln!(out, "import {kind}{};", quoted(dep));
    }
    if let Some(o) = &file.options {
        file_options(o, &mut out);
    }
    let p = Printer { proto3 };
    for m in &file.message_type {
        out.push('\n');
        p.message(m, 0, &mut out)?;
    }
    for e in &file.enum_type {
        out.push('\n');
        p.enumeration(e, 0, &mut out);
    }
    for s in &file.service {
        out.push('\n');
        service(s, &mut out);
    }
    p.extensions(&file.extension, 0, &mut out)?;
    Ok(out)
}

fn file_options(o: &prost_types::FileOptions, out: &mut String) {
    let strings = [
        ("java_package", &o.java_package),
        ("java_outer_classname", &o.java_outer_classname),
        ("go_package", &o.go_package),
        ("objc_class_prefix", &o.objc_class_prefix),
        ("csharp_namespace", &o.csharp_namespace),
        ("swift_prefix", &o.swift_prefix),
        ("php_class_prefix", &o.php_class_prefix),
        ("php_namespace", &o.php_namespace),
        ("php_metadata_namespace", &o.php_metadata_namespace),
        ("ruby_package", &o.ruby_package),
    ];
    for (name, value) in strings {
        if let Some(v) = value {
            let _ = writeln!(out, "option {name} = {};", quoted(v));
        }
    }
    let bools = [
        ("java_multiple_files", o.java_multiple_files),
        ("java_string_check_utf8", o.java_string_check_utf8),
        ("cc_generic_services", o.cc_generic_services),
        ("java_generic_services", o.java_generic_services),
        ("py_generic_services", o.py_generic_services),
        ("deprecated", o.deprecated),
        ("cc_enable_arenas", o.cc_enable_arenas),
    ];
    for (name, value) in bools {
        if let Some(v) = value {
            let _ = writeln!(out, "option {name} = {v};");
        }
    }
    if let Some(level) = o.optimize_for {
        let name = match level {
            2 => "CODE_SIZE",
            3 => "LITE_RUNTIME",
            _ => "SPEED",
        };
        let _ = writeln!(out, "option optimize_for = {name};");
    }
}

struct Printer {
    proto3: bool,
}

impl Printer {
    fn message(&self, m: &DescriptorProto, depth: usize, out: &mut String) -> Result<()> {
        let pad = "  ".repeat(depth);
        let _ = writeln!(out, "{pad}message {} {{", m.name());
        let inner = "  ".repeat(depth + 1);
        if let Some(o) = &m.options {
            if o.deprecated == Some(true) {
                let _ = writeln!(out, "{inner}option deprecated = true;");
            }
            if let Some(v) = o.message_set_wire_format {
                let _ = writeln!(out, "{inner}option message_set_wire_format = {v};");
            }
        }
        let mut printed_oneofs = vec![false; m.oneof_decl.len()];
        for f in &m.field {
            match self.real_oneof(m, f) {
                Some(index) => {
                    if printed_oneofs.get(index).copied().unwrap_or(true) {
                        continue;
                    }
                    printed_oneofs[index] = true;
                    self.oneof(m, index, depth + 1, out)?;
                }
                None => self.field(m, f, depth + 1, true, out)?,
            }
        }
        reserved(
            &m.reserved_range
                .iter()
                .map(|r| (r.start(), r.end() - 1))
                .collect::<Vec<_>>(),
            &m.reserved_name,
            depth + 1,
            out,
        );
        for r in &m.extension_range {
            let _ = writeln!(out, "{inner}extensions {};", range(r.start(), r.end() - 1));
        }
        for nested in m.nested_type.iter().filter(|n| !is_map_entry(n)) {
            self.message(nested, depth + 1, out)?;
        }
        for e in &m.enum_type {
            self.enumeration(e, depth + 1, out);
        }
        self.extensions(&m.extension, depth + 1, out)?;
        let _ = writeln!(out, "{pad}}}");
        Ok(())
    }

    /// The oneof `f` belongs to, unless it is the synthetic one of a proto3 `optional` field.
    fn real_oneof(&self, _m: &DescriptorProto, f: &FieldDescriptorProto) -> Option<usize> {
        if f.proto3_optional == Some(true) {
            return None;
        }
        f.oneof_index.and_then(|i| usize::try_from(i).ok())
    }

    fn oneof(&self, m: &DescriptorProto, index: usize, depth: usize, out: &mut String) -> Result<()> {
        let pad = "  ".repeat(depth);
        let name = m.oneof_decl.get(index).map(|o| o.name()).unwrap_or_default();
        let _ = writeln!(out, "{pad}oneof {name} {{");
        for f in m.field.iter().filter(|f| self.real_oneof(m, f) == Some(index)) {
            self.field(m, f, depth + 1, false, out)?;
        }
        let _ = writeln!(out, "{pad}}}");
        Ok(())
    }

    /// One field; `labelled` is false inside a oneof, where fields take no label.
    fn field(
        &self,
        scope: &DescriptorProto,
        f: &FieldDescriptorProto,
        depth: usize,
        labelled: bool,
        out: &mut String,
    ) -> Result<()> {
        let pad = "  ".repeat(depth);
        let map_entry = (f.r#type() == Type::Message && f.label() == Label::Repeated)
            .then(|| map_entry_of(scope, f.type_name()))
            .flatten();
        let ty = match map_entry {
            Some(entry) => {
                let (k, v) = (entry.field.first(), entry.field.get(1));
                match (k, v) {
                    (Some(k), Some(v)) => format!("map<{}, {}>", type_name(k)?, type_name(v)?),
                    _ => {
                        return Err(ProtoError::Unsupported(format!(
                            "map entry of '{}' without key and value",
                            f.name()
                        )));
                    }
                }
            }
            None => type_name(f)?,
        };
        let label = match (labelled, map_entry.is_some(), f.label()) {
            (false, _, _) | (_, true, _) => "",
            (_, _, Label::Repeated) => "repeated ",
            (_, _, Label::Required) => "required ",
            (_, _, Label::Optional) if !self.proto3 || f.proto3_optional == Some(true) => "optional ",
            (_, _, Label::Optional) => "",
        };
        let _ = write!(out, "{pad}{label}{ty} {} = {}", f.name(), f.number());
        let mut options = Vec::new();
        if let Some(d) = &f.default_value {
            options.push(format!("default = {}", default_literal(f, d)));
        }
        if let Some(j) = &f.json_name
            && *j != json_name(f.name())
        {
            options.push(format!("json_name = {}", quoted(j)));
        }
        if let Some(o) = &f.options {
            if let Some(p) = o.packed {
                options.push(format!("packed = {p}"));
            }
            if o.deprecated == Some(true) {
                options.push("deprecated = true".into());
            }
            if o.lazy == Some(true) {
                options.push("lazy = true".into());
            }
        }
        if !options.is_empty() {
            let _ = write!(out, " [{}]", options.join(", "));
        }
        out.push_str(";\n");
        Ok(())
    }

    fn enumeration(&self, e: &EnumDescriptorProto, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        let inner = "  ".repeat(depth + 1);
        let _ = writeln!(out, "{pad}enum {} {{", e.name());
        if let Some(o) = &e.options {
            if o.allow_alias == Some(true) {
                let _ = writeln!(out, "{inner}option allow_alias = true;");
            }
            if o.deprecated == Some(true) {
                let _ = writeln!(out, "{inner}option deprecated = true;");
            }
        }
        for v in &e.value {
            let deprecated = v.options.as_ref().and_then(|o| o.deprecated) == Some(true);
            let suffix = if deprecated { " [deprecated = true]" } else { "" };
            let _ = writeln!(out, "{inner}{} = {}{suffix};", v.name(), v.number());
        }
        // Enum reserved ranges are inclusive at both ends, unlike messages'.
        reserved(
            &e.reserved_range
                .iter()
                .map(|r| (r.start(), r.end()))
                .collect::<Vec<_>>(),
            &e.reserved_name,
            depth + 1,
            out,
        );
        let _ = writeln!(out, "{pad}}}");
    }

    /// `extend` blocks for `fields`, grouped by the message they extend, in first-seen order.
    fn extensions(&self, fields: &[FieldDescriptorProto], depth: usize, out: &mut String) -> Result<()> {
        let pad = "  ".repeat(depth);
        let mut extendees: Vec<&str> = Vec::new();
        for f in fields {
            if !extendees.contains(&f.extendee()) {
                extendees.push(f.extendee());
            }
        }
        let none = DescriptorProto::default();
        for extendee in extendees {
            let _ = writeln!(out, "{pad}extend {extendee} {{");
            for f in fields.iter().filter(|f| f.extendee() == extendee) {
                self.field(&none, f, depth + 1, true, out)?;
            }
            let _ = writeln!(out, "{pad}}}");
        }
        Ok(())
    }
}

fn service(s: &ServiceDescriptorProto, out: &mut String) {
    let _ = writeln!(out, "service {} {{", s.name());
    if s.options.as_ref().and_then(|o| o.deprecated) == Some(true) {
        out.push_str("  option deprecated = true;\n");
    }
    for m in &s.method {
        let stream = |yes: bool| if yes { "stream " } else { "" };
        let _ = writeln!(
            out,
            "  rpc {} ({}{}) returns ({}{});",
            m.name(),
            stream(m.client_streaming()),
            m.input_type(),
            stream(m.server_streaming()),
            m.output_type()
        );
    }
    out.push_str("}\n");
}

fn reserved(ranges: &[(i32, i32)], names: &[String], depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    if !ranges.is_empty() {
        let list: Vec<String> = ranges.iter().map(|(a, b)| range(*a, *b)).collect();
        let _ = writeln!(out, "{pad}reserved {};", list.join(", "));
    }
    if !names.is_empty() {
        let list: Vec<String> = names.iter().map(|n| quoted(n)).collect();
        let _ = writeln!(out, "{pad}reserved {};", list.join(", "));
    }
}

/// An inclusive range in `.proto` spelling.
fn range(start: i32, end: i32) -> String {
    if end >= MAX_FIELD_NUMBER - 1 {
        format!("{start} to max")
    } else if start == end {
        start.to_string()
    } else {
        format!("{start} to {end}")
    }
}

fn is_map_entry(m: &DescriptorProto) -> bool {
    m.options.as_ref().and_then(|o| o.map_entry) == Some(true)
}

/// The nested map-entry message `type_name` (fully qualified) names inside `scope`.
fn map_entry_of<'a>(scope: &'a DescriptorProto, type_name: &str) -> Option<&'a DescriptorProto> {
    let simple = type_name.rsplit('.').next()?;
    scope
        .nested_type
        .iter()
        .find(|n| n.name() == simple && is_map_entry(n))
}

fn type_name(f: &FieldDescriptorProto) -> Result<String> {
    Ok(match f.r#type() {
        Type::Double => "double".into(),
        Type::Float => "float".into(),
        Type::Int64 => "int64".into(),
        Type::Uint64 => "uint64".into(),
        Type::Int32 => "int32".into(),
        Type::Fixed64 => "fixed64".into(),
        Type::Fixed32 => "fixed32".into(),
        Type::Bool => "bool".into(),
        Type::String => "string".into(),
        Type::Bytes => "bytes".into(),
        Type::Uint32 => "uint32".into(),
        Type::Sfixed32 => "sfixed32".into(),
        Type::Sfixed64 => "sfixed64".into(),
        Type::Sint32 => "sint32".into(),
        Type::Sint64 => "sint64".into(),
        Type::Message | Type::Enum => f.type_name().to_string(),
        Type::Group => {
            return Err(ProtoError::Unsupported(format!("the group field '{}'", f.name())));
        }
    })
}

/// A proto2 default as source: descriptors keep strings raw and bytes C-escaped.
fn default_literal(f: &FieldDescriptorProto, value: &str) -> String {
    match f.r#type() {
        Type::String => quoted(value),
        Type::Bytes => format!("\"{value}\""),
        _ => value.to_string(),
    }
}

/// protoc's default JSON name: underscores dropped, the letter after each one upper-cased.
fn json_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A string literal: quotes, backslashes and control bytes escaped.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\{:03o}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProtoSchema;

    const PROTO3: &str = r#"
        syntax = "proto3";
        package shop.v1;
        import "google/protobuf/timestamp.proto";
        option java_package = "com.shop";
        option go_package = "shop/v1;shopv1";
        // Comments and spacing are not part of the canonical form.
        message Order {
          int64 id = 1;
          optional string note = 2;
          repeated Line lines = 3;
          map<string, int32> counts = 4;
          oneof payment { string card = 5; bytes token = 6; }
          google.protobuf.Timestamp at = 7;
          Status status = 8 [deprecated = true];
          string user_name = 9 [json_name = "user"];
          repeated int32 codes = 10 [packed = false];
          reserved 11, 15 to 20, 100 to max;
          reserved "old", "older";
          message Line { string sku = 1; uint32 qty = 2; }
          enum Status { option allow_alias = true; NEW = 0; OPEN = 0; DONE = 1; reserved 5 to 9; }
        }
        enum Region { EU = 0; US = 1; }
        service Orders { rpc Get (Order) returns (stream Order); }
    "#;

    const PROTO2: &str = r#"
        syntax = "proto2";
        package legacy;
        message Event {
          required int32 id = 1;
          optional string name = 2 [default = "a \"quoted\" name"];
          optional double ratio = 3 [default = 0.5];
          optional Kind kind = 4 [default = B];
          optional bytes blob = 5 [default = "\001x"];
          repeated string tags = 6;
          extensions 100 to 199;
          enum Kind { A = 1; B = 2; }
        }
        extend Event { optional int64 extra = 100; }
    "#;

    fn printed(text: &str) -> String {
        let schema = ProtoSchema::parse(text, &[]).unwrap();
        canonical(schema.descriptor_proto()).unwrap()
    }

    #[test]
    fn canonical_text_compiles_to_the_same_descriptor_and_prints_the_same() {
        for source in [PROTO3, PROTO2] {
            let first = ProtoSchema::parse(source, &[]).unwrap();
            let text = canonical(first.descriptor_proto()).unwrap();
            let second = ProtoSchema::parse(&text, &[]).unwrap();
            assert!(first.descriptor_proto() == second.descriptor_proto(), "{text}");
            assert_eq!(printed(&text), text);
        }
    }

    #[test]
    fn layout_is_the_documented_one() {
        let text = printed(PROTO3);
        for line in [
            "syntax = \"proto3\";\npackage shop.v1;\nimport \"google/protobuf/timestamp.proto\";\n",
            "option java_package = \"com.shop\";",
            "message Order {\n  int64 id = 1;\n  optional string note = 2;\n  repeated .shop.v1.Order.Line lines = 3;\n  map<string, int32> counts = 4;\n  oneof payment {\n    string card = 5;\n    bytes token = 6;\n  }\n",
            "  .shop.v1.Order.Status status = 8 [deprecated = true];",
            "  string user_name = 9 [json_name = \"user\"];",
            "  repeated int32 codes = 10 [packed = false];",
            "  reserved 11, 15 to 20, 100 to max;\n  reserved \"old\", \"older\";",
            "  enum Status {\n    option allow_alias = true;\n    NEW = 0;\n    OPEN = 0;\n    DONE = 1;\n    reserved 5 to 9;\n  }",
            "service Orders {\n  rpc Get (.shop.v1.Order) returns (stream .shop.v1.Order);\n}",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        let text = printed(PROTO2);
        for line in [
            "  required int32 id = 1;",
            "  optional string name = 2 [default = \"a \\\"quoted\\\" name\"];",
            "  optional .legacy.Event.Kind kind = 4 [default = B];",
            "  extensions 100 to 199;",
            "extend .legacy.Event {\n  optional int64 extra = 100;\n}",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn a_base64_descriptor_prints_as_its_source_does() {
        let from_text = ProtoSchema::parse(PROTO3, &[]).unwrap();
        let from_b64 = ProtoSchema::parse(&from_text.serialized(), &[]).unwrap();
        assert_eq!(
            canonical(from_b64.descriptor_proto()).unwrap(),
            canonical(from_text.descriptor_proto()).unwrap()
        );
    }

    #[test]
    fn groups_and_editions_are_refused_not_misprinted() {
        let groups = ProtoSchema::parse(
            "syntax = \"proto2\"; message M { optional group G = 1 { optional int32 a = 2; } }",
            &[],
        )
        .unwrap();
        let e = canonical(groups.descriptor_proto()).unwrap_err();
        assert!(matches!(e, ProtoError::Unsupported(_)), "{e}");
        let mut editions = groups.descriptor_proto().clone();
        editions.syntax = Some("editions".into());
        assert!(matches!(canonical(&editions), Err(ProtoError::Unsupported(_))));
    }
}
