//! OffsetFetch: one group (v1-7) or several (v8). A partition without a committed offset
//! answers -1, as Kafka does.

use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{ApiKey, GroupId, OffsetFetchRequest, OffsetFetchResponse};
use kafka_protocol::ResponseError;

use super::topics::{self, str_bytes, topic_name};
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::group::{self, Committed};
use crate::command::{Query, Response};

type Found = Vec<(String, i32, Option<Committed>)>;
/// Per topic, its partitions' committed offsets.
type ByTopic = Vec<(String, Vec<(i32, Option<Committed>)>)>;

async fn offsets(
    ctx: &Ctx,
    group: &str,
    partitions: Option<Vec<(String, i32)>>,
) -> Result<Found, i16> {
    if !ctx.node.is_leader() {
        return Err(ResponseError::NotCoordinator.code());
    }
    let q = Query::Group(group::Query::Offsets {
        group: group.to_string(),
        partitions,
    });
    match ctx.node.query(&q, true).await {
        Response::Group(group::Reply::Offsets(o)) => Ok(o),
        Response::Error(e) => Err(error::group_code(&e)),
        _ => Err(ResponseError::UnknownServerError.code()),
    }
}

/// The found offsets by topic, in the order first seen.
fn by_topic(found: Found) -> ByTopic {
    let mut out: ByTopic = Vec::new();
    for (t, p, c) in found {
        match out.iter_mut().find(|(name, _)| *name == t) {
            Some((_, parts)) => parts.push((p, c)),
            None => out.push((t, vec![(p, c)])),
        }
    }
    out
}

fn offset_of(c: &Option<Committed>) -> (i64, i32, String) {
    match c {
        Some(c) => (
            c.offset,
            c.leader_epoch,
            c.metadata.clone().unwrap_or_default(),
        ),
        None => (-1, -1, String::new()),
    }
}

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: OffsetFetchRequest = decode_body(frame)?;
    let version = frame.header.request_api_version;
    let body = if version >= 8 {
        let mut groups = Vec::with_capacity(req.groups.len());
        for g in &req.groups {
            let name = g.group_id.0.as_str().to_string();
            let wanted = g.topics.as_ref().map(|ts| {
                ts.iter()
                    .flat_map(|t| {
                        t.partition_indexes
                            .iter()
                            .map(move |p| (topics::name(&t.name), *p))
                    })
                    .collect()
            });
            let r = OffsetFetchResponseGroup::default().with_group_id(GroupId(str_bytes(&name)));
            groups.push(match offsets(ctx, &name, wanted).await {
                Ok(found) => r.with_topics(
                    by_topic(found)
                        .into_iter()
                        .map(|(t, parts)| {
                            OffsetFetchResponseTopics::default()
                                .with_name(topic_name(&t))
                                .with_partitions(
                                    parts
                                        .iter()
                                        .map(|(p, c)| {
                                            let (o, e, m) = offset_of(c);
                                            OffsetFetchResponsePartitions::default()
                                                .with_partition_index(*p)
                                                .with_committed_offset(o)
                                                .with_committed_leader_epoch(e)
                                                .with_metadata(Some(str_bytes(&m)))
                                        })
                                        .collect(),
                                )
                        })
                        .collect(),
                ),
                Err(code) => r.with_error_code(code),
            });
        }
        OffsetFetchResponse::default().with_groups(groups)
    } else {
        let name = req.group_id.0.as_str().to_string();
        let wanted = req.topics.as_ref().map(|ts| {
            ts.iter()
                .flat_map(|t| {
                    t.partition_indexes
                        .iter()
                        .map(move |p| (topics::name(&t.name), *p))
                })
                .collect::<Vec<_>>()
        });
        match offsets(ctx, &name, wanted.clone()).await {
            Ok(found) => OffsetFetchResponse::default().with_topics(
                by_topic(found)
                    .into_iter()
                    .map(|(t, parts)| {
                        OffsetFetchResponseTopic::default()
                            .with_name(topic_name(&t))
                            .with_partitions(
                                parts
                                    .iter()
                                    .map(|(p, c)| {
                                        let (o, e, m) = offset_of(c);
                                        OffsetFetchResponsePartition::default()
                                            .with_partition_index(*p)
                                            .with_committed_offset(o)
                                            .with_committed_leader_epoch(e)
                                            .with_metadata(Some(str_bytes(&m)))
                                    })
                                    .collect(),
                            )
                    })
                    .collect(),
            ),
            Err(code) => {
                // v1 has no top-level error: every partition carries it.
                let topics = by_topic(
                    wanted
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(t, p)| (t, p, None))
                        .collect(),
                )
                .into_iter()
                .map(|(t, parts)| {
                    OffsetFetchResponseTopic::default()
                        .with_name(topic_name(&t))
                        .with_partitions(
                            parts
                                .iter()
                                .map(|(p, _)| {
                                    OffsetFetchResponsePartition::default()
                                        .with_partition_index(*p)
                                        .with_committed_offset(-1)
                                        .with_error_code(code)
                                })
                                .collect(),
                        )
                })
                .collect();
                OffsetFetchResponse::default()
                    .with_error_code(code)
                    .with_topics(topics)
            }
        }
    };
    Ok(encode_response(
        ApiKey::OffsetFetch,
        version,
        frame.header.correlation_id,
        &body,
    ))
}
