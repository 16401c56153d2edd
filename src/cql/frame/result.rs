//! RESULT (opcode 0x08) bodies other than the rows themselves: Void, Set_keyspace, Prepared and
//! Schema_change, and the result metadata (column specs) that Rows and Prepared share. Rows
//! content is streamed by [`super::rows::RowsWriter`].
//!
//! Column specs borrow their names and types from the schema, so describing a result allocates
//! nothing; a prepared statement can also encode its specs once ([`EncodedColumnSpecs`]) and
//! copy them into every response.

use bytes::{BufMut, Bytes, BytesMut};

use super::event::SchemaChange;
use super::wire::{put_bytes, put_short_bytes, put_string};
use crate::command::table::value::CqlType;
use crate::cql::codec::encode_type_option;

pub const KIND_VOID: i32 = 0x0001;
pub const KIND_ROWS: i32 = 0x0002;
pub const KIND_SET_KEYSPACE: i32 = 0x0003;
pub const KIND_PREPARED: i32 = 0x0004;
pub const KIND_SCHEMA_CHANGE: i32 = 0x0005;

const FLAG_GLOBAL_TABLES_SPEC: i32 = 0x0001;
const FLAG_HAS_MORE_PAGES: i32 = 0x0002;
const FLAG_NO_METADATA: i32 = 0x0004;

/// One column of a result, or one bind marker of a prepared statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec<'a> {
    pub keyspace: &'a str,
    pub table: &'a str,
    pub name: &'a str,
    pub ty: &'a CqlType,
}

/// Column specs already in wire form (`[global_table_spec]?<col_spec>*`), for a prepared
/// statement to encode once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedColumnSpecs {
    count: u32,
    global: bool,
    bytes: Bytes,
}

impl EncodedColumnSpecs {
    pub fn new(specs: &[ColumnSpec<'_>]) -> Self {
        let mut out = BytesMut::new();
        let global = write_specs(&mut out, specs);
        EncodedColumnSpecs {
            count: specs.len() as u32,
            global,
            bytes: out.freeze(),
        }
    }

    pub fn count(&self) -> u32 {
        self.count
    }
}

/// The columns a rows metadata describes.
#[derive(Debug, Clone, Copy)]
pub enum Columns<'a> {
    Specs(&'a [ColumnSpec<'a>]),
    Encoded(&'a EncodedColumnSpecs),
    /// Only the count (the No_metadata flag): the client asked to skip metadata it already has
    /// from PREPARE, or the statement returns no rows.
    CountOnly(u32),
}

impl Columns<'_> {
    pub fn count(&self) -> u32 {
        match self {
            Columns::Specs(s) => s.len() as u32,
            Columns::Encoded(e) => e.count,
            Columns::CountOnly(n) => *n,
        }
    }
}

/// `<metadata>` of a Rows result or the result metadata of a Prepared one.
#[derive(Debug, Clone, Copy)]
pub struct RowsMetadata<'a> {
    pub columns: Columns<'a>,
    /// Set when more pages follow: the state to send back for the next page.
    pub paging_state: Option<&'a [u8]>,
}

impl<'a> RowsMetadata<'a> {
    pub fn new(columns: Columns<'a>) -> Self {
        RowsMetadata {
            columns,
            paging_state: None,
        }
    }

    /// The metadata of a statement that returns no rows (Prepared results of non-SELECTs).
    pub fn empty() -> Self {
        Self::new(Columns::CountOnly(0))
    }

    pub fn encode(&self, out: &mut impl BufMut) {
        let mut flags = 0;
        if self.paging_state.is_some() {
            flags |= FLAG_HAS_MORE_PAGES;
        }
        match self.columns {
            Columns::Specs(specs) if is_global(specs) => flags |= FLAG_GLOBAL_TABLES_SPEC,
            Columns::Specs(_) => {}
            Columns::Encoded(e) if e.global => flags |= FLAG_GLOBAL_TABLES_SPEC,
            Columns::Encoded(_) => {}
            Columns::CountOnly(_) => flags |= FLAG_NO_METADATA,
        }
        out.put_i32(flags);
        out.put_i32(self.columns.count() as i32);
        if let Some(state) = self.paging_state {
            put_bytes(out, Some(state));
        }
        match self.columns {
            Columns::Specs(specs) => {
                write_specs(out, specs);
            }
            Columns::Encoded(e) => out.put_slice(&e.bytes),
            Columns::CountOnly(_) => {}
        }
    }
}

