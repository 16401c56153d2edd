//! ListGroups, with the state filter of v4.

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{ApiKey, GroupId, ListGroupsRequest, ListGroupsResponse};

use super::topics::str_bytes;
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::group;
use crate::command::{Query, Response};

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: ListGroupsRequest = decode_body(frame)?;
    // Clients ask every broker and take each group from its coordinator: only the leader,
    // which coordinates every group, lists them.
    let r = if ctx.node.is_leader() {
        ctx.node
            .query(&Query::Group(group::Query::List), true)
            .await
    } else {
        Response::Group(group::Reply::Groups(Vec::new()))
    };
    let body = match r {
        Response::Group(group::Reply::Groups(groups)) => ListGroupsResponse::default().with_groups(
            groups
                .into_iter()
                .filter(|(_, _, s)| {
                    req.states_filter.is_empty()
                        || req
                            .states_filter
                            .iter()
                            .any(|f| f.as_str().eq_ignore_ascii_case(s.name()))
                })
                .map(|(name, protocol_type, state)| {
                    ListedGroup::default()
                        .with_group_id(GroupId(str_bytes(&name)))
                        .with_protocol_type(str_bytes(&protocol_type))
                        .with_group_state(str_bytes(state.name()))
                })
                .collect(),
        ),
        Response::Error(e) => ListGroupsResponse::default().with_error_code(error::group_code(&e)),
        _ => ListGroupsResponse::default(),
    };
    Ok(encode_response(
        ApiKey::ListGroups,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
