use kafka_protocol::messages::ApiVersionsResponse;

use crate::codec::supported_api_versions;

pub(crate) fn response() -> ApiVersionsResponse {
    ApiVersionsResponse::default().with_api_keys(supported_api_versions())
}
