//! The value of a key record: what type the key is, when it expires, when it last changed, and
//! either the string value itself (one lookup serves GET) or a collection's metadata.
//!
//! Layout: `type:u8 flags:u8 [expire_at:i64 BE if flags & 1] stamp:u64 BE payload`, where the
//! payload is the raw value for strings, `version:u64 head:i64 tail:i64` for lists and
//! `version:u64 len:u64 [dead:u64]` for hashes, sets and sorted sets (`dead` left out while
//! zero, so headers written before it existed read as having none). The stamp is the log
//! position of the key's last change (what `WATCH` compares).

use bytes::Bytes;

use crate::command::KeyType;
use crate::engine::store::space::Space;

const STRING: u8 = 1;
const LIST: u8 = 2;
const HASH: u8 = 3;
const SET: u8 = 4;
const ZSET: u8 = 5;
const HAS_EXPIRY: u8 = 1;

/// A list's elements are `head..tail` of `version` in the `lists` keyspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListMeta {
    pub version: u64,
    pub head: i64,
    pub tail: i64,
}

impl ListMeta {
    pub fn len(&self) -> i64 {
        self.tail - self.head
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element index of a Redis list position (negative counts from the tail), if in range.
    pub fn index_of(&self, position: i64) -> Option<i64> {
        let pos = if position < 0 {
            self.len().saturating_add(position)
        } else {
            position
        };
        (0..self.len()).contains(&pos).then_some(self.head + pos)
    }
}

/// A hash's, set's or sorted set's elements hang off `version` in the model's keyspace; `len`
/// counts them, so the cardinality is one lookup. `dead` counts the element records deleted
/// under this version (sets keep it): each left a tombstone that range reads walk over, so a
/// set drained by SPOP is copied to a fresh version once they outnumber the live ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollMeta {
    pub version: u64,
    pub len: u64,
    pub dead: u64,
}

impl CollMeta {
    pub fn new(version: u64, len: u64) -> CollMeta {
        CollMeta {
            version,
            len,
            dead: 0,
        }
    }

    /// The same collection after `n` of its element records were deleted.
    pub fn without(self, n: u64) -> CollMeta {
        CollMeta {
            len: self.len.saturating_sub(n),
            dead: self.dead.saturating_add(n),
            ..self
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(Bytes),
    List(ListMeta),
    Hash(CollMeta),
    Set(CollMeta),
    ZSet(CollMeta),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub expire_at: Option<i64>,
    /// The log position of the key's last change, set by [`crate::engine::Txn::put`].
    pub stamp: u64,
    pub value: Value,
}

impl Header {
    pub fn string(value: Bytes, expire_at: Option<i64>) -> Header {
        Header::new(Value::String(value), expire_at)
    }

    pub fn new(value: Value, expire_at: Option<i64>) -> Header {
        Header {
            expire_at,
            stamp: 0,
            value,
        }
    }

    /// A copy with a string's bytes left out (read as empty): all that overwriting or deleting
    /// the key needs of it (type, expiry, a collection's version), without copying a value that
    /// is about to go.
    pub fn shape(&self) -> Header {
        Header {
            expire_at: self.expire_at,
            stamp: self.stamp,
            value: match &self.value {
                Value::String(_) => Value::String(Bytes::new()),
                other => other.clone(),
            },
        }
    }

    pub fn key_type(&self) -> KeyType {
        match self.value {
            Value::String(_) => KeyType::String,
            Value::List(_) => KeyType::List,
            Value::Hash(_) => KeyType::Hash,
            Value::Set(_) => KeyType::Set,
            Value::ZSet(_) => KeyType::ZSet,
        }
    }

    /// Whether the key is gone at `now_ms` (a deadline equal to now has passed, as in Redis).
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expire_at.is_some_and(|at| at <= now_ms)
    }

    /// The collection version whose elements this header owns, and the keyspace they are in.
    pub fn elements(&self) -> Option<(Space, u64)> {
        match self.value {
            Value::String(_) => None,
            Value::List(l) => Some((Space::Lists, l.version)),
            Value::Hash(c) => Some((Space::Hashes, c.version)),
            Value::Set(c) => Some((Space::Sets, c.version)),
            Value::ZSet(c) => Some((Space::ZSets, c.version)),
        }
    }

    /// The collection version whose elements this header owns, if any.
    pub fn version(&self) -> Option<u64> {
        self.elements().map(|(_, v)| v)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            26 + match &self.value {
                Value::String(s) => s.len(),
                _ => 24,
            },
        );
        out.push(match self.value {
            Value::String(_) => STRING,
            Value::List(_) => LIST,
            Value::Hash(_) => HASH,
            Value::Set(_) => SET,
            Value::ZSet(_) => ZSET,
        });
        match self.expire_at {
            Some(at) => {
                out.push(HAS_EXPIRY);
                out.extend_from_slice(&at.to_be_bytes());
            }
            None => out.push(0),
        }
        out.extend_from_slice(&self.stamp.to_be_bytes());
        match &self.value {
            Value::String(s) => out.extend_from_slice(s),
            Value::List(l) => {
                out.extend_from_slice(&l.version.to_be_bytes());
                out.extend_from_slice(&l.head.to_be_bytes());
                out.extend_from_slice(&l.tail.to_be_bytes());
            }
            Value::Hash(c) | Value::Set(c) | Value::ZSet(c) => {
                out.extend_from_slice(&c.version.to_be_bytes());
                out.extend_from_slice(&c.len.to_be_bytes());
                if c.dead > 0 {
                    out.extend_from_slice(&c.dead.to_be_bytes());
                }
            }
        }
        out
    }

