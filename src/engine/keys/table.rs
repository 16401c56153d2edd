//! `cql_schema` and `cql_rows` keyspaces.
//!
//! `cql_schema`:
//! - `'K' keyspace` → the keyspace; `'T' id:16` → the table; `'N' keyspace 00 table` → its id;
//!   `'U' keyspace 00 type` → a user-defined type; `'V'` → the schema version.
//!
//! `cql_rows`: `id:16 version:u64 token:u64 partition-key 00|01 clustering-key` → the row.
//! The token is stored with its sign bit flipped and every key value in an order-preserving
//! encoding (DESC clustering columns inverted), so a partition is one prefix, its static row
//! (`00`) comes first and a clustering range is one key range, forward or reversed.

use std::cmp::Ordering;

use crate::command::table::schema::Order;
use crate::command::table::value::{CqlType, Value};

const KEYSPACE: u8 = b'K';
const TABLE: u8 = b'T';
const NAME: u8 = b'N';
const TYPE: u8 = b'U';
pub const SCHEMA_VERSION: &[u8] = b"V";
pub const KEYSPACES: &[u8] = &[KEYSPACE];
pub const TABLES: &[u8] = &[TABLE];
pub const TYPES: &[u8] = &[TYPE];

/// The marker after the partition key: the static row, then the clustered rows.
pub const STATIC_ROW: u8 = 0x00;
pub const CLUSTERED: u8 = 0x01;

pub fn keyspace(name: &str) -> Vec<u8> {
    tagged(KEYSPACE, &[name])
}

pub fn table(id: &[u8; 16]) -> Vec<u8> {
    let mut k = vec![TABLE];
    k.extend_from_slice(id);
    k
}

pub fn table_name(keyspace: &str, name: &str) -> Vec<u8> {
    tagged(NAME, &[keyspace, name])
}

pub fn udt(keyspace: &str, name: &str) -> Vec<u8> {
    tagged(TYPE, &[keyspace, name])
}

fn tagged(tag: u8, parts: &[&str]) -> Vec<u8> {
    let mut k = vec![tag];
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(0);
        }
        k.extend_from_slice(p.as_bytes());
    }
    k
}

