//! Strings: values stored inline in the key's header, so a GET is one point lookup.

use bytes::{Bytes, BytesMut};

use crate::command::kv::{Command, Query};
use crate::command::{CommandError, Db, Expiry, Response, SetCond};
use crate::engine::store::header::{Header, Value};
use crate::engine::ApplyContext;
use crate::engine::Txn;
use crate::shared::number::parse_i64;

/// Largest string SETRANGE and APPEND may build (Redis's default proto-max-bulk-len).
pub const MAX_STRING: u64 = 512 * 1024 * 1024;

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
            value,
            expiry,
            cond,
            get,
        } => {
            let (raw, live) = if *get {
                txn.header(*db, key, now)?
            } else {
                txn.shape(*db, key, now)?
            };
            let old_value = match (&live, get) {
                (
                    Some(Header {
                        value: Value::String(v),
                        ..
                    }),
                    true,
                ) => Some(v.clone()),
                (Some(_), true) => return Err(CommandError::WrongType),
                _ => None,
            };
            let proceed = match cond {
                SetCond::Always => true,
                SetCond::IfAbsent => live.is_none(),
                SetCond::IfPresent => live.is_some(),
            };
            if proceed {
                let expire_at = match expiry {
                    Expiry::Persist => None,
                    Expiry::At(at) => Some(*at),
                    Expiry::Keep => live.as_ref().and_then(|h| h.expire_at),
                };
                write_string(txn, *db, key, raw.as_ref(), value.clone(), expire_at, now);
            }
            Ok(if *get {
                Response::bulk_or_nil(old_value)
            } else if proceed {
                Response::Ok
            } else {
                Response::Nil
            })
        }
        Command::MSet {
            db,
            pairs,
            if_none_exist,
        } => {
            if *if_none_exist {
                for (k, _) in pairs {
                    if txn.shape(*db, k, now)?.1.is_some() {
                        return Ok(Response::Int(0));
                    }
                }
            }
            for (k, v) in pairs {
                let raw = txn.raw_shape(*db, k)?;
                write_string(txn, *db, k, raw.as_ref(), v.clone(), None, now);
            }
            Ok(if *if_none_exist {
                Response::Int(1)
            } else {
                Response::Ok
            })
        }
        Command::GetDel { db, key } => {
            let (raw, live) = txn.header(*db, key, now)?;
            match (raw, live) {
                (
                    Some(raw),
                    Some(Header {
                        value: Value::String(v),
                        ..
                    }),
                ) => {
                    txn.remove(*db, key, &raw);
                    Ok(Response::Bulk(v))
                }
                (_, Some(_)) => Err(CommandError::WrongType),
                _ => Ok(Response::Nil),
            }
        }
        Command::GetEx { db, key, expiry } => {
            let (raw, live) = txn.header(*db, key, now)?;
            let Some(h) = live else {
                return Ok(Response::Nil);
            };
            let Value::String(v) = &h.value else {
                return Err(CommandError::WrongType);
            };
            let expire_at = match expiry {
                Expiry::Keep => return Ok(Response::Bulk(v.clone())),
                Expiry::Persist => None,
                Expiry::At(at) => Some(*at),
            };
            write_string(txn, *db, key, raw.as_ref(), v.clone(), expire_at, now);
            Ok(Response::Bulk(v.clone()))
        }
        Command::Append { db, key, value } => {
            let (raw, live) = txn.header(*db, key, now)?;
            let (mut buf, expire_at) = match &live {
                Some(Header {
                    value: Value::String(v),
                    expire_at,
                    ..
                }) => (BytesMut::from(&v[..]), *expire_at),
                Some(_) => return Err(CommandError::WrongType),
                None => (BytesMut::new(), None),
            };
            if (buf.len() + value.len()) as u64 > MAX_STRING {
                return Err(CommandError::StringTooLong);
            }
            buf.extend_from_slice(value);
            let len = buf.len() as i64;
            write_string(txn, *db, key, raw.as_ref(), buf.freeze(), expire_at, now);
            Ok(Response::Int(len))
        }
        Command::IncrBy { db, key, delta } => {
            let (raw, live) = txn.header(*db, key, now)?;
            let (current, expire_at) = current_number(&live)?;
            let current: i64 = match current {
                None => 0,
                Some(v) => parse_i64(&v).ok_or(CommandError::NotInteger)?,
            };
            let next = current.checked_add(*delta).ok_or(CommandError::Overflow)?;
            write_string(
                txn,
                *db,
                key,
                raw.as_ref(),
                Bytes::from(next.to_string()),
                expire_at,
                now,
            );
            Ok(Response::Int(next))
        }
        Command::IncrByFloat { db, key, delta } => {
            let (raw, live) = txn.header(*db, key, now)?;
            // The type first, then the increment, as Redis checks them.
            let (current, expire_at) = current_number(&live)?;
            // In x87 long double, as Redis computes it (see `float`).
            let text = crate::shared::float::incr_by_float(current.as_deref(), delta).map_err(
                |e| match e {
                    crate::shared::float::FloatError::NanOrInfinity => CommandError::NanOrInfinity,
                    _ => CommandError::NotFloat,
                },
            )?;
            write_string(txn, *db, key, raw.as_ref(), text.clone(), expire_at, now);
            Ok(Response::Bulk(text))
        }
        Command::SetRange {
            db,
            key,
            offset,
            value,
        } => {
            let (raw, live) = txn.header(*db, key, now)?;
            let (current, expire_at) = match &live {
                Some(Header {
                    value: Value::String(v),
                    expire_at,
                    ..
                }) => (v.clone(), *expire_at),
                Some(_) => return Err(CommandError::WrongType),
                None => (Bytes::new(), None),
            };
            if value.is_empty() {
                return Ok(Response::Int(current.len() as i64));
            }
            let end = offset + value.len() as u64;
            if end > MAX_STRING {
                return Err(CommandError::StringTooLong);
            }
            let mut buf = BytesMut::from(&current[..]);
            if (buf.len() as u64) < end {
                buf.resize(end as usize, 0);
            }
            buf[*offset as usize..end as usize].copy_from_slice(value);
            let len = buf.len() as i64;
            write_string(txn, *db, key, raw.as_ref(), buf.freeze(), expire_at, now);
            Ok(Response::Int(len))
        }
        Command::SetBit {
            db,
            key,
            offset,
            on,
        } => {
            let (raw, live) = txn.header(*db, key, now)?;
            let (current, expire_at) = current_number(&live)?;
            let byte = (offset >> 3) as usize;
            if byte as u64 >= MAX_STRING {
                // The front-end bounds the offset already.
                return Err(CommandError::StringTooLong);
            }
            let mut buf = BytesMut::from(current.as_deref().unwrap_or_default());
            if buf.len() <= byte {
                buf.resize(byte + 1, 0);
            }
            let mask = 1u8 << (7 - (offset & 7));
            let old = buf[byte] & mask != 0;
            if *on {
                buf[byte] |= mask;
            } else {
                buf[byte] &= !mask;
            }
            write_string(txn, *db, key, raw.as_ref(), buf.freeze(), expire_at, now);
            Ok(Response::Int(old as i64))
        }
    }
}

