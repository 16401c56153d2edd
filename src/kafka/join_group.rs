//! JoinGroup: the join is a command; a member whose generation is not complete yet waits for
//! the group to change (every other member joining again, or the leader's rebalance timer).
//! New members of v4 and later are first told their id (MEMBER_ID_REQUIRED), as Kafka does.

use std::time::Duration;

use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{ApiKey, JoinGroupRequest, JoinGroupResponse};
use kafka_protocol::ResponseError;

use super::coordinator::wait_until;
use super::topics::str_bytes;
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::group::{self, Join};
use crate::command::{Query, Response};

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: JoinGroupRequest = decode_body(frame)?;
    let version = frame.header.request_api_version;
    let group = req.group_id.0.as_str().to_string();
    let rebalance_timeout_ms = if version >= 1 {
        req.rebalance_timeout_ms
    } else {
        req.session_timeout_ms
    };
    let join = Join {
        group: group.clone(),
        member_id: req.member_id.as_str().to_string(),
        new_member_id: format!(
            "{}-{}",
            ctx.client_id,
            uuid::Uuid::from_bytes(rand::random())
        ),
        instance_id: req
            .group_instance_id
            .as_ref()
            .map(|s| s.as_str().to_string()),
        client_id: ctx.client_id.clone(),
        client_host: format!("/{}", ctx.client_host),
        protocol_type: req.protocol_type.as_str().to_string(),
        protocols: req
            .protocols
            .iter()
            .map(|p| (p.name.as_str().to_string(), p.metadata.clone()))
            .collect(),
        session_timeout_ms: req.session_timeout_ms,
        rebalance_timeout_ms,
        require_known_member: version >= 4 && req.group_instance_id.is_none(),
        initial_delay_ms: ctx.node.config.kafka.initial_rebalance_delay_ms as i64,
    };
    let member_id = join.member_id.clone();
    let r = if ctx.node.is_leader() {
        ctx.node.execute(group::Command::Join(join).into()).await
    } else {
        Response::Error(crate::command::NodeError::NoLeader.into())
    };
    let r = match r {
        Response::Group(group::Reply::JoinPending { member_id }) => {
            let wait = Duration::from_millis(
                (rebalance_timeout_ms.max(0) as u64).min(ctx.node.config.kafka.max_rebalance_ms),
            ) + Duration::from_secs(5);
            let q = Query::Group(group::Query::JoinResult {
                group: group.clone(),
                member_id: member_id.clone(),
            });
            wait_until(
                ctx,
                &group,
                &member_id,
                q,
                tokio::time::Instant::now() + wait,
                |r| matches!(r, Response::Group(group::Reply::JoinPending { .. })),
            )
            .await
        }
        other => other,
    };
    let body = JoinGroupResponse::default()
        .with_generation_id(-1)
        .with_member_id(str_bytes(&member_id));
    let body = match r {
        Response::Group(group::Reply::Joined(g)) => {
            ctx.coordinator.heard(&group, &g.member_id);
            let members = g
                .members
                .iter()
                .map(|m| {
                    JoinGroupResponseMember::default()
                        .with_member_id(str_bytes(&m.member_id))
                        .with_group_instance_id(m.instance_id.as_deref().map(str_bytes))
                        .with_metadata(m.metadata.clone())
                })
                .collect();
            body.with_generation_id(g.generation)
                .with_protocol_type(Some(str_bytes(&g.protocol_type)))
                .with_protocol_name(Some(str_bytes(&g.protocol)))
                .with_leader(str_bytes(&g.leader))
                .with_member_id(str_bytes(&g.member_id))
                .with_members(members)
        }
        Response::Group(group::Reply::JoinPending { .. }) => {
            body.with_error_code(ResponseError::RebalanceInProgress.code())
        }
        Response::Group(group::Reply::MemberIdRequired(id)) => body
            .with_error_code(ResponseError::MemberIdRequired.code())
            .with_member_id(str_bytes(&id)),
        Response::Error(e) => body.with_error_code(error::group_code(&e)),
        _ => body.with_error_code(ResponseError::UnknownServerError.code()),
    };
    Ok(encode_response(
        ApiKey::JoinGroup,
        version,
        frame.header.correlation_id,
        &body,
    ))
}
