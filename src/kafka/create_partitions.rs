//! CreatePartitions: grows a topic (partitions are never removed).

use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{ApiKey, CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::ResponseError;

use super::topics::{self, str_bytes};
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::log;
use crate::command::{Query, Response};

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: CreatePartitionsRequest = decode_body(frame)?;
    let mut results = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let name = topics::name(&t.name);
        let r = CreatePartitionsTopicResult::default().with_name(t.name.clone());
        if t.assignments.as_ref().is_some_and(|a| !a.is_empty()) {
            results.push(
                r.with_error_code(ResponseError::InvalidReplicaAssignment.code())
                    .with_error_message(Some(str_bytes(
                        "every partition is replicated on every member",
                    ))),
            );
            continue;
        }
        let reply = if req.validate_only {
            let q = Query::Log(log::Query::Topics {
                names: Some(vec![name.clone()]),
            });
            match ctx.node.query(&q, false).await {
                Response::Log(log::Reply::Topics(found)) => match found.first() {
                    Some(f) if (f.partitions.len() as i32) < t.count => Response::Ok,
                    Some(_) => Response::Error(crate::command::LogError::InvalidPartitions.into()),
                    None => {
                        Response::Error(crate::command::LogError::UnknownTopicOrPartition.into())
                    }
                },
                other => other,
            }
        } else {
            ctx.node
                .execute(
                    log::Command::CreatePartitions {
                        name,
                        count: t.count,
                    }
                    .into(),
                )
                .await
        };
        results.push(match &reply {
            Response::Error(e) => {
                r.with_error_code(error::code(e))
                    .with_error_message(Some(str_bytes(&format!(
                        "{e} (a topic grows to more partitions than it has)"
                    ))))
            }
            _ => r,
        });
    }
    let body = CreatePartitionsResponse::default().with_results(results);
    Ok(encode_response(
        ApiKey::CreatePartitions,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
