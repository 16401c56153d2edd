//! OffsetDelete: drops a group's committed offsets of some partitions. As on Kafka, a group
//! with members keeps the offsets of the topics they subscribe to (GROUP_SUBSCRIBED_TO_TOPIC),
//! and a non-empty group of another protocol type keeps all of them (NON_EMPTY_GROUP).

use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{ApiKey, OffsetDeleteRequest, OffsetDeleteResponse};
use kafka_protocol::ResponseError;

use super::topics;
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::group;
use crate::command::{Query, Response};

/// The topics of a consumer protocol subscription (version, then an array of topic names):
/// what a consumer group member sends as its JoinGroup metadata.
fn subscribed_topics(metadata: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let Some(count) = metadata.get(2..6) else {
        return out;
    };
    let count = i32::from_be_bytes([count[0], count[1], count[2], count[3]]);
    let mut rest = &metadata[6..];
    for _ in 0..count.max(0) {
        let Some(len) = rest.get(..2) else { break };
        let len = i16::from_be_bytes([len[0], len[1]]);
        let Ok(len) = usize::try_from(len) else { break };
        let Some(name) = rest.get(2..2 + len) else {
            break;
        };
        out.push(String::from_utf8_lossy(name).into_owned());
        rest = &rest[2 + len..];
    }
    out
}

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: OffsetDeleteRequest = decode_body(frame)?;
    let name = req.group_id.0.as_str().to_string();
    let described = ctx
        .node
        .query(
            &Query::Group(group::Query::Describe {
                group: name.clone(),
            }),
            false,
        )
        .await;
    let (mut code, subscribed) = match &described {
        Response::Group(group::Reply::Group(Some(g))) if !g.members.is_empty() => {
            if g.protocol_type == "consumer" {
                let topics: Vec<String> = g
                    .members
                    .iter()
                    .flat_map(|m| subscribed_topics(&m.metadata))
                    .collect();
                (0, topics)
            } else {
                (ResponseError::NonEmptyGroup.code(), Vec::new())
            }
        }
        Response::Group(group::Reply::Group(Some(_))) => (0, Vec::new()),
        Response::Group(_) => (ResponseError::GroupIdNotFound.code(), Vec::new()),
        Response::Error(e) => (error::group_code(e), Vec::new()),
        _ => (ResponseError::UnknownServerError.code(), Vec::new()),
    };
    let partitions: Vec<(String, i32)> = req
        .topics
        .iter()
        .filter(|t| !subscribed.contains(&topics::name(&t.name)))
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(move |p| (topics::name(&t.name), p.partition_index))
        })
        .collect();
    if code == 0 && !partitions.is_empty() {
        let r = ctx
            .node
            .execute(
                group::Command::DeleteOffsets {
                    group: name,
                    partitions,
                }
                .into(),
            )
            .await;
        if let Response::Error(e) = &r {
            code = error::group_code(e);
        }
    }
    let in_use = ResponseError::GroupSubscribedToTopic.code();
    let topics = req
        .topics
        .iter()
        .map(|t| {
            let busy = code == 0 && subscribed.contains(&topics::name(&t.name));
            OffsetDeleteResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(
                    t.partitions
                        .iter()
                        .map(|p| {
                            OffsetDeleteResponsePartition::default()
                                .with_partition_index(p.partition_index)
                                .with_error_code(if busy { in_use } else { 0 })
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

#[cfg(test)]
mod tests {
    use super::subscribed_topics;

    #[test]
    fn reads_the_topics_of_a_subscription() {
        let mut m = vec![0, 1, 0, 0, 0, 2];
        for t in ["orders", "t2"] {
            m.extend_from_slice(&(t.len() as i16).to_be_bytes());
            m.extend_from_slice(t.as_bytes());
        }
        m.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]); // user data: null
        assert_eq!(subscribed_topics(&m), vec!["orders", "t2"]);
        assert!(subscribed_topics(&[0, 1, 0x7f, 0xff, 0xff, 0xff]).is_empty());
    }
}
