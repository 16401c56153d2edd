//! The types openraft is instantiated with: what a log entry carries, what applying one answers,
//! and what the cluster knows of each member.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::command::{Command, Response};

pub type NodeId = u64;

/// What the membership records of each node: where its peers reach it, and where clients do
/// (CLUSTER NODES, /cluster).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// The format of this record ([`crate::engine::FORMAT_VERSION`]): fields are only ever
    /// added after the ones a format already has.
    pub format: u16,
    pub raft_addr: String,
    pub admin_addr: String,
    /// Client listeners by protocol name (`resp`; `kafka` and `cql` as they arrive).
    pub listeners: std::collections::BTreeMap<String, String>,
}

impl NodeInfo {
    /// The address clients of `protocol` connect to, if the node serves it.
    pub fn listener(&self, protocol: &str) -> Option<&str> {
        self.listeners.get(protocol).map(String::as_str)
    }

    /// The RESP listener (every node has one).
    pub fn resp_addr(&self) -> &str {
        self.listener(RESP).unwrap_or_default()
    }
}

/// The listener name of the Redis protocol.
pub const RESP: &str = "resp";
/// The listener name of the Kafka protocol: the address clients are told to use.
pub const KAFKA: &str = "kafka";
/// The CQL listener's protocol name.
pub const CQL: &str = "cql";

impl fmt::Display for NodeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "raft={}", self.raft_addr)?;
        for (protocol, addr) in &self.listeners {
            write!(f, " {protocol}={addr}")?;
        }
        Ok(())
    }
}

/// One Raft log entry: the requests of one group commit (each client's commands, in order), with
/// the leader's clock when it formed the batch, so every replica resolves expiry identically.
///
/// Requests stay as the clients sent them rather than flattened into one list: gathering them is
/// then a move of one vector per client, and the replies come back already split per client.
/// They are shared, not owned: openraft hands the same entry to the log, the state machine and
/// every follower's stream, and each of those takes a clone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// The format the commands are encoded in ([`crate::engine::FORMAT_VERSION`]).
    pub format: u16,
    pub now_ms: i64,
    pub requests: Arc<Vec<Vec<Command>>>,
}

impl Batch {
    /// How many commands the batch carries.
    pub fn commands(&self) -> usize {
        self.requests.iter().map(Vec::len).sum()
    }
}

impl fmt::Display for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "batch of {} at {}", self.commands(), self.now_ms)
    }
}

/// What applying a [`Batch`] answers: per request, one response per command, in order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchReply(pub Vec<Vec<Response>>);

/// trident's Raft: batches of commands in, a response per command out. Written out rather than
/// declared with `openraft::declare_raft_types!`, which cannot name a generic responder; the
/// other types are openraft's defaults.
#[derive(Debug, Clone, Copy, Default, Eq, PartialEq, Ord, PartialOrd)]
pub struct TypeConfig {}

impl openraft::RaftTypeConfig for TypeConfig {
    type D = Batch;
    type R = BatchReply;
    type NodeId = NodeId;
    type Node = NodeInfo;
    type Term = u64;
    type LeaderId = openraft::impls::leader_id_adv::LeaderId<u64, NodeId>;
    type Vote = openraft::impls::Vote<Self::LeaderId>;
    type Payload = openraft::EntryPayload<Batch, NodeId, NodeInfo>;
    type Entry =
        openraft::Entry<<Self::LeaderId as openraft::vote::RaftLeaderId>::Committed, Self::Payload>;
    type AsyncRuntime = openraft::impls::TokioRuntime;
    type Responder<T>
        = Answer<T>
    where
        T: openraft::OptionalSend + 'static;
    type Batch<T>
        = openraft::impls::InlineBatch<T>
    where
        T: openraft::OptionalSend + 'static;
    type ErrorSource = openraft::impls::BoxedErrorSource;
}

/// Hands a client write's outcome straight to the code that proposed it, in the state machine's
/// task as the entry is applied, rather than through a channel to a task of its own: one hand-off
/// fewer on every entry. `None` means openraft dropped the write without an outcome (shutdown).
pub struct Answer<T> {
    deliver: Option<Box<dyn FnOnce(Option<T>) + Send>>,
}

impl<T> Answer<T> {
    pub fn new(deliver: impl FnOnce(Option<T>) + Send + 'static) -> Self {
        Answer {
            deliver: Some(Box::new(deliver)),
        }
    }
}

impl<T: openraft::OptionalSend + 'static> openraft::raft::responder::Responder<TypeConfig, T>
    for Answer<T>
{
    fn on_complete(mut self, result: T) {
        if let Some(deliver) = self.deliver.take() {
            deliver(Some(result));
        }
    }
}

impl<T> Drop for Answer<T> {
    fn drop(&mut self) {
        if let Some(deliver) = self.deliver.take() {
            deliver(None);
        }
    }
}

pub type Raft = openraft::Raft<TypeConfig, super::state_machine::StateMachine>;
pub type LogId = openraft::alias::LogIdOf<TypeConfig>;
pub type Entry = openraft::alias::EntryOf<TypeConfig>;
pub type Vote = openraft::alias::VoteOf<TypeConfig>;
pub type StoredMembership = openraft::alias::StoredMembershipOf<TypeConfig>;
pub type SnapshotMeta = openraft::alias::SnapshotMetaOf<TypeConfig>;

/// The term of the leader that proposed a log entry.
pub fn term_of(log_id: &LogId) -> u64 {
    log_id.leader_id.term
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use openraft::raft::responder::Responder;

    use super::Answer;

    /// What an answer delivered, in order.
    type Seen = Arc<Mutex<Vec<Option<u32>>>>;

    fn recording() -> (Answer<u32>, Seen) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let answer = Answer::new(move |v| log.lock().expect("not poisoned").push(v));
        (answer, seen)
    }

    /// A completed write is answered once, with its result; the drop that follows adds nothing.
    #[test]
    fn completing_answers_once() {
        let (answer, seen) = recording();
        answer.on_complete(7);
        assert_eq!(*seen.lock().expect("not poisoned"), vec![Some(7)]);
    }

    /// A write openraft drops unanswered still answers its clients (with no result), so none of
    /// them waits forever.
    #[test]
    fn dropping_unanswered_answers_none() {
        let (answer, seen) = recording();
        drop(answer);
        assert_eq!(*seen.lock().expect("not poisoned"), vec![None]);
    }
}
