//! A generic Avro value, for the DataStream serializers, schema defaults and tests; the SQL
//! formats decode straight into their own rows instead.

/// One Avro value. Records hold their fields in schema order; a union value holds the index
/// of its branch.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    /// `null`.
    Null,
    /// `boolean`.
    Boolean(bool),
    /// `int`.
    Int(i32),
    /// `long`.
    Long(i64),
    /// `float`.
    Float(f32),
    /// `double`.
    Double(f64),
    /// `bytes`.
    Bytes(Vec<u8>),
    /// `string`.
    String(String),
    /// A record's field values, in schema order.
    Record(Vec<Datum>),
    /// An enum symbol's index.
    Enum(u32),
    /// An array.
    Array(Vec<Datum>),
    /// A map, entries in written order.
    Map(Vec<(String, Datum)>),
    /// A union value: the branch index and the value.
    Union(u32, Box<Datum>),
    /// A fixed.
    Fixed(Vec<u8>),
}

impl Datum {
    /// What kind of value this is, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Datum::Null => "null",
            Datum::Boolean(_) => "boolean",
            Datum::Int(_) => "int",
            Datum::Long(_) => "long",
            Datum::Float(_) => "float",
            Datum::Double(_) => "double",
            Datum::Bytes(_) => "bytes",
            Datum::String(_) => "string",
            Datum::Record(_) => "record",
            Datum::Enum(_) => "enum",
            Datum::Array(_) => "array",
            Datum::Map(_) => "map",
            Datum::Union(..) => "union",
            Datum::Fixed(_) => "fixed",
        }
    }
}
