//! Confluent's compatibility rules for Protobuf schemas: which changes from one schema version
//! to the next a registry lets through, and how it words the ones it refuses.
//!
//! A Confluent client registers a schema, then checks it (or has the registry check it) against
//! the subject's earlier versions; Spate's registry must give the same answers, word for word,
//! or clients and CI pipelines built against Confluent break. So this module follows
//! Confluent's `SchemaDiff` (protobuf-provider, `...protobuf.diff`) rather than Protobuf's own
//! wire rules: it lists every [`Difference`] from an *original* schema to an *update*, and
//! [`DifferenceKind::compatible`] says which of them Confluent accepts.
//!
//! ## Direction
//! Confluent asks one question, "can the update read data written with the original?"
//! (`ProtobufSchema.isBackwardCompatible`):
//! - BACKWARD: original = the registered (old) version, update = the new schema;
//! - FORWARD: original = the new schema, update = the registered version;
//! - FULL: both; the transitive forms ask it of every earlier version.
//!
//! ## What is compared
//! Every message and enum of the file, at every nesting level, matched by name (not only the
//! first message: a record may be written with any message of the file). Fields are matched by
//! number, enum constants by number. A field whose type is a message defined in an imported
//! file (a schema reference) is compared with the other version's message of the same name,
//! and its differences are reported at that message's path (`#/Customer/2`), followed by
//! `FIELD_NAMED_TYPE_CHANGED` at the field when they are incompatible.
//!
//! The schemas are compared as Confluent sees their `.proto` text: map entries are not
//! messages, proto3 `optional` fields are plain fields (their synthetic oneofs are not
//! oneofs), and a field's label is the word written before it (none for a proto3 singular
//! field or a oneof member).
//!
//! Oneofs follow Confluent's current rules (since its change DGS-24604): members are matched
//! by number across the whole message, whatever oneof holds them, and a oneof that newly makes
//! independent fields exclusive is refused. Older Confluent releases compared oneofs by name
//! (`OneOfDiff`) and could miss a change hidden by renaming a oneof.
//!
//! ## Example
//! ```
//! use spate_protobuf::ProtoSchema;
//! use spate_protobuf::compat::{self, DifferenceKind};
//!
//! let old = ProtoSchema::parse("syntax = \"proto3\"; message Order { int32 qty = 1; }", &[])?;
//! let new = ProtoSchema::parse("syntax = \"proto3\"; message Order { string qty = 1; }", &[])?;
//! let diffs = compat::differences(&old, &new);
//! assert_eq!(diffs[0].kind, DifferenceKind::FieldScalarKindChanged);
//! assert_eq!(diffs[0].path, "#/Order/1");
//! assert_eq!(
//!     compat::incompatibilities(&old, &new, true),
//!     ["{errorType:\"FIELD_SCALAR_KIND_CHANGED\", description:\"The kind of a SCALAR field at \
//!       path '#/Order/1' in the new schema does not match its kind in the old schema\"}"],
//! );
//! # Ok::<(), spate_protobuf::ProtoError>(())
//! ```

mod enums;
mod field;
mod message;

use prost_reflect::{FileDescriptor, MessageDescriptor};

use crate::ProtoSchema;

/// One change from an original schema to an update, where Confluent reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Difference {
    /// What changed.
    pub kind: DifferenceKind,
    /// Confluent's path to it: `#/` then the names of the enclosing messages and enums, then a
    /// oneof's name and a field or constant number where they apply (`#/Order/2`,
    /// `#/Order/payment/5`, `#/Status/3`); `#/` alone for the package.
    pub path: String,
}

/// The kinds of [`Difference`], as Confluent's `Difference.Type` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DifferenceKind {
    /// The file's package changed. Incompatible.
    PackageChanged,
    /// A message was added.
    MessageAdded,
    /// A message was removed. Incompatible: data written with it cannot be read.
    MessageRemoved,
    /// A message changed position among its siblings. Compatible: a record's message indexes
    /// are read with the schema of its own id.
    MessageMoved,
    /// An enum was added.
    EnumAdded,
    /// An enum was removed.
    EnumRemoved,
    /// An enum constant was added.
    EnumConstAdded,
    /// An enum constant's name changed (its number stayed).
    EnumConstChanged,
    /// An enum constant was removed.
    EnumConstRemoved,
    /// A field was added.
    FieldAdded,
    /// A field was removed.
    FieldRemoved,
    /// A field's name changed (its number stayed).
    FieldNameChanged,
    /// A field changed between scalar (or enum), message and map. Incompatible.
    FieldKindChanged,
    /// A scalar field's type left its wire-compatible group. Incompatible.
    FieldScalarKindChanged,
    /// A message field's type became another message, or its message changed incompatibly.
    /// Incompatible.
    FieldNamedTypeChanged,
    /// A numeric field's label changed (e.g. `optional` to `repeated`). Incompatible.
    FieldNumericLabelChanged,
    /// A string or bytes field's label changed.
    FieldStringOrBytesLabelChanged,
    /// A proto2 `required` field was added. Incompatible.
    RequiredFieldAdded,
    /// A proto2 `required` field was removed. Incompatible.
    RequiredFieldRemoved,
    /// A oneof was added.
    OneofAdded,
    /// A oneof was removed.
    OneofRemoved,
    /// A field was added to a oneof.
    OneofFieldAdded,
    /// A oneof member was removed while its oneof (or some of its members) stayed.
    /// Incompatible.
    OneofFieldRemoved,
    /// A oneof member became a plain field.
    OneofFieldMovedToTopLevel,
    /// Several plain fields were moved into one oneof. Incompatible.
    MultipleFieldsMovedToOneof,
    /// A plain field (or members of another oneof) joined an existing oneof. Incompatible.
    FieldMovedToExistingOneof,
}

