//! The 9-byte frame header, and cutting whole frames off the connection's input buffer.
//!
//! A frame is *checked* before anything is taken from the buffer: the header alone says how long
//! the frame is, and that length is held against the configured maximum before the caller reserves
//! room for the body, so a client announcing 2 GiB costs nothing. A complete frame is then split
//! off the buffer and frozen, so its body is a zero-copy `Bytes`.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::ErrorResponse;
use super::{Frame, FLAG_COMPRESSION, RESPONSE_VERSION, VERSION};

/// Length of a v3+ header; v1 and v2 headers are 8 bytes (one-byte stream id).
pub const HEADER_LEN: usize = 9;
const LEGACY_HEADER_LEN: usize = 8;

/// A frame header as it came off the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The raw version byte: direction bit plus protocol version.
    pub version: u8,
    pub flags: u8,
    pub stream: i16,
    pub opcode: u8,
    /// Body length in bytes.
    pub length: u32,
}

impl FrameHeader {
    pub fn is_compressed(&self) -> bool {
        self.flags & FLAG_COMPRESSION != 0
    }

    /// Writes a v4 header.
    pub fn encode(&self, out: &mut impl BufMut) {
        out.put_u8(self.version);
        out.put_u8(self.flags);
        out.put_i16(self.stream);
        out.put_u8(self.opcode);
        out.put_u32(self.length);
    }
}

/// Why the input cannot be cut into a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A request for a protocol version we do not speak. Drivers open with v5 or DSE versions and
    /// downgrade when answered with this Protocol error, so it must reach them in a header they can
    /// read: see [`FrameError::reply`]. The connection is closed after the reply.
    #[error("Invalid or unsupported protocol version ({version}); supported versions are (4/v4)")]
    UnsupportedVersion { version: u8, stream: i16 },
    /// The header announces a frame longer than the configured maximum. Answered with an Invalid
    /// error on the frame's stream, as Cassandra does; the frame's bytes are skipped and the
    /// connection stays open (see [`FrameDecoder`]).
    #[error("Request is too big: length {frame_len} exceeds maximum allowed length {max}.")]
    TooLarge {
        stream: i16,
        /// Header plus body, as announced.
        frame_len: u64,
        max: usize,
    },
    /// Not a request frame of any protocol (e.g. a response-direction version byte): the peer is
    /// not a CQL client, so the connection is closed without a reply.
    #[error("Malformed frame: {0}")]
    Malformed(&'static str),
}

impl FrameError {
    /// Whether the connection must be closed (after sending [`FrameError::reply`], if any).
    pub fn closes_connection(&self) -> bool {
        !matches!(self, FrameError::TooLarge { .. })
    }

    /// The ERROR frame to send back, if any.
    ///
    /// For an unsupported version this follows Cassandra's `ProtocolVersion.decode`: a client
    /// speaking an old version (1 to 3) is answered in that version's header layout, so it can
    /// read it; anything newer or unknown (v5, DSE_V1 0x41, DSE_V2 0x42, ...) is answered as v4,
    /// the highest version we support, which is the version the driver then retries with. The
    /// client's stream id is echoed: the Python driver drops a response whose stream it is not
    /// waiting on, and then never learns to downgrade.
    pub fn reply(&self) -> Option<BytesMut> {
        match *self {
            FrameError::UnsupportedVersion { version, stream } => {
                let err = ErrorResponse::protocol(self.to_string());
                let mut body = BytesMut::new();
                err.encode_body(&mut body);
                let mut out = BytesMut::with_capacity(HEADER_LEN + body.len());
                let reply_version = if (1..=3).contains(&version) {
                    0x80 | version
                } else {
                    RESPONSE_VERSION
                };
                out.put_u8(reply_version);
                out.put_u8(0);
                if (1..=2).contains(&version) {
                    out.put_i8(stream as i8);
                } else {
                    out.put_i16(stream);
                }
                out.put_u8(super::OPCODE_ERROR);
                out.put_u32(body.len() as u32);
                out.put_slice(&body);
                Some(out)
            }
            FrameError::TooLarge { stream, .. } => {
                let err = ErrorResponse::invalid(self.to_string());
                let mut out = BytesMut::new();
                err.encode_frame(&mut out, stream, None);
                Some(out)
            }
            FrameError::Malformed(_) => None,
        }
    }
}

/// What [`check_frame`] found at the start of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameCheck {
    /// More bytes are needed: the frame (or, before the header is in, the header) is this many
    /// bytes long in total. The length has already been checked against the maximum, so the
    /// caller may reserve this much.
    Incomplete { needed: usize },
    /// A whole frame of `frame_len` bytes (header included) is buffered.
    Complete {
        header: FrameHeader,
        frame_len: usize,
    },
}

