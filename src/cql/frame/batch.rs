//! BATCH (opcode 0x0D, spec 4.1.7):
//! `<type><n><query_1>...<query_n><consistency><flags>[<serial_consistency>][<timestamp>]`.

use bytes::Bytes;

use super::consistency::Consistency;
use super::query::read_values;
use super::request::RequestError;
use super::wire::{BoundValue, Reader};

const FLAG_SERIAL_CONSISTENCY: u8 = 0x10;
const FLAG_DEFAULT_TIMESTAMP: u8 = 0x20;
const FLAG_NAMES_FOR_VALUES: u8 = 0x40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchType {
    Logged = 0,
    Unlogged = 1,
    Counter = 2,
}

/// One statement of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchQuery {
    /// Kind 0: a query string.
    Query(String),
    /// Kind 1: a prepared statement id.
    Prepared(Bytes),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchStatement {
    pub query: BatchQuery,
    pub values: Vec<BoundValue>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub batch_type: BatchType,
    pub statements: Vec<BatchStatement>,
    pub consistency: Consistency,
    pub serial_consistency: Option<Consistency>,
    /// Client-side write timestamp, microseconds.
    pub timestamp: Option<i64>,
}

impl Batch {
    pub(crate) fn decode(r: &mut Reader) -> Result<Self, RequestError> {
        let batch_type = match r.byte("batch type")? {
            0 => BatchType::Logged,
            1 => BatchType::Unlogged,
            2 => BatchType::Counter,
            t => return Err(RequestError::Protocol(format!("Unknown batch type {t}"))),
        };
        let n = r.short("batch statements count")? as usize;
        // A statement is at least a kind byte, an empty [short bytes] and a [short] count.
        let mut statements = Vec::with_capacity(r.capacity_for(n, 5));
        for _ in 0..n {
            let query = match r.byte("batch statement kind")? {
                0 => BatchQuery::Query(r.long_string("batch query")?),
                1 => BatchQuery::Prepared(r.short_bytes("prepared id")?),
                k => {
                    return Err(RequestError::Protocol(format!(
                        "Invalid query kind in BATCH messages. Must be 0 or 1 but got {k}"
                    )))
                }
            };
            // Names cannot be read here: the flag that announces them comes after the
            // statements (CASSANDRA-10246), so values are always positional.
            let (values, _) = read_values(r, false)?;
            statements.push(BatchStatement { query, values });
        }
        let consistency = Consistency::from_code(r.short("consistency")?)?;
        let flags = r.byte("batch flags")?;
        if flags & FLAG_NAMES_FOR_VALUES != 0 {
            return Err(RequestError::Protocol(
                "Named values are not supported in BATCH messages".into(),
            ));
        }
        let serial_consistency = if flags & FLAG_SERIAL_CONSISTENCY != 0 {
            Some(Consistency::from_code(r.short("serial consistency")?)?)
        } else {
            None
        };
        let timestamp = if flags & FLAG_DEFAULT_TIMESTAMP != 0 {
            Some(r.long("default timestamp")?)
        } else {
            None
        };
        Ok(Batch {
            batch_type,
            statements,
            consistency,
            serial_consistency,
            timestamp,
        })
    }
}
