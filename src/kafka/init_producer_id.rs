//! InitProducerId for idempotent producers: a new producer id from the replicated counter, at
//! epoch 0 (a producer that asks again, after an error, gets a new id and starts its sequences
//! again). Transactional ids are refused: transactions are not served.

use kafka_protocol::messages::{ApiKey, InitProducerIdRequest, InitProducerIdResponse, ProducerId};
use kafka_protocol::ResponseError;

use super::{decode_body, encode_response, error, Ctx, Frame, Reply};
use crate::command::log;
use crate::command::Response;

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: InitProducerIdRequest = decode_body(frame)?;
    let r = InitProducerIdResponse::default()
        .with_producer_id(ProducerId(-1))
        .with_producer_epoch(-1);
    let body = if req.transactional_id.is_some() {
        r.with_error_code(ResponseError::TransactionalIdAuthorizationFailed.code())
    } else {
        match ctx.node.execute(log::Command::InitProducer.into()).await {
            Response::Log(log::Reply::Producer { id, epoch }) => r
                .with_producer_id(ProducerId(id))
                .with_producer_epoch(epoch),
            other => r.with_error_code(match error::of(&other) {
                0 => ResponseError::UnknownServerError.code(),
                // The client looks for the coordinator again.
                c if c == ResponseError::NotLeaderOrFollower.code() => {
                    ResponseError::NotCoordinator.code()
                }
                c => c,
            }),
        }
    };
    Ok(encode_response(
        ApiKey::InitProducerId,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
