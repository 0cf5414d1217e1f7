//! Which of a table's columns each of its formats reads and writes: the single `format` of a
//! filesystem table, and the key and value formats of a Kafka table with Flink's options and
//! validation errors (`key.format`, `key.fields`, `key.fields-prefix`, `value.format` or
//! `format`, `value.fields-include`).
//!
//! Flink's rules: the key format reads and writes the `key.fields` columns, in that option's
//! order, named without `key.fields-prefix`; the value format all physical columns
//! (`value.fields-include` = `ALL`, the default) or those not in the key (`EXCEPT_KEY`), in
//! table order. A format's options are the table's options under its prefix: `json.*` for
//! `format`, `key.json.*` and `value.json.*` for `key.format` and `value.format`.

use std::collections::BTreeMap;

use super::{FormatField, RowFormat};
use crate::ast::{ColumnKind, TableDef};
use crate::error::SqlError;

/// One format of a table and the columns it covers.
#[derive(Debug, Clone)]
pub struct FormatColumns {
    /// The configured format; its fields carry the names the format uses (without
    /// `key.fields-prefix`).
    pub format: RowFormat,
    /// For each of the format's fields, its index among the table's physical columns.
    pub columns: Vec<usize>,
}

/// A Kafka table's formats.
#[derive(Debug, Clone)]
pub struct KeyValueLayout {
    /// The key format, when the table has `key.format`.
    pub key: Option<FormatColumns>,
    /// The value format.
    pub value: FormatColumns,
}

/// The table's options as a map (a repeated key: the last value counts, as in Flink).
pub fn options_map(table: &TableDef) -> BTreeMap<String, String> {
    table
        .options
        .iter()
        .map(|o| (o.key.clone(), o.value.clone()))
        .collect()
}

/// The table's physical columns as format fields, in declaration order.
pub fn physical_fields(table: &TableDef) -> Vec<FormatField> {
    table
        .columns
        .iter()
        .filter_map(|c| match &c.kind {
            ColumnKind::Physical(ty) => Some(FormatField::new(c.name.as_str(), ty.clone())),
            _ => None,
        })
        .collect()
}

fn err(message: String) -> SqlError {
    SqlError::validation(message, None)
}

/// The options under `prefix` (`json.`), with it removed.
fn format_options(options: &BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    options
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|rest| (rest.to_string(), v.clone())))
        .collect()
}

/// A registry format's options with Flink's default subject for a Kafka table's `part`
/// (`key` or `value`): `<topic>-key` / `<topic>-value`, when the table names one topic and
/// no subject is set.
fn with_default_subject(
    mut format_options: BTreeMap<String, String>,
    format: &str,
    options: &BTreeMap<String, String>,
    part: &str,
) -> BTreeMap<String, String> {
    let registry_format = super::uses_schema_registry(format);
    let has_subject =
        format_options.contains_key("subject") || format_options.contains_key("schema-registry.subject");
    if let (true, false, Some(topic)) = (registry_format, has_subject, options.get("topic"))
        && !topic.contains(';')
    {
        format_options.insert("subject".into(), format!("{}-{part}", topic.trim()));
    }
    format_options
}

/// The single format of a table that has one (`filesystem`): `format` with its
/// `<format>.*` options, over all of `physical`.
pub fn single_format(
    physical: &[FormatField],
    options: &BTreeMap<String, String>,
) -> Result<RowFormat, SqlError> {
    let name = options
        .get("format")
        .ok_or_else(|| err("the table needs the option 'format'".into()))?;
    RowFormat::new(
        name,
        physical.to_vec(),
        &format_options(options, &format!("{name}.")),
    )
}

/// Kafka's key and value formats over the table's `physical` columns, from the table's
/// `options`, with Flink's validation.
pub fn kafka_layout(
    physical: &[FormatField],
    options: &BTreeMap<String, String>,
) -> Result<KeyValueLayout, SqlError> {
    let (value_name, value_prefix) = match (options.get("format"), options.get("value.format")) {
        // Flink reads 'format' when both are given (Spate's catalog rejects that table).
        (Some(f), _) => (f, format!("{f}.")),
        (None, Some(f)) => (f, format!("value.{f}.")),
        (None, None) => {
            return Err(err("Could not find required scan format 'value.format'.".into()));
        }
    };
    let except_key = match options.get("value.fields-include") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("ALL") => false,
        Some(v) if v.eq_ignore_ascii_case("EXCEPT_KEY") => true,
        Some(v) => {
            return Err(err(format!(
                "invalid value '{v}' for option 'value.fields-include'; valid values: ALL, EXCEPT_KEY"
            )));
        }
    };
    let prefix = options.get("key.fields-prefix").map_or("", String::as_str);
    let key_fields: Option<Vec<&str>> = options
        .get("key.fields")
        .map(|f| f.split(';').map(str::trim).filter(|s| !s.is_empty()).collect());
    let key = match (options.get("key.format"), key_fields) {
        (None, Some(_)) => {
            return Err(err(
                "The option 'key.fields' can only be declared if a key format is defined using 'key.format'."
                    .into(),
            ));
        }
        (Some(_), None) => {
            return Err(err(
                "A key format 'key.format' requires the declaration of one or more of key fields using \
                 'key.fields'."
                    .into(),
            ));
        }
        (Some(_), Some(fields)) if fields.is_empty() => {
            return Err(err(
                "A key format 'key.format' requires the declaration of one or more of key fields using \
                 'key.fields'."
                    .into(),
            ));
        }
        (None, None) => None,
        (Some(name), Some(fields)) => {
            let names: Vec<&str> = physical.iter().map(|f| f.name.as_str()).collect();
            let mut columns = Vec::with_capacity(fields.len());
            let mut format_fields = Vec::with_capacity(fields.len());
            for f in fields {
                let Some(pos) = names.iter().position(|n| *n == f) else {
                    return Err(err(format!(
                        "Could not find the field '{f}' in the table schema for usage in the key format. A key \
                         field must be a regular, physical column. The following columns can be selected in \
                         the 'key.fields' option:\n[{}]",
                        names.join(", ")
                    )));
                };
                let Some(stripped) = f.strip_prefix(prefix) else {
                    return Err(err(format!(
                        "All fields in 'key.fields' must be prefixed with '{prefix}' when option \
                         'key.fields-prefix' is set but field '{f}' is not prefixed."
                    )));
                };
                columns.push(pos);
                format_fields.push(FormatField::new(stripped, physical[pos].ty.clone()));
            }
            let format = RowFormat::new(
                name,
                format_fields,
                &with_default_subject(
                    format_options(options, &format!("key.{name}.")),
                    name,
                    options,
                    "key",
                ),
            )?;
            Some(FormatColumns { format, columns })
        }
    };
    if !prefix.is_empty() && !except_key {
        return Err(err(
            "A key prefix is not allowed when option 'value.fields-include' is set to 'ALL'. Set it to \
             'EXCEPT_KEY' instead to avoid field overlaps."
                .into(),
        ));
    }
    let value_columns: Vec<usize> = (0..physical.len())
        .filter(|i| !(except_key && key.as_ref().is_some_and(|k| k.columns.contains(i))))
        .collect();
    let value_fields = value_columns.iter().map(|&i| physical[i].clone()).collect();
    let value = FormatColumns {
        format: RowFormat::new(
            value_name,
            value_fields,
            &with_default_subject(
                format_options(options, &value_prefix),
                value_name,
                options,
                "value",
            ),
        )?,
        columns: value_columns,
    };
    Ok(KeyValueLayout { key, value })
}
