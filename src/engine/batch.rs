//! Kafka record batches (message format v2), as the log stores them: the fixed 61-byte header
//! is read and, for the base offset and max timestamp, rewritten in place; the records after
//! it are never decoded on the write or fetch paths, whatever their compression.
//!
//! The header's CRC32C covers everything from the attributes on, so rewriting the base offset
//! (before it) keeps the producer's CRC valid; rewriting the max timestamp does not.

use bytes::{Bytes, BytesMut};

/// Bytes of the header before the records.
pub const HEADER_LEN: usize = 61;
/// Bytes of the header that `batch_length` does not count (base offset and the length itself).
pub const LOG_OVERHEAD: usize = 12;
const MAGIC_AT: usize = 16;
const CRC_AT: usize = 17;
const ATTRIBUTES_AT: usize = 21;
const LAST_OFFSET_DELTA_AT: usize = 23;
const BASE_TIMESTAMP_AT: usize = 27;
const MAX_TIMESTAMP_AT: usize = 35;
const PRODUCER_ID_AT: usize = 43;
const PRODUCER_EPOCH_AT: usize = 51;
const BASE_SEQUENCE_AT: usize = 53;
const RECORD_COUNT_AT: usize = 57;

/// Attribute bit: the timestamps are the broker's (LogAppendTime).
const LOG_APPEND_TIME: i16 = 1 << 3;
const TRANSACTIONAL: i16 = 1 << 4;
const CONTROL: i16 = 1 << 5;

/// Why a producer's records were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Not message format v2 (clients older than Kafka 0.11's format): UNSUPPORTED_VERSION.
    OldFormat,
    /// Lengths that do not add up, or a CRC that does not match: CORRUPT_MESSAGE.
    Corrupt,
    /// Transactional or control batches, which trident does not take: INVALID_RECORD.
    Unsupported,
}

fn i16_at(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}

fn i32_at(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn i64_at(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}

/// A view of one whole batch (header and records).
#[derive(Clone, Copy)]
pub struct Batch<'a>(&'a [u8]);

impl<'a> Batch<'a> {
    /// The batch at the start of `b`, if a whole header is there and its length fits `b`.
    pub fn first(b: &'a [u8]) -> Option<Batch<'a>> {
        if b.len() < HEADER_LEN {
            return None;
        }
        let len = usize::try_from(i32_at(b, 8)).ok()? + LOG_OVERHEAD;
        (len >= HEADER_LEN && len <= b.len()).then(|| Batch(&b[..len]))
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn base_offset(&self) -> i64 {
        i64_at(self.0, 0)
    }

    pub fn last_offset_delta(&self) -> i32 {
        i32_at(self.0, LAST_OFFSET_DELTA_AT)
    }

    /// The offset after the batch's last record.
    pub fn next_offset(&self) -> i64 {
        self.base_offset() + i64::from(self.last_offset_delta()) + 1
    }

    pub fn attributes(&self) -> i16 {
        i16_at(self.0, ATTRIBUTES_AT)
    }

    pub fn compression(&self) -> i16 {
        self.attributes() & 0x7
    }

    pub fn base_timestamp(&self) -> i64 {
        i64_at(self.0, BASE_TIMESTAMP_AT)
    }

    pub fn max_timestamp(&self) -> i64 {
        i64_at(self.0, MAX_TIMESTAMP_AT)
    }

    pub fn producer_id(&self) -> i64 {
        i64_at(self.0, PRODUCER_ID_AT)
    }

    pub fn producer_epoch(&self) -> i16 {
        i16_at(self.0, PRODUCER_EPOCH_AT)
    }

    pub fn base_sequence(&self) -> i32 {
        i32_at(self.0, BASE_SEQUENCE_AT)
    }

    pub fn record_count(&self) -> i32 {
        i32_at(self.0, RECORD_COUNT_AT)
    }

    /// The sequence number of the batch's last record (sequences wrap at `i32::MAX`).
    pub fn last_sequence(&self) -> i32 {
        let last = i64::from(self.base_sequence()) + i64::from(self.last_offset_delta());
        (last % (i64::from(i32::MAX) + 1)) as i32
    }

    /// Checks what the log relies on: format v2, a CRC that matches, a record count and offset
    /// delta that agree, no transactional or control batches.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.0[MAGIC_AT] != 2 {
            return Err(Invalid::OldFormat);
        }
        let stored = u32::from_be_bytes([
            self.0[CRC_AT],
            self.0[CRC_AT + 1],
            self.0[CRC_AT + 2],
            self.0[CRC_AT + 3],
        ]);
        if crc32c::crc32c(&self.0[ATTRIBUTES_AT..]) != stored {
            return Err(Invalid::Corrupt);
        }
        let count = self.record_count();
        if count <= 0 || self.last_offset_delta() != count - 1 {
            return Err(Invalid::Corrupt);
        }
        if self.attributes() & (TRANSACTIONAL | CONTROL) != 0 {
            return Err(Invalid::Unsupported);
        }
        Ok(())
    }

    /// The offset of the first record whose timestamp is at or after `ts`, when the records can
    /// be read without decompressing them; otherwise (or if none is) the batch's base offset.
    pub fn offset_at_or_after(&self, ts: i64) -> i64 {
        let base = self.base_offset();
        if self.compression() != 0 || self.attributes() & LOG_APPEND_TIME != 0 {
            return base;
        }
        let mut rest = &self.0[HEADER_LEN..];
        let base_ts = self.base_timestamp();
        for _ in 0..self.record_count() {
            let Some((len, n)) = varint(rest) else {
                return base;
            };
            let Some(record) = usize::try_from(len)
                .ok()
                .and_then(|len| rest.get(n..n + len))
            else {
                return base;
            };
            // attributes:i8, timestampDelta:varlong, offsetDelta:varint, ...
            let Some((ts_delta, m)) = record.get(1..).and_then(varint) else {
                return base;
            };
            let Some((offset_delta, _)) = record.get(1 + m..).and_then(varint) else {
                return base;
            };
            if base_ts + ts_delta >= ts {
                return base + offset_delta;
            }
            rest = &rest[n + record.len()..];
        }
        base
    }
}

