//! The Raft log and vote. Entries live in append-only segment files (`<data_dir>/raft/log`, see
//! [`super::log_segments`]); the vote, the committed and the purged log id in a small fjall
//! database of their own (`<data_dir>/raft`). Neither shares a journal with the state machine, so
//! making the log durable never fsyncs the state machine's data.
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
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use openraft::storage::{IOFlushed, RaftLogStorage};
use openraft::{LogState, OptionalSend, RaftLogReader};
use parking_lot::Mutex;

use super::log_segments::{RecordBatch, SegmentLog};
use super::raft_types::{Entry, LogId, TypeConfig, Vote};
use crate::config::Fsync;

const VOTE: &[u8] = b"vote";
const PURGED: &[u8] = b"purged";
const COMMITTED: &[u8] = b"committed";
/// Releases before the segment files kept entries in the `raft_log` keyspace: from this index on
/// in the compact encoding, before it in bincode's fixed-width default.
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
    /// Holds the vote, the committed and the purged log id.
    db: Database,
    state: Keyspace,
    segments: Arc<SegmentLog>,
    durability: Arc<Durability>,
    syncer: std::sync::mpsc::Sender<IOFlushed<TypeConfig>>,
    recent: Arc<Mutex<Recent>>,
    /// Where `append` encodes entries (each clone of the store has its own).
    scratch: RecordBatch,
}

/// The newest entries, kept decoded: openraft reads every entry back from the log to apply it
/// and to replicate it, usually right after appending it, and decoding it again from fjall would
/// cost more than the copy.
#[derive(Default)]
struct Recent {
    /// Entries with their encoded size and their number of commands.
    entries: VecDeque<(Entry, usize, usize)>,
    bytes: usize,
    commands: usize,
}

/// At most this many entries, of at most this many encoded bytes, are kept in [`Recent`]: enough
/// for the entry between append and apply (one is in flight at a time, see the writer) and for
/// followers that keep up (one that falls further behind reads the rest from the segment files).
/// Few, because a decoded command holds on to the connection buffer it was parsed from: keeping
/// many keeps every client's input buffers alive, makes each connection allocate fresh ones, and
/// releases the old ones (thousands of reference counts each entry) long after they left the
/// cache. With 64 entries of up to 16 MiB, a pipelined MSET load missed the last-level cache ~3
/// times as often (cachegrind); with 8, LPUSH `-P 16` took ~12% more CPU than with 2
/// (alternating runs), which matches the build before the Raft log. So the bound is on commands:
/// two pipelined entries of ~800 commands reach it, while unpipelined clients' entries of ~25
/// stay eight deep for a follower that lags a little.
const RECENT_ENTRIES: usize = 8;
const RECENT_COMMANDS: usize = 2048;
/// Entries always kept under the command bound: the one being applied and the next.
const RECENT_MIN_ENTRIES: usize = 2;
const RECENT_BYTES: usize = 2 << 20;

impl Recent {
    fn first_index(&self) -> Option<u64> {
        self.entries.front().map(|(e, ..)| e.log_id.index)
    }

    fn push(&mut self, entry: Entry, size: usize) {
        let commands = match &entry.payload {
            openraft::EntryPayload::Normal(batch) => batch.commands(),
            _ => 0,
        };
        // Entries arrive in index order; anything else (after a truncation) starts afresh.
        if let Some((last, ..)) = self.entries.back() {
            if last.log_id.index + 1 != entry.log_id.index {
                self.entries.clear();
                self.bytes = 0;
                self.commands = 0;
            }
        }
        self.entries.push_back((entry, size, commands));
        self.bytes += size;
        self.commands += commands;
        while self.entries.len() > RECENT_ENTRIES
            || self.bytes > RECENT_BYTES
            || (self.commands > RECENT_COMMANDS && self.entries.len() > RECENT_MIN_ENTRIES)
        {
            self.pop_front();
        }
    }

    fn pop_front(&mut self) {
        if let Some((_, size, commands)) = self.entries.pop_front() {
            self.bytes -= size;
            self.commands -= commands;
        }
    }

