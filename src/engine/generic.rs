//! Commands on keys of any type: deletion, renaming, copying, time to live, whole databases.

use bytes::Bytes;

use super::header::{CollMeta, Header, ListMeta, Value};
use super::overlay::ScanRange;
use super::space::Space;
use super::{corrupt, keys, ApplyContext, Txn, DATABASES};
use crate::command::keys::{Command, Query};
use crate::command::{CommandError, Db, ExpireCond, Response, TtlKind};

/// Keys a FLUSHDB removes per pass over the key records.
const FLUSH_CHUNK: usize = 10_000;

pub(super) fn apply(
    txn: &mut Txn<'_>,
    cmd: &Command,
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    let now = ctx.now_ms;
    match cmd {
        Command::Del { db, keys } => {
            let mut removed = 0;
            for key in keys {
                match txn.header(*db, key, now)? {
                    (Some(raw), Some(_)) => {
                        txn.remove(*db, key, &raw);
                        removed += 1;
                    }
                    // Past its deadline: gone already as far as anyone can see, so not counted;
                    // removed now, as Redis's lazy expiry does, instead of waiting for the
                    // sweeper (DBSIZE counts it until then).
                    (Some(raw), None) => {
                        txn.remove(*db, key, &raw);
                        txn.count_expired(1);
                    }
                    _ => {}
                }
            }
            Ok(Response::Int(removed))
        }
        Command::Rename {
            db,
            src,
            dst,
            if_absent,
        } => {
            let (Some(src_raw), Some(src_live)) = txn.header(*db, src, now)? else {
                return Err(CommandError::NoSuchKey);
            };
            if src == dst {
                return Ok(if *if_absent {
                    Response::Int(0)
                } else {
                    Response::Ok
                });
            }
            let (dst_raw, dst_live) = txn.header(*db, dst, now)?;
            if *if_absent && dst_live.is_some() {
                return Ok(Response::Int(0));
            }
            txn.detach(*db, src, &src_raw);
            txn.put(*db, dst, dst_raw.as_ref(), src_live);
            Ok(if *if_absent {
                Response::Int(1)
            } else {
                Response::Ok
            })
        }
        Command::Copy {
            db,
            src,
            dst_db,
            dst,
            replace,
        } => {
            if db == dst_db && src == dst {
                return Err(CommandError::SameObject);
            }
            let (_, Some(src_live)) = txn.header(*db, src, now)? else {
                return Ok(Response::Int(0));
            };
            let (dst_raw, dst_live) = txn.header(*dst_db, dst, now)?;
            if dst_live.is_some() && !replace {
                return Ok(Response::Int(0));
            }
            let value = match &src_live.value {
                Value::String(s) => Value::String(s.clone()),
                Value::List(l) => {
                    let copy = ListMeta {
                        version: ctx.index,
                        head: 0,
                        tail: l.len(),
                    };
                    for (i, (_, v)) in txn
                        .elements(l.version, l.head, l.tail, false)?
                        .into_iter()
                        .enumerate()
                    {
                        txn.put_element(copy.version, i as i64, &v);
                    }
                    Value::List(copy)
                }
                Value::Hash(c) => Value::Hash(copy_elements(txn, Space::Hashes, c, ctx.index)?),
                Value::Set(c) => Value::Set(copy_elements(txn, Space::Sets, c, ctx.index)?),
                Value::ZSet(c) => Value::ZSet(copy_elements(txn, Space::ZSets, c, ctx.index)?),
            };
            let new = Header::new(value, src_live.expire_at);
            txn.put(*dst_db, dst, dst_raw.as_ref(), new);
            Ok(Response::Int(1))
        }
        Command::Expire {
            db,
            key,
            at_ms,
            cond,
        } => {
            let (Some(raw), Some(live)) = txn.header(*db, key, now)? else {
                return Ok(Response::Int(0));
            };
            let ok = match (cond, live.expire_at) {
                (ExpireCond::Always, _) => true,
                (ExpireCond::Nx, current) => current.is_none(),
                (ExpireCond::Xx, current) => current.is_some(),
                (ExpireCond::Gt, current) => current.is_some_and(|c| *at_ms > c),
                (ExpireCond::Lt, current) => current.is_none_or(|c| *at_ms < c),
                (ExpireCond::XxLt, current) => current.is_some_and(|c| *at_ms < c),
            };
            if !ok {
                return Ok(Response::Int(0));
            }
            if *at_ms <= now {
                txn.remove(*db, key, &raw);
                txn.count_expired(1);
            } else {
                let new = Header::new(live.value, Some(*at_ms));
                txn.put(*db, key, Some(&raw), new);
            }
            Ok(Response::Int(1))
        }
        Command::Persist { db, key } => {
            let (Some(raw), Some(live)) = txn.header(*db, key, now)? else {
                return Ok(Response::Int(0));
            };
            if live.expire_at.is_none() {
                return Ok(Response::Int(0));
            }
            let new = Header::new(live.value, None);
            txn.put(*db, key, Some(&raw), new);
            Ok(Response::Int(1))
        }
        // A flush is an effect even of an empty database, as Redis propagates it.
        Command::FlushDb { db } => {
            let mark = txn.expired_over_mark();
            flush(txn, *db)?;
            txn.forget_expired_over_since(mark);
            txn.note_effect();
            Ok(Response::Ok)
        }
        Command::FlushAll => {
            let mark = txn.expired_over_mark();
            for db in 0..DATABASES as Db {
                flush(txn, db)?;
            }
            txn.forget_expired_over_since(mark);
            txn.note_effect();
            Ok(Response::Ok)
        }
        Command::Move { db, key, dst_db } => {
            if db == dst_db {
                return Err(CommandError::SameObject);
            }
            let (Some(raw), Some(live)) = txn.header(*db, key, now)? else {
                return Ok(Response::Int(0));
            };
            let (dst_raw, dst_live) = txn.header(*dst_db, key, now)?;
            if dst_live.is_some() {
                return Ok(Response::Int(0));
            }
            // The elements stay where they are: only the key record changes database.
            txn.detach(*db, key, &raw);
            txn.put(*dst_db, key, dst_raw.as_ref(), live);
            Ok(Response::Int(1))
        }
        Command::SwapDb { a, b } => {
            let mark = txn.expired_over_mark();
            if a != b {
                let from_a = db_headers(txn, *a)?;
                let from_b = db_headers(txn, *b)?;
                for (key, h) in from_a.iter() {
                    txn.detach(*a, key, h);
                }
                for (key, h) in from_b.iter() {
                    txn.detach(*b, key, h);
                }
                for (key, h) in from_a {
                    txn.put(*b, &key, None, h);
                }
                for (key, h) in from_b {
                    txn.put(*a, &key, None, h);
                }
            }
            txn.forget_expired_over_since(mark);
            txn.note_effect();
            Ok(Response::Ok)
        }
        Command::SortStore { db, key, sort, dst } => {
            super::sort::store(txn, *db, key, sort, dst, ctx)
        }
    }
}

