//! OffsetCommit: one command for all of a request's partitions.

use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{ApiKey, OffsetCommitRequest, OffsetCommitResponse};
use kafka_protocol::ResponseError;

use super::topics;
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::group::{self, Committed};
use crate::command::Response;
use crate::node::now_ms;

/// Kafka's `offset.metadata.max.bytes`.
const MAX_METADATA: usize = 4096;

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: OffsetCommitRequest = decode_body(frame)?;
    let group = req.group_id.0.as_str().to_string();
    let member_id = req.member_id.as_str().to_string();
    ctx.coordinator.heard(&group, &member_id);
    // Offsets of partitions that do not exist are refused, as Kafka does.
    let names: Vec<String> = req.topics.iter().map(|t| topics::name(&t.name)).collect();
    let known: Vec<(String, usize)> = topics::lookup(ctx, Some(names), false)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.name, t.partitions.len()))
        .collect();
    let exists = |topic: &str, p: i32| {
        known
            .iter()
            .any(|(n, count)| n == topic && p >= 0 && (p as usize) < *count)
    };
    let mut offsets = Vec::new();
    let mut too_large = Vec::new();
    let mut unknown = Vec::new();
    for t in &req.topics {
        for p in &t.partitions {
            if !exists(&topics::name(&t.name), p.partition_index) {
                unknown.push((topics::name(&t.name), p.partition_index));
                continue;
            }
            let metadata = p
                .committed_metadata
                .as_ref()
                .map(|m| m.as_str().to_string());
            if metadata.as_ref().is_some_and(|m| m.len() > MAX_METADATA) {
                too_large.push((topics::name(&t.name), p.partition_index));
                continue;
            }
            offsets.push(Committed {
                topic: topics::name(&t.name),
                partition: p.partition_index,
                offset: p.committed_offset,
                leader_epoch: p.committed_leader_epoch,
                metadata,
            });
        }
    }
    let code = if !ctx.node.is_leader() {
        ResponseError::NotCoordinator.code()
    } else if group.is_empty() {
        ResponseError::InvalidGroupId.code()
    } else {
        let r = ctx
            .node
            .execute(
                group::Command::Commit {
                    group: group.clone(),
                    member_id,
                    generation: req.generation_id_or_member_epoch,
                    offsets,
                    now_ms: now_ms(),
                    instance_id: req
                        .group_instance_id
                        .as_ref()
                        .map(|s| s.as_str().to_string()),
                }
                .into(),
            )
            .await;
        match r {
            Response::Error(e) => error::group_code(&e),
            _ => 0,
        }
    };
    let topics = req
        .topics
        .iter()
        .map(|t| {
            let name = topics::name(&t.name);
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let at = (name.clone(), p.partition_index);
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(if unknown.contains(&at) {
                            ResponseError::UnknownTopicOrPartition.code()
                        } else if too_large.contains(&at) {
                            ResponseError::OffsetMetadataTooLarge.code()
                        } else {
                            code
                        })
                })
                .collect();
            OffsetCommitResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(partitions)
        })
        .collect();
    let body = OffsetCommitResponse::default().with_topics(topics);
    Ok(encode_response(
        ApiKey::OffsetCommit,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