    /// The entries of `[start, end)` from `split` on, where `split` is the first of them held
    /// here; the caller reads those before `split` from disk. `None` if the range ends beyond the
    /// newest entry or before the oldest one held here.
    fn get_tail(&self, start: u64, end: u64) -> Option<(u64, Vec<Entry>)> {
        let first = self.first_index()?;
        let last = self.entries.back()?.0.log_id.index;
        if end > last + 1 || end <= first || start >= end {
            return None;
        }
        let split = start.max(first);
        let from = (split - first) as usize;
        let to = (end - first) as usize;
        let tail = self
            .entries
            .range(from..to)
            .map(|(e, ..)| e.clone())
            .collect();
        Some((split, tail))
    }

    fn truncate_after(&mut self, index: Option<u64>) {
        while self
            .entries
            .back()
            .is_some_and(|(e, ..)| index.is_none_or(|i| e.log_id.index > i))
        {
            if let Some((_, size, commands)) = self.entries.pop_back() {
                self.bytes -= size;
                self.commands -= commands;
            }
        }
    }

    fn purge_upto(&mut self, index: u64) {
        while self
            .entries
            .front()
            .is_some_and(|(e, ..)| e.log_id.index <= index)
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
    /// `segment_bytes`: the size of one segment file (see [`SegmentLog`]).
    pub fn open(
        dir: &Path,
        durability: Arc<Durability>,
        segment_bytes: u64,
    ) -> anyhow::Result<LogStore> {
        std::fs::create_dir_all(dir)?;
        let db = Database::builder(dir).manual_journal_persist(true).open()?;
        let state = db.keyspace("raft_state", KeyspaceCreateOptions::default)?;
        let segments = Arc::new(SegmentLog::open(&dir.join("log"), segment_bytes)?);
        migrate_keyspace_log(&db, &state, &segments)?;
        let (syncer, rx) = std::sync::mpsc::channel();
        let sync_segments = segments.clone();
        std::thread::Builder::new()
            .name("trident-log-fsync".into())
            .spawn(move || sync_loop(&sync_segments, &rx))?;
        Ok(LogStore {
            db,
            state,
            segments,
            durability,
            syncer,
            recent: Arc::default(),
            scratch: RecordBatch::default(),
        })
    }

    /// Makes the log durable (the `everysec` tick, SAVE, shutdown): the entries first, so that
    /// the committed id on disk never points past them.
    pub fn sync(&self) -> io::Result<()> {
        self.segments.sync()?;
        self.db.persist(PersistMode::SyncData).map_err(io_err)
    }

    /// How many bytes the entries after `index` take on disk (all of them for `None`).
    pub fn bytes_after(&self, index: Option<u64>) -> u64 {
        self.segments.bytes_after(index)
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

    /// Reads and decodes the entries of `[start, end)` from the segment files.
    fn read_from_disk(&self, start: u64, end: u64, out: &mut Vec<Entry>) -> io::Result<()> {
        self.segments.read(start, end, |_, bytes| {
            out.push(decode(bytes)?);
            Ok(())
        })
    }
}

fn decode(bytes: &[u8]) -> io::Result<Entry> {
    bincode::Options::deserialize(compact(), bytes)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Moves a log kept by an earlier release in the `raft_log` keyspace into segment files. The
/// keyspace is emptied only once the segments are synced; a migration cut short starts over.
fn migrate_keyspace_log(
    db: &Database,
    state: &Keyspace,
    segments: &SegmentLog,
) -> anyhow::Result<()> {
    if !db.keyspace_exists("raft_log") {
        return Ok(());
    }
    let log = db.keyspace("raft_log", KeyspaceCreateOptions::default)?;
    if log.first_key_value().is_none() {
        return Ok(());
    }
    // Without the marker the whole log predates the compact encoding.
    let compact_from: u64 = match state.get(COMPACT_FROM)? {
        Some(v) => bincode::deserialize(&v)?,
        None => u64::MAX,
    };
    segments.truncate_after(None)?;
    let mut batch = RecordBatch::default();
    let mut keys = Vec::new();
    for g in log.iter() {
        let (k, v) = g.into_inner()?;
        let index = index_of(&k)?;
        let entry: Entry = if index >= compact_from {
            bincode::Options::deserialize(compact(), &v)?
        } else {
            bincode::deserialize(&v)?
        };
        batch.push(index, |buf| {
            bincode::Options::serialize_into(compact(), buf, &entry).map_err(io_err)
        })?;
        keys.push(k.to_vec());
        if keys.len() % 1024 == 0 {
            segments.append(&batch)?;
            batch.clear();
        }
    }
    segments.append(&batch)?;
    segments.sync()?;
    for chunk in keys.chunks(1024) {
        let mut b = db.batch();
        for k in chunk {
            b.remove(&log, k.clone());
        }
        b.commit()?;
    }
    state.remove(COMPACT_FROM)?;
    db.persist(PersistMode::SyncAll)?;
    tracing::info!(
        entries = keys.len(),
        "moved the Raft log into segment files"
    );
    Ok(())
}

/// Under `always`: one fsync for every append queued since the last, then each is acknowledged.
/// If the disk refuses, the process stops rather than acknowledge what is not durable.
fn sync_loop(segments: &SegmentLog, rx: &std::sync::mpsc::Receiver<IOFlushed<TypeConfig>>) {
    let fsync_time = metrics::histogram!("trident_fsync_seconds");
    while let Ok(first) = rx.recv() {
        let mut waiting = vec![first];
        waiting.extend(rx.try_iter());
        let started = Instant::now();
        if let Err(e) = segments.sync() {
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
        let end = end.unwrap_or(u64::MAX);
        let mut out = Vec::new();
        let tail = self.recent.lock().get_tail(start, end);
        match tail {
            Some((split, tail)) => {
                self.read_from_disk(start, split, &mut out)?;
                out.extend(tail);
            }
            None => self.read_from_disk(start, end, &mut out)?,
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
        let last = match self.segments.last_index() {
            None => None,
            Some(index) => {
                let mut e = Vec::with_capacity(1);
                self.read_from_disk(index, index + 1, &mut e)?;
                e.pop().map(|e| e.log_id)
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
        self.scratch.clear();
        let mut appended = Vec::new();
        for entry in entries {
            let size = self.scratch.push(entry.log_id.index, |buf| {
                bincode::Options::serialize_into(compact(), buf, &entry).map_err(io_err)
            })?;
            appended.push((entry, size));
        }
        self.segments.append(&self.scratch)?;
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
        let last = last_log_id.map(|l| l.index);
        self.recent.lock().truncate_after(last);
        self.segments.truncate_after(last)
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), io::Error> {
        // The purged id is durable before any file goes, so that the log never looks as if it
        // started later than openraft was told.
        self.put_state(PURGED, &log_id)?;
        self.db.persist(PersistMode::SyncData).map_err(io_err)?;
        self.recent.lock().purge_upto(log_id.index);
        self.segments.purge_upto(log_id.index)
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
        let cmd: Command = crate::command::kv::Command::GetDel {
            db: Db::default(),
            key: bytes::Bytes::from(format!("k{index}")),
        }
        .into();
        Entry::new_normal(
            openraft::testing::log_id::<TypeConfig>(1, 1, index),
            Batch {
                format: crate::engine::FORMAT_VERSION,
                now_ms: 7,
                requests: Arc::new(vec![vec![cmd]]),
            },
        )
    }

    /// An entry of `commands` one-command requests.
    fn entry_of(index: u64, commands: usize) -> Entry {
        let cmd: Command = crate::command::kv::Command::GetDel {
            db: Db::default(),
            key: bytes::Bytes::from_static(b"k"),
        }
        .into();
        Entry::new_normal(
            openraft::testing::log_id::<TypeConfig>(1, 1, index),
            Batch {
                format: crate::engine::FORMAT_VERSION,
                now_ms: 7,
                requests: Arc::new(vec![vec![cmd]; commands]),
            },
        )
    }

    /// Small entries stay eight deep; large ones two, never fewer, whatever their size in
    /// commands.
    #[test]
    fn recent_entries_are_bounded_by_commands_but_keep_two() {
        let mut recent = Recent::default();
        for i in 1..=20 {
            recent.push(entry_of(i, 10), 10);
        }
        assert_eq!(recent.entries.len(), RECENT_ENTRIES);
        for i in 21..=24 {
            recent.push(entry_of(i, RECENT_COMMANDS / 2 + 1), 10);
        }
        assert_eq!(recent.first_index(), Some(23));
        assert_eq!(recent.entries.len(), RECENT_MIN_ENTRIES);
        assert_eq!(recent.commands, 2 * (RECENT_COMMANDS / 2 + 1));
        recent.push(entry_of(25, RECENT_COMMANDS * 4), 10);
        assert_eq!(recent.first_index(), Some(24));
        recent.truncate_after(Some(24));
        assert_eq!(recent.commands, RECENT_COMMANDS / 2 + 1);
    }

    fn open(dir: &Path) -> LogStore {
        let durability = Arc::new(Durability::new(Fsync::Never, true));
        LogStore::open(dir, durability, 64 << 20).expect("open")
    }

    #[tokio::test]
    async fn a_log_kept_in_the_keyspace_by_an_earlier_release_moves_into_segments() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            // As releases before the segment files left it: entries 1-2 from the first release
            // (fixed-width bincode), 3 onwards compact, with the marker between them.
            let db = Database::builder(dir.path()).open().expect("db");
            let log = db
                .keyspace("raft_log", KeyspaceCreateOptions::default)
                .expect("keyspace");
            let state = db
                .keyspace("raft_state", KeyspaceCreateOptions::default)
                .expect("keyspace");
            for i in 1..=2 {
                let v = bincode::serialize(&entry(i)).expect("encode");
                log.insert(i.to_be_bytes(), v).expect("insert");
            }
            let v = bincode::Options::serialize(compact(), &entry(3)).expect("encode");
            log.insert(3u64.to_be_bytes(), v).expect("insert");
            state
                .insert(COMPACT_FROM, bincode::serialize(&3u64).expect("encode"))
                .expect("insert");
            db.persist(PersistMode::SyncAll).expect("persist");
        }
        let mut store = open(dir.path());
        let state = store.get_log_state().await.expect("state");
        assert_eq!(state.last_log_id.map(|l| l.index), Some(3));
        let flushed = IOFlushed::<TypeConfig>::noop();
        store
            .append(vec![entry(4), entry(5)], flushed)
            .await
            .expect("append");
        drop(store);
        // Read back from disk, not from the recent-entries cache, and the keyspace is empty.
        let mut store = open(dir.path());
        let all = store.try_get_log_entries(1..6).await.expect("read");
        assert_eq!(all, (1..6).map(entry).collect::<Vec<_>>());
        let old = store
            .db
            .keyspace("raft_log", KeyspaceCreateOptions::default)
            .expect("keyspace");
        assert!(old.first_key_value().is_none());
        drop(old);
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

    #[tokio::test]
    async fn reads_past_the_recent_entries_come_from_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = open(dir.path());
        for i in 1..=(RECENT_ENTRIES as u64 * 3) {
            let flushed = IOFlushed::<TypeConfig>::noop();
            store.append(vec![entry(i)], flushed).await.expect("append");
        }
        let last = RECENT_ENTRIES as u64 * 3;
        let all = store.try_get_log_entries(1..=last).await.expect("read");
        assert_eq!(all, (1..=last).map(entry).collect::<Vec<_>>());
        let some = store.try_get_log_entries(3..6).await.expect("read");
        assert_eq!(some, (3..6).map(entry).collect::<Vec<_>>());
        store
            .purge(openraft::testing::log_id::<TypeConfig>(1, 1, 5))
            .await
            .expect("purge");
        drop(store);
        let mut store = open(dir.path());
        let state = store.get_log_state().await.expect("state");
        assert_eq!(state.last_purged_log_id.map(|l| l.index), Some(5));
        assert_eq!(state.last_log_id.map(|l| l.index), Some(last));
        let tail = store.try_get_log_entries(6..=last).await.expect("read");
        assert_eq!(tail, (6..=last).map(entry).collect::<Vec<_>>());
    }
}
