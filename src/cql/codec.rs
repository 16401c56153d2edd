//! CQL values on the wire (spec section 6 and 7): serialized bytes <-> [`Value`] given the
//! [`CqlType`], Cassandra's orderings of values (sets and map keys are kept sorted by them), the
//! type `[option]` of result metadata, and the textual forms: CQL type names (schema tables,
//! DESCRIBE), CQL literals (DESCRIBE, cqlsh-like output) and SELECT JSON.
//!
//! It owns no framing (that is `cql::frame`) and no storage encoding (that is the engine's).
//!
//! Empty values: Cassandra accepts a zero-length value for most non-string types (a legacy
//! "empty" distinct from null). [`Value`] has no way to hold one, so decoding an empty buffer
//! for a fixed-size type (int, bigint, uuid, ...) is a [`ValueError::Empty`]; for text, ascii
//! and blob it is the empty value, and for collections, tuples and UDTs it is the empty
//! collection or all-null components.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, Bytes};

use crate::command::table::value::{CqlType, UdtType, Value};
use crate::cql::frame::error::ErrorResponse;

/// A serialized value that does not fit its type, or a value of the wrong shape for a type.
/// The message reads like Cassandra's (`MarshalException`), so clients see familiar text;
/// it is answered as an Invalid (0x2200) error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The bytes are not a valid serialization of the type.
    #[error("{0}")]
    Marshal(String),
    /// A zero-length value for a type whose empty value cannot be represented (see module doc).
    #[error("Empty values are not supported for type {0}")]
    Empty(String),
    /// A value whose variant does not match the type it is encoded as (a bug upstream, or a
    /// schema that changed under the value).
    #[error("Cannot serialize a {value} value as {ty}")]
    TypeMismatch { ty: String, value: &'static str },
}

impl ValueError {
    fn marshal(msg: impl Into<String>) -> Self {
        ValueError::Marshal(msg.into())
    }

