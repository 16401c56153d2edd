//! What several APIs share: topic lookups with auto-creation, topic name rules, the brokers
//! (cluster members) and who leads.

use kafka_protocol::messages::{BrokerId, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::Ctx;
use crate::command::log::{self, TopicId, TopicInfo};
use crate::command::{CommandError, LogError, Query, Response};

/// Kafka's longest topic name.
const MAX_TOPIC_NAME: usize = 249;

/// The id a new topic gets: random, as Kafka's.
pub fn new_id() -> TopicId {
    rand::random()
}

/// Kafka's rule for topic names: 1 to 249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_TOPIC_NAME
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

pub fn name(n: &TopicName) -> String {
    n.0.as_str().to_string()
}

pub fn topic_name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

pub fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// Topics by name (`None`: all), creating the missing ones when `create` says so.
pub async fn lookup(
    ctx: &Ctx,
    names: Option<Vec<String>>,
    create: bool,
) -> Result<Vec<TopicInfo>, CommandError> {
    let found = topics(ctx, names.clone()).await?;
    let Some(names) = names else {
        return Ok(found);
    };
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| valid_name(n) && !found.iter().any(|t| &t.name == *n))
        .collect();
    if !create || missing.is_empty() {
        return Ok(found);
    }
    let partitions = ctx.node.config.kafka.num_partitions;
    let cmds = missing
        .iter()
        .map(|n| {
            log::Command::CreateTopic {
                name: (*n).clone(),
                id: new_id(),
                partitions,
                configs: Vec::new(),
            }
            .into()
        })
        .collect();
    for r in ctx.node.execute_many(cmds).await {
        match r {
            Response::Error(CommandError::Log(LogError::TopicExists)) => {}
            Response::Error(e) => return Err(e),
            _ => {}
        }
    }
    topics(ctx, Some(names)).await
}

async fn topics(ctx: &Ctx, names: Option<Vec<String>>) -> Result<Vec<TopicInfo>, CommandError> {
    // The leader's state is current; a follower's is read after a barrier, so a topic a
    // client has just created is never unknown to the next node it asks.
    match ctx
        .node
        .query(&Query::Log(log::Query::Topics { names }), false)
        .await
    {
        Response::Log(log::Reply::Topics(t)) => Ok(t),
        Response::Error(e) => Err(e),
        other => Err(CommandError::Storage(format!("unexpected reply {other:?}"))),
    }
}

/// Kafka's ACL operations, as the bits of an "authorized operations" field. trident has no
/// authorizer, so everything it serves is allowed, as on a Kafka broker without one.
fn operations(ops: &[i32]) -> i32 {
    ops.iter().fold(0, |bits, op| bits | (1 << op))
}

/// READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
pub fn topic_operations() -> i32 {
    operations(&[3, 4, 5, 6, 7, 8, 10, 11])
}

/// CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE.
pub fn cluster_operations() -> i32 {
    operations(&[5, 7, 8, 9, 10, 11, 12])
}

/// READ, DESCRIBE, DELETE.
pub fn group_operations() -> i32 {
    operations(&[3, 8, 6])
}

/// A cluster member as Kafka clients see it.
pub struct Broker {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

fn broker(id: u64, addr: &str) -> Option<Broker> {
    let (host, port) = addr.rsplit_once(':')?;
    Some(Broker {
        id: id as i32,
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port: port.parse().ok()?,
    })
}

/// Every member that has a Kafka address, this node always among them: while a new node waits
/// for the membership to reach it, it still names itself, so a client's first metadata is
/// never empty.
pub fn brokers(ctx: &Ctx) -> Vec<Broker> {
    let status = ctx.node.cluster_status();
    let mut out: Vec<Broker> = status
        .members
        .iter()
        .filter_map(|m| broker(m.id, &m.kafka_addr))
        .collect();
    if !out.iter().any(|b| b.id == ctx.node.id as i32) {
        if let Some(me) = broker(ctx.node.id, &ctx.node.config.kafka.advertised()) {
            out.push(me);
        }
    }
    out
}

/// The partition leader (the Raft leader) as a broker id: -1 if none is known, or if it is not
/// among `brokers` (the membership has not reached this node yet), so clients ask again.
pub fn leader(ctx: &Ctx, brokers: &[Broker]) -> BrokerId {
    match ctx.node.leader_id() {
        Some(id) if brokers.iter().any(|b| b.id == id as i32) => BrokerId(id as i32),
        _ => BrokerId(-1),
    }
}

/// Every member replicates every partition.
pub fn replicas(brokers: &[Broker]) -> Vec<BrokerId> {
    brokers.iter().map(|b| BrokerId(b.id)).collect()
}
