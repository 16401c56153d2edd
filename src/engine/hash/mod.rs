//! Hashes: a header with the field count, and one record per field (`version field → value`) in
//! the `hashes` keyspace, so a field is one point lookup and a whole hash one prefix scan.

use bytes::Bytes;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::command::hash::{Command, Part, Query};
use crate::command::{CommandError, Db, KeyType, Response};
use crate::engine::corrupt;
use crate::engine::keys;
use crate::engine::store::coll::{coll_at, live_coll, or_new, repeats, store};
use crate::engine::store::header::CollMeta;
use crate::engine::store::scan::{coll_scan, scan_page, try_walk, CollScan};
use crate::engine::store::space::Space;
use crate::engine::ApplyContext;
use crate::engine::Txn;
use crate::shared::float::{self, FloatError};
use crate::shared::number::parse_i64;

/// A hash this small is scanned in one `HSCAN` page whatever the COUNT, as Redis does for its
/// compact (listpack) hashes.
const SMALL_HASH: u64 = 128;

pub(super) fn apply(
    txn: &mut Txn<'_>,
    cmd: &Command,
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    let now = ctx.now_ms;
    match cmd {
        Command::Set {
            db,
            key,
            pairs,
            only_new,
        } => {
            for (field, _) in pairs {
                check_field(field)?;
            }
            let (raw, live) = coll_at(txn, *db, key, now, KeyType::Hash)?;
            let (expire_at, mut meta) = or_new(&live, ctx);
            let (mut added, mut written) = (0i64, false);
            for (field, value) in pairs {
                let record = keys::field(meta.version, field);
                let exists = txn.get(Space::Hashes, &record)?.is_some();
                if exists && *only_new {
                    continue;
                }
                if !exists {
                    meta.len += 1;
                    added += 1;
                }
                // Redis counts an HSET of an unchanged value as a change of the key (WATCH
                // sees it), so it is written like any other.
                txn.put_record(Space::Hashes, record, value.to_vec());
                written = true;
            }
            if written {
                store(txn, *db, key, raw.as_ref(), expire_at, meta, KeyType::Hash);
            }
            Ok(Response::Int(added))
        }
        Command::Del { db, key, fields } => {
            let (raw, live) = coll_at(txn, *db, key, now, KeyType::Hash)?;
            let Some((h, mut meta)) = live else {
                return Ok(Response::Int(0));
            };
            let mut removed = 0i64;
            // A field too long to store cannot be there.
            for field in fields.iter().filter(|f| check_field(f).is_ok()) {
                let record = keys::field(meta.version, field);
                if txn.get(Space::Hashes, &record)?.is_some() {
                    txn.delete_record(Space::Hashes, record);
                    meta.len = meta.len.saturating_sub(1);
                    removed += 1;
                }
            }
            if removed > 0 {
                store(
                    txn,
                    *db,
                    key,
                    raw.as_ref(),
                    h.expire_at,
                    meta,
                    KeyType::Hash,
                );
            }
            Ok(Response::Int(removed))
        }
        Command::IncrBy {
            db,
            key,
            field,
            delta,
        } => {
            check_field(field)?;
            let (raw, live) = coll_at(txn, *db, key, now, KeyType::Hash)?;
            let (expire_at, mut meta) = or_new(&live, ctx);
            let record = keys::field(meta.version, field);
            let current = match txn.get(Space::Hashes, &record)? {
                None => {
                    meta.len += 1;
                    0
                }
                Some(v) => parse_i64(&v).ok_or(CommandError::HashNotInteger)?,
            };
            let next = current.checked_add(*delta).ok_or(CommandError::Overflow)?;
            txn.put_record(Space::Hashes, record, next.to_string().into_bytes());
            store(txn, *db, key, raw.as_ref(), expire_at, meta, KeyType::Hash);
            Ok(Response::Int(next))
        }
        Command::IncrByFloat {
            db,
            key,
            field,
            delta,
        } => {
            // As Redis orders them: the increment (a float, and finite), then the key's type,
            // then the field's value, then the sum.
            float::check_increment(delta).map_err(float_error)?;
            check_field(field)?;
            let (raw, live) = coll_at(txn, *db, key, now, KeyType::Hash)?;
            let (expire_at, mut meta) = or_new(&live, ctx);
            let record = keys::field(meta.version, field);
            let current = txn.get(Space::Hashes, &record)?;
            let next = float::incr_by_float(current.as_deref(), delta).map_err(float_error)?;
            if current.is_none() {
                meta.len += 1;
            }
            txn.put_record(Space::Hashes, record, next.to_vec());
            store(txn, *db, key, raw.as_ref(), expire_at, meta, KeyType::Hash);
            Ok(Response::Bulk(next))
        }
    }
}

