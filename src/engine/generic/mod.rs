//! Commands on keys of any type: deletion, renaming, copying, time to live, whole databases.

pub mod sort;

use bytes::Bytes;

use crate::command::keys::{Command, Query};
use crate::command::{CommandError, Db, ExpireCond, Response, TtlKind};
use crate::engine::corrupt;
use crate::engine::keys;
use crate::engine::store::coll::copy_elements;
use crate::engine::store::header::{Header, ListMeta, Value};
use crate::engine::store::overlay::ScanRange;
use crate::engine::store::space::Space;
use crate::engine::ApplyContext;
use crate::engine::Txn;
use crate::shared::limits::DATABASES;

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
            crate::engine::generic::sort::store(txn, *db, key, sort, dst, ctx)
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
        Query::Keys { db, pattern } => crate::engine::store::scan::keys(txn, *db, pattern, now),
        Query::Scan {
            db,
            cursor,
            pattern,
            count,
            key_type,
        } => {
            let args = crate::engine::store::scan::ScanArgs {
                db: *db,
                cursor: *cursor,
                pattern: pattern.as_deref(),
                count: *count,
                key_type: *key_type,
            };
            crate::engine::store::scan::scan(txn, &args, now)
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
        Query::Sort { db, key, sort } => {
            crate::engine::generic::sort::query(txn, *db, key, sort, now)
        }
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
mod tests;
