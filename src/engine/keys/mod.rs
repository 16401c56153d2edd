//! The one key codec. Every fjall key trident writes is built here; the prefixes below are part of
//! the on-disk format and never change once released.
//!
//! `meta` keyspace:
//! - `00 'a'` → the Raft log index of the last applied entry (u64 BE).
//! - `00 'l'`, `00 'm'` → the last applied log id and membership, as the node serializes them
//!   (written in the same batch as the data they describe).
//! - `01 db slot:u16 key` → the key's header (type, expiry, inline string value or collection
//!   metadata). The hash slot is part of the key from day one so that a slot range is a key range
//!   when the key space is split into shards.
//! - `02 at:u64 db slot:u16 key` → empty: the expiry index, ordered by deadline.
//! - `03 version:u64` → model byte: a collection version whose elements await collection.
//! - `04 seq:u64` → a blocked client waiting for a push (replicated, so that every replica serves
//!   the same client the same element), in the order clients blocked.
//!
//! `kafka_log` and `kafka_groups` have a module each ([`log`], [`group`]).
//!
//! The element keyspaces (`lists`, `hashes`, `sets`, `zsets`) have a module each. Their keys all
//! start with the collection's `version:u64`: elements hang off a version, not a key name, so
//! RENAME is O(1), DEL only has to drop the header, and the collector drops a version by prefix.

pub mod group;
mod hash;
mod list;
pub mod log;
mod set;
pub mod table;
mod zset;

pub use hash::{decode_field, field};
pub use list::{decode_element, element};
pub use set::{decode_member, member};
pub use zset::{
    decode_score_entry, decode_score_record, ordered_f64, score_entry, score_index_prefix,
    score_record, score_record_prefix, unordered_f64,
};

use crate::command::Db;

pub use crate::shared::limits::MAX_KEY_LEN;
pub use crate::shared::slots::{slot, SLOTS};

pub const APPLIED: &[u8] = &[0x00, b'a'];
pub const RAFT_APPLIED: &[u8] = &[0x00, b'l'];
pub const RAFT_MEMBERSHIP: &[u8] = &[0x00, b'm'];
const WAITER: u8 = 0x04;
const KEY: u8 = 0x01;
const EXPIRY: u8 = 0x02;
const GARBAGE: u8 = 0x03;

/// `01 db slot key`.
pub fn key_record(db: Db, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(4 + key.len());
    k.push(KEY);
    k.push(db);
    k.extend_from_slice(&slot(key).to_be_bytes());
    k.extend_from_slice(key);
    k
}

/// The prefix of every key record of one database.
pub fn db_prefix(db: Db) -> [u8; 2] {
    [KEY, db]
}

/// The prefix of one hash slot of one database.
pub fn slot_prefix(db: Db, slot: u16) -> [u8; 4] {
    let s = slot.to_be_bytes();
    [KEY, db, s[0], s[1]]
}

/// The prefix of every key record of every database.
pub fn all_keys_prefix() -> [u8; 1] {
    [KEY]
}

/// Splits a key record into database, slot and key name.
pub fn decode_key_record(k: &[u8]) -> Option<(Db, u16, &[u8])> {
    match k {
        [KEY, db, s0, s1, key @ ..] => Some((*db, u16::from_be_bytes([*s0, *s1]), key)),
        _ => None,
    }
}

/// Order-preserving encoding of a signed deadline or index: the sign bit flipped, big-endian.
pub(crate) fn ordered(v: i64) -> [u8; 8] {
    ((v as u64) ^ (1 << 63)).to_be_bytes()
}

pub(crate) fn unordered(b: [u8; 8]) -> i64 {
    (u64::from_be_bytes(b) ^ (1 << 63)) as i64
}

/// `02 at db slot key`.
pub fn expiry_entry(at_ms: i64, db: Db, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(13 + key.len());
    k.push(EXPIRY);
    k.extend_from_slice(&ordered(at_ms));
    k.push(db);
    k.extend_from_slice(&slot(key).to_be_bytes());
    k.extend_from_slice(key);
    k
}

/// The expiry index holds everything due up to (excluding) this bound.
pub fn expiry_upper_bound(now_ms: i64) -> Vec<u8> {
    let mut k = vec![EXPIRY];
    k.extend_from_slice(&ordered(now_ms.saturating_add(1)));
    k
}

pub fn expiry_prefix() -> [u8; 1] {
    [EXPIRY]
}

/// Splits an expiry index entry into deadline, database and key name.
pub fn decode_expiry_entry(k: &[u8]) -> Option<(i64, Db, &[u8])> {
    if k.len() < 12 || k[0] != EXPIRY {
        return None;
    }
    let at = unordered(k[1..9].try_into().ok()?);
    Some((at, k[9], &k[12..]))
}

/// `03 version`: a collection version whose elements await collection.
pub fn garbage(version: u64) -> Vec<u8> {
    owned_garbage(version, &[])
}

/// `03 version owner`: records under `owner version` await collection (a table's rows hang
/// off its id and then its version). The version comes first so the collector takes the oldest
/// first, whatever owns it.
pub fn owned_garbage(version: u64, owner: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + owner.len());
    k.push(GARBAGE);
    k.extend_from_slice(&version.to_be_bytes());
    k.extend_from_slice(owner);
    k
}

pub fn garbage_prefix() -> [u8; 1] {
    [GARBAGE]
}

/// The prefix of the records a garbage entry names: `owner version`.
pub fn decode_garbage(k: &[u8]) -> Option<Vec<u8>> {
    let [GARBAGE, rest @ ..] = k else {
        return None;
    };
    let (version, owner) = rest.split_first_chunk::<8>()?;
    let mut prefix = owner.to_vec();
    prefix.extend_from_slice(version);
    Some(prefix)
}

/// The prefix of every element of one collection version.
pub fn version_prefix(version: u64) -> [u8; 8] {
    version.to_be_bytes()
}

/// The collection version an element key belongs to, and the rest of the key.
pub fn split_version(k: &[u8]) -> Option<(u64, &[u8])> {
    let (v, rest) = k.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*v), rest))
}

/// `04 seq`: a blocked client.
pub fn waiter(seq: u64) -> [u8; 9] {
    let mut k = [WAITER; 9];
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

pub fn waiter_prefix() -> [u8; 1] {
    [WAITER]
}

pub fn decode_waiter(k: &[u8]) -> Option<u64> {
    match k {
        [WAITER, seq @ ..] => Some(u64::from_be_bytes(seq.try_into().ok()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_records_round_trip() {
        let k = key_record(3, b"hello");
        assert_eq!(
            decode_key_record(&k),
            Some((3, slot(b"hello"), &b"hello"[..]))
        );
        assert!(k.starts_with(&db_prefix(3)));
    }

    #[test]
    fn expiry_entries_sort_by_deadline() {
        let a = expiry_entry(-5, 0, b"z");
        let b = expiry_entry(10, 0, b"a");
        let c = expiry_entry(1_000_000, 0, b"a");
        assert!(a < b && b < c);
        assert_eq!(decode_expiry_entry(&b), Some((10, 0, &b"a"[..])));
        assert!(b < expiry_upper_bound(10));
        assert!(c > expiry_upper_bound(10));
    }
}
