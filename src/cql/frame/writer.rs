//! Writing one response frame into the connection's output buffer: the header goes in first with a
//! placeholder length, the body is appended in place by whoever builds it, and `finish` compresses
//! the body (when the connection negotiated compression) and patches the length. Bodies are never
//! built in a buffer of their own and copied.

use bytes::{BufMut, BytesMut};

use super::compression::Compression;
use super::header::HEADER_LEN;
use super::wire::put_string_list;
use super::{FLAG_COMPRESSION, FLAG_TRACING, FLAG_WARNING, RESPONSE_VERSION};

/// Options of one response frame beyond its stream and opcode.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameOptions<'a> {
    /// Negotiated compression; bodies are compressed when this is set and the body is not empty.
    pub compression: Option<Compression>,
    /// The tracing session id, for a request that asked for tracing.
    pub tracing_id: Option<[u8; 16]>,
    /// Warnings for the client (the 0x08 flag).
    pub warnings: &'a [String],
}

/// A response frame being written at the end of `out`. Dropping it without [`FrameWriter::finish`]
/// removes the partial frame, so an error half way through a body cannot leave a corrupt frame
/// in the output.
#[derive(Debug)]
pub struct FrameWriter<'a> {
    out: &'a mut BytesMut,
    start: usize,
    body_start: usize,
    compression: Option<Compression>,
    finished: bool,
}

impl<'a> FrameWriter<'a> {
    /// Starts a frame with no tracing id or warnings.
    pub fn begin(
        out: &'a mut BytesMut,
        stream: i16,
        opcode: u8,
        compression: Option<Compression>,
    ) -> Self {
        Self::begin_with(
            out,
            stream,
            opcode,
            FrameOptions {
                compression,
                ..FrameOptions::default()
            },
        )
    }

    pub fn begin_with(
        out: &'a mut BytesMut,
        stream: i16,
        opcode: u8,
        opts: FrameOptions<'_>,
    ) -> Self {
        let start = out.len();
        let mut flags = 0;
        if opts.tracing_id.is_some() {
            flags |= FLAG_TRACING;
        }
        if !opts.warnings.is_empty() {
            flags |= FLAG_WARNING;
        }
        out.reserve(HEADER_LEN + 64);
        out.put_u8(RESPONSE_VERSION);
        out.put_u8(flags);
        out.put_i16(stream);
        out.put_u8(opcode);
        out.put_u32(0);
        let body_start = out.len();
        if let Some(id) = opts.tracing_id {
            out.put_slice(&id);
        }
        if !opts.warnings.is_empty() {
            put_string_list(out, opts.warnings);
        }
        FrameWriter {
            out,
            start,
            body_start,
            compression: opts.compression,
            finished: false,
        }
    }

    /// The output buffer, to append body bytes to.
    pub fn buf(&mut self) -> &mut BytesMut {
        self.out
    }

    /// Body bytes written so far (uncompressed).
    pub fn body_len(&self) -> usize {
        self.out.len() - self.body_start
    }

    /// Absolute offset in the buffer of the first body byte, for patching counts written earlier.
    pub fn body_start(&self) -> usize {
        self.body_start
    }

    /// Compresses and closes the frame; returns its length on the wire.
    pub fn finish(mut self) -> usize {
        if let Some(c) = self.compression {
            if self.out.len() > self.body_start {
                c.compress_tail(self.out, self.body_start);
                self.out[self.start + 1] |= FLAG_COMPRESSION;
            }
        }
        let len = (self.out.len() - self.body_start) as u32;
        self.out[self.start + 5..self.start + 9].copy_from_slice(&len.to_be_bytes());
        self.finished = true;
        self.out.len() - self.start
    }
}

impl Drop for FrameWriter<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.out.truncate(self.start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_patched_on_finish() {
        let mut out = BytesMut::from(&b"prev"[..]);
        let mut w = FrameWriter::begin(&mut out, 7, 0x08, None);
        w.buf().put_i32(1);
        assert_eq!(w.finish(), 13);
        assert_eq!(&out[..4], b"prev");
        assert_eq!(&out[4..], &[0x84, 0, 0, 7, 8, 0, 0, 0, 4, 0, 0, 0, 1]);
    }

    #[test]
    fn dropped_writer_leaves_nothing() {
        let mut out = BytesMut::from(&b"prev"[..]);
        {
            let mut w = FrameWriter::begin(&mut out, 7, 0x08, None);
            w.buf().put_slice(b"partial");
        }
        assert_eq!(&out[..], b"prev");
    }

    #[test]
    fn empty_bodies_are_not_compressed() {
        let mut out = BytesMut::new();
        FrameWriter::begin(&mut out, 1, 0x02, Some(Compression::Lz4)).finish();
        assert_eq!(&out[..], &[0x84, 0, 0, 1, 2, 0, 0, 0, 0]);
    }

    #[test]
    fn compressed_body_sets_the_flag() {
        let mut out = BytesMut::new();
        let mut w = FrameWriter::begin(&mut out, 1, 0x08, Some(Compression::Snappy));
        w.buf().put_slice(&[7u8; 100]);
        w.finish();
        assert_eq!(out[1], FLAG_COMPRESSION);
        let len = u32::from_be_bytes([out[5], out[6], out[7], out[8]]) as usize;
        assert_eq!(len, out.len() - 9);
        let body = Compression::Snappy.decompress(&out[9..], 1000).unwrap();
        assert_eq!(&body[..], &[7u8; 100]);
    }

    #[test]
    fn tracing_id_and_warnings_lead_the_body() {
        let mut out = BytesMut::new();
        let warnings = vec!["careful".to_string()];
        let w = FrameWriter::begin_with(
            &mut out,
            1,
            0x08,
            FrameOptions {
                compression: None,
                tracing_id: Some([9; 16]),
                warnings: &warnings,
            },
        );
        w.finish();
        assert_eq!(out[1], FLAG_TRACING | FLAG_WARNING);
        assert_eq!(&out[9..25], &[9; 16]);
        assert_eq!(&out[25..29], &[0, 1, 0, 7]);
        assert_eq!(&out[29..], b"careful");
    }
}