/// Refuses a field name longer than the store's keys may be (every check comes before any
/// write: a refused command writes nothing).
fn check_field(field: &[u8]) -> Result<(), CommandError> {
    if field.len() > keys::MAX_KEY_LEN {
        return Err(CommandError::KeyTooLong(keys::MAX_KEY_LEN));
    }
    Ok(())
}

/// HINCRBYFLOAT's refusals: a field that holds no float has its own error.
fn float_error(e: FloatError) -> CommandError {
    match e {
        FloatError::CurrentNotFloat => CommandError::HashNotFloat,
        FloatError::DeltaNotFloat => CommandError::NotFloat,
        FloatError::NanOrInfinity => CommandError::NanOrInfinity,
    }
}

pub(super) fn query(txn: &Txn<'_>, q: &Query, now: i64) -> Result<Response, CommandError> {
    let hash = |db: &Db, key: &Bytes| live_coll(txn, *db, key, now, KeyType::Hash);
    match q {
        Query::Get { db, key, field } => match hash(db, key)? {
            None => Ok(Response::Nil),
            Some(meta) => Ok(Response::bulk_or_nil(get_field(txn, &meta, field)?)),
        },
        Query::MGet { db, key, fields } => {
            let meta = hash(db, key)?;
            let mut out = Vec::with_capacity(fields.len());
            for field in fields {
                out.push(match &meta {
                    None => Response::Nil,
                    Some(meta) => Response::bulk_or_nil(get_field(txn, meta, field)?),
                });
            }
            Ok(Response::Array(out))
        }
        Query::Exists { db, key, field } => {
            let found = match hash(db, key)? {
                None => false,
                Some(meta) => get_field(txn, &meta, field)?.is_some(),
            };
            Ok(Response::Int(i64::from(found)))
        }
        Query::Len { db, key } => Ok(Response::Int(
            hash(db, key)?.map_or(0, |m| m.len.min(i64::MAX as u64) as i64),
        )),
        Query::StrLen { db, key, field } => {
            let len = match hash(db, key)? {
                None => 0,
                Some(meta) => get_field(txn, &meta, field)?.map_or(0, |v| v.len()),
            };
            Ok(Response::Int(len as i64))
        }
        Query::All { db, key, part } => {
            let fields = match hash(db, key)? {
                None => Vec::new(),
                Some(meta) => all_fields(txn, &meta)?,
            };
            Ok(match part {
                Part::Fields => {
                    Response::Array(fields.into_iter().map(|(f, _)| Response::Bulk(f)).collect())
                }
                Part::Values => {
                    Response::Array(fields.into_iter().map(|(_, v)| Response::Bulk(v)).collect())
                }
                Part::Both => Response::Map(
                    fields
                        .into_iter()
                        .map(|(f, v)| (Response::Bulk(f), Response::Bulk(v)))
                        .collect(),
                ),
            })
        }
        Query::RandField {
            db,
            key,
            count,
            with_values,
        } => rand_field(txn, hash(db, key)?, *count, *with_values),
        Query::Scan {
            db,
            key,
            cursor,
            pattern,
            count,
        } => match hash(db, key)? {
            None => Ok(scan_page(0, Vec::new())),
            Some(meta) => scan(txn, &meta, *cursor, pattern.as_deref(), *count),
        },
    }
}

fn get_field(txn: &Txn<'_>, meta: &CollMeta, field: &[u8]) -> Result<Option<Bytes>, CommandError> {
    if check_field(field).is_err() {
        return Ok(None);
    }
    Ok(txn
        .get(Space::Hashes, &keys::field(meta.version, field))?
        .map(Bytes::from))
}

/// The field and value of a field record, copied out.
fn field_value(k: &[u8], v: &[u8]) -> Result<(Bytes, Bytes), CommandError> {
    let f = keys::decode_field(k).ok_or_else(corrupt)?;
    Ok((Bytes::copy_from_slice(f), Bytes::copy_from_slice(v)))
}

/// Every field and value, in field order.
fn all_fields(txn: &Txn<'_>, meta: &CollMeta) -> Result<Vec<(Bytes, Bytes)>, CommandError> {
    let prefix = keys::version_prefix(meta.version);
    let mut out = Vec::with_capacity(meta.len.min(1 << 16) as usize);
    try_walk(txn, Space::Hashes, &prefix, prefix.to_vec(), |k, v| {
        out.push(field_value(k, v)?);
        Ok(true)
    })?;
    Ok(out)
}

