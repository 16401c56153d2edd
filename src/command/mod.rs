//! The one seam between the wire front-ends and the engine.
//!
//! A [`Command`] is every state change of every data model; it is what the write path (the log)
//! carries, so it must be serializable and must apply deterministically: anything that depends on
//! the clock, on randomness or on the node is resolved before the command is built. A [`Query`] is
//! a read and never enters the log (except inside a transaction, which reads at its place in the
//! log). Both answer with a [`Response`], which knows nothing of any wire format.
//!
//! Each data model has its own sub-enum in its own file; the top-level enums only say which model
//! a command belongs to, so a new model (Kafka's log, CQL's tables) is a new variant here and a
//! new file, without touching the others.

mod error;
pub mod group;
pub mod hash;
pub mod keys;
pub mod kv;
pub mod list;
pub mod log;
pub mod node;
mod response;
pub mod set;
pub mod table;
pub mod zset;

pub use error::{CommandError, NodeError};
pub use group::GroupError;
pub use log::LogError;
pub use response::Response;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// Index of one of the logical databases (`SELECT n`).
pub type Db = u8;

/// What a write does to a key's time to live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expiry {
    /// Remove any time to live.
    Persist,
    /// Expire at this absolute unix time in milliseconds.
    At(i64),
    /// Keep whatever time to live the key had (`KEEPTTL`).
    Keep,
}

/// The existence condition of a SET-like write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetCond {
    Always,
    /// `NX`: only if the key does not exist.
    IfAbsent,
    /// `XX`: only if the key exists.
    IfPresent,
}

/// The condition of `EXPIRE ... NX|XX|GT|LT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpireCond {
    Always,
    Nx,
    Xx,
    Gt,
    Lt,
    /// `XX LT`: only if the key has a TTL and the new one is sooner (`XX GT` is just `GT`).
    XxLt,
}

/// Which end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum End {
    Left,
    Right,
}

/// A state change. This enum is the log entry: variants and fields may be added, never
/// reordered (the entry's encoding carries a format version for anything else).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    Kv(kv::Command),
    Keys(keys::Command),
    List(list::Command),
    Hash(hash::Command),
    Set(set::Command),
    ZSet(zset::Command),
    /// `MULTI ... EXEC`: applied as one step on every replica.
    Exec(Exec),
    Node(node::Command),
    /// Kafka's partitioned logs.
    Log(log::Command),
    /// Consumer groups and their offsets.
    Group(group::Command),
    /// CQL's keyspaces, tables and rows.
    Table(table::Command),
}

impl Command {
    /// The log positions the command takes when applied (each gets its own, so that what it
    /// creates gets its own version): one, or one per step of a transaction.
    pub fn positions(&self) -> usize {
        match self {
            Command::Exec(e) => e.steps.len().max(1),
            _ => 1,
        }
    }
}

/// A transaction: unless a watched key changed since its stamp was read, every step applies in
/// order at one place in the log; replies with one reply per step, or nil if a watch failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exec {
    /// Watched keys and the change stamps `WATCH` read (`None`: the key did not exist).
    pub watches: Vec<(Db, Bytes, Option<u64>)>,
    pub steps: Vec<Step>,
}

/// One queued command of a transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Step {
    Write(Command),
    Read(Query),
}

/// A read, answered from local state, never logged on its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Query {
    Kv(kv::Query),
    Keys(keys::Query),
    List(list::Query),
    Hash(hash::Query),
    Set(set::Query),
    ZSet(zset::Query),
    Log(log::Query),
    Group(group::Query),
    Table(table::Query),
}

macro_rules! model_from {
    ($($variant:ident($module:ident)),*) => {
        $(
            impl From<$module::Command> for Command {
                fn from(c: $module::Command) -> Command {
                    Command::$variant(c)
                }
            }
            impl From<$module::Query> for Query {
                fn from(q: $module::Query) -> Query {
                    Query::$variant(q)
                }
            }
        )*
    };
}

model_from!(
    Kv(kv),
    Keys(keys),
    List(list),
    Hash(hash),
    Set(set),
    ZSet(zset),
    Log(log),
    Group(group),
    Table(table)
);

impl From<node::Command> for Command {
    fn from(c: node::Command) -> Command {
        Command::Node(c)
    }
}

/// The type of a key, as `TYPE` names it and `SCAN ... TYPE` filters by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyType {
    String,
    List,
    Hash,
    Set,
    ZSet,
}

impl KeyType {
    const ALL: [KeyType; 5] = [
        KeyType::String,
        KeyType::List,
        KeyType::Hash,
        KeyType::Set,
        KeyType::ZSet,
    ];

    /// The name `TYPE` replies with.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::String => "string",
            KeyType::List => "list",
            KeyType::Hash => "hash",
            KeyType::Set => "set",
            KeyType::ZSet => "zset",
        }
    }

    /// Parses a `SCAN ... TYPE t` argument; unknown types match nothing.
    pub fn from_name(name: &[u8]) -> Option<KeyType> {
        KeyType::ALL
            .into_iter()
            .find(|t| name.eq_ignore_ascii_case(t.name().as_bytes()))
    }
}

/// What a `TTL`-family query reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TtlKind {
    /// `TTL`: remaining seconds.
    Seconds,
    /// `PTTL`: remaining milliseconds.
    Millis,
    /// `EXPIRETIME`: absolute unix seconds.
    AtSeconds,
    /// `PEXPIRETIME`: absolute unix milliseconds.
    AtMillis,
}
