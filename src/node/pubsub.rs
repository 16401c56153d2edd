//! Publish/subscribe: the clients of this node subscribed to channels and patterns, and the
//! delivery of published messages to them.
//!
//! A message is published through the log (`node::Command::Publish`), so every node of the
//! cluster delivers it to its own subscribers when it applies the entry, in log order, as Redis
//! Cluster broadcasts a PUBLISH to every node. Nothing is stored: a client that subscribes
//! later never sees it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::RwLock;
use tokio::sync::mpsc;

use crate::shared::glob::glob_match;

/// Bytes of messages a subscriber may have waiting before it is cut off, as Redis's
/// `client-output-buffer-limit pubsub 32mb` does.
pub const MAX_PENDING_BYTES: usize = 32 << 20;

/// A message for one subscription.
#[derive(Clone, Debug)]
pub struct Message {
    /// The pattern it matched (`None`: the channel itself was subscribed).
    pub pattern: Option<Bytes>,
    pub channel: Bytes,
    pub payload: Bytes,
}

/// What a subscriber's connection and the hub share.
#[derive(Default)]
pub struct Backlog {
    bytes: AtomicUsize,
    overflowed: AtomicBool,
}

/// The receiving end, held by the subscribed connection.
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<Message>,
    backlog: Arc<Backlog>,
}

impl Inbox {
    /// The next message; `None` once the subscriber fell too far behind (it must be closed).
    pub async fn recv(&mut self) -> Option<Message> {
        if self.backlog.overflowed.load(Ordering::Relaxed) {
            return None;
        }
        let m = self.rx.recv().await?;
        self.backlog
            .bytes
            .fetch_sub(m.payload.len(), Ordering::Relaxed);
        Some(m)
    }
}

/// The sending end, one per subscribed client.
#[derive(Clone)]
pub struct Mailbox {
    tx: mpsc::UnboundedSender<Message>,
    backlog: Arc<Backlog>,
}

/// A new subscriber's two ends.
pub fn mailbox() -> (Mailbox, Inbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    let backlog = Arc::new(Backlog::default());
    (
        Mailbox {
            tx,
            backlog: backlog.clone(),
        },
        Inbox { rx, backlog },
    )
}

impl Mailbox {
    /// Queues a message; false if the subscriber is gone or over its backlog.
    fn send(&self, m: Message) -> bool {
        let len = m.payload.len();
        if self.backlog.bytes.fetch_add(len, Ordering::Relaxed) + len > MAX_PENDING_BYTES {
            self.backlog.overflowed.store(true, Ordering::Relaxed);
            // Wake the connection so that it notices.
            let _ = self.tx.send(m);
            return false;
        }
        self.tx.send(m).is_ok()
    }
}

type Subscribers = HashMap<Bytes, HashMap<u64, Mailbox>>;

#[derive(Default)]
pub struct PubSub {
    channels: RwLock<Subscribers>,
    patterns: RwLock<Subscribers>,
}

/// Channels or patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
}

impl PubSub {
    fn table(&self, kind: Kind) -> &RwLock<Subscribers> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
        }
    }

    /// Subscribes client `id` to a channel or pattern; false if it already was.
    pub fn subscribe(&self, kind: Kind, name: Bytes, id: u64, mailbox: &Mailbox) -> bool {
        let mut t = self.table(kind).write();
        t.entry(name)
            .or_default()
            .insert(id, mailbox.clone())
            .is_none()
    }

    /// Unsubscribes client `id`; false if it was not subscribed.
    pub fn unsubscribe(&self, kind: Kind, name: &[u8], id: u64) -> bool {
        let mut t = self.table(kind).write();
        let Some(subs) = t.get_mut(name) else {
            return false;
        };
        let removed = subs.remove(&id).is_some();
        if subs.is_empty() {
            t.remove(name);
        }
        removed
    }

    /// Delivers a message to every matching subscription here; returns how many got it.
    pub fn publish(&self, channel: &Bytes, payload: &Bytes) -> usize {
        let mut delivered = 0;
        if let Some(subs) = self.channels.read().get(channel) {
            for mailbox in subs.values() {
                let m = Message {
                    pattern: None,
                    channel: channel.clone(),
                    payload: payload.clone(),
                };
                delivered += usize::from(mailbox.send(m));
            }
        }
        for (pattern, subs) in self.patterns.read().iter() {
            if !glob_match(pattern, channel) {
                continue;
            }
            for mailbox in subs.values() {
                let m = Message {
                    pattern: Some(pattern.clone()),
                    channel: channel.clone(),
                    payload: payload.clone(),
                };
                delivered += usize::from(mailbox.send(m));
            }
        }
        delivered
    }

    /// Channels with subscribers here, those matching `pattern` if given (`PUBSUB CHANNELS`).
    pub fn channels(&self, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let t = self.channels.read();
        t.keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c)))
            .cloned()
            .collect()
    }

    /// Subscribers of a channel here (`PUBSUB NUMSUB`).
    pub fn subscribers(&self, channel: &[u8]) -> usize {
        self.channels.read().get(channel).map_or(0, HashMap::len)
    }

    /// Patterns subscribed to here (`PUBSUB NUMPAT`).
    pub fn patterns(&self) -> usize {
        self.patterns.read().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[tokio::test]
    async fn messages_reach_channel_and_pattern_subscribers_once_per_subscription() {
        let hub = PubSub::default();
        let (mb, mut inbox) = mailbox();
        assert!(hub.subscribe(Kind::Channel, b("news"), 1, &mb));
        assert!(!hub.subscribe(Kind::Channel, b("news"), 1, &mb));
        assert!(hub.subscribe(Kind::Pattern, b("n*"), 1, &mb));
        assert_eq!(hub.publish(&b("news"), &b("hi")), 2);
        assert_eq!(hub.publish(&b("other"), &b("x")), 0);
        let first = inbox.recv().await.expect("message");
        assert_eq!((first.pattern, first.payload), (None, b("hi")));
        let second = inbox.recv().await.expect("message");
        assert_eq!(second.pattern, Some(b("n*")));
        assert!(hub.unsubscribe(Kind::Channel, b"news", 1));
        assert_eq!(hub.channels(None), Vec::<Bytes>::new());
        assert_eq!(hub.patterns(), 1);
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_too_far_behind_is_cut_off() {
        let hub = PubSub::default();
        let (mb, mut inbox) = mailbox();
        hub.subscribe(Kind::Channel, b("c"), 1, &mb);
        let big = Bytes::from(vec![0u8; MAX_PENDING_BYTES / 2 + 1]);
        assert_eq!(hub.publish(&b("c"), &big), 1);
        assert_eq!(hub.publish(&b("c"), &big), 0);
        assert!(inbox.recv().await.is_none());
    }
}
