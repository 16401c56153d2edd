//! ApiVersions: what this broker serves. A version we do not serve is answered with
//! UNSUPPORTED_VERSION and our ranges in a v0 body (which every client can read), so the client
//! retries with one it and we share. The response header is always v0, whatever the version.

use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, ApiVersionsResponse};
use kafka_protocol::ResponseError;

use super::registry::{range, APIS};
use super::{encode_response, Ctx, Frame, Reply};

pub fn handle(_ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let version = frame.header.request_api_version;
    let keys: Vec<ApiVersion> = APIS
        .iter()
        .map(|a| {
            ApiVersion::default()
                .with_api_key(a.key as i16)
                .with_min_version(a.min)
                .with_max_version(a.max)
        })
        .collect();
    let (min, max) = range(ApiKey::ApiVersions).unwrap_or((0, 0));
    let id = frame.header.correlation_id;
    if !(min..=max).contains(&version) {
        let body = ApiVersionsResponse::default()
            .with_error_code(ResponseError::UnsupportedVersion.code())
            .with_api_keys(keys);
        return Ok(encode_response(ApiKey::ApiVersions, 0, id, &body));
    }
    // The body of v3 and later is flexible; its request may carry client software fields we
    // have no use for, so it is not decoded.
    let body = ApiVersionsResponse::default().with_api_keys(keys);
    Ok(encode_response(ApiKey::ApiVersions, version, id, &body))
}
