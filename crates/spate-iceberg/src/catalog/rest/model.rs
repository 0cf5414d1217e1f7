//! The REST catalog's JSON bodies this client sends and reads (the OpenAPI spec's
//! `CatalogConfig`, `CreateNamespaceRequest`, `CreateTableRequest`, `LoadTableResult`,
//! `CommitTableResponse`, `ErrorModel`, `OAuthTokenResponse`). Unknown fields are ignored, as
//! the spec lets servers add them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::partition::PartitionSpec;
use crate::schema::Schema;

/// `GET /v1/config`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct ConfigResponse {
    /// Applied before the client's own properties.
    #[serde(default)]
    pub(crate) defaults: BTreeMap<String, String>,
    /// Applied after them.
    #[serde(default)]
    pub(crate) overrides: BTreeMap<String, String>,
}

/// `POST /v1/{prefix}/namespaces`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CreateNamespaceRequest<'a> {
    pub(crate) namespace: &'a [String],
    pub(crate) properties: BTreeMap<String, String>,
}

/// `POST /v1/{prefix}/namespaces/{namespace}/tables`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct CreateTableRequest<'a> {
    pub(crate) name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) location: Option<&'a str>,
    pub(crate) schema: &'a Schema,
    pub(crate) partition_spec: &'a PartitionSpec,
    pub(crate) properties: &'a BTreeMap<String, String>,
}

/// `LoadTableResult` and `CommitTableResponse`: the metadata, and the file it is in. The
/// metadata is kept as JSON here and parsed by `TableMetadata::from_json`, which checks it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct TableResult {
    /// Absent only for a staged create, which this client never asks for.
    #[serde(default)]
    pub(crate) metadata_location: Option<String>,
    pub(crate) metadata: Json,
}

/// `{"error": {"message", "type", "code"}}`, or OAuth2's `{"error": "...",
/// "error_description": "..."}` from a token endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct ErrorResponse {
    pub(crate) error: ErrorBody,
    #[serde(default)]
    pub(crate) error_description: Option<String>,
}

/// The `error` member: the spec's `ErrorModel` or OAuth2's error code.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum ErrorBody {
    /// The spec's `ErrorModel`.
    Model {
        message: String,
        #[serde(rename = "type")]
        kind: String,
        code: u16,
    },
    /// OAuth2 (RFC 6749 5.2): `invalid_client`, ...
    OAuth(String),
}

impl ErrorResponse {
    /// `Type: message` as pyiceberg prints it, with the code when it differs from the status.
    pub(crate) fn describe(&self, status: u16) -> String {
        match &self.error {
            ErrorBody::Model { message, kind, code } if *code != status => {
                format!("{kind}: {message} (code {code})")
            }
            ErrorBody::Model { message, kind, .. } => format!("{kind}: {message}"),
            ErrorBody::OAuth(code) => match &self.error_description {
                Some(d) => format!("{code}: {d}"),
                None => code.clone(),
            },
        }
    }
}

/// `OAuthTokenResponse` (RFC 6749 5.1).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) token_type: Option<String>,
    #[serde(default)]
    pub(crate) expires_in: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{NestedField, PrimitiveType};

    #[test]
    fn requests_serialize_as_the_spec_names_them() {
        let schema =
            Schema::with_fresh_ids(vec![NestedField::required(0, "id", PrimitiveType::Long)], &["id"])
                .expect("schema");
        let spec = PartitionSpec::unpartitioned();
        let props = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
        let body = CreateTableRequest {
            name: "t",
            location: None,
            schema: &schema,
            partition_spec: &spec,
            properties: &props,
        };
        let json = serde_json::to_value(&body).expect("json");
        assert_eq!(json["name"], "t");
        assert!(json.get("location").is_none());
        assert_eq!(json["schema"]["type"], "struct");
        assert_eq!(json["schema"]["identifier-field-ids"], serde_json::json!([1]));
        assert_eq!(json["schema"]["fields"][0]["name"], "id");
        assert_eq!(json["partition-spec"]["fields"], serde_json::json!([]));
        assert_eq!(json["properties"]["k"], "v");
        let ns = vec!["a".to_owned(), "b".to_owned()];
        let json = serde_json::to_value(CreateNamespaceRequest {
            namespace: &ns,
            properties: BTreeMap::new(),
        })
        .expect("json");
        assert_eq!(
            json,
            serde_json::json!({"namespace": ["a", "b"], "properties": {}})
        );
    }

    #[test]
    fn responses_and_errors_parse() {
        let config: ConfigResponse = serde_json::from_str(
            r#"{"defaults":{"a":"1"},"overrides":{"prefix":"p"},"endpoints":["GET /v1/x"]}"#,
        )
        .expect("config");
        assert_eq!(config.overrides["prefix"], "p");
        let load: TableResult = serde_json::from_str(
            r#"{"metadata-location":"/m.json","metadata":{"format-version":2},"config":{}}"#,
        )
        .expect("load");
        assert_eq!(load.metadata_location.as_deref(), Some("/m.json"));
        let e: ErrorResponse = serde_json::from_str(
            r#"{"error":{"message":"Requirement failed: branch main has changed","type":"CommitFailedException","code":409}}"#,
        )
        .expect("error");
        assert_eq!(
            e.describe(409),
            "CommitFailedException: Requirement failed: branch main has changed"
        );
        assert!(e.describe(500).ends_with("(code 409)"));
        let e: ErrorResponse =
            serde_json::from_str(r#"{"error":"invalid_client","error_description":"bad secret"}"#)
                .expect("oauth");
        assert_eq!(e.describe(401), "invalid_client: bad secret");
        let t: TokenResponse =
            serde_json::from_str(r#"{"access_token":"x","token_type":"bearer","expires_in":3600}"#)
                .expect("token");
        assert_eq!((t.access_token.as_str(), t.expires_in), ("x", Some(3600)));
    }
}
