//! Hashes: field → value maps under one key.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::Db;

/// A state change of a hash. Variants and fields may be added, never reordered: this is part of
/// the log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// `HSET`/`HMSET key field value [field value ...]` and, with `only_new`, `HSETNX` (fields
    /// that exist keep their value): replies with the number of fields added.
    Set {
        db: Db,
        key: Bytes,
        pairs: Vec<(Bytes, Bytes)>,
        only_new: bool,
    },
    /// `HDEL key field [field ...]`: replies with the number removed.
    Del {
        db: Db,
        key: Bytes,
        fields: Vec<Bytes>,
    },
    /// `HINCRBY key field delta`: replies with the new value.
    IncrBy {
        db: Db,
        key: Bytes,
        field: Bytes,
        delta: i64,
    },
    /// `HINCRBYFLOAT key field delta`, the increment as the client wrote it (parsed at apply).
    IncrByFloat {
        db: Db,
        key: Bytes,
        field: Bytes,
        delta: Bytes,
    },
}

/// What `HKEYS`/`HVALS`/`HGETALL` return of each field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Part {
    Fields,
    Values,
    /// Field/value pairs (a map in RESP3).
    Both,
}

/// A read of a hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Query {
    Get {
        db: Db,
        key: Bytes,
        field: Bytes,
    },
    MGet {
        db: Db,
        key: Bytes,
        fields: Vec<Bytes>,
    },
    Exists {
        db: Db,
        key: Bytes,
        field: Bytes,
    },
    Len {
        db: Db,
        key: Bytes,
    },
    StrLen {
        db: Db,
        key: Bytes,
        field: Bytes,
    },
    All {
        db: Db,
        key: Bytes,
        part: Part,
    },
    /// `HRANDFIELD key [count [WITHVALUES]]`; a negative count may repeat fields.
    RandField {
        db: Db,
        key: Bytes,
        count: Option<i64>,
        with_values: bool,
    },
    /// `HSCAN key cursor [MATCH pattern] [COUNT count]`.
    Scan {
        db: Db,
        key: Bytes,
        cursor: u64,
        pattern: Option<Bytes>,
        count: u64,
    },
}
