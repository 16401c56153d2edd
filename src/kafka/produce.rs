//! Produce: record batches are checked (format v2, lengths, CRC32C, size) here, then appended
//! through the log as the producer sent them; the leader assigns their offsets as it applies
//! them. Every partition's append is one command of one write request, queued at once (see
//! the connection loop), so a pipelining producer's requests keep their order.

use bytes::Bytes;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ApiKey, ProduceRequest, ProduceResponse};
use kafka_protocol::ResponseError;

use super::topics::{self, topic_name};
use super::{decode_body, encode_response, error, Ctx, Frame, Pending};
use crate::command::log::{self, NewTopic};
use crate::command::{Command, Response};
use crate::shared::record_batch::{self as batch, Invalid};

/// Where one partition's answer comes from: a refusal found here, or the nth command queued.
enum Outcome {
    Refused(i16),
    Queued(usize),
}

/// Checks the request and queues its appends; the returned future answers once they commit.
pub async fn start(ctx: Ctx, frame: Frame) -> anyhow::Result<Pending> {
    let req: ProduceRequest = decode_body(&frame)?;
    let version = frame.header.request_api_version;
    let id = frame.header.correlation_id;
    let kafka = &ctx.node.config.kafka;
    let leader = ctx.node.is_leader();
    let mut cmds: Vec<Command> = Vec::new();
    let mut plan: Vec<(String, Vec<(i32, Outcome)>)> = Vec::with_capacity(req.topic_data.len());
    for t in &req.topic_data {
        let name = topics::name(&t.name);
        let mut parts = Vec::with_capacity(t.partition_data.len());
        for p in &t.partition_data {
            let outcome = if !topics::valid_name(&name) {
                Outcome::Refused(ResponseError::InvalidTopicException.code())
            } else if !leader {
                Outcome::Refused(ResponseError::NotLeaderOrFollower.code())
            } else {
                match check(p.records.as_ref(), kafka.message_max_bytes) {
                    Err(code) => Outcome::Refused(code),
                    Ok(records) => {
                        let create = kafka.auto_create_topics.then(|| NewTopic {
                            id: topics::new_id(),
                            partitions: kafka.num_partitions,
                        });
                        cmds.push(
                            log::Command::Append {
                                topic: name.clone(),
                                partition: p.index,
                                batches: records,
                                create,
                            }
                            .into(),
                        );
                        Outcome::Queued(cmds.len() - 1)
                    }
                }
            };
            parts.push((p.index, outcome));
        }
        plan.push((name, parts));
    }
    let replies = if cmds.is_empty() {
        None
    } else {
        Some(ctx.node.execute_queued(cmds).await)
    };
    let acks = req.acks;
    Ok(Box::pin(async move {
        let replies = match replies {
            Some(f) => f.await,
            None => Vec::new(),
        };
        metrics::counter!("trident_kafka_requests_total", "api" => "Produce").increment(1);
        if acks == 0 {
            return None;
        }
        let responses = plan
            .into_iter()
            .map(|(name, parts)| {
                let partition_responses = parts
                    .into_iter()
                    .map(|(index, outcome)| answer(index, outcome, &replies))
                    .collect();
                TopicProduceResponse::default()
                    .with_name(topic_name(&name))
                    .with_partition_responses(partition_responses)
            })
            .collect();
        let body = ProduceResponse::default().with_responses(responses);
        encode_response(ApiKey::Produce, version, id, &body)
    }))
}

/// The records of one partition, if they are whole v2 batches within the size limit.
fn check(records: Option<&Bytes>, max: usize) -> Result<Bytes, i16> {
    let Some(records) = records.filter(|r| !r.is_empty()) else {
        return Err(ResponseError::CorruptMessage.code());
    };
    if records.len() > max {
        return Err(ResponseError::MessageTooLarge.code());
    }
    match batch::split(records) {
        Ok(_) => Ok(records.clone()),
        // Clients that still write message format v0/v1 are older than Produce v3 allows.
        Err(Invalid::OldFormat) => Err(ResponseError::UnsupportedVersion.code()),
        Err(Invalid::Corrupt) => Err(ResponseError::CorruptMessage.code()),
        Err(Invalid::Unsupported) => Err(ResponseError::InvalidRecord.code()),
        Err(Invalid::TooLarge) => Err(ResponseError::MessageTooLarge.code()),
    }
}

fn answer(index: i32, outcome: Outcome, replies: &[Response]) -> PartitionProduceResponse {
    let r = PartitionProduceResponse::default()
        .with_index(index)
        .with_base_offset(-1)
        .with_log_append_time_ms(-1)
        .with_log_start_offset(-1);
    match outcome {
        Outcome::Refused(code) => r.with_error_code(code),
        Outcome::Queued(i) => match replies.get(i) {
            Some(Response::Log(log::Reply::Appended {
                base_offset,
                append_time,
                log_start,
            })) => r
                .with_base_offset(*base_offset)
                .with_log_append_time_ms(*append_time)
                .with_log_start_offset(*log_start),
            Some(other) => r.with_error_code(match error::of(other) {
                0 => ResponseError::UnknownServerError.code(),
                c => c,
            }),
            None => r.with_error_code(ResponseError::RequestTimedOut.code()),
        },
    }
}
