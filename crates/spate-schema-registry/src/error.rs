//! The registry's errors, each with the HTTP status and Confluent error code a client sees.

/// Everything a registry call can refuse, as Confluent's registry refuses it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// 404 / 40401.
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    /// 404 / 40402.
    #[error("Version {0} not found.")]
    VersionNotFound(String),
    /// 404 / 40403 (the message says which: `Schema 7 not found`, `Schema not found`).
    #[error("{0}")]
    SchemaNotFound(String),
    /// 404 / 40404: the subject was soft-deleted (a permanent delete needs that first).
    #[error("Subject '{0}' was soft deleted.Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    /// 404 / 40405: a permanent delete of a subject that was not soft-deleted first.
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    /// 404 / 40406: the version was soft-deleted.
    #[error(
        "Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete permanently"
    )]
    VersionSoftDeleted {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
    },
    /// 404 / 40407: a permanent delete of a version that was not soft-deleted first.
    #[error("Subject '{subject}' Version {version} was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
    },
    /// 404 / 40408: no compatibility level set for the subject.
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectConfigNotFound(String),
    /// 404 / 40409: no mode set for the subject.
    #[error("Subject '{0}' does not have subject-level mode configured")]
    SubjectModeNotFound(String),
    /// 409 / 40901 (Confluent 8.2's code; earlier releases said 409): the schema breaks the
    /// subject's compatibility level.
    #[error("{0}")]
    Incompatible(String),
    /// 422 / 42201: the schema does not parse (or its references do not resolve).
    #[error("{0}")]
    InvalidSchema(String),
    /// 422 / 42202.
    #[error(
        "The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
    )]
    InvalidVersion(String),
    /// 422 / 42203.
    #[error(
        "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive"
    )]
    InvalidCompatibility,
    /// 422 / 42204.
    #[error("Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD.")]
    InvalidMode,
    /// 422 / 42205: the subject is in a mode that refuses the operation.
    #[error("{0}")]
    OperationNotPermitted(String),
    /// 422 / 42206: a referenced schema version is still in use.
    #[error(
        "One or more references exist to the schema {{magic=1,keytype=SCHEMA,subject={subject},version={version}}}."
    )]
    ReferenceExists {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
    },
    /// 500 / 50001: the `_schemas` topic could not be written or read.
    #[error("Error while storing the schema: {0}")]
    Store(String),
    /// 400: a request body that is not JSON.
    #[error("{0}")]
    BadRequest(String),
    /// 422 / 42208: a subject name with control characters (or a reserved one).
    #[error("The specified subject '{0}' is not a valid.")]
    InvalidSubject(String),
    /// 401: HTTP basic authentication failed.
    #[error("Unauthorized")]
    Unauthorized,
    /// 403 / 40301: the user may not do this.
    #[error("User is denied operation {operation} on {resource}")]
    Forbidden {
        /// What was asked.
        operation: String,
        /// Of what.
        resource: String,
    },
}

impl RegistryError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            RegistryError::SubjectNotFound(_)
            | RegistryError::VersionNotFound(_)
            | RegistryError::SchemaNotFound(_)
            | RegistryError::SubjectSoftDeleted(_)
            | RegistryError::SubjectNotSoftDeleted(_)
            | RegistryError::VersionSoftDeleted { .. }
            | RegistryError::VersionNotSoftDeleted { .. }
            | RegistryError::SubjectConfigNotFound(_)
            | RegistryError::SubjectModeNotFound(_) => 404,
            RegistryError::Incompatible(_) => 409,
            RegistryError::InvalidSchema(_)
            | RegistryError::InvalidVersion(_)
            | RegistryError::InvalidCompatibility
            | RegistryError::InvalidMode
            | RegistryError::OperationNotPermitted(_)
            | RegistryError::ReferenceExists { .. } => 422,
            RegistryError::Store(_) => 500,
            RegistryError::BadRequest(_) => 400,
            RegistryError::InvalidSubject(_) => 422,
            RegistryError::Unauthorized => 401,
            RegistryError::Forbidden { .. } => 403,
        }
    }

    /// Confluent's `error_code`.
    pub fn code(&self) -> u32 {
        match self {
            RegistryError::SubjectNotFound(_) => 40401,
            RegistryError::VersionNotFound(_) => 40402,
            RegistryError::SchemaNotFound(_) => 40403,
            RegistryError::SubjectSoftDeleted(_) => 40404,
            RegistryError::SubjectNotSoftDeleted(_) => 40405,
            RegistryError::VersionSoftDeleted { .. } => 40406,
            RegistryError::VersionNotSoftDeleted { .. } => 40407,
            RegistryError::SubjectConfigNotFound(_) => 40408,
            RegistryError::SubjectModeNotFound(_) => 40409,
            RegistryError::Incompatible(_) => 40901,
            RegistryError::InvalidSchema(_) => 42201,
            RegistryError::InvalidVersion(_) => 42202,
            RegistryError::InvalidCompatibility => 42203,
            RegistryError::InvalidMode => 42204,
            RegistryError::OperationNotPermitted(_) => 42205,
            RegistryError::ReferenceExists { .. } => 42206,
            RegistryError::Store(_) => 50001,
            RegistryError::BadRequest(_) => 400,
            RegistryError::InvalidSubject(_) => 42208,
            RegistryError::Unauthorized => 401,
            RegistryError::Forbidden { .. } => 40301,
        }
    }

    /// The JSON body Confluent's clients parse: `{"error_code":40401,"message":"..."}`.
    pub fn body(&self) -> String {
        serde_json::json!({"error_code": self.code(), "message": self.to_string()}).to_string()
    }
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, RegistryError>;
