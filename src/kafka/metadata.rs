//! Metadata: the brokers (every cluster member with its advertised Kafka address) and topics.
//! Every partition is led by the Raft leader and replicated on every member.

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{ApiKey, BrokerId, MetadataRequest, MetadataResponse};
use kafka_protocol::ResponseError;

use super::topics::{self, str_bytes, topic_name};
use super::{decode_body, encode_response, error, Ctx, Frame, Reply};

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: MetadataRequest = decode_body(frame)?;
    let version = frame.header.request_api_version;
    // v0 asks for all topics with an empty list; later versions with null.
    let names: Option<Vec<String>> = match &req.topics {
        None => None,
        Some(t) if t.is_empty() && version == 0 => None,
        Some(t) => Some(
            t.iter()
                .filter_map(|t| t.name.as_ref().map(topics::name))
                .collect(),
        ),
    };
    let create =
        ctx.node.config.kafka.auto_create_topics && (version < 4 || req.allow_auto_topic_creation);
    let members = topics::brokers(ctx);
    let leader = topics::leader(ctx, &members);
    let replicas = topics::replicas(&members);
    let brokers: Vec<MetadataResponseBroker> = members
        .iter()
        .map(|b| {
            MetadataResponseBroker::default()
                .with_node_id(BrokerId(b.id))
                .with_host(str_bytes(&b.host))
                .with_port(b.port)
        })
        .collect();
    let mut out = Vec::new();
    match topics::lookup(ctx, names.clone(), create).await {
        Ok(found) => {
            for t in &found {
                let partitions = (0..t.partitions.len() as i32)
                    .map(|p| {
                        MetadataResponsePartition::default()
                            .with_error_code(if leader.0 < 0 {
                                ResponseError::LeaderNotAvailable.code()
                            } else {
                                0
                            })
                            .with_partition_index(p)
                            .with_leader_id(leader)
                            .with_leader_epoch(-1)
                            .with_replica_nodes(replicas.clone())
                            .with_isr_nodes(replicas.clone())
                    })
                    .collect();
                let mut topic = MetadataResponseTopic::default()
                    .with_name(Some(topic_name(&t.name)))
                    .with_topic_id(uuid::Uuid::from_bytes(t.id))
                    .with_partitions(partitions);
                if req.include_topic_authorized_operations {
                    topic.topic_authorized_operations = topics::topic_operations();
                }
                out.push(topic);
            }
            for n in names.iter().flatten() {
                if found.iter().any(|t| &t.name == n) {
                    continue;
                }
                let code = if topics::valid_name(n) {
                    ResponseError::UnknownTopicOrPartition.code()
                } else {
                    ResponseError::InvalidTopicException.code()
                };
                out.push(
                    MetadataResponseTopic::default()
                        .with_error_code(code)
                        .with_name(Some(topic_name(n))),
                );
            }
        }
        Err(e) => {
            for n in names.iter().flatten() {
                out.push(
                    MetadataResponseTopic::default()
                        .with_error_code(error::code(&e))
                        .with_name(Some(topic_name(n))),
                );
            }
        }
    }
    let body = MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(str_bytes(CLUSTER_ID)))
        .with_controller_id(leader)
        .with_topics(out);
    Ok(encode_response(
        ApiKey::Metadata,
        version,
        frame.header.correlation_id,
        &body,
    ))
}

/// What clients see as the cluster id.
pub const CLUSTER_ID: &str = "trident";