impl DifferenceKind {
    /// Confluent's name for the kind: `FIELD_KIND_CHANGED`.
    pub fn name(&self) -> &'static str {
        use DifferenceKind::*;
        match self {
            PackageChanged => "PACKAGE_CHANGED",
            MessageAdded => "MESSAGE_ADDED",
            MessageRemoved => "MESSAGE_REMOVED",
            MessageMoved => "MESSAGE_MOVED",
            EnumAdded => "ENUM_ADDED",
            EnumRemoved => "ENUM_REMOVED",
            EnumConstAdded => "ENUM_CONST_ADDED",
            EnumConstChanged => "ENUM_CONST_CHANGED",
            EnumConstRemoved => "ENUM_CONST_REMOVED",
            FieldAdded => "FIELD_ADDED",
            FieldRemoved => "FIELD_REMOVED",
            FieldNameChanged => "FIELD_NAME_CHANGED",
            FieldKindChanged => "FIELD_KIND_CHANGED",
            FieldScalarKindChanged => "FIELD_SCALAR_KIND_CHANGED",
            FieldNamedTypeChanged => "FIELD_NAMED_TYPE_CHANGED",
            FieldNumericLabelChanged => "FIELD_NUMERIC_LABEL_CHANGED",
            FieldStringOrBytesLabelChanged => "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
            RequiredFieldAdded => "REQUIRED_FIELD_ADDED",
            RequiredFieldRemoved => "REQUIRED_FIELD_REMOVED",
            OneofAdded => "ONEOF_ADDED",
            OneofRemoved => "ONEOF_REMOVED",
            OneofFieldAdded => "ONEOF_FIELD_ADDED",
            OneofFieldRemoved => "ONEOF_FIELD_REMOVED",
            OneofFieldMovedToTopLevel => "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
            MultipleFieldsMovedToOneof => "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
            FieldMovedToExistingOneof => "FIELD_MOVED_TO_EXISTING_ONEOF",
        }
    }

    /// Whether Confluent lets the change through (its `SchemaDiff.COMPATIBLE_CHANGES`).
    pub fn compatible(&self) -> bool {
        use DifferenceKind::*;
        !matches!(
            self,
            PackageChanged
                | MessageRemoved
                | FieldKindChanged
                | FieldScalarKindChanged
                | FieldNamedTypeChanged
                | FieldNumericLabelChanged
                | RequiredFieldAdded
                | RequiredFieldRemoved
                | OneofFieldRemoved
                | MultipleFieldsMovedToOneof
                | FieldMovedToExistingOneof
        )
    }
}

impl Difference {
    /// Confluent's description of the difference, `update` and `original` naming the two
    /// schemas (`"new"`, `"old"`); empty for a compatible difference, as Confluent has none.
    pub fn description(&self, update: &str, original: &str) -> String {
        use DifferenceKind::*;
        let path = &self.path;
        match self.kind {
            PackageChanged => format!(
                "The package at '{path}' in the {update} schema does not match the package in the {original} schema"
            ),
            MessageRemoved => format!(
                "The {update} schema is missing a MESSAGE type at path '{path}' in the {original} schema"
            ),
            FieldKindChanged => format!(
                "The type of a field at path '{path}' in the {update} schema does not match the {original} schema"
            ),
            FieldScalarKindChanged => format!(
                "The kind of a SCALAR field at path '{path}' in the {update} schema does not match its kind in the {original} schema"
            ),
            FieldNamedTypeChanged => format!(
                "The type of a MESSAGE field at path '{path}' in the {update} schema does not match its type in the {original} schema"
            ),
            FieldNumericLabelChanged => format!(
                "The label for a NUMERIC field at path '{path}' in the {update} schema does not match its label in the {original} schema"
            ),
            // Confluent's text has the double space.
            RequiredFieldAdded => format!(
                "A required field  at path '{path}' in the {update} schema is missing in the {original} schema"
            ),
            RequiredFieldRemoved => format!(
                "The {update} schema is missing a required field at path: '{path}' in the {original} schema"
            ),
            OneofFieldRemoved => format!(
                "The {update} schema is missing a oneof field at path '{path}' in the {original} schema"
            ),
            OneofFieldMovedToTopLevel => format!(
                "The oneof field at path '{path}' in the {update} schema was moved out of its oneof to a top-level field in the {original} schema"
            ),
            MultipleFieldsMovedToOneof => format!(
                "Multiple fields in the oneof at path '{path}' in the {update} schema are outside a oneof in the {original} schema"
            ),
            FieldMovedToExistingOneof => format!(
                "A field in the oneof at path '{path}' in the {update} schema is outside an existing oneof in the {original} schema"
            ),
            _ => String::new(),
        }
    }

