//! The one seam between the wire front-ends and the engine.
//!
//! A [`Command`] is every state change of every data model; it is what the write path (the log)
//! carries, so it must be serializable and must apply deterministically: anything that depends on
//! the clock is resolved to an absolute time before the command is built. A [`Query`] is a read and
//! never enters the log. Both answer with a [`Response`], which knows nothing of any wire format.

mod error;
mod response;

pub use error::CommandError;
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

/// A state change. This enum is the log entry: variants and fields may be added, never reordered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// `SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT|KEEPTTL]`: replies OK, nil when the condition
    /// failed, or the old value with `get`.
    Set {
        db: Db,
        key: Bytes,
        value: Bytes,
        expiry: Expiry,
        cond: SetCond,
        get: bool,
    },
    /// `MSET` (`if_none_exist` false) and `MSETNX` (true, replies 1 or 0).
    MSet {
        db: Db,
        pairs: Vec<(Bytes, Bytes)>,
        if_none_exist: bool,
    },
    /// `GETDEL key`.
    GetDel { db: Db, key: Bytes },
    /// `GETEX key [EX|PX|EXAT|PXAT|PERSIST]`; `Expiry::Keep` leaves the TTL alone.
    GetEx { db: Db, key: Bytes, expiry: Expiry },
    /// `APPEND key value`.
    Append { db: Db, key: Bytes, value: Bytes },
    /// `INCR`, `INCRBY`, `DECR`, `DECRBY`.
    IncrBy { db: Db, key: Bytes, delta: i64 },
    /// `INCRBYFLOAT key delta`.
    IncrByFloat { db: Db, key: Bytes, delta: f64 },
    /// `SETRANGE key offset value`.
    SetRange {
        db: Db,
        key: Bytes,
        offset: u64,
        value: Bytes,
    },
    /// `DEL`/`UNLINK`: replies with the number of keys removed.
    Del { db: Db, keys: Vec<Bytes> },
    /// `RENAME` (`if_absent` false) and `RENAMENX`.
    Rename {
        db: Db,
        src: Bytes,
        dst: Bytes,
        if_absent: bool,
    },
    /// `COPY src dst [DB n] [REPLACE]`.
    Copy {
        db: Db,
        src: Bytes,
        dst_db: Db,
        dst: Bytes,
        replace: bool,
    },
    /// `EXPIRE`/`PEXPIRE`/`EXPIREAT`/`PEXPIREAT` with the deadline already absolute.
    Expire {
        db: Db,
        key: Bytes,
        at_ms: i64,
        cond: ExpireCond,
    },
    /// `PERSIST key`.
    Persist { db: Db, key: Bytes },
    /// `LPUSH`/`RPUSH` and, with `only_if_exists`, `LPUSHX`/`RPUSHX`.
    Push {
        db: Db,
        key: Bytes,
        end: End,
        values: Vec<Bytes>,
        only_if_exists: bool,
    },
    /// `LPOP`/`RPOP key [count]`: without a count replies with one element or nil.
    Pop {
        db: Db,
        key: Bytes,
        end: End,
        count: Option<u64>,
    },
    /// `LMPOP`/`BLMPOP` attempt: pops up to `count` from the first non-empty key; replies
    /// `[key, [elements]]` or a nil array.
    MPop {
        db: Db,
        keys: Vec<Bytes>,
        end: End,
        count: u64,
    },
    /// `BLPOP`/`BRPOP` attempt: pops one element from the first non-empty key; replies
    /// `[key, element]` or a nil array.
    PopFirst { db: Db, keys: Vec<Bytes>, end: End },
    /// `LSET key index value`.
    LSet {
        db: Db,
        key: Bytes,
        index: i64,
        value: Bytes,
    },
    /// `LREM key count value`.
    LRem {
        db: Db,
        key: Bytes,
        count: i64,
        value: Bytes,
    },
    /// `LTRIM key start stop`.
    LTrim {
        db: Db,
        key: Bytes,
        start: i64,
        stop: i64,
    },
    /// `LINSERT key BEFORE|AFTER pivot value`.
    LInsert {
        db: Db,
        key: Bytes,
        before: bool,
        pivot: Bytes,
        value: Bytes,
    },
    /// `LMOVE`/`RPOPLPUSH` (and attempts of their blocking forms).
    LMove {
        db: Db,
        src: Bytes,
        dst: Bytes,
        from: End,
        to: End,
    },
    /// `FLUSHDB`.
    FlushDb { db: Db },
    /// `FLUSHALL`.
    FlushAll,
    /// Issued by the expiry sweeper: deletes those of the keys whose deadline has passed at the
    /// time of apply (a key whose TTL changed since the sweeper looked is left alone).
    DeleteExpired { keys: Vec<(Db, Bytes)> },
    /// Issued in the background: removes up to `budget` elements of collections that were deleted
    /// or overwritten (their old version), so that DEL of a large key stays O(1).
    CollectGarbage { budget: u64 },
    /// A client blocks (BLPOP and friends) on `keys`: `attempt` is tried now and, finding
    /// nothing, the client `(owner node, id)` is queued until a push serves it. Replies with the
    /// attempt's reply (nil: queued).
    Block {
        owner: u64,
        id: u64,
        keys: Vec<(Db, Bytes)>,
        attempt: Box<Command>,
    },
    /// A blocked client gives up (timeout, disconnect): replies 1 if it was still queued.
    Unblock { owner: u64, id: u64 },
}

