//! Fetch: stored batches as they are, no re-encoding. A fetch that finds less than `min_bytes`
//! waits, up to `max_wait_ms`, for the logs' change notice and looks again; nothing polls.
//! Fetch sessions are not kept: every answer carries session id 0, which tells clients that
//! ask for one to send full requests.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{ApiKey, FetchRequest, FetchResponse};
use kafka_protocol::ResponseError;

use super::topics::{self, topic_name};
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::log;
use crate::command::{Query, Response};

/// The longest a fetch waits, whatever it asks for.
const MAX_WAIT: Duration = Duration::from_secs(30);

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: FetchRequest = decode_body(frame)?;
    let version = frame.header.request_api_version;
    let wait = Duration::from_millis(req.max_wait_ms.max(0) as u64).min(MAX_WAIT);
    let deadline = tokio::time::Instant::now() + wait;
    let mut notices = ctx.node.notices.logs();
    let session_error = if version >= 7 && req.session_id != 0 {
        ResponseError::FetchSessionIdNotFound.code()
    } else {
        0
    };
    let responses = loop {
        notices.borrow_and_update();
        let (responses, bytes, failed) = gather(ctx, &req).await;
        let enough = bytes >= req.min_bytes.max(0) as usize;
        if enough || failed || session_error != 0 || tokio::time::Instant::now() >= deadline {
            break responses;
        }
        tokio::select! {
            r = notices.changed() => {
                if r.is_err() {
                    break responses;
                }
            }
            _ = tokio::time::sleep_until(deadline) => {}
        }
    };
    let body = FetchResponse::default()
        .with_error_code(session_error)
        .with_session_id(0)
        .with_responses(if session_error != 0 {
            Vec::new()
        } else {
            responses
        });
    Ok(encode_response(
        ApiKey::Fetch,
        version,
        frame.header.correlation_id,
        &body,
    ))
}

/// One look at every partition asked for: the answers, the bytes found and whether any
/// partition failed (which answers at once).
async fn gather(ctx: &Ctx, req: &FetchRequest) -> (Vec<FetchableTopicResponse>, usize, bool) {
    let leader = ctx.node.is_leader();
    let mut left = if req.max_bytes > 0 {
        req.max_bytes as usize
    } else {
        usize::MAX
    };
    let committed = req.isolation_level == 1;
    let mut total = 0;
    let mut failed = false;
    let mut out = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let name = topics::name(&t.topic);
        let mut parts = Vec::with_capacity(t.partitions.len());
        for p in &t.partitions {
            let base = PartitionData::default()
                .with_partition_index(p.partition)
                .with_records(Some(Bytes::new()))
                .with_aborted_transactions(committed.then(Vec::new));
            if !leader {
                failed = true;
                parts.push(base.with_error_code(ResponseError::NotLeaderOrFollower.code()));
                continue;
            }
            // Once the response is full, the other partitions are answered empty.
            let max = (p.partition_max_bytes.max(0) as usize).min(left);
            let q = Query::Log(log::Query::Fetch {
                topic: name.clone(),
                partition: p.partition,
                offset: p.fetch_offset,
                max_bytes: max.min(u32::MAX as usize) as u32,
                // Only the first partition with records may go over the limits.
                at_least_one: total == 0,
            });
            let r = ctx.node.query(&q, true).await;
            match r {
                Response::Log(log::Reply::Fetched(f)) => {
                    let log::Fetched {
                        records,
                        high_watermark,
                        log_start,
                    } = *f;
                    total += records.len();
                    left = left.saturating_sub(records.len());
                    parts.push(
                        base.with_high_watermark(high_watermark)
                            .with_last_stable_offset(high_watermark)
                            .with_log_start_offset(log_start)
                            .with_records(Some(records)),
                    );
                }
                other => {
                    failed = true;
                    let code = match error::of(&other) {
                        0 => ResponseError::UnknownServerError.code(),
                        c => c,
                    };
                    parts.push(base.with_error_code(code).with_high_watermark(-1));
                }
            }
        }
        out.push(
            FetchableTopicResponse::default()
                .with_topic(topic_name(&name))
                .with_partitions(parts),
        );
    }
    (out, total, failed)
}
