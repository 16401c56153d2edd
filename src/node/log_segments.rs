//! The Raft log's entries on disk: append-only segment files, each named after the index of its
//! first entry (`<dir>/<first index>.log`).
//!
//! Why not a fjall keyspace: an entry is written once and read back at most a few times, in
//! order, and then dropped wholesale behind a snapshot. In an LSM tree every entry is also copied
//! into a memtable (which grows to its size limit and holds its memory), flushed into tables and
//! compacted, all for data that is about to be purged. Here an entry is one `write` into the page
//! cache, a purge deletes whole files, and a truncation shortens the last one.
//!
//! A record is a 20-byte header (payload length `u32`, index `u64`, xxh3 of the payload seeded
//! with the index `u64`, all little-endian) followed by the payload. On open every record is
//! checked; the log ends at the first one that is torn or corrupt (what a crash in the middle of
//! an append leaves), and everything after it is cut off.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use xxhash_rust::xxh3::xxh3_64_with_seed;

const HEADER: usize = 20;
/// Larger payloads are refused on append and treated as corruption on open, so that a damaged
/// length field cannot make recovery allocate without bound.
const MAX_RECORD: usize = 1 << 30;

/// Records to append together: encoded into one buffer, written with one `write`.
#[derive(Clone, Default)]
pub struct RecordBatch {
    buf: Vec<u8>,
    /// Each record's index and where it ends in `buf`.
    records: Vec<(u64, usize)>,
}

impl RecordBatch {
    pub fn clear(&mut self) {
        self.buf.clear();
        self.records.clear();
    }

    /// Adds the record for `index`, whose payload `encode` appends to the buffer it is given.
    /// Returns the payload's size.
    pub fn push(
        &mut self,
        index: u64,
        encode: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
    ) -> io::Result<usize> {
        let start = self.buf.len();
        self.buf.extend_from_slice(&[0; HEADER]);
        if let Err(e) = encode(&mut self.buf) {
            self.buf.truncate(start);
            return Err(e);
        }
        let len = self.buf.len() - start - HEADER;
        if len > MAX_RECORD {
            self.buf.truncate(start);
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "log entry larger than 1 GiB",
            ));
        }
        let sum = xxh3_64_with_seed(&self.buf[start + HEADER..], index);
        let header = &mut self.buf[start..start + HEADER];
        header[..4].copy_from_slice(&(len as u32).to_le_bytes());
        header[4..12].copy_from_slice(&index.to_le_bytes());
        header[12..].copy_from_slice(&sum.to_le_bytes());
        self.records.push((index, self.buf.len()));
        Ok(len)
    }
}

struct Segment {
    first: u64,
    path: PathBuf,
    file: Arc<File>,
    /// Where each record ends: record `first + k` spans `ends[k - 1]` (or 0) to `ends[k]`.
    ends: Vec<u64>,
}

impl Segment {
    fn len(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    fn last(&self) -> Option<u64> {
        (!self.ends.is_empty()).then(|| self.first + self.ends.len() as u64 - 1)
    }

    fn start_of(&self, index: u64) -> u64 {
        match (index - self.first) as usize {
            0 => 0,
            k => self.ends[k - 1],
        }
    }
}

struct Inner {
    segments: VecDeque<Segment>,
    /// Files written to since the last [`SegmentLog::sync`].
    unsynced: Vec<Arc<File>>,
}

pub struct SegmentLog {
    dir: PathBuf,
    /// A new segment is started once the current one has grown past this. Purges delete whole
    /// segments, so this is also how much of the purged log may linger on disk.
    segment_bytes: u64,
    inner: Mutex<Inner>,
}

fn corrupt(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}.log"))
}

/// Makes the creation or removal of files in `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The index of the newest record in `segments`, if there is one.
fn newest(segments: &VecDeque<Segment>) -> Option<u64> {
    segments.iter().rev().find_map(Segment::last)
}

/// Deletes the files of segments taken out of the log, durably.
fn delete(dir: &Path, gone: Vec<Segment>) -> io::Result<()> {
    if gone.is_empty() {
        return Ok(());
    }
    for s in &gone {
        std::fs::remove_file(&s.path)?;
    }
    sync_dir(dir)
}

