//! Metadata columns (`c TYPE METADATA [FROM 'key'] [VIRTUAL]`): the keys a table can read, with
//! Flink 2.3's types, and the checks Flink makes of a table's metadata columns.
//!
//! A connector offers its own keys; a `kafka` table also offers its value format's keys under
//! `value.` (the CDC formats' `value.source.timestamp`, `value.database`, ...), listed first as
//! Flink lists them. A column's declared type may differ from its key's type when Flink can
//! `CAST` between them (the connector casts each value); two columns may not read one key.

use crate::ast::{Column, ColumnKind, TableDef};
use crate::error::{Result, SqlError};
use crate::expr::can_cast;
use crate::suggest::did_you_mean;
use crate::types::{DataType, MAX_LENGTH, TypeKind};

/// The type of a metadata key (the few shapes Flink's keys have).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    String,
    Int,
    BigInt,
    TimestampLtz3,
    StringArray,
    StringToBytes,
    StringToString,
    StringToInt,
}

impl KeyType {
    fn data_type(self) -> DataType {
        let string = || DataType::new(TypeKind::Varchar(MAX_LENGTH));
        let map = |v: TypeKind| TypeKind::Map(Box::new(string()), Box::new(DataType::new(v)));
        DataType::new(match self {
            KeyType::String => TypeKind::Varchar(MAX_LENGTH),
            KeyType::Int => TypeKind::Int,
            KeyType::BigInt => TypeKind::BigInt,
            KeyType::TimestampLtz3 => TypeKind::TimestampLtz(3),
            KeyType::StringArray => TypeKind::Array(Box::new(string())),
            KeyType::StringToBytes => map(TypeKind::Varbinary(MAX_LENGTH)),
            KeyType::StringToString => map(TypeKind::Varchar(MAX_LENGTH)),
            KeyType::StringToInt => map(TypeKind::Int),
        })
    }
}

/// Keys and their types, in the order Flink lists them.
type Keys = &'static [(&'static str, KeyType)];

/// Flink's Kafka connector (`KafkaDynamicSource.ReadableMetadata`).
const KAFKA: Keys = &[
    ("topic", KeyType::String),
    ("partition", KeyType::Int),
    ("headers", KeyType::StringToBytes),
    ("leader-epoch", KeyType::Int),
    ("offset", KeyType::BigInt),
    ("timestamp", KeyType::TimestampLtz3),
    ("timestamp-type", KeyType::String),
];

/// Flink's filesystem connector (`FileSystemTableSource.ReadableFileInfo`).
const FILESYSTEM: Keys = &[
    ("file.path", KeyType::String),
    ("file.name", KeyType::String),
    ("file.size", KeyType::BigInt),
    ("file.modification-time", KeyType::TimestampLtz3),
];

/// `debezium-json` (`DebeziumJsonDecodingFormat.ReadableMetadata`).
const DEBEZIUM_JSON: Keys = &[
    ("schema", KeyType::String),
    ("ingestion-timestamp", KeyType::TimestampLtz3),
    ("source.timestamp", KeyType::TimestampLtz3),
    ("source.database", KeyType::String),
    ("source.schema", KeyType::String),
    ("source.table", KeyType::String),
    ("source.properties", KeyType::StringToString),
];

/// `canal-json` (`CanalJsonDecodingFormat.ReadableMetadata`).
const CANAL_JSON: Keys = &[
    ("database", KeyType::String),
    ("table", KeyType::String),
    ("sql-type", KeyType::StringToInt),
    ("pk-names", KeyType::StringArray),
    ("ingestion-timestamp", KeyType::TimestampLtz3),
    ("event-timestamp", KeyType::TimestampLtz3),
];

/// `maxwell-json` (`MaxwellJsonDecodingFormat.ReadableMetadata`).
const MAXWELL_JSON: Keys = &[
    ("database", KeyType::String),
    ("table", KeyType::String),
    ("primary-key-columns", KeyType::StringArray),
    ("ingestion-timestamp", KeyType::TimestampLtz3),
];

/// The prefix of a Kafka value format's keys.
pub const VALUE_PREFIX: &str = "value.";

