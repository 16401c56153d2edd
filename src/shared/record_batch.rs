//! Kafka record batches (message format v2), as the log stores them: the fixed 61-byte header
//! is read and, for the base offset and max timestamp, rewritten in place. The records after it
//! are checked once, when produced (decompressed if need be, as a Kafka broker does, so that one
//! bad producer cannot store a batch no consumer can read), and are never decoded on the fetch
//! path; a lookup by timestamp reads them again.
//!
//! The header's CRC32C covers everything from the attributes on, so rewriting the base offset
//! (before it) keeps the producer's CRC valid; rewriting the max timestamp does not.

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
    /// Records that decompress to more than [`MAX_DECOMPRESSED`]: MESSAGE_TOO_LARGE.
    TooLarge,
}

/// The most bytes one batch's records may decompress to: a small batch that expands without
/// bound (a decompression bomb) is refused rather than held in memory.
pub const MAX_DECOMPRESSED: usize = 64 << 20;

/// One record as a lookup by timestamp needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordInfo {
    pub offset_delta: i64,
    pub timestamp_delta: i64,
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
        let mut n = 0;
        self.each_record(|r| {
            // Offsets inside a batch are 0, 1, 2, ...: the log assigns them by count.
            if r.offset_delta != n {
                return false;
            }
            n += 1;
            true
        })?;
        Ok(())
    }

    /// The records region, decompressed.
    fn records(&self) -> Result<std::borrow::Cow<'a, [u8]>, Invalid> {
        use std::io::Read;
        let raw = &self.0[HEADER_LEN..];
        let limit = MAX_DECOMPRESSED as u64 + 1;
        let mut out = Vec::new();
        let read = match self.compression() {
            0 => return Ok(std::borrow::Cow::Borrowed(raw)),
            1 => flate2::read::GzDecoder::new(raw)
                .take(limit)
                .read_to_end(&mut out)
                .is_ok(),
            2 => snappy(raw, &mut out),
            3 => lz4_flex::frame::FrameDecoder::new(raw)
                .take(limit)
                .read_to_end(&mut out)
                .is_ok(),
            4 => match ruzstd::decoding::StreamingDecoder::new(raw) {
                Ok(d) => d.take(limit).read_to_end(&mut out).is_ok(),
                Err(_) => false,
            },
            _ => false,
        };
        if !read {
            return Err(Invalid::Corrupt);
        }
        if out.len() > MAX_DECOMPRESSED {
            return Err(Invalid::TooLarge);
        }
        Ok(std::borrow::Cow::Owned(out))
    }

    /// Walks the records, checking their framing: exactly `record_count` records that fill the
    /// region, each of whose fields fits its length. `f` may stop the walk (returning false is
    /// a corrupt batch unless the walk was only looking).
    fn each_record(&self, mut f: impl FnMut(RecordInfo) -> bool) -> Result<(), Invalid> {
        let records = self.records()?;
        let mut rest: &[u8] = &records;
        for _ in 0..self.record_count() {
            let (len, n) = varint(rest).ok_or(Invalid::Corrupt)?;
            let len = usize::try_from(len).map_err(|_| Invalid::Corrupt)?;
            let body = rest.get(n..n + len).ok_or(Invalid::Corrupt)?;
            let info = record(body).ok_or(Invalid::Corrupt)?;
            if !f(info) {
                return Err(Invalid::Corrupt);
            }
            rest = &rest[n + len..];
        }
        if !rest.is_empty() {
            return Err(Invalid::Corrupt);
        }
        Ok(())
    }

    /// Every record's offset and timestamp deltas (empty if the records do not read).
    pub fn record_infos(&self) -> Vec<RecordInfo> {
        let mut out = Vec::new();
        let _ = self.each_record(|r| {
            out.push(r);
            true
        });
        out
    }

    /// The first record whose timestamp is at or after `ts`: its offset and timestamp. A
    /// LogAppendTime batch's records all carry the batch's max timestamp.
    pub fn find_timestamp(&self, ts: i64) -> Option<(i64, i64)> {
        let base = self.base_offset();
        if self.attributes() & LOG_APPEND_TIME != 0 {
            return (self.max_timestamp() >= ts).then(|| (base, self.max_timestamp()));
        }
        let base_ts = self.base_timestamp();
        self.record_infos()
            .into_iter()
            .map(|r| (base + r.offset_delta, base_ts + r.timestamp_delta))
            .find(|(_, t)| *t >= ts)
    }

    /// The record with the largest timestamp (the first of them): its offset and timestamp.
    pub fn max_timestamp_record(&self) -> (i64, i64) {
        let base = self.base_offset();
        if self.attributes() & LOG_APPEND_TIME != 0 {
            return (base, self.max_timestamp());
        }
        let base_ts = self.base_timestamp();
        let mut best = (self.next_offset() - 1, self.max_timestamp());
        let mut top = i64::MIN;
        for r in self.record_infos() {
            if base_ts + r.timestamp_delta > top {
                top = base_ts + r.timestamp_delta;
                best = (base + r.offset_delta, top);
            }
        }
        best
    }
}

