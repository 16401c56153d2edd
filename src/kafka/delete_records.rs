//! DeleteRecords: moves a partition's log start offset up; the batches wholly before it go.

use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{ApiKey, DeleteRecordsRequest, DeleteRecordsResponse};

use super::topics;
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::log;
use crate::command::{Command, Response};

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: DeleteRecordsRequest = decode_body(frame)?;
    let mut cmds: Vec<Command> = Vec::new();
    for t in &req.topics {
        for p in &t.partitions {
            cmds.push(
                log::Command::DeleteRecords {
                    topic: topics::name(&t.name),
                    partition: p.partition_index,
                    before: p.offset,
                }
                .into(),
            );
        }
    }
    let mut replies = ctx.node.execute_many(cmds).await.into_iter();
    let topics = req
        .topics
        .iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let r = DeleteRecordsPartitionResult::default()
                        .with_partition_index(p.partition_index)
                        .with_low_watermark(-1);
                    match replies.next() {
                        Some(Response::Log(log::Reply::LogStart(start))) => {
                            r.with_low_watermark(start)
                        }
                        Some(other) => r.with_error_code(error::of(&other)),
                        None => r,
                    }
                })
                .collect();
            DeleteRecordsTopicResult::default()
                .with_name(t.name.clone())
                .with_partitions(partitions)
        })
        .collect();
    let body = DeleteRecordsResponse::default().with_topics(topics);
    Ok(encode_response(
        ApiKey::DeleteRecords,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