    /// Decodes a stored header; `None` means the record is corrupt.
    pub fn decode(raw: &[u8]) -> Option<Header> {
        let (&kind, rest) = raw.split_first()?;
        let (&flags, mut rest) = rest.split_first()?;
        let expire_at = if flags & HAS_EXPIRY != 0 {
            let (at, r) = rest.split_first_chunk::<8>()?;
            rest = r;
            Some(i64::from_be_bytes(*at))
        } else {
            None
        };
        let (stamp, rest) = rest.split_first_chunk::<8>()?;
        let coll = |rest: &[u8]| -> Option<CollMeta> {
            let (v, r) = rest.split_first_chunk::<8>()?;
            let (l, r) = r.split_first_chunk::<8>()?;
            let dead = match r.split_first_chunk::<8>() {
                Some((d, _)) => u64::from_be_bytes(*d),
                None if r.is_empty() => 0,
                None => return None,
            };
            Some(CollMeta {
                version: u64::from_be_bytes(*v),
                len: u64::from_be_bytes(*l),
                dead,
            })
        };
        let value = match kind {
            STRING => Value::String(Bytes::copy_from_slice(rest)),
            LIST => {
                let (v, r) = rest.split_first_chunk::<8>()?;
                let (h, r) = r.split_first_chunk::<8>()?;
                let (t, _) = r.split_first_chunk::<8>()?;
                Value::List(ListMeta {
                    version: u64::from_be_bytes(*v),
                    head: i64::from_be_bytes(*h),
                    tail: i64::from_be_bytes(*t),
                })
            }
            HASH => Value::Hash(coll(rest)?),
            SET => Value::Set(coll(rest)?),
            ZSET => Value::ZSet(coll(rest)?),
            _ => return None,
        };
        Some(Header {
            expire_at,
            stamp: u64::from_be_bytes(*stamp),
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let coll = CollMeta::new(3, 7);
        let sparse = CollMeta {
            dead: 40,
            ..CollMeta::new(3, 7)
        };
        for h in [
            Header::new(Value::Set(sparse), Some(5)),
            Header::string(Bytes::from_static(b"v"), None),
            Header::string(Bytes::new(), Some(-1)),
            Header {
                expire_at: Some(1_700_000_000_000),
                stamp: 42,
                value: Value::List(ListMeta {
                    version: 9,
                    head: -2,
                    tail: 5,
                }),
            },
            Header::new(Value::Hash(coll), None),
            Header::new(Value::Set(coll), Some(5)),
            Header {
                expire_at: None,
                stamp: u64::MAX,
                value: Value::ZSet(coll),
            },
        ] {
            assert_eq!(Header::decode(&h.encode()), Some(h));
        }
    }

    #[test]
    fn corrupt_records_are_rejected() {
        assert_eq!(Header::decode(&[]), None);
        assert_eq!(Header::decode(&[9, 0, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(Header::decode(&[LIST, 0, 1, 2]), None);
        assert_eq!(Header::decode(&[STRING, HAS_EXPIRY, 1]), None);
        assert_eq!(Header::decode(&[HASH, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), None);
    }

    #[test]
    fn expiry_is_inclusive() {
        let h = Header::string(Bytes::new(), Some(100));
        assert!(h.is_expired(100));
        assert!(!h.is_expired(99));
    }
}
