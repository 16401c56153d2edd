//! Lists: a header with `head..tail` counters and one record per element, so pushes and pops at
//! either end are O(1) and the elements are always dense between the counters.

use bytes::Bytes;

use crate::command::list::{Command, Query};
use crate::command::{CommandError, Db, End, Response};
use crate::engine::store::header::{Header, ListMeta, Value};
use crate::engine::ApplyContext;
use crate::engine::Txn;
use crate::shared::number::clamp_range;

/// A key's stored header (live or expired) and, if live, its list.
type ListAt = (Option<Header>, Option<(Header, ListMeta)>);

/// The stored header and the live list under a key; WRONGTYPE for a live non-list.
fn list_at(txn: &Txn<'_>, db: Db, key: &[u8], now: i64) -> Result<ListAt, CommandError> {
    let (raw, live) = txn.header(db, key, now)?;
    match live {
        None => Ok((raw, None)),
        Some(h) => match h.value {
            Value::List(l) => Ok((raw, Some((h, l)))),
            _ => Err(CommandError::WrongType),
        },
    }
}

/// The live list under a key with its (stored) header; WRONGTYPE for a live non-list.
fn live_list(
    txn: &Txn<'_>,
    db: Db,
    key: &[u8],
    now: i64,
) -> Result<Option<(Header, ListMeta)>, CommandError> {
    Ok(list_at(txn, db, key, now)?.1)
}

/// Writes the list's new counters, or deletes the key when the list became empty (its elements
/// are already gone, so nothing is left for the collector).
fn store(txn: &mut Txn<'_>, db: Db, key: &[u8], raw: &Header, meta: ListMeta) {
    if meta.is_empty() {
        txn.detach(db, key, raw);
    } else {
        let new = Header::new(Value::List(meta), raw.expire_at);
        txn.put(db, key, Some(raw), new);
    }
}

/// Pops up to `n` elements from one end of a live list and stores the result; returns them
/// if `read`, else only removes them (nobody will see them: a replica applying the leader's
/// pop, where reading each element back from the LSM would be most of the pop's cost).
fn pop_n(
    txn: &mut Txn<'_>,
    db: Db,
    key: &[u8],
    (raw, mut meta): (&Header, ListMeta),
    end: End,
    n: u64,
    read: bool,
) -> Result<Vec<Bytes>, CommandError> {
    let n = (n.min(meta.len() as u64)) as i64;
    let mut out = Vec::with_capacity(if read { n as usize } else { 0 });
    for _ in 0..n {
        let index = match end {
            End::Left => meta.head,
            End::Right => meta.tail - 1,
        };
        if read {
            let v = txn
                .get_element(meta.version, index)?
                .ok_or_else(crate::engine::corrupt)?;
            out.push(v);
        }
        txn.remove_element(meta.version, index);
        match end {
            End::Left => meta.head += 1,
            End::Right => meta.tail -= 1,
        }
    }
    store(txn, db, key, raw, meta);
    Ok(out)
}

/// Pushes values onto a list, creating it (as version `ctx.index`) if absent.
fn push(
    txn: &mut Txn<'_>,
    db: Db,
    key: &[u8],
    end: End,
    values: &[Bytes],
    ctx: &ApplyContext,
) -> Result<i64, CommandError> {
    let (raw, live) = list_at(txn, db, key, ctx.now_ms)?;
    let (expire_at, mut meta) = match live {
        Some((h, l)) => (h.expire_at, l),
        None => (
            None,
            ListMeta {
                version: ctx.index,
                head: 0,
                tail: 0,
            },
        ),
    };
    for v in values {
        match end {
            End::Left => {
                meta.head -= 1;
                txn.put_element(meta.version, meta.head, v);
            }
            End::Right => {
                txn.put_element(meta.version, meta.tail, v);
                meta.tail += 1;
            }
        }
    }
    let new = Header::new(Value::List(meta), expire_at);
    txn.put(db, key, raw.as_ref(), new);
    Ok(meta.len())
}

/// Replaces a list's contents with `items` under a new version (LREM, LINSERT).
fn rewrite(
    txn: &mut Txn<'_>,
    db: Db,
    key: &[u8],
    raw: &Header,
    items: &[Bytes],
    ctx: &ApplyContext,
) {
    if items.is_empty() {
        txn.remove(db, key, raw);
        return;
    }
    let meta = ListMeta {
        version: ctx.index,
        head: 0,
        tail: items.len() as i64,
    };
    for (i, v) in items.iter().enumerate() {
        txn.put_element(meta.version, i as i64, v);
    }
    let new = Header::new(Value::List(meta), raw.expire_at);
    txn.put(db, key, Some(raw), new);
}