/// Whether every spec names the same table, so one global table spec covers them (as Cassandra
/// always does when it can).
fn is_global(specs: &[ColumnSpec<'_>]) -> bool {
    match specs.split_first() {
        Some((first, rest)) => rest
            .iter()
            .all(|s| s.keyspace == first.keyspace && s.table == first.table),
        None => false,
    }
}

/// Writes `[global_table_spec]?<col_spec>*`; returns whether the global form was used.
fn write_specs(out: &mut impl BufMut, specs: &[ColumnSpec<'_>]) -> bool {
    let global = is_global(specs);
    if global {
        put_string(out, specs[0].keyspace);
        put_string(out, specs[0].table);
    }
    for spec in specs {
        if !global {
            put_string(out, spec.keyspace);
            put_string(out, spec.table);
        }
        put_string(out, spec.name);
        encode_type_option(spec.ty, out);
    }
    global
}

/// A Prepared result (v4: no result metadata id).
#[derive(Debug, Clone, Copy)]
pub struct Prepared<'a> {
    pub id: &'a [u8],
    /// The bind markers, in order.
    pub bind_markers: &'a [ColumnSpec<'a>],
    /// For each partition key column in order, the index of its bind marker; empty when some
    /// partition key column has no marker of its own.
    pub pk_indexes: &'a [u16],
    /// What EXECUTE will return; [`RowsMetadata::empty`] for statements without rows.
    pub result: RowsMetadata<'a>,
}

impl Prepared<'_> {
    pub fn encode(&self, out: &mut impl BufMut) {
        put_short_bytes(out, self.id);
        let global = is_global(self.bind_markers);
        out.put_i32(if global { FLAG_GLOBAL_TABLES_SPEC } else { 0 });
        out.put_i32(self.bind_markers.len() as i32);
        out.put_i32(self.pk_indexes.len() as i32);
        for &i in self.pk_indexes {
            out.put_u16(i);
        }
        write_specs(out, self.bind_markers);
        self.result.encode(out);
    }
}

/// A RESULT that is not Rows.
#[derive(Debug, Clone)]
pub enum ResultBody<'a> {
    Void,
    SetKeyspace(&'a str),
    Prepared(Prepared<'a>),
    SchemaChange(&'a SchemaChange),
}

impl ResultBody<'_> {
    pub fn encode(&self, out: &mut impl BufMut) {
        match self {
            ResultBody::Void => out.put_i32(KIND_VOID),
            ResultBody::SetKeyspace(ks) => {
                out.put_i32(KIND_SET_KEYSPACE);
                put_string(out, ks);
            }
            ResultBody::Prepared(p) => {
                out.put_i32(KIND_PREPARED);
                p.encode(out);
            }
            ResultBody::SchemaChange(sc) => {
                out.put_i32(KIND_SCHEMA_CHANGE);
                sc.encode(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Vec<u8> {
        let mut v = (x.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(x.as_bytes());
        v
    }

    #[test]
    fn global_specs_when_one_table() {
        let specs = [
            ColumnSpec {
                keyspace: "ks",
                table: "t",
                name: "k",
                ty: &CqlType::Int,
            },
            ColumnSpec {
                keyspace: "ks",
                table: "t",
                name: "v",
                ty: &CqlType::Text,
            },
        ];
        let mut out = Vec::new();
        RowsMetadata::new(Columns::Specs(&specs)).encode(&mut out);
        let expected = [
            vec![0, 0, 0, 1, 0, 0, 0, 2],
            s("ks"),
            s("t"),
            s("k"),
            vec![0, 9],
            s("v"),
            vec![0, 0x0d],
        ]
        .concat();
        assert_eq!(out, expected);
        // Pre-encoded specs give the same bytes.
        let enc = EncodedColumnSpecs::new(&specs);
        let mut out2 = Vec::new();
        RowsMetadata::new(Columns::Encoded(&enc)).encode(&mut out2);
        assert_eq!(out2, expected);
    }

    #[test]
    fn per_column_specs_and_paging_state() {
        let specs = [
            ColumnSpec {
                keyspace: "a",
                table: "t",
                name: "x",
                ty: &CqlType::Int,
            },
            ColumnSpec {
                keyspace: "b",
                table: "t",
                name: "y",
                ty: &CqlType::Int,
            },
        ];
        let mut out = Vec::new();
        RowsMetadata {
            columns: Columns::Specs(&specs),
            paging_state: Some(&[7, 7]),
        }
        .encode(&mut out);
        let expected = [
            vec![0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 7, 7],
            s("a"),
            s("t"),
            s("x"),
            vec![0, 9],
            s("b"),
            s("t"),
            s("y"),
            vec![0, 9],
        ]
        .concat();
        assert_eq!(out, expected);
    }

    #[test]
    fn no_metadata() {
        let mut out = Vec::new();
        RowsMetadata::new(Columns::CountOnly(3)).encode(&mut out);
        assert_eq!(out, [0, 0, 0, 4, 0, 0, 0, 3]);
    }

    #[test]
    fn prepared_layout() {
        let markers = [ColumnSpec {
            keyspace: "ks",
            table: "t",
            name: "k",
            ty: &CqlType::Int,
        }];
        let mut out = Vec::new();
        ResultBody::Prepared(Prepared {
            id: &[0xab; 2],
            bind_markers: &markers,
            pk_indexes: &[0],
            result: RowsMetadata::empty(),
        })
        .encode(&mut out);
        let expected = [
            vec![0, 0, 0, 4, 0, 2, 0xab, 0xab],
            vec![0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0],
            s("ks"),
            s("t"),
            s("k"),
            vec![0, 9],
            vec![0, 0, 0, 4, 0, 0, 0, 0],
        ]
        .concat();
        assert_eq!(out, expected);
    }
}
