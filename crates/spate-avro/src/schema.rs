//! The schema model: every type of a parsed schema lives in one arena and is named by a
//! [`TypeId`], so a named type referenced twice (or by itself, in a recursive record) is one
//! node.

use crate::json::Json;

/// A type's place in its [`Schema`]'s arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub(crate) u32);

impl TypeId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// Properties other than the ones Avro defines, in written order; `logicalType` and its
/// parameters are among them, as in Java Avro.
pub type Props = Vec<(String, Json)>;

/// A parsed Avro schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: TypeId,
    /// Nodes `0..referenced` were copied in from referenced schemas.
    pub(crate) referenced: u32,
}

/// The primitive types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Primitive {
    /// `null`.
    Null,
    /// `boolean`.
    Boolean,
    /// `int`: 32-bit signed.
    Int,
    /// `long`: 64-bit signed.
    Long,
    /// `float`: IEEE 754 single.
    Float,
    /// `double`: IEEE 754 double.
    Double,
    /// `bytes`.
    Bytes,
    /// `string`: UTF-8 text.
    String,
}

impl Primitive {
    /// The type's name in schemas.
    pub fn name(self) -> &'static str {
        match self {
            Primitive::Null => "null",
            Primitive::Boolean => "boolean",
            Primitive::Int => "int",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
            Primitive::Bytes => "bytes",
            Primitive::String => "string",
        }
    }

    /// The primitive a type name means.
    pub fn from_name(name: &str) -> Option<Primitive> {
        Some(match name {
            "null" => Primitive::Null,
            "boolean" => Primitive::Boolean,
            "int" => Primitive::Int,
            "long" => Primitive::Long,
            "float" => Primitive::Float,
            "double" => Primitive::Double,
            "bytes" => Primitive::Bytes,
            "string" => Primitive::String,
            _ => return None,
        })
    }
}

/// The logical types Java Avro recognizes; one that is invalid for its base type is ignored
/// (the base type is used, the properties stay), as `LogicalTypes.fromSchemaIgnoreInvalid`
/// does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logical {
    /// `decimal` on `bytes` or `fixed`: an unscaled two's-complement big-endian integer.
    Decimal {
        /// Digits in all (1 or more).
        precision: u32,
        /// Digits after the point (0 ..= precision).
        scale: u32,
    },
    /// `uuid` on `string`.
    Uuid,
    /// `date` on `int`: days since 1970-01-01.
    Date,
    /// `time-millis` on `int`.
    TimeMillis,
    /// `time-micros` on `long`.
    TimeMicros,
    /// `timestamp-millis` on `long`: an instant.
    TimestampMillis,
    /// `timestamp-micros` on `long`.
    TimestampMicros,
    /// `timestamp-nanos` on `long`.
    TimestampNanos,
    /// `local-timestamp-millis` on `long`: a wall-clock time without zone.
    LocalTimestampMillis,
    /// `local-timestamp-micros` on `long`.
    LocalTimestampMicros,
    /// `local-timestamp-nanos` on `long`.
    LocalTimestampNanos,
    /// `duration` on `fixed(12)`.
    Duration,
}

/// A named type's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    /// The simple name.
    pub name: String,
    /// The namespace, if any (never empty).
    pub namespace: Option<String>,
}

impl Name {
    /// `namespace.name`, or `name` without a namespace.
    pub fn full(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// One type of a schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A primitive, with its properties and the logical type they name, if valid.
    Primitive {
        /// Which one.
        kind: Primitive,
        /// Its logical type.
        logical: Option<Logical>,
        /// Other properties.
        props: Props,
    },
    /// A record (or an `error`, Avro's record for protocol messages).
    Record(Record),
    /// An enum.
    Enum(Enum),
    /// A fixed-size byte string.
    Fixed(Fixed),
    /// An array of `items`.
    Array {
        /// The element type.
        items: TypeId,
        /// Other properties.
        props: Props,
    },
    /// A map from strings to `values`.
    Map {
        /// The value type.
        values: TypeId,
        /// Other properties.
        props: Props,
    },
    /// A union of its branches (no two of one unnamed type, no union directly inside).
    Union(Vec<TypeId>),
}

impl Node {
    /// Java's `Schema.Type` constant (`INT`, `RECORD`, ...), as its messages print types.
    pub fn kind_constant(&self) -> &'static str {
        match self {
            Node::Primitive { kind, .. } => match kind {
                Primitive::Null => "NULL",
                Primitive::Boolean => "BOOLEAN",
                Primitive::Int => "INT",
                Primitive::Long => "LONG",
                Primitive::Float => "FLOAT",
                Primitive::Double => "DOUBLE",
                Primitive::Bytes => "BYTES",
                Primitive::String => "STRING",
            },
            Node::Record(_) => "RECORD",
            Node::Enum(_) => "ENUM",
            Node::Fixed(_) => "FIXED",
            Node::Array { .. } => "ARRAY",
            Node::Map { .. } => "MAP",
            Node::Union(_) => "UNION",
        }
    }

