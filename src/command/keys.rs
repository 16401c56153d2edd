//! Commands on keys of any type: deletion, renaming, copying, time to live, whole databases.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{Db, ExpireCond, KeyType, TtlKind};

/// A state change of keys whatever their type. Variants and fields may be added, never
/// reordered: this is part of the log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
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
    /// `FLUSHDB`.
    FlushDb { db: Db },
    /// `FLUSHALL`.
    FlushAll,
    /// `MOVE key db`: replies 1, or 0 when the key is missing or the target database has it.
    Move { db: Db, key: Bytes, dst_db: Db },
    /// `SWAPDB a b`: every key of one database becomes the other's.
    SwapDb { a: Db, b: Db },
    /// `SORT ... STORE dst`: the sorted elements (nil ones as empty strings) become the list
    /// `dst`, or `dst` is deleted when there are none; replies with their number.
    SortStore {
        db: Db,
        key: Bytes,
        sort: Sort,
        dst: Bytes,
    },
}

/// A read of keys whatever their type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Query {
    /// `EXISTS` and `TOUCH`: counts keys that exist, repeats included.
    Exists {
        db: Db,
        keys: Vec<Bytes>,
    },
    /// Replies with [`super::Response::Type`].
    Type {
        db: Db,
        key: Bytes,
    },
    Keys {
        db: Db,
        pattern: Bytes,
    },
    /// One `SCAN` step from `cursor`; `key_type` `Some(None)` is a type no key has.
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
    DbSize {
        db: Db,
    },
    /// The change stamps of keys (`WATCH`): replies with one integer per key, the log position of
    /// the key's last change, or nil when it does not exist.
    Stamps {
        db: Db,
        keys: Vec<Bytes>,
    },
    /// `MEMORY USAGE key [SAMPLES n]`: the bytes the key's records take, estimated from `samples`
    /// elements of a collection (0: all of them); nil when the key does not exist.
    MemoryUsage {
        db: Db,
        key: Bytes,
        samples: u64,
    },
    /// `DEBUG DIGEST-VALUE key [key ...]` (`Some`: one digest per key) and `DEBUG DIGEST`
    /// (`None`: one digest of every database's keys and values); all zeros for a missing key or
    /// an empty dataset.
    Digest {
        db: Db,
        keys: Option<Vec<Bytes>>,
    },
    /// `SORT` and `SORT_RO` without STORE: one reply per element (per GET pattern and element).
    Sort {
        db: Db,
        key: Bytes,
        sort: Sort,
    },
}

/// `SORT`'s options. Patterns name other keys: `*` is replaced by the element, and `key->field`
/// reads a hash field; `#` (in GET) is the element itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sort {
    /// `BY pattern`: sort by the values it names; one without `*` means do not sort.
    pub by: Option<Bytes>,
    /// `LIMIT offset count` (a negative count: all).
    pub limit: Option<(i64, i64)>,
    /// `GET pattern ...`: reply with what these name instead of the elements.
    pub get: Vec<Bytes>,
    pub desc: bool,
    /// Compare as strings rather than as numbers.
    pub alpha: bool,
}
