//! Sets: unordered collections of distinct members.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::Db;

/// How several sets combine (`SINTER`, `SUNION`, `SDIFF` and their `STORE` forms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Combine {
    Inter,
    Union,
    Diff,
}

/// A state change of a set. Variants and fields may be added, never reordered: this is part of
/// the log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// `SADD key member [member ...]`: replies with the number added.
    Add {
        db: Db,
        key: Bytes,
        members: Vec<Bytes>,
    },
    /// `SREM key member [member ...]`: replies with the number removed.
    Rem {
        db: Db,
        key: Bytes,
        members: Vec<Bytes>,
    },
    /// `SPOP key [count]`. `seed` is chosen by the node that took the command, so every replica
    /// pops the same members.
    Pop {
        db: Db,
        key: Bytes,
        count: Option<u64>,
        seed: u64,
    },
    /// `SMOVE source destination member`: replies 1 if moved.
    Move {
        db: Db,
        src: Bytes,
        dst: Bytes,
        member: Bytes,
    },
    /// `SINTERSTORE`/`SUNIONSTORE`/`SDIFFSTORE destination key [key ...]`: replies with the size
    /// of the stored set (an empty result deletes the destination).
    Store {
        db: Db,
        op: Combine,
        dst: Bytes,
        keys: Vec<Bytes>,
    },
}

/// A read of sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Query {
    IsMember {
        db: Db,
        key: Bytes,
        member: Bytes,
    },
    MIsMember {
        db: Db,
        key: Bytes,
        members: Vec<Bytes>,
    },
    Members {
        db: Db,
        key: Bytes,
    },
    Card {
        db: Db,
        key: Bytes,
    },
    /// `SRANDMEMBER key [count]`; a negative count may repeat members.
    RandMember {
        db: Db,
        key: Bytes,
        count: Option<i64>,
    },
    /// `SINTER`/`SUNION`/`SDIFF key [key ...]`.
    Combine {
        db: Db,
        op: Combine,
        keys: Vec<Bytes>,
    },
    /// `SINTERCARD numkeys key [key ...] [LIMIT limit]` (0: no limit).
    InterCard {
        db: Db,
        keys: Vec<Bytes>,
        limit: u64,
    },
    /// `SSCAN key cursor [MATCH pattern] [COUNT count]`.
    Scan {
        db: Db,
        key: Bytes,
        cursor: u64,
        pattern: Option<Bytes>,
        count: u64,
    },
}
