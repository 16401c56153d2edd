//! LeaveGroup: one member (v0-2) or several (v3 and later); the others rebalance.

use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{ApiKey, LeaveGroupRequest, LeaveGroupResponse};
use kafka_protocol::ResponseError;

use super::topics::str_bytes;
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::group;
use crate::command::Response;

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: LeaveGroupRequest = decode_body(frame)?;
    let version = frame.header.request_api_version;
    let group = req.group_id.0.as_str().to_string();
    let members: Vec<String> = if version >= 3 {
        req.members
            .iter()
            .map(|m| m.member_id.as_str().to_string())
            .collect()
    } else {
        vec![req.member_id.as_str().to_string()]
    };
    let r = if ctx.node.is_leader() {
        ctx.node
            .execute(
                group::Command::Leave {
                    group: group.clone(),
                    members: members.clone(),
                }
                .into(),
            )
            .await
    } else {
        Response::Error(crate::command::NodeError::NoLeader.into())
    };
    let unknown = ResponseError::UnknownMemberId.code();
    let body = match r {
        Response::Group(group::Reply::Left(left)) => {
            for (m, _) in &left {
                ctx.coordinator.forget(&group, m);
            }
            let responses: Vec<MemberResponse> = left
                .iter()
                .zip(&req.members)
                .map(|((m, was), identity)| {
                    MemberResponse::default()
                        .with_member_id(str_bytes(m))
                        .with_group_instance_id(identity.group_instance_id.clone())
                        .with_error_code(if *was { 0 } else { unknown })
                })
                .collect();
            let top = if version < 3 && left.first().is_some_and(|(_, was)| !was) {
                unknown
            } else {
                0
            };
            LeaveGroupResponse::default()
                .with_error_code(top)
                .with_members(responses)
        }
        Response::Error(e) => LeaveGroupResponse::default().with_error_code(error::group_code(&e)),
        _ => {
            LeaveGroupResponse::default().with_error_code(ResponseError::UnknownServerError.code())
        }
    };
    Ok(encode_response(
        ApiKey::LeaveGroup,
        version,
        frame.header.correlation_id,
        &body,
    ))
}
