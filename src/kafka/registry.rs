//! The APIs trident serves and the versions it advertises. The ranges are those of a Kafka 3.x
//! broker, cut to what is implemented (and to what the kafka-protocol crate decodes): clients
//! infer the broker's features from them, so nothing unimplemented is advertised.

use kafka_protocol::messages::{ApiKey, RequestHeader};

use super::{Ctx, Frame, Reply};

/// One API: its key and the versions served.
pub struct Api {
    pub key: ApiKey,
    pub min: i16,
    pub max: i16,
}

const fn api(key: ApiKey, min: i16, max: i16) -> Api {
    Api { key, min, max }
}

pub const APIS: &[Api] = &[
    // Message format v2 only: Produce from v3, Fetch from v4.
    api(ApiKey::Produce, 3, 9),
    // v13 names topics by id only.
    api(ApiKey::Fetch, 4, 12),
    api(ApiKey::ListOffsets, 1, 7),
    api(ApiKey::Metadata, 0, 12),
    api(ApiKey::OffsetCommit, 2, 8),
    api(ApiKey::OffsetFetch, 1, 8),
    api(ApiKey::FindCoordinator, 0, 4),
    api(ApiKey::JoinGroup, 0, 7),
    api(ApiKey::Heartbeat, 0, 4),
    api(ApiKey::LeaveGroup, 0, 4),
    api(ApiKey::SyncGroup, 0, 5),
    api(ApiKey::DescribeGroups, 0, 5),
    api(ApiKey::ListGroups, 0, 4),
    api(ApiKey::ApiVersions, 0, 3),
    api(ApiKey::CreateTopics, 2, 5),
    api(ApiKey::DeleteTopics, 1, 5),
    api(ApiKey::DeleteRecords, 0, 2),
    api(ApiKey::InitProducerId, 0, 4),
    api(ApiKey::DescribeConfigs, 1, 4),
    api(ApiKey::CreatePartitions, 0, 3),
    api(ApiKey::DeleteGroups, 0, 2),
    api(ApiKey::IncrementalAlterConfigs, 0, 1),
    api(ApiKey::OffsetDelete, 0, 0),
    api(ApiKey::DescribeCluster, 0, 1),
];

/// The advertised range of an API, if it is served.
pub fn range(key: ApiKey) -> Option<(i16, i16)> {
    APIS.iter().find(|a| a.key == key).map(|a| (a.min, a.max))
}

/// The API's name as metrics label it.
pub fn api_name(key: ApiKey) -> &'static str {
    match key {
        ApiKey::Produce => "Produce",
        ApiKey::Fetch => "Fetch",
        ApiKey::ListOffsets => "ListOffsets",
        ApiKey::Metadata => "Metadata",
        ApiKey::OffsetCommit => "OffsetCommit",
        ApiKey::OffsetFetch => "OffsetFetch",
        ApiKey::FindCoordinator => "FindCoordinator",
        ApiKey::JoinGroup => "JoinGroup",
        ApiKey::Heartbeat => "Heartbeat",
        ApiKey::LeaveGroup => "LeaveGroup",
        ApiKey::SyncGroup => "SyncGroup",
        ApiKey::DescribeGroups => "DescribeGroups",
        ApiKey::ListGroups => "ListGroups",
        ApiKey::ApiVersions => "ApiVersions",
        ApiKey::CreateTopics => "CreateTopics",
        ApiKey::DeleteTopics => "DeleteTopics",
        ApiKey::DeleteRecords => "DeleteRecords",
        ApiKey::InitProducerId => "InitProducerId",
        ApiKey::DescribeConfigs => "DescribeConfigs",
        ApiKey::CreatePartitions => "CreatePartitions",
        ApiKey::DeleteGroups => "DeleteGroups",
        ApiKey::IncrementalAlterConfigs => "IncrementalAlterConfigs",
        ApiKey::OffsetDelete => "OffsetDelete",
        ApiKey::DescribeCluster => "DescribeCluster",
        _ => "other",
    }
}

/// Whether the request's API and version are served.
pub fn supported(header: &RequestHeader, key: ApiKey) -> bool {
    range(key).is_some_and(|(min, max)| (min..=max).contains(&header.request_api_version))
}

/// Runs one request (Produce aside: see `produce::start`). An API or version not served, or a
/// body that does not decode, closes the connection, as a Kafka broker does; ApiVersions
/// answers every version.
pub async fn dispatch(ctx: &Ctx, frame: Frame) -> anyhow::Result<Reply> {
    use super::*;
    metrics::counter!("trident_kafka_requests_total", "api" => api_name(frame.api)).increment(1);
    if frame.api == ApiKey::ApiVersions {
        return api_versions::handle(ctx, &frame);
    }
    if !supported(&frame.header, frame.api) {
        anyhow::bail!(
            "{:?} v{} is not served",
            frame.api,
            frame.header.request_api_version
        );
    }
    match frame.api {
        ApiKey::Fetch => fetch::handle(ctx, &frame).await,
        ApiKey::ListOffsets => list_offsets::handle(ctx, &frame).await,
        ApiKey::Metadata => metadata::handle(ctx, &frame).await,
        ApiKey::OffsetCommit => offset_commit::handle(ctx, &frame).await,
        ApiKey::OffsetFetch => offset_fetch::handle(ctx, &frame).await,
        ApiKey::FindCoordinator => find_coordinator::handle(ctx, &frame).await,
        ApiKey::JoinGroup => join_group::handle(ctx, &frame).await,
        ApiKey::Heartbeat => heartbeat::handle(ctx, &frame).await,
        ApiKey::LeaveGroup => leave_group::handle(ctx, &frame).await,
        ApiKey::SyncGroup => sync_group::handle(ctx, &frame).await,
        ApiKey::DescribeGroups => describe_groups::handle(ctx, &frame).await,
        ApiKey::ListGroups => list_groups::handle(ctx, &frame).await,
        ApiKey::CreateTopics => create_topics::handle(ctx, &frame).await,
        ApiKey::DeleteTopics => delete_topics::handle(ctx, &frame).await,
        ApiKey::DeleteRecords => delete_records::handle(ctx, &frame).await,
        ApiKey::InitProducerId => init_producer_id::handle(ctx, &frame).await,
        ApiKey::DescribeConfigs => describe_configs::handle(ctx, &frame).await,
        ApiKey::CreatePartitions => create_partitions::handle(ctx, &frame).await,
        ApiKey::DeleteGroups => delete_groups::handle(ctx, &frame).await,
        ApiKey::IncrementalAlterConfigs => incremental_alter_configs::handle(ctx, &frame).await,
        ApiKey::OffsetDelete => offset_delete::handle(ctx, &frame).await,
        ApiKey::DescribeCluster => describe_cluster::handle(ctx, &frame).await,
        other => anyhow::bail!("{other:?} is not served"),
    }
}
