//! Lists, queues included.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{Db, End};

/// A state change of a list. Variants and fields may be added, never reordered: this is part of
/// the log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
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
}

/// A read of a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Query {
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
}
