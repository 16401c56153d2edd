//! A connection's subscriptions: what SUBSCRIBE and friends answer, and the messages the node
//! delivers to it (see `node::pubsub`).

use std::collections::BTreeSet;

use bytes::Bytes;

use crate::command::Response;
use crate::node::pubsub::{self, Inbox, Kind, Mailbox, Message, PubSub};

/// SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE.
#[derive(Debug)]
pub struct Op {
    pub kind: Kind,
    pub subscribe: bool,
    /// For an unsubscription, none means all.
    pub names: Vec<Bytes>,
}

#[derive(Default)]
pub struct Subscriptions {
    channels: BTreeSet<Bytes>,
    patterns: BTreeSet<Bytes>,
    mailbox: Option<Mailbox>,
    /// Where this connection's messages arrive, once it has subscribed.
    pub inbox: Option<Inbox>,
}

fn word(w: &'static str) -> Response {
    Response::Bulk(Bytes::from_static(w.as_bytes()))
}

impl Subscriptions {
    /// Whether any subscription is held: a RESP2 connection then takes only pub/sub commands.
    pub fn active(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty()
    }

    pub fn counts(&self) -> (usize, usize) {
        (self.channels.len(), self.patterns.len())
    }

    fn count(&self) -> Response {
        Response::Int((self.channels.len() + self.patterns.len()) as i64)
    }

    fn set(&mut self, kind: Kind) -> &mut BTreeSet<Bytes> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
        }
    }

    /// Runs an (un)subscription: one reply per channel or pattern, as Redis sends them.
    pub fn apply(&mut self, op: Op, hub: &PubSub, client: u64) -> Vec<Response> {
        let (sub, unsub) = match op.kind {
            Kind::Channel => ("subscribe", "unsubscribe"),
            Kind::Pattern => ("psubscribe", "punsubscribe"),
        };
        let mut replies = Vec::new();
        if op.subscribe {
            let mailbox = match &self.mailbox {
                Some(m) => m.clone(),
                None => {
                    let (m, inbox) = pubsub::mailbox();
                    self.mailbox = Some(m.clone());
                    self.inbox = Some(inbox);
                    m
                }
            };
            for name in op.names {
                if self.set(op.kind).insert(name.clone()) {
                    hub.subscribe(op.kind, name.clone(), client, &mailbox);
                }
                replies.push(Response::Push(vec![
                    word(sub),
                    Response::Bulk(name),
                    self.count(),
                ]));
            }
            return replies;
        }
        let names = if op.names.is_empty() {
            self.set(op.kind).iter().cloned().collect()
        } else {
            op.names
        };
        for name in &names {
            if self.set(op.kind).remove(name) {
                hub.unsubscribe(op.kind, name, client);
            }
            replies.push(Response::Push(vec![
                word(unsub),
                Response::Bulk(name.clone()),
                self.count(),
            ]));
        }
        if names.is_empty() {
            replies.push(Response::Push(vec![
                word(unsub),
                Response::Nil,
                self.count(),
            ]));
        }
        replies
    }

    /// Drops every subscription (RESET, or the connection closing).
    pub fn clear(&mut self, hub: &PubSub, client: u64) {
        for c in std::mem::take(&mut self.channels) {
            hub.unsubscribe(Kind::Channel, &c, client);
        }
        for p in std::mem::take(&mut self.patterns) {
            hub.unsubscribe(Kind::Pattern, &p, client);
        }
        self.mailbox = None;
        self.inbox = None;
    }
}

/// A delivered message as the client receives it.
pub fn message(m: Message) -> Response {
    match m.pattern {
        None => Response::Push(vec![
            word("message"),
            Response::Bulk(m.channel),
            Response::Bulk(m.payload),
        ]),
        Some(p) => Response::Push(vec![
            word("pmessage"),
            Response::Bulk(p),
            Response::Bulk(m.channel),
            Response::Bulk(m.payload),
        ]),
    }
}