/// The fields (and values) at the given positions in field order, `wanted` sorted and without
/// repeats: one walk up to the last of them.
fn fields_at(
    txn: &Txn<'_>,
    meta: &CollMeta,
    wanted: &[u64],
) -> Result<Vec<(Bytes, Bytes)>, CommandError> {
    let prefix = keys::version_prefix(meta.version);
    let mut out = Vec::with_capacity(wanted.len());
    let mut position = 0u64;
    if !wanted.is_empty() {
        try_walk(txn, Space::Hashes, &prefix, prefix.to_vec(), |k, v| {
            if wanted.get(out.len()) == Some(&position) {
                out.push(field_value(k, v)?);
            }
            position += 1;
            Ok(out.len() < wanted.len())
        })?;
    }
    // The header's count and the records disagree: the store is damaged.
    if out.len() < wanted.len() {
        return Err(corrupt());
    }
    Ok(out)
}

/// `HRANDFIELD`: one field (nil for no hash), or an array of `count` distinct fields (at most
/// the hash's size), or with a negative count `|count|` fields that may repeat, in random order.
/// Fields are picked uniformly by position, each pick costing one walk up to the furthest.
fn rand_field(
    txn: &Txn<'_>,
    meta: Option<CollMeta>,
    count: Option<i64>,
    with_values: bool,
) -> Result<Response, CommandError> {
    let Some(count) = count else {
        return Ok(match meta {
            None => Response::Nil,
            Some(meta) if meta.len == 0 => Response::Nil,
            Some(meta) => {
                let at = rand::rng().random_range(0..meta.len);
                let mut picked = fields_at(txn, &meta, &[at])?;
                Response::bulk_or_nil(picked.pop().map(|(f, _)| f))
            }
        });
    };
    let wanted = if count < 0 {
        repeats(count)?
    } else {
        count.unsigned_abs()
    };
    let meta = match meta {
        Some(meta) if meta.len > 0 && count != 0 => meta,
        _ => return Ok(Response::Array(Vec::new())),
    };
    let mut rng = rand::rng();
    let picked: Vec<(Bytes, Bytes)> = if count > 0 {
        if wanted >= meta.len {
            all_fields(txn, &meta)?
        } else {
            let mut positions: Vec<u64> =
                rand::seq::index::sample(&mut rng, meta.len as usize, wanted as usize)
                    .into_iter()
                    .map(|i| i as u64)
                    .collect();
            positions.sort_unstable();
            let mut picked = fields_at(txn, &meta, &positions)?;
            picked.shuffle(&mut rng);
            picked
        }
    } else {
        // Repeats allowed: |count| independent picks, fetched once per distinct position.
        let draws: Vec<u64> = (0..wanted).map(|_| rng.random_range(0..meta.len)).collect();
        let mut positions = draws.clone();
        positions.sort_unstable();
        positions.dedup();
        let found = fields_at(txn, &meta, &positions)?;
        draws
            .iter()
            .filter_map(|d| positions.binary_search(d).ok().map(|i| found[i].clone()))
            .collect()
    };
    Ok(if with_values {
        value_pairs(picked)
    } else {
        Response::Array(picked.into_iter().map(|(f, _)| Response::Bulk(f)).collect())
    })
}

/// Field/value pairs that may repeat a field (HRANDFIELD WITHVALUES): a flat array in RESP2,
/// `[field, value]` pairs in RESP3.
fn value_pairs(pairs: Vec<(Bytes, Bytes)>) -> Response {
    Response::Pairs(
        pairs
            .into_iter()
            .map(|(f, v)| (Response::Bulk(f), Response::Bulk(v)))
            .collect(),
    )
}

/// One `HSCAN` step: `[cursor, [field, value, ...]]`.
fn scan(
    txn: &Txn<'_>,
    meta: &CollMeta,
    cursor: u64,
    pattern: Option<&[u8]>,
    count: u64,
) -> Result<Response, CommandError> {
    let at = CollScan {
        space: Space::Hashes,
        prefix: &keys::version_prefix(meta.version),
        len: meta.len,
        whole_up_to: SMALL_HASH,
        name: keys::decode_field,
    };
    coll_scan(txn, &at, cursor, pattern, count, |f, v, out| {
        out.push(Response::Bulk(Bytes::copy_from_slice(f)));
        out.push(Response::Bulk(Bytes::copy_from_slice(v)));
        Ok(())
    })
}

#[cfg(test)]
mod tests;