    /// The difference as Confluent's registry lists it in a compatibility error:
    /// `{errorType:"FIELD_KIND_CHANGED", description:"..."}` (Protobuf's messages carry no
    /// `additionalInfo`, unlike Avro's).
    pub fn confluent_message(&self, update: &str, original: &str) -> String {
        format!(
            "{{errorType:\"{}\", description:\"{}\"}}",
            self.kind.name(),
            self.description(update, original)
        )
    }
}

/// Every difference from `original` to `update`, as Confluent's `SchemaDiff.compare` finds
/// them: the package first, then each message (in name order; its fields' differences in
/// number order, then its nested types'), then each enum.
///
/// Confluent iterates messages and enums in hash order; sorting by name keeps the list
/// deterministic with the same members.
pub fn differences(original: &ProtoSchema, update: &ProtoSchema) -> Vec<Difference> {
    let mut ctx = Context::new(original.file(), update.file());
    if original.file().package_name() != update.file().package_name() {
        ctx.add(DifferenceKind::PackageChanged);
    }
    message::compare_types(
        &mut ctx,
        message::Types::of_file(original.file()),
        message::Types::of_file(update.file()),
    );
    ctx.diffs
}

/// Why `update` cannot read data written with `original`, worded as Confluent's registry words
/// it in a 409 or a compatibility check's `messages`; empty when it can.
///
/// `update_is_new` says which schema is the one being registered: `true` for a BACKWARD check
/// (the update is the new schema, read as "new"; the original "old"), `false` for the FORWARD
/// half (the update is the registered version, "old"). The registry appends its own
/// `{oldSchemaVersion: …}` and `{oldSchema: '…'}` entries after these.
pub fn incompatibilities(original: &ProtoSchema, update: &ProtoSchema, update_is_new: bool) -> Vec<String> {
    let (update_role, original_role) = if update_is_new {
        ("new", "old")
    } else {
        ("old", "new")
    };
    differences(original, update)
        .iter()
        .filter(|d| !d.kind.compatible())
        .map(|d| d.confluent_message(update_role, original_role))
        .collect()
}

/// Whether `update` can read data written with `original` under Confluent's rules.
pub fn is_compatible(original: &ProtoSchema, update: &ProtoSchema) -> bool {
    differences(original, update).iter().all(|d| d.kind.compatible())
}

/// Where the comparison is, and what it found so far (Confluent's `Context`).
struct Context {
    /// The two schemas' own files: a message type defined there is compared where it is
    /// declared, one from an import where a field uses it.
    original_file: FileDescriptor,
    update_file: FileDescriptor,
    path: Vec<String>,
    /// Full names of the original messages being compared, so that a recursive type is not
    /// compared inside itself forever.
    in_progress: Vec<String>,
    diffs: Vec<Difference>,
    /// How a message type used by a field is compared: `message::compare_message`, passed
    /// down so that the field rules need not import the message rules that call them.
    compare_message: fn(&mut Context, &MessageDescriptor, &MessageDescriptor),
}

impl Context {
    fn new(original_file: &FileDescriptor, update_file: &FileDescriptor) -> Context {
        Context {
            original_file: original_file.clone(),
            update_file: update_file.clone(),
            path: Vec::new(),
            in_progress: Vec::new(),
            diffs: Vec::new(),
            compare_message: message::compare_message,
        }
    }

    /// A context for comparing an imported message on its own, at the path of its name.
    fn sub(&self, local_name: &str) -> Context {
        Context {
            original_file: self.original_file.clone(),
            update_file: self.update_file.clone(),
            path: local_name.split('.').map(str::to_string).collect(),
            in_progress: self.in_progress.clone(),
            diffs: Vec::new(),
            compare_message: self.compare_message,
        }
    }

    fn add(&mut self, kind: DifferenceKind) {
        self.diffs.push(Difference {
            kind,
            path: format!("#/{}", self.path.join("/")),
        });
    }

    /// Runs `f` with `segment` appended to the path.
    fn at<T>(&mut self, segment: impl ToString, f: impl FnOnce(&mut Context) -> T) -> T {
        self.path.push(segment.to_string());
        let out = f(self);
        self.path.pop();
        out
    }
}

#[cfg(test)]
mod tests;
