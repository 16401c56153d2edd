//! Frame body compression (spec section 5), negotiated once by STARTUP's `COMPRESSION` option.
//!
//! LZ4 bodies are Cassandra's v4 layout: the uncompressed length as a 4-byte big-endian int, then
//! one LZ4 block. Snappy bodies are raw snappy (its own varint length header, no framing). Either
//! way the announced uncompressed length is held against the frame limit before anything is
//! allocated, so a small frame cannot inflate into gigabytes.

use bytes::{Bytes, BytesMut};

/// A negotiated body compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Lz4,
    Snappy,
}

/// A compressed body that does not decompress within the limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompressionError {
    #[error("Compressed body too short")]
    Truncated,
    #[error("Decompressed body of {len} bytes exceeds the maximum frame length {max}")]
    TooLarge { len: u64, max: usize },
    #[error("Invalid {0} compressed body")]
    Corrupt(&'static str),
}

impl Compression {
    /// The algorithm STARTUP asks for. Cassandra lowercases the option before looking it up.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "lz4" => Some(Compression::Lz4),
            "snappy" => Some(Compression::Snappy),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::Lz4 => "lz4",
            Compression::Snappy => "snappy",
        }
    }

    /// Decompresses a request body, refusing to produce more than `max_len` bytes.
    pub fn decompress(self, body: &[u8], max_len: usize) -> Result<Bytes, CompressionError> {
        match self {
            Compression::Lz4 => {
                let (len, block) = match body {
                    [a, b, c, d, rest @ ..] => (u32::from_be_bytes([*a, *b, *c, *d]), rest),
                    _ => return Err(CompressionError::Truncated),
                };
                if u64::from(len) > max_len as u64 {
                    return Err(CompressionError::TooLarge {
                        len: u64::from(len),
                        max: max_len,
                    });
                }
                let mut out = vec![0u8; len as usize];
                let n = lz4_flex::block::decompress_into(block, &mut out)
                    .map_err(|_| CompressionError::Corrupt("lz4"))?;
                if n != out.len() {
                    return Err(CompressionError::Corrupt("lz4"));
                }
                Ok(Bytes::from(out))
            }
            Compression::Snappy => {
                let len = snap::raw::decompress_len(body)
                    .map_err(|_| CompressionError::Corrupt("snappy"))?;
                if len > max_len {
                    return Err(CompressionError::TooLarge {
                        len: len as u64,
                        max: max_len,
                    });
                }
                let mut out = vec![0u8; len];
                let n = snap::raw::Decoder::new()
                    .decompress(body, &mut out)
                    .map_err(|_| CompressionError::Corrupt("snappy"))?;
                out.truncate(n);
                Ok(Bytes::from(out))
            }
        }
    }

    /// Compresses `out[start..]` in place: the compressed form is written past the end of the
    /// buffer, moved down over the original and the buffer truncated, so no second buffer is
    /// allocated per frame.
    pub fn compress_tail(self, out: &mut BytesMut, start: usize) {
        let end = out.len();
        let input_len = end - start;
        let bound = match self {
            Compression::Lz4 => 4 + lz4_flex::block::get_maximum_output_size(input_len),
            Compression::Snappy => snap::raw::max_compress_len(input_len),
        };
        out.resize(end + bound, 0);
        let (src, dst) = out.split_at_mut(end);
        let src = &src[start..];
        let written = match self {
            Compression::Lz4 => {
                dst[..4].copy_from_slice(&(input_len as u32).to_be_bytes());
                // The destination is sized by the crate's own bound, so this cannot fail; an
                // error would leave the frame uncompressed rather than corrupt.
                match lz4_flex::block::compress_into(src, &mut dst[4..]) {
                    Ok(n) => Some(4 + n),
                    Err(_) => None,
                }
            }
            Compression::Snappy => snap::raw::Encoder::new().compress(src, dst).ok(),
        };
        match written {
            Some(n) => {
                out.copy_within(end..end + n, start);
                out.truncate(start + n);
            }
            None => out.truncate(end),
        }
    }

    /// Compresses a whole body into a new buffer.
    pub fn compress(self, body: &[u8]) -> Bytes {
        let mut out = BytesMut::from(body);
        self.compress_tail(&mut out, 0);
        out.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        b"SELECT col0, col1, col2, col3, col4 FROM ks.t WHERE k = ? AND col0 = col1".repeat(20)
    }

    #[test]
    fn round_trips() {
        for c in [Compression::Lz4, Compression::Snappy] {
            let data = sample();
            let packed = c.compress(&data);
            assert!(packed.len() < data.len());
            assert_eq!(&c.decompress(&packed, 1 << 20).unwrap()[..], &data[..]);
            // Empty bodies too.
            assert!(c.decompress(&c.compress(&[]), 10).unwrap().is_empty());
        }
    }

    #[test]
    fn compress_tail_keeps_the_prefix() {
        let data = sample();
        let mut buf = BytesMut::from(&b"HEADER---"[..]);
        buf.extend_from_slice(&data);
        Compression::Lz4.compress_tail(&mut buf, 9);
        assert_eq!(&buf[..9], b"HEADER---");
        assert_eq!(
            &Compression::Lz4.decompress(&buf[9..], 1 << 20).unwrap()[..],
            &data[..]
        );
    }

    #[test]
    fn lz4_length_prefix_is_big_endian() {
        let packed = Compression::Lz4.compress(b"hello hello hello hello");
        assert_eq!(&packed[..4], &[0, 0, 0, 23]);
    }

    #[test]
    fn announced_length_is_bounded_before_allocating() {
        // LZ4 announcing 4 GiB.
        assert_eq!(
            Compression::Lz4.decompress(&[0xff, 0xff, 0xff, 0xff, 0], 1024),
            Err(CompressionError::TooLarge {
                len: u64::from(u32::MAX),
                max: 1024
            })
        );
        // Snappy announcing ~2 GiB (varint 0x80 0x80 0x80 0x80 0x08).
        assert!(matches!(
            Compression::Snappy.decompress(&[0x80, 0x80, 0x80, 0x80, 0x08, 0], 1024),
            Err(CompressionError::TooLarge { .. })
        ));
        let packed = Compression::Snappy.compress(&sample());
        assert!(matches!(
            Compression::Snappy.decompress(&packed, 10),
            Err(CompressionError::TooLarge { .. })
        ));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert_eq!(
            Compression::Lz4.decompress(&[0, 0], 1024),
            Err(CompressionError::Truncated)
        );
        assert!(Compression::Lz4
            .decompress(&[0, 0, 0, 100, 0xff, 0xff, 0xff], 1024)
            .is_err());
        assert!(Compression::Snappy
            .decompress(&[10, 0xff, 0xff], 1024)
            .is_err());
    }

    #[test]
    fn names() {
        assert_eq!(Compression::from_name("LZ4"), Some(Compression::Lz4));
        assert_eq!(Compression::from_name("snappy"), Some(Compression::Snappy));
        assert_eq!(Compression::from_name("zstd"), None);
    }
}
