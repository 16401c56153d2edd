//! `system.local` and `system.peers`: what this node and the others are, in the shape drivers
//! read on connect to find the cluster, its ring and whether every node has the same schema.
//!
//! The values come from [`NodeFacts`]; nothing here asks the cluster anything.

use std::net::IpAddr;

use crate::command::table::schema::Schema;
use crate::command::table::value::Value;

use super::{NodeFacts, Row};

/// Cassandra's inter-node port: shown as `listen_port`/`broadcast_port` and in DESCRIBE
/// CLUSTER's endpoints. Nodes here talk over their own transport, so the usual value is shown.
pub const STORAGE_PORT: u16 = 7000;

fn text(s: &str) -> Option<Value> {
    Some(Value::Text(s.to_string()))
}

/// Tokens as a `set<text>`: sorted (text order, as a set keeps them) and without duplicates.
fn token_set(tokens: &[String]) -> Option<Value> {
    let mut t: Vec<&String> = tokens.iter().collect();
    t.sort_unstable();
    t.dedup();
    Some(Value::Set(
        t.into_iter().map(|s| Value::Text(s.clone())).collect(),
    ))
}

fn inet(a: IpAddr) -> Option<Value> {
    Some(Value::Inet(a))
}

/// The one row of `system.local`, in its `SELECT *` column order.
pub fn local_rows(schema: &Schema, facts: &NodeFacts) -> Vec<Row> {
    vec![vec![
        text("local"),
        text("COMPLETED"),
        inet(facts.address),
        Some(Value::Int(i32::from(STORAGE_PORT))),
        text(&facts.cluster_name),
        text(&facts.cql_version),
        text(&facts.data_center),
        // The gossip generation is a start time; nothing here gossips, and no driver reads it.
        None,
        Some(Value::Uuid(facts.host_id)),
        inet(facts.address),
        Some(Value::Int(i32::from(STORAGE_PORT))),
        text(&facts.native_protocol_version),
        text(&facts.partitioner),
        text(&facts.rack),
        text(&facts.release_version),
        inet(facts.address),
        Some(Value::Int(i32::from(facts.port))),
        Some(Value::Uuid(schema.version)),
        token_set(&facts.tokens),
        None,
    ]]
}

/// One row per other node, in peer-address order (the table's partition order is by token of
/// the address; any fixed order serves drivers).
pub fn peer_rows(schema: &Schema, facts: &NodeFacts) -> Vec<Row> {
    let mut peers: Vec<_> = facts.peers.iter().collect();
    peers.sort_by_key(|p| p.address);
    peers
        .into_iter()
        .map(|p| {
            vec![
                inet(p.address),
                text(&p.data_center),
                Some(Value::Uuid(p.host_id)),
                None,
                text(&p.rack),
                text(&facts.release_version),
                inet(p.address),
                // One Raft group holds the schema: every node that answers has this version.
                Some(Value::Uuid(schema.version)),
                token_set(&p.tokens),
            ]
        })
        .collect()
}
