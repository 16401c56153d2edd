//! Sorted sets: members ordered by score, then by member.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::Db;

/// One end of a score interval (`(1.5` is exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreBound {
    pub value: f64,
    pub exclusive: bool,
}

/// One end of a lexicographic interval (`-`, `+`, `[a`, `(a`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LexBound {
    Min,
    Max,
    Inclusive(Bytes),
    Exclusive(Bytes),
}

/// Which members a range names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Range {
    /// By rank, inclusive, negative counting from the end.
    Rank {
        start: i64,
        stop: i64,
    },
    Score {
        min: ScoreBound,
        max: ScoreBound,
    },
    Lex {
        min: LexBound,
        max: LexBound,
    },
}

/// A range read or stored by `ZRANGE` and friends: in reverse (`REV`: `min`/`max` are given
/// high end first by the client, and stored here already in order), from `offset`, at most
/// `count` (negative: all) members.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Select {
    pub range: Range,
    pub rev: bool,
    pub limit: Option<(i64, i64)>,
}

/// How `ZUNION`/`ZINTER` combine the scores of a member present in several inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Aggregate {
    Sum,
    Min,
    Max,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Combine {
    Union,
    Inter,
    Diff,
}

/// The inputs of `ZUNION`/`ZINTER`/`ZDIFF` and their `STORE` forms. A plain set as input counts
/// each member with score 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    pub op: Combine,
    pub keys: Vec<Bytes>,
    /// One per key (all 1 when the client gave none).
    pub weights: Vec<f64>,
    pub aggregate: Aggregate,
}

/// `ZADD`'s options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
    /// Count changed members, not only added ones.
    pub ch: bool,
    /// `INCR`: one pair, the score is an increment; replies with the new score or nil.
    pub incr: bool,
}

/// Which end `ZPOPMIN`/`ZPOPMAX` and friends take from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    Min,
    Max,
}

/// A state change of a sorted set. Variants and fields may be added, never reordered: this is
/// part of the log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`.
    Add {
        db: Db,
        key: Bytes,
        flags: AddFlags,
        pairs: Vec<(f64, Bytes)>,
    },
    /// `ZREM key member [member ...]`.
    Rem {
        db: Db,
        key: Bytes,
        members: Vec<Bytes>,
    },
    /// `ZINCRBY key increment member`: replies with the new score.
    IncrBy {
        db: Db,
        key: Bytes,
        delta: f64,
        member: Bytes,
    },
    /// `ZREMRANGEBYRANK`/`ZREMRANGEBYSCORE`/`ZREMRANGEBYLEX`: replies with the number removed.
    RemRange { db: Db, key: Bytes, range: Range },
    /// `ZPOPMIN`/`ZPOPMAX key [count]`: without a count one member and its score, flat.
    Pop {
        db: Db,
        key: Bytes,
        side: Side,
        count: Option<u64>,
    },
    /// `ZMPOP`/`BZMPOP` attempt: up to `count` from the first non-empty key; replies
    /// `[key, [[member, score], ...]]` or a nil array.
    MPop {
        db: Db,
        keys: Vec<Bytes>,
        side: Side,
        count: u64,
    },
    /// `BZPOPMIN`/`BZPOPMAX` attempt: one member from the first non-empty key; replies
    /// `[key, member, score]` or a nil array.
    PopFirst {
        db: Db,
        keys: Vec<Bytes>,
        side: Side,
    },
    /// `ZUNIONSTORE`/`ZINTERSTORE`/`ZDIFFSTORE destination ...`: replies with the stored size.
    Store { db: Db, dst: Bytes, inputs: Inputs },
    /// `ZRANGESTORE dst src ...`: replies with the stored size.
    RangeStore {
        db: Db,
        dst: Bytes,
        src: Bytes,
        select: Select,
    },
}

/// A read of sorted sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Query {
    Score {
        db: Db,
        key: Bytes,
        member: Bytes,
    },
    MScore {
        db: Db,
        key: Bytes,
        members: Vec<Bytes>,
    },
    Card {
        db: Db,
        key: Bytes,
    },
    /// `ZCOUNT` (a score range) and `ZLEXCOUNT` (a lex range).
    Count {
        db: Db,
        key: Bytes,
        range: Range,
    },
    /// `ZRANK`/`ZREVRANK`.
    Rank {
        db: Db,
        key: Bytes,
        member: Bytes,
        rev: bool,
    },
    /// `ZRANGE` and the older `ZRANGEBYSCORE`/`ZRANGEBYLEX`/`ZREV...` forms.
    Range {
        db: Db,
        key: Bytes,
        select: Select,
        with_scores: bool,
    },
    /// `ZRANDMEMBER key [count [WITHSCORES]]`.
    RandMember {
        db: Db,
        key: Bytes,
        count: Option<i64>,
        with_scores: bool,
    },
    /// `ZUNION`/`ZINTER`/`ZDIFF ... [WITHSCORES]`.
    Combine {
        db: Db,
        inputs: Inputs,
        with_scores: bool,
    },
    /// `ZINTERCARD numkeys key [key ...] [LIMIT limit]` (0: no limit).
    InterCard {
        db: Db,
        keys: Vec<Bytes>,
        limit: u64,
    },
    /// `ZSCAN key cursor [MATCH pattern] [COUNT count]`.
    Scan {
        db: Db,
        key: Bytes,
        cursor: u64,
        pattern: Option<Bytes>,
        count: u64,
    },
}