/// Looks at the buffered bytes without consuming or allocating anything. `max_frame_len` bounds
/// header plus body, as Cassandra's `native_transport_max_frame_size` does.
pub fn check_frame(buf: &[u8], max_frame_len: usize) -> Result<FrameCheck, FrameError> {
    let Some(&version) = buf.first() else {
        return Ok(FrameCheck::Incomplete { needed: HEADER_LEN });
    };
    if version & 0x80 != 0 {
        return Err(FrameError::Malformed(
            "response-direction version byte from a client",
        ));
    }
    if version != VERSION {
        // Wait for the stream id so the reply can echo it, in that version's header layout.
        let (needed, stream) = if (1..=2).contains(&version) {
            (LEGACY_HEADER_LEN, buf.get(2).map(|&b| i16::from(b as i8)))
        } else {
            (
                HEADER_LEN,
                buf.get(2..4).map(|b| i16::from_be_bytes([b[0], b[1]])),
            )
        };
        return match stream {
            Some(stream) => Err(FrameError::UnsupportedVersion { version, stream }),
            None => Ok(FrameCheck::Incomplete { needed }),
        };
    }
    if buf.len() < HEADER_LEN {
        return Ok(FrameCheck::Incomplete { needed: HEADER_LEN });
    }
    let header = FrameHeader {
        version,
        flags: buf[1],
        stream: i16::from_be_bytes([buf[2], buf[3]]),
        opcode: buf[4],
        length: u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]),
    };
    // The check before any allocation: the announced length, against the limit, from the header
    // alone. u64 so a 4 GiB announcement cannot wrap on a 32-bit target.
    let frame_len = HEADER_LEN as u64 + u64::from(header.length);
    if frame_len > max_frame_len as u64 {
        return Err(FrameError::TooLarge {
            stream: header.stream,
            frame_len,
            max: max_frame_len,
        });
    }
    let frame_len = frame_len as usize;
    if buf.len() < frame_len {
        return Ok(FrameCheck::Incomplete { needed: frame_len });
    }
    Ok(FrameCheck::Complete { header, frame_len })
}

/// Cuts the first frame off `buf` if it is complete. The body shares the buffer's allocation.
pub fn decode_frame(buf: &mut BytesMut, max_frame_len: usize) -> Result<Option<Frame>, FrameError> {
    match check_frame(buf, max_frame_len)? {
        FrameCheck::Incomplete { .. } => Ok(None),
        FrameCheck::Complete { header, frame_len } => {
            let frame: Bytes = buf.split_to(frame_len).freeze();
            Ok(Some(Frame {
                header,
                body: frame.slice(HEADER_LEN..),
            }))
        }
    }
}

/// [`decode_frame`] plus the state needed to skip an oversized frame: its body may arrive over
/// many reads after the error has been reported, and those bytes must not be parsed as frames.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    max_frame_len: usize,
    discard: u64,
}

impl FrameDecoder {
    pub fn new(max_frame_len: usize) -> Self {
        FrameDecoder {
            max_frame_len,
            discard: 0,
        }
    }

    /// Bytes of an oversized frame still to be skipped.
    pub fn discarding(&self) -> u64 {
        self.discard
    }

