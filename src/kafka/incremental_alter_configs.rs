//! IncrementalAlterConfigs of topics: SET (0) and DELETE (1); APPEND and SUBTRACT apply to
//! list configs, which trident's topic configs are not.

use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{
    ApiKey, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};
use kafka_protocol::ResponseError;

use super::describe_configs::TOPIC;
use super::topics::str_bytes;
use super::{decode_body, encode_response, error, topic_configs, Ctx, Frame, Reply};
use crate::command::log;
use crate::command::Response;

const SET: i8 = 0;
const DELETE: i8 = 1;

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: IncrementalAlterConfigsRequest = decode_body(frame)?;
    let mut responses = Vec::with_capacity(req.resources.len());
    for res in &req.resources {
        let r = AlterConfigsResourceResponse::default()
            .with_resource_type(res.resource_type)
            .with_resource_name(res.resource_name.clone());
        if res.resource_type != TOPIC {
            responses.push(
                r.with_error_code(ResponseError::InvalidRequest.code())
                    .with_error_message(Some(str_bytes("only topic configs can be altered"))),
            );
            continue;
        }
        let mut set = Vec::new();
        let mut delete = Vec::new();
        let mut refused = None;
        for c in &res.configs {
            let name = c.name.as_str().to_string();
            let value = c.value.as_ref().map(|v| v.as_str().to_string());
            let checked = match c.config_operation {
                SET => topic_configs::check(&name, value.as_deref()),
                DELETE => topic_configs::check(&name, None),
                _ => Err(format!("{name} is not a list config")),
            };
            if let Err(why) = checked {
                refused = Some(why);
                break;
            }
            match (c.config_operation, value) {
                (SET, Some(v)) => set.push((name, v)),
                _ => delete.push(name),
            }
        }
        if let Some(why) = refused {
            responses.push(
                r.with_error_code(ResponseError::InvalidConfig.code())
                    .with_error_message(Some(str_bytes(&why))),
            );
            continue;
        }
        if req.validate_only {
            responses.push(r);
            continue;
        }
        let reply = ctx
            .node
            .execute(
                log::Command::AlterConfigs {
                    name: res.resource_name.as_str().to_string(),
                    set,
                    delete,
                }
                .into(),
            )
            .await;
        responses.push(match &reply {
            Response::Error(e) => r.with_error_code(error::code(e)),
            _ => r,
        });
    }
    let body = IncrementalAlterConfigsResponse::default().with_responses(responses);
    Ok(encode_response(
        ApiKey::IncrementalAlterConfigs,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