impl Command {
    /// The keys this command may add list elements to: blocked clients waiting on them are woken
    /// after it applies.
    pub fn pushed_keys(&self) -> Vec<(Db, &Bytes)> {
        match self {
            Command::Push { db, key, .. } => vec![(*db, key)],
            Command::LMove { db, dst, .. } => vec![(*db, dst)],
            Command::Rename { db, dst, .. } => vec![(*db, dst)],
            Command::Copy { dst_db, dst, .. } => vec![(*dst_db, dst)],
            _ => Vec::new(),
        }
    }
}

/// How a `SCAN` filters by type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyType {
    String,
    List,
}

impl KeyType {
    /// The name `TYPE` replies with.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::String => "string",
            KeyType::List => "list",
        }
    }

    /// Parses a `SCAN ... TYPE t` argument; unknown Redis types match nothing.
    pub fn from_name(name: &[u8]) -> Option<KeyType> {
        if name.eq_ignore_ascii_case(b"string") {
            Some(KeyType::String)
        } else if name.eq_ignore_ascii_case(b"list") {
            Some(KeyType::List)
        } else {
            None
        }
    }
}

/// What a `TTL`-family query reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// A read, answered from local state, never logged.
#[derive(Clone, Debug, PartialEq)]
pub enum Query {
    Get {
        db: Db,
        key: Bytes,
    },
    MGet {
        db: Db,
        keys: Vec<Bytes>,
    },
    StrLen {
        db: Db,
        key: Bytes,
    },
    GetRange {
        db: Db,
        key: Bytes,
        start: i64,
        end: i64,
    },
    /// `EXISTS` and `TOUCH`: counts keys that exist, repeats included.
    Exists {
        db: Db,
        keys: Vec<Bytes>,
    },
    Type {
        db: Db,
        key: Bytes,
    },
    Keys {
        db: Db,
        pattern: Bytes,
    },
    /// One `SCAN` step: resumes after `after` (exclusive) or at the start of `slot`.
    Scan {
        db: Db,
        cursor: u64,
        pattern: Option<Bytes>,
        count: u64,
        key_type: Option<Option<KeyType>>,
    },
    RandomKey {
        db: Db,
    },
    Ttl {
        db: Db,
        key: Bytes,
        kind: TtlKind,
    },
    LLen {
        db: Db,
        key: Bytes,
    },
    LRange {
        db: Db,
        key: Bytes,
        start: i64,
        stop: i64,
    },
    LIndex {
        db: Db,
        key: Bytes,
        index: i64,
    },
    LPos {
        db: Db,
        key: Bytes,
        element: Bytes,
        rank: i64,
        count: Option<u64>,
        max_len: u64,
    },
    DbSize {
        db: Db,
    },
}