/// Every row of one version of a table.
pub fn table_rows(id: &[u8; 16], version: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(40);
    k.extend_from_slice(id);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// Where rows with this token start.
pub fn token_start(id: &[u8; 16], version: u64, token: i64) -> Vec<u8> {
    let mut k = table_rows(id, version);
    k.extend_from_slice(&((token as u64) ^ (1 << 63)).to_be_bytes());
    k
}

/// Every row of one partition (`types`: the partition key's).
pub fn partition(
    id: &[u8; 16],
    version: u64,
    token: i64,
    types: &[&CqlType],
    values: &[Value],
) -> Vec<u8> {
    let mut k = token_start(id, version, token);
    for (ty, v) in types.iter().zip(values) {
        encode(ty, v, Order::Asc, &mut k);
    }
    k
}

/// Appends clustering values in key order (`cols`: each column's type and order).
pub fn clustering(key: &mut Vec<u8>, cols: &[(&CqlType, Order)], values: &[Value]) {
    for ((ty, order), v) in cols.iter().zip(values) {
        encode(ty, v, *order, key);
    }
}

/// The smallest key greater than every key starting with `prefix` (`None`: there is none).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Appends `v` in an encoding whose byte order is CQL's order of the type (Cassandra's
/// comparators); `Desc` inverts it. Each value's encoding is self-delimiting, so a key of
/// several values compares value by value.
pub fn encode(ty: &CqlType, v: &Value, order: Order, out: &mut Vec<u8>) {
    let start = out.len();
    encode_asc(ty, v, out);
    if order == Order::Desc {
        for b in &mut out[start..] {
            *b = !*b;
        }
    }
}

/// Orders two values of one type as Cassandra does (sets and map keys are kept in it).
pub fn compare(ty: &CqlType, a: &Value, b: &Value) -> Ordering {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    encode_asc(ty, a, &mut x);
    encode_asc(ty, b, &mut y);
    x.cmp(&y)
}

fn encode_asc(ty: &CqlType, v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Text(s) => escaped(s.as_bytes(), out),
        Value::Blob(b) => escaped(b, out),
        Value::Boolean(b) => out.push(u8::from(*b)),
        Value::TinyInt(n) => out.push((*n as u8) ^ 0x80),
        Value::SmallInt(n) => out.extend_from_slice(&((*n as u16) ^ 0x8000).to_be_bytes()),
        Value::Int(n) => out.extend_from_slice(&((*n as u32) ^ (1 << 31)).to_be_bytes()),
        Value::BigInt(n) | Value::Timestamp(n) | Value::Time(n) => signed64(*n, out),
        Value::Date(d) => out.extend_from_slice(&d.to_be_bytes()),
        Value::Float(f) => {
            let bits = f.to_bits();
            let key = if bits >> 31 == 1 {
                !bits
            } else {
                bits ^ (1 << 31)
            };
            out.extend_from_slice(&key.to_be_bytes());
        }
        Value::Double(f) => double(*f, out),
        Value::VarInt(bytes) => varint(bytes, out),
        Value::Decimal { scale, unscaled } => {
            // Ordered by magnitude as a double, then exactly by digits: close values of
            // different scales may order differently from Cassandra (documented).
            double(decimal_approx(*scale, unscaled), out);
            signed64(i64::from(*scale), out);
            varint(unscaled, out);
        }
        Value::Uuid(u) => uuid(ty, u, out),
        Value::Inet(ip) => match ip {
            std::net::IpAddr::V4(a) => escaped(&a.octets(), out),
            std::net::IpAddr::V6(a) => escaped(&a.octets(), out),
        },
        Value::Duration {
            months,
            days,
            nanos,
        } => {
            signed64(i64::from(*months), out);
            signed64(i64::from(*days), out);
            signed64(*nanos, out);
        }
        Value::List(items) | Value::Set(items) => {
            let elem = element_type(ty, 0);
            for item in items {
                out.push(1);
                encode_asc(elem, item, out);
            }
            out.push(0);
        }
        Value::Map(entries) => {
            let (kt, vt) = (element_type(ty, 0), element_type(ty, 1));
            for (k, v) in entries {
                out.push(1);
                encode_asc(kt, k, out);
                encode_asc(vt, v, out);
            }
            out.push(0);
        }
        Value::Tuple(items) | Value::Udt(items) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    None => out.push(1),
                    Some(v) => {
                        out.push(2);
                        encode_asc(element_type(ty, i), v, out);
                    }
                }
            }
            out.push(0);
        }
    }
}

/// The type of a component of a collection, tuple or UDT (element, key or value; field `i`).
fn element_type(ty: &CqlType, i: usize) -> &CqlType {
    match ty.unfrozen() {
        CqlType::List(t) | CqlType::Set(t) => t,
        CqlType::Map(k, v) => {
            if i == 0 {
                k
            } else {
                v
            }
        }
        CqlType::Tuple(ts) => ts.get(i).unwrap_or(&CqlType::Blob),
        CqlType::Udt(u) => u.fields.get(i).map_or(&CqlType::Blob, |(_, t)| t),
        other => other,
    }
}