/// Checks one record at the start of `buf`: its payload if it is whole, has the expected index
/// and its checksum matches.
fn parse_record(buf: &[u8], index: u64) -> Option<&[u8]> {
    let header = buf.get(..HEADER)?;
    let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
    let stored_index = u64::from_le_bytes(header[4..12].try_into().ok()?);
    let sum = u64::from_le_bytes(header[12..].try_into().ok()?);
    if len > MAX_RECORD || stored_index != index {
        return None;
    }
    let payload = buf.get(HEADER..HEADER + len)?;
    (xxh3_64_with_seed(payload, index) == sum).then_some(payload)
}

impl SegmentLog {
    /// Opens the log in `dir`, checking every record and cutting the log at the first bad one.
    pub fn open(dir: &Path, segment_bytes: u64) -> io::Result<SegmentLog> {
        std::fs::create_dir_all(dir)?;
        let mut firsts = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let name = entry?.file_name();
            let Some(first) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".log"))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            firsts.push(first);
        }
        firsts.sort_unstable();
        let mut segments: VecDeque<Segment> = VecDeque::new();
        let mut cut = false;
        for first in firsts {
            let path = segment_path(dir, first);
            let after = newest(&segments);
            if cut || after.is_some_and(|a| first <= a) {
                // After a bad record, or overlapping the log: not part of it.
                tracing::warn!(path = %path.display(), "dropping a Raft log segment after the end of the log");
                std::fs::remove_file(&path)?;
                cut = true;
                continue;
            }
            let file = OpenOptions::new().read(true).append(true).open(&path)?;
            let bytes = std::fs::read(&path)?;
            let mut ends = Vec::new();
            let mut at = 0usize;
            while at < bytes.len() {
                let index = first + ends.len() as u64;
                match parse_record(&bytes[at..], index) {
                    Some(payload) => {
                        at += HEADER + payload.len();
                        ends.push(at as u64);
                    }
                    None => {
                        tracing::warn!(
                            path = %path.display(),
                            index,
                            "the Raft log ends in a torn or corrupt record; cutting it there"
                        );
                        file.set_len(at as u64)?;
                        file.sync_all()?;
                        cut = true;
                        break;
                    }
                }
            }
            // An empty segment (created just before a crash) only counts if it is the last.
            if let Some(prev) = segments.back() {
                if prev.ends.is_empty() {
                    std::fs::remove_file(&prev.path)?;
                    segments.pop_back();
                }
            }
            segments.push_back(Segment {
                first,
                path,
                file: Arc::new(file),
                ends,
            });
        }
        if cut {
            sync_dir(dir)?;
        }
        Ok(SegmentLog {
            dir: dir.to_path_buf(),
            segment_bytes,
            inner: Mutex::new(Inner {
                segments,
                unsynced: Vec::new(),
            }),
        })
    }

    /// The index of the newest record, if there is one.
    pub fn last_index(&self) -> Option<u64> {
        newest(&self.inner.lock().segments)
    }

    /// How many bytes the records after `index` take on disk (all of them for `None`).
    pub fn bytes_after(&self, index: Option<u64>) -> u64 {
        let from = index.map_or(0, |i| i.saturating_add(1));
        self.inner
            .lock()
            .segments
            .iter()
            .filter(|s| s.last().is_some_and(|l| l >= from))
            .map(|s| s.len() - s.start_of(from.max(s.first)))
            .sum()
    }

    /// Appends the batch, which must start after the newest record. It may leave a gap: the
    /// records in between are covered by a snapshot and are never read.
    pub fn append(&self, batch: &RecordBatch) -> io::Result<()> {
        let Some(&(first, _)) = batch.records.first() else {
            return Ok(());
        };
        let mut inner = self.inner.lock();
        if let Some(last) = newest(&inner.segments) {
            if first <= last {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("log append at {first} overlaps the log, which ends at {last}"),
                ));
            }
        }
        // Segments with no records give way to the one this batch starts.
        while inner.segments.back().is_some_and(|s| s.ends.is_empty()) {
            if let Some(s) = inner.segments.pop_back() {
                std::fs::remove_file(&s.path)?;
            }
        }
        // A batch that does not follow the newest record (after a snapshot was installed
        // beyond the end of the log, before the older records are purged) starts a segment of
        // its own, as does one that finds the current segment full.
        let roll = inner.segments.back().is_none_or(|s| {
            s.len() >= self.segment_bytes || s.last().map(|l| l + 1) != Some(first)
        });
        if roll {
            let path = segment_path(&self.dir, first);
            let file = OpenOptions::new()
                .read(true)
                .append(true)
                .create(true)
                .truncate(false)
                .open(&path)?;
            file.set_len(0)?;
            sync_dir(&self.dir)?;
            inner.segments.push_back(Segment {
                first,
                path,
                file: Arc::new(file),
                ends: Vec::new(),
            });
        }
        let Inner {
            segments, unsynced, ..
        } = &mut *inner;
        let Some(seg) = segments.back_mut() else {
            return Err(io::Error::other("no segment to append to"));
        };
        let base = seg.len();
        if let Err(e) = (&*seg.file).write_all(&batch.buf) {
            // Leave no partial record behind for the next append to follow.
            let _ = seg.file.set_len(base);
            return Err(e);
        }
        seg.ends
            .extend(batch.records.iter().map(|&(_, end)| base + end as u64));
        if !unsynced.last().is_some_and(|f| Arc::ptr_eq(f, &seg.file)) {
            unsynced.push(seg.file.clone());
        }
        Ok(())
    }

    /// Calls `each` with the index and payload of every record in `[start, end)` that the log
    /// holds, in order.
    pub fn read(
        &self,
        start: u64,
        end: u64,
        mut each: impl FnMut(u64, &[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let inner = self.inner.lock();
        let mut buf = Vec::new();
        for seg in &inner.segments {
            let Some(last) = seg.last() else { continue };
            let from = start.max(seg.first);
            let to = end.min(last + 1);
            if from >= to {
                continue;
            }
            let at = seg.start_of(from);
            let until = seg.ends[(to - 1 - seg.first) as usize];
            buf.resize((until - at) as usize, 0);
            seg.file.read_exact_at(&mut buf, at)?;
            let mut off = 0usize;
            for index in from..to {
                let payload = parse_record(&buf[off..], index)
                    .ok_or_else(|| corrupt(format!("Raft log record {index} is corrupt")))?;
                off += HEADER + payload.len();
                each(index, payload)?;
            }
        }
        Ok(())
    }

    /// Removes every record after `last_kept` (all of them for `None`).
    pub fn truncate_after(&self, last_kept: Option<u64>) -> io::Result<()> {
        let mut inner = self.inner.lock();
        let keep_from = last_kept.map_or(0, |l| l.saturating_add(1));
        let mut gone = Vec::new();
        while inner.segments.back().is_some_and(|s| s.first >= keep_from) {
            gone.extend(inner.segments.pop_back());
        }
        delete(&self.dir, gone)?;
        let Inner {
            segments, unsynced, ..
        } = &mut *inner;
        if let Some(seg) = segments.back_mut() {
            if seg.last().is_some_and(|l| l >= keep_from) {
                let keep = (keep_from - seg.first) as usize;
                let len = seg.start_of(keep_from);
                seg.file.set_len(len)?;
                seg.ends.truncate(keep);
                unsynced.push(seg.file.clone());
            }
        }
        Ok(())
    }

    /// Deletes the segments whose records are all at or before `upto`. Records of a segment
    /// that also holds newer ones stay on disk; the caller ignores them.
    pub fn purge_upto(&self, upto: u64) -> io::Result<()> {
        let mut inner = self.inner.lock();
        let mut gone = Vec::new();
        while inner
            .segments
            .front()
            .is_some_and(|s| s.last().is_some_and(|l| l <= upto))
        {
            if let Some(s) = inner.segments.pop_front() {
                inner.unsynced.retain(|f| !Arc::ptr_eq(f, &s.file));
                gone.push(s);
            }
        }
        delete(&self.dir, gone)
    }

    /// Makes everything appended or truncated so far durable.
    pub fn sync(&self) -> io::Result<()> {
        let files = std::mem::take(&mut self.inner.lock().unsynced);
        for (i, f) in files.iter().enumerate() {
            if let Err(e) = f.sync_data() {
                // Still owed: the next sync tries again.
                self.inner
                    .lock()
                    .unsynced
                    .extend(files[i..].iter().cloned());
                return Err(e);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(range: std::ops::Range<u64>) -> RecordBatch {
        let mut b = RecordBatch::default();
        for i in range {
            b.push(i, |buf| {
                buf.extend_from_slice(format!("entry {i}").as_bytes());
                Ok(())
            })
            .expect("push");
        }
        b
    }

    fn all(log: &SegmentLog) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        log.read(0, u64::MAX, |i, p| {
            out.push((i, String::from_utf8_lossy(p).into_owned()));
            Ok(())
        })
        .expect("read");
        out
    }

    fn expect(range: std::ops::Range<u64>) -> Vec<(u64, String)> {
        range.map(|i| (i, format!("entry {i}"))).collect()
    }

    #[test]
    fn appends_read_back_across_reopen_truncate_and_purge() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = SegmentLog::open(dir.path(), 64 << 20).expect("open");
        log.append(&batch(1..4)).expect("append");
        log.append(&batch(4..6)).expect("append");
        assert!(log.append(&batch(5..6)).is_err(), "an overlap is refused");
        log.sync().expect("sync");
        drop(log);
        let log = SegmentLog::open(dir.path(), 64 << 20).expect("reopen");
        assert_eq!(all(&log), expect(1..6));
        let mut some = Vec::new();
        log.read(2, 4, |i, _| {
            some.push(i);
            Ok(())
        })
        .expect("read");
        assert_eq!(some, vec![2, 3]);
        let record = (HEADER + "entry 1".len()) as u64;
        assert_eq!(log.bytes_after(None), 5 * record);
        assert_eq!(log.bytes_after(Some(3)), 2 * record);
        assert_eq!(log.bytes_after(Some(5)), 0);
        log.truncate_after(Some(3)).expect("truncate");
        log.append(&batch(4..5)).expect("append after truncate");
        assert_eq!(all(&log), expect(1..5));
        log.purge_upto(10).expect("purge everything");
        assert_eq!(log.last_index(), None);
        // After a snapshot the log restarts wherever the snapshot ends.
        log.append(&batch(20..22)).expect("append after purge");
        drop(log);
        let log = SegmentLog::open(dir.path(), 64 << 20).expect("reopen");
        assert_eq!(all(&log), expect(20..22));
    }

    #[test]
    fn a_purge_deletes_whole_segments_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = SegmentLog::open(dir.path(), 1).expect("open");
        log.append(&batch(1..3)).expect("append");
        log.append(&batch(3..5)).expect("append");
        log.append(&batch(5..7)).expect("append");
        log.purge_upto(3).expect("purge");
        assert!(!segment_path(dir.path(), 1).exists());
        assert!(
            segment_path(dir.path(), 3).exists(),
            "holds 4, which is not purged"
        );
        drop(log);
        let log = SegmentLog::open(dir.path(), 1).expect("reopen");
        assert_eq!(all(&log), expect(3..7));
    }

    #[test]
    fn a_torn_tail_is_cut_off_on_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = SegmentLog::open(dir.path(), 64 << 20).expect("open");
        log.append(&batch(1..4)).expect("append");
        drop(log);
        let path = segment_path(dir.path(), 1);
        let len = std::fs::metadata(&path).expect("stat").len();
        // A crash in the middle of the last record's write.
        OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open segment")
            .set_len(len - 3)
            .expect("tear");
        let log = SegmentLog::open(dir.path(), 64 << 20).expect("reopen");
        assert_eq!(all(&log), expect(1..3));
        log.append(&batch(3..4))
            .expect("append where the log now ends");
        drop(log);
        let log = SegmentLog::open(dir.path(), 64 << 20).expect("reopen");
        assert_eq!(all(&log), expect(1..4));
    }

    #[test]
    fn a_corrupt_record_ends_the_log_and_later_segments_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Segments of one byte: every append starts a new one.
        let log = SegmentLog::open(dir.path(), 1).expect("open");
        log.append(&batch(1..4)).expect("append");
        log.append(&batch(4..6)).expect("append");
        assert!(segment_path(dir.path(), 4).exists());
        drop(log);
        // Flip a payload byte of record 2.
        let path = segment_path(dir.path(), 1);
        let mut bytes = std::fs::read(&path).expect("read");
        let second = HEADER + "entry 1".len() + HEADER;
        bytes[second] ^= 0xff;
        std::fs::write(&path, bytes).expect("write");
        let log = SegmentLog::open(dir.path(), 64 << 20).expect("reopen");
        assert_eq!(all(&log), expect(1..2));
        assert!(!segment_path(dir.path(), 4).exists());
    }
}
