//! Terms of a statement (literals, bind markers, collection literals, functions) as typed
//! values of the receiving column. Functions that depend on the clock or randomness (`now()`,
//! `uuid()`) are evaluated here, on the node that took the statement, before anything enters
//! the log.

use std::net::IpAddr;

use bytes::Bytes;

use crate::command::table::value::{CqlType, Value};
use crate::cql::codec::{days_from_civil, decode_value};
use crate::cql::frame::{BoundValue, ErrorResponse};
use crate::cql::parser::ast::{Literal, Term};

/// The values bound to a statement's markers, by index.
pub struct Binds<'a> {
    pub values: &'a [BoundValue],
}

/// What a term evaluates to.
pub enum Eval {
    Value(Option<Value>),
    /// A bound value the client marked as not set: the column is left alone.
    Unset,
}

type R<T> = Result<T, ErrorResponse>;

fn invalid(msg: impl Into<String>) -> ErrorResponse {
    ErrorResponse::invalid(msg)
}

pub fn eval(term: &Term, ty: &CqlType, binds: &Binds<'_>) -> R<Eval> {
    match term {
        Term::Bind(m) => match binds.values.get(m.index) {
            None => Err(invalid(format!(
                "There were {} markers(?) in CQL but {} bound variables",
                m.index + 1,
                binds.values.len()
            ))),
            Some(BoundValue::Null) => Ok(Eval::Value(None)),
            Some(BoundValue::Unset) => Ok(Eval::Unset),
            Some(BoundValue::Bytes(b)) => decode_value(ty.unfrozen(), b)
                .map(|v| Eval::Value(Some(v)))
                .map_err(|e| e.to_response()),
        },
        other => value(other, ty, binds).map(Eval::Value),
    }
}

/// A term that must be a value (nulls allowed); unset counts as null.
pub fn value(term: &Term, ty: &CqlType, binds: &Binds<'_>) -> R<Option<Value>> {
    let ty = ty.unfrozen();
    Ok(Some(match term {
        Term::Bind(_) => {
            return match eval(term, ty, binds)? {
                Eval::Value(v) => Ok(v),
                Eval::Unset => Ok(None),
            }
        }
        Term::Literal(Literal::Null) => return Ok(None),
        Term::Literal(l) => literal(l, ty)?,
        Term::TypeHint(_, inner) => return value(inner, ty, binds),
        Term::List(items) => match ty {
            CqlType::List(e) => Value::List(non_null(items, e, binds)?),
            CqlType::Set(e) => set(non_null(items, e, binds)?, e),
            _ => return Err(mismatch(ty, "list literal")),
        },
        Term::Set(items) => match ty {
            CqlType::Set(e) => set(non_null(items, e, binds)?, e),
            CqlType::List(e) => Value::List(non_null(items, e, binds)?),
            _ => return Err(mismatch(ty, "set literal")),
        },
        Term::EmptyBraces => match ty {
            CqlType::Set(_) => Value::Set(Vec::new()),
            CqlType::Map(..) => Value::Map(Vec::new()),
            _ => return Err(mismatch(ty, "{}")),
        },
        Term::Map(entries) => match ty {
            CqlType::Map(kt, vt) => {
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let k = value(k, kt, binds)?
                        .ok_or_else(|| invalid("null is not supported inside collections"))?;
                    let v = value(v, vt, binds)?
                        .ok_or_else(|| invalid("null is not supported inside collections"))?;
                    out.retain(|(have, _): &(Value, Value)| {
                        !crate::cql::codec::compare_values(kt, have, &k).is_eq()
                    });
                    out.push((k, v));
                }
                out.sort_by(|a, b| crate::cql::codec::compare_values(kt, &a.0, &b.0));
                Value::Map(out)
            }
            CqlType::Udt(u) => udt_from(
                &entries
                    .iter()
                    .map(|(k, v)| (term_name(k), v))
                    .collect::<Vec<_>>(),
                u,
                binds,
            )?,
            _ => return Err(mismatch(ty, "map literal")),
        },
        Term::Udt(fields) => match ty {
            CqlType::Udt(u) => udt_from(
                &fields
                    .iter()
                    .map(|(k, v)| (Some(k.clone()), v))
                    .collect::<Vec<_>>(),
                u,
                binds,
            )?,
            _ => return Err(mismatch(ty, "user type literal")),
        },
        Term::Tuple(items) => match ty {
            CqlType::Tuple(types) => {
                if items.len() > types.len() {
                    return Err(invalid("Invalid tuple literal: too many elements"));
                }
                let mut out = Vec::with_capacity(types.len());
                for (i, t) in types.iter().enumerate() {
                    out.push(match items.get(i) {
                        Some(item) => value(item, t, binds)?,
                        None => None,
                    });
                }
                Value::Tuple(out)
            }
            _ if items.len() == 1 => return value(&items[0], ty, binds),
            _ => return Err(mismatch(ty, "tuple literal")),
        },
        Term::Function { name, args } => return function(&name.name, args, ty, binds),
        Term::Negate(inner) => match value(inner, ty, binds)? {
            Some(Value::Int(n)) => Value::Int(n.wrapping_neg()),
            Some(Value::BigInt(n)) => Value::BigInt(n.wrapping_neg()),
            Some(Value::Double(n)) => Value::Double(-n),
            Some(Value::Float(n)) => Value::Float(-n),
            _ => return Err(invalid("Invalid negation")),
        },
        Term::Arithmetic(..) => {
            return Err(invalid("Arithmetic operations are not supported here"))
        }
    }))
}

