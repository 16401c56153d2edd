//! What hashes, sets and sorted sets share: a header with a version and a length, elements in
//! the model's keyspace under the version, and the key removed when the last element goes.

use crate::command::{CommandError, Db, KeyType};
use crate::engine::corrupt;
use crate::engine::keys;
use crate::engine::store::header::{CollMeta, Header, Value};
use crate::engine::store::overlay::ScanRange;
use crate::engine::store::space::Space;
use crate::engine::ApplyContext;
use crate::engine::Txn;

/// Most members a random pick with a negative count (HRANDFIELD, SRANDMEMBER, ZRANDMEMBER)
/// replies with: they may repeat, so the collection's size does not bound the reply, which is
/// built in memory. A larger count is refused, never answered short.
pub const MAX_RANDOM_REPEATS: u64 = 1 << 20;

/// How many picks a negative `count` asks for; "out of range" past [`MAX_RANDOM_REPEATS`].
pub fn repeats(count: i64) -> Result<u64, CommandError> {
    let n = count.unsigned_abs();
    if n > MAX_RANDOM_REPEATS {
        return Err(CommandError::NotInteger);
    }
    Ok(n)
}

/// A key's stored header (live or expired) and, if live and of `kind`, its collection.
pub type CollAt = (Option<Header>, Option<(Header, CollMeta)>);

fn meta_of(h: &Header, kind: KeyType) -> Option<CollMeta> {
    match (&h.value, kind) {
        (Value::Hash(c), KeyType::Hash) | (Value::Set(c), KeyType::Set) => Some(*c),
        (Value::ZSet(c), KeyType::ZSet) => Some(*c),
        _ => None,
    }
}

/// The stored header and the live collection of `kind` under a key; WRONGTYPE for a live key
/// of another type.
pub fn coll_at(
    txn: &Txn<'_>,
    db: Db,
    key: &[u8],
    now: i64,
    kind: KeyType,
) -> Result<CollAt, CommandError> {
    let (raw, live) = txn.header(db, key, now)?;
    match live {
        None => Ok((raw, None)),
        Some(h) => match meta_of(&h, kind) {
            Some(c) => Ok((raw, Some((h, c)))),
            None => Err(CommandError::WrongType),
        },
    }
}

/// The live collection of `kind` under a key, for a reader; WRONGTYPE for another type.
pub fn live_coll(
    txn: &Txn<'_>,
    db: Db,
    key: &[u8],
    now: i64,
    kind: KeyType,
) -> Result<Option<CollMeta>, CommandError> {
    match txn.live(db, key, now)? {
        None => Ok(None),
        Some(h) => meta_of(&h, kind).map(Some).ok_or(CommandError::WrongType),
    }
}

/// The collection to write into: the live one, or a new empty one (version `ctx.index`).
pub fn or_new(live: &Option<(Header, CollMeta)>, ctx: &ApplyContext) -> (Option<i64>, CollMeta) {
    match live {
        Some((h, c)) => (h.expire_at, *c),
        None => (None, CollMeta::new(ctx.index, 0)),
    }
}

/// Writes a collection's new header over `raw`, or deletes the key once it is empty (its
/// elements are gone already, so nothing is left for the collector).
pub fn store(
    txn: &mut Txn<'_>,
    db: Db,
    key: &[u8],
    raw: Option<&Header>,
    expire_at: Option<i64>,
    meta: CollMeta,
    kind: KeyType,
) {
    if meta.len == 0 {
        if let Some(raw) = raw {
            if raw.version() == Some(meta.version) {
                txn.detach(db, key, raw);
            } else {
                txn.remove(db, key, raw);
            }
        }
        return;
    }
    let value = match kind {
        KeyType::Hash => Value::Hash(meta),
        KeyType::Set => Value::Set(meta),
        _ => Value::ZSet(meta),
    };
    txn.put(db, key, raw, Header::new(value, expire_at));
}

/// Copies every element of a hash, set or sorted set to a new version (COPY). Element keys
/// start with the version, so a copy is the same records under another prefix.
pub(crate) fn copy_elements(
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
