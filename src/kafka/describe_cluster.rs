//! DescribeCluster: the members with their Kafka addresses; the Raft leader is the controller.

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{ApiKey, BrokerId, DescribeClusterRequest, DescribeClusterResponse};

use super::metadata::CLUSTER_ID;
use super::topics::{self, str_bytes};
use super::{decode_body, encode_response, Ctx, Frame, Reply};

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: DescribeClusterRequest = decode_body(frame)?;
    let members = topics::brokers(ctx);
    let leader = topics::leader(ctx, &members);
    let brokers = members
        .iter()
        .map(|b| {
            DescribeClusterBroker::default()
                .with_broker_id(BrokerId(b.id))
                .with_host(str_bytes(&b.host))
                .with_port(b.port)
        })
        .collect();
    let mut body = DescribeClusterResponse::default()
        .with_cluster_id(str_bytes(CLUSTER_ID))
        .with_controller_id(leader)
        .with_endpoint_type(1)
        .with_brokers(brokers);
    if req.include_cluster_authorized_operations {
        body.cluster_authorized_operations = topics::cluster_operations();
    }
    Ok(encode_response(
        ApiKey::DescribeCluster,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