fn term_name(t: &Term) -> Option<String> {
    match t {
        Term::Literal(Literal::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn udt_from(
    fields: &[(Option<String>, &Term)],
    u: &crate::command::table::value::UdtType,
    binds: &Binds<'_>,
) -> R<Value> {
    let mut out = vec![None; u.fields.len()];
    for (name, term) in fields {
        let name = name
            .as_deref()
            .ok_or_else(|| invalid("Invalid user type literal"))?;
        let i = u
            .fields
            .iter()
            .position(|(f, _)| f == name)
            .ok_or_else(|| {
                invalid(format!(
                    "Unknown field '{name}' in value of user defined type {}",
                    u.name
                ))
            })?;
        out[i] = value(term, &u.fields[i].1, binds)?;
    }
    Ok(Value::Udt(out))
}

fn non_null(items: &[Term], ty: &CqlType, binds: &Binds<'_>) -> R<Vec<Value>> {
    items
        .iter()
        .map(|t| {
            value(t, ty, binds)?.ok_or_else(|| invalid("null is not supported inside collections"))
        })
        .collect()
}

fn set(mut items: Vec<Value>, ty: &CqlType) -> Value {
    items.sort_by(|a, b| crate::cql::codec::compare_values(ty, a, b));
    items.dedup_by(|a, b| crate::cql::codec::compare_values(ty, a, b).is_eq());
    Value::Set(items)
}

fn mismatch(ty: &CqlType, what: &str) -> ErrorResponse {
    invalid(format!(
        "Invalid {what} for a value of type {}",
        crate::cql::codec::type_name(ty)
    ))
}

/// A constant as a value of `ty`.
pub fn literal(l: &Literal, ty: &CqlType) -> R<Value> {
    let bad = || {
        invalid(format!(
            "Invalid {} constant ({}) for a value of type {}",
            match l {
                Literal::String(_) => "STRING",
                Literal::Integer(_) => "INTEGER",
                Literal::Float(_) => "FLOAT",
                Literal::Boolean(_) => "BOOLEAN",
                Literal::Uuid(_) => "UUID",
                Literal::Blob(_) => "HEX",
                Literal::Duration(_) => "DURATION",
                Literal::Null => "NULL",
            },
            literal_text(l),
            crate::cql::codec::type_name(ty)
        ))
    };
    Ok(match (l, ty) {
        (Literal::String(s), CqlType::Text) => Value::Text(s.clone()),
        (Literal::String(s), CqlType::Ascii) if s.is_ascii() => Value::Text(s.clone()),
        (Literal::String(s), CqlType::Timestamp) => {
            Value::Timestamp(parse_timestamp(s).ok_or_else(bad)?)
        }
        (Literal::String(s), CqlType::Date) => Value::Date(parse_date(s).ok_or_else(bad)?),
        (Literal::String(s), CqlType::Time) => Value::Time(parse_time(s).ok_or_else(bad)?),
        (Literal::String(s), CqlType::Inet) => Value::Inet(s.parse::<IpAddr>().map_err(|_| bad())?),
        (Literal::String(s), CqlType::Uuid | CqlType::TimeUuid) => {
            Value::Uuid(*uuid::Uuid::parse_str(s).map_err(|_| bad())?.as_bytes())
        }
        (Literal::String(s), CqlType::Blob) if s.is_empty() => Value::Blob(Bytes::new()),
        (Literal::Integer(n), _) => integer(n, ty).ok_or_else(bad)?,
        (Literal::Float(f), CqlType::Float) => Value::Float(parse_float(f).ok_or_else(bad)? as f32),
        (Literal::Float(f), CqlType::Double) => Value::Double(parse_float(f).ok_or_else(bad)?),
        (Literal::Float(f), CqlType::Decimal) => decimal(f).ok_or_else(bad)?,
        (Literal::Boolean(b), CqlType::Boolean) => Value::Boolean(*b),
        (Literal::Uuid(u), CqlType::Uuid) => Value::Uuid(*u),
        (Literal::Uuid(u), CqlType::TimeUuid) if u[6] >> 4 == 1 => Value::Uuid(*u),
        (Literal::Blob(b), CqlType::Blob) => Value::Blob(Bytes::copy_from_slice(b)),
        _ => return Err(bad()),
    })
}

fn literal_text(l: &Literal) -> String {
    match l {
        Literal::String(s) => s.clone(),
        Literal::Integer(s) | Literal::Float(s) | Literal::Duration(s) => s.clone(),
        Literal::Boolean(b) => b.to_string(),
        Literal::Uuid(u) => uuid::Uuid::from_bytes(*u).to_string(),
        Literal::Blob(b) => format!(
            "0x{}",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        ),
        Literal::Null => "null".into(),
    }
}

fn parse_float(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

fn integer(text: &str, ty: &CqlType) -> Option<Value> {
    Some(match ty {
        CqlType::TinyInt => Value::TinyInt(text.parse().ok()?),
        CqlType::SmallInt => Value::SmallInt(text.parse().ok()?),
        CqlType::Int => Value::Int(text.parse().ok()?),
        CqlType::BigInt | CqlType::Counter => Value::BigInt(text.parse().ok()?),
        CqlType::Timestamp => Value::Timestamp(text.parse().ok()?),
        CqlType::VarInt => Value::VarInt(varint_bytes(text.parse().ok()?)),
        CqlType::Float => Value::Float(text.parse().ok()?),
        CqlType::Double => Value::Double(text.parse().ok()?),
        CqlType::Decimal => decimal(text)?,
        CqlType::Date => Value::Date(text.parse().ok()?),
        CqlType::Time => Value::Time(text.parse().ok()?),
        _ => return None,
    })
}

/// Minimal two's complement, big-endian.
fn varint_bytes(n: i128) -> Vec<u8> {
    let b = n.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (cur, next) = (b[start], b[start + 1]);
        if (cur == 0 && next & 0x80 == 0) || (cur == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    b[start..].to_vec()
}

fn decimal(text: &str) -> Option<Value> {
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let unscaled: i128 = digits.parse().ok()?;
    let scale = frac.len() as i32 - exp;
    Some(Value::Decimal {
        scale,
        unscaled: varint_bytes(unscaled),
    })
}

/// `yyyy-mm-dd[( |T)hh:mm[:ss[.fff]]][Z|(+|-)hhmm]` (Cassandra's accepted forms), or ms.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    if let Ok(ms) = s.parse::<i64>() {
        return Some(ms);
    }
    let s = s.trim();
    let (date, rest) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let days = date_days(date)?;
    let (time, zone) = split_zone(rest);
    let nanos = if time.is_empty() {
        0
    } else {
        parse_time(time)?
    };
    let offset_min = zone_minutes(zone)?;
    Some(days * 86_400_000 + nanos / 1_000_000 - offset_min * 60_000)
}

fn split_zone(s: &str) -> (&str, &str) {
    if let Some(stripped) = s.strip_suffix('Z') {
        return (stripped, "Z");
    }
    match s.rfind(['+', '-']) {
        Some(i) if i > 0 => (&s[..i], &s[i..]),
        _ => (s, ""),
    }
}

fn zone_minutes(z: &str) -> Option<i64> {
    if z.is_empty() || z == "Z" {
        return Some(0);
    }
    let sign = if z.starts_with('-') { -1 } else { 1 };
    let digits: String = z[1..].chars().filter(|c| c.is_ascii_digit()).collect();
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i64>().ok()?, 0),
        4 => (
            digits[..2].parse::<i64>().ok()?,
            digits[2..].parse::<i64>().ok()?,
        ),
        _ => return None,
    };
    Some(sign * (h * 60 + m))
}

fn date_days(s: &str) -> Option<i64> {
    let mut parts = s.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

pub fn parse_date(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse::<u32>() {
        return Some(n);
    }
    let days = date_days(s)?;
    u32::try_from(days + (1i64 << 31)).ok()
}

/// `hh:mm[:ss[.fffffffff]]` as nanoseconds since midnight.
pub fn parse_time(s: &str) -> Option<i64> {
    let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut parts = hms.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let sec: i64 = parts.next().map_or(Some(0), |x| x.parse().ok())?;
    if h > 23 || m > 59 || sec > 59 || frac.len() > 9 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let nanos: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Some(((h * 60 + m) * 60 + sec) * 1_000_000_000 + nanos)
}

/// A version 1 (time-based) UUID for now, with a random node and clock sequence.
pub fn timeuuid_now() -> [u8; 16] {
    let ms = crate::node::now_ms().max(0) as u64;
    // 100 ns intervals since 1582-10-15.
    let ticks = ms * 10_000 + 0x01B2_1DD2_1381_4000 + rand::random_range(0..10_000u64);
    let mut u = [0u8; 16];
    u[0..4].copy_from_slice(&(ticks as u32).to_be_bytes());
    u[4..6].copy_from_slice(&((ticks >> 32) as u16).to_be_bytes());
    u[6..8].copy_from_slice(&((((ticks >> 48) as u16) & 0x0fff) | 0x1000).to_be_bytes());
    let r: [u8; 8] = rand::random();
    u[8..].copy_from_slice(&r);
    u[8] = (u[8] & 0x3f) | 0x80;
    u
}

/// The unix time (ms) a version 1 UUID holds.
pub fn timeuuid_ms(u: &[u8; 16]) -> i64 {
    let ticks = (u64::from(u16::from_be_bytes([u[6], u[7]]) & 0x0fff) << 48)
        | (u64::from(u16::from_be_bytes([u[4], u[5]])) << 32)
        | u64::from(u32::from_be_bytes([u[0], u[1], u[2], u[3]]));
    (ticks.wrapping_sub(0x01B2_1DD2_1381_4000) / 10_000) as i64
}

fn function(name: &str, args: &[Term], ty: &CqlType, binds: &Binds<'_>) -> R<Option<Value>> {
    let name = name.to_ascii_lowercase();
    let arg = |i: usize, t: &CqlType| -> R<Option<Value>> {
        match args.get(i) {
            Some(a) => value(a, t, binds),
            None => Err(invalid(format!(
                "Invalid number of arguments in call to function {name}"
            ))),
        }
    };
    let now = crate::node::now_ms();
    Ok(Some(match name.as_str() {
        "now" | "currenttimeuuid" => Value::Uuid(timeuuid_now()),
        "uuid" => Value::Uuid(crate::cql::stmt::values::random_uuid()),
        "currenttimestamp" => Value::Timestamp(now),
        "currentdate" => Value::Date(((now.div_euclid(86_400_000)) + (1i64 << 31)) as u32),
        "totimestamp" | "dateof" => match arg(0, &CqlType::TimeUuid)? {
            Some(Value::Uuid(u)) => Value::Timestamp(timeuuid_ms(&u)),
            _ => return Ok(None),
        },
        "todate" => match arg(0, &CqlType::TimeUuid)? {
            Some(Value::Uuid(u)) => {
                Value::Date((timeuuid_ms(&u).div_euclid(86_400_000) + (1i64 << 31)) as u32)
            }
            _ => return Ok(None),
        },
        "tounixtimestamp" | "unixtimestampof" => match arg(0, &CqlType::TimeUuid)? {
            Some(Value::Uuid(u)) => Value::BigInt(timeuuid_ms(&u)),
            _ => return Ok(None),
        },
        "mintimeuuid" | "maxtimeuuid" => match arg(0, &CqlType::Timestamp)? {
            Some(Value::Timestamp(ms)) => {
                let ticks = (ms as u64) * 10_000 + 0x01B2_1DD2_1381_4000;
                let mut u = [0u8; 16];
                u[0..4].copy_from_slice(&(ticks as u32).to_be_bytes());
                u[4..6].copy_from_slice(&((ticks >> 32) as u16).to_be_bytes());
                u[6..8]
                    .copy_from_slice(&((((ticks >> 48) as u16) & 0x0fff) | 0x1000).to_be_bytes());
                let tail = if name == "mintimeuuid" {
                    [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]
                } else {
                    [0x7f; 8]
                };
                u[8..].copy_from_slice(&tail);
                Value::Uuid(u)
            }
            _ => return Ok(None),
        },
        _ => {
            let _ = ty;
            return Err(invalid(format!("Unknown function '{name}'")));
        }
    }))
}

/// A random (version 4) UUID.
pub fn random_uuid() -> [u8; 16] {
    let mut u: [u8; 16] = rand::random();
    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;
    u
}