/// The bit at `offset` (bit 0 is the most significant bit of the first byte), 0 past the end.
pub fn get_bit(v: &[u8], offset: u64) -> bool {
    v.get((offset >> 3) as usize)
        .is_some_and(|b| b & (1 << (7 - (offset & 7))) != 0)
}

/// BITCOUNT over `v`, the range `(start, end, in_bits)` computed exactly as Redis does.
pub fn bit_count(v: &[u8], range: Option<(i64, i64, bool)>) -> i64 {
    let (mut start, mut end, mut first_mask, mut last_mask) = (0i64, v.len() as i64 - 1, 0u8, 0u8);
    if let Some((s, e, bits)) = range {
        if s < 0 && e < 0 && s > e {
            return 0;
        }
        let total = if bits {
            (v.len() as i64) << 3
        } else {
            v.len() as i64
        };
        start = if s < 0 { total.saturating_add(s) } else { s }.max(0);
        end = if e < 0 { total.saturating_add(e) } else { e }.max(0);
        if end >= total {
            end = total - 1;
        }
        if bits && start <= end {
            // Masks of the bits outside the range in its first and last bytes.
            first_mask = !((1u16 << (8 - (start & 7))) - 1) as u8;
            last_mask = ((1u16 << (7 - (end & 7))) - 1) as u8;
            start >>= 3;
            end >>= 3;
        }
    }
    if start > end {
        return 0;
    }
    let bytes = &v[start as usize..=end as usize];
    let mut count: i64 = bytes.iter().map(|b| b.count_ones() as i64).sum();
    count -= (bytes[0] & first_mask).count_ones() as i64;
    count -= (bytes[bytes.len() - 1] & last_mask).count_ones() as i64;
    count
}

/// BITCOUNT's arguments after the key: none, or `start end [BYTE|BIT]`.
fn bit_count_range(args: &[Bytes]) -> Result<Option<(i64, i64, bool)>, CommandError> {
    let int = |b: &Bytes| parse_i64(b).ok_or(CommandError::NotInteger);
    match args {
        [] => Ok(None),
        [s, e, rest @ ..] if rest.len() <= 1 => {
            let (s, e) = (int(s)?, int(e)?);
            let bits = match rest.first() {
                None => false,
                Some(u) if u.eq_ignore_ascii_case(b"bit") => true,
                Some(u) if u.eq_ignore_ascii_case(b"byte") => false,
                Some(_) => return Err(CommandError::Syntax),
            };
            Ok(Some((s, e, bits)))
        }
        _ => Err(CommandError::Syntax),
    }
}

