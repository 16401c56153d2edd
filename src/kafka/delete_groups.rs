//! DeleteGroups: only groups without members, with their committed offsets.

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{ApiKey, DeleteGroupsRequest, DeleteGroupsResponse};

use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::group;
use crate::command::Response;

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: DeleteGroupsRequest = decode_body(frame)?;
    let cmds = req
        .groups_names
        .iter()
        .map(|g| {
            group::Command::Delete {
                group: g.0.as_str().to_string(),
            }
            .into()
        })
        .collect();
    let replies = ctx.node.execute_many(cmds).await;
    let results = req
        .groups_names
        .iter()
        .zip(replies)
        .map(|(g, r)| {
            DeletableGroupResult::default()
                .with_group_id(g.clone())
                .with_error_code(match &r {
                    Response::Error(e) => error::group_code(e),
                    _ => 0,
                })
        })
        .collect();
    let body = DeleteGroupsResponse::default().with_results(results);
    Ok(encode_response(
        ApiKey::DeleteGroups,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