/// The bytes of a key's record plus its elements' records; beyond `samples` elements (0: no
/// limit) the rest are assumed to be the size of those sampled, as Redis estimates it.
fn memory_usage(txn: &Txn<'_>, key: &[u8], h: &Header, samples: u64) -> Result<u64, CommandError> {
    let own = (keys::key_record(0, key).len() + h.encode().len()) as u64;
    let Some((space, version)) = h.elements() else {
        return Ok(own);
    };
    let (elements, records_per_element) = match &h.value {
        Value::List(l) => (l.len().max(0) as u64, 1),
        // A sorted set keeps a record by member and one by score.
        Value::ZSet(c) => (c.len, 2),
        Value::Hash(c) | Value::Set(c) => (c.len, 1),
        Value::String(_) => (0, 1),
    };
    let records = elements * records_per_element;
    let limit = if samples == 0 {
        records
    } else {
        samples.min(records)
    };
    let prefix = keys::version_prefix(version);
    let sampled = txn.scan(space, &ScanRange::prefix(&prefix, limit as usize))?;
    let bytes: u64 = sampled
        .iter()
        .map(|(k, v)| (k.len() + v.len()) as u64)
        .sum();
    let n = sampled.len() as u64;
    Ok(own + (bytes * records).checked_div(n).unwrap_or(0))
}

/// Every key record of a database (expired ones included: they move with the database).
fn db_headers(txn: &mut Txn<'_>, db: Db) -> Result<Vec<(Bytes, Header)>, CommandError> {
    let records = txn.meta_keys(&keys::db_prefix(db), usize::MAX)?;
    let mut out = Vec::with_capacity(records.len());
    for (k, v) in records {
        let Some((_, _, key)) = keys::decode_key_record(&k) else {
            continue;
        };
        out.push((
            Bytes::copy_from_slice(key),
            Header::decode(&v).ok_or_else(corrupt)?,
        ));
    }
    Ok(out)
}

