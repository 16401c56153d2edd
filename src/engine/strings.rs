//! Strings: values stored inline in the key's header, so a GET is one point lookup.

use bytes::{Bytes, BytesMut};

use super::header::{Header, Value};
use super::{ApplyContext, Txn};
use crate::command::kv::{Command, Query};
use crate::command::{CommandError, Db, Expiry, Response, SetCond};

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
            let text =
                super::float::incr_by_float(current.as_deref(), delta).map_err(|e| match e {
                    super::float::FloatError::NanOrInfinity => CommandError::NanOrInfinity,
                    _ => CommandError::NotFloat,
                })?;
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
    }
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

/// Parses an integer the way Redis does: no spaces, no leading `+`, no leading zeros.
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 || b[0] == b'+' {
        return None;
    }
    let digits = if b[0] == b'-' { &b[1..] } else { b };
    if digits.is_empty()
        || (digits.len() > 1 && digits[0] == b'0')
        || (b[0] == b'-' && digits == b"0")
    {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Parses a float the way Redis does: finite decimal or exponent forms, `inf`, no spaces.
pub fn parse_float(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let v: f64 = match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ if lower.contains("nan") || lower.contains("inf") => return None,
        _ => s.parse().ok()?,
    };
    Some(v)
}

/// Formats a float as INCRBYFLOAT does: shortest exact form, no exponent, no trailing zeros.
pub fn format_float(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e17 {
        return format!("{}", v as i64);
    }
    let s = format!("{v}");
    if s.contains('e') {
        format!("{v:.17}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        s
    }
}

/// Clamps Redis-style inclusive `start..=end` (negative from the end) to `0..len`.
pub fn clamp_range(start: i64, end: i64, len: i64) -> Option<(i64, i64)> {
    let start = if start < 0 {
        len.saturating_add(start).max(0)
    } else {
        start
    };
    let end = if end < 0 {
        len.saturating_add(end)
    } else {
        end.min(len - 1)
    };
    (start <= end && start < len && end >= 0).then_some((start, end))
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

/// `GET` straight from the store (see [`super::Engine::query`]); the same answers as the
/// transaction-based read below.
pub(super) fn get(
    engine: &super::Engine,
    db: Db,
    key: &[u8],
    now: i64,
) -> Result<Response, CommandError> {
    if key.len() > super::keys::MAX_KEY_LEN {
        return Err(CommandError::KeyTooLong(super::keys::MAX_KEY_LEN));
    }
    let Some(raw) = engine.meta().get(super::keys::key_record(db, key))? else {
        return Ok(Response::Nil);
    };
    let h = Header::decode(&raw).ok_or_else(super::corrupt)?;
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_like_redis() {
        assert_eq!(parse_i64(b"10"), Some(10));
        assert_eq!(parse_i64(b"-7"), Some(-7));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b""[..],
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"1.0",
            b"9223372036854775808",
            b"abc",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn floats_format_like_redis() {
        assert_eq!(format_float(10.5), "10.5");
        assert_eq!(format_float(3.0), "3");
        assert_eq!(format_float(5.0e3), "5000");
        assert_eq!(parse_float(b"1e3"), Some(1000.0));
        assert_eq!(parse_float(b"nan"), None);
        assert_eq!(parse_float(b" 1"), None);
    }

    #[test]
    fn getrange_bounds_match_redis() {
        // "hello": `GETRANGE k 0 -6` is the first byte in Redis, as is `0 -100`.
        assert_eq!(getrange_bounds(0, -6, 5), Some((0, 0)));
        assert_eq!(getrange_bounds(0, -100, 5), Some((0, 0)));
        assert_eq!(getrange_bounds(-1, -5, 5), None);
        assert_eq!(getrange_bounds(0, -1, 5), Some((0, 4)));
        assert_eq!(getrange_bounds(2, 100, 5), Some((2, 4)));
        assert_eq!(getrange_bounds(4, 2, 5), None);
        assert_eq!(getrange_bounds(0, 0, 0), None);
        assert_eq!(getrange_bounds(-100, -100, 5), Some((0, 0)));
    }

    #[test]
    fn ranges_clamp_like_lrange() {
        assert_eq!(clamp_range(0, -1, 5), Some((0, 4)));
        assert_eq!(clamp_range(-3, -1, 5), Some((2, 4)));
        assert_eq!(clamp_range(3, 100, 5), Some((3, 4)));
        assert_eq!(clamp_range(4, 2, 5), None);
        assert_eq!(clamp_range(0, -1, 0), None);
        assert_eq!(clamp_range(-100, -90, 5), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 5), Some((0, 4)));
        assert_eq!(clamp_range(i64::MIN, i64::MIN, 5), None);
    }
}
