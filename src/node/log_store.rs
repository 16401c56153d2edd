//! The Raft log and vote, in a fjall database of their own (`<data_dir>/raft`), so that making
//! the log durable fsyncs only the log's journal, never the state machine's.
//!
//! Group fsync: `append` writes the entries through to the OS and, under `fsync = always`, hands
//! openraft's callback to one syncer thread, which fsyncs once for every append queued meanwhile
//! and only then tells openraft they are flushed. Under `everysec` the callback fires once the
//! entries are in the page cache (they survive a killed process, as with Redis's
//! `appendfsync everysec`) and a timer fsyncs once a second. Votes are always fsync'd before
//! `save_vote` returns: they are rare, and a forgotten vote could elect two leaders.

use std::collections::VecDeque;
use std::fmt::Debug;
use std::io;
use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fjall::{CompressionType, Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use openraft::storage::{IOFlushed, RaftLogStorage};
use openraft::{LogState, OptionalSend, RaftLogReader};
use parking_lot::Mutex;

use super::raft_types::{Entry, LogId, TypeConfig, Vote};
use crate::config::Fsync;

const VOTE: &[u8] = b"vote";
const PURGED: &[u8] = b"purged";
const COMMITTED: &[u8] = b"committed";
/// The first log index stored in the compact encoding (see [`LogStore::decode`]).
const COMPACT_FROM: &[u8] = b"compact_from";

/// How log entries are encoded: bincode with variable-length integers, which makes an entry of
/// small commands about half the size of the fixed-width default (every length prefix is one
/// byte instead of eight), and so halves what the log writes, keeps in memory and flushes.
fn compact() -> impl bincode::Options {
    bincode::DefaultOptions::new()
}

/// The fsync policy in force (CONFIG SET appendfsync changes it at run time) and whether anything
/// was written since the last periodic fsync.
pub struct Durability {
    mode: AtomicU8,
    fixed: bool,
    dirty: AtomicBool,
}

impl Durability {
    /// `fixed`: memory mode, where nothing is ever fsync'd whatever is asked.
    pub fn new(fsync: Fsync, fixed: bool) -> Durability {
        Durability {
            mode: AtomicU8::new(fsync as u8),
            fixed,
            dirty: AtomicBool::new(false),
        }
    }

    pub fn get(&self) -> Fsync {
        match self.mode.load(Ordering::Relaxed) {
            m if m == Fsync::Always as u8 => Fsync::Always,
            m if m == Fsync::Never as u8 => Fsync::Never,
            _ => Fsync::Everysec,
        }
    }

    pub fn set(&self, fsync: Fsync) {
        if !self.fixed {
            self.mode.store(fsync as u8, Ordering::Relaxed);
        }
    }
}

#[derive(Clone)]
pub struct LogStore {
    db: Database,
    log: Keyspace,
    state: Keyspace,
    durability: Arc<Durability>,
    syncer: std::sync::mpsc::Sender<IOFlushed<TypeConfig>>,
    recent: Arc<Mutex<Recent>>,
    /// Where `append` encodes entries (each clone of the store has its own).
    scratch: Vec<u8>,
    /// Entries from this index on are in the compact encoding; older ones, written before it
    /// existed, in bincode's fixed-width default.
    compact_from: Arc<AtomicU64>,
}

/// The newest entries, kept decoded: openraft reads every entry back from the log to apply it
/// and to replicate it, usually right after appending it, and decoding it again from fjall would
/// cost more than the copy.
#[derive(Default)]
struct Recent {
    /// Entries with their encoded size.
    entries: VecDeque<(Entry, usize)>,
    bytes: usize,
}

/// At most this many entries, of at most this many encoded bytes, are kept in [`Recent`]: enough
/// for the entries between append and apply and for followers that keep up. Few, because a
/// decoded command holds on to the connection buffer it was parsed from: keeping many would keep
/// every client's input buffers alive and make each connection allocate fresh ones.
const RECENT_ENTRIES: usize = 64;
const RECENT_BYTES: usize = 16 << 20;

impl Recent {
    fn first_index(&self) -> Option<u64> {
        self.entries.front().map(|(e, _)| e.log_id.index)
    }

    fn push(&mut self, entry: Entry, size: usize) {
        // Entries arrive in index order; anything else (after a truncation) starts afresh.
        if let Some((last, _)) = self.entries.back() {
            if last.log_id.index + 1 != entry.log_id.index {
                self.entries.clear();
                self.bytes = 0;
            }
        }
        self.entries.push_back((entry, size));
        self.bytes += size;
        while self.entries.len() > RECENT_ENTRIES || self.bytes > RECENT_BYTES {
            self.pop_front();
        }
    }

    fn pop_front(&mut self) {
        if let Some((_, size)) = self.entries.pop_front() {
            self.bytes -= size;
        }
    }

    /// The entries of `[start, end)` if all of them are here.
    fn get(&self, start: u64, end: u64) -> Option<Vec<Entry>> {
        let first = self.first_index()?;
        let last = self.entries.back()?.0.log_id.index;
        if start < first || end > last + 1 || start >= end {
            return None;
        }
        let from = (start - first) as usize;
        let to = (end - first) as usize;
        Some(
            self.entries
                .range(from..to)
                .map(|(e, _)| e.clone())
                .collect(),
        )
    }

    fn truncate_after(&mut self, index: Option<u64>) {
        while self
            .entries
            .back()
            .is_some_and(|(e, _)| index.is_none_or(|i| e.log_id.index > i))
        {
            if let Some((_, size)) = self.entries.pop_back() {
                self.bytes -= size;
            }
        }
    }

    fn purge_upto(&mut self, index: u64) {
        while self
            .entries
            .front()
            .is_some_and(|(e, _)| e.log_id.index <= index)
        {
            self.pop_front();
        }
    }
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// The index a log key stands for.
fn index_of(key: &[u8]) -> io::Result<u64> {
    key.try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad log key"))
}

impl LogStore {
    pub fn open(dir: &Path, durability: Arc<Durability>) -> anyhow::Result<LogStore> {
        std::fs::create_dir_all(dir)?;
        // Entries are short-lived (purged behind snapshots): compressing them in the journal
        // (fjall's default above 4 KiB, i.e. every batched entry) costs more CPU than it saves.
        let db = Database::builder(dir)
            .manual_journal_persist(true)
            .journal_compression(CompressionType::None)
            .open()?;
        let log = db.keyspace("raft_log", KeyspaceCreateOptions::default)?;
        let state = db.keyspace("raft_state", KeyspaceCreateOptions::default)?;
        let compact_from = match state.get(COMPACT_FROM)? {
            Some(v) => bincode::deserialize(&v)?,
            None => {
                // A log from before the compact encoding keeps its entries as they are.
                let next = match log.last_key_value() {
                    Some(g) => index_of(&g.key()?)?.saturating_add(1),
                    None => 0,
                };
                state.insert(COMPACT_FROM, bincode::serialize(&next)?)?;
                db.persist(PersistMode::SyncAll)?;
                next
            }
        };
        let (syncer, rx) = std::sync::mpsc::channel();
        let sync_db = db.clone();
        std::thread::Builder::new()
            .name("trident-log-fsync".into())
            .spawn(move || sync_loop(&sync_db, &rx))?;
        Ok(LogStore {
            db,
            log,
            state,
            durability,
            syncer,
            recent: Arc::default(),
            scratch: Vec::new(),
            compact_from: Arc::new(AtomicU64::new(compact_from)),
        })
    }

    /// Decodes the stored entry at `index`.
    fn decode(&self, index: u64, bytes: &[u8]) -> io::Result<Entry> {
        let r = if index >= self.compact_from.load(Ordering::Acquire) {
            bincode::Options::deserialize(compact(), bytes)
        } else {
            bincode::deserialize(bytes)
        };
        r.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// Makes the log durable (the `everysec` tick, SAVE, shutdown).
    pub fn sync(&self) -> io::Result<()> {
        self.db.persist(PersistMode::SyncData).map_err(io_err)
    }

    /// Fsyncs once a second when something was appended and the policy is `everysec`.
    pub fn spawn_everysec(&self) -> anyhow::Result<()> {
        let store = self.clone();
        std::thread::Builder::new()
            .name("trident-fsync".into())
            .spawn(move || loop {
                std::thread::sleep(Duration::from_secs(1));
                let d = &store.durability;
                if d.get() == Fsync::Everysec && d.dirty.swap(false, Ordering::AcqRel) {
                    let started = Instant::now();
                    if let Err(e) = store.sync() {
                        tracing::error!(error = %e, "periodic fsync failed");
                        d.dirty.store(true, Ordering::Release);
                    }
                    metrics::histogram!("trident_fsync_seconds").record(started.elapsed());
                }
            })?;
        Ok(())
    }

    fn get_state<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> io::Result<Option<T>> {
        match self.state.get(key).map_err(io_err)? {
            None => Ok(None),
            Some(v) => bincode::deserialize(&v)
                .map(Some)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }

    fn put_state<T: serde::Serialize>(&self, key: &[u8], value: &T) -> io::Result<()> {
        let v = bincode::serialize(value).map_err(io_err)?;
        self.state.insert(key, v).map_err(io_err)
    }

    /// Removes the entries from `from` to `to_inclusive`, oldest first, in bounded batches.
    /// Each batch resumes where the last one stopped: restarting at `from` would walk the
    /// tombstones just written again, every batch.
    fn remove_range(&self, from: u64, to_inclusive: u64) -> io::Result<()> {
        let mut from = from;
        while from <= to_inclusive {
            let keys: Vec<_> = self
                .log
                .range(from.to_be_bytes()..=to_inclusive.to_be_bytes())
                .take(1024)
                .map(|g| g.key().map(|k| k.to_vec()))
                .collect::<Result<_, _>>()
                .map_err(io_err)?;
            let Some(last) = keys.last() else {
                return Ok(());
            };
            let last = index_of(last)?;
            let mut batch = self.db.batch().durability(Some(PersistMode::Buffer));
            for k in keys {
                batch.remove(&self.log, k);
            }
            batch.commit().map_err(io_err)?;
            from = last.saturating_add(1);
        }
        Ok(())
    }
}

/// Under `always`: one fsync for every append queued since the last, then each is acknowledged.
/// If the disk refuses, the process stops rather than acknowledge what is not durable.
fn sync_loop(db: &Database, rx: &std::sync::mpsc::Receiver<IOFlushed<TypeConfig>>) {
    let fsync_time = metrics::histogram!("trident_fsync_seconds");
    while let Ok(first) = rx.recv() {
        let mut waiting = vec![first];
        waiting.extend(rx.try_iter());
        let started = Instant::now();
        if let Err(e) = db.persist(PersistMode::SyncData) {
            tracing::error!(error = %e, "fsync of the Raft log failed; stopping so that nothing unsynced is acknowledged");
            std::process::exit(1);
        }
        fsync_time.record(started.elapsed());
        for cb in waiting {
            cb.io_completed(Ok(()));
        }
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, io::Error> {
        let start = match range.start_bound() {
            Bound::Included(x) => *x,
            Bound::Excluded(x) => x.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(x) => Some(x.saturating_add(1)),
            Bound::Excluded(x) => Some(*x),
            Bound::Unbounded => None,
        };
        if let Some(end) = end {
            if let Some(hit) = self.recent.lock().get(start, end) {
                return Ok(hit);
            }
        }
        let mut out = Vec::new();
        for g in self.log.range(start.to_be_bytes()..) {
            let (k, v) = g.into_inner().map_err(io_err)?;
            let index = index_of(&k)?;
            if !range.contains(&index) {
                break;
            }
            out.push(self.decode(index, &v)?);
        }
        Ok(out)
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, io::Error> {
        self.get_state(VOTE)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, io::Error> {
        let last_purged: Option<LogId> = self.get_state(PURGED)?;
        let last = match self.log.last_key_value() {
            None => None,
            Some(g) => {
                let (k, v) = g.into_inner().map_err(io_err)?;
                Some(self.decode(index_of(&k)?, &v)?.log_id)
            }
        };
        Ok(LogState {
            last_log_id: last.or(last_purged),
            last_purged_log_id: last_purged,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), io::Error> {
        self.put_state(VOTE, vote)?;
        self.db.persist(PersistMode::SyncAll).map_err(io_err)
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), io::Error> {
        self.put_state(COMMITTED, &committed)
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, io::Error> {
        Ok(self.get_state::<Option<LogId>>(COMMITTED)?.flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: IOFlushed<TypeConfig>,
    ) -> Result<(), io::Error>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let started = Instant::now();
        let mut batch = self.db.batch().durability(Some(PersistMode::Buffer));
        let mut appended = Vec::new();
        for entry in entries {
            // Encoded into one reused buffer: `bincode::serialize` would walk the entry twice (to
            // size it, then to write it), and fjall copies the bytes into its own value anyway.
            self.scratch.clear();
            bincode::Options::serialize_into(compact(), &mut self.scratch, &entry)
                .map_err(io_err)?;
            let size = self.scratch.len();
            batch.insert(
                &self.log,
                entry.log_id.index.to_be_bytes(),
                &self.scratch[..],
            );
            appended.push((entry, size));
        }
        batch.commit().map_err(io_err)?;
        {
            let mut recent = self.recent.lock();
            for (e, size) in appended {
                recent.push(e, size);
            }
        }
        metrics::histogram!("trident_raft_append_seconds").record(started.elapsed());
        if self.durability.get() == Fsync::Always {
            if let Err(std::sync::mpsc::SendError(cb)) = self.syncer.send(callback) {
                cb.io_completed(Err(io_err("fsync thread gone")));
            }
        } else {
            self.durability.dirty.store(true, Ordering::Release);
            callback.io_completed(Ok(()));
        }
        Ok(())
    }

    async fn truncate_after(&mut self, last_log_id: Option<LogId>) -> Result<(), io::Error> {
        // One batch: a truncation cut short must not leave a hole in the log. Only entries not
        // yet committed are ever truncated, so there are few.
        self.recent
            .lock()
            .truncate_after(last_log_id.map(|l| l.index));
        let from = last_log_id.map_or(0, |l| l.index + 1);
        let mut batch = self.db.batch().durability(Some(PersistMode::Buffer));
        for g in self.log.range(from.to_be_bytes()..) {
            batch.remove(&self.log, g.key().map_err(io_err)?.to_vec());
        }
        // Whatever is appended in place of the removed entries is in the compact encoding.
        let lowered = from < self.compact_from.load(Ordering::Acquire);
        if lowered {
            batch.insert(
                &self.state,
                COMPACT_FROM,
                bincode::serialize(&from).map_err(io_err)?,
            );
        }
        batch.commit().map_err(io_err)?;
        if lowered {
            self.compact_from.store(from, Ordering::Release);
        }
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), io::Error> {
        // Entries at or before the purged id are ignored from now on, so writing it first keeps
        // the log without holes even if the deletions below are cut short.
        let from = self
            .get_state::<LogId>(PURGED)?
            .map_or(0, |p| p.index.saturating_add(1));
        self.put_state(PURGED, &log_id)?;
        self.recent.lock().purge_upto(log_id.index);
        self.remove_range(from, log_id.index)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use openraft::entry::RaftEntry;
    use openraft::storage::RaftLogStorage;
    use openraft::RaftLogReader;

    use super::*;
    use crate::command::{Command, Db};
    use crate::node::raft_types::Batch;

    fn entry(index: u64) -> Entry {
        let cmd = Command::GetDel {
            db: Db::default(),
            key: bytes::Bytes::from(format!("k{index}")),
        };
        Entry::new_normal(
            openraft::testing::log_id::<TypeConfig>(1, 1, index),
            Batch {
                now_ms: 7,
                requests: Arc::new(vec![vec![cmd]]),
            },
        )
    }

    fn open(dir: &Path) -> LogStore {
        let durability = Arc::new(Durability::new(Fsync::Never, true));
        LogStore::open(dir, durability).expect("open")
    }

    #[tokio::test]
    async fn entries_written_before_the_compact_encoding_still_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            // A log as the first release wrote it: fixed-width bincode, no marker.
            let db = Database::builder(dir.path()).open().expect("db");
            let log = db
                .keyspace("raft_log", KeyspaceCreateOptions::default)
                .expect("keyspace");
            for i in 1..=3 {
                let v = bincode::serialize(&entry(i)).expect("encode");
                log.insert(i.to_be_bytes(), v).expect("insert");
            }
            db.persist(PersistMode::SyncAll).expect("persist");
        }
        let mut store = open(dir.path());
        let flushed = IOFlushed::<TypeConfig>::noop();
        store
            .append(vec![entry(4), entry(5)], flushed)
            .await
            .expect("append");
        drop(store);
        // Read back from disk, not from the recent-entries cache.
        let mut store = open(dir.path());
        let all = store.try_get_log_entries(1..6).await.expect("read");
        assert_eq!(all, (1..6).map(entry).collect::<Vec<_>>());
        // A truncation below the boundary moves it: what replaces the removed entries is compact.
        store
            .truncate_after(Some(openraft::testing::log_id::<TypeConfig>(1, 1, 2)))
            .await
            .expect("truncate");
        let flushed = IOFlushed::<TypeConfig>::noop();
        store.append(vec![entry(3)], flushed).await.expect("append");
        drop(store);
        let mut store = open(dir.path());
        let all = store.try_get_log_entries(1..4).await.expect("read");
        assert_eq!(all, (1..4).map(entry).collect::<Vec<_>>());
    }
}
