//! CQL's data types and values as the table model sees them: typed, with no wire encoding.
//!
//! The front-end turns the protocol's serialized values into these and back (`cql::codec`); the
//! engine orders clustering keys by them (`engine::keys::table`) and stores them in its own
//! encoding. A value's type always travels beside it (from the table's schema), so `Value` holds
//! only what the representation needs: `uuid` and `timeuuid` are both [`Value::Uuid`], `counter`
//! and `bigint` both [`Value::BigInt`].

use std::net::IpAddr;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A CQL type, as a column, a collection element or a user-defined type field has it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CqlType {
    Ascii,
    /// `text` and its alias `varchar`.
    Text,
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    VarInt,
    Float,
    Double,
    Decimal,
    Uuid,
    TimeUuid,
    Timestamp,
    Date,
    Time,
    Duration,
    Blob,
    Inet,
    Counter,
    List(Box<CqlType>),
    Set(Box<CqlType>),
    Map(Box<CqlType>, Box<CqlType>),
    Tuple(Vec<CqlType>),
    Udt(Box<UdtType>),
    /// `frozen<...>`: the collection or UDT is one value, written and compared whole.
    Frozen(Box<CqlType>),
}

/// A user-defined type (`CREATE TYPE ks.name (field type, ...)`), resolved with its fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UdtType {
    pub keyspace: String,
    pub name: String,
    pub fields: Vec<(String, CqlType)>,
}

impl CqlType {
    /// The type without any `frozen<>` around it.
    pub fn unfrozen(&self) -> &CqlType {
        match self {
            CqlType::Frozen(inner) => inner.unfrozen(),
            other => other,
        }
    }

    /// Whether values of this type are collections that can be updated element by element
    /// (a non-frozen list, set or map).
    pub fn is_multi_cell(&self) -> bool {
        matches!(self, CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..))
    }
}

/// A CQL value. `None` beside a column (an `Option<Value>`) is CQL's null.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// `ascii`, `text`, `varchar`.
    Text(String),
    Boolean(bool),
    TinyInt(i8),
    SmallInt(i16),
    Int(i32),
    /// `bigint` and `counter`.
    BigInt(i64),
    /// `varint`: two's complement, big-endian, minimal length (as CQL serializes it).
    VarInt(Vec<u8>),
    Float(f32),
    Double(f64),
    /// `decimal`: `unscaled × 10^-scale`, unscaled as a varint.
    Decimal {
        scale: i32,
        unscaled: Vec<u8>,
    },
    /// `uuid` and `timeuuid`.
    Uuid([u8; 16]),
    /// Milliseconds since the unix epoch.
    Timestamp(i64),
    /// Days since the epoch with 2^31 as the epoch (CQL's `date` encoding).
    Date(u32),
    /// Nanoseconds since midnight.
    Time(i64),
    Duration {
        months: i32,
        days: i32,
        nanos: i64,
    },
    Blob(Bytes),
    Inet(IpAddr),
    /// Elements in list order.
    List(Vec<Value>),
    /// Elements sorted by the element type's order, without duplicates.
    Set(Vec<Value>),
    /// Entries sorted by key, keys unique.
    Map(Vec<(Value, Value)>),
    /// One slot per component; a missing component is null.
    Tuple(Vec<Option<Value>>),
    /// One slot per field of the type, in the type's field order.
    Udt(Vec<Option<Value>>),
}