pub(super) fn all_elements(txn: &Txn<'_>, meta: &ListMeta) -> Result<Vec<Bytes>, CommandError> {
    Ok(txn
        .elements(meta.version, meta.head, meta.tail, false)?
        .into_iter()
        .map(|(_, v)| v)
        .collect())
}

pub(super) fn apply(
    txn: &mut Txn<'_>,
    cmd: &Command,
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    let now = ctx.now_ms;
    match cmd {
        Command::Push {
            db,
            key,
            end,
            values,
            only_if_exists,
        } => {
            if *only_if_exists && live_list(txn, *db, key, now)?.is_none() {
                return Ok(Response::Int(0));
            }
            Ok(Response::Int(push(txn, *db, key, *end, values, ctx)?))
        }
        Command::Pop {
            db,
            key,
            end,
            count,
        } => {
            let Some((raw, meta)) = live_list(txn, *db, key, now)? else {
                return Ok(if count.is_some() {
                    Response::NilArray
                } else {
                    Response::Nil
                });
            };
            let n = count.unwrap_or(1);
            let popped = pop_n(txn, *db, key, (&raw, meta), *end, n, ctx.reply)?;
            if !ctx.reply {
                // A placeholder of the right kind: the reply is dropped unread.
                return Ok(Response::Int(n.min(meta.len() as u64) as i64));
            }
            Ok(match count {
                None => Response::bulk_or_nil(popped.into_iter().next()),
                Some(_) => Response::Array(popped.into_iter().map(Response::Bulk).collect()),
            })
        }
        Command::PopFirst { db, keys, end } => {
            for key in keys {
                if let Some((raw, meta)) = live_list(txn, *db, key, now)? {
                    let popped = pop_n(txn, *db, key, (&raw, meta), *end, 1, true)?;
                    if let Some(v) = popped.into_iter().next() {
                        return Ok(Response::Array(vec![
                            Response::Bulk(key.clone()),
                            Response::Bulk(v),
                        ]));
                    }
                }
            }
            Ok(Response::NilArray)
        }
        Command::MPop {
            db,
            keys,
            end,
            count,
        } => {
            for key in keys {
                if let Some((raw, meta)) = live_list(txn, *db, key, now)? {
                    let popped = pop_n(txn, *db, key, (&raw, meta), *end, *count, true)?;
                    return Ok(Response::Array(vec![
                        Response::Bulk(key.clone()),
                        Response::Array(popped.into_iter().map(Response::Bulk).collect()),
                    ]));
                }
            }
            Ok(Response::NilArray)
        }
        Command::LSet {
            db,
            key,
            index,
            value,
        } => {
            let Some((raw, meta)) = live_list(txn, *db, key, now)? else {
                return Err(CommandError::NoSuchKey);
            };
            let Some(at) = meta.index_of(*index) else {
                return Err(CommandError::IndexOutOfRange);
            };
            txn.put_element(meta.version, at, value);
            // The same header again: a change all the same (its stamp moves, for WATCH).
            txn.put(*db, key, Some(&raw), raw.clone());
            Ok(Response::Ok)
        }
        Command::LRem {
            db,
            key,
            count,
            value,
        } => {
            let Some((raw, meta)) = live_list(txn, *db, key, now)? else {
                return Ok(Response::Int(0));
            };
            let mut items = all_elements(txn, &meta)?;
            let limit = if *count == 0 {
                u64::MAX
            } else {
                count.unsigned_abs()
            };
            let mut removed = 0u64;
            let mut keep = |v: &Bytes| {
                if removed < limit && v == value {
                    removed += 1;
                    false
                } else {
                    true
                }
            };
            if *count < 0 {
                items.reverse();
                items.retain(&mut keep);
                items.reverse();
            } else {
                items.retain(&mut keep);
            }
            if removed > 0 {
                rewrite(txn, *db, key, &raw, &items, ctx);
            }
            Ok(Response::Int(removed as i64))
        }
        Command::LTrim {
            db,
            key,
            start,
            stop,
        } => {
            let Some((raw, mut meta)) = live_list(txn, *db, key, now)? else {
                return Ok(Response::Ok);
            };
            match clamp_range(*start, *stop, meta.len()) {
                None => txn.remove(*db, key, &raw),
                Some((s, e)) => {
                    for i in meta.head..meta.head + s {
                        txn.remove_element(meta.version, i);
                    }
                    for i in meta.head + e + 1..meta.tail {
                        txn.remove_element(meta.version, i);
                    }
                    meta.tail = meta.head + e + 1;
                    meta.head += s;
                    store(txn, *db, key, &raw, meta);
                }
            }
            Ok(Response::Ok)
        }
        Command::LInsert {
            db,
            key,
            before,
            pivot,
            value,
        } => {
            let Some((raw, meta)) = live_list(txn, *db, key, now)? else {
                return Ok(Response::Int(0));
            };
            let mut items = all_elements(txn, &meta)?;
            let Some(at) = items.iter().position(|v| v == pivot) else {
                return Ok(Response::Int(-1));
            };
            items.insert(if *before { at } else { at + 1 }, value.clone());
            rewrite(txn, *db, key, &raw, &items, ctx);
            Ok(Response::Int(items.len() as i64))
        }
        Command::LMove {
            db,
            src,
            dst,
            from,
            to,
        } => {
            let Some((raw, meta)) = live_list(txn, *db, src, now)? else {
                return Ok(Response::Nil);
            };
            // Refuse before changing anything if the destination is not a list.
            live_list(txn, *db, dst, now)?;
            let Some(v) = pop_n(txn, *db, src, (&raw, meta), *from, 1, true)?
                .into_iter()
                .next()
            else {
                return Ok(Response::Nil);
            };
            push(txn, *db, dst, *to, std::slice::from_ref(&v), ctx)?;
            Ok(Response::Bulk(v))
        }
    }
}

