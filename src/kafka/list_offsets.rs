//! ListOffsets: earliest (-2), latest (-1), the max timestamp (-3) or the first offset at or
//! after a timestamp. With no transactions the last stable offset is the high watermark, so
//! read_committed and read_uncommitted get the same answer.

use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ApiKey, ListOffsetsRequest, ListOffsetsResponse};
use kafka_protocol::ResponseError;

use super::topics::{self, topic_name};
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::log::{self, OffsetSpec};
use crate::command::{Query, Response};

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: ListOffsetsRequest = decode_body(frame)?;
    let leader = ctx.node.is_leader();
    let mut out = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let name = topics::name(&t.name);
        let mut parts = Vec::with_capacity(t.partitions.len());
        for p in &t.partitions {
            let r = ListOffsetsPartitionResponse::default()
                .with_partition_index(p.partition_index)
                .with_timestamp(-1)
                .with_offset(-1)
                .with_leader_epoch(-1);
            if !leader {
                parts.push(r.with_error_code(ResponseError::NotLeaderOrFollower.code()));
                continue;
            }
            let spec = match p.timestamp {
                -1 => OffsetSpec::Latest,
                -2 => OffsetSpec::Earliest,
                -3 => OffsetSpec::MaxTimestamp,
                ts => OffsetSpec::Timestamp(ts),
            };
            let q = Query::Log(log::Query::Offset {
                topic: name.clone(),
                partition: p.partition_index,
                spec,
            });
            parts.push(match ctx.node.query(&q, true).await {
                Response::Log(log::Reply::Offset { offset, timestamp }) => {
                    r.with_offset(offset).with_timestamp(timestamp)
                }
                other => r.with_error_code(match error::of(&other) {
                    0 => ResponseError::UnknownServerError.code(),
                    c => c,
                }),
            });
        }
        out.push(
            ListOffsetsTopicResponse::default()
                .with_name(topic_name(&name))
                .with_partitions(parts),
        );
    }
    let body = ListOffsetsResponse::default().with_topics(out);
    Ok(encode_response(
        ApiKey::ListOffsets,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
