//! `<query_parameters>` (spec 4.1.4), shared by QUERY and EXECUTE.

use bytes::Bytes;

use super::consistency::Consistency;
use super::request::RequestError;
use super::wire::{BoundValue, Reader};

const FLAG_VALUES: u8 = 0x01;
const FLAG_SKIP_METADATA: u8 = 0x02;
const FLAG_PAGE_SIZE: u8 = 0x04;
const FLAG_PAGING_STATE: u8 = 0x08;
const FLAG_SERIAL_CONSISTENCY: u8 = 0x10;
const FLAG_DEFAULT_TIMESTAMP: u8 = 0x20;
const FLAG_NAMES_FOR_VALUES: u8 = 0x40;

/// How a QUERY or EXECUTE wants to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryParameters {
    pub consistency: Consistency,
    /// Bound values, in marker order unless `names` is set.
    pub values: Vec<BoundValue>,
    /// With the 0x40 flag: the marker name of each value, parallel to `values`.
    pub names: Option<Vec<String>>,
    /// Answer with the No_metadata flag: the client has the metadata from PREPARE.
    pub skip_metadata: bool,
    /// Rows per page; `None` (or a non-positive size) means no paging.
    pub page_size: Option<i32>,
    pub paging_state: Option<Bytes>,
    /// For conditional updates; SERIAL when absent.
    pub serial_consistency: Option<Consistency>,
    /// Client-side write timestamp, microseconds.
    pub timestamp: Option<i64>,
}

impl QueryParameters {
    /// Parameters with no values and no options, as a bare `QUERY` would carry.
    pub fn new(consistency: Consistency) -> Self {
        QueryParameters {
            consistency,
            values: Vec::new(),
            names: None,
            skip_metadata: false,
            page_size: None,
            paging_state: None,
            serial_consistency: None,
            timestamp: None,
        }
    }

    pub(crate) fn decode(r: &mut Reader) -> Result<Self, RequestError> {
        let consistency = Consistency::from_code(r.short("consistency")?)?;
        let flags = r.byte("query flags")?;
        let mut p = QueryParameters::new(consistency);
        p.skip_metadata = flags & FLAG_SKIP_METADATA != 0;
        if flags & FLAG_VALUES != 0 {
            let named = flags & FLAG_NAMES_FOR_VALUES != 0;
            let (values, names) = read_values(r, named)?;
            p.values = values;
            p.names = names;
        }
        if flags & FLAG_PAGE_SIZE != 0 {
            p.page_size = Some(r.int("result page size")?);
        }
        if flags & FLAG_PAGING_STATE != 0 {
            p.paging_state = r.bytes("paging state")?;
        }
        if flags & FLAG_SERIAL_CONSISTENCY != 0 {
            p.serial_consistency = Some(Consistency::from_code(r.short("serial consistency")?)?);
        }
        if flags & FLAG_DEFAULT_TIMESTAMP != 0 {
            let ts = r.long("default timestamp")?;
            if ts == i64::MIN {
                return Err(RequestError::Protocol(format!(
                    "Out of bound timestamp, must be in [{}, {}]",
                    i64::MIN + 1,
                    i64::MAX
                )));
            }
            p.timestamp = Some(ts);
        }
        Ok(p)
    }
}

/// `<n>[name_1]<value_1>...`: a `[short]` count, then the values, each preceded by a `[string]`
/// name when `named`.
pub(crate) fn read_values(
    r: &mut Reader,
    named: bool,
) -> Result<(Vec<BoundValue>, Option<Vec<String>>), RequestError> {
    let n = r.short("values count")? as usize;
    let min_item = if named { 6 } else { 4 };
    let mut values = Vec::with_capacity(r.capacity_for(n, min_item));
    let mut names = if named {
        Some(Vec::with_capacity(r.capacity_for(n, min_item)))
    } else {
        None
    };
    for _ in 0..n {
        if let Some(names) = names.as_mut() {
            names.push(r.string("value name")?);
        }
        values.push(r.value("value")?);
    }
    Ok((values, names))
}
