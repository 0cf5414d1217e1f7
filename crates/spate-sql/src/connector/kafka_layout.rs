//! Which physical columns a Kafka table keeps in the record key and which in the value, and
//! their formats, as Flink's `KafkaConnectorOptionsUtil` decides it.
//!
//! - `key.fields` (`a;b`): the key's columns, in that order, encoded with `key.format`
//!   (options `key.<format>.*`). With `key.fields-prefix` (`k_`) every key column must start
//!   with the prefix, the key format sees the names without it, and `value.fields-include`
//!   must be `EXCEPT_KEY`.
//! - `value.fields-include`: `ALL` (default) puts every physical column in the value,
//!   `EXCEPT_KEY` the others. The value format is `value.format` (options `value.<format>.*`)
//!   or `format` (options `<format>.*`).
//!
//! (Written here while the format helper's `format/key_value.rs` does not exist yet.)

use super::columns::Columns;
use super::opts::Options;
use crate::error::SqlError;
use crate::format::{FormatField, RowFormat};

/// One side (key or value) of the record: its format and which physical columns (indices into
/// [`Columns::physical`]) it carries, in the format's field order.
#[derive(Debug, Clone)]
pub(crate) struct Side {
    pub(crate) format: RowFormat,
    pub(crate) columns: Vec<usize>,
}

/// The key and value sides of a Kafka table.
#[derive(Debug, Clone)]
pub(crate) struct KafkaLayout {
    pub(crate) key: Option<Side>,
    pub(crate) value: Side,
}

impl KafkaLayout {
    pub(crate) fn of(options: Options<'_>, columns: &Columns) -> Result<Self, SqlError> {
        let physical: Vec<&FormatField> = columns.physical.iter().map(|(_, f)| f).collect();
        let prefix = options.get("key.fields-prefix").unwrap_or("");
        let except_key = options
            .get("value.fields-include")
            .is_some_and(|v| v.eq_ignore_ascii_case("EXCEPT_KEY"));
        let mut key_columns = Vec::new();
        if let Some(fields) = options.get("key.fields") {
            for name in fields.split(';').map(str::trim) {
                let Some(i) = physical.iter().position(|f| f.name == name) else {
                    return Err(options.invalid(
                        "key.fields",
                        format!("'{name}' is not a physical column of the table"),
                    ));
                };
                if !name.starts_with(prefix) {
                    return Err(options.invalid(
                        "key.fields",
                        format!(
                            "all fields in 'key.fields' must be prefixed with '{prefix}' when option 'key.fields-prefix' is set but field '{name}' is not prefixed"
                        ),
                    ));
                }
                key_columns.push(i);
            }
        }
        if !prefix.is_empty() && !except_key {
            return Err(options.invalid(
                "key.fields-prefix",
                "a key prefix is not allowed when option 'value.fields-include' is set to 'ALL'; set it to 'EXCEPT_KEY' instead to avoid field overlaps",
            ));
        }
        let key = match options.get("key.format") {
            None => {
                if !key_columns.is_empty() {
                    return Err(options.invalid("key.fields", "'key.fields' needs 'key.format'"));
                }
                None
            }
            Some(name) => {
                if key_columns.is_empty() {
                    return Err(options.invalid("key.format", "'key.format' needs 'key.fields'"));
                }
                let fields = key_columns
                    .iter()
                    .map(|&i| FormatField {
                        name: physical[i].name[prefix.len()..].to_string(),
                        ty: physical[i].ty.clone(),
                    })
                    .collect();
                let format = RowFormat::new(name, fields, &options.with_prefix(&format!("key.{name}.")))?;
                Some(Side {
                    format,
                    columns: key_columns.clone(),
                })
            }
        };
        let value_columns: Vec<usize> = (0..physical.len())
            .filter(|i| !(except_key && key_columns.contains(i)))
            .collect();
        let (name, prefix) = match (options.get("value.format"), options.get("format")) {
            (Some(v), _) => (v, format!("value.{v}.")),
            (None, Some(f)) => (f, format!("{f}.")),
            (None, None) => return Err(options.error("a Kafka table needs 'format' or 'value.format'")),
        };
        let fields = value_columns.iter().map(|&i| physical[i].clone()).collect();
        let format = RowFormat::new(name, fields, &options.with_prefix(&prefix))?;
        Ok(Self {
            key,
            value: Side {
                format,
                columns: value_columns,
            },
        })
    }
}