/// Bytes with `00` escaped as `00 ff`, ended by `00 00`: shorter sorts first, as bytes compare.
fn escaped(b: &[u8], out: &mut Vec<u8>) {
    for &c in b {
        out.push(c);
        if c == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

fn signed64(n: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(&((n as u64) ^ (1 << 63)).to_be_bytes());
}

fn double(f: f64, out: &mut Vec<u8>) {
    let bits = f.to_bits();
    let key = if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    };
    out.extend_from_slice(&key.to_be_bytes());
}

/// A varint (two's complement, big-endian, minimal): sign, then the length (inverted for
/// negatives, which are smaller the longer they are), then the bytes, which for one sign and
/// length compare as the numbers do.
fn varint(bytes: &[u8], out: &mut Vec<u8>) {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let len = bytes.len() as u32;
    if negative {
        out.push(0);
        out.extend_from_slice(&(!len).to_be_bytes());
    } else {
        out.push(1);
        out.extend_from_slice(&len.to_be_bytes());
    }
    out.extend_from_slice(bytes);
}

fn decimal_approx(scale: i32, unscaled: &[u8]) -> f64 {
    let head = &unscaled[..unscaled.len().min(16)];
    let fill = if head.first().is_some_and(|b| b & 0x80 != 0) {
        0xff
    } else {
        0
    };
    let mut be = [fill; 16];
    be[16 - head.len()..].copy_from_slice(head);
    let lead = i128::from_be_bytes(be) as f64;
    let dropped = (unscaled.len() - head.len()) as i32;
    lead * 256f64.powi(dropped) / 10f64.powi(scale)
}

/// `timeuuid` orders by time, then by the rest as signed bytes; `uuid` by version, then (for
/// version 1) as a timeuuid, else by bytes.
fn uuid(ty: &CqlType, u: &[u8; 16], out: &mut Vec<u8>) {
    let version = u[6] >> 4;
    let time_based = |out: &mut Vec<u8>| {
        let time = (u64::from(u[6] & 0x0f) << 56)
            | (u64::from(u[7]) << 48)
            | (u64::from(u[4]) << 40)
            | (u64::from(u[5]) << 32)
            | u64::from(u32::from_be_bytes([u[0], u[1], u[2], u[3]]));
        out.extend_from_slice(&time.to_be_bytes());
        out.extend(u[8..].iter().map(|b| b ^ 0x80));
    };
    match ty.unfrozen() {
        CqlType::TimeUuid => time_based(out),
        _ => {
            out.push(version);
            if version == 1 {
                time_based(out);
            } else {
                out.extend_from_slice(u);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(ty: &CqlType, v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode(ty, v, Order::Asc, &mut out);
        out
    }

    #[test]
    fn numbers_order_as_numbers() {
        let ints = [i32::MIN, -5, -1, 0, 1, 7, i32::MAX];
        for w in ints.windows(2) {
            assert!(enc(&CqlType::Int, &Value::Int(w[0])) < enc(&CqlType::Int, &Value::Int(w[1])));
        }
        let doubles = [f64::NEG_INFINITY, -2.5, -0.0, 0.0, 1e-9, 3.0, f64::INFINITY];
        for w in doubles.windows(2) {
            assert!(
                enc(&CqlType::Double, &Value::Double(w[0]))
                    <= enc(&CqlType::Double, &Value::Double(w[1]))
            );
        }
        // -129, -1, 0, 1, 300 as minimal varints.
        let varints: [&[u8]; 5] = [&[0xff, 0x7f], &[0xff], &[0x00], &[0x01], &[0x01, 0x2c]];
        for w in varints.windows(2) {
            assert!(
                enc(&CqlType::VarInt, &Value::VarInt(w[0].to_vec()))
                    < enc(&CqlType::VarInt, &Value::VarInt(w[1].to_vec()))
            );
        }
    }

    #[test]
    fn text_orders_by_bytes_and_is_self_delimiting() {
        let t = |s: &str| enc(&CqlType::Text, &Value::Text(s.into()));
        assert!(t("") < t("a"));
        assert!(t("a") < t("a\0"));
        assert!(t("a\0") < t("ab"));
        assert!(t("ab") < t("b"));
        // ("a", 2) before ("ab", 1): the first value decides.
        let mut k1 = t("a");
        k1.extend(enc(&CqlType::Int, &Value::Int(2)));
        let mut k2 = t("ab");
        k2.extend(enc(&CqlType::Int, &Value::Int(1)));
        assert!(k1 < k2);
    }

    #[test]
    fn desc_inverts_the_order() {
        let d = |n: i64| {
            let mut out = Vec::new();
            encode(&CqlType::BigInt, &Value::BigInt(n), Order::Desc, &mut out);
            out
        };
        assert!(d(5) < d(1));
    }

    #[test]
    fn timeuuids_order_by_time() {
        // Version 1 UUIDs whose time fields differ in the high bits (time_hi) only.
        let mut early = [0u8; 16];
        early[6] = 0x10;
        early[0] = 0xff;
        let mut late = [0u8; 16];
        late[6] = 0x11;
        assert!(
            enc(&CqlType::TimeUuid, &Value::Uuid(early))
                < enc(&CqlType::TimeUuid, &Value::Uuid(late))
        );
    }

    #[test]
    fn prefix_end_carries() {
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff]), None);
    }
}
