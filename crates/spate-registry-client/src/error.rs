use thiserror::Error;

/// Why a registry call or a framed record failed.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The registry answered with an error (Confluent's body: `error_code` and `message`).
    #[error("schema registry {url}: HTTP {status}, error code {code}: {message}")]
    Registry {
        /// The URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Confluent's `error_code` (the status when the body had none).
        code: i64,
        /// Confluent's `message` (or the body).
        message: String,
    },
    /// The registry could not be reached or the exchange broke off.
    #[error("schema registry {url}: {message}")]
    Transport {
        /// The URL asked.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The configuration is unusable (a bad URL, an unreadable certificate file).
    #[error("schema registry client: {0}")]
    Config(String),
    /// The registry's answer was not what the API promises.
    #[error("schema registry {url}: unexpected response: {message}")]
    Protocol {
        /// The URL asked.
        url: String,
        /// What was wrong with it.
        message: String,
    },
    /// A schema from the registry does not parse.
    #[error("schema id {id}: {message}")]
    Schema {
        /// The schema's id.
        id: u32,
        /// The parser's message.
        message: String,
    },
    /// A record is not in the Confluent wire format.
    #[error("{0}")]
    Wire(String),
}

impl ClientError {
    /// Confluent's error code, when the registry answered with one (40403: schema not found).
    pub fn registry_code(&self) -> Option<i64> {
        match self {
            ClientError::Registry { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, ClientError>;