    pub fn to_response(&self) -> ErrorResponse {
        ErrorResponse::invalid(self.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/// Writes the serialized form of `v` (no length prefix).
pub fn encode_value<B: BufMut + AsMut<[u8]>>(
    ty: &CqlType,
    v: &Value,
    out: &mut B,
) -> Result<(), ValueError> {
    let mismatch = || ValueError::TypeMismatch {
        ty: type_name(ty),
        value: value_kind(v),
    };
    match (ty.unfrozen(), v) {
        (CqlType::Ascii | CqlType::Text, Value::Text(s)) => out.put_slice(s.as_bytes()),
        (CqlType::Boolean, Value::Boolean(b)) => out.put_u8(u8::from(*b)),
        (CqlType::TinyInt, Value::TinyInt(n)) => out.put_i8(*n),
        (CqlType::SmallInt, Value::SmallInt(n)) => out.put_i16(*n),
        (CqlType::Int, Value::Int(n)) => out.put_i32(*n),
        (CqlType::BigInt | CqlType::Counter, Value::BigInt(n)) => out.put_i64(*n),
        (CqlType::VarInt, Value::VarInt(b)) => put_varint(out, b),
        (CqlType::Float, Value::Float(f)) => out.put_f32(*f),
        (CqlType::Double, Value::Double(f)) => out.put_f64(*f),
        (CqlType::Decimal, Value::Decimal { scale, unscaled }) => {
            out.put_i32(*scale);
            put_varint(out, unscaled);
        }
        (CqlType::Uuid | CqlType::TimeUuid, Value::Uuid(u)) => out.put_slice(u),
        (CqlType::Timestamp, Value::Timestamp(ms)) => out.put_i64(*ms),
        (CqlType::Date, Value::Date(d)) => out.put_u32(*d),
        (CqlType::Time, Value::Time(ns)) => out.put_i64(*ns),
        (
            CqlType::Duration,
            Value::Duration {
                months,
                days,
                nanos,
            },
        ) => {
            put_vint(out, i64::from(*months));
            put_vint(out, i64::from(*days));
            put_vint(out, *nanos);
        }
        (CqlType::Blob, Value::Blob(b)) => out.put_slice(b),
        (CqlType::Inet, Value::Inet(IpAddr::V4(ip))) => out.put_slice(&ip.octets()),
        (CqlType::Inet, Value::Inet(IpAddr::V6(ip))) => out.put_slice(&ip.octets()),
        (CqlType::List(elem), Value::List(items)) | (CqlType::Set(elem), Value::Set(items)) => {
            out.put_i32(items.len() as i32);
            for item in items {
                encode_value_with_length(elem, Some(item), out)?;
            }
        }
        (CqlType::Map(kt, vt), Value::Map(entries)) => {
            out.put_i32(entries.len() as i32);
            for (k, v) in entries {
                encode_value_with_length(kt, Some(k), out)?;
                encode_value_with_length(vt, Some(v), out)?;
            }
        }
        (CqlType::Tuple(types), Value::Tuple(slots)) => encode_slots(types.iter(), slots, out)?,
        (CqlType::Udt(udt), Value::Udt(slots)) => {
            encode_slots(udt.fields.iter().map(|(_, t)| t), slots, out)?
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

/// Tuple components or UDT fields: every slot of the type as `[bytes]`, missing trailing slots
/// as null.
fn encode_slots<'t, B: BufMut + AsMut<[u8]>>(
    types: impl ExactSizeIterator<Item = &'t CqlType>,
    slots: &[Option<Value>],
    out: &mut B,
) -> Result<(), ValueError> {
    if slots.len() > types.len() {
        return Err(ValueError::marshal(format!(
            "Value has {} components but the type has {}",
            slots.len(),
            types.len()
        )));
    }
    for (i, ty) in types.enumerate() {
        encode_value_with_length(ty, slots.get(i).and_then(Option::as_ref), out)?;
    }
    Ok(())
}

/// Writes `v` as `[bytes]`: an `[int]` length (-1 for null), then the serialized form. On error
/// the buffer may hold a partial value; callers that continue truncate it (as `RowsWriter` does).
pub fn encode_value_with_length<B: BufMut + AsMut<[u8]>>(
    ty: &CqlType,
    v: Option<&Value>,
    out: &mut B,
) -> Result<(), ValueError> {
    let Some(v) = v else {
        out.put_i32(-1);
        return Ok(());
    };
    let at = out.as_mut().len();
    out.put_i32(0);
    encode_value(ty, v, out)?;
    let buf = out.as_mut();
    let len = (buf.len() - at - 4) as i32;
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// A varint as stored (minimal two's complement); an empty one is zero.
fn put_varint(out: &mut impl BufMut, b: &[u8]) {
    if b.is_empty() {
        out.put_u8(0);
    } else {
        out.put_slice(b);
    }
}

/// Cassandra's signed vint (`VIntCoding.writeVInt`): zigzag, then the unsigned vint whose first
/// byte's leading one bits count the extra bytes that follow.
fn put_vint(out: &mut impl BufMut, v: i64) {
    let u = ((v << 1) ^ (v >> 63)) as u64;
    let bits = 64 - (u | 1).leading_zeros() as usize;
    let extra = if bits > 56 { 8 } else { (bits - 1) / 7 };
    if extra == 0 {
        out.put_u8(u as u8);
        return;
    }
    let bytes = u.to_be_bytes();
    if extra == 8 {
        out.put_u8(0xff);
        out.put_slice(&bytes);
        return;
    }
    out.put_u8(bytes[7 - extra] | !(0xffu8 >> extra));
    out.put_slice(&bytes[8 - extra..]);
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Text(_) => "text",
        Value::Boolean(_) => "boolean",
        Value::TinyInt(_) => "tinyint",
        Value::SmallInt(_) => "smallint",
        Value::Int(_) => "int",
        Value::BigInt(_) => "bigint",
        Value::VarInt(_) => "varint",
        Value::Float(_) => "float",
        Value::Double(_) => "double",
        Value::Decimal { .. } => "decimal",
        Value::Uuid(_) => "uuid",
        Value::Timestamp(_) => "timestamp",
        Value::Date(_) => "date",
        Value::Time(_) => "time",
        Value::Duration { .. } => "duration",
        Value::Blob(_) => "blob",
        Value::Inet(_) => "inet",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Tuple(_) => "tuple",
        Value::Udt(_) => "user type",
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// Decodes a serialized value of type `ty` (the bytes of one `[bytes]`/`[value]`, without its
/// length). Sets come out sorted and deduplicated and maps sorted by key (last entry wins), by
/// [`compare_values`].
pub fn decode_value(ty: &CqlType, b: &[u8]) -> Result<Value, ValueError> {
    let ty = ty.unfrozen();
    let fixed = |n: usize, msg: &str| -> Result<(), ValueError> {
        if b.is_empty() {
            Err(ValueError::Empty(type_name(ty)))
        } else if b.len() != n {
            Err(ValueError::marshal(format!("{msg} ({})", b.len())))
        } else {
            Ok(())
        }
    };
    Ok(match ty {
        CqlType::Ascii => {
            if let Some(&bad) = b.iter().find(|&&c| c > 127) {
                return Err(ValueError::marshal(format!(
                    "Invalid byte for ascii: {bad}"
                )));
            }
            // All bytes are ASCII, so this cannot fail.
            Value::Text(String::from_utf8_lossy(b).into_owned())
        }
        CqlType::Text => match std::str::from_utf8(b) {
            Ok(s) => Value::Text(s.to_owned()),
            Err(_) => {
                return Err(ValueError::marshal(format!(
                    "Invalid UTF-8 bytes {}",
                    hex(b)
                )))
            }
        },
        CqlType::Boolean => {
            fixed(1, "Expected 1 or 0 byte value")?;
            Value::Boolean(b[0] != 0)
        }
        CqlType::TinyInt => {
            fixed(1, "Expected 1 byte for a tinyint")?;
            Value::TinyInt(b[0] as i8)
        }
        CqlType::SmallInt => {
            fixed(2, "Expected 2 bytes for a smallint")?;
            Value::SmallInt(i16::from_be_bytes([b[0], b[1]]))
        }
        CqlType::Int => {
            fixed(4, "Expected 4 or 0 byte int")?;
            Value::Int(i32::from_be_bytes(arr(b)))
        }
        CqlType::BigInt | CqlType::Counter => {
            fixed(8, "Expected 8 or 0 byte long")?;
            Value::BigInt(i64::from_be_bytes(arr(b)))
        }
        CqlType::VarInt => {
            if b.is_empty() {
                return Err(ValueError::Empty(type_name(ty)));
            }
            Value::VarInt(normalize_varint(b).to_vec())
        }
        CqlType::Float => {
            fixed(4, "Expected 4 or 0 byte value for a float")?;
            Value::Float(f32::from_be_bytes(arr(b)))
        }
        CqlType::Double => {
            fixed(8, "Expected 8 or 0 byte value for a double")?;
            Value::Double(f64::from_be_bytes(arr(b)))
        }
        CqlType::Decimal => {
            if b.is_empty() {
                return Err(ValueError::Empty(type_name(ty)));
            }
            if b.len() < 4 {
                return Err(ValueError::marshal(format!(
                    "Expected 0 or at least 4 bytes ({})",
                    b.len()
                )));
            }
            let rest = normalize_varint(&b[4..]);
            Value::Decimal {
                scale: i32::from_be_bytes(arr(&b[..4])),
                unscaled: if rest.is_empty() {
                    vec![0]
                } else {
                    rest.to_vec()
                },
            }
        }
        CqlType::Uuid => {
            fixed(16, "UUID should be 16 or 0 bytes")?;
            Value::Uuid(arr(b))
        }
        CqlType::TimeUuid => {
            fixed(16, "TimeUUID should be 16 or 0 bytes")?;
            if b[6] & 0xf0 != 0x10 {
                return Err(ValueError::marshal("Unsupported UUID version for timeuuid"));
            }
            Value::Uuid(arr(b))
        }
        CqlType::Timestamp => {
            fixed(8, "Expected 8 or 0 byte long for date")?;
            Value::Timestamp(i64::from_be_bytes(arr(b)))
        }
        CqlType::Date => {
            fixed(4, "Expected 4 byte long for date")?;
            Value::Date(u32::from_be_bytes(arr(b)))
        }
        CqlType::Time => {
            fixed(8, "Expected 8 byte long for time")?;
            let ns = i64::from_be_bytes(arr(b));
            if !(0..=MAX_TIME_NANOS).contains(&ns) {
                return Err(ValueError::marshal(format!(
                    "Time value must be between 0 and {MAX_TIME_NANOS} nanoseconds ({ns})"
                )));
            }
            Value::Time(ns)
        }
        CqlType::Duration => decode_duration(b)?,
        CqlType::Blob => Value::Blob(Bytes::copy_from_slice(b)),
        CqlType::Inet => match b.len() {
            4 => Value::Inet(IpAddr::V4(Ipv4Addr::from(arr::<4>(b)))),
            16 => Value::Inet(IpAddr::V6(Ipv6Addr::from(arr::<16>(b)))),
            0 => return Err(ValueError::Empty(type_name(ty))),
            _ => {
                return Err(ValueError::marshal(format!(
                    "Expected 4 or 16 byte inetaddress; got {}",
                    hex(b)
                )))
            }
        },
        CqlType::List(elem) => Value::List(decode_elements(elem, b, "list")?),
        CqlType::Set(elem) => {
            let mut items = decode_elements(elem, b, "set")?;
            items.sort_by(|x, y| compare_values(elem, x, y));
            items.dedup_by(|x, y| compare_values(elem, x, y) == Ordering::Equal);
            Value::Set(items)
        }
        CqlType::Map(kt, vt) => Value::Map(decode_map(kt, vt, b)?),
        CqlType::Tuple(types) => Value::Tuple(decode_slots(types.iter(), b, "tuple")?),
        CqlType::Udt(udt) => Value::Udt(decode_slots(udt.fields.iter().map(|(_, t)| t), b, "UDT")?),
        // `unfrozen` never returns Frozen.
        CqlType::Frozen(inner) => return decode_value(inner, b),
    })
}

/// The largest `time`: one nanosecond before midnight.
pub const MAX_TIME_NANOS: i64 = 86_399_999_999_999;

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// Drops redundant sign bytes: `00 7f` is `7f`, `ff 80` is `80`.
fn normalize_varint(mut b: &[u8]) -> &[u8] {
    while b.len() > 1 && ((b[0] == 0 && b[1] & 0x80 == 0) || (b[0] == 0xff && b[1] & 0x80 != 0)) {
        b = &b[1..];
    }
    b
}

/// A bounds-checked cursor over one serialized collection, tuple or UDT.
struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }

    fn int(&mut self) -> Option<i32> {
        let s = self.b.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        Some(i32::from_be_bytes(arr(s)))
    }

    /// A `[bytes]`: `Ok(None)` for a negative length, `Err(())` when it runs past the end.
    fn bytes(&mut self) -> Result<Option<&'a [u8]>, ()> {
        let n = self.int().ok_or(())?;
        if n < 0 {
            return Ok(None);
        }
        let s = self.b.get(self.pos..self.pos + n as usize).ok_or(())?;
        self.pos += n as usize;
        Ok(Some(s))
    }
}

fn decode_elements(elem: &CqlType, b: &[u8], what: &str) -> Result<Vec<Value>, ValueError> {
    if b.is_empty() {
        return Ok(Vec::new());
    }
    let not_enough = || ValueError::marshal(format!("Not enough bytes to read a {what}"));
    let mut c = Cursor { b, pos: 0 };
    let n = c.int().ok_or_else(not_enough)?;
    if n < 0 {
        return Err(not_enough());
    }
    let mut items = Vec::with_capacity((n as usize).min(c.remaining() / 4));
    for _ in 0..n {
        match c.bytes().map_err(|_| not_enough())? {
            Some(e) => items.push(decode_value(elem, e)?),
            None => {
                return Err(ValueError::marshal(
                    "null is not supported inside collections",
                ))
            }
        }
    }
    if c.remaining() != 0 {
        return Err(ValueError::marshal(format!(
            "Unexpected extraneous bytes after {what} value"
        )));
    }
    Ok(items)
}

fn decode_map(kt: &CqlType, vt: &CqlType, b: &[u8]) -> Result<Vec<(Value, Value)>, ValueError> {
    if b.is_empty() {
        return Ok(Vec::new());
    }
    let not_enough = || ValueError::marshal("Not enough bytes to read a map");
    let null = || ValueError::marshal("null is not supported inside collections");
    let mut c = Cursor { b, pos: 0 };
    let n = c.int().ok_or_else(not_enough)?;
    if n < 0 {
        return Err(not_enough());
    }
    let mut entries = Vec::with_capacity((n as usize).min(c.remaining() / 8));
    for _ in 0..n {
        let k = c.bytes().map_err(|_| not_enough())?.ok_or_else(null)?;
        let v = c.bytes().map_err(|_| not_enough())?.ok_or_else(null)?;
        entries.push((decode_value(kt, k)?, decode_value(vt, v)?));
    }
    if c.remaining() != 0 {
        return Err(ValueError::marshal(
            "Unexpected extraneous bytes after map value",
        ));
    }
    // Stable sort, then keep the last of equal keys, as a map literal's later entry wins.
    entries.sort_by(|x, y| compare_values(kt, &x.0, &y.0));
    let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
    for e in entries {
        match out.last_mut() {
            Some(last) if compare_values(kt, &last.0, &e.0) == Ordering::Equal => *last = e,
            _ => out.push(e),
        }
    }
    Ok(out)
}

/// Tuple components or UDT fields; fewer than the type has are allowed (the rest are null).
fn decode_slots<'t>(
    types: impl ExactSizeIterator<Item = &'t CqlType>,
    b: &[u8],
    what: &str,
) -> Result<Vec<Option<Value>>, ValueError> {
    let mut c = Cursor { b, pos: 0 };
    let mut slots = Vec::with_capacity(types.len());
    for (i, ty) in types.enumerate() {
        if c.remaining() == 0 {
            slots.push(None);
            continue;
        }
        let slot = c.bytes().map_err(|_| {
            ValueError::marshal(format!(
                "Not enough bytes to read {i}th component of {what}"
            ))
        })?;
        slots.push(match slot {
            Some(s) => Some(decode_value(ty, s)?),
            None => None,
        });
    }
    if c.remaining() != 0 {
        return Err(ValueError::marshal(format!(
            "Invalid remaining data after end of {what} value"
        )));
    }
    Ok(slots)
}

fn decode_duration(b: &[u8]) -> Result<Value, ValueError> {
    if b.len() < 3 {
        if b.is_empty() {
            return Err(ValueError::Empty("duration".into()));
        }
        return Err(ValueError::marshal(format!(
            "Expected at least 3 bytes for a duration ({})",
            b.len()
        )));
    }
    let mut pos = 0;
    let months = read_vint(b, &mut pos)?;
    let days = read_vint(b, &mut pos)?;
    let nanos = read_vint(b, &mut pos)?;
    if pos != b.len() {
        return Err(ValueError::marshal(
            "Invalid duration: unexpected bytes after the nanoseconds",
        ));
    }
    let Ok(months) = i32::try_from(months) else {
        return Err(ValueError::marshal(format!(
            "The duration months must be a 32 bits integer but was: {months}"
        )));
    };
    let Ok(days) = i32::try_from(days) else {
        return Err(ValueError::marshal(format!(
            "The duration days must be a 32 bits integer but was: {days}"
        )));
    };
    if !((months >= 0 && days >= 0 && nanos >= 0) || (months <= 0 && days <= 0 && nanos <= 0)) {
        return Err(ValueError::marshal(format!(
            "The duration months, days and nanoseconds must be all of the same sign ({months}, {days}, {nanos})"
        )));
    }
    Ok(Value::Duration {
        months,
        days,
        nanos,
    })
}

fn read_vint(b: &[u8], pos: &mut usize) -> Result<i64, ValueError> {
    let truncated = || ValueError::marshal("Not enough bytes to read a duration");
    let first = *b.get(*pos).ok_or_else(truncated)?;
    let extra = first.leading_ones() as usize;
    let mut u: u64 = if extra >= 8 {
        0
    } else {
        u64::from(first & (0xff >> extra))
    };
    let rest = b.get(*pos + 1..*pos + 1 + extra).ok_or_else(truncated)?;
    for &byte in rest {
        u = (u << 8) | u64::from(byte);
    }
    *pos += 1 + extra;
    Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
}

// ---------------------------------------------------------------------------------------------
// Ordering
// ---------------------------------------------------------------------------------------------

/// Cassandra's order of two values of type `ty` (its `AbstractType.compare`): what sorts set
/// elements, map keys and, in the engine, clustering columns.
///
/// Durations are not comparable in Cassandra (they are refused in sets, map keys and
/// clustering columns); here they order by (months, days, nanos) so every value has a total order.
/// Values that do not match `ty` order by their variant, so a bug cannot cause a panic.
pub fn compare_values(ty: &CqlType, a: &Value, b: &Value) -> Ordering {
    match (ty.unfrozen(), a, b) {
        (CqlType::Uuid, Value::Uuid(x), Value::Uuid(y)) => compare_uuid(x, y),
        (CqlType::TimeUuid, Value::Uuid(x), Value::Uuid(y)) => compare_timeuuid(x, y),
        (CqlType::List(e), Value::List(x), Value::List(y))
        | (CqlType::Set(e), Value::Set(x), Value::Set(y)) => {
            compare_seq(x.iter(), y.iter(), |p, q| compare_values(e, p, q))
        }
        (CqlType::Map(kt, vt), Value::Map(x), Value::Map(y)) => {
            compare_seq(x.iter(), y.iter(), |p, q| {
                compare_values(kt, &p.0, &q.0).then_with(|| compare_values(vt, &p.1, &q.1))
            })
        }
        (CqlType::Tuple(types), Value::Tuple(x), Value::Tuple(y)) => {
            compare_slots(types.iter(), x, y)
        }
        (CqlType::Udt(udt), Value::Udt(x), Value::Udt(y)) => {
            compare_slots(udt.fields.iter().map(|(_, t)| t), x, y)
        }
        (_, a, b) => compare_scalars(a, b),
    }
}

fn compare_scalars(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Boolean(x), Value::Boolean(y)) => x.cmp(y),
        (Value::TinyInt(x), Value::TinyInt(y)) => x.cmp(y),
        (Value::SmallInt(x), Value::SmallInt(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::BigInt(x), Value::BigInt(y)) => x.cmp(y),
        (Value::VarInt(x), Value::VarInt(y)) => compare_varint(x, y),
        (Value::Float(x), Value::Float(y)) => java_float_cmp(f64::from(*x), f64::from(*y)),
        (Value::Double(x), Value::Double(y)) => java_float_cmp(*x, *y),
        (
            Value::Decimal {
                scale: sa,
                unscaled: ua,
            },
            Value::Decimal {
                scale: sb,
                unscaled: ub,
            },
        ) => compare_decimal(*sa, ua, *sb, ub),
        (Value::Uuid(x), Value::Uuid(y)) => compare_uuid(x, y),
        (Value::Timestamp(x), Value::Timestamp(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::Time(x), Value::Time(y)) => x.cmp(y),
        (
            Value::Duration {
                months: m1,
                days: d1,
                nanos: n1,
            },
            Value::Duration {
                months: m2,
                days: d2,
                nanos: n2,
            },
        ) => (m1, d1, n1).cmp(&(m2, d2, n2)),
        (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
        (Value::Inet(x), Value::Inet(y)) => inet_bytes(x).cmp(&inet_bytes(y)),
        // Collections and tuples without a matching type: elementwise by the values alone.
        (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => {
            compare_seq(x.iter(), y.iter(), |p, q| compare_scalars(p, q))
        }
        (Value::Map(x), Value::Map(y)) => compare_seq(x.iter(), y.iter(), |p, q| {
            compare_scalars(&p.0, &q.0).then_with(|| compare_scalars(&p.1, &q.1))
        }),
        (Value::Tuple(x), Value::Tuple(y)) | (Value::Udt(x), Value::Udt(y)) => {
            compare_seq(x.iter(), y.iter(), |p, q| match (p, q) {
                (Some(p), Some(q)) => compare_scalars(p, q),
                (p, q) => p.is_some().cmp(&q.is_some()),
            })
        }
        (a, b) => variant_rank(a).cmp(&variant_rank(b)),
    }
}

fn variant_rank(v: &Value) -> u8 {
    match v {
        Value::Text(_) => 0,
        Value::Boolean(_) => 1,
        Value::TinyInt(_) => 2,
        Value::SmallInt(_) => 3,
        Value::Int(_) => 4,
        Value::BigInt(_) => 5,
        Value::VarInt(_) => 6,
        Value::Float(_) => 7,
        Value::Double(_) => 8,
        Value::Decimal { .. } => 9,
        Value::Uuid(_) => 10,
        Value::Timestamp(_) => 11,
        Value::Date(_) => 12,
        Value::Time(_) => 13,
        Value::Duration { .. } => 14,
        Value::Blob(_) => 15,
        Value::Inet(_) => 16,
        Value::List(_) => 17,
        Value::Set(_) => 18,
        Value::Map(_) => 19,
        Value::Tuple(_) => 20,
        Value::Udt(_) => 21,
    }
}

fn compare_seq<T>(
    a: impl Iterator<Item = T>,
    mut b: impl Iterator<Item = T>,
    mut cmp: impl FnMut(&T, &T) -> Ordering,
) -> Ordering {
    for x in a {
        match b.next() {
            None => return Ordering::Greater,
            Some(y) => match cmp(&x, &y) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
    if b.next().is_some() {
        Ordering::Less
    } else {
        Ordering::Equal
    }
}

/// Component-wise; null sorts before any value, and missing trailing components are null.
fn compare_slots<'t>(
    types: impl Iterator<Item = &'t CqlType>,
    a: &[Option<Value>],
    b: &[Option<Value>],
) -> Ordering {
    for (i, ty) in types.enumerate() {
        let o = match (
            a.get(i).and_then(Option::as_ref),
            b.get(i).and_then(Option::as_ref),
        ) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => compare_values(ty, x, y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Java's `Double.compare`: -0.0 before 0.0, NaN after everything and equal to itself.
fn java_float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.total_cmp(&b),
    }
}

fn inet_bytes(ip: &IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// The 60-bit timestamp of a version 1 UUID: time_hi (less the version), time_mid, time_low.
fn uuid_timestamp(u: &[u8; 16]) -> u64 {
    (u64::from(u[6] & 0x0f) << 56)
        | (u64::from(u[7]) << 48)
        | (u64::from(u[4]) << 40)
        | (u64::from(u[5]) << 32)
        | u64::from(u32::from_be_bytes([u[0], u[1], u[2], u[3]]))
}

/// Cassandra's `UUIDType`: by version; version 1 UUIDs then by timestamp; then all 16 bytes
/// unsigned.
fn compare_uuid(a: &[u8; 16], b: &[u8; 16]) -> Ordering {
    let (va, vb) = (a[6] >> 4, b[6] >> 4);
    va.cmp(&vb)
        .then_with(|| {
            if va == 1 {
                uuid_timestamp(a).cmp(&uuid_timestamp(b))
            } else {
                Ordering::Equal
            }
        })
        .then_with(|| a.cmp(b))
}

/// Cassandra's `TimeUUIDType`: by timestamp, then the clock sequence and node bytes compared
/// as *signed* bytes (kept for compatibility with its old `ByteBuffer.compareTo`).
fn compare_timeuuid(a: &[u8; 16], b: &[u8; 16]) -> Ordering {
    uuid_timestamp(a).cmp(&uuid_timestamp(b)).then_with(|| {
        let sa = a[8..].iter().map(|&x| x as i8);
        let sb = b[8..].iter().map(|&x| x as i8);
        sa.cmp(sb)
    })
}

fn varint_sign(b: &[u8]) -> i8 {
    match b.first() {
        None => 0,
        Some(&x) if x & 0x80 != 0 => -1,
        _ if b.iter().all(|&x| x == 0) => 0,
        _ => 1,
    }
}

/// Numeric order of two big-endian two's complement integers of any length.
fn compare_varint(a: &[u8], b: &[u8]) -> Ordering {
    let (a, b) = (normalize_varint(a), normalize_varint(b));
    let (sa, sb) = (varint_sign(a), varint_sign(b));
    if sa != sb {
        return sa.cmp(&sb);
    }
    let by_len = a.len().cmp(&b.len());
    // Same sign: a longer positive is bigger, a longer negative is smaller; same length compares
    // bytewise unsigned either way.
    let by_len = if sa < 0 { by_len.reverse() } else { by_len };
    by_len.then_with(|| a.cmp(b))
}

/// Numeric order of two decimals. With d the decimal digits of |unscaled| and
/// `adj = len(d) - 1 - scale` the exponent of the leading digit, a nonzero value is
/// `0.d × 10^(adj+1)`: equal signs and exponents leave a digit-by-digit comparison. No scaling
/// by powers of ten, so a scale of 2^31 costs nothing.
fn compare_decimal(sa: i32, ua: &[u8], sb: i32, ub: &[u8]) -> Ordering {
    let (ga, gb) = (varint_sign(ua), varint_sign(ub));
    if ga != gb || ga == 0 {
        return ga.cmp(&gb);
    }
    let da = magnitude_digits(ua);
    let db = magnitude_digits(ub);
    let adj_a = da.len() as i64 - 1 - i64::from(sa);
    let adj_b = db.len() as i64 - 1 - i64::from(sb);
    let mag = adj_a.cmp(&adj_b).then_with(|| {
        let ta = da.trim_end_matches('0');
        let tb = db.trim_end_matches('0');
        ta.cmp(tb)
    });
    if ga < 0 {
        mag.reverse()
    } else {
        mag
    }
}

// ---------------------------------------------------------------------------------------------
// Type options and names
// ---------------------------------------------------------------------------------------------

const DURATION_CLASS: &str = "org.apache.cassandra.db.marshal.DurationType";

/// Writes the `[option]` describing `ty` in result metadata (spec 4.2.5.2). `duration` has no
/// native id before v5: Cassandra sends it to v4 clients as the custom type
/// `org.apache.cassandra.db.marshal.DurationType` (its `DataType.DURATION` requires V5), and so
/// do we. Frozen types are described as their inner type.
pub fn encode_type_option(ty: &CqlType, out: &mut impl BufMut) {
    let id: u16 = match ty {
        CqlType::Ascii => 0x0001,
        CqlType::BigInt => 0x0002,
        CqlType::Blob => 0x0003,
        CqlType::Boolean => 0x0004,
        CqlType::Counter => 0x0005,
        CqlType::Decimal => 0x0006,
        CqlType::Double => 0x0007,
        CqlType::Float => 0x0008,
        CqlType::Int => 0x0009,
        CqlType::Timestamp => 0x000B,
        CqlType::Uuid => 0x000C,
        CqlType::Text => 0x000D,
        CqlType::VarInt => 0x000E,
        CqlType::TimeUuid => 0x000F,
        CqlType::Inet => 0x0010,
        CqlType::Date => 0x0011,
        CqlType::Time => 0x0012,
        CqlType::SmallInt => 0x0013,
        CqlType::TinyInt => 0x0014,
        CqlType::Duration => {
            out.put_u16(0x0000);
            crate::cql::frame::wire::put_string(out, DURATION_CLASS);
            return;
        }
        CqlType::List(e) => {
            out.put_u16(0x0020);
            encode_type_option(e, out);
            return;
        }
        CqlType::Map(k, v) => {
            out.put_u16(0x0021);
            encode_type_option(k, out);
            encode_type_option(v, out);
            return;
        }
        CqlType::Set(e) => {
            out.put_u16(0x0022);
            encode_type_option(e, out);
            return;
        }
        CqlType::Udt(udt) => {
            out.put_u16(0x0030);
            encode_udt_option(udt, out);
            return;
        }
        CqlType::Tuple(types) => {
            out.put_u16(0x0031);
            out.put_u16(types.len() as u16);
            for t in types {
                encode_type_option(t, out);
            }
            return;
        }
        CqlType::Frozen(inner) => return encode_type_option(inner, out),
    };
    out.put_u16(id);
}

fn encode_udt_option(udt: &UdtType, out: &mut impl BufMut) {
    use crate::cql::frame::wire::put_string;
    put_string(out, &udt.keyspace);
    put_string(out, &udt.name);
    out.put_u16(udt.fields.len() as u16);
    for (name, t) in &udt.fields {
        put_string(out, name);
        encode_type_option(t, out);
    }
}

/// The CQL name of a type as Cassandra 4 shows it in `system_schema.columns.type` and DESCRIBE:
/// `map<text, frozen<list<int>>>`, `frozen<address>` (UDTs by name, without keyspace),
/// `frozen<tuple<int, text>>` (tuples are always frozen). Collections and UDTs nested inside
/// another type are always frozen and say so.
pub fn type_name(ty: &CqlType) -> String {
    let mut s = String::new();
    write_type_name(&mut s, ty, false);
    s
}

fn write_type_name(s: &mut String, ty: &CqlType, frozen: bool) {
    let simple = match ty {
        CqlType::Ascii => "ascii",
        CqlType::Text => "text",
        CqlType::Boolean => "boolean",
        CqlType::TinyInt => "tinyint",
        CqlType::SmallInt => "smallint",
        CqlType::Int => "int",
        CqlType::BigInt => "bigint",
        CqlType::VarInt => "varint",
        CqlType::Float => "float",
        CqlType::Double => "double",
        CqlType::Decimal => "decimal",
        CqlType::Uuid => "uuid",
        CqlType::TimeUuid => "timeuuid",
        CqlType::Timestamp => "timestamp",
        CqlType::Date => "date",
        CqlType::Time => "time",
        CqlType::Duration => "duration",
        CqlType::Blob => "blob",
        CqlType::Inet => "inet",
        CqlType::Counter => "counter",
        CqlType::Frozen(inner) => return write_type_name(s, inner, true),
        CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..) | CqlType::Udt(_) => {
            if frozen {
                s.push_str("frozen<");
            }
            match ty {
                CqlType::List(e) => {
                    s.push_str("list<");
                    write_type_name(s, e, true);
                    s.push('>');
                }
                CqlType::Set(e) => {
                    s.push_str("set<");
                    write_type_name(s, e, true);
                    s.push('>');
                }
                CqlType::Map(k, v) => {
                    s.push_str("map<");
                    write_type_name(s, k, true);
                    s.push_str(", ");
                    write_type_name(s, v, true);
                    s.push('>');
                }
                CqlType::Udt(udt) => s.push_str(&maybe_quote(&udt.name)),
                _ => {}
            }
            if frozen {
                s.push('>');
            }
            return;
        }
        CqlType::Tuple(types) => {
            s.push_str("frozen<tuple<");
            for (i, t) in types.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write_type_name(s, t, true);
            }
            s.push_str(">>");
            return;
        }
    };
    s.push_str(simple);
}

/// An identifier as CQL prints it: bare when it is a lowercase identifier, else double-quoted.
/// (Cassandra also quotes reserved keywords; that list belongs to the parser.)
pub fn maybe_quote(id: &str) -> String {
    let mut chars = id.chars();
    let bare = matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if bare {
        id.to_string()
    } else {
        format!("\"{}\"", id.replace('"', "\"\""))
    }
}

// ---------------------------------------------------------------------------------------------
// Text forms
// ---------------------------------------------------------------------------------------------

/// A value as a CQL literal, as DESCRIBE and cqlsh print it: `'it''s'`, `0xcafe`, bare uuids,
/// `'2024-01-01 00:00:00.000+0000'`, `[1, 2]`, `{'a': 1}`, `(1, 'x')`, `{street: 'Main'}`.
/// `ty` supplies UDT field names; everything else follows from the value.
pub fn value_to_cql_literal(ty: &CqlType, v: &Value) -> String {
    let mut s = String::new();
    write_literal(&mut s, ty, v);
    s
}

fn write_literal(s: &mut String, ty: &CqlType, v: &Value) {
    let ty = ty.unfrozen();
    match v {
        Value::Text(t) => {
            s.push('\'');
            s.push_str(&t.replace('\'', "''"));
            s.push('\'');
        }
        Value::Float(f) => write_float(s, f64::from(*f), true, false),
        Value::Double(f) => write_float(s, *f, false, false),
        Value::Timestamp(ms) => {
            s.push('\'');
            write_timestamp(s, *ms);
            s.push_str("+0000'");
        }
        Value::Date(d) => {
            s.push('\'');
            write_date(s, *d);
            s.push('\'');
        }
        Value::Time(ns) => {
            s.push('\'');
            write_time(s, *ns);
            s.push('\'');
        }
        Value::Inet(ip) => {
            let _ = write!(s, "'{ip}'");
        }
        Value::List(items) => {
            let elem = element_type(ty);
            write_joined(s, '[', ']', items, |s, x| write_literal(s, elem, x));
        }
        Value::Set(items) => {
            let elem = element_type(ty);
            write_joined(s, '{', '}', items, |s, x| write_literal(s, elem, x));
        }
        Value::Map(entries) => {
            let (kt, vt) = map_types(ty);
            write_joined(s, '{', '}', entries, |s, (k, v)| {
                write_literal(s, kt, k);
                s.push_str(": ");
                write_literal(s, vt, v);
            });
        }
        Value::Tuple(slots) => {
            let types: &[CqlType] = match ty {
                CqlType::Tuple(t) => t,
                _ => &[],
            };
            write_joined(s, '(', ')', slots.iter().enumerate(), |s, (i, x)| match x {
                Some(x) => write_literal(s, types.get(i).unwrap_or(&CqlType::Blob), x),
                None => s.push_str("null"),
            });
        }
        Value::Udt(slots) => {
            let fields = udt_fields(ty);
            write_joined(s, '{', '}', slots.iter().enumerate(), |s, (i, x)| {
                let (name, fty) = field_at(fields, i);
                s.push_str(&maybe_quote(&name));
                s.push_str(": ");
                match x {
                    Some(x) => write_literal(s, fty, x),
                    None => s.push_str("null"),
                }
            });
        }
        other => write_plain_scalar(s, other),
    }
}

/// A value as SELECT JSON renders it (Cassandra's `toJSONString`): strings, uuids, inets, blobs
/// (`"0x.."`), timestamps (`"2024-01-02 03:04:05.678Z"`), dates, times and durations are JSON
/// strings; numbers and booleans are bare (NaN and infinities become `null`); lists, sets and
/// tuples are arrays; maps and UDTs are objects, with map keys turned into JSON strings.
pub fn value_to_json(ty: &CqlType, v: &Value) -> String {
    let mut s = String::new();
    write_json(&mut s, ty, v);
    s
}

fn write_json(s: &mut String, ty: &CqlType, v: &Value) {
    let ty = ty.unfrozen();
    match v {
        Value::Text(t) => write_json_string(s, t),
        Value::Float(f) => write_float(s, f64::from(*f), true, true),
        Value::Double(f) => write_float(s, *f, false, true),
        Value::Uuid(u) => write_json_string(s, &uuid_string(u)),
        Value::Timestamp(ms) => {
            let mut t = String::new();
            write_timestamp(&mut t, *ms);
            t.push('Z');
            write_json_string(s, &t);
        }
        Value::Date(d) => {
            let mut t = String::new();
            write_date(&mut t, *d);
            write_json_string(s, &t);
        }
        Value::Time(ns) => {
            let mut t = String::new();
            write_time(&mut t, *ns);
            write_json_string(s, &t);
        }
        Value::Duration { .. } | Value::Blob(_) => {
            let mut t = String::new();
            write_plain_scalar(&mut t, v);
            write_json_string(s, &t);
        }
        Value::Inet(ip) => write_json_string(s, &ip.to_string()),
        Value::List(items) | Value::Set(items) => {
            let elem = element_type(ty);
            write_joined(s, '[', ']', items, |s, x| write_json(s, elem, x));
        }
        Value::Map(entries) => {
            let (kt, vt) = map_types(ty);
            write_joined(s, '{', '}', entries, |s, (k, v)| {
                let key = value_to_json(kt, k);
                if key.starts_with('"') {
                    s.push_str(&key);
                } else {
                    write_json_string(s, &key);
                }
                s.push_str(": ");
                write_json(s, vt, v);
            });
        }
        Value::Tuple(slots) => {
            let types: &[CqlType] = match ty {
                CqlType::Tuple(t) => t,
                _ => &[],
            };
            write_joined(s, '[', ']', slots.iter().enumerate(), |s, (i, x)| match x {
                Some(x) => write_json(s, types.get(i).unwrap_or(&CqlType::Blob), x),
                None => s.push_str("null"),
            });
        }
        Value::Udt(slots) => {
            let fields = udt_fields(ty);
            write_joined(s, '{', '}', slots.iter().enumerate(), |s, (i, x)| {
                let (name, fty) = field_at(fields, i);
                // Cassandra double-quotes case-sensitive field names inside the JSON key.
                if name.chars().any(|c| c.is_uppercase()) {
                    write_json_string(s, &format!("\"{name}\""));
                } else {
                    write_json_string(s, &name);
                }
                s.push_str(": ");
                match x {
                    Some(x) => write_json(s, fty, x),
                    None => s.push_str("null"),
                }
            });
        }
        other => write_plain_scalar(s, other),
    }
}

/// Scalars whose literal and JSON forms agree, bare: booleans, integers, decimals, uuids,
/// blobs, durations.
fn write_plain_scalar(s: &mut String, v: &Value) {
    match v {
        Value::Boolean(b) => s.push_str(if *b { "true" } else { "false" }),
        Value::TinyInt(n) => {
            let _ = write!(s, "{n}");
        }
        Value::SmallInt(n) => {
            let _ = write!(s, "{n}");
        }
        Value::Int(n) => {
            let _ = write!(s, "{n}");
        }
        Value::BigInt(n) => {
            let _ = write!(s, "{n}");
        }
        Value::VarInt(b) => s.push_str(&varint_to_string(b)),
        Value::Decimal { scale, unscaled } => s.push_str(&decimal_to_string(*scale, unscaled)),
        Value::Uuid(u) => s.push_str(&uuid_string(u)),
        Value::Blob(b) => {
            s.push_str("0x");
            s.push_str(&hex(b));
        }
        Value::Duration {
            months,
            days,
            nanos,
        } => write_duration(s, *months, *days, *nanos),
        // Handled by the callers; kept total so a new variant cannot panic.
        other => {
            let _ = write!(s, "{other:?}");
        }
    }
}

fn write_joined<I: IntoIterator>(
    s: &mut String,
    open: char,
    close: char,
    items: I,
    mut each: impl FnMut(&mut String, I::Item),
) {
    s.push(open);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        each(s, item);
    }
    s.push(close);
}

fn element_type(ty: &CqlType) -> &CqlType {
    match ty {
        CqlType::List(e) | CqlType::Set(e) => e,
        _ => &CqlType::Blob,
    }
}

fn map_types(ty: &CqlType) -> (&CqlType, &CqlType) {
    match ty {
        CqlType::Map(k, v) => (k, v),
        _ => (&CqlType::Blob, &CqlType::Blob),
    }
}

fn udt_fields(ty: &CqlType) -> &[(String, CqlType)] {
    match ty {
        CqlType::Udt(u) => &u.fields,
        _ => &[],
    }
}

fn field_at(fields: &[(String, CqlType)], i: usize) -> (String, &CqlType) {
    match fields.get(i) {
        Some((name, ty)) => (name.clone(), ty),
        None => (format!("field{i}"), &CqlType::Blob),
    }
}

fn write_json_string(s: &mut String, t: &str) {
    s.push('"');
    for c in t.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
}

/// Floats in the shortest form that reads back exactly. CQL spells the specials `NaN` and
/// `Infinity`; JSON has none, and Cassandra writes `null` for them.
fn write_float(s: &mut String, f: f64, single: bool, json: bool) {
    if !f.is_finite() {
        if json {
            s.push_str("null");
        } else if f.is_nan() {
            s.push_str("NaN");
        } else if f > 0.0 {
            s.push_str("Infinity");
        } else {
            s.push_str("-Infinity");
        }
        return;
    }
    if single {
        let _ = write!(s, "{:?}", f as f32);
    } else {
        let _ = write!(s, "{f:?}");
    }
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

fn uuid_string(u: &[u8; 16]) -> String {
    uuid::Uuid::from_bytes(*u).hyphenated().to_string()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn write_civil_date(s: &mut String, days: i64) {
    let (y, m, d) = civil_from_days(days);
    if y < 0 {
        let _ = write!(s, "-{:04}-{m:02}-{d:02}", -y);
    } else if y > 9999 {
        let _ = write!(s, "+{y}-{m:02}-{d:02}");
    } else {
        let _ = write!(s, "{y:04}-{m:02}-{d:02}");
    }
}

/// `yyyy-mm-dd hh:mm:ss.SSS` in UTC, without the zone.
fn write_timestamp(s: &mut String, ms: i64) {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    write_civil_date(s, days);
    let (h, rest) = (in_day / 3_600_000, in_day % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (sec, milli) = (rest / 1000, rest % 1000);
    let _ = write!(s, " {h:02}:{m:02}:{sec:02}.{milli:03}");
}

/// A `date` (days with the epoch at 2^31) as `yyyy-mm-dd`.
fn write_date(s: &mut String, d: u32) {
    write_civil_date(s, i64::from(d) - (1i64 << 31));
}

/// A `time` as Cassandra prints it: `hh:mm:ss.nnnnnnnnn`.
fn write_time(s: &mut String, ns: i64) {
    let (h, rest) = (ns / 3_600_000_000_000, ns % 3_600_000_000_000);
    let (m, rest) = (rest / 60_000_000_000, rest % 60_000_000_000);
    let (sec, nanos) = (rest / 1_000_000_000, rest % 1_000_000_000);
    let _ = write!(s, "{h:02}:{m:02}:{sec:02}.{nanos:09}");
}

/// Cassandra's `Duration.toString`: `1y2mo3d4h5m6s7ms8us9ns`, units with a zero amount left
/// out, one leading `-` for a negative duration. The zero duration, which Cassandra prints as
/// an empty string, is `0s` here so it reads back as a literal.
fn write_duration(s: &mut String, months: i32, days: i32, nanos: i64) {
    if months == 0 && days == 0 && nanos == 0 {
        s.push_str("0s");
        return;
    }
    if months < 0 || days < 0 || nanos < 0 {
        s.push('-');
    }
    let mut part = |value: u64, divisor: u64, unit: &str| -> u64 {
        if value == 0 || value < divisor {
            return value;
        }
        let _ = write!(s, "{}{unit}", value / divisor);
        value % divisor
    };
    let months = u64::from(months.unsigned_abs());
    let rest = part(months, 12, "y");
    part(rest, 1, "mo");
    part(u64::from(days.unsigned_abs()), 1, "d");
    let mut rest = nanos.unsigned_abs();
    for (div, unit) in [
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ] {
        rest = part(rest, div, unit);
    }
}

/// The decimal digits of |v| for a two's complement big-endian integer.
fn magnitude_digits(b: &[u8]) -> String {
    let b = normalize_varint(b);
    let negative = b.first().is_some_and(|&x| x & 0x80 != 0);
    let mut mag: Vec<u8> = b.to_vec();
    if negative {
        // Two's complement negation: invert, add one.
        for x in mag.iter_mut() {
            *x = !*x;
        }
        for x in mag.iter_mut().rev() {
            let (sum, carry) = x.overflowing_add(1);
            *x = sum;
            if !carry {
                break;
            }
        }
    }
    // Repeated division by 10^9 over base-2^32 limbs (most significant first).
    let mut limbs: Vec<u32> = Vec::with_capacity(mag.len() / 4 + 1);
    let pad = (4 - mag.len() % 4) % 4;
    let padded: Vec<u8> = std::iter::repeat_n(0u8, pad).chain(mag).collect();
    for chunk in padded.chunks(4) {
        limbs.push(u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]));
    }
    let mut groups: Vec<u32> = Vec::new();
    loop {
        while limbs.first() == Some(&0) {
            limbs.remove(0);
        }
        if limbs.is_empty() {
            break;
        }
        let mut rem: u64 = 0;
        for limb in limbs.iter_mut() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / 1_000_000_000) as u32;
            rem = cur % 1_000_000_000;
        }
        groups.push(rem as u32);
    }
    let mut s = String::new();
    match groups.split_last() {
        None => s.push('0'),
        Some((top, rest)) => {
            let _ = write!(s, "{top}");
            for g in rest.iter().rev() {
                let _ = write!(s, "{g:09}");
            }
        }
    }
    s
}

/// A varint in decimal.
pub fn varint_to_string(b: &[u8]) -> String {
    let digits = magnitude_digits(b);
    if varint_sign(b) < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// A decimal as Java's `BigDecimal.toString` writes it: plain when the scale is not negative and
/// the exponent of the leading digit is at least -6 (`123.4567`, `0.00012`), otherwise
/// scientific (`1.23E+5`, `1E-7`). That bounds the output by the input, whatever the scale.
pub fn decimal_to_string(scale: i32, unscaled: &[u8]) -> String {
    let digits = magnitude_digits(unscaled);
    let mut s = String::new();
    if varint_sign(unscaled) < 0 {
        s.push('-');
    }
    let n = digits.len() as i64;
    let scale = i64::from(scale);
    let adjusted = n - 1 - scale;
    if scale >= 0 && adjusted >= -6 {
        if scale == 0 {
            s.push_str(&digits);
        } else if n > scale {
            let point = (n - scale) as usize;
            s.push_str(&digits[..point]);
            s.push('.');
            s.push_str(&digits[point..]);
        } else {
            s.push_str("0.");
            for _ in 0..(scale - n) {
                s.push('0');
            }
            s.push_str(&digits);
        }
    } else {
        s.push_str(&digits[..1]);
        if n > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('E');
        if adjusted > 0 {
            s.push('+');
        }
        let _ = write!(s, "{adjusted}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn enc(ty: &CqlType, v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode_value(ty, v, &mut out).unwrap();
        out
    }

    fn list(t: CqlType) -> CqlType {
        CqlType::List(Box::new(t))
    }
    fn set(t: CqlType) -> CqlType {
        CqlType::Set(Box::new(t))
    }
    fn map(k: CqlType, v: CqlType) -> CqlType {
        CqlType::Map(Box::new(k), Box::new(v))
    }
    fn frozen(t: CqlType) -> CqlType {
        CqlType::Frozen(Box::new(t))
    }
    fn text(s: &str) -> Value {
        Value::Text(s.to_string())
    }
    fn address() -> CqlType {
        CqlType::Udt(Box::new(UdtType {
            keyspace: "ks".into(),
            name: "address".into(),
            fields: vec![
                ("street".into(), CqlType::Text),
                ("zip".into(), CqlType::Int),
            ],
        }))
    }
    fn uuid(s: &str) -> [u8; 16] {
        *uuid::Uuid::parse_str(s).unwrap().as_bytes()
    }
    fn epoch_day(y: i64, m: u32, d: u32) -> u32 {
        ((1i64 << 31) + days_from_civil(y, m, d)) as u32
    }

    /// Serialized by the DataStax Python driver 3.30.1 (`cassandra.cqltypes.*.serialize`,
    /// protocol v4); regenerate with the script in the CQL front-end's test notes.
    fn python_vectors() -> Vec<(&'static str, CqlType, Value, &'static str)> {
        let ts = days_from_civil(2024, 1, 2) * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5_678;
        vec![
            ("ascii", CqlType::Ascii, text("hello"), "68656c6c6f"),
            (
                "text",
                CqlType::Text,
                text("héllo wörld ☃"),
                "68c3a96c6c6f2077c3b6726c6420e29883",
            ),
            ("bool_t", CqlType::Boolean, Value::Boolean(true), "01"),
            ("bool_f", CqlType::Boolean, Value::Boolean(false), "00"),
            ("tinyint", CqlType::TinyInt, Value::TinyInt(-5), "fb"),
            (
                "smallint",
                CqlType::SmallInt,
                Value::SmallInt(-1234),
                "fb2e",
            ),
            ("int", CqlType::Int, Value::Int(-123_456_789), "f8a432eb"),
            (
                "bigint",
                CqlType::BigInt,
                Value::BigInt(-1_234_567_890_123_456_789),
                "eeddef0b82167eeb",
            ),
            (
                "counter",
                CqlType::Counter,
                Value::BigInt(99),
                "0000000000000063",
            ),
            ("varint_0", CqlType::VarInt, Value::VarInt(vec![0]), "00"),
            (
                "varint_128",
                CqlType::VarInt,
                Value::VarInt(vec![0, 0x80]),
                "0080",
            ),
            (
                "varint_-129",
                CqlType::VarInt,
                Value::VarInt(vec![0xff, 0x7f]),
                "ff7f",
            ),
            (
                "varint_big",
                CqlType::VarInt,
                Value::VarInt(unhex("018ee90ff6c373e0ee4e3f0ad2")),
                "018ee90ff6c373e0ee4e3f0ad2",
            ),
            ("float", CqlType::Float, Value::Float(1.5), "3fc00000"),
            (
                "double",
                CqlType::Double,
                Value::Double(-2.25e100),
                "d4c492e2ca475bed",
            ),
            (
                "decimal",
                CqlType::Decimal,
                Value::Decimal {
                    scale: 4,
                    unscaled: unhex("ed2979"),
                },
                "00000004ed2979",
            ),
            (
                "uuid",
                CqlType::Uuid,
                Value::Uuid(uuid("550e8400-e29b-41d4-a716-446655440000")),
                "550e8400e29b41d4a716446655440000",
            ),
            (
                "timeuuid",
                CqlType::TimeUuid,
                Value::Uuid(uuid("d2177dd0-eaa2-11de-a572-001b779c76e3")),
                "d2177dd0eaa211dea572001b779c76e3",
            ),
            (
                "timestamp",
                CqlType::Timestamp,
                Value::Timestamp(ts),
                "0000018cc820db2e",
            ),
            (
                "timestamp_neg",
                CqlType::Timestamp,
                Value::Timestamp(-1),
                "ffffffffffffffff",
            ),
            (
                "date",
                CqlType::Date,
                Value::Date(epoch_day(2024, 2, 29)),
                "80004d46",
            ),
            (
                "date_old",
                CqlType::Date,
                Value::Date(epoch_day(1, 1, 1)),
                "7ff506c6",
            ),
            (
                "time",
                CqlType::Time,
                Value::Time(((13 * 60 + 14) * 60 + 15) * 1_000_000_000 + 123_456_000),
                "00002b5792b49000",
            ),
            (
                "duration",
                CqlType::Duration,
                Value::Duration {
                    months: 14,
                    days: 3,
                    nanos: 1_234_567_890_123,
                },
                "1c06fa3ee3f60996",
            ),
            (
                "duration_neg",
                CqlType::Duration,
                Value::Duration {
                    months: -1,
                    days: -2,
                    nanos: -3,
                },
                "010305",
            ),
            (
                "blob",
                CqlType::Blob,
                Value::Blob(Bytes::from_static(&[0, 0xff, 0x10])),
                "00ff10",
            ),
            (
                "inet4",
                CqlType::Inet,
                Value::Inet("192.168.1.20".parse().unwrap()),
                "c0a80114",
            ),
            (
                "inet6",
                CqlType::Inet,
                Value::Inet("2001:db8::1".parse().unwrap()),
                "20010db8000000000000000000000001",
            ),
            (
                "list<int>",
                list(CqlType::Int),
                Value::List(vec![Value::Int(3), Value::Int(1), Value::Int(2)]),
                "00000003000000040000000300000004000000010000000400000002",
            ),
            (
                "set<text>",
                set(CqlType::Text),
                Value::Set(vec![text("a"), text("b"), text("c")]),
                "00000003000000016100000001620000000163",
            ),
            (
                "map<text,int>",
                map(CqlType::Text, CqlType::Int),
                Value::Map(vec![(text("a"), Value::Int(1)), (text("b"), Value::Int(2))]),
                "000000020000000161000000040000000100000001620000000400000002",
            ),
            (
                "tuple<int,text,boolean>",
                CqlType::Tuple(vec![CqlType::Int, CqlType::Text, CqlType::Boolean]),
                Value::Tuple(vec![Some(Value::Int(5)), Some(text("x")), None]),
                "00000004000000050000000178ffffffff",
            ),
            (
                "address",
                frozen(address()),
                Value::Udt(vec![Some(text("Main St")), Some(Value::Int(12345))]),
                "000000074d61696e2053740000000400003039",
            ),
            (
                "list<frozen<list<int>>>",
                list(frozen(list(CqlType::Int))),
                Value::List(vec![
                    Value::List(vec![Value::Int(1), Value::Int(2)]),
                    Value::List(vec![]),
                ]),
                "000000020000001400000002000000040000000100000004000000020000000400000000",
            ),
        ]
    }

    #[test]
    fn python_driver_bytes_decode_and_encode() {
        for (name, ty, value, hexed) in python_vectors() {
            let bytes = unhex(hexed);
            assert_eq!(decode_value(&ty, &bytes).unwrap(), value, "decode {name}");
            assert_eq!(enc(&ty, &value), bytes, "encode {name}");
        }
    }

    #[test]
    fn every_type_round_trips() {
        let extra = vec![
            (CqlType::Text, text("")),
            (CqlType::Blob, Value::Blob(Bytes::new())),
            (CqlType::TinyInt, Value::TinyInt(i8::MIN)),
            (CqlType::SmallInt, Value::SmallInt(i16::MAX)),
            (CqlType::Int, Value::Int(i32::MIN)),
            (CqlType::BigInt, Value::BigInt(i64::MAX)),
            (CqlType::Float, Value::Float(f32::NEG_INFINITY)),
            (CqlType::Double, Value::Double(f64::MIN_POSITIVE)),
            (CqlType::Time, Value::Time(MAX_TIME_NANOS)),
            (CqlType::Date, Value::Date(0)),
            (CqlType::Date, Value::Date(u32::MAX)),
            (
                CqlType::Duration,
                Value::Duration {
                    months: i32::MAX,
                    days: i32::MAX,
                    nanos: i64::MAX,
                },
            ),
            (
                CqlType::Duration,
                Value::Duration {
                    months: i32::MIN,
                    days: i32::MIN,
                    nanos: i64::MIN,
                },
            ),
            (
                CqlType::Duration,
                Value::Duration {
                    months: 0,
                    days: 0,
                    nanos: 0,
                },
            ),
            (
                map(CqlType::Int, set(CqlType::Text)),
                Value::Map(vec![(
                    Value::Int(1),
                    Value::Set(vec![text("x"), text("y")]),
                )]),
            ),
            (
                CqlType::Tuple(vec![CqlType::Int, address()]),
                Value::Tuple(vec![
                    None,
                    Some(Value::Udt(vec![None, Some(Value::Int(1))])),
                ]),
            ),
            (set(CqlType::Int), Value::Set(vec![])),
        ];
        for (ty, v) in python_vectors()
            .into_iter()
            .map(|(_, t, v, _)| (t, v))
            .chain(extra)
        {
            let bytes = enc(&ty, &v);
            assert_eq!(decode_value(&ty, &bytes).unwrap(), v, "{}", type_name(&ty));
            // And with the length prefix.
            let mut out = Vec::new();
            encode_value_with_length(&ty, Some(&v), &mut out).unwrap();
            assert_eq!(&out[..4], &(bytes.len() as i32).to_be_bytes());
            assert_eq!(&out[4..], &bytes[..]);
        }
        let mut out = Vec::new();
        encode_value_with_length(&CqlType::Int, None, &mut out).unwrap();
        assert_eq!(out, [0xff; 4]);
    }

    #[test]
    fn vint_sizes_match_cassandra() {
        for (v, len) in [
            (0i64, 1),
            (-64, 1),
            (63, 1),
            (64, 2),
            (-65, 2),
            (1 << 20, 4),
            (i64::MAX, 9),
            (i64::MIN, 9),
        ] {
            let mut out = Vec::new();
            put_vint(&mut out, v);
            assert_eq!(out.len(), len, "{v}");
            let mut pos = 0;
            assert_eq!(read_vint(&out, &mut pos).unwrap(), v);
            assert_eq!(pos, len);
        }
    }

    #[test]
    fn sets_and_maps_are_sorted_and_deduplicated_on_decode() {
        let ty = set(CqlType::Int);
        let wire = enc(
            &list(CqlType::Int),
            &Value::List(vec![Value::Int(3), Value::Int(-1), Value::Int(3)]),
        );
        assert_eq!(
            decode_value(&ty, &wire).unwrap(),
            Value::Set(vec![Value::Int(-1), Value::Int(3)])
        );
        let wire = enc(
            &list(CqlType::Int),
            &Value::List(vec![
                Value::Int(2),
                Value::Int(20),
                Value::Int(1),
                Value::Int(10),
                Value::Int(2),
                Value::Int(21),
            ]),
        );
        assert!(
            decode_value(&map(CqlType::Int, CqlType::Int), &wire[..]).is_err(),
            "a list of 6 is not a map of 6"
        );
        let mut m = vec![0, 0, 0, 3];
        for (k, v) in [(2, 20), (1, 10), (2, 21)] {
            encode_value_with_length(&CqlType::Int, Some(&Value::Int(k)), &mut m).unwrap();
            encode_value_with_length(&CqlType::Int, Some(&Value::Int(v)), &mut m).unwrap();
        }
        assert_eq!(
            decode_value(&map(CqlType::Int, CqlType::Int), &m).unwrap(),
            Value::Map(vec![
                (Value::Int(1), Value::Int(10)),
                (Value::Int(2), Value::Int(21))
            ])
        );
    }

    #[test]
    fn bad_values_have_cassandra_messages() {
        let err = |ty: CqlType, b: &[u8]| decode_value(&ty, b).unwrap_err().to_string();
        assert_eq!(
            err(CqlType::Int, &[1, 2, 3]),
            "Expected 4 or 0 byte int (3)"
        );
        assert_eq!(err(CqlType::BigInt, &[1]), "Expected 8 or 0 byte long (1)");
        assert_eq!(
            err(CqlType::SmallInt, &[1]),
            "Expected 2 bytes for a smallint (1)"
        );
        assert_eq!(
            err(CqlType::TinyInt, &[1, 2]),
            "Expected 1 byte for a tinyint (2)"
        );
        assert_eq!(
            err(CqlType::Boolean, &[1, 2]),
            "Expected 1 or 0 byte value (2)"
        );
        assert_eq!(
            err(CqlType::Uuid, &[0; 15]),
            "UUID should be 16 or 0 bytes (15)"
        );
        assert_eq!(
            err(CqlType::Date, &[0; 8]),
            "Expected 4 byte long for date (8)"
        );
        assert_eq!(
            err(CqlType::Text, &[0x68, 0xc3]),
            "Invalid UTF-8 bytes 68c3"
        );
        assert_eq!(
            err(CqlType::Ascii, &[0x68, 0xe9]),
            "Invalid byte for ascii: 233"
        );
        assert_eq!(
            err(CqlType::Inet, &[1, 2, 3]),
            "Expected 4 or 16 byte inetaddress; got 010203"
        );
        assert_eq!(
            err(CqlType::Decimal, &[0, 0]),
            "Expected 0 or at least 4 bytes (2)"
        );
        // Version 4 UUID as a timeuuid.
        assert!(decode_value(
            &CqlType::TimeUuid,
            &unhex("550e8400e29b41d4a716446655440000")
        )
        .is_err());
        assert!(err(CqlType::Time, &(-1i64).to_be_bytes()).starts_with("Time value must be"));
        assert!(err(CqlType::Time, &(MAX_TIME_NANOS + 1).to_be_bytes()).starts_with("Time value"));
        assert_eq!(
            err(CqlType::Duration, &[2, 1, 0]),
            "The duration months, days and nanoseconds must be all of the same sign (1, -1, 0)"
        );
        assert_eq!(
            err(CqlType::Duration, &[0, 0]),
            "Expected at least 3 bytes for a duration (2)"
        );
        assert_eq!(
            err(CqlType::Duration, &[0, 0, 0xc0]),
            "Not enough bytes to read a duration"
        );
        assert_eq!(
            err(CqlType::Int, &[]),
            "Empty values are not supported for type int"
        );
        assert!(matches!(
            decode_value(&CqlType::Int, &[1]),
            Err(ValueError::Marshal(_))
        ));
    }

    #[test]
    fn collection_counts_past_the_end_are_errors_not_panics() {
        let l = list(CqlType::Int);
        // A count of i32::MAX with no elements.
        assert_eq!(
            decode_value(&l, &[0x7f, 0xff, 0xff, 0xff])
                .unwrap_err()
                .to_string(),
            "Not enough bytes to read a list"
        );
        // An element length running past the end.
        assert!(decode_value(&l, &[0, 0, 0, 1, 0, 0, 0, 9, 1]).is_err());
        // A negative count.
        assert!(decode_value(&l, &[0xff, 0xff, 0xff, 0xfe]).is_err());
        // Null element.
        assert_eq!(
            decode_value(&l, &[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff])
                .unwrap_err()
                .to_string(),
            "null is not supported inside collections"
        );
        // Trailing bytes.
        assert!(decode_value(&l, &[0, 0, 0, 0, 1]).is_err());
        let m = map(CqlType::Int, CqlType::Int);
        assert!(decode_value(&m, &[0x7f, 0xff, 0xff, 0xff]).is_err());
        assert!(decode_value(&m, &[0, 0, 0, 1, 0, 0, 0, 0]).is_err());
        // Tuples and UDTs: a component running past the end, and extra data.
        let t = CqlType::Tuple(vec![CqlType::Int]);
        assert!(decode_value(&t, &[0, 0, 0, 8, 1]).is_err());
        assert!(decode_value(&t, &[0, 0, 0, 4, 0, 0, 0, 1, 9]).is_err());
        assert!(decode_value(&t, &[0, 0]).is_err());
    }

    #[test]
    fn udts_may_omit_trailing_fields() {
        let ty = address();
        let mut b = Vec::new();
        encode_value_with_length(&CqlType::Text, Some(&text("Elm")), &mut b).unwrap();
        assert_eq!(
            decode_value(&ty, &b).unwrap(),
            Value::Udt(vec![Some(text("Elm")), None])
        );
        assert_eq!(
            decode_value(&ty, &[]).unwrap(),
            Value::Udt(vec![None, None])
        );
        // Encoding pads missing trailing fields with nulls.
        let full = enc(&ty, &Value::Udt(vec![Some(text("Elm"))]));
        assert_eq!(&full[b.len()..], &[0xff; 4]);
    }

    #[test]
    fn varints_are_normalized() {
        assert_eq!(
            decode_value(&CqlType::VarInt, &[0, 0, 0x7f]).unwrap(),
            Value::VarInt(vec![0x7f])
        );
        assert_eq!(
            decode_value(&CqlType::VarInt, &[0xff, 0xff, 0x80]).unwrap(),
            Value::VarInt(vec![0x80])
        );
    }

    #[test]
    fn type_mismatch_is_an_error() {
        let mut out = Vec::new();
        let e = encode_value(&CqlType::Int, &text("x"), &mut out).unwrap_err();
        assert_eq!(e.to_string(), "Cannot serialize a text value as int");
        assert_eq!(e.to_response().kind.code(), 0x2200);
        let too_many = Value::Tuple(vec![None, None]);
        assert!(encode_value(&CqlType::Tuple(vec![CqlType::Int]), &too_many, &mut out).is_err());
    }

    #[test]
    fn numeric_orders() {
        let vi = |s: &str| Value::VarInt(unhex(s));
        let c = |ty: CqlType, a: Value, b: Value| compare_values(&ty, &a, &b);
        assert_eq!(c(CqlType::VarInt, vi("ff7f"), vi("80")), Ordering::Less); // -129 < -128
        assert_eq!(c(CqlType::VarInt, vi("0080"), vi("7f")), Ordering::Greater); // 128 > 127
        assert_eq!(c(CqlType::VarInt, vi("ff"), vi("00")), Ordering::Less);
        assert_eq!(c(CqlType::VarInt, vi("00007f"), vi("7f")), Ordering::Equal);
        let d = |scale: i32, u: &str| Value::Decimal {
            scale,
            unscaled: unhex(u),
        };
        // 1.0 == 1
        assert_eq!(c(CqlType::Decimal, d(1, "0a"), d(0, "01")), Ordering::Equal);
        // 0.5 < 1
        assert_eq!(c(CqlType::Decimal, d(1, "05"), d(0, "01")), Ordering::Less);
        // -0.5 > -1
        assert_eq!(
            c(CqlType::Decimal, d(1, "fb"), d(0, "ff")),
            Ordering::Greater
        );
        // 1E+2147483647 > 9E-3, without scaling.
        assert_eq!(
            c(CqlType::Decimal, d(i32::MIN + 1, "01"), d(3, "09")),
            Ordering::Greater
        );
        // 12.5 vs 12.49
        assert_eq!(
            c(CqlType::Decimal, d(1, "7d"), d(2, "04e1")),
            Ordering::Greater
        );
        assert_eq!(c(CqlType::Decimal, d(0, "00"), d(5, "00")), Ordering::Equal);
        assert_eq!(
            c(CqlType::Double, Value::Double(-0.0), Value::Double(0.0)),
            Ordering::Less
        );
        assert_eq!(
            c(
                CqlType::Double,
                Value::Double(f64::NAN),
                Value::Double(f64::INFINITY)
            ),
            Ordering::Greater
        );
        assert_eq!(
            c(CqlType::Date, Value::Date(0), Value::Date(u32::MAX)),
            Ordering::Less
        );
        assert_eq!(
            c(
                CqlType::Timestamp,
                Value::Timestamp(-1),
                Value::Timestamp(0)
            ),
            Ordering::Less
        );
        assert_eq!(
            c(
                CqlType::Boolean,
                Value::Boolean(false),
                Value::Boolean(true)
            ),
            Ordering::Less
        );
    }

    #[test]
    fn uuid_orders() {
        // Two version 1 UUIDs whose timestamps order opposite to their bytes: time_low is
        // first on the wire but least significant.
        let early = uuid("ffffffff-0000-1000-8000-000000000000");
        let late = uuid("00000000-0001-1000-8000-000000000000");
        for ty in [CqlType::Uuid, CqlType::TimeUuid] {
            assert_eq!(
                compare_values(&ty, &Value::Uuid(early), &Value::Uuid(late)),
                Ordering::Less
            );
        }
        // uuid: version first, so any v1 sorts before any v4.
        let v4 = uuid("00000000-0000-4000-8000-000000000000");
        assert_eq!(
            compare_values(&CqlType::Uuid, &Value::Uuid(v4), &Value::Uuid(late)),
            Ordering::Greater
        );
        // timeuuid: equal timestamps compare the rest as signed bytes (0x80 < 0x7f);
        // uuid compares them unsigned.
        let a = uuid("00000000-0000-1000-8000-000000000000");
        let b = uuid("00000000-0000-1000-7f00-000000000000");
        assert_eq!(
            compare_values(&CqlType::TimeUuid, &Value::Uuid(a), &Value::Uuid(b)),
            Ordering::Less
        );
        assert_eq!(
            compare_values(&CqlType::Uuid, &Value::Uuid(a), &Value::Uuid(b)),
            Ordering::Greater
        );
    }

    #[test]
    fn composite_orders() {
        let ty = frozen(list(CqlType::Int));
        let l = |v: &[i32]| Value::List(v.iter().map(|&x| Value::Int(x)).collect());
        assert_eq!(
            compare_values(&ty, &l(&[1, 2]), &l(&[1, 3])),
            Ordering::Less
        );
        assert_eq!(compare_values(&ty, &l(&[1]), &l(&[1, 0])), Ordering::Less);
        assert_eq!(
            compare_values(&ty, &l(&[2]), &l(&[1, 9])),
            Ordering::Greater
        );
        let t = CqlType::Tuple(vec![CqlType::Int, CqlType::Text]);
        let tv =
            |a: Option<i32>, b: Option<&str>| Value::Tuple(vec![a.map(Value::Int), b.map(text)]);
        assert_eq!(
            compare_values(&t, &tv(None, Some("z")), &tv(Some(0), None)),
            Ordering::Less
        );
        assert_eq!(
            compare_values(&t, &tv(Some(1), Some("a")), &tv(Some(1), Some("b"))),
            Ordering::Less
        );
        assert_eq!(
            compare_values(&CqlType::Text, &text("B"), &text("a")),
            Ordering::Less
        );
        assert_eq!(
            compare_values(
                &CqlType::Inet,
                &Value::Inet("10.0.0.1".parse().unwrap()),
                &Value::Inet("9.0.0.1".parse().unwrap())
            ),
            Ordering::Greater
        );
    }

    #[test]
    fn type_options() {
        let opt = |ty: CqlType| {
            let mut out = Vec::new();
            encode_type_option(&ty, &mut out);
            out
        };
        assert_eq!(opt(CqlType::Text), [0, 0x0d]);
        assert_eq!(opt(CqlType::Ascii), [0, 0x01]);
        assert_eq!(opt(CqlType::Counter), [0, 0x05]);
        assert_eq!(opt(CqlType::TinyInt), [0, 0x14]);
        assert_eq!(
            opt(map(CqlType::Text, frozen(list(CqlType::Int)))),
            [0, 0x21, 0, 0x0d, 0, 0x20, 0, 0x09]
        );
        assert_eq!(opt(set(CqlType::Uuid)), [0, 0x22, 0, 0x0c]);
        assert_eq!(
            opt(CqlType::Tuple(vec![CqlType::Int, CqlType::Text])),
            [0, 0x31, 0, 2, 0, 9, 0, 0x0d]
        );
        let mut udt = vec![0, 0x30, 0, 2, b'k', b's', 0, 7];
        udt.extend_from_slice(b"address");
        udt.extend_from_slice(&[0, 2, 0, 6]);
        udt.extend_from_slice(b"street");
        udt.extend_from_slice(&[0, 0x0d, 0, 3, b'z', b'i', b'p', 0, 9]);
        assert_eq!(opt(frozen(address())), udt);
        // duration has no v4 id: a custom type, as Cassandra sends it to v4 clients.
        let mut d = vec![0, 0, 0, 44];
        d.extend_from_slice(b"org.apache.cassandra.db.marshal.DurationType");
        assert_eq!(opt(CqlType::Duration), d);
    }

    #[test]
    fn type_names() {
        assert_eq!(type_name(&CqlType::Text), "text");
        assert_eq!(type_name(&CqlType::Counter), "counter");
        assert_eq!(
            type_name(&map(CqlType::Text, frozen(list(CqlType::Int)))),
            "map<text, frozen<list<int>>>"
        );
        // Nested collections are frozen whether or not the type says so.
        assert_eq!(
            type_name(&list(set(CqlType::Int))),
            "list<frozen<set<int>>>"
        );
        assert_eq!(type_name(&frozen(address())), "frozen<address>");
        assert_eq!(type_name(&address()), "address");
        assert_eq!(
            type_name(&CqlType::Tuple(vec![CqlType::Int, CqlType::Text])),
            "frozen<tuple<int, text>>"
        );
        assert_eq!(
            type_name(&frozen(CqlType::Tuple(vec![CqlType::Int]))),
            "frozen<tuple<int>>"
        );
        assert_eq!(
            type_name(&list(CqlType::Tuple(vec![address()]))),
            "list<frozen<tuple<frozen<address>>>>"
        );
        assert_eq!(maybe_quote("MyType"), "\"MyType\"");
        assert_eq!(maybe_quote("my_type2"), "my_type2");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1, 1, 1), -719_162);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        for d in [-1_000_000i64, -719_162, -1, 0, 59, 60, 10_000, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        // The spec's examples for `date`: 0 is -5877641-06-23, 2^32 - 1 ... 5881580-07-11.
        let mut s = String::new();
        write_date(&mut s, 0);
        assert_eq!(s, "-5877641-06-23");
        let mut s = String::new();
        write_date(&mut s, u32::MAX);
        assert_eq!(s, "+5881580-07-11");
    }

    #[test]
    fn numbers_as_text() {
        assert_eq!(
            varint_to_string(&unhex("018ee90ff6c373e0ee4e3f0ad2")),
            "123456789012345678901234567890"
        );
        assert_eq!(varint_to_string(&unhex("ff7f")), "-129");
        assert_eq!(varint_to_string(&unhex("80")), "-128");
        assert_eq!(varint_to_string(&unhex("00")), "0");
        assert_eq!(decimal_to_string(4, &unhex("ed2979")), "-123.4567");
        assert_eq!(decimal_to_string(0, &unhex("7b")), "123");
        assert_eq!(decimal_to_string(5, &unhex("0c")), "0.00012");
        assert_eq!(decimal_to_string(-3, &unhex("7b")), "1.23E+5");
        assert_eq!(decimal_to_string(7, &unhex("01")), "1E-7");
        assert_eq!(decimal_to_string(i32::MAX, &unhex("01")), "1E-2147483647");
    }

    #[test]
    fn literals() {
        let lit = |ty: CqlType, v: Value| value_to_cql_literal(&ty, &v);
        assert_eq!(lit(CqlType::Text, text("it's")), "'it''s'");
        assert_eq!(
            lit(
                CqlType::Blob,
                Value::Blob(Bytes::from_static(&[0xca, 0xfe]))
            ),
            "0xcafe"
        );
        assert_eq!(
            lit(
                CqlType::Uuid,
                Value::Uuid(uuid("550e8400-e29b-41d4-a716-446655440000"))
            ),
            "550e8400-e29b-41d4-a716-446655440000"
        );
        assert_eq!(
            lit(CqlType::Timestamp, Value::Timestamp(0)),
            "'1970-01-01 00:00:00.000+0000'"
        );
        assert_eq!(
            lit(CqlType::Timestamp, Value::Timestamp(-1)),
            "'1969-12-31 23:59:59.999+0000'"
        );
        assert_eq!(
            lit(CqlType::Date, Value::Date(epoch_day(2024, 2, 29))),
            "'2024-02-29'"
        );
        assert_eq!(
            lit(CqlType::Time, Value::Time(1_500_000_000)),
            "'00:00:01.500000000'"
        );
        assert_eq!(
            lit(
                CqlType::Duration,
                Value::Duration {
                    months: 14,
                    days: 3,
                    nanos: 3_723_000_000_001
                }
            ),
            "1y2mo3d1h2m3s1ns"
        );
        assert_eq!(
            lit(
                CqlType::Duration,
                Value::Duration {
                    months: 0,
                    days: -2,
                    nanos: 0
                }
            ),
            "-2d"
        );
        assert_eq!(lit(CqlType::Double, Value::Double(1.0)), "1.0");
        assert_eq!(lit(CqlType::Float, Value::Float(f32::NAN)), "NaN");
        assert_eq!(lit(CqlType::Float, Value::Float(0.1)), "0.1");
        assert_eq!(
            lit(CqlType::Inet, Value::Inet("::1".parse().unwrap())),
            "'::1'"
        );
        assert_eq!(
            lit(
                map(CqlType::Text, list(CqlType::Int)),
                Value::Map(vec![(
                    text("a"),
                    Value::List(vec![Value::Int(1), Value::Int(2)])
                )])
            ),
            "{'a': [1, 2]}"
        );
        assert_eq!(
            lit(
                set(CqlType::Int),
                Value::Set(vec![Value::Int(1), Value::Int(2)])
            ),
            "{1, 2}"
        );
        assert_eq!(
            lit(
                CqlType::Tuple(vec![CqlType::Int, CqlType::Text]),
                Value::Tuple(vec![Some(Value::Int(1)), None])
            ),
            "(1, null)"
        );
        assert_eq!(
            lit(
                address(),
                Value::Udt(vec![Some(text("Main")), Some(Value::Int(1))])
            ),
            "{street: 'Main', zip: 1}"
        );
    }

    #[test]
    fn json() {
        let js = |ty: CqlType, v: Value| value_to_json(&ty, &v);
        assert_eq!(js(CqlType::Text, text("a\"b\\c\n")), r#""a\"b\\c\n""#);
        assert_eq!(js(CqlType::Int, Value::Int(-3)), "-3");
        assert_eq!(js(CqlType::Boolean, Value::Boolean(true)), "true");
        assert_eq!(js(CqlType::Double, Value::Double(f64::NAN)), "null");
        assert_eq!(
            js(
                CqlType::TimeUuid,
                Value::Uuid(uuid("d2177dd0-eaa2-11de-a572-001b779c76e3"))
            ),
            "\"d2177dd0-eaa2-11de-a572-001b779c76e3\""
        );
        let ts = days_from_civil(2024, 1, 2) * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5_678;
        assert_eq!(
            js(CqlType::Timestamp, Value::Timestamp(ts)),
            "\"2024-01-02 03:04:05.678Z\""
        );
        assert_eq!(
            js(CqlType::Blob, Value::Blob(Bytes::from_static(&[1, 2]))),
            "\"0x0102\""
        );
        assert_eq!(
            js(
                CqlType::Decimal,
                Value::Decimal {
                    scale: 4,
                    unscaled: unhex("ed2979")
                }
            ),
            "-123.4567"
        );
        assert_eq!(
            js(
                map(CqlType::Int, CqlType::Text),
                Value::Map(vec![(Value::Int(1), text("one"))])
            ),
            r#"{"1": "one"}"#
        );
        assert_eq!(
            js(
                map(CqlType::Text, CqlType::Boolean),
                Value::Map(vec![(text("k"), Value::Boolean(false))])
            ),
            r#"{"k": false}"#
        );
        assert_eq!(
            js(list(CqlType::Text), Value::List(vec![text("a"), text("b")])),
            r#"["a", "b"]"#
        );
        assert_eq!(
            js(
                CqlType::Tuple(vec![CqlType::Int, CqlType::Text]),
                Value::Tuple(vec![Some(Value::Int(1)), None])
            ),
            "[1, null]"
        );
        let ty = CqlType::Udt(Box::new(UdtType {
            keyspace: "ks".into(),
            name: "u".into(),
            fields: vec![("a".into(), CqlType::Int), ("B".into(), CqlType::Int)],
        }));
        assert_eq!(
            js(ty, Value::Udt(vec![Some(Value::Int(1)), None])),
            r#"{"a": 1, "\"B\"": null}"#
        );
    }
}