/// Copies every element of a hash, set or sorted set to a new version (COPY). Element keys
/// start with the version, so a copy is the same records under another prefix.
pub(super) fn copy_elements(
    txn: &mut Txn<'_>,
    space: Space,
    from: &CollMeta,
    version: u64,
) -> Result<CollMeta, CommandError> {
    let prefix = keys::version_prefix(from.version);
    let records = txn.scan(space, &ScanRange::prefix(&prefix, usize::MAX))?;
    for (k, v) in records {
        let rest = k.get(prefix.len()..).ok_or_else(corrupt)?;
        let mut key = keys::version_prefix(version).to_vec();
        key.extend_from_slice(rest);
        txn.put_record(space, key, v);
    }
    Ok(CollMeta::new(version, from.len))
}

/// Removes every key of a database; collection elements go to the collector.
fn flush(txn: &mut Txn<'_>, db: Db) -> Result<(), CommandError> {
    loop {
        let records = txn.meta_keys(&keys::db_prefix(db), FLUSH_CHUNK)?;
        if records.is_empty() {
            return Ok(());
        }
        for (k, v) in records {
            let Some((_, _, key)) = keys::decode_key_record(&k) else {
                continue;
            };
            match Header::decode(&v) {
                Some(h) => txn.remove(db, key, &h),
                None => {
                    txn.remove_meta(&k);
                    txn.count_removed(db, 1, 0);
                }
            }
        }
    }
}

/// The remaining time to live at `now`, rounded as Redis rounds it.
fn ttl_reply(h: &Header, kind: TtlKind, now: i64) -> i64 {
    let Some(at) = h.expire_at else { return -1 };
    let left = (at - now).max(0);
    match kind {
        TtlKind::Seconds => (left + 500) / 1000,
        TtlKind::Millis => left,
        TtlKind::AtSeconds => (at + 500) / 1000,
        TtlKind::AtMillis => at,
    }
}

pub(super) fn query(txn: &Txn<'_>, q: &Query, now: i64) -> Result<Response, CommandError> {
    match q {
        Query::Exists { db, keys } => {
            let mut n = 0;
            for key in keys {
                if txn.live(*db, key, now)?.is_some() {
                    n += 1;
                }
            }
            Ok(Response::Int(n))
        }
        Query::Type { db, key } => Ok(Response::Type(
            txn.live(*db, key, now)?.map(|h| h.key_type()),
        )),
        Query::Ttl { db, key, kind } => Ok(Response::Int(
            txn.live(*db, key, now)?
                .map_or(-2, |h| ttl_reply(&h, *kind, now)),
        )),
        Query::DbSize { db } => Ok(Response::Int(txn.engine.key_counts(*db).0 as i64)),
        Query::RandomKey { db } => random_key(txn, *db, now),
        Query::Keys { db, pattern } => super::scan::keys(txn, *db, pattern, now),
        Query::Scan {
            db,
            cursor,
            pattern,
            count,
            key_type,
        } => {
            let args = super::scan::ScanArgs {
                db: *db,
                cursor: *cursor,
                pattern: pattern.as_deref(),
                count: *count,
                key_type: *key_type,
            };
            super::scan::scan(txn, &args, now)
        }
        Query::MemoryUsage { db, key, samples } => {
            let Some(h) = txn.live(*db, key, now)? else {
                return Ok(Response::Nil);
            };
            Ok(Response::Int(memory_usage(txn, key, &h, *samples)? as i64))
        }
        Query::Digest {
            db,
            keys: Some(keys),
        } => {
            let mut out = Vec::with_capacity(keys.len());
            for key in keys {
                let d = match txn.live(*db, key, now)? {
                    Some(h) => value_digest(txn, &h)?,
                    None => [0; 20],
                };
                out.push(Response::bulk(hex(&d)));
            }
            Ok(Response::Array(out))
        }
        Query::Digest { keys: None, .. } => Ok(Response::bulk(hex(&dataset_digest(txn, now)?))),
        Query::Sort { db, key, sort } => super::sort::query(txn, *db, key, sort, now),
        Query::Stamps { db, keys } => {
            let mut out = Vec::with_capacity(keys.len());
            for key in keys {
                out.push(match txn.live(*db, key, now)? {
                    Some(h) => Response::Int(h.stamp as i64),
                    None => Response::Nil,
                });
            }
            Ok(Response::Array(out))
        }
    }
}

