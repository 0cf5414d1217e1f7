//! [`Setting`]: one broker property as written, and the error that names it.

use crate::error::Error;

/// One `key=value` and where it came from (`server.properties line 12`, `--set`), for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// Kafka broker property name.
    pub key: String,
    /// Its value as written (blanks around it are ignored, as Kafka does).
    pub value: String,
    /// Where it was written, as error messages should name it.
    pub origin: String,
}

impl Setting {
    /// A setting from `origin`.
    pub fn new(key: impl Into<String>, value: impl Into<String>, origin: impl Into<String>) -> Setting {
        Setting {
            key: key.into(),
            value: value.into(),
            origin: origin.into(),
        }
    }

    /// The error for this setting's value: its key, value and origin, and `reason`.
    pub(crate) fn error(&self, reason: String) -> Error {
        Error::Property {
            key: self.key.trim().to_string(),
            value: self.value.clone(),
            origin: self.origin.clone(),
            reason,
        }
    }
}
