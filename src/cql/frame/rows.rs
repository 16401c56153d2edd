//! Streaming a Rows RESULT straight into the output buffer: header and metadata first, then one
//! `[bytes]` cell after another, the row count patched in at the end. No per-row or per-cell
//! buffers, so a point SELECT costs one frame's worth of appends.

use bytes::{BufMut, BytesMut};

use super::result::{RowsMetadata, KIND_ROWS};
use super::wire::put_bytes;
use super::writer::{FrameOptions, FrameWriter};
use super::OPCODE_RESULT;
use crate::command::table::value::{CqlType, Value};
use crate::cql::codec::{encode_value_with_length, ValueError};

/// A Rows result being written. Cells are pushed in row-major order; a row is complete once it
/// has one cell per column. Dropping the writer without [`RowsWriter::finish`] removes the
/// partial frame from the buffer.
#[derive(Debug)]
pub struct RowsWriter<'a> {
    frame: FrameWriter<'a>,
    /// Absolute offset of the `<rows_count>` int.
    count_at: usize,
    columns: usize,
    cells_in_row: usize,
    /// Where the row being written started, to drop it if it is never completed.
    row_start: usize,
    rows: u32,
}

impl<'a> RowsWriter<'a> {
    pub fn begin(
        out: &'a mut BytesMut,
        stream: i16,
        opts: FrameOptions<'_>,
        metadata: &RowsMetadata<'_>,
    ) -> Self {
        let mut frame = FrameWriter::begin_with(out, stream, OPCODE_RESULT, opts);
        let buf = frame.buf();
        buf.put_i32(KIND_ROWS);
        metadata.encode(buf);
        let count_at = buf.len();
        buf.put_i32(0);
        let row_start = buf.len();
        RowsWriter {
            frame,
            count_at,
            columns: metadata.columns.count() as usize,
            cells_in_row: 0,
            row_start,
            rows: 0,
        }
    }

    fn cell_done(&mut self) {
        self.cells_in_row += 1;
        if self.cells_in_row >= self.columns {
            self.cells_in_row = 0;
            self.rows += 1;
            self.row_start = self.frame.buf().len();
        }
    }

    /// Appends one serialized cell; `None` is null.
    pub fn push_cell(&mut self, cell: Option<&[u8]>) {
        debug_assert!(self.columns > 0, "rows of a result without columns");
        put_bytes(self.frame.buf(), cell);
        self.cell_done();
    }

    /// Appends one cell, serialized from a value of type `ty`. On error nothing of the cell is
    /// left in the buffer, and the row is still waiting for this cell.
    pub fn push_value(&mut self, ty: &CqlType, value: Option<&Value>) -> Result<(), ValueError> {
        debug_assert!(self.columns > 0, "rows of a result without columns");
        let buf = self.frame.buf();
        let before = buf.len();
        if let Err(e) = encode_value_with_length(ty, value, buf) {
            buf.truncate(before);
            return Err(e);
        }
        self.cell_done();
        Ok(())
    }

    /// Complete rows so far.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Uncompressed body bytes so far, for callers that bound pages by size.
    pub fn body_len(&self) -> usize {
        self.frame.body_len()
    }

    /// Patches the row count and closes the frame; returns its length on the wire. A row left
    /// incomplete is dropped rather than sent malformed.
    pub fn finish(mut self) -> usize {
        if self.cells_in_row != 0 {
            let start = self.row_start;
            self.frame.buf().truncate(start);
        }
        let at = self.count_at;
        let rows = self.rows;
        self.frame.buf()[at..at + 4].copy_from_slice(&(rows as i32).to_be_bytes());
        self.frame.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cql::frame::compression::Compression;
    use crate::cql::frame::result::{ColumnSpec, Columns};

    fn specs() -> [ColumnSpec<'static>; 2] {
        [
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
        ]
    }

    #[test]
    fn cells_and_row_count() {
        let mut out = BytesMut::new();
        let specs = specs();
        let meta = RowsMetadata::new(Columns::CountOnly(2));
        let mut w = RowsWriter::begin(&mut out, 5, FrameOptions::default(), &meta);
        w.push_value(specs[0].ty, Some(&Value::Int(1))).unwrap();
        w.push_value(specs[1].ty, Some(&Value::Text("a".into())))
            .unwrap();
        w.push_cell(Some(&2i32.to_be_bytes()));
        w.push_cell(None);
        assert_eq!(w.rows(), 2);
        let n = w.finish();
        assert_eq!(n, out.len());
        let body = &out[9..];
        assert_eq!(
            body,
            &[
                0, 0, 0, 2, // Rows
                0, 0, 0, 4, 0, 0, 0, 2, // no metadata, 2 columns
                0, 0, 0, 2, // rows
                0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 1, b'a', //
                0, 0, 0, 4, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff,
            ][..]
        );
    }

    #[test]
    fn failed_value_and_incomplete_row_leave_no_trace() {
        let mut out = BytesMut::new();
        let meta = RowsMetadata::new(Columns::CountOnly(2));
        let mut w = RowsWriter::begin(&mut out, 5, FrameOptions::default(), &meta);
        // An int column given a text value: an error, nothing written.
        assert!(w
            .push_value(&CqlType::Int, Some(&Value::Text("x".into())))
            .is_err());
        w.push_cell(Some(b"k"));
        w.push_cell(Some(b"v"));
        w.push_cell(Some(b"half a row"));
        assert_eq!(w.rows(), 1);
        w.finish();
        assert_eq!(&out[9 + 12..9 + 16], &[0, 0, 0, 1]);
        assert_eq!(out.len(), 9 + 16 + 5 + 5);
    }

    #[test]
    fn compressed_rows() {
        let mut out = BytesMut::new();
        let specs = specs();
        let meta = RowsMetadata::new(Columns::Specs(&specs));
        let mut w = RowsWriter::begin(
            &mut out,
            5,
            FrameOptions {
                compression: Some(Compression::Lz4),
                ..FrameOptions::default()
            },
            &meta,
        );
        for i in 0..100 {
            w.push_value(&CqlType::Int, Some(&Value::Int(i))).unwrap();
            w.push_value(&CqlType::Text, Some(&Value::Text("same text".into())))
                .unwrap();
        }
        w.finish();
        assert_eq!(out[1], 1);
        let body = Compression::Lz4.decompress(&out[9..], 1 << 20).unwrap();
        assert_eq!(&body[..4], &[0, 0, 0, 2]);
    }
}