/// A 160-bit digest, as `DEBUG DIGEST` prints it.
type Digest = [u8; 20];

/// 160 bits of hash of `data` (not cryptographic: DEBUG only compares digests of one server).
fn hash160(data: &[u8]) -> Digest {
    use xxhash_rust::xxh3::{xxh3_128_with_seed, xxh3_64_with_seed};
    let mut out = [0; 20];
    out[..16].copy_from_slice(&xxh3_128_with_seed(data, 0x7472_6964).to_le_bytes());
    out[16..].copy_from_slice(&xxh3_64_with_seed(data, 0x0065_6e74).to_le_bytes()[..4]);
    out
}

/// Redis's `mixDigest`: `digest = H(digest || data)`, so the order of the data matters.
fn mix(digest: &mut Digest, data: &[u8]) {
    let mut buf = Vec::with_capacity(20 + 8 + data.len());
    buf.extend_from_slice(digest);
    // The length too, so that ("ab", "c") and ("a", "bc") differ.
    buf.extend_from_slice(&(data.len() as u64).to_le_bytes());
    buf.extend_from_slice(data);
    *digest = hash160(&buf);
}

/// Redis's `xorDigest`: `digest ^= H(data)`, so the order of the data does not matter.
fn xor(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(hash160(data)) {
        *d ^= h;
    }
}

fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest of a key's value as `DEBUG DIGEST-VALUE` gives it: its type, then its content
/// (in order for strings, lists and sorted sets, order-free for hashes and sets), and whether
/// it has a time to live, as Redis's `xorObjectDigest` mixes them.
fn value_digest(txn: &Txn<'_>, h: &Header) -> Result<Digest, CommandError> {
    let mut d = [0; 20];
    mix(&mut d, h.key_type().name().as_bytes());
    match &h.value {
        Value::String(v) => mix(&mut d, v),
        Value::List(l) => {
            for (_, v) in txn.elements(l.version, l.head, l.tail, false)? {
                mix(&mut d, &v);
            }
        }
        Value::Hash(c) | Value::Set(c) => {
            let space = h.elements().map_or(Space::Hashes, |(s, _)| s);
            let prefix = keys::version_prefix(c.version);
            for (k, v) in txn.scan(space, &ScanRange::prefix(&prefix, usize::MAX))? {
                // A field and its value (a set member's is empty), digested together.
                let mut element = [0; 20];
                mix(&mut element, k.get(prefix.len()..).ok_or_else(corrupt)?);
                mix(&mut element, &v);
                xor(&mut d, &element);
            }
        }
        Value::ZSet(c) => {
            let prefix = keys::score_index_prefix(c.version);
            for (k, _) in txn.scan(Space::ZSets, &ScanRange::prefix(&prefix, usize::MAX))? {
                let (score, member) = keys::decode_score_entry(&k).ok_or_else(corrupt)?;
                mix(&mut d, member);
                mix(&mut d, &score.to_bits().to_le_bytes());
            }
        }
    }
    if h.expire_at.is_some() {
        xor(&mut d, b"!!expire!!");
    }
    Ok(d)
}

/// `DEBUG DIGEST`: every live key of every database with its value, order-free.
fn dataset_digest(txn: &Txn<'_>, now: i64) -> Result<Digest, CommandError> {
    let mut out = [0; 20];
    let prefix = keys::all_keys_prefix();
    let mut from = prefix.to_vec();
    loop {
        let range = ScanRange {
            from: &from,
            ..ScanRange::prefix(&prefix, FLUSH_CHUNK)
        };
        let records = txn.scan(Space::Meta, &range)?;
        let Some((last, _)) = records.last() else {
            return Ok(out);
        };
        let mut next = last.clone();
        next.push(0);
        for (k, v) in &records {
            let Some((db, _, key)) = keys::decode_key_record(k) else {
                continue;
            };
            let h = Header::decode(v).ok_or_else(corrupt)?;
            if h.is_expired(now) {
                continue;
            }
            let mut d = [0; 20];
            mix(&mut d, &[db]);
            mix(&mut d, key);
            mix(&mut d, &value_digest(txn, &h)?);
            for (o, x) in out.iter_mut().zip(d) {
                *o ^= x;
            }
        }
        from = next;
    }
}

