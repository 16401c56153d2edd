//! CLUSTER and READONLY/READWRITE: the cluster described as Redis Cluster describes itself, one
//! shard owning every slot, its leader as master and the other members as replicas. Writes sent
//! to any node are forwarded to the leader, so clients that follow MOVED never need to.

use std::sync::Arc;

use super::{Action, Ctx, Spec};
use crate::command::{CommandError, Response};
use crate::node::{ClusterStatus, MemberStatus, Node};
use crate::resp::parse::Args;
use crate::shared::slots;

/// A node's Redis Cluster name: its id as 40 hex digits.
pub fn node_name(id: u64) -> String {
    format!("{id:040x}")
}

/// Accepts a node named either way: its decimal id or its 40-hex name.
fn parse_node(arg: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(arg).ok()?;
    if s.len() == 40 {
        u64::from_str_radix(s.trim_start_matches('0'), 16)
            .ok()
            .or((s.chars().all(|c| c == '0')).then_some(0))
    } else {
        s.parse().ok()
    }
}

/// `host`, `port` of an address like `127.0.0.1:6379`.
fn split_addr(addr: &str) -> (String, i64) {
    match addr.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().unwrap_or(0)),
        None => (addr.to_string(), 0),
    }
}

fn unknown_subcommand(sub: &[u8]) -> CommandError {
    CommandError::Other(format!(
        "ERR unknown subcommand '{}'. Try CLUSTER HELP.",
        String::from_utf8_lossy(sub)
    ))
}

fn cluster(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let sub = a.next_bytes()?.to_ascii_lowercase();
    let reply = |f: fn(&Node) -> Response| -> Result<Action, CommandError> {
        Ok(Action::Session(Box::new(move |_, server| f(&server.node))))
    };
    match sub.as_slice() {
        b"myid" => reply(|n| Response::bulk(node_name(n.id))),
        b"info" => reply(|n| Response::Verbatim(info(&n.cluster_status()))),
        b"nodes" => reply(|n| Response::Verbatim(nodes(&n.cluster_status()))),
        b"slots" => reply(|n| slots(&n.cluster_status())),
        b"shards" => reply(|n| shards(&n.cluster_status())),
        b"keyslot" => {
            let key = a.next_bytes()?;
            a.finish()?;
            Ok(Action::Reply(Response::Int(i64::from(slots::slot(&key)))))
        }
        b"forget" => {
            let arg = a.next_bytes()?;
            a.finish()?;
            let Some(id) = parse_node(&arg) else {
                return Err(CommandError::Other(format!(
                    "ERR Unknown node {}",
                    String::from_utf8_lossy(&arg)
                )));
            };
            Ok(Action::Async(Box::new(move |node: Arc<Node>| {
                Box::pin(async move {
                    if id == node.id {
                        return Response::error("ERR I tried hard but I can't forget myself...");
                    }
                    match node.remove_member(id).await {
                        Ok(()) => Response::Ok,
                        Err(e) => Response::Error(e),
                    }
                })
            })))
        }
        _ => Err(unknown_subcommand(&sub)),
    }
}

fn info(s: &ClusterStatus) -> String {
    let ok = s.leader.is_some();
    let fields = [
        ("cluster_enabled", "1".to_string()),
        ("cluster_state", if ok { "ok" } else { "fail" }.to_string()),
        ("cluster_slots_assigned", "16384".into()),
        ("cluster_slots_ok", if ok { "16384" } else { "0" }.into()),
        ("cluster_slots_pfail", "0".into()),
        ("cluster_slots_fail", if ok { "0" } else { "16384" }.into()),
        ("cluster_known_nodes", s.members.len().to_string()),
        ("cluster_size", "1".into()),
        ("cluster_current_epoch", s.term.to_string()),
        ("cluster_my_epoch", s.term.to_string()),
        ("cluster_stats_messages_sent", "0".into()),
        ("cluster_stats_messages_received", "0".into()),
        ("total_cluster_links_buffer_limit_exceeded", "0".into()),
    ];
    fields.iter().map(|(k, v)| format!("{k}:{v}\r\n")).collect()
}

