//! CreateTopics. Every topic is replicated on every member (the Raft group), so the
//! replication factor asked for is accepted up to the number of members; explicit replica
//! assignments are refused.

use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::{ApiKey, CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::ResponseError;

use super::topics::{self, str_bytes};
use super::{decode_body, encode_response, error, topic_configs, Ctx, Frame, Reply};
use crate::command::log::{self, MAX_PARTITIONS};
use crate::command::{Command, Response};

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: CreateTopicsRequest = decode_body(frame)?;
    let members = topics::brokers(ctx).len().max(1) as i16;
    let default_partitions = ctx.node.config.kafka.num_partitions;
    let mut results = Vec::with_capacity(req.topics.len());
    let mut cmds: Vec<Command> = Vec::new();
    let mut queued = Vec::new();
    for t in &req.topics {
        let name = topics::name(&t.name);
        let partitions = if t.num_partitions == -1 {
            default_partitions
        } else {
            t.num_partitions
        };
        let result = CreatableTopicResult::default()
            .with_name(t.name.clone())
            .with_num_partitions(partitions)
            .with_replication_factor(if t.replication_factor == -1 {
                members
            } else {
                t.replication_factor
            });
        let refusal = if !topics::valid_name(&name) {
            Some((
                ResponseError::InvalidTopicException,
                "invalid topic name".to_string(),
            ))
        } else if partitions <= 0 || partitions > MAX_PARTITIONS {
            Some((
                ResponseError::InvalidPartitions,
                format!("partitions must be between 1 and {MAX_PARTITIONS}"),
            ))
        } else if t.replication_factor == 0 || t.replication_factor > members {
            Some((
                ResponseError::InvalidReplicationFactor,
                format!("replication factor must be between 1 and {members}"),
            ))
        } else if !t.assignments.is_empty() {
            Some((
                ResponseError::InvalidReplicaAssignment,
                "every partition is replicated on every member".to_string(),
            ))
        } else {
            t.configs
                .iter()
                .find_map(|c| {
                    topic_configs::check(c.name.as_str(), c.value.as_ref().map(|v| v.as_str()))
                        .err()
                })
                .map(|why| (ResponseError::InvalidConfig, why))
        };
        if let Some((e, why)) = refusal {
            results.push(
                result
                    .with_error_code(e.code())
                    .with_error_message(Some(str_bytes(&why))),
            );
            continue;
        }
        let id = topics::new_id();
        results.push(result.with_topic_id(uuid::Uuid::from_bytes(id)));
        if req.validate_only {
            continue;
        }
        let configs = t
            .configs
            .iter()
            .filter_map(|c| {
                c.value
                    .as_ref()
                    .map(|v| (c.name.as_str().to_string(), v.as_str().to_string()))
            })
            .collect();
        queued.push(results.len() - 1);
        cmds.push(
            log::Command::CreateTopic {
                name,
                id,
                partitions,
                configs,
            }
            .into(),
        );
    }
    if !cmds.is_empty() {
        let replies = ctx.node.execute_many(cmds).await;
        for (at, r) in queued.into_iter().zip(replies) {
            if let Response::Error(e) = &r {
                let res = &mut results[at];
                res.error_code = error::code(e);
                res.error_message = Some(str_bytes(&e.to_string()));
            }
        }
    }
    let body = CreateTopicsResponse::default().with_topics(results);
    Ok(encode_response(
        ApiKey::CreateTopics,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
