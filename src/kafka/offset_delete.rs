//! OffsetDelete: drops a group's committed offsets of some partitions.

use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{ApiKey, OffsetDeleteRequest, OffsetDeleteResponse};

use super::topics;
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::group;
use crate::command::Response;

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: OffsetDeleteRequest = decode_body(frame)?;
    let partitions = req
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(move |p| (topics::name(&t.name), p.partition_index))
        })
        .collect();
    let r = ctx
        .node
        .execute(
            group::Command::DeleteOffsets {
                group: req.group_id.0.as_str().to_string(),
                partitions,
            }
            .into(),
        )
        .await;
    let code = match &r {
        Response::Error(e) => error::group_code(e),
        _ => 0,
    };
    let topics = req
        .topics
        .iter()
        .map(|t| {
            OffsetDeleteResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(
                    t.partitions
                        .iter()
                        .map(|p| {
                            OffsetDeleteResponsePartition::default()
                                .with_partition_index(p.partition_index)
                        })
                        .collect(),
                )
        })
        .collect();
    let body = OffsetDeleteResponse::default()
        .with_error_code(code)
        .with_topics(topics);
    Ok(encode_response(
        ApiKey::OffsetDelete,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