/// What `LCS` replies with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LcsReply {
    /// The common subsequence itself.
    String,
    /// `LEN`: its length.
    Len,
    /// `IDX [MINMATCHLEN n] [WITHMATCHLEN]`: the matching ranges, from the strings' ends.
    Idx {
        min_match_len: u64,
        with_match_len: bool,
    },
}

/// LCS's options, as Redis reads them.
fn lcs_reply(args: &[Bytes]) -> Result<LcsReply, CommandError> {
    let (mut len, mut idx, mut with_match_len, mut min_match_len) = (false, false, false, 0);
    let mut i = 0;
    while i < args.len() {
        let opt = &args[i];
        if opt.eq_ignore_ascii_case(b"idx") {
            idx = true;
        } else if opt.eq_ignore_ascii_case(b"len") {
            len = true;
        } else if opt.eq_ignore_ascii_case(b"withmatchlen") {
            with_match_len = true;
        } else if opt.eq_ignore_ascii_case(b"minmatchlen") && i + 1 < args.len() {
            i += 1;
            min_match_len = parse_i64(&args[i]).ok_or(CommandError::NotInteger)?.max(0) as u64;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    if idx && len {
        return Err(CommandError::LcsLenAndIdx);
    }
    Ok(if idx {
        LcsReply::Idx {
            min_match_len,
            with_match_len,
        }
    } else if len {
        LcsReply::Len
    } else {
        LcsReply::String
    })
}

/// The most transient memory LCS may use for its table (Redis's default proto-max-bulk-len,
/// which bounds it there).
pub const MAX_LCS_TABLE: u64 = MAX_STRING;

/// `LCS` over two strings, as Redis's `lcsCommand` computes and replies.
pub fn lcs(a: &[u8], b: &[u8], reply: LcsReply) -> Result<Response, CommandError> {
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(CommandError::LcsTooLong);
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells.saturating_mul(4) > MAX_LCS_TABLE {
        return Err(CommandError::LcsTooMuchMemory);
    }
    let w = blen + 1;
    let mut t = vec![0u32; cells as usize];
    for i in 1..=alen {
        for j in 1..=blen {
            t[i * w + j] = if a[i - 1] == b[j - 1] {
                t[(i - 1) * w + j - 1] + 1
            } else {
                t[(i - 1) * w + j].max(t[i * w + j - 1])
            };
        }
    }
    let total = t[alen * w + blen] as usize;
    if reply == LcsReply::Len {
        return Ok(Response::Int(total as i64));
    }
    let (min_len, with_len) = match reply {
        LcsReply::Idx {
            min_match_len,
            with_match_len,
        } => (min_match_len, with_match_len),
        _ => (0, false),
    };
    let mut result = vec![0u8; total];
    let mut matches = Vec::new();
    let (mut i, mut j, mut idx) = (alen, blen, total);
    // The current range, `a_start == alen` when none is open.
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (alen, 0, 0, 0);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == alen {
                (a_start, a_end, b_start, b_end) = (i - 1, i - 1, j - 1, j - 1);
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if t[(i - 1) * w + j] > t[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != alen {
                emit = true;
            }
        }
        if emit {
            let len = (a_end - a_start + 1) as u64;
            if min_len == 0 || len >= min_len {
                let range = |s: usize, e: usize| {
                    Response::Array(vec![Response::Int(s as i64), Response::Int(e as i64)])
                };
                let mut m = vec![range(a_start, a_end), range(b_start, b_end)];
                if with_len {
                    m.push(Response::Int(len as i64));
                }
                matches.push(Response::Array(m));
            }
            a_start = alen;
        }
    }
    Ok(match reply {
        LcsReply::Idx { .. } => Response::Map(vec![
            (Response::bulk("matches"), Response::Array(matches)),
            (Response::bulk("len"), Response::Int(total as i64)),
        ]),
        _ => Response::Bulk(Bytes::from(result)),
    })
}

/// Writes a string over whatever the key held; a deadline already past deletes the key instead,
/// as Redis does for `SET ... PXAT <past>`.
fn write_string(
    txn: &mut Txn<'_>,
    db: Db,
    key: &[u8],
    raw: Option<&Header>,
    value: Bytes,
    expire_at: Option<i64>,
    now: i64,
) {
    let new = Header::string(value, expire_at);
    if new.is_expired(now) {
        if let Some(raw) = raw {
            txn.remove(db, key, raw);
        }
        txn.count_expired(1);
    } else {
        txn.put(db, key, raw, new);
    }
}

type Number = (Option<Bytes>, Option<i64>);

fn current_number(live: &Option<Header>) -> Result<Number, CommandError> {
    match live {
        Some(Header {
            value: Value::String(v),
            expire_at,
            ..
        }) => Ok((Some(v.clone()), *expire_at)),
        Some(_) => Err(CommandError::WrongType),
        None => Ok((None, None)),
    }
}

/// GETRANGE's bounds exactly as Redis computes them: unlike a list range, an end that is still
/// negative after counting from the end reads as the first byte.
pub fn getrange_bounds(start: i64, end: i64, len: i64) -> Option<(i64, i64)> {
    if len == 0 || (start < 0 && end < 0 && start > end) {
        return None;
    }
    let start = if start < 0 {
        len.saturating_add(start)
    } else {
        start
    }
    .max(0);
    let end = if end < 0 {
        len.saturating_add(end)
    } else {
        end
    }
    .max(0)
    .min(len - 1);
    (start <= end).then_some((start, end))
}

/// The string under a key: `Ok(None)` if there is none, WRONGTYPE for another type.
fn string_at(txn: &Txn<'_>, db: Db, key: &[u8], now: i64) -> Result<Option<Bytes>, CommandError> {
    match txn.live(db, key, now)? {
        None => Ok(None),
        Some(Header {
            value: Value::String(v),
            ..
        }) => Ok(Some(v)),
        Some(_) => Err(CommandError::WrongType),
    }
}

/// `GET` straight from the store (see [`crate::engine::Engine::query`]); the same answers as the
/// transaction-based read below.
pub(super) fn get(
    engine: &crate::engine::Engine,
    db: Db,
    key: &[u8],
    now: i64,
) -> Result<Response, CommandError> {
    if key.len() > crate::shared::limits::MAX_KEY_LEN {
        return Err(CommandError::KeyTooLong(crate::shared::limits::MAX_KEY_LEN));
    }
    let Some(raw) = engine
        .meta()
        .get(crate::engine::keys::key_record(db, key))?
    else {
        return Ok(Response::Nil);
    };
    let h = Header::decode(&raw).ok_or_else(crate::engine::corrupt)?;
    if h.is_expired(now) {
        engine.saw_expired(db, key);
        return Ok(Response::Nil);
    }
    match h.value {
        Value::String(v) => Ok(Response::Bulk(v)),
        _ => Err(CommandError::WrongType),
    }
}

pub(super) fn query(txn: &Txn<'_>, q: &Query, now: i64) -> Result<Response, CommandError> {
    match q {
        Query::Get { db, key } => Ok(Response::bulk_or_nil(string_at(txn, *db, key, now)?)),
        Query::MGet { db, keys } => {
            let mut out = Vec::with_capacity(keys.len());
            for key in keys {
                // MGET answers nil for a key of another type.
                out.push(match string_at(txn, *db, key, now) {
                    Ok(v) => Response::bulk_or_nil(v),
                    Err(CommandError::WrongType) => Response::Nil,
                    Err(e) => return Err(e),
                });
            }
            Ok(Response::Array(out))
        }
        Query::StrLen { db, key } => Ok(Response::Int(
            string_at(txn, *db, key, now)?.map_or(0, |v| v.len() as i64),
        )),
        Query::GetRange {
            db,
            key,
            start,
            end,
        } => {
            let v = string_at(txn, *db, key, now)?.unwrap_or_default();
            Ok(Response::Bulk(
                match getrange_bounds(*start, *end, v.len() as i64) {
                    Some((s, e)) => v.slice(s as usize..=e as usize),
                    None => Bytes::new(),
                },
            ))
        }
        Query::GetBit { db, key, offset } => Ok(Response::Int(
            string_at(txn, *db, key, now)?.is_some_and(|v| get_bit(&v, *offset)) as i64,
        )),
        Query::BitCount { db, key, args } => {
            // The key first: a missing one counts 0 whatever the arguments, as in Redis.
            let Some(v) = string_at(txn, *db, key, now)? else {
                return Ok(Response::Int(0));
            };
            Ok(Response::Int(bit_count(&v, bit_count_range(args)?)))
        }
        Query::Lcs { db, a, b, args } => {
            let (a, b) = match (string_at(txn, *db, a, now), string_at(txn, *db, b, now)) {
                (Ok(a), Ok(b)) => (a.unwrap_or_default(), b.unwrap_or_default()),
                (Err(CommandError::WrongType), _) | (_, Err(CommandError::WrongType)) => {
                    return Err(CommandError::LcsNotStrings)
                }
                (Err(e), _) | (_, Err(e)) => return Err(e),
            };
            lcs(&a, &b, lcs_reply(args)?)
        }
    }
}

#[cfg(test)]
mod tests;