    /// The next complete frame, `Ok(None)` when more input is needed. On
    /// [`FrameError::TooLarge`] the frame's bytes are dropped from `buf` now and as they arrive.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        if self.discard > 0 {
            let n = self.discard.min(buf.len() as u64) as usize;
            let _ = buf.split_to(n);
            self.discard -= n as u64;
            if self.discard > 0 {
                return Ok(None);
            }
        }
        match decode_frame(buf, self.max_frame_len) {
            Err(e @ FrameError::TooLarge { frame_len, .. }) => {
                let n = frame_len.min(buf.len() as u64) as usize;
                let _ = buf.split_to(n);
                self.discard = frame_len - n as u64;
                Err(e)
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 256 * 1024;

    fn header(version: u8, stream: i16, opcode: u8, len: u32) -> Vec<u8> {
        let mut v = vec![version, 0];
        v.extend_from_slice(&stream.to_be_bytes());
        v.push(opcode);
        v.extend_from_slice(&len.to_be_bytes());
        v
    }

    #[test]
    fn incomplete_header_and_body_ask_for_more() {
        assert_eq!(
            check_frame(&[], MAX),
            Ok(FrameCheck::Incomplete { needed: 9 })
        );
        assert_eq!(
            check_frame(&[4, 0, 0], MAX),
            Ok(FrameCheck::Incomplete { needed: 9 })
        );
        let mut f = header(4, 1, 7, 5);
        f.extend_from_slice(&[1, 2]);
        assert_eq!(
            check_frame(&f, MAX),
            Ok(FrameCheck::Incomplete { needed: 14 })
        );
        let mut buf = BytesMut::from(&f[..]);
        assert_eq!(decode_frame(&mut buf, MAX), Ok(None));
        assert_eq!(buf.len(), 11, "nothing consumed");
    }

    #[test]
    fn complete_frame_is_split_off_and_the_rest_kept() {
        let mut f = header(4, 3, 5, 2);
        f.extend_from_slice(&[0xaa, 0xbb, 0x04]);
        let mut buf = BytesMut::from(&f[..]);
        let frame = decode_frame(&mut buf, MAX).unwrap().unwrap();
        assert_eq!(frame.header.stream, 3);
        assert_eq!(frame.header.opcode, 5);
        assert_eq!(&frame.body[..], &[0xaa, 0xbb]);
        assert_eq!(&buf[..], &[0x04]);
    }

    #[test]
    fn oversize_length_is_rejected_from_the_header_alone() {
        let f = header(4, 9, 7, u32::MAX);
        let err = check_frame(&f, MAX).unwrap_err();
        assert_eq!(
            err,
            FrameError::TooLarge {
                stream: 9,
                frame_len: 9 + u64::from(u32::MAX),
                max: MAX
            }
        );
        assert!(!err.closes_connection());
        let reply = err.reply().unwrap();
        assert_eq!(&reply[..5], &[0x84, 0, 0, 9, 0]);
        assert_eq!(&reply[9..13], &0x2200i32.to_be_bytes());
    }

    #[test]
    fn decoder_skips_an_oversized_frame_across_reads() {
        let mut d = FrameDecoder::new(20);
        let mut buf = BytesMut::from(&header(4, 1, 7, 30)[..]);
        buf.extend_from_slice(&[0; 10]);
        assert!(matches!(
            d.decode(&mut buf),
            Err(FrameError::TooLarge { .. })
        ));
        assert_eq!(buf.len(), 0);
        assert_eq!(d.discarding(), 20);
        buf.extend_from_slice(&[0; 15]);
        assert_eq!(d.decode(&mut buf), Ok(None));
        // The last 5 bytes of the big frame, then a whole OPTIONS frame.
        buf.extend_from_slice(&[0; 5]);
        buf.extend_from_slice(&header(4, 2, 5, 0));
        let f = d.decode(&mut buf).unwrap().unwrap();
        assert_eq!(f.header.stream, 2);
        assert_eq!(d.discarding(), 0);
    }

    #[test]
    fn response_direction_byte_is_malformed() {
        let err = check_frame(&header(0x84, 0, 5, 0), MAX).unwrap_err();
        assert!(matches!(err, FrameError::Malformed(_)));
        assert!(err.closes_connection());
        assert!(err.reply().is_none());
    }

    #[test]
    fn unsupported_versions_are_answered_in_a_header_the_client_reads() {
        // v5 OPTIONS on stream 0x0102: answered as v4 on the same stream.
        let err = check_frame(&header(5, 0x0102, 5, 0), MAX).unwrap_err();
        assert_eq!(
            err,
            FrameError::UnsupportedVersion {
                version: 5,
                stream: 0x0102
            }
        );
        let reply = err.reply().unwrap();
        assert_eq!(&reply[..5], &[0x84, 0, 1, 2, 0]);
        let body = &reply[9..];
        assert_eq!(
            reply.len() - 9,
            u32::from_be_bytes([reply[5], reply[6], reply[7], reply[8]]) as usize
        );
        assert_eq!(&body[..4], &[0, 0, 0, 0x0a]);
        let msg = "Invalid or unsupported protocol version (5); supported versions are (4/v4)";
        assert_eq!(&body[4..6], &(msg.len() as u16).to_be_bytes());
        assert_eq!(&body[6..], msg.as_bytes());
        // DSE_V2 (0x42): as v4 too.
        let reply = check_frame(&header(0x42, 7, 5, 0), MAX)
            .unwrap_err()
            .reply()
            .unwrap();
        assert_eq!(&reply[..4], &[0x84, 0, 0, 7]);
        // v3: answered with a v3 header.
        let reply = check_frame(&header(3, 7, 5, 0), MAX)
            .unwrap_err()
            .reply()
            .unwrap();
        assert_eq!(&reply[..4], &[0x83, 0, 0, 7]);
        // v2: 8-byte header, one-byte stream id.
        let reply = check_frame(&[2, 0, 5, 5, 0, 0, 0, 0], MAX)
            .unwrap_err()
            .reply()
            .unwrap();
        assert_eq!(&reply[..4], &[0x82, 0, 5, 0]);
        assert_eq!(&reply[8..12], &[0, 0, 0, 0x0a]);
    }

    #[test]
    fn unsupported_version_waits_for_the_stream_id() {
        assert_eq!(
            check_frame(&[5, 0, 0], MAX),
            Ok(FrameCheck::Incomplete { needed: 9 })
        );
        assert_eq!(
            check_frame(&[2, 0], MAX),
            Ok(FrameCheck::Incomplete { needed: 8 })
        );
    }
}
