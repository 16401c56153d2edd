//! Strings: values addressed by a key, stored inline in the key's record.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{Db, Expiry, SetCond};

/// A state change of a string. Variants and fields may be added, never reordered: this is part
/// of the log entry.
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
    /// `INCRBYFLOAT key delta`, the increment as the client wrote it (parsed at apply, in the
    /// engine's own decimal arithmetic, so every replica computes the same digits).
    IncrByFloat { db: Db, key: Bytes, delta: Bytes },
    /// `SETRANGE key offset value`.
    SetRange {
        db: Db,
        key: Bytes,
        offset: u64,
        value: Bytes,
    },
    /// `SETBIT key offset value`: replies with the bit's previous value.
    SetBit {
        db: Db,
        key: Bytes,
        offset: u64,
        on: bool,
    },
}

/// A read of strings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// `GETBIT key offset`.
    GetBit {
        db: Db,
        key: Bytes,
        offset: u64,
    },
    /// `BITCOUNT key [start end [BYTE|BIT]]`, the arguments after the key unparsed: Redis
    /// reads them only once the key is found to be a string.
    BitCount {
        db: Db,
        key: Bytes,
        args: Vec<Bytes>,
    },
    /// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]`, the options unparsed: Redis
    /// reads them only once both keys are found to be strings (or missing).
    Lcs {
        db: Db,
        a: Bytes,
        b: Bytes,
        args: Vec<Bytes>,
    },
}
