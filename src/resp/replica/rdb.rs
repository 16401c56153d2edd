//! The data set as an RDB file, the snapshot a Redis replica loads before it follows the
//! stream of writes. Only the plain encodings every Redis since 2.x loads are written (no
//! listpacks, no compression): bigger than redis-server's own files, but this format never
//! moves.

use std::io::Write;

use crate::command::{CommandError, Db};
use crate::node::views::{Element, Shape, Visitor};

/// RDB version 9 (Redis 5.0): every type written here exists in it, and every Redis and
/// Valkey since loads it.
const MAGIC: &[u8] = b"REDIS0009";

const OP_AUX: u8 = 0xFA;
const OP_EXPIRE_MS: u8 = 0xFC;
const OP_SELECT_DB: u8 = 0xFE;
const OP_EOF: u8 = 0xFF;

const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_BINARY: u8 = 5;

/// The checksum that ends the file: CRC-64 with Jones's polynomial, as Redis computes it.
static CRC: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_REDIS);

#[derive(Debug, thiserror::Error)]
pub enum RdbError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Read(#[from] CommandError),
}

/// Writes an RDB file as a data set walk visits it; [`RdbWriter::finish`] ends it.
pub struct RdbWriter<W: Write> {
    out: W,
    crc: crc::Digest<'static, u64>,
    db: Option<Db>,
}

impl<W: Write> RdbWriter<W> {
    pub fn new(out: W) -> Result<Self, RdbError> {
        let mut w = RdbWriter {
            out,
            crc: CRC.digest(),
            db: None,
        };
        w.raw(MAGIC)?;
        w.byte(OP_AUX)?;
        w.string(b"redis-ver")?;
        w.string(env!("CARGO_PKG_VERSION").as_bytes())?;
        w.byte(OP_AUX)?;
        w.string(b"redis-bits")?;
        w.string(b"64")?;
        Ok(w)
    }

    /// Ends the file with its checksum and returns the output.
    pub fn finish(mut self) -> Result<W, RdbError> {
        self.byte(OP_EOF)?;
        let sum = self.crc.finalize();
        self.out.write_all(&sum.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn raw(&mut self, b: &[u8]) -> Result<(), RdbError> {
        self.crc.update(b);
        self.out.write_all(b)?;
        Ok(())
    }

    fn byte(&mut self, b: u8) -> Result<(), RdbError> {
        self.raw(&[b])
    }

    /// RDB's length encoding: 6, 14, 32 or 64 bits, by size.
    fn len(&mut self, n: u64) -> Result<(), RdbError> {
        if n < 1 << 6 {
            self.byte(n as u8)
        } else if n < 1 << 14 {
            self.raw(&[0x40 | (n >> 8) as u8, n as u8])
        } else if n <= u64::from(u32::MAX) {
            self.byte(0x80)?;
            self.raw(&(n as u32).to_be_bytes())
        } else {
            self.byte(0x81)?;
            self.raw(&n.to_be_bytes())
        }
    }

    fn string(&mut self, s: &[u8]) -> Result<(), RdbError> {
        self.len(s.len() as u64)?;
        self.raw(s)
    }
}

impl<W: Write> Visitor for RdbWriter<W> {
    type Error = RdbError;

    fn key(
        &mut self,
        db: Db,
        key: &[u8],
        expire_at: Option<i64>,
        shape: Shape<'_>,
    ) -> Result<(), RdbError> {
        if self.db != Some(db) {
            self.byte(OP_SELECT_DB)?;
            self.len(u64::from(db))?;
            self.db = Some(db);
        }
        if let Some(at) = expire_at {
            self.byte(OP_EXPIRE_MS)?;
            self.raw(&at.to_le_bytes())?;
        }
        let (kind, len) = match shape {
            Shape::String(_) => (TYPE_STRING, None),
            Shape::List(n) => (TYPE_LIST, Some(n)),
            Shape::Set(n) => (TYPE_SET, Some(n)),
            Shape::Hash(n) => (TYPE_HASH, Some(n)),
            Shape::ZSet(n) => (TYPE_ZSET_BINARY, Some(n)),
        };
        self.byte(kind)?;
        self.string(key)?;
        match (shape, len) {
            (Shape::String(v), _) => self.string(v),
            (_, Some(n)) => self.len(n),
            _ => Ok(()),
        }
    }

    fn element(&mut self, e: Element<'_>) -> Result<(), RdbError> {
        match e {
            Element::Item(i) => self.string(i),
            Element::Field(f, v) => {
                self.string(f)?;
                self.string(v)
            }
            Element::Scored(m, score) => {
                self.string(m)?;
                self.raw(&score.to_le_bytes())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut RdbWriter<Vec<u8>>) -> Result<(), RdbError>) -> Vec<u8> {
        let mut w = RdbWriter::new(Vec::new()).expect("header");
        f(&mut w).expect("write");
        w.finish().expect("finish")
    }

    #[test]
    fn lengths_take_the_smallest_encoding() {
        let body = |n: u64| {
            let all = written(|w| w.len(n));
            let empty = written(|_| Ok(()));
            all[empty.len() - 9..all.len() - 9].to_vec()
        };
        assert_eq!(body(63), vec![63]);
        assert_eq!(body(64), vec![0x40, 64]);
        assert_eq!(body(16383), vec![0x7F, 0xFF]);
        assert_eq!(body(16384), vec![0x80, 0, 0, 0x40, 0]);
        assert_eq!(body(1 << 32), vec![0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn a_file_ends_with_the_checksum_of_everything_before_it() {
        let file = written(|w| {
            w.key(0, b"k", Some(1_700_000_000_000), Shape::String(b"v"))?;
            w.key(3, b"z", None, Shape::ZSet(1))?;
            w.element(Element::Scored(b"m", 1.5))
        });
        assert!(file.starts_with(MAGIC));
        let (body, sum) = file.split_at(file.len() - 8);
        assert_eq!(body.last(), Some(&OP_EOF));
        assert_eq!(sum, CRC.checksum(body).to_le_bytes());
        // Redis's own test vector for its CRC-64.
        assert_eq!(CRC.checksum(b"123456789"), 0xe9c6d914c4b8d9ca);
        let select_3 = body.windows(2).position(|w| w == [OP_SELECT_DB, 3]);
        assert!(select_3.is_some());
    }
}