pub(super) fn query(txn: &Txn<'_>, q: &Query, now: i64) -> Result<Response, CommandError> {
    let list = |db: Db, key: &[u8]| -> Result<Option<ListMeta>, CommandError> {
        match txn.live(db, key, now)? {
            None => Ok(None),
            Some(Header {
                value: Value::List(l),
                ..
            }) => Ok(Some(l)),
            Some(_) => Err(CommandError::WrongType),
        }
    };
    let range = |meta: &ListMeta, from: i64, to: i64, reverse: bool, limit: usize| {
        txn.elements_limited(meta.version, from, to, reverse, limit)
    };
    match q {
        Query::LLen { db, key } => Ok(Response::Int(list(*db, key)?.map_or(0, |l| l.len()))),
        Query::LIndex { db, key, index } => {
            let Some(meta) = list(*db, key)? else {
                return Ok(Response::Nil);
            };
            let Some(at) = meta.index_of(*index) else {
                return Ok(Response::Nil);
            };
            Ok(Response::bulk_or_nil(txn.get_element(meta.version, at)?))
        }
        Query::LRange {
            db,
            key,
            start,
            stop,
        } => {
            let Some(meta) = list(*db, key)? else {
                return Ok(Response::Array(Vec::new()));
            };
            let Some((s, e)) = clamp_range(*start, *stop, meta.len()) else {
                return Ok(Response::Array(Vec::new()));
            };
            let items = range(&meta, meta.head + s, meta.head + e + 1, false, usize::MAX)?;
            Ok(Response::Array(
                items.into_iter().map(|(_, v)| Response::Bulk(v)).collect(),
            ))
        }
        Query::LPos {
            db,
            key,
            element,
            rank,
            count,
            max_len,
        } => {
            let Some(meta) = list(*db, key)? else {
                return Ok(if count.is_some() {
                    Response::Array(Vec::new())
                } else {
                    Response::Nil
                });
            };
            let reverse = *rank < 0;
            let mut skip = rank.unsigned_abs() - 1;
            let want = match count {
                Some(0) => u64::MAX,
                Some(c) => *c,
                None => 1,
            };
            let scan = if *max_len == 0 {
                usize::MAX
            } else {
                *max_len as usize
            };
            let items = range(&meta, meta.head, meta.tail, reverse, scan)?;
            let mut found = Vec::new();
            for (index, v) in items {
                if v == *element {
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    found.push(Response::Int(index - meta.head));
                    if found.len() as u64 >= want {
                        break;
                    }
                }
            }
            Ok(match count {
                Some(_) => Response::Array(found),
                None => found.into_iter().next().unwrap_or(Response::Nil),
            })
        }
    }
}