/// Decompresses Kafka's snappy: xerial-framed (what the Java client writes) or one raw block
/// (what librdkafka writes), refusing output over [`MAX_DECOMPRESSED`].
fn snappy(raw: &[u8], out: &mut Vec<u8>) -> bool {
    const XERIAL: &[u8] = b"\x82SNAPPY\x00";
    let mut decoder = snap::raw::Decoder::new();
    let mut block = |b: &[u8], out: &mut Vec<u8>| match snap::raw::decompress_len(b) {
        Ok(n) if out.len() + n <= MAX_DECOMPRESSED => {
            let at = out.len();
            out.resize(at + n, 0);
            decoder.decompress(b, &mut out[at..]).is_ok()
        }
        _ => false,
    };
    if !raw.starts_with(XERIAL) {
        return block(raw, out);
    }
    // Magic, version and compatible version, then length-prefixed blocks.
    let mut rest = match raw.get(16..) {
        Some(r) => r,
        None => return false,
    };
    while !rest.is_empty() {
        let Some(len) = rest
            .get(..4)
            .map(|l| u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize)
        else {
            return false;
        };
        let Some(b) = rest.get(4..4 + len) else {
            return false;
        };
        if !block(b, out) {
            return false;
        }
        rest = &rest[4 + len..];
    }
    true
}

/// The deltas of one record, if all its fields fit in it: attributes, timestamp delta, offset
/// delta, key, value and headers, and nothing after them.
fn record(body: &[u8]) -> Option<RecordInfo> {
    let mut rest = body.get(1..)?;
    let next = |rest: &mut &[u8]| -> Option<i64> {
        let (v, n) = varint(rest)?;
        *rest = &rest[n..];
        Some(v)
    };
    let timestamp_delta = next(&mut rest)?;
    let offset_delta = next(&mut rest)?;
    let bytes = |rest: &mut &[u8], len: i64, nullable: bool| -> Option<()> {
        if len < 0 {
            return (nullable && len == -1).then_some(());
        }
        let len = usize::try_from(len).ok()?;
        *rest = rest.get(len..)?;
        Some(())
    };
    let key = next(&mut rest)?;
    bytes(&mut rest, key, true)?;
    let value = next(&mut rest)?;
    bytes(&mut rest, value, true)?;
    let headers = next(&mut rest)?;
    if headers < 0 {
        return None;
    }
    for _ in 0..headers {
        let k = next(&mut rest)?;
        bytes(&mut rest, k, false)?;
        let v = next(&mut rest)?;
        bytes(&mut rest, v, true)?;
    }
    rest.is_empty().then_some(RecordInfo {
        offset_delta,
        timestamp_delta,
    })
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
pub fn stamp(batch: &[u8], base_offset: i64, append_time: Option<i64>) -> Vec<u8> {
    let mut b = batch.to_vec();
    b[0..8].copy_from_slice(&base_offset.to_be_bytes());
    if let Some(t) = append_time {
        let attrs = i16_at(&b, ATTRIBUTES_AT) | LOG_APPEND_TIME;
        b[ATTRIBUTES_AT..ATTRIBUTES_AT + 2].copy_from_slice(&attrs.to_be_bytes());
        b[MAX_TIMESTAMP_AT..MAX_TIMESTAMP_AT + 8].copy_from_slice(&t.to_be_bytes());
        let crc = crc32c::crc32c(&b[ATTRIBUTES_AT..]);
        b[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
    }
    b
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
        assert_eq!(batch.find_timestamp(1001), Some((11, 1001)));
        assert_eq!(batch.find_timestamp(0), Some((10, 1000)));
        assert_eq!(batch.find_timestamp(5000), None);
        assert_eq!(batch.max_timestamp_record(), (12, 1002));
    }
}
