//! Reading a format's options (already stripped of the `json.` / `csv.` / `raw.` prefix), with
//! errors that name the option as the table wrote it and list the valid ones.

use std::collections::BTreeMap;

use crate::error::SqlError;

/// One format's options.
pub(crate) struct FormatOptions<'a> {
    format: &'static str,
    map: &'a BTreeMap<String, String>,
}

impl<'a> FormatOptions<'a> {
    /// Checks that every option is one of `known`.
    pub(crate) fn new(
        format: &'static str,
        map: &'a BTreeMap<String, String>,
        known: &[&str],
    ) -> Result<Self, SqlError> {
        let this = Self { format, map };
        if let Some(bad) = map.keys().find(|k| !known.contains(&k.as_str())) {
            let mut valid: Vec<String> = known.iter().map(|k| format!("{format}.{k}")).collect();
            valid.sort();
            return Err(this.error(format!(
                "unsupported option '{format}.{bad}'; supported options: {}",
                valid.join(", ")
            )));
        }
        Ok(this)
    }

    /// A validation error about this format.
    pub(crate) fn error(&self, message: String) -> SqlError {
        SqlError::validation(format!("format '{}': {message}", self.format), None)
    }

    /// The option's value, if set.
    pub(crate) fn get(&self, key: &str) -> Option<&'a str> {
        self.map.get(key).map(String::as_str)
    }

    /// A boolean option (`true`/`false`, any case, as Flink reads them).
    pub(crate) fn flag(&self, key: &str, default: bool) -> Result<bool, SqlError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(self.error(format!(
                "option '{}.{key}' takes true or false, not '{v}'",
                self.format
            ))),
        }
    }

    /// The full name of an option, for messages.
    pub(crate) fn name(&self, key: &str) -> String {
        format!("{}.{key}", self.format)
    }
}
