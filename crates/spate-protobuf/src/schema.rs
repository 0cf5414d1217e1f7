//! A Protobuf schema: one compiled file, with the files it imports, as a registry and a format
//! need it.
//!
//! A schema arrives as `.proto` text (what people write and what a Confluent registry returns)
//! or as a base64 `FileDescriptorProto` (what confluent-kafka's serializers send). Imports are
//! resolved against the references given with it (by the reference's name, as Confluent does),
//! Google's well-known types, and Confluent's own `confluent/...` files, which its clients
//! never register. Compiling checks everything `protoc` checks (names resolve, numbers unique,
//! …), so a schema that compiles here is one any Protobuf library accepts.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use prost::Message;
use prost_reflect::{DescriptorPool, FileDescriptor, MessageDescriptor};
use protox::file::{File, FileResolver, GoogleFileResolver, IncludeFileResolver};

use crate::error::{ProtoError, Result};

/// The name the compiled file gets when the text itself does not carry one (`.proto` text),
/// as Confluent's clients name it.
pub const DEFAULT_FILE_NAME: &str = "default";

/// Confluent's files that its serializers import without registering them.
const CONFLUENT_FILES: &[(&str, &str)] = &[
    (
        "confluent/type/decimal.proto",
        "syntax = \"proto3\";\npackage confluent.type;\noption go_package = \"github.com/confluentinc/schema-registry/protobuf-provider/types/decimal\";\noption java_package = \"io.confluent.protobuf.type\";\noption java_outer_classname = \"DecimalProto\";\nmessage Decimal {\n  bytes value = 1;\n  uint32 precision = 2;\n  int32 scale = 3;\n}\n",
    ),
    (
        "confluent/meta.proto",
        "syntax = \"proto3\";\npackage confluent;\nimport \"google/protobuf/descriptor.proto\";\noption go_package = \"github.com/confluentinc/schema-registry/protobuf-provider/types\";\noption java_package = \"io.confluent.protobuf\";\noption java_outer_classname = \"MetaProto\";\nmessage Meta {\n  string doc = 1;\n  map<string, string> params = 2;\n  repeated string tags = 3;\n}\nextend google.protobuf.FileOptions {\n  Meta file_meta = 1088;\n}\nextend google.protobuf.MessageOptions {\n  Meta message_meta = 1088;\n}\nextend google.protobuf.FieldOptions {\n  Meta field_meta = 1088;\n}\nextend google.protobuf.EnumOptions {\n  Meta enum_meta = 1088;\n}\nextend google.protobuf.EnumValueOptions {\n  Meta enum_value_meta = 1088;\n}\n",
    ),
];

/// A compiled Protobuf file and everything it imports.
#[derive(Debug, Clone)]
pub struct ProtoSchema {
    file: FileDescriptor,
}

impl ProtoSchema {
    /// Compiles `text` (`.proto` source or a base64 `FileDescriptorProto`); `references` are
    /// `(import name, text)` pairs for the files it imports, in either form.
    pub fn parse(text: &str, references: &[(String, String)]) -> Result<ProtoSchema> {
        let mut files = HashMap::new();
        for (name, text) in references {
            files.insert(name.clone(), open(name, text)?);
        }
        let main = open(DEFAULT_FILE_NAME, text)?;
        let name = main.name().to_string();
        files.insert(name.clone(), main);
        compile(files, &name)
    }

    /// The first file of an encoded `FileDescriptorSet` (what `protoc --descriptor_set_out
    /// --include_imports` writes: the imports first… or last — any order is taken) that defines
    /// `message` (a full name), with the rest of the set as its imports.
    pub fn from_descriptor_set(bytes: &[u8], message: &str) -> Result<(ProtoSchema, MessageDescriptor)> {
        let pool = DescriptorPool::decode(bytes)
            .map_err(|e| ProtoError::Schema(format!("not a valid descriptor set: {e}")))?;
        let descriptor = pool
            .get_message_by_name(message)
            .ok_or_else(|| ProtoError::Schema(format!("the descriptor set has no message '{message}'")))?;
        let schema = ProtoSchema {
            file: descriptor.parent_file(),
        };
        Ok((schema, descriptor))
    }