    /// The kind as Avro names it in schemas and messages (`record`, `error`, `int`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Node::Primitive { kind, .. } => kind.name(),
            Node::Record(r) if r.error => "error",
            Node::Record(_) => "record",
            Node::Enum(_) => "enum",
            Node::Fixed(_) => "fixed",
            Node::Array { .. } => "array",
            Node::Map { .. } => "map",
            Node::Union(_) => "union",
        }
    }

    /// The name of a named type (record, enum, fixed).
    pub fn name(&self) -> Option<&Name> {
        match self {
            Node::Record(r) => Some(&r.name),
            Node::Enum(e) => Some(&e.name),
            Node::Fixed(f) => Some(&f.name),
            _ => None,
        }
    }
}

/// A record type.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Its name.
    pub name: Name,
    /// Its documentation.
    pub doc: Option<String>,
    /// Other full names it answers to when resolving.
    pub aliases: Vec<String>,
    /// Written as `"type":"error"`.
    pub error: bool,
    /// Its fields, in order.
    pub fields: Vec<Field>,
    /// Other properties.
    pub props: Props,
}

/// Sort order of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `ascending` (the default).
    Ascending,
    /// `descending`.
    Descending,
    /// `ignore`.
    Ignore,
}

/// A record field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: TypeId,
    /// Its documentation.
    pub doc: Option<String>,
    /// The value a reader uses when the writer has no such field.
    pub default: Option<Json>,
    /// Its sort order.
    pub order: Order,
    /// Other names it answers to when resolving.
    pub aliases: Vec<String>,
    /// Other properties.
    pub props: Props,
}

/// An enum type.
#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    /// Its name.
    pub name: Name,
    /// Its documentation.
    pub doc: Option<String>,
    /// Other full names.
    pub aliases: Vec<String>,
    /// Its symbols, in order (the binary form is the index).
    pub symbols: Vec<String>,
    /// The symbol a reader uses for a writer's symbol it does not know.
    pub default: Option<String>,
    /// Other properties.
    pub props: Props,
}

/// A fixed type.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixed {
    /// Its name.
    pub name: Name,
    /// Its documentation.
    pub doc: Option<String>,
    /// Other full names.
    pub aliases: Vec<String>,
    /// Bytes per value.
    pub size: usize,
    /// Its logical type.
    pub logical: Option<Logical>,
    /// Other properties.
    pub props: Props,
}

impl Schema {
    /// The top-level type.
    pub fn root(&self) -> TypeId {
        self.root
    }

    /// A type of this schema.
    pub fn node(&self, id: TypeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// The name of a named type (record, enum, fixed).
    pub fn name_of(&self, id: TypeId) -> Option<&Name> {
        self.node(id).name()
    }

    /// The logical type of a type, if it has a valid one.
    pub fn logical(&self, id: TypeId) -> Option<Logical> {
        match self.node(id) {
            Node::Primitive { logical, .. } => *logical,
            Node::Fixed(f) => f.logical,
            _ => None,
        }
    }

    /// The branches of a union, or the type itself.
    pub fn branches(&self, id: TypeId) -> Vec<TypeId> {
        match self.node(id) {
            Node::Union(branches) => branches.clone(),
            _ => vec![id],
        }
    }

    /// The type's kind as Avro names it in messages (`record`, `int`, `union`, ...).
    pub fn kind_name(&self, id: TypeId) -> &'static str {
        self.node(id).kind_name()
    }
}
