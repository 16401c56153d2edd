//! Pub/sub commands: PUBLISH, SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBSUB.

use super::{unknown_subcommand, Action, Ctx, Spec};
use crate::command::{node, CommandError, Response};
use crate::node::pubsub::Kind;
use crate::resp::parse::Args;
use crate::resp::pubsub::Op;
use crate::resp::session::{Server, Session};

/// `PUBLISH channel message`: through the log, so that every node's subscribers get it; the
/// reply counts the subscribers of the node that applied it for this client (the leader), as a
/// Redis Cluster node counts its own.
fn publish(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let channel = a.next_bytes()?;
    let message = a.next_bytes()?;
    Ok(Action::write(node::Command::Publish {
        db: c.db,
        channel,
        message,
    }))
}

fn op(a: &mut Args, kind: Kind, subscribe: bool) -> Result<Action, CommandError> {
    Ok(Action::PubSub(Op {
        kind,
        subscribe,
        names: a.rest(),
    }))
}

fn subscribe(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    op(a, Kind::Channel, true)
}

fn unsubscribe(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    op(a, Kind::Channel, false)
}

fn psubscribe(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    op(a, Kind::Pattern, true)
}

fn punsubscribe(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    op(a, Kind::Pattern, false)
}

/// `PUBSUB CHANNELS [pattern]`, `NUMSUB [channel ...]`, `NUMPAT`: this node's subscribers, as
/// a Redis Cluster node answers for its own.
fn pubsub(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let sub = a.next_keyword()?;
    let args = a.rest();
    let reply = move |f: Box<dyn FnOnce(&Server) -> Response + Send>| {
        Ok(Action::Session(Box::new(
            move |_: &mut Session, s: &Server| f(s),
        )))
    };
    match sub.as_str() {
        "CHANNELS" if args.len() <= 1 => reply(Box::new(move |s| {
            let mut channels = s.node.pubsub.channels(args.first().map(|p| &p[..]));
            channels.sort();
            Response::Array(channels.into_iter().map(Response::Bulk).collect())
        })),
        "NUMSUB" => reply(Box::new(move |s| {
            let mut out = Vec::with_capacity(args.len() * 2);
            for c in args {
                let n = s.node.pubsub.subscribers(&c);
                out.push(Response::Bulk(c));
                out.push(Response::Int(n as i64));
            }
            Response::Array(out)
        })),
        "NUMPAT" if args.is_empty() => {
            reply(Box::new(|s| Response::Int(s.node.pubsub.patterns() as i64)))
        }
        "HELP" => Ok(Action::Reply(Response::Array(
            [
                "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "CHANNELS [<pattern>]",
                "    Return the currently active channels matching a <pattern> (default: '*').",
                "NUMPAT",
                "    Return number of subscriptions to patterns.",
                "NUMSUB [<channel> ...]",
                "    Return the number of subscribers for the specified channels, excluding",
                "    pattern subscriptions(default: no channels).",
            ]
            .into_iter()
            .map(|l| Response::Text(l.into()))
            .collect(),
        ))),
        "CHANNELS" | "NUMPAT" => Err(super::wrong_arity(&format!(
            "pubsub|{}",
            sub.to_ascii_lowercase()
        ))),
        _ => Err(unknown_subcommand(sub.as_bytes(), "pubsub")),
    }
}

const PS: &[&str] = &["pubsub", "noscript", "loading", "stale"];

pub const COMMANDS: &[Spec] = specs!["pubsub";
    ("publish", 3, &["pubsub", "loading", "stale", "fast"], (0, 0, 0), "Posts a message to a channel.", publish),
    ("subscribe", -2, PS, (0, 0, 0), "Listens for messages published to channels.", subscribe),
    ("unsubscribe", -1, PS, (0, 0, 0), "Stops listening to messages posted to channels.", unsubscribe),
    ("psubscribe", -2, PS, (0, 0, 0), "Listens for messages published to channels that match one or more patterns.", psubscribe),
    ("punsubscribe", -1, PS, (0, 0, 0), "Stops listening to messages published to channels that match one or more patterns.", punsubscribe),
    ("pubsub", -2, &["pubsub", "loading", "stale"], (0, 0, 0), "A container for Pub/Sub commands.", pubsub),
];
