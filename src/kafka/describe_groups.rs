//! DescribeGroups: state, protocol and members with their metadata and assignments. A group
//! that does not exist is described as Dead, as Kafka does.

use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{ApiKey, DescribeGroupsRequest, DescribeGroupsResponse};

use super::topics::str_bytes;
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::group;
use crate::command::{Query, Response};

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: DescribeGroupsRequest = decode_body(frame)?;
    let mut out = Vec::with_capacity(req.groups.len());
    for id in &req.groups {
        let d = DescribedGroup::default().with_group_id(id.clone());
        let q = Query::Group(group::Query::Describe {
            group: id.0.as_str().to_string(),
        });
        out.push(match ctx.node.query(&q, true).await {
            Response::Group(group::Reply::Group(Some(g))) => d
                .with_authorized_operations(if req.include_authorized_operations {
                    super::topics::group_operations()
                } else {
                    i32::MIN
                })
                .with_group_state(str_bytes(g.state.name()))
                .with_protocol_type(str_bytes(&g.protocol_type))
                .with_protocol_data(str_bytes(&g.protocol))
                .with_members(
                    g.members
                        .iter()
                        .map(|m| {
                            DescribedGroupMember::default()
                                .with_member_id(str_bytes(&m.member_id))
                                .with_group_instance_id(m.instance_id.as_deref().map(str_bytes))
                                .with_client_id(str_bytes(&m.client_id))
                                .with_client_host(str_bytes(&m.client_host))
                                .with_member_metadata(m.metadata.clone())
                                .with_member_assignment(m.assignment.clone())
                        })
                        .collect(),
                ),
            Response::Group(_) => d.with_group_state(str_bytes("Dead")),
            Response::Error(e) => d.with_error_code(error::group_code(&e)),
            _ => d,
        });
    }
    let body = DescribeGroupsResponse::default().with_groups(out);
    Ok(encode_response(
        ApiKey::DescribeGroups,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