/// Members with the leader first, as Redis lists a shard's master before its replicas.
fn ordered(s: &ClusterStatus) -> Vec<&MemberStatus> {
    let mut m: Vec<&MemberStatus> = s.members.iter().collect();
    m.sort_by_key(|m| (Some(m.id) != s.leader, m.id));
    m
}

fn nodes(s: &ClusterStatus) -> String {
    let mut out = String::new();
    let leader = s.leader.map_or("-".to_string(), node_name);
    for m in ordered(s) {
        let (_, bus) = split_addr(&m.raft_addr);
        let mut flags = Vec::new();
        if m.id == s.node_id {
            flags.push("myself");
        }
        let is_master = Some(m.id) == s.leader;
        flags.push(if is_master { "master" } else { "slave" });
        let master = if is_master {
            "-".to_string()
        } else {
            leader.clone()
        };
        let slots = if is_master { " 0-16383" } else { "" };
        out.push_str(&format!(
            "{} {}@{} {} {} 0 0 {} connected{}\n",
            node_name(m.id),
            m.resp_addr,
            bus,
            flags.join(","),
            master,
            s.term,
            slots
        ));
    }
    out
}

fn endpoint(m: &MemberStatus) -> Response {
    let (host, port) = split_addr(&m.resp_addr);
    Response::Array(vec![
        Response::bulk(host),
        Response::Int(port),
        Response::bulk(node_name(m.id)),
    ])
}

fn slots(s: &ClusterStatus) -> Response {
    if s.leader.is_none() {
        return Response::Array(Vec::new());
    }
    let mut range = vec![Response::Int(0), Response::Int(16383)];
    range.extend(ordered(s).into_iter().map(endpoint));
    Response::Array(vec![Response::Array(range)])
}

fn shards(s: &ClusterStatus) -> Response {
    let nodes = ordered(s)
        .into_iter()
        .map(|m| {
            let (host, port) = split_addr(&m.resp_addr);
            let role = if Some(m.id) == s.leader {
                "master"
            } else {
                "replica"
            };
            let offset = m.matched_index.unwrap_or(s.applied_index) as i64;
            Response::Map(vec![
                (Response::bulk("id"), Response::bulk(node_name(m.id))),
                (Response::bulk("port"), Response::Int(port)),
                (Response::bulk("ip"), Response::bulk(host.clone())),
                (Response::bulk("endpoint"), Response::bulk(host)),
                (Response::bulk("role"), Response::bulk(role)),
                (Response::bulk("replication-offset"), Response::Int(offset)),
                (Response::bulk("health"), Response::bulk("online")),
            ])
        })
        .collect();
    Response::Array(vec![Response::Map(vec![
        (
            Response::bulk("slots"),
            Response::Array(vec![Response::Int(0), Response::Int(16383)]),
        ),
        (Response::bulk("nodes"), Response::Array(nodes)),
    ])])
}

fn readonly(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    a.finish()?;
    Ok(Action::Session(Box::new(|s, _| {
        s.readonly = true;
        Response::Ok
    })))
}

fn readwrite(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    a.finish()?;
    Ok(Action::Session(Box::new(|s, _| {
        s.readonly = false;
        Response::Ok
    })))
}

const CL: &[&str] = &["stale"];
const FAST: &[&str] = &["fast", "loading", "stale"];

pub const COMMANDS: &[Spec] = specs!["cluster";
    ("cluster", -2, CL, (0, 0, 0), "A container for Redis Cluster commands.", cluster),
    ("readonly", 1, FAST, (0, 0, 0), "Enables read-only (local, possibly stale) reads for the connection.", readonly),
    ("readwrite", 1, FAST, (0, 0, 0), "Enables linearizable reads for the connection.", readwrite),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_round_trip() {
        assert_eq!(node_name(1), "0000000000000000000000000000000000000001");
        assert_eq!(parse_node(node_name(42).as_bytes()), Some(42));
        assert_eq!(parse_node(b"7"), Some(7));
        assert_eq!(parse_node(b"x"), None);
    }
}
