//! DeleteTopics, by name (topic ids are not looked up: v6 is not served).

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{ApiKey, DeleteTopicsRequest, DeleteTopicsResponse};

use super::topics::{self, topic_name};
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::log;

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: DeleteTopicsRequest = decode_body(frame)?;
    let names: Vec<String> = req.topic_names.iter().map(topics::name).collect();
    let cmds = names
        .iter()
        .map(|n| log::Command::DeleteTopic { name: n.clone() }.into())
        .collect();
    let replies = ctx.node.execute_many(cmds).await;
    let responses = names
        .iter()
        .zip(replies)
        .map(|(n, r)| {
            DeletableTopicResult::default()
                .with_name(Some(topic_name(n)))
                .with_error_code(error::of(&r))
        })
        .collect();
    let body = DeleteTopicsResponse::default().with_responses(responses);
    Ok(encode_response(
        ApiKey::DeleteTopics,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
