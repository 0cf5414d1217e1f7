//! Fields: their name, kind, scalar group, label and message type (Confluent's
//! `FieldSchemaDiff`).

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, OneofDescriptor};
use prost_types::field_descriptor_proto::Label as ProtoLabel;

use super::Context;
use super::DifferenceKind::*;

/// A field's label as written in `.proto` text, which is what Confluent compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    Optional,
    Required,
    Repeated,
}

/// The oneof `field` is a member of, if it is a real one: proto3 `optional` puts a field in a
/// synthetic oneof that the text does not have.
pub(super) fn real_oneof(field: &FieldDescriptor) -> Option<OneofDescriptor> {
    field.containing_oneof().filter(|o| !o.is_synthetic())
}

/// The label written before `field`: none for a oneof member or a proto3 field without
/// `optional` or `repeated` (a descriptor says "optional" for those, the text says nothing,
/// and Confluent only compares two labels that are both there).
pub(super) fn label(field: &FieldDescriptor) -> Option<Label> {
    if real_oneof(field).is_some() {
        return None;
    }
    let proto = field.field_descriptor_proto();
    if proto.proto3_optional() {
        return Some(Label::Optional);
    }
    let proto3 = field.parent_file().file_descriptor_proto().syntax() == "proto3";
    match proto.label() {
        ProtoLabel::Required => (!proto3).then_some(Label::Required),
        ProtoLabel::Optional => (!proto3).then_some(Label::Optional),
        ProtoLabel::Repeated => Some(Label::Repeated),
    }
}

/// What a field holds, as Confluent tells kinds apart.
enum FieldType {
    Scalar(ScalarKind),
    Message(MessageDescriptor),
    Map(Box<FieldType>, Box<FieldType>),
}

fn type_of(field: &FieldDescriptor) -> FieldType {
    match field.kind() {
        Kind::Message(m) if m.is_map_entry() => FieldType::Map(
            Box::new(type_of(&m.map_entry_key_field())),
            Box::new(type_of(&m.map_entry_value_field())),
        ),
        Kind::Message(m) => FieldType::Message(m),
        kind => FieldType::Scalar(ScalarKind::of(&kind)),
    }
}

/// The groups of scalar types whose values read as one another on the wire (Protobuf's
/// "Updating a message type" rules, as Confluent groups them). An enum is a varint, so it is
/// a general number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScalarKind {
    GeneralNumber,
    SignedNumber,
    StringOrBytes,
    Fixed32,
    Fixed64,
    Float,
    Double,
}

impl ScalarKind {
    /// The group of a non-message kind (a message kind, never asked, counts as a number).
    fn of(kind: &Kind) -> ScalarKind {
        match kind {
            Kind::Sint32 | Kind::Sint64 => ScalarKind::SignedNumber,
            Kind::String | Kind::Bytes => ScalarKind::StringOrBytes,
            Kind::Fixed32 | Kind::Sfixed32 => ScalarKind::Fixed32,
            Kind::Fixed64 | Kind::Sfixed64 => ScalarKind::Fixed64,
            Kind::Float => ScalarKind::Float,
            Kind::Double => ScalarKind::Double,
            Kind::Int32
            | Kind::Int64
            | Kind::Uint32
            | Kind::Uint64
            | Kind::Bool
            | Kind::Enum(_)
            | Kind::Message(_) => ScalarKind::GeneralNumber,
        }
    }
}

/// Compares two fields of one number.
pub(super) fn compare(ctx: &mut Context, original: &FieldDescriptor, update: &FieldDescriptor) {
    if original.name() != update.name() {
        ctx.add(FieldNameChanged);
    }
    compare_types(
        ctx,
        label(original),
        label(update),
        &type_of(original),
        &type_of(update),
    );
}

fn compare_types(
    ctx: &mut Context,
    original_label: Option<Label>,
    update_label: Option<Label>,
    original: &FieldType,
    update: &FieldType,
) {
    match (original, update) {
        (FieldType::Scalar(o), FieldType::Scalar(u)) => {
            compare_scalars(ctx, original_label, update_label, *o, *u);
        }
        (FieldType::Message(o), FieldType::Message(u)) => compare_message_types(ctx, o, u),
        // A map's own label is not compared, nor its key's and value's.
        (FieldType::Map(ok, ov), FieldType::Map(uk, uv)) => {
            compare_types(ctx, None, None, ok, uk);
            compare_types(ctx, None, None, ov, uv);
        }
        _ => ctx.add(FieldKindChanged),
    }
}

fn compare_scalars(
    ctx: &mut Context,
    original_label: Option<Label>,
    update_label: Option<Label>,
    original: ScalarKind,
    update: ScalarKind,
) {
    if original != update {
        ctx.add(FieldScalarKindChanged);
        return;
    }
    // Packed repeated numbers and a single value are encoded differently; a repeated string
    // is just the same field several times.
    if let (Some(o), Some(u)) = (original_label, update_label)
        && o != u
    {
        ctx.add(if original == ScalarKind::StringOrBytes {
            FieldStringOrBytesLabelChanged
        } else {
            FieldNumericLabelChanged
        });
    }
}

/// Two message types match by their name within their own package. One defined in an
/// imported file (a schema reference) is compared with its namesake on the other side, since
/// the top-level walk only sees the schemas' own files.
fn compare_message_types(ctx: &mut Context, original: &MessageDescriptor, update: &MessageDescriptor) {
    let original_name = local_name(original);
    if original_name != local_name(update) {
        ctx.add(FieldNamedTypeChanged);
        return;
    }
    let original_file = original.parent_file();
    let update_file = update.parent_file();
    let both_local = original_file == ctx.original_file && update_file == ctx.update_file;
    // One imported file on both sides: Confluent skips a reference to the same
    // subject-version; an identical file is as close as a compiled schema can tell.
    let same_import = !both_local
        && original_file.name() == update_file.name()
        && original_file.file_descriptor_proto() == update_file.file_descriptor_proto();
    if both_local || same_import {
        return;
    }
    let mut sub = ctx.sub(original_name);
    (ctx.compare_message)(&mut sub, original, update);
    let incompatible = sub.diffs.iter().any(|d| !d.kind.compatible());
    ctx.diffs.append(&mut sub.diffs);
    if incompatible {
        ctx.add(FieldNamedTypeChanged);
    }
}

/// `shop.Order.Item` in package `shop` is `Order.Item`.
fn local_name(message: &MessageDescriptor) -> &str {
    let package = message.package_name();
    let full = message.full_name();
    if package.is_empty() {
        return full;
    }
    full.strip_prefix(package)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(full)
}