/// A zigzag varint (Kafka's varint and varlong) and the bytes it took.
fn varint(b: &[u8]) -> Option<(i64, usize)> {
    let mut v: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((((v >> 1) as i64) ^ -((v & 1) as i64), i + 1));
        }
    }
    None
}

/// Splits a produce request's records into its batches, validating each.
pub fn split(records: &[u8]) -> Result<Vec<Batch<'_>>, Invalid> {
    let mut out = Vec::new();
    let mut rest = records;
    while !rest.is_empty() {
        if rest.len() > MAGIC_AT && rest[MAGIC_AT] != 2 {
            return Err(Invalid::OldFormat);
        }
        let batch = Batch::first(rest).ok_or(Invalid::Corrupt)?;
        batch.validate()?;
        rest = &rest[batch.len()..];
        out.push(batch);
    }
    if out.is_empty() {
        return Err(Invalid::Corrupt);
    }
    Ok(out)
}

/// A batch's bytes with its base offset set and, for topics that keep the broker's time, its
/// max timestamp set to `append_time` (and the CRC recomputed).
pub fn stamp(batch: &[u8], base_offset: i64, append_time: Option<i64>) -> Bytes {
    let mut b = BytesMut::from(batch);
    b[0..8].copy_from_slice(&base_offset.to_be_bytes());
    if let Some(t) = append_time {
        let attrs = i16_at(&b, ATTRIBUTES_AT) | LOG_APPEND_TIME;
        b[ATTRIBUTES_AT..ATTRIBUTES_AT + 2].copy_from_slice(&attrs.to_be_bytes());
        b[MAX_TIMESTAMP_AT..MAX_TIMESTAMP_AT + 8].copy_from_slice(&t.to_be_bytes());
        let crc = crc32c::crc32c(&b[ATTRIBUTES_AT..]);
        b[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
    }
    b.freeze()
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// An uncompressed batch of `values` with timestamps `ts0, ts0+1, ...`, as a producer builds it.
    pub fn build(values: &[&[u8]], ts0: i64, producer: (i64, i16, i32)) -> Vec<u8> {
        let mut records = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let mut r = vec![0u8];
            put_varint(&mut r, i as i64); // timestamp delta
            put_varint(&mut r, i as i64); // offset delta
            put_varint(&mut r, -1); // null key
            put_varint(&mut r, v.len() as i64);
            r.extend_from_slice(v);
            put_varint(&mut r, 0); // headers
            put_varint(&mut records, r.len() as i64);
            records.extend_from_slice(&r);
        }
        let n = values.len() as i32;
        let mut b = Vec::new();
        b.extend_from_slice(&0i64.to_be_bytes());
        b.extend_from_slice(&((HEADER_LEN - LOG_OVERHEAD + records.len()) as i32).to_be_bytes());
        b.extend_from_slice(&0i32.to_be_bytes());
        b.push(2);
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&0i16.to_be_bytes());
        b.extend_from_slice(&(n - 1).to_be_bytes());
        b.extend_from_slice(&ts0.to_be_bytes());
        b.extend_from_slice(&(ts0 + i64::from(n) - 1).to_be_bytes());
        b.extend_from_slice(&producer.0.to_be_bytes());
        b.extend_from_slice(&producer.1.to_be_bytes());
        b.extend_from_slice(&producer.2.to_be_bytes());
        b.extend_from_slice(&n.to_be_bytes());
        b.extend_from_slice(&records);
        let crc = crc32c::crc32c(&b[ATTRIBUTES_AT..]);
        b[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
        b
    }

    fn put_varint(out: &mut Vec<u8>, v: i64) {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        while z >= 0x80 {
            out.push((z as u8) | 0x80);
            z >>= 7;
        }
        out.push(z as u8);
    }

    #[test]
    fn a_built_batch_validates_and_a_flipped_byte_does_not() {
        let b = build(&[b"a", b"bc"], 1000, (-1, -1, -1));
        let batches = split(&b).expect("valid");
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].record_count(), 2);
        let mut bad = b.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(split(&bad).err(), Some(Invalid::Corrupt));
        let mut old = b.clone();
        old[MAGIC_AT] = 1;
        assert_eq!(split(&old).err(), Some(Invalid::OldFormat));
        assert_eq!(split(&b[..30]).err(), Some(Invalid::Corrupt));
    }

    #[test]
    fn stamping_keeps_the_crc_valid() {
        let b = build(&[b"a"], 1000, (-1, -1, -1));
        let s = stamp(&b, 42, Some(5000));
        let batch = Batch::first(&s).expect("whole");
        assert_eq!(batch.base_offset(), 42);
        assert_eq!(batch.max_timestamp(), 5000);
        assert!(batch.validate().is_ok());
    }

    #[test]
    fn finds_the_first_record_at_or_after_a_timestamp() {
        let b = stamp(&build(&[b"a", b"b", b"c"], 1000, (-1, -1, -1)), 10, None);
        let batch = Batch::first(&b).expect("whole");
        assert_eq!(batch.offset_at_or_after(1001), 11);
        assert_eq!(batch.offset_at_or_after(0), 10);
    }
}
