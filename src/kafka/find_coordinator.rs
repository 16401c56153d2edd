//! FindCoordinator: the Raft leader coordinates every group (its state is in the log, and the
//! leader keeps the members' clocks). Transactions are not served.

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{ApiKey, BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::topics::{self, str_bytes};
use super::{decode_body, encode_response, Ctx, Frame, Reply};

const GROUP: i8 = 0;

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: FindCoordinatorRequest = decode_body(frame)?;
    let version = frame.header.request_api_version;
    let members = topics::brokers(ctx);
    let leader = topics::leader(ctx, &members);
    let found = members.into_iter().find(|b| b.id == leader.0);
    let answer = |key: StrBytes| {
        let c = Coordinator::default().with_key(key);
        match &found {
            _ if req.key_type != GROUP => c
                .with_node_id(BrokerId(-1))
                .with_port(-1)
                .with_error_code(ResponseError::CoordinatorNotAvailable.code())
                .with_error_message(Some(str_bytes("transactions are not served"))),
            Some(b) => c
                .with_node_id(BrokerId(b.id))
                .with_host(str_bytes(&b.host))
                .with_port(b.port),
            None => c
                .with_node_id(BrokerId(-1))
                .with_port(-1)
                .with_error_code(ResponseError::CoordinatorNotAvailable.code()),
        }
    };
    let body = if version >= 4 {
        FindCoordinatorResponse::default()
            .with_coordinators(req.coordinator_keys.iter().cloned().map(answer).collect())
    } else {
        let c = answer(req.key.clone());
        FindCoordinatorResponse::default()
            .with_error_code(c.error_code)
            .with_error_message(c.error_message)
            .with_node_id(c.node_id)
            .with_host(c.host)
            .with_port(c.port)
    };
    Ok(encode_response(
        ApiKey::FindCoordinator,
        version,
        frame.header.correlation_id,
        &body,
    ))
}