/// A key chosen by seeking to a random hash slot: uniform over slots rather than keys, which is
/// as much as Redis promises.
fn random_key(txn: &Txn<'_>, db: Db, now: i64) -> Result<Response, CommandError> {
    if txn.engine.key_counts(db).0 == 0 {
        return Ok(Response::Nil);
    }
    let prefix = keys::db_prefix(db);
    for _ in 0..16 {
        let slot = rand::random_range(0..keys::SLOTS);
        let start = keys::slot_prefix(db, slot);
        let after = ScanRange {
            from: &start,
            ..ScanRange::prefix(&prefix, 1)
        };
        let mut first = txn.scan(Space::Meta, &after)?;
        if first.is_empty() {
            first = txn.scan(Space::Meta, &ScanRange::prefix(&prefix, 1))?;
        }
        let Some((k, v)) = first.into_iter().next() else {
            return Ok(Response::Nil);
        };
        let live = Header::decode(&v).is_some_and(|h| !h.is_expired(now));
        if let (true, Some((_, _, key))) = (live, keys::decode_key_record(&k)) {
            return Ok(Response::Bulk(Bytes::copy_from_slice(key)));
        }
    }
    Ok(Response::Nil)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{hash, kv, list, set, zset, End, Expiry, SetCond};
    use crate::engine::testing::{b, TestStore};

    fn digests(t: &TestStore, keys: &[&str]) -> Vec<Response> {
        let Response::Array(out) = t.query(Query::Digest {
            db: 0,
            keys: Some(keys.iter().map(|k| b(k)).collect()),
        }) else {
            panic!("not an array")
        };
        out
    }

    fn digest(t: &TestStore, key: &str) -> String {
        match digests(t, &[key]).remove(0) {
            Response::Bulk(d) => String::from_utf8_lossy(&d).into_owned(),
            other => panic!("{other:?}"),
        }
    }

    fn all(t: &TestStore) -> String {
        match t.query(Query::Digest { db: 0, keys: None }) {
            Response::Bulk(d) => String::from_utf8_lossy(&d).into_owned(),
            other => panic!("{other:?}"),
        }
    }

    fn copy(t: &mut TestStore, src: &str, dst: &str) {
        let r = t.apply(Command::Copy {
            db: 0,
            src: b(src),
            dst_db: 0,
            dst: b(dst),
            replace: true,
        });
        assert_eq!(r, Response::Int(1));
    }

    const ZERO: &str = "0000000000000000000000000000000000000000";

    fn set_string(t: &mut TestStore, key: &str, v: &str) {
        t.apply(kv::Command::Set {
            db: 0,
            key: b(key),
            value: b(v),
            expiry: Expiry::Persist,
            cond: SetCond::Always,
            get: false,
        });
    }

    #[test]
    fn del_of_an_expired_key_removes_it_without_counting_it() {
        let mut t = TestStore::new();
        t.apply_at(
            kv::Command::Set {
                db: 0,
                key: b("gone"),
                value: b("v"),
                expiry: Expiry::At(1_500),
                cond: SetCond::Always,
                get: false,
            },
            1_000,
        );
        assert_eq!(t.engine.key_counts(0), (1, 1));
        let del = Command::Del {
            db: 0,
            keys: vec![b("gone"), b("never")],
        };
        assert_eq!(t.apply_at(del, 2_000), Response::Int(0));
        assert_eq!(t.engine.key_counts(0), (0, 0));
    }

    #[test]
    fn missing_keys_and_an_empty_dataset_digest_to_zeros() {
        let mut t = TestStore::new();
        assert_eq!(digest(&t, "nope"), ZERO);
        assert_eq!(all(&t), ZERO);
        set_string(&mut t, "k", "v");
        assert_ne!(all(&t), ZERO);
        assert_eq!(digest(&t, "k").len(), 40);
        assert_eq!(digests(&t, &["k", "nope"]).len(), 2);
        t.apply(Command::FlushAll);
        assert_eq!(all(&t), ZERO);
    }

    #[test]
    fn strings_digest_their_content() {
        let mut t = TestStore::new();
        set_string(&mut t, "a", "hello");
        set_string(&mut t, "b", "hello");
        set_string(&mut t, "c", "hellp");
        assert_eq!(digest(&t, "a"), digest(&t, "b"));
        assert_ne!(digest(&t, "a"), digest(&t, "c"));
        // The same bytes as a list element are another value.
        t.apply(list::Command::Push {
            db: 0,
            key: b("l"),
            end: End::Right,
            values: vec![b("hello")],
            only_if_exists: false,
        });
        assert_ne!(digest(&t, "a"), digest(&t, "l"));
        // A time to live is part of it, as in Redis.
        let before = digest(&t, "a");
        t.apply(Command::Expire {
            db: 0,
            key: b("a"),
            at_ms: 1_000_000,
            cond: ExpireCond::Always,
        });
        assert_ne!(digest(&t, "a"), before);
    }

    #[test]
    fn every_type_digests_the_same_after_copy_and_differently_after_a_change() {
        let mut t = TestStore::new();
        set_string(&mut t, "s", "value");
        t.apply(list::Command::Push {
            db: 0,
            key: b("l"),
            end: End::Right,
            values: vec![b("a"), b("b"), b("c")],
            only_if_exists: false,
        });
        t.apply(hash::Command::Set {
            db: 0,
            key: b("h"),
            pairs: vec![(b("f1"), b("v1")), (b("f2"), b("v2"))],
            only_new: false,
        });
        t.apply(set::Command::Add {
            db: 0,
            key: b("t"),
            members: vec![b("x"), b("y"), b("z")],
        });
        t.apply(zset::Command::Add {
            db: 0,
            key: b("z"),
            flags: zset::AddFlags::default(),
            pairs: vec![(1.0, b("one")), (2.0, b("two"))],
        });
        let whole = all(&t);
        for key in ["s", "l", "h", "t", "z"] {
            let copied = format!("{key}-copy");
            copy(&mut t, key, &copied);
            assert_eq!(digest(&t, key), digest(&t, &copied), "{key}");
            assert_ne!(digest(&t, key), ZERO);
        }
        assert_ne!(all(&t), whole);
        let before: Vec<String> = ["s", "l", "h", "t", "z"]
            .iter()
            .map(|k| digest(&t, k))
            .collect();
        // Reading changes nothing.
        assert_eq!(before[0], digest(&t, "s"));
        set_string(&mut t, "s", "valuf");
        t.apply(list::Command::LSet {
            db: 0,
            key: b("l"),
            index: 1,
            value: b("B"),
        });
        t.apply(hash::Command::Set {
            db: 0,
            key: b("h"),
            pairs: vec![(b("f2"), b("v3"))],
            only_new: false,
        });
        t.apply(set::Command::Add {
            db: 0,
            key: b("t"),
            members: vec![b("w")],
        });
        t.apply(zset::Command::Add {
            db: 0,
            key: b("z"),
            flags: zset::AddFlags::default(),
            pairs: vec![(3.0, b("two"))],
        });
        for (i, key) in ["s", "l", "h", "t", "z"].iter().enumerate() {
            assert_ne!(digest(&t, key), before[i], "{key}");
        }
    }

    #[test]
    fn list_order_matters_and_set_order_does_not() {
        let mut t = TestStore::new();
        for (key, values) in [("l1", ["a", "b"]), ("l2", ["b", "a"])] {
            t.apply(list::Command::Push {
                db: 0,
                key: b(key),
                end: End::Right,
                values: values.iter().map(|v| b(v)).collect(),
                only_if_exists: false,
            });
        }
        assert_ne!(digest(&t, "l1"), digest(&t, "l2"));
        for (key, members) in [("s1", ["a", "b"]), ("s2", ["b", "a"])] {
            t.apply(set::Command::Add {
                db: 0,
                key: b(key),
                members: members.iter().map(|v| b(v)).collect(),
            });
        }
        assert_eq!(digest(&t, "s1"), digest(&t, "s2"));
        // Field and value boundaries count: {"ab": "c"} is not {"a": "bc"}.
        for (key, f, v) in [("h1", "ab", "c"), ("h2", "a", "bc")] {
            t.apply(hash::Command::Set {
                db: 0,
                key: b(key),
                pairs: vec![(b(f), b(v))],
                only_new: false,
            });
        }
        assert_ne!(digest(&t, "h1"), digest(&t, "h2"));
        // The dataset digest depends on key names too.
        let whole = all(&t);
        t.apply(Command::Rename {
            db: 0,
            src: b("s1"),
            dst: b("s3"),
            if_absent: false,
        });
        assert_ne!(all(&t), whole);
    }
}
