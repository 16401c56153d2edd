//! DescribeConfigs of topics (their own values and the defaults) and of brokers (the settings
//! a Kafka client asks about, from trident's own config).

use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult,
};
use kafka_protocol::messages::{ApiKey, DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::ResponseError;

use super::topics::{self, str_bytes};
use super::{decode_body, encode_response, error, topic_configs, Ctx, Frame, Reply};

/// Kafka's resource types.
pub const TOPIC: i8 = 2;
pub const BROKER: i8 = 4;
/// Kafka's config sources.
const DYNAMIC_TOPIC_CONFIG: i8 = 1;
const STATIC_BROKER_CONFIG: i8 = 4;
const DEFAULT_CONFIG: i8 = 5;

pub async fn handle(ctx: &Ctx, frame: &Frame) -> anyhow::Result<Reply> {
    let req: DescribeConfigsRequest = decode_body(frame)?;
    let max = ctx.node.config.kafka.message_max_bytes;
    let mut results = Vec::with_capacity(req.resources.len());
    for res in &req.resources {
        let name = res.resource_name.as_str().to_string();
        let wanted = |k: &str| {
            res.configuration_keys
                .as_ref()
                .is_none_or(|keys| keys.iter().any(|w| w.as_str() == k))
        };
        let r = DescribeConfigsResult::default()
            .with_resource_type(res.resource_type)
            .with_resource_name(res.resource_name.clone());
        let entry = |k: &str, v: String, source: i8| {
            DescribeConfigsResourceResult::default()
                .with_name(str_bytes(k))
                .with_value(Some(str_bytes(&v)))
                .with_config_source(source)
        };
        match res.resource_type {
            TOPIC => match topics::lookup(ctx, Some(vec![name.clone()]), false).await {
                Ok(found) => match found.first() {
                    Some(t) => {
                        let configs = topic_configs::KNOWN
                            .iter()
                            .filter(|(k, _)| wanted(k))
                            .map(|(k, _)| {
                                let own = t.configs.iter().any(|(c, _)| c == k);
                                let source = if own {
                                    DYNAMIC_TOPIC_CONFIG
                                } else {
                                    DEFAULT_CONFIG
                                };
                                entry(k, topic_configs::value(&t.configs, k, max), source)
                            })
                            .collect();
                        results.push(r.with_configs(configs));
                    }
                    None => results
                        .push(r.with_error_code(ResponseError::UnknownTopicOrPartition.code())),
                },
                Err(e) => results.push(r.with_error_code(error::code(&e))),
            },
            BROKER => {
                let k = &ctx.node.config.kafka;
                let settings = [
                    ("message.max.bytes", k.message_max_bytes.to_string()),
                    ("socket.request.max.bytes", k.max_request_bytes.to_string()),
                    ("num.partitions", k.num_partitions.to_string()),
                    (
                        "auto.create.topics.enable",
                        k.auto_create_topics.to_string(),
                    ),
                    ("log.retention.ms", "604800000".to_string()),
                ];
                let configs = settings
                    .into_iter()
                    .filter(|(n, _)| wanted(n))
                    .map(|(n, v)| entry(n, v, STATIC_BROKER_CONFIG))
                    .collect();
                results.push(r.with_configs(configs));
            }
            _ => results.push(
                r.with_error_code(ResponseError::InvalidRequest.code())
                    .with_error_message(Some(str_bytes("only topic and broker configs"))),
            ),
        }
    }
    let body = DescribeConfigsResponse::default().with_results(results);
    Ok(encode_response(
        ApiKey::DescribeConfigs,
        frame.header.request_api_version,
        frame.header.correlation_id,
        &body,
    ))
}