    /// Compiles the `.proto` file at `path`, its imports looked up beside it (then among
    /// Confluent's and Google's well-known files).
    pub fn from_proto_file(path: &std::path::Path) -> Result<ProtoSchema> {
        let file_error = |e: String| ProtoError::File {
            path: path.display().to_string(),
            message: e,
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let name = path
            .file_name()
            .ok_or_else(|| file_error("not a file name".into()))?;
        let mut compiler = protox::Compiler::with_file_resolver(Resolver {
            files: HashMap::new(),
            include: Some(IncludeFileResolver::new(dir.to_path_buf())),
        });
        compiler.include_imports(true);
        compiler.open_file(name).map_err(|e| described(&e))?;
        let pool = without_source_info(compiler.file_descriptor_set())?;
        let file_name = name.to_string_lossy();
        let file = pool
            .get_file_by_name(&file_name)
            .ok_or_else(|| file_error("compiled, but the file is missing from the result".into()))?;
        Ok(ProtoSchema { file })
    }

    /// The compiled file.
    pub fn file(&self) -> &FileDescriptor {
        &self.file
    }

    /// The pool holding the file and its imports.
    pub fn pool(&self) -> &DescriptorPool {
        self.file.parent_pool()
    }

    /// The file's message named `name`: a full name, or one relative to the file's package.
    pub fn message(&self, name: &str) -> Result<MessageDescriptor> {
        let pool = self.pool();
        let package = self.file.package_name();
        pool.get_message_by_name(name)
            .or_else(|| {
                (!package.is_empty())
                    .then(|| pool.get_message_by_name(&format!("{package}.{name}")))
                    .flatten()
            })
            .ok_or_else(|| {
                let known: Vec<_> = pool
                    .all_messages()
                    .filter(|m| m.parent_file() == self.file && !m.is_map_entry())
                    .map(|m| m.full_name().to_string())
                    .collect();
                ProtoError::Schema(format!(
                    "no message '{name}' in the schema (it has: {})",
                    known.join(", ")
                ))
            })
    }

    /// The file's first top-level message: the one a Confluent record with indexes `[0]` was
    /// written with.
    pub fn first_message(&self) -> Result<MessageDescriptor> {
        self.file
            .messages()
            .next()
            .ok_or_else(|| ProtoError::Schema("the schema defines no message".into()))
    }

    /// The message at `indexes` (Confluent's path: top-level position, then nested positions).
    pub fn message_at(&self, indexes: &[i32]) -> Result<MessageDescriptor> {
        let missing = || ProtoError::Indexes(format!("{indexes:?} names no message of the schema"));
        let (&first, rest) = indexes.split_first().ok_or_else(missing)?;
        let mut message = usize::try_from(first)
            .ok()
            .and_then(|i| self.file.messages().nth(i))
            .ok_or_else(missing)?;
        for &i in rest {
            message = usize::try_from(i)
                .ok()
                .and_then(|i| message.child_messages().nth(i))
                .ok_or_else(missing)?;
        }
        Ok(message)
    }

    /// The indexes of `message` within its file (the inverse of [`message_at`](Self::message_at)).
    pub fn indexes_of(message: &MessageDescriptor) -> Vec<i32> {
        let mut path = Vec::new();
        let mut current = message.clone();
        loop {
            let siblings: Vec<MessageDescriptor> = match current.parent_message() {
                Some(parent) => parent.child_messages().collect(),
                None => current.parent_file().messages().collect(),
            };
            let at = siblings.iter().position(|m| *m == current).unwrap_or(0);
            path.push(i32::try_from(at).unwrap_or(i32::MAX));
            match current.parent_message() {
                Some(parent) => current = parent,
                None => break,
            }
        }
        path.reverse();
        path
    }

    /// The file as a base64 `FileDescriptorProto`: Confluent's `format=serialized`, what its
    /// clients decode.
    pub fn serialized(&self) -> String {
        STANDARD.encode(self.file.file_descriptor_proto().encode_to_vec())
    }

    /// The `FileDescriptorProto` of the file.
    pub fn descriptor_proto(&self) -> &prost_types::FileDescriptorProto {
        self.file.file_descriptor_proto()
    }

    /// Names of the files this one imports.
    pub fn imports(&self) -> Vec<String> {
        self.file.dependencies().map(|f| f.name().to_string()).collect()
    }
}

/// Reads one file given as text: a base64 `FileDescriptorProto` if it decodes as one, else
/// `.proto` source named `name`.
fn open(name: &str, text: &str) -> Result<File> {
    if let Some(proto) = as_descriptor(text) {
        let mut proto = proto;
        if proto.name.as_deref().is_none_or(str::is_empty) {
            proto.name = Some(name.to_string());
        }
        // The name the importer uses wins: references are looked up by it.
        if name != DEFAULT_FILE_NAME {
            proto.name = Some(name.to_string());
        }
        return Ok(File::from_file_descriptor_proto(proto));
    }
    File::from_source(name, text).map_err(|e| described(&e))
}

/// `text` as a base64 `FileDescriptorProto`, if it is one. `.proto` source never is: it holds
/// spaces, semicolons or braces, none of them base64.
fn as_descriptor(text: &str) -> Option<prost_types::FileDescriptorProto> {
    let bytes = STANDARD.decode(text.trim()).ok()?;
    prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()
}

fn compile(files: HashMap<String, File>, main: &str) -> Result<ProtoSchema> {
    let mut compiler = protox::Compiler::with_file_resolver(Resolver { files, include: None });
    compiler.include_imports(true);
    compiler.open_file(main).map_err(|e| described(&e))?;
    let pool = without_source_info(compiler.file_descriptor_set())?;
    let file = pool
        .get_file_by_name(main)
        .ok_or_else(|| ProtoError::Schema(format!("compiled, but '{main}' is missing from the result")))?;
    Ok(ProtoSchema { file })
}

/// The compiled files as a pool, without the source positions and comments the compiler kept
/// for its own messages: they are not part of a schema (two spellings of one schema must be
/// equal) and would double what every schema holds in memory.
fn without_source_info(mut set: prost_types::FileDescriptorSet) -> Result<DescriptorPool> {
    for file in &mut set.file {
        file.source_code_info = None;
    }
    DescriptorPool::from_file_descriptor_set(set).map_err(|e| ProtoError::Schema(e.to_string()))
}

/// Resolves imports: the given files (or those of a directory), then Confluent's and Google's
/// built-in ones.
struct Resolver {
    files: HashMap<String, File>,
    include: Option<IncludeFileResolver>,
}

impl FileResolver for Resolver {
    fn resolve_path(&self, path: &std::path::Path) -> Option<String> {
        self.include.as_ref().and_then(|i| i.resolve_path(path))
    }

    fn open_file(&self, name: &str) -> std::result::Result<File, protox::Error> {
        if let Some(file) = self.files.get(name) {
            return Ok(file.clone());
        }
        if let Some(include) = &self.include {
            match include.open_file(name) {
                Err(e) if e.is_file_not_found() => {}
                other => return other,
            }
        }
        if let Some((_, text)) = CONFLUENT_FILES.iter().find(|(n, _)| *n == name) {
            return File::from_source(name, text);
        }
        GoogleFileResolver::new().open_file(name)
    }
}

/// The compiler's message with where it points: `file:line:column: message`.
fn described(e: &protox::Error) -> ProtoError {
    use miette::Diagnostic;
    let mut message = e.to_string();
    if let (Some(file), Some(source), Some(label)) =
        (e.file(), e.source_code(), e.labels().and_then(|mut l| l.next()))
    {
        if let Ok(span) = source.read_span(label.inner(), 0, 0) {
            message = format!("{file}:{}:{}: {message}", span.line() + 1, span.column() + 1);
        }
    } else if let Some(file) = e.file() {
        message = format!("{file}: {message}");
    }
    ProtoError::Schema(message)
}
