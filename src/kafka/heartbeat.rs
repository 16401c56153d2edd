//! Heartbeat: answered from the group's state (REBALANCE_IN_PROGRESS tells the member to join
//! again); it only refreshes the member's clock, which is not replicated.

use kafka_protocol::messages::{ApiKey, HeartbeatRequest, HeartbeatResponse};
use kafka_protocol::ResponseError;

use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::group;
use crate::command::{Query, Response};

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: HeartbeatRequest = decode_body(frame)?;
    let group = req.group_id.0.as_str().to_string();
    let member_id = req.member_id.as_str().to_string();
    let code = if !ctx.node.is_leader() {
        ResponseError::NotCoordinator.code()
    } else {
        let q = Query::Group(group::Query::Heartbeat {
            group: group.clone(),
            member_id: member_id.clone(),
            generation: req.generation_id,
            instance_id: req
                .group_instance_id
                .as_ref()
                .map(|s| s.as_str().to_string()),
        });
        match ctx.node.query(&q, true).await {
            Response::Error(e) => error::group_code(&e),
            _ => {
                ctx.coordinator.heard(&group, &member_id);
                0
            }
        }
    };
    if code == ResponseError::RebalanceInProgress.code() {
        ctx.coordinator.heard(&group, &member_id);
    }
    let body = HeartbeatResponse::default().with_error_code(code);
    Ok(encode_response(
        ApiKey::Heartbeat,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