fn connector_keys(connector: &str) -> Keys {
    match connector {
        "kafka" => KAFKA,
        "filesystem" => FILESYSTEM,
        _ => &[],
    }
}

/// The metadata keys format `name` offers (without a prefix), in Flink's order, with their
/// types.
pub fn format_metadata(name: &str) -> Vec<(&'static str, DataType)> {
    let keys: Keys = match name {
        "debezium-json" => DEBEZIUM_JSON,
        "canal-json" => CANAL_JSON,
        "maxwell-json" => MAXWELL_JSON,
        _ => &[],
    };
    keys.iter().map(|(k, t)| (*k, t.data_type())).collect()
}

/// The value format of a `kafka` table whose format offers metadata keys.
fn value_format(table: &TableDef) -> Option<&str> {
    if table.option("connector") != Some("kafka") {
        return None;
    }
    table.option("format").or_else(|| table.option("value.format"))
}

/// Every metadata key `table` can read, in the order Flink lists them (a Kafka value format's
/// keys first, with `value.`), with their types.
pub fn readable_metadata(table: &TableDef) -> Vec<(String, DataType)> {
    let format = value_format(table).map(format_metadata).unwrap_or_default();
    let connector = connector_keys(table.option("connector").unwrap_or_default());
    format
        .into_iter()
        .map(|(k, ty)| (format!("{VALUE_PREFIX}{k}"), ty))
        .chain(connector.iter().map(|(k, t)| (k.to_string(), t.data_type())))
        .collect()
}

/// A metadata column's key: `FROM 'key'`, or the column's name.
fn key_of(c: &Column) -> Option<&str> {
    match &c.kind {
        ColumnKind::Metadata { key, .. } => Some(key.as_deref().unwrap_or(c.name.as_str())),
        _ => None,
    }
}

/// Checks `table`'s metadata columns: each key is one the table can read, of a type that casts
/// to the column's, and no key is read by two columns (Flink's message).
pub(super) fn validate_metadata(table: &TableDef) -> Result<()> {
    let err = |msg: String, c: &Column| {
        SqlError::validation(
            format!("table {}: column {}: {msg}", table.name, c.name),
            c.loc.pos().or(table.loc.pos()),
        )
    };
    let readable = readable_metadata(table);
    let connector = table.option("connector").unwrap_or_default();
    for (i, c) in table.columns.iter().enumerate() {
        let (Some(key), ColumnKind::Metadata { ty, .. }) = (key_of(c), &c.kind) else {
            continue;
        };
        let Some((_, key_ty)) = readable.iter().find(|(k, _)| k == key) else {
            let keys = || readable.iter().map(|(k, _)| k.as_str());
            let offered_by = match value_format(table) {
                Some(f) if !format_metadata(f).is_empty() => {
                    format!("connector '{connector}' with format '{f}'")
                }
                _ => format!("connector '{connector}'"),
            };
            let valid = if readable.is_empty() {
                "it has none".to_string()
            } else {
                format!("valid keys: {}", keys().collect::<Vec<_>>().join(", "))
            };
            // A format's key without its prefix is too far from it for a typo.
            let prefixed = format!("{VALUE_PREFIX}{key}");
            let hint = if keys().any(|k| k == prefixed) {
                format!(" (did you mean '{prefixed}'?)")
            } else {
                did_you_mean(key, keys())
            };
            return Err(err(
                format!("{offered_by} has no metadata '{key}'{hint}; {valid}"),
                c,
            ));
        };
        if !can_cast(&key_ty.kind, &ty.kind) {
            return Err(err(
                format!(
                    "the metadata '{key}' is {}, which cannot be cast to the column's type {}",
                    key_ty.kind, ty.kind
                ),
                c,
            ));
        }
        if let Some(other) = table.columns[..i].iter().find(|o| key_of(o) == Some(key)) {
            return Err(SqlError::validation(
                format!(
                    "The column `{}` and `{}` in the table are both from the same metadata key '{key}'. \
                     Please specify one of the columns as the metadata column and use the computed column \
                     syntax to specify the others.",
                    other.name.as_str(),
                    c.name.as_str()
                ),
                c.loc.pos().or(table.loc.pos()),
            ));
        }
    }
    Ok(())
}
