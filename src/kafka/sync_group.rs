//! SyncGroup: the leader's assignments are a command; every other member waits until they are
//! in, then reads its own.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, SyncGroupRequest, SyncGroupResponse};
use kafka_protocol::ResponseError;

use super::coordinator::wait_until;
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::group;
use crate::command::{Query, Response};

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: SyncGroupRequest = decode_body(frame)?;
    let group = req.group_id.0.as_str().to_string();
    let member_id = req.member_id.as_str().to_string();
    ctx.coordinator.heard(&group, &member_id);
    let r = if !ctx.node.is_leader() {
        Response::Error(crate::command::NodeError::NoLeader.into())
    } else if !req.assignments.is_empty() {
        ctx.node
            .execute(
                group::Command::Assign {
                    group: group.clone(),
                    member_id: member_id.clone(),
                    generation: req.generation_id,
                    assignments: req
                        .assignments
                        .iter()
                        .map(|a| (a.member_id.as_str().to_string(), a.assignment.clone()))
                        .collect(),
                    instance_id: req
                        .group_instance_id
                        .as_ref()
                        .map(|s| s.as_str().to_string()),
                }
                .into(),
            )
            .await
    } else {
        Response::Group(group::Reply::AssignmentPending)
    };
    let r = match r {
        Response::Group(group::Reply::AssignmentPending) => {
            let q = Query::Group(group::Query::Assignment {
                group: group.clone(),
                member_id: member_id.clone(),
                generation: req.generation_id,
                instance_id: req
                    .group_instance_id
                    .as_ref()
                    .map(|s| s.as_str().to_string()),
            });
            let wait = Duration::from_millis(ctx.node.config.kafka.max_rebalance_ms);
            wait_until(
                ctx,
                &group,
                &member_id,
                q,
                tokio::time::Instant::now() + wait,
                |r| matches!(r, Response::Group(group::Reply::AssignmentPending)),
            )
            .await
        }
        other => other,
    };
    let body = SyncGroupResponse::default()
        .with_protocol_type(req.protocol_type.clone())
        .with_protocol_name(req.protocol_name.clone());
    let body = match r {
        Response::Group(group::Reply::Assignment(a)) => body.with_assignment(a),
        Response::Group(group::Reply::AssignmentPending) => body
            .with_error_code(ResponseError::RebalanceInProgress.code())
            .with_assignment(Bytes::new()),
        Response::Error(e) => body.with_error_code(error::group_code(&e)),
        _ => body.with_error_code(ResponseError::UnknownServerError.code()),
    };
    Ok(encode_response(
        ApiKey::SyncGroup,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
